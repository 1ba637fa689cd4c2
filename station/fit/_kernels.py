"""numba kernels of the skeleton fitter: pure functions on arrays, outputs preallocated.

House style (STYLE.md): @njit(cache=True, nogil=True), float64 geometry in the floor frame,
int32 indices, thresholds and weights as arguments (never globals). Each kernel has a NumPy
twin of the same name in station.fit.reference, compared by tests/fit/test_kernels.py.

Conventions
-----------
A "twist" is the 6-vector [omega, v] of a rigid motion's velocity: a point x of the segment
moves with omega x x + v. A residual r whose derivative along a direction n at the point x is
wanted has the twist row u = [x x n, n]: dr/dxi = u . xi. Per-segment normal equations
H_seg (n_seg, 6, 6) and g_seg (n_seg, 6) are accumulated from such rows, then mapped to the
DOFs through each DOF's twist (assemble_normal_equations). That keeps the per-point cost at a
6x6 update whatever the number of DOFs.
"""
from __future__ import annotations

import math

import numba as nb
import numpy as np

_EPS = 1e-12


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


@nb.njit(cache=True, nogil=True)
def _closest_on_segment(p0, p1, p2, a0, a1, a2, b0, b1, b2):
    d0 = b0 - a0
    d1 = b1 - a1
    d2 = b2 - a2
    dd = d0 * d0 + d1 * d1 + d2 * d2
    if dd <= _EPS:
        return 0.0
    t = ((p0 - a0) * d0 + (p1 - a1) * d1 + (p2 - a2) * d2) / dd
    if t < 0.0:
        return 0.0
    if t > 1.0:
        return 1.0
    return t


@nb.njit(cache=True, nogil=True)
def nearest_capsule(points, cap_a, cap_b, cap_ra, cap_rb, out_idx, out_dist, out_normal):
    """Each point's nearest tapered capsule surface.

    Distance = |p - c(t)| - r(t), c(t) the closest point of the axis a->b, r linear in t
    (exact for untapered capsules, a close approximation when tapered). Signed: negative
    inside. out_normal = unit (p - c); (0, 0, 1) when p lies on the axis. With no capsules,
    out_idx = -1 and out_dist = inf.
    """
    n_cap = cap_a.shape[0]
    for n in range(points.shape[0]):
        p0, p1, p2 = points[n, 0], points[n, 1], points[n, 2]
        best = np.inf
        bi = -1
        bx = 0.0
        by = 0.0
        bz = 1.0
        for c in range(n_cap):
            t = _closest_on_segment(p0, p1, p2, cap_a[c, 0], cap_a[c, 1], cap_a[c, 2],
                                    cap_b[c, 0], cap_b[c, 1], cap_b[c, 2])
            dx = p0 - (cap_a[c, 0] + t * (cap_b[c, 0] - cap_a[c, 0]))
            dy = p1 - (cap_a[c, 1] + t * (cap_b[c, 1] - cap_a[c, 1]))
            dz = p2 - (cap_a[c, 2] + t * (cap_b[c, 2] - cap_a[c, 2]))
            L = math.sqrt(dx * dx + dy * dy + dz * dz)
            d = L - (cap_ra[c] + t * (cap_rb[c] - cap_ra[c]))
            if d < best:
                best = d
                bi = c
                if L > _EPS:
                    bx = dx / L
                    by = dy / L
                    bz = dz / L
                else:
                    bx = 0.0
                    by = 0.0
                    bz = 1.0
        out_idx[n] = bi
        out_dist[n] = best
        out_normal[n, 0] = bx
        out_normal[n, 1] = by
        out_normal[n, 2] = bz


@nb.njit(cache=True, nogil=True)
def _add_row(H, g, s, x0, x1, x2, n0, n1, n2, w, r):
    """H[s] += w u u^T, g[s] += w u r for the twist row u = [x x n, n]."""
    u = (x1 * n2 - x2 * n1, x2 * n0 - x0 * n2, x0 * n1 - x1 * n0, n0, n1, n2)
    for i in range(6):
        wu = w * u[i]
        g[s, i] += wu * r
        for k in range(6):
            H[s, i, k] += wu * u[k]


