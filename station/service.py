"""`station run` as a service: the live station during opening hours, dark outside them, and
the attention screen (never a crash loop) while the configuration is bad.

    run_station(config_path=None, ...) -> int        # LiveCamera, fullscreen, under systemd
    wait_while_closed(watcher, ...) -> bool          # camera off, display black, config re-read

SIGHUP (`systemctl reload`) re-reads the config and the profiles in every phase; the
watchdog is fed throughout (station.systemd_notify). The live loop itself is
station.live.Station.
"""
from __future__ import annotations

import logging
import math
import signal
import threading
import time
from pathlib import Path
from typing import Callable

from station.config import ConfigError, ConfigWatcher
from station.live import Station
from station.overlay.screens import layout
from station.overlay.view import Health, View
from station.systemd_notify import Watchdog

log = logging.getLogger(__name__)


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
        if usage is not None:
            usage.follow_log_path(cfg)    # usage.log_path edited while the station was closed
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
