"""Which hinge is the lifter doing? Exercise recognition, and the evaluator that uses it.

Among the station's profiles (config ``exercise.available``) the station tells apart:

- RDL: the hands hang (a bar, dumbbells or nothing) and each rep starts from standing;
- deadlift: each rep starts from the floor: the lifter bends to the bar, knees well bent, and
  stays there a moment before the pull (the RDL passes through its bottom);
- good morning: the hands at the chest or a bar on the upper back: the arms are held to the
  body, so they turn with the trunk as it leans (hanging arms keep pointing down), and the
  wrists stay near the shoulders;
- kettlebell swing: ballistic, the bell hiked back between the legs and then floated forward
  by a hip snap.

How it decides (``RecognizingEvaluator``): the default profile judges quietly until the end of
the first rep of a set (as the default profile segments it); that rep's evidence then decides
(``recognise_sure``). If the answer is another profile, the frames since the set began are
replayed through an evaluator of that profile, so the first rep is judged again by it (a
deadlift is re-segmented from the floor). While undecided the coach says nothing about form
(the station does not yet know which rules apply); the first rep's feedback follows the
decision. When the first rep's evidence is weak or contradicts itself the recogniser does not
guess: the default profile judges (the coach speaks) and the next reps are looked at, up to
RECONSIDER_REPS; a later sure answer for another exercise judges the set again. A coach
judging with the wrong profile is worse than the default one. A squat stays a squat: it is
not an exercise of its own, the default profile reports it as a squat. With recognition off
(``exercise.recognize = false``, ``station analyze --exercise NAME``, ``station demo
--exercise NAME``) the profile is fixed.

The evidence (``RepEvidence``) is read over the whole rep, never from one frame, because the
fitter gets the arms wrong for stretches (folded arms fitted straight, arms put behind the
body): the arms' turn with the trunk (``arm_follow``), the hands' reach and standing posture,
the arms' float at the top, the tempo of both halves, the knee bend and the wait at the
bottom. Per-frame hand features come from the fitted skeleton (``hand_pose``); without them
(angle traces only) the decision uses the rep's timing and knee bend alone.
"""
from __future__ import annotations

import logging
import math
from collections import deque
from dataclasses import dataclass, fields, replace

import numpy as np

from station.config import ExerciseProfile, StationConfig, load_exercise
from station.form.cues import CuePolicy, CueTiming
from station.model import SKELETON_INDEX, CoachState, RepVerdict

log = logging.getLogger(__name__)

# Decision thresholds (see recognise_sure and arms_held); chosen from the body's geometry, not
# tuned on a benchmark: a hanging arm is ~1.1-1.3 trunk lengths from wrist to shoulder, hands at
# the chest or on a bar on the back ~0.3-0.6; a hanging arm keeps pointing down as the trunk
# leans, a held one turns with it (arm_follow 0 vs 1); a swing hikes the bell back between the
# legs (arms behind vertical) and floats it forward to 60-90°.
GM_MAX_REACH = 0.8               # median wrist–shoulder distance / trunk length
GM_BEHIND_DEG = -20.0            # standing, an arm this far behind vertical (arms_not_hanging,
                                 # logged only: see arms_held)
SWING_MIN_ARM_DEG = 40.0         # arm elevation from straight down at the top of the rep
SWING_MIN_RANGE_DEG = 60.0       # ... and that much higher than at the bottom (the arms swing)
SWING_MAX_TEMPO_S = 0.7          # both halves of the rep this fast: a swing on tempo alone
SWING_MAX_HAND_GAP = 2.0         # trunk lengths between the wrists (median over the rep): a
                                 # bell held in both hands keeps them within the shoulders
                                 # (~0.8 true); the fit spreads a swing's to 0.4-1.7 (1.5 was
                                 # tried first and cut the mesh swing's first reps); spread arms
                                 # (a toe touch, real mocap) are 2.4-2.8 apart
