"""Render the FITTER'S OWN body model into a PersonCloud (tests and benchmarks only).

Self-consistency instrument: clouds made here come from station.fit.body_model itself, so a
fit to them measures the solver (convergence, speed), not accuracy on real people. Accuracy
against the independent synthetic athlete (station.sim) is measured separately.

Capsules are ray-cast as unions of spheres along their axes (spacing <= radius / 3, surface
within ~1 mm of the fitter's capsule), with a floor plane and a back wall behind.
"""
from __future__ import annotations

import numpy as np

from station.fit import _kernels as K
from station.fit.body_model import DOF_AXIS, DOF_SEG, DOF_TYPE, N_DOF, N_SEG, SEG_PARENT, BodyModel
from station.frames import T_floor_cam_from_mount, floor_plane_from_T, invert
from station.model import Intrinsics, PersonCloud

FULL = Intrinsics(width=848, height=480, fx=424.0, fy=424.0, ppx=423.5, ppy=239.5)


def default_camera(height_m: float = 1.1, pitch_down_deg: float = 5.0) -> np.ndarray:
    return T_floor_cam_from_mount(height_m, pitch_down_deg)


def posed_capsules(body: BodyModel, theta: np.ndarray):
    R = np.zeros((N_SEG, 3, 3)); t = np.zeros((N_SEG, 3)); tw = np.zeros((N_DOF, 6))
    K.forward_kinematics(theta, SEG_PARENT, body.seg_offset, DOF_SEG, DOF_TYPE, DOF_AXIS, R, t, tw)
    ca = np.empty_like(body.cap_a_local); cb = np.empty_like(body.cap_b_local)
    K.points_to_world(R, t, body.cap_seg, body.cap_a_local, ca)
    K.points_to_world(R, t, body.cap_seg, body.cap_b_local, cb)
    return ca, cb


def render_cloud(body: BodyModel, theta: np.ndarray, T_floor_cam: np.ndarray | None = None,
                 decimation: int = 4, noise_m: float = 0.003, seed: int = 0,
                 timestamp_s: float = 0.0, extra_spheres=None) -> PersonCloud:
    """Depth image of the posed body (plus floor and a wall at floor y = 5 m).

    extra_spheres: optional (k, 4) [x, y, z, r] floor-frame spheres that are NOT the body
    (e.g. barbell plates) -- rendered into depth and into the mask (the segmenter would keep
    a held implement in the person's blob).
    """
    if T_floor_cam is None:
        T_floor_cam = default_camera()
    intr = FULL.scaled(decimation)
    T_cam_floor = invert(T_floor_cam)
    ca, cb = posed_capsules(body, theta)
    centres, radii = [], []
    for a, b, ra, rb in zip(ca, cb, body.cap_ra, body.cap_rb):
        L = np.linalg.norm(b - a)
        n = max(2, int(np.ceil(L / (min(ra, rb) / 3))) + 1)
        for s in np.linspace(0, 1, n):
            centres.append(a + s * (b - a)); radii.append(ra + s * (rb - ra))
    centres = np.array(centres); radii = np.array(radii)
    if extra_spheres is not None and len(extra_spheres):
        es = np.asarray(extra_spheres, float)
        centres = np.vstack([centres, es[:, :3]]); radii = np.concatenate([radii, es[:, 3]])
    c_cam = centres @ T_cam_floor[:3, :3].T + T_cam_floor[:3, 3]
    v, u = np.mgrid[0:intr.height, 0:intr.width]
    d = np.stack([(u - intr.ppx) / intr.fx, (v - intr.ppy) / intr.fy, np.ones_like(u, float)], -1)
    best = np.full((intr.height, intr.width), np.inf)
    for c, r in zip(c_cam, radii):
        if c[2] - r <= 0.05:
            continue
        # only the pixels of the sphere's projected bounding box
        uc = intr.fx * c[0] / c[2] + intr.ppx
        vc = intr.fy * c[1] / c[2] + intr.ppy
        rp = intr.fx * r / (c[2] - r) + 2
        u0, u1 = max(int(uc - rp), 0), min(int(uc + rp) + 1, intr.width)
        v0, v1 = max(int(vc - rp), 0), min(int(vc + rp) + 1, intr.height)
        if u0 >= u1 or v0 >= v1:
            continue
        dw = d[v0:v1, u0:u1]
        dd = np.sum(dw * dw, -1)
        dc = dw @ c
        disc = dc * dc - dd * (c @ c - r * r)
        s = np.where(disc >= 0, (dc - np.sqrt(np.maximum(disc, 0))) / dd, np.inf)
        s[s <= 0] = np.inf
        np.minimum(best[v0:v1, u0:u1], s, out=best[v0:v1, u0:u1])
    best = best.reshape(-1)
    d = d.reshape(-1, 3)
    # floor (z = 0) and wall (y = 5) in the floor frame
    R_fc = T_floor_cam[:3, :3]; o = T_floor_cam[:3, 3]
    dw = d @ R_fc.T
    with np.errstate(divide="ignore", invalid="ignore"):
        s_floor = np.where(dw[:, 2] < -1e-9, -o[2] / dw[:, 2], np.inf)
        s_wall = np.where(dw[:, 1] > 1e-9, (5.0 - o[1]) / dw[:, 1], np.inf)
    bg = np.minimum(s_floor, s_wall)
    person = best < bg
    z = np.where(person, best, bg)
    rng = np.random.default_rng(seed)
    z = z + rng.normal(0, noise_m, z.shape) * (z / 2.5) ** 2
    z[~np.isfinite(z)] = 0.0
    depth = z.reshape(intr.height, intr.width).astype(np.float32)
    mask = person.reshape(intr.height, intr.width)
    vs, us = np.nonzero(mask)
    zz = depth[vs, us].astype(np.float64)
    pts = np.stack([(us - intr.ppx) * zz / intr.fx, (vs - intr.ppy) * zz / intr.fy, zz], -1)
    return PersonCloud(points_cam_m=pts.astype(np.float32),
                       pixels_uv=np.stack([us, vs], -1).astype(np.int32), mask=mask,
                       depth_m=depth, intrinsics=intr, floor=floor_plane_from_T(T_floor_cam),
                       timestamp_s=timestamp_s)
