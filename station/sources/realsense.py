"""Everything that touches the RealSense SDK (the only importer of pyrealsense2).

Three ways a depth image reaches the station, all through the SDK so that a test runs the
code path the mirror runs:

- :class:`LiveCamera`: a D4xx camera's depth sensor, reopened with a capped back-off (and
  a ``hardware_reset()`` when it stays silent) when frames stop (unplugged cable, USB
  reset, a frozen camera); its :attr:`LiveCamera.status` is for display.
- :class:`PlaybackDevice`: a recording (``.db3`` rosbag2, or a legacy ``.bag``) played back
  through ``rs.context.load_device``; :mod:`station.sources.recording` builds iteration,
  back-pressure and pacing on it.
- :class:`SoftwareDepthCamera`: an ``rs.software_device`` that presents itself like a D435's
  depth sensor; images pushed into it come back out as SDK frames, and can be recorded with
  ``rs.recorder`` while they pass.

Every frame leaves as :class:`station.model.DepthFrame` with its pixels copied out of the SDK
frame, which is released at once (the SDK's frame pools are small and a held frame stalls
its producer).

Findings about this SDK (pyrealsense2 2.59):
- ``rs.recorder`` and ``rs.config.enable_record_to_file`` write rosbag2 ``.db3`` only; a
  ``.bag`` path is refused ("Output file must have .db3 extension"). Legacy ``.bag`` files
  are still *read* (chosen by extension, with a deprecation warning on stderr), and
  ``rs.context.convert_bag_to_db3`` converts them.
- Depth units are stored as float32, so 0.001 comes back as 0.0010000000474974513; values
  are reported rounded to float32's 7 significant digits.
- A recording's duration (``playback.get_duration``) is measured on the clock of the
  machine that wrote it (arrival times), not on the frames' timestamps.
"""
from __future__ import annotations

import atexit
import logging
import threading
import time
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pyrealsense2 as rs

from station.model import DepthFrame, Intrinsics

log = logging.getLogger(__name__)

SYNTHETIC_NAME = "Mirror Station Synthetic Athlete"
DEFAULT_SYNTHETIC_SERIAL = "MS-SYNTH-0001"
# A D435's depth sensor is called "Stereo Module"; tools that look for it by name find ours.
_DEPTH_SENSOR_NAME = "Stereo Module"
_RECORD_EXTENSION = ".db3"


class SourceError(Exception):
    """A depth source cannot be opened or stopped delivering; the message names it."""


# --------------------------------------------------------------------------------------
# conversions


def _round_f32(value: float) -> float:
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


def _depth_frame(frame: "rs.frame", depth_units_m: float, intrinsics: Intrinsics) -> DepthFrame:
    """Copy an SDK depth frame out into a :class:`DepthFrame` (the SDK frame may then go)."""
    depth_raw_u16 = np.array(np.asanyarray(frame.get_data()), dtype=np.uint16, copy=True)
    return DepthFrame(
        depth_raw_u16=depth_raw_u16.reshape(intrinsics.height, intrinsics.width),
        depth_units_m=depth_units_m,
        intrinsics=intrinsics,
        timestamp_s=frame.get_timestamp() / 1000.0,
        frame_number=int(frame.get_frame_number()),
    )


def _sensor_depth_units(sensor: "rs.sensor", default: float = 0.001) -> float:
    if sensor.supports(rs.option.depth_units):
        return _round_f32(sensor.get_option(rs.option.depth_units))
    return default


def _info(obj, key: "rs.camera_info", default: str = "") -> str:
    try:
        return obj.get_info(key) if obj.supports(key) else default
    except RuntimeError:
        return default


# --------------------------------------------------------------------------------------
# synthetic camera


