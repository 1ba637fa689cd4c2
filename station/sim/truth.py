"""The synthetic athlete's truth labeller: what a rep is, which faults it has, where the lifter is.

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
- In view: the pelvis inside the sim's LiftingZone (the frames a tracker should track).

Separate on purpose: RdlThresholds and LiftingZone here repeat what the product declares
(form/rules.py and the profiles' TOML; the configured lifting zone in segment/). The synthetic
athlete is an instrument that checks that code, so its truth must not be computed by it: a
bug or a changed default there shows up as a disagreement with this labeller instead of
moving the truth along with it. Keep them independent, and change them only when the analysis
contract (docs/analysis-output.md) changes.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Mapping

import numpy as np

if TYPE_CHECKING:
    from station.sim.take import MotionTake

PARTIAL_MAX_HIP_FLEXION_DEG = 25.0
FULL_MIN_HIP_FLEXION_DEG = 45.0


# Separate on purpose from the product's rdl rules (station.form.rules): see the module docstring.
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


def frame_index(t: np.ndarray, at: float) -> int:
    """The index of the frame time in t nearest to `at` (seconds)."""
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
    i0, ib, i1 = frame_index(t, rep.start_t), frame_index(t, rep.bottom_t), frame_index(t, rep.end_t)
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



# Separate on purpose from the product's lifting zone (segment/, built from the config): see the
# module docstring.
@dataclass(frozen=True)
class LiftingZone:
    """Where a lifter stands (floor frame, metres): a rectangle centred on centre_xy_m."""

    centre_xy_m: tuple[float, float] = (0.0, 2.5)
    half_size_xy_m: tuple[float, float] = (0.6, 0.5)

    def contains(self, xy: np.ndarray) -> np.ndarray:
        d = np.abs(np.asarray(xy)[..., :2] - np.array(self.centre_xy_m))
        return np.all(d <= np.array(self.half_size_xy_m), axis=-1)


def judge_truth(take: "MotionTake", profile_name: str) -> None:
    """Replace the reps' truth faults with those of the named default profile on the exact
    angles (for motions whose rep definition is not the RDL's): judge_reps on the take."""
    judge_reps(take.times_s, take.angles_trace(), take.reps, profile_name)


def judge_reps(times_s: np.ndarray, angles_trace: Mapping[str, np.ndarray], reps: list[RepTruth],
               profile_name: str) -> None:
    """Set each rep's faults to those of the named default exercise profile on exact angles,
    for a profile whose reps start at the floor (the deadlift's: truth_profile_of).

    The one exception to the separation above: the sim has no labeller of its own for
    profiles other than rdl, so these faults come from the product's rules (station.form.rules)
    applied to the exact angles; they check the angles and rep boundaries, not the rules.
    angles_trace: every contract angle (n,) (the "t" key, if present, is not read).
    """
    from station.config import load_exercise
    from station.form.rep_trace import END_WINDOW_S, RepTrace
    from station.form.rules import judge, rules_from_profile

    prof = load_exercise(profile_name)
    rules = rules_from_profile(prof)
    ang = angles_trace
    t = np.asarray(times_s)
    hip = 0.5 * (np.asarray(ang["hip_flexion_l"]) + np.asarray(ang["hip_flexion_r"]))
    knee = 0.5 * (np.asarray(ang["knee_flexion_l"]) + np.asarray(ang["knee_flexion_r"]))
    if prof.reps.start_position != "bottom":
        raise ValueError(f"judge_reps labels reps that start at the floor; {profile_name!r} starts at the top "
                         "(its truth is rdl_truth_faults')")
    for rep in reps:
        # the deepest point is where the pull starts; the lockout is the least hip flexion
        i0, i1 = frame_index(t, rep.start_t), frame_index(t, rep.end_t)
        top = i0 + int(np.argmin(hip[i0:i1 + 1]))
        w = top
        while w + 1 <= i1 and t[w + 1] - t[top] <= END_WINDOW_S:
            w += 1
        sl = slice(i0, i1 + 1)
        tr = RepTrace(t[sl], hip[sl], knee[sl], np.asarray(ang["spine_flexion"])[sl],
                      np.asarray(ang["pelvis_lateral_shift"])[sl], np.asarray(ang["trunk_inclination"])[sl],
                      start=0, bottom=0, top=top - i0, end=i1 - i0, window_end=w - i0,
                      start_position=prof.reps.start_position)
        rep.faults = list(judge(tr, rules))
