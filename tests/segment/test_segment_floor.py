"""The floor fit recovers a known mount from analytic floor images (ray/plane intersection
with D435-like noise), tracks it, and holds it while a person is in view."""
from __future__ import annotations

import numpy as np
import pytest

import segscenes as S
from station import frames
from station.segment.floor import FloorParams, detect_floor
from station.segment.segmenter import Segmenter
from station.segment.person import LiftingZone

ZONE = LiftingZone(centre_x_m=0.0, centre_y_m=2.6, width_m=1.6, depth_m=1.4)
NOISE = dict(noise0_m=0.001, noise2_per_m=0.0025)  # ~ D435 RMS: 1 mm + 2.5 mm/m²


@pytest.mark.parametrize("height_m", [1.0, 1.4, 1.75, 2.1])
@pytest.mark.parametrize("pitch_deg", [0.0, 12.0, 24.0, 35.0])
def test_floor_recovers_mount(rng, height_m, pitch_deg):
    T = S.mount(height_m, pitch_deg)
    raw = S.render(T, rng=rng, **NOISE)
    seg = Segmenter(ZONE, seed=1)
    res = seg.process(S.frame(raw))
    assert res.floor is not None, res.floor_quality
    h, p = frames.camera_height_pitch(res.floor)
    assert abs(h - height_m) < 0.01
    assert abs(p - pitch_deg) < 0.5
    assert res.floor.d_m == pytest.approx(res.camera_height_m)
    assert res.floor_quality.inlier_fraction > 0.8
    assert res.floor_quality.rms_mm < 30
    # normal points up: the camera (origin) is above the floor
    assert float(res.floor.height_m(np.zeros((1, 3)))[0]) > 0


@pytest.mark.parametrize("roll_deg", [-4.0, 3.0])
def test_floor_with_roll_and_clutter(rng, roll_deg):
    """A rolled camera, a person and a tall box in view: the floor still fits."""
    T = S.mount(1.6, 18.0, roll_deg)
    shapes = [S.person(0.1, 2.5), ("box", (1.2, 2.0), (2.0, 2.6), (0.0, 1.9))]
    raw = S.render(T, shapes, rng=rng, **NOISE)
    res = Segmenter(ZONE, seed=2).process(S.frame(raw))
    truth = frames.floor_plane_from_T(T)
    assert abs(res.floor.d_m - truth.d_m) < 0.01
    ang = np.degrees(np.arccos(np.clip(res.floor.normal_cam @ truth.normal_cam, -1, 1)))
    assert ang < 0.5


def test_floor_tracking_converges_and_holds_with_person(rng):
    T = S.mount(1.3, 22.0)
    truth = frames.floor_plane_from_T(T)
    seg = Segmenter(ZONE, seed=3)
    for i in range(10):
        res = seg.process(S.frame(S.render(T, rng=rng, **NOISE), i / 30))
    assert res.floor_quality.source == "tracked"
    assert abs(res.floor.d_m - truth.d_m) < 0.005
    before = res.floor
    for i in range(10):
        res = seg.process(S.frame(S.render(T, [S.person(0.0, 2.4)], rng=rng, **NOISE), 1 + i / 30))
        assert res.person_present
    # the floor moves little while someone is in view and stays right
    assert abs(res.floor.d_m - before.d_m) < 0.003
    assert abs(res.floor.d_m - truth.d_m) < 0.01


def test_floor_reproducible_with_seed(rng):
    T = S.mount(1.5, 15.0)
    raw = S.render(T, [S.person(0.0, 2.4)], rng=rng, **NOISE)
    a = Segmenter(ZONE, seed=7).process(S.frame(raw)).floor
    b = Segmenter(ZONE, seed=7).process(S.frame(raw)).floor
    np.testing.assert_array_equal(a.normal_cam, b.normal_cam)
    assert a.d_m == b.d_m


def test_detect_floor_on_too_few_points_is_none(rng):
    plane, q = detect_floor(np.zeros((2, 3), np.float32), rng, FloorParams(), 200)
    assert plane is None and q.n_inliers == 0


def test_no_floor_visible_no_crash(rng):
    """Camera looking up at a ceiling only: no floor, no person."""
    T = S.mount(1.5, -30.0)
    raw = S.render(T, [("box", (-5, 5), (-1, 8), (2.6, 2.7))], floor=False, rng=rng, **NOISE)
    res = Segmenter(ZONE).process(S.frame(raw))
    assert res.floor is None and not res.person_present and res.cloud is None
