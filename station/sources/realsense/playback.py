"""Recordings played back through the SDK: ``.db3`` rosbag2, or a legacy ``.bag``.

:class:`PlaybackDevice` opens a recording with ``rs.context.load_device`` and plays its depth
stream; :mod:`station.sources.recording` builds iteration, back-pressure and pacing on it.
"""
from __future__ import annotations

import atexit
import logging
import threading
import weakref
from pathlib import Path
from typing import Callable

import pyrealsense2 as rs

from station.model import DepthFrame
from station.sources.realsense.sdk import (SourceError, depth_frame, device_info, intrinsics_from_rs,
                                           sensor_depth_units)

log = logging.getLogger(__name__)


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
        self.depth_units_m = sensor_depth_units(self._sensor)
        self.device_name = device_info(self._device, rs.camera_info.name)
        self.serial = device_info(self._device, rs.camera_info.serial_number)
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
                    depth = depth_frame(frame, units, intr)
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
