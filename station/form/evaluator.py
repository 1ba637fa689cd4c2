"""The form evaluator: contract angles per frame in, reps, faults, cues and CoachState out.

    ev = FormEvaluator.from_config(cfg, "rdl")   # or FormEvaluator(profile, CueTiming(), SetTiming())
    for t, angles in frames:                # angles: contract dict, or None when not tracked
        state = ev.update(t, angles)        # CoachState (station.model)
    ev.finish()                             # flush the last rep and set
    ev.reps                                 # [RepVerdict]; ev.sets -> [SetSummary]

Per frame: One-Euro smoothing (station.form.smoothing) → the rep state machine
(station.form.reps) → the rep in progress coached live (station.form.live_rep: each rule's
cue at the fault's onset) → finished reps judged by the profile's rules (station.form.rules)
and gated by the fit's confidence (station.form.confidence_gate) → the cue policy
(station.form.cues) → a CoachState snapshot.

Confidence: `update` also takes the fitter's per-angle confidence (0..1, station.fit.confidence)
and, from the pipeline, why the view is poor (a notice key). The coach cues, judges and calls
a fault only from angles the fit was confident in; a rule it could not judge goes to the
verdict's `not_judged`, and while the coaching angles are unsure for a reason of the view the
state carries a notice that says plainly what would help (station.form.confidence_gate).

Sets: a set starts with its first rep and ends after SetTiming.rest_s without a rep, or when
the lifter leaves (not tracked for leave_s); its SetSummary is then shown for summary_s
(config [sets]).
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, replace

import numpy as np

from station.config import ExerciseProfile, Muscles, StationConfig, load_exercise
from station.form.confidence_gate import (GROUPS, ConfidenceGate, ConfidenceTracker, back_only,
                                          depth_shortfall_deg, doubt_revised, group_confidence,
                                          shortfall_revised, spine_implausible)
from station.form.cues import CuePolicy, CueTiming
from station.form.live_rep import LiveRepCoach
from station.form.rep_trace import RepTrace, series_of
from station.form.reps import RepDetector
from station.form.rules import Rule, SquatRecognition, judge, rep_metrics, rules_from_profile
from station.form.smoothing import AngleSmoother
from station.form.texts import notice_text
from station.model import CoachState, RepVerdict, SetSummary

IDLE_AFTER_S = 1.0


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


def verdict_of(trace: RepTrace, rules: tuple[Rule, ...], squat: SquatRecognition) -> RepVerdict:
    """The RepVerdict of one segmented rep."""
    return RepVerdict(start_t=trace.start_t, bottom_t=trace.bottom_t, end_t=trace.end_t,
                      pattern=squat.pattern(trace), faults=judge(trace, rules), metrics=rep_metrics(trace))


def muscle_activation(muscles: Muscles, phase: str | None) -> dict[str, float]:
    """0..1 per muscle the profile names, by its role (drive, isometric hold, brace) in this
    phase; the glutes fully at the lockout."""
    d, i, b = _ACTIVATION.get(phase, _ACTIVATION[None])
    out: dict[str, float] = {}
    for name in muscles.brace:
        out[name] = b
    for name in muscles.isometric:
        out[name] = i
    for name in muscles.drive:
        out[name] = d
    if phase == "lockout" and "glutes" in out:
        out["glutes"] = 1.0
    return out


def summarize_set(reps: list[RepVerdict], start_t: float, end_t: float) -> SetSummary:
    counts = Counter(f for r in reps for f in r.faults)
    ecc = [r.metrics["eccentric_s"] for r in reps]
    con = [r.metrics["concentric_s"] for r in reps]
    patterns = Counter(r.pattern for r in reps)
    return SetSummary(
        reps=len(reps), clean_reps=sum(1 for r in reps if r.verdict == "clean" and r.pattern == "hinge"),
        most_frequent_fault=counts.most_common(1)[0][0] if counts else None,
        fault_counts=dict(counts),
        mean_eccentric_s=float(np.mean(ecc)) if ecc else None,
        mean_concentric_s=float(np.mean(con)) if con else None,
        pattern="squat" if patterns.get("squat", 0) > patterns.get("hinge", 0) else "hinge",
        start_t=start_t, end_t=end_t,
        not_judged_reps=sum(1 for r in reps if r.verdict == "not judged"),
        back_only_not_judged_reps=sum(1 for r in reps if r.verdict == "not judged" and back_only(r.not_judged)))


class FormEvaluator:
    """One exercise profile's coach over a stream of frames (see the module docstring): it
    owns the smoother, the rep detector, the live coach of the rep in progress, the
    confidence tracker and the cue policy, and judges each finished rep and set."""

    def __init__(self, profile: ExerciseProfile, timing: CueTiming | None = None,
                 smooth: bool = True, sets: SetTiming | None = None,
                 gate: ConfidenceGate | None = None):
        self.profile = profile
        self.confidence = ConfidenceTracker(gate)
        self.judged_confidence: dict[str, float] | None = None
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
        self.live = LiveRepCoach(profile, self.rules, self.squat, self.squat_priority, self.detector,
                                 self.confidence)
        self.reps: list[RepVerdict] = []
        self.traces: list[RepTrace] = []
        self.sets: list[SetSummary] = []
        self.states: list[CoachState] = []
        self._set_reps: list[RepVerdict] = []
        self._set_bottoms: list[float] = []     # each set rep's sure spine at its bottom (nan: none)
        self._person_from = 0                   # the set's first rep of the person lifting now
        self._set_start: float | None = None
        self._summary: SetSummary | None = None
        self._summary_until = -math.inf
        self._last_tracked_t: float | None = None
        self._t = 0.0
        self.standing_hip_deg: float | None = None
        # a rep of this person has read the spine implausibly extended at the bottom (this set
        # or an earlier one): how the fit reads a spine is a matter of the body, not the set
        self.person_spine_doubt = False
        # the flattest sure bottom of this person's reps so far (spine against standing; inf:
        # none read): how far the fit reads their spine short at depth
        # (confidence_gate.depth_shortfall_deg)
        self.person_flattest_bottom_deg = math.inf
        self.keep_states = False

    @classmethod
    def from_config(cls, cfg: StationConfig, exercise: str | None = None,
                    profile: ExerciseProfile | None = None) -> "FormEvaluator":
        """The evaluator a station runs: the named (or default) profile from the station's
        profiles folder (or `profile`, already loaded, as written) with its strictness, and
        the station's cue and set timing."""
        name = exercise or cfg.exercise.default
        if profile is None:
            profile = load_exercise(name, cfg.exercise.profiles_dir)
        profile = profile.with_strictness(cfg.exercise.strictness)
        return cls(profile, CueTiming.from_config(cfg.cues), sets=SetTiming.from_config(cfg.sets))

    # ------------------------------------------------------------------------------------
    def update(self, t_s: float, angles: dict[str, float] | None,
               angle_confidence: dict[str, float] | None = None,
               notice: str | None = None,
               view_confidence: dict[str, float] | None = None,
               standing_hip_deg: float | None = None) -> CoachState:
        """One frame. angles: contract angles (None: not tracked); angle_confidence: the
        fitter's 0..1 per angle (None: fully confident, e.g. truth angles); notice: the
        pipeline's reason the view is poor ("face_mirror", "step_back", ...), if any;
        view_confidence: what the view lets the fit see, read by the on-screen notice
        (default angle_confidence; the pipeline passes the fit's own where it withholds an
        angle for another reason, a spine with no standing reference yet); standing_hip_deg:
        this lifter's hip flexion standing upright (station.form.standing_reference; None:
        not known yet, the lean-back rule's absolute threshold)."""
        self._t = t_s
        self.standing_hip_deg = standing_hip_deg
        self.judged_confidence = self.confidence.update(t_s, angles, angle_confidence, view_confidence)
        sm = self.smoother.update(t_s, angles) if self.smoother is not None else angles
        if sm is not None:
            self._last_tracked_t = t_s
        # how sure the fit is of the hip flexion the reps are counted on: a rep is counted
        # only from frames it saw (station.form.reps.REP_MIN_CONFIDENCE)
        g = group_confidence(angles, self.judged_confidence)
        finished = self.detector.update(t_s, angles, sm, g[GROUPS.index("hip")])
        st = self.detector.status()
        vals = series_of(sm) if sm is not None else None
        self.live.update(t_s, st, vals, notice, self.cues, standing_hip_deg)
        for tr in finished:
            self._rep_finished(t_s, tr)
        # the depth the notice reads is the coach's own (the smoothed hip its phase reads)
        self.confidence.update_notice(t_s, vals is not None, notice, vals[0] if vals is not None else None)
        self._sets(t_s, st)
        cue = self.cues.step(t_s, st.shown_phase)
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

    def new_person(self) -> None:
        """Someone else lifts from here on (the pipeline's new track): what the last person's
        reps showed of how the fit reads their spine no longer applies."""
        self.person_spine_doubt = False
        self.person_flattest_bottom_deg = math.inf
        self._person_from = len(self._set_reps)   # the set's reps before are another person's

    def _revise_set_for_shortfall(self, short_deg: float) -> None:
        """This set's earlier reps, judged before this one's bottom showed the fit reads the
        lifter's spine short at depth by more (depth_shortfall_deg): their backs read again with
        the new shortfall (shortfall_revised), in self.reps and in the set, as for the doubt
        (_revise_set_for_doubt), but only this person's. What was already said on screen stays
        said."""
        for k in range(self._person_from, len(self._set_reps)):
            self._replace_set_rep(k, shortfall_revised(self._set_reps[k], self._set_bottoms[k], short_deg, self.rules))

    def _replace_set_rep(self, k: int, new: RepVerdict) -> None:
        """The set's k-th rep revised (itself: nothing to do), in the set and in self.reps."""
        old = self._set_reps[k]
        if new is old:
            return
        self._set_reps[k] = new
        for i in range(len(self.reps) - 1, -1, -1):
            if self.reps[i] is old:
                self.reps[i] = new
                break

    def _revise_set_for_doubt(self) -> None:
        """This set's earlier reps, judged before this one showed the fit reads the lifter's
        spine short at depth: a back called clean becomes not judged (doubt_revised), in
        self.reps and in the set, so the analysis, the set's summary and the usage log
        (UsageRecorder writes revised reps again) say what the coach could tell; only this
        person's (a new track mid-set: the reps before are another's, or the same lifter's under
        a doubt of their own). Earlier sets were judged under the doubt of theirs; what was
        already said on screen stays said."""
        for k in range(self._person_from, len(self._set_reps)):
            self._replace_set_rep(k, doubt_revised(self._set_reps[k], self.rules))

    def _rep_finished(self, t: float, tr: RepTrace) -> None:
        # judged against the standing reference in force at the rep's end (it changes in the
        # set only when the fit's model does: StandingReference.model_changed, reread)
        tr = replace(tr, standing_hip=self.standing_hip_deg)
        gate = self.confidence.gate
        short_before = depth_shortfall_deg(self.person_flattest_bottom_deg, gate)
        bottom = self.confidence.bottom_spine_deg(tr)
        if math.isfinite(bottom):
            self.person_flattest_bottom_deg = min(self.person_flattest_bottom_deg, bottom)
        short = depth_shortfall_deg(self.person_flattest_bottom_deg, gate)
        v = self.confidence.gate_verdict(verdict_of(tr, self.rules, self.squat), tr, self.rules,
                                         self.person_spine_doubt, short)
        doubt_arose = not self.person_spine_doubt and spine_implausible(tr, gate)
        self.person_spine_doubt = self.person_spine_doubt or doubt_arose
        if doubt_arose:
            self._revise_set_for_doubt()
        if short > short_before:
            self._revise_set_for_shortfall(short)
        self.reps.append(v)
        self.traces.append(tr)
        if self._set_start is None:
            self._set_start = v.start_t
        self._set_reps.append(v)
        self._set_bottoms.append(bottom)
        self._summary = None
        self.cues.clear_reminders()
        self.rep_feedback(t, v)

    def rep_feedback(self, t: float, v: RepVerdict) -> None:
        """The cue policy's word on a finished rep (praise, "better", a reminder, the squat
        message), or none for a rep the coach could not judge. Also what the recognising
        evaluator says of a set's first rep once it has decided the exercise: it had praised
        not-judged reps ("Good rep!" over "last: not judged", every set's first rep whose
        back was withheld), past the checks here."""
        if v.verdict == "not judged" and v.pattern == "hinge":
            return        # no praise and no reminder for a rep the coach could not see
        if v.pattern == "squat" and "knee_dominant" in v.not_judged:
            return        # a squat read from unsure hips and knees is not one to call
        self.cues.rep_done(t, v.faults, v.pattern, self.rules_by_name, self.squat_priority, start_t=v.start_t,
                           not_judged=v.not_judged)

    def _sets(self, t: float, st) -> None:
        if not self._set_reps:
            return
        last_end = self._set_reps[-1].end_t
        # a lifter still in view whose lost track is being taken up again has not left
        gone = (self._last_tracked_t is None or t - self._last_tracked_t > self.set_timing.leave_s) \
            and not self.confidence.reacquiring
        if (not st.in_rep and t - last_end > self.set_timing.rest_s) or gone:
            self._close_set(t)

    def _close_set(self, t: float) -> None:
        if not self._set_reps:
            return
        s = summarize_set(self._set_reps, self._set_start or self._set_reps[0].start_t,
                          self._set_reps[-1].end_t)
        self.sets.append(s)
        self._summary, self._summary_until = s, t + self.set_timing.summary_s
        self._set_reps, self._set_bottoms, self._set_start, self._person_from = [], [], None, 0

    def _state(self, t: float, st, vals, cue) -> CoachState:
        tracked = vals is not None
        lost_for = math.inf if self._last_tracked_t is None else t - self._last_tracked_t
        if self._summary is not None and t < self._summary_until and not st.in_rep:
            screen = "summary"
        elif not tracked and self.confidence.reacquiring:
            # a lost track being taken up again in the lifter's pose: the set's screen stays,
            # with its notice (the positioning and idle screens ask them to stand tall)
            screen = "live"
        elif not tracked and lost_for > IDLE_AFTER_S:
            # a lifter who walks off after their reps: the set's screen until the set closes
            # (leave_s) and its summary shows; the idle screen is for nobody's set
            screen = "live" if self._set_reps else "idle"
        elif st.phase is None and not (tracked and self._set_reps):
            screen = "positioning"
        else:
            # (mid-set, a track taken up again after a gap the detector could not bridge: the
            # set's screen, no phase, until the lifter stands and the detector is armed again;
            # the positioning screen's "stand tall ... your set starts" would start a new one)
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
            muscles = muscle_activation(self.profile.muscles, st.shown_phase)
        return CoachState(t_s=t, exercise=self.exercise, screen=screen, phase=st.shown_phase,
                          rep_count=self._summary.reps if screen == "summary" else len(self._set_reps), cue=cue, hinge_ratio=hinge_ratio,
                          depth_fraction=depth, last_rep=self.reps[-1] if self.reps else None,
                          set_summary=self._summary if screen == "summary" else None, muscles=muscles,
                          notice=self.confidence.notice,
                          notice_text=None if self.confidence.notice is None else notice_text(self.confidence.notice))


def evaluate_trace(profile: ExerciseProfile, times_s: np.ndarray, angles: dict[str, np.ndarray],
                   valid: np.ndarray | None = None, timing: CueTiming | None = None,
                   keep_states: bool = False, smooth: bool = True,
                   confidence: dict[str, np.ndarray] | None = None,
                   standing_hip_deg: float | None = None) -> FormEvaluator:
    """Run the evaluator over whole angle traces ({angle: (n,)}; valid (n,) False = not
    tracked; confidence {angle: (n,)} 0..1, None = fully confident; standing_hip_deg: the
    lifter's standing hip flexion throughout, None = unknown, as for truth angles)."""
    ev = FormEvaluator(profile, timing, smooth=smooth)
    ev.keep_states = keep_states
    keys = list(angles)
    for i in range(len(times_s)):
        ok = valid is None or bool(valid[i])
        conf = None if confidence is None else {k: float(v[i]) for k, v in confidence.items()}
        ev.update(float(times_s[i]), {k: float(angles[k][i]) for k in keys} if ok else None, conf,
                  standing_hip_deg=standing_hip_deg)
    ev.finish()
    return ev
