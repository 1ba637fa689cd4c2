"""Limb search: re-seeding limbs stuck in a wrong local minimum of the fit.

Each limb (an arm, a leg, or both arms together on a kettlebell's handle) has a few standard
configurations (hypotheses). One is tried per frame in turn (the probe: a limb parked behind
the torso or swung past its points is found again within about a second), and a whole
search of the suspect limbs is spread over the following frames when the fit looks poor or
a forearm is hidden (a search of all four limbs, ~50 hypotheses, took 50-150 ms in one
frame). A hypothesis is kept when it lowers the energy; an arm's not when it is hidden at
the new place, unless the energy falls clearly (arm_evidence_ok). Besides, an arm is pointed
at the cloud's unexplained points near its shoulder every frame (station.fit.arm_reach).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from station.fit.arm_reach import bent_arm_seeds, point_angles, reach_hypotheses
from station.fit.body_model import DOF, DOF_LOWER, DOF_UPPER, SEG, BodyModel
from station.fit.implement_support import bar_support
from station.fit.solver import (
    FitResult,
    FitWeights,
    FrameData,
    Workspace,
    body_for_pose,
    fit_frame,
    temporal_weights,
)

# limb configurations tried when (re)initialising: (flexion, abduction[, knee/elbow]) radians
LIMB_DOFS = {
    "arm_l": ("shoulder_l_flex", "shoulder_l_abd", "elbow_l_flex"),
    "arm_r": ("shoulder_r_flex", "shoulder_r_abd", "elbow_r_flex"),
    "leg_l": ("hip_l_flex", "hip_l_abd", "knee_l_flex"),
    "leg_r": ("hip_r_flex", "hip_r_abd", "knee_r_flex"),
}
ALL_LIMBS = ("arm_l", "arm_r", "leg_l", "leg_r")
_D = math.pi / 180
_DOWN = np.array([0.0, 0.0, -1.0])
# An arm hypothesis whose flexion is HANG (+ an offset, radians) is placed relative to gravity,
# not to the trunk: the upper arm straight down from the shoulder in the floor frame (its
# flexion and abduction from the thorax's orientation), plus the offset's forward flexion and
# the hypothesis's own abduction. A lifter bent over at the bottom of a rep lets the arms or
# the bell hang; the trunk-relative hypotheses (a hanging arm at 0 deg flexion) then point
# the arm along the trunk, up behind the hips, and none starts near the truth (heavy lifters,
# kettlebells: an arm parked behind the back at the extension limit was never found again).
HANG = 1000.0
# An arm hypothesis whose flexion and abduction are KEEP leaves the shoulder where it is and
# sets the elbow, with the upper arm's twist back to 0: a forearm folded the wrong way to the
# elbow's limit (the twist turned the fold backwards) with the upper arm right. Arms held
# away from the body (a mocap toe touch, standing between reps): the upper arm fitted, the
# forearm folded 135-150 deg against the truth's 40, the wrist 0.4 m off; in place, unfolded
# and untwisted, the energy fell 201 -> 155 (the truth's own, refitted: 155).
KEEP = 2000.0
# A leg hypothesis whose values are MIRROR copies the other leg (hip flexion, abduction and
# rotation, knee, ankle: the DOF conventions mirror each other, so the same values are the
# mirrored pose). A leg fitted into the other's points (a lifter turned from the camera, the
# far leg hidden behind the near one) stays crossed behind it: every standard hypothesis
# starts from the pelvis straight down, and the LM slides back into the crossed minimum
# (mesh_R_faults3, 1.6 s: the near leg's copy, refitted, energy 200 -> 143, ankles 16 mm off).
# Tried only while the legs differ: on legs alike the copy is a near no-op that a refit
# without the legs' temporal term still takes now and then, nudging the standing frames the
# leg length is measured on (mesh_C's ratio 1.015 -> 1.010, as a probe hypothesis)
MIRROR = 3000.0
MIRROR_LEG = (MIRROR, MIRROR, MIRROR)
LEG_DIFFER_RAD = 10 * math.pi / 180   # legs this far apart (hip or knee flexion): mirror each frame
LIMB_HYPOTHESES = {
    "arm": tuple((f * _D, a * _D, e * _D) for f, a, e in (
        (0, 6, 8), (0, 45, 8), (0, 90, 8), (0, 135, 8), (60, 10, 8), (95, 10, 8), (150, 10, 8),
        (40, 10, 90), (-30, 10, 8), (60, 45, 30), (25, -20, 15), (10, -15, 40),
        (0, 30, 40), (-30, 40, 40), (30, 30, 10), (120, 40, 20),
        (90, -25, 10), (120, -20, 10),     # reaching across the body (a twisting toe touch)
        # folded: hands at the chest (a bodyweight good morning) or beside the shoulders (a
        # bar on the back); from hanging, the LM never folds an elbow this far by itself
        (25, 5, 135), (0, 10, 145), (-35, 10, 150))) + (
        # hanging under gravity, and a little ahead of it (holding something in front)
        (HANG, 6 * _D, 8 * _D), (HANG + 20 * _D, -6 * _D, 8 * _D),
        (KEEP, KEEP, 30 * _D)),
    # both arms at once, hands together at the midline (a kettlebell's grip): swing heights
    "arms": tuple((f * _D, a * _D, e * _D) for f, a, e in (
        (15, -10, 10), (40, -8, 10), (70, -6, 10), (100, -5, 10), (-10, -10, 10))) + (
        (HANG + 8 * _D, -8 * _D, 8 * _D),),
    "leg": tuple((f * _D, a * _D, k * _D) for f, a, k in (
        (0, 0, 0), (0, 15, 0), (0, 30, 0), (25, 5, 10), (-15, 5, 5), (60, 5, 60))),
}


AT_LIMIT_RAD = 2 * _D     # a DOF this near one of its bounds sits on its limit
_NECK_DOFS = (DOF["neck_flex"], DOF["neck_lat"])
_TWIST_DOFS = (DOF["lumbar_twist"], DOF["thorax_twist"])
_SIDE_BEND_DOFS = (DOF["lumbar_lat"], DOF["thorax_lat"])
# The pelvis's pitch and the spine's bends: a trunk that moves one of them, or the spine's
# bend as a whole (their sum: the lumbar tied to the thorax spreads a fold over both, 8 and
# 11 deg where the thorax alone had taken 21), this far from the track's prediction in one
# frame is checked against the predicted trunk with the arms placed afresh
# (LimbSearch.unfold_jump)
_TRUNK_PITCH_DOFS = np.array([DOF[k] for k in ("root_pitch", "lumbar_flex", "thorax_flex", "upper_thorax_flex")])
_SPINE_BEND_DOFS = _TRUNK_PITCH_DOFS[1:]
TRUNK_JUMP_RAD = 12 * _D
_ARM_PAIRS = tuple((DOF[f"{j}_l_{m}"], DOF[f"{j}_r_{m}"]) for j, m in (
    ("shoulder", "flex"), ("shoulder", "abd"), ("shoulder", "rot"), ("elbow", "flex")))


def trunk_jump_rad(theta: np.ndarray, pred: np.ndarray) -> float:
    """How far the trunk moved from the prediction: the largest change of the pelvis's pitch,
    of one of the spine's bends, or of their sum."""
    d = theta - pred
    return max(float(np.max(np.abs(d[_TRUNK_PITCH_DOFS]))), abs(float(np.sum(d[_SPINE_BEND_DOFS]))))


