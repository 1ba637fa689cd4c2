"""Writing recordings through the SDK and playing them back: exact, in order, no drops."""
from __future__ import annotations

import os
import time

import numpy as np
import pyrealsense2 as rs
import pytest

from _recordings import record_streams
from station.model import Intrinsics
from station.sources.realsense import SourceError
from station.sources.recording import open_recording, write_recording

INTR = Intrinsics(width=212, height=120, fx=105.0, fy=105.5, ppx=105.5, ppy=59.5,
                  coeffs=(0.0, 0.0, 0.0, 0.0, 0.0))


def _clip(n_random: int = 30, n_smooth: int = 30) -> list[np.ndarray]:
    """Random-ish images (incompressible) then a smooth moving surface, as uint16."""
    rng = np.random.default_rng(20240611)
    h, w = INTR.height, INTR.width
    imgs = [rng.integers(0, 65536, (h, w), dtype=np.uint16) for _ in range(n_random)]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    for i in range(n_smooth):
        z = 1800 + 400 * np.sin(xx / 23 + i / 7) + 250 * np.cos(yy / 17) + 0.5 * i
        z[(xx - 100 - i) ** 2 + (yy - 60) ** 2 < 300] = 0  # a hole: no data
        imgs.append(z.astype(np.uint16))
    return imgs


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """60 frames at 30 fps with slightly irregular timestamps, depth units 0.0001 m."""
    path = tmp_path_factory.mktemp("rec") / "clip.db3"
    imgs = _clip()
    ts = [100.0 + i / 30 + (0.0013 if i % 7 == 3 else 0.0) for i in range(len(imgs))]
    n = write_recording(path, imgs, INTR, fps=30, depth_units_m=0.0001, timestamps_s=ts,
                        serial="CLIP-1")
    assert n == 60
    return path, imgs, ts


def test_round_trip_is_exact(clip):
    path, imgs, ts = clip
    with open_recording(path) as pb:
        assert pb.fps == 30 and pb.frame_count == 60 and pb.serial == "CLIP-1"
        assert pb.depth_units_m == 0.0001
        assert pb.intrinsics.width == INTR.width and pb.intrinsics.height == INTR.height
        for name in ("fx", "fy", "ppx", "ppy"):
            assert getattr(pb.intrinsics, name) == pytest.approx(getattr(INTR, name))
        assert pb.intrinsics.model == INTR.model
        frames = list(pb)
    assert len(frames) == 60
    for i, (f, img, t) in enumerate(zip(frames, imgs, ts)):
        assert f.frame_number == i
        assert np.array_equal(f.depth_raw_u16, img), f"frame {i} differs"
        assert abs(f.timestamp_s - t) < 1e-6
        assert f.depth_units_m == 0.0001
        assert f.intrinsics == pb.intrinsics


def test_full_size_and_default_timestamps(tmp_path):
    intr = Intrinsics(848, 480, 421.0, 421.0, 423.5, 239.5)
    rng = np.random.default_rng(3)
    imgs = [rng.integers(0, 5000, (480, 848), dtype=np.uint16) for _ in range(3)]
    path = tmp_path / "full.db3"
    assert write_recording(path, iter(imgs), intr, fps=15) == 3
    frames = open_recording(path).frames()
    assert [f.frame_number for f in frames] == [0, 1, 2]
    assert [round(f.timestamp_s, 6) for f in frames] == [0.0, round(1 / 15, 6), round(2 / 15, 6)]
    assert all(np.array_equal(f.depth_raw_u16, i) for f, i in zip(frames, imgs))
    assert frames[0].depth_units_m == 0.001


def test_write_replaces_an_existing_file(tmp_path):
    path = tmp_path / "again.db3"
    write_recording(path, [np.full((120, 212), 1, np.uint16)] * 4, INTR, fps=30)
    write_recording(path, [np.full((120, 212), 2, np.uint16)] * 2, INTR, fps=30)
    frames = open_recording(path).frames()
    assert len(frames) == 2 and all((f.depth_raw_u16 == 2).all() for f in frames)


def test_slow_consumer_loses_nothing(clip):
    path, imgs, _ = clip
    got = []
    with open_recording(path) as pb:
        for f in pb:
            if len(got) < 12:
                time.sleep(0.03)  # far slower than the SDK reads
            got.append(f.frame_number)
    assert got == list(range(60))


