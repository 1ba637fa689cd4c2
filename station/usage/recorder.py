"""What the running station tells the usage log: one call per frame, one per health change.

    rec = UsageRecorder(UsageLog(cfg.usage.log_path, cfg.station.id), cfg)
    rec.started()
    rec.frame(tick, evaluator)        # worker thread, every processed frame (a few µs)
    rec.health(view.health)           # main loop, every display frame (compares two fields)
    rec.config_reloaded(); rec.error(exc)
    rec.stopped(); rec.close()

From the stream of frames it derives the events: a presence session is someone in the
lifting zone (present at least ``PRESENCE_MIN_S``, ended after ``PRESENCE_GAP_S`` without
anyone); every rep the evaluator finishes (times, the contract's metrics, the verdict, the
pattern, the exercise) goes in at once with the number of its set; the set when the evaluator
closes it (exercise, reps, clean reps, rest before it); every cue when it first shows. Stream
times (seconds since the source's first frame) become wall-clock UTC seconds by the offset of
the frame that reported them. Frames processed and the worker's busy time go in once a minute.

The recorder keeps no frames and no skeletons: only the numbers it writes.
"""
from __future__ import annotations

import logging
import time
from typing import Callable

from station.usage.schema import to_label
from station.usage.store import UsageLog

log = logging.getLogger(__name__)

PRESENCE_MIN_S = 1.0       # someone must be in the zone this long to count as a session
PRESENCE_GAP_S = 5.0       # ... and gone this long to end it (a step out of the zone is not a new visit)
SAMPLE_PERIOD_S = 60.0
CAMERA_ATTENTION_S = 60.0  # camera lost this long = the station needs attention (opt-in e-mail)


_VERDICTS = {"clean": "clean", "fault": "faults", "faults": "faults", "not judged": "not_judged",
             "not_judged": "not_judged"}


def rep_verdict(rep) -> str:
    """The log's label for a RepVerdict's verdict: "clean", "faults" or "not_judged".

    A rep the coach could not judge (a rule's angles were not confident, so it said nothing)
    is never recorded as clean (station.model.RepVerdict.verdict: "fault", "clean",
    "not judged").
    """
    v = _VERDICTS.get(getattr(rep, "verdict", None))
    if v is not None:
        return v
    if rep.faults:
        return "faults"
    nj = getattr(rep, "not_judged", ())
    return "not_judged" if nj else "clean"


