"""Spine benchmark: where does a rep's bend go? Per rep, the fitted spine flexion against the
truth at the rep's bottom and at its peak, and which fitted DOFs carried the bend.

bench/fitter.py gives the spine MAE and the rounded_back verdicts; this says why they are what
they are. For every truth rep of each scenario (station run as live: Pipeline with the rdl
evaluator) it prints:
  - truth / fitted spine_flexion at the truth bottom (median over +-0.1 s) and their peaks
    over the rep, the truth / fitted hip and knee flexion at the bottom;
  - the fitted pelvis pitch, lumbar, thorax and neck flexion DOFs at the bottom, each minus
    its median while the person stood tall before the set (the DOFs the contract's
    spine_flexion is made of: thorax against pelvis; the neck moves the head, not the angle);
  - the rep's verdict on rounded_back (TP/FP/FN, /NJ when it was not judged);
  - the peak the rule reads (the spine held over SPINE_HOLD_S, station.form.rules.held_peak)
    against the truth peak; the share of the rep's frames whose spine confidence (as judged:
    station.form.confidence_gate, after the rate term) reached the gate's 0.4 ("cov"; the
    gate needs 0.8), and what held the unsure frames under it: the constraint factor of the
    spine's deviation ("sd"), visibility x fit quality ("vq"), the rate term ("rate");
  - the thorax's flexion DOF while standing tall (absolute, "thor0") and the share of the
    bottom's frames with it on its extension limit ("@lim"): the fit wanted the thorax further
    back than it may go, so the spine read there is the limit's, not the data's;
  - the pitch at the bottom (from standing, truth/fitted) of the two axes spine_flexion is made
    of, the pelvis's (pelvis -> spine_low) and the thorax's (spine_mid -> neck): which of them
    carries a spine error;
then per body: the bottom bias (fitted - truth) on rounded and on other reps, the mean
absolute peak error on rounded reps, the highest fitted peak on reps that did not round; the
reps with the thorax on its limit at the bottom and their bias against the others; the
pelvis's and the thorax's pitch bias at the bottom; what a perfect fit of the truth's own
spine points would read (their chord against the truth's spine at the bottom: on the mesh
body, whose truth is the top thoracic bone, ~0.7); and
whether the gate ranks the reps by how well their spine was measured: the held peak's error
on judged and on not-judged reps, and the AUC of "cov" for reps read within 5 deg of the
truth peak against the others (0.5: the gate does not rank them).

    NUMBA_NUM_THREADS=1 python bench/spine.py --scenarios rdl_rounded_back,rdl_clean,rdl_mixed_faults --body both --max-frames 400
    NUMBA_NUM_THREADS=1 python bench/spine.py --scenarios mesh_A_faults1,mesh_H_faults3
    NUMBA_NUM_THREADS=1 python bench/spine.py --scenarios mesh_D_faults1,mesh_O_faults1 --mount-m 2.1
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import replace

os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fitter import zone_for

from station.app import Pipeline, frame_record
from station.fit.body_model import DOF, DOF_LOWER
from station.fit.confidence import ConfidenceScales, constraint_factor
from station.form.confidence_gate import ConfidenceGate
from station.form.rules import held_peak
from station.form.angles import signed_sagittal_deg
from station.model import SKELETON_INDEX, SPINE_POINTS, DepthFrame
from station.scoring import match_reps
from station.sim.scenarios import BODIES, build, get_scenario

DOF_COLS = ("root_pitch", "lumbar_flex", "thorax_flex", "neck_flex")
# the thorax within this much of its extension limit: the fit wanted it further back, and the
# spine it reads is the limit's, not the data's
THORAX_EXT_LIMIT_DEG = float(np.degrees(DOF_LOWER[DOF["thorax_flex"]]))
AT_LIMIT_DEG = 2.0
SPINE_SD_SCALE = ConfidenceScales().angle_sd[5]
MIN_CONF = ConfidenceGate().min_confidence
LIMITS = ("sd", "vq", "rate")


def _series(frames: list[dict], key: str) -> np.ndarray:
    return np.array([f["angles"][key] if f.get("tracked") and f.get("angles", {}).get(key) is not None
                     else np.nan for f in frames], np.float64)


def _both(frames: list[dict], key: str) -> np.ndarray:
    return 0.5 * (_series(frames, f"{key}_l") + _series(frames, f"{key}_r"))


def axis_pitches(frames: list[dict], spine_key: str, up_cam: np.ndarray) -> np.ndarray:
    """(n, 2) the sagittal pitch (deg, forward +) against the floor's up of the two axes the
    contract's spine_flexion is made of: the pelvis's (pelvis -> spine_low) and the thorax's
    (spine_mid -> neck); NaN where untracked. spine_flexion is the thorax's less the pelvis's
    (station.form.angles), so a bias in it splits into the two. It showed why the women's flat
    backs read extended at the bottom: on mesh_B_faults1 and mesh_F_faults2 the fitted pelvis
    pitched 10-26 deg further forward than the rig's root bone, the thorax within 6 deg of the
    top thoracic bone's (on mesh_A_faults1 the pelvis within 4 deg)."""
    out = np.full((len(frames), 2), np.nan)
    for i, f in enumerate(frames):
        j, sp = f.get("joints"), f.get(spine_key)
        if not f.get("tracked") or j is None or sp is None:
            continue
        P = {k: np.asarray(v, np.float64) for k, v in {**j, **sp}.items()}
        left = P["hip_l"] - P["hip_r"]
        left = left / max(float(np.linalg.norm(left)), 1e-9)
        out[i, 0] = signed_sagittal_deg(up_cam, P["spine_low"] - P["pelvis"], left)
        out[i, 1] = signed_sagittal_deg(up_cam, P["neck"] - P["spine_mid"], left)
    return out


