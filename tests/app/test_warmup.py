"""`station warm-up` runs the synthetic visit through the station and reports the kernels."""
from __future__ import annotations

from pathlib import Path

import station
from station.cli import main
from station.warmup import station_kernels, warm_up

# kernels every tracked frame of the live path runs: the warm-up must compile them
LIVE_PATH = (
    "station.segment._kernels.classify_pixels",
    "station.segment._kernels.connected_components",
    "station.segment._kernels_depth.decimate_median4_valid",
    "station.fit._kernels_lm_loop.lm_iterations",
)


def test_station_kernels_finds_every_module_that_caches_a_kernel():
    kernels = station_kernels()
    root = Path(station.__file__).resolve().parent
    for folder in ("fit", "segment", "sim"):
        for f in (root / folder).glob("*.py"):
            if b"cache=True" in f.read_bytes():
                assert any(k.startswith(f"station.{folder}.{f.stem}.") for k in kernels), f
    for name in LIVE_PATH:
        assert name in kernels


def test_warm_up_compiles_the_live_path_and_accounts_for_every_kernel():
    report = warm_up(seconds=6.0)
    assert report.frames >= 150            # 6 s at 30 frames/s went through the pipeline
    assert set(LIVE_PATH) <= set(report.compiled)
    assert sorted(report.compiled + report.not_compiled) == sorted(station_kernels())
    assert "kernels compiled or loaded" in report.summary()


def test_warm_up_command(capsys):
    assert main(["warm-up", "--seconds", "2"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("station warm-up: ") and " kernels compiled or loaded from the cache" in out
