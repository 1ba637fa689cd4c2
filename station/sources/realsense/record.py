"""Recording a live camera's depth stream to a ``.db3`` file with the SDK's own recorder."""
from __future__ import annotations

import time
from pathlib import Path

import pyrealsense2 as rs

from station.sources.realsense.devices import require_camera
from station.sources.realsense.sdk import SourceError, require_db3


def record_live(path: str | Path, seconds: float, serial: str | None = None, width: int = 848,
                height: int = 480, fps: int = 30, timeout_s: float = 5.0) -> int:
    """Record a live camera's depth stream to ``path`` (.db3) for ``seconds``; frames recorded.

    Uses ``rs.config.enable_record_to_file``; the file is finalised when the pipeline stops.
    """
    path = Path(path)
    require_db3(path)
    if seconds <= 0:
        raise ValueError(f"seconds must be positive, got {seconds}")
    require_camera(serial)
    cfg = rs.config()
    if serial:
        cfg.enable_device(serial)
    cfg.enable_stream(rs.stream.depth, width, height, rs.format.z16, fps)
    cfg.enable_record_to_file(str(path))
    pipeline = rs.pipeline()
    try:
        pipeline.start(cfg)
    except RuntimeError as e:
        raise SourceError(f"{path}: cannot record camera {serial or '(first found)'}: {e}") from e
    n = 0
    try:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            try:
                frames = pipeline.wait_for_frames(int(timeout_s * 1000))
            except RuntimeError as e:
                raise SourceError(f"{path}: camera stopped delivering frames after {n}: {e}") from e
            if frames.getdepth_frame():
                n += 1
            del frames
    finally:
        pipeline.stop()  # finalises the file
        del pipeline
    return n
