"""numba kernels of the fit's confidence (station.fit.confidence): the point Jacobians, the
regularised information and the contract angles' finite-difference gradients.

Each replaces a chain of small NumPy calls on arrays of a few hundred numbers (their
per-call overhead was most of the confidence's ~140 us a frame) with the same arithmetic in
the same order, so the results are NumPy's to the bit: no fused multiply-adds (numba does
not contract without fastmath), products and sums rounded as NumPy rounds them. House style
as station.fit._kernels; the NumPy twins of the same names are in station.fit.reference,
compared bit for bit by tests/fit/test_confidence.py. The exception is
propagated_confidence, whose matrix products sum in loop order rather than BLAS's: equal to
rounding, and compared so.
"""
from __future__ import annotations

import math

import numba as nb
import numpy as np

from station.fit._kernels import contract_angles_batch


@nb.njit(cache=True, nogil=True)
def point_jacobians(points, point_seg, dof_twist, seg_chain, out):
    """out (P, 3, N_DOF) = d point / d theta for points (P, 3) rigid with their segments
    point_seg (P,), from the DOF twists (N_DOF, 6) [omega, v] at the pose: omega x x + v
    where the DOF moves the point's segment (seg_chain (N_SEG, N_DOF) 0/1), else 0.
    np.cross's arithmetic: each component a1 * b2 - a2 * b1, the products rounded."""
    n_dof = dof_twist.shape[0]
    for p in range(points.shape[0]):
        x0, x1, x2 = points[p, 0], points[p, 1], points[p, 2]
        s = point_seg[p]
        for j in range(n_dof):
            w0, w1, w2 = dof_twist[j, 0], dof_twist[j, 1], dof_twist[j, 2]
            c = float(seg_chain[s, j])
            out[p, 0, j] = ((w1 * x2 - w2 * x1) + dof_twist[j, 3]) * c
            out[p, 1, j] = ((w2 * x0 - w0 * x2) + dof_twist[j, 4]) * c
            out[p, 2, j] = ((w0 * x1 - w1 * x0) + dof_twist[j, 5]) * c


@nb.njit(cache=True, nogil=True)
def regularised_information(info, reg, out):
    """out = the symmetric part of info + diag(reg): 0.5 * (A + A^T), A = info + diag(reg)
    (NumPy's `info + np.diag(reg)` adds 0.0 off the diagonal too: kept, for -0.0)."""
    n = info.shape[0]
    for i in range(n):
        for j in range(n):
            a_ij = info[i, j] + (reg[i] if i == j else 0.0)
            a_ji = info[j, i] + (reg[j] if i == j else 0.0)
            out[i, j] = 0.5 * (a_ij + a_ji)


