"""The synthetic athlete's camera: D435-like depth intrinsics per stream mode, and mounts."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from station.config import DEPTH_MODES
from station.frames import T_floor_cam_from_mount
from station.model import Intrinsics

# Depth modes a D435/D455 offers (width, height), from the config's table of modes and frame
# rates; 848x480 is the recommended depth mode. 256x144 is left out: it is a cropped mode (for
# on-chip calibration) whose field of view this model does not know.
D4XX_DEPTH_MODES: tuple[tuple[int, int], ...] = tuple(m for m in DEPTH_MODES if m != (256, 144))

# Typical D435 depth focal length at 1280x720 (87° x 58° field of view). Lower 16:9 modes are
# the same field of view scaled; 640x480 is a 4:3 crop-and-scale of the 1280x720 sensor area.
_FX_1280 = 640.0


def d435_depth_intrinsics(width: int = 848, height: int = 480) -> Intrinsics:
    """Pinhole intrinsics of a D435 depth stream in the given mode (no distortion)."""
    if (width, height) not in D4XX_DEPTH_MODES:
        raise ValueError(f"{width}x{height} is not a D4xx depth mode; choose one of {D4XX_DEPTH_MODES}")
    if width / height > 1.5:  # the 16:9 family (848x480 is 16:9 rounded to a multiple of 16)
        f = _FX_1280 * width / 1280.0
    else:  # 4:3 modes use the central 960x720 of the 1280x720 area
        f = _FX_1280 * width / 960.0
    return Intrinsics(width=width, height=height, fx=f, fy=f,
                      ppx=(width - 1) / 2.0, ppy=(height - 1) / 2.0)


def aim_pitch_deg(mount_height_m: float, target_height_m: float, distance_m: float) -> float:
    """Downward pitch that points the optical axis at a target height at a floor distance."""
    return math.degrees(math.atan2(mount_height_m - target_height_m, distance_m))


@dataclass(frozen=True)
class CameraMount:
    """Where the camera sits: height above the floor and downward pitch (floor frame origin below)."""

    height_m: float
    pitch_down_deg: float
    roll_deg: float = 0.0

    def T_floor_cam(self) -> np.ndarray:
        return T_floor_cam_from_mount(self.height_m, self.pitch_down_deg, self.roll_deg)
