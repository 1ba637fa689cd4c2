"""Registration across camera mounts from 1.0 to 2.1 m: the demo's station geometry follows
the scenario's camera, and the registered skeleton lands on the lifter's reflection.

The reference here does not use station.overlay.mirror: it reflects each point in the glass
plane in the floor frame, intersects the eye's line of sight with the glass and converts to
display pixels from the config's numbers directly."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from station.config import load_station_config
from station.demo import demo_setup
from station.frames import apply, floor_plane_from_T, invert
from station.model import SKELETON_INDEX
from station.overlay.mirror import EYE_FORWARD_M, EYE_UP_M, eye_from_head, mirror_geometry, register
from station.sim.pose import N_SKELETON
from station.sim.scenarios import build, get_scenario

MOUNTS_M = (1.0, 1.2, 1.4, 1.6, 1.8, 1.9, 2.1)
KEY = ("neck", "shoulder_l", "shoulder_r", "pelvis", "hip_l", "hip_r", "knee_l", "knee_r")


def reflection_px(points_floor_m, head_floor_m, cfg):
    """Display pixels of each point's reflection as the eye sees it (tilt 0 glass)."""
    m, d = cfg.camera.mount, cfg.display
    assert cfg.mirror.tilt_deg == 0.0
    g = m.behind_glass_m                      # the glass: floor y = g (the lifter at y > g)
    eye = head_floor_m + np.array([0.0, -EYE_FORWARD_M, EYE_UP_M])
    p = np.array(points_floor_m, float)
    p_refl = p * np.array([1.0, -1.0, 1.0]) + np.array([0.0, 2 * g, 0.0])
    s = (eye[1] - g) / (eye[1] - p_refl[:, 1])
    G = eye + s[:, None] * (p_refl - eye)
    # the glass seen from the front: right = floor -x; the display's left edge is
    # left_edge_from_camera_m to the right of the lens (the floor frame's x = 0)
    u = (-G[:, 0] - d.left_edge_from_camera_m) * d.width_px / d.width_m
    v = (m.height_m - d.top_edge_below_camera_m - G[:, 2]) * d.height_px / d.height_m
    return np.stack([u, v], 1)


@pytest.mark.parametrize("mount_m", MOUNTS_M)
def test_skeleton_lands_on_the_reflection_at_every_mount(mount_m):
    cfg, sc = demo_setup(load_station_config(), replace(get_scenario("rdl_clean"), mount_height_m=mount_m))
    take = build(sc)
    geo = mirror_geometry(cfg, floor=floor_plane_from_T(take.T_floor_cam))
    W, H = geo.size_px
    bottom_i = int(np.searchsorted(take.times_s, take.reps[0].bottom_t))
    for i in (10, bottom_i):             # standing still, and at the bottom of the first rep
        pose_floor = take.poses_floor_m[i, :N_SKELETON]
        skel_cam = apply(invert(take.T_floor_cam), pose_floor)
        up_cam = floor_plane_from_T(take.T_floor_cam).normal_cam
        eye = eye_from_head(skel_cam[SKELETON_INDEX["head"]], geo, up_cam)
        px = register(skel_cam, eye, geo)
        ref = reflection_px(pose_floor, pose_floor[SKELETON_INDEX["head"]], cfg)
        assert np.allclose(px, ref, atol=1.0), (mount_m, i, np.abs(px - ref).max())
        on = [(0 <= px[SKELETON_INDEX[k], 0] < W) and (0 <= px[SKELETON_INDEX[k], 1] < H) for k in KEY]
        # the trunk and most key joints are on the display: a skeleton is drawn
        assert on[KEY.index("neck")] or on[KEY.index("pelvis")], (mount_m, i, px)
        assert sum(on) >= 5, (mount_m, i, dict(zip(KEY, on)))


def test_camera_never_behind_the_display():
    for mount_m in MOUNTS_M:
        cfg, _ = demo_setup(load_station_config(), replace(get_scenario("rdl_clean"), mount_height_m=mount_m))
        d = cfg.display
        top = mount_m - d.top_edge_below_camera_m
        left = d.left_edge_from_camera_m
        beside = left >= 0.05 or left + d.width_m <= -0.05
        assert beside or not (top - d.height_m - 0.05 <= mount_m <= top + 0.05), mount_m