@nb.njit(cache=True, nogil=True)
def data_term(points, cap_idx, dist, normal, cap_seg, cap_seg2, gate_m, sigma_m, weight,
              out_H, out_g, out_seg_count, out_stats):
    """Data -> model point-to-plane term, Geman-McClure weighted, gated.

    Residual r = dist (signed distance to the nearest capsule surface) for |dist| < gate_m,
    IRLS weight weight * (sigma^2 / (sigma^2 + r^2))^2 / sigma^2. The derivative of r along
    the model's motion is -n . (velocity of the surface point), so the twist row is -u.
    Adds to out_H, out_g (per segment), out_seg_count (inlier points per segment).
    out_stats (4,): [robust energy (gated points count as saturated: weight each), n inliers,
    sum |r| of inliers, n gated out] (added).
    A capsule with cap_seg < 0 belongs to no segment (an implement in the hands, posed by the
    caller): its points count as explained (energy, inliers) but add no rows.
    cap_seg2 (n_cap,) int32: a second segment that carries the capsule (a kettlebell held in
    both hands), or -1. Then the row goes half to each segment: the gradient is exact for a
    capsule that follows the mean of the two segments' motions, and the Hessian
    (J1'J1 + J2'J2)/2 bounds the exact one from above (a conservative step).
    """
    s2 = sigma_m * sigma_m
    for n in range(points.shape[0]):
        c = cap_idx[n]
        r = dist[n]
        if c < 0 or not (abs(r) < gate_m):
            out_stats[3] += 1.0
            out_stats[0] += weight  # saturated robust cost, so the energy stays comparable
            continue
        k = s2 / (s2 + r * r)
        w = weight * k * k / s2
        s = cap_seg[c]
        if s < 0:
            out_stats[0] += weight * r * r / (s2 + r * r)
            out_stats[1] += 1.0
            out_stats[2] += abs(r)
            continue
        # surface point x = p - r n (the same row for any point on the normal line)
        x0 = points[n, 0] - r * normal[n, 0]
        x1 = points[n, 1] - r * normal[n, 1]
        x2 = points[n, 2] - r * normal[n, 2]
        s_2 = cap_seg2[c]
        if s_2 >= 0:
            w = 0.5 * w
            _add_row(out_H, out_g, s_2, x0, x1, x2, -normal[n, 0], -normal[n, 1], -normal[n, 2], w, r)
        _add_row(out_H, out_g, s, x0, x1, x2, -normal[n, 0], -normal[n, 1], -normal[n, 2], w, r)
        out_seg_count[s] += 1.0
        out_stats[0] += weight * r * r / (s2 + r * r)
        out_stats[1] += 1.0
        out_stats[2] += abs(r)


@nb.njit(cache=True, nogil=True)
def assemble_normal_equations(H_seg, g_seg, dof_twist, seg_chain, out_A, out_b):
    """out_A += sum_s X_s^T H_s X_s, out_b += sum_s X_s^T g_s, X_s = twists of DOFs moving s.

    seg_chain (n_seg, n_dof) uint8: 1 where DOF j moves segment s.
    """
    n_seg = H_seg.shape[0]
    n_dof = dof_twist.shape[0]
    HX = np.empty((6, n_dof))
    for s in range(n_seg):
        for j in range(n_dof):
            if seg_chain[s, j] == 0:
                continue
            for i in range(6):
                acc = 0.0
                for k in range(6):
                    acc += H_seg[s, i, k] * dof_twist[j, k]
                HX[i, j] = acc
            gb = 0.0
            for k in range(6):
                gb += dof_twist[j, k] * g_seg[s, k]
            out_b[j] += gb
        for j in range(n_dof):
            if seg_chain[s, j] == 0:
                continue
            for m in range(j, n_dof):
                if seg_chain[s, m] == 0:
                    continue
                acc = 0.0
                for k in range(6):
                    acc += dof_twist[j, k] * HX[k, m]
                out_A[j, m] += acc
                if m != j:
                    out_A[m, j] += acc


