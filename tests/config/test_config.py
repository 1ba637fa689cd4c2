"""Station config and exercise profiles: defaults, round-trip, error messages, keep-last-good."""
from __future__ import annotations

import os
import shutil
import sys
from datetime import datetime
from pathlib import Path

import pytest

from station import config as C
from station.config import (
    ConfigError,
    ConfigWatcher,
    ExerciseProfile,
    StationConfig,
    available_exercises,
    check_config,
    default_config_dir,
    effective_config_toml,
    load_exercise,
    load_station_config,
    reload_if_changed,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

PACKAGED = default_config_dir()
PROFILES = ("deadlift", "good_morning", "kettlebell_swing", "rdl")
MINIMAL = '[station]\nid = "test-1"\n'


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    """No test sees the machine's /etc/station or $STATION_CONFIG."""
    monkeypatch.delenv(C.ENV_VAR, raising=False)
    monkeypatch.setattr(C, "SYSTEM_CONFIG_PATH", tmp_path / "no-such-etc" / "station.toml")


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- defaults

def test_packaged_defaults_load():
    cfg = load_station_config()
    assert isinstance(cfg, StationConfig)
    assert (cfg.camera.width_px, cfg.camera.height_px, cfg.camera.fps) == (848, 480, 30)
    assert (cfg.display.width_px, cfg.display.height_px) == (1080, 1920)
    assert cfg.display.fullscreen is True
    assert cfg.exercise.default == "rdl"
    assert cfg.cues.language == "en"
    assert not hasattr(cfg.privacy, "store_frames")   # removed: live frames are never stored
    assert cfg.exercise.profiles_dir == PACKAGED / "exercises"


def test_packaged_file_equals_model_defaults():
    """The documented file and the models agree: leaving a key out changes nothing."""
    assert load_station_config(PACKAGED / "station.toml") == StationConfig.model_validate(
        {"station": {"id": "station-1", "name": "Hinge mirror"}})


def test_packaged_file_documents_every_key():
    data = tomllib.loads((PACKAGED / "station.toml").read_text())

    def keys(model, prefix=""):
        for name, info in model.model_fields.items():
            sub = C._inner_model(info.annotation)
            yield from keys(sub, f"{prefix}{name}.") if sub else [f"{prefix}{name}"]

    def present(d, dotted):
        for part in dotted.split("."):
            if not isinstance(d, dict) or part not in d:
                return False
            d = d[part]
        return True

    missing = [k for k in keys(StationConfig) if not present(data, k)]
    assert missing == []


def test_minimal_file_takes_defaults(tmp_path):
    cfg = load_station_config(write(tmp_path / "station.toml", MINIMAL))
    assert cfg.station.id == "test-1"
    assert cfg.camera.fps == 30


def test_env_var_and_system_path_precedence(tmp_path, monkeypatch):
    etc = write(tmp_path / "etc" / "station.toml", '[station]\nid = "from-etc"\n')
    monkeypatch.setattr(C, "SYSTEM_CONFIG_PATH", etc)
    assert load_station_config().station.id == "from-etc"
    env = write(tmp_path / "env" / "station.toml", '[station]\nid = "from-env"\n')
    monkeypatch.setenv(C.ENV_VAR, str(env))
    assert load_station_config().station.id == "from-env"
    # an explicit choice that does not exist is an error, not a fallback
    monkeypatch.setenv(C.ENV_VAR, str(tmp_path / "gone.toml"))
    with pytest.raises(ConfigError, match="gone.toml: file not found"):
        load_station_config()


def test_relative_paths_resolve_against_the_file(tmp_path):
    cfg = load_station_config(write(tmp_path / "s" / "station.toml",
                                    MINIMAL + '[usage]\nlog_path = "data/usage.sqlite3"\n'))
    assert cfg.usage.log_path == tmp_path / "s" / "data" / "usage.sqlite3"


def test_profiles_beside_the_station_file_win(tmp_path):
    shutil.copytree(PACKAGED / "exercises", tmp_path / "exercises")
    text = (tmp_path / "exercises" / "rdl.toml").read_text().replace(
        "max_spine_flexion_deg = 20.0", "max_spine_flexion_deg = 12.0")
    write(tmp_path / "exercises" / "rdl.toml", text)
    cfg = check_config(write(tmp_path / "station.toml", MINIMAL))
    assert cfg.exercise.profiles_dir == tmp_path / "exercises"
    assert load_exercise("rdl", tmp_path).rules.rounded_back.max_spine_flexion_deg == 12.0


# --------------------------------------------------------------------------- round-trip

def test_round_trip_defaults(tmp_path):
    cfg = load_station_config()
    text = effective_config_toml(cfg)
    again = load_station_config(write(tmp_path / "elsewhere" / "station.toml", text))
    assert again == cfg
    assert effective_config_toml(again) == text


def test_round_trip_non_defaults(tmp_path):
    src = write(tmp_path / "a" / "station.toml", MINIMAL + """
name = "Studio 2 \\"hinge\\" mirror — Süd"
[camera]
serial = "123456789012"
width_px = 640
height_px = 360
fps = 90
[camera.mount]
height_m = 1.5
pitch_down_deg = -5
[hours]
timezone = "Europe/Berlin"
mon = "06:00-12:00, 14:00-24:00"
sun = "closed"
[exercise]
default = "kettlebell_swing"
available = ["kettlebell_swing", "rdl"]
strictness = "strict"
[display]
top_edge_below_camera_m = -0.2
[usage]
retention_days = 30
log_path = "rel/usage.db"
""")
    cfg = load_station_config(src)
    assert cfg.camera.mount.pitch_down_deg == -5.0
    again = load_station_config(write(tmp_path / "b" / "station.toml", effective_config_toml(cfg)))
    assert again == cfg


@pytest.mark.parametrize("name", PROFILES)
def test_round_trip_profiles(tmp_path, name):
    prof = load_exercise(name)
    write(tmp_path / "exercises" / f"{name}.toml", effective_config_toml(prof))
    assert load_exercise(name, tmp_path) == prof


# --------------------------------------------------------------------------- profiles

def test_available_exercises():
    assert available_exercises() == list(PROFILES)
    assert available_exercises(PACKAGED) == list(PROFILES)
    assert available_exercises(PACKAGED / "exercises") == list(PROFILES)


@pytest.mark.parametrize("name", PROFILES)
def test_every_profile_loads(name):
    prof = load_exercise(name)
    assert isinstance(prof, ExerciseProfile)
    assert prof.name == name
    assert prof.enabled_rules()
    priorities = [r.priority for r in prof.enabled_rules().values()]
    assert priorities == sorted(priorities)


def test_check_config_packaged():
    assert check_config(PACKAGED / "station.toml") == load_station_config()


def _rdl_spec(rules):
    return {
        "knee_dominant": (rules.knee_dominant.max_knee_flexion_deg,
                          rules.knee_dominant.min_hip_to_knee_ratio),
        "rounded_back": rules.rounded_back.max_spine_flexion_deg,
        "incomplete_lockout": rules.incomplete_lockout.max_end_hip_flexion_deg,
        "overextension": (rules.overextension.min_end_hip_flexion_deg,
                          rules.overextension.min_end_spine_flexion_deg),
        "hip_shift": rules.hip_shift.max_lateral_shift_m,
        "too_fast": rules.too_fast.min_eccentric_s,
    }


SPEC_RDL = {  # docs/analysis-output.md, "Fault labels and the default rdl profile"
    "knee_dominant": (40.0, 1.8),
    "rounded_back": 20.0,
    "incomplete_lockout": 15.0,
    "overextension": (-10.0, -15.0),
    "hip_shift": 0.06,
    "too_fast": 1.0,
}


def test_rdl_defaults_equal_the_spec():
    rdl = load_exercise("rdl")
    assert _rdl_spec(rdl.rules) == SPEC_RDL
    assert set(rdl.enabled_rules()) == set(SPEC_RDL)
    # the model defaults are the same numbers, so a rule left out of a profile means rdl
    assert _rdl_spec(C.Rules()) == SPEC_RDL
    assert rdl.rules == C.Rules()


def test_profile_specific_parameters():
    gm, dl, kb = (load_exercise(n) for n in ("good_morning", "deadlift", "kettlebell_swing"))
    assert gm.rules.knee_dominant.max_knee_flexion_deg == 25.0
    assert dl.rules.knee_dominant.min_hip_to_knee_ratio is None  # "off"
    assert dl.rules.hips_shoot_up.enabled and dl.reps.start_position == "bottom"
    assert not kb.rules.too_fast.enabled
    assert kb.rules.incomplete_lockout.enabled and kb.rules.overextension.enabled


def test_strictness_scales_tolerances():
    rdl = load_exercise("rdl")
    assert rdl.with_strictness("standard") == rdl
    strict = rdl.with_strictness("strict").rules
    assert strict.rounded_back.max_spine_flexion_deg == pytest.approx(16.0)
    assert strict.overextension.min_end_hip_flexion_deg == pytest.approx(-8.0)
    assert strict.too_fast.min_eccentric_s == pytest.approx(1.25)
    assert strict.knee_dominant.min_hip_to_knee_ratio == pytest.approx(2.25)
    lenient = rdl.with_strictness("lenient").rules
    assert lenient.hip_shift.max_lateral_shift_m == pytest.approx(0.075)
    dl = load_exercise("deadlift").with_strictness("strict")
    assert dl.rules.knee_dominant.min_hip_to_knee_ratio is None


def test_hours():
    h = load_station_config().hours
    assert h.ranges(0) == ((360, 1320),)
    assert h.is_open(datetime(2024, 5, 6, 6, 0))       # Monday 06:00
    assert not h.is_open(datetime(2024, 5, 6, 22, 0))  # Monday 22:00
    assert not h.is_open(datetime(2024, 5, 12, 7, 59))  # Sunday
    assert C.parse_hours("closed") == ()
    assert C.parse_hours(" 14:00-24:00,06:00-12:00") == ((360, 720), (840, 1440))


# --------------------------------------------------------------------------- bad station files

# (id, file text, key named in the message, value as shown, words that say what is allowed)
BAD_STATION = [
    ("syntax", MINIMAL + "[camera]\nfps = \n", None, None, "line 4, column 7"),
    ("unclosed-table", MINIMAL + "[camera\nfps = 30\n", None, None, "line 3"),
    ("duplicate-key", MINIMAL + "[camera]\nfps = 30\nfps = 60\n", None, None, "line 5"),
    ("unknown-key", MINIMAL + "[camera]\nfsp = 30\n", "camera.fsp", "30", "did you mean 'fps'?"),
    ("unknown-section", MINIMAL + "[camra]\nfps = 30\n", "camra", "{fps = 30}",
     "did you mean 'camera'?"),
    ("unknown-no-match", MINIMAL + "colour = true\n", "station.colour", "true",
     "allowed in station: id, name"),
    ("renamed", MINIMAL + "[camera]\nwidth = 848\n", "camera.width", "848",
     "renamed to 'camera.width_px'"),
    ("renamed-nested", MINIMAL + "[camera.mount]\npitch_deg = 20\n", "camera.mount.pitch_deg",
     "20", "renamed to 'camera.mount.pitch_down_deg'"),
    ("renamed-section", MINIMAL + "[lifting_zone]\nwidth_m = 1.5\n", "lifting_zone", None,
     "renamed to 'zone'"),
    ("wrong-type-str", MINIMAL + "[camera]\nfps = \"30\"\n", "camera.fps", '"30"',
     "expected an integer, got a string"),
    ("wrong-type-bool", MINIMAL + "[privacy]\nallow_explicit_recording = 1\n",
     "privacy.allow_explicit_recording", "1", "expected true or false"),
    ("removed-key", MINIMAL + "[privacy]\nstore_frames = false\n", "privacy.store_frames", "false",
     "was removed (the station never stores depth frames"),
    ("wrong-type-float-for-int", MINIMAL + "[usage]\nretention_days = 30.5\n",
     "usage.retention_days", "30.5", "expected an integer"),
    ("wrong-type-table", "zone = 3\n" + MINIMAL, "zone", "3", "expected a table"),
    ("fps-not-a-mode", MINIMAL + "[camera]\nfps = 25\n", "camera.fps", "25", "6, 15, 30, 60, 90"),
    ("fps-for-resolution", MINIMAL + "[camera]\nwidth_px = 1280\nheight_px = 720\nfps = 60\n",
     "camera.fps", "60", "only at 6, 15, 30 fps"),
    ("resolution", MINIMAL + "[camera]\nwidth_px = 800\nheight_px = 600\n", "camera.width_px",
     "800", "800x600 (width_px x height_px) is not a D4xx depth resolution; allowed: 1280x720, 848x480"),
    ("serial", MINIMAL + "[camera]\nserial = \"abc\"\n", "camera.serial", '"abc"', "serial number"),
    ("mount-height", MINIMAL + "[camera.mount]\nheight_m = 3.0\n", "camera.mount.height_m", "3.0",
     "0.5 to 2.5"),
    ("pitch", MINIMAL + "[camera.mount]\npitch_down_deg = 75\n", "camera.mount.pitch_down_deg",
     "75", "-10 to 60"),
    ("nan", MINIMAL + "[camera.mount]\npitch_down_deg = nan\n", "camera.mount.pitch_down_deg",
     "nan", "-10 to 60"),
    ("zone-too-close", MINIMAL + "[zone]\ncentre_distance_m = 1.0\n", "zone.depth_m", "1.8",
     "at least 0.30 m"),
    ("display-aspect", MINIMAL + "[display]\nwidth_px = 1920\nheight_px = 1080\n",
     "display.width_m", "0.535", "within 5%"),
    ("display-off-glass", MINIMAL + "[camera.mount]\nheight_m = 0.6\n",
     "display.top_edge_below_camera_m", "-0.2", "within the glass"),
    ("hours-format", MINIMAL + "[hours]\nmon = \"6:00-22:00\"\n", "hours.mon", '"6:00-22:00"',
     "HH:MM-HH:MM"),
    ("hours-overnight", MINIMAL + "[hours]\nfri = \"22:00-02:00\"\n", "hours.fri",
     '"22:00-02:00"', "split overnight hours"),
    ("hours-overlap", MINIMAL + "[hours]\nsat = \"08:00-12:00,11:00-13:00\"\n", "hours.sat",
     '"08:00-12:00,11:00-13:00"', "overlap"),
    ("hours-bad-time", MINIMAL + "[hours]\nsun = \"08:00-25:00\"\n", "hours.sun", '"08:00-25:00"',
     "not a valid time"),
    ("hours-toml-time", MINIMAL + "[hours]\ntue = 06:00:00\n", "hours.tue", "06:00:00",
     "expected a string"),
    ("timezone", MINIMAL + "[hours]\ntimezone = \"Mars/Base\"\n", "hours.timezone", '"Mars/Base"',
     "Europe/Berlin"),
    ("unknown-exercise", MINIMAL + "[exercise]\ndefault = \"rdll\"\n", "exercise.default",
     '"rdll"', "did you mean 'rdl'?"),
    ("unknown-available", MINIMAL + "[exercise]\navailable = [\"rdl\", \"squat\"]\n",
     "exercise.available[1]", '"squat"', "available: deadlift, good_morning"),
    ("default-not-offered", MINIMAL + "[exercise]\ndefault = \"deadlift\"\navailable = [\"rdl\"]\n",
     "exercise.default", '"deadlift"', "exercise.available: rdl"),
    ("strictness", MINIMAL + "[exercise]\nstrictness = \"hard\"\n", "exercise.strictness",
     '"hard"', '"lenient", "standard", "strict"'),
    ("profiles-dir", MINIMAL + "[exercise]\nprofiles_dir = \"/no/such/dir\"\n",
     "exercise.profiles_dir", '"/no/such/dir"', "no such directory"),
    ("language", MINIMAL + "[cues]\nlanguage = \"de\"\n", "cues.language", '"de"', '"en"'),
    ("set-rest", MINIMAL + "[sets]\nrest_s = 150\n", "sets.rest_s", "150", "3 to 120"),
    ("station-id", '[station]\nid = "Floor 2"\n', "station.id", '"Floor 2"', "lower-case"),
    ("missing-station", "[camera]\nfps = 30\n", "station", None, "[station] table"),
    ("missing-id", "[station]\nname = \"x\"\n", "station.id", None, "missing"),
    ("retention", MINIMAL + "[usage]\nretention_days = 0\n", "usage.retention_days", "0",
     "1 to 3650"),
]


@pytest.mark.parametrize("case_id,text,key,value,allowed", BAD_STATION,
                         ids=[c[0] for c in BAD_STATION])
def test_bad_station_file(tmp_path, case_id, text, key, value, allowed):
    path = write(tmp_path / "station.toml", text)
    with pytest.raises(ConfigError) as exc:
        load_station_config(path)
    msg = str(exc.value)
    assert str(path) in msg
    if key is not None:
        assert f"{key} = {value}" in msg if value is not None else f"{key} —" in msg, msg
        assert exc.value.key == key
    assert allowed in msg, msg


def test_all_problems_of_a_file_are_reported(tmp_path):
    path = write(tmp_path / "station.toml",
                 MINIMAL + "[camera]\nfps = 25\nfsp = 1\n[sets]\nrest_s = -1\n")
    with pytest.raises(ConfigError) as exc:
        load_station_config(path)
    keys = {p.key for p in exc.value.problems}
    assert keys == {"camera.fps", "camera.fsp", "sets.rest_s"}
    assert str(exc.value).startswith("3 configuration problems:")


def test_not_utf8(tmp_path):
    path = tmp_path / "station.toml"
    path.write_bytes(b'[station]\nid = "\xff"\n')
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_station_config(path)


# --------------------------------------------------------------------------- bad profiles

RDL_TEXT = (PACKAGED / "exercises" / "rdl.toml").read_text()

# (id, replace this text in rdl.toml, with this, key named, value shown, allowed words)
BAD_PROFILE = [
    ("threshold-range", "max_spine_flexion_deg = 20.0", "max_spine_flexion_deg = 120.0",
     "rules.rounded_back.max_spine_flexion_deg", "120.0", "0 to 90 degrees"),
    ("threshold-type", "min_eccentric_s = 1.0", "min_eccentric_s = \"slow\"",
     "rules.too_fast.min_eccentric_s", '"slow"', "expected a number"),
    ("threshold-off-typo", "min_hip_to_knee_ratio = 1.8", "min_hip_to_knee_ratio = \"of\"",
     "rules.knee_dominant.min_hip_to_knee_ratio", '"of"', 'or "off"'),
    ("unknown-rule", "[rules.hip_shift]", "[rules.hip_shfit]", "rules.hip_shfit", None,
     "did you mean 'hip_shift'?"),
    ("unknown-threshold", "max_lateral_shift_m = 0.06", "max_lateral_shift = 0.06",
     "rules.hip_shift.max_lateral_shift", "0.06", "did you mean 'max_lateral_shift_m'?"),
    ("renamed-threshold", "max_spine_flexion_deg = 20.0", "max_spine_deg = 20.0",
     "rules.rounded_back.max_spine_deg", "20.0", "renamed to 'rules.rounded_back.max_spine_flexion_deg'"),
    ("enabled-type", "[rules.too_fast]\n# Uncontrolled lowering: the eccentric phase (start to "
     "bottom) shorter than 1.0 s.\nenabled = true",
     "[rules.too_fast]\nenabled = \"no\"", "rules.too_fast.enabled", '"no"', "true or false"),
    ("cue-phase", 'cue_phase = "top"', 'cue_phase = "end"', "rules.incomplete_lockout.cue_phase",
     '"end"', '"after_rep"'),
    ("cue-key", 'cue = "hips_square"', 'cue = "Hips Square!"', "rules.hip_shift.cue",
     '"Hips Square!"', "cue key"),
    ("muscle", 'drive = ["glutes", "hamstrings"]', 'drive = ["glutes", "hammies"]',
     "muscles.drive[1]", '"hammies"', "erector_spinae"),
    ("rep-order", "leave_upright_hip_flexion_deg = 20.0", "leave_upright_hip_flexion_deg = 38.0",
     "reps.leave_upright_hip_flexion_deg", "38.0", "below min_bottom_hip_flexion_deg"),
    ("name-mismatch", 'name = "rdl"', 'name = "romanian"', "name", '"romanian"',
     'the file\'s name "rdl"'),
    ("priority", "priority = 4", "priority = 0", "rules.too_fast.priority", "0", "1 to 9"),
]


@pytest.mark.parametrize("case_id,old,new,key,value,allowed", BAD_PROFILE,
                         ids=[c[0] for c in BAD_PROFILE])
def test_bad_profile(tmp_path, case_id, old, new, key, value, allowed):
    assert old in RDL_TEXT
    path = write(tmp_path / "exercises" / "rdl.toml", RDL_TEXT.replace(old, new, 1))
    with pytest.raises(ConfigError) as exc:
        load_exercise("rdl", tmp_path)
    msg = str(exc.value)
    assert str(path) in msg
    assert (f"{key} = {value}" if value is not None else f"{key} = ") in msg, msg
    assert allowed in msg, msg


def test_unknown_profile_name():
    with pytest.raises(ConfigError) as exc:
        load_exercise("good_mornings")
    msg = str(exc.value)
    assert '"good_mornings"' in msg and "did you mean 'good_morning'?" in msg
    assert str(PACKAGED / "exercises") in msg


def test_profile_syntax_error(tmp_path):
    path = write(tmp_path / "exercises" / "rdl.toml", RDL_TEXT.replace("enabled = true", "enabled = yes", 1))
    with pytest.raises(ConfigError) as exc:
        load_exercise("rdl", tmp_path)
    line = RDL_TEXT.splitlines().index("enabled = true") + 1
    assert f"{path}:{line}:" in str(exc.value)
    assert exc.value.problems[0].line == line


def test_check_config_collects_problems_of_every_profile(tmp_path):
    shutil.copytree(PACKAGED / "exercises", tmp_path / "exercises")
    for name in ("rdl", "deadlift"):
        p = tmp_path / "exercises" / f"{name}.toml"
        p.write_text(p.read_text().replace("max_spine_flexion_deg = 20.0", "max_spine_flexion_deg = -1.0"))
    with pytest.raises(ConfigError) as exc:
        check_config(write(tmp_path / "station.toml", MINIMAL))
    files = {Path(p.file).name for p in exc.value.problems}
    assert files == {"rdl.toml", "deadlift.toml"}


# --------------------------------------------------------------------------- keep last good

def _touch_later(path: Path) -> None:
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000_000))


