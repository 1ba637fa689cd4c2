"""`station demo`: the whole station (fitter, form evaluator, overlay) on the synthetic athlete.

The synthetic athlete's frames go through pyrealsense2's software device, in real time,
into the same runtime as the live station (station.live.Station). With a display it opens
a window (the lifter's screen scaled to fit, or fullscreen); headless it draws offscreen
and writes PNG snapshots of the lifter's screen, optionally with the engineer's debug view
(depth, segmented lifter, fitted skeleton) beside it. With no display and no --headless
it falls back to headless with a message.
"""
from __future__ import annotations

import re
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

from station.config import StationConfig, load_station_config
from station.live import RunStats, Station
from station.overlay.screen import desktop_size, display_available
from station.audio.speech import audio_from_config
from station.sim.scenarios import get_scenario
from station.sources.synthetic import SyntheticSource


def window_size(cfg: StationConfig, desktop: tuple[int, int] | None, fraction: float = 0.9) -> tuple[int, int]:
    """The configured display's pixels, scaled down to fit `fraction` of the desktop."""
    w, h = cfg.display.width_px, cfg.display.height_px
    if desktop is None:
        return w, h
    s = min(1.0, fraction * desktop[0] / w, fraction * desktop[1] / h)
    return max(1, int(w * s)), max(1, int(h * s))


DISPLAY_GAP_M = 0.10        # the display's edge this far from the lens (the camera must see past it)
REFLECTION_BAND_M = (0.80, 1.75)   # heights on the glass where a lifter 2-3 m out sees their body
MIN_OVERLAP_M = 0.60        # a display above or below the lens must cover this much of the band


def demo_setup(cfg: StationConfig, scenario) -> tuple[StationConfig, object]:
    """The station config with the camera where the scenario put it, the display where the
    lifter sees their reflection, and the scenario with the lifter in front of the display.

    Preferred: the display centred on the camera across the glass, just below it (as on the
    default station) or just above it, when that covers at least MIN_OVERLAP_M of the band of
    the glass where the lifter's body reflects (REFLECTION_BAND_M). Otherwise (a camera at
    chest height, 1.2-1.5 m) the display goes beside the camera, centred on the band, and the
    lifter and the lifting zone move across to stand in front of it, as staff would set such a
    station up. The camera is never behind the display. Raises ConfigError if nothing fits.
    """
    from dataclasses import replace as dc_replace

    from station.config import ConfigError

    mount = scenario.mount()
    d, g = cfg.display, cfg.mirror
    h = mount.height_m
    lo, hi = g.bottom_height_m, g.bottom_height_m + g.height_m

    def fits(top: float) -> bool:
        return top - d.height_m >= lo - 1e-9 and top <= hi + 1e-9

    def overlap(top: float) -> float:
        return max(0.0, min(top, REFLECTION_BAND_M[1]) - max(top - d.height_m, REFLECTION_BAND_M[0]))

    vertical = [(overlap(top), top) for top in (h - DISPLAY_GAP_M, h + DISPLAY_GAP_M + d.height_m) if fits(top)]
    best = max(vertical, default=None)
    lateral_m = 0.0            # display centre, mirror x (the lifter's right) relative to the lens
    if best is not None and best[0] >= MIN_OVERLAP_M:
        top = best[1]
    else:
        band_mid = 0.5 * sum(REFLECTION_BAND_M)
        top = min(max(band_mid + d.height_m / 2, lo + d.height_m), hi)
        lateral_m = d.width_m / 2 + DISPLAY_GAP_M
        if not fits(top) or abs(lateral_m) + d.width_m / 2 > g.width_m:
            raise ConfigError(f"demo: the {d.width_m:g} x {d.height_m:g} m display does not fit on the glass "
                              f"({g.width_m:g} x {g.height_m:g} m) beside a camera at {h:g} m "
                              f"(scenario {scenario.name})")
    doc = cfg.model_dump()
    # the camera goes where the glass has room for the display beside it
    cam_x = 0.0 if lateral_m == 0.0 else -lateral_m / 2
    doc["camera"]["mount"].update(height_m=round(h, 4), pitch_down_deg=round(mount.pitch_down_deg, 3),
                                  roll_deg=round(mount.roll_deg, 3), lateral_offset_m=round(cam_x, 4))
    doc["display"].update(top_edge_below_camera_m=round(h - top, 4),
                          left_edge_from_camera_m=round(lateral_m - d.width_m / 2, 4))
    # the zone is in front of the display (not the station default's, which is for the default
    # mount): floor x (the camera's right) is the lifter's left = -mirror x
    doc["zone"]["centre_lateral_m"] = round(-lateral_m, 4)
    if lateral_m:
        scenario = dc_replace(scenario, lifter_x_m=scenario.lifter_x_m - lateral_m)
    try:
        return StationConfig.model_validate(doc, strict=False), scenario
    except Exception as e:  # pydantic ValidationError: report it as a config problem
        raise ConfigError(f"demo: cannot place the camera of scenario {scenario.name} on the "
                          f"station's glass ({g.width_m} x {g.height_m} m): {e}") from None


def demo_config(cfg: StationConfig, scenario) -> StationConfig:
    """The config of demo_setup (for callers that keep the scenario as it is)."""
    return demo_setup(cfg, scenario)[0]


DEFAULT_SNAPSHOTS = "demo-snapshots"
SNAPSHOT_RE = re.compile(r"^frame_\d{5}\.png$")
CONTACT_SHEET = "contact_sheet.png"


