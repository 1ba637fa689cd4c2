"""Station configuration and exercise profiles: the only module that reads TOML.

Two kinds of file, both validated by pydantic models with ``extra="forbid"``:

- the station config (config/station.toml, or /etc/station/station.toml on a station):
  camera, mount, lifting zone, mirror and display geometry, exercise choice, cues, opening
  hours, privacy and the usage log. Every key is documented in the packaged file.
- exercise profiles (config/exercises/<name>.toml): the thresholds of the form rules as
  data, what the rep detector needs, which rules are enabled and their cue keys.

Policy: a bad value is an error, never a silent default. Every problem becomes a
:class:`ConfigError` whose message names the file, the key path (``camera.fps``), the bad
value and what is allowed; unknown keys get a "did you mean" suggestion, renamed keys a
specific message. A key that is *absent* takes the documented default (the defaults of the
models below are the values in the packaged files).

Public API::

    ConfigError
    load_station_config(path=None) -> StationConfig
    load_exercise(name, config_dir=None) -> ExerciseProfile
    available_exercises(config_dir=None) -> list[str]
    check_config(path) -> StationConfig           # station + every profile in its folder
    load_config_and_profiles(path) -> (cfg, {name: ExerciseProfile})
    profile_names(cfg) -> list[str]               # the profiles check and --exercise accept
    effective_config_toml(cfg) -> str             # loads back to an equal config
    reload_if_changed(current_cfg, path) -> (cfg, ConfigError | None)
    ConfigWatcher(path).poll(force=False) -> (cfg, ConfigError | None)   # .cfg, .profiles
    default_config_dir() -> Path
    station_config_path(path=None) -> Path       # which file load_station_config reads
    load_profiles(cfg) -> dict[str, ExerciseProfile]   # offered profiles, strictness applied
"""
from __future__ import annotations

import difflib
import json
import math
import os
import re
import sys
import zoneinfo
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Annotated, Literal, Optional, Union, get_args

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

__all__ = [
    "ConfigError", "Problem", "StationConfig", "ExerciseProfile",
    "load_station_config", "load_exercise", "available_exercises", "check_config",
    "effective_config_toml", "reload_if_changed", "ConfigWatcher", "default_config_dir",
    "station_config_path", "load_profiles", "parse_hours", "profile_names",
    "load_config_and_profiles", "offered_profiles",
    "DEPTH_MODES", "RULE_NAMES", "STRICTNESS_FACTORS", "ENV_VAR", "SYSTEM_CONFIG_PATH",
]

ENV_VAR = "STATION_CONFIG"
SYSTEM_CONFIG_PATH = Path("/etc/station/station.toml")
STATION_FILE = "station.toml"
EXERCISES_SUBDIR = "exercises"

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
FPS_CHOICES = (6, 15, 30, 60, 90)

# Old key path -> (new key path, note). A file that still uses the old name gets this
# specific message instead of "unknown key".
STATION_RENAMED_KEYS: dict[str, tuple[str, str]] = {
    "camera.width": ("camera.width_px", "same meaning, pixels"),
    "camera.height": ("camera.height_px", "same meaning, pixels"),
    "camera.framerate": ("camera.fps", "same meaning, frames per second"),
    "camera.mount.height": ("camera.mount.height_m", "same meaning, metres"),
    "camera.mount.pitch_deg": ("camera.mount.pitch_down_deg",
                               "same meaning: degrees below horizontal"),
    "camera.mount.tilt_deg": ("camera.mount.pitch_down_deg",
                              "same meaning: degrees below horizontal"),
    "lifting_zone": ("zone", "the section was renamed"),
    "zone.distance_m": ("zone.centre_distance_m", "same meaning, metres"),
    "exercise.profile": ("exercise.default", "same meaning: the profile name"),
    "usage.database": ("usage.log_path", "same meaning: the SQLite file"),
    "usage.db_path": ("usage.log_path", "same meaning: the SQLite file"),
}
# Keys that no longer exist -> why. A file that still has one gets this message (an error,
# like any unknown key: the station never quietly ignores a line of its config).
STATION_REMOVED_KEYS: dict[str, str] = {
    "privacy.store_frames": "the station never stores depth frames of live sessions; the only "
                            "way to store depth is an explicit `station record`",
    "privacy.save_frames": "the station never stores depth frames of live sessions; the only "
                           "way to store depth is an explicit `station record`",
}
PROFILE_RENAMED_KEYS: dict[str, tuple[str, str]] = {
    "rules.knee_dominant.max_knee_deg": ("rules.knee_dominant.max_knee_flexion_deg",
                                         "same meaning, degrees"),
    "rules.rounded_back.max_spine_deg": ("rules.rounded_back.max_spine_flexion_deg",
                                         "same meaning, degrees"),
    "rules.too_fast.min_lowering_s": ("rules.too_fast.min_eccentric_s",
                                      "same meaning, seconds"),
    "reps.start_hip_flexion_deg": ("reps.leave_upright_hip_flexion_deg",
                                   "same meaning, degrees"),
}

