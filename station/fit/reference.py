"""Slow, obviously-correct NumPy twins of station.fit._kernels (tests only).

Same names; each returns its outputs instead of filling preallocated arrays (accumulating
kernels: returns the increments).
"""
from __future__ import annotations

import numpy as np

from station.fit._kernels_energy import SOLE_REACH_M, SUPPORT_FREE_M, SUPPORT_SIGMA_M


def rodrigues(axis: np.ndarray, angle: float) -> np.ndarray:
    K = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    return np.eye(3) + np.sin(angle) * K + (1 - np.cos(angle)) * (K @ K)


def forward_kinematics(theta, seg_parent, seg_offset, dof_seg, dof_type, dof_axis):
    n_seg = len(seg_parent)
    R = np.zeros((n_seg, 3, 3))
    t = np.zeros((n_seg, 3))
    twist = np.zeros((len(theta), 6))
    for s in range(n_seg):
        p = seg_parent[s]
        if p < 0:
            Rs, ts = np.eye(3), np.asarray(seg_offset[s], float).copy()
        else:
            Rs, ts = R[p].copy(), t[p] + R[p] @ seg_offset[s]
        for j in np.nonzero(dof_seg == s)[0]:
            aw = Rs @ dof_axis[j]
            if dof_type[j] == 0:
                ts = ts + aw * theta[j]
                twist[j] = np.concatenate([np.zeros(3), aw])
            else:
                twist[j] = np.concatenate([aw, np.cross(ts, aw)])
                Rs = Rs @ rodrigues(dof_axis[j], theta[j])
        R[s], t[s] = Rs, ts
    return R, t, twist


def points_to_world(seg_R, seg_t, point_seg, point_local):
    return np.einsum("nij,nj->ni", seg_R[point_seg], point_local) + seg_t[point_seg]


def vectors_to_world(seg_R, point_seg, vec_local):
    return np.einsum("nij,nj->ni", seg_R[point_seg], vec_local)


def _closest_t(p, a, b):
    d = b - a
    dd = d @ d
    if dd <= 1e-12:
        return 0.0
    return float(np.clip((p - a) @ d / dd, 0.0, 1.0))


def capsule_distance(p, cap_a, cap_b, cap_ra, cap_rb, c):
    """(signed distance from p to capsule c's surface, the unit normal there; (0, 0, 1) for
    a point on the axis)."""
    t = _closest_t(p, cap_a[c], cap_b[c])
    diff = p - (cap_a[c] + t * (cap_b[c] - cap_a[c]))
    L = np.linalg.norm(diff)
    d = L - (cap_ra[c] + t * (cap_rb[c] - cap_ra[c]))
    return d, (diff / L if L > 1e-12 else np.array([0.0, 0.0, 1.0]))


def nearest_capsule(points, cap_a, cap_b, cap_ra, cap_rb):
    n = len(points)
    idx = np.full(n, -1, dtype=np.int32)
    dist = np.full(n, np.inf)
    normal = np.tile([0.0, 0.0, 1.0], (n, 1))
    for i, p in enumerate(points):
        for c in range(len(cap_a)):
            d, nrm = capsule_distance(p, cap_a, cap_b, cap_ra, cap_rb, c)
            if d < dist[i]:
                dist[i], idx[i], normal[i] = d, c, nrm
    return idx, dist, normal


def nearest_capsule_within_fit(points, cap_a, cap_b, cap_ra, cap_rb, state=None):
    """The twin of station.fit._kernels_geometry.nearest_capsule_within_fit: nearest_capsule
    (the kernel's state over a fit's evaluations changes only how fast it finds the same)."""
    return nearest_capsule(points, cap_a, cap_b, cap_ra, cap_rb)


