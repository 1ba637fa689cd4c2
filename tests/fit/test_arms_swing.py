"""Fast arm swings: the wrists do not fly off, whatever the segmenter's RANSAC seed.

mocap_warmup (CMU 13_29) swings both arms fast (wrists 2-3 m/s) around t = 3 s, one behind
the torso. On main the fit lagged past the data term's gate, a hidden arm was re-seeded on
energy differences of a few units that the seed flips (seed 2, frame 85: a hidden left arm
re-seeded elsewhere hidden on a drop of 4.7, its wrist 0.05 -> 0.65 m off), and the arms came
back only when the probe's turn came round to a hypothesis near the truth. Two rules
(station.fit.arm_reach: an arm pointed at the unexplained points near its shoulder;
limb_search.arm_evidence_ok: no re-seed to where the arm is hidden without a clear drop).

Measured, frames 80-110 (the swing), frames with a wrist more than 0.3 m off and the median
wrist error: main seed 1: 12, 36 mm; seed 2: 26, 1014 mm. With the rules: 4, 24 mm; 9, 29 mm.
"""

import math

import numpy as np
import pytest

from tests.helpers import tracked_wrist_errors

from station.fit.arm_reach import point_angles
from station.fit.body_model import DOF, SEG, Shape, build_body, neutral_pose
from station.fit.limb_search import ARM_SEEN_POINTS, arm_evidence_ok
from station.fit.solver import Workspace, posed_capsules


@pytest.mark.parametrize("seed", [1, 2])
def test_fast_arm_swing_wrists_stay_near_the_truth(seed):
    err = tracked_wrist_errors("mocap_warmup@mesh", seed, 80, 110)
    assert int((err.max(axis=1) > 0.3).sum()) <= 10, err.max(axis=1).round(2)
    assert float(np.median(err)) < 0.06, float(np.median(err))


@pytest.mark.parametrize("u", [(0, 0, -1), (1, 0, 0), (0.3, 0.8, 0.2), (-0.5, -0.2, -0.6),
                               (0.1, -0.7, 0.7)])
def test_point_angles_point_the_upper_arm(u):
    """The reach's angles put the upper arm along the asked direction (floor frame), both
    sides, a turned and bent trunk (within the shoulder's limits)."""
    body = build_body(Shape(height_m=1.75))
    th = neutral_pose(body.shape)
    th[DOF["root_yaw"]] = math.radians(40)
    th[DOF["root_pitch"]] = math.radians(25)
    ws = Workspace()
    posed_capsules(body, th, ws)
    R = ws.seg_R[SEG["thorax"]].copy()
    u = np.array(u, float) / np.linalg.norm(u)
    for side in ("l", "r"):
        f, a = point_angles(R, u, side)
        if not (-math.radians(60) <= f <= math.pi and -math.radians(30) <= a <= math.radians(170)):
            continue     # beyond the shoulder's limits on this side
        t2 = th.copy()
        t2[[DOF[f"shoulder_{side}_flex"], DOF[f"shoulder_{side}_abd"]]] = f, a
        ca, cb = posed_capsules(body, t2, ws)
        k = body.cap_names.index(f"upper_arm_{side}")
        d = (cb[k] - ca[k]) / np.linalg.norm(cb[k] - ca[k])
        assert float(d @ u) > 0.995, (side, d, u)


class _Fit:
    def __init__(self, energy, arm_points):
        self.energy = energy
        self.seg_point_count = np.zeros(len(SEG))
        self.seg_point_count[SEG["upper_arm_l"]] = arm_points


def test_an_arm_is_not_reseeded_into_hiding_on_a_small_drop():
    hidden = ARM_SEEN_POINTS - 1
    # hidden before and after, a drop of a few units: kept where it was
    assert not arm_evidence_ok("arm_l", _Fit(240, 1), _Fit(235, 1), 240, 100)
    # from explaining points to hidden: not either
    assert not arm_evidence_ok("arm_l", _Fit(240, 60), _Fit(235, hidden), 240, 100)
    # unless the energy falls clearly
    assert arm_evidence_ok("arm_l", _Fit(400, 1), _Fit(250, 0), 400, 100)
    # re-seeded where it explains points, or more than before: yes
    assert arm_evidence_ok("arm_l", _Fit(240, 0), _Fit(239, ARM_SEEN_POINTS), 240, 100)
    assert arm_evidence_ok("arm_l", _Fit(240, 0), _Fit(239, 2), 240, 100)
    # legs are not concerned
    assert arm_evidence_ok("leg_l", _Fit(240, 60), _Fit(239, 0), 240, 100)
