"""Recordings: play them back as :class:`DepthFrame`s, and write them from arrays.

Built on :mod:`station.sources.realsense` (all SDK calls live there). A recording is a
RealSense ``.db3`` (rosbag2, what librealsense 2.58+ writes) or a legacy ``.bag`` (read
only: this SDK cannot write ``.bag``); only its z16 depth stream is used.

Playback never drops a frame: the SDK plays non-real-time and its callback blocks on a
small bounded queue, so the file is read as fast as the consumer takes frames. With
``real_time=True`` frames are paced by their own timestamps (the clock of the camera or
script that made them), not by the recorder's wall-clock arrival times.
"""
from __future__ import annotations

import logging
import queue
import sqlite3
import time
import weakref
from contextlib import ExitStack
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np

from station.fileio import FileWriteError, StagedFile
from station.model import DepthFrame, Intrinsics
from station.sources.realsense import (
    DEFAULT_SYNTHETIC_SERIAL, PlaybackDevice, SoftwareDepthCamera, SourceError,
)

log = logging.getLogger(__name__)

_END = object()
# A frame whose timestamp is this far ahead of the previous one (a pause in the recording)
# or behind the playback clock (a slow consumer) re-anchors the real-time clock instead of
# sleeping through the gap or rushing to catch up.
_MAX_GAP_S = 1.0


def _count_db3_depth_frames(path: Path) -> int | None:
    """Depth images in a rosbag2 .db3 (SQLite) recording, or None if it cannot be told."""
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            row = con.execute(
                "SELECT count(*) FROM messages JOIN topics ON messages.topic_id = topics.id "
                "WHERE topics.name LIKE '/device_%/sensor_%/Depth_%/image/data%'").fetchone()
        finally:
            con.close()
    except sqlite3.Error:
        return None
    return int(row[0]) if row else None