def run(take, max_frames: int | None) -> tuple[dict, list[dict], np.ndarray]:
    """(truth document, result frames, fitted DOFs in degrees (n, len(DOF_COLS)), NaN untracked)."""
    n = take.n_frames if max_frames is None else min(max_frames, take.n_frames)
    pipe = Pipeline(zone=zone_for(take), seed=take.scenario.seed, exercise="rdl")
    frames, dofs = [], np.full((n, len(DOF_COLS)), np.nan)
    cols = [DOF[c] for c in DOF_COLS]
    for i in range(n):
        res = pipe.process(DepthFrame(take.render_u16(i).copy(), 0.001, take.intrinsics,
                                      float(take.times_s[i]), i))
        rec = frame_record(res)
        # the spine confidence's factors: as judged (rate term applied), from the fit, its deviation
        pre, judged, sd = res.angle_confidence, res.judged_confidence, res.track.angle_sd
        rec["_spine_conf"] = (judged["spine_flexion"] if judged else 0.0, pre["spine_flexion"] if pre else 0.0,
                              sd["spine_flexion"] if sd else np.nan)
        if rec.get("tracked") and res.skeleton is not None:   # the spine's own points (not in the contract)
            rec["_spine_points"] = {n: res.skeleton.points_cam_m[SKELETON_INDEX[n]].tolist() for n in SPINE_POINTS}
        frames.append(rec)
        th = pipe.tracker.theta
        if rec.get("tracked") and th is not None:
            dofs[i] = np.degrees(th[cols])
    reps = pipe.evaluator.finish() if pipe.evaluator is not None else []
    return take.truth_document(take.scenario.name), frames, dofs, [r.as_contract() for r in reps]


