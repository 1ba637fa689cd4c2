"""Regression: at the bottom of a deep good morning the lifter is only pieces.

Bug: a 1.62 m lifter hinged to ~70 deg (hands at the chest) was split by the depth jumps
into a head (63 points), two halves of the trunk (~85 each) and the legs (199 points, top
0.79 m): none was person-like (120 points and a top over 0.8 m), so the cloud vanished at
every rep's bottom and the background then learned the legs. Fix: near the last lifter's
footprint, when no whole person-like blob is there, a piece with a third of min_points and a
top over 0.5 m is a candidate, and the merge gathers the rest. The stats rows below are the
ones measured on good_morning_bodyweight@mesh, frames 245 and 464.
"""
import numpy as np

from station.segment.person import BlobParams, LiftingZone, choose_person

ZONE = LiftingZone(0.0, 2.6, 1.6, 1.4)
PARAMS = BlobParams()


def _row(count, cx, cy, x0, x1, y0, y1, h0, h1):
    return [count, cx * count, cy * count, x0, x1, y0, y1, h0, h1]


# COUNT, centroid x, y, MIN_X, MAX_X, MIN_Y, MAX_Y, MIN_H, MAX_H
HEAD = _row(60, 0.0, 2.09, -0.07, 0.08, 2.04, 2.21, 0.93, 1.16)
TRUNK_L = _row(89, -0.14, 2.33, -0.22, -0.04, 2.13, 2.53, 0.73, 1.07)
TRUNK_R = _row(85, 0.14, 2.33, 0.01, 0.22, 2.13, 2.54, 0.72, 1.07)
LEGS = _row(199, -0.01, 2.62, -0.21, 0.18, 2.42, 2.80, 0.04, 0.79)
LEG_L = _row(107, -0.12, 2.62, -0.21, 0.01, 2.47, 2.70, 0.05, 0.81)
RACK = _row(130, -1.13, 2.86, -1.2, -1.0, 2.69, 3.16, 1.13, 1.55)   # outside the zone


def test_legs_alone_are_the_lifter_near_the_last_footprint():
    stats = np.array([RACK, HEAD, TRUNK_L, TRUNK_R, LEGS], float)
    assert choose_person(stats, ZONE, PARAMS, 120).index == -1          # a new person: nobody
    c = choose_person(stats, ZONE, PARAMS, 120, previous_xy_m=(0.0, 2.5))
    assert c.index == 4


def test_one_leg_is_enough_when_the_legs_split_too():
    stats = np.array([RACK, HEAD, TRUNK_L, TRUNK_R, LEG_L], float)
    assert choose_person(stats, ZONE, PARAMS, 120, previous_xy_m=(0.0, 2.5)).index == 4


def test_a_whole_person_near_the_footprint_still_wins_over_a_piece():
    whole = _row(440, 0.0, 2.5, -0.22, 0.22, 2.05, 2.8, 0.04, 1.16)
    piece = _row(60, 0.05, 2.45, 0.0, 0.1, 2.4, 2.5, 0.4, 0.9)   # nearer the centre line
    stats = np.array([piece, whole], float)
    assert choose_person(stats, ZONE, PARAMS, 120, previous_xy_m=(0.0, 2.5)).index == 1


def test_pieces_far_from_the_last_footprint_or_low_are_not_the_lifter():
    low = _row(150, 0.0, 2.6, -0.2, 0.2, 2.4, 2.8, 0.0, 0.45)      # a plate stack, a box
    stats = np.array([low, LEGS], float)
    assert choose_person(stats, ZONE, PARAMS, 120, previous_xy_m=(0.0, 2.6)).index == 1
    assert choose_person(stats, ZONE, PARAMS, 120, previous_xy_m=(0.6, 2.0)).index == -1
