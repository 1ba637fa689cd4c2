"""numba kernels of the skeleton fitter: pure functions on arrays, outputs preallocated.

House style (STYLE.md): @njit(cache=True, nogil=True), float64 geometry in the floor frame,
int32 indices, thresholds and weights as arguments (never globals). Each kernel has a NumPy
twin of the same name in station.fit.reference, compared by tests/fit/test_kernels.py.

One module per concept; this one holds the contract angles of a batch of skeletons and the
small SPD inverse (station.fit.confidence), and gathers the others under one name:
  _kernels_kinematics  forward kinematics, segment-local points/vectors to the floor frame
  _kernels_geometry    nearest capsule surface, a ray's hit on it, capsule-pair penetration
  _kernels_energy      the energy's normal equations (data, model-to-data, dense rows)
  _kernels_image       the mask's distance transform, point subsampling
  _kernels_lm          the implement's capsules, the damped step, NumPy's sums
  _kernels_lm_loop     one LM evaluation in two passes (the energy, the rows only for an
                       accepted trial) and the LM loop around it
"""
from __future__ import annotations

import math

import numba as nb
import numpy as np

from station.fit._kernels_energy import (  # noqa: F401  (the fitter's kernels, one namespace)
    assemble_normal_equations, contact_rows, data_energy, data_rows, dense_rows, diagonal_terms,
    grip_rows, model_to_data_energy, model_to_data_rows,
)
from station.fit._kernels_geometry import (  # noqa: F401
    bar_line_count, capsule_pair_penetration, nearest_capsule, nearest_capsule_state,
    nearest_capsule_within_fit, ray_surface,
)
from station.fit._kernels_image import (  # noqa: F401
    distance_transform_nearest, median_head, second_differences, subsample_indices,
    window_residual_ss,
)
from station.fit._kernels_kinematics import (  # noqa: F401
    forward_kinematics, points_to_world, vectors_to_world,
)
from station.fit._kernels_lm import (  # noqa: F401
    BAR, DUMBBELLS, KETTLEBELL, NO_IMPLEMENT, damped_step, dot3, implement_ends, numpy_sum,
)
from station.fit._kernels_lm_loop import (  # noqa: F401
    LM_DONE, LM_SOLVE, evaluate, linearise_accepted, lm_iterations, pose_energy,
)


@nb.njit(cache=True, nogil=True)
def _unit3(a0, a1, a2):
    n = math.sqrt(a0 * a0 + a1 * a1 + a2 * a2)
    if n < 1e-9:
        n = 1e-9
    return a0 / n, a1 / n, a2 / n


@nb.njit(cache=True, nogil=True)
def _angle_deg3(a0, a1, a2, b0, b1, b2):
    a0, a1, a2 = _unit3(a0, a1, a2)
    b0, b1, b2 = _unit3(b0, b1, b2)
    c = a0 * b0 + a1 * b1 + a2 * b2
    if c > 1.0:
        c = 1.0
    elif c < -1.0:
        c = -1.0
    return math.degrees(math.acos(c))


@nb.njit(cache=True, nogil=True)
def _signed_sagittal3(a0, a1, a2, b0, b1, b2, l0, l1, l2):
    da = a0 * l0 + a1 * l1 + a2 * l2
    db = b0 * l0 + b1 * l1 + b2 * l2
    p0, p1, p2 = a0 - da * l0, a1 - da * l1, a2 - da * l2
    q0, q1, q2 = b0 - db * l0, b1 - db * l1, b2 - db * l2
    c0 = p1 * q2 - p2 * q1
    c1 = p2 * q0 - p0 * q2
    c2 = p0 * q1 - p1 * q0
    return math.degrees(math.atan2(c0 * l0 + c1 * l1 + c2 * l2, p0 * q0 + p1 * q1 + p2 * q2))


