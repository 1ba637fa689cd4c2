"""What a running station is configured with, and how that changes while it runs.

A :class:`LiveConfig` holds the station config, the exercise profiles and the stored
calibration in force. The station config and the profiles are re-read when a file changes
(the main loop polls, station.live.CONFIG_POLL_S) and at once on SIGHUP (`systemctl
reload`); a file that turns bad keeps the last good config in force and its message (that
of `station config check`) is logged once per change and kept for the staff notice
(`error`). The calibration (station.calibration.CalibrationWatcher) is re-read when its file
changes; one that cannot be read keeps the one in force.

Who uses the new config (the worker's pipeline, the overlay's settings, the usage log) is
the station's business (station.live.Station): `poll_config` only says that it changed.
"""
from __future__ import annotations

import logging
import signal
import threading
from contextlib import contextmanager

from station.config import ConfigWatcher, ExerciseProfile, StationConfig

log = logging.getLogger(__name__)


class LiveConfig:
    """The config, profiles and calibration in force (`cfg`, `profiles`, `calibration`).

    watcher: a ConfigWatcher on station.toml and the profiles (None: the config never
    changes); calibration_watcher: a CalibrationWatcher (None: no stored calibration)."""

    def __init__(self, cfg: StationConfig, profiles: dict[str, ExerciseProfile] | None = None,
                 watcher: ConfigWatcher | None = None, calibration_watcher=None):
        if profiles is None and watcher is not None and watcher.cfg is cfg:
            profiles = watcher.profiles
        self.cfg = cfg
        self.profiles = profiles
        self.watcher = watcher
        self.calibration_watcher = calibration_watcher
        self.calibration = None
        if calibration_watcher is not None:
            self.calibration, _ = calibration_watcher.poll()
            self._log_calibration(self.calibration)
        self.error: str | None = None          # the refused config's message, while refused
        self._reload_requested = threading.Event()   # set by SIGHUP

    @property
    def path(self) -> str | None:
        """The station config file watched, if any."""
        return None if self.watcher is None else str(self.watcher.path)

    # ------------------------------------------------------------------ calibration

    def _log_calibration(self, cal) -> None:
        w = self.calibration_watcher
        if cal is not None:
            log.info("calibration from %s (%s): %s", w.path, cal.created_utc, cal.summary())
        elif w.error:
            log.error("stored calibration not used: %s", w.error)
        else:
            log.info("no stored calibration at %s: the floor and the empty scene are learned live "
                     "(run `station calibrate` with the zone empty)", w.path)

    def poll_calibration(self) -> bool:
        """Re-read the stored calibration if its file changed; True when `calibration` is new."""
        w = self.calibration_watcher
        if w is None:
            return False
        old_error = w.error
        cal, changed = w.poll()
        if changed:
            self.calibration = cal
            self._log_calibration(cal)
        elif w.error and w.error != old_error:
            log.error("stored calibration not reloaded, keeping the one in force: %s", w.error)
        return changed

    # ------------------------------------------------------------------ config

    def poll_config(self, force: bool = False) -> bool:
        """Periodic check (changed files) or forced reload (SIGHUP) of the station config
        and the exercise profiles; True when `cfg` or `profiles` changed. A refused file is
        logged with the message of `station config check`, once per change; the last good
        config stays in force."""
        if self.watcher is None:
            return False
        cfg, err = self.watcher.poll(force=force)
        if err is not None:
            log.error("configuration refused; the station keeps its last good configuration:\n%s", err)
        if self.watcher.last_error is not None:
            self.error = str(self.watcher.last_error)
        else:
            self.error = None
        profiles = self.watcher.profiles
        if cfg is self.cfg and profiles is self.profiles:
            return False
        log.info("configuration reloaded from %s (and the profiles in %s)", self.watcher.path,
                 cfg.exercise.profiles_dir)
        self.cfg, self.profiles = cfg, profiles
        return True

    # ------------------------------------------------------------------ SIGHUP

    def request_reload(self) -> None:
        """Ask for a forced reload at the next check (what SIGHUP does)."""
        self._reload_requested.set()

    def take_reload_request(self) -> bool:
        """Whether a reload was requested since the last call."""
        if not self._reload_requested.is_set():
            return False
        self._reload_requested.clear()
        return True

    @contextmanager
    def sighup_reloads(self):
        """While inside: SIGHUP → request_reload (only the main thread may set handlers; in
        another thread this does nothing); the old handler is put back after."""
        if not hasattr(signal, "SIGHUP") or threading.current_thread() is not threading.main_thread():
            yield
            return
        old = signal.signal(signal.SIGHUP, lambda signum, frame: self.request_reload())
        try:
            yield
        finally:
            if old is not None:
                signal.signal(signal.SIGHUP, old)
