"""The contract angles of one skeleton (the pipeline's per-frame path, on Python floats) equal
the vectorised NumPy definitions to the bit, so `station analyze` writes the same numbers."""
from __future__ import annotations

import numpy as np

from station.form.angles import contract_angles, left_axis
from station.model import ANGLES, SKELETON_INDEX, SKELETON_POINTS


def _skeletons(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    pts = rng.normal(size=(n, len(SKELETON_POINTS), 3)) * rng.uniform(0.05, 2.0, size=(n, 1, 1))
    # degenerate ones: coincident hips (no left axis), a zero trunk, a straight knee
    pts[0, SKELETON_INDEX["hip_l"]] = pts[0, SKELETON_INDEX["hip_r"]]
    pts[1, SKELETON_INDEX["neck"]] = pts[1, SKELETON_INDEX["pelvis"]]
    hip, knee = pts[2, SKELETON_INDEX["hip_l"]], pts[2, SKELETON_INDEX["knee_l"]]
    pts[2, SKELETON_INDEX["ankle_l"]] = knee + (knee - hip)
    return pts


def test_one_skeleton_equals_the_batch_definitions_to_the_bit():
    pts = _skeletons(3000)
    rng = np.random.default_rng(1)
    for up in (np.array([0.0, -1.0, 0.0]), rng.normal(size=3)):
        up = up / np.linalg.norm(up)
        for baseline in (0.0, 7.25):
            batch = contract_angles(pts, up, baseline)   # (n,) arrays: the NumPy definitions
            for i in range(len(pts)):
                one = contract_angles(pts[i], up, baseline)
                for k in ANGLES:
                    assert isinstance(one[k], np.float64)
                    assert one[k] == batch[k][i] or (np.isnan(one[k]) and np.isnan(batch[k][i])), (i, k)


def test_one_skeleton_angles_are_the_geometry():
    """A standing skeleton bent at known angles, in a camera-like frame (up = -y)."""
    P = np.zeros((len(SKELETON_POINTS), 3))
    I = SKELETON_INDEX
    up = np.array([0.0, -1.0, 0.0])
    P[I["hip_l"]], P[I["hip_r"]] = [0.1, 0.0, 2.0], [-0.1, 0.0, 2.0]
    P[I["pelvis"]] = [0.0, 0.0, 2.0]
    P[I["spine_low"]] = [0.0, -0.1, 2.0]
    # trunk leaning 30 degrees forward (towards the camera, -z: the person faces it)
    lean = np.radians(30.0)
    P[I["spine_mid"]] = [0.0, -0.25, 2.0 - 0.25 * np.tan(lean)]
    P[I["neck"]] = [0.0, -0.5 * np.cos(lean), 2.0 - 0.5 * np.sin(lean)]
    for s, x in (("l", 0.1), ("r", -0.1)):
        P[I[f"knee_{s}"]] = [x, 0.45, 2.0]
        P[I[f"ankle_{s}"]] = [x, 0.9, 2.0]
    a = contract_angles(P, up, 0.0)
    assert abs(a["trunk_inclination"] - 30.0) < 1e-9
    assert abs(a["knee_flexion_l"]) < 1e-6 and abs(a["knee_flexion_r"]) < 1e-6
    assert abs(abs(a["hip_flexion_l"]) - 30.0) < 1e-9 and a["hip_flexion_l"] == a["hip_flexion_r"]
    assert abs(a["pelvis_lateral_shift"]) < 1e-12
    np.testing.assert_allclose(left_axis(P), [1.0, 0.0, 0.0])
