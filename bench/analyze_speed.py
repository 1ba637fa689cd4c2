"""`station analyze` against bare pyrealsense2 playback of the same recording, in one run.

The codebase issue's target: analyze within 10% of bare playback (frames per second), with
NUMBA_NUM_THREADS=1 on this 2-core machine. Both are timed on the same `.db3` recording of a
synthetic scenario, alternating, several rounds; the median round is reported, as wall-clock
frames per second and as CPU per frame of this process (the machine may be shared: CPU is the
steadier figure), split into the main thread's (for analyze: the fit, the angles and the
evaluator) and the other threads' (the SDK's playback thread, which reads the file and hands
frames over, and for analyze the segmentation thread, station.app.segmented_frames). With two
cores they run side by side: analyze keeps up with bare playback only when all of its CPU per
frame fits in two cores' time per playback frame, and its main thread's in one core's. A
warm-up analyze first loads the numba kernels from the cache.

Per thread (Linux, /proc/self/task, sampled every 50 ms): the main thread, the segmentation
thread and the SDK's threads (all the others: the file reader/decoder and the thread that
runs the frame callback). The CPU floor is what the CPU alone allows on this machine's
cores: a run cannot be faster than its total CPU per frame spread over every core, nor than
its busiest thread (for bare playback, the SDK's decoder). The floor ratio, analyze's floor
over bare playback's, is the wall ratio the CPU allows when the threads never wait on each
other; on a machine shared with other work it is the steadier figure (every figure rises
with the load, the wall ones most). analyze writes its JSON (to a temporary directory), as
`station analyze` does.

    PYTHONPATH=. .venv/bin/python bench/analyze_speed.py [--scenario rdl_clean] [--seconds 20] [--rounds 3]
        [--recording FILE.db3]
"""
from __future__ import annotations

import os

os.environ.setdefault("NUMBA_NUM_THREADS", "1")   # the target is for one numba thread

import argparse  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from contextlib import nullcontext  # noqa: E402
from pathlib import Path  # noqa: E402

_TICK_S = 1.0 / os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 0.01


def _task_cpu_s() -> dict[int, float]:
    """CPU seconds of each of this process's threads, by native thread id ({} off Linux)."""
    out = {}
    try:
        tids = os.listdir("/proc/self/task")
    except OSError:
        return out
    for tid in tids:
        try:
            with open(f"/proc/self/task/{tid}/stat") as f:
                stat = f.read()
        except OSError:   # the thread ended
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        out[int(tid)] = (int(fields[11]) + int(fields[12])) * _TICK_S   # utime + stime
    return out


