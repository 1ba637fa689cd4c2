"""A walker's shanks seen below a plate that hides their knees join the body.

Bug: session_walk_in_out@mesh, 4.5 s: the lifter walks in behind a barbell lying on the floor;
a plate (background: it was there before them) hides their knees and thighs, and the shanks
seen below it form a floor object under the body's footprint but 0.44 m below it: beyond any
merge gap, and not a leg to the occlusion rule (a floor object, and its occluder is not a
component). The person's mask stopped at the plate; the fit's straight legs there cost 2500 in
the silhouette term against 160 for legs folded up into the torso, where the fit put them
(knees 0.5-1.0 m off). Now a floor object wholly below the joined body and under its footprint
joins whatever its gap. The stats rows are the frame's (rounded).

Then (3.5-4.5 s): the walker comes in side-on, and the stride puts the shanks seen below the
plate ahead of and behind the trunk, their centroids 2-5 cm outside its footprint: left out in
most frames, and the fit folded the legs into the torso again (3.5-4.5 s: 150-310 mm MPJPE).
Now a foot-sized one (hidden_foot_max_m) also joins under the footprint expanded by its margin;
a plate put down beside the feet (wider) still does not."""
import numpy as np

from station.segment.person import BlobParams, merge_candidates, merge_person

PARAMS = BlobParams()
MIN_POINTS = 120
INF = np.inf


def _row(count, cx, cy, x0, x1, y0, y1, h0, h1):   # as blob_stats writes them (sums)
    return [count, cx * count, cy * count, x0, x1, y0, y1, h0, h1]


BODY = _row(325, -0.04, 2.46, -0.18, 0.09, 2.33, 2.61, 0.80, 1.73)
RACK = _row(128, -1.13, 2.86, -1.20, -1.01, 2.71, 3.15, 1.13, 1.55)
BENCH = _row(473, -0.18, 1.81, -0.40, 0.05, 1.49, 1.95, 0.60, 1.06)
SHANKS = _row(46, -0.02, 2.42, -0.12, 0.04, 2.37, 2.48, 0.07, 0.36)


def _merge(stats):
    gap = np.full((len(stats), len(stats)), INF, np.float32)
    np.fill_diagonal(gap, 0.0)
    allowed, rejoin = merge_candidates(stats, 0, PARAMS, MIN_POINTS, None)
    return merge_person(stats, gap, 0, PARAMS, MIN_POINTS, allowed, None, rejoin, None)


def test_shanks_below_a_hidden_knee_join():
    np.testing.assert_array_equal(_merge(np.array([BODY, RACK, BENCH, SHANKS])), [True, False, False, True])


# session_walk_in_out@mesh, 3.97 s: the trunk of a walker seen side-on, the near shank and
# foot below the plate just ahead of it
STRIDE_BODY = _row(306, 0.17, 2.46, 0.04, 0.30, 2.32, 2.61, 0.79, 1.71)
STRIDE_SHANK = _row(27, 0.01, 2.43, -0.04, 0.07, 2.38, 2.48, 0.08, 0.27)


def test_a_shank_ahead_of_the_trunk_in_a_stride_joins():
    assert list(_merge(np.array([STRIDE_BODY, RACK, BENCH, STRIDE_SHANK]))) == [True, False, False, True]
    # the same piece a foot's length further ahead is not under the footprint's margin
    ahead = _row(27, -0.15, 2.43, -0.20, -0.09, 2.38, 2.48, 0.08, 0.27)
    assert list(_merge(np.array([STRIDE_BODY, ahead]))) == [True, False]


def test_what_is_not_below_the_body_or_under_it_stays_out():
    # a plate put down beside the feet: under the footprint's margin only, and wider than a foot
    plate = _row(80, 0.17, 2.45, 0.12, 0.22, 2.25, 2.65, 0.0, 0.45)
    # a kettlebell under the body, but the body reaches the floor there (its legs seen):
    # the gap rule decides, and the bell is out of reach
    legs_seen = _row(325, -0.04, 2.46, -0.18, 0.09, 2.33, 2.61, 0.05, 1.73)
    bell = _row(60, -0.02, 2.42, -0.1, 0.06, 2.35, 2.49, 0.0, 0.3)
    scrap = _row(10, -0.02, 2.42, -0.05, 0.0, 2.40, 2.44, 0.07, 0.2)   # too few points
    assert list(_merge(np.array([BODY, plate]))) == [True, False]
    assert list(_merge(np.array([legs_seen, bell]))) == [True, False]
    assert list(_merge(np.array([BODY, scrap]))) == [True, False]
