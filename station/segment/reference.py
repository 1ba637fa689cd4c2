"""NumPy twins of :mod:`station.segment._kernels`, for tests only.

Each function computes the same thing as the kernel of the same name, written to be
obviously correct rather than fast (vectorised NumPy, or a plain BFS). They return their
results instead of filling ``out_*`` arrays.
"""
from __future__ import annotations

from collections import deque

import numpy as np

from station.segment._kernels_blobs import (
    COUNT,
    MAX_H,
    MAX_X,
    MAX_Y,
    MIN_H,
    MIN_X,
    MIN_Y,
    SUM_X,
    SUM_Y,
)


def _blocks(depth_raw_u16: np.ndarray, factor: int) -> np.ndarray:
    H, W = depth_raw_u16.shape
    h, w = H // factor, W // factor
    d = depth_raw_u16[: h * factor, : w * factor]
    return d.reshape(h, factor, w, factor).transpose(0, 2, 1, 3).reshape(h, w, factor * factor)


def decimate_min_valid(depth_raw_u16, depth_units_m, factor, min_valid):
    b = _blocks(depth_raw_u16, factor).astype(np.int64)
    valid = b > 0
    n = valid.sum(axis=2)
    best = np.where(valid, b, np.iinfo(np.int64).max).min(axis=2, initial=np.iinfo(np.int64).max)
    ok = (n >= min_valid) & (n > 0)
    return np.where(ok, best * depth_units_m, 0.0).astype(np.float32)