@nb.njit(cache=True, nogil=True)
def angle_point_gradients(points, up, idx, h_m, shift_row, ankle_rows, batch, angles, out):
    """out (len(ANGLES), P*3) = d angle / d point coordinate by forward differences over h_m
    of contract_angles_batch, for the points idx (10,) the angles read (every other column
    0); the row shift_row (the pelvis shift) is 0 for the points ankle_rows. batch
    (1 + 3 len(idx), P, 3) and angles (1 + 3 len(idx), len(ANGLES)) are scratch."""
    n_pt = points.shape[0]
    nk = 3 * idx.shape[0]
    for b in range(nk + 1):
        for p in range(n_pt):
            for c in range(3):
                batch[b, p, c] = points[p, c]
    for k in range(nk):
        batch[k + 1, idx[k // 3], k % 3] += h_m
    contract_angles_batch(batch, up, idx, angles)
    out[:, :] = 0.0
    for k in range(nk):
        col = 3 * idx[k // 3] + k % 3
        for a in range(angles.shape[1]):
            out[a, col] = (angles[k + 1, a] - angles[0, a]) / h_m
    for r in range(ankle_rows.shape[0]):
        j = ankle_rows[r]
        for c in range(3):
            out[shift_row, 3 * j + c] = 0.0


@nb.njit(cache=True, nogil=True)
def propagated_confidence(Jp, cov, G, seg_visibility, visible_full, avg_joint, avg_angle, quality,
                          joint_scale, angle_scale, out_joint_sd, out_angle_sd, out_joint_conf,
                          out_angle_conf):
    """The tail of station.fit.confidence.fit_confidence in one call: the covariance cov
    (N_DOF, N_DOF) propagated to each point (Jp (P, 3, N_DOF): out_joint_sd (P,) =
    sqrt(max(trace(J cov J^T), 0) / 3)) and to each angle (G (A, 3P) the angles' point
    gradients: Ja = G J, out_angle_sd (A,) = sqrt(max(diag(Ja cov Ja^T), 0))); the segments'
    visibility (seg_visibility (N_SEG, 4): explained over facing, 0 where none face, over
    visible_full, clipped to 0..1) averaged per point and per angle (avg_joint (P, N_SEG),
    avg_angle (A, N_SEG)); and the confidences clip(visibility x quality x
    1 / (1 + (sd / scale)^4), 0, 1) into out_joint_conf (P,), out_angle_conf (A,).

    The same terms as the NumPy code (station.fit.reference.propagated_confidence), not
    its BLAS products' summation order: equal to rounding (~1e-16 relative). It replaces a
    dozen small NumPy and BLAS calls (~0.1 ms a frame) with one."""
    n_pt = Jp.shape[0]
    n_dof = cov.shape[0]
    n_ang = G.shape[0]
    n_seg = seg_visibility.shape[0]
    row = np.empty(n_dof)
    # the points: sum over their 3 rows r of J_r cov J_r^T
    for p in range(n_pt):
        v = 0.0
        for c in range(3):
            row[:] = 0.0
            for k in range(n_dof):
                jk = Jp[p, c, k]
                if jk != 0.0:
                    for j in range(n_dof):
                        row[j] += jk * cov[k, j]
            s = 0.0
            for j in range(n_dof):
                s += row[j] * Jp[p, c, j]
            v += s
        out_joint_sd[p] = np.sqrt(max(v, 0.0) / 3.0)
    # the angles: Ja = G J (G is zero but for the points the angles read)
    ja = np.empty(n_dof)
    for a in range(n_ang):
        ja[:] = 0.0
        for col in range(3 * n_pt):
            g = G[a, col]
            if g != 0.0:
                p = col // 3
                c = col % 3
                for j in range(n_dof):
                    ja[j] += g * Jp[p, c, j]
        row[:] = 0.0
        for k in range(n_dof):
            jk = ja[k]
            if jk != 0.0:
                for j in range(n_dof):
                    row[j] += jk * cov[k, j]
        s = 0.0
        for j in range(n_dof):
            s += row[j] * ja[j]
        out_angle_sd[a] = np.sqrt(max(s, 0.0))
    vis = np.empty(n_seg)
    for i in range(n_seg):
        facing = seg_visibility[i, 0]
        x = seg_visibility[i, 1] / max(facing, 1.0) if facing > 0 else 0.0
        x = x / visible_full
        vis[i] = x if math.isnan(x) else min(max(x, 0.0), 1.0)
    for p in range(n_pt):
        s = 0.0
        for i in range(n_seg):
            s += avg_joint[p, i] * vis[i]
        r = out_joint_sd[p] / joint_scale
        x = s * quality * (1.0 / (1.0 + r ** 4.0))
        out_joint_conf[p] = x if math.isnan(x) else min(max(x, 0.0), 1.0)
    for a in range(n_ang):
        s = 0.0
        for i in range(n_seg):
            s += avg_angle[a, i] * vis[i]
        r = out_angle_sd[a] / angle_scale[a]
        x = s * quality * (1.0 / (1.0 + r ** 4.0))
        out_angle_conf[a] = x if math.isnan(x) else min(max(x, 0.0), 1.0)
