"""Test recordings the station's own writer does not make (extra or odd streams).

Built with the SDK directly (software_device + rs.recorder), the same way
station.sources.realsense.SoftwareDepthCamera does; nothing here stands in for the SDK.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pyrealsense2 as rs

W, H = 32, 24


def _intrinsics(w: int, h: int) -> "rs.intrinsics":
    intr = rs.intrinsics()
    intr.width, intr.height = w, h
    intr.fx = intr.fy = 30.0
    intr.ppx, intr.ppy = w / 2 - 0.5, h / 2 - 0.5
    intr.model = rs.distortion.brown_conrady
    intr.coeffs = [0.0] * 5
    return intr


def record_streams(path: Path, streams: list[tuple["rs.stream", "rs.format", int]],
                   n_frames: int = 5) -> list[np.ndarray]:
    """Record ``n_frames`` of each (stream, format, bytes per pixel), one sensor per stream.

    Returns the images pushed to the first stream (as uint8/uint16 arrays).
    """
    dev = rs.software_device()
    dev.register_info(rs.camera_info.name, "test rig")
    dev.register_info(rs.camera_info.serial_number, "TEST0001")
    sensors, profiles = [], []
    for uid, (stream_type, fmt, bpp) in enumerate(streams):
        sensor = dev.add_sensor(f"sensor {uid}")
        vs = rs.video_stream()
        vs.type, vs.index, vs.uid = stream_type, 0, uid
        vs.width, vs.height, vs.fps, vs.bpp, vs.fmt = W, H, 30, bpp, fmt
        vs.intrinsics = _intrinsics(W, H)
        profiles.append(sensor.add_video_stream(vs, True).as_video_stream_profile())
        if stream_type == rs.stream.depth:
            sensor.add_read_only_option(rs.option.depth_units, 0.001)
        sensors.append(sensor)
    rec = rs.recorder(str(path), dev)
    rec_sensors = rec.query_sensors()
    queues = []
    for rec_sensor, profile in zip(rec_sensors, profiles):
        q = rs.frame_queue(4, keep_frames=True)
        rec_sensor.open(profile)
        rec_sensor.start(q)
        queues.append(q)
    first = []
    rng = np.random.default_rng(7)
    for i in range(n_frames):
        for k, ((_, _, bpp), sensor, profile, q) in enumerate(zip(streams, sensors, profiles, queues)):
            dtype = np.uint16 if bpp == 2 else np.uint8
            shape = (H, W) if bpp <= 2 else (H, W, bpp)
            img = rng.integers(0, 1000 if bpp == 2 else 255, shape).astype(dtype)
            if k == 0:
                first.append(img)
            f = rs.software_video_frame()
            f.pixels, f.bpp, f.stride = img, bpp, W * bpp
            f.timestamp, f.frame_number = i * 1000 / 30, i
            f.domain = rs.timestamp_domain.hardware_clock
            f.profile = profile
            sensor.on_video_frame(f)
            got = q.wait_for_frame(2000)
            del got
    for rec_sensor in rec_sensors:
        rec_sensor.stop()
        rec_sensor.close()
    del rec_sensors, rec, queues
    return first
