"""Motion scripts for the synthetic athlete, each with its ground truth.

Every script returns a MotionTake: poses in the floor frame (see station.sim.pose), the true
contract angles of every frame (station.form.angles, up = floor z), and the reps as the
analysis contract defines them (specs/analysis-output.md), with fault labels under the default
`rdl` rules.

Scripts: stand, walk_in, walk_out, hinge_set, squat_set; `concat` joins takes. Every script
starts and ends standing upright at its Stance (walk_in ends there, walk_out starts there), so
takes built with the same Stance join without a jump; concat checks it.

Truth (the reference definitions):
- Rep boundaries come from the script's keyframes, on the frame grid: start_t = the frame the
  lifter leaves the top pose, bottom_t = the frame they arrive at the bottom pose (the deepest
  hip flexion; with a bottom pause it is held until the rise), end_t = the frame they arrive
  back at the top pose (the lockout pose of that rep: incomplete lockout or lean-back included).
  With no top pause end_t equals the next rep's start_t.
- Faults: rdl_truth_faults() below, the default rdl rules of the spec table evaluated on the
  exact truth angles; "hip flexion" and "knee flexion" are the means of left and right.
- A partial rep (HingeRepParams(partial=True): a shallow dip, peak hip flexion at most
  PARTIAL_MAX_HIP_FLEXION_DEG) is NOT a rep: it is listed in MotionTake.partial_reps, never in
  reps. Counted reps go to at least FULL_MIN_HIP_FLEXION_DEG, so a rep detector with its
  threshold between the two counts them right.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Mapping, Sequence

import numpy as np

from station.form.angles import contract_angles, spine_flexion_raw_deg
from station.model import ANGLES
from station.sim.kinematics import (FreeRootParams, PoseParams, Proportions, _hanging_arms,
                                    _heading, lerp_params, pose_free_root, pose_from_angles)
from station.sim.pose import N_SKELETON, SIM_INDEX

UP = np.array([0.0, 0.0, 1.0])
PARTIAL_MAX_HIP_FLEXION_DEG = 25.0
FULL_MIN_HIP_FLEXION_DEG = 45.0


# ---------------------------------------------------------------------------------------------
# Truth types and the reference fault rules

@dataclass(frozen=True)
class RdlThresholds:
    """The default `rdl` profile of specs/analysis-output.md."""

    knee_dominant_knee_deg: float = 40.0
    knee_dominant_hip_per_knee: float = 1.8
    rounded_back_spine_deg: float = 20.0
    incomplete_lockout_hip_deg: float = 15.0
    overextension_hip_deg: float = -10.0
    overextension_spine_deg: float = -15.0
    hip_shift_m: float = 0.06
    too_fast_eccentric_s: float = 1.0


RDL_DEFAULTS = RdlThresholds()


@dataclass
class RepTruth:
    """One true rep: contract boundaries (s), pattern, fault labels and metrics.

    metrics holds the contract's metrics plus the values every rule reads
    (hip_flexion_at_bottom, spine_flexion_at_end, max_lateral_shift is relative to start_t).
    """

    start_t: float
    bottom_t: float
    end_t: float
    pattern: str
    faults: list[str] = field(default_factory=list)
    metrics: dict[str, float] = field(default_factory=dict)

    def as_contract(self) -> dict:
        return {"start_t": self.start_t, "bottom_t": self.bottom_t, "end_t": self.end_t,
                "pattern": self.pattern, "faults": list(self.faults), "metrics": dict(self.metrics)}


def _frame(t: np.ndarray, at: float) -> int:
    return int(np.argmin(np.abs(t - at)))


def rdl_truth_faults(angles_trace: Mapping[str, np.ndarray], rep: RepTruth,
                     thresholds: RdlThresholds = RDL_DEFAULTS) -> tuple[list[str], dict[str, float]]:
    """The reference fault labels and metrics of one rep under the rdl rules.

    angles_trace: {"t": (n,) seconds, and every contract angle: (n,)} (MotionTake.angles_trace()).
    Rules (spec table; hip/knee flexion = mean of left and right):
      knee_dominant       at bottom_t: knee > 40°, or hip < 1.8 × knee
      rounded_back        max spine_flexion over [start_t, end_t] > 20°
      incomplete_lockout  hip flexion at end_t > 15°
      overextension       at end_t: hip flexion < −10° or spine_flexion < −15°
      hip_shift           max |shift(t) − shift(start_t)| over [start_t, end_t] > 0.06 m
      too_fast            bottom_t − start_t < 1.0 s
    """
    th = thresholds
    t = np.asarray(angles_trace["t"])
    hip = 0.5 * (np.asarray(angles_trace["hip_flexion_l"]) + np.asarray(angles_trace["hip_flexion_r"]))
    knee = 0.5 * (np.asarray(angles_trace["knee_flexion_l"]) + np.asarray(angles_trace["knee_flexion_r"]))
    spine = np.asarray(angles_trace["spine_flexion"])
    shift = np.asarray(angles_trace["pelvis_lateral_shift"])
    i0, ib, i1 = _frame(t, rep.start_t), _frame(t, rep.bottom_t), _frame(t, rep.end_t)
    win = slice(i0, i1 + 1)
    m = {
        "peak_hip_flexion": float(hip[win].max()),
        "knee_flexion_at_bottom": float(knee[ib]),
        "hip_flexion_at_bottom": float(hip[ib]),
        "peak_spine_flexion": float(spine[win].max()),
        "eccentric_s": float(rep.bottom_t - rep.start_t),
        "concentric_s": float(rep.end_t - rep.bottom_t),
        "lockout_hip_flexion": float(hip[i1]),
        "spine_flexion_at_end": float(spine[i1]),
        "max_lateral_shift": float(np.abs(shift[win] - shift[i0]).max()),
    }
    faults = []
    if (m["knee_flexion_at_bottom"] > th.knee_dominant_knee_deg
            or m["hip_flexion_at_bottom"] < th.knee_dominant_hip_per_knee * m["knee_flexion_at_bottom"]):
        faults.append("knee_dominant")
    if m["peak_spine_flexion"] > th.rounded_back_spine_deg:
        faults.append("rounded_back")
    if m["lockout_hip_flexion"] > th.incomplete_lockout_hip_deg:
        faults.append("incomplete_lockout")
    if m["lockout_hip_flexion"] < th.overextension_hip_deg or m["spine_flexion_at_end"] < th.overextension_spine_deg:
        faults.append("overextension")
    if m["max_lateral_shift"] > th.hip_shift_m:
        faults.append("hip_shift")
    if m["eccentric_s"] < th.too_fast_eccentric_s:
        faults.append("too_fast")
    return faults, m


def clearly_labelled(rep: RepTruth, thresholds: RdlThresholds = RDL_DEFAULTS, margin_deg: float = 3.0,
                     margin_m: float = 0.01, margin_s: float = 0.15, margin_rel: float = 0.0) -> bool:
    """True when every rule's value is at least a margin away from its threshold.

    The margin for a rule is max(absolute margin for its unit, margin_rel × |threshold|); the
    ratio rule of knee_dominant uses margin_deg on hip − 1.8 × knee. For the two-part rules
    (knee_dominant, overextension) a present fault needs one part clearly over, an absent one
    needs both parts clearly under. Benchmarks score only clearly labelled reps.
    """
    th, m = thresholds, rep.metrics

    def gap(value: float, thr: float, abs_margin: float) -> float:
        """Signed distance past the threshold in units of the margin (>= 1: clearly over)."""
        return (value - thr) / max(abs_margin, margin_rel * abs(thr), 1e-12)

    rules = [
        [gap(m["knee_flexion_at_bottom"], th.knee_dominant_knee_deg, margin_deg),
         gap(th.knee_dominant_hip_per_knee * m["knee_flexion_at_bottom"], m["hip_flexion_at_bottom"], margin_deg)],
        [gap(m["peak_spine_flexion"], th.rounded_back_spine_deg, margin_deg)],
        [gap(m["lockout_hip_flexion"], th.incomplete_lockout_hip_deg, margin_deg)],
        [gap(-m["lockout_hip_flexion"], -th.overextension_hip_deg, margin_deg),
         gap(-m["spine_flexion_at_end"], -th.overextension_spine_deg, margin_deg)],
        [gap(m["max_lateral_shift"], th.hip_shift_m, margin_m)],
        [gap(-m["eccentric_s"], -th.too_fast_eccentric_s, margin_s)],
    ]
    for parts in rules:
        if max(parts) >= 1.0:
            continue  # clearly present
        if all(g <= -1.0 for g in parts):
            continue  # clearly absent
        return False
    return True


@dataclass
class MotionTake:
    """A scripted motion and its truth.

    times_s (n,), poses_floor_m (n, len(SIM_POINTS), 3) float64 floor frame;
    reps: counted reps (contract definition); partial_reps: shallow dips that must not count;
    in_view (n,) bool: the pelvis is inside the lifting zone; spine_baseline_deg: raw spine
    flexion of this person standing upright (truth spine_flexion = raw − baseline);
    truth_angles: contract angles per frame, each (n,); segments: (name, t0, t1) of each part.
    """

    props: Proportions
    fps: float
    times_s: np.ndarray
    poses_floor_m: np.ndarray
    reps: list[RepTruth]
    partial_reps: list[RepTruth]
    in_view: np.ndarray
    spine_baseline_deg: float
    truth_angles: dict[str, np.ndarray]
    segments: list[tuple[str, float, float]] = field(default_factory=list)

    @property
    def duration_s(self) -> float:
        return float(self.times_s[-1] - self.times_s[0]) if len(self.times_s) else 0.0

    def angles_trace(self) -> dict[str, np.ndarray]:
        return {"t": self.times_s, **self.truth_angles}

    def skeletons_floor_m(self) -> np.ndarray:
        """(n, len(SKELETON_POINTS), 3): the contract joints plus spine points."""
        return self.poses_floor_m[:, :N_SKELETON]


# ---------------------------------------------------------------------------------------------
# Scene and rep parameters

@dataclass(frozen=True)
class LiftingZone:
    """Where a lifter stands (floor frame, metres): a rectangle centred on centre_xy_m."""

    centre_xy_m: tuple[float, float] = (0.0, 2.5)
    half_size_xy_m: tuple[float, float] = (0.6, 0.5)

    def contains(self, xy: np.ndarray) -> np.ndarray:
        d = np.abs(np.asarray(xy)[..., :2] - np.array(self.centre_xy_m))
        return np.all(d <= np.array(self.half_size_xy_m), axis=-1)


@dataclass(frozen=True)
class Stance:
    """Where and how the lifter stands: mid-ankle point, facing yaw (0 = facing the mirror).

    soft_knee_deg: knee flexion while standing tall (real people rarely lock their knees);
    grip_width_m: palm-to-palm distance of the hanging hands (wide = arms away from the body);
    elbow_flexion_deg: the elbows' bend while the arms hang.
    """

    feet_xy_m: tuple[float, float] = (0.0, 2.5)
    yaw_deg: float = 0.0
    stance_width_m: float = 0.25
    grip_width_m: float = 0.45
    arms: str = "hang"       # see ARM_HOLDS: hands hang, at the chest, a bar on the back, swinging a bell
    soft_knee_deg: float = 0.0
    elbow_flexion_deg: float = 5.0

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
                          **{"elbow_flexion_deg": self.elbow_flexion_deg, **ARM_HOLDS[self.arms]})


# How the arms hold the implement (PoseParams arm fields). "hang": hands below the shoulders
# (RDL, deadlift); "chest": hands crossed at the chest (bodyweight good morning); "back": a bar
# on the upper back, hands beside the shoulders (good morning); "swing": arms straight along
# the thorax holding a bell, swung forward at the top by HingeRepParams.swing_deg.
ARM_HOLDS: dict[str, dict] = {
    "hang": {},
    "chest": dict(arms_hang=False, shoulder_flexion_deg=25.0, elbow_flexion_deg=135.0),
    "back": dict(arms_hang=False, shoulder_flexion_deg=-35.0, elbow_flexion_deg=150.0),
    "swing": dict(arms_hang=False, shoulder_flexion_deg=8.0, elbow_flexion_deg=5.0),
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

def _assemble(props: Proportions, fps: float, poses: np.ndarray, in_view: np.ndarray, baseline: float,
              reps: list[RepTruth], partial: list[RepTruth], segments) -> MotionTake:
    """A take from its poses: truth angles per frame, then each rep's reference faults."""
    times = np.arange(len(poses)) / fps
    ang = contract_angles(poses[:, :N_SKELETON], UP, baseline)
    ang = {k: np.asarray(ang[k], dtype=np.float64) for k in ANGLES}
    take = MotionTake(props=props, fps=fps, times_s=times, poses_floor_m=poses, reps=[],
                      partial_reps=[], in_view=in_view, spine_baseline_deg=baseline,
                      truth_angles=ang, segments=list(segments))
    trace = take.angles_trace()
    for src, dst in ((reps, take.reps), (partial, take.partial_reps)):
        for r in src:
            r.faults, r.metrics = rdl_truth_faults(trace, r)
            dst.append(r)
    return take


