"""The form evaluator: contract angles per frame in, reps, faults, cues and CoachState out.

    ev = FormEvaluator.from_config(cfg, "rdl")   # or FormEvaluator(profile, CueTiming(), SetTiming())
    for t, angles in frames:                # angles: contract dict, or None when not tracked
        state = ev.update(t, angles)        # CoachState (station.model)
    ev.finish()                             # flush the last rep and set
    ev.reps                                 # [RepVerdict]; ev.sets -> [SetSummary]

Per frame: One-Euro smoothing (station.form.smoothing) → the rep state machine
(station.form.reps) → each rule's live check on the rep in progress (cue at the fault's
onset) → finished reps judged by the profile's rules (station.form.rules) → the cue policy
(station.form.cues) → a CoachState snapshot.

Sets: a set starts with its first rep and ends after SetTiming.rest_s without a rep, or when
the lifter leaves (not tracked for leave_s); its SetSummary is then shown for summary_s
(config [sets]).
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from station.config import ExerciseProfile, StationConfig, load_exercise
from station.form.cues import CuePolicy, CueTiming
from station.form.reps import BOTTOM_TOL_DEG, RepDetector, RepTrace, both_sides_hinge, series_of
from station.form.rules import Live, Rule, SquatRecognition, judge, rep_metrics, rules_from_profile
from station.form.smoothing import AngleSmoother
from station.model import CoachState, RepVerdict, SetSummary

IDLE_AFTER_S = 1.0
ARRIVAL_VELOCITY_DEG_S = 8.0   # the bottom has been reached when hip flexion moves slower

@dataclass(frozen=True)
class SetTiming:
    """When a set ends and how long its summary shows (config [sets])."""

    rest_s: float = 8.0
    leave_s: float = 2.0
    summary_s: float = 12.0

    @staticmethod
    def from_config(sets) -> "SetTiming":
        return SetTiming(float(sets.rest_s), float(sets.leave_s), float(sets.summary_s))


# muscle activation by phase: (drive, isometric, brace)
_ACTIVATION = {
    None: (0.0, 0.0, 0.0),
    "standing": (0.15, 0.3, 0.3),
    "lowering": (0.6, 0.8, 0.8),      # glutes and hamstrings lengthen under load
    "bottom": (0.8, 0.9, 0.9),
    "rising": (1.0, 0.9, 0.9),        # they drive the hips through
    "lockout": (0.5, 0.6, 0.7),       # glutes squeeze at the top (set to 1.0 below)
}


@dataclass
class _LiveRep:
    rep_id: int
    start_i: int
    start_t: float
    start_shift: float
    peak_hip: float = -math.inf
    peak_t: float = math.nan
    knee_at_peak: float = math.nan
    fired: set = field(default_factory=set)
    top_t: float | None = None
    hip_at_top: float | None = None
    bottom_reached: bool = False
    eccentric_s: float | None = None
    squat: bool = False
    deferred: set = field(default_factory=set)


def verdict_of(trace: RepTrace, rules: tuple[Rule, ...], squat: SquatRecognition) -> RepVerdict:
    """The RepVerdict of one segmented rep."""
    return RepVerdict(start_t=trace.start_t, bottom_t=trace.bottom_t, end_t=trace.end_t,
                      pattern=squat.pattern(trace), faults=judge(trace, rules), metrics=rep_metrics(trace))


def summarize_set(reps: list[RepVerdict], start_t: float, end_t: float) -> SetSummary:
    counts = Counter(f for r in reps for f in r.faults)
    ecc = [r.metrics["eccentric_s"] for r in reps]
    con = [r.metrics["concentric_s"] for r in reps]
    patterns = Counter(r.pattern for r in reps)
    return SetSummary(
        reps=len(reps), clean_reps=sum(1 for r in reps if not r.faults and r.pattern == "hinge"),
        most_frequent_fault=counts.most_common(1)[0][0] if counts else None,
        fault_counts=dict(counts),
        mean_eccentric_s=float(np.mean(ecc)) if ecc else None,
        mean_concentric_s=float(np.mean(con)) if con else None,
        pattern="squat" if patterns.get("squat", 0) > patterns.get("hinge", 0) else "hinge",
        start_t=start_t, end_t=end_t)


class FormEvaluator:
    def __init__(self, profile: ExerciseProfile, timing: CueTiming | None = None,
                 smooth: bool = True, sets: SetTiming | None = None):
        self.profile = profile
        self.set_timing = sets or SetTiming()
        self.exercise = profile.name
        self.rules = rules_from_profile(profile)
        self.rules_by_name = {r.name: r for r in self.rules}
        self.squat = SquatRecognition.from_profile(profile)
        knee = self.rules_by_name.get("knee_dominant")
        self.squat_priority = (knee.priority - 0.5) if knee is not None else 1.5
        self.smoother = AngleSmoother() if smooth else None
        self.detector = RepDetector(profile.reps)
        self.cues = CuePolicy(timing or CueTiming())
        self.reps: list[RepVerdict] = []
        self.traces: list[RepTrace] = []
        self.sets: list[SetSummary] = []
        self.states: list[CoachState] = []
        self._set_reps: list[RepVerdict] = []
        self._set_start: float | None = None
        self._summary: SetSummary | None = None
        self._summary_until = -math.inf
        self._live: _LiveRep | None = None
        self._rep_seq = 0
        self._last_tracked_t: float | None = None
        self._hips: list[tuple[float, float]] = []
        self._t = 0.0
        self.keep_states = False

    @classmethod
    def from_config(cls, cfg: StationConfig, exercise: str | None = None) -> "FormEvaluator":
        """The evaluator a station runs: the named (or default) profile from the station's
        profiles folder with its strictness, and the station's cue and set timing."""
        name = exercise or cfg.exercise.default
        profile = load_exercise(name, cfg.exercise.profiles_dir).with_strictness(cfg.exercise.strictness)
        return cls(profile, CueTiming.from_config(cfg.cues), sets=SetTiming.from_config(cfg.sets))

    # ------------------------------------------------------------------------------------
    def update(self, t_s: float, angles: dict[str, float] | None) -> CoachState:
        self._t = t_s
        sm = self.smoother.update(t_s, angles) if self.smoother is not None else angles
        if sm is not None:
            self._last_tracked_t = t_s
        finished = self.detector.update(t_s, angles, sm)
        st = self.detector.status()
        vals = series_of(sm) if sm is not None else None
        self._track_live(t_s, st, vals)
        for tr in finished:
            self._rep_finished(t_s, tr)
        self._sets(t_s, st)
        cue = self.cues.step(t_s, st.phase)
        state = self._state(t_s, st, vals, cue)
        if self.keep_states:
            self.states.append(state)
        return state

    def finish(self) -> list[RepVerdict]:
        """End of stream: report the last rep and close the set."""
        for tr in self.detector.flush():
            self._rep_finished(self._t, tr)
        self._close_set(self._t)
        return self.reps

    # ------------------------------------------------------------------------------------
    def _velocity(self, t: float, hip: float) -> float:
        self._hips.append((t, hip))
        while len(self._hips) > 2 and t - self._hips[1][0] >= 0.1:
            self._hips.pop(0)
        t0, h0 = self._hips[0]
        return (hip - h0) / (t - t0) if t > t0 else 0.0

    def _track_live(self, t: float, st, vals) -> None:
        det = self.detector
        if vals is None:
            self._hips.clear()
            return
        hip, knee, spine, shift = vals[:4]
        vel = self._velocity(t, hip)
        # a new rep in progress?
        if st.in_rep and st.rep_start_i is not None and (self._live is None or self._live.start_i != st.rep_start_i):
            a = det.history(st.rep_start_i, st.rep_start_i)
            self._rep_seq += 1
            self._live = _LiveRep(self._rep_seq, st.rep_start_i, float(a["t"][0]), float(a["shift"][0]))
        lv = self._live
        if lv is None:
            return
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
        if lv.top_t is None and not st.in_rep:
            # the rep was dropped (partial dip, lost, too long): nothing said about it stays
            self.cues.rep_dropped(t, lv.start_t)
            self._live = None
            return
        # the bottom
        if not bottom_start:
            if lv.top_t is None and hip > lv.peak_hip:
                if hip > lv.peak_hip + BOTTOM_TOL_DEG or math.isnan(lv.peak_t):
                    lv.peak_t = t
                lv.peak_hip, lv.knee_at_peak = hip, knee
            if not lv.bottom_reached and lv.peak_hip >= self.profile.reps.min_bottom_hip_flexion_deg and (
                    st.phase == "rising" or (st.phase == "bottom" and vel <= ARRIVAL_VELOCITY_DEG_S)):
                lv.bottom_reached = True
                lv.eccentric_s = lv.peak_t - lv.start_t
        else:
            if lv.peak_hip == -math.inf:
                lv.peak_hip, lv.peak_t, lv.knee_at_peak = hip, lv.start_t, knee
                a = det.history(lv.start_i, lv.start_i)
                lv.peak_hip, lv.knee_at_peak = float(a["hip"][0]), float(a["knee"][0])
                lv.bottom_reached = True
            if lv.top_t is not None and lv.eccentric_s is None and st.phase == "bottom" and \
                    vel <= ARRIVAL_VELOCITY_DEG_S:
                lv.eccentric_s = t - lv.top_t
        phase = st.phase or "standing"
        since_top = (t - lv.top_t) if lv.top_t is not None else None
        live = Live(phase=phase, hip=hip, knee=knee, spine=spine, shift=shift, start_shift=lv.start_shift,
                    elapsed_s=t - lv.start_t, bottom_reached=lv.bottom_reached, eccentric_s=lv.eccentric_s,
                    since_top_s=since_top, peak_hip=lv.peak_hip, hip_at_bottom=lv.peak_hip,
                    knee_at_bottom=lv.knee_at_peak, start_position=self.profile.reps.start_position,
                    hip_at_top=lv.hip_at_top)
        in_window = lv.top_t is None or since_top <= 0.5
        if not in_window:
            return
        if not both_sides_hinge(hip, vals[5], vals[4]):
            # one hip flexing with the trunk upright (a step, turning to walk away): not a
            # hinge, so nothing to coach (the detector does not count it either)
            return
        # squat recognised live (at the bottom half of the movement)
        if not lv.squat and phase in ("lowering", "bottom") and self.squat.is_squat(hip, knee):
            lv.squat = True
            self.cues.squat_seen(t, self.squat_priority, lv.rep_id)
        for rule in self.rules:
            if rule.name in lv.fired:
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
                self.cues.fault_onset(t, rule, lv.rep_id)

    def _rep_finished(self, t: float, tr: RepTrace) -> None:
        v = verdict_of(tr, self.rules, self.squat)
        self.reps.append(v)
        self.traces.append(tr)
        if self._set_start is None:
            self._set_start = v.start_t
        self._set_reps.append(v)
        self._summary = None
        self.cues.clear_reminders()
        self.cues.rep_done(t, v.faults, v.pattern, self.rules_by_name, self.squat_priority, start_t=v.start_t)

    def _sets(self, t: float, st) -> None:
        if not self._set_reps:
            return
        last_end = self._set_reps[-1].end_t
        gone = self._last_tracked_t is None or t - self._last_tracked_t > self.set_timing.leave_s
        if (not st.in_rep and t - last_end > self.set_timing.rest_s) or gone:
            self._close_set(t)

    def _close_set(self, t: float) -> None:
        if not self._set_reps:
            return
        s = summarize_set(self._set_reps, self._set_start or self._set_reps[0].start_t,
                          self._set_reps[-1].end_t)
        self.sets.append(s)
        self._summary, self._summary_until = s, t + self.set_timing.summary_s
        self._set_reps, self._set_start = [], None

    def _state(self, t: float, st, vals, cue) -> CoachState:
        tracked = vals is not None
        lost_for = math.inf if self._last_tracked_t is None else t - self._last_tracked_t
        if self._summary is not None and t < self._summary_until and not st.in_rep:
            screen = "summary"
        elif not tracked and lost_for > IDLE_AFTER_S:
            screen = "idle"
        elif st.phase is None:
            screen = "positioning"
        else:
            screen = "live"
        hinge_ratio = depth = None
        muscles: dict[str, float] = {}
        if tracked:
            hip, knee = max(vals[0], 0.0), max(vals[1], 0.0)
            if hip + knee >= 15.0:
                hinge_ratio = hip / (hip + knee)
            rng = max([r.metrics["peak_hip_flexion"] for r in self._set_reps] +
                      [self.profile.reps.min_bottom_hip_flexion_deg])
            depth = float(np.clip(vals[0] / rng, 0.0, 1.0))
            d, i, b = _ACTIVATION.get(st.phase, _ACTIVATION[None])
            m = self.profile.muscles
            for name in m.brace:
                muscles[name] = b
            for name in m.isometric:
                muscles[name] = i
            for name in m.drive:
                muscles[name] = d
            if st.phase == "lockout" and "glutes" in muscles:
                muscles["glutes"] = 1.0
        return CoachState(t_s=t, exercise=self.exercise, screen=screen, phase=st.phase,
                          rep_count=self._summary.reps if screen == "summary" else len(self._set_reps), cue=cue, hinge_ratio=hinge_ratio,
                          depth_fraction=depth, last_rep=self.reps[-1] if self.reps else None,
                          set_summary=self._summary if screen == "summary" else None, muscles=muscles)


def evaluate_trace(profile: ExerciseProfile, times_s: np.ndarray, angles: dict[str, np.ndarray],
                   valid: np.ndarray | None = None, timing: CueTiming | None = None,
                   keep_states: bool = False, smooth: bool = True) -> FormEvaluator:
    """Run the evaluator over whole angle traces ({angle: (n,)}; valid (n,) False = not tracked)."""
    ev = FormEvaluator(profile, timing, smooth=smooth)
    ev.keep_states = keep_states
    keys = list(angles)
    for i in range(len(times_s)):
        ok = valid is None or bool(valid[i])
        ev.update(float(times_s[i]), {k: float(angles[k][i]) for k in keys} if ok else None)
    ev.finish()
    return ev
