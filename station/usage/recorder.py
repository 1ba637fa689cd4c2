"""What the running station tells the usage log: one call per frame, one per health change.

    rec = UsageRecorder(UsageLog(cfg.usage.log_path, cfg.station.id), cfg)
    rec.started()
    rec.frame(tick, evaluator)        # worker thread, every processed frame (a few µs)
    rec.health(view.health)           # main loop, every display frame (compares two fields)
    rec.config_reloaded(cfg); rec.error(exc)
    rec.stopped(); rec.close()

From the stream of frames it derives the events: a presence session is someone in the
lifting zone (present at least ``PRESENCE_MIN_S``, ended after ``PRESENCE_GAP_S`` without
anyone); every rep the evaluator finishes (times, the contract's metrics, the verdict, the
pattern, the exercise) goes in at once with the number of its set, and again when the evaluator
judges it anew before its set closes (a later rep showed its back could not be judged); the
set when the evaluator
closes it (exercise, reps, clean reps, rest before it); every cue when it first shows. Stream
times (seconds since the source's first frame) become wall-clock UTC seconds by the offset of
the frame that reported them. Frames processed and the worker's busy time go in once a minute.

A changed ``usage.log_path`` (a reload, or a new opening after closing time) is followed
(station.usage.handover): the new log takes over at the first moment no visit and no set is
open (``log_closed`` in the old file, ``log_opened`` in the new one).

The recorder keeps no frames and no skeletons: only the numbers it writes. Its entry points
are called from the worker thread (frame) and the main loop (the rest); one lock keeps a log
switch from coming between a caller and the log it writes to.
"""
from __future__ import annotations

import atexit
import logging
import threading
import time
from pathlib import Path
from typing import Callable

from station.fileio import same_file
from station.usage.handover import LogHandover
from station.usage.schema import to_label
from station.usage.store import UsageLog, UsageLogError

log = logging.getLogger(__name__)

PRESENCE_MIN_S = 1.0       # someone must be in the zone this long to count as a session
PRESENCE_GAP_S = 5.0       # ... and gone this long to end it (a step out of the zone is not a new visit)
SAMPLE_PERIOD_S = 60.0
# a set's reps can be judged again until it closes (station.form.evaluator): the recorder
# looks this many back for a rep that changed
REVISABLE_REPS = 64
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


def _judgement(rep) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """What the log records of a rep's verdict: (rep_verdict, faults, rules not judged)."""
    return rep_verdict(rep), tuple(rep.faults), tuple(getattr(rep, "not_judged", ()) or ())


class Presence:
    """Someone in the lifting zone: a presence session starts once they have been there
    PRESENCE_MIN_S and ends after PRESENCE_GAP_S without anyone (a step out of the zone is
    not a new visit)."""

    def __init__(self) -> None:
        self.since: float | None = None      # first frame of this presence
        self.last: float | None = None       # last frame with someone in the zone
        self.session: int | None = None      # the log's session id once it counts

    @property
    def open(self) -> bool:
        return self.session is not None or self.since is not None

    def seen(self, present: bool, now: float, usage: UsageLog) -> None:
        if present:
            if self.since is None:
                self.since = now
            self.last = now
            if self.session is None and now - self.since >= PRESENCE_MIN_S:
                self.session = usage.session_start(self.since)
        elif self.since is not None and now - self.last >= PRESENCE_GAP_S:
            self.end(now, usage)

    def end(self, now: float, usage: UsageLog) -> None:
        if self.session is not None:
            usage.session_end(self.session, self.last if self.last is not None else now)
        self.session = None
        self.since = self.last = None


