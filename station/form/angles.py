"""The angles of the analysis contract (docs/analysis-output.md), from skeleton points.

One implementation serves the evaluator, the synthetic athlete's ground truth and the
benchmarks, so "the angle" means the same thing everywhere. Everything is vectorised over
leading axes: points (..., len(SKELETON_POINTS), 3) in any frame, `up` the floor normal in
that same frame.
"""
from __future__ import annotations

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
    trunk = points[..., _I["neck"], :] - points[..., _I["pelvis"], :]
    return _angle_deg(trunk, np.broadcast_to(up, trunk.shape))


def hip_flexion_deg(points: np.ndarray, side: str) -> np.ndarray:
    thigh_up = points[..., _I[f"hip_{side}"], :] - points[..., _I[f"knee_{side}"], :]
    trunk = points[..., _I["neck"], :] - points[..., _I["pelvis"], :]
    return signed_sagittal_deg(thigh_up, trunk, left_axis(points))


def knee_flexion_deg(points: np.ndarray, side: str) -> np.ndarray:
    knee = points[..., _I[f"knee_{side}"], :]
    return 180.0 - _angle_deg(points[..., _I[f"hip_{side}"], :] - knee,
                              points[..., _I[f"ankle_{side}"], :] - knee)


def spine_flexion_raw_deg(points: np.ndarray) -> np.ndarray:
    """Sagittal flexion of the thorax (spine_mid→neck) relative to the pelvis (pelvis→spine_low).

    Absolute: people's natural curves differ, so the contract's spine_flexion is this minus
    the same value while the person stood upright before the set.
    """
    pelvis_axis = points[..., _I["spine_low"], :] - points[..., _I["pelvis"], :]
    thorax_axis = points[..., _I["neck"], :] - points[..., _I["spine_mid"], :]
    return signed_sagittal_deg(pelvis_axis, thorax_axis, left_axis(points))


def pelvis_lateral_shift_m(points: np.ndarray) -> np.ndarray:
    """Pelvis offset from the ankles' midpoint along the person's left axis (+ = to their left)."""
    mid_ankles = 0.5 * (points[..., _I["ankle_l"], :] + points[..., _I["ankle_r"], :])
    return _dot(points[..., _I["pelvis"], :] - mid_ankles, left_axis(points))


def contract_angles(points: np.ndarray, up: np.ndarray, spine_baseline_deg: float | np.ndarray) -> dict[str, np.ndarray]:
    """All angles of the contract; spine_flexion relative to `spine_baseline_deg`."""
    return {
        "trunk_inclination": trunk_inclination_deg(points, up),
        "hip_flexion_l": hip_flexion_deg(points, "l"),
        "hip_flexion_r": hip_flexion_deg(points, "r"),
        "knee_flexion_l": knee_flexion_deg(points, "l"),
        "knee_flexion_r": knee_flexion_deg(points, "r"),
        "spine_flexion": spine_flexion_raw_deg(points) - spine_baseline_deg,
        "pelvis_lateral_shift": pelvis_lateral_shift_m(points),
    }