def rep_rows(name: str, body: str, truth: dict, frames: list[dict], dofs: np.ndarray, reps: list[dict]) -> list[dict]:
    tf = truth["frames"][:len(frames)]     # the same recording: frame i is frame i
    rt = np.array([f["t"] for f in frames])
    ts, rs = _series(tf, "spine_flexion"), _series(frames, "spine_flexion")
    th, rh = _both(tf, "hip_flexion"), _both(frames, "hip_flexion")
    tk, rk = _both(tf, "knee_flexion"), _both(frames, "knee_flexion")
    t_end = rt[-1] if len(rt) else 0.0
    truth_reps = [r for r in truth["reps"] if r["end_t"] <= t_end + 1e-6]
    # standing tall before the first rep: the DOFs' personal neutral
    t0 = truth_reps[0]["start_t"] if truth_reps else t_end
    stand = (rt < t0 - 0.2) & (rt > t0 - 1.2)
    neutral = np.nanmedian(dofs[stand], axis=0) if np.any(stand) else np.zeros(len(DOF_COLS))
    up_cam = np.asarray(truth["floor"]["normal"], np.float64)
    pt, pf = axis_pitches(tf, "spine_points", up_cam), axis_pitches(frames, "_spine_points", up_cam)
    pt = pt - (np.nanmedian(pt[stand], axis=0) if np.any(stand) else 0.0)   # changes from standing
    pf = pf - (np.nanmedian(pf[stand], axis=0) if np.any(stand) else 0.0)
    sc = np.array([f.get("_spine_conf", (0.0, 0.0, np.nan)) for f in frames], np.float64).reshape(-1, 3)
    judged, pre, sd = sc[:, 0], sc[:, 1], sc[:, 2]
    constraint = constraint_factor(sd, SPINE_SD_SCALE)
    # each unsure frame's most limiting factor: the constraint, visibility x quality, the rate term
    factors = np.vstack([constraint, np.where(constraint > 1e-9, pre / np.maximum(constraint, 1e-9), 0.0),
                         np.where(pre > 1e-9, judged / np.maximum(pre, 1e-9), 1.0)])
    rows = []
    for tr, fr in match_reps(truth_reps, reps):
        if tr is None:
            continue
        b = tr["bottom_t"]
        near = np.abs(rt - b) <= 0.1
        inrep = (rt >= tr["start_t"]) & (rt <= tr["end_t"])
        med = lambda x, sel: float(np.nanmedian(x[sel])) if np.any(np.isfinite(x[sel])) else np.nan
        mx = lambda x, sel: float(np.nanmax(x[sel])) if np.any(np.isfinite(x[sel])) else np.nan
        rb_t = "rounded_back" in tr["faults"]
        rb_f = fr is not None and "rounded_back" in fr["faults"]
        nj = fr is not None and "rounded_back" in fr.get("not_judged", ())
        span = inrep if fr is None else (rt >= fr["start_t"]) & (rt <= fr["end_t"])
        ok = span & np.isfinite(rs)
        unsure = span & (judged < MIN_CONF)
        lim = np.argmin(np.nan_to_num(factors[:, unsure], nan=0.0), axis=0)
        rows.append({
            "held_peak": (float(tr["metrics"]["peak_spine_flexion"]),
                          held_peak(rt[ok], rs[ok]) if ok.sum() > 2 else np.nan),
            "coverage": float(np.mean(judged[span] >= MIN_CONF)) if span.any() else np.nan,
            "limits": [float(np.mean(lim == k)) if unsure.any() else 0.0 for k in range(len(LIMITS))],
            "scenario": name, "body": body, "bottom_t": b, "rounded": rb_t, "flagged": rb_f, "not_judged": nj,
            "found": fr is not None,
            "spine_bottom": (med(ts, near), med(rs, near)), "spine_peak": (mx(ts, inrep), mx(rs, inrep)),
            "hip_bottom": (med(th, near), med(rh, near)), "knee_bottom": (med(tk, near), med(rk, near)),
            "dofs_bottom": [med(dofs[:, j], near) - neutral[j] for j in range(len(DOF_COLS))],
            # the pelvis's and the thorax's pitch at the bottom, from standing (truth, fitted)
            "pelvis_pitch": (med(pt[:, 0], near), med(pf[:, 0], near)),
            "thorax_pitch": (med(pt[:, 1], near), med(pf[:, 1], near)),
            # the thorax's own flexion standing (absolute: its personal neutral) and the share
            # of the bottom's frames with it on its extension limit
            "thorax_standing": float(neutral[DOF_COLS.index("thorax_flex")]),
            "thorax_at_limit": _at_limit_share(dofs[near, DOF_COLS.index("thorax_flex")])})
    return rows