SWING_MAX_HALF_S = 1.0           # with them: neither half slower than this (a swing is ballistic)
DEADLIFT_MIN_KNEE_DEG = 45.0     # knee flexion at the bottom (the floor position)
DEADLIFT_MIN_DWELL_S = 0.9       # time within DWELL_BAND_DEG of the deepest hip flexion: the
DEADLIFT_DEEP_KNEE_DEG = 60.0    # a floor start bends the knees 60-80° (even a knee-heavy RDL
DEADLIFT_SHORT_DWELL_S = 0.5     # stays below): then a shorter set-up pause is enough
DWELL_BAND_DEG = 3.0             # set-up at the bar (an RDL turns at its bottom)
TOP_HIP_DEG = 25.0               # "the top of the rep": hip flexion below this ...
TOP_WINDOW_S = 0.3               # ... from the rep's start to just after its end
FOLLOW_BAND_DEG = 10.0           # arm_follow: "top" and "bottom" frames, within this of the
FOLLOW_LEAD_S = 0.3              # least / most lean (from just before the rep starts)
FOLLOW_MIN_LEAN_DEG = 30.0       # less lean than this and the arms' turn says nothing
FOLLOW_BAND = 0.25               # arm_follow: hanging 0, held to the body 1: within a quarter
                                 # of either it says so; between (a fitted arm that sticks to
                                 # the trunk at the bottom, or reaches on its own) it says nothing
RECONSIDER_REPS = 3              # not sure after the first rep: look at the next ones, up to this
BUFFER_S = 60.0                  # frames kept for a replay (a set's first rep is well within)


@dataclass(frozen=True)
class HandPose:
    """Where the hands are, from one skeleton.

    reach: wrist–shoulder distance over trunk length (pelvis–neck), mean of the two sides;
    arm_elevation_deg: angle of shoulder→wrist from straight down (the floor normal) in the
    person's sagittal plane, mean of the two sides: ~0 hanging, +90 held forward
    horizontally, negative reaching back (a bell hiked between the legs).
    trunk_pitch_deg: the trunk's forward lean in that plane. Hanging arms keep their
    elevation as the trunk leans (gravity holds them); arms held to the body (hands at the
    chest, a bar on the back, a bell hiked between the legs) turn with it: their elevation
    falls by the trunk's lean.
    """

    reach: float
    arm_elevation_deg: float
    trunk_pitch_deg: float = math.nan   # pelvis→neck from vertical in the same sagittal plane,
                                        # forward positive (the arms are compared with it)
    hand_gap: float = math.nan          # wrist to wrist over trunk length: a bell (or a bar's
                                        # grip) keeps it within the shoulders' ~0.8


_SHOULDERS = [SKELETON_INDEX["shoulder_l"], SKELETON_INDEX["shoulder_r"]]
_WRISTS = [SKELETON_INDEX["wrist_l"], SKELETON_INDEX["wrist_r"]]


def hand_pose(points_m: np.ndarray, up: np.ndarray) -> HandPose:
    """HandPose of a skeleton (SKELETON_POINTS rows, any frame) with `up` in the same frame.
    Called every frame: both sides at once, few small-array calls."""
    P = np.asarray(points_m, dtype=np.float64)
    up = np.asarray(up, dtype=np.float64)
    up = up / math.sqrt(float(up @ up))
    I = SKELETON_INDEX
    t = P[I["neck"]] - P[I["pelvis"]]
    trunk = math.sqrt(float(t @ t)) or 1.0
    (a0, a1, a2), (b0, b1, b2) = (P[I["hip_l"]] - P[I["hip_r"]]).tolist(), up.tolist()
    # the person's forward, horizontal: np.cross(hip_l - hip_r, up), its arithmetic (each
    # product rounded, then the difference) without its ~15 us of overhead
    fwd = np.array([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0])
    fwd = fwd / (math.sqrt(float(fwd @ fwd)) or 1.0)
    arm = P[_WRISTS] - P[_SHOULDERS]                         # (2, 3): left, right
    reach = np.sqrt((arm * arm).sum(1)) / trunk
    elev = np.degrees(np.arctan2(arm @ fwd, -(arm @ up)))
    pitch = math.degrees(math.atan2(float(t @ fwd), float(t @ up)))
    gap = P[_WRISTS[0]] - P[_WRISTS[1]]
    # the means of two values as NumPy's mean adds them (from 0.0), then halves
    (r0, r1), (e0, e1) = reach.tolist(), elev.tolist()
    return HandPose((0.0 + r0 + r1) / 2.0, (0.0 + e0 + e1) / 2.0, pitch, math.sqrt(float(gap @ gap)) / trunk)