def _at_limit(theta: np.ndarray, dofs: tuple[int, ...]) -> bool:
    """Whether any of these DOFs sits within AT_LIMIT_RAD of one of its bounds."""
    return any(theta[i] > DOF_UPPER[i] - AT_LIMIT_RAD or theta[i] < DOF_LOWER[i] + AT_LIMIT_RAD
               for i in dofs)


def _untwisted(theta: np.ndarray) -> list[tuple[list[int], np.ndarray]]:
    """(re-seeded DOFs, pose) of unfold_trunk's hypotheses: the twists at 0; the twists and
    the side bend at 0 with the two arms' values exchanged (the DOF conventions mirror each
    other, so the same values are the mirrored pose)."""
    a = theta.copy()
    a[list(_TWIST_DOFS)] = 0.0
    b = a.copy()
    b[list(_SIDE_BEND_DOFS)] = 0.0
    arms = [i for pair in _ARM_PAIRS for i in pair]
    for i_l, i_r in _ARM_PAIRS:
        b[i_l], b[i_r] = theta[i_r], theta[i_l]
    return [(list(_TWIST_DOFS), a), (list(_TWIST_DOFS) + list(_SIDE_BEND_DOFS) + arms, b)]

HANG_ARM = LIMB_HYPOTHESES["arm"][-3]      # (HANG, 6 deg, 8 deg): one arm straight down
HANG_ARMS = LIMB_HYPOTHESES["arms"][-1]    # both down to a handle at the midline