def ray_surface(points, cam_pos, cap_idx, cap_a, cap_b, cap_ra, cap_rb, cap_seg, gate_m, cos_min,
                dist, normal):
    """The twin of station.fit._kernels_geometry.ray_surface: returns (dist, normal, q),
    new arrays. The same Newton steps along each ray, in vectors (tests/fit/test_kernels.py
    checks both against the hit found by bisection)."""
    from station.fit._kernels_geometry import RAY_HIT_TOL_M, RAY_NEWTON_STEPS
    dist, normal, q = dist.copy(), normal.copy(), np.array(points, float)
    if cos_min >= 1.0:
        return dist, normal, q
    for i, p in enumerate(np.asarray(points, float)):
        c, f = cap_idx[i], dist[i]
        if c < 0 or cap_seg[c] < 0 or not abs(f) < gate_m:
            continue
        d = (p - cam_pos) / np.linalg.norm(p - cam_pos)
        nh, s, x, ok = normal[i], 0.0, p, True
        for _ in range(RAY_NEWTON_STEPS):
            if -(nh @ d) < cos_min:
                ok = False
                break
            s += f / -(nh @ d)
            x = p + s * d
            f, nh = capsule_distance(x, cap_a, cap_b, cap_ra, cap_rb, c)
        if not ok or not abs(f) < RAY_HIT_TOL_M or -(nh @ d) < cos_min:
            continue
        h = x - f * nh
        rh = nh @ (p - h)
        dist[i], normal[i], q[i] = rh, nh, h + rh * nh
    return dist, normal, q


def twist_row(x, n):
    return np.concatenate([np.cross(x, n), n])


def data_term(points, cap_idx, dist, normal, cap_seg, gate_m, sigma_m, weight, n_seg, cap_seg2=None):
    H = np.zeros((n_seg, 6, 6))
    g = np.zeros((n_seg, 6))
    count = np.zeros(n_seg)
    stats = np.zeros(4)
    s2 = sigma_m ** 2
    for p, c, r, nrm in zip(points, cap_idx, dist, normal):
        if c < 0 or not abs(r) < gate_m:
            stats[3] += 1
            stats[0] += weight
            continue
        w = weight * (s2 / (s2 + r * r)) ** 2 / s2
        s = cap_seg[c]
        if s < 0:  # an implement: explained, no rows
            stats += [weight * r * r / (s2 + r * r), 1, abs(r), 0]
            continue
        u = twist_row(p - r * nrm, -nrm)
        shared = cap_seg2 is not None and cap_seg2[c] >= 0
        for seg in ((s, cap_seg2[c]) if shared else (s,)):  # shared: half the row to each
            H[seg] += (0.5 if shared else 1.0) * w * np.outer(u, u)
            g[seg] += (0.5 if shared else 1.0) * w * u * r
        count[s] += 1
        stats += [weight * r * r / (s2 + r * r), 1, abs(r), 0]
    return H, g, count, stats


def assemble_normal_equations(H_seg, g_seg, dof_twist, seg_chain):
    n_dof = len(dof_twist)
    A = np.zeros((n_dof, n_dof))
    b = np.zeros(n_dof)
    for s in range(len(H_seg)):
        X = dof_twist.T * seg_chain[s][None, :]  # (6, n_dof), zero columns off the chain
        A += X.T @ H_seg[s] @ X
        b += X.T @ g_seg[s]
    return A, b


def dense_rows(seg1, x1, n1, seg2, x2, n2, residual, weight, dof_twist, seg_chain):
    n_dof = len(dof_twist)
    A = np.zeros((n_dof, n_dof))
    b = np.zeros(n_dof)
    for q in range(len(residual)):
        row = seg_chain[seg1[q]] * (dof_twist @ twist_row(x1[q], n1[q]))
        if seg2[q] >= 0:
            row = row + seg_chain[seg2[q]] * (dof_twist @ twist_row(x2[q], n2[q]))
        A += weight[q] * np.outer(row, row)
        b += weight[q] * row * residual[q]
    return A, b