def clear_snapshots(folder: str | Path) -> int:
    """Remove the demo's own earlier files from `folder` (frame_NNNNN.png and the contact
    sheet), nothing else; returns how many were removed."""
    folder = Path(folder)
    if not folder.is_dir():
        return 0
    n = 0
    for p in folder.iterdir():
        if p.is_file() and (SNAPSHOT_RE.match(p.name) or p.name == CONTACT_SHEET):
            p.unlink()
            n += 1
    return n


class _VisitSource:
    """The scenario's frames, then the empty (or still) scene for `tail_s` more: the station
    closes the set, shows its summary and goes back to idle, as after a real visit. The tail
    repeats the scenario's last depth image (it came through pyrealsense2 like the rest) with
    advancing timestamps."""

    def __init__(self, source: SyntheticSource, tail_s: float, real_time: bool):
        self.source, self.tail_s, self.real_time = source, tail_s, real_time
        self.scenario, self.take, self.fps = source.scenario, source.take, source.fps
        self._stopped = threading.Event()

    def __iter__(self):
        last = None
        for last in self.source:
            yield last
        if last is None:
            return
        period = 1.0 / self.fps
        for k in range(1, int(round(self.tail_s * self.fps)) + 1):
            if self._stopped.is_set():
                return
            if self.real_time:
                time.sleep(period)
            yield replace(last, timestamp_s=last.timestamp_s + k * period, frame_number=last.frame_number + k)

    def stop(self) -> None:
        self._stopped.set()
        self.source.stop()


def exercise_config(cfg: StationConfig, exercise: str) -> StationConfig:
    """The config with `exercise` fixed: the default profile, recognition off."""
    from station.config import ConfigError

    if exercise not in cfg.exercise.available:
        import difflib

        close = difflib.get_close_matches(exercise, cfg.exercise.available, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ConfigError(f"unknown exercise {exercise!r}{hint}; available: {', '.join(cfg.exercise.available)}")
    doc = cfg.model_dump()
    doc["exercise"].update(default=exercise)
    if "recognize" in doc["exercise"]:
        doc["exercise"]["recognize"] = False
    return StationConfig.model_validate(doc, strict=False)


def run_demo(scenario: str = "session_walk_in_out", headless: bool = False, snapshots: str | None = None,
             seconds: float | None = None, every: int = 15, cfg: StationConfig | None = None,
             fullscreen: bool = False, debug_view: bool = False, size_px: tuple[int, int] | None = None,
             real_time: bool = True, quiet: bool = False, exercise: str | None = None,
             tail_s: float | None = None, contact_sheet: bool = True,
             usage_log: str | None = None, audio: bool = False) -> int | RunStats:
    """Run the demo; returns 0 (the CLI's exit status). With quiet=True returns the RunStats.

    Raises ValueError for an unknown scenario (the message suggests the nearest name) and
    ConfigError for an unknown exercise. With snapshots, the folder's earlier demo files are
    removed first and a contact sheet of the whole visit (CONTACT_SHEET) is written after.
    """
    sc = get_scenario(scenario) if isinstance(scenario, str) else scenario
    cfg = cfg or load_station_config()
    if exercise is not None:
        cfg = exercise_config(cfg, exercise)
    cfg, sc = demo_setup(cfg, sc)
    if not headless and not display_available():
        headless = True
        snapshots = snapshots or DEFAULT_SNAPSHOTS
        print(f"station demo: no display found; running headless and writing PNG snapshots to {snapshots}/",
              file=sys.stderr)
    synth = SyntheticSource(sc, real_time=real_time)
    if seconds is not None:
        synth.n_frames = min(synth.n_frames, int(round(seconds * synth.fps)) + 1)
        tail_s = 0.0 if tail_s is None else tail_s
    if tail_s is None:
        # long enough for the set to close (the lifter leaves, or rests) and its summary to show
        tail_s = min(cfg.sets.rest_s, cfg.sets.leave_s + 1.0) + 4.0 if sc.motion == "session" \
            else cfg.sets.rest_s + 4.0
    source = _VisitSource(synth, tail_s, real_time)
    if snapshots:
        clear_snapshots(snapshots)
    if size_px is None:
        size_px = (cfg.display.width_px, cfg.display.height_px) if (headless or fullscreen) \
            else window_size(cfg, desktop_size())
    usage = _demo_usage(cfg, usage_log)
    station = Station(cfg, source, size_px=size_px, headless=headless, fullscreen=fullscreen and not headless,
                      snapshots=snapshots, every=every, debug_view=debug_view,
                      title=f"Mirror station demo: {sc.name}", usage=usage,
                      audio=audio_from_config(cfg) if audio else None)
    try:
        stats = station.run()
    finally:
        _close_demo_usage(usage, usage_log, quiet)
    sheet = None
    if snapshots and contact_sheet and stats.snapshots:
        from station.overlay.screen import write_contact_sheet

        sheet = Path(snapshots) / CONTACT_SHEET
        write_contact_sheet(stats.snapshots, stats.snapshot_captions, sheet,
                            title=f"station demo --scenario {sc.name}")
    if quiet:
        return stats
    print(f"station demo: {sc.name}: {stats.ticks_made} frames, reps {stats.max_rep_count}, "
          f"cues {len(stats.cues_seen)}; {stats.summary()}"
          + (f"; {len(stats.snapshots)} snapshots in {snapshots}/" if snapshots else "")
          + (f"; contact sheet {sheet}" if sheet else "")
          + (f"; spoken {len(stats.spoken)}" if audio else ""))
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
