"""numba kernels of the skeleton fitter: the energy's normal equations (data -> model and
model -> data terms per segment, dense rows, the map to the DOFs).

House style as station.fit._kernels (pure functions on arrays, outputs preallocated, NumPy
twins of the same name in station.fit.reference compared by tests/fit/test_kernels.py).

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

# A foot on the floor rests on its sole: while one of its sole points (heel or toe) is within
# the floor's contact band, the other is pulled onto the floor too from up to this high. The
# band alone (0.04 m) let the fit stand a lifter on his toes, the heel 5-7 cm up out of its
# reach, where a leg too short explains him as well as his own (the segmenter drops the
# floor's neighbourhood, so a foot has few points of its own): the mesh athlete's slim 1.82 m
# man G had his legs measured 0.99 of the table's for his own 1.03 (1.01-1.03 with this) and
# his ankles 29 mm high (10 mm with it). A foot lifted off the floor (a knee raise, a step)
# has neither point in the band and is let go; a heel raised higher than this on purpose is
# too. The sole points come in (heel, toe) pairs per foot (body_model.build_body's sole_seg)
SOLE_REACH_M = 0.10
# A person stands on a foot. With both feet fitted higher than SUPPORT_FREE_M (no sole point
# in the band or within reach of it), the lowest sole point is pulled back down to that height
# (sd SUPPORT_SIGMA_M): a leg with nothing of its own to fit (hidden behind a plate on the walk
# in) was folded up to the hips to reach points that were not the person's, both feet 0.2-0.46 m
# off the floor. Below that height the feet are left to the fit: a body measured short floats
# its feet a few cm, and pulling them down bends it elsewhere
SUPPORT_FREE_M = 0.10
SUPPORT_SIGMA_M = 0.05


@nb.njit(cache=True, nogil=True)
def _add_row(H, g, s, x0, x1, x2, n0, n1, n2, w, r):
    """H[s] += w u u^T (its upper triangle only: _mirror_upper completes it), g[s] += w u r
    for the twist row u = [x x n, n]."""
    u = (x1 * n2 - x2 * n1, x2 * n0 - x0 * n2, x0 * n1 - x1 * n0, n0, n1, n2)
    for i in range(6):
        wu = w * u[i]
        g[s, i] += wu * r
        for k in range(i, 6):
            H[s, i, k] += wu * u[k]


@nb.njit(cache=True, nogil=True)
def _mirror_upper(H):
    """H[s]'s lower triangle set to its upper one (_add_row accumulates the upper only)."""
    for s in range(H.shape[0]):
        for i in range(1, 6):
            for k in range(i):
                H[s, i, k] = H[s, k, i]


@nb.njit(cache=True, nogil=True)
def data_energy(cap_idx, dist, cap_seg, gate_m, sigma_m, weight, out_seg_count, out_stats):
    """Data -> model point-to-plane term, Geman-McClure weighted, gated: its statistics
    (what an LM trial needs to be accepted or rejected); data_rows adds its rows (what an
    accepted trial needs).

    Residual r = dist (signed distance to the nearest capsule surface) for |dist| < gate_m,
    IRLS weight weight * (sigma^2 / (sigma^2 + r^2))^2 / sigma^2.
    Adds to out_seg_count (inlier points per segment); data_rows adds the rows to out_H,
    out_g (per segment).
    out_stats (4,): [robust energy (gated points count as saturated: weight each), n inliers,
    sum |r| of inliers, n gated out] (added).
    A capsule with cap_seg < 0 belongs to no segment (an implement in the hands, posed by the
    caller): its points count as explained (energy, inliers) but add no rows.
    """
    s2 = sigma_m * sigma_m
    for n in range(cap_idx.shape[0]):
        c = cap_idx[n]
        r = dist[n]
        if c < 0 or not (abs(r) < gate_m):
            out_stats[3] += 1.0
            out_stats[0] += weight  # saturated robust cost, so the energy stays comparable
            continue
        s = cap_seg[c]
        if s >= 0:
            out_seg_count[s] += 1.0
        out_stats[0] += weight * r * r / (s2 + r * r)
        out_stats[1] += 1.0
        out_stats[2] += abs(r)


