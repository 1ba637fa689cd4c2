"""Numba kernels of the depth renderer and the D435 sensor model (@njit only).

Pure functions on arrays: float32/int32 in, preallocated `out_*` arrays out, no globals
read inside (the primitive kind codes are passed as literals below and mirrored in
station.sim.render). Internally the ray maths runs in float64 (the quadratic forms of a
cone seen from 3 m cancel badly in float32); results are stored as float32.

Primitive parameters, one row of 16 float32 per primitive (see station.sim.render):
  kind 0 sphere      c[0:3] r[3]
  kind 1 round cone  a[0:3] b[3:6] ra[6] rb[7]       (two spheres joined by a tangent cone)
  kind 2 ellipsoid   c[0:3] axes[3:12] (3 unit rows) radii[12:15]
  kind 3 box         c[0:3] axes[3:12]               half extents[12:15]
  kind 4 cylinder    c[0:3] axes[3:12] (row 2 = axis) radius[12] half length[14]
  kind 5 plane       n[0:3] d[3]                      (n·p + d = 0)
Rays start at the camera origin along q = ((u - ppx)/fx, (v - ppy)/fy, 1), so the ray
parameter of a hit is its camera z.
"""
from __future__ import annotations

import math

import numba as nb
import numpy as np

_INF = np.inf


@nb.njit(cache=True, nogil=True)
def transform_primitives(kind, params_floor, R_cam_floor, t_cam_floor, out_params_cam):
    """Map every primitive's parameters from the floor frame to the camera frame."""
    n = kind.shape[0]
    for i in range(n):
        for j in range(16):
            out_params_cam[i, j] = params_floor[i, j]
        k = kind[i]
        if k == 5:
            nx = params_floor[i, 0]
            ny = params_floor[i, 1]
            nz = params_floor[i, 2]
            dotnt = 0.0
            for r in range(3):
                v = R_cam_floor[r, 0] * nx + R_cam_floor[r, 1] * ny + R_cam_floor[r, 2] * nz
                out_params_cam[i, r] = v
                dotnt += v * t_cam_floor[r]
            out_params_cam[i, 3] = params_floor[i, 3] - dotnt
            continue
        # first point (centre or cone end a)
        npts = 2 if k == 1 else 1
        for q in range(npts):
            o = 3 * q
            px = params_floor[i, o]
            py = params_floor[i, o + 1]
            pz = params_floor[i, o + 2]
            for r in range(3):
                out_params_cam[i, o + r] = (R_cam_floor[r, 0] * px + R_cam_floor[r, 1] * py
                                            + R_cam_floor[r, 2] * pz + t_cam_floor[r])
        if k >= 2:
            for a in range(3):
                o = 3 + 3 * a
                ax = params_floor[i, o]
                ay = params_floor[i, o + 1]
                az = params_floor[i, o + 2]
                for r in range(3):
                    out_params_cam[i, o + r] = (R_cam_floor[r, 0] * ax + R_cam_floor[r, 1] * ay
                                                + R_cam_floor[r, 2] * az)


@nb.njit(cache=True, nogil=True, inline="always")
def _grow(x, y, z, r, box):
    """Grow box [xmin, xmax, ymin, ymax, zmin, bad] by the sphere (x, y, z, r) seen in x/z, y/z."""
    zn = z - r
    zf = z + r
    if zn <= box[6]:
        box[5] = 1.0
        return
    box[0] = min(box[0], min((x - r) / zn, (x - r) / zf))
    box[1] = max(box[1], max((x + r) / zn, (x + r) / zf))
    box[2] = min(box[2], min((y - r) / zn, (y - r) / zf))
    box[3] = max(box[3], max((y + r) / zn, (y + r) / zf))
    box[4] = min(box[4], zn)


