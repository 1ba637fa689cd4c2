"""`station demo`: the station's main job on the built-in synthetic athlete, no camera needed.

The synthetic athlete's frames go through pyrealsense2's software device into the same
pipeline as the live station. With a display it opens a window at real-time speed;
headless (or with no display) it writes PNG snapshots.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from station.app import Pipeline, lifting_zone
from station.config import StationConfig
from station.overlay.debug_view import debug_image
from station.overlay.screen import Screen, display_available
from station.sources.synthetic import SyntheticSource

_PANEL_W = 420


def _panel_lines(res, fps: float, scenario: str) -> list[str]:
    lines = [f"scenario: {scenario}", f"t = {res.t_s:6.2f} s   {fps:4.1f} fps",
             f"tracker: {res.track.state}"]
    if res.segment.camera_height_m is not None and res.segment.camera_pitch_deg is not None:
        lines.append(f"camera {res.segment.camera_height_m:.2f} m, pitch {res.segment.camera_pitch_deg:.1f} deg")
    if res.angles:
        a = res.angles
        lines += [f"trunk {a['trunk_inclination']:5.1f} deg",
                  f"hip   {0.5 * (a['hip_flexion_l'] + a['hip_flexion_r']):5.1f} deg",
                  f"knee  {0.5 * (a['knee_flexion_l'] + a['knee_flexion_r']):5.1f} deg",
                  f"spine {a['spine_flexion']:5.1f} deg",
                  f"shift {100 * a['pelvis_lateral_shift']:5.1f} cm"]
    lines.append(f"segment {res.timings_ms['segment']:.1f} ms  fit {res.timings_ms['fit']:.1f} ms")
    return lines


def run_demo(scenario: str = "rdl_mixed_faults", headless: bool = False, snapshots: str | None = None,
             seconds: float | None = None, every: int = 15, cfg: StationConfig | None = None) -> int:
    if not headless and not display_available():
        headless = True
        snapshots = snapshots or "demo-snapshots"
        print(f"station demo: no display found; running headless and writing PNG snapshots to {snapshots}/",
              file=sys.stderr)
    if snapshots:
        Path(snapshots).mkdir(parents=True, exist_ok=True)
    source = SyntheticSource(scenario, real_time=not headless)
    if seconds is not None:
        source.n_frames = min(source.n_frames, int(round(seconds * source.fps)) + 1)
    take = source.take

    pipe = Pipeline(cfg, zone=None)
    w, h = source.intrinsics.width, source.intrinsics.height
    screen = Screen((w + _PANEL_W, h), headless=headless)
    t_last = time.monotonic()
    fps = 0.0
    n_written = 0
    tracked = 0
    try:
        for i, frame in enumerate(source):
            res = pipe.process(frame)
            tracked += res.tracked
            now = time.monotonic()
            fps = 0.9 * fps + 0.1 / max(now - t_last, 1e-6) if i else 0.0
            t_last = now
            screen.clear()
            screen.blit_rgb(debug_image(frame, res.segment.cloud, res.skeleton), (0, 0))
            for k, line in enumerate(_panel_lines(res, fps, take.scenario.name)):
                screen.text(line, (w + 16, 16 + 34 * k), 30)
            if snapshots and i % max(every, 1) == 0:
                screen.save_png(Path(snapshots) / f"frame_{i:05d}.png")
                n_written += 1
            if not headless and not screen.present():
                source.stop()
                break
    finally:
        screen.close()
    print(f"station demo: {take.scenario.name}: {source.n_frames} frames, tracked {tracked}"
          + (f", {n_written} snapshots in {snapshots}/" if snapshots else ""))
    return 0
