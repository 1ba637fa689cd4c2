"""Which implement the lifter holds, for the fit (station.fit.solver models it in the hands).

A bar is switched on by its evidence (points on the line through the hands, beyond them)
over a few frames in a row and kept for a while without it; a kettlebell or dumbbells are
chosen once, when the track starts, by the fit that explains the most points the body alone
does not, and kept for the track (it is the arms that locate them, and a lost arm would
lose the evidence).
"""
from __future__ import annotations

import numpy as np

from station.fit.implement_support import bar_support, implement_support
from station.fit.limb_search import FitContext, LimbSearch
from station.fit.solver import FrameData, fit_frame

HELD = ("kettlebell", "dumbbells")


class ImplementState:
    """The implement of one track: `bar` (seen in the hands now) and `held` (a kettlebell or
    dumbbells, chosen at the start)."""

    def __init__(self, bar_min_points: int, bar_on_frames: int, bar_keep_frames: int,
                 held_min_points: int):
        self.bar_min_points = bar_min_points
        self.bar_on_frames, self.bar_keep_frames = bar_on_frames, bar_keep_frames
        self.held_min_points = held_min_points
        self.bar = False
        self.held: str | None = None
        self._miss = 0
        self._seen = 0

    @property
    def implement(self) -> str | None:
        """The implement modelled in the hands: a bar when one is seen, else the kettlebell
        or dumbbells found while initialising."""
        return "bar" if self.bar else self.held

    def bar_present(self, ctx: FitContext, frame: FrameData, theta: np.ndarray) -> bool:
        return bar_support(ctx.body, theta, frame.points_floor_m, ctx.ws,
                           ctx.weights) >= self.bar_min_points

    def update_bar(self, ctx: FitContext, frame: FrameData, theta: np.ndarray,
                   initialising: bool) -> None:
        """The bar, once seen, stays for `bar_keep_frames` frames without support: its
        support is measured from the hands, and a hand that strays would otherwise lose the
        bar, and then the bar's points (40 % of the cloud with plates) pull the body apart."""
        if self.held is not None:
            self.bar = False
            return
        if self.bar_present(ctx, frame, theta):
            # switched on only after a few frames in a row (or from the start): arms fitted
            # wrong can line up body points for a frame or two
            self._seen += 1
            if self.bar or self._seen >= self.bar_on_frames or initialising:
                self.bar = True
            self._miss = 0
        else:
            self._seen = 0
            self._miss += 1
            if self._miss > self.bar_keep_frames:
                self.bar = False

    def choose_held(self, ctx: FitContext, frame: FrameData, theta: np.ndarray,
                    limbs: LimbSearch) -> np.ndarray:
        """Fit each hand-held implement (arms from the current pose and from a two-handed
        grip) and keep the one that lowers the energy most, if it explains enough points the
        body alone does not. Sets `held`; returns the pose to go on from."""
        none = fit_frame(ctx.body, frame, theta, None, ctx.weights, n_iter=0, ws=ctx.ws,
                         anchors_floor_m=ctx.anchors)
        best, best_E, best_theta = None, none.energy, theta
        for imp in HELD:
            c = FitContext(ctx.body, ctx.ws, ctx.weights, imp, ctx.anchors)
            th = limbs.search(c, frame, theta, None, n_iter=4,
                              limbs=("arms",) if imp == "kettlebell" else ("arm_l", "arm_r"))
            r = c.fit(frame, th, None, 4)
            if (r.energy < best_E and implement_support(ctx.body, r.theta, frame.points_floor_m,
                                                        ctx.ws, imp, ctx.weights)
                    >= self.held_min_points):
                best, best_E, best_theta = imp, r.energy, r.theta
        self.held = best
        return best_theta
