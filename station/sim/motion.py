"""Motion scripts for the synthetic athlete: standing, and sets of hinges, squats and deadlifts.

Every script returns a MotionTake (station.sim.take): poses in the floor frame (see
station.sim.pose) with the truth of every frame, and the reps as the analysis contract defines
them (specs/analysis-output.md), labelled by the independent truth labeller (station.sim.truth).

Scripts: stand, hinge_set, squat_set, deadlift_set here; walk_in, walk_out and a whole visit
(session) in station.sim.walking; station.sim.take.concat joins takes. Every script starts and
ends standing upright at its Stance, so takes built with the same Stance join without a jump.
A script moves the body between planted keyframes (feet on the floor) on the frame grid,
blended with a minimum-jerk profile; rep boundaries are the keyframes' frames.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Sequence

import numpy as np

from station.sim.kinematics import PoseParams, Proportions, _heading, lerp_params, pose_from_angles
from station.sim.pose import SIM_INDEX
from station.sim.take import MotionTake, finish_take
from station.sim.truth import (FULL_MIN_HIP_FLEXION_DEG, PARTIAL_MAX_HIP_FLEXION_DEG, RDL_DEFAULTS, LiftingZone,
                               RdlThresholds, RepTruth, judge_truth)


# ---------------------------------------------------------------------------------------------
# Stance and rep parameters

@dataclass(frozen=True)
class Stance:
    """Where and how the lifter stands: mid-ankle point, facing yaw (0 = facing the mirror).

    soft_knee_deg: knee flexion while standing tall (real people rarely lock their knees);
    grip_width_m: palm-to-palm distance of the hanging hands (wide = arms away from the body);
    elbow_flexion_deg: the elbows' bend while the arms hang.
    hip_flexion_deg, thoracic_flexion_deg, neck_flexion_deg: a relaxed standing posture (the
    contract's hip flexion; a slouch; the head forward). 0: the trunk along the thighs (with
    soft knees that leans it back by half the knee flexion; 0.5 x soft_knee_deg keeps it vertical).
    """

    feet_xy_m: tuple[float, float] = (0.0, 2.5)
    yaw_deg: float = 0.0
    stance_width_m: float = 0.25
    grip_width_m: float = 0.45
    arms: str = "hang"       # see ARM_HOLDS: hands hang, at the chest, a bar on the back, swinging a bell
    soft_knee_deg: float = 0.0
    elbow_flexion_deg: float = 5.0
    hip_flexion_deg: float = 0.0
    thoracic_flexion_deg: float = 0.0
    neck_flexion_deg: float = 0.0

    def __post_init__(self):
        if self.arms not in ARM_HOLDS:
            raise ValueError(f"arms={self.arms!r}: one of {', '.join(ARM_HOLDS)}")
        if abs(self.yaw_deg) > 45.0 + 1e-9:
            raise ValueError(f"yaw_deg={self.yaw_deg}: a lifting stance turns at most 45°")
        if not 0.1 <= self.stance_width_m <= 0.6:
            raise ValueError(f"stance_width_m={self.stance_width_m} is outside 0.1..0.6")

    def params(self) -> PoseParams:
        return PoseParams(feet_xy_m=tuple(self.feet_xy_m), yaw_deg=self.yaw_deg,
                          stance_width_m=self.stance_width_m, grip_width_m=self.grip_width_m,
                          knee_flexion_l_deg=self.soft_knee_deg, knee_flexion_r_deg=self.soft_knee_deg,
                          shank_lean_l_deg=0.5 * self.soft_knee_deg, shank_lean_r_deg=0.5 * self.soft_knee_deg,
                          hip_flexion_deg=self.hip_flexion_deg, thoracic_flexion_deg=self.thoracic_flexion_deg,
                          neck_flexion_deg=self.neck_flexion_deg,
                          **{"elbow_flexion_deg": self.elbow_flexion_deg, **ARM_HOLDS[self.arms]})


# How the arms hold the implement (PoseParams arm fields). "hang": hands below the shoulders
# (RDL, deadlift); "chest": hands crossed at the chest (bodyweight good morning); "back": a bar
# on the upper back, hands beside the shoulders (good morning); "swing": arms straight along
# the thorax holding a bell by its handle (the palms grip_width_m apart), swung forward at the
# top by HingeRepParams.swing_deg.
ARM_HOLDS: dict[str, dict] = {
    "hang": {},
    "chest": dict(arms_hang=False, shoulder_flexion_deg=25.0, elbow_flexion_deg=135.0),
    "back": dict(arms_hang=False, shoulder_flexion_deg=-35.0, elbow_flexion_deg=150.0),
    "swing": dict(arms_hang=False, shoulder_flexion_deg=8.0, elbow_flexion_deg=5.0, arms_together=True),
}


@dataclass(frozen=True)
class HingeRepParams:
    """One hinge rep. Angles in degrees (contract definitions), distances in metres, times in s.

    hip_flexion_deg: depth (contract hip flexion at the bottom); knee_flexion_deg at the bottom;
    spine_rounding_deg: spine_flexion at the bottom, ramping in with the lowering (split
    lumbar_share : 1 − lumbar_share between lumbar and thoracic); lockout_hip_flexion_deg:
    residual hip flexion at the top (held until the next rep); lean_back_hip_deg /
    lean_back_spine_deg: hip hyperextension / spine extension at the top (held briefly, then
    back to neutral when the top pause allows); lateral_shift_m: pelvis_lateral_shift at the
    bottom relative to the start; shank_lean_deg: forward shin lean at the bottom (None:
    whatever keeps the centre of mass, with an implement of 0.4 body mass in the hands, over
    the same point of the feet as standing; see balanced()). grip_reset: after arriving at the top, a pause with the arms
    re-gripping (elbows bend, grip widens) before the top pause. partial: a shallow dip that
    is not a rep (hip_flexion_deg ≤ PARTIAL_MAX_HIP_FLEXION_DEG).
    """

    hip_flexion_deg: float = 80.0
    knee_flexion_deg: float = 18.0
    spine_rounding_deg: float = 0.0
    lumbar_share: float = 0.5
    lockout_hip_flexion_deg: float = 0.0
    lean_back_hip_deg: float = 0.0
    lean_back_spine_deg: float = 0.0
    lateral_shift_m: float = 0.0
    shank_lean_deg: float | None = None
    eccentric_s: float = 1.6
    concentric_s: float = 1.2
    bottom_pause_s: float = 0.1
    top_pause_s: float = 0.8
    grip_reset: bool = False
    partial: bool = False
    swing_deg: float = 0.0          # kettlebell swing: shoulder flexion at the top (the bell floats)

    def __post_init__(self):
        if self.partial:
            if not 5.0 <= self.hip_flexion_deg <= PARTIAL_MAX_HIP_FLEXION_DEG:
                raise ValueError(f"a partial dip goes to 5..{PARTIAL_MAX_HIP_FLEXION_DEG}° hip flexion")
        elif not FULL_MIN_HIP_FLEXION_DEG <= self.hip_flexion_deg <= 120.0:
            raise ValueError(f"hip_flexion_deg={self.hip_flexion_deg}: a rep goes to "
                             f"{FULL_MIN_HIP_FLEXION_DEG}..120°")
        for name, lo, hi in (("knee_flexion_deg", 0, 110), ("spine_rounding_deg", -15, 45),
                             ("lockout_hip_flexion_deg", 0, 40), ("lean_back_hip_deg", 0, 25),
                             ("lean_back_spine_deg", 0, 30), ("lateral_shift_m", -0.15, 0.15),
                             ("eccentric_s", 0.3, 6), ("concentric_s", 0.3, 6),
                             ("bottom_pause_s", 0, 5), ("top_pause_s", 0, 10), ("lumbar_share", 0, 1)):
            v = getattr(self, name)
            if not lo <= v <= hi:
                raise ValueError(f"{name}={v} is outside {lo}..{hi}")

    def top_hip_flexion_deg(self) -> float:
        return self.lockout_hip_flexion_deg - self.lean_back_hip_deg

    def intended_faults(self, thresholds: RdlThresholds = RDL_DEFAULTS) -> list[str]:
        """The labels these parameters are meant to produce (truth comes from the angles)."""
        th, out = thresholds, []
        if self.knee_flexion_deg > th.knee_dominant_knee_deg or \
                self.hip_flexion_deg < th.knee_dominant_hip_per_knee * self.knee_flexion_deg:
            out.append("knee_dominant")
        if self.spine_rounding_deg > th.rounded_back_spine_deg:
            out.append("rounded_back")
        if self.top_hip_flexion_deg() > th.incomplete_lockout_hip_deg:
            out.append("incomplete_lockout")
        if self.top_hip_flexion_deg() < th.overextension_hip_deg or \
                -self.lean_back_spine_deg < th.overextension_spine_deg:
            out.append("overextension")
        if abs(self.lateral_shift_m) > th.hip_shift_m:
            out.append("hip_shift")
        if self.eccentric_s < th.too_fast_eccentric_s:
            out.append("too_fast")
        return out


@dataclass(frozen=True)
class SquatRepParams:
    """One squat rep (pattern "squat"): knees forward and hips down."""

    knee_flexion_deg: float = 100.0
    hip_flexion_deg: float = 95.0
    shank_lean_deg: float | None = None   # None: balanced() (centre of mass over the feet)
    spine_rounding_deg: float = 0.0
    eccentric_s: float = 1.5
    concentric_s: float = 1.2
    bottom_pause_s: float = 0.1
    top_pause_s: float = 0.8

    def __post_init__(self):
        if not 60.0 <= self.knee_flexion_deg <= 130.0:
            raise ValueError(f"knee_flexion_deg={self.knee_flexion_deg}: a squat bends the knees 60..130°")


# ---------------------------------------------------------------------------------------------
# Keyframe timelines

def min_jerk(s: np.ndarray | float) -> np.ndarray | float:
    """Minimum-jerk profile 10s³ − 15s⁴ + 6s⁵ on s in [0, 1] (zero velocity and acceleration at the ends)."""
    s = np.clip(s, 0.0, 1.0)
    return s * s * s * (10.0 - 15.0 * s + 6.0 * s * s)


class _Timeline:
    """Planted keyframes on a frame grid, blended with minimum-jerk between neighbours."""

    def __init__(self, fps: float, start: PoseParams):
        self.fps = fps
        self.keys: list[tuple[int, PoseParams]] = [(0, start)]

    @property
    def frame(self) -> int:
        return self.keys[-1][0]

    @property
    def t(self) -> float:
        return self.frame / self.fps

    @property
    def last(self) -> PoseParams:
        return self.keys[-1][1]

    def to(self, params: PoseParams, duration_s: float) -> float:
        """Move to `params` over duration_s (rounded to frames); returns the arrival time."""
        n = max(int(round(duration_s * self.fps)), 0)
        if n == 0:
            self.keys[-1] = (self.frame, params)
        else:
            self.keys.append((self.frame + n, params))
        return self.t

    def hold(self, duration_s: float) -> float:
        return self.to(self.last, duration_s)

    def sample(self) -> list[PoseParams]:
        out = [self.keys[0][1]]
        for (f0, a), (f1, b) in zip(self.keys[:-1], self.keys[1:]):
            for f in range(f0 + 1, f1 + 1):
                out.append(lerp_params(a, b, float(min_jerk((f - f0) / (f1 - f0)))))
        return out


def _sway(n: int, fps: float, rng: np.random.Generator, amplitude: float = 1.0) -> dict[str, np.ndarray]:
    """Postural sway and breathing, windowed to zero at both ends (0.5 s ramps)."""
    t = np.arange(n) / fps
    ramp = np.minimum(1.0, np.minimum(t, t[-1] - t) / 0.5) if n > 1 else np.zeros(n)
    w = np.sin(0.5 * np.pi * np.clip(ramp, 0, 1)) ** 2

    def osc(amp: float, f_hz: float) -> np.ndarray:
        ph = rng.uniform(0, 2 * np.pi, 2)
        return amplitude * amp * w * (0.7 * np.sin(2 * np.pi * f_hz * t + ph[0])
                                      + 0.3 * np.sin(2 * np.pi * 2.3 * f_hz * t + ph[1]))

    return {"lateral_shift_m": osc(0.006, 0.21), "hip_flexion_deg": osc(0.8, 0.15),
            "shank_lean_l_deg": osc(0.5, 0.17), "thoracic_flexion_deg": osc(0.6, 0.25),
            "neck_flexion_deg": osc(1.5, 0.1)}

# ---------------------------------------------------------------------------------------------
# Building takes

def _planted_poses(props: Proportions, params: list[PoseParams]) -> np.ndarray:
    return np.stack([pose_from_angles(props, p) for p in params])


def stand(props: Proportions, duration_s: float, stance: Stance = Stance(), fps: float = 30.0,
          seed: int = 0, sway: float = 1.0, zone: LiftingZone = LiftingZone()) -> MotionTake:
    """Standing upright with natural sway and breathing (zero at both ends)."""
    n = int(round(duration_s * fps)) + 1
    base = stance.params()
    sw = _sway(n, fps, np.random.default_rng(seed), sway)
    params = [replace(base, **{k: getattr(base, k) + float(v[i]) for k, v in sw.items()}) for i in range(n)]
    return finish_take(props, fps, _planted_poses(props, params), zone, [], [],
                   [("stand", 0.0, (n - 1) / fps)])


# Segment mass fractions (Dempster via Winter, table 4.1) and centre-of-mass positions along
# each segment from its proximal end.
_SEGMENT_MASS = (("head", "head", 0.081, 0.0), ("pelvis", "neck", 0.497, 0.5),
                 ("shoulder_l", "elbow_l", 0.028, 0.436), ("shoulder_r", "elbow_r", 0.028, 0.436),
                 ("elbow_l", "wrist_l", 0.016, 0.43), ("elbow_r", "wrist_r", 0.016, 0.43),
                 ("hand_l", "hand_l", 0.006, 0.0), ("hand_r", "hand_r", 0.006, 0.0),
                 ("hip_l", "knee_l", 0.100, 0.433), ("hip_r", "knee_r", 0.100, 0.433),
                 ("knee_l", "ankle_l", 0.0465, 0.433), ("knee_r", "ankle_r", 0.0465, 0.433),
                 ("heel_l", "toe_l", 0.0145, 0.5), ("heel_r", "toe_r", 0.0145, 0.5))


def centre_of_mass_m(pose: np.ndarray, implement_ratio: float = 0.0) -> np.ndarray:
    """Whole-body centre of mass (floor frame) of a pose; the implement (as a fraction of body
    mass) is held at the midpoint of the hands."""
    com = np.zeros(3)
    for a, b, frac, at in _SEGMENT_MASS:
        com += frac * (pose[SIM_INDEX[a]] + at * (pose[SIM_INDEX[b]] - pose[SIM_INDEX[a]]))
    com += implement_ratio * 0.5 * (pose[SIM_INDEX["hand_l"]] + pose[SIM_INDEX["hand_r"]])
    total = sum(m[2] for m in _SEGMENT_MASS) + implement_ratio
    return com / total


def balanced(props: Proportions, params: PoseParams, implement_ratio: float = 0.4) -> PoseParams:
    """The same pose with both shanks leaned so the centre of mass (with the implement) stays
    over the same point of the feet as when standing upright: hips go back as the trunk goes
    forward, even with straight knees."""
    f0, _ = _heading(params.yaw_deg)
    ref = pose_from_angles(props, replace(params, **_UPRIGHT))
    target = float(centre_of_mass_m(ref, implement_ratio) @ f0)

    def err(lean: float) -> float:
        pose = pose_from_angles(props, replace(params, shank_lean_l_deg=lean, shank_lean_r_deg=lean))
        return float(centre_of_mass_m(pose, implement_ratio) @ f0) - target

    x0, x1 = 0.0, 5.0
    e0, e1 = err(x0), err(x1)
    for _ in range(8):
        if abs(e1) < 1e-5 or e1 == e0:
            break
        x0, x1, e0 = x1, x1 - e1 * (x1 - x0) / (e1 - e0), e1
        x1 = float(np.clip(x1, -25.0, 50.0))
        e1 = err(x1)
    return replace(params, shank_lean_l_deg=x1, shank_lean_r_deg=x1)


_UPRIGHT = dict(shank_lean_l_deg=0.0, shank_lean_r_deg=0.0, knee_flexion_l_deg=0.0,
                knee_flexion_r_deg=0.0, hip_flexion_deg=0.0, lumbar_flexion_deg=0.0,
                thoracic_flexion_deg=0.0, lateral_shift_m=0.0)


def _bottom_hinge(props: Proportions, stance: PoseParams, r: HingeRepParams) -> PoseParams:
    lum = r.lumbar_share * r.spine_rounding_deg
    shank = 0.0 if r.shank_lean_deg is None else r.shank_lean_deg
    out = replace(stance, hip_flexion_deg=r.hip_flexion_deg,
                  knee_flexion_l_deg=r.knee_flexion_deg, knee_flexion_r_deg=r.knee_flexion_deg,
                  shank_lean_l_deg=shank, shank_lean_r_deg=shank,
                  lumbar_flexion_deg=lum, thoracic_flexion_deg=r.spine_rounding_deg - lum,
                  lateral_shift_m=stance.lateral_shift_m + r.lateral_shift_m)
    return balanced(props, out) if r.shank_lean_deg is None else out


def _top_hinge(neutral: PoseParams, r: HingeRepParams) -> PoseParams:
    soft = neutral.knee_flexion_l_deg  # the stance's soft knees
    knee = max(min(0.3 * r.lockout_hip_flexion_deg, 10.0), soft)
    shank = max(0.3 * knee, neutral.shank_lean_l_deg)
    lum = 0.6 * -r.lean_back_spine_deg
    top = replace(neutral, hip_flexion_deg=r.top_hip_flexion_deg(), knee_flexion_l_deg=knee,
                  knee_flexion_r_deg=knee, shank_lean_l_deg=shank, shank_lean_r_deg=shank,
                  lumbar_flexion_deg=lum, thoracic_flexion_deg=-r.lean_back_spine_deg - lum)
    if r.swing_deg and not neutral.arms_hang:
        top = replace(top, shoulder_flexion_deg=r.swing_deg)   # the hip snap floats the bell
    return top


def _grip_reset(tl: _Timeline) -> None:
    top = tl.last
    tl.to(replace(top, elbow_flexion_deg=35.0, grip_width_m=top.grip_width_m + 0.06,
                  hands_forward_m=top.hands_forward_m + 0.05), 0.5)
    tl.hold(0.2)
    tl.to(top, 0.5)


def hinge_set(props: Proportions, reps: Sequence[HingeRepParams], stance: Stance = Stance(),
              fps: float = 30.0, lead_in_s: float = 1.5, lead_out_s: float = 1.0, seed: int = 0,
              zone: LiftingZone = LiftingZone()) -> MotionTake:
    """A set of hinge reps (and partial dips) between two quiet standing periods."""
    return _rep_set(props, list(reps), stance, fps, lead_in_s, lead_out_s, seed, zone, "hinge")


def squat_set(props: Proportions, reps: Sequence[SquatRepParams], stance: Stance = Stance(),
              fps: float = 30.0, lead_in_s: float = 1.5, lead_out_s: float = 1.0, seed: int = 0,
              zone: LiftingZone = LiftingZone()) -> MotionTake:
    """A set of squats (pattern "squat"), judged by the rdl rules like any rep."""
    return _rep_set(props, list(reps), stance, fps, lead_in_s, lead_out_s, seed, zone, "squat")


def _rep_set(props, reps, stance, fps, lead_in_s, lead_out_s, seed, zone, pattern) -> MotionTake:
    neutral = stance.params()
    tl = _Timeline(fps, neutral)
    tl.hold(lead_in_s)
    t_lead_in = tl.t
    marks: list[tuple[RepTruth, bool]] = []
    for r in reps:
        if isinstance(r, HingeRepParams):
            bottom, top = _bottom_hinge(props, neutral, r), _top_hinge(neutral, r)
            pat, partial = "hinge", r.partial
        else:
            shank = 0.0 if r.shank_lean_deg is None else r.shank_lean_deg
            bottom = replace(neutral, hip_flexion_deg=r.hip_flexion_deg, knee_flexion_l_deg=r.knee_flexion_deg,
                             knee_flexion_r_deg=r.knee_flexion_deg, shank_lean_l_deg=shank,
                             shank_lean_r_deg=shank, lumbar_flexion_deg=0.5 * r.spine_rounding_deg,
                             thoracic_flexion_deg=0.5 * r.spine_rounding_deg)
            if r.shank_lean_deg is None:
                bottom = balanced(props, bottom)
            top, pat, partial = neutral, "squat", False
        start_t = tl.t
        bottom_t = tl.to(bottom, r.eccentric_s)
        tl.hold(r.bottom_pause_s)
        end_t = tl.to(top, r.concentric_s)
        marks.append((RepTruth(start_t, bottom_t, end_t, pat), partial))
        pause = r.top_pause_s
        if isinstance(r, HingeRepParams) and r.grip_reset:
            _grip_reset(tl)
        if isinstance(r, HingeRepParams) and (r.lean_back_hip_deg > 0 or r.lean_back_spine_deg > 0) \
                and pause >= 0.6:
            tl.hold(0.2)
            tl.to(neutral, pause - 0.2)
        else:
            tl.hold(pause)
    if tl.last != neutral:
        tl.to(neutral, 1.0)
    reps_t = [m for m, part in marks if not part]
    part_t = [m for m, part in marks if part]
    return _set_take(props, tl, fps, seed, zone, t_lead_in, lead_out_s, f"{pattern}_set", reps_t, part_t)


def _set_take(props: Proportions, tl: _Timeline, fps: float, seed: int, zone: LiftingZone, t_lead_in: float,
              lead_out_s: float, name: str, reps: list[RepTruth], partial: list[RepTruth]) -> MotionTake:
    """End a set standing for lead_out_s and make its take: quiet-standing sway in the lead-in
    and the lead-out, segments stand / `name` / stand."""
    t_set_end = tl.t
    tl.hold(lead_out_s)
    params = tl.sample()
    n = len(params)
    _sway_while_standing(params, fps, seed, t_lead_in, t_set_end)
    poses = _planted_poses(props, params)
    segs = [("stand", 0.0, t_lead_in), (name, t_lead_in, t_set_end), ("stand", t_set_end, (n - 1) / fps)]
    return finish_take(props, fps, poses, zone, reps, partial, segs)


def _sway_while_standing(params: list, fps: float, seed: int, t_lead_in: float, t_set_end: float) -> None:
    """Quiet-standing sway in the lead-in and the lead-out only (in place, seeded)."""
    n = len(params)
    rng = np.random.default_rng(seed)
    for a, b in ((0, int(round(t_lead_in * fps))), (int(round(t_set_end * fps)), n - 1)):
        if b - a >= 2:
            sw = _sway(b - a + 1, fps, rng)
            for i in range(a, b + 1):
                p = params[i]
                params[i] = replace(p, **{k: getattr(p, k) + float(v[i - a]) for k, v in sw.items()})


def deadlift_set(props: Proportions, reps: Sequence[HingeRepParams], stance: Stance = Stance(),
                 fps: float = 30.0, lead_in_s: float = 1.5, lead_out_s: float = 1.0, seed: int = 0,
                 zone: LiftingZone = LiftingZone()) -> MotionTake:
    """Deadlifts from the floor: step up to the bar, bend to it and set up (the first rep's
    bottom_pause_s), then per rep pull to lockout (concentric_s), hold (top_pause_s), lower the
    bar to the floor (eccentric_s) and rest there (bottom_pause_s); after the last rep, stand up
    without the bar. The rep parameters' hip and knee flexion are the floor position.

    Truth follows the deadlift's rep definition (station.form.reps, start_position "bottom"):
    start_t = the pull leaves the floor position, bottom_t = start_t (the deepest point is
    where the pull starts), end_t = the bar back at rest on the floor. The final stand-up is
    not a rep. Faults: the default deadlift profile's rules on the exact angles (concat
    re-labels reps with the rdl rules: call judge_truth(take, "deadlift") again after it).
    """
    neutral = stance.params()
    tl = _Timeline(fps, neutral)
    tl.hold(lead_in_s)
    t_lead_in = tl.t
    reps = list(reps)
    marks: list[RepTruth] = []
    first = reps[0]
    tl.to(_bottom_hinge(props, neutral, first), first.eccentric_s)     # the set-up descent
    tl.hold(max(first.bottom_pause_s, 0.6))
    for k, r in enumerate(reps):
        floor_pose = _bottom_hinge(props, neutral, r)
        if k:
            tl.to(floor_pose, 0.2)   # re-set the position between reps (usually a no-op)
        start_t = tl.t
        tl.to(_top_hinge(neutral, r), r.concentric_s)
        tl.hold(r.top_pause_s)
        end_t = tl.to(floor_pose, r.eccentric_s)
        marks.append(RepTruth(start_t, start_t, end_t, "hinge"))
        tl.hold(max(r.bottom_pause_s, 0.4))
    tl.to(neutral, 1.3)                 # stand up without the bar: not a rep
    take = _set_take(props, tl, fps, seed, zone, t_lead_in, lead_out_s, "deadlift_set", marks, [])
    judge_truth(take, "deadlift")
    return take