class SoftwareDepthCamera:
    """A software depth camera: images pushed in come back out through the SDK.

    Presents itself like a D435 depth sensor: device name :data:`SYNTHETIC_NAME`, the given
    serial, one sensor "Stereo Module" with one z16 stream (the given intrinsics and fps) and
    a read-only ``depth_units`` option. With ``record_path`` (``.db3``) everything pushed is
    also recorded with ``rs.recorder``; the file is complete once :meth:`close` returns.

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

        self._device = rs.software_device()
        self._sensor = self._device.add_sensor(_DEPTH_SENSOR_NAME)
        stream = rs.video_stream()
        stream.type = rs.stream.depth
        stream.index = 0
        stream.uid = 0
        stream.width, stream.height = intrinsics.width, intrinsics.height
        stream.fps = self.fps
        stream.bpp = 2
        stream.fmt = rs.format.z16
        stream.intrinsics = intrinsics_to_rs(intrinsics)
        self._profile = self._sensor.add_video_stream(stream, True).as_video_stream_profile()
        self._sensor.add_read_only_option(rs.option.depth_units, float(depth_units_m))
        self.depth_units_m = _round_f32(depth_units_m)
        self._device.register_info(rs.camera_info.name, SYNTHETIC_NAME)
        self._device.register_info(rs.camera_info.serial_number, serial)
        self._device.register_info(rs.camera_info.firmware_version, "synthetic")
        self._device.register_info(rs.camera_info.product_line, "D400")

        self._recorder = None
        streaming_sensor = self._sensor
        if self.record_path is not None:
            if self.record_path.suffix.lower() != _RECORD_EXTENSION:
                raise SourceError(
                    f"{self.record_path}: this RealSense SDK ({rs.__version__}) records only "
                    f"rosbag2 .db3 files; choose a name ending in .db3")
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
        sw = rs.software_video_frame()
        sw.pixels = depth_raw_u16
        sw.bpp = 2
        sw.stride = self.intrinsics.width * 2
        sw.timestamp = float(timestamp_s) * 1000.0
        sw.domain = rs.timestamp_domain.hardware_clock
        sw.frame_number = int(frame_number)
        sw.depth_units = float(self.depth_units_m)
        sw.profile = self._profile
        self._sensor.on_video_frame(sw)
        ok, frame = self._queue.try_wait_for_frame(self._timeout_ms)
        if not ok:
            raise SourceError(f"synthetic camera {self.serial}: frame {frame_number} did not "
                              f"come back from the SDK within {self._timeout_ms} ms")
        try:
            return _depth_frame(frame, self.depth_units_m, self.intrinsics)
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


def _software_depth_device(intrinsics: Intrinsics, fps: int, depth_units_m: float, serial: str,
                           visual_presets: bool = False):
    """An ``rs.software_device`` presenting a D435's depth sensor: (device, sensor, profile)."""
    device = rs.software_device()
    sensor = device.add_sensor(_DEPTH_SENSOR_NAME)
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
        self._closed = threading.Event()
        self.frames_sent = 0
        self.plug_ins = 0
        self._plug_in()
        self._thread = threading.Thread(target=self._run, name="software-camera", daemon=True)
        self._thread.start()

    def _plug_in(self) -> None:
        self._device, self._sensor, self._profile = _software_depth_device(
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
                if not gone and getattr(self, "_replug_pending", False):
                    self._replug_pending = False
                    self._plug_in()
                sensor, profile = self._sensor, self._profile
            if not gone and not frozen:
                img = np.ascontiguousarray(self._image(i % self.n_images), dtype=np.uint16)
                sw = rs.software_video_frame()
                sw.pixels = img
                sw.bpp = 2
                sw.stride = self.intrinsics.width * 2
                sw.timestamp = i * period * 1000.0
                sw.domain = rs.timestamp_domain.hardware_clock
                sw.frame_number = i
                sw.depth_units = float(self.depth_units_m)
                sw.profile = profile
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


# --------------------------------------------------------------------------------------
# playback


# Playbacks still running at interpreter exit are stopped first: an SDK thread calling into
# a finalising interpreter aborts the process ("FATAL: exception not rethrown").
_RUNNING_PLAYBACKS: "weakref.WeakSet[PlaybackDevice]" = weakref.WeakSet()


@atexit.register
def _stop_running_playbacks() -> None:
    for device in list(_RUNNING_PLAYBACKS):
        try:
            device.stop()
        except Exception:  # exiting anyway
            pass


class PlaybackDevice:
    """One recording opened through the SDK, with its depth stream found and described.

    Raises :class:`SourceError` naming the file when it is missing, not a RealSense
    recording, has no depth stream, or its depth stream is not z16. Colour, IR and other
    streams are ignored. Playback runs non-real-time in the SDK (it waits for each
    callback), so nothing is ever dropped; pacing is the caller's business.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if not self.path.exists():
            raise SourceError(f"{self.path}: no such recording")
        if not self.path.is_file():
            raise SourceError(f"{self.path}: not a file")
        self._ctx = rs.context()
        try:
            self._device = self._ctx.load_device(str(self.path))
            self._playback = self._device.as_playback()
            self._playback.set_real_time(False)
        except RuntimeError as e:
            raise SourceError(f"{self.path}: not a readable RealSense recording ({e})") from e

        depth_profiles, found = [], []
        for sensor in self._device.query_sensors():
            for p in sensor.get_stream_profiles():
                found.append(f"{p.stream_name()} {p.format()}".replace("format.", ""))
                if p.stream_type() == rs.stream.depth:
                    depth_profiles.append((sensor, p))
        if not depth_profiles:
            raise SourceError(f"{self.path}: no depth stream in the recording "
                              f"(streams found: {', '.join(found) or 'none'})")
        z16 = [(s, p) for s, p in depth_profiles if p.format() == rs.format.z16]
        if not z16:
            fmts = ", ".join(str(p.format()) for _, p in depth_profiles)
            raise SourceError(f"{self.path}: the depth stream must be z16, found {fmts}")
        self._sensor, self._profile = z16[0]
        self.intrinsics = intrinsics_from_rs(self._profile.as_video_stream_profile().get_intrinsics())
        self.fps = int(self._profile.fps())
        self.depth_units_m = _sensor_depth_units(self._sensor)
        self.device_name = _info(self._device, rs.camera_info.name)
        self.serial = _info(self._device, rs.camera_info.serial_number)
        self.duration_s = self._playback.get_duration().total_seconds()
        self._running = False
        self._lock = threading.Lock()
        # Set first thing in stop(): an on_frame that blocks (back-pressure) must poll it
        # and return, or stopping the sensor would wait on it forever.
        self.stopping = threading.Event()

    def start(self, on_frame: Callable[[DepthFrame], None], on_end: Callable[[], None],
              on_error: Callable[[SourceError], None] | None = None) -> None:
        """Play from the beginning; call ``on_frame`` for each depth frame, then ``on_end``.

        All are called on the SDK's thread; the next frame is read only when ``on_frame``
        returns (back-pressure). ``on_end`` follows the last ``on_frame``. A frame that
        cannot be converted goes to ``on_error`` (default: logged). A callback that
        blocks must give up once :attr:`stopping` is set.
        """
        with self._lock:
            if self._running:
                raise SourceError(f"{self.path}: playback already running")
            self.stopping.clear()
            units, intr = self.depth_units_m, self.intrinsics
            state = {"playing": False}

            def status_changed(status):
                if status == rs.playback_status.playing:
                    state["playing"] = True
                elif status == rs.playback_status.stopped and state["playing"]:
                    state["playing"] = False
                    on_end()

            path = self.path

            def frame_arrived(frame):
                try:
                    if frame.get_profile().stream_type() != rs.stream.depth:
                        return
                    depth = _depth_frame(frame, units, intr)
                except Exception as e:  # never let an exception die in the SDK's thread
                    err = SourceError(f"{path}: unreadable depth frame: {e}")
                    if on_error is None:
                        log.error("%s", err)
                    else:
                        on_error(err)
                    return
                finally:
                    del frame
                on_frame(depth)

            self._playback.set_status_changed_callback(status_changed)
            self._sensor.open(self._profile)
            try:
                self._sensor.start(frame_arrived)
            except Exception:
                self._sensor.close()
                raise
            self._running = True
            _RUNNING_PLAYBACKS.add(self)

    def stop(self) -> None:
        """Stop and close the sensor; safe to call twice."""
        self.stopping.set()
        with self._lock:
            if not self._running:
                return
            self._running = False
            _RUNNING_PLAYBACKS.discard(self)
            try:
                self._sensor.stop()
            finally:
                self._sensor.close()

    def convert_to_db3(self, out_path: str | Path) -> Path:
        """Convert this (legacy ``.bag``) recording to ``.db3`` with the SDK's converter."""
        return convert_bag_to_db3(self.path, out_path)


def convert_bag_to_db3(bag_path: str | Path, db3_path: str | Path) -> Path:
    """Convert a legacy ROS1 ``.bag`` recording to rosbag2 ``.db3`` (the SDK's converter)."""
    bag_path, db3_path = Path(bag_path), Path(db3_path)
    if not bag_path.exists():
        raise SourceError(f"{bag_path}: no such recording")
    try:
        rs.context().convert_bag_to_db3(str(bag_path), str(db3_path))
    except RuntimeError as e:
        raise SourceError(f"{bag_path}: cannot convert to {db3_path}: {e}") from e
    return db3_path


# --------------------------------------------------------------------------------------
# live camera


def list_cameras() -> list[tuple[str, str, str]]:
    """Connected RealSense devices as (name, serial, firmware version)."""
    return [_describe(dev) for dev in rs.context().query_devices()]


def _describe(dev: "rs.device") -> tuple[str, str, str]:
    return (_info(dev, rs.camera_info.name), _info(dev, rs.camera_info.serial_number),
            _info(dev, rs.camera_info.firmware_version))


def _missing_camera_error(serial: str | None, found: list[tuple[str, str, str]]) -> "SourceError":
    asked = f"RealSense camera with serial {serial} is" if serial else "RealSense camera is"
    if found:
        seen = "; ".join(f"{n} serial {s} firmware {f}" for n, s, f in found)
        return SourceError(f"no {asked} connected; found: {seen}")
    return SourceError(f"no {asked} connected; found no RealSense devices "
                       f"(check the USB 3 cable and the udev rules in hardware/)")


def _require_camera(serial: str | None) -> None:
    """Raise :class:`SourceError` naming the serial asked for and what is connected."""
    cams = list_cameras()
    if serial is None and cams:
        return
    if serial is not None and any(s == serial for _, s, _ in cams):
        return
    raise _missing_camera_error(serial, cams)


def connected_devices() -> list["rs.device"]:
    """The RealSense devices connected now (a fresh context: a replugged camera is seen)."""
    return list(rs.context().query_devices())


def select_device(devices: list["rs.device"], serial: str | None) -> "rs.device":
    """The device with `serial` (or the first); :class:`SourceError` naming what was found."""
    for dev in devices:
        if serial is None or _info(dev, rs.camera_info.serial_number) == serial:
            return dev
    raise _missing_camera_error(serial, [_describe(d) for d in devices])


class CameraBusyError(SourceError):
    """The camera is there but another process streams from it (e.g. the station service)."""


def _is_busy(exc: BaseException) -> bool:
    # V4L: "Device or resource busy" (errno 16); libusb: RS2_USB_STATUS_BUSY; the same
    # process: "UVC device is streaming!" (a software device: "Software device is streaming!")
    text = str(exc).lower()
    return ("busy" in text or "errno=16" in text or "failed to set power state" in text
            or "is streaming" in text)


# Depth visual presets of the D400 family, by their config names (camera.visual_preset).
VISUAL_PRESETS = {
    "default": rs.rs400_visual_preset.default,
    "high_accuracy": rs.rs400_visual_preset.high_accuracy,
    "high_density": rs.rs400_visual_preset.high_density,
    "medium_density": rs.rs400_visual_preset.medium_density,
}


STREAMING = "streaming"
STARTING = "starting"
RECONNECTING = "reconnecting"
NO_CAMERA = "no camera"
STOPPED = "stopped"


@dataclass
class Reconnector:
    """The live camera's reconnect policy, as a pure state machine (no SDK, no clock).

    Events: :meth:`started` (stream opened), :meth:`frame` (a frame arrived),
    :meth:`lost` (frames stopped: timeout or disconnect), :meth:`absent` (the camera could
    not be opened). :meth:`lost` and :meth:`absent` return how long to wait before the next
    attempt: ``initial_s``, doubling per consecutive failure up to ``max_s``; a frame resets
    the back-off. ``status`` is what the station shows.

    ``max_s`` is small on purpose: a camera that comes back must stream again within 5 s,
    and the worst case is one wait (``max_s``) plus one attempt that just missed it (an open,
    and up to ``frame_timeout_s`` waiting for a first frame).
    """

    initial_s: float = 0.25
    max_s: float = 2.0
    factor: float = 2.0
    grace_attempts: int = 3
    status: str = STARTING
    failures: int = 0

    def started(self) -> None:
        self.status = STARTING

    def frame(self) -> None:
        self.status = STREAMING
        self.failures = 0

    def _delay(self) -> float:
        delay = min(self.max_s, self.initial_s * self.factor ** self.failures)
        self.failures += 1
        return delay

    def lost(self) -> float:
        self.status = RECONNECTING
        return self._delay()

    def absent(self) -> float:
        # Right after frames stopped (a USB reset takes seconds) we are "reconnecting"; a
        # camera never seen, or still gone after grace_attempts tries, is "no camera".
        recent_loss = self.status == RECONNECTING and self.failures < self.grace_attempts
        self.status = RECONNECTING if recent_loss else NO_CAMERA
        return self._delay()

    def stopped(self) -> None:
        self.status = STOPPED


class LiveCamera:
    """A RealSense camera's depth stream (z16 only), reopened when frames stop.

    Streams through the depth sensor's own API (``sensor.open``/``start`` into an
    ``rs.frame_queue``), so the same code runs on a D4xx and on an ``rs.software_device``
    (tests, the soak benchmark). ``serial`` selects a camera; None takes the first.
    ``devices`` enumerates what is connected (default: a fresh ``rs.context`` each time, so
    a replugged camera is found again).

    :meth:`open` raises :class:`SourceError` at once when the camera is not there (naming
    the serial and listing what was found), :class:`CameraBusyError` when another process
    holds it. Iterating yields :class:`DepthFrame` until :meth:`stop` (from any thread).
    When no frame comes for ``frame_timeout_s`` (a silent camera that stays enumerated, an
    unplugged cable, a USB reset) the sensor is closed and reopened with a capped back-off
    (:class:`Reconnector`); when a reopened camera stays silent, ``hardware_reset()`` is
    sent to it (it re-enumerates within seconds). :attr:`status` says "streaming",
    "reconnecting", "no camera", "starting" or "stopped"; :attr:`recoveries` counts
    outages that ended in frames again, :attr:`last_outage_s` how long the last one took.
    With ``wait_for_camera=False`` a camera missing at the start raises instead.
    :meth:`stop` is final: make a new LiveCamera to stream again.
    """

    def __init__(self, serial: str | None = None, width: int = 848, height: int = 480,
                 fps: int = 30, *, frame_timeout_s: float = 1.0, visual_preset: str = "default",
                 reconnector: Reconnector | None = None, wait_for_camera: bool = True,
                 devices: Callable[[], list] | None = None, reset_after_silent_reopens: int = 1):
        if not frame_timeout_s > 0:
            raise ValueError(f"frame_timeout_s must be positive, got {frame_timeout_s}")
        if visual_preset not in VISUAL_PRESETS:
            raise ValueError(f"unknown visual preset {visual_preset!r}; expected one of "
                             f"{sorted(VISUAL_PRESETS)}")
        self.serial, self.width, self.height, self.fps = serial, width, height, fps
        self.frame_timeout_s = float(frame_timeout_s)
        self.visual_preset = visual_preset
        self.wait_for_camera = wait_for_camera
        self.reset_after_silent_reopens = reset_after_silent_reopens
        self._devices = devices or connected_devices
        self._reconnect = reconnector or Reconnector()
        self._stop = threading.Event()
        self._device = None
        self._sensor = None
        self._queue = None
        self.intrinsics: Intrinsics | None = None
        self.depth_units_m: float | None = None
        self.last_error: str | None = None
        self.preset_applied: str | None = None
        self.recoveries = 0
        self.hardware_resets = 0
        self.last_outage_s: float | None = None
        self._outage_since: float | None = None
        self._silent_reopens = 0

    @property
    def status(self) -> str:
        return self._reconnect.status

    @property
    def _name(self) -> str:
        return f"camera {self.serial or '(first found)'}"

    def _profile(self, sensor: "rs.sensor") -> "rs.video_stream_profile":
        found = []
        for p in sensor.get_stream_profiles():
            if p.stream_type() != rs.stream.depth or not p.is_video_stream_profile():
                continue
            v = p.as_video_stream_profile()
            found.append(f"{v.width()}x{v.height()} {str(v.format()).split('.')[-1]} {v.fps()}")
            if (v.format() == rs.format.z16 and v.width() == self.width
                    and v.height() == self.height and v.fps() == self.fps):
                return v
        raise SourceError(f"{self._name}: no depth mode {self.width}x{self.height} z16 at "
                          f"{self.fps} fps (modes: {', '.join(found) or 'none'})")

    def _apply_preset(self, sensor: "rs.sensor") -> None:
        self.preset_applied = None
        if not sensor.supports(rs.option.visual_preset):
            if self.visual_preset != "default":
                log.warning("%s has no visual presets; camera.visual_preset = %r is not applied",
                            self._name, self.visual_preset)
            return
        try:
            sensor.set_option(rs.option.visual_preset, float(VISUAL_PRESETS[self.visual_preset]))
        except RuntimeError as e:
            log.warning("%s: cannot set visual preset %r: %s", self._name, self.visual_preset, e)
            return
        self.preset_applied = self.visual_preset

    def open(self) -> None:
        """Start the depth stream; :class:`SourceError` if the camera is missing or refuses."""
        self._close()
        try:
            device = select_device(self._devices(), self.serial)
            sensor = device.first_depth_sensor()
        except RuntimeError as e:
            raise SourceError(f"{self._name}: {e}") from e
        profile = self._profile(sensor)
        self._apply_preset(sensor)
        queue = rs.frame_queue(2)
        try:
            sensor.open(profile)
        except RuntimeError as e:
            if _is_busy(e):
                raise CameraBusyError(
                    f"{self._name} is busy: another program is using it (is the station "
                    f"service running? stop it with: sudo systemctl stop station) ({e})") from e
            raise SourceError(f"{self._name}: cannot stream depth {self.width}x{self.height} z16 "
                              f"at {self.fps} fps: {e}") from e
        try:
            sensor.start(queue)
        except RuntimeError as e:
            sensor.close()
            raise SourceError(f"{self._name}: cannot start the depth stream: {e}") from e
        self._device, self._sensor, self._queue = device, sensor, queue
        self.depth_units_m = _sensor_depth_units(sensor)
        self.intrinsics = intrinsics_from_rs(profile.get_intrinsics())
        self._reconnect.started()
        log.info("%s streaming depth %dx%d at %d fps (visual preset %s)", self._name,
                 self.width, self.height, self.fps, self.preset_applied or "unchanged")

    def _close(self) -> None:
        sensor, self._sensor, self._queue = self._sensor, None, None
        if sensor is not None:
            for step in (sensor.stop, sensor.close):
                try:
                    step()
                except RuntimeError as e:  # already stopped, or the device is gone
                    log.debug("%s: %s", step.__name__, e)

    def _hardware_reset(self) -> None:
        device, self._device = self._device, None
        if device is None:
            return
        try:
            device.hardware_reset()
        except RuntimeError as e:  # gone already, or not a USB camera (software device)
            log.info("%s: hardware reset not possible: %s", self._name, e)
            return
        self.hardware_resets += 1
        log.warning("%s stayed silent after reopening: hardware reset sent", self._name)

    def stop(self) -> None:
        """End iteration (from any thread) and close the stream."""
        self._stop.set()

    def _frames_stopped(self, reason: str) -> None:
        """Close the stream, reset a camera that stays silent, and wait before reopening."""
        if self._outage_since is None:
            self._outage_since = time.monotonic()
        self.last_error = f"{self._name}: {reason}"
        silent_again = self._reconnect.status == STARTING   # reopened, yet no frame came
        self._close()
        if silent_again:
            self._silent_reopens += 1
            if self._silent_reopens >= self.reset_after_silent_reopens:
                self._silent_reopens = 0
                self._hardware_reset()
        delay = self._reconnect.lost()
        log.warning("%s; reopening in %.2f s", self.last_error, delay)
        self._stop.wait(delay)

    def _frame_arrived(self) -> None:
        if self._outage_since is not None:
            self.last_outage_s = time.monotonic() - self._outage_since
            self._outage_since = None
            self.recoveries += 1
            log.warning("%s streaming again after %.1f s without frames", self._name,
                        self.last_outage_s)
        self._silent_reopens = 0
        self._reconnect.frame()

    def __iter__(self):
        timeout_ms = int(self.frame_timeout_s * 1000)
        opened_once = self._sensor is not None
        try:
            while not self._stop.is_set():
                if self._sensor is None:
                    try:
                        self.open()
                        opened_once = True
                    except SourceError as e:
                        if not self.wait_for_camera and not opened_once:
                            raise
                        if self._outage_since is None:
                            self._outage_since = time.monotonic()
                        self.last_error = str(e)
                        delay = self._reconnect.absent()
                        log.warning("%s; retrying in %.2f s", e, delay)
                        self._stop.wait(delay)
                        continue
                try:
                    ok, frame = self._queue.try_wait_for_frame(timeout_ms)
                except RuntimeError as e:  # the device went away under the queue
                    ok, frame = False, None
                    reason = str(e)
                else:
                    reason = f"no depth frame for {self.frame_timeout_s:g} s"
                if not ok:
                    self._frames_stopped(reason)
                    continue
                try:
                    if not frame.is_depth_frame():
                        continue
                    out = _depth_frame(frame, self.depth_units_m, self.intrinsics)
                finally:
                    del frame  # back to the SDK's pool at once
                self._frame_arrived()
                yield out
        finally:
            self._close()
            self._device = None
            self._reconnect.stopped()

    def __enter__(self) -> "LiveCamera":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
        self._close()


def record_live(path: str | Path, seconds: float, serial: str | None = None, width: int = 848,
                height: int = 480, fps: int = 30, timeout_s: float = 5.0) -> int:
    """Record a live camera's depth stream to ``path`` (.db3) for ``seconds``; frames recorded.

    Uses ``rs.config.enable_record_to_file``; the file is finalised when the pipeline stops.
    """
    path = Path(path)
    if path.suffix.lower() != _RECORD_EXTENSION:
        raise SourceError(f"{path}: this RealSense SDK ({rs.__version__}) records only "
                          f"rosbag2 .db3 files; choose a name ending in .db3")
    if seconds <= 0:
        raise ValueError(f"seconds must be positive, got {seconds}")
    _require_camera(serial)
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
            if frames.get_depth_frame():
                n += 1
            del frames
    finally:
        pipeline.stop()  # finalises the file
        del pipeline
    return n


def sdk_version() -> str:
    return rs.__version__


__all__ = [
    "SourceError", "SoftwareDepthCamera", "PlaybackDevice", "LiveCamera", "Reconnector",
    "CameraBusyError", "SoftwareCameraFeed", "VISUAL_PRESETS", "connected_devices", "select_device",
    "list_cameras", "record_live", "convert_bag_to_db3", "intrinsics_from_rs",
    "intrinsics_to_rs", "sdk_version", "SYNTHETIC_NAME",
    "STREAMING", "STARTING", "RECONNECTING", "NO_CAMERA", "STOPPED",
]
