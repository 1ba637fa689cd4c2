"""Analytic depth scenes for the segmenter tests: NumPy ray casting of a floor, boxes and
capped cylinders in the floor frame, seen by a D435-like depth camera (848x480).

Shapes are tuples:
  ("box", (x0, x1), (y0, y1), (z0, z1))                      axis-aligned in the floor frame
  ("cyl", axis, (c_a, c_b), radius, (lo, hi))                 capped cylinder along axis
      axis "z": vertical, centre (x, y) = (c_a, c_b), heights lo..hi
      axis "x": horizontal along x, centre (y, z) = (c_a, c_b), x from lo to hi
"""
from __future__ import annotations

import numpy as np

from station import frames
from station.model import DepthFrame, Intrinsics

D435 = Intrinsics(width=848, height=480, fx=425.0, fy=425.0, ppx=423.5, ppy=239.5)


def rays_floor(T_floor_cam: np.ndarray, intr: Intrinsics = D435):
    """Ray origin (3,) and directions (h, w, 3) in the floor frame; camera-z component 1."""
    v, u = np.mgrid[0:intr.height, 0:intr.width].astype(np.float64)
    d_cam = np.stack([(u - intr.ppx) / intr.fx, (v - intr.ppy) / intr.fy, np.ones_like(u)], -1)
    return T_floor_cam[:3, 3].copy(), d_cam @ T_floor_cam[:3, :3].T


def _hit_box(o, d, box):
    (x0, x1), (y0, y1), (z0, z1) = box[1], box[2], box[3]
    lo = np.array([x0, y0, z0])
    hi = np.array([x1, y1, z1])
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = 1.0 / d
        ta = (lo - o) * inv
        tb = (hi - o) * inv
    tmin = np.nanmax(np.minimum(ta, tb), axis=-1)
    tmax = np.nanmin(np.maximum(ta, tb), axis=-1)
    hit = (tmax >= tmin) & (tmax > 0)
    return np.where(hit, np.where(tmin > 0, tmin, np.inf), np.inf)


def _hit_cyl(o, d, cyl):
    _, axis, (ca, cb), r, (lo, hi) = cyl
    ai = {"x": 0, "z": 2}[axis]
    bi = [i for i in range(3) if i != ai]
    ox, oy = o[bi[0]] - ca, o[bi[1]] - cb
    dx, dy = d[..., bi[0]], d[..., bi[1]]
    a = dx * dx + dy * dy
    b = 2 * (ox * dx + oy * dy)
    c = ox * ox + oy * oy - r * r
    disc = b * b - 4 * a * c
    with np.errstate(invalid="ignore", divide="ignore"):
        t_side = (-b - np.sqrt(disc)) / (2 * a)
    axial = o[ai] + t_side * d[..., ai]
    ok = (disc >= 0) & (t_side > 0) & (axial >= lo) & (axial <= hi)
    t = np.where(ok, t_side, np.inf)
    for plane in (lo, hi):  # caps
        with np.errstate(divide="ignore", invalid="ignore"):
            tc = (plane - o[ai]) / d[..., ai]
        px = ox + tc * dx
        py = oy + tc * dy
        okc = (tc > 0) & (px * px + py * py <= r * r)
        t = np.where(okc & (tc < t), tc, t)
    return t


def render(T_floor_cam: np.ndarray, shapes=(), intr: Intrinsics = D435, floor: bool = True,
           noise0_m: float = 0.0, noise2_per_m: float = 0.0, rng=None, max_range_m: float = 10.0,
           depth_units_m: float = 0.001) -> np.ndarray:
    """uint16 depth image (depth units) of the scene; noise sigma = noise0 + noise2 z²."""
    o, d = rays_floor(T_floor_cam, intr)
    t = np.full(d.shape[:2], np.inf)
    if floor:
        with np.errstate(divide="ignore", invalid="ignore"):
            tf = -o[2] / d[..., 2]
        t = np.where((d[..., 2] < 0) & (tf > 0), tf, t)
    for s in shapes:
        ts = _hit_box(o, d, s) if s[0] == "box" else _hit_cyl(o, d, s)
        t = np.minimum(t, ts)
    z = t  # camera-z component of the ray direction is 1, so t is the depth
    if rng is not None and (noise0_m or noise2_per_m):
        z = z + rng.normal(size=z.shape) * (noise0_m + noise2_per_m * np.where(np.isfinite(z), z, 0) ** 2)
    ok = np.isfinite(z) & (z > 0) & (z < max_range_m)
    return np.where(ok, np.round(np.where(ok, z, 0) / depth_units_m), 0).astype(np.uint16)


def frame(depth_raw_u16: np.ndarray, t_s: float = 0.0, intr: Intrinsics = D435) -> DepthFrame:
    return DepthFrame(depth_raw_u16=depth_raw_u16, depth_units_m=0.001, intrinsics=intr,
                      timestamp_s=t_s)


def person(x_m: float, y_m: float, height_m: float = 1.75, radius_m: float = 0.2):
    """A crude standing person: a vertical cylinder from 0 to height_m."""
    return ("cyl", "z", (x_m, y_m), radius_m, (0.0, height_m))


def mount(height_m: float = 1.4, pitch_deg: float = 20.0, roll_deg: float = 0.0) -> np.ndarray:
    return frames.T_floor_cam_from_mount(height_m, pitch_deg, roll_deg)