def hypotheses(limb: str) -> tuple:
    """The configurations tried for a limb ("arm_l", ..., or "arms": both together)."""
    return LIMB_HYPOTHESES["arms" if limb == "arms" else limb[:3]]


def hang_angles(thorax_R: np.ndarray, side: str) -> tuple[float, float]:
    """(flexion, abduction) radians of the shoulder (side "l" or "r") that point the upper arm
    straight down in the floor frame, for a thorax with this orientation (floor <- thorax)
    (arm_reach.point_angles says how the angles turn the arm)."""
    return point_angles(thorax_R, _DOWN, side)


def limb_values(limb: str, vals: tuple, thorax_R: np.ndarray,
                current: np.ndarray | None = None) -> np.ndarray:
    """A hypothesis's values for the DOFs limb_dofs(limb) sets; a HANG flexion resolved
    against gravity for this thorax (hang_angles), KEEP from current (those DOFs' values now)."""
    sides = ("l", "r") if limb == "arms" else ((limb[-1],) if limb.startswith("arm") else (None,))
    out = []
    for k, side in enumerate(sides):
        f, a, e = vals
        if f >= KEEP - 1.0:   # (MIRROR never reaches here: try_limb sets it)
            f, a = float(current[3 * k]), float(current[3 * k + 1])
        elif side is not None and f >= HANG - 1.0:
            hf, ha = hang_angles(thorax_R, side)
            f, a = hf + (f - HANG), ha + a
        out += [f, a, e]
    return np.array(out)


def limb_dofs(limb: str) -> list[int]:
    """The DOF indices a hypothesis of this limb ("arm_l", ..., "arms") sets (a new list)."""
    return list(_LIMB_DOFS[limb])


_LIMB_DOFS = {limb: tuple(DOF[d] for part in (("arm_l", "arm_r") if limb == "arms" else (limb,))
                          for d in LIMB_DOFS[part])
              for limb in ALL_LIMBS + ("arms",)}
_WHOLE_LEG = {side: tuple(DOF[f"{j}_{side}_{m}"] for j, m in (
    ("hip", "flex"), ("hip", "abd"), ("hip", "rot"), ("knee", "flex"), ("ankle", "flex")))
    for side in ("l", "r")}


def legs_differ(theta: np.ndarray, rad: float = LEG_DIFFER_RAD) -> bool:
    """Whether the two legs' hip or knee flexion differ by at least rad."""
    return any(abs(theta[DOF[f"{j}_l_flex"]] - theta[DOF[f"{j}_r_flex"]]) >= rad
               for j in ("hip", "knee"))


# the probe's turns: every limb's hypotheses in order; holding a kettlebell, then both arms'
# together, twice
_PROBES = tuple((limb, v) for limb in ALL_LIMBS for v in hypotheses(limb))
_PROBES_KETTLEBELL = _PROBES + tuple(("arms", v) for v in LIMB_HYPOTHESES["arms"]) * 2


@dataclass
class FitContext:
    """What a fit of this frame needs besides the pose: the body and its workspace, the
    energy's weights (for this frame's depth noise), the implement in the hands and the
    feet anchors."""

    body: BodyModel
    ws: Workspace
    weights: FitWeights
    implement: str | None
    anchors: np.ndarray | None

    def fit(self, frame: FrameData, theta: np.ndarray, pred: np.ndarray | None,
            n_iter: int, observe_rest: bool = True) -> FitResult:
        # the body as it hangs in this pose (its drape when bent over): the one place that
        # fits it, for the tracker's own fit (Tracker._fit) and every hypothesis alike
        return fit_frame(body_for_pose(self.body, theta, self.ws), frame, theta, pred, self.weights,
                         n_iter=n_iter, ws=self.ws, implement=self.implement, anchors_floor_m=self.anchors,
                         observe_rest=observe_rest)

    def bar_need(self, frame: FrameData, theta: np.ndarray) -> "BarNeed":
        """With a bar, a hypothesis must keep half the bar's support at theta (a bar that
        does not pull can otherwise be swung through the body to "explain" it)."""
        return BarNeed(self, frame, theta)


