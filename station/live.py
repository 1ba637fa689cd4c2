"""The station's runtime: the pipeline in a worker thread, the overlay in the main thread.

    source ──► [worker thread] Pipeline.process (segment, fit, angles, evaluator) ──► Latest (one slot)
                                                                                        │
    [main thread, display rate] latest Tick → station_view (view-model) → layout → draw → flip

The worker thread (station.worker.Worker) takes every frame from the source through the
pipeline and publishes a :class:`~station.model.Tick` into a one-slot mailbox
(station.worker.Latest), overwriting one the overlay has not drawn yet. The overlay (this
module's :class:`Station`, in the main thread) never waits for the fitter: each display frame
it draws the newest tick it has. When a tick is first shown, the time from its frame's
arrival to the flip of that screen is its frame-to-drawn latency (:class:`RunStats`).

Health: a LiveCamera whose ``status`` is not "streaming" (unplugged, reconnecting) shows
the "station needs attention" screen while it reconnects by itself; a config file that
turns bad on reload keeps the last good config (station.live_config.LiveConfig), shows a
staff notice and logs the problem with the message of `station config check`; a config
that is bad at start shows the attention screen until it is fixed. The station config and
the exercise profiles are re-read when a file changes (checked every CONFIG_POLL_S) and at
once on SIGHUP (`systemctl reload`); the pipeline swaps its profile from the next frame.
Under systemd, the main loop sends READY=1 and WATCHDOG=1 pings to $NOTIFY_SOCKET
(station.systemd_notify) while it and the worker are alive.

Public API::

    Station(cfg, source, ...).run() -> RunStats        # the main loop
    RunStats
    Latest, Worker                                     # station.worker's, used by Station

`station run` (opening hours, waiting for a good config) is station.service.
"""
from __future__ import annotations

import logging
import math
import time
from collections import deque
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from station.config import ConfigWatcher, ExerciseProfile, StationConfig
from station.live_config import LiveConfig
from station.model import SKELETON_INDEX, CoachState, DepthFrame, FloorPlane, Skeleton, Tick
from station.overlay.mirror import MirrorGeometry, eye_from_head, mirror_geometry, register
from station.overlay.screens import layout
from station.overlay.view import (
    Health, OverlayMemory, ShownSkeleton, View, ViewSettings, shown_confidence, station_view,
)
from station.systemd_notify import Watchdog
from station.worker import FRESH_EVALUATOR_IDLE_S, Latest, Worker  # noqa: F401 (the runtime's API)

log = logging.getLogger(__name__)

CONFIG_POLL_S = 1.0
STOP_CHECK_S = 5.0            # how often the station asks whether it should close (opening hours)


def _idle_state(t_s: float, exercise: str) -> CoachState:
    return CoachState(t_s=t_s, exercise=exercise, screen="idle", phase=None, rep_count=0, cue=None,
                      hinge_ratio=None, depth_fraction=None, last_rep=None, set_summary=None, muscles={})


RECENT_SAMPLES = 3600      # per-frame figures kept: the last minute at 60 Hz (a station runs for months)


def _recent() -> deque:
    return deque(maxlen=RECENT_SAMPLES)


@dataclass
class RunStats:
    """Figures of one run: display frames drawn, ticks shown, latencies, draw times.

    The per-frame figures (latency_ms, draw_ms, worker_ms) and cues_seen keep only the
    most recent RECENT_SAMPLES entries, so a station running for months keeps flat memory.
    """

    display_frames: int = 0
    ticks_made: int = 0
    ticks_shown: int = 0
    latency_ms: deque = field(default_factory=_recent)   # frame arrival → flip of its screen
    draw_ms: deque = field(default_factory=_recent)      # layout + draw + flip per display frame
    draw_cpu_ms: deque = field(default_factory=_recent)  # the same in the main thread's CPU time
    worker_ms: deque = field(default_factory=_recent)    # arrival → state ready, per shown tick
    worker_cpu_ms: deque = field(default_factory=_recent)  # the worker thread's CPU time for it
    screens: dict = field(default_factory=dict)      # screen name → display frames
    snapshots: list = field(default_factory=list)
    snapshot_captions: list = field(default_factory=list)   # one line per snapshot (contact sheet)
    spoken: list = field(default_factory=list)               # phrases and tones started
    speech_delay_ms: list = field(default_factory=list)      # flip of the cue's frame → play()
    max_rep_count: int = 0
    cues_seen: deque = field(default_factory=_recent)
    phases_seen: set = field(default_factory=set)
    worker_error: str | None = None

    def shown(self, tick: Tick, flip: float) -> None:
        """A tick drawn for the first time, on the screen flipped at `flip` (monotonic)."""
        self.ticks_shown += 1
        self.latency_ms.append((flip - tick.arrival_mono) * 1e3)
        self.worker_ms.append((tick.done_mono - tick.arrival_mono) * 1e3)
        if "cpu" in tick.timings_ms:
            self.worker_cpu_ms.append(tick.timings_ms["cpu"])
        st = tick.state
        self.max_rep_count = max(self.max_rep_count, st.rep_count)
        if st.phase:
            self.phases_seen.add(st.phase)
        if st.cue is not None and (not self.cues_seen or self.cues_seen[-1] != st.cue.text):
            self.cues_seen.append(st.cue.text)

    def summary(self) -> str:
        def pct(v, q):
            return float(np.percentile(v, q)) if v else math.nan
        return (f"{self.display_frames} display frames, {self.ticks_shown}/{self.ticks_made} frames shown; "
                f"latency median {pct(self.latency_ms, 50):.1f} ms, p95 {pct(self.latency_ms, 95):.1f} ms; "
                f"draw median {pct(self.draw_ms, 50):.1f} ms")


