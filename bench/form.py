"""Form evaluator benchmark over the scenario library (figures, not pass/fail).

By default the evaluator is fed the scenarios' TRUTH angles (so form is measured apart from
the fitter; lost frames = frames where the lifter is out of the zone). With --pipeline the
angles come from rendering each frame and running the station's Pipeline (segmenter +
fitter), which is much slower.

Fault labels of the truth are the default rdl rules, so every rdl-labelled figure
(boundaries, fault P/R/F1, cue latency) is computed with the evaluator running the rdl
profile on every scenario; rep counts and movement patterns are also reported with each
scenario's own profile (good_morning, kettlebell_swing).

Printed: per scenario rep count (rdl / own profile) against truth; rep boundary errors
(start/bottom/end, mean and max s); precision/recall/F1 per fault label on clearly
labelled reps (motion.clearly_labelled) and macro F1; squat-vs-hinge confusion; cue latency
from each fault's onset; the live smoother's lag.

    python bench/form.py                         # truth angles, whole library
    python bench/form.py --scenarios rdl_clean,mocap_squats
    NUMBA_NUM_THREADS=1 python bench/form.py --pipeline --scenarios rdl_mixed_faults
"""
from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections import defaultdict

os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from station.config import load_exercise  # noqa: E402
from station.form.evaluator import evaluate_trace  # noqa: E402
from station.form.smoothing import AngleSmoother  # noqa: E402
from station.model import ANGLES  # noqa: E402
from station.sim import motion as mo  # noqa: E402
from station.sim.scenarios import SCENARIOS, build, get_scenario  # noqa: E402

LABELS = ("knee_dominant", "rounded_back", "incomplete_lockout", "overextension", "hip_shift", "too_fast")
TH = mo.RDL_DEFAULTS
MATCH_S = 1.0


def pipeline_angles(take, max_frames: int | None):
    """Render every frame and run the station's pipeline: (times, {angle: (n,)}, valid)."""
    from station.app import Pipeline
    from station.model import DepthFrame
    sys.path.insert(0, os.path.dirname(__file__))
    from fitter import zone_for  # bench/fitter.py

    n = take.n_frames if max_frames is None else min(max_frames, take.n_frames)
    pipe = Pipeline(zone=zone_for(take), seed=take.scenario.seed)
    ang = {k: np.full(n, np.nan) for k in ANGLES}
    conf = {k: np.zeros(n) for k in ANGLES}
    valid = np.zeros(n, bool)
    for i in range(n):
        frame = DepthFrame(take.render_u16(i).copy(), 0.001, take.intrinsics, float(take.times_s[i]), i)
        res = pipe.process(frame)
        if res.angles is not None:
            valid[i] = True
            for k in ANGLES:
                ang[k][i] = res.angles[k]
                conf[k][i] = res.angle_confidence[k] if res.angle_confidence else 1.0
    pipeline_angles.confidence = conf        # the fitter's angle confidence (the coach gates on it)
    return take.times_s[:n], ang, valid


def match(truth, found):
    """Pairs (truth rep, found rep) by nearest bottom time within MATCH_S (greedy)."""
    pairs, used = [], set()
    for tr in truth:
        best, bd = None, MATCH_S
        for j, f in enumerate(found):
            d = abs(f.bottom_t - tr.bottom_t)
            if j not in used and d <= bd:
                best, bd = j, d
        if best is not None:
            used.add(best)
            pairs.append((tr, found[best]))
        else:
            pairs.append((tr, None))
    return pairs


def onset_t(label: str, rep, t, ang) -> float:
    """When a true fault begins (truth angles)."""
    hip = 0.5 * (ang["hip_flexion_l"] + ang["hip_flexion_r"])
    spine, shift = ang["spine_flexion"], ang["pelvis_lateral_shift"]
    i0 = int(np.argmin(np.abs(t - rep.start_t)))
    i1 = int(np.argmin(np.abs(t - rep.end_t)))
    span = slice(i0, i1 + 1)
    if label == "rounded_back":
        k = np.nonzero(spine[span] > TH.rounded_back_spine_deg)[0]
        return float(t[i0 + k[0]]) if len(k) else rep.bottom_t
    if label == "hip_shift":
        k = np.nonzero(np.abs(shift[span] - shift[i0]) > TH.hip_shift_m)[0]
        return float(t[i0 + k[0]]) if len(k) else rep.bottom_t
    if label == "overextension":
        ib = int(np.argmin(np.abs(t - rep.bottom_t)))
        k = np.nonzero((hip[ib:i1 + 1] < TH.overextension_hip_deg) | (spine[ib:i1 + 1] < TH.overextension_spine_deg))[0]
        return float(t[ib + k[0]]) if len(k) else rep.end_t
    if label == "incomplete_lockout":
        return rep.end_t
    return rep.bottom_t   # knee_dominant (at the bottom), too_fast (known at the bottom)