def test_reload_keeps_last_good(tmp_path):
    path = write(tmp_path / "station.toml", MINIMAL)
    good = load_station_config(path)
    write(path, MINIMAL + "[camera]\nfps = 25\n")
    cfg, err = reload_if_changed(good, path)
    assert cfg is good and isinstance(err, ConfigError) and "camera.fps = 25" in str(err)
    path.unlink()
    cfg, err = reload_if_changed(good, path)
    assert cfg is good and "file not found" in str(err)
    write(path, MINIMAL + "[camera]\nfps = 60\n")
    cfg, err = reload_if_changed(good, path)
    assert err is None and cfg.camera.fps == 60


def test_watcher_reloads_only_on_change_and_keeps_last_good(tmp_path):
    path = write(tmp_path / "station.toml", MINIMAL)
    w = ConfigWatcher(path)
    first = w.cfg
    assert w.poll() == (first, None)
    write(path, MINIMAL + "[camera]\nfps = 15\n")
    _touch_later(path)
    cfg, err = w.poll()
    assert err is None and cfg.camera.fps == 15
    write(path, MINIMAL + "[camera]\nfps = 16\n")
    _touch_later(path)
    cfg2, err = w.poll()
    assert cfg2 is cfg and err is not None and "camera.fps = 16" in str(err)
    assert w.poll() == (cfg, None)  # reported once per change; still on the last good
    write(path, MINIMAL + "[camera]\nfps = 60\n")
    _touch_later(path)
    assert w.poll()[0].camera.fps == 60