def capsule_pair_penetration(cap_a, cap_b, cap_ra, cap_rb, pairs):
    k = len(pairs)
    p1 = np.zeros((k, 3))
    p2 = np.zeros((k, 3))
    nrm = np.zeros((k, 3))
    depth = np.zeros(k)
    eps = 1e-12
    for q, (i, j) in enumerate(pairs):
        d1, d2, r = cap_b[i] - cap_a[i], cap_b[j] - cap_a[j], cap_a[i] - cap_a[j]
        a, e, f = d1 @ d1, d2 @ d2, d2 @ r
        if a <= eps and e <= eps:
            s = t = 0.0
        elif a <= eps:
            s, t = 0.0, np.clip(f / e, 0, 1)
        else:
            c = d1 @ r
            if e <= eps:
                s, t = np.clip(-c / a, 0, 1), 0.0
            else:
                b = d1 @ d2
                den = a * e - b * b
                s = np.clip((b * f - c * e) / den, 0, 1) if den > eps else 0.0
                t = (b * s + f) / e
                if t < 0:
                    t, s = 0.0, np.clip(-c / a, 0, 1)
                elif t > 1:
                    t, s = 1.0, np.clip((b - c) / a, 0, 1)
        p1[q], p2[q] = cap_a[i] + s * d1, cap_a[j] + t * d2
        L = np.linalg.norm(p1[q] - p2[q])
        nrm[q] = (p1[q] - p2[q]) / L if L > eps else [0, 0, 1]
        depth[q] = (cap_ra[i] + s * (cap_rb[i] - cap_ra[i])) + (cap_ra[j] + t * (cap_rb[j] - cap_ra[j])) - L
    return p1, p2, nrm, depth


def distance_transform_nearest(mask):
    """Brute force: squared distance to every True pixel (ties resolved arbitrarily)."""
    h, w = mask.shape
    vs, us = np.nonzero(mask)
    dist2 = np.full((h, w), np.inf)
    nu = np.full((h, w), -1, dtype=np.int32)
    nv = np.full((h, w), -1, dtype=np.int32)
    if len(vs) == 0:
        return dist2, nu, nv
    V, U = np.mgrid[0:h, 0:w]
    d2 = (V[..., None] - vs) ** 2 + (U[..., None] - us) ** 2
    k = np.argmin(d2, axis=-1)
    return d2.min(axis=-1).astype(float), us[k].astype(np.int32), vs[k].astype(np.int32)


def nearest_depth_around(depth, v, u):
    """The smallest valid depth (> 0) in the 3 x 3 window around (v, u), 0 where none."""
    win = np.asarray(depth[max(v - 1, 0):v + 2, max(u - 1, 0):u + 2], np.float64)
    ok = win[win > 0]
    return float(ok.min()) if ok.size else 0.0


def model_to_data_term(samples, normals, sample_seg, cam_pos, R_cam_floor, t_cam_floor,
                       fx, fy, cx, cy, mask, depth, near_u, near_v, depth_margin_m, depth_edge_m,
                       edge_tol_px, huber_m, w_silhouette, w_freespace, min_height_m, n_seg):
    H = np.zeros((n_seg, 6, 6))
    g = np.zeros((n_seg, 6))
    seg_stats = np.zeros((n_seg, 4))
    stats = np.zeros(2)
    h, w = mask.shape

    def add(s, x, n, wt, r):
        u = twist_row(x, n)
        H[s] += wt * np.outer(u, u)
        g[s] += wt * u * r

    for x, nrm, s in zip(samples, normals, sample_seg):
        if nrm @ (cam_pos - x) <= 0:
            continue
        if x[2] < min_height_m:  # near the floor: the mask is unknown there
            continue
        xc = R_cam_floor @ x + t_cam_floor
        if xc[2] < 0.05:
            continue
        seg_stats[s, 0] += 1
        ui = int(np.floor(fx * xc[0] / xc[2] + cx + 0.5))
        vi = int(np.floor(fy * xc[1] / xc[2] + cy + 0.5))
        inside = 0 <= ui < w and 0 <= vi < h
        uc, vc = min(max(ui, 0), w - 1), min(max(vi, 0), h - 1)
        D = float(depth[vc, uc]) if inside else 0.0
        z = xc[2]
        if inside and mask[vc, uc]:
            if 0 < D < z - depth_margin_m:
                seg_stats[s, 2] += 1
            elif D > 0 and D > z + depth_margin_m:
                Dn = nearest_depth_around(depth, vc, uc)
                if Dn <= z + depth_margin_m and D - Dn >= depth_edge_m:
                    seg_stats[s, 2] += 1      # the far side of a depth edge: not pushed back
                    continue
                r = z - (D - depth_margin_m)
                wt = w_freespace * min(1.0, huber_m / abs(r)) if r != 0 else w_freespace
                add(s, x, R_cam_floor[2], wt, r)
                stats += [wt * r * r, 1]
            else:
                seg_stats[s, 1] += 1
            continue
        if 0 < D < z + depth_margin_m:   # hidden, or a surface at its depth left out of the mask
            seg_stats[s, 2] += 1
            continue
        nu, nv = near_u[vc, uc], near_v[vc, uc]
        if nu < 0:
            seg_stats[s, 3] += 1
            continue
        uf = fx * xc[0] / xc[2] + cx
        vf = fy * xc[1] / xc[2] + cy
        ep = np.array([uf - nu, vf - nv])
        L = np.linalg.norm(ep)
        if L <= edge_tol_px:
            seg_stats[s, 1] += 1
            continue
        seg_stats[s, 3] += 1
        ep = ep * (L - edge_tol_px) / L
        e = np.array([ep[0] * z / fx, ep[1] * z / fy])
        a = np.linalg.norm(e)
        wt = w_silhouette * (min(1.0, huber_m / a) if a > 0 else 1.0)
        add(s, x, R_cam_floor[0], wt, e[0])
        add(s, x, R_cam_floor[1], wt, e[1])
        stats += [wt * (e @ e), 1]
    return H, g, seg_stats, stats


