"""Usage log and summary benchmark (figures, not pass/fail).

1. Write cost and sustained write rate while the pipeline runs: the station's Worker (the live
   runtime's pipeline thread: segmenter, fitter, form evaluator) on the synthetic athlete, with
   the UsageRecorder hooked in as `station run` has it. Printed: the recorder's cost per
   processed frame (target ≤ 0.1 ms), the pipeline's ms per frame with and without the log, and
   the rows per second the writer thread commits when a second thread floods it with events
   at the same time (the sustained write rate), with the queue left at the end.
2. Summary speed on generated logs of ten stations (station.usage.generate; a gym's day:
   ~30 visits, ~300 reps, a frame-rate sample a minute while open): one night for ten stations
   (from their databases, and from their nightly exports as a gym merges them; target ≤ 2 s),
   and a year of ten stations (every day's figures for each station and the gym; target ≤ 30 s
   within 300 MB), each measured in a fresh process for its peak memory (max RSS). Retention is
   400 days for that run, as the nightly job would apply it.

    python bench/usage.py                     # both (the year's logs are generated once, cached)
    python bench/usage.py --write-only --frames 300
    python bench/usage.py --summary-only --days 365 --stations 10
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path

os.environ.setdefault("NUMBA_NUM_THREADS", "1")

TZ_NAME = "Europe/Berlin"
from station import fileio  # noqa: E402

CACHE = Path(os.environ.get("USAGE_BENCH_CACHE", Path(tempfile.gettempdir()) / "station-usage-bench"))


def _maxrss_mb() -> float:
    """Peak resident memory of this process image (VmHWM; getrusage's ru_maxrss would carry the
    parent's peak across fork and exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --------------------------------------------------------------------------- 1. write cost

class _TimedRecorder:
    """The real UsageRecorder, with the time of each per-frame call measured around it."""

    def __init__(self, rec):
        self.rec = rec
        self.frame_ns: list[int] = []        # wall clock (includes waiting for the GIL / the CPU)
        self.frame_cpu_ns: list[int] = []    # this thread's CPU time: the work the call itself does

    def frame(self, tick, evaluator=None):
        c0, t0 = time.thread_time_ns(), time.perf_counter_ns()
        self.rec.frame(tick, evaluator)
        self.frame_ns.append(time.perf_counter_ns() - t0)
        self.frame_cpu_ns.append(time.thread_time_ns() - c0)

    def __getattr__(self, name):
        return getattr(self.rec, name)


def _thread_cpu_s(thread: threading.Thread) -> float:
    """CPU seconds a running thread has used (Linux: its pthread CPU clock)."""
    return time.clock_gettime(time.pthread_getcpuclockid(thread.ident))


def _run_worker(n_frames: int, usage, scenario: str) -> tuple[float, int]:
    """(pipeline ms per frame, frames) of the live Worker over the synthetic athlete."""
    from station.config import load_station_config
    from station.demo import demo_config
    from station.live import Latest, Worker
    from station.sources.synthetic import SyntheticSource

    source = SyntheticSource(scenario, real_time=False, max_frames=n_frames)
    cfg = demo_config(load_station_config(), source.scenario)
    w = Worker(source, cfg, Latest(), usage=usage)
    w.run()          # in this thread: the figures are the pipeline's own
    if w.error:
        raise w.error
    return 1e3 * w.busy_s / max(w.frames, 1), w.frames


def bench_write(n_frames: int, scenario: str) -> None:
    import numpy as np

    from station.config import load_station_config
    from station.usage.recorder import UsageRecorder
    from station.usage.store import UsageLog

    print(f"== write cost: the live Worker on {scenario}, {n_frames} frames")
    _run_worker(30, None, scenario)                                   # warm the numba cache
    base_ms, n = _run_worker(n_frames, None, scenario)
    print(f"pipeline without the log: {base_ms:.2f} ms per frame ({n} frames)")
    with tempfile.TemporaryDirectory() as d:
        cfg = load_station_config()
        log = UsageLog(Path(d) / "u.sqlite3", cfg.station.id)
        rec = _TimedRecorder(UsageRecorder(log, cfg))       # as `station run` has it
        rec.started()
        writer_cpu0, run0 = _thread_cpu_s(log._thread), time.perf_counter()
        with_ms, n = _run_worker(n_frames, rec, scenario)
        rec.stopped()
        log.flush()
        writer_cpu, run_s = _thread_cpu_s(log._thread) - writer_cpu0, time.perf_counter() - run0
        wall = np.asarray(rec.frame_ns, dtype=np.float64) / 1e6
        cpu = np.asarray(rec.frame_cpu_ns, dtype=np.float64) / 1e6
        print(f"pipeline with the log:    {with_ms:.2f} ms per frame")
        fps = n / run_s
        per_frame_30 = 1e3 * writer_cpu / run_s / 30.0
        print(f"logging per processed frame (CPU): recorder mean {cpu.mean():.4f} ms (median "
              f"{np.median(cpu):.4f}, p99 {np.percentile(cpu, 99):.4f}); writer thread {1e3 * writer_cpu / run_s:.2f} ms "
              f"per second = {1e3 * writer_cpu / n:.4f} ms per frame at this run's {fps:.1f} frames/s, "
              f"{per_frame_30:.4f} ms per frame at the camera's 30 frames/s; total at 30 frames/s "
              f"{cpu.mean() + per_frame_30:.4f} ms (target <= 0.1 ms); {log.committed_rows} rows in {log.commits} "
              f"commits (synchronous=FULL: each commit fsyncs)")
        print(f"  the recorder call in wall-clock time: mean {wall.mean():.4f} ms, median {np.median(wall):.4f} ms, "
              f"p99 {np.percentile(wall, 99):.3f} ms (includes waiting for the GIL and the CPU on this loaded machine; "
              f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")

        # flood the writer from another thread while the pipeline runs: the sustained rate
        stop = threading.Event()
        emitted = [0]

        def flood():
            sid = log.new_set_id()
            i = 0
            while not stop.is_set():
                t = time.time()
                log.rep(sid, start_s=t, bottom_s=t, end_s=t, pattern="hinge", metrics={"eccentric_s": 1.0},
                        verdict="faults", faults=("too_fast",))
                log.cue(t, "slow_the_lowering", "fault", "too_fast")
                i += 3
                if i % 3000 == 0:
                    emitted[0] = i
                    # keep the queue bounded like a real (if absurd) event stream would be
                    while log.queued > 50_000 and not stop.is_set():
                        time.sleep(0.005)
            emitted[0] = i

        rows0, t0 = log.committed_rows, time.perf_counter()
        th = threading.Thread(target=flood, daemon=True)
        th.start()
        stress_ms, n = _run_worker(n_frames, rec, scenario)
        stop.set()
        th.join()
        elapsed = time.perf_counter() - t0
        committed = log.committed_rows - rows0
        queued = log.queued
        log.close()
        print(f"sustained write rate while the pipeline runs: {committed / elapsed:,.0f} rows/s committed "
              f"({committed:,} rows in {elapsed:.1f} s; {emitted[0]:,} emitted; {queued:,} still queued at the end); "
              f"pipeline meanwhile {stress_ms:.2f} ms per frame")
    print(f"max RSS {_maxrss_mb():.0f} MB")


# --------------------------------------------------------------------------- 2. summary speed

def _generate(n_stations: int, n_days: int, last: date) -> list[Path]:
    from zoneinfo import ZoneInfo

    from station.usage.generate import generate_days, write_events

    out = CACHE / f"{n_stations}x{n_days}-{last}"
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    first = last - timedelta(days=n_days - 1)
    for i in range(n_stations):
        p = out / f"station-{i + 1:02d}.sqlite3"
        if not p.exists():
            t0 = time.perf_counter()
            ev = generate_days(first, n_days, ZoneInfo(TZ_NAME), seed=100 + i, station_id=f"station-{i + 1:02d}",
                               clean_trend_per_day=0.0005)
            staged = fileio.StagedFile(p)   # a killed run leaves no half database behind
            with staged as tmp:
                write_events(tmp, ev)
                staged.commit()
            print(f"  generated {p.name}: {len(ev.reps):,} reps, {len(ev.samples):,} samples "
                  f"({time.perf_counter() - t0:.0f} s)", flush=True)
        paths.append(p)
    return paths


def _measure(kind: str, paths: list[str], last: str, n_days: int) -> dict:
    """Run in a fresh process (for its own max RSS)."""
    from zoneinfo import ZoneInfo

    from station.usage.figures import DayFigures, figures_by_day
    from station.usage.store import apply_retention, connect
    from station.usage.summary import build_report, load_sources, write_export, write_report

    tz = ZoneInfo(TZ_NAME)
    day = date.fromisoformat(last)
    out = Path(tempfile.mkdtemp(prefix="usage-bench-out-"))
    t0, c0 = time.perf_counter(), time.process_time()
    extra = {}
    if kind == "night-db":
        report = build_report(load_sources([Path(p) for p in paths], tz), day)
        write_report(report, out)
        extra["gym_reps"] = report["gym"]["figures"]["reps"]
    elif kind == "night-exports":
        report = build_report(load_sources([Path(paths[0])], tz), day)
        write_report(report, out)
        extra["gym_reps"] = report["gym"]["figures"]["reps"]
    elif kind == "exports":
        for src in load_sources([Path(p) for p in paths], tz):
            for k in range(28):
                write_export(src, day - timedelta(days=k), Path(paths[0]).parent / "exports", TZ_NAME)
    elif kind == "exports-all":
        from station.usage.summary import export_name

        target = Path(paths[0]).parent / "exports-all"
        for src in load_sources([Path(p) for p in paths], tz):
            if (target / export_name(src.station_id, day)).exists():
                continue
            days = [day - timedelta(days=k) for k in range(n_days)]
            for d, f in src.figures(days).items():    # what a year of nightly jobs leaves behind
                doc = {"schema": "station.usage-export/1", "station_id": src.station_id, "name": src.name,
                       "date": d.isoformat(), "timezone": TZ_NAME, "generated_utc": "", "figures": f.to_json()}
                target.mkdir(exist_ok=True)
                fileio.write_json(target / export_name(src.station_id, d), doc)
    elif kind == "year-exports":
        days = [day - timedelta(days=k) for k in range(n_days - 1, -1, -1)]
        sources = load_sources([Path(paths[0])], tz)
        gym = {d: DayFigures() for d in days}
        reps = 0
        for src in sources:
            for d, f in src.figures(days).items():
                if f is not None:
                    gym[d].add(f)
                    reps += f.reps
        extra["reps"] = reps
        extra["files"] = len(list(Path(paths[0]).glob("*.json")))
    elif kind == "year":
        days = [day - timedelta(days=k) for k in range(n_days - 1, -1, -1)]
        gym = {d: DayFigures() for d in days}
        reps = 0
        for p in paths:
            conn = connect(Path(p), readonly=True)
            figs = figures_by_day(conn, days, tz)
            conn.close()
            for d, f in figs.items():
                gym[d].add(f)
                reps += f.reps
        extra["reps"] = reps
        extra["gym_busiest_days"] = sorted(((f.reps, d.isoformat()) for d, f in gym.items()), reverse=True)[:1]
    elif kind == "retention":
        for p in paths:
            apply_retention(Path(p), 400, now_s=time.time())
    elif kind == "retention-180":
        import shutil

        copy = out / "copy.sqlite3"
        shutil.copy(paths[0], copy)
        t0 = time.perf_counter()
        extra["deleted"] = sum(apply_retention(copy, 180, now_s=time.time()).values())
    return {"kind": kind, "seconds": time.perf_counter() - t0, "cpu_s": time.process_time() - c0,
            "max_rss_mb": _maxrss_mb(), "load": os.getloadavg()[0], **extra}


def _in_fresh_process(kind: str, paths: list[Path], last: date, n_days: int) -> dict:
    cmd = [sys.executable, __file__, "--measure", kind, "--last", last.isoformat(), "--days", str(n_days)] + \
          [str(p) for p in paths]
    res = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def bench_summary(n_stations: int, n_days: int) -> None:
    last = date(2026, 11, 29)
    print(f"== summary: {n_stations} stations x {n_days} days of generated use (cache {CACHE})")
    paths = _generate(n_stations, n_days, last)
    size = sum(p.stat().st_size for p in paths) / 1e6
    print(f"logs: {size:.0f} MB in all")
    r = _in_fresh_process("retention", paths, last, n_days)
    print(f"retention at 400 days over the {n_stations} logs (nothing old enough to go): {r['seconds']:.2f} s")
    if n_days > 200:
        r = _in_fresh_process("retention-180", paths, last, n_days)
        print(f"retention at 180 days on one station's {n_days}-day log: {r['deleted']:,} rows deleted in "
              f"{r['seconds']:.2f} s")
    r = _in_fresh_process("night-db", paths, last, n_days)
    print(f"one night, {n_stations} stations from their databases (28 days read for the trend): "
          f"{r['seconds']:.2f} s ({r['cpu_s']:.2f} s CPU; load average {r['load']:.1f}), max RSS "
          f"{r['max_rss_mb']:.0f} MB, gym reps {r['gym_reps']} (target <= 2 s)")
    _in_fresh_process("exports", paths, last, n_days)
    exports = paths[0].parent / "exports"
    r = _in_fresh_process("night-exports", [exports], last, n_days)
    n_files = len(list(exports.glob("*.json")))
    print(f"one night, {n_stations} stations from their nightly exports ({n_files} files, 28 days each): "
          f"{r['seconds']:.2f} s ({r['cpu_s']:.2f} s CPU), max RSS {r['max_rss_mb']:.0f} MB, gym reps "
          f"{r['gym_reps']} (target <= 2 s)")
    _in_fresh_process("exports-all", paths, last, n_days)
    r = _in_fresh_process("year-exports", [paths[0].parent / "exports-all"], last, n_days)
    print(f"{n_days} days x {n_stations} stations from their nightly exports ({r['files']:,} files), every day's "
          f"figures per station and for the gym: {r['seconds']:.2f} s ({r['cpu_s']:.2f} s CPU), max RSS "
          f"{r['max_rss_mb']:.0f} MB, {r['reps']:,} reps (target <= 30 s within 300 MB)")
    r = _in_fresh_process("year", paths, last, n_days)
    print(f"{n_days} days x {n_stations} stations from their databases, every day's figures per station and for "
          "the gym: "
          f"{r['seconds']:.2f} s ({r['cpu_s']:.2f} s CPU; load average {r['load']:.1f}), max RSS "
          f"{r['max_rss_mb']:.0f} MB, {r['reps']:,} reps "
          f"(target <= 30 s within 300 MB)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--write-only", action="store_true")
    ap.add_argument("--summary-only", action="store_true")
    ap.add_argument("--frames", type=int, default=300, help="pipeline frames per write-cost run")
    ap.add_argument("--scenario", default="rdl_mixed_faults")
    ap.add_argument("--stations", type=int, default=10)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--measure", help=argparse.SUPPRESS)
    ap.add_argument("--last", help=argparse.SUPPRESS)
    ap.add_argument("paths", nargs="*", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.measure:
        print(json.dumps(_measure(args.measure, args.paths, args.last, args.days)))
        return
    if not args.summary_only:
        bench_write(args.frames, args.scenario)
    if not args.write_only:
        bench_summary(args.stations, args.days)


if __name__ == "__main__":
    main()
