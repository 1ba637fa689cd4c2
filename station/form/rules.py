"""Form rules as declarative descriptions: one frozen dataclass per fault label.

A rule holds its thresholds as fields (read from the exercise profile, never hard-coded),
its cue key, priority and cue phase, and two pure functions:

- ``measure(rep) -> dict``: the values the rule reads from a segmented rep (RepTrace);
- ``violated(values) -> bool``: the threshold test on those values;
- ``judge(rep) = violated(measure(rep))``;
- ``onset(live) -> bool``: the same test on the frame-by-frame view of a rep in progress, so
  the cue can be shown as the fault happens (e.g. rounded_back as soon as spine flexion
  crosses the limit on the way down), not only once the rep is over.

The dataclasses are the one declaration of a rule: each threshold field carries its allowed
range, unit and how strictness scales it as field metadata (:func:`threshold`), and the class
carries its label (``name``), whether profiles enable it by default, and what the lifter reads
about it (``lifter_text``, ``short_label``, ``body_segments``). The exercise-profile models
(station.config.profile), contract.FAULTS and the overlay's fault tables are derived from them.

``rules_from_profile(profile)`` builds the enabled rules, most important first. Labels and
default (rdl) rules: specs/analysis-output.md. "Hip/knee flexion" is the mean of left and
right. "At the end" means at the lockout (top) of the rep; a lean-back is judged over the
top window (END_WINDOW_S after it, or to the next rep's start), because the lean-back peaks
at the lockout and is held briefly.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, ClassVar, Optional

import numpy as np

if TYPE_CHECKING:  # types only: the config's profile models are derived from this module
    from station.config import ExerciseProfile
    from station.form.rep_trace import RepTrace

# How strictness moves a threshold (station.config STRICTNESS_FACTORS): "mul" limits are
# multiplied by the factor (a smaller limit is stricter), "div" required minimums are divided
# by it (a larger minimum is stricter); None: not a tolerance, strictness leaves it alone.
SCALES = ("mul", "div")
PRIORITY_RANGE = (1, 9)
PRIORITY_UNIT = "(1 = most important: spine before knees before tempo)"


def threshold(default: Optional[float], lo: float, hi: float, unit: str, scale: Optional[str] = None,
              off: bool = False) -> Any:
    """A rule's threshold field: its default, the range a profile may set (inclusive), the unit
    (words, as staff read it in an error message), how strictness scales it, and whether a
    profile may switch the test off with "off" (the value is then None)."""
    assert scale is None or scale in SCALES
    return field(default=default, metadata={"range": (lo, hi), "unit": unit, "scale": scale, "off": off})


def _priority(default: int) -> Any:
    return field(default=default, metadata={"range": PRIORITY_RANGE, "unit": PRIORITY_UNIT})


def threshold_fields(cls: type) -> tuple[Any, ...]:
    """The threshold fields of a rule (or SquatRecognition) dataclass, in declaration order."""
    return tuple(f for f in fields(cls) if "range" in f.metadata and f.name != "priority")


@dataclass(frozen=True)
class Live:
    """A rep in progress as of one frame (what onset checks read).

    phase: the detector's phase; hip/knee/spine/shift: current values (deg, deg, deg, m);
    start_*: values at the rep's start; elapsed_s since the start; bottom_reached: the
    deepest point is behind; eccentric_s: start → bottom (None until the bottom is reached);
    since_top_s: time since the lockout (None before it); hip_at_top: hip flexion at the
    lockout (None before it); peak_hip: deepest so far; spine_held: the spine flexion held
    over the last SPINE_HOLD_S (its running median), None to read the frame's;
    hip_at_bottom/knee_at_bottom: at the deepest point so far; shift_held: the lateral shift held
    over the last SHIFT_HOLD_S (its running median), None to read the frame's; standing_hip: this
    lifter's hip flexion standing upright (None while unknown: RepTrace.standing_hip).
    """

    phase: str
    hip: float
    knee: float
    spine: float
    shift: float
    start_shift: float
    elapsed_s: float
    bottom_reached: bool
    eccentric_s: float | None
    since_top_s: float | None
    peak_hip: float
    hip_at_bottom: float
    knee_at_bottom: float
    start_position: str = "top"
    hip_at_top: float | None = None
    spine_held: float | None = None     # the spine held over the last SPINE_HOLD_S (None: spine)
    shift_held: float | None = None     # the shift held over the last SHIFT_HOLD_S (None: shift)
    standing_hip: float | None = None   # the lifter's standing hip flexion (None: unknown)


@dataclass(frozen=True)
class Rule:
    """One fault label's rule. Fields are the profile's keys for it (besides ``enabled``):
    priority (cue order), cue (a key of station/form/texts.py), cue_phase (when the cue shows)
    and the thresholds."""

    name: ClassVar[str] = ""
    enabled_by_default: ClassVar[bool] = True   # a profile that leaves the rule out
    lifter_text: ClassVar[str] = ""             # what the fault means, for the lifter
    short_label: ClassVar[str] = ""             # a word or two (the last-rep note)
    staff_text: ClassVar[str] = ""              # the fault in the staff summary
    staff_part: ClassVar[str] = ""              # what the coach judges, "not judged: ... on 3"
    body_segments: ClassVar[tuple[str, ...]] = ()   # body lines the overlay highlights
    # what the rule reads: angle groups (hip and knee: the means of left and right) and the
    # frames of the rep (station.form.confidence_gate.rule_window); the confidence gate checks them
    reads: ClassVar[tuple[str, ...]] = ("hip", "knee", "spine")
    window: ClassVar[str] = "rep"
    # detector phases in which its correction helps while the fault happens (station.form.cues)
    help_phases: ClassVar[tuple[str, ...]] = ()
    priority: int = _priority(5)
    cue: str = ""
    cue_phase: str = "after_rep"

    def measure(self, rep: RepTrace) -> dict[str, float]:  # pragma: no cover - abstract
        raise NotImplementedError

    def violated(self, m: dict[str, float]) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError

    def judge(self, rep: RepTrace) -> bool:
        return self.violated(self.measure(rep))

    def seen_violated(self, rep: RepTrace, seen: np.ndarray) -> bool:
        """Whether the fault is plain from the frames the fit was sure of alone (seen: bool per
        trace frame), as the verdict reads it. The confidence gate calls a fault so seen on a
        rep whose window was not seen well enough to call it clean. False here: a rule whose
        measure reads its window as a whole needs all of it."""
        return False

    def seen_verdict(self, rep: RepTrace, seen: dict[str, np.ndarray], window: slice,
                     min_fraction: float) -> bool | None:
        """The verdict from the sure frames alone on a rep whose window was not sure enough as a
        whole (seen: angle group -> bool per trace frame; window: the rule's frames;
        min_fraction: the gate's share of them a group must be sure in): True the fault, False
        clean, None undecided (not judged). None here: a rule that reads all of its groups over
        all of its window needs them seen there."""
        return None

    def undecided(self, m: dict[str, float]) -> bool:
        """Whether a reading on the clean side of the rule is too near it to call the rep
        clean, given how the fit under-reads what the rule measures: the confidence gate
        then leaves the rule not judged on the rep. False here."""
        return False

    def doubtful(self, m: dict[str, float]) -> bool:
        """Whether a reading past the rule is too near it to call the fault, given how the fit
        over-reads what the rule measures: the confidence gate then leaves the rule not judged
        on the rep, and the live cue (onset) waits for a reading past the doubt. False here."""
        return False

    def raised_measure(self, bottom_spine_deg: float) -> dict[str, float] | None:
        """The rule's measure from the rep's spine at its bottom alone, raised by how far the
        fit has shown it reads this lifter short at depth (station.form.confidence_gate:
        bottom_spine_deg, depth_shortfall_deg); the confidence gate reads it with violated and
        undecided. None here: only a rule that reads the spine's flexion at depth is read short
        by such a fit."""
        return None

    def boundaries(self, rep: RepTrace) -> tuple[int, ...]:
        """The rep's boundary frames the rule's measure depends on (a duration's ends, the
        lockout it reads the hips at): the confidence gate judges the rule only where the fit
        saw each of them (RepTrace.seen_at: not beside a lost stretch, where the real boundary
        may have been). None here: a rule of the angles over its window alone."""
        return ()

    def onset(self, live: Live) -> bool:
        return False


@dataclass(frozen=True)
class KneeDominant(Rule):
    """At the bottom: knee flexion > max_knee_flexion_deg, or hip flexion <
    min_hip_to_knee_ratio × knee flexion (None: no ratio test)."""

    name: ClassVar[str] = "knee_dominant"
    lifter_text: ClassVar[str] = "knees bent too much: push the hips back"
    short_label: ClassVar[str] = "knees"
    staff_text: ClassVar[str] = "Knees forward instead of hips back"
    staff_part: ClassVar[str] = "the knees"
    body_segments: ClassVar[tuple[str, ...]] = ("thigh", "shin")
    reads: ClassVar[tuple[str, ...]] = ("hip", "knee")
    window: ClassVar[str] = "bottom"
    help_phases: ClassVar[tuple[str, ...]] = ("lowering", "bottom")
    priority: int = _priority(2)
    cue: str = "push_hips_back"
    cue_phase: str = "lowering"
    max_knee_flexion_deg: float = threshold(40.0, 0.0, 150.0, "degrees", "mul")
    min_hip_to_knee_ratio: float | None = threshold(1.8, 0.5, 10.0, "", "div", off=True)

    def measure(self, rep):
        return {"knee_at_bottom": float(rep.knee[rep.bottom]), "hip_at_bottom": float(rep.hip[rep.bottom])}

    def violated(self, m):
        if m["knee_at_bottom"] > self.max_knee_flexion_deg:
            return True
        r = self.min_hip_to_knee_ratio
        return r is not None and m["hip_at_bottom"] < r * m["knee_at_bottom"]

    def seen_verdict(self, rep, seen, window, min_fraction):
        # The rule is two tests, and only the ratio test reads the hip. Facing the camera, the
        # bent trunk hides the pelvis at the bottom and the hip's confidence there falls to
        # 0.2-0.45 (the mesh library's D, F, G shapes: 0-23% of the bottom window sure) while
        # the fitted hip is within 1-8 deg of the truth and the knee, seen whole, is sure. So:
        # - the knee sure over the window (as the gate asks of every group) and past
        #   max_knee_flexion_deg in all of it: the fault, seen from the knee alone;
        # - the knee sure and within the limit in all of it, and the hip shown by its sure
        #   frames at least min_hip_to_knee_ratio x the largest of those knees: clean. The
        #   bottom is the rep's deepest hip flexion by definition, so the depth a hip the fit
        #   was sure of held anywhere in the rep (SPINE_HOLD_S, the spine's hold: one sure
        #   frame's spike proves nothing) is a lower bound on the hip at the bottom, and a
        #   ratio already met there cannot fail at the bottom;
        # - anything else (a hip not shown deep enough, a knee unsure) stays not judged: a
        #   ratio fault needs the hip at the bottom itself, which only the whole gate gives.
        knee_ok = np.asarray(seen["knee"], bool)[window]
        if len(knee_ok) == 0 or float(np.mean(knee_ok)) < min_fraction:
            return None
        knee = rep.knee[window][knee_ok]
        if float(np.min(knee)) > self.max_knee_flexion_deg:
            return True
        if float(np.max(knee)) > self.max_knee_flexion_deg:
            return None
        r = self.min_hip_to_knee_ratio
        if r is None:
            return False
        span = slice(rep.start, rep.end + 1)
        hip_sure = np.where(np.asarray(seen["hip"], bool)[span], rep.hip[span], -np.inf)
        return False if held_peak(rep.t[span], hip_sure) >= r * float(np.max(knee)) else None

    def onset(self, live):
        # from the floor the knees bend at the start by design: judged at the bottom only
        ok = ("bottom",) if live.start_position == "bottom" else ("lowering", "bottom")
        if live.phase not in ok:
            return False
        if live.knee > self.max_knee_flexion_deg:
            return True
        r = self.min_hip_to_knee_ratio
        # the ratio is the rule's verdict at the bottom: judged live only once the bottom is
        # reached (on the way down it swings with the fit's knee noise, and a cue the verdict
        # then contradicts is worse than none)
        return r is not None and live.bottom_reached and live.knee > 8.0 and live.hip > 30.0 \
            and live.hip_at_bottom < r * live.knee_at_bottom


# How long a spine flexion must last to count as the rep's peak (s). A back rounds through the
# bottom of a hinge and stays near its peak there: in every scripted rep of the library, fast
# ones too, the truth spine stays within 2 deg of its peak for >= 0.5 s. The fitted spine's
# frame-to-frame noise puts a rep's one-frame maximum 2.7 deg (mesh) / 3.2 deg (capsule) above
# the value it holds for 0.3 s (mean over 258 / 238 reps of the dev library); on the mesh reps
# fitted within 5 deg at the bottom, the maximum read +5.0 deg over the truth peak and the held
# value +2.9 deg, so a flat back near the rule was called rounded. The value held over this
# window (its running median) reads the peak without the noise's extreme.
SPINE_HOLD_S = 0.3

# What the fitted thorax may read short of a curved back. A rigid thorax (spine_mid -> neck)
# reads a back that rounds along its length (the mesh athlete: its truth is the top thoracic
# bone, which carries the whole curve) by its chord, short even where it is fitted perfectly:
# the truth's own spine points read 0.70 of the truth's spine at the bottom of reps rounded
# past 10 deg (median; 0.65-0.72 rep by rep; bench/spine.py). The fitter's thorax now bends
# once (station.fit.body_model: an upper thorax read by its own axis) and reads more of a
# curve, though not all of it: the mesh dev library's lean-backs, extended 17-20 deg at the
# end of the rep (truth), read 0.88 of it (median; 0.77 with the rigid thorax, 27 reps), and
# its rounded reps 0.77 on the men's shapes and 0.42 on the women's and hoodies' (0.83 and
# 0.24 rigid; stop 42). So the band keeps the rigid chord's share: a back read between this
# share of the rule's limit and the limit may be rounded past it, and is not called clean
# (RoundedBack.undecided); the same for a back arched at the top (Overextension.undecided:
# before the band, 6 of the 70 dev takes' 45 lean-backs over the -15 deg rule read -11.1 to
# -14.3 deg and were called clean).
CURVED_BACK_CHORD_RATIO = 0.70


def chord_short_of(reading_deg: float, limit_deg: float) -> bool:
    """A spine reading on the allowed side of a limit (or on it) but past
    CURVED_BACK_CHORD_RATIO of it, on the limit's side of zero: what the fitted thorax may read
    of a back curved past the limit (a rounding, limit > 0; an arch, limit < 0)."""
    toward = math.copysign(1.0, limit_deg)
    return CURVED_BACK_CHORD_RATIO * abs(limit_deg) < toward * reading_deg <= abs(limit_deg)


def held_peak(t: np.ndarray, x: np.ndarray, hold_s: float = SPINE_HOLD_S) -> float:
    """The largest value x holds over hold_s: the maximum over the series of its running
    median over hold_s (centred; the whole series if it is shorter)."""
    x = np.asarray(x, np.float64)
    if len(x) == 0:
        return float("nan")
    dt = float(np.median(np.diff(t))) if len(t) > 1 else hold_s
    k = max(1, round(hold_s / max(dt, 1e-6)) | 1)      # odd, >= 1
    if len(x) <= k:
        return float(np.median(x))
    w = np.lib.stride_tricks.sliding_window_view(x, k)
    return float(np.max(np.median(w, axis=1)))


@dataclass(frozen=True)
class RoundedBack(Rule):
    """spine_flexion > max_spine_flexion_deg at any time in the rep, held for SPINE_HOLD_S
    (a frame's noise is not a rounded back)."""

    name: ClassVar[str] = "rounded_back"
    lifter_text: ClassVar[str] = "back rounded: brace, keep it flat"
    short_label: ClassVar[str] = "round back"
    staff_text: ClassVar[str] = "Back rounded"
    staff_part: ClassVar[str] = "the back"
    body_segments: ClassVar[tuple[str, ...]] = ("trunk",)
    reads: ClassVar[tuple[str, ...]] = ("spine",)
    window: ClassVar[str] = "rep"
    help_phases: ClassVar[tuple[str, ...]] = ("lowering", "bottom", "rising")
    priority: int = _priority(1)
    cue: str = "brace_flat_back"
    cue_phase: str = "lowering"
    max_spine_flexion_deg: float = threshold(20.0, 0.0, 90.0, "degrees", "mul")

    def measure(self, rep):
        span = slice(rep.start, rep.end + 1)
        return {"peak_spine_flexion": float(np.max(rep.spine[span])),
                "held_spine_flexion": held_peak(rep.t[span], rep.spine[span])}

    def violated(self, m):
        return m["held_spine_flexion"] > self.max_spine_flexion_deg

    def undecided(self, m):
        # below the limit, but not below what the thorax may read of a back rounded to it
        return chord_short_of(m["held_spine_flexion"], self.max_spine_flexion_deg)

    def seen_violated(self, rep, seen):
        # held over SPINE_HOLD_S by the sure frames alone: the unsure ones count as below the
        # rule, so a running median over the hold needs most of its frames sure and rounded
        span = slice(rep.start, rep.end + 1)
        sure = np.where(np.asarray(seen, bool)[span], rep.spine[span], -np.inf)
        return held_peak(rep.t[span], sure) > self.max_spine_flexion_deg

    def raised_measure(self, bottom_spine_deg):
        # the bottom's reading: the shortfall is measured on bottoms (a rep's peak elsewhere,
        # lowering or rising, is read with another error)
        return {"peak_spine_flexion": bottom_spine_deg, "held_spine_flexion": bottom_spine_deg}

    def onset(self, live):
        # rounded now, and held so (as the verdict reads it)
        held = live.spine if live.spine_held is None else min(live.spine, live.spine_held)
        return held > self.max_spine_flexion_deg


@dataclass(frozen=True)
class IncompleteLockout(Rule):
    """Hip flexion > max_end_hip_flexion_deg at the lockout (the rep's end from the top)."""

    name: ClassVar[str] = "incomplete_lockout"
    lifter_text: ClassVar[str] = "not finishing tall: squeeze the glutes"
    short_label: ClassVar[str] = "lockout"
    staff_text: ClassVar[str] = "Did not finish standing tall"
    staff_part: ClassVar[str] = "the lockout"
    body_segments: ClassVar[tuple[str, ...]] = ("trunk", "thigh")
    reads: ClassVar[tuple[str, ...]] = ("hip",)
    window: ClassVar[str] = "top"
    help_phases: ClassVar[tuple[str, ...]] = ("rising", "lockout", "standing")
    priority: int = _priority(3)
    cue: str = "stand_tall_squeeze_glutes"
    cue_phase: str = "top"
    max_end_hip_flexion_deg: float = threshold(15.0, 0.0, 60.0, "degrees", "mul")

    def measure(self, rep):
        return {"lockout_hip_flexion": float(rep.hip[rep.top])}

    def boundaries(self, rep):
        # the hips at the lockout the detector found: a lifter back in view after a loss that
        # hid their lockout is found "locked out" where they were seen again
        return (rep.top,)

    def violated(self, m):
        return m["lockout_hip_flexion"] > self.max_end_hip_flexion_deg

    def onset(self, live):
        return live.hip_at_top is not None and live.hip_at_top > self.max_end_hip_flexion_deg


# Hips this close to upright count as "at the top" for a live lean-back check (the verdict
# reads the top window, from the lockout on: station.form.rep_trace.RepTrace.top_window)
TOP_HIP_FLEXION_DEG = 10.0


@dataclass(frozen=True)
class Overextension(Rule):
    """Over the top window: hip flexion < min_end_hip_flexion_deg (moved by the lifter's own
    standing hip flexion where that is extended: hip_limit) or spine_flexion <
    min_end_spine_flexion_deg (None: no spine test)."""

    name: ClassVar[str] = "overextension"
    lifter_text: ClassVar[str] = "leaning back at the top: ribs down"
    short_label: ClassVar[str] = "leaning back"
    staff_text: ClassVar[str] = "Leaned back at the top"
    staff_part: ClassVar[str] = "the top position"
    body_segments: ClassVar[tuple[str, ...]] = ("trunk",)
    reads: ClassVar[tuple[str, ...]] = ("hip", "spine")
    window: ClassVar[str] = "top"
    help_phases: ClassVar[tuple[str, ...]] = ("rising", "lockout", "standing")
    priority: int = _priority(3)
    cue: str = "stand_tall_ribs_down"
    cue_phase: str = "top"
    min_end_hip_flexion_deg: float = threshold(-10.0, -60.0, 0.0, "degrees", "mul")
    min_end_spine_flexion_deg: float | None = threshold(-15.0, -60.0, 0.0, "degrees", "mul", off=True)

    def hip_limit(self, standing_hip: float | None) -> float:
        """The hip flexion under which the top is a lean-back, for a lifter standing at
        standing_hip (deg; None or NaN: unknown).

        The lifter's own upright stance, or the fit's bias on it (the capsule fit of
        tall_heavy_loose stands at -8.5 deg, truth 0, and its clean lockouts read -10.2 to
        -11.3 over the top window: all four called against the absolute -10), is not leaning
        back: the limit is that far below the standing reference. Only an extended reference
        moves it: a lifter standing soft, hips a little flexed, keeps the absolute limit (a
        lean-back is past upright, not past their stance), and so the absolute truth labels
        stay the measure. The shift is bounded by what the reference accepts as standing
        (StandingReference.max_hip_ext_deg, 15 deg)."""
        if standing_hip is None or not np.isfinite(standing_hip):
            return self.min_end_hip_flexion_deg
        return self.min_end_hip_flexion_deg + min(0.0, float(standing_hip))

    def measure(self, rep):
        w = rep.top_window()
        return {"min_top_hip_flexion": float(np.min(rep.hip[w])),
                "min_top_spine_flexion": float(np.min(rep.spine[w])),
                "standing_hip_flexion": np.nan if rep.standing_hip is None else float(rep.standing_hip)}

    def violated(self, m):
        if m["min_top_hip_flexion"] < self.hip_limit(m.get("standing_hip_flexion")):
            return True
        s = self.min_end_spine_flexion_deg
        return s is not None and m["min_top_spine_flexion"] < s

    def undecided(self, m):
        # not past the limit, but past what the thorax may read of a back arched to it: an
        # arch may be there, so not called clean
        s = self.min_end_spine_flexion_deg
        return s is not None and chord_short_of(m["min_top_spine_flexion"], s)

    def onset(self, live):
        near_top = live.phase in ("rising", "lockout") or (
            live.since_top_s is not None and live.since_top_s <= 0.5)
        if not near_top or (live.start_position == "top" and not live.bottom_reached and live.phase != "lockout"):
            return False
        if live.hip < self.hip_limit(live.standing_hip):
            return True
        # The spine is read where the verdict reads it: at the top. While the hips are still
        # driving up, a fast drive (a swing: hips opening at ~270 deg/s) leaves the fitted
        # thorax a frame behind the pelvis, which reads as 12-16 deg of spine extension with
        # the hips still 20-45 deg flexed (measured on kettlebell_swing; truth 0 deg).
        s = self.min_end_spine_flexion_deg
        at_top = live.phase != "rising" or live.hip <= TOP_HIP_FLEXION_DEG
        return s is not None and at_top and live.spine < s


# How long a lateral shift must last to count (s). A pelvis that drifts sideways stays there
# for a while: the truth traces of every hip-shifted rep of the dev library (scripted, and the
# three real motion-capture clips) hold within 0.024 m of their peak over this window (and
# above the 0.06 m rule on every one of them: held 0.064-0.456 m). The fitted shift does not:
# a one-frame glitch of the fit (rdl_rounded_back on the mesh body: -153 mm for one frame, the
# knees +10 deg with it; truth 0) passed the One-Euro filter as a 0.11-0.13 m peak, and clean
# reps were called shifted. The same window as the spine's (SPINE_HOLD_S).
SHIFT_HOLD_S = SPINE_HOLD_S


@dataclass(frozen=True)
class HipShift(Rule):
    """|pelvis_lateral_shift − its value at the rep's start| > max_lateral_shift_m during the
    rep, held for SHIFT_HOLD_S (a frame's glitch is not a shift)."""

    name: ClassVar[str] = "hip_shift"
    lifter_text: ClassVar[str] = "hips shifting sideways: keep them square"
    short_label: ClassVar[str] = "hip shift"
    staff_text: ClassVar[str] = "Hips drifted to one side"
    staff_part: ClassVar[str] = "the hips' shift"
    body_segments: ClassVar[tuple[str, ...]] = ("pelvis",)
    reads: ClassVar[tuple[str, ...]] = ("shift",)
    window: ClassVar[str] = "rep"
    help_phases: ClassVar[tuple[str, ...]] = ("lowering", "bottom", "rising")
    priority: int = _priority(3)
    cue: str = "hips_square"
    cue_phase: str = "rising"
    max_lateral_shift_m: float = threshold(0.06, 0.005, 0.5, "metres", "mul")

    def measure(self, rep):
        span = slice(rep.start, rep.end + 1)
        off = np.abs(rep.shift[span] - rep.shift[rep.start])
        return {"max_lateral_shift": float(np.max(off)), "held_lateral_shift": held_peak(rep.t[span], off)}

    def violated(self, m):
        return m["held_lateral_shift"] > self.max_lateral_shift_m

    def onset(self, live):
        # shifted now, and held so (as the verdict reads it)
        off = abs(live.shift - live.start_shift)
        if live.shift_held is not None:
            off = min(off, abs(live.shift_held - live.start_shift))
        return off > self.max_lateral_shift_m


# TooFast.seen_verdict: the share of the lowering (hip flexion, start to bottom) the fit must
# have been sure of, from the start without a break, to time it from the sure frames
SEEN_LOWERING = 0.5
# How late the fit finds a lowering's start: the first 0.1-0.15 s of a lowering that eases in
# move the hips less than the fitted hips' jitter (stop 46: median 0.07 s at the library's
# noise, 0.10 s with it doubled; p90 0.13 / 0.23 s), so a lowering reads short by about this. A
# lowering read under the limit by less is not called too fast (TooFast.doubtful): measured on
# the stop 73 fits (both libraries, 103 too-fast calls) it takes back the three false ones, read
# 0.93-0.97 s for truths of 1.00-1.17 s, and no true one (a margin of 0.13 s would also take
# back three true ones)
LATE_START_S = 0.07


@dataclass(frozen=True)
class TooFast(Rule):
    """The lowering shorter than min_eccentric_s (from the top: start → bottom; from the
    floor: lockout → back on the floor)."""

    name: ClassVar[str] = "too_fast"
    lifter_text: ClassVar[str] = "lowering too fast: control the way down"
    short_label: ClassVar[str] = "too fast"
    staff_text: ClassVar[str] = "Lowered too fast"
    staff_part: ClassVar[str] = "the tempo"
    reads: ClassVar[tuple[str, ...]] = ("hip",)
    window: ClassVar[str] = "eccentric"
    # the lowering just done was too fast: said from the bottom until the next lowering begins
    help_phases: ClassVar[tuple[str, ...]] = ("bottom", "rising", "lockout", "standing")
    priority: int = _priority(4)
    cue: str = "slow_the_lowering"
    cue_phase: str = "lowering"
    min_eccentric_s: float = threshold(1.0, 0.1, 10.0, "seconds", "div")

    def measure(self, rep):
        return {"eccentric_s": rep.eccentric_s()}

    def boundaries(self, rep):
        return rep.eccentric_bounds()

    def violated(self, m):
        return m["eccentric_s"] < self.min_eccentric_s

    def doubtful(self, m):
        # under the limit by less than the fit finds a lowering's start late (LATE_START_S)
        return self.min_eccentric_s - LATE_START_S <= m["eccentric_s"] < self.min_eccentric_s

    def seen_verdict(self, rep, seen, window, min_fraction):
        # The lowering's length is its start and its bottom, not the hip's values between.
        # Facing the camera, the bent trunk hides the pelvis over the last third or so of a
        # lowering and the hip's confidence falls below the gate there (mesh library: 18 of
        # 43 too-fast reps not judged, all read 0.5-1.0 s against truths of 0.5-0.83). Timed
        # when the hip was sure from the start without a break until it had covered
        # SEEN_LOWERING of the lowering: the start was seen, and the bottom's time is the
        # hip's turn, even where its value is unsure. Lost earlier, not judged: there the
        # hips read stopping early (clean 1.5-1.7 s lowerings of shape D read 0.77-0.87 s).
        ok = np.asarray(seen["hip"], bool)[window]
        hip = rep.hip[window]
        k = len(ok) if ok.all() else int(np.argmin(ok))   # the sure frames from the start
        depth = float(hip[-1] - hip[0]) if len(hip) else 0.0
        if k < 2 or depth <= 0.0 or float(hip[k - 1] - hip[0]) < SEEN_LOWERING * depth:
            return None
        return self.violated(self.measure(rep))

    def onset(self, live):
        m = {"eccentric_s": live.eccentric_s}
        if live.eccentric_s is None or not self.violated(m) or self.doubtful(m):
            return False   # no cue for a lowering the verdict would not call
        # from the top, the lowering is known once the lifter drives up: a lifter who pauses
        # part-way down and goes on lowering was not too fast (the verdict reads the whole
        # lowering, to the deepest)
        return live.start_position == "bottom" or live.phase not in ("lowering", "bottom")


@dataclass(frozen=True)
class HipsShootUp(Rule):
    """In the first window_frac of the concentric phase (bottom → lockout), knee extension
    (drop in knee flexion) exceeds hip extension (drop in hip flexion) by more than
    max_knee_lead_deg: the hips rise before the chest."""

    name: ClassVar[str] = "hips_shoot_up"
    enabled_by_default: ClassVar[bool] = False   # the deadlift's profile enables it
    lifter_text: ClassVar[str] = "hips rising first: chest and hips together"
    short_label: ClassVar[str] = "hips first"
    staff_text: ClassVar[str] = "Hips rose before the chest"
    staff_part: ClassVar[str] = "the drive from the floor"
    body_segments: ClassVar[tuple[str, ...]] = ("trunk", "thigh")
    reads: ClassVar[tuple[str, ...]] = ("hip", "knee")
    window: ClassVar[str] = "concentric"
    help_phases: ClassVar[tuple[str, ...]] = ("bottom", "rising")
    priority: int = _priority(2)
    cue: str = "chest_and_hips_together"
    cue_phase: str = "rising"
    max_knee_lead_deg: float = threshold(15.0, 1.0, 90.0, "degrees", "mul")
    window_frac: float = threshold(0.3, 0.05, 1.0, "(fraction of the concentric phase)")

    def measure(self, rep):
        b, top = rep.bottom, max(rep.top, rep.bottom)
        t_w = rep.t[b] + self.window_frac * (rep.t[top] - rep.t[b])
        seg = slice(b, top + 1)
        inside = rep.t[seg] <= t_w + 1e-9
        knee_drop = rep.knee[b] - rep.knee[seg][inside]
        hip_drop = rep.hip[b] - rep.hip[seg][inside]
        return {"knee_lead_deg": float(np.max(knee_drop - hip_drop)) if inside.any() else 0.0}

    def boundaries(self, rep):
        # the window is a share of the drive's time, from the bottom it starts at
        return (rep.bottom, max(rep.top, rep.bottom))

    def violated(self, m):
        return m["knee_lead_deg"] > self.max_knee_lead_deg

    def onset(self, live):
        if live.phase != "rising":
            return False
        # live, the window is taken by range of motion: the first window_frac of the way up
        done = (live.hip_at_bottom - live.hip) / max(live.hip_at_bottom, 1.0)
        if done > self.window_frac:
            return False
        return (live.knee_at_bottom - live.knee) - (live.hip_at_bottom - live.hip) > self.max_knee_lead_deg


# Every rule, in the contract's order of fault labels (docs/analysis-output.md).
RULE_TYPES: dict[str, type[Rule]] = {c.name: c for c in (KneeDominant, RoundedBack, IncompleteLockout,
                                                         Overextension, HipShift, TooFast, HipsShootUp)}
FAULT_LABELS: tuple[str, ...] = tuple(RULE_TYPES)


def rule_from_config(name: str, cfg) -> Rule:
    """One rule from its profile table (station.config rule model): every field carried over."""
    cls = RULE_TYPES[name]
    kw = {f: getattr(cfg, f) for f in cls.__dataclass_fields__ if hasattr(cfg, f)}
    return cls(**kw)


def rules_from_profile(profile: ExerciseProfile) -> tuple[Rule, ...]:
    """The profile's enabled rules, most important (lowest priority number) first."""
    return tuple(rule_from_config(n, r) for n, r in profile.enabled_rules().items())


@dataclass(frozen=True)
class SquatRecognition:
    """A rep is a squat when at the bottom knee flexion ≥ min_knee_flexion_deg and hip
    flexion < max_hip_to_knee_ratio × knee flexion."""

    min_knee_flexion_deg: float = threshold(70.0, 20.0, 150.0, "degrees")
    max_hip_to_knee_ratio: float = threshold(1.2, 0.1, 5.0, "")

    @staticmethod
    def from_profile(profile: ExerciseProfile) -> "SquatRecognition":
        s = profile.squat_recognition
        return SquatRecognition(s.min_knee_flexion_deg, s.max_hip_to_knee_ratio)

    def is_squat(self, hip_at_bottom: float, knee_at_bottom: float) -> bool:
        return knee_at_bottom >= self.min_knee_flexion_deg and \
            hip_at_bottom < self.max_hip_to_knee_ratio * knee_at_bottom

    def pattern(self, rep: RepTrace) -> str:
        return "squat" if self.is_squat(float(rep.hip[rep.bottom]), float(rep.knee[rep.bottom])) else "hinge"


def rep_metrics(rep: RepTrace) -> dict[str, float]:
    """The contract's REP metrics plus the values the rules read."""
    span = slice(rep.start, rep.end + 1)
    w = rep.top_window()
    hip_b, knee_b = float(rep.hip[rep.bottom]), float(rep.knee[rep.bottom])
    return {
        "peak_hip_flexion": float(np.max(rep.hip[span])),
        "knee_flexion_at_bottom": knee_b,
        "peak_spine_flexion": float(np.max(rep.spine[span])),
        "eccentric_s": rep.eccentric_s(),
        "concentric_s": rep.concentric_s(),
        "lockout_hip_flexion": float(rep.hip[rep.top]),
        "max_lateral_shift": float(np.max(np.abs(rep.shift[span] - rep.shift[rep.start]))),
        "hip_flexion_at_bottom": hip_b,
        "spine_flexion_at_end": float(rep.spine[rep.top]),
        "min_top_hip_flexion": float(np.min(rep.hip[w])),
        "min_top_spine_flexion": float(np.min(rep.spine[w])),
        "hinge_ratio": hip_b / (hip_b + knee_b) if hip_b + knee_b > 1e-6 else 1.0,
        "top_t": rep.top_t,
    }


def judge(rep: RepTrace, rules: tuple[Rule, ...]) -> tuple[str, ...]:
    """The fault labels of a rep, in the rules' order (most important first)."""
    return tuple(r.name for r in rules if r.judge(rep))
