"""Which RealSense cameras are connected, and finding the one asked for by serial."""
from __future__ import annotations

import pyrealsense2 as rs

from station.sources.realsense.sdk import SourceError, device_info


def list_cameras() -> list[tuple[str, str, str]]:
    """Connected RealSense devices as (name, serial, firmware version)."""
    return [describe_device(dev) for dev in rs.context().query_devices()]


def describe_device(dev: "rs.device") -> tuple[str, str, str]:
    """(name, serial, firmware version) of a device."""
    return (device_info(dev, rs.camera_info.name), device_info(dev, rs.camera_info.serial_number),
            device_info(dev, rs.camera_info.firmware_version))


def missing_camera_error(serial: str | None, found: list[tuple[str, str, str]]) -> SourceError:
    """The error for a camera not found: the serial asked for and every device that is there."""
    asked = f"RealSense camera with serial {serial} is" if serial else "RealSense camera is"
    if found:
        seen = "; ".join(f"{n} serial {s} firmware {f}" for n, s, f in found)
        return SourceError(f"no {asked} connected; found: {seen}")
    return SourceError(f"no {asked} connected; found no RealSense devices "
                       f"(check the USB 3 cable and the udev rules in hardware/)")


def require_camera(serial: str | None) -> None:
    """Raise :class:`SourceError` naming the serial asked for and what is connected."""
    cams = list_cameras()
    if serial is None and cams:
        return
    if serial is not None and any(s == serial for _, s, _ in cams):
        return
    raise missing_camera_error(serial, cams)


def connected_devices() -> list["rs.device"]:
    """The RealSense devices connected now (a fresh context: a replugged camera is seen)."""
    return list(rs.context().query_devices())


def select_device(devices: list["rs.device"], serial: str | None) -> "rs.device":
    """The device with `serial` (or the first); :class:`SourceError` naming what was found."""
    for dev in devices:
        if serial is None or device_info(dev, rs.camera_info.serial_number) == serial:
            return dev
    raise missing_camera_error(serial, [describe_device(d) for d in devices])