def decimate_median_valid(depth_raw_u16, depth_units_m, factor, min_valid, same_surface_m):
    b = _blocks(depth_raw_u16, factor).astype(np.int64)
    h, w, _ = b.shape
    out = np.zeros((h, w), np.float32)
    for v in range(h):
        for u in range(w):
            vals = np.sort(b[v, u][b[v, u] > 0])
            n = len(vals)
            if n >= min_valid and n > 0:
                lo = vals[(n - 1) // 2]
                hi = vals[n // 2]
                same = (hi - lo) * depth_units_m < same_surface_m
                out[v, u] = np.float32((lo + hi) * 0.5 * depth_units_m if same else lo * depth_units_m)
    return out


def backproject(depth_m, fx, fy, ppx, ppy):
    h, w = depth_m.shape
    v, u = np.mgrid[0:h, 0:w].astype(np.float32)
    rx = (u - np.float32(ppx)) / np.float32(fx)
    ry = (v - np.float32(ppy)) / np.float32(fy)
    return np.stack([rx * depth_m, ry * depth_m, depth_m], axis=-1).astype(np.float32)


def select_floor_points(points_cam_m, row_start, z_max_m, exclude_mask):
    h, w = exclude_mask.shape
    rows = np.arange(h)[:, None] >= row_start
    z = points_cam_m[..., 2]
    ok = rows & (z > 0) & (z <= z_max_m) & ~exclude_mask
    return points_cam_m[ok].astype(np.float32)


def _plane_residuals(points_cam_m, plane):
    p = points_cam_m.astype(np.float64)
    return plane[0] * p[:, 0] + plane[1] * p[:, 1] + plane[2] * p[:, 2] + plane[3]


def ransac_plane(points_cam_m, sample_idx, up_cos_min, d_min_m, d_max_m, thr0_m, thr2_per_m):
    """Returns (best inlier count or -1, plane (4,) or None)."""
    p = points_cam_m.astype(np.float64)
    best, best_plane = -1, None
    for i0, i1, i2 in sample_idx:
        a = p[i0]
        n = np.cross(p[i1] - a, p[i2] - a)
        norm = np.linalg.norm(n)
        if norm < 1e-12:
            continue
        n = n / (-norm if n[1] > 0 else norm)
        if -n[1] < up_cos_min:
            continue
        d = -(n @ a)
        if d < d_min_m or d > d_max_m:
            continue
        plane = np.array([n[0], n[1], n[2], d])
        r = _plane_residuals(points_cam_m, plane)
        count = int((np.abs(r) < thr0_m + thr2_per_m * p[:, 2] ** 2).sum())
        if count > best:
            best, best_plane = count, plane
    return best, best_plane


def plane_inlier_moments(points_cam_m, plane, thr0_m, thr2_per_m, sigma0_m, sigma2_per_m):
    p = points_cam_m.astype(np.float64)
    r = _plane_residuals(points_cam_m, plane)
    z = p[:, 2]
    inl = np.abs(r) < thr0_m + thr2_per_m * z ** 2
    q, r = p[inl], r[inl]
    wgt = 1.0 / (sigma0_m + sigma2_per_m * q[:, 2] ** 2) ** 2
    x, y, z = q[:, 0], q[:, 1], q[:, 2]
    return np.array([
        wgt.sum(), (wgt * x).sum(), (wgt * y).sum(), (wgt * z).sum(),
        (wgt * x * x).sum(), (wgt * x * y).sum(), (wgt * x * z).sum(),
        (wgt * y * y).sum(), (wgt * y * z).sum(), (wgt * z * z).sum(),
        (r * r).sum(), float(inl.sum()),
    ])


def plane_from_moments(m):
    """Weighted total-least-squares plane (4,) from plane_inlier_moments' sums (None when
    the weights sum to <= 0 or fewer than 3 points): the NumPy code the floor track ran
    (LAPACK's eigh); the kernel agrees to rounding."""
    w = m[0]
    if w <= 0.0 or m[11] < 3:
        return None
    mean = m[1:4] / w
    S = np.array([[m[4], m[5], m[6]], [m[5], m[7], m[8]], [m[6], m[8], m[9]]]) / w
    C = S - np.outer(mean, mean)
    _, evecs = np.linalg.eigh(C)
    n = evecs[:, 0]
    if n[1] > 0:  # up = camera -y
        n = -n
    return np.array([n[0], n[1], n[2], -float(n @ mean)])


def plane_inlier_residuals(points_cam_m, plane, thr0_m, thr2_per_m):
    """(count, sum r^2) of the plane's inliers (plane_inlier_moments' last two)."""
    p = points_cam_m.astype(np.float64)
    r = _plane_residuals(points_cam_m, plane)
    inl = np.abs(r) < thr0_m + thr2_per_m * p[:, 2] ** 2
    return int(inl.sum()), float((r[inl] * r[inl]).sum())


def classify_pixels(points_cam_m, R_floor_cam, t_floor_cam, zone_box, clear0_m, clear2_per_m,
                    max_height_m, bg_depth_m, bg_count, bg_min_count, bg_thr0_m, bg_thr2_per_m):
    """Returns (points_floor_m (h, w, 3) float32, candidate (h, w) bool); the kernel writes
    points_floor_m at the candidates only (compare it there)."""
    p = points_cam_m.astype(np.float64)
    z = p[..., 2]
    valid = z > 0
    pf = p @ np.asarray(R_floor_cam, np.float64).T + np.asarray(t_floor_cam, np.float64)
    pf[~valid] = 0.0
    x_min, x_max, y_min, y_max = zone_box
    cand = (valid & (pf[..., 0] >= x_min) & (pf[..., 0] <= x_max)
            & (pf[..., 1] >= y_min) & (pf[..., 1] <= y_max)
            & (pf[..., 2] > clear0_m + clear2_per_m * z ** 2) & (pf[..., 2] <= max_height_m))
    learned = bg_count >= bg_min_count
    nearer = bg_depth_m.astype(np.float64) - z > bg_thr0_m + bg_thr2_per_m * z ** 2
    cand &= ~learned | nearer
    return pf.astype(np.float32), cand


def connected_components(mask, depth_m, jump_min_m, jump_per_m, connectivity8):
    """BFS labelling; labels numbered in raster order of each component's first pixel."""
    h, w = mask.shape
    labels = -np.ones((h, w), np.int32)
    if connectivity8:
        steps = [(-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1)]
    else:
        steps = [(-1, 0), (0, -1), (0, 1), (1, 0)]
    n = 0
    for v0 in range(h):
        for u0 in range(w):
            if not mask[v0, u0] or labels[v0, u0] >= 0:
                continue
            labels[v0, u0] = n
            queue = deque([(v0, u0)])
            while queue:
                v, u = queue.popleft()
                z = depth_m[v, u]
                for dv, du in steps:
                    vv, uu = v + dv, u + du
                    if 0 <= vv < h and 0 <= uu < w and mask[vv, uu] and labels[vv, uu] < 0:
                        zq = depth_m[vv, uu]
                        if abs(z - zq) < max(jump_min_m, jump_per_m * 0.5 * (z + zq)):
                            labels[vv, uu] = n
                            queue.append((vv, uu))
            n += 1
    return n, labels


def blob_stats(labels, n_labels, points_floor_m):
    out = np.zeros((n_labels, 9))
    pf = points_floor_m.astype(np.float64)
    for k in range(n_labels):
        q = pf[labels == k]
        if len(q) == 0:
            out[k] = [0, 0, 0, np.inf, -np.inf, np.inf, -np.inf, np.inf, -np.inf]
            continue
        out[k] = [len(q), q[:, 0].sum(), q[:, 1].sum(), q[:, 0].min(), q[:, 0].max(),
                  q[:, 1].min(), q[:, 1].max(), q[:, 2].min(), q[:, 2].max()]
    return out


def mask_from_labels(labels, keep):
    keep_ext = np.concatenate([np.asarray(keep, bool), [False]])
    return keep_ext[np.where(labels >= 0, labels, len(keep))]


def gather_points(mask, points_cam_m):
    v, u = np.nonzero(mask)
    return points_cam_m[v, u].astype(np.float32), np.stack([u, v], axis=1).astype(np.int32)


def dilate_mask(mask, radius):
    h, w = mask.shape
    pad = np.pad(mask, radius)
    out = np.zeros((h, w), bool)
    for dv in range(2 * radius + 1):
        for du in range(2 * radius + 1):
            out |= pad[dv: dv + h, du: du + w]
    return out


def update_background(depth_m, exclude_mask, tol0_m, tol2_per_m, n_avg, count_max, rate_near,
                      rate_far, bg_depth_m, bg_count):
    """Returns the new (bg_depth_m, bg_count); the inputs are not modified."""
    z = depth_m.astype(np.float64)
    b = bg_depth_m.astype(np.float64)
    c = bg_count.astype(np.int64)
    act = (z > 0) & ~exclude_mask
    new = act & (c <= 0)
    old = act & (c > 0)
    diff = z - b
    agree = old & (np.abs(diff) <= tol0_m + tol2_per_m * z ** 2)
    near = old & ~agree & (diff < 0)
    far = old & ~agree & (diff > 0)
    k = np.minimum(c + 1, n_avg).clip(1)
    out_b = b.copy()
    out_b[new] = z[new]
    out_b[agree] = (b + diff / k)[agree]
    out_b[near] = (b + diff * rate_near)[near]
    out_b[far] = (b + diff * rate_far)[far]
    out_c = c.copy()
    out_c[new] = 1
    gone = (z <= 0) & ~exclude_mask & (c > 0)
    out_c[gone] = c[gone] - 1
    out_b[gone & (c == 1)] = 0.0
    out_c[agree] = np.minimum(c + 1, np.maximum(c, count_max))[agree]
    return out_b.astype(np.float32), out_c.astype(np.int32)


def component_gaps(labels, points_cam_m, n_labels, active, fx, fy, max_gap_m, max_radius_px):
    """Returns (gap (n, n) float32, number of pairs a < b found): window search from each
    boundary pixel, as in the kernel."""
    h, w = labels.shape
    gap = np.full((n_labels, n_labels), np.inf, np.float32)
    np.fill_diagonal(gap, 0.0)
    pad = np.pad(labels, 1, constant_values=-2)  # -2: outside the image, never "another label"
    nbrs = np.stack([pad[1:-1, :-2], pad[1:-1, 2:], pad[:-2, 1:-1], pad[2:, 1:-1]])
    act = np.concatenate([np.asarray(active, bool), [False]])[np.where(labels >= 0, labels, len(active))]
    edge = act & ((nbrs != labels) & (nbrs != -2)).any(axis=0)
    p64 = points_cam_m.astype(np.float64)
    for v, u in zip(*np.nonzero(edge & (points_cam_m[..., 2] > 0))):
        a = labels[v, u]
        pz = p64[v, u, 2]
        ru = min(max_radius_px, int(np.ceil(max_gap_m * fx / pz)))
        rv = min(max_radius_px, int(np.ceil(max_gap_m * fy / pz)))
        v0, v1, u0, u1 = max(0, v - rv), min(h, v + rv + 1), max(0, u - ru), min(w, u + ru + 1)
        lab = labels[v0:v1, u0:u1]
        d2 = ((p64[v0:v1, u0:u1] - p64[v, u]) ** 2).sum(-1)
        ok = (lab >= 0) & (lab != a) & (d2 <= max_gap_m * max_gap_m)
        d = np.sqrt(d2).astype(np.float32)
        for b, db in zip(lab[ok], d[ok]):
            if db < gap[a, b]:
                gap[a, b] = gap[b, a] = db
    iu = np.triu_indices(n_labels, 1)
    return gap, int(np.isfinite(gap[iu]).sum())


def merge_person(stats, gap_m, occludes, index, allowed, merge_gap_m, merge_floor_gap_m,
                 footprint_margin_m, floor_object_bottom_m, floor_object_top_m,
                 hidden_min_points, upper_body_min_top_m, rejoin=None, rejoin_gap_m=0.0,
                 max_count=0.0, foot_max_m=0.0):
    """Twin of _kernels_blobs.merge_person (the NumPy rule person.merge_person ran before)."""
    n = len(stats)
    keep = np.zeros(n, bool)
    if index < 0:
        return keep
    keep[index] = True
    cnt = np.maximum(stats[:, COUNT], 1.0)
    cx = stats[:, SUM_X] / cnt
    cy = stats[:, SUM_Y] / cnt
    floor_obj = (stats[:, MIN_H] <= floor_object_bottom_m) & (stats[:, MAX_H] < floor_object_top_m)
    near = gap_m <= merge_gap_m
    close = gap_m <= merge_floor_gap_m
    m = footprint_margin_m
    while True:
        body = keep & ~floor_obj
        body[index] = True
        # the joined body's footprint (bounding box) and its lowest point
        x0, x1 = stats[body, MIN_X].min(), stats[body, MAX_X].max()
        y0, y1 = stats[body, MIN_Y].min(), stats[body, MAX_Y].max()
        inside = (cx >= x0) & (cx <= x1) & (cy >= y0) & (cy <= y1)
        under = (cx >= x0 - m) & (cx <= x1 + m) & (cy >= y0 - m) & (cy <= y1 + m)
        new = np.where(floor_obj & ~under, close[keep].any(axis=0), near[keep].any(axis=0))
        foot = ((stats[:, MAX_X] - stats[:, MIN_X] <= foot_max_m)
                & (stats[:, MAX_Y] - stats[:, MIN_Y] <= foot_max_m))
        new |= (floor_obj & (stats[:, COUNT] >= hidden_min_points)
                & (stats[:, MAX_H] < stats[body, MIN_H].min()) & (inside | (under & foot)))
        hides = keep | occludes[:, keep].any(axis=1)
        overlap = ((stats[:, MIN_X] <= x1 + m) & (stats[:, MAX_X] >= x0 - m)
                   & (stats[:, MIN_Y] <= y1 + m) & (stats[:, MAX_Y] >= y0 - m))
        leg = (stats[:, MIN_H] <= floor_object_bottom_m) & (stats[:, MAX_H] >= floor_object_top_m)
        new |= (overlap & ~floor_obj & (stats[:, COUNT] >= hidden_min_points)
                & ((leg & occludes[hides].any(axis=0))
                   | ((stats[:, MAX_H] >= upper_body_min_top_m) & occludes[:, keep].any(axis=1))))
        new &= allowed & ~keep
        keep |= new
        added = new.any()
        # the lifter's halves cut apart by a depth jump (standing shapes in the last
        # footprint): in index order, each against the points joined so far
        total = stats[keep, COUNT].sum()
        for j in np.flatnonzero(rejoin & ~keep) if rejoin is not None else ():
            if total + stats[j, COUNT] <= max_count and (gap_m[keep, j] <= rejoin_gap_m).any():
                keep[j] = True
                total += stats[j, COUNT]
                added = True
        if not added:
            return keep


def choose_person(stats, zone_box, centre_x_m, centre_y_m, min_points, min_top_m, y_weight,
                  has_previous, prev_x_m, prev_y_m, track_radius_m,
                  tracked_min_fraction, tracked_min_top_m, has_home=False, home_x_m=0.0,
                  home_y_m=0.0, home_radius_m=0.0):
    """Twin of _kernels_blobs.choose_person (the NumPy rule person.choose_person ran before):
    (index or -1, person-like (n,) bool)."""
    like = (stats[:, COUNT] >= min_points) & (stats[:, MAX_H] >= min_top_m)
    cnt = np.maximum(stats[:, COUNT], 1.0)
    cx = stats[:, SUM_X] / cnt
    cy = stats[:, SUM_Y] / cnt
    piece = (stats[:, COUNT] >= tracked_min_fraction * min_points) & (stats[:, MAX_H] >= tracked_min_top_m)
    near = np.zeros(len(stats), bool)
    home = np.zeros(len(stats), bool)
    if has_previous:
        near = np.hypot(cx - prev_x_m, cy - prev_y_m) <= track_radius_m
    if has_home:
        home = np.hypot(cx - home_x_m, cy - home_y_m) <= home_radius_m
    if has_previous and not (like & near).any():   # the lifter there only in pieces
        like = like | (near & piece)
    if not like.any():
        return -1, like
    x0, x1, y0, y1 = zone_box
    cand = like & (cx >= x0) & (cx <= x1) & (cy >= y0) & (cy <= y1)
    if not cand.any():
        return -1, like
    tier = np.where(home, 2, 0) + np.where(near, 1, 0)
    top = tier[cand].max()
    pick = cand & (tier == top)
    if top > 0:                          # near home or the previous lifter: the most points
        return int(np.argmax(np.where(pick, stats[:, COUNT], -np.inf))), like
    score = np.abs(cx - centre_x_m) + y_weight * np.abs(cy - centre_y_m)
    return int(np.argmin(np.where(pick, score, np.inf))), like


def occlusion_pairs(labels, depth_m, active, jump_min_m, jump_per_m, radius_px):
    """Twin of _kernels.occlusion_pairs: (occludes (n, n) bool, pairs set), n = len(active)."""
    h, w = labels.shape
    n = len(active)
    occ = np.zeros((n, n), bool)
    pad = np.pad(labels, 1, constant_values=-2)
    nbrs = np.stack([pad[1:-1, :-2], pad[1:-1, 2:], pad[:-2, 1:-1], pad[2:, 1:-1]])
    act = np.concatenate([np.asarray(active, bool), [False]])[np.where(labels >= 0, labels, n)]
    edge = act & ((nbrs != labels) & (nbrs != -2)).any(axis=0)
    for v, u in zip(*np.nonzero(edge)):
        j = labels[v, u]
        z = float(depth_m[v, u])
        far = z - max(jump_min_m, jump_per_m * z)
        v0, v1 = max(0, v - radius_px), min(h, v + radius_px + 1)
        u0, u1 = max(0, u - radius_px), min(w, u + radius_px + 1)
        lab = labels[v0:v1, u0:u1]
        hit = (lab >= 0) & (lab != j) & (depth_m[v0:v1, u0:u1].astype(np.float64) < far)
        occ[lab[hit], j] = True
    return occ, int(occ.sum())


def merge_candidates(stats, index, merge_reach_m, min_points, upright_min_top_m,
                     standing_max_bottom_m, prev_box=(np.nan,) * 4, other_margin_m=0.0):
    """Twin of _kernels_blobs.merge_candidates (the NumPy rule person.merge_candidates ran):
    (allowed, rejoin)."""
    cnt = np.maximum(stats[:, COUNT], 1.0)
    cx = stats[:, SUM_X] / cnt
    cy = stats[:, SUM_Y] / cnt
    reach = np.hypot(cx - cx[index], cy - cy[index]) <= merge_reach_m
    standing = ((stats[:, COUNT] >= min_points) & (stats[:, MAX_H] >= upright_min_top_m)
                & (stats[:, MIN_H] <= standing_max_bottom_m))
    ok = (stats[:, COUNT] > 0) & reach & ~standing
    ok[index] = True
    x0, x1, y0, y1 = prev_box
    rejoin = ((stats[:, COUNT] > 0) & reach & standing
              & (cx >= x0) & (cx <= x1) & (cy >= y0) & (cy <= y1))
    rejoin[index] = False
    for j in np.nonzero(standing & ~rejoin)[0]:     # under another standing person: theirs
        if j == index:
            continue
        under = ((stats[:, MAX_H] < stats[j, MAX_H])
                 & (cx >= stats[j, MIN_X] - other_margin_m) & (cx <= stats[j, MAX_X] + other_margin_m)
                 & (cy >= stats[j, MIN_Y] - other_margin_m) & (cy <= stats[j, MAX_Y] + other_margin_m))
        under[index] = False
        ok &= ~under
    return ok, rejoin


def hidden_candidates(stats, keep, allowed, floor_object_bottom_m, floor_object_top_m,
                      hidden_min_points):
    """Twin of _kernels_blobs.hidden_candidates: the (n,) bool mask."""
    floor_obj = (stats[:, MIN_H] <= floor_object_bottom_m) & (stats[:, MAX_H] < floor_object_top_m)
    return allowed & ~keep & ~floor_obj & (stats[:, COUNT] >= hidden_min_points)