@nb.njit(cache=True, nogil=True)
def dense_rows(seg1, x1, n1, seg2, x2, n2, residual, weight, dof_twist, seg_chain, out_A, out_b):
    """Few residuals touching one or two segments (floor contact, capsule collisions).

    Row j = chain[seg1, j] * u(x1, n1) . xi_j + chain[seg2, j] * u(x2, n2) . xi_j
    (seg2 < 0: no second term). out_A += w row row^T, out_b += w row r.
    """
    n_dof = dof_twist.shape[0]
    row = np.empty(n_dof)
    for q in range(residual.shape[0]):
        w = weight[q]
        if w == 0.0:
            continue
        a = seg1[q]
        b = seg2[q]
        u1 = (x1[q, 1] * n1[q, 2] - x1[q, 2] * n1[q, 1], x1[q, 2] * n1[q, 0] - x1[q, 0] * n1[q, 2],
              x1[q, 0] * n1[q, 1] - x1[q, 1] * n1[q, 0], n1[q, 0], n1[q, 1], n1[q, 2])
        u2 = (x2[q, 1] * n2[q, 2] - x2[q, 2] * n2[q, 1], x2[q, 2] * n2[q, 0] - x2[q, 0] * n2[q, 2],
              x2[q, 0] * n2[q, 1] - x2[q, 1] * n2[q, 0], n2[q, 0], n2[q, 1], n2[q, 2])
        for j in range(n_dof):
            v = 0.0
            if seg_chain[a, j] != 0:
                for k in range(6):
                    v += u1[k] * dof_twist[j, k]
            if b >= 0 and seg_chain[b, j] != 0:
                for k in range(6):
                    v += u2[k] * dof_twist[j, k]
            row[j] = v
        r = residual[q]
        for j in range(n_dof):
            if row[j] == 0.0:
                continue
            out_b[j] += w * row[j] * r
            for m in range(n_dof):
                out_A[j, m] += w * row[j] * row[m]


@nb.njit(cache=True, nogil=True)
def capsule_pair_penetration(cap_a, cap_b, cap_ra, cap_rb, pairs, out_p1, out_p2, out_normal,
                             out_depth):
    """Closest axis points of capsule pairs (Ericson, Real-Time Collision Detection 5.1.9).

    out_p1/out_p2 (k, 3): closest axis points on the first/second capsule; out_normal: unit
    (p1 - p2), (0, 0, 1) if coincident; out_depth: r1 + r2 - |p1 - p2| (> 0 = interpenetrating),
    radii interpolated along each axis.
    """
    for q in range(pairs.shape[0]):
        i = pairs[q, 0]
        j = pairs[q, 1]
        d1 = cap_b[i] - cap_a[i]
        d2 = cap_b[j] - cap_a[j]
        rr = cap_a[i] - cap_a[j]
        a = d1[0] * d1[0] + d1[1] * d1[1] + d1[2] * d1[2]
        e = d2[0] * d2[0] + d2[1] * d2[1] + d2[2] * d2[2]
        f = d2[0] * rr[0] + d2[1] * rr[1] + d2[2] * rr[2]
        s = 0.0
        t = 0.0
        if a <= _EPS and e <= _EPS:
            s = 0.0
            t = 0.0
        elif a <= _EPS:
            s = 0.0
            t = min(max(f / e, 0.0), 1.0)
        else:
            c = d1[0] * rr[0] + d1[1] * rr[1] + d1[2] * rr[2]
            if e <= _EPS:
                t = 0.0
                s = min(max(-c / a, 0.0), 1.0)
            else:
                b = d1[0] * d2[0] + d1[1] * d2[1] + d1[2] * d2[2]
                den = a * e - b * b
                if den > _EPS:
                    s = min(max((b * f - c * e) / den, 0.0), 1.0)
                else:
                    s = 0.0
                t = (b * s + f) / e
                if t < 0.0:
                    t = 0.0
                    s = min(max(-c / a, 0.0), 1.0)
                elif t > 1.0:
                    t = 1.0
                    s = min(max((b - c) / a, 0.0), 1.0)
        L2 = 0.0
        for k in range(3):
            out_p1[q, k] = cap_a[i, k] + s * d1[k]
            out_p2[q, k] = cap_a[j, k] + t * d2[k]
            dk = out_p1[q, k] - out_p2[q, k]
            L2 += dk * dk
        L = math.sqrt(L2)
        if L > _EPS:
            for k in range(3):
                out_normal[q, k] = (out_p1[q, k] - out_p2[q, k]) / L
        else:
            out_normal[q, 0] = 0.0
            out_normal[q, 1] = 0.0
            out_normal[q, 2] = 1.0
        r1 = cap_ra[i] + s * (cap_rb[i] - cap_ra[i])
        r2 = cap_ra[j] + t * (cap_rb[j] - cap_ra[j])
        out_depth[q] = r1 + r2 - L


