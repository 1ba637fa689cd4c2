"""Regression: a barbell lifter split left/right by a depth jump must stay one cloud.

Bug: on rdl_rounded_back@mesh (frames 246, 472, 477) the lifter split at a depth jump into
two halves, each a leg (and a plate) standing on the floor, person-sized and taller than
upright_min_top_m: a "standing person", which merge_person never joined (that rule keeps a
walker behind or beside the lifter out). The half left out came within ~5 cm (3D) of the
chosen one; the fit lost half the body for the frame (left knee 8-18 cm out, pelvis 12-17 cm
sideways) and rep 4 got a false hip_shift. Fix: a standing shape whose footprint centroid lay
inside the last frame's lifter footprint joins when it touches (rejoin_gap_m) and the joined
points stay within rejoin_max_growth x the last lifter's (a second person doubles them).
The stats rows and gaps below are the ones measured on rdl_rounded_back@mesh.
"""
from dataclasses import replace

import numpy as np

from station.segment.person import (BlobParams, LastLifter, last_lifter, merge_candidates,
                                    merge_person, near_footprint)

PARAMS = BlobParams()
MIN_POINTS = 120
INF = np.inf


def _row(count, sx, sy, x0, x1, y0, y1, h0, h1):   # as blob_stats writes them (sums)
    return [count, sx, sy, x0, x1, y0, y1, h0, h1]


RACK = _row(131, -148.25, 374.97, -1.2, -0.99, 2.68, 3.18, 1.15, 1.57)
# frame 471: the lifter whole (bar and plates included), the head split off, a shank
F471 = np.array([RACK,
                 _row(634, -4.98, 1566.26, -0.78, 0.78, 2.21, 2.76, 0.06, 1.26),
                 _row(56, -0.0, 120.47, -0.08, 0.08, 2.11, 2.24, 1.1, 1.32),
                 _row(39, -5.51, 101.14, -0.19, -0.1, 2.51, 2.67, 0.05, 0.48)])
F471_KEEP = np.array([False, True, True, True])
# frame 472: the body split left/right; the chosen left half (1), the head (2), the right
# half with its plate (3), a piece of the left plate (4)
F472 = np.array([RACK,
                 _row(414, -83.07, 1038.61, -0.77, 0.2, 2.21, 2.8, 0.06, 1.24),
                 _row(55, -0.08, 118.18, -0.08, 0.08, 2.09, 2.22, 1.1, 1.31),
                 _row(244, 78.36, 592.25, 0.04, 0.77, 2.21, 2.68, 0.06, 1.24),
                 _row(14, -13.17, 34.22, -1.07, -0.84, 2.41, 2.49, 0.53, 0.59)])
F472_GAP = np.array([[0.0, INF, INF, INF, INF],
                     [INF, 0.0, 0.16, 0.052, 0.18],
                     [INF, 0.16, 0.0, 0.15, INF],
                     [INF, 0.052, 0.15, 0.0, INF],
                     [INF, 0.18, INF, INF, 0.0]], np.float32)
# frame 245 -> 246: the whole lifter, then split with the left leg (2) cut off the rest (4)
F245 = np.array([_row(125, -141.39, 358.08, -1.2, -0.98, 2.69, 3.15, 1.14, 1.56),
                 _row(57, 0.01, 122.77, -0.08, 0.08, 2.1, 2.27, 1.09, 1.32),
                 _row(719, -0.02, 1761.27, -0.79, 0.77, 2.2, 2.75, 0.3, 1.25),
                 _row(42, -5.91, 108.64, -0.19, -0.1, 2.5, 2.63, 0.05, 0.45),
                 _row(42, 5.87, 108.53, 0.1, 0.19, 2.48, 2.63, 0.05, 0.46)])
F245_KEEP = np.array([False, True, True, True, True])
F246 = np.array([_row(124, -140.15, 355.75, -1.2, -0.98, 2.69, 3.17, 1.15, 1.56),
                 _row(184, -30.19, 454.36, -0.33, 0.06, 2.37, 2.64, 0.05, 1.24),
                 _row(54, -0.11, 116.02, -0.08, 0.08, 2.11, 2.22, 1.1, 1.32),
                 _row(325, 27.72, 832.14, -0.18, 0.25, 2.37, 2.75, 0.05, 1.24),
                 _row(157, -110.79, 369.93, -1.05, -0.38, 2.21, 2.61, 0.33, 0.79),
                 _row(149, 100.23, 352.1, 0.32, 0.78, 2.2, 2.7, 0.37, 0.8)])
F246_GAP = np.array([[0.0, INF, INF, INF, INF, INF],
                     [INF, 0.0, 0.16, 0.056, INF, INF],
                     [INF, 0.16, 0.0, 0.18, INF, INF],
                     [INF, 0.056, 0.18, 0.0, INF, 0.08],
                     [INF, INF, INF, INF, 0.0, INF],
                     [INF, INF, INF, 0.08, INF, 0.0]], np.float32)


def _merge(stats, gap, index, last, params=PARAMS):
    allowed, rejoin = merge_candidates(stats, index, params, MIN_POINTS, last)
    return merge_person(stats, gap, index, params, MIN_POINTS, allowed, None, rejoin, last)


def test_the_half_cut_off_by_a_depth_jump_joins():
    last = last_lifter(F471, F471_KEEP)
    assert last.count == 729
    # today's rule (no last footprint: a new lifter) leaves the right half out
    np.testing.assert_array_equal(_merge(F472, F472_GAP, 1, None), [False, True, True, False, True])
    np.testing.assert_array_equal(_merge(F472, F472_GAP, 1, last), [False, True, True, True, True])
    last = last_lifter(F245, F245_KEEP)
    np.testing.assert_array_equal(_merge(F246, F246_GAP, 3, None), [False, False, True, True, False, True])
    np.testing.assert_array_equal(_merge(F246, F246_GAP, 3, last), [False, True, True, True, False, True])