def subsample_indices(n_points, max_points):
    if n_points <= max_points:
        return np.arange(n_points)
    step = n_points / max_points
    return np.array([int(i * step) for i in range(max_points)])


def mask_extent(mask):
    """(v_first, v_end, u_first, u_end) of the mask's True pixels, (0, 0, 0, 0) if none."""
    vs, us = np.nonzero(np.asarray(mask, dtype=bool))
    if len(vs) == 0:
        return 0, 0, 0, 0
    return int(vs.min()), int(vs.max()) + 1, int(us.min()), int(us.max()) + 1


def second_differences(depth_m, mask):
    """|d[i-1] - 2 d[i] + d[i+1]| along rows, then columns, inside the mask (finite, > 0)."""
    d = np.asarray(depth_m, dtype=np.float64)
    m = np.asarray(mask, dtype=bool) & np.isfinite(d) & (d > 0)
    mh = m[:, :-2] & m[:, 1:-1] & m[:, 2:]
    mv = m[:-2] & m[1:-1] & m[2:]
    return np.abs(np.concatenate([(d[:, :-2] - 2.0 * d[:, 1:-1] + d[:, 2:])[mh],
                                  (d[:-2] - 2.0 * d[1:-1] + d[2:])[mv]]))


def window_residual_ss(depth_m, mask, hat_resid, step, spacing):
    """Per window of 5 x 5 samples `spacing` apart, all inside the mask (finite, > 0), its
    origin every `step` pixels from the mask box's corner, row by row: |hat_resid @ samples|^2."""
    from numpy.lib.stride_tricks import sliding_window_view
    v0, v1, u0, u1 = mask_extent(mask)
    ext = 4 * spacing + 1
    if v1 - v0 < ext or u1 - u0 < ext:
        return np.zeros(0)
    d = np.asarray(depth_m, dtype=np.float64)[v0:v1, u0:u1]
    m = np.asarray(mask, dtype=bool)[v0:v1, u0:u1] & np.isfinite(d) & (d > 0)
    wd = sliding_window_view(d, (ext, ext))[::step, ::step, ::spacing, ::spacing].reshape(-1, 25)
    wm = sliding_window_view(m, (ext, ext))[::step, ::step, ::spacing, ::spacing].reshape(-1, 25)
    r = wd[wm.all(axis=1)] @ np.asarray(hat_resid, dtype=np.float64).T
    return np.sum(r * r, axis=1)