@dataclass(frozen=True)
class RepEvidence:
    """What the first rep showed (NaN where unknown)."""

    pattern: str
    knee_at_bottom_deg: float
    dwell_at_bottom_s: float
    eccentric_s: float
    concentric_s: float
    median_reach: float
    max_arm_elevation_deg: float     # near the top of the rep (hips nearly open)
    arm_swing_deg: float = math.nan  # from the bottom of the rep to its top
    arms_not_hanging: float = math.nan   # fraction of the standing frames with the hands not
                                         # hanging in front (at the chest, or behind: on a bar)
    median_hand_gap: float = math.nan    # HandPose.hand_gap over the rep's frames
    arm_follow: float = math.nan     # how far the arms turn with the trunk from the top of the
                                     # descent to the bottom (arm_follow): ~0 hanging, ~1 held
                                     # to the body


def arm_follow(times_s: np.ndarray, trunk_pitch_deg: np.ndarray, arm_elevation_deg: np.ndarray,
               start_t: float, end_t: float) -> float:
    """How much the arms turn with the trunk over a rep: the fall of the arms' elevation from
    the top of the rep to its bottom, over the trunk's lean between them (medians of the
    frames within FOLLOW_BAND_DEG of the least and the most lean, anywhere in the rep: a
    deadlift's rep starts at the floor and has its top at the lockout). ~0: the arms hang from the
    shoulders whatever the lean (RDL, deadlift); ~1: they are held to the body (hands at the
    chest, a bar on the back, a bell hiked between the legs). NaN when the trunk leans less
    than FOLLOW_MIN_LEAN_DEG or there are too few frames.

    Whole-rep medians, not one frame: the fit may fold an arm wrongly for a few frames (or
    for the standing part), but it cannot keep a hanging arm vertical while the data show
    the arms pressed to a trunk that leans 60°."""
    t = np.asarray(times_s, float)
    p = np.asarray(trunk_pitch_deg, float)
    e = np.asarray(arm_elevation_deg, float)
    ok = np.isfinite(p) & np.isfinite(e)
    rep = ok & (t >= start_t - FOLLOW_LEAD_S) & (t <= end_t + 1e-6)
    if rep.sum() < 5:
        return math.nan
    top = rep & (p <= p[rep].min() + FOLLOW_BAND_DEG)
    bot = rep & (p >= p[rep].max() - FOLLOW_BAND_DEG)
    lean = float(np.median(p[bot]) - np.median(p[top]))
    if lean < FOLLOW_MIN_LEAN_DEG:
        return math.nan
    return float(np.median(e[top]) - np.median(e[bot])) / lean


def pooled_evidence(reps: list[RepEvidence]) -> RepEvidence:
    """The evidence of several reps of a set as one: each number the median over the reps
    (NaN ignored), the pattern the last rep's. One rep that the fit got wrong cannot then
    decide on its own after a first rep that said nothing clear."""
    if len(reps) == 1:
        return reps[0]
    vals = {}
    for f in fields(RepEvidence):
        if f.name == "pattern":
            continue
        xs = np.array([getattr(r, f.name) for r in reps], float)
        xs = xs[np.isfinite(xs)]
        vals[f.name] = float(np.median(xs)) if len(xs) else math.nan
    return RepEvidence(pattern=reps[-1].pattern, **vals)


