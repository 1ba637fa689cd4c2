"""Slow, plain-NumPy twins of station.sim._render_kernels, for the tests only.

The renderer's twin tests every primitive against every pixel (no screen boxes, no
front-to-back order, no early outs), so comparing it with the kernel also checks the
culling. Sensor twins are written per pixel or per row in the most literal way.
"""
from __future__ import annotations

import numpy as np

from station.frames import invert
from station.model import Intrinsics

SPHERE, ROUND_CONE, ELLIPSOID, BOX, CYLINDER, PLANE = 0, 1, 2, 3, 4, 5


def transform_primitives(kind: np.ndarray, params_floor: np.ndarray, T_floor_cam: np.ndarray) -> np.ndarray:
    T = invert(np.asarray(T_floor_cam, np.float64))
    R = T[:3, :3].astype(np.float32).astype(np.float64)
    t = T[:3, 3].astype(np.float32).astype(np.float64)
    p = params_floor.astype(np.float64)
    out = p.copy()
    for i, k in enumerate(kind):
        if k == PLANE:
            n = R @ p[i, 0:3]
            out[i, 0:3] = n
            out[i, 3] = p[i, 3] - n @ t
            continue
        out[i, 0:3] = R @ p[i, 0:3] + t
        if k == ROUND_CONE:
            out[i, 3:6] = R @ p[i, 3:6] + t
        if k in (ELLIPSOID, BOX, CYLINDER):
            for a in range(3):
                out[i, 3 + 3 * a:6 + 3 * a] = R @ p[i, 3 + 3 * a:6 + 3 * a]
    return out.astype(np.float32)


def pixel_rays(intr: Intrinsics) -> np.ndarray:
    """(H, W, 3) float64 rays q = ((u - ppx)/fx, (v - ppy)/fy, 1): hit parameter = camera z."""
    v, u = np.mgrid[0:intr.height, 0:intr.width].astype(np.float64)
    return np.stack([(u - intr.ppx) / intr.fx, (v - intr.ppy) / intr.fy, np.ones_like(u)], axis=-1)


def _quad_entry(a, b, c):
    """Smaller root of a t² + 2 b t + c = 0 (inf where none)."""
    h = b * b - a * c
    with np.errstate(invalid="ignore", divide="ignore"):
        t = (-b - np.sqrt(h)) / a
    return np.where((h >= 0) & (a > 0), t, np.inf)


def _sphere(q, c, r):
    return _quad_entry(np.sum(q * q, -1), -(q @ c), c @ c - r * r)


def _round_cone(q, a, b, ra, rb):
    qn = np.linalg.norm(q, axis=-1)
    d = q / qn[..., None]
    ba = b - a
    rr = ra - rb
    m0 = ba @ ba
    d2 = m0 - rr * rr
    if d2 <= 1e-12 * max(m0, 1e-12) or m0 < 1e-14:
        return _sphere(q, a, ra) if ra >= rb else _sphere(q, b, rb)
    oa = -a
    ob = -b
    m1 = ba @ oa
    m2 = d @ ba
    m3 = d @ oa
    m5 = oa @ oa
    m6 = d @ ob
    m7 = ob @ ob
    k2 = d2 - m2 * m2
    k1 = d2 * m3 - m1 * m2 + m2 * rr * ra
    k0 = d2 * m5 - m1 * m1 + m1 * rr * ra * 2.0 - m0 * ra * ra
    h = k1 * k1 - k0 * k2
    with np.errstate(invalid="ignore", divide="ignore"):
        t_body = (-np.sqrt(h) - k1) / k2
    y = m1 - ra * rr + t_body * m2
    body_ok = (h >= 0) & (np.abs(k2) > 1e-12 * d2) & (y > 0) & (y < d2)
    h1 = m3 * m3 - m5 + ra * ra
    h2 = m6 * m6 - m7 + rb * rb
    with np.errstate(invalid="ignore"):
        t1 = np.where(h1 > 0, -m3 - np.sqrt(h1), np.inf)
        t2 = np.where(h2 > 0, -m6 - np.sqrt(h2), np.inf)
    t_caps = np.minimum(t1, t2)
    t = np.where(body_ok, t_body, t_caps)
    t = np.where(h >= 0, t, np.inf)
    return t / qn