def contact_rows(sole, cp1, cp2, cn, cdepth, pair_slack_m, slack_m, w_below, band_m, w_band,
                 w_collision, ankles, anchor_target, n1_anchor):
    """(x1, x2, n1, n2, res, w) of the floor, collision and anchor rows; n1_anchor: the
    anchors' preset normals ((0, 3) without anchors)."""
    ns, npairs, na = len(sole), len(cp1), len(n1_anchor)
    z = sole[:, 2]
    x1 = np.concatenate([sole, cp1, np.repeat(ankles, 3, axis=0)[:na]])
    x2 = np.concatenate([np.zeros((ns, 3)), cp2, np.zeros((na, 3))])
    n1 = np.concatenate([np.zeros((ns, 3)), -cn, n1_anchor])
    n2 = np.concatenate([np.zeros((ns, 3)), cn, np.zeros((na, 3))])
    pen = cdepth - slack_m - pair_slack_m
    target = anchor_target[:, :3]
    # w0, released with distance where the release scale is > 0
    d2 = np.sum((x1[ns + npairs:] - target) ** 2, axis=1)
    s2 = anchor_target[:, 4] ** 2
    released = anchor_target[:, 4] > 0
    w_anchor = np.where(released, anchor_target[:, 3] * s2 / np.where(released, s2 + d2, 1.0),
                        anchor_target[:, 3])
    z_other = z.reshape(-1, 2)[:, ::-1].reshape(-1)     # the same foot's other sole point
    resting = (z < band_m) | ((z_other < band_m) & (z < SOLE_REACH_M))
    w_sole = np.where(z < 0.0, w_below, np.where(resting, w_band, 0.0))
    res_sole = z.copy()
    if len(z) and not np.any(w_sole > 0.0) and z.min() > SUPPORT_FREE_M:
        k = int(np.argmin(z))       # both feet in the air: the lowest sole point is the support
        w_sole[k], res_sole[k] = 1.0 / SUPPORT_SIGMA_M ** 2, z[k] - SUPPORT_FREE_M
    res = np.concatenate([res_sole, pen, np.sum((x1[ns + npairs:] - target) * n1_anchor, axis=1)])
    w = np.concatenate([w_sole,
                        np.where(pen > 0.0, w_collision, 0.0), w_anchor])
    return x1, x2, n1, n2, res, w


def diagonal_terms(theta, theta_pred, lower, upper, limit_w, prior_w, temporal_w, knee_hip,
                   knee_margin_rad, knee_w, A, b, pair_dofs=np.zeros((0, 2), np.int64),
                   pair_w=np.zeros(0), pair_mu=None):
    """(A, b) with the per-DOF terms added, and the energies (prior (n,), with each smoothness
    pair's added to its first DOF; knee (pairs,), temporal (n,)). pair_mu: each pair's centre
    (theta_a - theta_b pulled to it; None: 0)."""
    A, b = A.copy(), b.copy()
    over = np.isfinite(upper) & (theta > upper)
    under = np.isfinite(lower) & (theta < lower)
    lim_r = np.where(over, theta - upper, np.where(under, theta - lower, 0.0))
    lim_on = (over | under) * limit_w
    b += lim_on * lim_r + prior_w * theta
    e_knee = np.zeros(len(knee_hip))
    for p, (kj, hj) in enumerate(knee_hip):
        r = theta[kj] - theta[hj] - knee_margin_rad
        if knee_w > 0 and r > 0:
            b[[kj, hj]] += [knee_w * r, -knee_w * r]
            A[np.ix_([kj, hj], [kj, hj])] += knee_w * np.array([[1.0, -1.0], [-1.0, 1.0]])
            e_knee[p] = knee_w * r * r
    diag = lim_on + prior_w
    e_temporal = np.zeros(len(theta))
    if theta_pred is not None:
        dt = theta - theta_pred
        diag = diag + temporal_w
        b += temporal_w * dt
        e_temporal = temporal_w * dt ** 2
    A[np.diag_indices(len(theta))] += diag
    e_prior = lim_on * lim_r ** 2 + prior_w * theta ** 2
    if pair_mu is None:
        pair_mu = np.zeros(len(pair_w))
    for (ja, jb), wp, mu in zip(pair_dofs, pair_w, pair_mu):
        # wp (theta_a - theta_b - mu)^2: its gradient's half and Hessian's half
        r = theta[ja] - theta[jb] - mu
        b[[ja, jb]] += [wp * r, -wp * r]
        A[np.ix_([ja, jb], [ja, jb])] += wp * np.array([[1.0, -1.0], [-1.0, 1.0]])
        e_prior[ja] += wp * r * r
    return A, b, e_prior, e_knee, e_temporal


