"""`station calibrate` and the stored calibration, on the synthetic athlete's software camera
(an rs.software_device streaming rendered depth): an empty room, a person in view, a camera
pitched up at the ceiling, a busy camera, and a camera that moved after calibrating."""
from __future__ import annotations

import dataclasses
import io
import time

import numpy as np
import pytest

from station.app import Pipeline
from station.segment.person import LiftingZone
from station.calibration import (
    MOVED_HEIGHT_M, CalibrationRefused, CalibrationWatcher, MovedCameraCheck, calibrate,
    calibration_path, load_calibration, run_calibration, save_calibration, tilt_between_deg,
)
from station.config import StationConfig
from station.demo import demo_config
from station.frames import camera_height_pitch, floor_plane_from_T
from station.model import FloorPlane
from station.sim.scenarios import get_scenario
from station.sources.realsense import CameraBusyError, LiveCamera
from station.sources.synthetic import SceneImages

ROOM = get_scenario("rdl_clean")


def _cfg(tmp_path, scenario=ROOM) -> StationConfig:
    base = StationConfig.model_validate({"station": {"id": "cal-test"},
                                         "calibration": {"state_dir": str(tmp_path)}})
    return demo_config(base, scenario)


@pytest.fixture(scope="module")
def empty_room():
    return SceneImages(ROOM, n=8, with_person=False)


def _camera(feed, images) -> LiveCamera:
    i = images.intrinsics
    return LiveCamera(feed.serial, i.width, i.height, images.fps, devices=feed.devices,
                      wait_for_camera=False)


def _calibrate(cfg, room, n_frames: int):
    """`calibrate` on the room's camera (the zone from the config), the camera stopped after."""
    with room.camera() as feed:
        cam = _camera(feed, room)
        try:
            return calibrate(cam, LiftingZone.from_config(cfg.zone), n_frames=n_frames)
        finally:
            cam.stop()


def test_empty_room_gives_the_true_floor_height_and_pitch_and_round_trips(tmp_path, empty_room):
    cfg = _cfg(tmp_path)
    cal = _calibrate(cfg, empty_room, n_frames=30)
    true_h, true_pitch = camera_height_pitch(floor_plane_from_T(empty_room.take.T_floor_cam))
    assert cal.camera_height_m == pytest.approx(true_h, abs=0.02)
    assert cal.camera_pitch_deg == pytest.approx(true_pitch, abs=1.0)
    assert abs(cal.camera_roll_deg) < 1.0
    assert cal.background_fraction > 0.9 and cal.frames == 30
    path = save_calibration(cal, tmp_path)
    assert path == calibration_path(tmp_path) and path.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["calibration.npz"]   # no partial file left
    back = load_calibration(path)
    assert back.camera_height_m == pytest.approx(cal.camera_height_m, abs=1e-4)
    assert np.array_equal(back.background_depth_m, cal.background_depth_m)
    assert np.allclose(back.floor.normal_cam, cal.floor.normal_cam) and back.intrinsics == cal.intrinsics


def test_person_in_view_is_refused_and_the_stored_calibration_is_left_alone(tmp_path):
    cfg = _cfg(tmp_path)
    stored = tmp_path / "calibration.npz"
    stored.write_bytes(b"previous calibration")
    images = SceneImages(ROOM, n=4, with_person=True)
    out, err = io.StringIO(), io.StringIO()
    png = tmp_path / "refused.png"
    with images.camera() as feed:
        rc = run_calibration(cfg, _camera(feed, images), headless=True, png=png, n_frames=20,
                             out=out, err=err)
    assert rc == 1
    assert "Calibration refused: a person is in view" in err.getvalue()
    assert stored.read_bytes() == b"previous calibration"
    assert png.exists() and png.stat().st_size > 10_000


def test_no_floor_is_refused_with_the_reason(tmp_path):
    up = dataclasses.replace(ROOM, name="camera_pitched_up", pitch_down_deg=-10.0)
    images = SceneImages(up, n=4, with_person=False)
    with images.camera() as feed:
        cam = _camera(feed, images)
        with pytest.raises(CalibrationRefused, match="no floor seen: the floor was found in 0 of 20"):
            calibrate(cam, LiftingZone.from_config(_cfg(tmp_path, up).zone), n_frames=20)
        cam.stop()


