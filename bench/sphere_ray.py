"""Why a noisier sensor pulls a fit towards the camera: a sphere (R 0.10 and 0.15 m) at 2.5 m
through the D435 model (disparity noise only, at the library's level and twice it) and the
station's 4 x 4 decimation, fitted with its radius fixed. Prints where the fit puts the
centre's depth (mm, + away from the camera; 12 noise seeds) with

  (a) the Euclidean residual |P - c| - R, what the capsules' data term measures: a rim point
      whose noise runs along the surface lies outside it, and the fit leans to the camera;
  (b) the residual along the camera ray, |P| minus the ray's near hit on the sphere (rays
      that miss it: the Euclidean one), where the depth noise is;
  (c) the fitter's own (station.fit._kernels_geometry.ray_surface, with FitWeights'
      data_ray_cos_min at 0.3, its value when on): the distance to the tangent plane at the
      ray's hit, where the surface faces the ray at a cosine of 0.3 or more; elsewhere the
      Euclidean one.

    python bench/sphere_ray.py        (docs/spine-limits.md, "Stop 62")
"""
import numpy as np
from station.sim.sensor import D435Noise, apply_d435_noise
from station.model import Intrinsics
from station.segment import _kernels as K
from station.fit import _kernels as FK
RAY_COS_MIN = 0.3   # FitWeights.data_ray_cos_min when the ray residual is on (off by default)
intr = Intrinsics(width=848, height=480, fx=424.0, fy=424.0, ppx=424.0, ppy=240.0)
H, W = 480, 848
vv, uu = np.mgrid[0:H, 0:W].astype(np.float64)
d = np.stack([(uu - intr.ppx) / intr.fx, (vv - intr.ppy) / intr.fy, np.ones_like(uu)], -1)
dn = d / np.linalg.norm(d, axis=-1, keepdims=True)
ri = intr.scaled(4)

def res_euclid(P, c, R):
    return np.linalg.norm(P - c, axis=1) - R

def res_ray(P, c, R):
    n = np.linalg.norm(P, axis=1); u = P / n[:, None]
    b = u @ c; disc = b * b - (c @ c - R * R)
    hit = disc > 0
    t = b - np.sqrt(np.maximum(disc, 0))
    return np.where(hit, n - t, res_euclid(P, c, R))

def res_fitter(P, c, R):
    """What the fitter's data term measures (one capsule: a sphere, a = b)."""
    n = len(P)
    a, r, seg = c[None].astype(np.float64), np.array([R]), np.zeros(1, np.int32)
    idx, dist, nrm = np.empty(n, np.int32), np.empty(n), np.empty((n, 3))
    FK.nearest_capsule(P, a, a, r, r, idx, dist, nrm)
    FK.ray_surface(P, np.zeros(3), idx, a, a, r, r, seg, 1.0, RAY_COS_MIN,
                   dist, nrm, np.empty((n, 3)))
    return dist

def fit(P, R, C0, resf):
    c = C0 + 0.01
    for _ in range(30):
        r = resf(P, c, R)
        J = np.empty((len(P), 3))
        for k in range(3):
            e = np.zeros(3); e[k] = 1e-5
            J[:, k] = (resf(P, c + e, R) - r) / 1e-5
        c = c - np.linalg.lstsq(J, r, rcond=None)[0]
    return c

for R in (0.10, 0.15):
    C = np.array([0.0, 0.0, 2.5])
    b = dn @ C; disc = b * b - (C @ C - R * R)
    t = np.where(disc > 0, b - np.sqrt(np.maximum(disc, 0)), 0)
    z = (t * dn[..., 2]).astype(np.float32)
    for scale in (1, 2):
        nz = D435Noise(subpixel_rms_px=0.08 * scale, hole_fraction=0.0, invalid_band=False, flying_pixel_prob=0.0)
        ce, cr, cf = [], [], []
        for s in range(12):
            raw = apply_d435_noise(z, intr, nz, np.random.default_rng(s))
            out = np.empty((120, 212), np.float32)
            K.decimate_median4_valid(raw, 0.001, 4, 0.05, out)
            v, u = np.nonzero(out > 0)
            zz = out[v, u].astype(np.float64)
            P = np.stack([(u - ri.ppx) / ri.fx * zz, (v - ri.ppy) / ri.fy * zz, zz], 1)
            ce.append(fit(P, R, C, res_euclid)[2] - 2.5); cr.append(fit(P, R, C, res_ray)[2] - 2.5)
            cf.append(fit(P, R, C, res_fitter)[2] - 2.5)
        print(f"R {R} noise x{scale}: centre z, Euclidean {1000*np.mean(ce):+5.1f} mm; along the ray "
              f"{1000*np.mean(cr):+5.1f} mm; the fitter's {1000*np.mean(cf):+5.1f} mm", flush=True)