def arms_held(ev: RepEvidence) -> bool | None:
    """Are the hands held to the body (at the chest, on a bar on the back, a bell hiked
    between the legs: True) or hanging from the shoulders (False)? None: the evidence is
    weak or contradicts itself (not sure).

    Two cues, each read over the rep rather than from one frame:
    - the turn (arm_follow): hanging arms keep pointing down as the trunk leans (~0), held
      ones turn with it (~1). Within FOLLOW_BAND of 0 it says "hanging", within FOLLOW_BAND
      of 1 "held"; elsewhere it says nothing: half-way is where the fit puts hanging arms
      that merge with a bent trunk (a kettlebell held between the legs, loose clothes: 0.56)
      and folded ones it straightened (0.3-0.65); past 1.25 the arms move on their own (a
      reach, a toe touch);
    - the posture: hands within GM_MAX_REACH trunk lengths of the shoulders (median over
      the rep). It can say "held" only: the fit may straighten folded arms into hanging
      ones, but it has not been seen to shorten a loaded hanging arm for a whole rep.
      Two posture hints are not used, because the fit fakes them on hanging arms: standing
      arms behind the body (arms_not_hanging, logged: a kettlebell RDL in a loose shirt,
      tall_heavy_loose@mesh, 0.4-0.6 of the standing frames) and folded elbows (tried: a
      two-hand kettlebell hold, mesh_D_clean, is fitted at 61° against 16° true, while hands
      at the chest fit at 84-93°).
    Held when either says so and the turn does not say "hanging"; hanging when the turn says
    so and the posture does not contradict it. A real warm-up bend (CMU 13_29, capsule fit:
    reaching for the toes with bent elbows, turn 1.5, reach 0.91) is neither."""
    follow = ev.arm_follow
    posture_held = ev.median_reach < GM_MAX_REACH
    turn_hanging = abs(follow) <= FOLLOW_BAND          # False when NaN
    turn_held = abs(follow - 1.0) <= FOLLOW_BAND
    if turn_hanging:
        return None if posture_held else False
    if turn_held or posture_held:
        return True
    return None


def recognise(ev: RepEvidence, available: tuple[str, ...], default: str) -> str:
    """The exercise a rep shows, among `available`; the default when the evidence is weak
    ("not sure yet": the default profile judges, which is better than the wrong one)."""
    sure = recognise_sure(ev, available, default)
    return default if sure is None else sure


def recognise_sure(ev: RepEvidence, available: tuple[str, ...], default: str) -> str | None:
    """The exercise a rep shows, among `available`, or None when the evidence is too weak
    to say (see recognise):

    - a swing is ballistic (neither half slower than SWING_MAX_HALF_S), the hands together on
      the bell (median gap at most SWING_MAX_HAND_GAP, when seen), with the bell floated
      forward at the top, or hiked between the legs (arms held, turning with the trunk), or
      both halves faster than SWING_MAX_TEMPO_S (not a controlled lift, whatever the fit made
      of the arms); ballistic with clearly hanging arms and nothing of a swing: a quick RDL;
      ballistic and nothing clear: not sure;
    - a good morning is controlled (not ballistic) with the arms held to the body (arms_held);
    - a deadlift waits at the bottom with the knees well bent (each rep starts at the floor),
      the arms not held;
    - an RDL: controlled, the arms clearly hanging, no floor start;
    - anything else (arms unseen or unclear, controlled, no floor start): not sure."""
    def ok(name: str) -> bool:
        return name in available

    if ev.pattern == "squat":
        return default                       # a squat stays a squat (under the default profile)
    held = arms_held(ev)
    halves = (ev.eccentric_s, ev.concentric_s)
    ballistic = not any(math.isnan(h) for h in halves) and max(halves) < SWING_MAX_HALF_S
    if ballistic:
        if not ok("kettlebell_swing"):
            return None  # quick, and no swing profile to judge it: not sure what it is
        if ev.median_hand_gap > SWING_MAX_HAND_GAP:
            return None  # the hands wide apart: no bell between them (a quick toe touch)
        floated = (ev.max_arm_elevation_deg >= SWING_MIN_ARM_DEG and ev.arm_swing_deg >= SWING_MIN_RANGE_DEG)
        # both halves this quick: not a controlled lift, whatever the fit made of the arms
        if floated or held or max(halves) < SWING_MAX_TEMPO_S:
            return "kettlebell_swing"
        if held is False and ok("rdl"):
            return "rdl"     # hanging arms, no float, one half controlled: a quick RDL
        return None      # quick, but nothing else of a swing: not sure
    if held and ok("good_morning"):
        return "good_morning"
    if held is not True and ok("deadlift") and (
            (ev.knee_at_bottom_deg >= DEADLIFT_MIN_KNEE_DEG and ev.dwell_at_bottom_s >= DEADLIFT_MIN_DWELL_S)
            or (ev.knee_at_bottom_deg >= DEADLIFT_DEEP_KNEE_DEG and ev.dwell_at_bottom_s >= DEADLIFT_SHORT_DWELL_S)):
        return "deadlift"
    if held is False:    # hanging arms, controlled, no floor start: an RDL
        return "rdl" if ok("rdl") else default
    return None