@nb.njit(cache=True, nogil=True)
def _edt_1d(f, n, v, z, out_d, out_arg):
    """Felzenszwalb-Huttenlocher lower envelope of parabolas f[q] + (x - q)^2."""
    k = 0
    # first finite sample
    first = -1
    for q in range(n):
        if f[q] < np.inf:
            first = q
            break
    if first < 0:
        for q in range(n):
            out_d[q] = np.inf
            out_arg[q] = -1
        return
    v[0] = first
    z[0] = -np.inf
    z[1] = np.inf
    for q in range(first + 1, n):
        if not (f[q] < np.inf):
            continue
        while True:
            p = v[k]
            sx = ((f[q] + q * q) - (f[p] + p * p)) / (2.0 * q - 2.0 * p)
            if sx <= z[k]:
                k -= 1
                if k < 0:
                    break
            else:
                break
        k += 1
        v[k] = q
        z[k] = sx if k > 0 else -np.inf
        z[k + 1] = np.inf
    k = 0
    for q in range(n):
        while z[k + 1] < q:
            k += 1
        p = v[k]
        out_d[q] = (q - p) * (q - p) + f[p]
        out_arg[q] = p


@nb.njit(cache=True, nogil=True)
def distance_transform_nearest(mask, out_dist2, out_near_u, out_near_v):
    """Exact squared Euclidean distance (pixels) to the nearest True pixel, and that pixel.

    mask (h, w) bool. out_dist2 (h, w) float64, out_near_u/out_near_v (h, w) int32;
    inf / -1 everywhere when the mask is empty. Ties may pick any of the nearest pixels.
    """
    h, w = mask.shape
    # pass 1: along columns (v), nearest masked row in the same column
    colv = np.empty((h, w), dtype=np.int32)
    g = np.empty((h, w))
    for u in range(w):
        last = -1
        for v in range(h):
            if mask[v, u]:
                last = v
            colv[v, u] = last
        nxt = -1
        for v in range(h - 1, -1, -1):
            if mask[v, u]:
                nxt = v
            best = colv[v, u]
            if nxt >= 0 and (best < 0 or (nxt - v) < (v - best)):
                best = nxt
            colv[v, u] = best
            if best >= 0:
                g[v, u] = float((v - best) * (v - best))
            else:
                g[v, u] = np.inf
    # pass 2: along rows, lower envelope over u'
    n = w
    f = np.empty(n)
    vv = np.empty(n, dtype=np.int64)
    zz = np.empty(n + 1)
    d = np.empty(n)
    arg = np.empty(n, dtype=np.int64)
    for v in range(h):
        for u in range(w):
            f[u] = g[v, u]
        _edt_1d(f, n, vv, zz, d, arg)
        for u in range(w):
            out_dist2[v, u] = d[u]
            if arg[u] >= 0:
                out_near_u[v, u] = arg[u]
                out_near_v[v, u] = colv[v, arg[u]]
            else:
                out_near_u[v, u] = -1
                out_near_v[v, u] = -1


