"""The runtime (station.live): health screens, config reload, sd_notify, and the demo end to end."""
from __future__ import annotations

import os
import socket
import time

import numpy as np
import pytest

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")

from station.config import ConfigWatcher, default_config_dir  # noqa: E402
from station.live import Latest, Station  # noqa: E402
from station.systemd_notify import Watchdog, sd_notify  # noqa: E402
from tests.helpers import SilentSource as _Silent  # noqa: E402




class _Camera:
    status = "no camera"
    last_error = "no RealSense devices"


@pytest.fixture
def cfg():
    from tests.overlay.fixtures import CFG
    return CFG


def test_camera_lost_shows_attention_and_the_loop_keeps_drawing(cfg):
    st = Station(cfg, _Silent(), size_px=(270, 480), headless=True, camera=_Camera(), max_s=0.4)
    stats = st.run()
    assert stats.display_frames > 5
    assert set(stats.screens) == {"attention"}


def test_bad_config_on_reload_keeps_the_last_good_one_and_shows_a_staff_notice(cfg, tmp_path):
    path = tmp_path / "station.toml"
    good = (default_config_dir() / "station.toml").read_text()
    path.write_text(good)
    watcher = ConfigWatcher(path)
    st = Station(watcher.cfg, _Silent(), size_px=(270, 480), headless=True, watcher=watcher)
    st._poll_config()
    assert st._health().config_error is None
    path.write_text(good.replace("fps = 30", "fps = 45"))
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 10**9))
    st._poll_config()
    assert st.cfg is watcher.cfg and st.cfg.camera.fps == 30      # last good kept
    assert "camera.fps" in st._health().config_error
    from station.overlay.layout import tagged
    from station.overlay.screens import layout
    view, _ = st.view(None, time.monotonic())
    assert tagged(layout(view, (1080, 1920)), "staff_notice")
    path.write_text(good.replace("hold_s = 2.0", "hold_s = 2.5"))
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 2 * 10**9))
    st._poll_config()
    assert st._health().config_error is None and st.cfg.cues.hold_s == 2.5


def test_sd_notify_sends_a_datagram_to_notify_socket(tmp_path, monkeypatch):
    addr = str(tmp_path / "notify.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as srv:
        srv.bind(addr)
        srv.settimeout(2.0)
        monkeypatch.setenv("NOTIFY_SOCKET", addr)
        assert sd_notify("READY=1")
        assert srv.recv(100) == b"READY=1"
        monkeypatch.setenv("WATCHDOG_USEC", "2000000")
        clock = iter([10.0, 10.5, 11.1, 11.2])
        wd = Watchdog(clock=lambda: next(clock))
        assert wd.interval_s == 1.0
        assert wd.maybe_ping() and srv.recv(100) == b"WATCHDOG=1"
        assert not wd.maybe_ping()              # 0.5 s later: too soon
        assert not wd.maybe_ping(healthy=False)  # unhealthy: no ping, systemd will restart us
        assert wd.maybe_ping()
    monkeypatch.delenv("NOTIFY_SOCKET")
    assert not sd_notify("WATCHDOG=1")


def test_latest_keeps_only_the_newest():
    box = Latest()
    assert box.get() is None
    box.put("a")
    box.put("b")
    assert box.get() == "b" and box.put_count == 2


def test_demo_end_to_end_headless_shows_skeleton_phases_reps_and_cues(tmp_path):
    """8 s of the clean RDL scenario through the whole station, as fast as it runs."""
    from station.demo import CONTACT_SHEET, run_demo

    # an earlier run's snapshot (removed) and files that are not the demo's (kept)
    (tmp_path / "frame_99999.png").write_bytes(b"old")
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / "frame_1.png").write_bytes(b"not the demo's name")
    stats = run_demo("rdl_clean", headless=True, snapshots=str(tmp_path), seconds=8.0, every=10,
                     real_time=False, quiet=True, size_px=(540, 960))
    assert not (tmp_path / "frame_99999.png").exists()
    assert (tmp_path / "notes.txt").read_text() == "mine" and (tmp_path / "frame_1.png").exists()
    sheet = tmp_path / CONTACT_SHEET
    assert sheet.is_file() and len(stats.snapshot_captions) == len(stats.snapshots)
    assert stats.worker_error is None
    assert stats.screens.get("live", 0) > 20
    assert {"lowering", "rising"} <= stats.phases_seen
    assert stats.max_rep_count >= 1
    assert stats.cues_seen, "the evaluator said nothing"
    assert stats.latency_ms and np.isfinite(stats.latency_ms).all()
    pngs = sorted(tmp_path.glob("frame_[0-9][0-9][0-9][0-9][0-9].png"))
    assert len(pngs) >= 10
    import pygame
    surf = pygame.image.load(str(pngs[-1]))
    px = pygame.surfarray.array3d(surf).swapaxes(0, 1)
    assert px.shape[:2] == (960, 540)
    assert (px[10:170, 10:240].max(axis=-1) > 100).mean() > 0.02   # the rep counter corner is lit
    assert (px[300:950, 150:400].max(axis=-1) > 100).any()           # the skeleton in the middle


