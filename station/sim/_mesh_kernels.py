"""Numba kernels of the mesh athlete (@njit only): skinning and z-buffer triangle rasterising.

Pure functions on arrays, preallocated `out_*` arrays, no globals read inside. NumPy twins
for the tests live in station.sim.mesh_reference.

Pixel convention (the same as station.sim._render_kernels): pixel (u, v) looks along
((u - ppx)/fx, (v - ppy)/fy, 1), i.e. pixel centres sit at integer image coordinates, and a
depth buffer holds camera z in metres with 0 meaning "nothing there".
"""
from __future__ import annotations

import math

import numba as nb


@nb.njit(cache=True, nogil=True)
def skin_lbs(rest_m, weight_bone, weight, R_bone, t_bone, out_m):
    """Linear-blend skinning: out[v] = Σ_k weight[v,k] · (R[b] · rest[v] + t[b]), b = weight_bone[v,k].

    rest_m (n, 3) float64; weight_bone (n, k) int64; weight (n, k) float64;
    R_bone (n_bones, 3, 3); t_bone (n_bones, 3); out_m (n, 3).
    """
    n = rest_m.shape[0]
    K = weight.shape[1]
    for v in range(n):
        x = rest_m[v, 0]
        y = rest_m[v, 1]
        z = rest_m[v, 2]
        ox = 0.0
        oy = 0.0
        oz = 0.0
        for k in range(K):
            w = weight[v, k]
            if w == 0.0:
                continue
            b = weight_bone[v, k]
            ox += w * (R_bone[b, 0, 0] * x + R_bone[b, 0, 1] * y + R_bone[b, 0, 2] * z + t_bone[b, 0])
            oy += w * (R_bone[b, 1, 0] * x + R_bone[b, 1, 1] * y + R_bone[b, 1, 2] * z + t_bone[b, 1])
            oz += w * (R_bone[b, 2, 0] * x + R_bone[b, 2, 1] * y + R_bone[b, 2, 2] * z + t_bone[b, 2])
        out_m[v, 0] = ox
        out_m[v, 1] = oy
        out_m[v, 2] = oz


@nb.njit(cache=True, nogil=True)
def rasterise_triangles(verts_cam_m, triangles, fx, fy, ppx, ppy, near_m, label, index_offset,
                        depth_m, out_index, out_label):
    """Z-buffer triangles into existing depth/index/label images (in place).

    verts_cam_m (n, 3) camera frame, metres; triangles (m, 3) int32. A pixel whose centre lies
    inside a triangle (edges included) takes the triangle's depth there (1/z interpolated
    linearly in the image, i.e. perspective-correct) when it is nearer than what depth_m holds
    (0 = nothing). Triangles with a vertex nearer than near_m are skipped (the athlete never
    comes that close). Written pixels get out_index = index_offset + triangle, out_label = label.
    """
    H = depth_m.shape[0]
    W = depth_m.shape[1]
    m = triangles.shape[0]
    for t in range(m):
        i0 = triangles[t, 0]
        i1 = triangles[t, 1]
        i2 = triangles[t, 2]
        z0 = verts_cam_m[i0, 2]
        z1 = verts_cam_m[i1, 2]
        z2 = verts_cam_m[i2, 2]
        if z0 < near_m or z1 < near_m or z2 < near_m:
            continue
        u0 = fx * verts_cam_m[i0, 0] / z0 + ppx
        v0 = fy * verts_cam_m[i0, 1] / z0 + ppy
        u1 = fx * verts_cam_m[i1, 0] / z1 + ppx
        v1 = fy * verts_cam_m[i1, 1] / z1 + ppy
        u2 = fx * verts_cam_m[i2, 0] / z2 + ppx
        v2 = fy * verts_cam_m[i2, 1] / z2 + ppy
        area = (u1 - u0) * (v2 - v0) - (u2 - u0) * (v1 - v0)
        if abs(area) < 1e-12:
            continue
        umin = max(0, int(math.ceil(min(u0, min(u1, u2)))))
        umax = min(W - 1, int(math.floor(max(u0, max(u1, u2)))))
        vmin = max(0, int(math.ceil(min(v0, min(v1, v2)))))
        vmax = min(H - 1, int(math.floor(max(v0, max(v1, v2)))))
        if umin > umax or vmin > vmax:
            continue
        inv = 1.0 / area
        iz0 = 1.0 / z0
        iz1 = 1.0 / z1
        iz2 = 1.0 / z2
        for v in range(vmin, vmax + 1):
            for u in range(umin, umax + 1):
                # barycentric weights of the pixel centre (signed areas / total)
                b0 = ((u1 - u) * (v2 - v) - (u2 - u) * (v1 - v)) * inv
                b1 = ((u2 - u) * (v0 - v) - (u0 - u) * (v2 - v)) * inv
                b2 = 1.0 - b0 - b1
                if b0 < 0.0 or b1 < 0.0 or b2 < 0.0:
                    continue
                z = 1.0 / (b0 * iz0 + b1 * iz1 + b2 * iz2)
                d = depth_m[v, u]
                if d == 0.0 or z < d:
                    depth_m[v, u] = z
                    out_index[v, u] = index_offset + t
                    out_label[v, u] = label
