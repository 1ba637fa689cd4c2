"""One table of bad inputs to the `station` command: configs, profiles, recordings, CLI
arguments and the file system (full disk, read-only mounts, symlink loops).

Every row builds its own workspace (a copy of the packaged config, a short recording, a
previous analysis result), hashes every file in it, runs the command in-process and
asserts the exit code, the words of the message, and that afterwards every file is
byte-for-byte what it was, with no new file (no partial output) left behind.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Callable

import pytest

from station.cli import main
from station.config import default_config_dir

from tests.app.fsutil import Mounts, mounts, tree_hashes  # noqa: F401  (fixture)

PACKAGED = default_config_dir()
OLD_RESULT = b'{"previous": "analysis result"}'


@pytest.fixture(scope="module")
def tiny_recording(tmp_path_factory) -> Path:
    """0.3 s (10 frames) of rdl_clean, recorded once for the whole table."""
    out = tmp_path_factory.mktemp("tiny") / "rec.db3"
    assert main(["record", "--synthetic", "rdl_clean", str(out), "--seconds", "0.3"]) == 0
    return out


class WS:
    """A row's workspace: ws.cfg (config dir copy), ws.rec (recording), ws.out (old result)."""

    def __init__(self, root: Path, recording: Path, mounts: Mounts):
        self.root = root
        self.mounts = mounts
        self.cfg_dir = root / "cfg"
        shutil.copytree(PACKAGED, self.cfg_dir, symlinks=False)
        self.cfg = self.cfg_dir / "station.toml"
        self.rec = root / "rec.db3"
        try:
            os.link(recording, self.rec)
        except OSError:
            shutil.copy(recording, self.rec)
        shutil.copy(recording.with_name("rec.truth.json"), root / "rec.truth.json")
        self.results = root / "results"
        self.results.mkdir()
        self.out = self.results / "result.json"
        self.out.write_bytes(OLD_RESULT)

    def p(self, rel: str) -> str:
        return str(self.root / rel)

    def edit(self, rel: str, old: str, new: str) -> Path:
        path = self.root / rel
        text = path.read_text()
        assert old in text, f"{old!r} not in {rel}"
        path.write_text(text.replace(old, new, 1))
        return path

    def write(self, rel: str, text: str | bytes) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        (path.write_bytes if isinstance(text, bytes) else path.write_text)(text)
        return path

    def loop(self, rel: str) -> Path:
        """A symlink loop: rel -> rel.b -> rel."""
        a, b = self.root / rel, self.root / (rel + ".b")
        a.unlink(missing_ok=True)
        os.symlink(b.name, a)
        os.symlink(a.name, b)
        return a

    def check(self) -> list[str]:
        return ["config", "check", str(self.cfg)]

    def analyze(self, *extra: str, out: str | None = None) -> list[str]:
        return ["--config", str(self.cfg), "analyze", str(self.rec), "--out", out or str(self.out), *extra]


Row = tuple[str, Callable[[WS], list[str]], int, tuple[str, ...]]


def cfg_row(name: str, old: str, new: str, *msg: str) -> Row:
    def setup(ws: WS) -> list[str]:
        ws.edit("cfg/station.toml", old, new)
        return ws.check()
    return (f"config-{name}", setup, 2, ("station.toml", *msg))


def prof_row(name: str, profile: str, old: str, new: str, *msg: str) -> Row:
    def setup(ws: WS) -> list[str]:
        ws.edit(f"cfg/exercises/{profile}.toml", old, new)
        return ws.check()
    return (f"profile-{name}", setup, 2, (f"{profile}.toml", *msg))


def _seq(*steps: Callable[[WS], object]) -> Callable[[WS], list[str]]:
    def setup(ws: WS) -> list[str]:
        out = None
        for s in steps:
            out = s(ws)
        return out
    return setup


def _full_disk_analyze(ws: WS) -> list[str]:
    # a tmpfs of two pages holding the previous result: the new one (~5 pages) cannot fit
    d = ws.mounts.tmpfs(ws.root / "full", "8k")
    (d / "result.json").write_bytes(OLD_RESULT)
    return ws.analyze(out=str(d / "result.json"))


def _full_disk_record(ws: WS) -> list[str]:
    d = ws.mounts.tmpfs(ws.root / "full", "2m")
    (d / "take.db3").write_bytes(b"old recording")
    return ["record", "--synthetic", "rdl_clean", str(d / "take.db3"), "--seconds", "0.3", "--force"]


def _ro_results(ws: WS) -> Path:
    return ws.mounts.read_only(ws.results)


def _no_recording_allowed(ws: WS) -> list[str]:
    ws.edit("cfg/station.toml", "allow_explicit_recording = true", "allow_explicit_recording = false")
    return ["--config", str(ws.cfg), "record", ws.p("cam.db3"), "--seconds", "5"]


