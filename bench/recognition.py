"""Exercise recognition over the scenario library (figures, not pass/fail).

Every scenario is run through the station's RecognizingEvaluator (station.form.exercise) with
all four profiles available and rdl as the default, as a station ships. Each counted rep is
right when the profile that judged it is the scenario's exercise (a squat at the hinge station
is right when it stays under the default profile, reported as a squat).

Inputs, reported separately (never mixed into one figure):
- truth: the scenarios' exact angles and hand features from the true skeleton (fast);
- fitted (--pipeline): each frame rendered through the D435 noise model and run through the
  station's Pipeline (segmenter + fitter): the angles and hands the live station would see.
  Slow (~10-20 s per scenario on one core).

Also printed: per exercise, reps and accuracy; the decision time after the first rep's end.

    python bench/recognition.py
    python bench/recognition.py --pipeline --scenarios kettlebell_swing,deadlift_floor
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from collections import defaultdict

os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from station.config import load_exercise  # noqa: E402
from station.form.cues import CueTiming  # noqa: E402
from station.form.exercise import RecognizingEvaluator, recognise_trace  # noqa: E402
from station.model import ANGLES  # noqa: E402
from station.sim.pose import N_SKELETON  # noqa: E402
from station.sim.scenarios import SCENARIOS, build, get_scenario  # noqa: E402

EXERCISES = ("rdl", "deadlift", "good_morning", "kettlebell_swing")
UP = np.array([0.0, 0.0, 1.0])


def evaluator() -> RecognizingEvaluator:
    profiles = {n: load_exercise(n) for n in EXERCISES}
    return RecognizingEvaluator(profiles, "rdl", recognize=True, timing=CueTiming())


def run_truth(take) -> RecognizingEvaluator:
    return recognise_trace({n: load_exercise(n) for n in EXERCISES}, "rdl", take.times_s,
                           {k: take.truth_angles[k] for k in ANGLES}, take.in_view,
                           take.poses_floor_m[:, :N_SKELETON], UP)


def run_pipeline(take) -> RecognizingEvaluator:
    from station.app import Pipeline
    from station.model import DepthFrame
    sys.path.insert(0, os.path.dirname(__file__))
    from fitter import zone_for  # bench/fitter.py

    pipe = Pipeline(zone=zone_for(take), seed=take.scenario.seed)
    ev = evaluator()
    for i in range(take.n_frames):
        frame = DepthFrame(take.render_u16(i).copy(), 0.001, take.intrinsics, float(take.times_s[i]), i)
        res = pipe.process(frame)
        # as the live station feeds it: with the fitter's confidence and view notice
        ev.update(res.t_s, res.angles, hands=res.hands, angle_confidence=res.angle_confidence,
                  notice=res.notice)
    ev.finish()
    return ev


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenarios", help="comma-separated names (default: the whole library)")
    ap.add_argument("--pipeline", action="store_true", help="fitted angles and hands (slow)")
    args = ap.parse_args()
    scs = [get_scenario(n) for n in args.scenarios.split(",")] if args.scenarios else list(SCENARIOS)
    source = "fitted (Pipeline, capsule athlete)" if args.pipeline else "truth angles and hands (capsule athlete)"
    print(f"exercise recognition, {source}; all four profiles available, default rdl\n")
    print(f"{'scenario':28s} {'exercise':17s} {'reps':>4s} {'right':>5s}  recognised")
    per_ex = defaultdict(lambda: [0, 0])
    total = [0, 0]
    t0 = time.perf_counter()
    for sc in scs:
        take = build(sc)
        ev = run_pipeline(take) if args.pipeline else run_truth(take)
        got = ev.rep_exercises
        right = sum(1 for g in got if g == sc.exercise)
        per_ex[sc.exercise][0] += len(got)
        per_ex[sc.exercise][1] += right
        total[0] += len(got)
        total[1] += right
        seen = ",".join(sorted(set(got))) or "-"
        print(f"{sc.name:28s} {sc.exercise:17s} {len(got):4d} {right:5d}  {seen}"
              f"   (truth reps {len(take.reps)})")
    print()
    for ex in EXERCISES:
        n, r = per_ex.get(ex, [0, 0])
        if n:
            print(f"{ex:17s} {r:3d}/{n:3d} reps right  {100.0 * r / n:5.1f}%")
    n, r = total
    print(f"\nall reps: {r}/{n} right = {100.0 * r / max(n, 1):.1f}%   ({time.perf_counter() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
