"""Slow, plain-NumPy twins of station.sim._mesh_kernels, for the tests only."""
from __future__ import annotations

import numpy as np


def skin_lbs(rest_m, weight_bone, weight, R_bone, t_bone) -> np.ndarray:
    """(n, 3) Σ_k w · (R[b] · rest + t[b]), one bone at a time."""
    out = np.zeros_like(rest_m, dtype=np.float64)
    for k in range(weight.shape[1]):
        b = weight_bone[:, k]
        moved = np.einsum("nij,nj->ni", R_bone[b], rest_m) + t_bone[b]
        out += weight[:, k, None] * moved
    return out


def rasterise_triangles(verts_cam_m, triangles, fx, fy, ppx, ppy, near_m, label, index_offset,
                        depth_m, index, labels):
    """Returns new (depth, index, label) images: every triangle tested against every pixel."""
    depth = np.array(depth_m, np.float64)
    index = np.array(index)
    labels = np.array(labels)
    H, W = depth.shape
    vv, uu = np.mgrid[0:H, 0:W].astype(np.float64)
    for t, (i0, i1, i2) in enumerate(np.asarray(triangles)):
        P = np.asarray(verts_cam_m, np.float64)[[i0, i1, i2]]
        if (P[:, 2] < near_m).any():
            continue
        u = fx * P[:, 0] / P[:, 2] + ppx
        v = fy * P[:, 1] / P[:, 2] + ppy
        area = (u[1] - u[0]) * (v[2] - v[0]) - (u[2] - u[0]) * (v[1] - v[0])
        if abs(area) < 1e-12:
            continue
        b0 = ((u[1] - uu) * (v[2] - vv) - (u[2] - uu) * (v[1] - vv)) / area
        b1 = ((u[2] - uu) * (v[0] - vv) - (u[0] - uu) * (v[2] - vv)) / area
        b2 = 1.0 - b0 - b1
        inside = (b0 >= 0) & (b1 >= 0) & (b2 >= 0)
        with np.errstate(divide="ignore"):
            z = 1.0 / (b0 / P[0, 2] + b1 / P[1, 2] + b2 / P[2, 2])
        win = inside & ((depth == 0) | (z < depth))
        depth[win] = z[win]
        index[win] = index_offset + t
        labels[win] = label
    return depth.astype(np.float32), index, labels
