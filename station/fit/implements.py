"""Which implement the lifter holds, for the fit (station.fit.solver models it in the hands).

A bar is switched on by its evidence (points on the line through the hands, beyond them)
over a few frames in a row and kept for a while without it; a kettlebell or dumbbells are
chosen when the track starts, by the fit that explains the most points the body alone
does not, and kept for the track (it is the arms that locate them, and a lost arm would
lose the evidence). A track that starts without one tries again while it goes on (one trial
every few frames, the arms hanging under gravity holding it): the start's
choice is made from one frame's arms, and an arm fitted behind the back there (a heavy
lifter in loose clothes, a bell held in front of the thighs) left the bell out for the whole
set, and the arms with it.
"""
from __future__ import annotations

import numpy as np

from station.fit.body_model import SEG
from station.fit.implement_support import (
    bar_line_points_off_body,
    bar_support_on_line,
    hands_line,
    implement_support,
)
from station.fit.limb_search import (
    HANG_ARM,
    HANG_ARMS,
    FitContext,
    LimbSearch,
    energy_without_temporal,
    hypotheses,
    limb_dofs,
    limb_values,
)
from station.fit.solver import FitResult, FrameData, posed_capsules

HELD = ("kettlebell", "dumbbells")
# how far past the hand a dumbbell's heads reach along the hands' line (to 0.15 m on both
# athletes); a bar's shaft and plates go on beyond (the library's plates from 0.15-0.2 m past
# the hands, a real Olympic bar's collars 0.2-0.45 m)
DUMBBELL_REACH_M = 0.18
# the trials while tracking, in turn: (implement, both arms' (flexion, abduction, elbow)),
# the limb search's hanging hypotheses. The arms hanging, not where they are: without the
# implement they are often wrong (behind the back), and such a trial never won
# (kettlebell_swing)
HELD_TRIALS = (("kettlebell", HANG_ARMS), ("dumbbells", HANG_ARM))
# LM iterations for each two-handed grip tried at the start (ImplementState._two_handed_grip)
START_GRIP_ITERATIONS = 8