@dataclass
class _Frame:
    t: float
    angles: dict | None
    hands: HandPose | None
    extra: dict


class RecognizingEvaluator:
    """A FormEvaluator whose profile is recognised (see the module docstring).

    Same use as FormEvaluator: ``update(t_s, angles, hands=None, **kw) -> CoachState``,
    ``finish()``, ``reps``, ``sets``, ``states``, ``keep_states``, ``exercise``; plus
    ``rep_exercises`` (the profile that judged each rep) and ``decisions`` [(t, name)].
    Extra keyword arguments of update are passed on to FormEvaluator.update.
    """

    def __init__(self, profiles: dict[str, ExerciseProfile], default: str, recognize: bool = True,
                 timing: CueTiming | None = None, sets=None, smooth: bool = True):
        if default not in profiles:
            raise ValueError(f"default exercise {default!r} is not among the profiles {sorted(profiles)}")
        self.profiles = profiles
        self.default = default
        self.timing = timing or CueTiming()
        self.set_timing = sets
        self.smooth = smooth
        self.recognize = recognize and len(profiles) > 1
        self.decisions: list[tuple[float, str]] = []
        self._archived_reps: list[RepVerdict] = []
        self._archived_ex: list[str] = []
        self._archived_sets: list = []
        self._buffer: deque[_Frame] = deque()   # the last BUFFER_S of frames, oldest first
        self._keep_states = False
        self._states_archive: list[CoachState] = []
        self.ev = self._new(default, quiet=self.recognize)
        self.decided = not self.recognize
        self._doubt_before_set = False   # the person's spine doubt as this set began
        self._looked = 0          # reps of this set the recogniser has looked at
        self._looked_at: list[RepEvidence] = []
        self._sets_seen = 0

    # -- FormEvaluator's surface ------------------------------------------------------
    @property
    def exercise(self) -> str:
        return self.ev.exercise

    @property
    def profile(self) -> ExerciseProfile:
        return self.ev.profile

    @property
    def judged_confidence(self) -> dict[str, float] | None:
        return self.ev.judged_confidence

    @property
    def reps(self) -> list[RepVerdict]:
        return self._archived_reps + self.ev.reps

    @property
    def rep_exercises(self) -> list[str]:
        return self._archived_ex + [self.ev.exercise] * len(self.ev.reps)

    @property
    def sets(self) -> list:
        return self._archived_sets + self.ev.sets

    @property
    def traces(self) -> list:
        return self.ev.traces

    @property
    def cues(self) -> CuePolicy:
        return self.ev.cues

    @property
    def keep_states(self) -> bool:
        return self._keep_states

    @keep_states.setter
    def keep_states(self, v: bool) -> None:
        self._keep_states = v
        self.ev.keep_states = v

    @property
    def states(self) -> list[CoachState]:
        return self._states_archive + self.ev.states

    def update(self, t_s: float, angles: dict[str, float] | None, hands: HandPose | None = None,
               **kw) -> CoachState:
        if self.recognize:
            self._buffer.append(_Frame(t_s, angles, hands, kw))
            while self._buffer and t_s - self._buffer[0].t > BUFFER_S:
                self._buffer.popleft()
        n_reps = len(self.ev.reps)
        state = self.ev.update(t_s, angles, **kw)
        if self.recognize and not self.decided and len(self.ev.reps) > n_reps:
            state = self._decide(t_s, state)
        if self.recognize and len(self.ev.sets) > self._sets_seen:
            self._sets_seen = len(self.ev.sets)
            self._set_closed(t_s)
        return state

    def finish(self) -> list[RepVerdict]:
        self.ev.finish()
        return self.reps

    def new_person(self) -> None:
        """FormEvaluator.new_person."""
        self.ev.new_person()
        self._doubt_before_set = False

    # -- internals ------------------------------------------------------------------------
    def _new(self, name: str, quiet: bool):
        from station.form.evaluator import FormEvaluator

        timing = replace(self.timing, enabled=False) if quiet else self.timing
        ev = FormEvaluator(self.profiles[name], timing, smooth=self.smooth, sets=self.set_timing)
        ev.keep_states = self._keep_states
        return ev

    def _evidence(self, v: RepVerdict) -> RepEvidence:
        frames = [f for f in self._buffer if v.start_t - 1e-6 <= f.t <= v.end_t + 1e-6]
        hands = [f.hands for f in frames if f.hands is not None and f.angles is not None]
        # the arms at the top of the rep (hips nearly open): a swing floats the bell there,
        # while a bend that reaches forward does so at the bottom
        window = [f for f in self._buffer if v.start_t - 1e-6 <= f.t <= v.end_t + TOP_WINDOW_S
                  and f.hands is not None and f.angles is not None]
        hips = [0.5 * (f.angles["hip_flexion_l"] + f.angles["hip_flexion_r"]) for f in window]
        # the float: after the bottom, as the hips open (the highest the arms get there)
        top = [f.hands.arm_elevation_deg for f, h in zip(window, hips) if h < TOP_HIP_DEG and f.t >= v.bottom_t]
        deep = [f.hands.arm_elevation_deg for f, h in zip(window, hips) if hips and h >= max(hips) - 10.0]
        standing = [f.hands for f, h in zip(window, hips) if h < TOP_HIP_DEG]
        not_hanging = (float(np.mean([hp.reach < GM_MAX_REACH or hp.arm_elevation_deg < GM_BEHIND_DEG
                                      for hp in standing])) if standing else math.nan)
        hip = np.array([0.5 * (f.angles["hip_flexion_l"] + f.angles["hip_flexion_r"])
                        for f in frames if f.angles is not None])
        ts = np.array([f.t for f in frames if f.angles is not None])
        dwell = math.nan
        if len(hip) >= 2:
            near = hip >= hip.max() - DWELL_BAND_DEG
            dt = np.diff(ts, append=ts[-1])
            dwell = float(dt[near].sum())
        hf = [f for f in self._buffer if f.hands is not None and f.angles is not None]
        follow = arm_follow(np.array([f.t for f in hf]), np.array([f.hands.trunk_pitch_deg for f in hf]),
                            np.array([f.hands.arm_elevation_deg for f in hf]), v.start_t, v.end_t)
        m = v.metrics
        return RepEvidence(
            pattern=v.pattern, knee_at_bottom_deg=float(m.get("knee_flexion_at_bottom", math.nan)),
            dwell_at_bottom_s=dwell, eccentric_s=float(m.get("eccentric_s", math.nan)),
            concentric_s=float(m.get("concentric_s", math.nan)),
            median_reach=float(np.median([h.reach for h in hands])) if hands else math.nan,
            max_arm_elevation_deg=float(np.max(top)) if top else math.nan,
            arm_swing_deg=float(np.max(top) - np.percentile(deep, 10)) if top and deep else math.nan,
            arms_not_hanging=not_hanging, arm_follow=follow,
            median_hand_gap=float(np.median([h.hand_gap for h in hands])) if hands else math.nan)

    def _decide(self, t: float, state: CoachState) -> CoachState:
        """A rep ended while undecided. Sure: that exercise, for good (this set). Not sure
        after the first rep: the default profile judges from now on (the coach speaks), and
        the next reps are looked at, up to RECONSIDER_REPS; the first sure answer that is
        another exercise judges the set again from its start."""
        self._looked_at.append(self._evidence(self.ev.reps[-1]))
        evidence = pooled_evidence(self._looked_at)
        sure = recognise_sure(evidence, tuple(self.profiles), self.default)
        self._looked += 1
        name = self.default if sure is None else sure
        self.decided = sure is not None or self._looked >= RECONSIDER_REPS
        log.info("exercise %s at %.1f s (rep %d of the set): %s (%s)", "recognised" if sure else "not sure",
                 t, self._looked, name, evidence)
        if self._looked > 1 and name == self.ev.exercise:
            return state         # the default judges on, as it has since the first rep
        self.decisions.append((t, name))
        old = self.ev
        if name != old.exercise:
            # judge the set again from its start with the recognised profile
            self._states_archive += old.states
            new = self._new(name, quiet=True)
            new.person_spine_doubt = self._doubt_before_set   # (the set's own reps replay)
            keep = self._keep_states
            new.keep_states = False
            for f in self._buffer:
                state = new.update(f.t, f.angles, **f.extra)
            new.keep_states = keep
            self.ev = new
        # the coach speaks from now on; the first rep gets its feedback now
        self.ev.cues = CuePolicy(self.timing)
        last = self.ev.reps[-1] if self.ev.reps else None
        if last is not None:
            self.ev.rep_feedback(t, last)
        cue = self.ev.cues.step(t, state.phase)
        state = replace(state, cue=cue, exercise=self.ev.exercise)
        if self._keep_states and self.ev.states:
            self.ev.states[-1] = state
        return state

    def _set_closed(self, t: float) -> None:
        """A set ended: the next set is recognised afresh (another lifter, another exercise)."""
        self._archived_reps += self.ev.reps
        self._archived_ex += [self.ev.exercise] * len(self.ev.reps)
        self._archived_sets += self.ev.sets
        self.ev.reps.clear()
        self.ev.traces.clear()
        self.ev.sets.clear()
        self._sets_seen = 0
        self._buffer.clear()
        self._doubt_before_set = self.ev.person_spine_doubt
        # the evaluator keeps running (its summary is on screen); the next set's first rep is
        # judged by it quietly and recognised again, replayed if it is another exercise
        self.decided = False
        self._looked = 0
        self._looked_at = []
        self.ev.cues.timing = replace(self.timing, enabled=False)