def snapshot_caption(tick: Tick) -> str:
    """One line under a snapshot in the contact sheet: time, screen (phase and reps), cue."""
    st = tick.state
    what = st.screen if st is not None else "idle"
    if st is not None and st.screen == "live":
        what = f"{(st.phase or 'live').lower()} · reps {st.rep_count}"
    if st is not None and st.cue is not None:
        what += f" · \u201c{st.cue.text}\u201d"
    return f"{tick.t_s:5.1f} s  {what}"


class MirrorRegistration:
    """The newest tick's skeleton where the lifter sees it on the mirror (overlay.mirror:
    registered to the eye), once per tick; the mirror geometry is kept until the config or
    the measured floor changes. The main loop's state for the view-model (`shown`)."""

    def __init__(self, size_px: tuple[int, int]):
        self.size_px = size_px
        self._geometry_key = None
        self._geometry: MirrorGeometry | None = None
        self.shown: ShownSkeleton | None = None

    def forget_geometry(self) -> None:
        """Compute the geometry afresh (a new config)."""
        self._geometry_key = None

    def geometry(self, cfg: StationConfig, floor: FloorPlane | None) -> MirrorGeometry:
        key = (id(cfg), None if floor is None else (tuple(np.round(floor.normal_cam, 4)), round(floor.d_m, 3)))
        if key != self._geometry_key:
            self._geometry = mirror_geometry(cfg, floor=floor, size_px=self.size_px)
            self._geometry_key = key
        return self._geometry

    def skeleton(self, cfg: StationConfig, tick: Tick | None) -> ShownSkeleton | None:
        """The skeleton to show: the tick's, registered if it is a new tick with one; else
        the last one registered."""
        if tick is not None and tick.skeleton_cam_m is not None and (
                self.shown is None or tick.seq != self.shown.seq):
            geo = self.geometry(cfg, tick.floor)
            pts = tick.skeleton_cam_m
            eye = eye_from_head(pts[SKELETON_INDEX["head"]], geo, None if tick.floor is None else tick.floor.normal_cam)
            self.shown = ShownSkeleton(register(pts, eye, geo), tick.seq, tick.done_mono,
                                       shown_confidence(self.shown, tick.skeleton_confidence, tick.t_s),
                                       tick.t_s)
        return self.shown


