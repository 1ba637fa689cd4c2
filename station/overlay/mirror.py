"""Mirror registration: where on the display to draw so a drawing lies on the lifter's reflection.

Pure NumPy, no pygame. The one module that owns this maths.

Geometry (frames as in :mod:`station.frames`):

- The camera looks out through the glass, along the glass normal (zero yaw), pitched down
  by ``camera.mount.pitch_down_deg`` and rolled by ``roll_deg``. Its lens is
  ``behind_glass_m`` behind the glass. The floor frame (origin below the camera, y towards
  the lifter, z up) is therefore also the frame in which the glass is simplest to describe.
- The glass plane passes through the point straight in front of the lens (floor frame
  ``(0, behind_glass_m, height_m)``) and leans by ``mirror.tilt_deg`` (positive = top edge
  away from the lifter).
- Mirror frame: in the glass, origin at the display's visible top-left corner as seen from
  the front, x to the right and y down along the glass as the lifter sees them, z = x × y
  INTO the glass (away from the lifter), so the frame is right-handed and the lifter stands
  at z < 0. The display's top-left corner is ``display.left_edge_from_camera_m`` to the right
  of and ``display.top_edge_below_camera_m`` below the lens's point on the glass.
- Display pixels: x right, y down, origin at the top-left corner of the top-left pixel;
  ``u_px = x_m * width_px / width_m``, ``v_px = y_m * height_px / height_m``.

Registration of a body point P (camera frame): reflect it in the glass to P′; the eye E sees
P′ where the segment E→P′ crosses the glass (z = 0); that glass point, in display pixels, is
where to draw. For a point at distance d in front of the glass and an eye at distance e, the
glass point is ``G = (d·E + e·P) / (d + e)`` in the glass's x, y: it moves with the eye by
the fraction d / (d + e), and a point on the glass (d = 0) is drawn where it is.

Public API::

    MirrorGeometry                       T_mirror_cam, display size in m and px
    mirror_geometry(cfg, floor=None, size_px=None) -> MirrorGeometry
    T_floor_mirror_from_config(mirror, display, behind_glass_m, camera_height_m) -> 4x4
    reflect_in_glass(points_mirror_m) -> points_mirror_m
    glass_point(points_mirror_m, eye_mirror_m) -> (n, 2) metres in the glass
    eye_from_head(head_cam_m, geometry, up_cam=None) -> eye_cam_m
    register(points_cam_m, eye_cam_m, geometry) -> (n, 2) display pixels (NaN when invalid)
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from station.frames import T_floor_cam_from_mount, T_floor_cam_from_plane, apply, invert, make_T, rotate
from station.model import FloorPlane

# Where the eyes are relative to the centre of the head (the fitted "head" point).
EYE_FORWARD_M = 0.07   # towards the mirror
EYE_UP_M = 0.03        # above the head centre
_ON_GLASS_TOL_M = 1e-9  # a point this close to the glass is on it


@dataclass(frozen=True)
class MirrorGeometry:
    """Where the glass and display are relative to the camera.

    T_mirror_cam: 4x4, camera frame → mirror frame (see module docstring).
    size_m: (width, height) of the display's visible area in the glass, metres.
    size_px: (width, height) of the display in pixels.
    """

    T_mirror_cam: np.ndarray
    size_m: tuple[float, float]
    size_px: tuple[int, int]

    @property
    def px_per_m(self) -> tuple[float, float]:
        return self.size_px[0] / self.size_m[0], self.size_px[1] / self.size_m[1]

    def with_pixels(self, size_px: tuple[int, int]) -> "MirrorGeometry":
        """The same display drawn at another resolution (the physical size is unchanged)."""
        return replace(self, size_px=(int(size_px[0]), int(size_px[1])))

    @property
    def T_cam_mirror(self) -> np.ndarray:
        return invert(self.T_mirror_cam)


def R_floor_mirror(tilt_deg: float) -> np.ndarray:
    """Mirror axes in the floor frame, as columns (x right as seen from the front, y down
    the glass, z into the glass). Facing the glass the lifter looks along floor -y, so their
    right is floor -x."""
    t = math.radians(tilt_deg)
    x = np.array([-1.0, 0.0, 0.0])
    y = np.array([0.0, math.sin(t), -math.cos(t)])   # down along a glass whose top leans to -y
    z = np.cross(x, y)                               # = (0, -cos t, -sin t): into the glass
    return np.stack([x, y, z], axis=1)


def T_floor_mirror_from_config(tilt_deg: float, left_edge_from_camera_m: float,
                               top_edge_below_camera_m: float, behind_glass_m: float,
                               camera_height_m: float) -> np.ndarray:
    """Mirror frame → floor frame: the display's top-left corner and the glass's axes."""
    R = R_floor_mirror(tilt_deg)
    lens_on_glass_floor_m = np.array([0.0, behind_glass_m, camera_height_m])
    origin_floor_m = (lens_on_glass_floor_m + left_edge_from_camera_m * R[:, 0]
                      + top_edge_below_camera_m * R[:, 1])
    return make_T(R, origin_floor_m)


def mirror_geometry(cfg, floor: FloorPlane | None = None,
                    size_px: tuple[int, int] | None = None) -> MirrorGeometry:
    """Geometry from a StationConfig.

    With ``floor`` (the plane the segmenter measured) the camera's pitch, roll and height
    come from the measurement; otherwise from ``camera.mount``. ``size_px`` overrides the
    configured display resolution (drawing into a window of another size).
    """
    mount, disp = cfg.camera.mount, cfg.display
    if floor is not None:
        T_floor_cam = T_floor_cam_from_plane(floor)
        height_m = float(T_floor_cam[2, 3])
    else:
        T_floor_cam = T_floor_cam_from_mount(mount.height_m, mount.pitch_down_deg, mount.roll_deg)
        height_m = mount.height_m
    T_floor_mirror = T_floor_mirror_from_config(cfg.mirror.tilt_deg, disp.left_edge_from_camera_m,
                                                disp.top_edge_below_camera_m, mount.behind_glass_m,
                                                height_m)
    T_mirror_cam = invert(T_floor_mirror) @ T_floor_cam
    px = (disp.width_px, disp.height_px) if size_px is None else (int(size_px[0]), int(size_px[1]))
    return MirrorGeometry(T_mirror_cam=T_mirror_cam, size_m=(disp.width_m, disp.height_m), size_px=px)


def reflect_in_glass(points_mirror_m: np.ndarray) -> np.ndarray:
    """Mirror images of points (..., 3) in the glass plane z = 0 (mirror frame)."""
    out = np.array(points_mirror_m, dtype=np.float64, copy=True)
    out[..., 2] *= -1.0
    return out


def glass_point(points_mirror_m: np.ndarray, eye_mirror_m: np.ndarray) -> np.ndarray:
    """(..., 2) metres: where the eye sees each point's reflection, in the glass (x, y).

    NaN where the point is behind the glass or the eye is not in front of it (a point on the
    glass, within rounding, is drawn where it is).
    """
    p = np.asarray(points_mirror_m, dtype=np.float64)
    e = np.asarray(eye_mirror_m, dtype=np.float64)
    p_refl = reflect_in_glass(p)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = e[..., 2:3] / (e[..., 2:3] - p_refl[..., 2:3])   # segment parameter where z = 0
        g = e[..., :2] + s * (p_refl[..., :2] - e[..., :2])
    bad = (p[..., 2] > _ON_GLASS_TOL_M) | (e[..., 2] >= -_ON_GLASS_TOL_M)
    g = np.where(bad[..., None], np.nan, g)
    return g


def glass_to_px(glass_m: np.ndarray, geometry: MirrorGeometry) -> np.ndarray:
    """(..., 2) display pixels from (..., 2) metres in the glass (mirror frame x, y)."""
    sx, sy = geometry.px_per_m
    return np.asarray(glass_m, dtype=np.float64) * np.array([sx, sy])


def eye_from_head(head_cam_m: np.ndarray, geometry: MirrorGeometry,
                  up_cam: np.ndarray | None = None) -> np.ndarray:
    """The lifter's eye (camera frame) from the fitted head centre: EYE_FORWARD_M towards the
    glass and EYE_UP_M up (the floor normal when given, else up along the glass)."""
    T_cam_mirror = geometry.T_cam_mirror
    towards_glass_cam = rotate(T_cam_mirror, np.array([0.0, 0.0, 1.0]))
    if up_cam is None:
        up_cam = rotate(T_cam_mirror, np.array([0.0, -1.0, 0.0]))
    up_cam = np.asarray(up_cam, dtype=np.float64)
    up_cam = up_cam / np.linalg.norm(up_cam)
    return np.asarray(head_cam_m, dtype=np.float64) + EYE_FORWARD_M * towards_glass_cam + EYE_UP_M * up_cam


def register(points_cam_m: np.ndarray, eye_cam_m: np.ndarray, geometry: MirrorGeometry) -> np.ndarray:
    """(n, 2) display pixels where each body point (camera frame) appears to the eye.

    Points behind the glass, or an eye not in front of it, give NaN rows.
    """
    points_cam_m = np.asarray(points_cam_m, dtype=np.float64).reshape(-1, 3)
    eye_cam_m = np.asarray(eye_cam_m, dtype=np.float64).reshape(3)
    T = geometry.T_mirror_cam
    g = glass_point(apply(T, points_cam_m), apply(T, eye_cam_m))
    return glass_to_px(g, geometry)