def _finish(props: Proportions, fps: float, poses: np.ndarray, zone: LiftingZone,
            reps: list[RepTruth], partial: list[RepTruth], segments) -> MotionTake:
    return _assemble(props, fps, poses, zone.contains(poses[:, SIM_INDEX["pelvis"]]),
                     spine_baseline_deg(props), reps, partial, segments)


def spine_baseline_deg(props: Proportions) -> float:
    """Raw spine flexion (station.form.angles) of this person standing upright."""
    pose = pose_from_angles(props, PoseParams())
    return float(spine_flexion_raw_deg(pose[:N_SKELETON]))


def _planted_poses(props: Proportions, params: list[PoseParams]) -> np.ndarray:
    return np.stack([pose_from_angles(props, p) for p in params])


def stand(props: Proportions, duration_s: float, stance: Stance = Stance(), fps: float = 30.0,
          seed: int = 0, sway: float = 1.0, zone: LiftingZone = LiftingZone()) -> MotionTake:
    """Standing upright with natural sway and breathing (zero at both ends)."""
    n = int(round(duration_s * fps)) + 1
    base = stance.params()
    sw = _sway(n, fps, np.random.default_rng(seed), sway)
    params = [replace(base, **{k: getattr(base, k) + float(v[i]) for k, v in sw.items()}) for i in range(n)]
    return _finish(props, fps, _planted_poses(props, params), zone, [], [],
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
    t_set_end = tl.t
    tl.hold(lead_out_s)
    params = tl.sample()
    n = len(params)
    _sway_while_standing(params, fps, seed, t_lead_in, t_set_end)
    poses = _planted_poses(props, params)
    reps_t = [m for m, part in marks if not part]
    part_t = [m for m, part in marks if part]
    segs = [("stand", 0.0, t_lead_in), (f"{pattern}_set", t_lead_in, t_set_end),
            ("stand", t_set_end, (n - 1) / fps)]
    return _finish(props, fps, poses, zone, reps_t, part_t, segs)



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
    t_set_end = tl.t
    tl.hold(lead_out_s)
    params = tl.sample()
    n = len(params)
    _sway_while_standing(params, fps, seed, t_lead_in, t_set_end)
    poses = _planted_poses(props, params)
    segs = [("stand", 0.0, t_lead_in), ("deadlift_set", t_lead_in, t_set_end),
            ("stand", t_set_end, (n - 1) / fps)]
    take = _finish(props, fps, poses, zone, marks, [], segs)
    judge_truth(take, "deadlift")
    return take


def judge_truth(take: "MotionTake", profile_name: str) -> None:
    """Replace the reps' truth faults with those of the named default profile on the exact
    angles (for motions whose rep definition is not the RDL's)."""
    from station.config import load_exercise
    from station.form.reps import END_WINDOW_S, RepTrace
    from station.form.rules import judge, rules_from_profile

    prof = load_exercise(profile_name)
    rules = rules_from_profile(prof)
    ang = take.angles_trace()
    t = take.times_s
    hip = 0.5 * (ang["hip_flexion_l"] + ang["hip_flexion_r"])
    knee = 0.5 * (ang["knee_flexion_l"] + ang["knee_flexion_r"])
    for rep in take.reps:
        i0, i1 = _frame(t, rep.start_t), _frame(t, rep.end_t)
        top = i0 + int(np.argmin(hip[i0:i1 + 1]))
        w = top
        while w + 1 <= i1 and t[w + 1] - t[top] <= END_WINDOW_S:
            w += 1
        sl = slice(i0, i1 + 1)
        tr = RepTrace(t[sl], hip[sl], knee[sl], ang["spine_flexion"][sl], ang["pelvis_lateral_shift"][sl],
                      ang["trunk_inclination"][sl], start=0, bottom=0, top=top - i0, end=i1 - i0,
                      window_end=w - i0, start_position=prof.reps.start_position)
        rep.faults = list(judge(tr, rules))


# ---------------------------------------------------------------------------------------------
# Walking (free root, footstep plan)

def _walk(props: Proportions, feet0: list[tuple[np.ndarray, float]], steps: list[tuple[int, np.ndarray, float]],
          fps: float, step_s: float, final: PoseParams | None, initial: PoseParams | None) -> np.ndarray:
    """Poses for a footstep plan. feet0: [(left xy, yaw), (right xy, yaw)]; steps: (side 0/1, xy, yaw).

    The pelvis follows the midpoint of the feet (minimum-jerk per step), its height limited by
    the legs' reach; `initial`/`final` planted params pin the first/last frame's pelvis height
    to the planted standing pose so takes join without a jump.
    """
    p = props
    n_steps = len(steps)
    swing_s = 0.8 * step_s
    n = int(round(n_steps * step_s * fps)) + 1
    t = np.arange(n) / fps
    centres = [(0.5 * (feet0[0][0] + feet0[1][0]), 0.5 * (feet0[0][1] + feet0[1][1]))]
    cur = [feet0[0], feet0[1]]
    for side, xy, yaw in steps:
        cur[side] = (np.asarray(xy, float), yaw)
        centres.append((0.5 * (cur[0][0] + cur[1][0]), 0.5 * (cur[0][1] + cur[1][1])))
    ankle = np.zeros((n, 2, 3))
    fyaw = np.zeros((n, 2))
    pel = np.zeros((n, 3))
    pyaw = np.zeros(n)
    for i, ti in enumerate(t):
        j = min(int(ti / step_s), n_steps - 1)
        s_step = (ti - j * step_s) / step_s
        # feet: planted ones at their last footstep, the swinging one on its way
        pos = [feet0[0], feet0[1]]
        for k in range(j):
            sd, xy, yaw = steps[k]
            pos[sd] = (np.asarray(xy, float), yaw)
        sd, xy, yaw = steps[j]
        a_xy, a_yaw = np.asarray(pos[sd][0], float), pos[sd][1]
        s = float(min_jerk(min((ti - j * step_s) / swing_s, 1.0)))
        lift = 0.06 * math.sin(math.pi * min((ti - j * step_s) / swing_s, 1.0)) ** 2
        for side in (0, 1):
            if side == sd:
                xy_s = a_xy + (np.asarray(xy, float) - a_xy) * s
                ankle[i, side] = (*xy_s, p.ankle_height_m + lift)
                fyaw[i, side] = a_yaw + (yaw - a_yaw) * s
            else:
                ankle[i, side] = (*np.asarray(pos[side][0], float), p.ankle_height_m)
                fyaw[i, side] = pos[side][1]
        c0, c1 = centres[j], centres[j + 1]
        sc = float(min_jerk(s_step))
        pel[i, :2] = c0[0] + (c1[0] - c0[0]) * sc
        pyaw[i] = c0[1] + (c1[1] - c0[1]) * sc
    # pelvis height: standing height, limited by the reach of both legs, smoothed from below
    reach = 0.995 * p.leg_length_m
    z_stand = p.standing_hip_height_m - 0.015
    z = np.full(n, z_stand)
    for i in range(n):
        _, l0 = _heading(pyaw[i])
        for side, sgn in ((0, 1.0), (1, -1.0)):
            hip_xy = pel[i, :2] + sgn * 0.5 * p.hip_width_m * l0[:2]
            h = float(np.linalg.norm(hip_xy - ankle[i, side, :2]))
            z[i] = min(z[i], ankle[i, side, 2] + math.sqrt(max(reach * reach - h * h, 0.0)))
    w = max(int(0.15 * fps), 1)
    zp = np.pad(z, w, mode="edge")
    zmin = np.array([zp[i:i + 2 * w + 1].min() for i in range(n)])
    zp = np.pad(zmin, w, mode="edge")
    z = np.array([zp[i:i + 2 * w + 1].mean() for i in range(n)])
    # pin the ends to the planted standing pelvis height (blend over the first/last step)
    for end, prm in ((0, initial), (n - 1, final)):
        if prm is None:
            continue
        zp_end = pose_from_angles(p, prm)[SIM_INDEX["pelvis"], 2]
        span = max(int(step_s * fps), 1)
        for k in range(span + 1):
            i = end + k if end == 0 else end - k
            wgt = 1.0 - float(min_jerk(k / span))
            z[i] = wgt * zp_end + (1.0 - wgt) * z[i]
    pel[:, 2] = z
    poses = np.zeros((n, len(SIM_INDEX), 3))
    arm_params = final or initial or PoseParams()
    for i in range(n):
        f0, l0 = _heading(pyaw[i])
        prm = FreeRootParams(pelvis_m=tuple(pel[i]), yaw_deg=float(pyaw[i]), ankle_l_m=tuple(ankle[i, 0]),
                             ankle_r_m=tuple(ankle[i, 1]), foot_yaw_l_deg=float(fyaw[i, 0]),
                             foot_yaw_r_deg=float(fyaw[i, 1]), elbow_flexion_deg=arm_params.elbow_flexion_deg)
        pose = pose_free_root(p, prm)
        # arms hang as in the planted pose, swinging opposite to the legs
        d_fwd = float((ankle[i, 1] - ankle[i, 0]) @ f0)
        for side, sgn in (("l", 1.0), ("r", -1.0)):
            ap = replace(arm_params, hands_forward_m=0.35 * sgn * d_fwd)
            tmp = pose.copy()
            _hanging_arms(tmp, p, l0, f0, ap)
            for nm in ("elbow", "wrist", "hand"):
                pose[SIM_INDEX[f"{nm}_{side}"]] = tmp[SIM_INDEX[f"{nm}_{side}"]]
        poses[i] = pose
    return poses


def _gait_plan(start_xy: np.ndarray, end_xy: np.ndarray, stance: Stance, step_m: float,
               toe_out: float) -> tuple[list, list, float]:
    """Footsteps walking from start_xy to a stance at end_xy, then turning to its yaw.

    Returns (initial feet, steps, walking yaw).
    """
    d = end_xy - start_xy
    walk_yaw = math.degrees(math.atan2(d[0], -d[1]))  # forward = (sin, −cos)
    f, l = (np.array(v[:2]) for v in _heading(walk_yaw))
    half = 0.5 * stance.stance_width_m
    feet0 = [(start_xy + half * l, walk_yaw + toe_out), (start_xy - half * l, walk_yaw - toe_out)]
    dist = float(np.linalg.norm(d))
    n = max(int(math.ceil(dist / step_m)), 1)
    steps = []
    for k in range(1, n + 1):
        c = start_xy + d * (k / n)
        side = 0 if k % 2 == 1 else 1  # left foot first
        sgn = 1.0 if side == 0 else -1.0
        steps.append((side, c + sgn * half * l, walk_yaw + sgn * toe_out))
    last = steps[-1][0]
    other = 1 - last
    steps.append((other, end_xy + (1.0 if other == 0 else -1.0) * half * l, walk_yaw + (1.0 if other == 0 else -1.0) * toe_out))
    # turn in place to the stance yaw in steps of at most 45°
    n_turn = max(int(math.ceil(abs(stance.yaw_deg - walk_yaw) / 45.0)), 1)
    side = last
    for k in range(1, n_turn + 1):
        yaw = walk_yaw + (stance.yaw_deg - walk_yaw) * k / n_turn
        _, lk = _heading(yaw)
        for sd in (side, 1 - side):
            sgn = 1.0 if sd == 0 else -1.0
            steps.append((sd, end_xy + sgn * half * lk[:2], yaw + sgn * toe_out))
    return feet0, steps, walk_yaw


def walk_in(props: Proportions, stance: Stance = Stance(), start_xy_m: tuple[float, float] = (3.2, 2.6),
            fps: float = 30.0, step_s: float = 0.55, step_m: float = 0.5,
            zone: LiftingZone = LiftingZone()) -> MotionTake:
    """Walk from out of view (default: 3.2 m to the camera's right) to the stance, turn to face it.

    Ends standing upright at `stance` exactly as stand()/hinge_set() start.
    """
    final = stance.params()
    feet0, steps, _ = _gait_plan(np.asarray(start_xy_m, float), np.asarray(stance.feet_xy_m, float),
                                 stance, step_m, final.toe_out_deg)
    poses = _walk(props, feet0, steps, fps, step_s, final=final, initial=None)
    poses[-1] = pose_from_angles(props, final)
    return _finish(props, fps, poses, zone, [], [], [("walk_in", 0.0, (len(poses) - 1) / fps)])


def walk_out(props: Proportions, stance: Stance = Stance(), end_xy_m: tuple[float, float] = (-3.2, 2.6),
             fps: float = 30.0, step_s: float = 0.55, step_m: float = 0.5,
             zone: LiftingZone = LiftingZone()) -> MotionTake:
    """Turn from the stance and walk out of view (default: to the camera's left).

    Built as a walk from the exit towards the stance, played forwards along a mirrored plan:
    the footsteps of walk_in reversed in order, so the person walks forwards.
    """
    start = stance.params()
    end_xy = np.asarray(end_xy_m, float)
    c = np.asarray(stance.feet_xy_m, float)
    d = end_xy - c
    walk_yaw = math.degrees(math.atan2(d[0], -d[1]))
    toe = start.toe_out_deg
    half = 0.5 * stance.stance_width_m
    _, l_st = _heading(stance.yaw_deg)
    feet0 = [(c + half * l_st[:2], stance.yaw_deg + toe), (c - half * l_st[:2], stance.yaw_deg - toe)]
    steps = []
    # turn in place towards the walking direction (≤ 45° per pair of steps)
    delta = (walk_yaw - stance.yaw_deg + 180.0) % 360.0 - 180.0
    n_turn = max(int(math.ceil(abs(delta) / 45.0)), 1)
    for k in range(1, n_turn + 1):
        yaw = stance.yaw_deg + delta * k / n_turn
        _, lk = _heading(yaw)
        for sd in (0, 1):
            sgn = 1.0 if sd == 0 else -1.0
            steps.append((sd, c + sgn * half * lk[:2], yaw + sgn * toe))
    walk_yaw = stance.yaw_deg + delta
    _, lw = _heading(walk_yaw)
    dist = float(np.linalg.norm(d))
    n = max(int(math.ceil(dist / step_m)), 1)
    for k in range(1, n + 1):
        ck = c + d * (k / n)
        sd = 0 if k % 2 == 1 else 1  # left foot first
        sgn = 1.0 if sd == 0 else -1.0
        steps.append((sd, ck + sgn * half * lw[:2], walk_yaw + sgn * toe))
    sd = 1 - steps[-1][0]
    sgn = 1.0 if sd == 0 else -1.0
    steps.append((sd, end_xy + sgn * half * lw[:2], walk_yaw + sgn * toe))
    poses = _walk(props, feet0, steps, fps, step_s, final=None, initial=start)
    poses[0] = pose_from_angles(props, start)
    return _finish(props, fps, poses, zone, [], [], [("walk_out", 0.0, (len(poses) - 1) / fps)])


# ---------------------------------------------------------------------------------------------
# Composition

def concat(takes: Sequence[MotionTake], max_jump_m: float = 0.02) -> MotionTake:
    """Join takes end to start: each next take's first frame replaces the previous last frame.

    Raises ValueError when a join would jump (any point moves more than max_jump_m), i.e. the
    takes were not built with the same Stance and person.
    """
    if not takes:
        raise ValueError("nothing to concatenate")
    first = takes[0]
    poses = [first.poses_floor_m]
    reps, partial, segs = list(first.reps), list(first.partial_reps), list(first.segments)
    t_off = float(first.times_s[-1])
    for tk in takes[1:]:
        if tk.fps != first.fps or tk.props != first.props:
            raise ValueError("takes differ in fps or proportions")
        jump = float(np.linalg.norm(tk.poses_floor_m[0] - poses[-1][-1], axis=-1).max())
        if jump > max_jump_m:
            raise ValueError(f"takes do not join: a point jumps {jump:.3f} m (use the same Stance)")
        poses.append(tk.poses_floor_m[1:])
        for src, dst in ((tk.reps, reps), (tk.partial_reps, partial)):
            dst += [RepTruth(r.start_t + t_off, r.bottom_t + t_off, r.end_t + t_off, r.pattern) for r in src]
        segs += [(nm, a + t_off, b + t_off) for nm, a, b in tk.segments]
        t_off += float(tk.times_s[-1])
    in_view = np.concatenate([first.in_view] + [tk.in_view[1:] for tk in takes[1:]])
    return _assemble(first.props, first.fps, np.concatenate(poses), in_view, first.spine_baseline_deg,
                     reps, partial, segs)


def session(props: Proportions, reps: Sequence[HingeRepParams], stance: Stance = Stance(),
            fps: float = 30.0, stand_s: float = 2.0, seed: int = 0) -> MotionTake:
    """A whole visit: walk in, stand, a hinge set, stand, walk out."""
    return concat([walk_in(props, stance, fps=fps), stand(props, stand_s, stance, fps, seed),
                   hinge_set(props, reps, stance, fps, seed=seed + 1),
                   stand(props, stand_s, stance, fps, seed + 2), walk_out(props, stance, fps=fps)])
