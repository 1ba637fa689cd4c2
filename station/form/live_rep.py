"""Coaching the rep in progress: each rule's cue at the fault's onset, while the lifter moves.

The rep detector (station.form.reps) says where a rep starts and what phase it is in; a
:class:`LiveRepCoach` follows that rep frame by frame on the smoothed angles (the bottom
reached, the eccentric time, the lockout and the hips there) and asks each of the profile's
rules whether its fault has begun (``Rule.onset`` on a :class:`~station.form.rules.Live`
snapshot). A fault seen is handed to the cue policy (station.form.cues) once per rep; so is
a squat recognised at the bottom half of the movement.

It coaches only a rep it can see: the view is fine (no notice), the angles that make it a
rep (hip and knee) have been confident over most of its frames and are now, both hips
hinge, and each rule speaks only from the angles it reads being confident
(station.form.confidence_gate). The finished rep is judged afterwards, on its whole trace,
by the evaluator (station.form.evaluator).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field


from station.config import ExerciseProfile
from station.form.confidence_gate import DEFAULT_NEEDS, REP_GROUPS, RULE_NEEDS, ConfidenceTracker
from station.form.cues import CuePolicy
from station.form.rep_trace import BOTTOM_TOL_DEG, BOUNDARY_SEEN_S
from station.form.reps import DetectorStatus, RepDetector, both_sides_hinge
from station.form.rules import SHIFT_HOLD_S, SPINE_HOLD_S, Live, Rule, SquatRecognition

ARRIVAL_VELOCITY_DEG_S = 8.0   # the bottom has been reached when hip flexion moves slower
LOST_KEPT_S = 12.0             # lost frames remembered this long (longer than a lowering)


def small_median(values: list[float]) -> float:
    """float(np.median(values)) of a short list, the same value without NumPy's overhead
    (~20 us a call, every frame): the middle sample, or the mean of the two middle ones
    computed as NumPy's mean computes it (its sum starts from 0.0, so -0.0 comes out 0.0);
    NaN if any value is NaN."""
    n = len(values)
    if n == 0:
        return math.nan
    s = sorted(values)
    if any(math.isnan(v) for v in s):
        return math.nan
    h = n // 2
    return float(0.0 + s[h]) if n % 2 else float((0.0 + s[h - 1] + s[h]) / 2.0)


def _held(window: list[tuple[float, float]], t: float, value: float, hold_s: float) -> float:
    """The median of `window`'s values over the last `hold_s` once (t, value) is appended
    (the window is trimmed in place)."""
    window.append((t, value))
    while t - window[0][0] > hold_s - 1e-6:
        window.pop(0)
    return small_median([v for _, v in window])


@dataclass
class LiveRep:
    """The rep in progress as coached live (times in s, angles in deg)."""

    rep_id: int
    start_i: int
    start_t: float
    start_shift: float
    peak_hip: float = -math.inf
    peak_t: float = math.nan
    hip_at_peak_t: float = -math.inf   # the hip at peak_t (peak_hip may creep past it)
    knee_at_peak: float = math.nan
    fired: set = field(default_factory=set)
    top_t: float | None = None
    hip_at_top: float | None = None
    bottom_reached: bool = False
    eccentric_s: float | None = None
    squat: bool = False
    deferred: set = field(default_factory=set)
    n_frames: int = 0          # tracked frames seen live, and how many had the rep's own
    n_confident: int = 0       # angles (hip, knee) confident: is this a rep the fit can see?


class LiveRepCoach:
    """The live cues of one evaluator: update() once per frame, after the detector."""

    def __init__(self, profile: ExerciseProfile, rules: tuple[Rule, ...], squat: SquatRecognition,
                 squat_priority: float, detector: RepDetector, confidence: ConfidenceTracker):
        self.profile = profile
        self.rules = rules
        self.squat = squat
        self.squat_priority = squat_priority
        self.detector = detector
        self.confidence = confidence
        self.live: LiveRep | None = None
        self._rep_seq = 0
        self._hips: list[tuple[float, float]] = []
        self._spines: list[tuple[float, float]] = []    # (t, spine) over the last SPINE_HOLD_S
        self._shifts: list[tuple[float, float]] = []    # (t, shift) over the last SHIFT_HOLD_S
        self._lost_t: list[float] = []    # the times of lost frames, over the last LOST_KEPT_S

    def _lost_in(self, t0: float, t1: float = math.inf) -> bool:
        """Whether a frame was lost between times t0 and t1 (inclusive, to the microsecond)."""
        return any(t0 - 1e-9 <= x <= t1 + 1e-9 for x in self._lost_t)

    def _seen_at(self, t0: float, now: float) -> bool:
        """Whether the lifter was tracked within BOUNDARY_SEEN_S of time t0, as far as frames up
        to now show (the verdict's RepTrace.seen_at, live): a time read there is the fit's."""
        return now - t0 >= BOUNDARY_SEEN_S - 1e-9 and \
            not self._lost_in(t0 - BOUNDARY_SEEN_S, t0 + BOUNDARY_SEEN_S)

    def _velocity(self, t: float, hip: float) -> float:
        self._hips.append((t, hip))
        while len(self._hips) > 2 and t - self._hips[1][0] >= 0.1:
            self._hips.pop(0)
        t0, h0 = self._hips[0]
        return (hip - h0) / (t - t0) if t > t0 else 0.0

    def _held_spine(self, t: float, spine: float) -> float:
        """The spine flexion held over the last SPINE_HOLD_S (the median of its frames): the
        live view of what the verdict reads (station.form.rules.held_peak), so a frame's noise
        raises no cue the verdict would then take back."""
        return _held(self._spines, t, spine, SPINE_HOLD_S)

    def _held_shift(self, t: float, shift: float) -> float:
        """The lateral shift held over the last SHIFT_HOLD_S (as _held_spine, for the verdict's
        held shift: station.form.rules.HipShift)."""
        return _held(self._shifts, t, shift, SHIFT_HOLD_S)

    def _rep_seen_well(self, lv: LiveRep, notice: str | None) -> bool:
        """Whether the rep in progress may be coached live at all: the view is fine (no notice:
        the person faces the mirror, in the zone) and the angles that make it a rep (hip and
        knee) were confident in at least min_fraction of its frames so far and are now. A
        person turning to walk away, or a track that is breaking, moves the hips and knees
        like a rep; what the fit makes of it is not something to coach (or call a squat)."""
        if notice is not None or lv.n_frames == 0:
            return False
        return (lv.n_confident >= self.confidence.gate.min_fraction * lv.n_frames
                and self.confidence.confident(REP_GROUPS))

    def update(self, t: float, st: DetectorStatus, vals: tuple[float, ...] | None,
               notice: str | None, cues: CuePolicy, standing_hip_deg: float | None = None) -> None:
        """One frame: st the detector's status after it; vals the smoothed series
        (station.form.rep_trace.SERIES; None: not tracked); cues the evaluator's cue policy
        (passed each frame: the recognising evaluator may give it a new one); standing_hip_deg:
        the lifter's standing hip flexion (None: unknown), as the verdict reads it."""
        det = self.detector
        if vals is None:
            self._hips.clear()
            self._spines.clear()
            self._shifts.clear()
            self._lost_t.append(t)
            while t - self._lost_t[0] > LOST_KEPT_S:
                self._lost_t.pop(0)
            return
        hip, knee, spine, shift = vals[:4]
        vel = self._velocity(t, hip)
        spine_held = self._held_spine(t, spine)
        shift_held = self._held_shift(t, shift)
        # a new rep in progress?
        if st.in_rep and st.rep_start_i is not None and (self.live is None or self.live.start_i != st.rep_start_i):
            a = det.history(st.rep_start_i, st.rep_start_i)
            self._rep_seq += 1
            self.live = LiveRep(self._rep_seq, st.rep_start_i, float(a["t"][0]), float(a["shift"][0]))
        lv = self.live
        if lv is None:
            return
        lv.n_frames += 1
        lv.n_confident += int(self.confidence.confident(REP_GROUPS))
        bottom_start = self.profile.reps.start_position == "bottom"
        # the lockout of this rep
        r = det.rep if det.rep is not None and det.rep.start_i == lv.start_i else None
        p = det.pending if det.pending is not None and det.pending.start_i == lv.start_i else None
        top_i = None
        if bottom_start:
            if r is not None and r.top_i is not None and lv.top_t is None:
                top_i = r.top_i
        elif p is not None and p.end_i is not None and lv.top_t is None:
            top_i = p.end_i
        if top_i is not None:
            a = det.history(top_i, top_i)
            lv.top_t, lv.hip_at_top = float(a["t"][0]), float(a["hip"][0])
            if self._lost_in(lv.top_t - BOUNDARY_SEEN_S, lv.top_t):
                lv.hip_at_top = None   # found as the lifter came back into view: not the lockout
        if lv.top_t is None and not st.in_rep:
            # the rep was dropped (partial dip, lost, too long): nothing said about it stays
            cues.rep_dropped(t, lv.start_t)
            self.live = None
            return
        # the bottom
        if not bottom_start:
            if lv.top_t is None and hip > lv.peak_hip:
                # peak_t: the first frame within BOTTOM_TOL_DEG of the deepest, as the verdict's
                # bottom (rep_trace); measured from the hip at peak_t, not the running maximum,
                # or a slow creep into the bottom never moves it and the live lowering reads short
                if hip > lv.hip_at_peak_t + BOTTOM_TOL_DEG or math.isnan(lv.peak_t):
                    lv.peak_t, lv.hip_at_peak_t = t, hip
                lv.peak_hip, lv.knee_at_peak = hip, knee
            if not lv.bottom_reached and lv.peak_hip >= self.profile.reps.min_bottom_hip_flexion_deg and (
                    st.phase == "rising" or (st.phase == "bottom" and vel <= ARRIVAL_VELOCITY_DEG_S)):
                lv.bottom_reached = True
            if lv.bottom_reached and lv.top_t is None:
                # a pause part-way down is not the bottom: the lowering runs to the deepest;
                # timed only between ends the fit saw: the start, and the deepest with no frame
                # lost since (a track lost just after the bottom puts the deepest at its last
                # frame: the verdict does not judge it either, RepTrace.seen_at)
                seen = self._seen_at(lv.start_t, t) and not self._lost_in(lv.peak_t - BOUNDARY_SEEN_S)
                lv.eccentric_s = lv.peak_t - lv.start_t if seen else None
        else:
            if lv.peak_hip == -math.inf:
                lv.peak_hip, lv.peak_t, lv.knee_at_peak = hip, lv.start_t, knee
                a = det.history(lv.start_i, lv.start_i)
                lv.peak_hip, lv.knee_at_peak = float(a["hip"][0]), float(a["knee"][0])
                lv.bottom_reached = True
            if lv.top_t is not None and lv.eccentric_s is None and st.phase == "bottom" and \
                    vel <= ARRIVAL_VELOCITY_DEG_S and self._seen_at(lv.top_t, t) and \
                    not self._lost_in(lv.top_t):
                lv.eccentric_s = t - lv.top_t
        phase = st.phase or "standing"
        since_top = (t - lv.top_t) if lv.top_t is not None else None
        live = Live(phase=phase, hip=hip, knee=knee, spine=spine, shift=shift, start_shift=lv.start_shift,
                    elapsed_s=t - lv.start_t, bottom_reached=lv.bottom_reached, eccentric_s=lv.eccentric_s,
                    since_top_s=since_top, peak_hip=lv.peak_hip, hip_at_bottom=lv.peak_hip,
                    knee_at_bottom=lv.knee_at_peak, start_position=self.profile.reps.start_position,
                    hip_at_top=lv.hip_at_top, spine_held=spine_held, shift_held=shift_held,
                    standing_hip=standing_hip_deg)
        in_window = lv.top_t is None or since_top <= 0.5
        if not in_window or not self._rep_seen_well(lv, notice):
            return
        if not both_sides_hinge(hip, vals[5], vals[4]):
            # one hip flexing with the trunk upright (a step, turning to walk away): not a
            # hinge, so nothing to coach (the detector does not count it either)
            return
        # squat recognised live (at the bottom half of the movement)
        if not lv.squat and phase in ("lowering", "bottom") and self.squat.is_squat(hip, knee):
            lv.squat = True
            cues.squat_seen(t, self.squat_priority, lv.rep_id)
        for rule in self.rules:
            if rule.name in lv.fired:
                continue
            # a cue only from angles the fitter is sure of
            if not self.confidence.confident(RULE_NEEDS.get(rule.name, DEFAULT_NEEDS)[0]):
                continue
            if rule.onset(live):
                if rule.name == "knee_dominant":
                    if lv.squat:
                        lv.fired.add(rule.name)
                        continue
                    # squat-like so far: wait for the bottom (its rule is judged there)
                    if not lv.bottom_reached and hip < self.squat.max_hip_to_knee_ratio * knee:
                        continue
                lv.fired.add(rule.name)
                cues.fault_onset(t, rule, lv.rep_id)