class Station:
    """The overlay's main loop over a source (the runtime of `station run` and `station demo`).

    size_px: the lifter screen's size (default: the configured display). headless: draw
    offscreen. camera: an object with ``.status`` (LiveCamera) for health. watcher: a
    ConfigWatcher polled once a second, calibration_watcher a CalibrationWatcher (the config
    in force and its reloads: `config`, a LiveConfig). snapshots: directory for PNGs of every `every`-th
    new frame's screen (with the debug view beside it when debug_view). max_s: stop after
    this long (wall clock). display_fps: drawing rate (the overlay redraws at this rate even
    without new frames, for the fades).
    """

    def __init__(self, cfg: StationConfig, source: Iterable[DepthFrame], *, size_px=None, headless=False,
                 fullscreen=False, camera=None, watcher: ConfigWatcher | None = None,
                 snapshots: str | Path | None = None, every: int = 15, debug_view: bool = False,
                 max_s: float | None = None, display_fps: float = 60.0, screen=None,
                 keep_running_after_source: float = 0.0, title: str = "Mirror station",
                 exit_after_failure_s: float = 10.0, should_stop: Callable[[], bool] | None = None,
                 profiles: dict[str, ExerciseProfile] | None = None, calibration_watcher=None, usage=None,
                 audio=None):
        self.config = LiveConfig(cfg, profiles, watcher, calibration_watcher)
        self.should_stop = should_stop     # checked every few seconds (closing time)
        self.audio = audio                 # station.audio.speech.AudioCues or None (silent)
        self.stopped_by_request = False
        self.size_px = tuple(size_px) if size_px is not None else (cfg.display.width_px, cfg.display.height_px)
        self.headless = headless
        self.camera = camera
        self.snapshots = Path(snapshots) if snapshots else None
        self.every = max(1, int(every))
        self.debug_view = debug_view
        self.max_s = max_s
        self.display_fps = display_fps
        self.keep_running_after_source = keep_running_after_source
        self.exit_after_failure_s = exit_after_failure_s
        self.latest = Latest()
        self.usage = usage           # station.usage.UsageRecorder or None
        self.worker = Worker(source, cfg, self.latest, keep_frames=debug_view, profiles=self.profiles,
                             calibration=self.config.calibration, usage=usage)
        self._calibration_notice: str | None = None
        self.stats = RunStats()
        self.watchdog = Watchdog()
        self.mode: str | None = None
        self._memory = OverlayMemory()
        self.mirror = MirrorRegistration(self.size_px)
        self._screen = screen
        self._fullscreen = fullscreen
        self._title = title
        self._settings = ViewSettings.from_config(cfg, self.profiles)

    @property
    def cfg(self) -> StationConfig:
        return self.config.cfg

    @property
    def profiles(self) -> dict[str, ExerciseProfile] | None:
        return self.config.profiles

    # ------------------------------------------------------------------ pieces

    def _health(self) -> Health:
        status = getattr(self.camera, "status", "streaming") if self.camera is not None else "streaming"
        detail = getattr(self.camera, "last_error", None) if self.camera is not None else None
        if self.worker.error is not None:
            status, detail = "stopped", f"{type(self.worker.error).__name__}: {self.worker.error}"
        if status == "starting":
            status = "streaming"
        tick = self.latest.get()
        moved = tick.calibration_notice if tick is not None else None
        if moved != self._calibration_notice:
            self._calibration_notice = moved
            if moved:
                log.warning("%s", moved)
            else:
                log.info("the camera agrees with its calibration again")
        return Health(camera_status=status, camera_detail=detail, config_error=self.config.error,
                      config_path=self.config.path, calibration_notice=moved)

    def _poll_calibration(self) -> None:
        if self.config.poll_calibration():
            self.worker.set_calibration(self.config.calibration)

    def request_reload(self) -> None:
        """Re-read the config and profiles at the next display frame (what SIGHUP does)."""
        self.config.request_reload()

    def _poll_config(self, force: bool = False) -> None:
        """Check the calibration, the station config and the profiles (forced: SIGHUP) and
        hand a changed config to the worker, the overlay and the usage log (LiveConfig)."""
        self._poll_calibration()
        if self.config.poll_config(force=force):
            self.mirror.forget_geometry()
            self._settings = ViewSettings.from_config(self.cfg, self.profiles)
            self.worker.reconfigure(self.cfg, self.profiles)
            if self.usage is not None:
                self.usage.config_reloaded(self.cfg)

    def view(self, tick: Tick | None, now: float) -> tuple[View, str]:
        """The View to draw for the newest tick at monotonic time `now`, and its screen
        (station.overlay.view.station_view; its fade memory is the one kept by the loop)."""
        return station_view(tick, now, self._settings, skeleton=self.mirror.skeleton(self.cfg, tick),
                            health=self._health(), mode=self.mode, memory=self._memory)

    def _open_screen(self):
        from station.overlay.screen import Screen

        if self._screen is None:
            self._screen = Screen(self.size_px, headless=self.headless, fullscreen=self._fullscreen,
                                  title=self._title, display_index=self.cfg.display.screen_index,
                                  rotate_deg=self.cfg.display.rotate_deg)
        return self._screen

    def _snapshot(self, screen, tick: Tick, index: int) -> None:
        if self.snapshots is None:
            return
        self.snapshots.mkdir(parents=True, exist_ok=True)
        path = self.snapshots / f"frame_{index:05d}.png"
        extra = None
        if self.debug_view and tick.frame is not None:
            from station.overlay.debug_view import debug_image

            skel = None if tick.skeleton_cam_m is None else Skeleton(tick.skeleton_cam_m)
            extra = debug_image(tick.frame, tick.cloud, skel)
        screen.save_png(path, extra=extra)
        self.stats.snapshots.append(path)
        self.stats.snapshot_captions.append(snapshot_caption(tick))

    def _speak(self, view: View, name: str, flip: float) -> None:
        """Spoken as the frame that shows the cue is flipped (phrases are decoded in memory
        already: starting one is a mixer call)."""
        n_played = len(self.audio.speaker.played)
        self.audio.shown(view.state if name == "live" else replace(view.state, screen=name)
                         if view.state is not None else None, flip)
        for p in self.audio.speaker.played[n_played:]:
            self.stats.speech_delay_ms.append((p.start_mono - flip) * 1e3)
            self.stats.spoken.append(p.key)

    # ------------------------------------------------------------------ loop

    def run(self) -> RunStats:
        with self.config.sighup_reloads():
            return self._run()

    def _run(self) -> RunStats:
        screen = self._open_screen()
        if self.usage is not None:
            self.usage.started()
        self.worker.start()
        self.watchdog.ready()
        t_start = time.monotonic()
        period = 1.0 / self.display_fps if self.display_fps else 0.0
        last_poll = last_stop_check = -math.inf
        last_seq = finished_at = failed_at = None
        next_snapshot = 0
        next_frame = time.monotonic()
        try:
            while True:
                now = time.monotonic()
                if self.config.take_reload_request():
                    log.info("SIGHUP: reloading the configuration")
                    self._poll_config(force=True)
                    last_poll = now
                elif now - last_poll >= CONFIG_POLL_S:
                    self._poll_config()
                    last_poll = now
                tick = self.latest.take()
                view, name = self.view(tick, now)
                self._memory = view.memory
                if self.usage is not None:
                    self.usage.health(view.health)
                t0, c0 = time.perf_counter(), time.thread_time()
                screen.draw(layout(view, self.size_px))
                flip = screen.present()
                self.stats.draw_ms.append((time.perf_counter() - t0) * 1e3)
                self.stats.draw_cpu_ms.append((time.thread_time() - c0) * 1e3)
                if flip is None:
                    break
                self.stats.display_frames += 1
                self.stats.screens[name] = self.stats.screens.get(name, 0) + 1
                for key in screen.keys:
                    if key == "c":
                        self.mode = None if self.mode == "calibration" else "calibration"
                screen.keys.clear()
                if self.audio is not None:
                    self._speak(view, name, flip)
                if tick is not None and tick.seq != last_seq:
                    self.stats.shown(tick, flip)
                    if tick.seq - 1 >= next_snapshot:   # the first shown frame at or after each multiple
                        self._snapshot(screen, tick, tick.seq - 1)
                        next_snapshot = (tick.seq - 1) // self.every * self.every + self.every
                    last_seq = tick.seq
                worker_failed = self.worker.error is not None
                self.watchdog.maybe_ping(healthy=not worker_failed)
                if worker_failed:   # show "needs attention" a while, then exit: systemd restarts us
                    failed_at = failed_at or now
                    if now - failed_at >= self.exit_after_failure_s:
                        break
                if self.max_s is not None and now - t_start >= self.max_s:
                    break
                if self.should_stop is not None and now - last_stop_check >= STOP_CHECK_S:
                    last_stop_check = now
                    if self.should_stop():
                        self.stopped_by_request = True
                        break
                if self.worker.finished.is_set() and self.latest.get() is tick:
                    finished_at = finished_at or now
                    if self.worker.error is None and now - finished_at >= self.keep_running_after_source:
                        break
                # pace the display at display_fps; a new tick is drawn as soon as it is put (the
                # next period would add half a period to every frame's latency), but never
                # sooner than half a period after the last frame
                next_frame += period
                t = time.monotonic()
                if next_frame <= t:
                    next_frame = t
                else:
                    if now + 0.5 * period > t:
                        time.sleep(now + 0.5 * period - t)
                    if self.latest.wait(max(0.0, next_frame - time.monotonic())):
                        next_frame = time.monotonic()
        finally:
            self.worker.stop()
            self.worker.join(timeout=5.0)
            self.stats.ticks_made = self.latest.put_count
            if self.audio is not None:
                self.audio.speaker.close()
            if self.worker.error is not None:
                self.stats.worker_error = f"{type(self.worker.error).__name__}: {self.worker.error}"
            if self.usage is not None:
                self.usage.stopped(self.worker.pipeline.evaluator if not self.worker.is_alive() else None)
            screen.close()
        return self.stats