class UsageRecorder:
    def __init__(self, usage: UsageLog, cfg=None, *, clock: Callable[[], float] = time.time,
                 attention=None, sample_period_s: float = SAMPLE_PERIOD_S):
        self.log = usage
        self._lock = threading.RLock()
        # a changed usage.log_path: the next log, waiting until no visit is open
        self._handover = LogHandover(Path(cfg.usage.log_path) if cfg is not None else None)
        self.clock = clock
        self.attention = attention            # AttentionMailer or None
        self.sample_period_s = sample_period_s
        self.strictness = cfg.exercise.strictness if cfg is not None else usage.strictness
        self.exercise = cfg.exercise.default if cfg is not None else None
        # presence
        self._presence = Presence()
        # reps and sets
        self._evaluator = None
        self._n_reps = 0
        # the reps written lately, by their place in the evaluator's list: (rep, row id), to
        # write again one the evaluator judges anew (a set's earlier reps revised)
        self._written: dict[int, tuple[object, int]] = {}
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
        with self._lock:
            now = self.clock()
            self._maybe_switch_log(now)
            self.log.health("startup", now)
            self._sample_start = now

    def stopped(self, evaluator=None) -> None:
        """The station stopped. With its (stopped) evaluator, the rep and set still open are
        finished and recorded first."""
        with self._lock:
            self._stopped(evaluator)

    def _stopped(self, evaluator) -> None:
        now = self.clock()
        if evaluator is not None and evaluator is self._evaluator and self._offset is not None:
            try:
                evaluator.finish()
                self._new_reps_and_sets(evaluator, self._offset)
            except Exception:      # never let the log stop a shutdown
                log.exception("usage: could not record the last set")
        self._presence.end(now, self.log)
        self._maybe_switch_log(now)
        self._flush_sample(now)
        self.log.health("shutdown", now)

    def close(self) -> None:
        """Close the log (and a new one still waiting to take over), after flushing."""
        with self._lock:
            waiting, closers = self._handover.close()
            logs = [self.log] + waiting
        for lg in logs:
            lg.close()
        for th in closers:
            th.join()

    # ------------------------------------------------------------------ per frame (worker thread)
    def frame(self, tick, evaluator=None) -> None:
        """One processed frame: `tick` has t_s, state (CoachState), person_present,
        arrival_mono and done_mono (station.live.Tick). Never raises: a fault in the usage log
        must not stop the coaching."""
        try:
            with self._lock:
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
        self._presence.seen(tick.person_present, now, self.log)
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
        self._maybe_switch_log(now)

    def _new_reps_and_sets(self, evaluator, offset: float) -> None:
        reps = evaluator.reps
        for i, (rep, rid) in self._written.items():   # (values replaced in place: no resize)
            now = reps[i] if i < len(reps) else None
            if now is None or now is rep:
                continue
            self._written[i] = (now, rid)
            verdict, faults, not_judged = _judgement(now)
            if (verdict, faults, not_judged) != _judgement(rep):
                self.log.rep_revised(rid, verdict=verdict, faults=faults, not_judged=not_judged)
        while self._n_reps < len(reps):
            rid = self._rep(reps[self._n_reps], offset, evaluator)
            self._written[self._n_reps] = (reps[self._n_reps], rid)
            self._written.pop(self._n_reps - REVISABLE_REPS, None)
            self._n_reps += 1
        sets = evaluator.sets
        while self._n_sets < len(sets):
            self._set(sets[self._n_sets], offset, evaluator)
            self._n_sets += 1

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
        self._written = {}
        self._n_sets = len(evaluator.sets)
        self._set_id = None
        self.exercise = getattr(evaluator, "exercise", self.exercise)

    def _rep(self, rep, offset: float, evaluator) -> int:
        if self._set_id is None:
            self._set_id = self.log.new_set_id()
            self._set_session = self._presence.session
            self._set_wall = [rep.start_t + offset, rep.end_t + offset]
        self._set_wall[1] = rep.end_t + offset
        return self.log.rep(self._set_id, start_s=rep.start_t + offset, bottom_s=rep.bottom_t + offset,
                     end_s=rep.end_t + offset, pattern=rep.pattern, metrics=rep.metrics,
                     verdict=rep_verdict(rep), faults=rep.faults, not_judged=_judgement(rep)[2],
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
            with self._lock:
                self._health(health)
                if self._handover.next_log is not None:
                    self._maybe_switch_log(self.clock())
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
        """A new configuration is in force (its strictness marks the reps from now on; a new
        usage.log_path is followed: :meth:`follow_log_path`)."""
        with self._lock:
            if cfg is not None:
                self.strictness = cfg.exercise.strictness
            self.log.health("config_reload", self.clock())
        if cfg is not None:
            self.follow_log_path(cfg)

    def config_refused(self, message: str | None = None) -> None:
        with self._lock:
            self.log.health("config_refused", self.clock())
        if self.attention is not None:
            self.attention.notify("config_refused", "the station refused its configuration file and keeps "
                                  "running on the last good one:\n\n" + (message or ""))

    def error(self, exc: BaseException) -> None:
        with self._lock:
            self.log.health("error", self.clock(), detail=to_label(type(exc).__name__, "Exception"))

    # ------------------------------------------------------------------ usage.log_path changes
    @property
    def log_path(self) -> Path:
        """The file being written now (a changed usage.log_path takes over between visits)."""
        return self.log.path

    def follow_log_path(self, cfg) -> None:
        """Follow a change of cfg.usage.log_path (station.usage.handover): the new file is
        opened now and in use from the first moment no visit and no set is open; a path that
        cannot be opened is refused (logged and recorded as a refused configuration); the
        current log stays. Opening and closing happen outside the lock."""
        path = Path(cfg.usage.log_path)
        with self._lock:
            changed, dropped = self._handover.reconfigure(path)
            current = self.log.path
        if dropped is not None:
            dropped.close()
        if not changed:
            return
        if same_file(path, current):
            log.info("usage.log_path is %s, the file in use: the usage log stays there", current)
            return
        new = LogHandover.open(path, cfg, current)
        if isinstance(new, str):
            log.error("%s", new)
            self.config_refused(new)
            with self._lock:
                self._handover.refused(path)
            return
        with self._lock:
            kept = self._handover.offer(path, new)
            if kept:
                log.info("usage.log_path changed: the usage log moves from %s to %s as soon as no "
                         "visit is open", current, path)
                self._maybe_switch_log(self.clock())
        if not kept:                   # another reload came meanwhile
            new.close()

    def _maybe_switch_log(self, now: float) -> None:
        """Hand over to the new log if one waits and no visit or set is open (lock held)."""
        if self._handover.next_log is None or self._set_id is not None or self._presence.open:
            return
        old, new = self.log, self._handover.take()
        self._flush_sample(now)                  # the minutes so far belong to the old file
        old.health("log_closed", now)
        new.health("log_opened", now)
        if self._camera_lost_at is not None:      # still without a camera: the new file says so
            new.health("camera_lost", now, detail=to_label(str(self._camera_status).replace(" ", "_")))
            self._camera_lost_at = now
        self.log = new
        self._written = {}                        # their rows are the old file's
        if self.attention is not None:
            self.attention.usage_log = new
        log.info("usage log: now writing %s (closing %s)", new.path, old.path)
        self._handover.close_behind(old)


def open_recorder(cfg, path=None) -> "UsageRecorder | None":
    """The station's recorder on usage.log_path (or `path`), with the opt-in attention e-mail.

    None, with the reason logged, when the log cannot be opened: the mirror keeps coaching,
    and the nightly summary reports the damaged log to staff.
    """
    try:
        usage = UsageLog(path or cfg.usage.log_path, cfg.station.id, strictness=cfg.exercise.strictness)
    except UsageLogError as e:
        log.error("usage log disabled: %s", e)
        return None
    atexit.register(usage.close)          # a normal exit commits what is still queued
    attention = None
    if cfg.usage.attention_email:
        from station.usage.delivery import AttentionMailer

        attention = AttentionMailer(cfg.usage, cfg.station.id, cfg.station.name, usage_log=usage)
    return UsageRecorder(usage, cfg, attention=attention)