def _local(q, p):
    axes = p[3:12].reshape(3, 3)
    o = -(axes @ p[0:3])          # camera origin in local coordinates
    d = q @ axes.T                # ray directions in local coordinates
    return o, d


def _ellipsoid(q, p):
    o, d = _local(q, p)
    s = p[12:15]
    o = o / s
    d = d / s
    return _quad_entry(np.sum(d * d, -1), d @ o, o @ o - 1.0)


def _slabs(o, d, s, tn, tf):
    for a in range(len(s)):
        da = d[..., a]
        par = np.abs(da) < 1e-12
        with np.errstate(divide="ignore", invalid="ignore"):
            t1 = (-s[a] - o[a]) / da
            t2 = (s[a] - o[a]) / da
        lo = np.where(par, np.where(abs(o[a]) > s[a], np.inf, -np.inf), np.minimum(t1, t2))
        hi = np.where(par, np.where(abs(o[a]) > s[a], -np.inf, np.inf), np.maximum(t1, t2))
        tn = np.maximum(tn, lo)
        tf = np.minimum(tf, hi)
    return tn, tf


def _box(q, p):
    o, d = _local(q, p)
    tn, tf = _slabs(o, d, p[12:15], np.full(q.shape[:-1], -np.inf), np.full(q.shape[:-1], np.inf))
    return np.where(tn <= tf, tn, np.inf)


def _cylinder(q, p):
    o, d = _local(q, p)
    r = p[12]
    a = d[..., 0] ** 2 + d[..., 1] ** 2
    b = o[0] * d[..., 0] + o[1] * d[..., 1]
    c = o[0] ** 2 + o[1] ** 2 - r * r
    h = b * b - a * c
    par = a < 1e-12
    with np.errstate(divide="ignore", invalid="ignore"):
        tn = np.where(par, np.where(c > 0, np.inf, -np.inf), (-b - np.sqrt(h)) / a)
        tf = np.where(par, np.where(c > 0, -np.inf, np.inf), (-b + np.sqrt(h)) / a)
    miss = ~par & (h < 0)
    tn, tf = _slabs(o[2:3], d[..., 2:3], p[14:15], tn, tf)
    return np.where(~miss & (tn <= tf), tn, np.inf)


def _plane(q, p):
    den = q @ p[0:3]
    with np.errstate(divide="ignore", invalid="ignore"):
        t = -p[3] / den
    return np.where(np.abs(den) < 1e-12, np.inf, t)


def primitive_depths(kind: np.ndarray, params_cam: np.ndarray, intr: Intrinsics, tmin: float = 1e-6) -> np.ndarray:
    """(n, H, W) float64 camera z of each primitive's entry surface per pixel (inf = none)."""
    q = pixel_rays(intr)
    out = np.full((len(kind), intr.height, intr.width), np.inf)
    for i, k in enumerate(kind):
        p = params_cam[i].astype(np.float64)
        if k == SPHERE:
            z = _sphere(q, p[0:3], p[3])
        elif k == ROUND_CONE:
            z = _round_cone(q, p[0:3], p[3:6], p[6], p[7])
        elif k == ELLIPSOID:
            z = _ellipsoid(q, p)
        elif k == BOX:
            z = _box(q, p)
        elif k == CYLINDER:
            z = _cylinder(q, p)
        else:
            z = _plane(q, p)
        out[i] = np.where(z > tmin, z, np.inf)
    return out


def render(kind, params_floor, label, T_floor_cam, intr: Intrinsics, max_z_m: float = 10.0):
    """(depth_m float32, prim_index int32, label uint8) by brute force."""
    params_cam = transform_primitives(kind, params_floor, T_floor_cam)
    z = primitive_depths(kind, params_cam, intr)
    H, W = intr.height, intr.width
    if len(kind) == 0:
        return np.zeros((H, W), np.float32), np.full((H, W), -1, np.int32), np.zeros((H, W), np.uint8)
    idx = np.argmin(z, axis=0)
    zbest = np.take_along_axis(z, idx[None], 0)[0]
    hit = zbest < max_z_m
    depth = np.where(hit, zbest, 0.0).astype(np.float32)
    index = np.where(hit, idx, -1).astype(np.int32)
    lab = np.where(hit, np.asarray(label)[idx], 0).astype(np.uint8)
    return depth, index, lab


