"""The angles of the analysis contract (docs/analysis-output.md), from skeleton points.

One implementation serves the evaluator, the synthetic athlete's ground truth and the
benchmarks, so "the angle" means the same thing everywhere. Everything is vectorised over
leading axes: points (..., len(SKELETON_POINTS), 3) in any frame, `up` the floor normal in
that same frame.
"""
from __future__ import annotations

import math

import numpy as np

from station.model import SKELETON_INDEX as _I

_EPS = 1e-9


# The helpers below are written out on the last axis instead of np.linalg.norm and np.cross:
# the same arithmetic (results equal to the bit), without their per-call overhead, which on
# one skeleton per frame was most of the cost of the angles in the live loop.


def _dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=-1)


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.sqrt(_dot(v, v))[..., None], _EPS)


def _cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a0, a1, a2 = a[..., 0], a[..., 1], a[..., 2]
    b0, b1, b2 = b[..., 0], b[..., 1], b[..., 2]
    return np.stack((a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0), axis=-1)


def _angle_deg(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    c = _dot(_unit(a), _unit(b))
    return np.degrees(np.arccos(np.clip(c, -1.0, 1.0)))


def left_axis(points: np.ndarray) -> np.ndarray:
    """The person's left-right axis: unit vector from hip_r to hip_l (sagittal plane normal)."""
    return _unit(points[..., _I["hip_l"], :] - points[..., _I["hip_r"], :])


def signed_sagittal_deg(a: np.ndarray, b: np.ndarray, left: np.ndarray) -> np.ndarray:
    """Signed angle from a to b, both projected on the plane with normal `left`.

    Positive when b is rotated forward of a (the rotation about `left` that turns up
    towards the person's front: up × forward = left).
    """
    a_p = a - _dot(a, left)[..., None] * left
    b_p = b - _dot(b, left)[..., None] * left
    return np.degrees(np.arctan2(_dot(_cross(a_p, b_p), left), _dot(a_p, b_p)))


def trunk_inclination_deg(points: np.ndarray, up: np.ndarray) -> np.ndarray:
    return _trunk_inclination(_trunk(points), up)


def hip_flexion_deg(points: np.ndarray, side: str) -> np.ndarray:
    return _hip_flexion(points, side, _trunk(points), left_axis(points))


def knee_flexion_deg(points: np.ndarray, side: str) -> np.ndarray:
    knee = points[..., _I[f"knee_{side}"], :]
    return 180.0 - _angle_deg(points[..., _I[f"hip_{side}"], :] - knee,
                              points[..., _I[f"ankle_{side}"], :] - knee)


def spine_flexion_raw_deg(points: np.ndarray) -> np.ndarray:
    """Sagittal flexion of the thorax (spine_mid→neck) relative to the pelvis (pelvis→spine_low).

    Absolute: people's natural curves differ, so the contract's spine_flexion is this minus
    the same value while the person stood upright before the set.
    """
    return _spine_flexion_raw(points, left_axis(points))


def spine_flexion_raw_from_segments_deg(R_pelvis: np.ndarray, R_thorax_top: np.ndarray) -> float:
    """Sagittal flexion of the thorax's top segment's axis in the pelvis's frame (both
    (3, 3), floor <- segment, x forward, z up): the fitter's own reading of the thorax,
    where the skeleton's points (spine_mid -> neck) give only the chord of a curved one. The
    same sagittal angle as the points' (signed_sagittal_deg), between the segments' long axes
    about the pelvis's left axis."""
    return float(signed_sagittal_deg(R_pelvis[:, 2], R_thorax_top[:, 2], R_pelvis[:, 1]))


def pelvis_lateral_shift_m(points: np.ndarray) -> np.ndarray:
    """Pelvis offset from the ankles' midpoint along the person's left axis (+ = to their left)."""
    return _pelvis_lateral_shift(points, left_axis(points))


# The definitions above, with the person's left axis and trunk handed in: contract_angles
# computes each once per skeleton instead of once per angle (the same arithmetic, so the
# same bits).


def _trunk(points: np.ndarray) -> np.ndarray:
    return points[..., _I["neck"], :] - points[..., _I["pelvis"], :]


def _trunk_inclination(trunk: np.ndarray, up: np.ndarray) -> np.ndarray:
    return _angle_deg(trunk, np.broadcast_to(up, trunk.shape))


def _hip_flexion(points: np.ndarray, side: str, trunk: np.ndarray, left: np.ndarray) -> np.ndarray:
    thigh_up = points[..., _I[f"hip_{side}"], :] - points[..., _I[f"knee_{side}"], :]
    return signed_sagittal_deg(thigh_up, trunk, left)


def _spine_flexion_raw(points: np.ndarray, left: np.ndarray) -> np.ndarray:
    pelvis_axis = points[..., _I["spine_low"], :] - points[..., _I["pelvis"], :]
    thorax_axis = points[..., _I["neck"], :] - points[..., _I["spine_mid"], :]
    return signed_sagittal_deg(pelvis_axis, thorax_axis, left)


def _pelvis_lateral_shift(points: np.ndarray, left: np.ndarray) -> np.ndarray:
    mid_ankles = 0.5 * (points[..., _I["ankle_l"], :] + points[..., _I["ankle_r"], :])
    return _dot(points[..., _I["pelvis"], :] - mid_ankles, left)


def contract_angles(points: np.ndarray, up: np.ndarray, spine_baseline_deg: float | np.ndarray) -> dict[str, np.ndarray]:
    """All angles of the contract; spine_flexion relative to `spine_baseline_deg`."""
    if np.ndim(points) == 2 and np.ndim(up) == 1 and np.ndim(spine_baseline_deg) == 0:
        return _contract_angles_one(points, up, float(spine_baseline_deg))
    trunk, left = _trunk(points), left_axis(points)
    return {
        "trunk_inclination": _trunk_inclination(trunk, up),
        "hip_flexion_l": _hip_flexion(points, "l", trunk, left),
        "hip_flexion_r": _hip_flexion(points, "r", trunk, left),
        "knee_flexion_l": knee_flexion_deg(points, "l"),
        "knee_flexion_r": knee_flexion_deg(points, "r"),
        "spine_flexion": _spine_flexion_raw(points, left) - spine_baseline_deg,
        "pelvis_lateral_shift": _pelvis_lateral_shift(points, left),
    }


# One skeleton (the pipeline's every frame): the same definitions on Python floats, where
# NumPy's per-call overhead on 3-vectors was most of the cost. The arithmetic is the NumPy
# code's, operation for operation, so the results are equal to the bit: sums of three
# products in NumPy's order ((x0 + x1) + x2), sqrt and division correctly rounded in both;
# arccos and arctan2 are NumPy's own (they differ from the math module's in the last bit),
# all angles of a kind in one call (NumPy's array and 0-d loops agree).
_P = {k: _I[k] for k in ("neck", "pelvis", "hip_l", "hip_r", "knee_l", "knee_r", "ankle_l", "ankle_r",
                         "spine_low", "spine_mid")}


def _sub3(a, b):
    return (a[0] - b[0], a[1] - b[1], a[2] - b[2])


def _dot3(a, b) -> float:
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def _unit3(v):
    n = max(math.sqrt(_dot3(v, v)), _EPS)
    return (v[0] / n, v[1] / n, v[2] / n)


def _clip1(c: float) -> float:
    return min(max(c, -1.0), 1.0)


def _sagittal_yx(a, b, left) -> tuple[float, float]:
    """signed_sagittal_deg's arctan2 arguments."""
    da, db = _dot3(a, left), _dot3(b, left)
    a = (a[0] - da * left[0], a[1] - da * left[1], a[2] - da * left[2])
    b = (b[0] - db * left[0], b[1] - db * left[1], b[2] - db * left[2])
    cross = (a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0])
    return _dot3(cross, left), _dot3(a, b)


