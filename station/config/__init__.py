"""Station configuration and exercise profiles: the only package that reads TOML.

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
models are the values in the packaged files).

Modules::

    errors     ConfigError, Problem, unknown_profile_message; pydantic errors -> messages
    fields     field helpers and the strict base section
    files      where the files are: packaged dir, $STATION_CONFIG, /etc/station, profiles dir
    sections   the station model: one model per section, StationConfig, DEPTH_MODES, hours
    profile    exercise profiles; the rule models are derived from station.form.rules
    loading    load, check, reload, ConfigWatcher (keeps the last good config)
    emit       the effective config as TOML

Public API (all importable from ``station.config``)::

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

``SYSTEM_CONFIG_PATH`` is read from this package at call time (tests point it elsewhere).
"""
from __future__ import annotations

from station.config.emit import effective_config_toml
from station.config.errors import _inner_model  # noqa: F401  (tests walk the models with it)
from station.config.errors import ConfigError, Problem, unknown_profile_message
from station.config.files import (
    ENV_VAR,
    EXERCISES_SUBDIR,
    STATION_FILE,
    SYSTEM_CONFIG_PATH,
    available_exercises,
    default_config_dir,
    station_config_path,
)
from station.config.loading import (
    PROFILE_RENAMED_KEYS,
    STATION_REMOVED_KEYS,
    STATION_RENAMED_KEYS,
    ConfigWatcher,
    check_config,
    load_config_and_profiles,
    load_exercise,
    load_profiles,
    load_station_config,
    offered_profiles,
    profile_names,
    reload_if_changed,
)
from station.config.profile import (
    RULE_MODELS,
    RULE_NAMES,
    STRICTNESS_FACTORS,
    ExerciseProfile,
    Muscle,
    Muscles,
    Phase,
    RepDetection,
    Rules,
    SquatRecognition,
)
from station.config.sections import (
    DEPTH_MODES,
    FPS_CHOICES,
    WEEKDAYS,
    AudioSection,
    CalibrationSection,
    CameraSection,
    CuesSection,
    DisplaySection,
    ExerciseSection,
    HoursSection,
    MirrorSection,
    MountSection,
    PrivacySection,
    SetsSection,
    StationConfig,
    StationSection,
    UsageEmailSection,
    UsageSection,
    ZoneSection,
    parse_hours,
)
from station.model import MUSCLES

__all__ = [
    "ConfigError", "Problem", "StationConfig", "ExerciseProfile",
    "load_station_config", "load_exercise", "available_exercises", "check_config",
    "effective_config_toml", "reload_if_changed", "ConfigWatcher", "default_config_dir",
    "station_config_path", "load_profiles", "parse_hours", "profile_names",
    "load_config_and_profiles", "offered_profiles", "unknown_profile_message",
    "DEPTH_MODES", "FPS_CHOICES", "RULE_NAMES", "RULE_MODELS", "STRICTNESS_FACTORS", "ENV_VAR",
    "SYSTEM_CONFIG_PATH", "STATION_FILE", "EXERCISES_SUBDIR", "MUSCLES", "WEEKDAYS",
    "STATION_RENAMED_KEYS", "STATION_REMOVED_KEYS", "PROFILE_RENAMED_KEYS",
    "Muscle", "Muscles", "Phase", "RepDetection", "Rules", "SquatRecognition",
    "AudioSection", "CalibrationSection", "CameraSection", "CuesSection", "DisplaySection",
    "ExerciseSection", "HoursSection", "MirrorSection", "MountSection", "PrivacySection",
    "SetsSection", "StationSection", "UsageEmailSection", "UsageSection", "ZoneSection",
]