@nb.njit(cache=True, nogil=True)
def screen_bounds(kind, params_cam, width, height, fx, fy, ppx, ppy, near_m, out_bbox, out_zmin):
    """Conservative pixel box [u0, u1, v0, v1] (inclusive) and nearest camera z of each primitive.

    Spheres and round cones: the union of their end spheres' boxes; ellipsoids, boxes and
    cylinders: the projected corners of their oriented bounding box. A primitive reaching in
    front of `near_m` (or a plane) gets the whole image and zmin = -inf; one entirely behind
    it gets an empty box (u0 > u1).
    """
    box = np.empty(7)
    for i in range(kind.shape[0]):
        k = kind[i]
        box[0] = np.inf
        box[1] = -np.inf
        box[2] = np.inf
        box[3] = -np.inf
        box[4] = np.inf
        box[5] = 0.0
        box[6] = near_m
        behind = False
        if k == 5:
            box[5] = 1.0
        elif k == 0 or k == 1:
            n_behind = 0
            for q in range(2 if k == 1 else 1):
                o = 3 * q
                r = float(params_cam[i, 6 + q]) if k == 1 else float(params_cam[i, 3])
                z = float(params_cam[i, o + 2])
                if z + r <= near_m:
                    n_behind += 1
                    box[5] = 1.0  # the hull may still reach in front of the near plane
                else:
                    _grow(float(params_cam[i, o]), float(params_cam[i, o + 1]), z, r, box)
            if n_behind == (2 if k == 1 else 1):
                behind = True  # every end sphere behind the near plane: so is their hull
        else:
            s0 = float(params_cam[i, 12])
            s1 = float(params_cam[i, 13]) if k != 4 else s0
            s2 = float(params_cam[i, 14])
            n_front = 0
            for c in range(8):
                f0 = s0 if (c & 1) else -s0
                f1 = s1 if (c & 2) else -s1
                f2 = s2 if (c & 4) else -s2
                x = float(params_cam[i, 0]) + f0 * params_cam[i, 3] + f1 * params_cam[i, 6] + f2 * params_cam[i, 9]
                y = float(params_cam[i, 1]) + f0 * params_cam[i, 4] + f1 * params_cam[i, 7] + f2 * params_cam[i, 10]
                z = float(params_cam[i, 2]) + f0 * params_cam[i, 5] + f1 * params_cam[i, 8] + f2 * params_cam[i, 11]
                if z > near_m:
                    n_front += 1
                    _grow(x, y, z, 0.0, box)
                else:
                    box[5] = 1.0
            if n_front == 0:
                behind = True
        if behind:
            out_bbox[i, 0] = 1
            out_bbox[i, 1] = 0
            out_bbox[i, 2] = 1
            out_bbox[i, 3] = 0
            out_zmin[i] = np.inf
            continue
        if box[5] != 0.0:
            out_bbox[i, 0] = 0
            out_bbox[i, 1] = width - 1
            out_bbox[i, 2] = 0
            out_bbox[i, 3] = height - 1
            out_zmin[i] = -np.inf
            continue
        out_zmin[i] = box[4]
        u0 = math.floor(fx * box[0] + ppx) - 1
        u1 = math.ceil(fx * box[1] + ppx) + 1
        v0 = math.floor(fy * box[2] + ppy) - 1
        v1 = math.ceil(fy * box[3] + ppy) + 1
        out_bbox[i, 0] = max(0, min(u0, width))
        out_bbox[i, 1] = max(-1, min(u1, width - 1))
        out_bbox[i, 2] = max(0, min(v0, height))
        out_bbox[i, 3] = max(-1, min(v1, height - 1))


@nb.njit(cache=True, nogil=True, inline="always")
def _hit_sphere(p, dx, dy, dz, tmin):
    cx = float(p[0])
    cy = float(p[1])
    cz = float(p[2])
    r = float(p[3])
    a = dx * dx + dy * dy + dz * dz
    b = dx * cx + dy * cy + dz * cz
    cc = cx * cx + cy * cy + cz * cz - r * r
    h = b * b - a * cc
    if h < 0.0:
        return _INF
    t = (b - math.sqrt(h)) / a
    if t > tmin:
        return t
    return _INF


@nb.njit(cache=True, nogil=True, inline="always")
def _hit_sphere_xyz(cx, cy, cz, r, dx, dy, dz):
    # unit direction d
    b = dx * cx + dy * cy + dz * cz
    h = b * b - (cx * cx + cy * cy + cz * cz - r * r)
    if h < 0.0:
        return _INF
    return b - math.sqrt(h)


@nb.njit(cache=True, nogil=True, inline="always")
def _hit_round_cone(p, qx, qy, qz, tmin):
    inv = 1.0 / math.sqrt(qx * qx + qy * qy + qz * qz)
    return _hit_round_cone_unit(p, qx * inv, qy * inv, qz * inv, tmin / inv) * inv