def test_merge_person_finds_the_candidates_itself():
    last = last_lifter(F471, F471_KEEP)
    keep = merge_person(F472, F472_GAP, 1, PARAMS, MIN_POINTS, last=last)
    np.testing.assert_array_equal(keep, [False, True, True, True, True])


def test_a_second_person_beside_the_lifter_never_joins():
    last = last_lifter(F471, F471_KEEP)
    # a person standing right beside the lifter's plate, touching it (3 cm): their footprint
    # centroid lies outside the last lifter's footprint
    beside = _row(450, 450 * 1.05, 450 * 2.5, 0.85, 1.25, 2.3, 2.7, 0.02, 1.8)
    stats = np.array([*F471, beside])
    gap = np.full((5, 5), INF, np.float32)
    np.fill_diagonal(gap, 0.0)
    gap[1, 2] = gap[2, 1] = 0.13
    gap[1, 3] = gap[3, 1] = 0.05
    gap[1, 4] = gap[4, 1] = 0.03
    np.testing.assert_array_equal(_merge(stats, gap, 1, last), [False, True, True, True, False])
    # the same person inside the footprint (in front of the bar, touching it): the points
    # joined with theirs would be 1.6x the last lifter's
    inside = _row(450, 450 * 0.5, 450 * 2.3, 0.3, 0.7, 2.1, 2.5, 0.02, 1.8)
    stats = np.array([*F471, inside])
    np.testing.assert_array_equal(_merge(stats, gap, 1, last), [False, True, True, True, False])
    # a walker behind (tens of cm away in depth) never comes within the gap
    behind = _row(450, 0.0, 450 * 2.7, -0.2, 0.2, 2.55, 2.85, 0.02, 1.8)
    gap[1, 4] = gap[4, 1] = 0.25
    stats = np.array([*F471[:1], _row(300, 0.0, 300 * 2.4, -0.3, 0.3, 2.2, 2.6, 0.05, 1.25),
                      *F471[2:], behind])
    np.testing.assert_array_equal(_merge(stats, gap, 1, last), [False, True, True, True, False])


def test_no_last_lifter_no_rejoin():
    allowed, rejoin = merge_candidates(F472, 1, PARAMS, MIN_POINTS, None)
    assert not rejoin.any() and not allowed[3]
    allowed, rejoin = merge_candidates(F472, 1, PARAMS, MIN_POINTS,
                                       LastLifter(np.array([-0.78, 0.78, 2.11, 2.76]), 729.0))
    np.testing.assert_array_equal(rejoin, [False, False, False, True, False])


# mesh_P_faults1 frame 382 (12.73 s): a 2 m lifter turned 45 deg from a camera at 2.1 m, at the
# bottom of a fast lowering. The far leg with the far hip and arm (10) split off the near side
# (2, 15) at a depth jump: a standing shape, 0.105-0.113 m (3D) from the near side at its
# closest. Left out, the fit had no point of the far leg; the silhouette term pushed the model's
# leg out of where it was, the pelvis swung 86 deg and the legs stayed crossed for 10 s.
P382 = np.array([_row(326, -398.61, 958.85, -1.37, -1.01, 2.69, 3.62, 1.13, 2.28),   # a rack
                 _row(486, -40.00, 1019.33, -0.31, 0.16, 1.93, 2.40, 0.55, 1.64),
                 _row(13, -16.80, 39.04, -1.37, -1.25, 2.94, 3.16, 1.01, 1.14),
                 _row(192, -69.51, 433.23, -0.50, -0.19, 2.05, 2.43, 0.05, 1.30),
                 _row(138, -18.44, 333.20, -0.25, 0.07, 2.31, 2.52, 0.05, 1.00)])
P382_GAP = np.array([[0.0, INF, INF, INF, INF],
                     [INF, 0.0, INF, 0.113, 0.105],
                     [INF, INF, 0.0, INF, INF],
                     [INF, 0.113, INF, 0.0, 0.153],
                     [INF, 0.105, INF, 0.153, 0.0]], np.float32)
P381_LAST = LastLifter(np.array([-0.505, 0.165, 1.944, 2.584]), 824.0)


def test_the_far_side_of_a_turned_lifter_rejoins():
    np.testing.assert_array_equal(_merge(P382, P382_GAP, 1, P381_LAST), [False, True, False, True, True])
    # the gap before (0.08 m, set for a barbell lifter split left/right) left it out
    old = replace(PARAMS, rejoin_gap_m=0.08)
    np.testing.assert_array_equal(_merge(P382, P382_GAP, 1, P381_LAST, old), [False, True, False, False, True])


def test_the_lifters_parts_near_its_footprint_stay_out_of_background_learning():
    # the far side (3) and the hip piece (4) lie in the lifter's footprint whether or not the
    # merge joined them; the rack (0) and the scrap on it (2) do not
    near = near_footprint(P382, P381_LAST.box_m, PARAMS.merge_footprint_margin_m,
                          PARAMS.floor_object_bottom_m)
    np.testing.assert_array_equal(near, [False, True, False, True, True])
    # a floor-level scrap inside the footprint is left to learning (the floor shows through)
    scrap = np.array([_row(30, -3.0, 66.0, -0.12, -0.08, 2.15, 2.25, 0.0, 0.05)])
    assert not near_footprint(scrap, P381_LAST.box_m, 0.1, PARAMS.floor_object_bottom_m).any()
