"""The engineer's view of the pipeline (pure NumPy, no pygame): colour-mapped depth, the
segmented lifter tinted, the fitted skeleton projected on top. `station demo` shows it beside
the lifter's screen; tests and snapshots use it headless."""
from __future__ import annotations

import numpy as np

from station.model import SKELETON_INDEX, DepthFrame, Intrinsics, PersonCloud, Skeleton
from station.sim.render import depth_to_rgb

BONES: tuple[tuple[str, str], ...] = (
    ("head", "neck"), ("neck", "shoulder_l"), ("neck", "shoulder_r"),
    ("shoulder_l", "elbow_l"), ("elbow_l", "wrist_l"), ("shoulder_r", "elbow_r"), ("elbow_r", "wrist_r"),
    ("neck", "spine_mid"), ("spine_mid", "spine_low"), ("spine_low", "pelvis"),
    ("pelvis", "hip_l"), ("pelvis", "hip_r"), ("hip_l", "knee_l"), ("knee_l", "ankle_l"),
    ("hip_r", "knee_r"), ("knee_r", "ankle_r"),
)


def project(points_cam_m: np.ndarray, intr: Intrinsics) -> np.ndarray:
    """(n, 2) pixel coordinates (u, v) of camera-frame points (pinhole, no distortion)."""
    z = np.maximum(points_cam_m[:, 2], 1e-6)
    return np.stack([intr.fx * points_cam_m[:, 0] / z + intr.ppx, intr.fy * points_cam_m[:, 1] / z + intr.ppy], 1)


def draw_line(img: np.ndarray, a_uv: np.ndarray, b_uv: np.ndarray, colour, width: int = 2) -> None:
    n = int(max(abs(b_uv[0] - a_uv[0]), abs(b_uv[1] - a_uv[1]), 1)) + 1
    u = np.linspace(a_uv[0], b_uv[0], n)
    v = np.linspace(a_uv[1], b_uv[1], n)
    h, w = img.shape[:2]
    r = width // 2
    for du in range(-r, r + 1):
        for dv in range(-r, r + 1):
            uu = np.round(u + du).astype(int)
            vv = np.round(v + dv).astype(int)
            ok = (uu >= 0) & (uu < w) & (vv >= 0) & (vv < h)
            img[vv[ok], uu[ok]] = colour


def draw_dot(img: np.ndarray, uv: np.ndarray, colour, radius: int = 3) -> None:
    h, w = img.shape[:2]
    u0, v0 = int(round(uv[0])), int(round(uv[1]))
    for dv in range(-radius, radius + 1):
        for du in range(-radius, radius + 1):
            if du * du + dv * dv <= radius * radius and 0 <= u0 + du < w and 0 <= v0 + dv < h:
                img[v0 + dv, u0 + du] = colour


def debug_image(frame: DepthFrame, cloud: PersonCloud | None, skeleton: Skeleton | None,
                near_m: float = 0.5, far_m: float = 6.0) -> np.ndarray:
    """(H, W, 3) uint8: depth in turbo colours, the lifter's pixels tinted, the skeleton drawn."""
    img = depth_to_rgb(frame.depth_m(), near_m, far_m)
    img = (img.astype(np.float32) * 0.6).astype(np.uint8)  # dim so overlays stand out
    if cloud is not None and cloud.mask.any():
        f = frame.intrinsics.width // cloud.mask.shape[1]
        mask = np.repeat(np.repeat(cloud.mask, f, axis=0), f, axis=1)
        mh, mw = mask.shape
        region = img[:mh, :mw]
        region[mask] = (0.5 * region[mask] + 0.5 * np.array([255, 255, 255])).astype(np.uint8)
    if skeleton is not None:
        uv = project(skeleton.points_cam_m, frame.intrinsics)
        for a, b in BONES:
            draw_line(img, uv[SKELETON_INDEX[a]], uv[SKELETON_INDEX[b]], (255, 40, 200), 3)
        for i in range(len(uv)):
            c = skeleton.confidence[i]
            draw_dot(img, uv[i], (int(255 * (1 - c)), int(255 * c), 60), 4)
    return img