@nb.njit(cache=True, nogil=True, inline="always")
def _hit_round_cone_unit(p, dx, dy, dz, tmin):
    # Inigo Quilez's round-cone intersection with the ray origin at 0 (oa = -a, ob = -b).
    ax = float(p[0])
    ay = float(p[1])
    az = float(p[2])
    bx = float(p[3])
    by = float(p[4])
    bz = float(p[5])
    ra = float(p[6])
    rb = float(p[7])
    bax = bx - ax
    bay = by - ay
    baz = bz - az
    rr = ra - rb
    m0 = bax * bax + bay * bay + baz * baz
    d2 = m0 - rr * rr
    if d2 <= 1e-12 * max(m0, 1e-12) or m0 < 1e-14:
        # zero length, or one end sphere swallows the other: the bigger sphere
        if ra >= rb:
            t = _hit_sphere_xyz(ax, ay, az, ra, dx, dy, dz)
        else:
            t = _hit_sphere_xyz(bx, by, bz, rb, dx, dy, dz)
        return t if t > tmin else _INF
    oax = -ax
    oay = -ay
    oaz = -az
    m1 = bax * oax + bay * oay + baz * oaz
    m2 = bax * dx + bay * dy + baz * dz
    m3 = dx * oax + dy * oay + dz * oaz
    m5 = oax * oax + oay * oay + oaz * oaz
    m6 = -(dx * bx + dy * by + dz * bz)
    m7 = bx * bx + by * by + bz * bz
    k2 = d2 - m2 * m2
    k1 = d2 * m3 - m1 * m2 + m2 * rr * ra
    k0 = d2 * m5 - m1 * m1 + m1 * rr * ra * 2.0 - m0 * ra * ra
    h = k1 * k1 - k0 * k2
    if h < 0.0:
        return _INF
    if abs(k2) > 1e-12 * d2:
        t = (-math.sqrt(h) - k1) / k2
        y = m1 - ra * rr + t * m2
        if y > 0.0 and y < d2:
            return t if t > tmin else _INF
    h1 = m3 * m3 - m5 + ra * ra
    h2 = m6 * m6 - m7 + rb * rb
    if max(h1, h2) < 0.0:
        return _INF
    t = _INF
    if h1 > 0.0:
        t = -m3 - math.sqrt(h1)
    if h2 > 0.0:
        t2 = -m6 - math.sqrt(h2)
        if t2 < t:
            t = t2
    return t if t > tmin else _INF


@nb.njit(cache=True, nogil=True, inline="always")
def _local(p, a, dx, dy, dz):
    """Ray origin (camera 0) and direction in the primitive's local axis a."""
    o = 3 + 3 * a
    ux = float(p[o])
    uy = float(p[o + 1])
    uz = float(p[o + 2])
    oc = -(ux * float(p[0]) + uy * float(p[1]) + uz * float(p[2]))
    dd = ux * dx + uy * dy + uz * dz
    return oc, dd


@nb.njit(cache=True, nogil=True, inline="always")
def _hit_ellipsoid(p, dx, dy, dz, tmin):
    o0, d0 = _local(p, 0, dx, dy, dz)
    o1, d1 = _local(p, 1, dx, dy, dz)
    o2, d2 = _local(p, 2, dx, dy, dz)
    s0 = float(p[12])
    s1 = float(p[13])
    s2 = float(p[14])
    o0 /= s0
    d0 /= s0
    o1 /= s1
    d1 /= s1
    o2 /= s2
    d2 /= s2
    a = d0 * d0 + d1 * d1 + d2 * d2
    b = o0 * d0 + o1 * d1 + o2 * d2
    c = o0 * o0 + o1 * o1 + o2 * o2 - 1.0
    h = b * b - a * c
    if h < 0.0 or a <= 0.0:
        return _INF
    t = (-b - math.sqrt(h)) / a
    return t if t > tmin else _INF


@nb.njit(cache=True, nogil=True, inline="always")
def _slab(o, d, s, tn, tf):
    if abs(d) < 1e-12:
        if abs(o) > s:
            return 1.0, 0.0  # empty
        return tn, tf
    t1 = (-s - o) / d
    t2 = (s - o) / d
    if t1 > t2:
        t1, t2 = t2, t1
    return max(tn, t1), min(tf, t2)


@nb.njit(cache=True, nogil=True, inline="always")
def _hit_box(p, dx, dy, dz, tmin):
    tn = -_INF
    tf = _INF
    for a in range(3):
        o, d = _local(p, a, dx, dy, dz)
        tn, tf = _slab(o, d, float(p[12 + a]), tn, tf)
    if tn <= tf and tn > tmin:
        return tn
    return _INF