def _recordings_dir(path: str) -> Callable[[WS], object]:
    return lambda ws: ws.edit("cfg/station.toml", 'recordings_dir = "/var/lib/station/recordings"',
                              f'recordings_dir = "{path}"')


EXTRA_PROFILE = (PACKAGED / "exercises" / "rdl.toml").read_text().replace('name = "rdl"', 'name = "sumo"')

ROWS: list[Row] = [
    # ---------------------------------------------------------------- station configs
    cfg_row("fps-not-a-mode", "fps = 30", "fps = 25", "camera.fps = 25", "6, 15, 30, 60, 90"),
    cfg_row("misspelt-key", "fps = 30", "fsp = 30", "unknown key 'camera.fsp'", "did you mean 'fps'"),
    cfg_row("toml-syntax", "fps = 30", "fps =", "TOML syntax error"),
    cfg_row("no-station-id", 'id = "station-1"', "", "station.id", "missing"),
    cfg_row("bad-station-id", 'id = "station-1"', 'id = "Station 1!"', "station.id", "wrong format"),
    cfg_row("renamed-key", "width_px = 848", "width = 848", "renamed to 'camera.width_px'"),
    cfg_row("removed-store-frames", "allow_explicit_recording = true",
            "store_frames = false\nallow_explicit_recording = true", "privacy.store_frames",
            "was removed", "explicit `station record`"),
    cfg_row("zone-behind-camera", "centre_distance_m = 2.6", "centre_distance_m = 0.9",
            "zone.depth_m", "near edge"),
    cfg_row("hours-over-midnight", 'fri = "06:00-22:00"', 'fri = "22:00-02:00"', "hours.fri",
            "ends before it starts"),
    cfg_row("unknown-timezone", 'timezone = "local"', 'timezone = "Mars/Olympus"', "unknown time zone"),
    cfg_row("default-not-offered", 'available = ["rdl", "deadlift", "good_morning", "kettlebell_swing"]',
            'available = ["deadlift"]', "exercise.default", "must be one of exercise.available"),
    cfg_row("unknown-profile", 'available = ["rdl", "deadlift", "good_morning", "kettlebell_swing"]',
            'available = ["rdl", "dedlift"]', "no such exercise profile", "did you mean 'deadlift'"),
    cfg_row("profiles-dir-missing", 'profiles_dir = ""', 'profiles_dir = "nowhere"',
            "exercise.profiles_dir", "no such directory"),
    cfg_row("nan", "height_m = 1.60", "height_m = nan", "camera.mount.height_m", "finite"),
    cfg_row("display-shape", "width_px = 1080", "width_px = 1920", "display.width_m", "does not match"),
    cfg_row("max-recording-range", "max_recording_s = 120.0", "max_recording_s = 3600.0",
            "privacy.max_recording_s", "out of range"),
    ("config-not-utf8", lambda ws: ["config", "check", str(ws.write("bad.toml", b'[station]\nid = "\xff"\n'))],
     2, ("bad.toml", "not UTF-8")),
    ("config-missing", lambda ws: ["config", "check", ws.p("nope.toml")], 2, ("nope.toml", "file not found")),
    ("config-is-directory", lambda ws: ["config", "check", str(ws.cfg_dir)], 2, ("cfg", "cannot read")),
    ("config-symlink-loop", lambda ws: ["config", "check", str(ws.loop("loop.toml"))], 2,
     ("loop.toml", "Too many levels of symbolic links")),
    ("config-loop-analyze", lambda ws: ["--config", str(ws.loop("loop.toml")), "analyze", str(ws.rec),
                                        "--out", ws.p("new.json")], 2,
     ("loop.toml", "Too many levels of symbolic links")),
    # ---------------------------------------------------------------- exercise profiles
    prof_row("cue-typo", "rdl", 'cue = "push_hips_back"', 'cue = "push_hipz_back"',
             "rules.knee_dominant.cue", "push_hipz_back", "did you mean 'push_hips_back'"),
    prof_row("cue-unknown", "deadlift", 'cue = "brace_flat_back"', 'cue = "be_careful"',
             "rules.rounded_back.cue", "no cue text"),
    prof_row("name-mismatch", "good_morning", 'name = "good_morning"', 'name = "goodmorning"',
             "must equal the file's name"),
    prof_row("unknown-rule", "rdl", "[rules.hip_shift]", "[rules.hip_shfit]", "unknown key", "hip_shift"),
    prof_row("out-of-range", "rdl", "max_spine_flexion_deg = 20.0", "max_spine_flexion_deg = 200.0",
             "rules.rounded_back.max_spine_flexion_deg", "out of range"),
    prof_row("reps-order", "rdl", "leave_upright_hip_flexion_deg = 20.0",
             "leave_upright_hip_flexion_deg = 45.0", "must be below min_bottom_hip_flexion_deg"),
    prof_row("cue-phase", "rdl", 'cue_phase = "top"', 'cue_phase = "up"', "cue_phase", "not one of"),
    prof_row("muscle", "rdl", 'drive = ["glutes", "hamstrings"]', 'drive = ["glute"]', "muscles.drive"),
    ("profile-extra-bad", lambda ws: (ws.write("cfg/exercises/sumo.toml",
                                               EXTRA_PROFILE.replace("min_eccentric_s = 1.0",
                                                                     "min_eccentric_s = -1.0")), ws.check())[1],
     2, ("sumo.toml", "rules.too_fast.min_eccentric_s", "out of range")),
    ("profile-symlink-loop", lambda ws: (ws.loop("cfg/exercises/rdl.toml"), ws.check())[1], 2,
     ("rdl.toml", "Too many levels of symbolic links")),
    ("profile-extra-bad-analyze", lambda ws: (ws.write("cfg/exercises/sumo.toml", EXTRA_PROFILE.replace(
        'cue = "hips_square"', 'cue = "hipz_square"')), ws.analyze("--exercise", "sumo"))[1],
     2, ("sumo.toml", "did you mean 'hips_square'")),
    ("analyze-unknown-exercise", lambda ws: ws.analyze("--exercise", "rdll"), 2,
     ("unknown exercise 'rdll'", "did you mean 'rdl'")),
    # ---------------------------------------------------------------- recordings
    ("rec-missing", lambda ws: ["analyze", ws.p("nope.db3"), "--out", ws.p("new.json")], 2,
     ("nope.db3", "no such recording")),
    ("rec-text-file", lambda ws: ["analyze", str(ws.write("t.db3", "hello\n")), "--out", ws.p("new.json")],
     2, ("t.db3", "not a readable RealSense recording")),
    ("rec-empty", lambda ws: ["analyze", str(ws.write("e.db3", b"")), "--out", ws.p("new.json")],
     2, ("e.db3", "not a readable RealSense recording")),
    ("rec-truncated", lambda ws: ["analyze", str(ws.write("cut.db3", ws.rec.read_bytes()[:65536])),
                                  "--out", ws.p("new.json")], 2, ("cut.db3", "not a readable")),
    ("rec-garbage-bag", lambda ws: ["analyze", str(ws.write("g.bag", "garbage\n")), "--out", ws.p("new.json")],
     2, ("g.bag", "not a readable RealSense recording")),
    ("rec-is-directory", lambda ws: ["analyze", str(ws.results), "--out", ws.p("new.json")], 2,
     ("results", "not a file")),
    # ---------------------------------------------------------------- analyze --out
    ("out-is-input", lambda ws: ws.analyze(out=str(ws.rec)), 2, ("rec.db3", "refusing")),
    ("out-is-input-json-name", lambda ws: (os.symlink(ws.rec, ws.root / "r.json"), ws.analyze(out=ws.p("r.json")))[1],
     2, ("r.json", "is the input")),
    ("out-recording-name", lambda ws: ws.analyze(out=ws.p("other.db3")), 2, ("other.db3", "refusing")),
    ("out-is-directory", lambda ws: ws.analyze(out=str(ws.results)), 2, ("results", "is a directory")),
    ("out-missing-dir", lambda ws: ws.analyze(out=ws.p("no/such/dir/r.json")), 2,
     ("no/such/dir", "does not exist")),
    ("out-symlink-loop", lambda ws: ws.analyze(out=str(ws.loop("results/loop.json"))), 2,
     ("loop.json", "Too many levels of symbolic links")),
    ("out-required", lambda ws: ["analyze", str(ws.rec)], 2, ("--out", "required")),
    # ---------------------------------------------------------------- CLI arguments
    ("seconds-negative", lambda ws: ["record", "--synthetic", "rdl_clean", ws.p("n.db3"), "--seconds", "-3"],
     2, ("--seconds", "must be a positive number of seconds", "'-3'")),
    ("seconds-negative-5", lambda ws: ["record", "--synthetic", "rdl_clean", ws.p("n.db3"), "--seconds", "-5"],
     2, ("--seconds", "must be a positive number")),
    ("seconds-zero", lambda ws: ["record", ws.p("n.db3"), "--seconds", "0"], 2, ("--seconds", "positive")),
    ("seconds-nan", lambda ws: ["record", ws.p("n.db3"), "--seconds", "nan"], 2, ("--seconds", "positive")),
    ("seconds-inf", lambda ws: ["record", ws.p("n.db3"), "--seconds", "inf"], 2, ("--seconds", "positive")),
    ("seconds-word", lambda ws: ["record", ws.p("n.db3"), "--seconds", "ten"], 2,
     ("--seconds", "expected a number of seconds", "'ten'")),
    ("demo-every-zero", lambda ws: ["demo", "--every", "0"], 2, ("--every", "must be 1 or more")),
    ("run-seconds-negative", lambda ws: ["run", "--seconds", "-5"], 2, ("--seconds", "positive")),
    ("record-onto-directory", lambda ws: ["record", "--synthetic", "rdl_clean", str(ws.results)], 2,
     ("results", "is a directory")),
    ("record-onto-db3-directory", lambda ws: (ws.write("d.db3/keep", "x"),
                                             ["record", "--synthetic", "rdl_clean", ws.p("d.db3")])[1],
     2, ("d.db3", "is a directory")),
    ("record-bag", lambda ws: ["record", "--synthetic", "rdl_clean", ws.p("x.bag")], 2, ("x.bag", ".db3")),
    ("record-unknown-scenario", lambda ws: ["record", "--synthetic", "rdl_clen", ws.p("n.db3")], 2,
     ("did you mean 'rdl_clean'",)),
    ("record-exists-no-force", lambda ws: ["record", "--synthetic", "rdl_clean", str(ws.rec), "--seconds", "0.3"],
     2, ("rec.db3", "already exists", "--force")),
    ("record-truth-exists-no-force", lambda ws: (ws.write("t2.truth.json", "{}"),
                                                ["record", "--synthetic", "rdl_clean", ws.p("t2.db3")])[1],
     2, ("t2.truth.json", "already exists", "--force")),
    ("record-camera-needs-seconds", lambda ws: ["--config", str(ws.cfg), "record", ws.p("cam.db3")], 2,
     ("needs --seconds",)),
    ("record-camera-too-long", lambda ws: ["--config", str(ws.cfg), "record", ws.p("cam.db3"), "--seconds", "600"],
     2, ("exceeds privacy.max_recording_s = 120",)),
    ("record-camera-not-allowed", _no_recording_allowed, 2, ("privacy.allow_explicit_recording = false",)),
    ("record-camera-absent", lambda ws: ["--config", str(ws.cfg), "record", ws.p("cam.db3"), "--seconds", "2"],
     2, ("no RealSense camera",)),
    # ---------------------------------------------------------------- file system
    ("fs-out-read-only", _seq(_ro_results, lambda ws: ws.analyze()), 2,
     ("result.json", "Read-only file system")),
    ("fs-out-new-in-read-only", _seq(_ro_results, lambda ws: ws.analyze(out=str(ws.results / "new.json"))), 2,
     ("new.json", "Read-only file system")),
    ("fs-record-read-only", _seq(_ro_results, lambda ws: ["record", "--synthetic", "rdl_clean",
                                                          str(ws.results / "take.db3")]), 2,
     ("take.db3", "Read-only file system")),
    ("fs-record-full-disk", _full_disk_record, 2, ("take.db3", "needs about", "MB are free")),
    ("fs-analyze-full-disk", _full_disk_analyze, 1,
     ("result.json", "No space left on device", "previous file", "unchanged")),
    ("fs-recordings-dir-read-only", _seq(_ro_results, _recordings_dir("../results/recs"),
                                         lambda ws: ["--config", str(ws.cfg), "record", "--synthetic", "rdl_clean"]),
     2, ("privacy.recordings_dir", "cannot create it", "Read-only file system")),
    ("fs-recordings-dir-loop", _seq(lambda ws: ws.loop("recs"), _recordings_dir("../recs"),
                                    lambda ws: ["--config", str(ws.cfg), "record", "--synthetic", "rdl_clean"]),
     2, ("privacy.recordings_dir", "Too many levels of symbolic links")),
]


def test_the_table_is_big_enough():
    assert len(ROWS) >= 50
    assert len({r[0] for r in ROWS}) == len(ROWS)


@pytest.mark.parametrize("name,setup,code,words", ROWS, ids=[r[0] for r in ROWS])
def test_bad_input(name, setup, code, words, tiny_recording, tmp_path, mounts, capsys, monkeypatch):
    monkeypatch.delenv("STATION_CONFIG", raising=False)
    ws = WS(tmp_path, tiny_recording, mounts)
    argv = setup(ws)
    before = tree_hashes(tmp_path)
    capsys.readouterr()
    try:
        rc = main(argv)
    except SystemExit as e:   # argparse
        rc = e.code
    err = capsys.readouterr().err
    assert rc == code, f"exit {rc}, stderr: {err}"
    for w in words:
        assert w in err, f"{w!r} not in: {err}"
    assert "Traceback" not in err
    assert sum(": error: " in line for line in err.splitlines()) == 1, err   # one error, said once
    assert tree_hashes(tmp_path) == before, "a file changed or a partial file was left"