# strictness level -> factor applied to every tolerance of a profile (see
# ExerciseProfile.with_strictness). "standard" is the profile as written.
STRICTNESS_FACTORS: dict[str, float] = {"lenient": 1.25, "standard": 1.0, "strict": 0.8}

MUSCLES = ("glutes", "hamstrings", "quadriceps", "adductors", "erector_spinae",
           "abdominals", "obliques", "lats", "trapezius", "forearms")

_TOL = 0.02  # metres of slack in the geometric cross-checks


# --------------------------------------------------------------------------- errors

@dataclass(frozen=True)
class Problem:
    """One thing wrong with one file. ``key`` is a dotted path, None for a whole-file problem."""

    file: str
    key: Optional[str]
    value: Optional[str]  # the offending value, rendered as TOML; None when not applicable
    message: str
    line: Optional[int] = None
    column: Optional[int] = None

    def __str__(self) -> str:
        value = self.value
        if value is not None and len(value) > 80:
            value = value[:77] + "..."
        where = self.file
        if self.line is not None:
            where += f":{self.line}" + (f":{self.column}" if self.column is not None else "")
        if self.key is None:
            return f"{where}: {self.message}"
        if value is None:
            return f"{where}: {self.key} — {self.message}"
        return f"{where}: {self.key} = {value} — {self.message}"


