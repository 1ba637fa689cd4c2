"""Form evaluator benchmark over the scenario library, per body (figures, not pass/fail).

By default the evaluator is fed the scenarios' TRUTH angles (form measured apart from the
fitter; lost frames = frames where the lifter is out of the zone). With --pipeline the whole
station runs (render → segment → fit → the live evaluator), so every fault figure comes from
FITTED angles; that is much slower. Both bodies (capsule, mesh) unless --body says otherwise;
the library's dev split unless --split says otherwise. Fault figures are computed by
station.scoring, the same code that scores `station analyze` output (bench/score.py).

Truth fault labels are the default rdl rules, so every rdl-labelled figure (boundaries, fault
P/R/F1, cue latency) is computed with the evaluator running the rdl profile on every
scenario, except deadlifts from the floor: their reps start at the floor and their truth is
labelled by the deadlift profile, which judges them here too (SyntheticTake.truth_profile).
Rep counts are also reported with each scenario's own profile (good_morning,
kettlebell_swing) when the truth angles are used.

Printed per body: per scenario rep count (rdl / own profile) against truth; rep boundary
errors; precision/recall/F1 per fault label over all reps and over clearly labelled reps
(station.sim.truth.clearly_labelled), macro F1, false-fault and false-cue rates on clean reps;
squat-vs-hinge confusion; cue latency from each fault's onset; the live smoother's lag.

    python bench/form.py                                   # truth angles, dev library, both bodies
    python bench/form.py --scenarios rdl_clean,mocap_squats --body mesh
    NUMBA_NUM_THREADS=1 python bench/form.py --pipeline --scenarios rdl_mixed_faults
    NUMBA_NUM_THREADS=1 python bench/form.py --pipeline --split holdout   # the report's held-out figures
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
from station.form.rules import RULE_TYPES  # noqa: E402
from station.scoring import Tally, clearly_labelled_filter, format_fault_table, match_reps, score  # noqa: E402
from station.sim.truth import RDL_DEFAULTS  # noqa: E402
from station.sim.scenarios import BODIES, build, get_scenario, library  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
from fitter import run_take  # noqa: E402  (bench/fitter.py: the station over a take)

TH = RDL_DEFAULTS
# every fault label the rules declare, most important (lowest default priority) first
LABELS_BY_PRIORITY = tuple(sorted(RULE_TYPES, key=lambda n: RULE_TYPES[n]().priority))


def truth_angle_result(take, profile) -> tuple[dict, object]:
    """The evaluator on the truth angles, as a result document (reps and cues) and the evaluator."""
    t, ang, valid = take.times_s, take.truth_angles, take.in_view
    ev = evaluate_trace(profile, t, ang, valid, keep_states=True)
    cues = [{"t": float(s.t_s - t[0]), "rule": s.cue.rule, "kind": s.cue.kind, "key": s.cue.key,
             "shown_t": float(s.cue.t_s)} for s in ev.states if s.cue is not None]
    frames = [{"t": float(x - t[0]), "tracked": False} for x in t]
    return {"frames": frames, "reps": [r.as_contract() for r in ev.reps], "cues": cues}, ev


def onset_t(label: str, rep: dict, t, ang) -> float:
    """When a true fault begins (truth angles); t relative to the take's first frame."""
    hip = 0.5 * (ang["hip_flexion_l"] + ang["hip_flexion_r"])
    spine, shift = ang["spine_flexion"], ang["pelvis_lateral_shift"]
    i0 = int(np.argmin(np.abs(t - rep["start_t"])))
    i1 = int(np.argmin(np.abs(t - rep["end_t"])))
    span = slice(i0, i1 + 1)
    if label == "rounded_back":
        k = np.nonzero(spine[span] > TH.rounded_back_spine_deg)[0]
        return float(t[i0 + k[0]]) if len(k) else rep["bottom_t"]
    if label == "hip_shift":
        k = np.nonzero(np.abs(shift[span] - shift[i0]) > TH.hip_shift_m)[0]
        return float(t[i0 + k[0]]) if len(k) else rep["bottom_t"]
    if label == "overextension":
        ib = int(np.argmin(np.abs(t - rep["bottom_t"])))
        k = np.nonzero((hip[ib:i1 + 1] < TH.overextension_hip_deg) | (spine[ib:i1 + 1] < TH.overextension_spine_deg))[0]
        return float(t[ib + k[0]]) if len(k) else rep["end_t"]
    if label == "incomplete_lockout":
        return rep["end_t"]
    return rep["bottom_t"]   # knee_dominant (at the bottom), too_fast (known at the bottom)