@nb.njit(cache=True, nogil=True)
def contract_angles_batch(points, up, idx, out):
    """The contract angles (station.form.angles.contract_angles, spine baseline 0) of a batch
    of skeletons: points (B, P, 3), up (3,), idx (10,) int: the rows of neck, pelvis, hip_l,
    hip_r, knee_l, knee_r, ankle_l, ankle_r, spine_low, spine_mid. out (B, 7) in
    station.model.ANGLES order: trunk, hip l, hip r, knee l, knee r, spine (deg), shift (m)."""
    for b in range(points.shape[0]):
        P = points[b]
        ne, pe, hl, hr, kl, kr, al, ar, sl, sm = (idx[0], idx[1], idx[2], idx[3], idx[4], idx[5],
                                                  idx[6], idx[7], idx[8], idx[9])
        l0, l1, l2 = _unit3(P[hl, 0] - P[hr, 0], P[hl, 1] - P[hr, 1], P[hl, 2] - P[hr, 2])
        t0, t1, t2 = P[ne, 0] - P[pe, 0], P[ne, 1] - P[pe, 1], P[ne, 2] - P[pe, 2]
        out[b, 0] = _angle_deg3(t0, t1, t2, up[0], up[1], up[2])
        for k in range(2):
            h = hl if k == 0 else hr
            kn = kl if k == 0 else kr
            an = al if k == 0 else ar
            out[b, 1 + k] = _signed_sagittal3(P[h, 0] - P[kn, 0], P[h, 1] - P[kn, 1], P[h, 2] - P[kn, 2],
                                              t0, t1, t2, l0, l1, l2)
            out[b, 3 + k] = 180.0 - _angle_deg3(P[h, 0] - P[kn, 0], P[h, 1] - P[kn, 1], P[h, 2] - P[kn, 2],
                                                P[an, 0] - P[kn, 0], P[an, 1] - P[kn, 1], P[an, 2] - P[kn, 2])
        out[b, 5] = _signed_sagittal3(P[sl, 0] - P[pe, 0], P[sl, 1] - P[pe, 1], P[sl, 2] - P[pe, 2],
                                      P[ne, 0] - P[sm, 0], P[ne, 1] - P[sm, 1], P[ne, 2] - P[sm, 2],
                                      l0, l1, l2)
        m0 = 0.5 * (P[al, 0] + P[ar, 0])
        m1 = 0.5 * (P[al, 1] + P[ar, 1])
        m2 = 0.5 * (P[al, 2] + P[ar, 2])
        out[b, 6] = (P[pe, 0] - m0) * l0 + (P[pe, 1] - m1) * l1 + (P[pe, 2] - m2) * l2


@nb.njit(cache=True, nogil=True)
def round_scaled(x, scale, out, near):
    """out = np.rint(x * scale) / scale for a 1-D float64 x (the analysis document's
    rounding, station.app.rounded_list, scale = 10^nd), and near[i] True where x[i] * scale
    lies within 4 |x[i] scale| 2^-52 (at least twice its spacing) of a half-integer or is
    not finite: only there can Python's round(x, nd) differ from out. Returns how many are
    near. One call for what took ten NumPy calls on a few dozen values (~30 us). NumPy
    twin: station.fit.reference.round_scaled."""
    k = 0
    for i in range(x.shape[0]):
        p = x[i] * scale
        out[i] = np.rint(p) / scale
        f = abs(p - np.floor(p)) - 0.5
        nr = not (abs(f) > 4.0 * abs(p) * 2.220446049250313e-16 + 1e-300)
        near[i] = nr
        if nr:
            k += 1
    return k


@nb.njit(cache=True, nogil=True)
def spd_inverse(A, out):
    """Inverse of a symmetric positive definite matrix (n, n) through its Cholesky factor,
    into out; returns False (out untouched) when A is not positive definite. For the fit's
    32 x 32 information matrices: a few microseconds, no LAPACK call (whose per-call cost
    dominates at this size). NumPy twin: np.linalg.inv."""
    n = A.shape[0]
    L = np.zeros((n, n))
    for j in range(n):
        s = A[j, j]
        for k in range(j):
            s -= L[j, k] * L[j, k]
        if not (s > 0.0):
            return False
        d = math.sqrt(s)
        L[j, j] = d
        for i in range(j + 1, n):
            s = A[i, j]
            for k in range(j):
                s -= L[i, k] * L[j, k]
            L[i, j] = s / d
    # Li = L^-1 (lower triangular)
    Li = np.zeros((n, n))
    for j in range(n):
        Li[j, j] = 1.0 / L[j, j]
        for i in range(j + 1, n):
            s = 0.0
            for k in range(j, i):
                s -= L[i, k] * Li[k, j]
            Li[i, j] = s / L[i, i]
    # A^-1 = Li^T Li
    for i in range(n):
        for j in range(i, n):
            s = 0.0
            for k in range(j, n):
                s += Li[k, i] * Li[k, j]
            out[i, j] = s
            out[j, i] = s
    return True
