"""The station's runtime: the pipeline in a worker thread, the overlay in the main thread.

    source ──► [worker thread] Pipeline.process → FormEvaluator.update ──► Latest (one slot)
                                                                             │
    [main thread, display rate] latest tick → registration → layout → draw → flip

The worker takes every frame from the source, timestamps it on arrival (``time.monotonic``),
runs the segmenter, fitter (numba, releases the GIL) and form evaluator, and publishes a
:class:`Tick` into a one-slot mailbox, overwriting one the overlay has not drawn yet. The
overlay never waits for the fitter: each display frame it draws the newest tick it has.
When a tick is first shown, the time from its frame's arrival to the flip of that screen
is its frame-to-drawn latency (:class:`RunStats`).

Health: a LiveCamera whose ``status`` is not "streaming" (unplugged, reconnecting) shows
the "station needs attention" screen while it reconnects by itself; a config file that
turns bad on reload keeps the last good config (station.config.ConfigWatcher), shows a
staff notice and logs the problem with the message of `station config check`; a config
that is bad at start shows the attention screen until it is fixed. The station config and
the exercise profiles are re-read when a file changes (checked every CONFIG_POLL_S) and at
once on SIGHUP (`systemctl reload`).
Under systemd, the main loop sends READY=1 and WATCHDOG=1 pings to $NOTIFY_SOCKET
(station.systemd_notify) while it and the worker are alive.

Public API::

    Tick, Latest, Worker, RunStats
    Station(cfg, source, ...).run() -> RunStats        # the main loop
    run_station(config_path=None, ...) -> int           # `station run`: LiveCamera, fullscreen
"""
from __future__ import annotations

import logging
import math
import signal
import threading
import time
from collections import deque
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from station.config import ConfigError, ConfigWatcher, ExerciseProfile, StationConfig, load_profiles
from station.model import SKELETON_INDEX, CoachState, DepthFrame, FloorPlane, Skeleton
from station.overlay.layout import (
    Calibration, Health, OverlayMemory, Presence, View, choose_screen, layout, remember,
)
from station.overlay.mirror import MirrorGeometry, eye_from_head, mirror_geometry, register
from station.systemd_notify import Watchdog

log = logging.getLogger(__name__)

SKELETON_HOLD_S = 0.10    # keep drawing a skeleton this long after the fitter lost it ...
SKELETON_FADE_S = 0.25    # ... then fade it out over this long
CONFIG_POLL_S = 1.0
# After this long with nobody in view and the screen idle, the worker starts a fresh form
# evaluator: the old one keeps every rep and set of the visits it saw (their usage is logged
# already), which over months of a gym's use would grow without end.
FRESH_EVALUATOR_IDLE_S = 60.0
STOP_CHECK_S = 5.0            # how often the station asks whether it should close (opening hours)


# --------------------------------------------------------------------------- worker


@dataclass(frozen=True)
class Tick:
    """What the worker knows after one frame (immutable; handed to the main thread).

    arrival_mono: when the frame came out of the source; done_mono: when its state was
    ready (both time.monotonic()). t_s: stream time. skeleton_cam_m: (17, 3) or None.
    """

    seq: int
    arrival_mono: float
    done_mono: float
    t_s: float
    state: CoachState
    skeleton_cam_m: np.ndarray | None
    floor: FloorPlane | None
    track_state: str
    person_present: bool
    person_upright: bool
    person_centroid_floor_m: tuple[float, float] | None
    camera_height_m: float | None
    camera_pitch_deg: float | None
    timings_ms: dict = field(default_factory=dict)
    calibration_notice: str | None = None    # "the camera has moved: recalibrate (...)"
    frame: DepthFrame | None = None          # kept only when the debug view wants it
    cloud: object | None = None


