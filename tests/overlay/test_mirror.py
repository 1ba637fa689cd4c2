"""Registration invariants of station.overlay.mirror (pure NumPy, no pygame)."""
from __future__ import annotations

import math
import numpy as np
import pytest

from station.config import StationConfig
from station.frames import T_floor_cam_from_mount, apply, floor_plane_from_T, invert
from station.model import SKELETON_INDEX
from station.overlay.mirror import (
    EYE_FORWARD_M, EYE_UP_M, MirrorGeometry, eye_from_head, glass_point, glass_to_px, mirror_geometry,
    reflect_in_glass, register,
)
from tests.overlay.fixtures import hinge_pose_floor


def _cfg(**over) -> StationConfig:
    doc = {"station": {"id": "t"}}
    for dotted, v in over.items():
        sec, *rest = dotted.split("__")
        d = doc.setdefault(sec, {})
        for k in rest[:-1]:
            d = d.setdefault(k, {})
        d[rest[-1]] = v
    return StationConfig.model_validate(doc)


GEOMETRIES = {
    "default": _cfg(),
    "tilted_rolled": _cfg(camera__mount__pitch_down_deg=12.0, camera__mount__roll_deg=4.0,
                          camera__mount__behind_glass_m=0.05, mirror__tilt_deg=6.0),
    "low_camera": _cfg(camera__mount__height_m=1.2, camera__mount__pitch_down_deg=-5.0,
                       display__top_edge_below_camera_m=-0.6),
}


@pytest.fixture(params=list(GEOMETRIES))
def geo(request) -> MirrorGeometry:
    return mirror_geometry(GEOMETRIES[request.param])


def _body_points_mirror(rng, n=50):
    """Points in front of the glass (mirror frame z < 0), 0.5..4 m away, around the display."""
    return np.stack([rng.uniform(-1.0, 1.5, n), rng.uniform(-1.0, 2.0, n), -rng.uniform(0.5, 4.0, n)], 1)


def test_T_mirror_cam_is_rigid(geo):
    R = geo.T_mirror_cam[:3, :3]
    assert np.allclose(R @ R.T, np.eye(3), atol=1e-12)
    assert np.linalg.det(R) == pytest.approx(1.0)


def test_camera_sits_behind_the_glass_where_configured():
    cfg = GEOMETRIES["default"]
    geo = mirror_geometry(cfg)
    lens_mirror = apply(geo.T_mirror_cam, np.zeros(3))
    d = cfg.display
    # the display's top-left corner is left_edge to the right of, top_edge below the lens
    assert lens_mirror[0] == pytest.approx(-d.left_edge_from_camera_m)
    assert lens_mirror[1] == pytest.approx(-d.top_edge_below_camera_m)
    assert lens_mirror[2] == pytest.approx(cfg.camera.mount.behind_glass_m)  # z into the glass
    # the camera looks out through the glass towards the lifter: its z axis is mirror -z (pitched down)
    fwd_mirror = geo.T_mirror_cam[:3, 2]
    pitch = math.radians(cfg.camera.mount.pitch_down_deg)
    assert fwd_mirror[2] == pytest.approx(-math.cos(pitch))       # out of the glass,
    assert fwd_mirror[1] == pytest.approx(math.sin(pitch))        # and down the glass (y is down)


def test_reflection_is_an_involution(rng):
    p = _body_points_mirror(rng)
    assert np.allclose(reflect_in_glass(reflect_in_glass(p)), p)
    r = reflect_in_glass(p)
    assert np.allclose(r[:, :2], p[:, :2]) and np.allclose(r[:, 2], -p[:, 2])


def test_reflection_in_camera_frame_is_an_isometric_involution(geo, rng):
    """Reflecting through the camera→mirror transform and back is still an involution and
    keeps distances (a mirror, not a projection)."""
    pts_cam = apply(geo.T_cam_mirror, _body_points_mirror(rng, 10))

    def refl_cam(x):
        return apply(geo.T_cam_mirror, reflect_in_glass(apply(geo.T_mirror_cam, x)))

    assert np.allclose(refl_cam(refl_cam(pts_cam)), pts_cam)
    d0 = np.linalg.norm(pts_cam[:, None] - pts_cam[None], axis=-1)
    r = refl_cam(pts_cam)
    assert np.allclose(np.linalg.norm(r[:, None] - r[None], axis=-1), d0)


def test_drawn_point_is_on_the_glass_and_on_the_eye_to_reflection_line(geo, rng):
    p_mirror = _body_points_mirror(rng)
    eye_mirror = np.array([0.3, 0.2, -2.4])
    px = register(apply(geo.T_cam_mirror, p_mirror), apply(geo.T_cam_mirror, eye_mirror), geo)
    g_xy = px / np.array(geo.px_per_m)
    g = np.column_stack([g_xy, np.zeros(len(g_xy))])            # on the glass: z = 0
    # and on the line from the eye to the reflection: (G - E) parallel to (P' - E)
    to_refl = reflect_in_glass(p_mirror) - eye_mirror
    to_g = g - eye_mirror
    cross = np.cross(to_g, to_refl)
    assert np.allclose(cross, 0.0, atol=1e-9)
    # between them, not beyond
    s = np.einsum("ij,ij->i", to_g, to_refl) / np.einsum("ij,ij->i", to_refl, to_refl)
    assert np.all((s > 0) & (s < 1))


def test_point_on_the_glass_maps_to_itself(geo, rng):
    g_xy = np.stack([rng.uniform(0, 0.535, 20), rng.uniform(0, 0.952, 20)], 1)
    on_glass_cam = apply(geo.T_cam_mirror, np.column_stack([g_xy, np.zeros(20)]))
    for eye in (np.array([0.2, 0.3, -2.0]), np.array([-0.5, 1.0, -3.5])):
        px = register(on_glass_cam, apply(geo.T_cam_mirror, eye), geo)
        assert np.allclose(px, glass_to_px(g_xy, geo), atol=1e-9)


