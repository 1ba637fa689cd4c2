"""Something in front of the lifter: how much of where they were last seen whole is now
covered by a surface nearer than them (someone crossing between the lifter and the mirror, a
box carried past).

The lifting zone's segmentation never sees such an occluder (it is outside the zone: no
candidate pixel), only a lifter whose cloud shrinks or vanishes. The station must not then
read a new person into the half of the lifter it still sees (an upright start on a partial
cloud measures a wrong stature and learns a wrong standing spine for the rest of the set),
and should tell the lifter why it cannot see them.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from station.model import PersonCloud


@dataclass(frozen=True)
class OcclusionParams:
    # nearer than the lifter's nearest point by this: another object, not the lifter's
    # hands, bar or a swung bell (which are in the lifter's cloud, and move ~0.1 m a frame)
    margin_m: float = 0.3
    # in the lower half of the silhouette: someone walking in or out strides and swings a
    # hand 0.4-0.45 m ahead of the rest of them, outside the zone's points (session_walk_in_out)
    low_margin_m: float = 0.6
    # a frame whose share is under this is "clear": the lifter's silhouette is taken from it
    clear_share: float = 0.02
    # the silhouette is forgotten this long after the lifter was last seen clear (they left)
    forget_s: float = 10.0


def _near_depth_m(cloud: PersonCloud) -> float:
    """The lifter's nearest depth: the 2nd percentile of their points' (a few noisy points
    nearer than the body do not count)."""
    z = cloud.points_cam_m[:, 2]
    k = int(0.02 * (len(z) - 1))
    return float(np.partition(z, k)[k])


class FrontOcclusion:
    """Keeps the lifter's silhouette from the last frame in which nothing covered them, and
    measures the share of it that a nearer surface covers in each frame (decimated image).

    Only the pixels where the lifter was seen count: equipment that stands in front of the
    lifter (a plate rack they walk in behind) never covered a pixel the camera saw them at,
    so it is never taken for someone crossing; a pixel the lifter moved away from shows what
    is behind them, which is further."""

    def __init__(self, params: OcclusionParams = OcclusionParams()):
        self.params = params
        self.reset()

    def reset(self) -> None:
        self._mask: np.ndarray | None = None    # (h, w) the last clear silhouette
        self._v_mid = 0                          # its middle row (low_margin_m below it)
        self._box = (0, 0, 0, 0)                 # its rows and columns (v0, v1, u0, u1; ends excluded)
        self._n = 0
        self._near_m = 0.0
        self._t_clear = -np.inf

    def update(self, depth_m: np.ndarray, cloud: PersonCloud | None, t_s: float) -> float | None:
        """The share (0..1) of the lifter's last clear silhouette where the camera now sees a
        surface at least margin_m nearer than the lifter's nearest point (low_margin_m in the
        silhouette's lower half; not the lifter's own pixels); None when no lifter has been
        seen clear lately. depth_m (h, w) the decimated depth, 0 = none."""
        p = self.params
        share = None
        if self._mask is not None and t_s - self._t_clear > p.forget_s:
            self._mask = None
        seen = cloud is not None and len(cloud.pixels_uv) > 0
        near_now_m = _near_depth_m(cloud) if seen else np.inf
        if self._mask is not None:
            # nearer than the lifter as last seen clear and as seen now: someone who walks
            # towards the camera is not hidden by themselves. Within the silhouette's box only
            v0, v1, u0, u1 = self._box
            ref_m = min(self._near_m, near_now_m)
            d = depth_m[v0:v1, u0:u1]
            near = self._mask[v0:v1, u0:u1] & (d > 0.0)
            m = self._v_mid + 1 - v0
            near[:m] &= d[:m] < ref_m - p.margin_m
            near[m:] &= d[m:] < ref_m - p.low_margin_m
            if cloud is not None:
                near &= ~cloud.mask[v0:v1, u0:u1]
            share = float(np.count_nonzero(near)) / self._n
        if seen and (share is None or share < p.clear_share):
            u, v = cloud.pixels_uv[:, 0], cloud.pixels_uv[:, 1]
            v_lo, v_hi = int(v.min()), int(v.max())
            self._v_mid = (v_lo + v_hi) // 2
            self._box = (v_lo, v_hi + 1, int(u.min()), int(u.max()) + 1)
            self._mask = cloud.mask.copy()
            self._n = len(cloud.pixels_uv)
            self._near_m = near_now_m
            self._t_clear = t_s
        return share
