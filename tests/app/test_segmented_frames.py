"""segmented_frames: analyze's segmentation thread gives the segmenter's results in order,
hands an exception over, and stops when the consumer does."""
from __future__ import annotations

import threading

import numpy as np
import pytest

from station.app import segmented_frames
from station.config import load_station_config
from station.model import DepthFrame, Intrinsics
from station.segment import LiftingZone, Segmenter
from station.sources.recording import open_recording

INTR = Intrinsics(64, 48, 40.0, 40.0, 32.0, 24.0)


def _flat(i: int) -> DepthFrame:
    return DepthFrame(np.full((48, 64), 2500, np.uint16), 0.001, INTR, i / 30.0, i)


def _segmenter() -> Segmenter:
    return Segmenter(LiftingZone.from_config(load_station_config().zone), seed=0)


def _alive() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "segment"]


def test_same_results_in_order_as_segmenting_in_turn(short_recording):
    frames = open_recording(short_recording[0]).frames()
    one = _segmenter()
    want = [one.process(f) for f in frames]
    got = list(segmented_frames(_segmenter(), frames))
    assert [f.frame_number for f, _ in got] == [f.frame_number for f in frames]
    assert sum(s.cloud is not None for s in want) > len(frames) // 2    # a lifter was in view
    for (_, g), w in zip(got, want):
        assert g.person_present == w.person_present
        assert (g.cloud is None) == (w.cloud is None)
        if w.cloud is not None:
            np.testing.assert_array_equal(g.cloud.points_floor_m, w.cloud.points_floor_m)
            np.testing.assert_array_equal(g.cloud.mask, w.cloud.mask)
        assert np.array_equal(g.floor.normal_cam, w.floor.normal_cam) if w.floor else g.floor is None
    assert not _alive()


def test_an_error_in_the_source_reaches_the_consumer():
    def source():
        yield _flat(0)
        yield _flat(1)
        raise ValueError("frame 2 is unreadable")

    seen = []
    with pytest.raises(ValueError, match="frame 2 is unreadable"):
        for frame, _seg in segmented_frames(_segmenter(), source()):
            seen.append(frame.frame_number)
    assert seen == [0, 1]
    assert not _alive()


def test_leaving_early_stops_the_thread_and_the_reading():
    read = []

    def source():
        for i in range(1000):
            read.append(i)
            yield _flat(i)

    it = segmented_frames(_segmenter(), source(), depth=2)
    frame, _ = next(it)
    assert frame.frame_number == 0
    it.close()
    assert not _alive()
    assert len(read) <= 5        # read ahead by at most the queue's depth and one in hand