def grip_rows(cap_idx, dist, normal, bar_cap, gate_m, sigma_m, weight, grip_l, grip_r, seg_l,
              seg_r, dof_twist, seg_chain):
    """(A, b) of the bar's points pulling the grips (see the kernel)."""
    sel = (cap_idx == bar_cap) & (np.abs(dist) < gate_m)
    m = int(sel.sum())
    r = dist[sel]
    k = sigma_m ** 2 / (sigma_m ** 2 + r * r)
    nrm = -0.5 * normal[sel]
    return dense_rows(np.full(m, seg_l), np.tile(grip_l, (m, 1)), nrm, np.full(m, seg_r),
                      np.tile(grip_r, (m, 1)), nrm, r, weight * k * k / sigma_m ** 2,
                      dof_twist, seg_chain)


def linearise(points, ca, cb, ra_x, rb_x, cap_seg_x, cap_seg2_x, data_gate_m, data_sigma_m,
              data_weight, data_ray_cos_min, use_model_to_data, seg_R, seg_t, dof_twist, seg_chain,
              sample_seg, sample_local, sample_normal_local, cam_pos, R_cam_floor, t_cam_floor,
              fx, fy, cx, cy, mask, depth, near_u, near_v, depth_margin_m, depth_edge_m, edge_tol_px,
              huber_m, w_silhouette, w_freespace, floor_unknown_m,
              n_cap, cap_ra, cap_rb, pairs, sole_seg, sole_local, pair_slack_m, slack_m, w_below,
              band_m, w_band, w_collision, ankle_seg, ankle_local, anchor_target, n_anchor,
              hand_l, hand_r, level_row, lat_row, lat_res, bar_cap, bar_weight, seg_l, seg_r,
              seg1, n1_preset, seg2, n2_preset, rw_preset):
    """One LM linearisation at a posed body (ca, cb, seg_R, seg_t, dof_twist given): the
    NumPy twin of station.fit._kernels_lm_loop.evaluate's (pose_energy's, then
    linearise_accepted's) before the per-DOF terms (diagonal_terms). Returns (A, b, H, g,
    seg_count, data_stats, seg_stats, m2d_stats, res, rw). seg1, seg2, n1_preset, n2_preset,
    rw_preset: the dense rows' arrays as the solver presets them (anchor normals, level and
    lateral rows)."""
    n_seg = len(seg_R)
    idx, dist, nrm = nearest_capsule(points, ca, cb, ra_x, rb_x)
    dist, nrm, q = ray_surface(points, cam_pos, idx, ca, cb, ra_x, rb_x, cap_seg_x, data_gate_m,
                               data_ray_cos_min, dist, nrm)
    H, g, count, dstats = data_term(q, idx, dist, nrm, cap_seg_x, data_gate_m, data_sigma_m,
                                    data_weight, n_seg, cap_seg2_x)
    seg_stats, m2d = np.zeros((n_seg, 4)), np.zeros(2)
    if use_model_to_data:
        samp = points_to_world(seg_R, seg_t, sample_seg, sample_local)
        samp_n = vectors_to_world(seg_R, sample_seg, sample_normal_local)
        H2, g2, seg_stats, m2d = model_to_data_term(
            samp, samp_n, sample_seg, cam_pos, R_cam_floor, t_cam_floor, fx, fy, cx, cy, mask,
            depth, near_u, near_v, depth_margin_m, depth_edge_m, edge_tol_px, huber_m,
            w_silhouette, w_freespace, floor_unknown_m, n_seg)
        H, g = H + H2, g + g2
    A, b = assemble_normal_equations(H, g, dof_twist, seg_chain)
    sole = points_to_world(seg_R, seg_t, sole_seg, sole_local)
    cp1, cp2, cn, cdepth = capsule_pair_penetration(ca[:n_cap], cb[:n_cap], cap_ra, cap_rb, pairs)
    ankles = points_to_world(seg_R, seg_t, ankle_seg, ankle_local)
    m = len(sole) + len(pairs) + n_anchor
    x1, x2, n1, n2, res, rw = contact_rows(sole, cp1, cp2, cn, cdepth, pair_slack_m, slack_m,
                                           w_below, band_m, w_band, w_collision, ankles,
                                           anchor_target, n1_preset[m - n_anchor:m])
    k = len(seg1) - m          # the level and lateral rows
    x1 = np.concatenate([x1, np.zeros((k, 3))])
    x2 = np.concatenate([x2, np.zeros((k, 3))])
    n1, n2 = n1_preset.copy(), n2_preset.copy()    # floor, anchor, level, lateral: preset
    n1[len(sole):len(sole) + len(pairs)] = -cn
    n2[len(sole):len(sole) + len(pairs)] = cn
    res = np.concatenate([res, np.zeros(k)])
    rw = np.concatenate([rw, rw_preset[m:]])   # the anchors' weights come with their targets
    grip_l, grip_r = 0.5 * (ca[hand_l] + cb[hand_l]), 0.5 * (ca[hand_r] + cb[hand_r])
    if level_row >= 0:
        x1[level_row], x2[level_row] = grip_l, grip_r
        res[level_row] = grip_l[2] - grip_r[2]
    if lat_row >= 0:
        x1[lat_row] = seg_t[0]
        res[lat_row] = lat_res
    Ad, bd = dense_rows(seg1, x1, n1, seg2, x2, n2, res, rw, dof_twist, seg_chain)
    A, b = A + Ad, b + bd
    if bar_cap >= 0:
        Ag, bg = grip_rows(idx, dist, nrm, bar_cap, data_gate_m, data_sigma_m, bar_weight,
                           grip_l, grip_r, seg_l, seg_r, dof_twist, seg_chain)
        A, b = A + Ag, b + bg
    return A, b, H, g, count, dstats, seg_stats, m2d, res, rw


