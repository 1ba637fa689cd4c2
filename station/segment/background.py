"""The learned empty scene: one background depth per decimated pixel.

Each pixel keeps a depth and a count of frames that agreed with it. Agreeing observations
refine a running mean; a nearer observation (something new in front) pulls the background
slowly, so a person who stands still is not absorbed; a further one (something in front
went away) pulls it faster. The segmenter learns only at pixels outside every person-sized
blob, and at a reduced rate while a person is in view.

A pixel is foreground if it has depth and is nearer than its learned background by more
than thr0 + thr2 z² (stereo noise grows as z²); pixels not learned yet fall back to the
lifting-zone and floor tests alone (see segment._kernels.classify_pixels).

Where the lifter was seen lately, a surface nearer than them at a pixel whose scene is not
learned yet is not learned either (see BackgroundModel.occluders): behind a lifter who has
stood there since the start the scene is unknown, and someone passing in front of them must
not become it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from station.segment import _kernels as K

# More of the scene the segmenter has learned than this reads no depth: something covers the
# camera's view (nearer than its minimum range, a towel over the lens) or the light blinds it.
# The synthetic scenes read 0.4-0.7 % of it blank with a lifter in view (stop 63: five takes,
# both bodies); a real D435's invalid bands and dark fabrics a few percent more. While it is,
# the blank pixels keep what was learned of them (BackgroundModel.update, hold_blank): the
# cover is not the scene, and forgotten after count_max frames (10 s) it would stop counting
# as blind and the scene would have to be learned again once it is lifted
VIEW_BLOCKED_MIN_SHARE = 0.25


@dataclass(frozen=True)
class BackgroundParams:
    fg_thr0_m: float = 0.05             # foreground: background - z > thr0 + thr2 z²
    fg_thr2_per_m: float = 0.01
    agree_tol0_m: float = 0.03          # an observation agrees within tol0 + tol2 z²
    agree_tol2_per_m: float = 0.006
    n_avg: int = 30                     # running mean over ~this many agreeing frames
    count_max: int = 300                # also: frames without depth before a pixel is forgotten
    min_count: int = 3                  # agreeing frames before a pixel's background is used
    rate_near: float = 1.0 / 600.0      # new object in front: ~20 s time constant at 30 fps
    rate_far: float = 1.0 / 60.0        # object gone: ~2 s
    person_rate_scale: float = 0.1      # learning rate factor while a person is in view
    exclude_dilate_px: int = 2          # dilate person-sized blobs before excluding them
    # a pixel not learned yet (under min_count) where the lifter was seen within
    # lifter_memory_s is not learned from a surface nearer than the lifter was there by more
    # than occluder_margin_m: a walker passing between the lifter and the camera is outside the
    # zone (no candidate, so never excluded) and would be the scene there within min_count
    # frames; the lifter, further than it, would then not be foreground there (stop 66: their
    # upper body out of the cloud for 0.7 s after the walker had gone)
    lifter_memory_s: float = 10.0
    occluder_margin_m: float = 0.1


class BackgroundModel:
    """Per-pixel empty-scene depth of the decimated image (state for the kernels)."""

    def __init__(self, shape: tuple[int, int], params: BackgroundParams = BackgroundParams()):
        self.params = params
        self.depth_m = np.zeros(shape, np.float32)
        self.count = np.zeros(shape, np.int32)
        self._no_exclude = np.zeros(shape, bool)
        # where the lifter was last seen at each pixel: depth (0 = never) and when
        self._lifter_depth_m = np.zeros(shape, np.float32)
        self._lifter_t_s = np.full(shape, -np.inf)

    def reset(self) -> None:
        self.depth_m[:] = 0.0
        self.count[:] = 0
        self._lifter_depth_m[:] = 0.0
        self._lifter_t_s[:] = -np.inf

    def see_lifter(self, mask: np.ndarray, depth_m: np.ndarray, t_s: float) -> None:
        """Remember the lifter's pixels (mask, (h, w) bool) at their depth in depth_m, at t_s."""
        self._lifter_depth_m[mask] = depth_m[mask]
        self._lifter_t_s[mask] = t_s

    def occluders(self, depth_m: np.ndarray, t_s: float) -> np.ndarray:
        """(h, w) bool: the pixels not learned yet where the lifter was seen within
        lifter_memory_s and something is now nearer than they were by occluder_margin_m."""
        p = self.params
        return ((self.count < p.min_count) & self.recent_lifter(t_s, p.lifter_memory_s)
                & (depth_m > 0.0) & (depth_m < self._lifter_depth_m - p.occluder_margin_m))

    def recent_lifter(self, t_s: float, within_s: float) -> np.ndarray:
        """(h, w) bool: the pixels where the lifter was seen within within_s of t_s."""
        return t_s - self._lifter_t_s <= within_s

    def learned(self) -> np.ndarray:
        """(h, w) bool: the pixels whose background is used (min_count agreeing frames)."""
        return self.count >= self.params.min_count

    @property
    def learned_fraction(self) -> float:
        return float(self.learned().mean())

    def blind_share(self, depth_m: np.ndarray) -> float | None:
        """The share of the learned scene (pixels at min_count or more) that reads no depth
        in depth_m: something right in front of the camera (nearer than its minimum range, a
        towel over the lens) or a surface it cannot read covers that much of its view. None
        while nothing is learned."""
        learned = self.learned()
        n = int(np.count_nonzero(learned))
        if n == 0:
            return None
        return int(np.count_nonzero(learned & (depth_m <= 0.0))) / n

    def update(self, depth_m: np.ndarray, exclude_mask: np.ndarray | None = None,
               rate_scale: float = 1.0, hold_blank: bool = False, t_s: float | None = None) -> None:
        """Learn from one decimated depth image, skipping exclude_mask pixels, the pixels
        without depth when hold_blank (the view is blocked: VIEW_BLOCKED_MIN_SHARE), and, given
        the frame's time t_s, the occluders of where the lifter was (see occluders)."""
        p = self.params
        ex = self._no_exclude if exclude_mask is None else exclude_mask
        if hold_blank:
            ex = ex | (depth_m <= 0.0)
        if t_s is not None:
            ex = ex | self.occluders(depth_m, t_s)
        K.update_background(depth_m, ex, p.agree_tol0_m, p.agree_tol2_per_m, p.n_avg,
                            p.count_max, p.rate_near * rate_scale, p.rate_far * rate_scale,
                            self.depth_m, self.count)
