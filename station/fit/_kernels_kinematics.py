"""numba kernels of the skeleton fitter: the kinematic chain (pose -> segment transforms,
each DOF's twist) and segment-local points and vectors to the floor frame.

House style as station.fit._kernels (pure functions on arrays, outputs preallocated, NumPy
twins of the same name in station.fit.reference compared by tests/fit/test_kernels.py).
"""
from __future__ import annotations

import math

import numba as nb
import numpy as np


@nb.njit(cache=True, nogil=True)
def _rodrigues(axis, angle, out_R):
    x, y, z = axis[0], axis[1], axis[2]
    c = math.cos(angle)
    s = math.sin(angle)
    C = 1.0 - c
    out_R[0, 0] = c + x * x * C
    out_R[0, 1] = x * y * C - z * s
    out_R[0, 2] = x * z * C + y * s
    out_R[1, 0] = y * x * C + z * s
    out_R[1, 1] = c + y * y * C
    out_R[1, 2] = y * z * C - x * s
    out_R[2, 0] = z * x * C - y * s
    out_R[2, 1] = z * y * C + x * s
    out_R[2, 2] = c + z * z * C


@nb.njit(cache=True, nogil=True)
def forward_kinematics(theta, seg_parent, seg_offset, dof_seg, dof_type, dof_axis,
                       out_seg_R, out_seg_t, out_dof_twist):
    """Segment frames and DOF twists for a pose.

    theta (n_dof,) float64; seg_parent (n_seg,) int32 (parents before children, -1 = root);
    seg_offset (n_seg, 3) joint position in the parent frame; dof_seg (n_dof,) int32;
    dof_type (n_dof,) int32 (0 prismatic, 1 revolute); dof_axis (n_dof, 3) local axes.
    Out: out_seg_R (n_seg, 3, 3), out_seg_t (n_seg, 3) world (floor) frames;
    out_dof_twist (n_dof, 6): [axis_w, pivot_w x axis_w] (revolute) or [0, axis_w] (prismatic).
    """
    n_seg = seg_parent.shape[0]
    n_dof = theta.shape[0]
    Rj = np.empty((3, 3))
    Rn = np.empty((3, 3))
    aw = np.empty(3)
    for s in range(n_seg):
        p = seg_parent[s]
        for i in range(3):
            if p < 0:
                out_seg_t[s, i] = seg_offset[s, i]
                for k in range(3):
                    out_seg_R[s, i, k] = 1.0 if i == k else 0.0
            else:
                out_seg_t[s, i] = (out_seg_t[p, i] + out_seg_R[p, i, 0] * seg_offset[s, 0]
                                   + out_seg_R[p, i, 1] * seg_offset[s, 1]
                                   + out_seg_R[p, i, 2] * seg_offset[s, 2])
                for k in range(3):
                    out_seg_R[s, i, k] = out_seg_R[p, i, k]
        for j in range(n_dof):
            if dof_seg[j] != s:
                continue
            for i in range(3):
                aw[i] = (out_seg_R[s, i, 0] * dof_axis[j, 0] + out_seg_R[s, i, 1] * dof_axis[j, 1]
                         + out_seg_R[s, i, 2] * dof_axis[j, 2])
            if dof_type[j] == 0:
                for i in range(3):
                    out_seg_t[s, i] += aw[i] * theta[j]
                    out_dof_twist[j, i] = 0.0
                    out_dof_twist[j, 3 + i] = aw[i]
            else:
                t = out_seg_t[s]
                out_dof_twist[j, 0] = aw[0]
                out_dof_twist[j, 1] = aw[1]
                out_dof_twist[j, 2] = aw[2]
                out_dof_twist[j, 3] = t[1] * aw[2] - t[2] * aw[1]
                out_dof_twist[j, 4] = t[2] * aw[0] - t[0] * aw[2]
                out_dof_twist[j, 5] = t[0] * aw[1] - t[1] * aw[0]
                _rodrigues(dof_axis[j], theta[j], Rj)
                for i in range(3):
                    for k in range(3):
                        Rn[i, k] = (out_seg_R[s, i, 0] * Rj[0, k] + out_seg_R[s, i, 1] * Rj[1, k]
                                    + out_seg_R[s, i, 2] * Rj[2, k])
                for i in range(3):
                    for k in range(3):
                        out_seg_R[s, i, k] = Rn[i, k]


@nb.njit(cache=True, nogil=True)
def points_to_world(seg_R, seg_t, point_seg, point_local, out_world):
    """out_world[i] = R[seg[i]] @ local[i] + t[seg[i]] (floor frame)."""
    for n in range(point_seg.shape[0]):
        s = point_seg[n]
        for i in range(3):
            out_world[n, i] = (seg_t[s, i] + seg_R[s, i, 0] * point_local[n, 0]
                               + seg_R[s, i, 1] * point_local[n, 1] + seg_R[s, i, 2] * point_local[n, 2])


@nb.njit(cache=True, nogil=True)
def vectors_to_world(seg_R, point_seg, vec_local, out_world):
    """out_world[i] = R[seg[i]] @ vec_local[i]."""
    for n in range(point_seg.shape[0]):
        s = point_seg[n]
        for i in range(3):
            out_world[n, i] = (seg_R[s, i, 0] * vec_local[n, 0] + seg_R[s, i, 1] * vec_local[n, 1]
                               + seg_R[s, i, 2] * vec_local[n, 2])
