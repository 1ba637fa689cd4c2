"""A short soak (bench/soak.py) on the looping synthetic camera: the live loop survives a
camera freeze, an unplug and a config flip, and streams again within 5 s of the camera's return."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.soak import run_soak  # noqa: E402


def test_short_soak_recovers_from_freeze_and_unplug_and_follows_the_config_flip():
    r = run_soak(15.0, frames=20, first=100, step=3, width=424, height=240, sample_s=1.0,
                 freeze_at=0.2, freeze_s=1.5, flip_at=0.4, flip_gap_s=1.5, unplug_at=0.7, unplug_s=1.5,
                 display_fps=10.0, log=lambda *a: None)
    assert r.worker_error is None
    assert r.recoveries == 2 and len(r.back_within_s) == 2
    assert all(b < 5.0 for b in r.back_within_s), r.back_within_s
    assert r.config_reloaded and r.config_refused_kept_last_good
    assert r.frames > 100
    assert r.screens.get("attention", 0) > 0          # "station needs attention" while it was out
    assert r.samples[-1].status == "stopped" and len(r.samples) >= 10
    fps = [f for _, f in r.fps_series()]
    assert max(fps) > 5.0 and min(fps) < 0.6 * max(fps)   # frames flowed, and paused in the outages