# ----------------------------------------------------------------------------- sensor twins


def stereo_occlusion(depth_m: np.ndarray, fx_baseline_px_m: float, tol_px: float) -> np.ndarray:
    """uint8 mask: pixel u is occluded if some valid pixel right of it maps at or left of it
    in the right image (r = u - fx·B/z), or if it maps outside the right image (r < 0)."""
    H, W = depth_m.shape
    out = np.zeros((H, W), np.uint8)
    for v in range(H):
        z = depth_m[v].astype(np.float64)
        valid = z > 0
        r = np.where(valid, np.arange(W) - fx_baseline_px_m / np.where(valid, z, 1.0), np.inf)
        for u in range(W):
            if not valid[u]:
                continue
            right = r[u + 1:]
            if r[u] < 0 or (right.size and right.min() <= r[u] - tol_px):
                out[v, u] = 1
    return out


def flying_pixels(depth_m, jump_m, u01, p_fly):
    H, W = depth_m.shape
    out = depth_m.copy()
    if p_fly <= 0:
        return out
    thr = 1.0 - p_fly
    for v in range(H):
        for u in range(W):
            z = depth_m[v, u]
            if z <= 0 or u01[v, u] <= thr:
                continue
            best, znb = 0.0, 0.0
            for vv, uu in ((v, u - 1), (v, u + 1), (v - 1, u), (v + 1, u)):
                if 0 <= vv < H and 0 <= uu < W and depth_m[vv, uu] > 0:
                    dz = abs(float(depth_m[vv, uu]) - float(z))
                    if dz > jump_m and dz > best:
                        best, znb = dz, float(depth_m[vv, uu])
            if best > 0:
                a = (float(u01[v, u]) - thr) / p_fly
                out[v, u] = z + a * (znb - z)
    return out


def correlated_noise(white, w_centre, w_nbr):
    H, W = white.shape
    if white.size == 0:
        return white.astype(np.float32)
    pad = np.pad(white.astype(np.float64), 1, mode="edge")
    s = sum(pad[1 + dv:1 + dv + H, 1 + du:1 + du + W] for dv in (-1, 0, 1) for du in (-1, 0, 1)
            if (dv, du) != (0, 0))
    return (w_centre * white + w_nbr * s).astype(np.float32)


def smooth_noise(white, kernel):
    H, W = white.shape
    if white.size == 0:
        return white.astype(np.float32)
    r = (len(kernel) - 1) // 2
    pad = np.pad(white.astype(np.float64), ((0, 0), (r, r)), mode="edge")
    rows = sum(kernel[k + r] * pad[:, r + k:r + k + W] for k in range(-r, r + 1))
    pad = np.pad(rows, ((r, r), (0, 0)), mode="edge")
    return sum(kernel[k + r] * pad[r + k:r + k + H, :] for k in range(-r, r + 1)).astype(np.float32)


def stamp_holes(seed_v, seed_u, radius_px, shape):
    H, W = shape
    vv, uu = np.mgrid[0:H, 0:W]
    out = np.zeros(shape, np.uint8)
    for v, u, r in zip(seed_v, seed_u, radius_px):
        out[(vv - v) ** 2 + (uu - u) ** 2 <= r * r] = 1
    return out


def disparity_noise_quantise(depth_m, noise, invalid, fx_baseline_px_m, sigma_disp_px, min_z_m, max_z_m,
                             depth_unit_m):
    z = depth_m.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        d = fx_baseline_px_m / z + sigma_disp_px * noise.astype(np.float64)
        zn = fx_baseline_px_m / d
    q = np.floor(zn / depth_unit_m + 0.5)
    ok = (z > 0) & (invalid == 0) & (d > 0) & (zn >= min_z_m) & (zn <= max_z_m) & (q <= 65535)
    return np.where(ok, q, 0).astype(np.uint16)