def test_real_time_follows_frame_timestamps_not_recording_clock(tmp_path):
    # Recorded in a few milliseconds of wall time, but the frames are 50 ms apart: real-time
    # playback waits 50 ms between frames (on the clock it is handed), the default none.
    path = tmp_path / "paced.db3"
    ts = [5.0 + 0.05 * i for i in range(13)]
    write_recording(path, [np.zeros((120, 212), np.uint16)] * 13, INTR, fps=20, timestamps_s=ts)
    now = [1000.0]
    slept: list[float] = []

    def sleep(s: float) -> None:
        slept.append(s)
        now[0] += s

    with open_recording(path, real_time=True, clock=lambda: now[0], sleep=sleep) as pb:
        got = [f.timestamp_s for f in pb]
    assert got == pytest.approx(ts, abs=1e-6)
    assert slept == pytest.approx([0.05] * 12, abs=1e-6)
    assert now[0] - 1000.0 == pytest.approx(ts[-1] - ts[0], abs=1e-6)
    slept.clear()
    with open_recording(path, clock=lambda: now[0], sleep=sleep) as pb:
        assert len(pb.frames()) == 13
    assert slept == []  # not paced by default


def test_abandoned_iteration_stops_and_playback_replays(clip):
    path, imgs, _ = clip
    pb = open_recording(path)
    for f in pb:
        if f.frame_number == 4:
            break
    it = iter(pb)
    assert next(it).frame_number == 0  # a new pass starts at the beginning
    it.close()
    frames = pb.frames()
    assert [f.frame_number for f in frames] == list(range(60))
    pb.close()
    pb.close()


def test_depth_stream_is_found_among_colour_and_ir(tmp_path):
    path = tmp_path / "rgbd.db3"
    depth_imgs = record_streams(path, [(rs.stream.depth, rs.format.z16, 2),
                                       (rs.stream.color, rs.format.rgb8, 3),
                                       (rs.stream.infrared, rs.format.y8, 1)])
    frames = open_recording(path).frames()
    assert len(frames) == len(depth_imgs)
    assert all(np.array_equal(f.depth_raw_u16, d) for f, d in zip(frames, depth_imgs))


def test_recording_without_depth_names_the_file_and_streams(tmp_path):
    path = tmp_path / "colour_only.db3"
    record_streams(path, [(rs.stream.color, rs.format.rgb8, 3)], n_frames=2)
    with pytest.raises(SourceError, match=r"colour_only\.db3.*no depth stream.*Color"):
        open_recording(path)


def test_depth_that_is_not_z16_is_refused(tmp_path):
    path = tmp_path / "disparity.db3"
    record_streams(path, [(rs.stream.depth, rs.format.disparity16, 2)], n_frames=2)
    with pytest.raises(SourceError, match=r"disparity\.db3.*z16"):
        open_recording(path)


def test_missing_file(tmp_path):
    with pytest.raises(SourceError, match=r"nothing\.db3.*no such recording"):
        open_recording(tmp_path / "nothing.db3")


@pytest.mark.parametrize("name", ["notes.db3", "notes.bag", "empty.db3"])
def test_not_a_recording(tmp_path, name):
    path = tmp_path / name
    path.write_text("" if name.startswith("empty") else "these are my training notes\n" * 50)
    with pytest.raises(SourceError, match=rf"{name.replace('.', '[.]')}.*not a readable"):
        open_recording(path)


def test_directory_is_not_a_recording(tmp_path):
    with pytest.raises(SourceError, match="not a file"):
        open_recording(tmp_path)


def test_bag_cannot_be_written_by_this_sdk(tmp_path):
    with pytest.raises(SourceError, match=r"\.db3"):
        write_recording(tmp_path / "old.bag", [np.zeros((120, 212), np.uint16)], INTR, fps=30)
    assert not (tmp_path / "old.bag").exists()


def test_too_few_timestamps(tmp_path):
    with pytest.raises(ValueError, match="fewer timestamps"):
        write_recording(tmp_path / "t.db3", [np.zeros((120, 212), np.uint16)] * 3, INTR,
                        fps=30, timestamps_s=[0.0, 0.1])