class BarNeed:
    """The support a hypothesis must keep, measured only when a hypothesis is good enough
    to be checked (most are not); 0 without a bar."""

    def __init__(self, ctx: FitContext, frame: FrameData, theta: np.ndarray):
        self._args = (ctx, frame, theta)
        self._value: float | None = None if ctx.implement == "bar" else 0.0

    @property
    def value(self) -> float:
        if self._value is None:
            ctx, frame, theta = self._args
            self._value = 0.5 * bar_support(ctx.body, theta, frame.points_floor_m, ctx.ws,
                                            ctx.weights)
        return self._value


ARM_SEEN_POINTS = 5   # an arm explaining fewer points than this is hidden
_ARM_SEGS = {limb: np.array([SEG[f"{part}_{side}"] for side in (("l", "r") if limb == "arms" else (limb[-1],))
                              for part in ("upper_arm", "forearm")])
             for limb in ("arm_l", "arm_r", "arms")}


def arm_evidence_ok(limb: str, cur: FitResult, hyp: FitResult, e_cur: float,
                    margin: float) -> bool:
    """May an arm be re-seeded from cur to hyp (whose energy is below e_cur)? Not to where
    its own segments explain fewer than ARM_SEEN_POINTS data points and no more than in cur
    (hidden there, behind the torso), unless the energy falls by more than margin (the data
    term counts 1 per unexplained point of a 1000-point cloud). A hidden arm explains no
    points anywhere: the re-seed would move it on energy differences that come from the rest
    of the refit, a few units that a RANSAC seed flips (mocap_warmup@mesh, 2.8 s: a hidden
    arm re-seeded to another hidden place on a drop of 4.7, its wrist 0.05 -> 0.65 m off)."""
    if limb not in _ARM_SEGS or hyp.energy < e_cur - margin:
        return True
    seg = _ARM_SEGS[limb]
    n_hyp = float(hyp.seg_point_count[seg].sum())
    return n_hyp >= ARM_SEEN_POINTS or n_hyp > float(cur.seg_point_count[seg].sum())


_TEMPORAL_CACHE: dict = {}


def temporal_weights_cached(w: FitWeights) -> np.ndarray:
    """temporal_weights(w), made once per set of its three sigmas (read only: shared). Every
    probe reads it (~15 us a call made afresh)."""
    key = (w.temporal_sigma_rad, w.temporal_sigma_m, w.roll_temporal_sigma_rad)
    tw = _TEMPORAL_CACHE.get(key)
    if tw is None:
        if len(_TEMPORAL_CACHE) >= 16:
            _TEMPORAL_CACHE.clear()
        tw = _TEMPORAL_CACHE[key] = temporal_weights(w)
        tw.flags.writeable = False
    return tw


def energy_without_temporal(ctx: FitContext, frame: FrameData, cur: FitResult,
                             pred: np.ndarray, idx: list[int]) -> float:
    """cur's energy with the DOFs idx left out of the temporal term (their target set to
    cur's own values): from cur's energy, less those DOFs' temporal terms, when cur was
    fitted towards pred on every other DOF (the tracker's fits are); else evaluated."""
    if cur.theta_pred is not None:
        # every DOF but idx has cur's target (np.array_equal of the rest: a NaN differs too)
        differs = cur.theta_pred != pred
        differs[idx] = False
        if not differs.any():
            dt = cur.theta[idx] - cur.theta_pred[idx]
            return float(cur.energy - np.sum(temporal_weights_cached(ctx.weights)[idx] * dt * dt))
    pred_c = pred.copy()
    pred_c[idx] = cur.theta[idx]
    return ctx.fit(frame, cur.theta, pred_c, 0).energy


def _refit_reseeded(ctx: FitContext, frame: FrameData, cur: FitResult, pred: np.ndarray | None,
                    th: np.ndarray, idx: list, n_iter: int,
                    e_cur: float | None = None) -> tuple[FitResult | None, float]:
    """Fit from th, cur with the DOFs idx re-seeded: (the fit if it lowers the energy else
    None, cur's comparable energy). The re-seeded DOFs are left out of the temporal term on
    both sides of the comparison (LimbSearch.try_limb says why)."""
    if pred is not None:
        pred_h = pred.copy()
        pred_h[idx] = th[idx]
        if e_cur is None:
            e_cur = energy_without_temporal(ctx, frame, cur, pred, idx)
    else:
        pred_h, e_cur = None, cur.energy
    r = ctx.fit(frame, th, pred_h, n_iter)
    return (None if r.energy >= e_cur else r), e_cur