def test_the_skeleton_is_shown_with_its_joints_confidence(cfg):
    """The worker hands the fit's per-joint confidence on with the skeleton, and the station
    shows it (station.overlay.view.shown_confidence): what draws an unsure leg faint."""
    from station.live import MirrorRegistration, Worker
    from station.sim.scenarios import build, get_scenario
    from tests.helpers import camera_frame, scenario_pipeline

    sc = get_scenario("rdl_clean")
    take = build(sc)
    w = Worker([], cfg, Latest())
    w.pipeline = scenario_pipeline(sc)
    mirror = MirrorRegistration((540, 960))
    for i in range(45):
        frame = camera_frame(take, i)
        res = w.pipeline.process(frame)
        w.frames = i
        tick = w._tick(frame, res, 0.0, 0.0, None)
        mirror.skeleton(cfg, tick)
    shown = mirror.shown
    assert res.skeleton is not None and shown is not None
    assert np.array_equal(tick.skeleton_confidence, res.skeleton.confidence)
    assert shown.seq == tick.seq and shown.confidence is not None
    assert np.all(shown.confidence <= tick.skeleton_confidence + 1e-12)
    assert shown.confidence.min() > 0.5                  # standing in full view: all sure


def _hours_file(tmp_path, spec: str):
    path = tmp_path / "station.toml"
    days = "".join(f'{d} = "{spec}"\n' for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"))
    path.write_text('[station]\nid = "t"\n[hours]\n' + days)
    return ConfigWatcher(path)


def test_closing_time_stops_the_station(cfg):
    """Outside opening hours the station stops its camera loop (run_station then waits, dark)."""
    calls = []

    def closed() -> bool:
        calls.append(1)
        return len(calls) > 1          # open at start, closed at the next check

    import station.live as live
    old = live.STOP_CHECK_S
    live.STOP_CHECK_S = 0.05
    try:
        st = Station(cfg, _Silent(), size_px=(270, 480), headless=True, max_s=30.0, should_stop=closed)
        st.run()
    finally:
        live.STOP_CHECK_S = old
    # stopped at the check that said "closed" (not by max_s), and the camera loop with it:
    # the worker's source was told to stop, so the worker thread has ended
    assert st.stopped_by_request and len(calls) == 2
    assert not st.worker.is_alive() and st.worker.error is None


class _FakeTime:
    """A clock that moves only when slept on: the waits run instantly and deterministically."""

    def __init__(self):
        self.now = 1000.0
        self.sleeps: list[float] = []
        self.on_sleep = None          # called after each sleep (to change the world mid-wait)

    def clock(self) -> float:
        return self.now

    def sleep(self, s: float) -> None:
        self.sleeps.append(s)
        self.now += s
        if self.on_sleep is not None:
            self.on_sleep(self.now)


def test_wait_while_closed_returns_at_opening_and_gives_up_on_quit(tmp_path):
    from station.service import wait_while_closed

    t = _FakeTime()
    assert wait_while_closed(_hours_file(tmp_path, "00:00-24:00"), headless=True, max_s=1.0,
                             clock=t.clock, sleep=t.sleep) is True
    assert t.sleeps == []                     # open at the first check: no waiting
    assert wait_while_closed(_hours_file(tmp_path, "closed"), headless=True, max_s=3.0, poll_s=1.0,
                             clock=t.clock, sleep=t.sleep) is False
    # a dark frame every 0.5 s until max_s has passed on the given clock
    assert t.sleeps == [0.5] * 6


def test_wait_for_good_config_retries_every_two_seconds_until_the_file_is_fixed(tmp_path):
    from station.service import _wait_for_good_config

    path = tmp_path / "station.toml"
    path.write_text('[station]\nid = "t"\n[zone]\nwidth_m = "wide"\n')
    t = _FakeTime()
    assert _wait_for_good_config(path, headless=True, max_s=1.0, clock=t.clock, sleep=t.sleep) is None
    assert t.sleeps == [0.2] * 5              # the attention screen until max_s ran out

    t = _FakeTime()
    start = t.now

    def fix(now: float) -> None:
        if now - start >= 0.9:
            path.write_text('[station]\nid = "t"\n')
    t.on_sleep = fix
    watcher = _wait_for_good_config(path, headless=True, max_s=60.0, clock=t.clock, sleep=t.sleep)
    assert isinstance(watcher, ConfigWatcher) and watcher.cfg.station.id == "t"
    # fixed after 1 s, but the file is tried again only 2 s after the last try
    assert t.now - start == pytest.approx(2.0)