class Latest:
    """A one-slot mailbox: the worker puts, the main thread takes the newest (never blocks)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._tick: Tick | None = None
        self.put_count = 0

    def put(self, tick: Tick) -> None:
        with self._lock:
            self._tick = tick
            self.put_count += 1

    def get(self) -> Tick | None:
        with self._lock:
            return self._tick


def _make_evaluator(cfg: StationConfig, profiles: dict[str, ExerciseProfile] | None = None):
    """The station's evaluator (the default exercise until recognition decides, among
    exercise.available): from `profiles` (already validated, as written) when given, so a
    reload never reads a profile file a second time; else from disk."""
    from station.form.exercise import make_evaluator

    return make_evaluator(cfg, profiles=profiles)


def _idle_state(t_s: float, exercise: str) -> CoachState:
    return CoachState(t_s=t_s, exercise=exercise, screen="idle", phase=None, rep_count=0, cue=None,
                      hinge_ratio=None, depth_fraction=None, last_rep=None, set_summary=None, muscles={})


class Worker(threading.Thread):
    """Source → Pipeline → evaluator, publishing a Tick per frame into `latest`."""

    def __init__(self, source: Iterable[DepthFrame], cfg: StationConfig, latest: Latest,
                 keep_frames: bool = False, pipeline=None, evaluator=None,
                 profiles: dict[str, ExerciseProfile] | None = None, calibration=None, usage=None):
        super().__init__(name="station-worker", daemon=True)
        from station.app import Pipeline
        from station.calibration import MovedCameraCheck

        self.source = source
        self.cfg = cfg
        self.latest = latest
        self.keep_frames = keep_frames
        self.pipeline = pipeline if pipeline is not None else Pipeline(cfg, calibration=calibration)
        self.profiles = profiles
        self.evaluator = evaluator if evaluator is not None else _make_evaluator(cfg, profiles)
        self.calibration = calibration
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
        """Use a new config (and profiles) from the next frame (a new evaluator if the
        exercise, its profile or the cues changed; a new pipeline if the lifting zone
        changed, which restarts tracking)."""
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
        from station.calibration import MovedCameraCheck

        with self._lock:
            pending, self._pending = self._pending, None
            cal, self._pending_calibration = self._pending_calibration, None
        if cal is not None:
            self.calibration = cal
            self.pipeline.use_calibration(cal)
            self.moved_check = MovedCameraCheck(cal)
        if pending is None:
            return
        cfg, profiles = pending
        from station.app import Pipeline

        if cfg.zone != self.cfg.zone:
            self.pipeline = Pipeline(cfg, calibration=self.calibration)
        name = cfg.exercise.default

        def profile(ps):
            return None if ps is None else ps.get(name)
        if (cfg.exercise != self.cfg.exercise or cfg.cues != self.cfg.cues or cfg.sets != self.cfg.sets
                or profiles is None or profile(profiles) != profile(self.profiles)):
            self.evaluator = _make_evaluator(cfg, profiles)
        self.cfg, self.profiles = cfg, profiles

    def _forget_past_visits(self, t_s: float, state: CoachState, person_present: bool) -> None:
        if state.screen != "idle" or person_present:
            self._idle_since = None
            return
        if self._idle_since is None:
            self._idle_since = t_s
        elif t_s - self._idle_since >= FRESH_EVALUATOR_IDLE_S and (self.evaluator.reps or self.evaluator.sets):
            self.evaluator = _make_evaluator(self.cfg, self.profiles)
            self.fresh_evaluators += 1
            self._idle_since = None

    def run(self) -> None:
        try:
            for frame in self.source:
                arrival = time.monotonic()
                if self._stop_event.is_set():
                    break
                self._apply_pending()
                res = self.pipeline.process(frame)
                # the worker owns its evaluator (not Pipeline's) so a config reload can swap it
                # without restarting tracking
                state = self.evaluator.update(res.t_s, res.angles, hands=res.hands,
                                              angle_confidence=res.angle_confidence, notice=res.notice)
                seg = res.segment
                self._forget_past_visits(res.t_s, state, bool(seg.person_present))
                notice = self.moved_check.update(res.floor, bool(seg.person_present), res.t_s)
                done = time.monotonic()
                self.frames += 1
                self.busy_s += done - arrival
                self.latest.put(tick := Tick(
                    seq=self.frames, arrival_mono=arrival, done_mono=done, t_s=res.t_s, state=state,
                    skeleton_cam_m=(None if res.skeleton is None else np.array(res.skeleton.points_cam_m)),
                    floor=res.floor, track_state=res.track.state, person_present=bool(seg.person_present),
                    person_upright=bool(seg.person_upright),
                    person_centroid_floor_m=(None if seg.person_centroid_floor_m is None
                                             else tuple(float(v) for v in seg.person_centroid_floor_m)),
                    camera_height_m=seg.camera_height_m, camera_pitch_deg=seg.camera_pitch_deg,
                    timings_ms=dict(res.timings_ms, total=(done - arrival) * 1e3),
                    calibration_notice=notice,
                    frame=frame if self.keep_frames else None,
                    cloud=seg.cloud if self.keep_frames else None))
                if self.usage is not None:
                    self.usage.frame(tick, self.evaluator)
        except BaseException as exc:  # shown as "needs attention"; the service restarts us
            self.error = exc
            log.exception("station worker stopped")
            if self.usage is not None:
                self.usage.error(exc)
        finally:
            self.finished.set()


# --------------------------------------------------------------------------- main loop


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
    worker_ms: deque = field(default_factory=_recent)    # arrival → state ready, per shown tick
    screens: dict = field(default_factory=dict)      # screen name → display frames
    snapshots: list = field(default_factory=list)
    snapshot_captions: list = field(default_factory=list)   # one line per snapshot (contact sheet)
    spoken: list = field(default_factory=list)               # phrases and tones started
    speech_delay_ms: list = field(default_factory=list)      # flip of the cue's frame → play()
    max_rep_count: int = 0
    cues_seen: deque = field(default_factory=_recent)
    phases_seen: set = field(default_factory=set)
    worker_error: str | None = None

    def summary(self) -> str:
        def pct(v, q):
            return float(np.percentile(v, q)) if v else math.nan
        return (f"{self.display_frames} display frames, {self.ticks_shown}/{self.ticks_made} frames shown; "
                f"latency median {pct(self.latency_ms, 50):.1f} ms, p95 {pct(self.latency_ms, 95):.1f} ms; "
                f"draw median {pct(self.draw_ms, 50):.1f} ms")


def _in_zone(cfg: StationConfig, xy: tuple[float, float] | None) -> bool | None:
    if xy is None:
        return None
    from station.app import lifting_zone

    return bool(lifting_zone(cfg).contains(np.float64(xy[0]), np.float64(xy[1])))


class Station:
    """The overlay's main loop over a source (the runtime of `station run` and `station demo`).

    size_px: the lifter screen's size (default: the configured display). headless: draw
    offscreen. camera: an object with ``.status`` (LiveCamera) for health. watcher: a
    ConfigWatcher polled once a second. snapshots: directory for PNGs of every `every`-th
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
        if profiles is None and watcher is not None and watcher.cfg is cfg:
            profiles = watcher.profiles
        self.cfg = cfg
        self.profiles = profiles
        self.calibration_watcher = calibration_watcher
        calibration = None
        if calibration_watcher is not None:
            calibration, _ = calibration_watcher.poll()
            self._log_calibration(calibration)
        self.should_stop = should_stop     # checked every few seconds (closing time)
        self.audio = audio                 # station.audio.speech.AudioCues or None (silent)
        self.stopped_by_request = False
        self.size_px = tuple(size_px) if size_px is not None else (cfg.display.width_px, cfg.display.height_px)
        self.headless = headless
        self.camera = camera
        self.watcher = watcher
        self.snapshots = Path(snapshots) if snapshots else None
        self.every = max(1, int(every))
        self.debug_view = debug_view
        self.max_s = max_s
        self.display_fps = display_fps
        self.keep_running_after_source = keep_running_after_source
        self.exit_after_failure_s = exit_after_failure_s
        self.latest = Latest()
        self.usage = usage           # station.usage.UsageRecorder or None
        self.worker = Worker(source, cfg, self.latest, keep_frames=debug_view, profiles=profiles,
                             calibration=calibration, usage=usage)
        self._calibration_notice: str | None = None
        self.stats = RunStats()
        self.watchdog = Watchdog()
        self.mode: str | None = None
        self._memory = OverlayMemory()
        self._geometry_key = None
        self._geometry: MirrorGeometry | None = None
        self._skel_px: np.ndarray | None = None
        self._skel_mono = -math.inf
        self._config_error: str | None = None
        self._screen = screen
        self._fullscreen = fullscreen
        self._title = title
        self._reload_requested = threading.Event()   # set by SIGHUP
        self._profiles_title = self._exercise_title(cfg, profiles)

    @staticmethod
    def _exercise_title(cfg: StationConfig, profiles: dict[str, ExerciseProfile] | None = None
                        ) -> dict[str, tuple[str, dict[str, str]]]:
        """(title, muscle roles) of every profile the station offers, by name; the screen names
        the exercise the evaluator is judging (recognised or fixed)."""
        try:
            profiles = profiles or load_profiles(cfg)
        except ConfigError:
            return {cfg.exercise.default: (cfg.exercise.default, {})}
        out = {}
        for name, p in profiles.items():
            roles = {}
            for role, names in (("drive", p.muscles.drive), ("hold", p.muscles.isometric),
                                ("brace", p.muscles.brace)):
                for n in names:
                    roles[n] = role
            out[name] = (p.title, roles)
        return out

    # ------------------------------------------------------------------ pieces

    def geometry(self, floor: FloorPlane | None) -> MirrorGeometry:
        key = (id(self.cfg), None if floor is None else (tuple(np.round(floor.normal_cam, 4)), round(floor.d_m, 3)))
        if key != self._geometry_key:
            self._geometry = mirror_geometry(self.cfg, floor=floor, size_px=self.size_px)
            self._geometry_key = key
        return self._geometry

    def _skeleton_px(self, tick: Tick | None, now: float) -> tuple[np.ndarray | None, float]:
        if tick is not None and tick.skeleton_cam_m is not None and tick.seq != getattr(self, "_skel_seq", None):
            geo = self.geometry(tick.floor)
            pts = tick.skeleton_cam_m
            up = None if tick.floor is None else tick.floor.normal_cam
            eye = eye_from_head(pts[SKELETON_INDEX["head"]], geo, up)
            self._skel_px = register(pts, eye, geo)
            self._skel_mono = tick.done_mono
            self._skel_seq = tick.seq
        if self._skel_px is None:
            return None, 0.0
        age = now - self._skel_mono
        if tick is not None and tick.skeleton_cam_m is not None:
            age = min(age, 0.0)
        alpha = 1.0 - (age - SKELETON_HOLD_S) / SKELETON_FADE_S
        if alpha <= 0.0:
            return None, 0.0
        return self._skel_px, min(1.0, alpha)

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
        return Health(camera_status=status, camera_detail=detail, config_error=self._config_error,
                      config_path=None if self.watcher is None else str(self.watcher.path),
                      calibration_notice=moved)

    def _log_calibration(self, cal) -> None:
        w = self.calibration_watcher
        if cal is not None:
            log.info("calibration from %s (%s): %s", w.path, cal.created_utc, cal.summary())
        elif w.error:
            log.error("stored calibration not used: %s", w.error)
        else:
            log.info("no stored calibration at %s: the floor and the empty scene are learned live "
                     "(run `station calibrate` with the zone empty)", w.path)

    def _poll_calibration(self) -> None:
        w = self.calibration_watcher
        if w is None:
            return
        old_error = w.error
        cal, changed = w.poll()
        if changed:
            self._log_calibration(cal)
            self.worker.set_calibration(cal)
        elif w.error and w.error != old_error:
            log.error("stored calibration not reloaded, keeping the one in force: %s", w.error)

    def request_reload(self) -> None:
        """Re-read the config and profiles at the next display frame (what SIGHUP does)."""
        self._reload_requested.set()

    def _poll_config(self, force: bool = False) -> None:
        """Periodic check (changed files) or forced reload (SIGHUP) of the station config
        and the exercise profiles. A refused file is logged with the message of `station
        config check`, once per change; the last good config stays in force."""
        self._poll_calibration()
        if self.watcher is None:
            return
        cfg, err = self.watcher.poll(force=force)
        if err is not None:
            log.error("configuration refused; the station keeps its last good configuration:\n%s", err)
        if self.watcher.last_error is not None:
            self._config_error = str(self.watcher.last_error)
        else:
            self._config_error = None
        profiles = self.watcher.profiles
        if cfg is not self.cfg or profiles is not self.profiles:
            log.info("configuration reloaded from %s (and the profiles in %s)", self.watcher.path,
                     cfg.exercise.profiles_dir)
            self.cfg, self.profiles = cfg, profiles
            self._geometry_key = None
            self._profiles_title = self._exercise_title(cfg, profiles)
            self.worker.reconfigure(cfg, profiles)
            if self.usage is not None:
                self.usage.config_reloaded(cfg)

    def view(self, tick: Tick | None, now: float) -> View:
        """The View for the newest tick at monotonic time `now` (stream clock extrapolated)."""
        cfg = self.cfg
        if tick is None:
            state, now_s = None, 0.0
        else:
            state, now_s = tick.state, tick.t_s + max(0.0, now - tick.done_mono)
        skel_px, skel_alpha = self._skeleton_px(tick, now)
        m = cfg.camera.mount
        cal = Calibration(
            floor_found=tick is not None and tick.floor is not None,
            camera_height_m=None if tick is None else tick.camera_height_m,
            camera_pitch_deg=None if tick is None else tick.camera_pitch_deg,
            expected_height_m=m.height_m, expected_pitch_deg=m.pitch_down_deg,
            zone_centre_m=(cfg.zone.centre_lateral_m, cfg.zone.centre_distance_m),
            zone_size_m=(cfg.zone.width_m, cfg.zone.depth_m),
            person_floor_m=None if tick is None else tick.person_centroid_floor_m)
        presence = None
        if tick is not None and tick.person_present:
            xy = tick.person_centroid_floor_m
            presence = Presence(in_zone=_in_zone(cfg, xy), upright=tick.person_upright,
                                offset_m=None if xy is None else (xy[0] - cal.zone_centre_m[0],
                                                                  xy[1] - cal.zone_centre_m[1]))
        mode = self.mode
        if mode is None and tick is not None and tick.floor is None and state is not None and state.screen == "idle":
            mode = "calibration"   # starting up: the floor has not been found yet
        titles = self._profiles_title
        shown = state.exercise if state is not None and state.exercise in titles else cfg.exercise.default
        title, roles = titles.get(shown, (shown, {}))
        return View(state=state, now_s=now_s, skeleton_px=skel_px, skeleton_alpha=skel_alpha,
                    health=self._health(), calibration=cal, presence=presence, mode=mode,
                    memory=self._memory, exercise_title=title,
                    muscle_roles=roles or View.__dataclass_fields__["muscle_roles"].default_factory(),
                    show_muscles=cfg.cues.show_muscles)

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
        st = tick.state
        what = st.screen if st is not None else "idle"
        if st is not None and st.screen == "live":
            what = f"{(st.phase or 'live').lower()} · reps {st.rep_count}"
        if st is not None and st.cue is not None:
            what += f" · \u201c{st.cue.text}\u201d"
        self.stats.snapshot_captions.append(f"{tick.t_s:5.1f} s  {what}")

    # ------------------------------------------------------------------ loop

    def _install_sighup(self):
        """SIGHUP → reload (only the main thread may set handlers); returns the old handler."""
        if not hasattr(signal, "SIGHUP") or threading.current_thread() is not threading.main_thread():
            return None
        return signal.signal(signal.SIGHUP, lambda signum, frame: self.request_reload())

    def run(self) -> RunStats:
        old_sighup = self._install_sighup()
        try:
            return self._run()
        finally:
            if old_sighup is not None:
                signal.signal(signal.SIGHUP, old_sighup)

    def _run(self) -> RunStats:
        screen = self._open_screen()
        if self.usage is not None:
            self.usage.started()
        self.worker.start()
        self.watchdog.ready()
        t_start = time.monotonic()
        period = 1.0 / self.display_fps if self.display_fps else 0.0
        last_poll = -math.inf
        last_stop_check = -math.inf
        last_seq = None
        next_snapshot = 0
        finished_at = None
        failed_at = None
        next_frame = time.monotonic()
        try:
            while True:
                now = time.monotonic()
                if self._reload_requested.is_set():
                    self._reload_requested.clear()
                    log.info("SIGHUP: reloading the configuration")
                    self._poll_config(force=True)
                    last_poll = now
                elif now - last_poll >= CONFIG_POLL_S:
                    self._poll_config()
                    last_poll = now
                tick = self.latest.get()
                view = self.view(tick, now)
                if self.usage is not None:
                    self.usage.health(view.health)
                name = choose_screen(view)
                cue = view.state.cue if view.state is not None else None
                self._memory = remember(self._memory, name, cue, view.now_s)
                view = replace(view, memory=self._memory)
                t0 = time.perf_counter()
                screen.draw(layout(view, self.size_px))
                flip = screen.present()
                self.stats.draw_ms.append((time.perf_counter() - t0) * 1e3)
                if flip is None:
                    break
                self.stats.display_frames += 1
                self.stats.screens[name] = self.stats.screens.get(name, 0) + 1
                for key in screen.keys:
                    if key == "c":
                        self.mode = None if self.mode == "calibration" else "calibration"
                screen.keys.clear()
                if self.audio is not None:
                    # spoken as the frame that shows the cue is flipped (phrases are decoded
                    # in memory already: starting one is a mixer call)
                    n_played = len(self.audio.speaker.played)
                    self.audio.shown(view.state if name == "live" else replace(view.state, screen=name)
                                     if view.state is not None else None, flip)
                    for p in self.audio.speaker.played[n_played:]:
                        self.stats.speech_delay_ms.append((p.start_mono - flip) * 1e3)
                        self.stats.spoken.append(p.key)
                if tick is not None and tick.seq != last_seq:
                    self.stats.ticks_shown += 1
                    self.stats.latency_ms.append((flip - tick.arrival_mono) * 1e3)
                    self.stats.worker_ms.append((tick.done_mono - tick.arrival_mono) * 1e3)
                    st = tick.state
                    self.stats.max_rep_count = max(self.stats.max_rep_count, st.rep_count)
                    if st.phase:
                        self.stats.phases_seen.add(st.phase)
                    if st.cue is not None and (not self.stats.cues_seen or self.stats.cues_seen[-1] != st.cue.text):
                        self.stats.cues_seen.append(st.cue.text)
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
                # pace the display; with no new frame to show there is nothing to hurry for
                next_frame += period
                delay = next_frame - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                else:
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
                self.usage.stopped(self.worker.evaluator if not self.worker.is_alive() else None)
            screen.close()
        return self.stats