def recognise_trace(profiles: dict[str, ExerciseProfile], default: str, times_s: np.ndarray,
                    angles: dict[str, np.ndarray], valid: np.ndarray, points_m: np.ndarray,
                    up: np.ndarray, recognize: bool = True, timing: CueTiming | None = None,
                    keep_states: bool = False) -> RecognizingEvaluator:
    """Run the recognising evaluator over whole traces (the twin of
    station.form.evaluator.evaluate_trace): angles {angle: (n,)}, valid (n,) False = not
    tracked, points_m (n, K, 3) skeleton points per frame (the hands are read from them),
    up the floor normal in their frame."""
    ev = RecognizingEvaluator(profiles, default, recognize=recognize,
                              timing=CueTiming() if timing is None else timing)
    ev.keep_states = keep_states
    keys = list(angles)
    for i in range(len(times_s)):
        if valid[i]:
            ev.update(float(times_s[i]), {k: float(angles[k][i]) for k in keys},
                      hands=hand_pose(points_m[i], up))
        else:
            ev.update(float(times_s[i]), None)
    ev.finish()
    return ev


def make_evaluator(cfg: StationConfig, exercise: str | None = None,
                   profiles: dict | None = None) -> RecognizingEvaluator:
    """The evaluator a station runs. `exercise` fixes the profile (recognition off); otherwise
    the station's default profile until recognition decides among exercise.available (when
    exercise.recognize is on). `profiles` (name -> ExerciseProfile, already validated, as
    written) avoids reading the profile files again on a reload."""
    from station.form.evaluator import SetTiming

    ex = cfg.exercise
    fixed = exercise is not None or not getattr(ex, "recognize", True)
    names = [exercise] if exercise is not None else (list(ex.available) if not fixed else [ex.default])
    default = exercise or ex.default
    if default not in names:
        names.append(default)
    profiles = {n: (profiles[n] if profiles is not None and n in profiles else load_exercise(n, ex.profiles_dir))
                .with_strictness(ex.strictness) for n in names}
    return RecognizingEvaluator(profiles, default, recognize=not fixed, timing=CueTiming.from_config(cfg.cues),
                                sets=SetTiming.from_config(cfg.sets))
