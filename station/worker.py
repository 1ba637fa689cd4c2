"""The station's worker thread: every frame from the source through the pipeline, published
as a Tick into a one-slot mailbox the overlay reads (station.live).

The worker takes every frame from the source, timestamps it on arrival (``time.monotonic``),
runs the pipeline (segmenter, fitter (numba, releases the GIL), angles and the form
evaluator, all owned by station.app.Pipeline) and publishes a :class:`~station.model.Tick`
into :class:`Latest`, overwriting one the overlay has not drawn yet. A new config, profiles
or calibration handed over by the main thread is applied before the next frame. After
FRESH_EVALUATOR_IDLE_S with nobody in view it starts a fresh form evaluator; each tick goes
to the usage log (station.usage) when there is one. An error stops the worker (the overlay
shows "station needs attention"; the service restarts the station).
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Iterable

import numpy as np

from station.config import ExerciseProfile, StationConfig
from station.model import CoachState, DepthFrame, Tick

log = logging.getLogger(__name__)

# After this long with nobody in view and the screen idle, the worker starts a fresh form
# evaluator: the old one keeps every rep and set of the visits it saw (their usage is logged
# already), which over months of a gym's use would grow without end.
FRESH_EVALUATOR_IDLE_S = 60.0


class Latest:
    """A one-slot mailbox: the worker puts, the main thread takes the newest (never blocks);
    between display frames the main thread may wait for the next put (:meth:`wait`)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._tick: Tick | None = None
        self._new = threading.Event()
        self.put_count = 0

    def put(self, tick: Tick) -> None:
        with self._lock:
            self._tick = tick
            self.put_count += 1
        self._new.set()

    def get(self) -> Tick | None:
        with self._lock:
            return self._tick

    def take(self) -> Tick | None:
        """The newest tick, as the one to draw: :meth:`wait` then waits for a newer one."""
        self._new.clear()
        return self.get()

    def wait(self, timeout_s: float) -> bool:
        """Wait up to timeout_s for a tick newer than the last taken; True if one came."""
        return self._new.wait(timeout_s)


class Worker(threading.Thread):
    """Source → Pipeline (with its evaluator), publishing a Tick per frame into `latest`."""

    def __init__(self, source: Iterable[DepthFrame], cfg: StationConfig, latest: Latest,
                 keep_frames: bool = False, pipeline=None,
                 profiles: dict[str, ExerciseProfile] | None = None, calibration=None, usage=None):
        super().__init__(name="station-worker", daemon=True)
        from station.app import Pipeline
        from station.calibration import MovedCameraCheck

        self.source = source
        self.latest = latest
        self.keep_frames = keep_frames
        self.pipeline = pipeline if pipeline is not None else Pipeline(
            cfg, calibration=calibration, exercise="auto", profiles=profiles)
        self.moved_check = MovedCameraCheck(calibration)
        self._pending_calibration = None
        self.error: BaseException | None = None
        self.finished = threading.Event()
        self._stop_event = threading.Event()
        self._pending: tuple[StationConfig, dict | None] | None = None
        self._lock = threading.Lock()
        self.frames = 0
        self.busy_s = 0.0
        self._idle_since: float | None = None
        self.fresh_evaluators = 0
        self.usage = usage           # station.usage.UsageRecorder or None

    def reconfigure(self, cfg: StationConfig, profiles: dict[str, ExerciseProfile] | None = None) -> None:
        """Use a new config (and profiles) from the next frame (Pipeline.reconfigure: a new
        evaluator if the exercise, its profile or the cues changed; tracking restarts if the
        lifting zone changed)."""
        with self._lock:
            self._pending = (cfg, profiles)

    def set_calibration(self, calibration) -> None:
        """Start over from a new stored calibration (station.calibration) at the next frame."""
        with self._lock:
            self._pending_calibration = calibration

    def stop(self) -> None:
        self._stop_event.set()
        stop = getattr(self.source, "stop", None)
        if callable(stop):
            stop()

    def _apply_pending(self) -> None:
        if self._pending is None and self._pending_calibration is None:
            return
        from station.calibration import MovedCameraCheck

        with self._lock:
            pending, self._pending = self._pending, None
            cal, self._pending_calibration = self._pending_calibration, None
        if cal is not None:
            self.pipeline.use_calibration(cal)
            self.moved_check = MovedCameraCheck(cal)
        if pending is not None:
            self.pipeline.reconfigure(*pending)

    def _forget_past_visits(self, t_s: float, state: CoachState, person_present: bool) -> None:
        if state.screen != "idle" or person_present:
            self._idle_since = None
            return
        if self._idle_since is None:
            self._idle_since = t_s
        elif t_s - self._idle_since >= FRESH_EVALUATOR_IDLE_S and (
                self.pipeline.evaluator.reps or self.pipeline.evaluator.sets):
            self.pipeline.fresh_evaluator()
            self.fresh_evaluators += 1
            self._idle_since = None

    def _tick(self, frame: DepthFrame, res, arrival: float, done: float, notice: str | None) -> Tick:
        seg = res.segment
        xy = seg.person_centroid_floor_m
        return Tick(
            seq=self.frames, arrival_mono=arrival, done_mono=done, t_s=res.t_s, state=res.state,
            skeleton_cam_m=None if res.skeleton is None else np.array(res.skeleton.points_cam_m),
            floor=res.floor, track_state=res.track.state, person_present=bool(seg.person_present),
            person_upright=bool(seg.person_upright),
            person_centroid_floor_m=None if xy is None else (float(xy[0]), float(xy[1])),
            camera_height_m=seg.camera_height_m, camera_pitch_deg=seg.camera_pitch_deg,
            timings_ms=dict(res.timings_ms, total=(done - arrival) * 1e3), calibration_notice=notice,
            frame=frame if self.keep_frames else None, cloud=seg.cloud if self.keep_frames else None,
            skeleton_confidence=None if res.skeleton is None else np.array(res.skeleton.confidence))

    def run(self) -> None:
        try:
            for frame in self.source:
                arrival, arrival_cpu = time.monotonic(), time.thread_time()
                if self._stop_event.is_set():
                    break
                self._apply_pending()
                res = self.pipeline.process(frame)
                present = bool(res.segment.person_present)
                self._forget_past_visits(res.t_s, res.state, present)
                notice = self.moved_check.update(res.floor, present, res.t_s)
                done = time.monotonic()
                self.frames += 1
                self.busy_s += done - arrival
                res.timings_ms["cpu"] = (time.thread_time() - arrival_cpu) * 1e3   # this thread's CPU time
                self.latest.put(tick := self._tick(frame, res, arrival, done, notice))
                if self.usage is not None:
                    self.usage.frame(tick, self.pipeline.evaluator)
        except BaseException as exc:  # shown as "needs attention"; the service restarts us
            self.error = exc
            log.exception("station worker stopped")
            if self.usage is not None:
                self.usage.error(exc)
        finally:
            self.finished.set()