class UsageRecorder:
    def __init__(self, usage: UsageLog, cfg=None, *, clock: Callable[[], float] = time.time,
                 attention=None, sample_period_s: float = SAMPLE_PERIOD_S):
        self.log = usage
        self.clock = clock
        self.attention = attention            # AttentionMailer or None
        self.sample_period_s = sample_period_s
        self.strictness = cfg.exercise.strictness if cfg is not None else usage.strictness
        self.exercise = cfg.exercise.default if cfg is not None else None
        # presence
        self._present_since: float | None = None
        self._last_present: float | None = None
        self._session: int | None = None
        # reps and sets
        self._evaluator = None
        self._n_reps = 0
        self._n_sets = 0
        self._set_id: int | None = None
        self._set_wall = [0.0, 0.0]
        self._set_session: int | None = None
        self._last_set_end: tuple[int | None, float] | None = None   # (session, wall end)
        self._last_cue: tuple | None = None
        self._offset: float | None = None          # wall clock − stream clock of the last frame
        # samples
        self._frames = 0
        self._busy_s = 0.0
        self._sample_start: float | None = None
        # health
        self._camera_status = "streaming"
        self._camera_lost_at: float | None = None
        self._config_error: str | None = None
        self.failures = 0

    # ------------------------------------------------------------------ lifecycle
    def started(self) -> None:
        now = self.clock()
        self.log.health("startup", now)
        self._sample_start = now

    def stopped(self, evaluator=None) -> None:
        """The station stopped. With its (stopped) evaluator, the rep and set still open are
        finished and recorded first."""
        now = self.clock()
        if evaluator is not None and evaluator is self._evaluator and self._offset is not None:
            try:
                evaluator.finish()
                self._new_reps_and_sets(evaluator, self._offset)
            except Exception:      # never let the log stop a shutdown
                log.exception("usage: could not record the last set")
        self._end_session(now)
        self._flush_sample(now)
        self.log.health("shutdown", now)

    def close(self) -> None:
        self.log.close()

    # ------------------------------------------------------------------ per frame (worker thread)
    def frame(self, tick, evaluator=None) -> None:
        """One processed frame: `tick` has t_s, state (CoachState), person_present,
        arrival_mono and done_mono (station.live.Tick). Never raises: a fault in the usage log
        must not stop the coaching."""
        try:
            self._frame(tick, evaluator)
        except Exception:
            self._failed("frame")

    def _failed(self, where: str) -> None:
        self.failures += 1
        if self.failures == 1 or self.failures % 1000 == 0:
            log.exception("usage: recording a %s failed (%d times so far); the station keeps coaching",
                          where, self.failures)

    def _frame(self, tick, evaluator=None) -> None:
        now = self.clock()
        offset = self._offset = now - tick.t_s
        self._frames += 1
        self._busy_s += tick.done_mono - tick.arrival_mono
        if self._sample_start is None:
            self._sample_start = now
        elif now - self._sample_start >= self.sample_period_s:
            self._flush_sample(now)
        # presence
        if tick.person_present:
            if self._present_since is None:
                self._present_since = now
            self._last_present = now
            if self._session is None and now - self._present_since >= PRESENCE_MIN_S:
                self._session = self.log.session_start(self._present_since)
        elif self._present_since is not None and now - self._last_present >= PRESENCE_GAP_S:
            self._end_session(now)
        # reps and sets
        if evaluator is not None:
            if evaluator is not self._evaluator:
                self._switch_evaluator(evaluator, now)
            self._new_reps_and_sets(evaluator, offset)
        # cues
        cue = getattr(tick.state, "cue", None)
        if cue is not None:
            key = (cue.key, cue.t_s)
            if key != self._last_cue:
                self._last_cue = key
                self.log.cue(cue.t_s + offset, cue.key, cue.kind, cue.rule)

    def _new_reps_and_sets(self, evaluator, offset: float) -> None:
        reps = evaluator.reps
        while self._n_reps < len(reps):
            self._rep(reps[self._n_reps], offset, evaluator)
            self._n_reps += 1
        sets = evaluator.sets
        while self._n_sets < len(sets):
            self._set(sets[self._n_sets], offset, evaluator)
            self._n_sets += 1

    def _end_session(self, now: float) -> None:
        if self._session is not None:
            self.log.session_end(self._session, self._last_present if self._last_present is not None else now)
        self._session = None
        self._present_since = self._last_present = None

    def _flush_sample(self, now: float) -> None:
        if self._sample_start is None:
            return
        period = now - self._sample_start
        if period > 0 or self._frames:
            self.log.sample(now, period, self._frames, self._busy_s)
        self._frames, self._busy_s, self._sample_start = 0, 0.0, now

    def _switch_evaluator(self, evaluator, now: float) -> None:
        # A config reload (or an idle station's fresh start) replaced the evaluator. Nobody
        # updates its predecessor any more, so its open set would never close: finish it here
        # (its last rep, then the set) so the set's row goes in beside its reps; count afresh.
        old = self._evaluator
        if old is not None and self._offset is not None:
            try:
                old.finish()
                self._new_reps_and_sets(old, self._offset)
            except Exception:      # never let the log stop the coaching
                log.exception("usage: could not record the set open at the evaluator's replacement")
        self._evaluator = evaluator
        self._n_reps = len(evaluator.reps)
        self._n_sets = len(evaluator.sets)
        self._set_id = None
        self.exercise = getattr(evaluator, "exercise", self.exercise)

    def _rep(self, rep, offset: float, evaluator) -> None:
        if self._set_id is None:
            self._set_id = self.log.new_set_id()
            self._set_session = self._session
            self._set_wall = [rep.start_t + offset, rep.end_t + offset]
        self._set_wall[1] = rep.end_t + offset
        self.log.rep(self._set_id, start_s=rep.start_t + offset, bottom_s=rep.bottom_t + offset,
                     end_s=rep.end_t + offset, pattern=rep.pattern, metrics=rep.metrics,
                     verdict=rep_verdict(rep), faults=rep.faults, not_judged=tuple(getattr(rep, "not_judged", ()) or ()),
                     exercise=getattr(rep, "exercise", None) or getattr(evaluator, "exercise", None) or self.exercise,
                     strictness=self.strictness)

    def _set(self, s, offset: float, evaluator) -> None:
        set_id = self._set_id if self._set_id is not None else self.log.new_set_id()
        # the set spans its reps as they were recorded (one clock for both, even if the stream
        # ran slower than real time)
        start, end = (self._set_wall if self._set_id is not None else (s.start_t + offset, s.end_t + offset))
        rest = None
        if self._last_set_end is not None and self._last_set_end[0] == self._set_session \
                and self._set_session is not None:
            rest = max(0.0, start - self._last_set_end[1])
        exercise = getattr(s, "exercise", None) or getattr(evaluator, "exercise", None) or self.exercise or "unknown"
        self.log.set_done(set_id, session_id=self._set_session, start_s=start, end_s=end, exercise=exercise,
                          pattern=s.pattern, reps=s.reps, clean_reps=s.clean_reps, rest_before_s=rest,
                          strictness=self.strictness)
        self._last_set_end = (self._set_session, end)
        self._set_id = None

    # ------------------------------------------------------------------ health (main thread)
    def health(self, health) -> None:
        """The overlay's Health (camera_status, config_error), every display frame. Never raises."""
        try:
            self._health(health)
        except Exception:
            self._failed("health change")

    def _health(self, health) -> None:
        status = health.camera_status
        now = None
        if status != self._camera_status:
            now = self.clock()
            if status in ("streaming", "starting"):
                if self._camera_lost_at is not None:
                    self.log.health("camera_recovered", now, value=now - self._camera_lost_at)
                self._camera_lost_at = None
            elif status == "stopped":
                pass   # the pipeline failed: error() records it
            elif self._camera_lost_at is None:
                self.log.health("camera_lost", now, detail=to_label(str(status).replace(" ", "_")))
                self._camera_lost_at = now
            self._camera_status = status
        if self._camera_lost_at is not None and self.attention is not None:
            now = now or self.clock()
            if now - self._camera_lost_at >= CAMERA_ATTENTION_S:
                self.attention.notify("camera_lost", f"the camera has been lost for {now - self._camera_lost_at:.0f} s "
                                      f"(status: {status}); the mirror shows 'station needs attention'")
        err = health.config_error
        if err != self._config_error:
            self._config_error = err
            if err is not None and not getattr(health, "config_fatal", False):
                self.config_refused(err)

    def config_reloaded(self, cfg=None) -> None:
        """A new configuration is in force (its strictness marks the reps from now on)."""
        if cfg is not None:
            self.strictness = cfg.exercise.strictness
        self.log.health("config_reload", self.clock())

    def config_refused(self, message: str | None = None) -> None:
        self.log.health("config_refused", self.clock())
        if self.attention is not None:
            self.attention.notify("config_refused", "the station refused its configuration file and keeps "
                                  "running on the last good one:\n\n" + (message or ""))

    def error(self, exc: BaseException) -> None:
        self.log.health("error", self.clock(), detail=to_label(type(exc).__name__, "Exception"))


def open_recorder(cfg, path=None) -> "UsageRecorder | None":
    """The station's recorder on usage.log_path (or `path`), with the opt-in attention e-mail.

    None, with the reason logged, when the log cannot be opened: the mirror keeps coaching,
    and the nightly summary reports the damaged log to staff.
    """
    from station.usage.store import UsageLogError

    try:
        usage = UsageLog(path or cfg.usage.log_path, cfg.station.id, strictness=cfg.exercise.strictness)
    except UsageLogError as e:
        log.error("usage log disabled: %s", e)
        return None
    import atexit

    atexit.register(usage.close)          # a normal exit commits what is still queued
    attention = None
    if cfg.usage.attention_email:
        from station.usage.delivery import AttentionMailer

        attention = AttentionMailer(cfg.usage, cfg.station.id, cfg.station.name, usage_log=usage)
    return UsageRecorder(usage, cfg, attention=attention)
