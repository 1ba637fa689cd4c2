"""Software depth cameras: an ``rs.software_device`` that presents itself like a D435's depth sensor.

- :class:`SoftwareDepthCamera`: images pushed into it come back out as SDK frames (the
  synthetic athlete's path), and can be recorded with ``rs.recorder`` while they pass.
- :class:`SoftwareCameraFeed`: streams images by itself, like a camera, with faults to inject
  (frozen, unplugged); what :class:`~station.sources.realsense.LiveCamera` opens in tests
  and in the soak benchmark.
"""
from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Callable

import numpy as np
import pyrealsense2 as rs

from station.model import DepthFrame, Intrinsics
from station.sources.realsense.sdk import (DEFAULT_SYNTHETIC_SERIAL, DEPTH_SENSOR_NAME, SYNTHETIC_NAME,
                                           VISUAL_PRESETS, SourceError, depth_frame, intrinsics_to_rs,
                                           require_db3, round_f32)

log = logging.getLogger(__name__)


def software_depth_device(intrinsics: Intrinsics, fps: int, depth_units_m: float, serial: str,
                          visual_presets: bool = False):
    """An ``rs.software_device`` presenting a D435's depth sensor: (device, sensor, profile).

    Device name :data:`SYNTHETIC_NAME`, the given serial, one sensor "Stereo Module" with one
    z16 stream (the given intrinsics and fps), a read-only ``depth_units`` option and, with
    ``visual_presets``, the D400 ``visual_preset`` option.
    """
    device = rs.software_device()
    sensor = device.add_sensor(DEPTH_SENSOR_NAME)
    stream = rs.video_stream()
    stream.type = rs.stream.depth
    stream.index = 0
    stream.uid = 0
    stream.width, stream.height = intrinsics.width, intrinsics.height
    stream.fps = int(fps)
    stream.bpp = 2
    stream.fmt = rs.format.z16
    stream.intrinsics = intrinsics_to_rs(intrinsics)
    profile = sensor.add_video_stream(stream, True).as_video_stream_profile()
    sensor.add_read_only_option(rs.option.depth_units, float(depth_units_m))
    if visual_presets:
        presets = rs.option_range()
        presets.min, presets.max, presets.step = 0.0, 5.0, 1.0
        presets.default = float(VISUAL_PRESETS["default"])
        sensor.add_option(rs.option.visual_preset, presets, True)
    device.register_info(rs.camera_info.name, SYNTHETIC_NAME)
    device.register_info(rs.camera_info.serial_number, serial)
    device.register_info(rs.camera_info.firmware_version, "synthetic")
    device.register_info(rs.camera_info.product_line, "D400")
    return device, sensor, profile


def software_video_frame(depth_raw_u16: np.ndarray, width: int, timestamp_ms: float, frame_number: int,
                         depth_units_m: float, profile) -> "rs.software_video_frame":
    """One z16 image as a frame for a software sensor's ``on_video_frame`` (hardware clock)."""
    sw = rs.software_video_frame()
    sw.pixels = depth_raw_u16
    sw.bpp = 2
    sw.stride = width * 2
    sw.timestamp = timestamp_ms
    sw.domain = rs.timestamp_domain.hardware_clock
    sw.frame_number = frame_number
    sw.depth_units = float(depth_units_m)
    sw.profile = profile
    return sw