def damped_step(A, b, lam, step_lo, step_hi):
    """The LM step: -(A + lam diag(diag(A) + 1e-6))^-1 b, clamped per DOF (None when the
    damped matrix is not positive definite)."""
    Ad = A + lam * np.diag(np.diag(A) + 1e-6)
    if np.any(np.linalg.eigvalsh(Ad) <= 0):
        return None
    return np.clip(-np.linalg.solve(Ad, b), step_lo, step_hi)


def lm_iterations(theta, n_iter, damping, neck, neck_mu, neck_w, step_lo, step_hi, evaluate,
                  solve=None):
    """The Levenberg-Marquardt loop of station.fit._kernels_lm_loop.lm_iterations, in Python (the
    loop fit_frame ran before it moved into numba). evaluate(theta) -> (E, A, b, A_obs,
    data_stats, seg_count, seg_stats), arrays it may reuse. solve(A, b, lam) -> the clamped
    step or None (default: the kernel's damped_step, then LAPACK as the solver's fallback).
    Returns (best theta, best energy, its A, b, A_obs, (data_stats, seg_count, seg_stats),
    rejections, step norms)."""
    from station.fit import _kernels as K

    def default_solve(A, b, lam):
        n = len(b)
        out = np.empty(n)
        if K.damped_step(A, b, lam, step_lo, step_hi, np.empty((n, n)), out):
            return out
        Ad = A.copy()
        Ad.reshape(-1)[::n + 1] += lam * (A.reshape(-1)[::n + 1] + 1e-6)
        return np.clip(-np.linalg.solve(Ad, b), step_lo, step_hi)

    solve = solve or default_solve
    theta = np.array(theta, np.float64)
    lam, best_E, best = damping, np.inf, None
    n_reject, steps = 0, []
    for it in range(n_iter + 1):
        E, A, b, A_obs, *stats = evaluate(theta)
        if neck_mu != 0.0:
            b[neck] -= neck_w * neck_mu
            E += neck_w * (neck_mu * neck_mu - 2.0 * theta[neck] * neck_mu)
        if E <= best_E:
            if best is not None:
                lam = max(lam * 0.3, damping)
            best_E = E
            best = (theta.copy(), A.copy(), b.copy(), A_obs.copy(), tuple(s.copy() for s in stats))
        else:
            n_reject += 1
            lam *= 5.0
        if it == n_iter:
            break
        delta = solve(best[1], best[2], lam)
        theta = best[0] + delta
        steps.append(float(np.sqrt(np.sum(delta * delta))))
    return best[0], best_E, best[1], best[2], best[3], best[4], n_reject, steps


