"""Configuration life in `station run`: SIGHUP and the periodic check reload the station
config and the exercise profiles; a refused file is logged with the message `station config
check` gives and the last good one stays; a symlink loop never crashes the station."""
from __future__ import annotations

import logging
import os
import shutil
import signal
import threading
import time
from pathlib import Path

import pytest

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")

import station.live as live  # noqa: E402
from station.cli import main  # noqa: E402
from station.config import ConfigWatcher, default_config_dir  # noqa: E402
from station.live import Latest, Station, Worker  # noqa: E402
from station.service import run_station  # noqa: E402
from tests.helpers import SilentSource as _Silent  # noqa: E402

SPINE = "max_spine_flexion_deg = 20.0"




@pytest.fixture
def cfg_dir(tmp_path) -> Path:
    d = tmp_path / "cfg"
    shutil.copytree(default_config_dir(), d)
    return d


def _touch_later(path: Path, s: float = 1.0) -> None:
    """A new mtime even on file systems with coarse timestamps."""
    t = time.time_ns() + int(s * 1e9)
    os.utime(path, ns=(t, t))


def _spine(profiles) -> float:
    return profiles["rdl"].rules.rounded_back.max_spine_flexion_deg


def test_sighup_reloads_an_edited_profile(cfg_dir, monkeypatch):
    monkeypatch.setattr(live, "CONFIG_POLL_S", 1e6)       # no periodic check: only SIGHUP can reload
    monkeypatch.setattr(live, "STOP_CHECK_S", 0.02)
    watcher = ConfigWatcher(cfg_dir / "station.toml")
    done = threading.Event()
    st = Station(watcher.cfg, _Silent(), size_px=(135, 240), headless=True, watcher=watcher, max_s=30,
                 display_fps=30, should_stop=done.is_set)
    profile = cfg_dir / "exercises" / "rdl.toml"
    seen_before_hup = []

    def edit_then_hup():
        try:
            while st.stats.display_frames < 2:              # the loop runs: its first check is done
                time.sleep(0.01)
            profile.write_text(profile.read_text().replace(SPINE, "max_spine_flexion_deg = 12.0"))
            _touch_later(profile)
            time.sleep(0.3)
            seen_before_hup.append(_spine(st.profiles))
            os.kill(os.getpid(), signal.SIGHUP)
            deadline = time.monotonic() + 10
            while _spine(st.profiles) != 12.0 and time.monotonic() < deadline:
                time.sleep(0.01)
        finally:
            done.set()

    old = signal.getsignal(signal.SIGHUP)
    t = threading.Thread(target=edit_then_hup, daemon=True)
    t.start()
    st.run()
    t.join()
    assert signal.getsignal(signal.SIGHUP) == old       # the handler is put back
    assert seen_before_hup == [20.0]
    assert _spine(st.profiles) == 12.0 and _spine(watcher.profiles) == 12.0


def test_the_worker_coaches_with_the_reloaded_profile(cfg_dir):
    watcher = ConfigWatcher(cfg_dir / "station.toml")
    w = Worker([], watcher.cfg, Latest(), profiles=watcher.profiles)
    first = w.pipeline.evaluator
    assert first.profile.rules.rounded_back.max_spine_flexion_deg == 20.0
    profile = cfg_dir / "exercises" / "rdl.toml"
    profile.write_text(profile.read_text().replace(SPINE, "max_spine_flexion_deg = 14.0"))
    _touch_later(profile)
    cfg, err = watcher.poll()                            # the periodic check sees profile edits
    assert err is None and _spine(watcher.profiles) == 14.0
    w.reconfigure(cfg, watcher.profiles)
    w._apply_pending()
    # the pipeline's own evaluator (the one live and analyze both use) judges with the new profile
    assert w.pipeline.evaluator is not first
    assert w.pipeline.evaluator.profile.rules.rounded_back.max_spine_flexion_deg == 14.0


def test_a_refused_profile_is_logged_like_config_check_and_the_last_good_stays(cfg_dir, caplog, capsys):
    path = cfg_dir / "station.toml"
    watcher = ConfigWatcher(path)
    st = Station(watcher.cfg, _Silent(), size_px=(135, 240), headless=True, watcher=watcher)
    profile = cfg_dir / "exercises" / "rdl.toml"
    profile.write_text(profile.read_text().replace('cue = "push_hips_back"', 'cue = "push_hipz_back"'))
    _touch_later(profile)
    with caplog.at_level(logging.ERROR, logger="station.live"):
        st._poll_config()
        st._poll_config()                                # unchanged since: logged once
    assert main(["config", "check", str(path)]) == 2
    check_message = capsys.readouterr().err.strip().removeprefix("station: error: ")
    assert "did you mean 'push_hips_back'" in check_message
    logged = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert len(logged) == 1 and logged[0].endswith("\n" + check_message)
    assert st._health().config_error == check_message
    assert _spine(st.profiles) == 20.0 and st.profiles["rdl"].rules.knee_dominant.cue == "push_hips_back"


