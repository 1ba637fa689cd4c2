"""Exercise recognition over the scenario library (figures, not pass/fail).

Every scenario is run through the station's RecognizingEvaluator (station.form.exercise) with
all four profiles available and rdl as the default, as a station ships. Each counted rep is
right when the profile that judged it is the scenario's exercise (a squat at the hinge station
is right when it stays under the default profile, reported as a squat).

Inputs, reported separately (never mixed into one figure):
- truth: the scenarios' exact angles and hand features from the true skeleton (fast);
- fitted (--pipeline): each frame rendered through the D435 noise model and run through the
  station's Pipeline (segmenter + fitter): the angles and hands the live station would see.
  Slow (~10-20 s per scenario on the capsule body, more on the mesh body, on one core).

Bodies (--body): each scenario is worn by the capsule body (built from the fitter's own kind
of primitives) and/or the skinned MakeHuman mesh (NAME@mesh); every figure is printed per
body, never pooled.

--cache DIR keeps each fitted run's per-frame output (times, angles, confidence, notice, the
fitted skeleton and the floor normal) as DIR/NAME@BODY.npz and replays it on the next run
(the recogniser changes, the fit does not: delete the file when the fitter changes).

Also printed: per exercise, reps and accuracy; per scenario the first decision's time after
the first rep's end.

    python bench/recognition.py
    python bench/recognition.py --pipeline --body both --scenarios kettlebell_swing,deadlift_floor
    python bench/recognition.py --pipeline --cache bench/results/recognition-cache --set exercise
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from station.config import load_exercise  # noqa: E402
from station.form.cues import CueTiming  # noqa: E402
from station.form.exercise import RecognizingEvaluator, hand_pose, recognise_trace  # noqa: E402
from station.model import ANGLES  # noqa: E402
from station.sim.pose import N_SKELETON  # noqa: E402
from station.sim.scenarios import SCENARIOS, build, get_scenario  # noqa: E402

EXERCISES = ("rdl", "deadlift", "good_morning", "kettlebell_swing")
UP = np.array([0.0, 0.0, 1.0])
# --set exercise: every non-RDL scenario and the RDL ones most like another exercise (a
# kettlebell held hanging, dumbbells, hands free, fast, knee-heavy, squats, real mocap)
EXERCISE_SET = ("good_morning_bodyweight", "good_morning_bar_back", "good_morning_hands_chest",
                "kettlebell_swing", "kettlebell_swing_small", "deadlift_floor", "deadlift_floor_top_cam",
                "rdl_clean", "rdl_too_fast", "rdl_knee_dominant", "tall_heavy_loose",
                "dumbbell_rdl_turned_30", "squats_at_hinge_station", "mocap_toe_touch")


def evaluator() -> RecognizingEvaluator:
    profiles = {n: load_exercise(n) for n in EXERCISES}
    return RecognizingEvaluator(profiles, "rdl", recognize=True, timing=CueTiming())


def run_truth(take) -> RecognizingEvaluator:
    return recognise_trace({n: load_exercise(n) for n in EXERCISES}, "rdl", take.times_s,
                           {k: take.truth_angles[k] for k in ANGLES}, take.in_view,
                           take.poses_floor_m[:, :N_SKELETON], UP)


def fit_take(take) -> dict:
    """The Pipeline's per-frame output over a take, as arrays (NaN / False where not tracked)."""
    from station.app import Pipeline
    from station.model import DepthFrame
    sys.path.insert(0, os.path.dirname(__file__))
    from fitter import zone_for  # bench/fitter.py

    pipe = Pipeline(zone=zone_for(take), seed=take.scenario.seed)
    n = take.n_frames
    out = {"t": np.zeros(n), "valid": np.zeros(n, bool), "has_conf": np.zeros(n, bool),
           "points": np.full((n, N_SKELETON, 3), np.nan), "up": np.full((n, 3), np.nan),
           "angles": np.full((n, len(ANGLES)), np.nan), "conf": np.full((n, len(ANGLES)), np.nan),
           "standing_hip": np.full(n, np.nan)}
    notices = []
    for i in range(n):
        frame = DepthFrame(take.render_u16(i).copy(), 0.001, take.intrinsics, float(take.times_s[i]), i)
        res = pipe.process(frame)
        out["t"][i] = res.t_s
        notices.append(res.notice or "")
        if pipe.standing.hip_deg is not None:   # what the live evaluator's lean-back rule reads
            out["standing_hip"][i] = pipe.standing.hip_deg
        if res.angles is not None:
            out["valid"][i] = True
            out["angles"][i] = [res.angles[k] for k in ANGLES]
            out["points"][i] = res.skeleton.points_cam_m[:N_SKELETON]
            out["up"][i] = pipe.last_floor.normal_cam
            if res.angle_confidence is not None:
                out["has_conf"][i] = True
                out["conf"][i] = [res.angle_confidence[k] for k in ANGLES]
    out["notice"] = np.array(notices)
    return out


def replay(fit: dict) -> RecognizingEvaluator:
    """Feed a fitted run to the recognising evaluator as the live station does (with the
    fitter's confidence and view notice)."""
    ev = evaluator()
    # the lifter's standing hip flexion (a cache written before it was kept: unknown throughout)
    standing = fit.get("standing_hip", np.full(len(fit["t"]), np.nan))
    for i in range(len(fit["t"])):
        notice = str(fit["notice"][i]) or None
        if fit["valid"][i]:
            angles = {k: float(v) for k, v in zip(ANGLES, fit["angles"][i])}
            conf = ({k: float(v) for k, v in zip(ANGLES, fit["conf"][i])} if fit["has_conf"][i] else None)
            sh = float(standing[i]) if np.isfinite(standing[i]) else None
            ev.update(float(fit["t"][i]), angles, hands=hand_pose(fit["points"][i], fit["up"][i]),
                      angle_confidence=conf, notice=notice, standing_hip_deg=sh)
        else:
            ev.update(float(fit["t"][i]), None, notice=notice)
    ev.finish()
    return ev


