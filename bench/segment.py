"""Segmenter speed: ms per 848x480 frame for each step, one core.

    NUMBA_NUM_THREADS=1 python bench/segment.py [--frames 300]

Scenes are ray-cast analytically (tests/segment/segscenes.py): a floor, a lifter with a
barbell, a second person behind the zone and a cabinet, with D435-like noise. Several noisy
frames are rendered once and cycled. Prints median and 95th percentile per step; never
passes or fails on time.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("NUMBA_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "segment")]

import numpy as np  # noqa: E402

import segscenes as S  # noqa: E402
from station.segment.person import LiftingZone  # noqa: E402
from station.segment.segmenter import Segmenter, SegmenterParams  # noqa: E402

STEPS = ("decimate", "floor", "classify", "components", "select", "merge", "background", "total")


def scenes(rng, n):
    T = S.mount(1.4, 20.0)
    noise = dict(noise0_m=0.001, noise2_per_m=0.0025)
    cabinet = ("box", (-1.6, -1.0), (3.0, 3.5), (0.0, 1.8))
    lifter = [S.person(0.1, 2.5), ("cyl", "x", (2.28, 0.9), 0.02, (-1.1, 1.1)),
              ("cyl", "x", (2.28, 0.9), 0.225, (-1.0, -0.9)), ("cyl", "x", (2.28, 0.9), 0.225, (0.9, 1.0))]
    other = S.person(-0.3, 4.2, 1.9, 0.25)
    empty = [S.frame(S.render(T, [cabinet], rng=rng, **noise), i / 30) for i in range(n)]
    busy = [S.frame(S.render(T, [cabinet, *lifter, other], rng=rng, **noise), i / 30) for i in range(n)]
    return empty, busy


def run(seg, frames_, n):
    rows = []
    for i in range(n):
        rows.append(seg.process(frames_[i % len(frames_)]).timings_ms)
    return {k: np.array([r.get(k, 0.0) for r in rows]) for k in STEPS}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=300)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    empty, busy = scenes(rng, 6)
    zone = LiftingZone(0.0, 2.6, 1.6, 1.4)
    print(f"NUMBA_NUM_THREADS={os.environ['NUMBA_NUM_THREADS']}, {args.frames} frames per row, "
          f"848x480 input; ms median / p95")
    print(f"{'case':40s}" + "".join(f"{k:>16s}" for k in STEPS))
    for label, dec, mode in [("decimation 4, median", 4, "median"), ("decimation 4, min", 4, "min"),
                             ("decimation 2, median", 2, "median")]:
        seg = Segmenter(zone, decimation=dec, params=SegmenterParams(decimation_mode=mode), seed=0)
        seg.learn_background(empty[:3])
        run(seg, busy, 5)  # warm-up (jit cache load)
        for scene, fr in (("empty", empty), ("lifter+bar+other", busy)):
            t = run(seg, fr, args.frames)
            cells = "".join(f"{np.median(t[k]):7.3f} /{np.percentile(t[k], 95):6.3f} " for k in STEPS)
            print(f"{label + ', ' + scene:40s}{cells}")
        res = seg.process(busy[0])
        print(f"{'':40s}person_present={res.person_present} points={len(res.cloud.points_cam_m) if res.cloud else 0}"
              f" height={res.person_height_m and round(res.person_height_m, 3)}")


if __name__ == "__main__":
    main()