@nb.njit(cache=True, nogil=True)
def data_rows(points, cap_idx, dist, normal, cap_seg, cap_seg2, gate_m, sigma_m, weight, out_H,
              out_g):
    """The data term's rows (data_energy's residuals and weights) into out_H, out_g (added per
    segment; out_H[s] symmetric: the upper triangle is accumulated, then mirrored): the part
    an accepted LM trial needs. The derivative of r along the model's motion is
    -n . (velocity of the surface point), so the twist row is -u. A capsule of no segment
    (cap_seg < 0) adds no rows. cap_seg2 (n_cap,) int32: a second segment that carries the
    capsule (a kettlebell held in both hands), or -1. Then the row goes half to each segment:
    the gradient is exact for a capsule that follows the mean of the two segments' motions,
    and the Hessian (J1'J1 + J2'J2)/2 bounds the exact one from above (a conservative step).
    """
    s2 = sigma_m * sigma_m
    for n in range(points.shape[0]):
        c = cap_idx[n]
        r = dist[n]
        if c < 0 or not (abs(r) < gate_m):
            continue
        s = cap_seg[c]
        if s < 0:
            continue
        k = s2 / (s2 + r * r)
        w = weight * k * k / s2
        # surface point x = p - r n (the same row for any point on the normal line)
        x0 = points[n, 0] - r * normal[n, 0]
        x1 = points[n, 1] - r * normal[n, 1]
        x2 = points[n, 2] - r * normal[n, 2]
        s_2 = cap_seg2[c]
        if s_2 >= 0:
            w = 0.5 * w
            _add_row(out_H, out_g, s_2, x0, x1, x2, -normal[n, 0], -normal[n, 1], -normal[n, 2], w, r)
        _add_row(out_H, out_g, s, x0, x1, x2, -normal[n, 0], -normal[n, 1], -normal[n, 2], w, r)
    _mirror_upper(out_H)


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
def nearest_depth_around(depth, v, u):
    """The nearest (smallest) valid depth (> 0) among pixel (v, u) and its 8 neighbours, 0
    where none is valid. Free space reads it where the pixel itself saw through the model:
    a rim sample of the bent trunk rounds onto the far side of the depth edge against the
    thighs about as often as not, and the sensor's noise decides which; tested on the
    pixel alone, a noisier sensor pushed the rim back one-sidedly and bent the spine."""
    h, w = depth.shape
    best = np.inf
    for vv in range(max(v - 1, 0), min(v + 2, h)):
        for uu in range(max(u - 1, 0), min(u + 2, w)):
            d = float(depth[vv, uu])
            if d > 0.0 and d < best:      # NaN fails both
                best = d
    return best if best < np.inf else 0.0


