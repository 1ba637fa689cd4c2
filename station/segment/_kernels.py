"""Numba kernels of the segmenter. ``@njit`` only: arrays in, preallocated arrays out.

House style (see shared/STYLE.md): pure functions on arrays, ``cache=True, nogil=True``,
float32 images and points in metres, int32 indices and labels, every threshold an argument,
no globals. Each kernel has a loop-free (or obviously correct) NumPy twin in
:mod:`station.segment.reference`, compared by tests/segment.

The decimation and back-projection kernels live in :mod:`station.segment._kernels_depth`, the
floor's in :mod:`station.segment._kernels_floor` (both re-exported here).

Image layout: (h, w) row-major; a pixel is (v, u) = (row, column); ``pixels_uv`` lists
(u, v). Depth 0 means "no data" everywhere.
"""
from __future__ import annotations

import numba as nb
import numpy as np

from station.segment._kernels_depth import (  # noqa: F401  (the segmenter's kernels, one namespace)
    backproject,
    decimate_median4_valid,
    decimate_median_valid,
    decimate_min_valid,
)
from station.segment._kernels_floor import (  # noqa: F401
    plane_from_moments,
    plane_inlier_moments,
    plane_inlier_residuals,
    ransac_plane,
    select_floor_points,
)

_JIT = dict(cache=True, nogil=True)


@nb.njit(**_JIT)
def classify_pixels(points_cam_m, R_floor_cam, t_floor_cam, zone_box, clear0_m, clear2_per_m,
                    max_height_m, bg_depth_m, bg_count, bg_min_count, bg_thr0_m, bg_thr2_per_m,
                    out_points_floor_m, out_candidate):
    """Floor-frame coordinates of every pixel and the candidate-foreground mask.

    R_floor_cam (3, 3), t_floor_cam (3,) float64: the camera-to-floor transform.
    zone_box: (4,) float64 (x_min, x_max, y_min, y_max) in the floor frame, margin included.
    A pixel is a candidate if it has depth, lies inside zone_box, is higher than
    clear0_m + clear2_per_m * z^2 above the floor and lower than max_height_m, and — where a
    background is learned (bg_count >= bg_min_count) — is nearer than the background by more
    than bg_thr0_m + bg_thr2_per_m * z^2. Without a learned background the pixel falls back
    to the zone and floor tests alone. out_points_floor_m: (h, w, 3) float32, written at the
    candidates only (blob_stats reads no other pixel; the others keep what they held:
    writing the whole image's, 300 kB a frame, cost ~50 us of the kernel's ~160 in the
    station's loop); out_candidate: (h, w) bool. Returns the number of candidates.
    """
    h, w = bg_depth_m.shape
    r00 = R_floor_cam[0, 0]
    r01 = R_floor_cam[0, 1]
    r02 = R_floor_cam[0, 2]
    r10 = R_floor_cam[1, 0]
    r11 = R_floor_cam[1, 1]
    r12 = R_floor_cam[1, 2]
    r20 = R_floor_cam[2, 0]
    r21 = R_floor_cam[2, 1]
    r22 = R_floor_cam[2, 2]
    t0 = t_floor_cam[0]
    t1 = t_floor_cam[1]
    t2 = t_floor_cam[2]
    x_min = zone_box[0]
    x_max = zone_box[1]
    y_min = zone_box[2]
    y_max = zone_box[3]
    n = 0
    for v in range(h):
        for u in range(w):
            z = np.float64(points_cam_m[v, u, 2])
            if z <= 0.0:
                out_candidate[v, u] = False
                continue
            x = np.float64(points_cam_m[v, u, 0])
            y = np.float64(points_cam_m[v, u, 1])
            fx_ = r00 * x + r01 * y + r02 * z + t0
            fy_ = r10 * x + r11 * y + r12 * z + t1
            fz_ = r20 * x + r21 * y + r22 * z + t2
            z2 = z * z
            ok = (fx_ >= x_min and fx_ <= x_max and fy_ >= y_min and fy_ <= y_max
                  and fz_ > clear0_m + clear2_per_m * z2 and fz_ <= max_height_m)
            if ok and bg_count[v, u] >= bg_min_count:
                ok = np.float64(bg_depth_m[v, u]) - z > bg_thr0_m + bg_thr2_per_m * z2
            out_candidate[v, u] = ok
            if ok:
                out_points_floor_m[v, u, 0] = fx_
                out_points_floor_m[v, u, 1] = fy_
                out_points_floor_m[v, u, 2] = fz_
                n += 1
    return n