class ImplementState:
    """The implement of one track: `bar` (seen in the hands now) and `held` (a kettlebell or
    dumbbells, chosen at the start)."""

    def __init__(self, bar_min_points: int, bar_on_frames: int, bar_keep_frames: int,
                 held_min_points: int, held_retry_frames: int = 5, held_retry_iterations: int = 4,
                 held_retry_after_frames: int = 30, bar_far_min_points: int = 0,
                 held_min_share: float = 0.0):
        self.bar_min_points = bar_min_points
        self.bar_on_frames, self.bar_keep_frames = bar_on_frames, bar_keep_frames
        self.held_min_points = held_min_points
        self.held_min_share = held_min_share
        self.bar_far_min_points = bar_far_min_points
        self.held_retry_frames = held_retry_frames          # one trial per this many frames (0: off)
        self.held_retry_iterations = held_retry_iterations
        self.held_retry_after_frames = held_retry_after_frames   # tracked this long first
        self._retry_tick = 0
        self._tracked_calls = 0     # retry_held's calls since the track (re)started
        self._wins: dict = {}       # per implement: its trials won in a row
        self.held_while_tracking = False
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
        """Points on the line through the hands, past them, and some of those past where a
        dumbbell's heads reach (DUMBBELL_REACH_M): dumbbells held in front with the grip
        pronated line up with the hands too (a lifter turned 30 deg from the camera was
        fitted with a bar for the whole set)."""
        line = hands_line(ctx.body, theta, ctx.ws)
        if line is None:
            return False
        pts = frame.points_floor_m
        if not (bar_support_on_line(line, pts, ctx.weights) >= self.bar_min_points
                and bar_support_on_line(line, pts, ctx.weights,
                                        beyond_m=DUMBBELL_REACH_M) >= self.bar_far_min_points):
            return False
        if self.bar:    # a bar on already: its evidence only keeps it (the check costs ~0.17 ms)
            return True
        # to switch one on, the evidence must not be the body's own points
        ca, cb = posed_capsules(ctx.body, theta, ctx.ws)
        past = bar_line_points_off_body(line, pts, ctx.body, ca, cb, ctx.weights)
        return (len(past) >= self.bar_min_points
                and np.count_nonzero(past > DUMBBELL_REACH_M) >= self.bar_far_min_points)

    def update_bar(self, ctx: FitContext, frame: FrameData, theta: np.ndarray) -> None:
        """The bar, once seen, stays for `bar_keep_frames` frames without support: its
        support is measured from the hands, and a hand that strays would otherwise lose the
        bar, and then the bar's points (40 % of the cloud with plates) pull the body apart.

        It is switched on after `bar_on_frames` frames of support in a row, while the track
        initialises too. The start's own trial (choose_held) finds a bar in the first frame's
        hands by the energy; a single frame's support without it was an arm fitted wrong: the
        slim man G's motion-capture squat, arms held forward and his left forearm pointed at
        the camera, had it fitted folded across his belly on one frame, the real forearm's
        points lay on the hands' line past that hand, and a bar switched on for the whole
        bodyweight set (his left wrist 241 mm off, MPJPE 45.8 mm against 25.5; with the
        segmenter of branch decimation-blend, where that start went wrong)."""
        if self.held is not None and not self.held_while_tracking:
            self.bar = False
            return
        if self.bar_present(ctx, frame, theta):
            # switched on only after a few frames in a row: arms fitted wrong can line up
            # body points for a frame or two
            self._seen += 1
            if self.bar or self._seen >= self.bar_on_frames:
                self.bar = True
                self.held = None     # (one picked up while tracking: the bar's evidence wins)
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
        body alone does not; a bar before them, where the arms searched with it in the hands
        show its evidence (bar_present). Sets `held` (or `bar`); returns the pose to go on from.

        The bar's trial: a bar on the back with one arm left hanging by the start's limb
        search (good_morning_bar_back@capsule once the floor's heel rule changed its start: a
        wrist 0.46 m off) has no evidence on the hands' line, and dumbbells were chosen
        instead, modelled at the shoulders and kept for the track: that arm stayed off the bar
        for the whole set (wrist 0.4 m off, MPJPE 57.9 mm against 29.8)."""
        none = FitContext(ctx.body, ctx.ws, ctx.weights, None, ctx.anchors).fit(frame, theta, None, 0)
        best, best_E, best_theta = None, none.energy, theta
        # a bar on the back whose hands the start's limb search left off it (one arm hanging):
        # searched with the bar in the hands, the arms find it. Its evidence goes first, as at
        # the start (Tracker._start looks for a bar before anything held): dumbbells modelled
        # at the shoulders explained a back bar's frame better than the bar did (367 against
        # 382), with the arm they were fitted with hanging behind the back
        c = FitContext(ctx.body, ctx.ws, ctx.weights, "bar", ctx.anchors)
        th = limbs.search(c, frame, theta, None, n_iter=4, limbs=("arm_l", "arm_r"))
        if self.bar_present(c, frame, th):
            r = c.fit(frame, th, None, 4)
            if r.energy < best_E:
                self.bar, self.held, self.held_while_tracking = True, None, False
                return r.theta
        for imp in HELD:
            c = FitContext(ctx.body, ctx.ws, ctx.weights, imp, ctx.anchors)
            if imp == "kettlebell":
                r = self._two_handed_grip(ctx, c, frame, theta, none.seg_R[SEG["upper_thorax"]])
            else:
                th = limbs.search(c, frame, theta, None, n_iter=4, limbs=("arm_l", "arm_r"))
                r = c.fit(frame, th, None, 4)
            if r is not None and r.energy < best_E and self._held_seen(ctx, frame, r.theta, imp):
                best, best_E, best_theta = imp, r.energy, r.theta
        self.held = best
        self.held_while_tracking = False
        return best_theta

    def _two_handed_grip(self, ctx: FitContext, c: FitContext, frame: FrameData,
                         theta: np.ndarray, thorax_R: np.ndarray) -> FitResult | None:
        """The kettlebell's fit at the start: the arms from where they are and from each two-handed
        grip (the limb search's "arms"), each refined by START_GRIP_ITERATIONS; the least energy
        of those whose bell explains enough points (_held_seen), or None. Not the limb search's
        sequential choice: there a grip whose bell explains nothing (the arms a little behind
        the hips, the bell in the thighs) could take the place of the one that holds it, and the
        bell was lost for the track (kettlebell_swing_small with both hands on the handle: the
        grip in front of the thighs 101.6, the one behind 103.4 and no support, the body alone
        104.3; the grip in front needs 8 iterations to get there). thorax_R: theta's upper
        thorax orientation (floor <- segment), which the grips hang from."""
        idx = limb_dofs("arms")
        starts = [theta]
        for vals in hypotheses("arms"):
            th = theta.copy()
            th[idx] = limb_values("arms", vals, thorax_R, theta[idx])
            starts.append(th)
        best = None
        for th in starts:
            r = c.fit(frame, th, None, START_GRIP_ITERATIONS)
            if (best is None or r.energy < best.energy) and self._held_seen(ctx, frame, r.theta, "kettlebell"):
                best = r
        return best

    def _held_seen(self, ctx: FitContext, frame: FrameData, theta: np.ndarray, imp: str) -> bool:
        """The held implement imp, posed with theta, explains enough points the body alone does
        not: held_min_share of the frame's cloud, and at least held_min_points."""
        need = max(self.held_min_points, self.held_min_share * len(frame.points_floor_m))
        return implement_support(ctx.body, theta, frame.points_floor_m, ctx.ws, imp,
                                 ctx.weights) >= need

    def retry_held(self, ctx: FitContext, frame: FrameData, fit: FitResult,
                   pred: np.ndarray | None, limbs: LimbSearch) -> FitResult:
        """While tracking with nothing in the hands: every `held_retry_frames` frames, the
        next of HELD_TRIALS, fitted with the arms re-seeded (their temporal term left out on
        both sides, as a limb hypothesis's); kept, and the implement with it, when it lowers
        the energy and explains enough points the body alone does not (_held_seen, the start's
        test). Returns the frame's fit."""
        if pred is None:
            self._tracked_calls = 0
            self._wins = {}
            return fit
        self._tracked_calls += 1
        # a settled track only (someone walking in carries a bar at the side, or anything),
        # and not while the bar's evidence is building up
        if (self.held_retry_frames <= 0 or self.bar or self.held is not None
                or ctx.implement is not None or self._seen > 0
                or self._tracked_calls < self.held_retry_after_frames):
            return fit
        self._retry_tick += 1
        if self._retry_tick % self.held_retry_frames:
            return fit
        imp, vals = HELD_TRIALS[(self._retry_tick // self.held_retry_frames) % len(HELD_TRIALS)]
        idx = limb_dofs("arms")
        e_none = energy_without_temporal(ctx, frame, fit, pred, idx)
        c = FitContext(ctx.body, ctx.ws, ctx.weights, imp, ctx.anchors)
        th = fit.theta.copy()
        th[idx] = limb_values("arms", vals, fit.seg_R[SEG["upper_thorax"]])
        pred_h = pred.copy()
        pred_h[idx] = th[idx]
        r = c.fit(frame, th, pred_h, self.held_retry_iterations)
        won = r.energy < e_none and self._held_seen(ctx, frame, r.theta, imp)
        self._wins[imp] = self._wins.get(imp, 0) + 1 if won else 0
        # two of its trials in a row (ten frames apart) must win: one frame's arms can line
        # up body points with a dumbbell or a bell
        if self._wins[imp] < 2:
            return fit
        self.held = imp
        self.held_while_tracking = True
        limbs.reseeded.update(idx)
        return r