# -- the confidence's kernels (station.fit._kernels_confidence) ---------------------------------

def point_jacobians(points, point_seg, dof_twist, seg_chain):
    """(P, 3, N_DOF) d point / d theta: omega x x + v where the DOF moves the point's segment."""
    w = dof_twist[:, :3]
    v = dof_twist[:, 3:]
    J = np.cross(w[None, :, :], points[:, None, :]) + v[None, :, :]   # (P, N, 3)
    J *= seg_chain[point_seg][:, :, None]
    return np.ascontiguousarray(J.transpose(0, 2, 1))


def regularised_information(info, reg):
    """The symmetric part of info + diag(reg)."""
    A = info + np.diag(reg)
    return 0.5 * (A + A.T)


def angle_point_gradients(points, up, idx, h_m, shift_row, ankle_rows, angles_batch):
    """Forward differences of the contract angles (angles_batch(batch, up, idx, out): the
    kernel contract_angles_batch) over the points idx; the shift's row 0 at the ankles."""
    P = points.shape[0]
    k = np.arange(3 * len(idx))
    pi, ci = idx[k // 3], k % 3
    batch = np.repeat(points[None], len(k) + 1, axis=0)
    batch[k + 1, pi, ci] += h_m
    a = np.empty((len(batch), 7))
    angles_batch(batch, up, idx, a)
    out = np.zeros((7, 3 * P))
    out[:, 3 * pi + ci] = ((a[1:] - a[0]) / h_m).T
    for j in ankle_rows:
        out[shift_row, 3 * j:3 * j + 3] = 0.0
    return out


def propagated_confidence(Jp, cov, G, seg_visibility, visible_full, avg_joint, avg_angle, quality,
                          joint_scale, angle_scale):
    """(joint sd, angle sd, joint confidence, angle confidence): the NumPy code of
    station.fit.confidence.fit_confidence's tail (joint_sd_m, angle_sd, the visibility and
    the clipped products), as it ran before the kernel."""
    J = Jp.reshape(-1, Jp.shape[-1])
    v = np.sum((J @ cov) * J, axis=1).reshape(Jp.shape[0], 3).sum(axis=1)
    jsd = np.sqrt(np.maximum(v, 0.0) / 3.0)
    Ja = G @ J
    asd = np.sqrt(np.maximum(np.sum((Ja @ cov) * Ja, axis=1), 0.0))
    facing = seg_visibility[:, 0]
    seen = np.where(facing > 0, seg_visibility[:, 1] / np.maximum(facing, 1.0), 0.0)
    vis = np.clip(seen / visible_full, 0.0, 1.0)
    jconf = np.clip((avg_joint @ vis) * quality * (1.0 / (1.0 + (jsd / joint_scale) ** 4)), 0.0, 1.0)
    aconf = np.clip((avg_angle @ vis) * quality * (1.0 / (1.0 + (asd / angle_scale) ** 4)), 0.0, 1.0)
    return jsd, asd, jconf, aconf


def bar_line_count(points, mid, d, perp_max_m, along_min_m, along_max_m):
    """Points near the line through mid along unit d, beyond along_min_m, within along_max_m."""
    rel = points - mid
    s = rel @ d
    perp = np.linalg.norm(rel - s[:, None] * d, axis=1)
    a = np.abs(s)
    return int(np.count_nonzero((perp < perp_max_m) & (a > along_min_m) & (a < along_max_m)))


# -- the analysis document's rounding (station.fit._kernels.round_scaled) -----------------------

def round_scaled(x, scale):
    """(np.rint(x * scale) / scale, the values whose scaled product lies within two ulps of a
    half-integer or is not finite): the NumPy arithmetic station.app.rounded_list used."""
    with np.errstate(over="ignore", invalid="ignore"):
        p = x * scale
        out = np.rint(p) / scale
        near = ~(np.abs(np.abs(p - np.floor(p)) - 0.5) > 2.0 * np.spacing(np.abs(p)))
    return out, near
