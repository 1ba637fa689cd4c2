"""Soak benchmark: the live station for a long time on a looping synthetic camera.

The live loop of `station run` (station.live.Station: LiveCamera → worker → overlay, with the
config watcher, the stored-calibration watcher and the usage log) runs headless on a
SoftwareCameraFeed: an rs.software_device that streams the synthetic athlete's session (walk
in, hinge, walk out) in a loop at its frame rate. Along the way it injects:

- a camera freeze (the device stays enumerated but sends nothing) and an unplug;
- a config flip: a valid edit (exercise rdl -> deadlift, reloaded), a broken edit (refused,
  the last good config stays), then the original file again.

It samples the process's resident memory (RSS) and the frames processed, and prints the RSS
slope (MB per 10 minutes, least squares after the warm-up), the frame rate over time, and the
camera recoveries with how long each outage lasted. Never passes or fails on time.

    SDL_VIDEODRIVER=dummy nice -n 10 python bench/soak.py --minutes 30

Target: memory flat (slope < 1 MB per 10 minutes); a frozen or unplugged camera streams
again within 5 s of its return.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from station import fileio  # noqa: E402

PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE / 1e6


@dataclasses.dataclass
class Sample:
    t_s: float
    rss_mb: float
    frames: int
    status: str


@dataclasses.dataclass
class SoakReport:
    seconds: float
    samples: list
    events: list                # (t_s, text)
    recoveries: int
    outages_s: list             # how long each outage lasted, camera side
    back_within_s: list         # from the camera's return to the next frame through the station
    rss_slope_mb_per_10min: float
    warmup_s: float
    frames: int
    config_reloaded: bool
    config_refused_kept_last_good: bool
    worker_error: str | None
    screens: dict = dataclasses.field(default_factory=dict)   # screen name -> display frames

    def fps_series(self) -> list[tuple[float, float]]:
        out = []
        for a, b in zip(self.samples, self.samples[1:]):
            if b.t_s > a.t_s:
                out.append((b.t_s, (b.frames - a.frames) / (b.t_s - a.t_s)))
        return out

    def print(self, file=sys.stdout) -> None:
        p = lambda *a: print(*a, file=file)  # noqa: E731
        p(f"soak: {self.seconds / 60:.1f} min, {self.frames} frames through the station")
        p("  t (s)   RSS (MB)   fps   camera")
        fps = dict(self.fps_series())
        for s in self.samples:
            f = fps.get(s.t_s)
            p(f"  {s.t_s:6.0f}  {s.rss_mb:9.1f}  {'' if f is None else f'{f:5.1f}':>5}   {s.status}")
        p("events:")
        for t, text in self.events:
            p(f"  {t:6.1f} s  {text}")
        p(f"RSS slope after {self.warmup_s:.0f} s warm-up: {self.rss_slope_mb_per_10min:+.2f} MB per 10 min "
          f"(target < 1)")
        rates = [f for _, f in self.fps_series()]
        if rates:
            p(f"frame rate: median {np.median(rates):.1f} fps, min {min(rates):.1f}, max {max(rates):.1f}")
        p(f"camera recoveries: {self.recoveries}; outages {', '.join(f'{o:.1f} s' for o in self.outages_s) or '-'}; "
          f"streaming again {', '.join(f'{b:.2f} s' for b in self.back_within_s) or '-'} after the camera "
          f"came back (target < 5 s)")
        p("screens drawn: " + ", ".join(f"{k} {v}" for k, v in sorted(self.screens.items())))
        p(f"config flip: valid edit reloaded {self.config_reloaded}; broken edit refused and the last good "
          f"config kept {self.config_refused_kept_last_good}")
        if self.worker_error:
            p(f"WORKER FAILED: {self.worker_error}")


def rss_slope(samples: list[Sample], warmup_s: float) -> float:
    pts = [(s.t_s, s.rss_mb) for s in samples if s.t_s >= warmup_s]
    if len(pts) < 3:
        return float("nan")
    t, m = np.array(pts).T
    return float(np.polyfit(t, m, 1)[0] * 600.0)


def run_soak(seconds: float, *, scenario: str = "session_walk_in_out", frames: int = 240,
             first: int = 90, step: int = 2, width: int | None = None, height: int | None = None,
             sample_s: float = 10.0, freeze_at: float = 0.3, freeze_s: float = 3.0,
             unplug_at: float = 0.75, unplug_s: float = 3.0, flip_at: float = 0.5,
             flip_gap_s: float = 4.0, display_fps: float = 30.0, frame_timeout_s: float = 1.0,
             warmup_s: float | None = None,
             log=print) -> SoakReport:
    """Run the soak for `seconds`; faults at the given fractions of the run (None: none)."""
    from station.config import ConfigWatcher
    from station.live import Station
    from station.sim.scenarios import get_scenario
    from station.sources.realsense import LiveCamera
    from station.sources.synthetic import SceneImages

    sc = get_scenario(scenario)
    if width is not None and height is not None:
        sc = dataclasses.replace(sc, width=width, height=height)
    images = SceneImages(sc, n=frames, first=first, step=step)
    log(f"soak: rendering {images.n} looping frames of {sc.name} ({sc.width}x{sc.height} at {sc.fps} fps)...")
    for i in range(images.n):
        images(i)

    work = Path(tempfile.mkdtemp(prefix="station-soak-"))
    cfg_path = work / "station.toml"
    base = (f'[station]\nid = "soak"\n[camera]\nframe_timeout_s = {frame_timeout_s}\n'
            f'[calibration]\nstate_dir = "{work}"\n[usage]\nlog_path = "{work}/usage.sqlite3"\n'
            f'[exercise]\ndefault = "rdl"\n')
    fileio.write_text(cfg_path, base)
    watcher = ConfigWatcher(cfg_path)
    from station.calibration import CalibrationWatcher
    from station.demo import demo_config

    cfg = demo_config(watcher.cfg, sc)
    watcher.cfg = cfg
    events: list[tuple[float, str]] = []
    samples: list[Sample] = []
    state = {"reloaded": False, "kept": False}

    from station.usage.recorder import open_recorder

    usage = open_recorder(cfg)          # the usage log, as `station run` keeps it
    with images.camera() as feed:
        camera = LiveCamera(feed.serial, sc.width, sc.height, sc.fps, devices=feed.devices,
                            frame_timeout_s=frame_timeout_s)
        station = Station(cfg, camera, size_px=(540, 960), headless=True, camera=camera, watcher=watcher,
                          max_s=seconds, display_fps=display_fps,
                          calibration_watcher=CalibrationWatcher(work), usage=usage)
        t0 = time.monotonic()
        stop = threading.Event()
        returns: list[float] = []      # monotonic times the camera came back
        back_within: list[float] = []

        def write_config(text: str) -> None:
            fileio.write_text(cfg_path, text)   # as an editor saves: a whole new file
            # a new mtime even within the file system's timestamp granularity
            st = cfg_path.stat()
            os.utime(cfg_path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))

        def schedule() -> None:
            plan = []
            if freeze_at is not None:
                plan.append((freeze_at * seconds, "freeze"))
            if flip_at is not None:
                plan += [(flip_at * seconds, "flip"), (flip_at * seconds + flip_gap_s, "break"),
                         (flip_at * seconds + 2 * flip_gap_s, "restore")]
            if unplug_at is not None:
                plan.append((unplug_at * seconds, "unplug"))
            plan.sort()
            next_sample = 0.0
            while not stop.is_set():
                now = time.monotonic() - t0
                if now >= next_sample:
                    tick = station.latest
                    samples.append(Sample(now, rss_mb(), tick.put_count, camera.status))
                    next_sample += sample_s
                while plan and now >= plan[0][0]:
                    _, what = plan.pop(0)
                    if what == "freeze":
                        feed.freeze(freeze_s)
                        returns.append(time.monotonic() + freeze_s)
                        events.append((now, f"camera frozen for {freeze_s:g} s (stays enumerated)"))
                    elif what == "unplug":
                        feed.unplug(unplug_s)
                        returns.append(time.monotonic() + unplug_s)
                        events.append((now, f"camera unplugged for {unplug_s:g} s"))
                    elif what == "flip":
                        write_config(base.replace('default = "rdl"', 'default = "deadlift"'))
                        events.append((now, "config flipped: exercise.default = deadlift"))
                    elif what == "break":
                        write_config(base.replace('default = "rdl"', 'default = "deadlift"')
                                     + "[zone]\nwidth_m = 99\n")
                        events.append((now, "config broken: zone.width_m = 99"))
                    elif what == "restore":
                        write_config(base)
                        events.append((now, "config restored (exercise.default = rdl)"))
                # when did frames reach the station again after each return?
                if returns and station.latest.get() is not None:
                    arrival = station.latest.get().arrival_mono
                    if arrival > returns[0]:
                        back_within.append(arrival - returns.pop(0))
                        events.append((now, f"streaming again {back_within[-1]:.2f} s after the camera returned"))
                if station.cfg.exercise.default == "deadlift" and not state["reloaded"]:
                    state["reloaded"] = True
                    events.append((now, "station reloaded the config: exercise deadlift"))
                if state["reloaded"] and watcher.last_error is not None and not state["kept"]:
                    state["kept"] = station.cfg.exercise.default == "deadlift"
                    first_line = str(watcher.last_error).splitlines()[0]
                    events.append((now, f"broken config refused, last good kept: {first_line}"))
                time.sleep(0.05)

        sampler = threading.Thread(target=schedule, name="soak-sampler", daemon=True)
        sampler.start()
        stats = station.run()
        stop.set()
        sampler.join(timeout=5)
        samples.append(Sample(time.monotonic() - t0, rss_mb(), station.latest.put_count, camera.status))
    if usage is not None:
        usage.close()
    if warmup_s is None:
        warmup_s = min(120.0, 0.2 * seconds)
    report = SoakReport(
        seconds=seconds, samples=samples, events=events, recoveries=camera.recoveries,
        outages_s=list(camera.outages_s), back_within_s=back_within,
        rss_slope_mb_per_10min=rss_slope(samples, warmup_s), warmup_s=warmup_s,
        frames=stats.ticks_made, config_reloaded=state["reloaded"],
        config_refused_kept_last_good=state["kept"], worker_error=stats.worker_error,
        screens=dict(stats.screens))
    return report


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=30.0, help="how long (default 30)")
    ap.add_argument("--scenario", default="session_walk_in_out")
    ap.add_argument("--frames", type=int, default=240, help="images in the camera's loop")
    ap.add_argument("--sample-s", type=float, default=10.0, help="seconds between samples")
    ap.add_argument("--display-fps", type=float, default=30.0)
    args = ap.parse_args()
    report = run_soak(args.minutes * 60.0, scenario=args.scenario, frames=args.frames,
                      sample_s=args.sample_s, display_fps=args.display_fps)
    report.print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
