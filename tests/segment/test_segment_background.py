"""The learned empty scene removes static equipment and never absorbs a still lifter."""
from __future__ import annotations

import numpy as np
import pytest

import segscenes as S
from station import frames
from station.segment.background import BackgroundModel, BackgroundParams
from station.segment.person import LiftingZone
from station.segment.segmenter import Segmenter

ZONE = LiftingZone(centre_x_m=0.0, centre_y_m=2.6, width_m=1.6, depth_m=1.4)
T = S.mount(1.5, 22.0)
NOISE = dict(noise0_m=0.001, noise2_per_m=0.0025)
TALL_BOX = ("box", (-0.75, -0.35), (2.7, 3.1), (0.0, 1.2))  # a 1.2 m cabinet in the zone


def frames_of(shapes, rng, n):
    return [S.frame(S.render(T, shapes, rng=rng, **NOISE), i / 30) for i in range(n)]


def floor_x(res):
    return frames.apply(frames.T_floor_cam_from_plane(res.floor), res.cloud.points_cam_m.astype(np.float64))[:, 0]


def test_static_box_removed_after_calibration(rng):
    seg = Segmenter(ZONE, seed=0)
    learned = seg.learn_background(frames_of([TALL_BOX], rng, 5))
    assert learned > 0.6  # all pixels with depth (the sky above the horizon has none)
    res = seg.process(frames_of([TALL_BOX], rng, 1)[0])
    assert not res.person_present and res.cloud is None
    res = seg.process(frames_of([TALL_BOX, S.person(0.25, 2.5)], rng, 1)[0])
    assert res.person_present
    assert floor_x(res).min() > 0.0  # the lifter only, not the cabinet at x < -0.35
    assert res.person_height_m == pytest.approx(1.75, abs=0.05)


def test_without_background_the_cabinet_looks_like_a_person(rng):
    """The fallback (zone + floor only) cannot tell a tall cabinet from a person; this is why
    a station with tall equipment inside the zone needs learn_background()."""
    res = Segmenter(ZONE, seed=0).process(frames_of([TALL_BOX], rng, 1)[0])
    assert res.person_present


def test_low_equipment_learned_automatically(rng):
    bench = ("box", (-0.9, -0.3), (2.3, 2.8), (0.0, 0.45))
    seg = Segmenter(ZONE, seed=0)
    for f in frames_of([bench], rng, 4):
        res = seg.process(f)
    assert not res.person_present
    assert seg.background.learned_fraction > 0.6
    # a lifter standing against the bench: the bench is background, not part of the blob
    res = seg.process(frames_of([bench, S.person(-0.05, 2.55)], rng, 1)[0])
    assert res.person_present
    assert floor_x(res).min() > -0.3


def test_still_lifter_is_not_absorbed(rng):
    seg = Segmenter(ZONE, seed=0)
    for f in frames_of([], rng, 4):
        seg.process(f)
    still = frames_of([S.person(0.1, 2.5)], rng, 3)
    first = seg.process(still[0])
    for i in range(300):  # ten seconds standing perfectly still
        res = seg.process(still[i % 3])
    assert res.person_present
    assert len(res.cloud.points_cam_m) > 0.95 * len(first.cloud.points_cam_m)


def test_removed_object_is_forgotten(rng):
    seg = Segmenter(ZONE, seed=0)
    seg.learn_background(frames_of([TALL_BOX], rng, 5))
    empty = frames_of([], rng, 2)
    for i in range(200):
        res = seg.process(empty[i % 2])
        assert not res.person_present
    # after the cabinet left, a person standing where it was is seen whole
    res = seg.process(frames_of([S.person(-0.55, 2.9)], rng, 1)[0])
    assert res.person_present
    assert res.person_height_m == pytest.approx(1.75, abs=0.05)


def test_background_rates():
    """A new object in front is not absorbed within seconds; a removed one is forgotten fast."""
    p = BackgroundParams()
    bg = BackgroundModel((1, 1), p)
    wall = np.full((1, 1), 4.0, np.float32)
    for _ in range(10):
        bg.update(wall)
    near = np.full((1, 1), 2.5, np.float32)
    for _ in range(150):  # 5 s at 30 fps
        bg.update(near)
    thr = p.fg_thr0_m + p.fg_thr2_per_m * 2.5 ** 2
    assert bg.depth_m[0, 0] - 2.5 > thr  # still foreground
    for _ in range(300):  # 10 s more of the far wall
        bg.update(wall)
    assert bg.depth_m[0, 0] == pytest.approx(4.0, abs=0.05)


def test_excluded_pixels_never_learn():
    bg = BackgroundModel((2, 2))
    ex = np.array([[True, False], [False, False]])
    for _ in range(5):
        bg.update(np.full((2, 2), 3.0, np.float32), ex)
    assert bg.count[0, 0] == 0 and (bg.count[~ex] == 5).all()


def test_someone_passing_in_front_does_not_become_the_lifters_background(rng):
    """A lifter in view since the station started leaves the scene behind them unlearned. A
    passer-by nearer the camera (outside the zone: never a candidate, never excluded from
    learning) covers those pixels for half a second; had the station learned them as the
    background there, the lifter, further than it, would not be foreground until the station
    saw nobody (stop 66: a walker 1 m from the camera took the lifter's upper body out of the
    cloud for 0.7 s after they had passed, and the fit taken up again was 0.1-0.3 m off)."""
    seg = Segmenter(ZONE, seed=0)
    lifter = [S.person(0.1, 2.6)]
    alone = frames_of(lifter, rng, 3)
    for i in range(60):
        before = seg.process(alone[i % 3])
    assert before.person_present
    passing = frames_of(lifter + [S.person(0.1, 1.2, radius_m=0.25)], rng, 3)
    for i in range(15):
        seg.process(passing[i % 3])
    for i in range(3):
        after = seg.process(alone[i % 3])
    assert after.person_present
    assert len(after.cloud.points_cam_m) > 0.95 * len(before.cloud.points_cam_m)


def test_occluders_are_nearer_than_the_lifter_was_where_nothing_is_learned_yet():
    p = BackgroundParams()
    bg = BackgroundModel((1, 6), p)
    bg.count[0, 5] = p.min_count                       # this pixel's scene is known
    seen = np.ones((1, 6), bool)
    bg.see_lifter(seen, np.full((1, 6), 2.5, np.float32), 0.0)
    depth = np.array([[1.0, 2.5 - 0.5 * p.occluder_margin_m, 3.0, 0.0, 1.0, 1.0]], np.float32)
    near = bg.occluders(depth, 1.0)
    # nearer by more than the margin; within it; further (what was behind them); no depth; the
    # same as the first (forgotten later); a pixel whose scene is learned
    assert near.tolist() == [[True, False, False, False, True, False]]
    assert not bg.occluders(depth, p.lifter_memory_s + 0.5).any()
    # an occluder is not learned; what lay behind the lifter is
    bg.update(depth, t_s=1.0)
    assert bg.count[0, 0] == 0 and bg.count[0, 2] == 1