def test_a_config_that_becomes_a_symlink_loop_while_running_keeps_the_last_good(cfg_dir, caplog):
    path = cfg_dir / "station.toml"
    watcher = ConfigWatcher(path)
    st = Station(watcher.cfg, _Silent(), size_px=(135, 240), headless=True, watcher=watcher)
    good_cfg = st.cfg
    path.rename(cfg_dir / "station.good")
    os.symlink("loop.b", path)
    os.symlink("station.toml", cfg_dir / "loop.b")
    with caplog.at_level(logging.ERROR, logger="station.live"):
        st._poll_config()
    assert st.cfg is good_cfg
    assert "Too many levels of symbolic links" in st._health().config_error
    assert any("Too many levels of symbolic links" in r.getMessage() for r in caplog.records)
    path.unlink()
    (cfg_dir / "station.good").rename(path)
    _touch_later(path)
    st._poll_config()
    assert st._health().config_error is None


def test_station_run_with_a_symlink_loop_config_waits_instead_of_crashing(tmp_path, caplog):
    loop = tmp_path / "station.toml"
    os.symlink("other.toml", loop)
    os.symlink("station.toml", tmp_path / "other.toml")
    with caplog.at_level(logging.ERROR, logger="station.service"):
        assert run_station(str(loop), headless=True, max_s=0.6) == 0
    waiting = [r.getMessage() for r in caplog.records if "waiting for a fix" in r.getMessage()]
    assert waiting and all("Too many levels of symbolic links" in m and str(loop) in m for m in waiting)


def test_a_reload_that_changes_usage_log_path_moves_the_running_station_to_the_new_log(cfg_dir, tmp_path, monkeypatch):
    import sqlite3

    from station.usage.recorder import open_recorder

    monkeypatch.setattr(live, "STOP_CHECK_S", 0.02)
    path = cfg_dir / "station.toml"
    default_log = 'log_path = "/var/lib/station/usage.sqlite3"'
    assert default_log in path.read_text()
    old_log, new_log = tmp_path / "old.sqlite3", tmp_path / "logs" / "new.sqlite3"
    path.write_text(path.read_text().replace(default_log, f'log_path = "{old_log}"'))
    watcher = ConfigWatcher(path)
    rec = open_recorder(watcher.cfg)
    done = threading.Event()
    st = Station(watcher.cfg, _Silent(), size_px=(135, 240), headless=True, watcher=watcher, max_s=30,
                 display_fps=30, should_stop=done.is_set, usage=rec)

    def edit_then_reload():
        try:
            while st.stats.display_frames < 2:
                time.sleep(0.01)
            path.write_text(path.read_text().replace(f'log_path = "{old_log}"', f'log_path = "{new_log}"'))
            _touch_later(path)
            st.request_reload()                                 # what SIGHUP does
            deadline = time.monotonic() + 10
            while rec.log_path != new_log and time.monotonic() < deadline:
                time.sleep(0.01)
        finally:
            done.set()

    t = threading.Thread(target=edit_then_reload, daemon=True)
    t.start()
    st.run()
    t.join()
    rec.close()
    assert rec.log_path == new_log

    def kinds(p):
        return [k for k, in sqlite3.connect(p).execute("SELECT kind FROM health_events ORDER BY id")]
    assert kinds(old_log) == ["startup", "config_reload", "log_closed"]
    assert kinds(new_log) == ["log_opened", "shutdown"]


def test_the_running_station_logs_a_depth_mode_too_small_to_coach(cfg_dir, caplog):
    # `station run` keeps a ConfigWatcher: what `station config check` warns of reaches the
    # service log when such a config is taken into force, at start and on a reload
    path = cfg_dir / "station.toml"
    default_mode = "width_px = 848\nheight_px = 480"
    assert default_mode in path.read_text()
    with caplog.at_level(logging.WARNING, logger="station.config"):
        watcher = ConfigWatcher(path)
        assert not caplog.records
        path.write_text(path.read_text().replace(default_mode, "width_px = 480\nheight_px = 270"))
        _touch_later(path)
        cfg, err = watcher.poll()
    assert err is None and (cfg.camera.width_px, cfg.camera.height_px) == (480, 270)
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warned) == 1 and str(path) in warned[0] and "480x270" in warned[0] and "848x480" in warned[0]