def cue_latency(label: str, rep, onset: float, states, pattern: str):
    """Seconds from onset to the cue answering this fault on screen (0 if already up); None if
    never within 2 s; for a squat rep, the squat message answers knee_dominant."""
    for s in states:
        if s.t_s < rep.start_t - 0.05 or s.t_s > onset + 2.0:
            continue
        c = s.cue
        if c is None:
            continue
        ok = (c.rule == label) or (label == "knee_dominant" and c.key == "squat_seen")
        if ok and (s.t_s >= onset or c.t_s >= rep.start_t - 0.05):
            return max(0.0, s.t_s - onset)
    return None


def higher_priority_cue_at(onset: float, label: str, states, prio: dict) -> bool:
    for s in states:
        if s.t_s >= onset and s.t_s <= onset + 0.3 and s.cue is not None and s.cue.rule in prio \
                and s.cue.rule != label and prio[s.cue.rule] <= prio[label]:
            return True
        if s.t_s >= onset and s.cue is not None and s.cue.key == "squat_seen":
            return True
    return False


def smoother_lag_ms(take) -> float:
    """Mean delay of the live smoother at the 40° crossings of hip flexion (both directions)."""
    sm = AngleSmoother()
    t = take.times_s
    hip = 0.5 * (take.truth_angles["hip_flexion_l"] + take.truth_angles["hip_flexion_r"])
    out = np.empty_like(hip)
    for i in range(len(t)):
        r = sm.update(float(t[i]), {k: float(take.truth_angles[k][i]) for k in ANGLES})
        out[i] = 0.5 * (r["hip_flexion_l"] + r["hip_flexion_r"])

    def crossings(x):
        s = np.sign(x - 40.0)
        k = np.nonzero(np.diff(s) != 0)[0]
        return [t[j] + (40.0 - x[j]) / (x[j + 1] - x[j]) * (t[j + 1] - t[j]) for j in k]

    a, b = crossings(hip), crossings(out)
    d = [min(abs(y - x) for y in b) for x in a] if a and b else []
    return 1e3 * float(np.mean(d)) if d else math.nan


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scenarios", default="", help="comma-separated names (default: all)")
    ap.add_argument("--pipeline", action="store_true", help="fitted angles (render → Pipeline)")
    ap.add_argument("--max-frames", type=int, default=None)
    args = ap.parse_args()
    names = [n for n in args.scenarios.split(",") if n] or [s.name for s in SCENARIOS]
    rdl = load_exercise("rdl")
    prio = {n: r.priority for n, r in rdl.enabled_rules().items()}
    counts = defaultdict(lambda: [0, 0, 0])   # label -> tp, fp, fn
    bnd = defaultdict(list)
    bnd_mocap = defaultdict(list)
    confusion = defaultdict(int)
    latencies = defaultdict(list)
    missed_cues = defaultdict(int)
    suppressed = defaultdict(int)
    exact = {"synthetic": [0, 0], "mocap": [0, 0]}
    false_pos = defaultdict(list)                # scenario -> labels found but not true
    verdicts = defaultdict(int)                  # "clean" / "fault" / "not judged" (rdl rules)
    not_judged = defaultdict(int)                # label -> reps where it could not be judged
    lags = []
    print(f"angles: {'PIPELINE (render → segment → fit)' if args.pipeline else 'truth'}")
    print(f"{'scenario':28s} {'profile':17s} {'truth':>5s} {'rdl':>4s} {'own':>4s}  {'patterns (truth→found)':24s} s")
    for name in names:
        sc = get_scenario(name)
        take = build(sc)
        t0 = time.perf_counter()
        conf = None
        if args.pipeline:
            t, ang, valid = pipeline_angles(take, args.max_frames)
            conf = pipeline_angles.confidence
            truth_reps = [r for r in take.reps if r.end_t <= t[-1]]
        else:
            t, ang, valid = take.times_s, take.truth_angles, take.in_view
            truth_reps = take.reps
        ev = evaluate_trace(rdl, t, ang, valid, keep_states=True, confidence=conf)
        own = ev if sc.exercise == "rdl" else evaluate_trace(load_exercise(sc.exercise), t, ang, valid,
                                                             confidence=conf)
        for r in ev.reps:
            verdicts[r.verdict] += 1
            for lab in r.not_judged:
                not_judged[lab] += 1
        dt = time.perf_counter() - t0
        kind = "mocap" if sc.motion == "mocap" else "synthetic"
        ok = len(own.reps) == len(truth_reps)
        exact[kind][0] += ok
        exact[kind][1] += 1
        pairs = match(truth_reps, ev.reps)
        pats = " ".join(f"{tr.pattern[0]}{'→' + f.pattern[0] if f else '→-'}" for tr, f in pairs)
        print(f"{name:28s} {sc.exercise:17s} {len(truth_reps):5d} {len(ev.reps):4d} {len(own.reps):4d}"
              f"{'' if ok else ' ✗'}  {pats[:40]:24s} {dt:.1f}")
        if not args.pipeline:
            lags.append(smoother_lag_ms(take))
        for tr, f in pairs:
            if f is not None:
                confusion[(tr.pattern, f.pattern)] += 1
                store = bnd_mocap if kind == "mocap" else bnd
                for key in ("start_t", "bottom_t", "end_t"):
                    store[key].append(getattr(f, key) - getattr(tr, key))
            else:
                confusion[(tr.pattern, "missed")] += 1
            if kind == "mocap" or not mo.clearly_labelled(tr):
                continue
            found = set(f.faults) if f is not None else set()
            for lab in sorted(found - set(tr.faults)):
                false_pos[name].append(lab)
            for lab in LABELS:
                c = counts[lab]
                if lab in tr.faults and lab in found:
                    c[0] += 1
                elif lab in found:
                    c[1] += 1
                elif lab in tr.faults:
                    c[2] += 1
            if f is None:
                continue
            for lab in tr.faults:
                on = onset_t(lab, tr, take.times_s, take.truth_angles)
                lat = cue_latency(lab, tr, on, ev.states, f.pattern)
                if lat is None:
                    if higher_priority_cue_at(on, lab, ev.states, prio):
                        suppressed[lab] += 1
                    else:
                        missed_cues[lab] += 1
                else:
                    latencies[lab].append(lat)
        extra = len(ev.reps) - sum(1 for _, f in pairs if f is not None)
        if extra:
            confusion[("none", "extra")] += extra

    print()
    if false_pos:
        print("false positives by scenario (clearly labelled reps): "
              + "; ".join(f"{n}: {', '.join(v)}" for n, v in false_pos.items()))
    for kind, (k, n) in exact.items():
        if n:
            print(f"rep count exact ({kind}, own profile): {k}/{n} sets = {100.0 * k / n:.0f}%")
    for title, store in (("synthetic", bnd), ("mocap (truth boundaries: local minima of hip flexion)", bnd_mocap)):
        if store:
            print(f"rep boundary error, {title}:")
            for key in ("start_t", "bottom_t", "end_t"):
                e = np.asarray(store[key])
                print(f"  {key:9s} mean {np.mean(e):+.3f} s  mean|e| {np.mean(np.abs(e)):.3f} s  "
                      f"max|e| {np.max(np.abs(e)):.3f} s  (n={len(e)})")
    print("rep verdicts (rdl rules): " + ", ".join(f"{k} {v}" for k, v in sorted(verdicts.items()))
          + ("; not judged per label: " + ", ".join(f"{k} {v}" for k, v in sorted(not_judged.items()))
             if not_judged else ""))
    print("faults on clearly labelled synthetic reps (rdl rules):")
    f1s = []
    for lab in LABELS:
        tp, fp, fn = counts[lab]
        p = tp / (tp + fp) if tp + fp else math.nan
        r = tp / (tp + fn) if tp + fn else math.nan
        f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else math.nan
        f1s.append(f1)
        print(f"  {lab:19s} P {p:.3f}  R {r:.3f}  F1 {f1:.3f}   (tp {tp}, fp {fp}, fn {fn})")
    print(f"  macro F1 {np.nanmean(f1s):.3f}")
    print("pattern confusion (truth → found):", dict(confusion))
    sq = [v for (a, b), v in confusion.items() if a == "squat"]
    if sq:
        print(f"squat reps recognised: {confusion[('squat', 'squat')]}/{sum(sq)}")
    print("cue latency from fault onset (s):")
    for lab in LABELS:
        L = latencies[lab]
        if L or missed_cues[lab] or suppressed[lab]:
            within = sum(1 for x in L if x <= 0.3)
            print(f"  {lab:19s} n {len(L):3d}  mean {np.mean(L) if L else math.nan:.3f}  "
                  f"max {max(L) if L else math.nan:.3f}  ≤0.3 s: {within}/{len(L)}  "
                  f"not cued: {missed_cues[lab]}  (behind a more important cue: {suppressed[lab]})")
    if lags:
        print(f"live smoother lag at hip-flexion 40° crossings: {np.nanmean(lags):.0f} ms (mean over scenarios)")


if __name__ == "__main__":
    main()
