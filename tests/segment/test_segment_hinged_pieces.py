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


def test_the_body_wins_over_a_leg_cut_off_it_near_the_footprint():
    """mocap_toe_touch@mesh frame 111: reaching down across, the lifter's right leg (130
    points, top 0.90 m) split off the rest of the body (445 points, top 1.42 m) by a depth
    jump. Both are person-like and near the last footprint; the zone-centre score, a near tie,
    chose the leg, and the body, a standing-person shape, never joins a chosen blob: the
    cloud was the leg alone and the frame went untracked (4 such frames on the clip)."""
    rack = _row(131, -1.13, 2.86, -1.2, -1.0, 2.7, 3.13, 1.12, 1.57)
    body = _row(445, -0.145, 2.357, -0.41, 0.03, 1.96, 2.73, 0.07, 1.42)
    leg = _row(130, 0.149, 2.491, 0.04, 0.3, 2.42, 2.66, 0.05, 0.90)
    stats = np.array([rack, body, leg], float)
    zone = LiftingZone(0.15, 2.5, 1.6, 1.4)   # a centre line nearer the leg than the body
    assert choose_person(stats, zone, PARAMS, 120).index == 2                  # a new person
    assert choose_person(stats, zone, PARAMS, 120, previous_xy_m=(-0.135, 2.36)).index == 1
