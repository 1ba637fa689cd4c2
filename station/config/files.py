"""Where the configuration lives: the packaged directory, $STATION_CONFIG, /etc/station, and
the exercise profiles folder."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

from station.config.errors import ConfigError

ENV_VAR = "STATION_CONFIG"
SYSTEM_CONFIG_PATH = Path("/etc/station/station.toml")
STATION_FILE = "station.toml"
EXERCISES_SUBDIR = "exercises"


def default_config_dir() -> Path:
    """The packaged config directory (holding station.toml and exercises/).

    First ``<repo>/config`` (a source checkout or an editable install), then the package
    data directory ``station/defaults`` (a wheel install, if packaging copies config/ there).
    """
    repo = Path(__file__).resolve().parents[2] / "config"
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
    # read through the package, so station.config.SYSTEM_CONFIG_PATH is the one setting
    # (tests point it at a temporary path)
    import station.config as package

    system = package.SYSTEM_CONFIG_PATH
    # lexists, not is_file: a broken link or a symlink loop there is reported, never
    # silently replaced by the packaged default
    if os.path.lexists(system):
        return system
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
