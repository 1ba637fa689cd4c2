"""The SDK layer: the synthetic camera, the live camera without a camera, reconnect policy.

No camera is attached where these run; every test here goes through the real SDK
(software_device, context, pipeline) or tests pure logic. Nothing mocks the SDK.
"""
from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from station.model import DepthFrame, Intrinsics
from station.sources.realsense import (
    NO_CAMERA, RECONNECTING, STARTING, STOPPED, STREAMING, SYNTHETIC_NAME, LiveCamera,
    Reconnector, SoftwareDepthCamera, SourceError, list_cameras, record_live,
)

INTR = Intrinsics(width=64, height=48, fx=40.0, fy=41.0, ppx=31.5, ppy=23.5,
                  coeffs=(0.1, -0.05, 0.001, 0.002, 0.0))


def test_push_comes_back_identical():
    img = np.random.default_rng(1234).integers(0, 65536, (48, 64), dtype=np.uint16)
    sent = img.copy()
    with SoftwareDepthCamera(INTR, fps=30, depth_units_m=0.001, serial="T1") as cam:
        got = cam.push(img, timestamp_s=12.345678, frame_number=41)
        img[:] = 0  # the SDK copied the pixels; so did we
        again = cam.push(np.full((48, 64), 7, np.uint16), 12.4, 42)
    assert isinstance(got, DepthFrame)
    assert got.depth_raw_u16.dtype == np.uint16 and got.depth_raw_u16.shape == (48, 64)
    assert np.array_equal(got.depth_raw_u16, sent)
    assert got.frame_number == 41 and again.frame_number == 42
    assert abs(got.timestamp_s - 12.345678) < 1e-6
    assert got.depth_units_m == 0.001
    assert got.intrinsics.width == 64 and got.intrinsics.height == 48
    assert got.intrinsics.fx == pytest.approx(40.0) and got.intrinsics.ppy == pytest.approx(23.5)
    assert got.intrinsics.coeffs == pytest.approx(INTR.coeffs, abs=1e-7)
    assert (again.depth_raw_u16 == 7).all()


def test_push_many_and_depth_units():
    with SoftwareDepthCamera(INTR, fps=60, depth_units_m=0.0001, serial="T2") as cam:
        for i in range(20):
            img = np.full((48, 64), i * 100, np.uint16)
            got = cam.push(img, i / 60, i)
            assert got.frame_number == i and (got.depth_raw_u16 == i * 100).all()
            assert got.depth_units_m == 0.0001


def test_push_rejects_wrong_shape_or_dtype():
    with SoftwareDepthCamera(INTR, serial="T3") as cam:
        with pytest.raises(ValueError, match="uint16"):
            cam.push(np.zeros((48, 64), np.float32), 0.0, 0)
        with pytest.raises(ValueError, match=r"\(48, 64\)"):
            cam.push(np.zeros((64, 48), np.uint16), 0.0, 0)
    with pytest.raises(SourceError, match="closed"):
        cam.push(np.zeros((48, 64), np.uint16), 0.0, 0)


def test_software_camera_describes_itself_like_a_camera(tmp_path):
    from station.sources.recording import open_recording

    path = tmp_path / "id.db3"
    with SoftwareDepthCamera(INTR, serial="SER-42", record_path=path) as cam:
        cam.push(np.ones((48, 64), np.uint16), 0.0, 0)
    with open_recording(path) as pb:
        assert pb.device_name == SYNTHETIC_NAME
        assert pb.serial == "SER-42"


def test_recording_to_bag_is_refused_with_the_reason(tmp_path):
    with pytest.raises(SourceError, match=r"legacy\.bag.*\.db3"):
        SoftwareDepthCamera(INTR, record_path=tmp_path / "legacy.bag")


# ------------------------------------------------------------------ live camera, no camera

def test_no_camera_error_names_the_serial_and_what_was_found():
    found = list_cameras()
    serial = "000000000000-not-here"
    cam = LiveCamera(serial, 848, 480, 30)
    with pytest.raises(SourceError) as err:
        cam.open()
    msg = str(err.value)
    assert serial in msg
    if found:
        assert all(s in msg for _, s, _ in found)
    else:
        assert "found no RealSense devices" in msg


def test_list_cameras_returns_name_serial_firmware():
    for entry in list_cameras():
        assert len(entry) == 3 and all(isinstance(x, str) for x in entry)


def test_live_camera_without_camera_waits_shows_no_camera_and_stops():
    cam = LiveCamera("000000000000-not-here", frame_timeout_s=0.2,
                     reconnector=Reconnector(initial_s=0.05, max_s=0.1))
    frames, errors = [], []

    def run():
        try:
            frames.extend(cam)
        except Exception as e:  # pragma: no cover - would fail the test below
            errors.append(e)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    deadline = time.monotonic() + 5
    while cam.status != NO_CAMERA and time.monotonic() < deadline:
        time.sleep(0.01)
    assert cam.status == NO_CAMERA
    assert "000000000000-not-here" in (cam.last_error or "")
    cam.stop()
    t.join(timeout=5)
    assert not t.is_alive() and not errors and frames == []
    assert cam.status == STOPPED


def test_live_camera_can_fail_fast_instead_of_waiting():
    cam = LiveCamera("000000000000-not-here", wait_for_camera=False)
    with pytest.raises(SourceError, match="000000000000-not-here"):
        next(iter(cam))


def test_record_live_refuses_bag_and_missing_camera(tmp_path):
    with pytest.raises(SourceError, match=r"\.db3"):
        record_live(tmp_path / "x.bag", 1.0, serial="nope")
    with pytest.raises(SourceError, match="nope"):
        record_live(tmp_path / "x.db3", 1.0, serial="nope")
    assert not (tmp_path / "x.db3").exists()


# ------------------------------------------------------------------ reconnect policy (pure)

def test_reconnector_backs_off_and_resets_on_a_frame():
    r = Reconnector(initial_s=0.5, max_s=4.0, factor=2.0)
    assert r.status == STARTING
    r.frame()
    assert r.status == STREAMING
    assert [r.lost() for _ in range(5)] == [0.5, 1.0, 2.0, 4.0, 4.0]
    assert r.status == RECONNECTING
    r.started()
    r.frame()
    assert r.status == STREAMING and r.lost() == 0.5


def test_reconnector_reports_no_camera_after_grace_attempts():
    r = Reconnector(initial_s=1.0, max_s=8.0, grace_attempts=3)
    r.frame()
    assert r.lost() == 1.0 and r.status == RECONNECTING  # frames stopped
    assert r.absent() == 2.0 and r.status == RECONNECTING  # USB re-enumerating
    assert r.absent() == 4.0 and r.status == RECONNECTING
    assert r.absent() == 8.0 and r.status == NO_CAMERA  # gone for good
    assert r.absent() == 8.0 and r.status == NO_CAMERA


def test_reconnector_never_streamed_is_no_camera():
    r = Reconnector(initial_s=0.25)
    assert r.absent() == 0.25 and r.status == NO_CAMERA
    r.started()
    assert r.status == STARTING
    r.frame()
    assert r.status == STREAMING and r.failures == 0
    r.stopped()
    assert r.status == STOPPED
