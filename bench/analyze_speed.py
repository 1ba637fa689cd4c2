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

    PYTHONPATH=. .venv/bin/python bench/analyze_speed.py [--scenario rdl_clean] [--seconds 20] [--rounds 3]
"""
from __future__ import annotations

import os

os.environ.setdefault("NUMBA_NUM_THREADS", "1")   # the target is for one numba thread

import argparse  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402


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
    from station.app import analyze_recording

    doc = analyze_recording(path, None, progress=False)
    return len(doc["frames"])


def timed(fn, path: Path) -> tuple[int, float, float, float]:
    """(frames, wall s, process CPU s, main thread CPU s)."""
    c0, m0, t0 = time.process_time(), time.thread_time(), time.perf_counter()
    n = fn(path)
    return n, time.perf_counter() - t0, time.process_time() - c0, time.thread_time() - m0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default="rdl_clean")
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()

    from station.sources.synthetic import record_synthetic

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / f"{args.scenario}.db3"
        n, _ = record_synthetic(args.scenario, path, seconds=args.seconds, progress=False)
        print(f"recording: {args.scenario}, {n} frames, {path.stat().st_size / 1e6:.1f} MB; "
              f"NUMBA_NUM_THREADS={os.environ['NUMBA_NUM_THREADS']}, {os.cpu_count()} cores")
        analyze(path)   # warm-up: numba kernels from the cache, imports
        rows = {"bare playback": [], "station analyze": []}
        for _ in range(args.rounds):
            for name, fn in (("bare playback", bare_playback), ("station analyze", analyze)):
                rows[name].append(timed(fn, path))
        print(f"\n{'':18s}{'frames':>8s}{'wall fps':>10s}{'CPU ms/frame':>14s}{'main thread':>13s}"
              f"{'other threads':>15s}   (median of {args.rounds} rounds)")
        med = {}
        for name, rs in rows.items():
            frames = rs[0][0]
            wall = statistics.median(r[1] for r in rs)
            cpu = statistics.median(r[2] for r in rs)
            main_cpu = statistics.median(r[3] for r in rs)
            other = statistics.median(r[2] - r[3] for r in rs)
            med[name] = (frames / wall, 1000.0 * cpu / frames)
            print(f"{name:18s}{frames:8d}{frames / wall:10.1f}{1000.0 * cpu / frames:14.2f}"
                  f"{1000.0 * main_cpu / frames:13.2f}{1000.0 * other / frames:15.2f}")
        fps_ratio = med["bare playback"][0] / med["station analyze"][0]
        print(f"\nbare playback / analyze, frames per second: {fps_ratio:.2f} "
              f"(analyze is {100.0 * (fps_ratio - 1.0):.0f}% slower; target: within 10%)")


if __name__ == "__main__":
    main()
