"""Everything that touches the RealSense SDK (the only importer of pyrealsense2).

Three ways a depth image reaches the station, all through the SDK so that a test runs the
code path the mirror runs:

- :class:`LiveCamera`: a D4xx camera through ``rs.pipeline``, reopened with back-off when
  frames stop (unplugged cable, USB reset); its :attr:`LiveCamera.status` is for display.
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
    out = []
    for dev in rs.context().query_devices():
        out.append((_info(dev, rs.camera_info.name), _info(dev, rs.camera_info.serial_number),
                    _info(dev, rs.camera_info.firmware_version)))
    return out


def _require_camera(serial: str | None) -> None:
    """Raise :class:`SourceError` naming the serial asked for and what is connected."""
    cams = list_cameras()
    if serial is None and cams:
        return
    if serial is not None and any(s == serial for _, s, _ in cams):
        return
    asked = f"RealSense camera with serial {serial} is" if serial else "RealSense camera is"
    if cams:
        seen = "; ".join(f"{n} serial {s} firmware {f}" for n, s, f in cams)
        raise SourceError(f"no {asked} connected; found: {seen}")
    raise SourceError(f"no {asked} connected; found no RealSense devices "
                      f"(check the USB 3 cable and the udev rules in hardware/)")


STREAMING = "streaming"
STARTING = "starting"
RECONNECTING = "reconnecting"
NO_CAMERA = "no camera"
STOPPED = "stopped"


@dataclass
class Reconnector:
    """The live camera's reconnect policy, as a pure state machine (no SDK, no clock).

    Events: :meth:`started` (pipeline opened), :meth:`frame` (a frame arrived),
    :meth:`lost` (frames stopped: timeout or disconnect), :meth:`absent` (the camera could
    not be opened). :meth:`lost` and :meth:`absent` return how long to wait before the next
    attempt: ``initial_s``, doubling per consecutive failure up to ``max_s``; a frame resets
    the back-off. ``status`` is what the station shows.
    """

    initial_s: float = 0.5
    max_s: float = 10.0
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

    ``serial`` selects a camera (``rs.config.enable_device``); None takes the first.
    :meth:`open` raises :class:`SourceError` at once when the camera is not there (naming
    the serial and listing what was found). Iterating yields :class:`DepthFrame` until
    :meth:`stop` (from any thread); when ``wait_for_frames`` times out or the device goes
    away, the pipeline is closed and reopened with back-off (:class:`Reconnector`), and
    :attr:`status` says "streaming", "reconnecting", "no camera", "starting" or "stopped".
    With ``wait_for_camera=False`` a camera missing at the start raises instead.
    :meth:`stop` is final: make a new LiveCamera to stream again.
    """

    def __init__(self, serial: str | None = None, width: int = 848, height: int = 480,
                 fps: int = 30, *, frame_timeout_s: float = 1.0,
                 reconnector: Reconnector | None = None, wait_for_camera: bool = True):
        self.serial, self.width, self.height, self.fps = serial, width, height, fps
        self.frame_timeout_s = frame_timeout_s
        self.wait_for_camera = wait_for_camera
        self._reconnect = reconnector or Reconnector()
        self._stop = threading.Event()
        self._pipeline = None
        self.intrinsics: Intrinsics | None = None
        self.depth_units_m: float | None = None
        self.last_error: str | None = None

    @property
    def status(self) -> str:
        return self._reconnect.status

    def _config(self) -> "rs.config":
        cfg = rs.config()
        if self.serial:
            cfg.enable_device(self.serial)
        cfg.enable_stream(rs.stream.depth, self.width, self.height, rs.format.z16, self.fps)
        return cfg

    def open(self) -> None:
        """Start the pipeline; :class:`SourceError` if the camera is missing or refuses."""
        self._close_pipeline()
        _require_camera(self.serial)
        pipeline = rs.pipeline()
        try:
            profile = pipeline.start(self._config())
        except RuntimeError as e:
            raise SourceError(f"camera {self.serial or '(first found)'}: cannot stream depth "
                              f"{self.width}x{self.height} z16 at {self.fps} fps: {e}") from e
        self._pipeline = pipeline
        depth_sensor = profile.get_device().first_depth_sensor()
        self.depth_units_m = _round_f32(depth_sensor.get_depth_scale())
        stream = profile.get_stream(rs.stream.depth).as_video_stream_profile()
        self.intrinsics = intrinsics_from_rs(stream.get_intrinsics())
        self._reconnect.started()
        log.info("camera %s streaming depth %dx%d at %d fps", self.serial or "(first)",
                 self.width, self.height, self.fps)

    def _close_pipeline(self) -> None:
        if self._pipeline is not None:
            pipeline, self._pipeline = self._pipeline, None
            try:
                pipeline.stop()
            except RuntimeError as e:  # already stopped, or the device is gone
                log.debug("pipeline stop: %s", e)

    def stop(self) -> None:
        """End iteration (from any thread) and close the pipeline."""
        self._stop.set()

    def __iter__(self):
        timeout_ms = int(self.frame_timeout_s * 1000)
        opened_once = self._pipeline is not None
        try:
            while not self._stop.is_set():
                if self._pipeline is None:
                    try:
                        self.open()
                        opened_once = True
                    except SourceError as e:
                        if not self.wait_for_camera and not opened_once:
                            raise
                        self.last_error = str(e)
                        delay = self._reconnect.absent()
                        log.warning("%s; retrying in %.1f s", e, delay)
                        self._stop.wait(delay)
                        continue
                try:
                    frames = self._pipeline.wait_for_frames(timeout_ms)
                    depth = frames.get_depth_frame()
                    if not depth:
                        continue
                    out = _depth_frame(depth, self.depth_units_m, self.intrinsics)
                    del depth, frames
                except RuntimeError as e:
                    self.last_error = f"camera {self.serial or '(first found)'}: {e}"
                    delay = self._reconnect.lost()
                    log.warning("%s; reopening in %.1f s", self.last_error, delay)
                    self._close_pipeline()
                    self._stop.wait(delay)
                    continue
                self._reconnect.frame()
                yield out
        finally:
            self._close_pipeline()
            self._reconnect.stopped()

    def __enter__(self) -> "LiveCamera":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
        self._close_pipeline()


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
    "list_cameras", "record_live", "convert_bag_to_db3", "intrinsics_from_rs",
    "intrinsics_to_rs", "sdk_version", "SYNTHETIC_NAME",
    "STREAMING", "STARTING", "RECONNECTING", "NO_CAMERA", "STOPPED",
]
