"""Choosing the lifter's blob: analytic "people" (cylinders) rendered by ray casting."""
from __future__ import annotations

import numpy as np
import pytest

import segscenes as S
from station import frames
from station.model import DepthFrame
from station.segment.person import LiftingZone
from station.model import SegmentResult
from station.segment.segmenter import Segmenter

ZONE = LiftingZone(centre_x_m=0.0, centre_y_m=2.6, width_m=1.6, depth_m=1.4)  # y 1.9..3.3
T = S.mount(1.4, 20.0)
NOISE = dict(noise0_m=0.001, noise2_per_m=0.0025)


def run(shapes, rng, seg=None, t_s=0.0) -> SegmentResult:
    seg = seg or Segmenter(ZONE, seed=0)
    return seg.process(S.frame(S.render(T, shapes, rng=rng, **NOISE), t_s))


def cloud_floor_xy(res: SegmentResult) -> np.ndarray:
    T_floor_cam = frames.T_floor_cam_from_plane(res.floor)
    return frames.apply(T_floor_cam, res.cloud.points_cam_m.astype(np.float64))


def assert_cloud_is_cylinder(res, x, y, r, tol=0.06):
    pf = cloud_floor_xy(res)
    dist = np.hypot(pf[:, 0] - x, pf[:, 1] - y)
    assert dist.max() < r + tol, dist.max()


def test_cloud_contract(rng):
    res = run([S.person(0.1, 2.5)], rng)
    c = res.cloud
    assert res.person_present and c is not None
    h, w = 120, 212
    assert c.points_cam_m.dtype == np.float32 and c.points_cam_m.shape[1] == 3
    assert c.pixels_uv.dtype == np.int32 and c.pixels_uv.shape == (len(c.points_cam_m), 2)
    assert c.mask.shape == (h, w) and c.mask.dtype == bool and c.mask.sum() == len(c.points_cam_m)
    assert c.depth_m.shape == (h, w) and c.depth_m.dtype == np.float32
    assert c.intrinsics == S.D435.scaled(4)
    u, v = c.pixels_uv.T
    assert c.mask[v, u].all()
    np.testing.assert_allclose(c.depth_m[v, u], c.points_cam_m[:, 2])
    assert res.person_height_m == pytest.approx(1.75, abs=0.05)
    assert res.person_upright
    assert_cloud_is_cylinder(res, 0.1, 2.5, 0.2)
    assert set(res.timings_ms) >= {"decimate", "floor", "classify", "components", "select", "background", "total"}


@pytest.mark.parametrize("behind_y", [3.75, 4.6])
def test_larger_person_behind_is_ignored(rng, behind_y):
    lifter = S.person(0.35, 2.5)
    big_behind = S.person(-0.05, behind_y, height_m=1.95, radius_m=0.3)
    res = run([lifter, big_behind], rng)
    assert res.person_present
    assert res.person_centroid_floor_m[0] == pytest.approx(0.35, abs=0.1)
    assert_cloud_is_cylinder(res, 0.35, 2.5, 0.2)


def test_nearest_centre_line_wins(rng):
    a = S.person(0.15, 2.6)
    b_bigger = S.person(-0.55, 2.6, height_m=1.95, radius_m=0.28)
    res = run([a, b_bigger], rng)
    assert_cloud_is_cylinder(res, 0.15, 2.6, 0.2)
    a2 = S.person(-0.15, 2.7)  # mirror image: still the one nearest x = 0
    b2 = S.person(0.6, 2.5, height_m=1.95, radius_m=0.28)
    res = run([a2, b2], rng)
    assert_cloud_is_cylinder(res, -0.15, 2.7, 0.2)


def test_passer_by_does_not_steal_the_lifter(rng):
    seg = Segmenter(ZONE, seed=0)
    lifter = S.person(0.4, 2.4)
    run([lifter], rng, seg)
    for i, x in enumerate(np.linspace(-1.3, 1.3, 9)):
        res = run([lifter, S.person(x, 3.1, height_m=1.85)], rng, seg, t_s=i / 30)
        assert res.person_present
        assert_cloud_is_cylinder(res, 0.4, 2.4, 0.2)


def test_short_blob_is_not_a_person(rng):
    res = run([("box", (-0.3, 0.3), (2.4, 2.8), (0.0, 0.6))], rng)  # a bench, 60 cm
    assert res.floor is not None and not res.person_present and res.cloud is None


@pytest.mark.parametrize("shapes", [[], [S.person(2.2, 2.6)], [S.person(0.0, 5.0)]],
                         ids=["empty", "beside-zone", "far-behind"])
def test_nothing_in_zone_gives_no_cloud(rng, shapes):
    res = run(shapes, rng)
    assert res.floor is not None
    assert not res.person_present and res.cloud is None and res.person_height_m is None


def test_all_zero_depth(rng):
    seg = Segmenter(ZONE)
    zero = DepthFrame(np.zeros((480, 848), np.uint16), 0.001, S.D435, 0.0)
    res = seg.process(zero)
    assert res.floor is None and not res.person_present and res.cloud is None
    run([], rng, seg)  # floor found
    res = seg.process(zero)  # then the camera goes blank: floor held, nobody
    assert res.floor is not None and not res.person_present and res.cloud is None


def test_plates_on_floor_not_merged_via_floor(rng):
    """A plate standing on the floor 15 cm beside the lifter's foot stays out of the blob."""
    lifter = S.person(0.0, 2.5)
    plate = ("cyl", "x", (2.5, 0.225), 0.225, (0.35, 0.40))
    res = run([lifter, plate], rng)
    assert res.person_present
    assert cloud_floor_xy(res)[:, 0].max() < 0.3


def test_held_barbell_keeps_the_lifter(rng):
    lifter = S.person(0.0, 2.5)
    bar = ("cyl", "x", (2.28, 0.9), 0.02, (-1.1, 1.1))
    plates = [("cyl", "x", (2.28, 0.9), 0.225, (s * 0.8, s * 0.8 + 0.1)) for s in (-1.125, 1.0)]
    res = run([lifter, bar, *plates], rng)
    assert res.person_present
    assert res.person_height_m == pytest.approx(1.75, abs=0.05)
    pf = cloud_floor_xy(res)
    near = np.hypot(pf[:, 0], pf[:, 1] - 2.5) < 0.26
    assert near.mean() > 0.6  # mostly the lifter; bar and plates may stay attached


def test_smaller_decimation_also_works(rng):
    seg = Segmenter(ZONE, decimation=2, seed=0)
    res = run([S.person(0.1, 2.5)], rng, seg)
    assert res.person_present and res.cloud.mask.shape == (240, 424)


def test_bad_arguments():
    with pytest.raises(ValueError):
        Segmenter(ZONE, decimation=0)
    with pytest.raises(ValueError):
        LiftingZone(0.0, 2.0, -1.0, 1.0)