class ConfigError(Exception):
    """A configuration file is missing, unreadable, or has bad content.

    ``problems`` lists every problem found (at least one); ``str()`` is one line per problem,
    each naming the file, the key path, the bad value and what is allowed.
    """

    def __init__(self, problems: Union[list[Problem], Problem, str]):
        if isinstance(problems, str):
            problems = [Problem(file="<config>", key=None, value=None, message=problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        lines = [str(p) for p in self.problems]
        if len(lines) > 1:
            lines.insert(0, f"{len(lines)} configuration problems:")
        super().__init__("\n".join(lines))

    @property
    def file(self) -> str:
        return self.problems[0].file

    @property
    def key(self) -> Optional[str]:
        return self.problems[0].key


def _custom(key: str, value: Any, message: str) -> PydanticCustomError:
    """An error raised inside a model validator that points at one key of that model."""
    return PydanticCustomError("station_config", "{message}",
                               {"message": message, "key": key, "value": value})


# --------------------------------------------------------------------------- field helpers

def _rng(default: Any, lo: float, hi: float, unit: str, **kw: Any) -> Any:
    kind = "an integer" if isinstance(default, int) and not isinstance(default, bool) else "a number"
    return Field(default, ge=lo, le=hi,
                 json_schema_extra={"allowed": f"{kind} from {lo:g} to {hi:g} {unit}".rstrip(),
                                    **kw.pop("extra", {})}, **kw)


def _allowed(default: Any, allowed: str, **kw: Any) -> Any:
    return Field(default, json_schema_extra={"allowed": allowed, **kw.pop("extra", {})}, **kw)


def _off_to_none(v: Any) -> Any:
    return None if v == "off" else v


# A threshold that may be switched off with the string "off" (TOML has no null).
OptionalThreshold = Annotated[
    Optional[float],
    BeforeValidator(_off_to_none),
    PlainSerializer(lambda v: "off" if v is None else v),
]


def _resolve_path(v: Path, info: ValidationInfo) -> Path:
    base = (info.context or {}).get("base_dir")
    if base is not None and not v.is_absolute():
        return Path(base) / v
    return v


_PathField = Annotated[Path, Field(strict=False)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


# --------------------------------------------------------------------------- station models

class StationSection(_Section):
    id: str = _allowed(..., "lower-case letters, digits, '-' or '_', 1 to 64 characters, "
                       "starting with a letter or digit (e.g. \"floor2-mirror1\")",
                       pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")
    name: str = _allowed("", "any text up to 80 characters", max_length=80)


class MountSection(_Section):
    height_m: float = _rng(1.90, 0.5, 2.5, "metres (optical centre above the floor)")
    pitch_down_deg: float = _rng(25.0, -10.0, 60.0, "degrees below horizontal")
    roll_deg: float = _rng(0.0, -15.0, 15.0, "degrees")
    lateral_offset_m: float = _rng(0.0, -1.5, 1.5, "metres from the glass centre line")
    behind_glass_m: float = _rng(0.02, 0.0, 0.2, "metres")


class CameraSection(_Section):
    serial: str = _allowed("", "\"\" (the first camera found) or the camera's serial number "
                           "(digits, as printed by rs-enumerate-devices)",
                           pattern=r"^[0-9]{0,20}$")
    width_px: int = _allowed(848, "a D4xx depth width: " +
                             ", ".join(sorted({str(w) for w, _ in DEPTH_MODES})))
    height_px: int = _allowed(480, "a D4xx depth height: " +
                              ", ".join(sorted({str(h) for _, h in DEPTH_MODES})))
    fps: Literal[6, 15, 30, 60, 90] = _allowed(30, "one of 6, 15, 30, 60, 90 (frames per second)")
    visual_preset: Literal["default", "high_accuracy", "high_density", "medium_density"] = _allowed(
        "default", "one of \"default\", \"high_accuracy\", \"high_density\", \"medium_density\"")
    frame_timeout_s: float = _rng(1.0, 0.2, 10.0, "seconds")
    mount: MountSection = MountSection()

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
    centre_lateral_m: float = _rng(0.0, -2.0, 2.0, "metres (positive = camera's right)")
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
    left_edge_from_camera_m: float = _rng(-0.2675, -3.0, 3.0, "metres")
    top_edge_below_camera_m: float = _rng(0.10, -3.0, 3.0, "metres")
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


def unknown_profile_message(name: str, have: list[str], where: Path) -> str:
    msg = f"no such exercise profile in {where}; available: {', '.join(have) or '(none)'}"
    close = difflib.get_close_matches(name, have, n=1)
    if close:
        msg += f" — did you mean '{close[0]}'?"
    return msg


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


# --------------------------------------------------------------------------- exercise profiles

_CUE_ALLOWED = ("a cue key that names a cue text in station/form/texts.py (e.g. \"push_hips_back\", "
                "\"brace_flat_back\", \"hips_square\")")
_CUE_PATTERN = r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$"
Phase = Literal["lowering", "bottom", "rising", "top", "after_rep"]
_PHASE_ALLOWED = "one of \"lowering\", \"bottom\", \"rising\", \"top\", \"after_rep\""
# Tolerances scale with strictness: "mul" limits are multiplied by the factor (a smaller
# limit is stricter), "div" minimums are divided by it (a larger minimum is stricter).
_MUL = {"scale": "mul"}
_DIV = {"scale": "div"}


def _enabled(default: bool) -> Any:
    return _allowed(default, "true or false")


def _priority(default: int) -> Any:
    return _rng(default, 1, 9, "(1 = most important: spine before knees before tempo)")


def _cue(default: str) -> Any:
    return _allowed(default, _CUE_ALLOWED, pattern=_CUE_PATTERN)


def _phase(default: str) -> Any:
    return _allowed(default, _PHASE_ALLOWED)


class _Rule(_Section):
    """Fields every rule has: on/off, cue priority, the cue's text key and when to show it."""

    enabled: bool
    priority: int
    cue: str
    cue_phase: Phase

    @field_validator("cue")
    @classmethod
    def _cue_has_text(cls, v: str) -> str:
        # the lifter must never read a key spelled out ("Push hipz back")
        from station.form.texts import TEXTS_EN

        if v not in TEXTS_EN:
            close = difflib.get_close_matches(v, list(TEXTS_EN), n=1)
            hint = f" — did you mean '{close[0]}'?" if close else ""
            raise ValueError(f"no cue text has this key{hint}")
        return v


class KneeDominantRule(_Rule):
    """At the bottom: knee flexion > max_knee_flexion_deg, or hip flexion <
    min_hip_to_knee_ratio x knee flexion ("off" disables the ratio test)."""

    enabled: bool = _enabled(True)
    priority: int = _priority(2)
    cue: str = _cue("push_hips_back")
    cue_phase: Phase = _phase("lowering")
    max_knee_flexion_deg: float = _rng(40.0, 0.0, 150.0, "degrees", extra=_MUL)
    min_hip_to_knee_ratio: OptionalThreshold = _allowed(
        1.8, "a number from 0.5 to 10, or \"off\"", ge=0.5, le=10.0, extra=_DIV)


class RoundedBackRule(_Rule):
    """spine_flexion > max_spine_flexion_deg at any time in the rep."""

    enabled: bool = _enabled(True)
    priority: int = _priority(1)
    cue: str = _cue("brace_flat_back")
    cue_phase: Phase = _phase("lowering")
    max_spine_flexion_deg: float = _rng(20.0, 0.0, 90.0, "degrees", extra=_MUL)


class IncompleteLockoutRule(_Rule):
    """hip flexion > max_end_hip_flexion_deg at the rep's end."""

    enabled: bool = _enabled(True)
    priority: int = _priority(3)
    cue: str = _cue("stand_tall_squeeze_glutes")
    cue_phase: Phase = _phase("top")
    max_end_hip_flexion_deg: float = _rng(15.0, 0.0, 60.0, "degrees", extra=_MUL)


class OverextensionRule(_Rule):
    """At the rep's end: hip flexion < min_end_hip_flexion_deg or spine_flexion <
    min_end_spine_flexion_deg ("off" disables the spine test)."""

    enabled: bool = _enabled(True)
    priority: int = _priority(3)
    cue: str = _cue("stand_tall_ribs_down")
    cue_phase: Phase = _phase("top")
    min_end_hip_flexion_deg: float = _rng(-10.0, -60.0, 0.0, "degrees", extra=_MUL)
    min_end_spine_flexion_deg: OptionalThreshold = _allowed(
        -15.0, "a number from -60 to 0 degrees, or \"off\"", ge=-60.0, le=0.0, extra=_MUL)


class HipShiftRule(_Rule):
    """abs(pelvis_lateral_shift - its value at the rep's start) > max_lateral_shift_m."""

    enabled: bool = _enabled(True)
    priority: int = _priority(3)
    cue: str = _cue("hips_square")
    cue_phase: Phase = _phase("rising")
    max_lateral_shift_m: float = _rng(0.06, 0.005, 0.5, "metres", extra=_MUL)


class TooFastRule(_Rule):
    """Eccentric phase (start_t -> bottom_t) shorter than min_eccentric_s."""

    enabled: bool = _enabled(True)
    priority: int = _priority(4)
    cue: str = _cue("slow_the_lowering")
    cue_phase: Phase = _phase("lowering")
    min_eccentric_s: float = _rng(1.0, 0.1, 10.0, "seconds", extra=_DIV)


class HipsShootUpRule(_Rule):
    """In the first window_frac of the concentric phase, knee extension (drop in knee
    flexion) exceeds hip extension (drop in hip flexion) by more than max_knee_lead_deg:
    the hips rise before the chest. Off unless a profile enables it (deadlift)."""

    enabled: bool = _enabled(False)
    priority: int = _priority(2)
    cue: str = _cue("chest_and_hips_together")
    cue_phase: Phase = _phase("rising")
    max_knee_lead_deg: float = _rng(15.0, 1.0, 90.0, "degrees", extra=_MUL)
    window_frac: float = _rng(0.3, 0.05, 1.0, "(fraction of the concentric phase)")


RULE_NAMES: tuple[str, ...] = ("knee_dominant", "rounded_back", "incomplete_lockout",
                               "overextension", "hip_shift", "too_fast", "hips_shoot_up")


class Rules(_Section):
    """Every rule the evaluator knows. A rule absent from a profile keeps these defaults
    (the rdl numbers of the analysis contract); hips_shoot_up is off unless enabled."""

    knee_dominant: KneeDominantRule = KneeDominantRule()
    rounded_back: RoundedBackRule = RoundedBackRule()
    incomplete_lockout: IncompleteLockoutRule = IncompleteLockoutRule()
    overextension: OverextensionRule = OverextensionRule()
    hip_shift: HipShiftRule = HipShiftRule()
    too_fast: TooFastRule = TooFastRule()
    hips_shoot_up: HipsShootUpRule = HipsShootUpRule()


class RepDetection(_Section):
    """Hip-flexion thresholds of the rep state machine (standing -> lowering -> bottom ->
    rising -> lockout). start_position "bottom" is for lifts that begin on the floor (the
    deadlift): each rep is rising -> lockout -> lowering -> rest at the bottom."""

    start_position: Literal["top", "bottom"] = _allowed("top", "\"top\" or \"bottom\"")
    leave_upright_hip_flexion_deg: float = _rng(20.0, 5.0, 60.0, "degrees")
    min_bottom_hip_flexion_deg: float = _rng(40.0, 10.0, 150.0, "degrees")
    bottom_hysteresis_deg: float = _rng(5.0, 1.0, 30.0, "degrees")
    back_upright_hip_flexion_deg: float = _rng(30.0, 5.0, 90.0, "degrees")
    settle_velocity_deg_s: float = _rng(30.0, 1.0, 500.0, "degrees per second")
    settle_s: float = _rng(0.2, 0.0, 2.0, "seconds")
    min_rep_s: float = _rng(0.6, 0.1, 10.0, "seconds")
    max_rep_s: float = _rng(20.0, 1.0, 120.0, "seconds")

    @model_validator(mode="after")
    def _ordered(self) -> "RepDetection":
        if self.leave_upright_hip_flexion_deg + self.bottom_hysteresis_deg >= self.min_bottom_hip_flexion_deg:
            raise _custom("leave_upright_hip_flexion_deg", self.leave_upright_hip_flexion_deg,
                          "must be below min_bottom_hip_flexion_deg - bottom_hysteresis_deg "
                          f"({self.min_bottom_hip_flexion_deg:g} - {self.bottom_hysteresis_deg:g})")
        if self.back_upright_hip_flexion_deg >= self.min_bottom_hip_flexion_deg:
            raise _custom("back_upright_hip_flexion_deg", self.back_upright_hip_flexion_deg,
                          f"must be below min_bottom_hip_flexion_deg ({self.min_bottom_hip_flexion_deg:g})")
        if self.min_rep_s >= self.max_rep_s:
            raise _custom("min_rep_s", self.min_rep_s,
                          f"must be below max_rep_s ({self.max_rep_s:g})")
        return self


class SquatRecognition(_Section):
    """A rep is called a squat when, at the bottom, knee flexion >= min_knee_flexion_deg
    and hip flexion < max_hip_to_knee_ratio x knee flexion."""

    min_knee_flexion_deg: float = _rng(70.0, 20.0, 150.0, "degrees")
    max_hip_to_knee_ratio: float = _rng(1.2, 0.1, 5.0, "")


_MUSCLE_ALLOWED = "a list of: " + ", ".join(MUSCLES)
Muscle = Literal["glutes", "hamstrings", "quadriceps", "adductors", "erector_spinae",
                 "abdominals", "obliques", "lats", "trapezius", "forearms"]


class Muscles(_Section):
    """What the overlay shows the lifter: the muscles that drive the movement, those that
    hold the spine isometrically, and those that brace the trunk."""

    drive: list[Muscle] = _allowed(["glutes", "hamstrings"], _MUSCLE_ALLOWED)
    isometric: list[Muscle] = _allowed(["erector_spinae"], _MUSCLE_ALLOWED)
    brace: list[Muscle] = _allowed(["abdominals", "lats"], _MUSCLE_ALLOWED)


class ExerciseProfile(_Section):
    """One exercise profile (config/exercises/<name>.toml)."""

    name: str = _allowed(..., "the file's name without .toml", pattern=r"^[a-z][a-z0-9_]*$")
    title: str = _allowed(..., "any text up to 60 characters", min_length=1, max_length=60)
    implement: Literal["barbell", "kettlebell", "dumbbells", "any"] = _allowed(
        "any", "one of \"barbell\", \"kettlebell\", \"dumbbells\", \"any\"")
    muscles: Muscles = Muscles()
    reps: RepDetection = RepDetection()
    squat_recognition: SquatRecognition = SquatRecognition()
    rules: Rules = Rules()

    @model_validator(mode="after")
    def _name_matches_file(self, info: ValidationInfo) -> "ExerciseProfile":
        stem = (info.context or {}).get("file_stem")
        if stem is not None and self.name != stem:
            raise _custom("name", self.name, f"must equal the file's name \"{stem}\"")
        return self

    def enabled_rules(self) -> dict[str, _Rule]:
        """name -> rule for the enabled rules, most important (lowest priority) first."""
        rules = {n: getattr(self.rules, n) for n in RULE_NAMES if getattr(self.rules, n).enabled}
        return dict(sorted(rules.items(), key=lambda kv: kv[1].priority))

    def with_strictness(self, level: str) -> "ExerciseProfile":
        """The profile with every tolerance scaled for a strictness level.

        "standard" returns the profile unchanged; "strict" multiplies each limit by 0.8
        (max_* limits shrink, negative min_* limits move towards 0) and divides each required
        minimum (min_eccentric_s, min_hip_to_knee_ratio) by it; "lenient" uses 1.25.
        """
        factor = STRICTNESS_FACTORS[level]
        if factor == 1.0:
            return self
        updates: dict[str, Any] = {}
        for name in RULE_NAMES:
            rule = getattr(self.rules, name)
            changed: dict[str, Any] = {}
            for fname, finfo in type(rule).model_fields.items():
                extra = finfo.json_schema_extra if isinstance(finfo.json_schema_extra, dict) else {}
                value = getattr(rule, fname)
                if value is None or "scale" not in extra:
                    continue
                scaled = value * factor if extra["scale"] == "mul" else value / factor
                changed[fname] = round(scaled, 6)
            updates[name] = rule.model_copy(update=changed)
        return self.model_copy(update={"rules": self.rules.model_copy(update=updates)})


# --------------------------------------------------------------------------- locating files

def default_config_dir() -> Path:
    """The packaged config directory (holding station.toml and exercises/).

    First ``<repo>/config`` (a source checkout or an editable install), then the package
    data directory ``station/defaults`` (a wheel install, if packaging copies config/ there).
    """
    repo = Path(__file__).resolve().parents[1] / "config"
    if (repo / STATION_FILE).is_file():
        return repo
    try:
        from importlib.resources import files

        pkg = Path(str(files("station") / "defaults"))
        if (pkg / STATION_FILE).is_file():
            return pkg
    except Exception:  # pragma: no cover - broken installs
        pass
    raise ConfigError(f"no packaged configuration found (looked in {repo} and station/defaults)")


def station_config_path(path: Optional[Path] = None) -> Path:
    """The station file load_station_config(path) reads: path, else $STATION_CONFIG, else
    /etc/station/station.toml if it exists, else the packaged default."""
    if path is not None:
        return Path(path)
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        return Path(env)  # an explicit choice: a missing file is an error, not a fallback
    # lexists, not is_file: a broken link or a symlink loop there is reported, never
    # silently replaced by the packaged default
    if os.path.lexists(SYSTEM_CONFIG_PATH):
        return SYSTEM_CONFIG_PATH
    return default_config_dir() / STATION_FILE


def _profiles_dir(config_dir: Optional[Path]) -> Path:
    """config_dir may be a config directory (holding exercises/) or the profiles dir itself."""
    if config_dir is None:
        return default_config_dir() / EXERCISES_SUBDIR
    config_dir = Path(config_dir)
    sub = config_dir / EXERCISES_SUBDIR
    return sub if sub.is_dir() else config_dir


def available_exercises(config_dir: Optional[Path] = None) -> list[str]:
    """Sorted names of the exercise profiles (``*.toml`` files) in the profiles directory."""
    d = _profiles_dir(config_dir)
    if not d.is_dir():
        return []
    # not p.is_file(): a profile that is a broken link or a symlink loop must be reported
    # by the check, not silently left out of the list
    return sorted(p.stem for p in d.glob("*.toml") if not p.is_dir())


# --------------------------------------------------------------------------- loading

_LINE_COL = re.compile(r"\(at line (\d+), column (\d+)\)")


def _read_toml(path: Path) -> dict[str, Any]:
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(Problem(file, None, None, "file not found")) from None
    except UnicodeDecodeError as e:
        raise ConfigError(Problem(file, None, None, f"not UTF-8 text ({e.reason} at byte {e.start})")) from None
    except OSError as e:
        raise ConfigError(Problem(file, None, None, f"cannot read: {e.strerror}")) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        msg = str(e)
        m = _LINE_COL.search(msg)
        line = col = None
        if m:
            line, col = int(m.group(1)), int(m.group(2))
            msg = _LINE_COL.sub("", msg).strip()
            lines = text.splitlines()
            if 1 <= line <= len(lines):
                msg += f" (line {line}, column {col}: {lines[line - 1].strip()!r})"
            else:
                msg += f" (line {line}, column {col})"
        raise ConfigError(Problem(file, None, None, f"TOML syntax error: {msg}", line, col)) from None


def _toml_kind(v: Any) -> str:
    if isinstance(v, bool):
        return "true/false"
    if isinstance(v, int):
        return "an integer"
    if isinstance(v, float):
        return "a number"
    if isinstance(v, str):
        return "a string"
    if isinstance(v, list):
        return "a list"
    if isinstance(v, dict):
        return "a table"
    return "a date/time"


_EXPECTED = {
    "int_type": "an integer", "float_type": "a number", "string_type": "a string (in quotes)",
    "bool_type": "true or false", "list_type": "a list [...]", "model_type": "a table",
    "dict_type": "a table", "path_type": "a path string (in quotes)",
    "model_attributes_type": "a table",
}


def _field_at(model: type[BaseModel], loc: tuple[Any, ...]) -> Any:
    """The FieldInfo of the key an error location points at (list indices skipped), or None."""
    names = tuple(part for part in loc if not isinstance(part, int))
    if not names:
        return None
    holder = _model_at(model, names[:-1])
    return holder.model_fields.get(names[-1]) if holder else None


def _model_at(model: type[BaseModel], loc: tuple[Any, ...]) -> Optional[type[BaseModel]]:
    """The model class that validates the table at `loc`."""
    cur: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(cur, type) and issubclass(cur, BaseModel)) or part not in cur.model_fields:
            return None
        cur = _inner_model(cur.model_fields[part].annotation)
    return cur


def _inner_model(ann: Any) -> Any:
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return ann
    for a in get_args(ann):
        m = _inner_model(a)
        if m is not None:
            return m
    return None


def _key(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _literal_args(info: Any) -> tuple[Any, ...]:
    """The allowed values of a Literal field (or of a list of Literals)."""
    ann = getattr(info, "annotation", None)
    while ann is not None:
        if getattr(ann, "__origin__", None) is Literal:
            return get_args(ann)
        args = get_args(ann)
        ann = args[0] if args else None
    return ()


def _allowed_text(info: Any) -> Optional[str]:
    extra = getattr(info, "json_schema_extra", None)
    if isinstance(extra, dict):
        return extra.get("allowed")  # type: ignore[return-value]
    return None


def _translate(err: ValidationError, model: type[BaseModel], file: str,
               skip: set[str]) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[tuple[str, str]] = set()
    for e in err.errors(include_url=False):
        loc = tuple(e["loc"])
        etype = e["type"]
        ctx = e.get("ctx") or {}
        if etype == "station_config":  # raised by a model validator, names its own key
            key = ".".join(x for x in (_key(loc), ctx["key"]) if x)
            p = Problem(file, key, _toml_value(ctx["value"]), ctx["message"])
        elif etype == "extra_forbidden":
            key = _key(loc)
            if key in skip:
                continue
            holder = _model_at(model, loc[:-1])
            names = list(holder.model_fields) if holder else []
            close = difflib.get_close_matches(str(loc[-1]), names, n=1, cutoff=0.6)
            if close:
                msg = f"unknown key '{key}' — did you mean '{close[0]}'?"
            else:
                section = _key(loc[:-1]) or "the top level"
                msg = f"unknown key '{key}' — allowed in {section}: {', '.join(names)}"
            p = Problem(file, key, _toml_value(e["input"]), msg)
        else:
            key = _key(loc)
            info = _field_at(model, loc)
            allowed = _allowed_text(info)
            if etype == "missing":
                p = Problem(file, key, None, "missing; required: " + (allowed or "a value"))
            else:
                value = e.get("input")
                if etype in _EXPECTED:
                    reason = f"wrong type: expected {_EXPECTED[etype]}, got {_toml_kind(value)}"
                elif etype == "value_error":
                    reason = str(e["msg"]).removeprefix("Value error, ")
                elif etype in ("greater_than_equal", "less_than_equal", "greater_than",
                               "less_than"):
                    reason = "out of range"
                elif etype == "literal_error":
                    kinds = {_toml_kind(a) for a in _literal_args(info)}
                    if kinds and _toml_kind(value) not in kinds:
                        reason = (f"wrong type: expected {' or '.join(sorted(kinds))}, "
                                  f"got {_toml_kind(value)}")
                    else:
                        reason = "not one of the allowed values"
                elif etype == "string_pattern_mismatch":
                    reason = "wrong format"
                elif etype in ("string_too_long", "string_too_short"):
                    reason = str(e["msg"]).lower()
                elif etype == "finite_number":
                    reason = "must be a finite number"
                else:
                    reason = str(e["msg"])
                msg = reason + (f"; allowed: {allowed}" if allowed else "")
                p = Problem(file, key, _toml_value(value), msg)
        sig = (p.key or "", p.message)
        if sig not in seen:
            seen.add(sig)
            problems.append(p)
    return problems


def _lookup(data: dict[str, Any], dotted: str) -> tuple[bool, Any]:
    cur: Any = data
    for part in dotted.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return False, None
        cur = cur[part]
    return True, cur


def _removed(data: dict[str, Any], table: dict[str, str], file: str) -> tuple[list[Problem], set[str]]:
    problems: list[Problem] = []
    found: set[str] = set()
    for key, why in table.items():
        present, value = _lookup(data, key)
        if present:
            found.add(key)
            problems.append(Problem(file, key, _toml_value(value) if not isinstance(value, dict) else None,
                                    f"'{key}' was removed ({why}); delete this line"))
    return problems, found


def _renamed(data: dict[str, Any], table: dict[str, tuple[str, str]], file: str) -> tuple[list[Problem], set[str]]:
    problems: list[Problem] = []
    found: set[str] = set()
    for old, (new, note) in table.items():
        cur: Any = data
        parts = old.split(".")
        for part in parts:
            if not isinstance(cur, dict) or part not in cur:
                break
            cur = cur[part]
        else:
            found.add(old)
            problems.append(Problem(file, old, _toml_value(cur) if not isinstance(cur, dict) else None,
                                    f"'{old}' was renamed to '{new}' ({note}); rename it"))
    return problems, found


def _load_model(path: Path, model: type[BaseModel], renamed: dict[str, tuple[str, str]],
                context: dict[str, Any], removed: Optional[dict[str, str]] = None) -> Any:
    data = _read_toml(path)
    file = str(path)
    problems, skip = _renamed(data, renamed, file)
    gone, skip_gone = _removed(data, removed or {}, file)
    problems += gone
    skip |= skip_gone
    try:
        obj = model.model_validate(data, context=context)
    except ValidationError as e:
        problems += _translate(e, model, file, skip)
        obj = None
    except ConfigError as e:  # e.g. no packaged profiles directory
        problems += e.problems
        obj = None
    if problems:
        raise ConfigError(problems)
    return obj


def load_station_config(path: Optional[Path] = None) -> StationConfig:
    """Load and validate the station config.

    path None: $STATION_CONFIG if set, else /etc/station/station.toml if it exists, else the
    packaged default. Relative paths in the file are relative to the file's directory. The
    exercise profiles it names must exist (they are not loaded; see check_config).
    """
    p = station_config_path(path)
    _read_toml(p)  # a missing, unreadable or looping path is reported as such, naming the file
    try:
        base_dir = p.resolve(strict=True).parent
    except (OSError, RuntimeError) as e:  # changed under us (3.11 raises RuntimeError on a loop)
        raise ConfigError(Problem(str(p), None, None, f"cannot read: {getattr(e, 'strerror', None) or e}")) from None
    return _load_model(p, StationConfig, STATION_RENAMED_KEYS, {"base_dir": base_dir},
                       STATION_REMOVED_KEYS)


def load_exercise(name: str, config_dir: Optional[Path] = None) -> ExerciseProfile:
    """Load and validate the profile ``<name>.toml``.

    config_dir: a config directory holding exercises/, or a profiles directory itself;
    None = the packaged one.
    """
    d = _profiles_dir(config_dir)
    have = available_exercises(d)
    if name not in have:
        raise ConfigError(Problem(str(d), "exercise", _toml_value(name),
                                  unknown_profile_message(name, have, d)))
    p = d / f"{name}.toml"
    return _load_model(p, ExerciseProfile, PROFILE_RENAMED_KEYS, {"file_stem": name})


def profile_names(cfg: StationConfig) -> list[str]:
    """Every profile in the config's profiles folder: what `station config check` validates
    and what `--exercise` accepts (exercise.available is the subset offered to lifters)."""
    return available_exercises(cfg.exercise.profiles_dir)


def load_config_and_profiles(path: Path) -> tuple[StationConfig, dict[str, ExerciseProfile]]:
    """The station config and every profile in its profiles folder (as written), each file
    read once, so the pair is consistent.

    Collects problems rather than stopping at the first: if the station file itself is bad
    its problems are raised at once (its profiles folder is then unknown); otherwise every
    profile is loaded and all their problems are raised together in one ConfigError.
    """
    cfg = load_station_config(Path(path))
    problems: list[Problem] = []
    profiles: dict[str, ExerciseProfile] = {}
    for name in profile_names(cfg):
        try:
            profiles[name] = load_exercise(name, cfg.exercise.profiles_dir)
        except ConfigError as e:
            problems += e.problems
    if problems:
        raise ConfigError(problems)
    return cfg, profiles


def check_config(path: Path) -> StationConfig:
    """Load the station config and every exercise profile in its profiles folder (not only
    those in exercise.available: `--exercise` accepts any of them). Returns the station
    config when everything is valid; else one ConfigError listing every problem."""
    return load_config_and_profiles(path)[0]


def load_profiles(cfg: StationConfig) -> dict[str, ExerciseProfile]:
    """Every profile the station offers, strictness applied, keyed by name."""
    return {n: load_exercise(n, cfg.exercise.profiles_dir).with_strictness(cfg.exercise.strictness)
            for n in cfg.exercise.available}


def offered_profiles(cfg: StationConfig, profiles: dict[str, ExerciseProfile]) -> dict[str, ExerciseProfile]:
    """The profiles of exercise.available from an already loaded set, strictness applied."""
    return {n: profiles[n].with_strictness(cfg.exercise.strictness) for n in cfg.exercise.available}


# --------------------------------------------------------------------------- keep last good

def _load_or_error(path: Path) -> tuple[StationConfig, dict[str, ExerciseProfile]]:
    """load_config_and_profiles, with any file-system surprise (a path that turned into a
    symlink loop, a folder that vanished) turned into a ConfigError naming the file."""
    try:
        return load_config_and_profiles(Path(path))
    except ConfigError:
        raise
    except (OSError, RuntimeError) as e:
        raise ConfigError(Problem(str(path), None, None,
                                  f"cannot read: {getattr(e, 'strerror', None) or e}")) from None


def reload_if_changed(current_cfg: StationConfig, path: Path) -> tuple[StationConfig, Optional[ConfigError]]:
    """Re-read `path` (station config and its profiles). On success return (new, None); on
    any problem return (current_cfg, error): the station keeps running on its last good
    config. Stateless: it always re-reads; ConfigWatcher only re-reads when a file changed.
    """
    try:
        return _load_or_error(Path(path))[0], None
    except ConfigError as e:
        return current_cfg, e


class ConfigWatcher:
    """Keeps the last good station config and exercise profiles; re-reads them when the
    station file or any profile in the profiles folder changes (mtime, size, added,
    removed), or on :meth:`poll` with ``force=True`` (SIGHUP).

    ``cfg`` is the station config; ``profiles`` every profile in its folder as written.
    ``poll()`` returns (config, error): error is the problem with the files as they are now
    (None when they are good), reported once per change.
    """

    def __init__(self, path: Optional[Path] = None, cfg: Optional[StationConfig] = None):
        self.path = station_config_path(path)
        if cfg is None:
            cfg, profiles = _load_or_error(self.path)
        else:
            profiles = {n: load_exercise(n, cfg.exercise.profiles_dir) for n in profile_names(cfg)}
        self.cfg: StationConfig = cfg
        self.profiles: dict[str, ExerciseProfile] = profiles
        self._sig = self._signature()
        self.last_error: Optional[ConfigError] = None

    def _signature(self) -> tuple:
        def stat(p: Path) -> Optional[tuple[int, int]]:
            try:
                st = p.stat()
            except (OSError, RuntimeError):
                return None
            return (st.st_mtime_ns, st.st_size)

        d = self.cfg.exercise.profiles_dir
        try:
            entries = sorted(d.glob("*.toml")) if d is not None else []
        except OSError:
            entries = []
        return (stat(self.path), tuple((p.name, stat(p)) for p in entries))

    def poll(self, force: bool = False) -> tuple[StationConfig, Optional[ConfigError]]:
        sig = self._signature()
        if sig == self._sig and not force:
            return self.cfg, None
        try:
            cfg, profiles = _load_or_error(self.path)
        except ConfigError as e:
            self.last_error = e
        else:
            self.cfg, self.profiles, self.last_error = cfg, profiles, None
        self._sig = self._signature()  # after a reload the folder may be another one
        return self.cfg, self.last_error


# --------------------------------------------------------------------------- TOML emitter

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _toml_key(k: str) -> str:
    return k if _BARE_KEY.match(k) else json.dumps(k, ensure_ascii=False)


def _toml_value(v: Any) -> str:
    """A Python value rendered as a TOML value (also used to quote bad values in errors)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, (str, Path)):
        return json.dumps(str(v), ensure_ascii=False)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_toml_key(str(k))} = {_toml_value(x)}" for k, x in v.items()) + "}"
    if v is None:
        return "(nothing)"
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return json.dumps(str(v))


def _emit(lines: list[str], prefix: str, table: dict[str, Any]) -> None:
    scalars = [(k, v) for k, v in table.items() if not isinstance(v, dict) and v is not None]
    subs = [(k, v) for k, v in table.items() if isinstance(v, dict)]
    if prefix and (scalars or not subs):
        lines.append("")
        lines.append(f"[{prefix}]")
    for k, v in scalars:
        lines.append(f"{_toml_key(k)} = {_toml_value(v)}")
    for k, v in subs:
        _emit(lines, f"{prefix}.{_toml_key(k)}" if prefix else _toml_key(k), v)


def effective_config_toml(cfg: BaseModel) -> str:
    """The effective config (every key, defaults filled in, paths resolved) as TOML.

    Loading the text again gives an equal config. Works for an ExerciseProfile too.
    """
    lines = ["# Effective configuration: every key with its value in force (generated)."]
    _emit(lines, "", cfg.model_dump(mode="python"))
    return "\n".join(lines).strip("\n") + "\n"
