"""LiveCamera at the SDK boundary: a software D435 (rs.software_device) that streams by
itself, goes silent while staying enumerated, is unplugged, and comes back."""
from __future__ import annotations

import math
import threading
import time

import numpy as np
import pytest

from station.sim.camera import d435_depth_intrinsics
from station.sources.realsense import (
    NO_CAMERA, RECONNECTING, STREAMING, LiveCamera, Reconnector, SoftwareCameraFeed,
)

INTR = d435_depth_intrinsics(424, 240)
FPS = 30


def _image(i: int) -> np.ndarray:
    img = np.full((INTR.height, INTR.width), 2000 + (i % 50), np.uint16)
    img[0, 0] = i % 60000
    return img


class Consumer:
    """Iterates a LiveCamera in a thread, remembering each frame it got."""

    def __init__(self, cam: LiveCamera):
        self.cam = cam
        self.arrivals: list[float] = []
        self.values: list[int] = []
        self.statuses: set[str] = set()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            for frame in self.cam:
                self.arrivals.append(time.monotonic())  # for counting
                self.values.append(int(frame.depth_raw_u16[1, 1]))
        except BaseException as e:  # pragma: no cover - reported by the test
            self.error = e

    def wait_for(self, predicate, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self.statuses.add(self.cam.status)
            if predicate():
                return True
            time.sleep(0.01)
        return predicate()

    def close(self) -> None:
        self.cam.stop()
        self.thread.join(timeout=5)
        assert not self.thread.is_alive()
        assert self.error is None


@pytest.fixture
def feed():
    with SoftwareCameraFeed(_image, 50, INTR, fps=FPS, serial="SW-LIVE-1") as f:
        yield f


def _camera(feed: SoftwareCameraFeed, **kw) -> LiveCamera:
    kw.setdefault("first_frame_timeout_s", kw.get("frame_timeout_s", 1.0))
    return LiveCamera("SW-LIVE-1", INTR.width, INTR.height, FPS, devices=feed.devices, **kw)


def test_streams_frames_through_the_sdk_and_applies_the_visual_preset(feed):
    cam = _camera(feed, visual_preset="high_accuracy")
    c = Consumer(cam)
    try:
        assert c.wait_for(lambda: len(c.arrivals) >= 10, 5.0)
        assert cam.status == STREAMING
        assert cam.intrinsics == INTR
        assert cam.depth_units_m == pytest.approx(0.001)
        assert set(c.values) <= set(range(2000, 2050)) and len(set(c.values)) > 1
        assert feed.visual_preset == "high_accuracy" and cam.preset_applied == "high_accuracy"
    finally:
        c.close()


class CameraClock:
    """The camera's clock and its wait between attempts: time on it moves only by the waits
    the camera asks for, each of which takes a moment of real time (so a test follows the
    reconnect policy's events, not the machine's speed)."""

    def __init__(self):
        self.t = 1000.0
        self.waits: list[float] = []

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.t += seconds
        time.sleep(0.02)


def _recovery_bound_s(cam: LiveCamera, waits_after_return: list[float]) -> float:
    """The longest the camera can have taken to stream again after the camera came back,
    from its events: each wait it asked for from the return on (the one under way included),
    and after each wait (and once more, for an attempt under way) one reopening that waits at
    most first_frame_timeout_s for a first frame."""
    return sum(waits_after_return) + (len(waits_after_return) + 1) * cam.first_frame_timeout_s


def _return_and_recover(c: Consumer, clock: CameraClock, bring_back) -> list[float]:
    """Bring the camera back; the waits asked for from then until the next frame."""
    n_frames, n_waits = len(c.arrivals), len(clock.waits)
    bring_back()
    assert c.wait_for(lambda: len(c.arrivals) > n_frames, 10.0), "no frame after the camera came back"
    return clock.waits[max(0, n_waits - 1):]     # the wait under way at the return, then the new ones


def test_a_camera_that_goes_silent_is_reopened_and_streams_within_5_s_of_its_return(feed):
    clock = CameraClock()
    cam = _camera(feed, frame_timeout_s=0.3, clock=clock.now, sleep=clock.sleep)
    c = Consumer(cam)
    try:
        assert c.wait_for(lambda: cam.status == STREAMING, 5.0)
        feed.freeze(math.inf)                 # enumerated, but no frame until it is thawed
        # silent through five reopenings: the back-off doubles up to its cap
        assert c.wait_for(lambda: len(clock.waits) >= 5, 20.0)
        assert cam.status == RECONNECTING and "no depth frame for 0.3 s" in cam.last_error
        after = _return_and_recover(c, clock, lambda: feed.freeze(0.0))
        assert c.wait_for(lambda: cam.status == STREAMING, 5.0)
        assert clock.waits[:5] == [0.25, 0.5, 1.0, 2.0, 2.0] and max(clock.waits) == 2.0
        assert len(after) <= 2 and _recovery_bound_s(cam, after) < 5.0
        # the outage, on the camera's clock: exactly the waits it asked for
        assert cam.recoveries == 1 and cam.last_outage_s == pytest.approx(sum(clock.waits))
        assert feed.plug_ins == 1                  # never re-enumerated: the same device reopened
    finally:
        c.close()


def test_an_unplugged_camera_shows_no_camera_then_streams_within_5_s_of_replugging(feed):
    clock = CameraClock()
    cam = _camera(feed, frame_timeout_s=0.3, clock=clock.now, sleep=clock.sleep)
    c = Consumer(cam)
    try:
        assert c.wait_for(lambda: cam.status == STREAMING, 5.0)
        feed.unplug(math.inf)
        assert c.wait_for(lambda: cam.status == NO_CAMERA, 20.0)
        assert "SW-LIVE-1" in cam.last_error and "found no RealSense devices" in cam.last_error
        after = _return_and_recover(c, clock, lambda: feed.unplug(0.0))
        assert c.wait_for(lambda: cam.status == STREAMING, 5.0)
        assert len(after) <= 2 and _recovery_bound_s(cam, after) < 5.0
        assert feed.plug_ins == 2 and cam.recoveries == 1
        assert cam.last_outage_s == pytest.approx(sum(clock.waits))
    finally:
        c.close()


@pytest.mark.slow
def test_backoff_is_capped_so_a_long_outage_still_recovers_within_5_s(feed):
    """After many failed attempts the wait between attempts stays at max_s (2 s)."""
    clock = CameraClock()
    cam = _camera(feed, frame_timeout_s=0.3, clock=clock.now, sleep=clock.sleep)
    c = Consumer(cam)
    try:
        assert c.wait_for(lambda: cam.status == STREAMING, 5.0)
        feed.unplug(math.inf)
        assert c.wait_for(lambda: len(clock.waits) >= 12, 30.0)   # 20 s and more on the camera's clock
        after = _return_and_recover(c, clock, lambda: feed.unplug(0.0))
        assert clock.waits[3:12] == [2.0] * 9
        assert _recovery_bound_s(cam, after) < 5.0
    finally:
        c.close()


def test_a_reopened_camera_that_stays_silent_gets_a_hardware_reset_attempt(feed, caplog):
    cam = _camera(feed, frame_timeout_s=0.2)
    c = Consumer(cam)
    try:
        assert c.wait_for(lambda: cam.status == STREAMING, 5.0)
        with caplog.at_level("INFO", logger="station.sources.realsense"):
            feed.freeze(1.5)
            # lost once (reopen), silent again after the reopen: hardware_reset() is tried;
            # a software device refuses it, which is logged and the reopening goes on
            assert c.wait_for(lambda: "hardware reset not possible" in caplog.text, 3.0)
        assert c.wait_for(lambda: cam.status == STREAMING, 6.0)
    finally:
        c.close()


def test_default_backoff_is_capped_at_2_s():
    r = Reconnector()
    r.frame()
    delays = [r.lost()] + [r.absent() for _ in range(20)]
    assert delays[:4] == [0.25, 0.5, 1.0, 2.0] and max(delays) == 2.0 and delays[-1] == 2.0


def test_frame_timeout_must_be_positive_and_preset_known():
    with pytest.raises(ValueError, match="frame_timeout_s"):
        LiveCamera(frame_timeout_s=0)
    with pytest.raises(ValueError, match="visual preset 'sharp'"):
        LiveCamera(visual_preset="sharp")