def cue_latency(label: str, rep: dict, onset: float, cues: list[dict]):
    """Seconds from onset to the cue answering this fault on screen (0 if already up); None if
    never within 2 s; for a squat, the squat message answers knee_dominant."""
    for c in cues:
        if c["t"] < rep["start_t"] - 0.05 or c["t"] > onset + 2.0:
            continue
        ok = (c["rule"] == label) or (label == "knee_dominant" and c.get("key") == "squat_seen")
        if ok and (c["t"] >= onset or c.get("shown_t", c["t"]) >= rep["start_t"] - 0.05):
            return max(0.0, c["t"] - onset)
    return None


def higher_priority_cue_at(onset: float, label: str, cues: list[dict], prio: dict) -> bool:
    for c in cues:
        if onset <= c["t"] <= onset + 0.3 and c["rule"] in prio and c["rule"] != label \
                and prio[c["rule"]] <= prio[label]:
            return True
        if c["t"] >= onset and c.get("key") == "squat_seen":
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


class BodyFigures:
    def __init__(self):
        self.tallies, self.tallies_clear = defaultdict(list), defaultdict(list)
        self.bnd, self.bnd_mocap = defaultdict(list), defaultdict(list)
        self.confusion = defaultdict(int)
        self.latencies, self.missed, self.suppressed = defaultdict(list), defaultdict(int), defaultdict(int)
        self.exact = {"synthetic": [0, 0], "mocap": [0, 0]}
        self.false_pos = defaultdict(list)
        self.verdicts = defaultdict(int)      # "clean" / "fault" / "not judged" (rdl rules)
        self.not_judged = defaultdict(int)    # label -> reps where it could not be judged
        self.lags = []


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scenarios", default="", help="comma-separated names (default: the library)")
    ap.add_argument("--body", choices=("both",) + BODIES, default="both")
    ap.add_argument("--split", choices=("dev", "holdout", "all"), default="dev")
    ap.add_argument("--set", choices=("all", "original", "enlarged"), default="all")
    ap.add_argument("--pipeline", action="store_true", help="fitted angles (render → segment → fit → evaluator)")
    ap.add_argument("--max-frames", type=int, default=None)
    args = ap.parse_args()
    bodies = list(BODIES) if args.body == "both" else [args.body]
    if args.scenarios:
        base = [get_scenario(n) for n in args.scenarios.split(",") if n]
    else:
        split = None if args.split == "all" else args.split
        base = list(library(split, enlarged=args.set in ("all", "enlarged"), original=args.set in ("all", "original")))
    rdl = load_exercise("rdl")
    prio = {n: r.priority for n, r in rdl.enabled_rules().items()}
    figs = {b: BodyFigures() for b in bodies}
    print(f"angles: {'PIPELINE (render → segment → fit → live evaluator)' if args.pipeline else 'truth'}")
    print(f"{'scenario':34s} {'profile':17s} {'truth':>5s} {'rdl':>4s} {'own':>4s}  {'patterns (truth→found)':24s} s")
    for sc0 in base:
        for body in bodies:
            sc = sc0 if "@" in sc0.name else sc0.on_body(body)
            if sc.body != body:
                continue
            F = figs[body]
            take = build(sc)
            t0 = time.perf_counter()
            if args.pipeline:
                truth, result = run_take(take, args.max_frames, exercise=take.truth_profile)
                n_own = len(result["reps"])
            else:
                truth = take.truth_document(sc.name)
                result, ev = truth_angle_result(take, rdl if take.truth_profile == "rdl" else
                                                load_exercise(take.truth_profile))
                own = ev if sc.exercise == "rdl" else evaluate_trace(load_exercise(sc.exercise), take.times_s,
                                                                     take.truth_angles, take.in_view)
                n_own = len(own.reps)
                F.lags.append(smoother_lag_ms(take))
            dt = time.perf_counter() - t0
            t_end = result["frames"][-1]["t"] if result["frames"] else 0.0
            truth_reps = [r for r in truth["reps"] if r["end_t"] <= t_end + 1e-6]
            found = result["reps"]
            for r in found:
                nj = r.get("not_judged", ())
                F.verdicts["fault" if r["faults"] else "not judged" if nj else "clean"] += 1
                for lab in nj:
                    F.not_judged[lab] += 1
            kind = "mocap" if sc.motion == "mocap" else "synthetic"
            ok = n_own == len(truth_reps)
            F.exact[kind][0] += ok
            F.exact[kind][1] += 1
            pairs = [(tr, f) for tr, f in match_reps(truth_reps, found) if tr is not None]
            pats = " ".join(f"{tr['pattern'][0]}→{f['pattern'][0] if f else '-'}" for tr, f in pairs)
            print(f"{sc.name[:34]:34s} {sc.exercise:17s} {len(truth_reps):5d} {len(found):4d} {n_own:4d}"
                  f"{'' if ok else ' ✗'}  {pats[:40]:24s} {dt:.1f}")
            F.tallies[sc.split].append(score(truth, result))
            F.tallies_clear[sc.split].append(score(truth, result, rep_filter=clearly_labelled_filter()))
            trace_t = take.times_s - take.times_s[0]
            for tr, f in pairs:
                if f is not None:
                    F.confusion[(tr["pattern"], f["pattern"])] += 1
                    store = F.bnd_mocap if kind == "mocap" else F.bnd
                    for key in ("start_t", "bottom_t", "end_t"):
                        store[key].append(f[key] - tr[key])
                    for lab in sorted(set(f["faults"]) - set(tr["faults"])):
                        F.false_pos[sc.name].append(lab)
                else:
                    F.confusion[(tr["pattern"], "missed")] += 1
                    continue
                for lab in tr["faults"]:
                    on = onset_t(lab, tr, trace_t, take.truth_angles)
                    lat = cue_latency(lab, tr, on, result["cues"])
                    if lat is None:
                        if higher_priority_cue_at(on, lab, result["cues"], prio):
                            F.suppressed[lab] += 1
                        else:
                            F.missed[lab] += 1
                    else:
                        F.latencies[lab].append(lat)
            extra = len(found) - sum(1 for _, f in pairs if f is not None)
            if extra:
                F.confusion[("none", "extra")] += extra

    for body, F in figs.items():
        print(f"\n================ {body} body ================")
        if F.false_pos:
            print("false faults by scenario: " + "; ".join(f"{n}: {', '.join(v)}" for n, v in F.false_pos.items()))
        for kind, (k, n) in F.exact.items():
            if n:
                print(f"rep count exact ({kind}, {'rdl' if args.pipeline else 'own profile'}): {k}/{n} sets = {100.0 * k / n:.0f}%")
        for title, store in (("synthetic", F.bnd), ("mocap (truth boundaries: local minima of hip flexion)", F.bnd_mocap)):
            if store:
                print(f"rep boundary error, {title}:")
                for key in ("start_t", "bottom_t", "end_t"):
                    e = np.asarray(store[key])
                    print(f"  {key:9s} mean {np.mean(e):+.3f} s  mean|e| {np.mean(np.abs(e)):.3f} s  "
                          f"max|e| {np.max(np.abs(e)):.3f} s  (n={len(e)})")
        print("rep verdicts (rdl rules): " + ", ".join(f"{k} {v}" for k, v in sorted(F.verdicts.items()))
              + ("; not judged per label: " + ", ".join(f"{k} {v}" for k, v in sorted(F.not_judged.items()))
                 if F.not_judged else ""))
        src = "fitted" if args.pipeline else "truth"
        for split in ("dev", "holdout"):
            if F.tallies[split]:
                print(format_fault_table(Tally.sum(F.tallies[split]), f"faults ({src} angles), {body}, {split}, all reps:"))
                print(format_fault_table(Tally.sum(F.tallies_clear[split]),
                                         f"faults ({src} angles), {body}, {split}, clearly labelled reps:"))
        print("pattern confusion (truth → found):", dict(F.confusion))
        sq = [v for (a, b), v in F.confusion.items() if a == "squat"]
        if sq:
            print(f"squat reps recognised: {F.confusion[('squat', 'squat')]}/{sum(sq)}")
        print("cue latency from fault onset (s):")
        for lab in LABELS_BY_PRIORITY:
            L = F.latencies[lab]
            if L or F.missed[lab] or F.suppressed[lab]:
                within = sum(1 for x in L if x <= 0.3)
                print(f"  {lab:19s} n {len(L):3d}  mean {np.mean(L) if L else math.nan:.3f}  "
                      f"max {max(L) if L else math.nan:.3f}  ≤0.3 s: {within}/{len(L)}  "
                      f"not cued: {F.missed[lab]}  (behind a more important cue: {F.suppressed[lab]})")
        if F.lags:
            print(f"live smoother lag at hip-flexion 40° crossings: {np.nanmean(F.lags):.0f} ms (mean over scenarios)")


if __name__ == "__main__":
    main()
