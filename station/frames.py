"""Frames of reference and the transforms between them. The one module that owns them.

Frames (all right-handed, metres):

camera
    The RealSense depth optical frame: origin at the depth camera's optical centre,
    x to the right of the image, y down the image, z forward out of the lens.
floor
    Origin on the floor directly below the camera's optical centre, z up along the floor
    normal, y horizontal towards the lifter (the camera's viewing direction projected on the
    floor), x = y × z (to the camera's right, the lifter's left when they face the mirror).
mirror
    The glass plane: origin at the display's top-left corner as the lifter sees it,
    x to the lifter's right along the glass, y down along the glass, z into the glass
    (away from the lifter; right-handed with x right and y down). The display is a
    rectangle in the glass plane; station.overlay.mirror owns the registration maths.
screen
    Display pixels, x right, y down, origin top-left.

Transforms are 4x4 homogeneous matrices named ``T_<to>_<from>``, so chains cancel:
``T_floor_cam = T_floor_mount @ T_mount_cam`` and
``points_floor_m = apply(T_floor_cam, points_cam_m)``.
"""
from __future__ import annotations

import math

import numpy as np

from station.model import FloorPlane


# copied rather than made: np.eye costs ~3 us, a copy ~0.5 (these run every frame)
_EYE4 = np.eye(4)
_EYE4.flags.writeable = False
_FWD = np.array([0.0, 0.0, 1.0])
_FWD.flags.writeable = False
# the floor frame's up axis: a floor-frame point's height is its z
UP_FLOOR = np.array([0.0, 0.0, 1.0])
UP_FLOOR.flags.writeable = False


def make_T(R: np.ndarray, t: np.ndarray) -> np.ndarray:
    """4x4 transform from a 3x3 rotation and a translation."""
    T = _EYE4.copy()
    T[:3, :3] = R
    T[:3, 3] = t
    return T


def invert(T_b_a: np.ndarray) -> np.ndarray:
    """T_a_b from T_b_a (rigid transforms only)."""
    R = T_b_a[:3, :3]
    t = T_b_a[:3, 3]
    return make_T(R.T, -R.T @ t)


def apply(T_b_a: np.ndarray, points_a: np.ndarray) -> np.ndarray:
    """Map points (..., 3) from frame a to frame b."""
    return points_a @ T_b_a[:3, :3].T + T_b_a[:3, 3]


def rotate(T_b_a: np.ndarray, vectors_a: np.ndarray) -> np.ndarray:
    """Map direction vectors (..., 3) from frame a to frame b (no translation)."""
    return vectors_a @ T_b_a[:3, :3].T


def rot_x(angle_rad: float) -> np.ndarray:
    c, s = math.cos(angle_rad), math.sin(angle_rad)
    return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])


def rot_z(angle_rad: float) -> np.ndarray:
    c, s = math.cos(angle_rad), math.sin(angle_rad)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


# Camera axes expressed in the floor frame for a level camera looking along floor +y:
# camera x (right) = floor x, camera y (down) = floor -z, camera z (forward) = floor +y.
R_FLOOR_LEVELCAM = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]])


def T_floor_cam_from_mount(height_m: float, pitch_down_deg: float, roll_deg: float = 0.0) -> np.ndarray:
    """Camera pose for a mount `height_m` above the floor, pitched down by `pitch_down_deg`.

    Roll is about the optical axis (positive turns the image clockwise as seen by the camera).
    The floor frame's origin is below the camera and its y axis is the viewing direction, so
    yaw is zero by definition.
    """
    R_levelcam_cam = rot_x(-math.radians(pitch_down_deg)) @ rot_z(math.radians(roll_deg))
    return make_T(R_FLOOR_LEVELCAM @ R_levelcam_cam, np.array([0.0, 0.0, height_m]))


def floor_plane_from_T(T_floor_cam: np.ndarray) -> FloorPlane:
    """The floor plane in the camera frame (normal up, n·p + d = 0)."""
    T_cam_floor = invert(T_floor_cam)
    normal_cam = T_cam_floor[:3, 2].copy()  # floor z axis in camera coordinates
    origin_cam = T_cam_floor[:3, 3]
    return FloorPlane(normal_cam=normal_cam, d_m=float(-normal_cam @ origin_cam))


def T_floor_cam_from_plane(plane: FloorPlane) -> np.ndarray:
    """Floor frame from a floor plane seen by the camera (yaw fixed by the viewing direction).

    z = plane normal; y = camera forward projected onto the floor; origin = the camera's foot.
    """
    z_cam = np.asarray(plane.normal_cam, dtype=np.float64)
    z_cam = z_cam / vector_norm(z_cam)
    fwd = _FWD
    y_cam = fwd - (fwd @ z_cam) * z_cam
    n = vector_norm(y_cam)
    if n < 1e-6:  # camera looking straight down: use image-up as "towards the lifter"
        y_cam = np.array([0.0, -1.0, 0.0]) - (-z_cam[1]) * z_cam
        n = vector_norm(y_cam)
    y_cam /= n
    (y0, y1, y2), (z0, z1, z2) = y_cam.tolist(), z_cam.tolist()
    R_cam_floor = np.array([[y1 * z2 - y2 * z1, y0, z0],      # columns x = y × z, y, z
                            [y2 * z0 - y0 * z2, y1, z1],
                            [y0 * z1 - y1 * z0, y2, z2]])
    height = float(plane.d_m)  # camera origin's height above the floor (n·0 + d)
    # the inverse of (R_cam_floor, origin_cam = -height z): the floor is below the camera
    T = _EYE4.copy()
    T[:3, :3] = R_cam_floor.T
    T[:3, 3] = -R_cam_floor.T @ (-height * z_cam)
    return T


def vector_norm(v: np.ndarray) -> float:
    """np.linalg.norm of a float64 vector, its arithmetic (sqrt(v . v)) without its overhead
    (these run every frame)."""
    return math.sqrt(float(v @ v))


def clip_unit(x: float) -> float:
    """float(np.clip(x, -1, 1)) in scalars, for asin/acos (NaN stays NaN)."""
    return x if math.isnan(x) else min(max(x, -1.0), 1.0)


def camera_height_pitch(plane: FloorPlane) -> tuple[float, float]:
    """Camera height above the floor (m) and downward pitch (deg) from a floor plane."""
    n = np.asarray(plane.normal_cam, dtype=np.float64)
    # forward (camera z) · up = -sin(pitch_down)
    pitch_down_deg = math.degrees(math.asin(clip_unit(-(float(n[2]) / vector_norm(n)))))
    return float(plane.d_m), pitch_down_deg
