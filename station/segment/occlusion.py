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
from station.segment.background import BackgroundModel


@dataclass(frozen=True)
class OcclusionParams:
    # nearer than the lifter's nearest point by this: another object, not the lifter's
    # hands, bar or a swung bell (which are in the lifter's cloud, and move ~0.1 m a frame)
    margin_m: float = 0.3
    # a frame whose share is under this is "clear": the lifter's box is taken from it
    clear_share: float = 0.02
    # the box is forgotten this long after the lifter was last seen clear (they left)
    forget_s: float = 10.0
    # the lifter's box grown by this share of its size on each side (a lifter moves)
    grow: float = 0.1


class FrontOcclusion:
    """Tracks the lifter's image box from frames in which nothing covers them, and measures
    the share of that box a nearer surface covers in each frame (decimated image)."""

    def __init__(self, params: OcclusionParams = OcclusionParams()):
        self.params = params
        self.reset()

    def reset(self) -> None:
        self._box: tuple[int, int, int, int] | None = None   # v0, v1, u0, u1 (inclusive)
        self._near_m = 0.0
        self._t_clear = -np.inf

    def update(self, depth_m: np.ndarray, background: BackgroundModel, cloud: PersonCloud | None,
               t_s: float) -> float | None:
        """The share (0..1) of the lifter's last clear box that a surface at least margin_m
        nearer than the lifter covers (not the lifter's own pixels, not the learned
        background); None when no lifter has been seen clear lately.

        depth_m (h, w) decimated depth, 0 = none; background: the learned empty scene (a
        pixel it explains is no occluder: a bench that stands in front of the lifter all
        along)."""
        p = self.params
        share = None
        if self._box is not None and t_s - self._t_clear > p.forget_s:
            self._box = None
        if self._box is not None:
            v0, v1, u0, u1 = self._box
            d = depth_m[v0:v1 + 1, u0:u1 + 1]
            near = (d > 0.0) & (d < self._near_m - p.margin_m)
            bp = background.params
            bg = background.depth_m[v0:v1 + 1, u0:u1 + 1]
            learned = background.learned()[v0:v1 + 1, u0:u1 + 1]
            near &= ~learned | (d < bg - (bp.fg_thr0_m + bp.fg_thr2_per_m * d * d))
            if cloud is not None:
                near &= ~cloud.mask[v0:v1 + 1, u0:u1 + 1]
            share = float(np.count_nonzero(near)) / near.size
        if cloud is not None and len(cloud.pixels_uv) and (share is None or share < p.clear_share):
            uv = cloud.pixels_uv
            u, v = uv[:, 0], uv[:, 1]
            h, w = depth_m.shape
            gu = int(p.grow * (int(u.max()) - int(u.min()) + 1))
            gv = int(p.grow * (int(v.max()) - int(v.min()) + 1))
            self._box = (max(0, int(v.min()) - gv), min(h - 1, int(v.max()) + gv),
                         max(0, int(u.min()) - gu), min(w - 1, int(u.max()) + gu))
            self._near_m = float(np.percentile(cloud.points_cam_m[:, 2], 2.0))
            self._t_clear = t_s
        return share