class Playback:
    """A recording's depth frames, in order, as an iterable of :class:`DepthFrame`.

    Attributes: ``path``, ``intrinsics``, ``fps``, ``depth_units_m``, ``serial``,
    ``device_name``, ``duration_s`` (the file's duration as the SDK reports it, measured on
    the recording machine's clock), ``frame_count`` (depth frames in a ``.db3``; None for a
    ``.bag``), ``real_time``.

    ``clock`` and ``sleep`` (default ``time.monotonic`` and ``time.sleep``) are what
    real-time pacing reads and waits with; a test hands in its own to see the pacing
    without timing it.

    Each iteration plays the file from the start. Breaking out of the loop, an exception in
    the consumer, :meth:`close` or garbage collection of the iterator stops the SDK
    playback. ``timeout_s`` bounds every wait: if the SDK delivers nothing for that long
    while still playing, :class:`SourceError` is raised rather than hanging.
    """

    def __init__(self, path: str | Path, real_time: bool = False, *, timeout_s: float = 10.0,
                 queue_size: int = 4, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        self._device = PlaybackDevice(path)
        self.path = self._device.path
        self.real_time = real_time
        self.timeout_s = timeout_s
        self._queue_size = queue_size
        self._clock, self._sleep = clock, sleep
        self.intrinsics: Intrinsics = self._device.intrinsics
        self.fps: int = self._device.fps
        self.depth_units_m: float = self._device.depth_units_m
        self.serial: str = self._device.serial
        self.device_name: str = self._device.device_name
        self.duration_s: float = self._device.duration_s
        self.frame_count: int | None = (_count_db3_depth_frames(self.path)
                                        if self.path.suffix.lower() == ".db3" else None)
        self._active: weakref.ref | None = None
        self._played = False  # a pass has started on self._device

    def __iter__(self) -> Iterator[DepthFrame]:
        self._close_active()  # one pass at a time: the SDK device plays one stream
        frames = self._frames()
        # Held weakly, so a loop that breaks out lets the generator be collected, which
        # runs its `finally` and stops the SDK playback.
        self._active = weakref.ref(frames)
        return frames

    def _close_active(self) -> None:
        active = self._active() if self._active is not None else None
        self._active = None
        if active is not None:
            active.close()

    def _frames(self) -> Iterator[DepthFrame]:
        if self._played:
            # Every later pass plays on a freshly loaded device: restarting a sensor the SDK
            # has just stopped mid-file can leave its reader idle (seen in CI under load as a
            # pass that delivered nothing), and a new device carries no state of the last pass.
            self._device.stop()
            self._device = PlaybackDevice(self.path)
        self._played = True
        device = self._device
        q: queue.Queue = queue.Queue(maxsize=self._queue_size)
        stopping = device.stopping

        def put(item) -> None:
            # Blocks the SDK's reading thread (back-pressure) but gives up once the device
            # is stopping, so stopping the sensor never waits on a callback stuck here.
            while not stopping.is_set():
                try:
                    q.put(item, timeout=0.05)
                    return
                except queue.Full:
                    continue

        device.start(on_frame=put, on_end=lambda: put(_END), on_error=put)
        pacer = Pacer(sleep=self._sleep, monotonic=self._clock) if self.real_time else None
        try:
            while True:
                try:
                    item = q.get(timeout=self.timeout_s)
                except queue.Empty:
                    raise SourceError(f"{self.path}: playback delivered no frame for "
                                      f"{self.timeout_s:.1f} s") from None
                if item is _END:
                    return
                if isinstance(item, SourceError):
                    raise item
                if pacer is not None:
                    pacer.wait_for(item.timestamp_s)
                yield item
        finally:
            device.stop()

    def frames(self) -> list[DepthFrame]:
        """Every frame in memory (for short recordings and tests)."""
        return list(self)

    def close(self) -> None:
        self._close_active()
        self._device.stop()

    def __enter__(self) -> "Playback":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass


class Pacer:
    """Sleeps so that frames come out at the pace of their timestamps (real-time playback of
    a recording, the synthetic athlete in a demo). `sleep` and `monotonic` are injectable."""

    def __init__(self, sleep: Callable[[float], None] = time.sleep,
                 monotonic: Callable[[], float] = time.monotonic):
        self._sleep, self._now = sleep, monotonic
        self._anchor: tuple[float, float] | None = None  # (wall, timestamp)
        self._last_ts: float | None = None

    def wait_for(self, timestamp_s: float) -> None:
        now = self._now()
        jump = self._last_ts is not None and not (0 <= timestamp_s - self._last_ts <= _MAX_GAP_S)
        self._last_ts = timestamp_s
        if self._anchor is None or jump:
            self._anchor = (now, timestamp_s)
            return
        wall0, ts0 = self._anchor
        due = wall0 + (timestamp_s - ts0)
        if due > now:
            self._sleep(due - now)
        elif now - due > _MAX_GAP_S:  # consumer fell behind: play on from here
            self._anchor = (now, timestamp_s)


def open_recording(path: str | Path, real_time: bool = False, *, timeout_s: float = 10.0,
                   clock: Callable[[], float] = time.monotonic,
                   sleep: Callable[[float], None] = time.sleep) -> Playback:
    """Open a ``.db3`` or ``.bag`` recording for playback (see :class:`Playback`)."""
    return Playback(path, real_time=real_time, timeout_s=timeout_s, clock=clock, sleep=sleep)


def recording_bytes_estimate(intrinsics: Intrinsics, n_frames: int) -> int:
    """Disk space a recording of `n_frames` z16 images needs (rosbag2 stores them raw)."""
    return int(n_frames * intrinsics.width * intrinsics.height * 2 * 1.02) + 1_000_000


def verify_recording(path: str | Path, frames_written: int, *, target: str | Path | None = None,
                     at_least: bool = False) -> int:
    """The depth frames read back from a just-written ``.db3``; :class:`FileWriteError` when
    they are fewer than `frames_written` (a full disk makes the SDK's writer drop frames
    silently) or, unless `at_least`, differ from it. `target` names the file in messages."""
    name = Path(target) if target is not None else Path(path)
    got = _count_db3_depth_frames(Path(path))
    ok = got is not None and (got >= frames_written if at_least else got == frames_written)
    if not ok or frames_written <= 0:
        what = "no readable frames" if not got else f"{got} of {frames_written} frames"
        raise FileWriteError(f"{name}: the recording is incomplete ({what} reached the disk; "
                             "disk full?); the previous file, if any, is unchanged")
    return got


def write_recording(path: str | Path, frames_u16: Iterable[np.ndarray], intrinsics: Intrinsics,
                    fps: int, depth_units_m: float = 0.001,
                    timestamps_s: Iterable[float] | None = None,
                    serial: str = DEFAULT_SYNTHETIC_SERIAL,
                    companions: dict[Path, bytes] | None = None) -> int:
    """Record depth images to ``path`` (``.db3``) through the SDK; returns frames written.

    Each image is (height, width) uint16 in depth units. Timestamps default to ``i / fps``;
    frame numbers are 0, 1, 2, ... The file is written by ``rs.recorder`` around a
    :class:`SoftwareDepthCamera`, so it plays back like a camera's recording.

    The recording is written to a temporary file beside ``path`` and renamed over it only
    when its frame count read back equals the frames written (station.fileio); otherwise
    :class:`FileWriteError`, and an existing file at ``path`` is untouched. `companions`
    (path -> content, e.g. the ground truth) are staged first and committed right after
    the recording, so the pair is replaced together. ``.bag`` cannot be written by this
    SDK and raises :class:`SourceError`.
    """
    path = Path(path)
    if path.suffix.lower() != ".db3":
        raise SourceError(f"{path}: this RealSense SDK records only rosbag2 .db3 files; "
                          "choose a name ending in .db3")
    ts_iter = iter(timestamps_s) if timestamps_s is not None else None
    n = 0
    with ExitStack() as stack:
        staged = StagedFile(path)
        tmp = stack.enter_context(staged)
        others = []
        for cpath, data in (companions or {}).items():
            c = StagedFile(cpath)
            stack.enter_context(c)
            c.write(data)
            others.append(c)
        with SoftwareDepthCamera(intrinsics, fps=fps, depth_units_m=depth_units_m, serial=serial,
                                 record_path=tmp) as cam:
            for depth_raw_u16 in frames_u16:
                if ts_iter is None:
                    ts = n / fps
                else:
                    try:
                        ts = float(next(ts_iter))
                    except StopIteration:
                        raise ValueError(f"{path}: fewer timestamps than frames ({n})") from None
                cam.push(depth_raw_u16, ts, n)
                n += 1
        verify_recording(tmp, n, target=path)
        staged.commit()
        for c in others:
            c.commit()
    return n


def record_camera(path: str | Path, seconds: float, serial: str | None = None, width: int = 848,
                  height: int = 480, fps: int = 30) -> int:
    """Record the live camera's depth to ``path`` (.db3) for `seconds`; frames in the file.

    Written to a temporary file beside ``path`` and renamed over it once complete and read
    back: the recorder stores every frame the camera sent, so the file must hold at least
    the frames this process received (fewer means frames were lost on the way to the disk:
    :class:`FileWriteError`, and an existing file at ``path`` is untouched).
    """
    from station.sources.realsense import record_live

    path = Path(path)
    staged = StagedFile(path)
    with staged as tmp:
        try:
            n = record_live(tmp, seconds, serial=serial, width=width, height=height, fps=fps)
        except SourceError as e:
            raise SourceError(str(e).replace(str(tmp), str(path))) from None
        got = verify_recording(tmp, n, target=path, at_least=True)
        staged.commit()
    return got


__all__ = ["Playback", "Pacer", "open_recording", "write_recording", "verify_recording",
           "recording_bytes_estimate", "record_camera", "SourceError"]
