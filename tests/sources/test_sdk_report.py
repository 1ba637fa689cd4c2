"""The RealSense SDK's own usage report (~/.rum/rum.json) never stays on a station's disk,
and no tool may upload it (station/sources/realsense/sdk_report.py, docs/privacy.md)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(home: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, HOME=str(home), PYTHONPATH=str(ROOT))
    env.pop("RS2_RUM_CLOUD_ENABLED", None)
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_the_sdk_writes_its_report_into_home_but_a_station_run_leaves_none(tmp_path):
    # the SDK on its own: a context that closes writes $HOME/.rum/rum.json (what we guard against)
    bare = tmp_path / "bare-home"
    bare.mkdir()
    r = _run(bare, "-c", "import pyrealsense2 as rs; c = rs.context(); del c", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (bare / ".rum" / "rum.json").is_file()

    # the synthetic athlete recorded through the SDK's software device, then analysed through
    # its playback: nothing of the SDK's is left in the home directory
    home = tmp_path / "home"
    home.mkdir()
    r = _run(home, "-m", "station", "record", "--synthetic", "rdl_clean", "--seconds", "1",
             str(tmp_path / "take.db3"), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    r = _run(home, "-m", "station", "analyze", str(tmp_path / "take.db3"), "--out", str(tmp_path / "take.json"),
             cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "take.json").is_file()
    assert sorted(p.name for p in home.rglob("*")) == []


def test_a_report_another_realsense_program_left_is_not_touched(tmp_path):
    report = tmp_path / ".rum" / "rum.json"
    report.parent.mkdir()
    report.write_text("{}")
    r = _run(tmp_path, "-c", "import station.sources.realsense as s; import pyrealsense2 as rs; "
                             "c = rs.context(); del c", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert report.is_file()


def test_no_upload_even_when_the_user_once_consented(tmp_path):
    # consent saved by the RealSense Viewer in this home: the SDK would allow an upload
    (tmp_path / ".realsense-config.json").write_text('{"rum_cloud_enabled": "1"}')
    code = ("import pyrealsense2 as rs; a = rs.rum.is_cloud_enabled(); "
            "import station.sources.realsense; print(a, rs.rum.is_cloud_enabled())")
    r = _run(tmp_path, "-c", code, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["True", "False"]
    assert (tmp_path / ".realsense-config.json").read_text() == '{"rum_cloud_enabled": "1"}'


def test_the_service_keeps_the_report_off_the_disk_and_forbids_upload():
    text = (ROOT / "systemd" / "station.service").read_text()
    env = [line.split("=", 1)[1] for line in text.splitlines() if line.startswith("Environment=")]
    assert "RS2_RUM_CLOUD_ENABLED=0" in env
    tmpfs = [line.split("=", 1)[1] for line in text.splitlines() if line.startswith("TemporaryFileSystem=")]
    # the service user's home is the state directory (hardware/provision.sh: useradd --home-dir)
    provision = (ROOT / "hardware" / "provision.sh").read_text()
    assert "STATE=/var/lib/station" in provision and '--home-dir "$STATE"' in provision
    assert "/var/lib/station/.rum:ro" in tmpfs