@nb.njit(cache=True, nogil=True, inline="always")
def _hit_cylinder(p, dx, dy, dz, tmin):
    o0, d0 = _local(p, 0, dx, dy, dz)
    o1, d1 = _local(p, 1, dx, dy, dz)
    o2, d2 = _local(p, 2, dx, dy, dz)
    r = float(p[12])
    a = d0 * d0 + d1 * d1
    b = o0 * d0 + o1 * d1
    c = o0 * o0 + o1 * o1 - r * r
    if a < 1e-12:
        if c > 0.0:
            return _INF
        tn = -_INF
        tf = _INF
    else:
        h = b * b - a * c
        if h < 0.0:
            return _INF
        sh = math.sqrt(h)
        tn = (-b - sh) / a
        tf = (-b + sh) / a
    tn, tf = _slab(o2, d2, float(p[14]), tn, tf)
    if tn <= tf and tn > tmin:
        return tn
    return _INF


@nb.njit(cache=True, nogil=True, inline="always")
def _hit_plane(p, dx, dy, dz, tmin):
    den = float(p[0]) * dx + float(p[1]) * dy + float(p[2]) * dz
    if abs(den) < 1e-12:
        return _INF
    t = -float(p[3]) / den
    return t if t > tmin else _INF


@nb.njit(cache=True, nogil=True, inline="always")
def hit_t(k, p, dx, dy, dz, tmin):
    """Entry ray parameter of primitive kind k (params row p) along the ray d, or inf.

    The ray starts at the camera origin; d need not be unit: with d = (x/z, y/z, 1) the
    parameter is the camera z of the hit. Hits at t <= tmin (behind the camera) are inf.
    """
    if k == 0:
        return _hit_sphere(p, dx, dy, dz, tmin)
    if k == 1:
        return _hit_round_cone(p, dx, dy, dz, tmin)
    if k == 2:
        return _hit_ellipsoid(p, dx, dy, dz, tmin)
    if k == 3:
        return _hit_box(p, dx, dy, dz, tmin)
    if k == 4:
        return _hit_cylinder(p, dx, dy, dz, tmin)
    if k == 5:
        return _hit_plane(p, dx, dy, dz, tmin)
    return _INF


@nb.njit(cache=True, nogil=True)
def rasterise(kind, params_cam, label, order, bbox, zmin, fx, fy, ppx, ppy, max_z, tmin,
              out_depth, out_index, out_label):
    """Nearest entry surface per pixel (camera z, metres; 0 = none closer than max_z).

    Primitives are visited in `order` (front to back by zmin is fastest); each one tests only
    the pixels of its bbox and skips a pixel whose current depth is already nearer than its
    nearest possible point zmin. out_index: primitive row (-1 = none); out_label: label[row] (0 = none).
    """
    H = out_depth.shape[0]
    W = out_depth.shape[1]
    for v in range(H):
        for u in range(W):
            out_depth[v, u] = max_z
            out_index[v, u] = -1
    for k in range(order.shape[0]):
        i = order[k]
        ki = kind[i]
        p = params_cam[i]
        zlo = zmin[i]
        for v in range(bbox[i, 2], bbox[i, 3] + 1):
            yv = (v - ppy) / fy
            for u in range(bbox[i, 0], bbox[i, 1] + 1):
                zb = out_depth[v, u]
                if zb <= zlo:
                    continue
                xu = (u - ppx) / fx
                z = hit_t(ki, p, xu, yv, 1.0, tmin)
                if z < zb:
                    out_depth[v, u] = z
                    out_index[v, u] = i
    for v in range(H):
        for u in range(W):
            i = out_index[v, u]
            if i < 0:
                out_depth[v, u] = 0.0
                out_label[v, u] = 0
            else:
                out_label[v, u] = label[i]


# ----------------------------------------------------------------------------- sensor


@nb.njit(cache=True, nogil=True)
def stereo_occlusion(depth_m, fx_baseline_px_m, tol_px, out_invalid):
    """Pixels the right imager cannot see (D4xx: the left imager is the reference).

    A pixel at column u with disparity d = fx·B/z lands at u - d in the right image; it is
    occluded when some pixel further right lands at or left of that column (it is nearer),
    or when u - d < 0 (outside the right imager: the left band of every D4xx image).
    Pixels without depth (0) neither occlude nor are marked.
    """
    H = depth_m.shape[0]
    W = depth_m.shape[1]
    for v in range(H):
        min_r = _INF
        for u in range(W - 1, -1, -1):
            z = depth_m[v, u]
            out_invalid[v, u] = 0
            if z <= 0.0:
                continue
            r = u - fx_baseline_px_m / z
            if r < 0.0 or min_r <= r - tol_px:
                out_invalid[v, u] = 1
            if r < min_r:
                min_r = r