def test_load_profiles_applies_strictness(tmp_path):
    cfg = load_station_config(write(tmp_path / "station.toml", MINIMAL + """
[exercise]
available = ["rdl", "good_morning"]
strictness = "strict"
"""))
    profiles = C.load_profiles(cfg)
    assert list(profiles) == ["rdl", "good_morning"]
    assert profiles["rdl"].rules.rounded_back.max_spine_flexion_deg == pytest.approx(16.0)


def test_station_config_path(tmp_path, monkeypatch):
    assert C.station_config_path() == PACKAGED / "station.toml"
    assert C.station_config_path(tmp_path / "x.toml") == tmp_path / "x.toml"
    monkeypatch.setenv(C.ENV_VAR, str(tmp_path / "env.toml"))
    assert C.station_config_path() == tmp_path / "env.toml"


def test_a_system_config_that_is_a_symlink_loop_is_reported_not_replaced_by_the_default(tmp_path, monkeypatch):
    loop = tmp_path / "station.toml"
    os.symlink("other.toml", loop)
    os.symlink("station.toml", tmp_path / "other.toml")
    monkeypatch.delenv("STATION_CONFIG", raising=False)
    monkeypatch.setattr(C, "SYSTEM_CONFIG_PATH", loop)
    assert C.station_config_path() == loop
    with pytest.raises(ConfigError, match="Too many levels of symbolic links"):
        load_station_config()
