"""Loading: read a TOML file, validate it against its model, report every problem at once;
the station config with its profiles; reload and keep the last good config."""
from __future__ import annotations

import logging
import re
import sys
from pathlib import Path
from typing import Any, Optional

from pydantic import BaseModel, ValidationError

from station.config.emit import _toml_value
from station.config.errors import ConfigError, Problem, _translate, unknown_profile_message
from station.config.files import _profiles_dir, available_exercises, station_config_path
from station.config.profile import ExerciseProfile
from station.config.sections import StationConfig

log = logging.getLogger(__name__)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

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
        self._warn(cfg)

    def _warn(self, cfg: StationConfig) -> None:
        """Log what `station config check` warns of in a config taken into force (a depth
        mode too small to coach), so that `station run`'s log says it too."""
        warning = cfg.camera.depth_mode_warning()
        if warning:
            log.warning("%s: %s", self.path, warning)

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
            self._warn(cfg)
        self._sig = self._signature()  # after a reload the folder may be another one
        return self.cfg, self.last_error