class LimbSearch:
    """The probe and the spread-out search of one track (see the module docstring).

    pending: (limb, hypothesis) still to try, in order; reseeded: DOF indices re-seeded this
    frame (their velocity is reset by the tracker).
    """

    def __init__(self, per_frame: int, per_frame_poor: int, probe_iterations: int,
                 every_frames: int, inlier_drop: float, residual_m: float,
                 hidden_fraction: float, probe_every_frames: int = 1,
                 arm_evidence_margin: float = 0.0, reach_min_points: int = 0):
        self.per_frame, self.per_frame_poor = per_frame, per_frame_poor
        self.probe_iterations = probe_iterations
        self.probe_every_frames = probe_every_frames
        self.every_frames = every_frames
        self.inlier_drop, self.residual_m = inlier_drop, residual_m
        self.hidden_fraction = hidden_fraction
        self.arm_evidence_margin = arm_evidence_margin
        self.reach_min_points = reach_min_points
        self.reseeded: set = set()
        self.reset()

    @classmethod
    def from_config(cls, cfg) -> LimbSearch:
        """The search of a track with this TrackerConfig's settings."""
        return cls(cfg.search_per_frame, cfg.search_per_frame_poor, cfg.probe_iterations,
                   cfg.recover_every_frames, cfg.recover_inlier_drop, cfg.recover_residual_m,
                   cfg.recover_hidden_fraction, cfg.probe_every_frames,
                   cfg.arm_evidence_margin, cfg.reach_min_points)

    def reset(self) -> None:
        self.pending: list = []
        self.poor = False           # the pending search is for a poor fit (faster)
        self.suspect_poor = False
        self.since = 0              # frames since the last search (-1 while one is pending)
        self.probe_i = 0
        self.probe_tick = 0
        self.hang_turn = False      # this probe lets the arms hang (every other one, holding)
        self.hang_i = 0
        self.reach_i = 0
        self.mirror_i = 0

    def search_all(self, poor: bool = True) -> None:
        """Queue a search of every limb (after a re-acquisition: they may be anywhere)."""
        self.pending = [(limb, v) for limb in ALL_LIMBS for v in hypotheses(limb)]
        self.poor = poor

    def step(self, ctx: FitContext, frame: FrameData, fit: FitResult, pred: np.ndarray | None,
             inlier_ref: float, extra_resid_m: float, held: str | None) -> FitResult:
        """This frame's share: queue a search when one is due, try the next few pending
        hypotheses, then the probe."""
        if pred is not None and not self.pending and self.since >= self.every_frames:
            limbs = self.suspect_limbs(fit, inlier_ref, extra_resid_m, held)
            self.pending = [(limb, v) for limb in limbs for v in hypotheses(limb)]
            self.poor = self.suspect_poor
        if self.pending and pred is not None:
            fit = self._search_step(ctx, frame, fit, pred)
            self.since = 0 if not self.pending else -1
        if self.reach_min_points > 0 and pred is not None and ctx.implement is None:
            fit = self._reach(ctx, frame, fit, pred)
        self.probe_tick += 1
        if self.probe_iterations > 0 and self.probe_tick % self.probe_every_frames == 0:
            fit = self._probe(ctx, frame, fit, pred, held)
        if self.probe_iterations > 0 and pred is not None and legs_differ(fit.theta):
            fit = self._mirror_leg(ctx, frame, fit, pred)
        return fit

    def _mirror_leg(self, ctx: FitContext, frame: FrameData, fit: FitResult,
                    pred: np.ndarray) -> FitResult:
        """While the legs differ (legs_differ), each frame one leg in turn is tried as the
        other's copy (MIRROR_LEG), kept when it lowers the energy: the probe comes back to a
        leg only every ~1.5 s, and a crossed leg skews the hip and knee angles meanwhile."""
        self.mirror_i += 1
        limb = ("leg_l", "leg_r")[self.mirror_i % 2]
        r, _ = self.try_limb(ctx, frame, fit, pred, limb, MIRROR_LEG, self.probe_iterations)
        return fit if r is None else r

    def search(self, ctx: FitContext, frame: FrameData, theta: np.ndarray,
               pred: np.ndarray | None, limbs: tuple[str, ...] = ALL_LIMBS,
               n_iter: int = 6) -> np.ndarray:
        """All hypotheses of each limb in turn, now (the rest of the pose fixed), each refined
        by a few LM steps; keeps what lowers the energy. Escapes the local minima of limbs far
        from where the previous pose put them (an arm raised to the side at the start)."""
        cur = ctx.fit(frame, theta, pred, 0)
        need = ctx.bar_need(frame, theta)
        for limb in limbs:
            e_cur = None   # the current pose's energy without this limb's temporal term
            for vals in hypotheses(limb):
                r, e_cur = self.try_limb(ctx, frame, cur, pred, limb, vals, n_iter, need, e_cur)
                if r is not None:
                    cur, e_cur = r, None
        return cur.theta

    def try_limb(self, ctx: FitContext, frame: FrameData, cur: FitResult,
                 pred: np.ndarray | None, limb: str, vals: tuple, n_iter: int,
                 bar_need: BarNeed | None = None,
                 e_cur: float | None = None) -> tuple[FitResult | None, float]:
        """Fit `cur` with one limb set to a hypothesis; (the fit if it lowers the energy
        else None, cur's comparable energy: pass it back for the same limb and cur).

        The limb's own DOFs are left out of the temporal term on both sides of the
        comparison: the hypothesis is a re-seed, not a motion, and an arm that really
        swung 2 rad since the last frame would otherwise never be taken back (the temporal
        cost of the jump outweighs the points it explains). Re-seeded DOFs are remembered
        (self.reseeded) so that their velocity is reset."""
        th = cur.theta.copy()
        if vals[0] >= MIRROR - 1.0:    # the other leg's copy
            idx = list(_WHOLE_LEG[limb[-1]])
            th[idx] = cur.theta[list(_WHOLE_LEG["r" if limb[-1] == "l" else "l"])]
        else:
            idx = limb_dofs(limb)
            th[idx] = limb_values(limb, vals, cur.seg_R[SEG["upper_thorax"]], cur.theta[idx])
        if KEEP - 1.0 <= vals[0] < MIRROR - 1.0:   # unfolded in place: the upper arm's twist back to 0 too
            twist = [DOF[f"shoulder_{side}_rot"] for side in
                     (("l", "r") if limb == "arms" else (limb[-1],))]
            th[twist] = 0.0
            idx = idx + twist
        r, e_cur = _refit_reseeded(ctx, frame, cur, pred, th, idx, n_iter, e_cur)
        if r is None or (self.arm_evidence_margin > 0 and not arm_evidence_ok(
                limb, cur, r, e_cur, self.arm_evidence_margin)):
            return None, e_cur
        if ctx.implement == "bar" and bar_support(ctx.body, r.theta, frame.points_floor_m,
                                                  ctx.ws, ctx.weights) < (
                0.0 if bar_need is None else bar_need.value):
            return None, e_cur
        self.reseeded.update(idx)
        return r, e_cur

    def unfold(self, ctx: FitContext, frame: FrameData, fit: FitResult,
               pred: np.ndarray | None) -> FitResult:
        """A head or a trunk folded to a limit, re-seeded (unfold_head, unfold_trunk); a trunk
        that jumped, against the predicted one with the arms placed afresh (unfold_jump)."""
        fit = self.unfold_trunk(ctx, frame, self.unfold_head(ctx, frame, fit, pred), pred)
        return self.unfold_jump(ctx, frame, fit, pred)

    def unfold_jump(self, ctx: FitContext, frame: FrameData, fit: FitResult,
                    pred: np.ndarray | None, n_iter: int = 6) -> FitResult:
        """A trunk whose pitch or bend moved TRUNK_JUMP_RAD or more from the prediction in
        one frame (trunk_jump_rad) is compared with the predicted pose, its arms searched
        afresh (search) and refitted; the one of least energy is kept. Turning side-on while
        standing up (mocap_warmup, the capsule athlete), a forearm misplaced outside the
        person's mask was hidden behind the body by tipping the pelvis 16 deg back and
        flexing the thorax 27 deg in one frame (a back read 55-66 deg rounded for four
        frames): that fold's energy, 280, is below the upright pose's, 338, while the arm
        stays where it was, and above it, 206, once the arm is searched (bent, behind the
        trunk). Rare (a jump of the trunk), so it affords a search of both arms."""
        if pred is None:
            return fit
        if trunk_jump_rad(fit.theta, pred) < TRUNK_JUMP_RAD:
            return fit
        th = self.search(ctx, frame, pred, pred, limbs=("arm_l", "arm_r"), n_iter=n_iter)
        return self._reseed_best(ctx, frame, fit, pred, [(limb_dofs("arms"), th)], n_iter)

    def unfold_head(self, ctx: FitContext, frame: FrameData, fit: FitResult,
                    pred: np.ndarray | None, n_iter: int = 3) -> FitResult:
        """A head folded to a limit of the neck (flexion or lateral bend within
        AT_LIMIT_RAD of it) is re-seeded at the neck's rest, kept when that lowers the
        energy. At the bottom of a twisting toe touch the head hangs among the knees; the
        fit's head went with them to the neck's limits (70 deg flexed, 40 deg to the side)
        and stayed there, folded onto the chest, after the lifter stood up (the capsule
        athlete, mocap_toe_touch: head 0.29 m off for 2.5 s): the points of the real head
        lie beyond the data term's gate, nothing pulls it back."""
        if not _at_limit(fit.theta, _NECK_DOFS):
            return fit
        idx = list(_NECK_DOFS)
        th = fit.theta.copy()
        th[idx] = (ctx.body.standing_rest.neck_rad, 0.0)
        return self._reseed_best(ctx, frame, fit, pred, [(idx, th)], n_iter)

    def unfold_trunk(self, ctx: FitContext, frame: FrameData, fit: FitResult,
                     pred: np.ndarray | None, n_iter: int = 6) -> FitResult:
        """A trunk twisted to a limit (lumbar or thorax twist within AT_LIMIT_RAD of it)
        is re-seeded untwisted; and untwisted with the side bend undone and the arms' values
        exchanged (each arm where the twist had put the other); the one of least energy is
        kept when it lowers the energy. In a windmill side bend (mocap_warmup@mesh, 3.0-3.9 s)
        a fit that lagged the bend twisted the lumbar and the thorax to their limits (-30 and
        -35 deg) and bent the other way, the arms following the wrong sides' points (wrists
        1.0-1.3 m off for a second); as the flip began, untwisted, the frame's energy fell 573
        -> 504 (3 iterations), or, further in, with the side bend undone and the arms
        exchanged, 326 -> 235 (6 iterations; untwisted alone it rose). A lifter really
        twisted that far explains the cloud better twisted, and stays so. Rare (a twist on
        its limits), so it affords 6 iterations."""
        if not _at_limit(fit.theta, _TWIST_DOFS):
            return fit
        return self._reseed_best(ctx, frame, fit, pred, _untwisted(fit.theta), n_iter)

    def _reseed_best(self, ctx: FitContext, frame: FrameData, fit: FitResult,
                     pred: np.ndarray | None, hyps: list[tuple[list[int], np.ndarray]],
                     n_iter: int) -> FitResult:
        """Of the hypotheses ((re-seeded DOFs, pose) each; each compared with fit on its own
        DOFs' terms, _refit_reseeded), the refit of least energy among those that lower the
        energy, its DOFs marked re-seeded; fit when none does."""
        best, best_idx = None, None
        for idx, th in hyps:
            r, _ = _refit_reseeded(ctx, frame, fit, pred, th, idx, n_iter)
            if r is not None and (best is None or r.energy < best.energy):
                best, best_idx = r, idx
        if best is None:
            return fit
        self.reseeded.update(best_idx)
        return best

    def _probe(self, ctx: FitContext, frame: FrameData, fit: FitResult,
               pred: np.ndarray | None, held: str | None) -> FitResult:
        """One hypothesis per frame, in turn (arms, legs; both arms together when a
        kettlebell is held), kept when it lowers the energy: a limb stuck in a wrong local
        minimum is found again within about a second, at a steady small cost per frame."""
        # with an implement in the hands, every other probe lets the arms hang (both on the
        # handle with a kettlebell, else each in turn): they hang most of the time then, and
        # the bottom of a rep, where an arm lost on the way down must be found, lasts well
        # under a second. Not without one: hands held at the chest (a bodyweight good
        # morning) are fitted folded with a higher energy than hanging on the capsule athlete
        # (data lower, silhouette and free space higher), and the frequent probe let them
        # drop (tests/fit/test_arms.py)
        self.hang_turn = ctx.implement is not None and not self.hang_turn
        if self.hang_turn:
            self.hang_i += 1
            if held == "kettlebell":
                limb, vals = "arms", HANG_ARMS
            else:
                limb, vals = ("arm_l", "arm_r")[self.hang_i % 2], HANG_ARM
        else:
            probes = _PROBES_KETTLEBELL if held == "kettlebell" else _PROBES
            limb, vals = probes[self.probe_i % len(probes)]
            self.probe_i += 1
        need = ctx.bar_need(frame, fit.theta)
        r, _ = self.try_limb(ctx, frame, fit, pred, limb, vals, self.probe_iterations, need)
        return fit if r is None else r

    def _reach(self, ctx: FitContext, frame: FrameData, fit: FitResult,
               pred: np.ndarray) -> FitResult:
        """An arm pointed at the unexplained points near its shoulder (station.fit.arm_reach),
        kept when it lowers the energy; one arm a frame (the one with more points, the other
        every other frame). Not with an implement in the hands: a bar's or a bell's points
        beyond the hands are not an arm's."""
        hyps = reach_hypotheses(ctx.body, fit, frame.points_floor_m, ctx.weights.data_gate_m,
                                self.reach_min_points)
        if not hyps:
            return fit
        self.reach_i += 1
        limb, vals, arm_points = hyps[self.reach_i % 2 if len(hyps) > 1 else 0]
        r, _ = self.try_limb(ctx, frame, fit, pred, limb, vals, self.probe_iterations)
        if r is not None:
            return r
        # not reached straight: the arm bent towards its points' far end (the start nearest
        # the data of a few elbow places), refitted with the upper arm's twist
        seeds = bent_arm_seeds(ctx.body, fit, arm_points, limb[-1])
        if not seeds:
            return fit
        idx = limb_dofs(limb) + [DOF[f"shoulder_{limb[-1]}_rot"]]
        th = min(seeds, key=lambda t: ctx.fit(frame, t, None, 0).energy)
        r, e_cur = _refit_reseeded(ctx, frame, fit, pred, th, idx, self.probe_iterations)
        if r is None or (self.arm_evidence_margin > 0
                         and not arm_evidence_ok(limb, fit, r, e_cur, self.arm_evidence_margin)):
            return fit
        self.reseeded.update(idx)
        return r

    def _search_step(self, ctx: FitContext, frame: FrameData, fit: FitResult,
                     pred: np.ndarray) -> FitResult:
        """The next `per_frame` (`per_frame_poor` for a poor fit) pending hypotheses, each
        kept when it lowers the energy."""
        need = ctx.bar_need(frame, fit.theta)
        e_cur, last = None, None
        per = self.per_frame_poor if self.poor else self.per_frame
        for _ in range(min(per, len(self.pending))):
            limb, vals = self.pending.pop(0)
            if limb != last:
                e_cur, last = None, limb
            r, e_cur = self.try_limb(ctx, frame, fit, pred, limb, vals, 3, need, e_cur)
            if r is not None:
                fit, e_cur = r, None
        return fit

    def suspect_limbs(self, fit: FitResult, inlier_ref: float, extra_resid_m: float,
                      held: str | None) -> tuple[str, ...]:
        """Limbs worth re-seeding: all when the fit explains the cloud poorly (relative to
        this track's usual inlier fraction: plates, a bench or a rack in the blob lower it
        for good, and that is no reason to search); an arm whose camera-facing surface is
        almost all hidden behind observed points (an arm 'parked' behind the torso while its
        points are explained by something else)."""
        self.suspect_poor = (fit.inlier_fraction < inlier_ref - self.inlier_drop
                             or fit.mean_abs_residual_m > self.residual_m + extra_resid_m)
        if self.suspect_poor:
            if held == "kettlebell":   # both hands on the handle: move them together
                return ("arms",) + ALL_LIMBS
            return ALL_LIMBS
        vis = fit.seg_visibility
        out = []
        for limb, seg in (("arm_l", "forearm_l"), ("arm_r", "forearm_r")):
            facing, _, occluded, _ = vis[SEG[seg]]
            if facing >= 5 and occluded > self.hidden_fraction * facing:
                out.append(limb)
        if out and held == "kettlebell":
            out.insert(0, "arms")
        return tuple(out)
