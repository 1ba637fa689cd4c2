"""hand_pose's scalar cross product and means give NumPy's values to the bit (the NumPy
version it replaced is the reference here)."""
import math

import numpy as np

from station.form.exercise import HandPose, hand_pose
from station.model import SKELETON_INDEX, SKELETON_POINTS

_SH = [SKELETON_INDEX["shoulder_l"], SKELETON_INDEX["shoulder_r"]]
_WR = [SKELETON_INDEX["wrist_l"], SKELETON_INDEX["wrist_r"]]


def hand_pose_numpy(P: np.ndarray, up: np.ndarray) -> HandPose:
    I = SKELETON_INDEX
    up = up / math.sqrt(float(up @ up))
    t = P[I["neck"]] - P[I["pelvis"]]
    trunk = math.sqrt(float(t @ t)) or 1.0
    fwd = np.cross(P[I["hip_l"]] - P[I["hip_r"]], up)
    fwd = fwd / (math.sqrt(float(fwd @ fwd)) or 1.0)
    arm = P[_WR] - P[_SH]
    reach = np.sqrt((arm * arm).sum(1)) / trunk
    elev = np.degrees(np.arctan2(arm @ fwd, -(arm @ up)))
    pitch = math.degrees(math.atan2(float(t @ fwd), float(t @ up)))
    gap = P[_WR[0]] - P[_WR[1]]
    return HandPose(float(reach.mean()), float(elev.mean()), pitch, math.sqrt(float(gap @ gap)) / trunk)


def test_hand_pose_matches_numpy_to_the_bit():
    rng = np.random.default_rng(0)
    for _ in range(500):
        P = rng.normal(size=(len(SKELETON_POINTS), 3))
        up = rng.normal(size=3)
        assert hand_pose(P, up) == hand_pose_numpy(P, up)