@nb.njit(cache=True, nogil=True)
def flying_pixels(depth_m, jump_m, u01, p_fly, out_depth):
    """Mix a fraction p_fly of edge pixels with their most different 4-neighbour.

    An edge pixel has a valid 4-neighbour whose depth differs by more than jump_m. The pixel
    is replaced when u01 > 1 - p_fly, by z + a·(z_nb - z) with a = (u01 - (1 - p_fly)) / p_fly.
    """
    H = depth_m.shape[0]
    W = depth_m.shape[1]
    thr = 1.0 - p_fly
    for v in range(H):
        for u in range(W):
            z = depth_m[v, u]
            out_depth[v, u] = z
            r = u01[v, u]
            if z <= 0.0 or r <= thr or p_fly <= 0.0:
                continue
            best = 0.0
            znb = 0.0
            for q in range(4):
                vv = v
                uu = u
                if q == 0:
                    uu = u - 1
                elif q == 1:
                    uu = u + 1
                elif q == 2:
                    vv = v - 1
                else:
                    vv = v + 1
                if vv < 0 or vv >= H or uu < 0 or uu >= W:
                    continue
                zn = depth_m[vv, uu]
                if zn <= 0.0:
                    continue
                dz = abs(zn - z)
                if dz > jump_m and dz > best:
                    best = dz
                    znb = zn
            if best > 0.0:
                a = (r - thr) / p_fly
                out_depth[v, u] = z + a * (znb - z)


@nb.njit(cache=True, nogil=True)
def _blur_rows(src, kernel, out):
    """out = src convolved with kernel along each row, edges clamped."""
    H = src.shape[0]
    W = src.shape[1]
    r = (kernel.shape[0] - 1) // 2
    for v in range(H):
        for u in range(W):
            s = 0.0
            for k in range(-r, r + 1):
                s += kernel[k + r] * src[v, min(max(u + k, 0), W - 1)]
            out[v, u] = s


@nb.njit(cache=True, nogil=True)
def smooth_noise(white, kernel, tmp, out):
    """out = white convolved with kernel along rows, then along columns (separable), edges
    clamped; tmp: a scratch array of white's shape."""
    _blur_rows(white, kernel, tmp)
    _blur_rows(tmp.T, kernel, out.T)


@nb.njit(cache=True, nogil=True)
def correlated_noise(white, w_centre, w_nbr, out):
    """out = w_centre·white + w_nbr·(sum of the 8 neighbours), edges clamped."""
    H = white.shape[0]
    W = white.shape[1]
    for v in range(H):
        for u in range(W):
            s = 0.0
            for dv in range(-1, 2):
                vv = min(max(v + dv, 0), H - 1)
                for du in range(-1, 2):
                    if dv == 0 and du == 0:
                        continue
                    uu = min(max(u + du, 0), W - 1)
                    s += white[vv, uu]
            out[v, u] = w_centre * white[v, u] + w_nbr * s


@nb.njit(cache=True, nogil=True)
def stamp_holes(seed_v, seed_u, radius_px, out_mask):
    """Set out_mask to 1 on a disc of radius_px[i] around each seed (out_mask not cleared)."""
    H = out_mask.shape[0]
    W = out_mask.shape[1]
    for i in range(seed_v.shape[0]):
        r = radius_px[i]
        r2 = r * r
        for dv in range(-r, r + 1):
            vv = seed_v[i] + dv
            if vv < 0 or vv >= H:
                continue
            for du in range(-r, r + 1):
                uu = seed_u[i] + du
                if uu < 0 or uu >= W or dv * dv + du * du > r2:
                    continue
                out_mask[vv, uu] = 1


@nb.njit(cache=True, nogil=True)
def disparity_noise_quantise(depth_m, noise, invalid, fx_baseline_px_m, sigma_disp_px,
                             min_z_m, max_z_m, depth_unit_m, out_u16):
    """Add disparity noise, drop out-of-range and invalid pixels, quantise to depth units.

    z' = fx·B / (fx·B / z + sigma_disp_px · noise); 0 where z is 0, invalid is set, the
    disparity turns non-positive, or z' falls outside [min_z_m, max_z_m].
    """
    H = depth_m.shape[0]
    W = depth_m.shape[1]
    for v in range(H):
        for u in range(W):
            z = float(depth_m[v, u])
            out_u16[v, u] = 0
            if z <= 0.0 or invalid[v, u] != 0:
                continue
            d = fx_baseline_px_m / z + sigma_disp_px * float(noise[v, u])
            if d <= 0.0:
                continue
            zn = fx_baseline_px_m / d
            if zn < min_z_m or zn > max_z_m:
                continue
            q = math.floor(zn / depth_unit_m + 0.5)
            if q > 65535.0:
                continue
            out_u16[v, u] = np.uint16(q)
