"""The live camera: a D4xx depth stream, reopened (and reset) when frames stop.

:class:`LiveCamera` streams through the depth sensor's own API, so the same code runs on a
D4xx and on a software device (:mod:`station.sources.realsense.software`); its reconnect
policy is the pure state machine :class:`Reconnector`.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Callable

import pyrealsense2 as rs

from station.model import Intrinsics
from station.sources.realsense.devices import connected_devices, select_device
from station.sources.realsense.sdk import (VISUAL_PRESETS, SourceError, depth_frame, intrinsics_from_rs,
                                           sensor_depth_units)

log = logging.getLogger(__name__)


class CameraBusyError(SourceError):
    """The camera is there but another process streams from it (e.g. the station service)."""


def is_busy(exc: BaseException) -> bool:
    """The SDK's error says another process (or this one) already streams from the camera."""
    # V4L: "Device or resource busy" (errno 16); libusb: RS2_USB_STATUS_BUSY; the same
    # process: "UVC device is streaming!" (a software device: "Software device is streaming!")
    text = str(exc).lower()
    return ("busy" in text or "errno=16" in text or "failed to set power state" in text
            or "is streaming" in text)


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

    ``max_s`` is small on purpose: a camera that comes back must stream again within 5 s.
    An unplugged camera is looked for at least every ``max_s`` (2 s), and found at once; a
    silent one is reopened and given ``LiveCamera.first_frame_timeout_s`` (2 s) for a first
    frame, so one that recovers while we wait streams at once, and one that recovers just
    after gets its next attempt within ``max_s``. (A ``hardware_reset()``, sent only after a
    reopened camera stayed silent, makes a D4xx re-enumerate, which takes seconds of its own.)
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

    ``clock`` (seconds, monotonic) times the outages and the once-a-minute warnings;
    ``sleep`` is the wait between reopening attempts (default: a wait that :meth:`stop`
    cuts short). Tests pass fakes, as for ``recording.Pacer``; the SDK's own wait for a frame
    (``frame_timeout_s``) is not on them.
    """

    def __init__(self, serial: str | None = None, width: int = 848, height: int = 480,
                 fps: int = 30, *, frame_timeout_s: float = 1.0, visual_preset: str = "default",
                 reconnector: Reconnector | None = None, wait_for_camera: bool = True,
                 devices: Callable[[], list] | None = None, reset_after_silent_reopens: int = 1,
                 first_frame_timeout_s: float = 2.0, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] | None = None):
        if not frame_timeout_s > 0:
            raise ValueError(f"frame_timeout_s must be positive, got {frame_timeout_s}")
        if visual_preset not in VISUAL_PRESETS:
            raise ValueError(f"unknown visual preset {visual_preset!r}; expected one of "
                             f"{sorted(VISUAL_PRESETS)}")
        self.serial, self.width, self.height, self.fps = serial, width, height, fps
        self.frame_timeout_s = float(frame_timeout_s)
        # a D4xx takes up to a second or so for its first frame after (re)opening
        self.first_frame_timeout_s = max(float(first_frame_timeout_s), self.frame_timeout_s)
        self.visual_preset = visual_preset
        self.wait_for_camera = wait_for_camera
        self.reset_after_silent_reopens = reset_after_silent_reopens
        self._devices = devices or connected_devices
        self._reconnect = reconnector or Reconnector()
        self._stop = threading.Event()
        self._clock = clock
        self._sleep = sleep if sleep is not None else self._stop.wait
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
        self.outages_s: "deque[float]" = deque(maxlen=100)   # the latest outages, seconds
        self._outage_since: float | None = None
        self._silent_reopens = 0
        self._last_warning: tuple[str, float] = ("", -1e9)

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
            if is_busy(e):
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
        self.depth_units_m = sensor_depth_units(sensor)
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

    def _warn(self, what: str, then: str) -> None:
        """Log a camera problem once, and again only once a minute while it lasts (a camera
        left unplugged for a night must not fill the journal)."""
        now = self._clock()
        last_what, last_t = self._last_warning
        if what != last_what or now - last_t >= 60.0:
            self._last_warning = (what, now)
            log.warning("%s; %s", what, then)
        else:
            log.debug("%s; %s", what, then)

    def _frames_stopped(self, reason: str) -> None:
        """Close the stream, reset a camera that stays silent, and wait before reopening."""
        if self._outage_since is None:
            self._outage_since = self._clock()
        self.last_error = f"{self._name}: {reason}"
        silent_again = self._reconnect.status == STARTING   # reopened, yet no frame came
        self._close()
        if silent_again:
            self._silent_reopens += 1
            if self._silent_reopens >= self.reset_after_silent_reopens:
                self._silent_reopens = 0
                self._hardware_reset()
        delay = self._reconnect.lost()
        self._warn(self.last_error, f"reopening in {delay:.2f} s")
        self._sleep(delay)

    def _frame_arrived(self) -> None:
        if self._outage_since is not None:
            self.last_outage_s = self._clock() - self._outage_since
            self.outages_s.append(self.last_outage_s)
            self._outage_since = None
            self.recoveries += 1
            self._last_warning = ("", -1e9)
            log.warning("%s streaming again after %.1f s without frames", self._name,
                        self.last_outage_s)
        self._silent_reopens = 0
        self._reconnect.frame()

    def __iter__(self):
        streaming_ms = int(self.frame_timeout_s * 1000)
        first_ms = int(self.first_frame_timeout_s * 1000)
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
                            self._outage_since = self._clock()
                        self.last_error = str(e)
                        delay = self._reconnect.absent()
                        self._warn(str(e), f"retrying in {delay:.2f} s")
                        self._sleep(delay)
                        continue
                starting = self._reconnect.status == STARTING
                try:
                    ok, frame = self._queue.try_wait_for_frame(first_ms if starting else streaming_ms)
                except RuntimeError as e:  # the device went away under the queue
                    ok, frame = False, None
                    reason = str(e)
                else:
                    waited = self.first_frame_timeout_s if starting else self.frame_timeout_s
                    reason = (f"no depth frame for {waited:g} s"
                              + (" after opening it" if starting else ""))
                if not ok:
                    self._frames_stopped(reason)
                    continue
                try:
                    if not frame.is_depth_frame():
                        continue
                    out = depth_frame(frame, self.depth_units_m, self.intrinsics)
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
