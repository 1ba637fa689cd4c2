"""Files are never lost: whole-file writes (station.fileio), recordings verified and
replaced atomically, kill -9 mid-recording, --force, the default recordings directory, and
the profiles `config check` and `--exercise` agree on."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from station import fileio
from station.cli import main
from station.config import default_config_dir
from station.model import Intrinsics
from station.sources.recording import open_recording, write_recording

from tests.app.fsutil import mounts, tree_hashes  # noqa: F401  (fixture)

REPO = Path(__file__).resolve().parents[2]
INTR = Intrinsics(width=212, height=120, fx=110.0, fy=110.0, ppx=106.0, ppy=60.0,
                  model="brown_conrady", coeffs=(0.0, 0.0, 0.0, 0.0, 0.0))


# ------------------------------------------------------------------ station.fileio

def test_write_bytes_replaces_whole_and_keeps_the_mode(tmp_path):
    p = tmp_path / "doc.json"
    p.write_text("old")
    os.chmod(p, 0o640)
    fileio.write_json(p, {"a": 1})
    assert json.loads(p.read_text()) == {"a": 1}
    assert p.stat().st_mode & 0o777 == 0o640
    assert sorted(x.name for x in tmp_path.iterdir()) == ["doc.json"]   # no temporary left


def test_a_short_write_is_an_error_and_the_old_file_stays(tmp_path, mounts):
    d = mounts.tmpfs(tmp_path / "small", "8k")
    p = d / "out.json"
    p.write_bytes(b"previous")
    with pytest.raises(fileio.FileWriteError, match=r"out\.json.*No space left on device.*unchanged"):
        fileio.write_bytes(p, b"x" * 100_000)
    assert p.read_bytes() == b"previous"
    assert sorted(x.name for x in d.iterdir()) == ["out.json"]


def test_staged_file_is_discarded_on_error_and_stale_partials_are_swept(tmp_path):
    target = tmp_path / "take.db3"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with fileio.StagedFile(target) as tmp:
            tmp.write_bytes(b"half")
            raise RuntimeError("killed")
    assert fileio.partial_files(target) == [] and target.read_bytes() == b"old"
    # a partial left by a process that no longer exists (kill -9) is removed by the next write
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f".take.partial-{dead.pid}-abcd.db3"
    stale.write_bytes(b"partial")
    mine = tmp_path / f".take.partial-{os.getpid()}-beef.db3"
    mine.write_bytes(b"in progress")
    fileio.StagedFile(target)
    assert not stale.exists() and mine.exists()


def test_check_output_refuses_before_any_work(tmp_path):
    (tmp_path / "in.db3").write_bytes(b"rec")
    with pytest.raises(fileio.OutputError, match="is the input"):
        fileio.check_output(tmp_path / "in.db3", inputs=[tmp_path / "in.db3"])
    with pytest.raises(fileio.OutputError, match="already exists; use --force"):
        fileio.check_output(tmp_path / "in.db3", overwrite=False, exists_hint="use --force")
    with pytest.raises(fileio.OutputError, match="needs about"):
        fileio.check_output(tmp_path / "big.db3", need_bytes=10**15)
    assert fileio.check_output(tmp_path / "new.json") == tmp_path / "new.json"
    assert sorted(x.name for x in tmp_path.iterdir()) == ["in.db3"]   # the probe is gone


# ------------------------------------------------------------------ recordings

def test_a_recording_that_does_not_fit_is_an_error_and_the_old_pair_stays(tmp_path, mounts):
    """No space check here: the SDK's writer drops frames silently on a full disk; the
    frame count read back catches it, and neither the recording nor its truth is replaced."""
    d = mounts.tmpfs(tmp_path / "small", "1m")
    old = d / "take.db3"
    write_recording(old, [np.full((120, 212), 1, np.uint16)] * 2, INTR, fps=30)
    truth = d / "take.truth.json"
    truth.write_text('{"old": true}')
    before = tree_hashes(d)
    frames = [np.random.default_rng(i).integers(0, 5000, (120, 212), dtype=np.uint16) for i in range(40)]
    with pytest.raises(fileio.FileWriteError, match=r"take\.db3: the recording is incomplete"):
        write_recording(old, frames, INTR, fps=30, companions={truth: b'{"new": true}'})
    assert tree_hashes(d) == before


def test_record_force_replaces_the_recording_and_its_truth_together(tmp_path, capsys):
    out = tmp_path / "take.db3"
    assert main(["record", "--synthetic", "rdl_clean", str(out), "--seconds", "0.2"]) == 0
    first = tree_hashes(tmp_path)
    assert main(["record", "--synthetic", "rdl_clean", str(out), "--seconds", "0.3"]) == 2
    assert "already exists" in capsys.readouterr().err and tree_hashes(tmp_path) == first
    assert main(["record", "--synthetic", "rdl_clean", str(out), "--seconds", "0.3", "--force"]) == 0
    assert "wrote 10 frames" in capsys.readouterr().out
    with open_recording(out) as pb:
        assert pb.frame_count == 10 == len(pb.frames())
    assert len(json.loads(out.with_name("take.truth.json").read_text())["frames"]) == 10
    assert sorted(p.name for p in tmp_path.iterdir()) == ["take.db3", "take.truth.json"]


def test_kill_9_during_record_leaves_the_old_recording_and_no_partial_passing_as_complete(tmp_path):
    out = tmp_path / "take.db3"
    assert main(["record", "--synthetic", "rdl_clean", str(out), "--seconds", "0.2"]) == 0
    before = tree_hashes(tmp_path)
    proc = subprocess.Popen([sys.executable, "-m", "station.cli", "record", "--synthetic", "rdl_clean",
                             str(out), "--seconds", "8", "--force"], cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and proc.poll() is None:
            parts = [p for p in fileio.partial_files(out) if p.suffix == ".db3"]
            if parts and parts[0].stat().st_size > 3_000_000:   # several frames are on disk
                break
            time.sleep(0.05)
        assert proc.poll() is None, "the recording finished before it could be killed"
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert tree_hashes(out.parent).items() >= before.items()        # the old pair untouched
    leftovers = set(tree_hashes(tmp_path)) - set(before)
    assert leftovers and all(name.startswith(".take.") and ".partial-" in name for name in leftovers)
    # the next write of the same recording sweeps the dead process's partial files
    assert main(["record", "--synthetic", "rdl_clean", str(out), "--seconds", "0.2", "--force"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["take.db3", "take.truth.json"]


def test_record_without_out_goes_to_privacy_recordings_dir(tmp_path, capsys):
    cfg_dir = tmp_path / "cfg"
    shutil.copytree(default_config_dir(), cfg_dir)
    cfg = cfg_dir / "station.toml"
    cfg.write_text(cfg.read_text().replace('recordings_dir = "/var/lib/station/recordings"',
                                           'recordings_dir = "../recs"'))
    assert main(["--config", str(cfg), "record", "--synthetic", "rdl_clean", "--seconds", "0.2"]) == 0
    made = sorted(p.name for p in (tmp_path / "recs").iterdir())
    assert len(made) == 2 and made[0].startswith("rdl_clean-") and made[0].endswith(".db3")
    assert made[1] == made[0].replace(".db3", ".truth.json")


# ------------------------------------------------------------------ profiles: check == --exercise

def test_an_extra_profile_passes_the_check_and_is_accepted_by_exercise(tmp_path, capsys):
    cfg_dir = tmp_path / "cfg"
    shutil.copytree(default_config_dir(), cfg_dir)
    rdl = (cfg_dir / "exercises" / "rdl.toml").read_text()
    (cfg_dir / "exercises" / "sumo.toml").write_text(rdl.replace('name = "rdl"', 'name = "sumo"')
                                                     .replace('title = "Romanian deadlift"', 'title = "Sumo RDL"'))
    cfg = cfg_dir / "station.toml"
    rec = tmp_path / "rec.db3"
    assert main(["record", "--synthetic", "rdl_clean", str(rec), "--seconds", "0.2"]) == 0
    assert main(["config", "check", str(cfg)]) == 0
    assert main(["--config", str(cfg), "analyze", str(rec), "--out", str(tmp_path / "r.json"),
                 "--exercise", "sumo"]) == 0
    assert json.loads((tmp_path / "r.json").read_text())["exercise"] == "sumo"
