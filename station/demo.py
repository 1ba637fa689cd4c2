"""`station demo`: the whole station (fitter, form evaluator, overlay) on the synthetic athlete.

The synthetic athlete's frames go through pyrealsense2's software device, in real time,
into the same runtime as the live station (station.live.Station). With a display it opens
a window (the lifter's screen scaled to fit, or fullscreen); headless it draws offscreen
and writes PNG snapshots of the lifter's screen, optionally with the engineer's debug view
(depth, segmented lifter, fitted skeleton) beside it. With no display and no --headless
it falls back to headless with a message.
"""
from __future__ import annotations

import sys

from station.config import StationConfig, load_station_config
from station.live import RunStats, Station
from station.overlay.screen import desktop_size, display_available
from station.sources.synthetic import SyntheticSource


def window_size(cfg: StationConfig, desktop: tuple[int, int] | None, fraction: float = 0.9) -> tuple[int, int]:
    """The configured display's pixels, scaled down to fit `fraction` of the desktop."""
    w, h = cfg.display.width_px, cfg.display.height_px
    if desktop is None:
        return w, h
    s = min(1.0, fraction * desktop[0] / w, fraction * desktop[1] / h)
    return max(1, int(w * s)), max(1, int(h * s))


DISPLAY_TOP_M = 1.80   # the default station's display top above the floor (camera 1.90 m, 0.10 below)


def demo_config(cfg: StationConfig, scenario) -> StationConfig:
    """The station config with the camera where the scenario put it.

    The display stays where the default station has it (top DISPLAY_TOP_M above the
    floor, centred on the glass); when the scenario's camera would be behind the display, it
    moves beside it (to the right as seen from the front). Raises ConfigError if the result
    is not a valid station (it always is for the packaged scenarios).
    """
    from station.config import ConfigError

    mount = scenario.mount()
    d, g = cfg.display, cfg.mirror
    top_below = mount.height_m - DISPLAY_TOP_M
    behind_display = DISPLAY_TOP_M - d.height_m - 0.05 <= mount.height_m <= DISPLAY_TOP_M + 0.05
    lateral = (d.width_m / 2 + 0.10) if behind_display else 0.0
    doc = cfg.model_dump()
    doc["camera"]["mount"].update(height_m=round(mount.height_m, 4), pitch_down_deg=round(mount.pitch_down_deg, 3),
                                  roll_deg=round(mount.roll_deg, 3), lateral_offset_m=round(lateral, 4))
    doc["display"].update(top_edge_below_camera_m=round(top_below, 4),
                          left_edge_from_camera_m=round(-lateral - d.width_m / 2, 4))
    try:
        return StationConfig.model_validate(doc, strict=False)
    except Exception as e:  # pydantic ValidationError: report it as a config problem
        raise ConfigError(f"demo: cannot place the camera of scenario {scenario.name} on the "
                          f"station's glass ({g.width_m} x {g.height_m} m): {e}") from None


def run_demo(scenario: str = "rdl_mixed_faults", headless: bool = False, snapshots: str | None = None,
             seconds: float | None = None, every: int = 15, cfg: StationConfig | None = None,
             fullscreen: bool = False, debug_view: bool = False, size_px: tuple[int, int] | None = None,
             real_time: bool = True, quiet: bool = False, usage_log: str | None = None) -> int | RunStats:
    """Run the demo; returns 0 (the CLI's exit status). With quiet=True returns the RunStats."""
    if not headless and not display_available():
        headless = True
        snapshots = snapshots or "demo-snapshots"
        print(f"station demo: no display found; running headless and writing PNG snapshots to {snapshots}/",
              file=sys.stderr)
    source = SyntheticSource(scenario, real_time=real_time)
    cfg = demo_config(cfg or load_station_config(), source.scenario)
    if seconds is not None:
        source.n_frames = min(source.n_frames, int(round(seconds * source.fps)) + 1)
    if size_px is None:
        size_px = (cfg.display.width_px, cfg.display.height_px) if (headless or fullscreen) \
            else window_size(cfg, desktop_size())
    usage = _demo_usage(cfg, usage_log)
    station = Station(cfg, source, size_px=size_px, headless=headless, fullscreen=fullscreen and not headless,
                      snapshots=snapshots, every=every, debug_view=debug_view,
                      title=f"Mirror station demo: {source.take.scenario.name}", usage=usage)
    try:
        stats = station.run()
    finally:
        _close_demo_usage(usage, usage_log, quiet)
    if quiet:
        return stats
    print(f"station demo: {source.take.scenario.name}: {stats.ticks_made} frames, reps {stats.max_rep_count}, "
          f"cues {len(stats.cues_seen)}; {stats.summary()}"
          + (f"; {len(stats.snapshots)} snapshots in {snapshots}/" if snapshots else ""))
    if stats.worker_error:
        print(f"station demo: the pipeline stopped: {stats.worker_error}", file=sys.stderr)
        return 1
    return 0


def _demo_usage(cfg: StationConfig, usage_log: str | None):
    """The demo's usage recorder: on `usage_log`, or on a throwaway temporary file."""
    import tempfile
    from pathlib import Path

    from station.usage.recorder import open_recorder

    path = Path(usage_log) if usage_log else Path(tempfile.mkdtemp(prefix="station-demo-usage-")) / "usage.sqlite3"
    return open_recorder(cfg, path)


def _close_demo_usage(usage, usage_log: str | None, quiet: bool) -> None:
    import shutil

    if usage is None:
        return
    usage.close()
    path = usage.log.path
    if usage_log:
        if not quiet:
            print(f"station demo: usage log {path}; see it with: station summary --db {path} "
                  "--date today --out DIR")
    else:
        shutil.rmtree(path.parent, ignore_errors=True)