def test_own_eye_is_seen_straight_ahead(geo):
    eye = np.array([0.25, 0.4, -2.5])
    g = glass_point(eye[None], eye)
    assert np.allclose(g, eye[None, :2])


def test_moving_the_eye_left_moves_the_drawing_left_by_d_over_d_plus_e(geo, rng):
    """Facing the mirror the lifter's left is mirror -x. The drawing of a point at distance d
    in front of the glass, for an eye at distance e, moves with the eye by d / (d + e): left
    when the eye moves left, half as far for a point at the eye's own distance, not at all
    for a point on the glass."""
    p = _body_points_mirror(rng, 30)
    e0 = np.array([0.25, 0.3, -2.5])
    step = 0.10
    e1 = e0 - np.array([step, 0.0, 0.0])    # 10 cm to the lifter's left
    g0, g1 = glass_point(p, e0), glass_point(p, e1)
    d, e = -p[:, 2], -e0[2]
    assert np.all(g1[:, 0] < g0[:, 0])                        # left too
    assert np.allclose(g0[:, 0] - g1[:, 0], step * d / (d + e))
    assert np.allclose(g1[:, 1], g0[:, 1])                    # no vertical change
    same_depth = np.array([[0.0, 0.5, e0[2]]])
    assert (glass_point(same_depth, e0) - glass_point(same_depth, e1))[0, 0] == pytest.approx(step / 2)
    # in pixels through the whole chain (camera frame in, display px out)
    px0 = register(apply(geo.T_cam_mirror, p), apply(geo.T_cam_mirror, e0), geo)
    px1 = register(apply(geo.T_cam_mirror, p), apply(geo.T_cam_mirror, e1), geo)
    assert np.all(px1[:, 0] < px0[:, 0])


def test_raising_the_eye_raises_the_drawing(rng):
    p = _body_points_mirror(rng, 10)
    e0 = np.array([0.25, 0.3, -2.5])
    g0, g1 = glass_point(p, e0), glass_point(p, e0 - np.array([0.0, 0.1, 0.0]))  # y is down
    assert np.all(g1[:, 1] < g0[:, 1])


def test_points_behind_the_glass_or_an_eye_behind_it_are_nan():
    p = np.array([[0.1, 0.1, 0.2], [0.1, 0.1, -1.0]])
    g = glass_point(p, np.array([0.0, 0.0, -2.0]))
    assert np.isnan(g[0]).all() and np.isfinite(g[1]).all()
    assert np.isnan(glass_point(p, np.array([0.0, 0.0, 0.5]))).all()


def test_eye_is_in_front_of_and_above_the_head(geo):
    mount = GEOMETRIES["default"].camera.mount
    T_floor_cam = T_floor_cam_from_mount(mount.height_m, mount.pitch_down_deg)
    head_floor = np.array([GEOMETRIES["default"].zone.centre_lateral_m, 2.6, 1.65])
    head_cam = apply(invert(T_floor_cam), head_floor)
    up_cam = T_floor_cam[:3, :3].T @ np.array([0.0, 0.0, 1.0])
    eye_floor = apply(T_floor_cam, eye_from_head(head_cam, mirror_geometry(GEOMETRIES["default"]), up_cam))
    assert eye_floor == pytest.approx(head_floor + np.array([0.0, -EYE_FORWARD_M, EYE_UP_M]))


def test_standing_lifter_fills_the_display_centred_and_the_right_way_round():
    """Default station (camera 1.6 m beside the display, lifter 2.6 m out in front of it): the
    reflection runs from the top of the display to near its bottom, centred; the lifter's
    left side is drawn on the display's left (a mirror keeps left on the left)."""
    cfg = GEOMETRIES["default"]
    geo = mirror_geometry(cfg)
    T_cam_floor = invert(T_floor_cam_from_mount(cfg.camera.mount.height_m, cfg.camera.mount.pitch_down_deg))
    pts = apply(T_cam_floor, hinge_pose_floor(0.0, 0.0))
    px = register(pts, eye_from_head(pts[SKELETON_INDEX["head"]], geo), geo)
    W, H = geo.size_px
    head, ankle_l, ankle_r = (px[SKELETON_INDEX[k]] for k in ("head", "ankle_l", "ankle_r"))
    assert 0 < head[1] < 0.25 * H
    assert 0.85 * H < ankle_l[1] < H
    assert head[0] == pytest.approx(W / 2, abs=2)
    assert ankle_l[0] < W / 2 < ankle_r[0]
    # a hinge moves the head down the display
    hinged = apply(T_cam_floor, hinge_pose_floor(80.0, 20.0))
    px_h = register(hinged, eye_from_head(hinged[SKELETON_INDEX["head"]], geo), geo)
    assert px_h[SKELETON_INDEX["head"], 1] > head[1] + 0.2 * H


def test_measured_floor_equal_to_the_mount_gives_the_same_geometry():
    cfg = GEOMETRIES["default"]
    m = cfg.camera.mount
    plane = floor_plane_from_T(T_floor_cam_from_mount(m.height_m, m.pitch_down_deg, m.roll_deg))
    assert np.allclose(mirror_geometry(cfg, floor=plane).T_mirror_cam, mirror_geometry(cfg).T_mirror_cam, atol=1e-9)


def test_other_resolutions_scale_pixels():
    geo = mirror_geometry(GEOMETRIES["default"])
    half = geo.with_pixels((540, 960))
    p = np.array([[0.1, 0.2, 2.5]])
    e = np.array([0.0, -0.1, 2.4])
    assert np.allclose(register(p, e, half), register(p, e, geo) / 2)