def _at_limit_share(thorax_deg: np.ndarray) -> float:
    """The share of these frames (tracked ones) with the thorax within AT_LIMIT_DEG of its
    extension limit; NaN if none was tracked."""
    x = thorax_deg[np.isfinite(thorax_deg)]
    return float(np.mean(x <= THORAX_EXT_LIMIT_DEG + AT_LIMIT_DEG)) if len(x) else np.nan


def _verdict(r: dict) -> str:
    v = ("TP" if r["flagged"] else "FN") if r["rounded"] else ("FP" if r["flagged"] else "ok")
    if not r["found"]:
        v = "miss" if r["rounded"] else "--"
    return v + ("/NJ" if r["not_judged"] else "")


def print_rows(rows: list[dict]) -> None:
    print(f"{'scenario':28s} {'body':7s} {'bottom':>6s} {'spine@bottom':>13s} {'spine peak':>13s} {'hip@bottom':>13s}"
          f" {'knee@bottom':>13s} | {'dpitch':>6s} {'dlum':>6s} {'dthor':>6s} {'dneck':>6s} | {'held peak':>13s}"
          f" {'cov':>4s} {'sd':>4s} {'vq':>4s} {'rate':>4s} | {'thor0':>5s} {'@lim':>4s} | {'pelvis pitch':>13s}"
          f" {'thorax pitch':>13s} | verdict")
    def pair(r: dict, k: str) -> str:
        return f"{r[k][0]:6.1f}/{r[k][1]:6.1f}"

    for r in rows:
        d = " ".join(f"{x:6.1f}" for x in r["dofs_bottom"])
        print(f"{r['scenario'][:28]:28s} {r['body']:7s} {r['bottom_t']:6.1f} {pair(r, 'spine_bottom')} {pair(r, 'spine_peak')}"
              f" {pair(r, 'hip_bottom')} {pair(r, 'knee_bottom')} | {d} | {pair(r, 'held_peak')} {r['coverage']:4.2f} "
              + " ".join(f"{x:4.2f}" for x in r["limits"])
              + f" | {r['thorax_standing']:5.1f} {r['thorax_at_limit']:4.2f} | {pair(r, 'pelvis_pitch')}"
              f" {pair(r, 'thorax_pitch')} | {_verdict(r)}")