class SoftwareDepthCamera:
    """A software depth camera: images pushed in come back out through the SDK.

    Presents itself like a D435 depth sensor (see :func:`software_depth_device`). With
    ``record_path`` (``.db3``) everything pushed is also recorded with ``rs.recorder``; the
    file is complete once :meth:`close` returns.

    Use as a context manager; :meth:`close` is idempotent.
    """

    def __init__(self, intrinsics: Intrinsics, fps: int = 30, depth_units_m: float = 0.001,
                 serial: str = DEFAULT_SYNTHETIC_SERIAL, record_path: str | Path | None = None,
                 timeout_s: float = 5.0):
        if fps <= 0:
            raise ValueError(f"fps must be positive, got {fps}")
        if not depth_units_m > 0:
            raise ValueError(f"depth_units_m must be positive, got {depth_units_m}")
        self.intrinsics = intrinsics
        self.fps = int(fps)
        self.serial = serial
        self.record_path = Path(record_path) if record_path is not None else None
        self._timeout_ms = int(timeout_s * 1000)
        self._closed = False

        self._device, self._sensor, self._profile = software_depth_device(
            intrinsics, self.fps, depth_units_m, serial)
        self.depth_units_m = round_f32(depth_units_m)

        self._recorder = None
        streaming_sensor = self._sensor
        if self.record_path is not None:
            require_db3(self.record_path)
            if self.record_path.exists():  # never delete a recording before the new one is whole
                raise SourceError(f"{self.record_path}: already exists; record to a new file "
                                  "(write_recording replaces a recording atomically)")
            try:
                self._recorder = rs.recorder(str(self.record_path), self._device)
            except RuntimeError as e:
                raise SourceError(f"{self.record_path}: cannot record: {e}") from e
            # Frames must flow through the recorder's wrapper of the sensor to be written.
            streaming_sensor = self._recorder.query_sensors()[0]
        self._streaming_sensor = streaming_sensor
        self._queue = rs.frame_queue(4, keep_frames=True)
        streaming_sensor.open(self._profile)
        streaming_sensor.start(self._queue)

    def push(self, depth_raw_u16: np.ndarray, timestamp_s: float, frame_number: int) -> DepthFrame:
        """Send one image through the SDK and return it as the sensor delivered it back."""
        if self._closed:
            raise SourceError(f"synthetic camera {self.serial} is closed")
        depth_raw_u16 = np.ascontiguousarray(depth_raw_u16)
        shape = (self.intrinsics.height, self.intrinsics.width)
        if depth_raw_u16.dtype != np.uint16 or depth_raw_u16.shape != shape:
            raise ValueError(f"depth_raw_u16 must be uint16 of shape {shape}, "
                             f"got {depth_raw_u16.dtype} {depth_raw_u16.shape}")
        sw = software_video_frame(depth_raw_u16, self.intrinsics.width, float(timestamp_s) * 1000.0,
                                  int(frame_number), self.depth_units_m, self._profile)
        self._sensor.on_video_frame(sw)
        ok, frame = self._queue.try_wait_for_frame(self._timeout_ms)
        if not ok:
            raise SourceError(f"synthetic camera {self.serial}: frame {frame_number} did not "
                              f"come back from the SDK within {self._timeout_ms} ms")
        try:
            return depth_frame(frame, self.depth_units_m, self.intrinsics)
        finally:
            del frame  # release the SDK frame now, not at garbage collection

    def close(self) -> None:
        """Stop the sensor and, when recording, finalise the file."""
        if self._closed:
            return
        self._closed = True
        try:
            self._streaming_sensor.stop()
        finally:
            self._streaming_sensor.close()
            # Drop every handle on the recorder so its writer is destroyed (file finalised).
            self._streaming_sensor = None
            self._queue = None
            self._recorder = None

    def __enter__(self) -> "SoftwareDepthCamera":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class SoftwareCameraFeed:
    """A software D435 whose depth sensor streams images by itself, like a camera, with
    faults to inject: what :class:`LiveCamera` opens in tests and in the soak benchmark.

    ``image(i)`` gives the i-th depth image (uint16, the intrinsics' shape); the feed loops
    over ``n_images`` of them at ``fps`` (paced on the wall clock), with timestamps that keep
    increasing across loops. Pass :meth:`devices` to ``LiveCamera(devices=...)``.
    :meth:`freeze` keeps the camera enumerated but silent; :meth:`unplug` makes it vanish
    (when it comes back it is a new device, as after a USB re-enumeration). The depth sensor
    offers the D400 ``visual_preset`` option, so :attr:`visual_preset` shows what was set.
    """

    def __init__(self, image: Callable[[int], np.ndarray], n_images: int, intrinsics: Intrinsics,
                 fps: int = 30, depth_units_m: float = 0.001,
                 serial: str = DEFAULT_SYNTHETIC_SERIAL):
        if n_images < 1:
            raise ValueError(f"n_images must be at least 1, got {n_images}")
        self._image, self.n_images = image, int(n_images)
        self.intrinsics, self.fps, self.serial = intrinsics, int(fps), serial
        self.depth_units_m = depth_units_m
        self._lock = threading.Lock()
        self._frozen_until = 0.0
        self._unplugged_until = 0.0
        self._replug_pending = False
        self._closed = threading.Event()
        self.frames_sent = 0
        self.plug_ins = 0
        self._plug_in()
        self._thread = threading.Thread(target=self._run, name="software-camera", daemon=True)
        self._thread.start()

    def _plug_in(self) -> None:
        self._device, self._sensor, self._profile = software_depth_device(
            self.intrinsics, self.fps, self.depth_units_m, self.serial, visual_presets=True)
        self.plug_ins += 1

    @property
    def visual_preset(self) -> str:
        value = int(self._sensor.get_option(rs.option.visual_preset))
        return {int(v): k for k, v in VISUAL_PRESETS.items()}.get(value, str(value))

    def devices(self) -> list:
        """What a context would enumerate now: this camera, unless it is unplugged."""
        with self._lock:
            if time.monotonic() < self._unplugged_until:
                return []
            return [self._device]

    def freeze(self, seconds: float) -> None:
        """Stay connected but send no frame for `seconds` (a hung camera)."""
        with self._lock:
            self._frozen_until = time.monotonic() + seconds

    def unplug(self, seconds: float) -> None:
        """Disappear for `seconds`; then a new device with the same serial appears."""
        with self._lock:
            self._unplugged_until = time.monotonic() + seconds
            self._replug_pending = True

    def _run(self) -> None:
        period = 1.0 / self.fps
        next_t = time.monotonic()
        i = 0
        while not self._closed.is_set():
            now = time.monotonic()
            with self._lock:
                gone = now < self._unplugged_until
                frozen = now < self._frozen_until
                if not gone and self._replug_pending:
                    self._replug_pending = False
                    self._plug_in()
                sensor, profile = self._sensor, self._profile
            if not gone and not frozen:
                img = np.ascontiguousarray(self._image(i % self.n_images), dtype=np.uint16)
                sw = software_video_frame(img, self.intrinsics.width, i * period * 1000.0, i,
                                          self.depth_units_m, profile)
                try:
                    sensor.on_video_frame(sw)   # dropped by the SDK unless the sensor streams
                except RuntimeError as e:
                    log.debug("software camera: %s", e)
                self.frames_sent += 1
            i += 1   # time goes on while frozen or unplugged, as a camera's clock does
            next_t += period
            delay = next_t - time.monotonic()
            if delay > 0:
                self._closed.wait(delay)
            else:
                next_t = time.monotonic()

    def close(self) -> None:
        self._closed.set()
        self._thread.join(timeout=5.0)

    def __enter__(self) -> "SoftwareCameraFeed":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
