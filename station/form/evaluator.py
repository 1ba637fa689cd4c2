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

Confidence: `update` also takes the fitter's per-angle confidence (0..1, station.fit.confidence)
and, from the pipeline, why the view is poor (a notice key). A rule's live cue fires only while
the angles it reads are confident; a finished rep is judged by a rule only when those angles
were confident over the rule's window (ConfidenceGate), else the label goes to the verdict's
`not_judged`, and a rep with no fault seen and any rule not judged is "not judged", never
clean; a judged rule calls its fault only from the frames it was confident in. The spine's
confidence is also lowered where it changes faster than a spine can (AngleRateConfidence: a
fit catching up with a fast motion). While the coaching angles are not confident for a reason
of the view, the state carries a notice that says plainly what would help ("face the
mirror", "step back into the zone").

Sets: a set starts with its first rep and ends after SetTiming.rest_s without a rep, or when
the lifter leaves (not tracked for leave_s); its SetSummary is then shown for summary_s
(config [sets]).
"""
from __future__ import annotations

import math
from collections import Counter, deque
from dataclasses import dataclass, field, replace

import numpy as np

from station.config import ExerciseProfile, Muscles, StationConfig, load_exercise
from station.fit.confidence import AngleRateConfidence
from station.form.cues import CuePolicy, CueTiming
from station.form.rep_trace import BOTTOM_TOL_DEG, RepTrace, series_of
from station.form.reps import RepDetector, both_sides_hinge
from station.form.rules import RULE_TYPES, Live, Rule, SquatRecognition, judge, rep_metrics, rules_from_profile
from station.form.smoothing import AngleSmoother
from station.form.texts import notice_text
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


@dataclass(frozen=True)
class ConfidenceGate:
    """When the angles are confident enough to judge with (station.fit.confidence gives 0..1).

    min_confidence: an angle group counts as confident in a frame at or above this;
    min_fraction: a rule is judged on a rep only when its angle groups are confident in at
    least this share of the frames of the rule's window (RULE_NEEDS);
    notice_after_s / notice_hold_s: a notice shows once the coaching angles have been unsure
    this long, and stays up at least this long (no flicker).
    """

    min_confidence: float = 0.4
    min_fraction: float = 0.8
    notice_after_s: float = 0.3
    notice_hold_s: float = 1.5


# what each rule reads: the angle groups (hip and knee are the means of left and right) and
# the frames of the rep where it reads them (RepTrace indices)
_GROUPS = ("hip", "knee", "spine", "shift", "trunk")
# (declared on each rule: Rule.reads, Rule.window)
RULE_NEEDS: dict[str, tuple[tuple[str, ...], str]] = {n: (c.reads, c.window) for n, c in RULE_TYPES.items()}
_DEFAULT_NEEDS = (Rule.reads, Rule.window)
_COACHING_GROUPS = ("hip", "knee", "spine")
REP_GROUPS = ("hip", "knee")    # what makes a movement a rep (segmentation, squat or hinge)
BOTTOM_WINDOW_S = 0.2


def _group_confidence(angles: dict | None, conf: dict | None) -> tuple[float, ...]:
    """(hip, knee, spine, shift, trunk) confidence of one frame: 0 when not tracked, 1 when
    tracked without a confidence (truth angles, a caller that has none)."""
    if angles is None:
        return (0.0,) * len(_GROUPS)
    if conf is None:
        return (1.0,) * len(_GROUPS)
    g = conf.get
    return (0.5 * (g("hip_flexion_l", 0.0) + g("hip_flexion_r", 0.0)),
            0.5 * (g("knee_flexion_l", 0.0) + g("knee_flexion_r", 0.0)),
            g("spine_flexion", 0.0), g("pelvis_lateral_shift", 0.0), g("trunk_inclination", 0.0))


def trace_confidence(conf_t: list[float], conf_v: list[tuple[float, ...]], trace_t: np.ndarray) -> np.ndarray:
    """(len(trace_t), len(_GROUPS)): each trace frame's group confidence, looked up among the
    recorded frames (conf_t, conf_v); 0 where none was recorded (a gap the detector
    interpolated)."""
    ct = np.asarray(conf_t)
    cv = np.asarray(conf_v, dtype=np.float64).reshape(-1, len(_GROUPS))
    out = np.zeros((len(trace_t), len(_GROUPS)))
    if len(ct) == 0:
        return out
    j = np.clip(np.searchsorted(ct, trace_t), 0, len(ct) - 1)
    hit = np.abs(ct[j] - trace_t) < 1e-6
    out[hit] = cv[j[hit]]
    return out


def rule_window(tr: RepTrace, window: str) -> slice:
    """The frames of a rep where a rule reads its angles (RULE_NEEDS)."""
    if window == "bottom":
        t_b = tr.t[tr.bottom]
        idx = np.nonzero(np.abs(tr.t - t_b) <= BOTTOM_WINDOW_S + 1e-9)[0]
        return slice(int(idx[0]), int(idx[-1]) + 1) if len(idx) else slice(tr.bottom, tr.bottom + 1)
    if window == "top":
        return tr.top_window()
    if window == "eccentric":
        if tr.start_position == "bottom":
            return slice(tr.top, tr.end + 1)
        return slice(tr.start, tr.bottom + 1)
    if window == "concentric":
        return slice(tr.bottom, max(tr.top, tr.bottom) + 1)
    return slice(tr.start, tr.end + 1)


def gate_verdict(v: RepVerdict, tr: RepTrace, group_conf: np.ndarray, rules: tuple[Rule, ...],
                 gate: ConfidenceGate) -> RepVerdict:
    """The verdict with every rule whose angles were not confident over its window moved from
    judged to `not_judged` (a fault it found is dropped: the coach does not call a fault it
    could not see). group_conf: (len(tr.t), len(_GROUPS)) per frame of the trace."""
    faults, unjudged = [], []
    for rule in rules:
        groups, window = RULE_NEEDS.get(rule.name, _DEFAULT_NEEDS)
        w = rule_window(tr, window)
        c = group_conf[w][:, [_GROUPS.index(g) for g in groups]]
        ok = len(c) > 0 and float(np.mean(np.all(c >= gate.min_confidence, axis=1))) >= gate.min_fraction
        if not ok:
            unjudged.append(rule.name)
        elif rule.name in v.faults and rule.judge(_confident_only(tr, group_conf, groups, gate)):
            faults.append(rule.name)
    return replace(v, faults=tuple(faults), not_judged=tuple(unjudged))


def _confident_only(tr: RepTrace, group_conf: np.ndarray, groups: tuple[str, ...],
                    gate: ConfidenceGate) -> RepTrace:
    """The trace with the frames where `groups` were unsure filled in from the confident ones:
    a fault is called from what the fit was sure of, not from a spike it was not."""
    ok = np.all(group_conf[:, [_GROUPS.index(g) for g in groups]] >= gate.min_confidence, axis=1)
    if ok.all() or not ok.any():
        return tr
    i = np.arange(len(tr.t))
    return replace(tr, **{g: np.interp(i, i[ok], getattr(tr, g)[ok]) for g in groups})


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
    n_frames: int = 0          # tracked frames seen live, and how many had the rep's own
    n_confident: int = 0       # angles (hip, knee) confident: is this a rep the fit can see?


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
        not_judged_reps=sum(1 for r in reps if r.verdict == "not judged"))


class FormEvaluator:
    def __init__(self, profile: ExerciseProfile, timing: CueTiming | None = None,
                 smooth: bool = True, sets: SetTiming | None = None,
                 gate: ConfidenceGate | None = None):
        self.profile = profile
        self.gate = gate or ConfidenceGate()
        self.rate_confidence = AngleRateConfidence()   # an angle faster than a body: a fit error
        self.judged_confidence: dict[str, float] | None = None
        self._conf_t: list[float] = []          # per frame: t and (hip, knee, spine, shift, trunk)
        self._conf_v: list[tuple[float, ...]] = []
        self._conf_now = (0.0,) * len(_GROUPS)   # the last few frames' minimum
        self._view_recent: deque = deque(maxlen=3)  # and the same without the rate term
        self._view_conf = (0.0,) * len(_GROUPS)
        self._unsure_since: float | None = None
        self._notice: str | None = None
        self._notice_until = -math.inf
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
               notice: str | None = None) -> CoachState:
        """One frame. angles: contract angles (None: not tracked); angle_confidence: the
        fitter's 0..1 per angle (None: fully confident, e.g. truth angles); notice: the
        pipeline's reason the view is poor ("face_mirror", "step_back", ...), if any."""
        self._t = t_s
        # what the view lets the fit see (the notice), before the rate term (a fit glitch on a
        # fast motion is nothing the lifter can help: the coach just does not judge from it)
        self._view_recent.append(_group_confidence(angles, angle_confidence))
        self._view_conf = tuple(min(v[k] for v in self._view_recent) for k in range(len(_GROUPS)))
        angle_confidence = self.rate_confidence.update(t_s, angles, angle_confidence)
        self.judged_confidence = angle_confidence    # what this frame is judged with (analyze writes it)
        self._record_confidence(t_s, angles, angle_confidence)
        sm = self.smoother.update(t_s, angles) if self.smoother is not None else angles
        if sm is not None:
            self._last_tracked_t = t_s
        finished = self.detector.update(t_s, angles, sm)
        st = self.detector.status()
        vals = series_of(sm) if sm is not None else None
        self._track_live(t_s, st, vals, notice)
        for tr in finished:
            self._rep_finished(t_s, tr)
        self._sets(t_s, st)
        cue = self.cues.step(t_s, st.phase)
        self._update_notice(t_s, vals is not None, notice)
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

    # -- confidence ------------------------------------------------------------------------
    def _record_confidence(self, t: float, angles, conf) -> None:
        g = _group_confidence(angles, conf)
        self._conf_t.append(t)
        self._conf_v.append(g)
        # the live gate: the smallest over the last three frames (one good frame in a poor
        # stretch is no reason to cue)
        recent = self._conf_v[-3:]
        self._conf_now = tuple(min(v[k] for v in recent) for k in range(len(_GROUPS)))
        if len(self._conf_t) > 6000:            # a rep and its window are far shorter
            del self._conf_t[:3000], self._conf_v[:3000]

    def _confident(self, groups: tuple[str, ...]) -> bool:
        return all(self._conf_now[_GROUPS.index(g)] >= self.gate.min_confidence for g in groups)

    def _update_notice(self, t: float, tracked: bool, notice: str | None) -> None:
        """The notice on screen: the pipeline's reason while nobody is tracked; while
        tracked, shown only when the coaching angles have been unsure for notice_after_s."""
        g = self.gate
        if not tracked:
            self._unsure_since = None
            want = notice
        else:
            unsure = any(self._view_conf[_GROUPS.index(k)] < g.min_confidence for k in _COACHING_GROUPS)
            if unsure and self._unsure_since is None:
                self._unsure_since = t
            elif not unsure:
                self._unsure_since = None
            want = ((notice or "cannot_see")
                    if self._unsure_since is not None and t - self._unsure_since >= g.notice_after_s
                    else None)
        if want is not None:
            if want != self._notice:
                self._notice = want
            self._notice_until = t + g.notice_hold_s
        elif t >= self._notice_until:
            self._notice = None

    # ------------------------------------------------------------------------------------
    def _velocity(self, t: float, hip: float) -> float:
        self._hips.append((t, hip))
        while len(self._hips) > 2 and t - self._hips[1][0] >= 0.1:
            self._hips.pop(0)
        t0, h0 = self._hips[0]
        return (hip - h0) / (t - t0) if t > t0 else 0.0

    def _rep_seen_well(self, lv: _LiveRep, notice: str | None) -> bool:
        """Whether the rep in progress may be coached live at all: the view is fine (no notice:
        the person faces the mirror, in the zone) and the angles that make it a rep (hip and
        knee) were confident in at least min_fraction of its frames so far and are now. A
        person turning to walk away, or a track that is breaking, moves the hips and knees
        like a rep; what the fit makes of it is not something to coach (or call a squat)."""
        if notice is not None or lv.n_frames == 0:
            return False
        return (lv.n_confident >= self.gate.min_fraction * lv.n_frames
                and self._confident(REP_GROUPS))

    def _track_live(self, t: float, st, vals, notice: str | None = None) -> None:
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
        lv.n_frames += 1
        lv.n_confident += int(self._confident(REP_GROUPS))
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
        if not in_window or not self._rep_seen_well(lv, notice):
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
            # a cue only from angles the fitter is sure of
            if not self._confident(RULE_NEEDS.get(rule.name, _DEFAULT_NEEDS)[0]):
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
        v = gate_verdict(verdict_of(tr, self.rules, self.squat), tr,
                         trace_confidence(self._conf_t, self._conf_v, tr.t), self.rules, self.gate)
        self.reps.append(v)
        self.traces.append(tr)
        if self._set_start is None:
            self._set_start = v.start_t
        self._set_reps.append(v)
        self._summary = None
        self.cues.clear_reminders()
        if v.verdict == "not judged" and v.pattern == "hinge":
            return        # no praise and no reminder for a rep the coach could not see
        if v.pattern == "squat" and "knee_dominant" in v.not_judged:
            return        # a squat read from unsure hips and knees is not one to call
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
            muscles = muscle_activation(self.profile.muscles, st.phase)
        return CoachState(t_s=t, exercise=self.exercise, screen=screen, phase=st.phase,
                          rep_count=self._summary.reps if screen == "summary" else len(self._set_reps), cue=cue, hinge_ratio=hinge_ratio,
                          depth_fraction=depth, last_rep=self.reps[-1] if self.reps else None,
                          set_summary=self._summary if screen == "summary" else None, muscles=muscles,
                          notice=self._notice,
                          notice_text=None if self._notice is None else notice_text(self._notice))


def evaluate_trace(profile: ExerciseProfile, times_s: np.ndarray, angles: dict[str, np.ndarray],
                   valid: np.ndarray | None = None, timing: CueTiming | None = None,
                   keep_states: bool = False, smooth: bool = True,
                   confidence: dict[str, np.ndarray] | None = None) -> FormEvaluator:
    """Run the evaluator over whole angle traces ({angle: (n,)}; valid (n,) False = not
    tracked; confidence {angle: (n,)} 0..1, None = fully confident)."""
    ev = FormEvaluator(profile, timing, smooth=smooth)
    ev.keep_states = keep_states
    keys = list(angles)
    for i in range(len(times_s)):
        ok = valid is None or bool(valid[i])
        conf = None if confidence is None else {k: float(v[i]) for k, v in confidence.items()}
        ev.update(float(times_s[i]), {k: float(angles[k][i]) for k in keys} if ok else None, conf)
    ev.finish()
    return ev