# --------------------------------------------------------------------------- station run


def _wait_for_good_config(path: Path | None, headless: bool, max_s: float | None = None,
                          clock: Callable[[], float] = time.monotonic,
                          sleep: Callable[[float], None] = time.sleep) -> ConfigWatcher | None:
    """A ConfigWatcher once the file is good; meanwhile the attention screen shows the
    problem (the service must not crash-loop on a typo) and each new problem is logged with
    the message of `station config check`. None if the user quit or max_s ran out.

    clock, sleep: the time source and the pause between display frames (tests pass fakes)."""
    from station.config import DisplaySection
    from station.overlay.screen import Screen

    try:
        return ConfigWatcher(path)
    except ConfigError as first:
        err = first
    d = DisplaySection()
    screen = Screen((d.width_px, d.height_px), headless=headless, fullscreen=d.fullscreen)
    watchdog = Watchdog(clock=clock)
    watchdog.ready("bad configuration")
    from station.config import station_config_path

    where = str(station_config_path(path))
    log.error("configuration problem, waiting for a fix:\n%s", err)
    retry = threading.Event()
    old_sighup = None
    if hasattr(signal, "SIGHUP") and threading.current_thread() is threading.main_thread():
        old_sighup = signal.signal(signal.SIGHUP, lambda signum, frame: retry.set())
    t0 = clock()
    try:
        last_try = clock()
        while True:
            view = View(state=None, now_s=0.0,
                        health=Health(config_fatal=True, config_error=str(err), config_path=where))
            screen.draw(layout(view, screen.size_px))
            if screen.present() is None:
                return None
            watchdog.maybe_ping()
            if max_s is not None and clock() - t0 >= max_s:
                return None
            if retry.is_set() or clock() - last_try >= 2.0:
                retry.clear()
                last_try = clock()
                try:
                    return ConfigWatcher(path)
                except ConfigError as e:
                    if str(e) != str(err):
                        log.error("configuration problem, waiting for a fix:\n%s", e)
                    err = e
            sleep(0.2)
    finally:
        if old_sighup is not None:
            signal.signal(signal.SIGHUP, old_sighup)
        screen.close()