class ThreadCpu:
    """CPU per thread over a `with` block, grouped as main, segment and SDK (every other
    thread but this sampler's): threads that end inside the block are counted from their
    last sample, so the sampling period bounds what is missed."""

    def __init__(self, period_s: float = 0.05):
        self.period_s = period_s
        self._stop = threading.Event()
        self._last: dict[int, float] = {}
        self._names: dict[int, str] = {}

    def _poll(self) -> None:
        for t in threading.enumerate():
            if t.native_id is not None:
                self._names[t.native_id] = t.name
        self._last.update(_task_cpu_s())

    def _run(self) -> None:
        while not self._stop.wait(self.period_s):
            self._poll()

    def __enter__(self) -> "ThreadCpu":
        self._base = _task_cpu_s()
        self._thread = threading.Thread(target=self._run, name="cpu-sampler", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self._poll()
        self.by_group = {"main": 0.0, "segment": 0.0, "sdk": 0.0}
        self.busiest_s = 0.0   # the CPU of the busiest single thread
        for tid, cpu in self._last.items():
            name = self._names.get(tid, "")
            if name == "cpu-sampler":
                continue
            group = ("main" if tid == threading.main_thread().native_id
                     else "segment" if name == "segment" else "sdk")
            self.by_group[group] += cpu - self._base.get(tid, 0.0)
            self.busiest_s = max(self.busiest_s, cpu - self._base.get(tid, 0.0))


def bare_playback(path: Path) -> int:
    """Every depth frame of the recording through pyrealsense2, converted to the station's
    DepthFrame as the product does, and nothing else."""
    from station.sources.recording import open_recording

    n = 0
    with open_recording(path, real_time=False) as pb:
        for _frame in pb:
            n += 1
    return n


def analyze(path: Path) -> int:
    """`station analyze` of the recording, its JSON written as the command writes it."""
    from station.app import analyze_recording

    with tempfile.TemporaryDirectory() as d:
        doc = analyze_recording(path, Path(d) / "analysis.json", progress=False)
    return len(doc["frames"])


def timed(fn, path: Path) -> tuple[int, float, float, float, dict]:
    """(frames, wall s, process CPU s, main thread CPU s, CPU s by thread group)."""
    with ThreadCpu() as threads:
        c0, m0, t0 = time.process_time(), time.thread_time(), time.perf_counter()
        n = fn(path)
        wall, cpu, main_cpu = time.perf_counter() - t0, time.process_time() - c0, time.thread_time() - m0
    return n, wall, cpu, main_cpu, dict(threads.by_group, busiest=threads.busiest_s)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default="rdl_clean")
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--recording", type=Path, default=None,
                    help="time this .db3 instead of recording the scenario (--scenario and --seconds unused)")
    args = ap.parse_args()

    from station.sources.synthetic import record_synthetic

    with (tempfile.TemporaryDirectory() if args.recording is None else nullcontext()) as d:
        if args.recording is None:
            path = Path(d) / f"{args.scenario}.db3"
            n, _ = record_synthetic(args.scenario, path, seconds=args.seconds, progress=False)
            what = f"{args.scenario}, {n} frames"
        else:
            path = args.recording
            what = str(path)
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        print(f"recording: {what}, {path.stat().st_size / 1e6:.1f} MB; "
              f"NUMBA_NUM_THREADS={os.environ['NUMBA_NUM_THREADS']}, {cores} cores")
        analyze(path)   # warm-up: numba kernels from the cache, imports
        rows = {"bare playback": [], "station analyze": []}
        load = [os.getloadavg()[0]]
        for _ in range(args.rounds):
            for name, fn in (("bare playback", bare_playback), ("station analyze", analyze)):
                rows[name].append(timed(fn, path))
        load.append(os.getloadavg()[0])
        print(f"\n{'':18s}{'frames':>8s}{'wall fps':>10s}{'CPU ms/frame':>14s}{'main thread':>13s}"
              f"{'other threads':>15s}{'segment':>9s}{'SDK':>7s}   (median of {args.rounds} rounds)")
        med = {}
        for name, rs in rows.items():
            frames = rs[0][0]
            k = 1000.0 / frames
            wall = statistics.median(r[1] for r in rs)
            cpu = statistics.median(r[2] for r in rs)
            main_cpu = statistics.median(r[3] for r in rs)
            other = statistics.median(r[2] - r[3] for r in rs)
            group = {g: statistics.median(r[4][g] for r in rs) for g in ("main", "segment", "sdk", "busiest")}
            med[name] = (frames / wall, k * cpu, {g: k * v for g, v in group.items()})
            print(f"{name:18s}{frames:8d}{frames / wall:10.1f}{k * cpu:14.2f}{k * main_cpu:13.2f}"
                  f"{k * other:15.2f}{k * group['segment']:9.2f}{k * group['sdk']:7.2f}")
        fps_ratio = med["bare playback"][0] / med["station analyze"][0]
        print(f"\nbare playback / analyze, frames per second: {fps_ratio:.2f} "
              f"(analyze is {100.0 * (fps_ratio - 1.0):.0f}% slower; target: within 10%)")
        # the CPU floor: a run cannot be faster than its CPU spread over every core, nor than
        # its busiest thread (bare playback's: the SDK's decoder)
        floor = {name: max(m[1] / cores, m[2]["busiest"]) for name, m in med.items()}
        print(f"CPU floor, ms/frame: bare playback {floor['bare playback']:.2f}, analyze {floor['station analyze']:.2f} "
              f"(CPU {med['station analyze'][1]:.2f} ms over {cores} cores, busiest thread "
              f"{med['station analyze'][2]['busiest']:.2f}): floor ratio "
              f"{floor['station analyze'] / floor['bare playback']:.2f}")
        print(f"load average (1 min) before / after: {load[0]:.2f} / {load[1]:.2f}")


if __name__ == "__main__":
    main()
