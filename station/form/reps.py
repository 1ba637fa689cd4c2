"""Rep segmentation: a hysteresis state machine on hip flexion (mean of left and right).

Phases (station.model.PHASES): standing → lowering → bottom → rising → lockout.

`RepDetector.update(t_s, angles)` is fed every frame (angles None when the lifter is not
tracked) and returns the reps whose boundaries are final. Thresholds come from the exercise
profile's [reps] table (station.config.RepDetection):

- A rep starts when hip flexion rises above ``leave_upright_hip_flexion_deg`` from a
  confirmed upright stance (or, after an incomplete lockout, 2 × hysteresis above where the
  hips settled). An upright stance is still for ``settle_s`` with hip flexion below
  leave_upright, or with the trunk within UPRIGHT_TRUNK_DEG of vertical (soft knees, or a
  fit that reads the hips high): then the next rep must leave it by 2 × hysteresis. The *boundary* start_t is then found by walking back from that crossing to
  where the hips began to move (the contract: "leaves the upright position"), through a
  stall of the fitted hips of up to BRIDGE_S while they are still well off the top
  (station.form.rep_trace.AngleHistory.walk).
- The bottom is confirmed once hip flexion has come back ``bottom_hysteresis_deg`` from its
  peak; a rep whose peak stays below ``min_bottom_hip_flexion_deg`` is a partial dip and is
  dropped. bottom_t = the first frame within BOTTOM_TOL_DEG of the deepest hip flexion
  (arrival at the bottom, so a long bottom pause does not move it).
- The rep ends (end_t) where the hips arrive back at the top: after hip flexion falls below
  ``back_upright_hip_flexion_deg`` (or halfway back from the peak, for an incomplete
  lockout) the end is confirmed once the hips have moved slower than
  ``settle_velocity_deg_s`` for ``settle_s``, or at once when the next rep starts; the
  boundary is the frame where the descent of hip flexion stops (a lean-back included). A
  turn down again that lost frames hid until the hips were past back_upright ends the rep
  there too (reps back to back, no pause at the top).
- At the end of the stream (flush), a rep on its way up that is already below
  back_upright is ended there (the lifter is up; the recording stopped before they settled).
- Reps shorter than ``min_rep_s`` or longer than ``max_rep_s`` are dropped.
- A rep is counted only from a fit that saw it: the hip flexion it is counted on confident
  (REP_MIN_CONFIDENCE, the fitter's 0..1; in at least half of a 0.2 s window) where the rep leaves
  the top and where its return to the top is confirmed; the detector is armed only by a
  confident stance. A fit that diverged (a lifter turning to walk away, legs hidden on a
  walk-in) swings the fitted hips like a rep; the coach must not count what it could not see.
  The bottom may be unsure (a heavy body in a hoodie, bent over: confidence 0.05): the
  lowering and the return seen make the rep.
- Lost frames: a gap up to MAX_GAP_S is bridged (values interpolated); a longer one aborts a
  rep in progress, and a new rep needs the lifter upright again first. A bridged frame has no
  confidence (station.form.confidence_gate.trace_confidence reads 0 there), so a rule whose
  window the gap covers is not judged on that rep: the rep is counted, its hidden part is
  never called clean; nor is a time read beside the gap (RepTrace.seen_at). A gap of
  SPLIT_GAP_S or more on the way up, after which the hips go down again (or come out deeper
  than they went in), held the top: the rep ends in the gap and the next starts there.

start_position "bottom" (the deadlift, from the floor): each rep is rising → lockout →
lowering → rest at the bottom. The descent to the bar before the first pull is not a rep;
start_t = the pull leaves the floor position, bottom_t = the deepest hip flexion of the rep
(the floor position the pull starts from), top_t = lockout, end_t = back at rest on the
floor (or the next pull). A final stand-up without lowering the bar again is not a rep.

Every boundary is found on the frames already seen; a rep is reported at most
END_WINDOW_S after its end (the window in which a lean-back at the top is judged) or when
the next rep starts, whichever comes first.

The frames, the boundary walk and the trace a finished rep hands on (RepTrace, with its
bottom and top window: BOTTOM_TOL_DEG, END_WINDOW_S) are station.form.rep_trace's; this
module is the state machine that decides where the reps are.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from station.config import RepDetection
from station.form.rep_trace import END_WINDOW_S, AngleHistory, RepTrace, series_of
from station.model import ANGLES

# Lost frames bridged inside a rep. Someone walking between the lifter and the mirror hides
# them for 0.5-1.5 s, and the tracker takes the lifter up again in their pose within 0.5 s of
# the view coming back (bench/reacq.py): the rep goes on and is counted. With 0.6 s here, every
# rep with a loss of 0.6 s or more was dropped (bench/reacq.py, injected losses: 2-3 of 5 reps
# counted on rdl_clean). Longer than this, the lifter may have finished the rep, or left.
MAX_GAP_S = 2.0
# ... but a gap this long while the hips rise holds time to stand up and start the next rep:
# when the hips come out of it deeper than they went in, or go down again after it, the rep
# ended inside it (its top unseen) and the next began there. Bridged as one rep, two reps
# read as one whose "lockout" lay mid-way (reacq: mesh_O_faults2 lost 1.5 s from the rise of
# rep 2 into the lowering of rep 3: one rep, called an incomplete lockout, rep 2's fault lost).
# A lifter needs ~0.3 s to finish a rise and more to turn and lower again: a shorter gap is
# a pause or a bounce inside one rep.
SPLIT_GAP_S = 0.5

# An upright stance (to arm the detector) when hip flexion reads above leave_upright: the trunk
# inclined less than this. A hinge inclines the trunk with the hips (a good morning's trunk is at
# 20° by 23° of hip flexion); soft knees and a pelvis tilted forward flex the hips without it.
UPRIGHT_TRUNK_DEG = 20.0

# Not a rep: a movement that flexes one hip only with the trunk upright (a knee raise, a
# step, tying a shoe on one knee). A hinge or a squat inclines the trunk or flexes both hips.
ONE_LEG_MIN_TRUNK_DEG = 25.0
ONE_LEG_MAX_HIP_SYMMETRY = 0.5

# Not a rep either: hips that flex while the trunk stays upright all through (walking away, the
# fit of a person turning: their thighs swing, their trunk does not incline). Every hinge, and a
# squat, inclines the trunk well past this at its bottom (an RDL 45-90 deg, a squat 30-50).
REP_MIN_TRUNK_DEG = 15.0
# ... held there over this many frames (0.2 s at 30 frames/s; the running median): every rep of
# the library holds its trunk past 15 deg for 0.5 s or more, while a fit breaking as the lifter
# turns to walk away read it 15.4-18.6 deg for 3 frames with the hips at 91-122 deg (the
# capsule athlete's walk-out of session_walk_in_out: a fifth rep, the demo's, counted on it)
TRUNK_HOLD_FRAMES = 6

# A rep is counted only when the fit was sure of its hip flexion (the mean of left and right
# confidence, station.form.confidence_gate.group_confidence) at this level where it leaves the
# top and where its return is confirmed (CONFIDENT_WINDOW_FRAMES), and the detector is
# armed only by a stance it is sure of. Measured on fitted reps (both bodies): the walk-in
# behind a plate (legs hidden, a diverged "rep") starts at 0.0; a kettlebell set whose legs
# the segmentation lost reads 0.1-0.3 throughout; reps the fit followed leave and reach the
# top at 0.45-0.9, whatever their bottom reads (0.05 on a heavy body in a hoodie, 0.1 on a
# toe touch the capsule fit lost).
REP_MIN_CONFIDENCE = 0.3
# "Sure" at a moment means: at the level in at least half of the tracked frames of a 0.2 s
# window (not every frame), the same rule wherever the detector asks (armed by a stance, a
# rep leaving the top, its return confirmed). Every frame was required where the rep leaves the
# top: a confidence that hovers around the level (a heavy lifter in a hoodie standing at
# 0.29-0.32) then lost a real rep on one frame at 0.29; a track re-seeded mid-rep reads 0.8 x
# its confidence while it sizes the lifter again. A breaking track (0.0-0.3, a sure frame
# now and then) is still not sure.
CONFIDENT_WINDOW_FRAMES = 6
# A rep whose bottom the fit was sure of at this level (in at least half of the
# CONFIDENT_WINDOW_FRAMES around its deepest frame) is counted although its top was not seen,
# when it is the first rep of a run that left a top the fit saw, or follows a counted rep within
# RUN_GAP_S. Kettlebell swings: the floated bell hides the hips at every top (hip confidence
# 0.05-0.35) while every bottom reads 0.85-0.9 on both bodies; the set counted 0 of 6. A fit
# that diverged (the walk-in behind a plate, a lifter turning away) has no sure bottom and no
# sure top to start its run from.
BOTTOM_SURE_CONFIDENCE = 0.6
RUN_GAP_S = 1.0


def both_sides_hinge(hip: float, hip_min: float, trunk: float) -> bool:
    """False for a one-legged movement with the trunk upright (see ONE_LEG_*)."""
    hip_max = 2.0 * hip - hip_min
    return trunk >= ONE_LEG_MIN_TRUNK_DEG or hip_min >= ONE_LEG_MAX_HIP_SYMMETRY * max(hip_max, 1e-6)


@dataclass
class _Rep:
    """A rep in progress (absolute frame indices)."""

    start_i: int                 # boundary start
    start_hip: float
    peak_hip: float = -math.inf
    peak_i: int = -1
    bottom_confirmed: bool = False
    top_i: int | None = None     # lockout (bottom-start reps; top-start: = end)
    end_i: int | None = None
    min_after_peak: float = math.inf
    min_after_peak_i: int = -1   # its frame
    trunk_inclined: bool = False  # the trunk has inclined past REP_MIN_TRUNK_DEG (a hinge or squat)
    start_seen: bool = True      # the fit was sure of the hips where they left the top
    start_at_top: bool = True    # the start found lies at the top (not a stall on the way down)
    gap: tuple[int, int] | None = None  # a long gap on the way up: first lost, first back
    min_since_gap: float = math.inf     # the lowest hips since (and just before) it


@dataclass
class DetectorStatus:
    """The live view of the detector for the overlay and the cue policy."""

    phase: str | None            # one of PHASES, None when unknown (lost, or never upright)
    in_rep: bool
    rep_start_i: int | None      # boundary start of the rep in progress
    rep_start_t: float | None
    peak_hip: float | None
    bottom_reached: bool
    # the phase to show the lifter: a rep in progress is named (lowering, bottom, rising) only
    # once its trunk has inclined past REP_MIN_TRUNK_DEG, as every rep the detector counts
    # does; before that "standing". A lifter turning to walk away flexes the fitted hips past
    # the start on soft knees, trunk upright: "LOWERING" over it claimed a rep never counted.
    shown_phase: str | None = None


def upright_stance(s: RepDetection, hip_deg: float, trunk_deg: float) -> bool:
    """A still stance (the caller checks stillness) is upright: hip flexion below
    leave_upright, or the trunk within UPRIGHT_TRUNK_DEG of vertical with the hips short of a
    rep's bottom. Soft knees and a fitted hip that reads high (a real body, +12° on a mocap
    stance) keep hip flexion above leave_upright while the lifter stands; the trunk still says
    upright, and the stance becomes the reference the next rep must leave by 2 × hysteresis."""
    if hip_deg < s.leave_upright_hip_flexion_deg:
        return True
    return (math.isfinite(trunk_deg) and trunk_deg < UPRIGHT_TRUNK_DEG
            and hip_deg < s.min_bottom_hip_flexion_deg - s.bottom_hysteresis_deg)


class RepDetector:
    """The state machine. update(t_s, angles or None) -> list[RepTrace] finalized this frame.

    Its frames are kept in an AngleHistory, and a finished rep's trace is cut from it
    (station.form.rep_trace)."""

    def __init__(self, settings: RepDetection):
        self.s = settings
        self.h = AngleHistory()
        self.state = "unknown"       # unknown | standing | lowering | bottom | rising | lockout
        self.rep: _Rep | None = None
        self.pending: _Rep | None = None   # ended, waiting for its top window
        self.ref_hip = 0.0          # where the hips settled at the top
        self._slow_since: float | None = None
        self._last_seen_t: float | None = None
        self._lockout_shown_until = -math.inf
        self._run_until = -math.inf    # a rep leaving an unseen top may still count until then
        self._floor_peak = -math.inf   # bottom-start: depth of the floor position
        self._floor_peak_i = -1
        self._lost_from_i: int | None = None   # the first frame of the gap going on now

    def status(self) -> DetectorStatus:
        phase = None if self.state == "unknown" else self.state
        if phase == "standing" and self._last_seen_t is not None and \
                self._last_seen_t < self._lockout_shown_until:
            phase = "lockout"
        r = self.rep
        in_rep = r is not None
        shown = phase
        if r is not None and not r.trunk_inclined and phase in ("lowering", "bottom", "rising") \
                and self.s.start_position == "top":
            shown = "standing"
        return DetectorStatus(phase, in_rep, r.start_i if r else None,
                              self.h.time(r.start_i) if r and r.start_i >= self.h.first() else None,
                              r.peak_hip if r and r.peak_hip > -math.inf else None,
                              bool(r and r.bottom_confirmed), shown)

    def history(self, i0: int, i1: int) -> dict[str, np.ndarray]:
        return self.h.arrays(i0, i1)

    # -- the machine ---------------------------------------------------------------------
    def update(self, t_s: float, angles: dict[str, float] | None,
               smoothed: dict[str, float] | None = None,
               rep_confidence: float = 1.0) -> list[RepTrace]:
        """angles: the frame's contract angles (None: not tracked); smoothed: the same after
        the live filter (the state machine runs on it; boundaries and rule values use the
        raw angles, zero-phase smoothed after the fact); rep_confidence: how sure the fit is
        of this frame's hip flexion (0..1; 1 for truth angles). Returns the reps
        finalized now."""
        vals = series_of(angles) if angles is not None else None
        if vals is not None and not all(math.isfinite(v) for v in vals):
            vals = None
        live = series_of(smoothed)[0] if (smoothed is not None and vals is not None) else None
        i = self.h.append(t_s, vals, live if live is not None else (vals[0] if vals else None),
                          rep_confidence)
        done: list[RepTrace] = []
        if vals is None:
            # stillness is not known across a gap: a stillness begun before it (a pause at the
            # bottom) would read the first frame after it as settled, and end a rep mid-rise
            self._slow_since = None
            if self._lost_from_i is None:
                self._lost_from_i = i
            if self._last_seen_t is not None and t_s - self._last_seen_t > MAX_GAP_S:
                self._lost(done)
            return done
        self._last_seen_t = t_s
        hip = self.h.hip(i)
        if self._lost_from_i is not None:
            g0, self._lost_from_i = self._lost_from_i, None
            r = self.rep
            if r is not None and self.state == "rising" and g0 - 1 >= self.h.first() and \
                    t_s - self.h.time(g0) >= SPLIT_GAP_S - 1e-9:
                r.gap, r.min_since_gap = (g0, i), self.h.hip(g0 - 1)
        v = self.h.velocity(i)
        if abs(v) <= self.s.settle_velocity_deg_s:
            if self._slow_since is None:
                self._slow_since = t_s
        else:
            self._slow_since = None
        settled = self._slow_since is not None and t_s - self._slow_since >= self.s.settle_s - 1e-9
        if self.state == "unknown":
            # armed by a still, upright stance that the fit is sure of (a fit starting on
            # someone walking in, or diverging, may read anything)
            if settled and upright_stance(self.s, hip, self.h.raw(i, "trunk")) and self._confident(i):
                self.state, self.ref_hip = "standing", hip
        elif self.s.start_position == "bottom":
            self._step_bottom(i, t_s, hip, v, settled, done)
        else:
            self._step_top(i, t_s, hip, v, settled, done)
        # a finished rep waits for its top window
        p = self.pending
        if p is not None and p.end_i is not None:
            anchor = p.top_i if p.top_i is not None else p.end_i
            if self.s.start_position == "bottom":
                anchor = p.end_i
            if t_s - self.h.time(anchor) >= END_WINDOW_S:
                self._finalize(p, i, done)
        return done

    def _lost(self, done: list[RepTrace]) -> None:
        if self.pending is not None:
            self._finalize(self.pending, self.h.last_seen(), done)
        self.rep = None
        self.state = "unknown"
        self._slow_since = None

    def _out_of_gap(self, start: int, i: int) -> int:
        """A start the walk put inside a lost stretch moves to the first frame seen after it
        when the hips are still at the top there: the lowering is seen from there on (its start
        lay in the gap: station.form.rep_trace.RepTrace.seen_at keeps it untimed). Left in the
        gap, no frame around it was sure, and the rep waited until the walk stopped near the
        bottom, timing a 1.9 s lowering at 0.03 s (a property test with losses found it)."""
        if math.isfinite(self.h.hip(start)):
            return start
        j = start
        while j < i and not math.isfinite(self.h.hip(j)):
            j += 1
        return j if self._at_top(j) else start

    def _at_top(self, j: int) -> bool:
        """Frame j's hips are at the top: not past where a rep's start is confirmed."""
        return self.h.hip(j) <= self._start_threshold()

    def _start_threshold(self) -> float:
        return max(self.s.leave_upright_hip_flexion_deg, self.ref_hip + 2.0 * self.s.bottom_hysteresis_deg)

    def _back_up(self, r: _Rep, i: int, hip: float, settled: bool, base_hip: float) -> int | None:
        """On the way up, the hips are back at the top: below back_upright (or halfway from
        the peak down to base_hip, once settled), and settled or turning down again. Returns
        the frame to find the arrival from (None: not back up yet): frame i, or, when frames
        lost after the lowest one hid the turn until the hips were past back_upright, the
        lowest. Reps back to back (no pause at the top) turn within 0.1-0.2 s; a drop-out of
        0.1 s there hid every frame of the turn below back_upright, and two reps read as one.
        (Not on a tracked frame: one noisy frame near back_upright is no turn.)"""
        if hip < r.min_after_peak:
            r.min_after_peak, r.min_after_peak_i = hip, i
        turned = hip > r.min_after_peak + self.s.bottom_hysteresis_deg
        back = hip < self.s.back_upright_hip_flexion_deg or (
            hip < r.peak_hip - 0.5 * (r.peak_hip - base_hip) and settled)
        if back and (settled or turned):
            return i
        if turned and r.min_after_peak < self.s.back_upright_hip_flexion_deg and \
                not all(math.isfinite(self.h.hip(j)) for j in range(r.min_after_peak_i, i)):
            return r.min_after_peak_i
        return None

    # top-start: standing -> lowering -> bottom -> rising -> lockout
    def _step_top(self, i, t, hip, v, settled, done):
        s = self.s
        if self.state in ("standing", "lockout"):
            if hip < s.leave_upright_hip_flexion_deg:
                # back near upright: only an end of rep raises the reference (incomplete lockout)
                self.ref_hip = min(hip, self.ref_hip)
            if hip > self._start_threshold():
                lo = self.h.first() if self.pending is None else self.pending.end_i
                start = self.h.walk(i, lo, i, -1, +1,
                                   bridge_above=max(self.ref_hip, 0.0) + s.bottom_hysteresis_deg)
                start = self._out_of_gap(start, i)
                seen = self._left_top_seen(start, i)
                if not seen and t > self._run_until:
                    # the fit was not sure of the hips where they left the top, and no counted
                    # rep has just ended: no rep
                    return
                # a walk that stopped where the hips stalled on the way down (a fit's plateau,
                # the hips slowing into the bottom) is no start to time the lowering from
                self.rep = _Rep(start_i=start, start_hip=self.h.hip(start),
                                trunk_inclined=self._trunk_now(i), start_seen=seen,
                                start_at_top=self._at_top(start))
                if self.pending is not None:
                    # the next rep starts: the previous one's top window ends here
                    self._finalize(self.pending, self.rep.start_i, done)
                self.state = "lowering"
            return
        r = self.rep
        assert r is not None
        if t - self.h.time(r.start_i) > s.max_rep_s:
            self.rep, self.state = None, "unknown"
            return
        if not r.trunk_inclined:
            r.trunk_inclined = self._trunk_now(i)
        if hip > r.peak_hip:
            r.peak_hip, r.peak_i = hip, i
        if self.state in ("lowering", "bottom"):
            if r.peak_hip >= s.min_bottom_hip_flexion_deg:
                if hip < r.peak_hip - s.bottom_hysteresis_deg:
                    r.bottom_confirmed = True
                    self.state = "rising"
                    r.min_after_peak, r.min_after_peak_i = hip, i
                elif abs(v) <= s.settle_velocity_deg_s and self.state == "lowering":
                    self.state = "bottom"
                elif v > s.settle_velocity_deg_s:
                    self.state = "lowering"
            elif hip < s.leave_upright_hip_flexion_deg:
                # a partial dip: not a rep
                self.rep, self.state = None, "standing"
            return
        if self.state == "rising":
            if r.gap is not None:
                r.min_since_gap = min(r.min_since_gap, hip)
                if hip > r.min_since_gap + s.bottom_hysteresis_deg:
                    self._split_at_gap(r, i, done)
                    return
            at = self._back_up(r, i, hip, settled, r.start_hip)
            if at is not None:
                self._end_top(r, at)
                return
            if hip > r.peak_hip - s.bottom_hysteresis_deg * 0.5 and r.min_after_peak > s.back_upright_hip_flexion_deg:
                # went back down without standing up: still the same rep
                self.state = "lowering"
                r.bottom_confirmed = False

    def _end_top(self, r: _Rep, i: int) -> None:
        s = self.s
        end = self.h.arrival_from_above(r.peak_i, i, s.back_upright_hip_flexion_deg)
        r.end_i = r.top_i = end
        self.rep = None
        self.state = "standing"
        self.ref_hip = self.h.hip(end)
        if self._moved_like_a_rep(r, end, end) \
                and ((r.start_seen and self._returned(i)) or self._bottom_sure(r)):
            self.pending = r
            self._run_until = self.h.time(i) + RUN_GAP_S
            # "lockout" is shown for a rep that counts only
            self._lockout_shown_until = self.h.time(i) + 0.6

    def _moved_like_a_rep(self, r: _Rep, end_i: int, trunk_to_i: int) -> bool:
        """Rep r, ending at end_i, moved as a counted rep does: deep enough, neither too short
        nor too long, both hips hinging at the bottom, and the trunk inclined over its frames up
        to trunk_to_i (whether the fit saw it is the caller's to ask)."""
        s = self.s
        dur = self.h.time(end_i) - self.h.time(r.start_i)
        return r.peak_hip >= s.min_bottom_hip_flexion_deg and s.min_rep_s <= dur <= s.max_rep_s \
            and self._two_sided(r.peak_i) and self._trunk_inclined(r.start_i, trunk_to_i)

    def _split_at_gap(self, r: _Rep, i: int, done: list[RepTrace]) -> None:
        """The hips went down again after a long gap on the way up (SPLIT_GAP_S): rep r ended
        inside the gap and the next one began there. Both boundaries go to the gap's middle
        frame, a lost one: r's top window and the new rep's lowering start lie in the gap,
        so the rules that read them are not judged (station.form.confidence_gate), and r is
        counted as a rep whose return was not seen (its start or its bottom must have been)."""
        assert r.gap is not None
        g0, g1 = r.gap
        mid = (g0 + g1 - 1) // 2
        r.end_i = r.top_i = mid
        if self._moved_like_a_rep(r, mid, g0 - 1) and (r.start_seen or self._bottom_sure(r)):
            self._finalize(r, mid, done)
        peak_i = max(range(g1, i + 1), key=self.h.hip)
        self.rep = _Rep(start_i=mid, start_hip=r.start_hip, peak_hip=self.h.hip(peak_i),
                        peak_i=peak_i, trunk_inclined=self._trunk_now(i),
                        start_seen=self._confident(i))
        self.state = "lowering"
        self._run_until = self.h.time(i) + RUN_GAP_S

    def _sure(self, i0: int, i1: int) -> bool:
        """The fit was sure of the hip flexion over frames i0..i1: at REP_MIN_CONFIDENCE in at
        least half of their tracked frames (see CONFIDENT_WINDOW_FRAMES; lost frames, bridged,
        say nothing)."""
        return self.h.confident_share(max(i0, self.h.first()), i1, REP_MIN_CONFIDENCE) >= 0.5

    def _confident(self, i: int) -> bool:
        """The fit is sure of the hip flexion up to frame i (the last CONFIDENT_WINDOW_FRAMES):
        a stance that arms the detector, a pull leaving the floor. (One sure frame in an unsure
        stretch, a track breaking as the lifter turns to walk away, arms nothing.)"""
        return self._sure(i - CONFIDENT_WINDOW_FRAMES + 1, i)

    def _left_top_seen(self, start: int, i: int) -> bool:
        """The fit saw the hips leave the top: sure over the CONFIDENT_WINDOW_FRAMES around the
        walked-back start (the stance before it and the first of the lowering, up to frame i)."""
        half = CONFIDENT_WINDOW_FRAMES // 2
        return self._sure(start - half, min(start + half - 1, i))

    def _returned(self, i: int) -> bool:
        """The fit saw the return to the top: sure over the CONFIDENT_WINDOW_FRAMES up to frame
        i, where the return is confirmed."""
        return self._sure(i - CONFIDENT_WINDOW_FRAMES + 1, i)

    def _bottom_sure(self, r: _Rep) -> bool:
        """The fit was sure of the hips at the rep's deepest frame (BOTTOM_SURE_CONFIDENCE)."""
        half = CONFIDENT_WINDOW_FRAMES // 2
        return self.h.confident_share(max(r.peak_i - half, self.h.first()), r.peak_i + half - 1,
                                      BOTTOM_SURE_CONFIDENCE) >= 0.5

    def _trunk_now(self, i: int) -> bool:
        """The trunk inclined past REP_MIN_TRUNK_DEG now: the median of the last three tracked
        frames' raw trunk inclination (one noisy frame does not name a rep)."""
        tr = [x for x in (self.h.raw(j, "trunk") for j in range(max(i - 2, self.h.first()), i + 1))
              if math.isfinite(x)]
        return len(tr) > 0 and float(np.median(tr)) >= REP_MIN_TRUNK_DEG

    def _trunk_inclined(self, i0: int, i1: int) -> bool:
        """The trunk held past REP_MIN_TRUNK_DEG over TRUNK_HOLD_FRAMES somewhere in i0..i1 (the
        running median's maximum): a fit that breaks for a few frames is no rep."""
        trunk = self.h.arrays(i0, i1)["trunk"]
        if len(trunk) > TRUNK_HOLD_FRAMES:
            trunk = np.median(np.lib.stride_tricks.sliding_window_view(trunk, TRUNK_HOLD_FRAMES), axis=1)
        return bool(np.any(trunk >= REP_MIN_TRUNK_DEG))   # NaN (never seen) is not inclined

    def _two_sided(self, i: int) -> bool:
        a = self.h.arrays(i, i)
        return both_sides_hinge(float(a["hip"][0]), float(a["hip_min"][0]), float(a["trunk"][0]))

    # bottom-start (deadlift): standing -> lowering (setup) -> bottom -> rising (pull) ->
    # lockout -> lowering -> bottom (rep ends) -> rising (next pull) ...
    def _step_bottom(self, i, t, hip, v, settled, done):
        s = self.s
        r = self.rep
        if r is not None and t - self.h.time(r.start_i) > s.max_rep_s:
            self.rep = r = None
        if self.state in ("standing", "lockout"):
            if hip > self._start_threshold() and self._confident(i):
                self.state = "lowering"
                self._floor_peak, self._floor_peak_i = hip, i
            elif hip < s.leave_upright_hip_flexion_deg:
                self.ref_hip = min(hip, self.ref_hip)
            return
        if self.state in ("lowering", "bottom"):
            if hip > self._floor_peak:
                self._floor_peak, self._floor_peak_i = hip, i
            if self._floor_peak >= s.min_bottom_hip_flexion_deg:
                if hip < self._floor_peak - s.bottom_hysteresis_deg:
                    # a pull begins (from the floor position)
                    start = self.h.walk(i, self._floor_peak_i - 1, i, -1, -1)
                    if r is not None and r.top_i is not None:
                        self._end_bottom(r, min(r.end_i if r.end_i is not None else start, start), done)
                    self.rep = _Rep(start_i=start, start_hip=self.h.hip(start),
                                    peak_hip=self.h.hip(start), peak_i=start, bottom_confirmed=True)
                    self.state = "rising"
                    return
                if abs(v) <= s.settle_velocity_deg_s:
                    if self.state == "lowering" and r is not None and r.top_i is not None:
                        # back on the floor: the rep's end is the arrival
                        r.end_i = self.h.walk(self._floor_peak_i, r.top_i, i, +1, +1)
                    self.state = "bottom"
                    if settled and r is not None and r.top_i is not None and r.end_i is not None:
                        self._end_bottom(r, r.end_i, done)
                        self.rep = None
            elif hip < s.leave_upright_hip_flexion_deg:
                self.state = "standing" if r is None else "lockout"
            return
        if self.state == "rising":
            assert r is not None
            at = self._back_up(r, i, hip, settled, 0.0)
            if at is not None:
                r.top_i = self.h.arrival_from_above(r.start_i, at, s.back_upright_hip_flexion_deg)
                self.ref_hip = self.h.hip(r.top_i)
                self.state = "lockout"
                self._lockout_shown_until = t + 0.6

    def _end_bottom(self, r: _Rep, end_i: int, done: list[RepTrace]) -> None:
        r.end_i = end_i
        dur = self.h.time(end_i) - self.h.time(r.start_i)
        if self.s.min_rep_s <= dur <= self.s.max_rep_s and r.top_i is not None and self._returned(r.top_i):
            self._finalize(r, end_i, done)

    def _finalize(self, r: _Rep, window_end_i: int, done: list[RepTrace]) -> None:
        if self.pending is r:
            self.pending = None
        assert r.end_i is not None
        top = r.top_i if r.top_i is not None else r.end_i
        done.append(self.h.rep_trace(r.start_i, top, r.end_i, window_end_i, self.s.start_position,
                                     start_at_top=r.start_at_top))

    def flush(self) -> list[RepTrace]:
        """At the end of a stream: report a rep still waiting for its top window."""
        done: list[RepTrace] = []
        r = self.rep
        if r is not None and self.s.start_position == "top" and self.state == "rising":
            # the stream ended with the hips back near upright but before they had settled
            # for settle_s (a recording stopped as the lifter stands, or a fit whose noise
            # keeps the live hip flexion moving): the lifter is up, so the rep is complete
            last = self.h.last_seen()
            if math.isfinite(self.h.hip(last)) and self.h.hip(last) < self.s.back_upright_hip_flexion_deg:
                if self.pending is not None:
                    self._finalize(self.pending, r.start_i, done)
                self._end_top(r, last)
        if self.pending is not None:
            self._finalize(self.pending, self.h.last, done)
        return done


def segment_reps(times_s: np.ndarray, angles: dict[str, np.ndarray], settings: RepDetection,
                 valid: np.ndarray | None = None) -> list[RepTrace]:
    """Offline convenience: run the detector over whole traces (no smoothing)."""
    det = RepDetector(settings)
    out: list[RepTrace] = []
    n = len(times_s)
    for i in range(n):
        ok = valid is None or bool(valid[i])
        a = {k: float(angles[k][i]) for k in ANGLES} if ok else None
        out += det.update(float(times_s[i]), a)
    return out + det.flush()