def wait_while_closed(watcher: ConfigWatcher, headless: bool, max_s: float | None = None,
                      poll_s: float = 10.0, clock: Callable[[], float] = time.monotonic,
                      reload_event: threading.Event | None = None,
                      sleep: Callable[[float], None] = time.sleep) -> bool:
    """Outside opening hours: camera closed, display black, watchdog fed, config re-read
    (every poll_s, or at once when `reload_event` is set: SIGHUP).

    Returns True at opening time, False if the user closed the window or max_s ran out.
    clock, sleep: the time source and the pause between display frames (tests pass fakes).
    """
    from station.overlay.screen import Screen

    d = watcher.cfg.display
    screen = Screen((d.width_px, d.height_px), headless=headless, fullscreen=d.fullscreen and not headless,
                    display_index=d.screen_index, rotate_deg=d.rotate_deg)
    watchdog = Watchdog(clock=clock)
    watchdog.ready("closed (outside opening hours)")
    log.info("outside opening hours: camera off, display dark")
    t0 = clock()
    last_check = -math.inf
    try:
        while True:
            now = clock()
            forced = reload_event is not None and reload_event.is_set()
            if forced or now - last_check >= poll_s:
                if forced:
                    reload_event.clear()
                last_check = now
                _, err = watcher.poll(force=forced)
                if err is not None:
                    log.error("configuration refused; the station keeps its last good configuration:\n%s", err)
                if watcher.cfg.hours.is_open():
                    return True
            if max_s is not None and now - t0 >= max_s:
                return False
            screen.clear()
            if screen.present() is None:
                return False
            watchdog.maybe_ping()
            sleep(0.5)
    finally:
        screen.close()