def test_calibrate_says_the_camera_is_busy_when_the_station_holds_it(tmp_path, empty_room):
    with empty_room.camera() as feed:
        station = _camera(feed, empty_room)
        station.open()                          # the running station has the camera
        try:
            with pytest.raises(CameraBusyError, match="is busy.*systemctl stop station"):
                run_calibration(_cfg(tmp_path), _camera(feed, empty_room), headless=True)
        finally:
            station._close()
    assert not calibration_path(tmp_path).exists()


def test_run_calibration_stores_and_the_station_starts_from_it(tmp_path, empty_room):
    cfg = _cfg(tmp_path)
    out = io.StringIO()
    with empty_room.camera() as feed:
        rc = run_calibration(cfg, _camera(feed, empty_room), headless=True, png=tmp_path / "ok.png",
                             n_frames=20, out=out)
    assert rc == 0 and "Calibration saved to" in out.getvalue()
    watcher = CalibrationWatcher(tmp_path)
    cal, changed = watcher.poll()
    assert changed and cal is not None and watcher.poll() == (cal, False)
    pipe = Pipeline(cfg, calibration=cal)
    # the segmenter starts on the stored floor and empty scene, before its first frame
    frame = None
    with empty_room.camera() as feed:
        cam = _camera(feed, empty_room)
        for frame in cam:
            break
        cam.stop()
    res = pipe.process(frame)
    assert res.floor is not None
    assert tilt_between_deg(res.floor, cal.floor) < 0.5
    # a fresh segmenter needs 3 agreeing frames per pixel; this one knows the room at once
    assert pipe.segmenter.background.learned_fraction > 0.9
    fresh = Pipeline(cfg)
    fresh.process(frame)
    assert fresh.segmenter.background.learned_fraction < 0.1


def test_moved_camera_check_needs_a_lasting_disagreement_with_nobody_in_view():
    def plane(pitch_deg, h):
        p = np.radians(pitch_deg)
        return FloorPlane(normal_cam=np.array([0.0, -np.cos(p), -np.sin(p)]), d_m=h)

    cal = dataclasses.make_dataclass("C", ["floor"])(plane(14.0, 1.60))
    check = MovedCameraCheck(cal, hold_s=1.0)
    t = 0.0
    for _ in range(60):                         # 1.5° and 2 cm: within tolerance
        t += 1 / 30
        assert check.update(plane(15.5, 1.62), False, t) is None
    for _ in range(60):                         # moved, but someone is in view: not judged
        t += 1 / 30
        assert check.update(plane(17.0, 1.60), True, t) is None
    notices = []
    for _ in range(40):
        t += 1 / 30
        notices.append(check.update(plane(17.0, 1.60), False, t))
    assert notices[0] is None and notices[-1] is not None   # only after it lasted 1 s
    assert notices[-1].startswith("the camera has moved: recalibrate")
    for _ in range(40):
        t += 1 / 30
        last = check.update(plane(14.0, 1.60 + MOVED_HEIGHT_M + 0.01), False, t)
    assert last is not None and "height 1.64 m" in last        # 4 cm lower floor: still moved
    for _ in range(40):
        t += 1 / 30
        last = check.update(plane(14.2, 1.605), False, t)
    assert last is None                                          # back where it was calibrated


def test_a_camera_moved_after_calibrating_raises_the_staff_notice_live(tmp_path, empty_room):
    """Calibrated at 14° down; the camera is then knocked 4° further down. The live floor
    track finds the new floor while the zone is empty and the worker's check flags it."""
    from station.live import Latest, Worker

    cfg = _cfg(tmp_path)
    cal = _calibrate(cfg, empty_room, n_frames=20)
    moved_room = dataclasses.replace(ROOM, name="camera_knocked", pitch_down_deg=ROOM.mount().pitch_down_deg + 4.0)
    moved = SceneImages(moved_room, n=8, with_person=False)
    latest = Latest()
    with moved.camera() as feed:
        cam = _camera(feed, moved)
        worker = Worker(cam, cfg, latest, calibration=cal)
        worker.start()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            tick = latest.get()
            if tick is not None and tick.calibration_notice:
                break
            time.sleep(0.05)
        worker.stop()
        worker.join(timeout=5)
    assert worker.error is None
    tick = latest.get()
    assert tick.calibration_notice and tick.calibration_notice.startswith("the camera has moved: recalibrate")
    assert worker.moved_check.tilt_change_deg == pytest.approx(4.0, abs=1.0)


