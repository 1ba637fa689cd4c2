"""The station model: one pydantic model per section of station.toml, and StationConfig.

Every key's default is the value in the packaged config/station.toml; every field carries
the "allowed" text its error message quotes.
"""
from __future__ import annotations

import re
import zoneinfo
from datetime import datetime
from pathlib import Path
from typing import Any, Annotated, Literal, Optional

from pydantic import Field, ValidationInfo, field_validator, model_validator

from station.config.errors import _custom, unknown_profile_message
from station.config.fields import _PathField, _Section, _allowed, _resolve_path, _rng
from station.config.files import EXERCISES_SUBDIR, available_exercises, default_config_dir

# RealSense D4xx depth modes (width, height) -> frame rates the sensor offers for that mode.
DEPTH_MODES: dict[tuple[int, int], tuple[int, ...]] = {
    (1280, 720): (6, 15, 30),
    (848, 480): (6, 15, 30, 60, 90),
    (640, 480): (6, 15, 30, 60, 90),
    (640, 360): (6, 15, 30, 60, 90),
    (480, 270): (6, 15, 30, 60, 90),
    (424, 240): (6, 15, 30, 60, 90),
    (256, 144): (90,),
}
FPS_CHOICES: tuple[int, ...] = tuple(sorted({fps for rates in DEPTH_MODES.values() for fps in rates}))
# The smallest depth mode the coaching was measured trustworthy at (bench/fitter.py
# --depth-mode, 3 mesh takes: 640x480 and 1280x720 within 2 mm of 848x480; 480x270 read the
# joints 1.5x further off, 43.9 mm, and called a clean back rounded). Smaller modes stay
# allowed (the sensor offers them) but `station config check` warns.
TRUSTED_MIN_DEPTH_PX: tuple[int, int] = (640, 360)

_TOL = 0.02  # metres of slack in the geometric cross-checks