@nb.njit(cache=True, nogil=True)
def model_to_data_term(samples, normals, sample_seg, cam_pos, R_cam_floor, t_cam_floor,
                       fx, fy, cx, cy, mask, depth, near_u, near_v, depth_margin_m, edge_tol_px,
                       huber_m, w_silhouette, w_freespace, min_height_m, out_H, out_g,
                       out_seg_stats, out_stats):
    """Model -> data: keep the camera-facing model surface inside the silhouette and behind
    the observed depth (free space).

    samples, normals (m, 3) floor frame; cam_pos (3,) camera centre in the floor frame;
    R_cam_floor (3, 3), t_cam_floor (3,) map floor -> camera; fx..cy decimated intrinsics;
    mask (h, w) bool person pixels; depth (h, w) float32 metres, 0 = no data;
    near_u, near_v (h, w) nearest mask pixel (distance_transform_nearest).
    For each sample facing the camera:
      - projects outside the image or outside the mask, and nothing observed in front of it
        (no depth, or depth >= z - margin): residual = its offset (camera x, y) from the
        back-projection of the nearest mask pixel at its own depth (2 rows), w_silhouette;
      - outside the mask with observed depth < z - margin: occluded by something else, none;
      - in the mask with depth > z + margin (the model floats in front of what the camera
        saw through it): residual z - (depth - margin) along the camera z axis, w_freespace;
      - in the mask with depth < z - margin: occluded, none;
      - the silhouette residual is the pixel offset from the nearest mask pixel's centre
        shortened by edge_tol_px (continuous; a limb a few pixels wide has outline samples
        that round off the mask), in metres at the sample's depth; within the tolerance it
        counts as explained.
    Samples lower than min_height_m above the floor (floor frame z) are skipped: the
    segmenter removes the floor's neighbourhood, so the mask says nothing there (unknown,
    not empty). Huber weights with scale huber_m. out_seg_stats (n_seg, 4) adds
    [facing, explained (in mask and |depth - z| <= margin), occluded, outside];
    out_stats (2,) adds [energy, n penalised].
    """
    h, w = mask.shape
    for n in range(samples.shape[0]):
        x0, x1, x2 = samples[n, 0], samples[n, 1], samples[n, 2]
        vx = cam_pos[0] - x0
        vy = cam_pos[1] - x1
        vz = cam_pos[2] - x2
        if normals[n, 0] * vx + normals[n, 1] * vy + normals[n, 2] * vz <= 0.0:
            continue
        if x2 < min_height_m:
            continue
        s = sample_seg[n]
        xc = R_cam_floor[0, 0] * x0 + R_cam_floor[0, 1] * x1 + R_cam_floor[0, 2] * x2 + t_cam_floor[0]
        yc = R_cam_floor[1, 0] * x0 + R_cam_floor[1, 1] * x1 + R_cam_floor[1, 2] * x2 + t_cam_floor[1]
        zc = R_cam_floor[2, 0] * x0 + R_cam_floor[2, 1] * x1 + R_cam_floor[2, 2] * x2 + t_cam_floor[2]
        if zc < 0.05:
            continue
        out_seg_stats[s, 0] += 1.0
        uf = fx * xc / zc + cx
        vf = fy * yc / zc + cy
        ui = int(math.floor(uf + 0.5))
        vi = int(math.floor(vf + 0.5))
        inside_img = 0 <= ui < w and 0 <= vi < h
        uc = min(max(ui, 0), w - 1)
        vc = min(max(vi, 0), h - 1)
        D = depth[vc, uc] if inside_img else 0.0
        in_mask = inside_img and mask[vc, uc]
        if in_mask:
            if D > 0.0 and D < zc - depth_margin_m:
                out_seg_stats[s, 2] += 1.0
                continue
            if D > 0.0 and D > zc + depth_margin_m:
                r = zc - (D - depth_margin_m)
                a = abs(r)
                wt = w_freespace if a <= huber_m else w_freespace * huber_m / a
                # camera z axis in the floor frame = third row of R_cam_floor
                _add_row(out_H, out_g, s, x0, x1, x2, R_cam_floor[2, 0], R_cam_floor[2, 1],
                         R_cam_floor[2, 2], wt, r)
                out_stats[0] += wt * r * r
                out_stats[1] += 1.0
                continue
            out_seg_stats[s, 1] += 1.0
            continue
        if D > 0.0 and D < zc - depth_margin_m:
            out_seg_stats[s, 2] += 1.0
            continue
        nu = near_u[vc, uc]
        nv = near_v[vc, uc]
        if nu < 0:
            out_seg_stats[s, 3] += 1.0
            continue
        # offset (pixels) from the nearest mask pixel, less the edge tolerance (continuous)
        epu = uf - nu
        epv = vf - nv
        L = math.sqrt(epu * epu + epv * epv)
        if L <= edge_tol_px:
            out_seg_stats[s, 1] += 1.0
            continue
        out_seg_stats[s, 3] += 1.0
        k = (L - edge_tol_px) / L
        ex = epu * k * zc / fx
        ey = epv * k * zc / fy
        a = math.sqrt(ex * ex + ey * ey)
        wt = w_silhouette if a <= huber_m else w_silhouette * huber_m / a
        _add_row(out_H, out_g, s, x0, x1, x2, R_cam_floor[0, 0], R_cam_floor[0, 1],
                 R_cam_floor[0, 2], wt, ex)
        _add_row(out_H, out_g, s, x0, x1, x2, R_cam_floor[1, 0], R_cam_floor[1, 1],
                 R_cam_floor[1, 2], wt, ey)
        out_stats[0] += wt * (ex * ex + ey * ey)
        out_stats[1] += 1.0


@nb.njit(cache=True, nogil=True)
def subsample_indices(n_points, max_points, out_idx):
    """Deterministic even stride over n_points; returns how many of out_idx were written."""
    if n_points <= max_points:
        for i in range(n_points):
            out_idx[i] = i
        return n_points
    step = n_points / max_points
    for i in range(max_points):
        out_idx[i] = int(i * step)
    return max_points


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
