"""The SDK's types in the station's terms: intrinsics, depth frames, options, device info.

Shared by the live camera, playback and the software device of this package. Every frame
leaves as :class:`station.model.DepthFrame` with its pixels copied out of the SDK frame, which
is released at once (the SDK's frame pools are small and a held frame stalls its producer).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pyrealsense2 as rs

from station.model import DepthFrame, Intrinsics

SYNTHETIC_NAME = "Mirror Station Synthetic Athlete"
DEFAULT_SYNTHETIC_SERIAL = "MS-SYNTH-0001"
# A D435's depth sensor is called "Stereo Module"; tools that look for it by name find ours.
DEPTH_SENSOR_NAME = "Stereo Module"
RECORD_EXTENSION = ".db3"


class SourceError(Exception):
    """A depth source cannot be opened or stopped delivering; the message names it."""


def require_db3(path: Path) -> None:
    """:class:`SourceError` unless `path` names a rosbag2 ``.db3`` file (all this SDK records)."""
    if path.suffix.lower() != RECORD_EXTENSION:
        raise SourceError(f"{path}: this RealSense SDK ({rs.__version__}) records only "
                          f"rosbag2 .db3 files; choose a name ending in .db3")


def round_f32(value: float) -> float:
    """A float that went through float32 (SDK options), back to the decimal it was."""
    return float(f"{float(np.float32(value)):.7g}")


_MODEL_TO_RS = {
    "none": rs.distortion.none,
    "brown_conrady": rs.distortion.brown_conrady,
    "modified_brown_conrady": rs.distortion.modified_brown_conrady,
    "inverse_brown_conrady": rs.distortion.inverse_brown_conrady,
    "ftheta": rs.distortion.ftheta,
    "kannala_brandt4": rs.distortion.kannala_brandt4,
}
_RS_TO_MODEL = {v: k for k, v in _MODEL_TO_RS.items()}


def intrinsics_from_rs(intr: "rs.intrinsics") -> Intrinsics:
    """:class:`Intrinsics` from an SDK ``rs.intrinsics`` (values as stored, float32)."""
    model = _RS_TO_MODEL.get(intr.model, str(intr.model).split(".")[-1])
    coeffs = tuple(float(c) for c in list(intr.coeffs)[:5])
    coeffs = coeffs + (0.0,) * (5 - len(coeffs))
    return Intrinsics(
        width=int(intr.width), height=int(intr.height),
        fx=float(intr.fx), fy=float(intr.fy), ppx=float(intr.ppx), ppy=float(intr.ppy),
        model=model, coeffs=coeffs,  # type: ignore[arg-type]
    )


def intrinsics_to_rs(intrinsics: Intrinsics) -> "rs.intrinsics":
    """An SDK ``rs.intrinsics`` from :class:`Intrinsics`."""
    if intrinsics.model not in _MODEL_TO_RS:
        raise ValueError(f"unknown distortion model {intrinsics.model!r}; "
                         f"expected one of {sorted(_MODEL_TO_RS)}")
    intr = rs.intrinsics()
    intr.width, intr.height = int(intrinsics.width), int(intrinsics.height)
    intr.fx, intr.fy = float(intrinsics.fx), float(intrinsics.fy)
    intr.ppx, intr.ppy = float(intrinsics.ppx), float(intrinsics.ppy)
    intr.model = _MODEL_TO_RS[intrinsics.model]
    intr.coeffs = [float(c) for c in intrinsics.coeffs]
    return intr


def depth_frame(frame: "rs.frame", depth_units_m: float, intrinsics: Intrinsics) -> DepthFrame:
    """Copy an SDK depth frame out into a :class:`DepthFrame` (the SDK frame may then go)."""
    depth_raw_u16 = np.array(np.asanyarray(frame.get_data()), dtype=np.uint16, copy=True)
    return DepthFrame(
        depth_raw_u16=depth_raw_u16.reshape(intrinsics.height, intrinsics.width),
        depth_units_m=depth_units_m,
        intrinsics=intrinsics,
        timestamp_s=frame.get_timestamp() / 1000.0,
        frame_number=int(frame.get_frame_number()),
    )


def sensor_depth_units(sensor: "rs.sensor", default: float = 0.001) -> float:
    """The sensor's depth unit in metres (`default` when it has no such option)."""
    if sensor.supports(rs.option.depth_units):
        return round_f32(sensor.get_option(rs.option.depth_units))
    return default


def device_info(obj, key: "rs.camera_info", default: str = "") -> str:
    """A device's or sensor's camera_info field, or `default` when it has none."""
    try:
        return obj.get_info(key) if obj.supports(key) else default
    except RuntimeError:
        return default


# Depth visual presets of the D400 family, by their config names (camera.visual_preset).
VISUAL_PRESETS = {
    "default": rs.rs400_visual_preset.default,
    "high_accuracy": rs.rs400_visual_preset.high_accuracy,
    "high_density": rs.rs400_visual_preset.high_density,
    "medium_density": rs.rs400_visual_preset.medium_density,
}