# --------------------------------------------------------------------------- components

@nb.njit(**_JIT)
def _find(parent, i):
    root = i
    while parent[root] != root:
        root = parent[root]
    while parent[i] != root:  # path compression
        nxt = parent[i]
        parent[i] = root
        i = nxt
    return root


@nb.njit(**_JIT)
def _union(parent, a, b):
    ra = _find(parent, a)
    rb = _find(parent, b)
    if ra < rb:
        parent[rb] = ra
    elif rb < ra:
        parent[ra] = rb


@nb.njit(**_JIT)
def connected_components(mask, depth_m, jump_min_m, jump_per_m, connectivity8, scratch_parent,
                         out_labels):
    """Label the connected components of mask, joining neighbours of similar depth.

    Two mask pixels p, q that are neighbours (4- or 8-connected) are joined when
    |z_p - z_q| < max(jump_min_m, jump_per_m * (z_p + z_q) / 2). scratch_parent: (h*w,)
    int32 workspace. out_labels: (h, w) int32, -1 off the mask, else 0..n-1 numbered in
    raster order of each component's first pixel. Returns n.
    """
    h, w = mask.shape
    for v in range(h):
        for u in range(w):
            i = v * w + u
            scratch_parent[i] = i
    for v in range(h):
        for u in range(w):
            if not mask[v, u]:
                continue
            i = v * w + u
            z = depth_m[v, u]
            # backward neighbours: left, up (and up-left, up-right for 8-connectivity)
            if u > 0 and mask[v, u - 1]:
                zq = depth_m[v, u - 1]
                if abs(z - zq) < max(jump_min_m, jump_per_m * 0.5 * (z + zq)):
                    _union(scratch_parent, i, i - 1)
            if v > 0:
                if mask[v - 1, u]:
                    zq = depth_m[v - 1, u]
                    if abs(z - zq) < max(jump_min_m, jump_per_m * 0.5 * (z + zq)):
                        _union(scratch_parent, i, i - w)
                if connectivity8:
                    if u > 0 and mask[v - 1, u - 1]:
                        zq = depth_m[v - 1, u - 1]
                        if abs(z - zq) < max(jump_min_m, jump_per_m * 0.5 * (z + zq)):
                            _union(scratch_parent, i, i - w - 1)
                    if u + 1 < w and mask[v - 1, u + 1]:
                        zq = depth_m[v - 1, u + 1]
                        if abs(z - zq) < max(jump_min_m, jump_per_m * 0.5 * (z + zq)):
                            _union(scratch_parent, i, i - w + 1)
    n = 0
    for v in range(h):
        for u in range(w):
            if not mask[v, u]:
                out_labels[v, u] = -1
                continue
            i = v * w + u
            r = _find(scratch_parent, i)
            if r == i:  # the root is the component's first pixel in raster order
                out_labels[v, u] = n
                n += 1
            else:
                out_labels[v, u] = out_labels[r // w, r % w]
    return n


@nb.njit(**_JIT)
def blob_stats(labels, n_labels, points_floor_m, out_stats):
    """Per-component footprint and height in the floor frame.

    out_stats: (n_labels, 9) float64 rows = [count, sum x, sum y, min x, max x, min y,
    max y, min height, max height] (x, y, height = floor-frame coordinates).
    """
    for k in range(n_labels):
        out_stats[k, 0] = 0.0
        out_stats[k, 1] = 0.0
        out_stats[k, 2] = 0.0
        out_stats[k, 3] = np.inf
        out_stats[k, 4] = -np.inf
        out_stats[k, 5] = np.inf
        out_stats[k, 6] = -np.inf
        out_stats[k, 7] = np.inf
        out_stats[k, 8] = -np.inf
    h, w = labels.shape
    for v in range(h):
        for u in range(w):
            k = labels[v, u]
            if k < 0:
                continue
            x = np.float64(points_floor_m[v, u, 0])
            y = np.float64(points_floor_m[v, u, 1])
            z = np.float64(points_floor_m[v, u, 2])
            out_stats[k, 0] += 1.0
            out_stats[k, 1] += x
            out_stats[k, 2] += y
            out_stats[k, 3] = min(out_stats[k, 3], x)
            out_stats[k, 4] = max(out_stats[k, 4], x)
            out_stats[k, 5] = min(out_stats[k, 5], y)
            out_stats[k, 6] = max(out_stats[k, 6], y)
            out_stats[k, 7] = min(out_stats[k, 7], z)
            out_stats[k, 8] = max(out_stats[k, 8], z)


@nb.njit(**_JIT)
def _dilate_rows(labels, keep, radius, out_rows):
    """out_rows[v, u]: any pixel of row v within |du| <= radius is kept (labels >= 0 and
    keep[labels]): the row's kept pixels are copied into a padded row once, then OR-ed at
    each of the 2 radius + 1 shifts (vectorised loops)."""
    h, w = out_rows.shape
    row = np.zeros(w + 2 * radius, np.bool_)
    for v in range(h):
        for u in range(w):
            k = labels[v, u]
            row[u + radius] = k >= 0 and keep[k]
        out = out_rows[v]
        for u in range(w):
            out[u] = row[u]
        for s in range(1, 2 * radius + 1):
            for u in range(w):
                out[u] = out[u] | row[u + s]


@nb.njit(**_JIT)
def _dilate_columns(rows, radius, out_mask):
    """out_mask[v, u]: any of rows[v - radius .. v + radius, u] set (OR of whole rows)."""
    h, w = rows.shape
    for v in range(h):
        out = out_mask[v]
        for u in range(w):
            out[u] = False
        for vv in range(max(0, v - radius), min(h, v + radius + 1)):
            src = rows[vv]
            for u in range(w):
                out[u] = out[u] | src[u]


@nb.njit(**_JIT)
def dilate_labels(labels, keep, radius, out_mask):
    """Square (Chebyshev) dilation by radius pixels of the kept labels' mask (labels >= 0 and
    keep[labels]; its NumPy twin is reference.dilate_mask of reference.mask_from_labels): a
    row pass, then a column pass (the square is the product of the two segments), each OR-ing
    whole shifted rows, without the mask in between."""
    h, w = labels.shape
    rows = np.empty((h, w), np.bool_)
    _dilate_rows(labels, keep, radius, rows)
    _dilate_columns(rows, radius, out_mask)


@nb.njit(**_JIT)
def gather_labels(labels, keep, points_cam_m, out_mask, out_points_cam_m, out_pixels_uv):
    """mask_from_labels and gather_points in one pass: out_mask = labels >= 0 and
    keep[labels]; the mask's points and (u, v) pixels in raster order. Returns the count."""
    h, w = labels.shape
    n = 0
    for v in range(h):
        for u in range(w):
            k = labels[v, u]
            m = k >= 0 and keep[k]
            out_mask[v, u] = m
            if m:
                out_points_cam_m[n, 0] = points_cam_m[v, u, 0]
                out_points_cam_m[n, 1] = points_cam_m[v, u, 1]
                out_points_cam_m[n, 2] = points_cam_m[v, u, 2]
                out_pixels_uv[n, 0] = u
                out_pixels_uv[n, 1] = v
                n += 1
    return n


# --------------------------------------------------------------------------- background

@nb.njit(**_JIT)
def update_background(depth_m, exclude_mask, tol0_m, tol2_per_m, n_avg, count_max, rate_near,
                      rate_far, bg_depth_m, bg_count):
    """One learning step of the empty-scene model, in place on bg_depth_m and bg_count.

    Per valid, non-excluded pixel with depth z and background b:
      no background yet (count 0): b = z, count = 1;
      |z - b| <= tol0_m + tol2_per_m * z^2 (agrees): running mean over the last ~n_avg
          agreeing frames (rate 1 / min(count + 1, n_avg)), count + 1 (capped at count_max);
      z nearer than b beyond tolerance (something new in front): b moves towards z at
          rate_near (slow, so a person who stays is not absorbed quickly);
      z further than b beyond tolerance (something in front went away): b moves towards z
          at rate_far.
    A pixel without depth loses one count per frame and is forgotten (b = 0) at count 0, so
    a removed object that revealed no-data (out of range, black) does not stay forever.
    Excluded pixels are left unchanged.
    """
    h, w = depth_m.shape
    for v in range(h):
        for u in range(w):
            if exclude_mask[v, u]:
                continue
            z = depth_m[v, u]
            c = bg_count[v, u]
            if z <= 0.0:
                if c > 0:
                    bg_count[v, u] = c - 1
                    if c == 1:
                        bg_depth_m[v, u] = 0.0
                continue
            if c <= 0:
                bg_depth_m[v, u] = z
                bg_count[v, u] = 1
                continue
            b = bg_depth_m[v, u]
            diff = z - b
            tol = tol0_m + tol2_per_m * z * z
            if abs(diff) <= tol:
                k = c + 1
                if k > n_avg:
                    k = n_avg
                bg_depth_m[v, u] = b + np.float32(diff / k)
                if c < count_max:
                    bg_count[v, u] = c + 1
            elif diff < 0.0:
                bg_depth_m[v, u] = b + np.float32(diff * rate_near)
            else:
                bg_depth_m[v, u] = b + np.float32(diff * rate_far)


# --------------------------------------------------------------------------- merging

@nb.njit(**_JIT)
def _on_outline(labels, v, u, lab):
    """Pixel (v, u) of component lab has a 4-neighbour with another label (or none)."""
    h, w = labels.shape
    return ((u > 0 and labels[v, u - 1] != lab) or (u + 1 < w and labels[v, u + 1] != lab)
            or (v > 0 and labels[v - 1, u] != lab) or (v + 1 < h and labels[v + 1, u] != lab))


@nb.njit(**_JIT)
def component_gaps(labels, points_cam_m, n_labels, active, fx, fy, max_gap_m, max_radius_px,
                   out_gap_m):
    """Smallest 3D distance between the points of each pair of components, up to max_gap_m.

    labels: (h, w) int32 from connected_components (-1 off the mask); points_cam_m:
    (h, w, 3) float32; active: (n_labels,) bool. For every boundary pixel p of an active
    component a (a 4-neighbour inside the image has another label, or none) the window |du| <= ru, |dv| <= rv around it is searched
    for pixels q of other components b, with ru = min(max_radius_px, ceil(max_gap_m fx / z_p))
    (rv likewise with fy): the image radius of max_gap_m at p's depth. out_gap_m:
    (n_labels, n_labels) float32, symmetric, the smallest |p - q| <= max_gap_m found for each
    pair, inf where none (0 on the diagonal); pairs of two inactive components are not
    searched. Returns the number of pairs (a < b) found.
    """
    for a in range(n_labels):
        for b in range(n_labels):
            out_gap_m[a, b] = np.inf
        out_gap_m[a, a] = 0.0
    h, w = labels.shape
    max_gap2 = max_gap_m * max_gap_m
    n_pairs = 0
    # the rows holding an active component's pixels: the outlines searched lie there, and
    # their windows reach at most max_radius_px rows beyond
    v_first, v_end = h, 0
    for v in range(h):
        for u in range(w):
            a = labels[v, u]
            if a >= 0 and active[a]:
                v_first = min(v_first, v)
                v_end = v + 1
                break
    r_first = max(0, v_first - max_radius_px)
    r_end = min(h, v_end + max_radius_px)
    # per row, where the next labelled pixel is and where each run of one label ends: a
    # window row is walked from one pixel of another component to the next, jumping the
    # background and the searching component's own runs (the same pixels in the same order
    # as a scan of the whole window; most of an outline's window is neither)
    next_lab = np.empty((h, w + 1), np.int32)
    run_end = np.empty((h, w), np.int32)
    for v in range(r_first, r_end):
        next_lab[v, w] = w
        for u in range(w - 1, -1, -1):
            lab = labels[v, u]
            next_lab[v, u] = u if lab >= 0 else next_lab[v, u + 1]
            run_end[v, u] = run_end[v, u + 1] if (u + 1 < w and labels[v, u + 1] == lab) else u + 1
    for v in range(v_first, v_end):
        for u in range(w):
            a = labels[v, u]
            if a < 0 or not active[a]:
                continue
            if not _on_outline(labels, v, u, a):
                continue
            px = np.float64(points_cam_m[v, u, 0])
            py = np.float64(points_cam_m[v, u, 1])
            pz = np.float64(points_cam_m[v, u, 2])
            if pz <= 0.0:
                continue
            ru = min(max_radius_px, np.int64(np.ceil(max_gap_m * fx / pz)))
            rv = min(max_radius_px, np.int64(np.ceil(max_gap_m * fy / pz)))
            u_end = min(w, u + ru + 1)
            for vv in range(max(0, v - rv), min(h, v + rv + 1)):
                uu = next_lab[vv, max(0, u - ru)]
                while uu < u_end:
                    b = labels[vv, uu]
                    if b == a:      # the searching component's own run: past it
                        uu = next_lab[vv, run_end[vv, uu]]
                        continue
                    nxt = next_lab[vv, uu + 1]
                    dx = np.float64(points_cam_m[vv, uu, 0]) - px
                    dy = np.float64(points_cam_m[vv, uu, 1]) - py
                    dz = np.float64(points_cam_m[vv, uu, 2]) - pz
                    d2 = dx * dx + dy * dy + dz * dz
                    uu = nxt
                    if d2 > max_gap2:
                        continue
                    d = np.float32(np.sqrt(d2))
                    if d < out_gap_m[a, b]:
                        if out_gap_m[a, b] == np.inf:
                            n_pairs += 1
                        out_gap_m[a, b] = d
                        out_gap_m[b, a] = d
    return n_pairs


@nb.njit(**_JIT)
def occlusion_pairs(labels, depth_m, active, jump_min_m, jump_per_m, radius_px, out_occludes):
    """Which components hide part of which: out_occludes[i, j] (n, n) bool is True when a
    boundary pixel p of an active component j (a 4-neighbour has another label, or none) has,
    within |du|, |dv| <= radius_px, a pixel q of another component i that is nearer the
    camera by more than the components' depth jump, max(jump_min_m, jump_per_m * z_p).

    Then i stands in front of j there, and the surface joining j to what lies beyond i may be
    hidden behind it (a bell swung between the legs cuts the lifter in two in the image; the
    3D gap between the halves is not empty, it is unseen). labels: (h, w) int32 (-1 off the
    mask); depth_m (h, w) float32; active (n,) bool. Returns the number of pairs set.
    """
    n = out_occludes.shape[0]
    for i in range(n):
        for j in range(n):
            out_occludes[i, j] = False
    h, w = labels.shape
    n_pairs = 0
    for v in range(h):
        for u in range(w):
            j = labels[v, u]
            if j < 0 or not active[j]:
                continue
            if not _on_outline(labels, v, u, j):
                continue
            z = np.float64(depth_m[v, u])
            far = z - max(jump_min_m, jump_per_m * z)
            for vv in range(max(0, v - radius_px), min(h, v + radius_px + 1)):
                for uu in range(max(0, u - radius_px), min(w, u + radius_px + 1)):
                    i = labels[vv, uu]
                    if i < 0 or i == j or out_occludes[i, j]:
                        continue
                    if np.float64(depth_m[vv, uu]) < far:
                        out_occludes[i, j] = True
                        n_pairs += 1
    return n_pairs