def run_station(config_path: str | Path | None = None, headless: bool = False, windowed: bool = False,
                max_s: float | None = None) -> int:
    """`station run`: the live station on the configured camera, fullscreen, during opening
    hours; outside them the camera is closed and the display stays black."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # SIGHUP (systemctl reload) re-reads the config and the profiles; between the phases
    # below it is remembered here (the default action would end the process)
    hup = threading.Event()
    if hasattr(signal, "SIGHUP") and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGHUP, lambda signum, frame: hup.set())
    watcher = _wait_for_good_config(Path(config_path) if config_path else None, headless, max_s=max_s)
    if watcher is None:
        return 0
    from station.usage.recorder import open_recorder

    usage = open_recorder(watcher.cfg)    # None (logged) if the log cannot be opened: coach anyway
    try:
        return _run_open_hours(watcher, headless, windowed, max_s, usage, hup)
    finally:
        if usage is not None:
            usage.close()


def _run_open_hours(watcher: ConfigWatcher, headless: bool, windowed: bool, max_s: float | None, usage,
                    hup: threading.Event) -> int:
    from station.sources.realsense import LiveCamera

    while True:
        if not watcher.cfg.hours.is_open():
            if not wait_while_closed(watcher, headless, max_s=max_s, reload_event=hup):
                return 0
        cfg = watcher.cfg
        cam = cfg.camera
        camera = LiveCamera(cam.serial or None, cam.width_px, cam.height_px, cam.fps,
                            frame_timeout_s=cam.frame_timeout_s, visual_preset=cam.visual_preset)
        from station.audio.speech import audio_from_config
        from station.calibration import CalibrationWatcher

        station = Station(cfg, camera, headless=headless, fullscreen=cfg.display.fullscreen and not windowed,
                          camera=camera, watcher=watcher, max_s=max_s,
                          calibration_watcher=CalibrationWatcher(cfg.calibration.state_dir),
                          should_stop=lambda: not watcher.cfg.hours.is_open(), usage=usage,
                          audio=audio_from_config(cfg))
        if hup.is_set():
            hup.clear()
            station.request_reload()
        stats = station.run()
        log.info("station stopped: %s", stats.summary())
        if stats.worker_error:
            log.error("the pipeline failed: %s", stats.worker_error)
            return 1
        if not station.stopped_by_request:   # window closed, or max_s
            return 0
        log.info("closing time: camera off")