def fitted(take, cache: str | None) -> dict:
    path = os.path.join(cache, f"{take.scenario.name}.npz") if cache else None
    if path and os.path.exists(path):
        with np.load(path) as z:
            return {k: z[k] for k in z.files}
    fit = fit_take(take)
    if path:
        os.makedirs(cache, exist_ok=True)
        tmp = path + ".tmp.npz"
        np.savez_compressed(tmp, **fit)
        os.replace(tmp, path)
    return fit


HAND_FIELDS = ("reach", "arm_elevation_deg", "trunk_pitch_deg", "hand_gap")


def export_hands(fit: dict, path: str, until_s: float = 15.0) -> None:
    """A fitted run's first `until_s` reduced to what the recogniser reads
    (tests/form/data/*_hands.npz): per frame t, tracked, the contract angles, their
    confidence, the view notice and the HandPose fields (HAND_FIELDS), float16 (0.06° at
    100°: finer than the fit). No skeleton, no depth."""
    n = int(np.searchsorted(fit["t"], until_s))
    hands = np.full((n, len(HAND_FIELDS)), np.nan, np.float16)
    for i in np.flatnonzero(fit["valid"][:n]):
        h = hand_pose(fit["points"][i], fit["up"][i])
        hands[i] = [getattr(h, k) for k in HAND_FIELDS]
    conf = np.where(fit["has_conf"][:n, None], fit["conf"][:n], np.nan).astype(np.float16)
    np.savez_compressed(path, t=fit["t"][:n], tracked=fit["valid"][:n], angles=fit["angles"][:n].astype(np.float16),
                        confidence=conf, notice=fit["notice"][:n], hands=hands, names=np.array(ANGLES),
                        hand_fields=np.array(HAND_FIELDS))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenarios", help="comma-separated names (default: the whole original library)")
    ap.add_argument("--set", choices=("exercise",), help="a named set of scenarios (see EXERCISE_SET)")
    ap.add_argument("--pipeline", action="store_true", help="fitted angles and hands (slow)")
    ap.add_argument("--body", choices=("capsule", "mesh", "both"), default="capsule",
                    help="which body wears each scenario (default capsule)")
    ap.add_argument("--cache", help="directory to keep / reuse fitted runs (with --pipeline)")
    ap.add_argument("--json", help="also write the per-scenario rows to this JSON file")
    ap.add_argument("--export-hands", metavar="DIR",
                    help="with --pipeline: write each fitted run as DIR/NAME@BODY_hands.npz (test data)")
    args = ap.parse_args()
    if args.scenarios:
        names = args.scenarios.split(",")
    elif args.set == "exercise":
        names = list(EXERCISE_SET)
    else:
        names = [s.name for s in SCENARIOS]
    bodies = ("capsule", "mesh") if args.body == "both" else (args.body,)
    source = "fitted (Pipeline: render, segment, fit)" if args.pipeline else "truth angles and hands"
    print(f"exercise recognition, {source}; all four profiles available, default rdl\n")
    rows = []
    t0 = time.perf_counter()
    for body in bodies:
        print(f"== body: {body}")
        print(f"{'scenario':34s} {'exercise':17s} {'reps':>4s} {'right':>5s} {'decided':>7s}  recognised")
        for name in names:
            sc = get_scenario(name.split("@")[0]).on_body(body)
            take = build(sc)
            if args.pipeline:
                fit = fitted(take, args.cache)
                ev = replay(fit)
                if args.export_hands:
                    export_hands(fit, os.path.join(args.export_hands, f"{sc.name}_hands.npz"))
            else:
                ev = run_truth(take)
            got = ev.rep_exercises
            right = sum(1 for g in got if g == sc.exercise)
            dec = ev.decisions[0][0] - ev.reps[0].end_t if ev.decisions and ev.reps else float("nan")
            per_rep = " ".join({"rdl": "R", "deadlift": "D", "good_morning": "G",
                                "kettlebell_swing": "K"}[g] for g in got)
            rows.append({"scenario": sc.name, "body": body, "exercise": sc.exercise, "reps": len(got),
                         "right": right, "recognised": got, "truth_reps": len(take.reps)})
            mark = "" if right == len(got) else "  <-- wrong"
            print(f"{sc.name:34s} {sc.exercise:17s} {len(got):4d} {right:5d} {dec:6.2f}s  {per_rep}"
                  f"   (truth reps {len(take.reps)}){mark}", flush=True)
        print()
    for body in bodies:
        br = [r for r in rows if r["body"] == body]
        print(f"-- {body}")
        for ex in EXERCISES:
            n = sum(r["reps"] for r in br if r["exercise"] == ex)
            k = sum(r["right"] for r in br if r["exercise"] == ex)
            if n:
                print(f"   {ex:17s} {k:3d}/{n:3d} reps right  {100.0 * k / n:5.1f}%")
        n = sum(r["reps"] for r in br)
        k = sum(r["right"] for r in br)
        print(f"   all reps [{body}]: {k}/{n} right = {100.0 * k / max(n, 1):.1f}%  over {len(br)} scenarios")
    print(f"\n({time.perf_counter() - t0:.0f} s)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