def summary(rows: list[dict]) -> None:
    print("\nPer body (deg; bias = fitted - truth):")
    for body in BODIES:
        rs = [r for r in rows if r["body"] == body]
        if not rs:
            continue
        rnd = [r for r in rs if r["rounded"]]
        oth = [r for r in rs if not r["rounded"]]
        def bias(sel, k):
            v = [r[k][1] - r[k][0] for r in sel if np.isfinite(r[k][1] - r[k][0])]
            return float(np.mean(v)) if v else np.nan

        def mae(sel, k):
            v = [abs(r[k][1] - r[k][0]) for r in sel if np.isfinite(r[k][1] - r[k][0])]
            return float(np.mean(v)) if v else np.nan
        peaks = [r["spine_peak"][1] for r in oth if np.isfinite(r["spine_peak"][1])]
        top = max(peaks) if peaks else np.nan
        print(f"  {body:7s} rounded reps {len(rnd):3d}: bottom bias {bias(rnd, 'spine_bottom'):+6.1f}, peak |err|"
              f" {mae(rnd, 'spine_peak'):5.1f} (bias {bias(rnd, 'spine_peak'):+5.1f}); other reps {len(oth):3d}: bottom"
              f" bias {bias(oth, 'spine_bottom'):+6.1f}, highest fitted peak {top:5.1f}; hip bottom bias"
              f" {bias(rs, 'hip_bottom'):+5.1f}, knee {bias(rs, 'knee_bottom'):+5.1f}")
        found = [r for r in rs if r["found"] and np.isfinite(r["held_peak"][1] - r["held_peak"][0])]
        err = np.array([abs(r["held_peak"][1] - r["held_peak"][0]) for r in found])
        nj = np.array([r["not_judged"] for r in found], bool)
        cov = np.array([r["coverage"] for r in found])
        good, bad = cov[err <= 5.0], cov[err > 5.0]
        auc = (float(np.mean([(g > b) + 0.5 * (g == b) for g in good for b in bad]))
               if len(good) and len(bad) else np.nan)
        mean = lambda x: float(np.mean(x)) if len(x) else np.nan  # noqa: E731
        lim = [r for r in rs if r["thorax_at_limit"] >= 0.5]
        free = [r for r in rs if r["thorax_at_limit"] < 0.5]
        print(f"          thorax on its extension limit ({THORAX_EXT_LIMIT_DEG:.0f} deg) at the bottom: {len(lim)}"
              f" of {len(rs)} reps (bottom bias {bias(lim, 'spine_bottom'):+6.1f}, others"
              f" {bias(free, 'spine_bottom'):+6.1f}); standing thorax flexion (absolute) median"
              f" {float(np.nanmedian([r['thorax_standing'] for r in rs])):+5.1f}")
        print(f"          at the bottom, from standing: pelvis pitch bias {bias(rs, 'pelvis_pitch'):+5.1f}, thorax"
              f" pitch bias {bias(rs, 'thorax_pitch'):+5.1f} (the spine's bias is the thorax's less the pelvis's)")
        # what a perfect fit of the truth's own points would read: the contract's chord
        # (thorax axis against pelvis axis) of the truth's spine points, against the truth's
        # spine at the bottom. The mesh's truth is its top thoracic bone, which carries the
        # whole curve; a chord through the curved thorax carries part of it
        chord = [(r["thorax_pitch"][0] - r["pelvis_pitch"][0]) / r["spine_bottom"][0] for r in rs
                 if np.isfinite(r["thorax_pitch"][0] - r["pelvis_pitch"][0]) and r["spine_bottom"][0] > 10.0]
        print(f"          the truth's own spine points read as the contract's chord, against the truth's spine at"
              f" the bottom (reps past 10 deg, n {len(chord)}): median ratio"
              f" {float(np.median(chord)) if chord else np.nan:4.2f}")
        print(f"          held peak |err|: judged reps {mean(err[~nj]):5.1f} (n {int(np.sum(~nj))}, > 5 deg:"
              f" {int(np.sum(err[~nj] > 5))}), not judged {mean(err[nj]):5.1f} (n {int(np.sum(nj))}, > 5 deg:"
              f" {int(np.sum(err[nj] > 5))}); AUC of cov (|err| <= 5 vs > 5) {auc:.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scenarios", required=True, help="comma-separated names (NAME@mesh for one body)")
    ap.add_argument("--body", choices=("both",) + BODIES, default="mesh")
    ap.add_argument("--max-frames", type=int, help="frames per scenario (default: all)")
    ap.add_argument("--mount-m", type=float,
                    help="render from this camera height instead of the scenario's own, pitched to aim "
                         "at hip height at the zone's centre (as bench/fitter.py --mount-sweep)")
    args = ap.parse_args()
    bodies = list(BODIES) if args.body == "both" else [args.body]
    rows = []
    for name in args.scenarios.split(","):
        scs = [get_scenario(name)] if "@" in name else [get_scenario(name).on_body(b) for b in bodies]
        for sc in scs:
            if args.mount_m is not None:
                sc = replace(sc, mount_height_m=args.mount_m, pitch_down_deg=None)
            if sc.split == "holdout":
                print(f"  note: {sc.name} is in the holdout split (report only, do not tune on it)", file=sys.stderr)
            t0 = time.perf_counter()
            truth, frames, dofs, reps = run(build(sc), args.max_frames)
            rows += rep_rows(sc.name, sc.body, truth, frames, dofs, reps)
            print(f"  {sc.name}: {len(frames)} frames in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    print_rows(rows)
    summary(rows)


if __name__ == "__main__":
    main()