def test_cli_calibrate_without_a_camera_says_so(tmp_path, capsys):
    from station.cli import main
    from station.sources.realsense import list_cameras

    if list_cameras():
        pytest.skip("a RealSense camera is connected")
    cfg = tmp_path / "station.toml"
    cfg.write_text(f'[station]\nid = "cal-cli"\n[calibration]\nstate_dir = "{tmp_path}"\n')
    assert main(["--config", str(cfg), "calibrate", "--headless"]) == 2
    assert "no RealSense camera is connected" in capsys.readouterr().err
    assert not calibration_path(tmp_path).exists()


@pytest.mark.slow
def test_cli_calibrate_on_the_synthetic_camera_refuses_a_person_in_view(tmp_path, capsys):
    from station.cli import main

    cfg = tmp_path / "station.toml"
    cfg.write_text(f'[station]\nid = "cal-cli"\n[calibration]\nstate_dir = "{tmp_path}"\n')
    png = tmp_path / "screen.png"
    assert main(["--config", str(cfg), "calibrate", "--synthetic", "rdl_clean", "--with-person",
                 "--png", str(png)]) == 1
    assert "a person is in view" in capsys.readouterr().err
    assert png.exists() and not calibration_path(tmp_path).exists()


def test_a_calibration_that_does_not_fit_on_the_disk_is_an_error_and_the_old_one_stays(tmp_path, empty_room):
    from station.calibration import CalibrationError
    from tests.app.fsutil import Mounts

    cfg = _cfg(tmp_path)
    cal = _calibrate(cfg, empty_room, n_frames=10)
    m = Mounts()
    try:
        small = m.tmpfs(tmp_path / "small", "96k")       # a real file system that fills up
        old = small / "calibration.npz"
        old.write_bytes(b"previous calibration " * 2000)   # 42 kB; the new one is ~80 kB
        with pytest.raises(CalibrationError, match="cannot write the calibration"):
            save_calibration(cal, small)
        assert old.read_bytes() == b"previous calibration " * 2000
        assert sorted(p.name for p in small.iterdir()) == ["calibration.npz"]
    finally:
        m.unmount_all()


def test_the_running_station_picks_up_a_new_calibration(tmp_path):
    """`station calibrate` writes the file; the station polls it with its config and hands the
    new calibration to its worker (which restarts the floor and empty scene from it)."""
    from station.calibration import StoredCalibration
    from station.live import Station
    from station.sim.camera import d435_depth_intrinsics

    cfg = _cfg(tmp_path)
    st = Station(cfg, [], size_px=(108, 192), headless=True, calibration_watcher=CalibrationWatcher(tmp_path))
    assert st.worker.pipeline.calibration is None
    plane = floor_plane_from_T(ROOM.mount().T_floor_cam())
    cal = StoredCalibration(
        floor=plane, camera_height_m=1.6, camera_pitch_deg=14.0, camera_roll_deg=0.0, floor_rms_mm=3.0,
        floor_inlier_fraction=0.9, background_depth_m=np.zeros((120, 212), np.float32),
        background_count=np.zeros((120, 212), np.int32), background_fraction=0.0,
        intrinsics=d435_depth_intrinsics(848, 480), decimation=4, frames=45, camera_serial="",
        created_utc="2026-11-30T10:00:00Z")
    save_calibration(cal, tmp_path)
    st._poll_calibration()
    st.worker._apply_pending()
    assert st.worker.pipeline.calibration is not None
    assert st.worker.pipeline.calibration.camera_height_m == pytest.approx(1.6)
    assert st.worker.moved_check.calibration is st.worker.pipeline.calibration
    assert np.allclose(st.worker.pipeline.last_floor.normal_cam, plane.normal_cam)