@nb.njit(cache=True, nogil=True)
def model_to_data_energy(samples, normals, sample_seg, cam_pos, R_cam_floor, t_cam_floor,
                         fx, fy, cx, cy, mask, depth, near_u, near_v, depth_margin_m,
                         depth_edge_m, edge_tol_px, huber_m, w_silhouette, w_freespace, min_height_m,
                         out_seg_stats, out_stats, rec):
    """Model -> data: keep the camera-facing model surface inside the silhouette and behind
    the observed depth (free space): its statistics and energy, and its rows recorded.

    samples, normals (m, 3) floor frame; cam_pos (3,) camera centre in the floor frame;
    R_cam_floor (3, 3), t_cam_floor (3,) map floor -> camera; fx..cy decimated intrinsics;
    mask (h, w) bool person pixels; depth (h, w) float32 metres, 0 = no data;
    near_u, near_v (h, w) nearest mask pixel (distance_transform_nearest).
    For each sample facing the camera:
      - projects outside the image or outside the mask, and nothing observed in front of it
        or at its depth (no depth, or depth >= z + margin): residual = its offset (camera x,
        y) from the back-projection of the nearest mask pixel at its own depth (2 rows),
        w_silhouette;
      - outside the mask with observed depth < z + margin: occluded by something else, or a
        surface at its depth that the segmenter left out of the person, none;
      - in the mask with depth > z + margin (the model floats in front of what the camera
        saw through it): residual z - (depth - margin) along the camera z axis,
        w_freespace; but none, counted occluded, where the pixel is the far side of a depth
        edge (nearest_depth_around: a pixel next to it saw a surface no further than the
        sample's depth plus the margin, and this one depth_edge_m beyond that pixel or
        more), as at the bent trunk's rim over the thighs;
      - in the mask with depth < z - margin: occluded, none;
      - the silhouette residual is the pixel offset from the nearest mask pixel's centre
        shortened by edge_tol_px (continuous; a limb a few pixels wide has outline samples
        that round off the mask), in metres at the sample's depth; within the tolerance it
        counts as explained.
    Samples lower than min_height_m above the floor (floor frame z) are skipped: the
    segmenter removes the floor's neighbourhood, so the mask says nothing there (unknown,
    not empty). Huber weights with scale huber_m. out_seg_stats (n_seg, 4) adds
    [facing, explained (in mask and |depth - z| <= margin), occluded (or on a depth edge),
    outside];
    out_stats (2,) adds [energy, n penalised]. The rows are not added but recorded per
    sample in rec (m, 4): [kind, weight, residual(s)], kind 0 no row, 1 free space (residual
    rec[n, 2]), 2 silhouette (rec[n, 2], rec[n, 3] along the camera's x, y), for
    model_to_data_rows (what an accepted LM trial needs).
    """
    h, w = mask.shape
    for n in range(samples.shape[0]):
        rec[n, 0] = 0.0
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
        # float64, as numba computes it: NumPy 2 keeps a float32 scalar minus a float in float32,
        # and a NUMBA_DISABLE_JIT run (coverage) would differ
        D = float(depth[vc, uc]) if inside_img else 0.0
        in_mask = inside_img and mask[vc, uc]
        if in_mask:
            if D > 0.0 and D < zc - depth_margin_m:
                out_seg_stats[s, 2] += 1.0
                continue
            if D > 0.0 and D > zc + depth_margin_m:
                # the far side of a depth edge, the sample's depth seen next to it: the
                # sample's rim rounded onto the wrong side (the noisier the sensor, the more
                # often), not empty space
                Dn = nearest_depth_around(depth, vc, uc)
                if Dn <= zc + depth_margin_m and D - Dn >= depth_edge_m:
                    # not evidence either way: counted with the hidden (the confidence's
                    # visibility counts only what the depth explains)
                    out_seg_stats[s, 2] += 1.0
                    continue
                r = zc - (D - depth_margin_m)
                a = abs(r)
                wt = w_freespace if a <= huber_m else w_freespace * huber_m / a
                # camera z axis in the floor frame = third row of R_cam_floor
                rec[n, 0], rec[n, 1], rec[n, 2] = 1.0, wt, r
                out_stats[0] += wt * r * r
                out_stats[1] += 1.0
                continue
            out_seg_stats[s, 1] += 1.0
            continue
        # outside the mask: something nearer hides the sample, or a surface lies at its depth
        # that the segmenter left out of the person (a walker's shanks below a plate that cuts
        # them off the body): neither says the camera saw nothing there
        if D > 0.0 and D < zc + depth_margin_m:
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
        rec[n, 0], rec[n, 1], rec[n, 2], rec[n, 3] = 2.0, wt, ex, ey
        out_stats[0] += wt * (ex * ex + ey * ey)
        out_stats[1] += 1.0


@nb.njit(cache=True, nogil=True)
def model_to_data_rows(samples, sample_seg, R_cam_floor, rec, out_H, out_g):
    """The rows model_to_data_energy recorded in rec into out_H, out_g (added in sample
    order, then out_H mirrored; out_H[s] symmetric)."""
    for n in range(samples.shape[0]):
        kind = rec[n, 0]
        if kind == 0.0:
            continue
        x0, x1, x2 = samples[n, 0], samples[n, 1], samples[n, 2]
        s = sample_seg[n]
        wt = rec[n, 1]
        if kind == 1.0:   # free space: along the camera's z axis (R_cam_floor's third row)
            _add_row(out_H, out_g, s, x0, x1, x2, R_cam_floor[2, 0], R_cam_floor[2, 1],
                     R_cam_floor[2, 2], wt, rec[n, 2])
            continue
        _add_row(out_H, out_g, s, x0, x1, x2, R_cam_floor[0, 0], R_cam_floor[0, 1],
                 R_cam_floor[0, 2], wt, rec[n, 2])
        _add_row(out_H, out_g, s, x0, x1, x2, R_cam_floor[1, 0], R_cam_floor[1, 1],
                 R_cam_floor[1, 2], wt, rec[n, 3])
    _mirror_upper(out_H)