def test_bag_goes_to_the_sdks_ros1_reader(tmp_path):
    # This SDK cannot write .bag, so no real one is made here; a file named .bag is handed
    # to librealsense's ROS1 reader (not the rosbag2 one), which is what plays real ones.
    path = tmp_path / "old.bag"
    path.write_bytes(b"#ROSBAG V1.2\n")
    with pytest.raises(SourceError, match=r"old\.bag.*ros reader"):
        open_recording(path)


def test_convert_bag_to_db3_names_the_file(tmp_path):
    from station.sources.realsense import convert_bag_to_db3

    with pytest.raises(SourceError, match=r"missing\.bag.*no such"):
        convert_bag_to_db3(tmp_path / "missing.bag", tmp_path / "out.db3")
    bad = tmp_path / "bad.bag"
    bad.write_text("not a bag")
    with pytest.raises(SourceError, match=r"bad\.bag.*cannot convert"):
        convert_bag_to_db3(bad, tmp_path / "out.db3")


_BAG_SAMPLE = os.environ.get("STATION_BAG_SAMPLE")


@pytest.mark.skipif(not _BAG_SAMPLE, reason="set STATION_BAG_SAMPLE to a legacy .bag with depth")
def test_legacy_bag_plays_like_its_db3_conversion(tmp_path):
    from station.sources.realsense import convert_bag_to_db3

    with open_recording(_BAG_SAMPLE) as pb:
        assert pb.frame_count is None
        frames = pb.frames()
    assert frames and all(f.depth_raw_u16.dtype == np.uint16 for f in frames)
    converted = open_recording(convert_bag_to_db3(_BAG_SAMPLE, tmp_path / "c.db3")).frames()
    assert [f.frame_number for f in converted] == [f.frame_number for f in frames]
    assert all(np.array_equal(a.depth_raw_u16, b.depth_raw_u16) for a, b in zip(frames, converted))


def test_consumer_exception_stops_playback_and_file_replays(clip):
    path, _, _ = clip
    pb = open_recording(path, timeout_s=5)
    with pytest.raises(ZeroDivisionError):
        for f in pb:
            if f.frame_number == 10:
                1 / 0
    assert len(pb.frames()) == 60


def test_pacer_sleeps_to_timestamps_and_skips_gaps():
    from station.sources.recording import Pacer

    now = [0.0]
    slept = []

    def sleep(s):
        slept.append(round(s, 6))
        now[0] += s

    pacer = Pacer(sleep=sleep, monotonic=lambda: now[0])
    pacer.wait_for(10.0)        # anchors
    pacer.wait_for(10.1)        # due 0.1 s after the first
    now[0] += 0.05              # the consumer took 50 ms
    pacer.wait_for(10.2)
    pacer.wait_for(3600.0)      # a pause in the recording: no hour-long sleep
    pacer.wait_for(3600.5)
    pacer.wait_for(3599.0)      # timestamps went backwards: re-anchor, no sleep
    now[0] += 5.0               # the consumer fell far behind: play on, no catch-up burst
    pacer.wait_for(3599.1)
    pacer.wait_for(3599.2)
    assert slept == [0.1, 0.05, 0.5, 0.1]


def test_synthetic_source_in_real_time_is_paced_by_its_frame_times():
    """The synthetic athlete (a demo's source) paces on the same Pacer, on the clock it is handed."""
    from station.sources.synthetic import SyntheticSource

    now = [50.0]
    slept: list[float] = []

    def sleep(s: float) -> None:
        slept.append(s)
        now[0] += s

    src = SyntheticSource("rdl_clean", real_time=True, max_frames=4, clock=lambda: now[0], sleep=sleep)
    frames = list(src)
    ts = [float(t) for t in src.take.times_s[:4]]
    assert [f.frame_number for f in frames] == [0, 1, 2, 3]
    assert [f.timestamp_s for f in frames] == pytest.approx(ts, abs=1e-6)
    assert slept == pytest.approx(np.diff(ts).tolist(), abs=1e-6)
    slept.clear()
    assert len(list(SyntheticSource("rdl_clean", max_frames=4, clock=lambda: now[0], sleep=sleep))) == 4
    assert slept == []      # as fast as rendered unless real_time
