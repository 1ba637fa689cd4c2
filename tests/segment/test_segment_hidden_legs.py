"""A kettlebell swung between the legs hides the thighs from a low camera and cuts the lifter
in two in the image: torso above the bell, legs below it. The legs' 3D gap to the torso is
larger than merge_gap (the body between is hidden, not absent); the segmenter must keep them
(person.merge_person's occlusion join), while a plate in front of the shins and a person
behind stay out. Analytic scenes (segscenes), camera at 1.3 m as in kettlebell_swing_small."""
from __future__ import annotations

import numpy as np

import segscenes as S
from station import frames
from station.segment.person import LiftingZone
from station.segment.segmenter import Segmenter

ZONE = LiftingZone(centre_x_m=0.0, centre_y_m=2.5, width_m=1.6, depth_m=1.4)
T = S.mount(1.3, 15.0)
NOISE = dict(noise0_m=0.001, noise2_per_m=0.0025)
TORSO = ("cyl", "z", (0.0, 2.5), 0.17, (0.8, 1.6))
LEGS = [("cyl", "z", (-0.1, 2.5), 0.07, (0.0, 0.8)), ("cyl", "z", (0.1, 2.5), 0.07, (0.0, 0.8))]
BELL = ("box", (-0.12, 0.12), (1.75, 1.95), (0.85, 1.05))   # in front of the hips: hides 0.69-0.96 m


def cloud_floor(seg: Segmenter, shapes, rng, n_frames: int = 3):
    for i in range(n_frames):
        res = seg.process(S.frame(S.render(T, shapes, rng=rng, **NOISE), i / 30))
    assert res.person_present
    return frames.apply(frames.T_floor_cam_from_plane(res.floor), res.cloud.points_cam_m.astype(np.float64))


def test_legs_below_the_bell_stay_with_the_lifter(rng):
    seg = Segmenter(ZONE, seed=0)
    seg.learn_background([S.frame(S.render(T, [], rng=rng, **NOISE))] * 3)
    upright = cloud_floor(seg, [TORSO, *LEGS], rng)
    legs_alone = int((upright[:, 2] < 0.5).sum())
    assert legs_alone > 50
    pts = cloud_floor(seg, [TORSO, *LEGS, BELL], rng)
    # the scene cuts the legs off: without the join, no point below the bell is kept
    assert (pts[:, 2] < 0.5).sum() > 0.8 * legs_alone
    assert (pts[:, 2] > 1.2).sum() > 50                         # and the torso is still there


def test_a_plate_in_front_of_the_shins_and_a_person_behind_stay_out(rng):
    seg = Segmenter(ZONE, seed=0)
    seg.learn_background([S.frame(S.render(T, [], rng=rng, **NOISE))] * 3)
    plate = ("box", (0.0, 0.3), (2.15, 2.19), (0.2, 0.65))      # a plate facing the camera, shin high
    behind = S.person(0.05, 3.1, height_m=1.8, radius_m=0.22)
    pts = cloud_floor(seg, [TORSO, *LEGS, BELL, plate, behind], rng)
    assert (pts[:, 2] < 0.5).sum() > 50                         # the legs are kept...
    assert not ((pts[:, 1] < 2.3) & (pts[:, 2] < 0.55)).any()   # ...the plate is not
    assert not (pts[:, 1] > 2.85).any()                         # nor the person behind