@nb.njit(cache=True, nogil=True)
def contact_rows(sole, cp1, cp2, cn, cdepth, pair_slack_m, slack_m, w_below, band_m, w_band,
                 w_collision, ankles, anchor_target, n_anchor, out_x1, out_x2, out_n1, out_n2,
                 out_res, out_w):
    """The dense rows of the floor, the collisions and the feet anchors, in that order.

    Floor (one row per sole point, normal preset to up): residual its height z, weight
    w_below under the floor, w_band within band_m above it or within SOLE_REACH_M when the
    foot's other sole point is within band_m, else 0; but with no sole point weighted so and
    the lowest higher than SUPPORT_FREE_M, that one's residual is its height above
    SUPPORT_FREE_M, weight 1 / SUPPORT_SIGMA_M^2 (a person stands on a foot). Collisions (one per
    capsule pair): between the closest axis points cp1, cp2 along -cn / cn, residual the
    penetration cdepth - slack_m - pair_slack_m, weight w_collision when > 0, else 0.
    Anchors (n_anchor = 6 rows or 0: x, y, z of each ankle, normals preset to the axes):
    residual (ankle - target) . normal. anchor_target (n_anchor, 5): the target, then the
    weight w0 and a release scale s (0: the rows weigh w0); the rows of an ankle at distance
    d from its target weigh w0 s^2 / (s^2 + d^2): their
    energy is Geman-McClure's, w0 s^2 d^2 / (s^2 + d^2), at most w0 s^2 (a foot lifted
    far off its anchor is let go).
    """
    ns = sole.shape[0]
    for i in range(ns):
        z = sole[i, 2]
        out_res[i] = z
        if z < 0.0:
            out_w[i] = w_below
        elif z < band_m or (sole[i ^ 1, 2] < band_m and z < SOLE_REACH_M):
            # within the band; or its foot's other sole point is (heel and toe come in pairs,
            # 2k and 2k + 1): a foot on the floor rests on its sole
            out_w[i] = w_band
        else:
            out_w[i] = 0.0
        for k in range(3):
            out_x1[i, k] = sole[i, k]
    # a person stands on a foot (SUPPORT_FREE_M)
    lowest = -1
    for i in range(ns):
        if out_w[i] > 0.0:
            lowest = -2
            break
        if lowest == -1 or sole[i, 2] < sole[lowest, 2]:
            lowest = i
    if lowest >= 0 and sole[lowest, 2] > SUPPORT_FREE_M:
        out_res[lowest] = sole[lowest, 2] - SUPPORT_FREE_M
        out_w[lowest] = 1.0 / (SUPPORT_SIGMA_M * SUPPORT_SIGMA_M)
    for q in range(cp1.shape[0]):
        r = ns + q
        for k in range(3):
            out_x1[r, k] = cp1[q, k]
            out_x2[r, k] = cp2[q, k]
            out_n1[r, k] = -cn[q, k]
            out_n2[r, k] = cn[q, k]
        pen = cdepth[q] - slack_m - pair_slack_m[q]
        out_res[r] = pen
        out_w[r] = w_collision if pen > 0.0 else 0.0
    r0 = ns + cp1.shape[0]
    for a in range(n_anchor):
        r = r0 + a
        for k in range(3):
            out_x1[r, k] = ankles[a // 3, k]
        out_res[r] = (((out_x1[r, 0] - anchor_target[a, 0]) * out_n1[r, 0]
                       + (out_x1[r, 1] - anchor_target[a, 1]) * out_n1[r, 1])
                      + (out_x1[r, 2] - anchor_target[a, 2]) * out_n1[r, 2])
        if anchor_target[a, 4] > 0.0:
            j = a // 3
            d0 = ankles[j, 0] - anchor_target[a, 0]
            d1 = ankles[j, 1] - anchor_target[a, 1]
            d2 = ankles[j, 2] - anchor_target[a, 2]
            s2 = anchor_target[a, 4] * anchor_target[a, 4]
            out_w[r] = anchor_target[a, 3] * s2 / (s2 + ((d0 * d0 + d1 * d1) + d2 * d2))
        else:
            out_w[r] = anchor_target[a, 3]


@nb.njit(cache=True, nogil=True)
def _difference_term(A, b, ja, jb, w, r):
    """A term w r^2 with r = theta[ja] - theta[jb] (+ a constant) into the normal equations:
    its gradient's half (+w r, -w r) and Gauss-Newton Hessian's half."""
    b[ja] += w * r
    b[jb] -= w * r
    A[ja, ja] += w
    A[jb, jb] += w
    A[ja, jb] -= w
    A[jb, ja] -= w


@nb.njit(cache=True, nogil=True)
def diagonal_terms(theta, theta_pred, use_pred, lower, upper, finite_lo, finite_hi, limit_w,
                   prior_w, temporal_w, knee_hip, knee_margin_rad, knee_w, A, b, out_e_prior,
                   out_e_knee, out_e_temporal, pair_dofs, pair_w, pair_mu):
    """The per-DOF terms added to the normal equations A, b: soft joint limits (weight
    limit_w outside [lower, upper]), the prior towards 0 (prior_w), the knee-fold term per
    (knee, hip) pair of knee_hip (knee_w when knee - hip > knee_margin_rad; 0 = off), the
    smoothness pairs (pair_dofs (q, 2): pair_w (theta_a - theta_b - pair_mu)^2, pair_mu the
    pair's centre (a person's rest, body_model.StandingRest), its energy added to theta_a's
    prior entry) and, with use_pred, the temporal term towards theta_pred
    (temporal_w). Their energies per DOF (out_e_prior, out_e_temporal) and per pair
    (out_e_knee) are written, not summed."""
    n = theta.shape[0]
    diag = np.empty(n)
    for j in range(n):
        over = finite_hi[j] and theta[j] > upper[j]
        under = finite_lo[j] and theta[j] < lower[j]
        lim_r = theta[j] - upper[j] if over else (theta[j] - lower[j] if under else 0.0)
        lim_on = limit_w if (over or under) else 0.0
        diag[j] = lim_on + prior_w[j]
        b[j] += lim_on * lim_r + prior_w[j] * theta[j]
        out_e_prior[j] = lim_on * (lim_r * lim_r) + prior_w[j] * (theta[j] * theta[j])
    for p in range(knee_hip.shape[0]):
        kj = knee_hip[p, 0]
        hj = knee_hip[p, 1]
        r = theta[kj] - theta[hj] - knee_margin_rad
        out_e_knee[p] = 0.0
        if knee_w > 0 and r > 0:
            _difference_term(A, b, kj, hj, knee_w, r)
            out_e_knee[p] = knee_w * r * r
    # smoothness pairs: a curve's neighbouring bends alike
    for p in range(pair_dofs.shape[0]):
        ja = pair_dofs[p, 0]
        jb = pair_dofs[p, 1]
        wp = pair_w[p]
        r = theta[ja] - theta[jb] - pair_mu[p]
        _difference_term(A, b, ja, jb, wp, r)
        out_e_prior[ja] += wp * r * r
    for j in range(n):
        if use_pred:
            dt = theta[j] - theta_pred[j]
            diag[j] = diag[j] + temporal_w[j]
            b[j] += temporal_w[j] * dt
            out_e_temporal[j] = temporal_w[j] * (dt * dt)
        else:
            out_e_temporal[j] = 0.0
        A[j, j] += diag[j]


@nb.njit(cache=True, nogil=True)
def grip_rows(cap_idx, dist, normal, bar_cap, gate_m, sigma_m, weight, grip_l, grip_r, seg_l,
              seg_r, dof_twist, seg_chain, out_A, out_b):
    """The rows of the points a bar explains (cap_idx == bar_cap, |dist| < gate_m): each
    moves with the midpoint of the grips, half each forearm's motion at its grip (seg_l at
    grip_l, seg_r at grip_r) along -normal, Geman-McClure weighted like the data term
    (weight * (s^2 / (s^2 + r^2))^2 / s^2), through dense_rows. Returns how many."""
    n = 0
    for i in range(cap_idx.shape[0]):
        if cap_idx[i] == bar_cap and abs(dist[i]) < gate_m:
            n += 1
    if n == 0:
        return 0
    s1 = np.full(n, seg_l, np.int32)
    s2_ = np.full(n, seg_r, np.int32)
    x1 = np.empty((n, 3))
    x2 = np.empty((n, 3))
    nn = np.empty((n, 3))
    r = np.empty(n)
    w = np.empty(n)
    s2 = sigma_m ** 2
    q = 0
    for i in range(cap_idx.shape[0]):
        if cap_idx[i] == bar_cap and abs(dist[i]) < gate_m:
            ri = dist[i]
            k = s2 / (s2 + ri * ri)
            r[q] = ri
            w[q] = weight * k * k / s2
            for c in range(3):
                x1[q, c] = grip_l[c]
                x2[q, c] = grip_r[c]
                nn[q, c] = 0.5 * -normal[i, c]
            q += 1
    dense_rows(s1, x1, nn, s2_, x2, nn, r, w, dof_twist, seg_chain, out_A, out_b)
    return n