class StationSection(_Section):
    id: str = _allowed(..., "lower-case letters, digits, '-' or '_', 1 to 64 characters, "
                       "starting with a letter or digit (e.g. \"floor2-mirror1\")",
                       pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")
    name: str = _allowed("", "any text up to 80 characters", max_length=80)


class MountSection(_Section):
    height_m: float = _rng(1.60, 0.5, 2.5, "metres (optical centre above the floor)")
    pitch_down_deg: float = _rng(14.0, -10.0, 60.0, "degrees below horizontal")
    roll_deg: float = _rng(0.0, -15.0, 15.0, "degrees")
    lateral_offset_m: float = _rng(0.35, -1.5, 1.5, "metres from the glass centre line")
    behind_glass_m: float = _rng(0.02, 0.0, 0.2, "metres")


class CameraSection(_Section):
    serial: str = _allowed("", "\"\" (the first camera found) or the camera's serial number "
                           "(digits, as printed by rs-enumerate-devices)",
                           pattern=r"^[0-9]{0,20}$")
    width_px: int = _allowed(848, "a D4xx depth width: " +
                             ", ".join(sorted({str(w) for w, _ in DEPTH_MODES})))
    height_px: int = _allowed(480, "a D4xx depth height: " +
                              ", ".join(sorted({str(h) for _, h in DEPTH_MODES})))
    fps: Literal[FPS_CHOICES] = _allowed(  # type: ignore[valid-type]
        30, "one of " + ", ".join(map(str, FPS_CHOICES)) + " (frames per second)")
    visual_preset: Literal["default", "high_accuracy", "high_density", "medium_density"] = _allowed(
        "default", "one of \"default\", \"high_accuracy\", \"high_density\", \"medium_density\"")
    frame_timeout_s: float = _rng(1.0, 0.2, 10.0, "seconds")
    mount: MountSection = MountSection()

    def depth_mode_warning(self) -> str | None:
        """A sentence for staff when the depth mode is smaller than TRUSTED_MIN_DEPTH_PX, else None."""
        w, h = TRUSTED_MIN_DEPTH_PX
        if self.width_px * self.height_px >= w * h:
            return None
        return (f"camera.width_px x height_px = {self.width_px}x{self.height_px}: below {w}x{h} the "
                f"fit reads the joints well off (480x270: 43.9 mm against 28.4 at 848x480) and the "
                f"coach calls faults that are not there; use 848x480 (README, \"depth modes\")")

    @model_validator(mode="after")
    def _mode_exists(self) -> "CameraSection":
        mode = (self.width_px, self.height_px)
        if mode not in DEPTH_MODES:
            modes = ", ".join(f"{w}x{h}" for w, h in DEPTH_MODES)
            raise _custom("width_px", self.width_px,
                          f"{self.width_px}x{self.height_px} (width_px x height_px) is not a D4xx "
                          f"depth resolution; allowed: {modes}")
        if self.fps not in DEPTH_MODES[mode]:
            rates = ", ".join(str(r) for r in DEPTH_MODES[mode])
            raise _custom("fps", self.fps,
                          f"{self.width_px}x{self.height_px} depth runs only at {rates} fps")
        return self


class ZoneSection(_Section):
    centre_distance_m: float = _rng(2.6, 0.8, 5.0, "metres from the camera along the floor")
    centre_lateral_m: float = _rng(0.35, -2.0, 2.0, "metres (positive = camera's right)")
    width_m: float = _rng(1.6, 0.5, 4.0, "metres")
    depth_m: float = _rng(1.8, 0.5, 4.0, "metres")
    height_m: float = _rng(2.4, 1.5, 3.5, "metres")

    @model_validator(mode="after")
    def _in_front(self) -> "ZoneSection":
        near = self.centre_distance_m - self.depth_m / 2
        if near < 0.3:
            raise _custom("depth_m", self.depth_m,
                          f"the zone's near edge would be {near:.2f} m from the camera; it must "
                          "start at least 0.30 m in front (reduce depth_m or increase "
                          "centre_distance_m)")
        return self


class MirrorSection(_Section):
    width_m: float = _rng(1.0, 0.3, 4.0, "metres")
    height_m: float = _rng(2.0, 0.5, 3.0, "metres")
    bottom_height_m: float = _rng(0.1, 0.0, 1.5, "metres above the floor")
    tilt_deg: float = _rng(0.0, -10.0, 10.0, "degrees (positive = top edge leans away from the lifter)")


class DisplaySection(_Section):
    left_edge_from_camera_m: float = _rng(-0.6175, -3.0, 3.0, "metres")
    top_edge_below_camera_m: float = _rng(-0.20, -3.0, 3.0, "metres")
    width_m: float = _rng(0.535, 0.1, 3.0, "metres")
    height_m: float = _rng(0.952, 0.1, 3.0, "metres")
    width_px: int = _rng(1080, 320, 7680, "pixels")
    height_px: int = _rng(1920, 240, 7680, "pixels")
    fullscreen: bool = _allowed(True, "true or false")
    screen_index: int = _rng(0, 0, 7, "")
    rotate_deg: Literal[0, 90, 180, 270] = _allowed(
        0, "0, 90, 180 or 270 (how far the panel's own picture must be turned, counter-clockwise, "
           "to stand upright: 90 or 270 for a landscape panel mounted portrait)")

    @model_validator(mode="after")
    def _aspect(self) -> "DisplaySection":
        px = self.width_px / self.height_px
        m = self.width_m / self.height_m
        if abs(px / m - 1.0) > 0.05:
            raise _custom("width_m", self.width_m,
                          f"the display's shape in metres ({self.width_m:g} x {self.height_m:g}, "
                          f"ratio {m:.3f}) does not match its pixels ({self.width_px} x "
                          f"{self.height_px}, ratio {px:.3f}); allowed: within 5% (portrait "
                          "or landscape swapped?)")
        return self


class ExerciseSection(_Section):
    default: str = _allowed("rdl", "the name of a profile in the profiles directory")
    available: list[str] = _allowed(["rdl", "deadlift", "good_morning", "kettlebell_swing"],
                                    "a list of profile names in the profiles directory")
    recognize: bool = _allowed(True, "true (recognise which of `available` is being done, "
                               "starting from `default`) or false (always `default`)")
    strictness: Literal["lenient", "standard", "strict"] = _allowed(
        "standard", "one of \"lenient\", \"standard\", \"strict\"")
    profiles_dir: Optional[_PathField] = _allowed(
        None, "\"\" (the exercises/ directory beside this file, else the packaged one) or a "
        "directory path", validate_default=True)

    @field_validator("profiles_dir", mode="before")
    @classmethod
    def _empty_is_default(cls, v: Any) -> Any:
        return None if v == "" else v

    @field_validator("profiles_dir", mode="after")
    @classmethod
    def _resolve_profiles_dir(cls, v: Optional[Path], info: ValidationInfo) -> Path:
        if v is not None:
            v = _resolve_path(v, info)
            if not v.is_dir():
                raise ValueError(f"no such directory: {v}")
            return v
        base = (info.context or {}).get("base_dir")
        if base is not None and (Path(base) / EXERCISES_SUBDIR).is_dir():
            return Path(base) / EXERCISES_SUBDIR
        return default_config_dir() / EXERCISES_SUBDIR

    @model_validator(mode="after")
    def _profiles_exist(self) -> "ExerciseSection":
        assert self.profiles_dir is not None
        have = available_exercises(self.profiles_dir)
        if not self.available:
            raise _custom("available", [], "must name at least one profile; available: "
                          + ", ".join(have))
        for i, name in enumerate(self.available):
            if name not in have:
                raise _custom(f"available[{i}]", name, unknown_profile_message(name, have, self.profiles_dir))
        if self.default not in have:
            raise _custom("default", self.default, unknown_profile_message(self.default, have, self.profiles_dir))
        if self.default not in self.available:
            raise _custom("default", self.default,
                          "must be one of exercise.available: " + ", ".join(self.available))
        return self



class CuesSection(_Section):
    language: Literal["en"] = _allowed("en", "\"en\" (only English cue texts exist so far)")
    enabled: bool = _allowed(True, "true or false")
    min_interval_s: float = _rng(3.0, 0.5, 30.0, "seconds")
    hold_s: float = _rng(2.0, 0.5, 10.0, "seconds")
    show_muscles: bool = _allowed(True, "true or false")


class SetsSection(_Section):
    rest_s: float = _rng(8.0, 3.0, 120.0, "seconds")
    leave_s: float = _rng(2.0, 0.5, 30.0, "seconds")
    summary_s: float = _rng(12.0, 3.0, 60.0, "seconds")


_HOURS_ALLOWED = ("\"closed\", or \"HH:MM-HH:MM\" in 24-hour time (e.g. \"06:00-22:00\"; "
                  "end may be \"24:00\"), several ranges separated by commas, each ending "
                  "after it starts")
_RANGE_RE = re.compile(r"^(\d\d):(\d\d)-(\d\d):(\d\d)$")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_hours(text: str) -> tuple[tuple[int, int], ...]:
    """'06:00-12:00, 14:00-22:00' -> ((360, 720), (840, 1320)) in minutes; 'closed' -> ()."""
    text = text.strip()
    if text == "closed":
        return ()
    out: list[tuple[int, int]] = []
    for part in text.split(","):
        m = _RANGE_RE.match(part.strip())
        if not m:
            raise ValueError(f"'{part.strip()}' is not HH:MM-HH:MM")
        h1, m1, h2, m2 = (int(g) for g in m.groups())
        if h1 > 23 or m1 > 59 or m2 > 59 or h2 > 24 or (h2 == 24 and m2 != 0):
            raise ValueError(f"'{part.strip()}' is not a valid time of day")
        start, end = h1 * 60 + m1, h2 * 60 + m2
        if end <= start:
            raise ValueError(f"'{part.strip()}' ends before it starts (split overnight hours "
                             "across two days)")
        out.append((start, end))
    out.sort()
    for (s1, e1), (s2, _) in zip(out, out[1:]):
        if s2 < e1:
            raise ValueError("ranges overlap")
    return tuple(out)


def _hours_field(default: str) -> Any:
    return _allowed(default, _HOURS_ALLOWED)


class HoursSection(_Section):
    timezone: str = _allowed("local", "\"local\" (the system's time zone) or an IANA zone name "
                             "such as \"Europe/Berlin\"")
    mon: str = _hours_field("06:00-22:00")
    tue: str = _hours_field("06:00-22:00")
    wed: str = _hours_field("06:00-22:00")
    thu: str = _hours_field("06:00-22:00")
    fri: str = _hours_field("06:00-22:00")
    sat: str = _hours_field("08:00-20:00")
    sun: str = _hours_field("08:00-20:00")

    @field_validator(*WEEKDAYS)
    @classmethod
    def _valid_hours(cls, v: str) -> str:
        parse_hours(v)
        return v

    @field_validator("timezone")
    @classmethod
    def _valid_tz(cls, v: str) -> str:
        if v != "local":
            try:
                zoneinfo.ZoneInfo(v)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                raise ValueError("unknown time zone") from None
        return v

    def tzinfo(self) -> Optional[zoneinfo.ZoneInfo]:
        return None if self.timezone == "local" else zoneinfo.ZoneInfo(self.timezone)

    def ranges(self, weekday: int) -> tuple[tuple[int, int], ...]:
        """Opening ranges in minutes after midnight for weekday 0=Monday..6=Sunday."""
        return parse_hours(getattr(self, WEEKDAYS[weekday]))

    def is_open(self, when: Optional[datetime] = None) -> bool:
        """Whether the station is open at `when` (default now), in the configured zone."""
        tz = self.tzinfo()
        when = datetime.now(tz) if when is None else (when.astimezone(tz) if when.tzinfo else when)
        minute = when.hour * 60 + when.minute
        return any(s <= minute < e for s, e in self.ranges(when.weekday()))


class AudioSection(_Section):
    """Spoken cues and the rep tone (station.audio)."""

    enabled: bool = _allowed(True, "true or false")
    volume: float = _rng(0.8, 0.0, 1.0, "0 (silent) to 1 (full)")
    voice: str = _allowed("en-us", "an espeak-ng voice name such as \"en-us\" or \"en-gb\" "
                          "(letters, digits, '-', '+')", pattern=r"^[A-Za-z0-9+_-]{1,40}$")
    rate_wpm: int = _rng(165, 80, 300, "words per minute")
    rep_tone: bool = _allowed(True, "true or false")
    quiet_hours: str = _allowed("", "\"\" (never quiet) or " + _HOURS_ALLOWED)
    cache_dir: Optional[_PathField] = _allowed(
        None, "\"\" (the service's cache directory) or a directory path", validate_default=False)

    @field_validator("quiet_hours")
    @classmethod
    def _valid_quiet(cls, v: str) -> str:
        if v.strip():
            parse_hours(v)
        return v

    @field_validator("cache_dir", mode="before")
    @classmethod
    def _empty_cache_is_default(cls, v: Any) -> Any:
        return None if v == "" else v

    def is_quiet(self, when: Optional[datetime] = None, tz: Optional[zoneinfo.ZoneInfo] = None) -> bool:
        """Within quiet hours at `when` (default now; `tz` the station's hours.timezone)."""
        if not self.quiet_hours.strip():
            return False
        when = datetime.now(tz) if when is None else (when.astimezone(tz) if when.tzinfo else when)
        minute = when.hour * 60 + when.minute
        return any(s <= minute < e for s, e in parse_hours(self.quiet_hours))


class PrivacySection(_Section):
    allow_explicit_recording: bool = _allowed(True, "true or false")
    recordings_dir: _PathField = _allowed(Path("/var/lib/station/recordings"), "a directory path")
    max_recording_s: float = _rng(120.0, 5.0, 900.0, "seconds")

    _resolve = field_validator("recordings_dir")(_resolve_path)


class CalibrationSection(_Section):
    state_dir: _PathField = _allowed(Path("/var/lib/station"), "a directory path")

    _resolve = field_validator("state_dir")(_resolve_path)


class UsageEmailSection(_Section):
    """[usage.email]: the SMTP server the summary (and attention e-mails) go through."""

    smtp_host: str = _allowed("", "\"\" (no e-mail) or the SMTP server's host name", max_length=253)
    smtp_port: int = _rng(587, 1, 65535, "(the submission port with STARTTLS is 587)")
    username: str = _allowed("", "\"\" (no login) or the SMTP login name", max_length=256)
    password_file: Optional[_PathField] = _allowed(None, "\"\" (no password) or the path of a file "
                                                   "holding only the SMTP password")
    ca_file: Optional[_PathField] = _allowed(None, "\"\" (the system's CAs) or a PEM file of CA "
                                             "certificates to trust")
    sender: str = _allowed("", "\"\" or an e-mail address such as \"mirror@gym.example\"",
                           pattern=r"^$|^[^@\s]+@[^@\s]+$")
    recipients: list[Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$")]] = _allowed(
        [], "a list of e-mail addresses")

    @field_validator("password_file", "ca_file", mode="before")
    @classmethod
    def _empty_is_none(cls, v: Any) -> Any:
        return None if v == "" else v

    _resolve = field_validator("password_file", "ca_file")(
        lambda v, info: None if v is None else _resolve_path(v, info))


class UsageSection(_Section):
    log_path: _PathField = _allowed(Path("/var/lib/station/usage.sqlite3"), "a file path")
    summary_dir: _PathField = _allowed(Path("/var/lib/station/summaries"), "a directory path")
    retention_days: int = _rng(180, 1, 3650, "days")
    delivery: Literal["none", "email", "directory"] = _allowed(
        "none", "one of \"none\", \"email\", \"directory\"")
    delivery_dir: Optional[_PathField] = _allowed(None, "\"\" or a directory (e.g. a mounted network share)")
    attention_email: bool = _allowed(False, "true or false")
    email: UsageEmailSection = UsageEmailSection()

    _resolve = field_validator("log_path", "summary_dir")(_resolve_path)

    @field_validator("delivery_dir", mode="before")
    @classmethod
    def _empty_dir_is_none(cls, v: Any) -> Any:
        return None if v == "" else v

    _resolve_dir = field_validator("delivery_dir")(lambda v, info: None if v is None else _resolve_path(v, info))

    @model_validator(mode="after")
    def _delivery_complete(self) -> "UsageSection":
        if self.delivery == "directory" and self.delivery_dir is None:
            raise _custom("delivery_dir", "", "usage.delivery = \"directory\" needs delivery_dir")
        if self.delivery == "email" or self.attention_email:
            why = "usage.delivery = \"email\"" if self.delivery == "email" else "usage.attention_email = true"
            e = self.email
            for key, val in (("smtp_host", e.smtp_host), ("sender", e.sender)):
                if not val:
                    raise _custom(f"email.{key}", val, f"{why} needs usage.email.{key}")
            if not e.recipients:
                raise _custom("email.recipients", [], f"{why} needs at least one address in usage.email.recipients")
            if e.username and e.password_file is None:
                raise _custom("email.password_file", "", "usage.email.username is set: the password must be in "
                              "a file named by usage.email.password_file")
        return self


class StationConfig(_Section):
    """The whole station config; one attribute per TOML section."""

    station: StationSection = _allowed(..., "a [station] table with at least id = \"...\"")
    camera: CameraSection = CameraSection()
    zone: ZoneSection = ZoneSection()
    mirror: MirrorSection = MirrorSection()
    display: DisplaySection = DisplaySection()
    # validated (with the file's directory as context) even when the section is absent
    exercise: ExerciseSection = Field(default_factory=dict, validate_default=True)
    cues: CuesSection = CuesSection()
    sets: SetsSection = SetsSection()
    hours: HoursSection = HoursSection()
    audio: AudioSection = AudioSection()
    privacy: PrivacySection = PrivacySection()
    usage: UsageSection = UsageSection()
    calibration: CalibrationSection = CalibrationSection()

    @model_validator(mode="after")
    def _display_on_glass(self) -> "StationConfig":
        # Positions on the glass, ignoring tilt: x from the glass centre line (right +),
        # height above the floor.
        mount, d, g = self.camera.mount, self.display, self.mirror
        left = mount.lateral_offset_m + d.left_edge_from_camera_m
        right = left + d.width_m
        top = mount.height_m - d.top_edge_below_camera_m
        bottom = top - d.height_m
        if left < -g.width_m / 2 - _TOL or right > g.width_m / 2 + _TOL:
            raise _custom("display.left_edge_from_camera_m", d.left_edge_from_camera_m,
                          f"the display would span {left:+.2f}..{right:+.2f} m across the glass, "
                          f"which is {g.width_m:g} m wide (±{g.width_m / 2:g} m); allowed: "
                          "the display lies within the glass")
        if bottom < g.bottom_height_m - _TOL or top > g.bottom_height_m + g.height_m + _TOL:
            raise _custom("display.top_edge_below_camera_m", d.top_edge_below_camera_m,
                          f"the display would span {bottom:.2f}..{top:.2f} m above the floor, the "
                          f"glass {g.bottom_height_m:g}..{g.bottom_height_m + g.height_m:g} m (the display "
                          "hangs from the camera: check camera.mount.height_m, this key, "
                          "display.height_m and mirror.*); allowed: the display lies within "
                          "the glass")
        return self