def _contract_angles_one(points: np.ndarray, up: np.ndarray, spine_baseline_deg: float) -> dict[str, np.ndarray]:
    P = np.asarray(points, dtype=np.float64)
    pt = {k: tuple(P[i].tolist()) for k, i in _P.items()}
    u = tuple(np.asarray(up, dtype=np.float64).tolist())
    left = _unit3(_sub3(pt["hip_l"], pt["hip_r"]))
    trunk = _sub3(pt["neck"], pt["pelvis"])
    cosines = [_clip1(_dot3(_unit3(trunk), _unit3(u)))]
    for side in "lr":
        knee = pt[f"knee_{side}"]
        cosines.append(_clip1(_dot3(_unit3(_sub3(pt[f"hip_{side}"], knee)), _unit3(_sub3(pt[f"ankle_{side}"], knee)))))
    yx = [_sagittal_yx(_sub3(pt["hip_l"], pt["knee_l"]), trunk, left),
          _sagittal_yx(_sub3(pt["hip_r"], pt["knee_r"]), trunk, left),
          _sagittal_yx(_sub3(pt["spine_low"], pt["pelvis"]), _sub3(pt["neck"], pt["spine_mid"]), left)]
    acos_deg = np.degrees(np.arccos(np.array(cosines))).tolist()
    atan_deg = np.degrees(np.arctan2(np.array([y for y, _ in yx]), np.array([x for _, x in yx]))).tolist()
    ankles = pt["ankle_l"], pt["ankle_r"]
    mid = tuple(0.5 * (ankles[0][k] + ankles[1][k]) for k in range(3))
    f = np.float64
    return {
        "trunk_inclination": f(acos_deg[0]),
        "hip_flexion_l": f(atan_deg[0]),
        "hip_flexion_r": f(atan_deg[1]),
        "knee_flexion_l": f(180.0 - acos_deg[1]),
        "knee_flexion_r": f(180.0 - acos_deg[2]),
        "spine_flexion": f(atan_deg[2] - spine_baseline_deg),
        "pelvis_lateral_shift": f(_dot3(_sub3(pt["pelvis"], mid), left)),
    }
