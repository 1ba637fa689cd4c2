"""One take at two sensor noise levels: what a noisier sensor does to the spine's reading, and why.

The station runs over the same take twice, as it does live (Pipeline, the rdl evaluator): at
the library's sensor noise and with the D435 model's disparity noise and hole rate scaled
(`--noise-scale`, as bench/fitter.py's; `--noise-corr-px` puts the second run's noise in
patches, `--base-noise-scale` scales the first's). Prints:

  - per rep, the truth's peak spine flexion and each run's fitted peak ("*" rounded back
    called, "?" not judged);
  - what each track measured of the lifter while standing: the build (the trunk's and
    thighs' radius scale, read on the sides' points: station.fit.start.build_ratio) and the
    neck's learned rest (station.fit.body_model.StandingRest);
  - per rep, where each run's reading moved: the raw spine (the fit's thorax against its
    pelvis) over the truth's bottom, and the standing reference it is measured from (the
    one in force at the take's end); a rep reads the bottom's shift minus the reference's;
  - with --at FRAMES, each run's tracked raw spine reading there, and each of those frames
    fitted again (no temporal term, 25 iterations) on each run's points, with each run's
    weights, from each run's pose on each run's body: the raw spine reading and the energy.
    A reading that follows the body, whatever the points, weights or start, is the body the
    track built; one that follows the points is the frame's; one the refits do not
    reproduce is the track's history (its temporal term).

docs/spine-limits.md ("Stop 61") has what it showed on the tall heavy man mesh_E_faults2.

    NUMBA_NUM_THREADS=1 python bench/noise_pair.py --scenario mesh_E_faults2@mesh --at 137,330
"""
from __future__ import annotations

import argparse
import os
import sys
from dataclasses import replace

os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fitter import zone_for  # noqa: E402

from station.app import Pipeline  # noqa: E402
from station.fit import solver  # noqa: E402
from station.fit.body_model import DOF  # noqa: E402
from station.fit.tracker import _spine_raw_deg  # noqa: E402
from station.model import DepthFrame  # noqa: E402
from station.sim.scenarios import build, get_scenario  # noqa: E402

SPINE_DOFS = ("root_pitch", "lumbar_flex", "thorax_flex", "upper_thorax_flex", "neck_flex")


def rep_readings(truth_reps: list[dict], result_reps: list[dict], max_gap_s: float = 1.0) -> list[str]:
    """Per truth rep, "truth/fitted" peak spine flexion (deg) of the result rep whose bottom is
    nearest (within max_gap_s), marked "*" when rounded_back was called and "?" when it was
    not judged; "truth/-" with no such rep."""
    out = []
    for t in truth_reps:
        tv = t["metrics"]["peak_spine_flexion"]
        near = [r for r in result_reps if abs(r["bottom_t"] - t["bottom_t"]) <= max_gap_s]
        if not near:
            out.append(f"{tv:.1f}/-")
            continue
        r = min(near, key=lambda r: abs(r["bottom_t"] - t["bottom_t"]))
        fv = r["metrics"].get("peak_spine_flexion")
        mark = "*" if "rounded_back" in r["faults"] else ("?" if "rounded_back" in r.get("not_judged", []) else "")
        out.append(f"{tv:.1f}/{'-' if fv is None else f'{fv:.1f}'}{mark}")
    return out


def bottom_shifts(t_s: np.ndarray, truth_reps: list[dict], raw_deg: list[np.ndarray],
                  baseline_deg: list[float | None], half_window_s: float = 0.2) -> list[str]:
    """Per truth rep, where each run's spine reading comes from: each run's mean raw spine
    (deg; NaN where untracked) within half_window_s of the truth's bottom, and each run's
    standing reference. "truth T: bottom a -> b (d), reference a -> b (d): reads R more"
    for two runs, R = the bottom's shift minus the reference's."""
    out = []
    ref = [np.nan if b is None else float(b) for b in baseline_deg]
    for tr in truth_reps:
        w = np.abs(t_s - tr["bottom_t"]) <= half_window_s
        bottoms = [float(np.nanmean(r[w])) if np.isfinite(r[w]).any() else np.nan for r in raw_deg]
        d_bottom, d_ref = bottoms[1] - bottoms[0], ref[1] - ref[0]
        out.append(f"truth {tr['metrics']['peak_spine_flexion']:4.1f}: bottom {bottoms[0]:6.1f} -> {bottoms[1]:6.1f} "
                   f"({d_bottom:+.1f}), reference {ref[0]:6.1f} -> {ref[1]:6.1f} ({d_ref:+.1f}): "
                   f"reads {d_bottom - d_ref:+.1f} more")
    return out


def refits(pipes: list[Pipeline], results: list) -> list[str]:
    """This frame of each run fitted again on each run's body, weights and pose (docstring)."""
    frames = [solver.prepare_frame(r.segment.cloud, p.tracker.config.max_points) for r, p in zip(results, pipes)]
    rows = []
    for d in (0, 1):
        for w in (0, 1):
            for pose in (0, 1):
                for b in (0, 1):
                    tr = pipes[b].tracker
                    th = pipes[pose].tracker.theta.copy()
                    ws = solver.Workspace()
                    # observe_rest False: the track's neck rest learns nothing from these refits
                    fit = solver.fit_frame(solver.body_for_pose(tr.body, th, ws), frames[d], th, None,
                                           pipes[w].tracker.noise.weights, n_iter=25, ws=ws,
                                           implement=tr.implement, anchors_floor_m=tr.anchors,
                                           observe_rest=False)
                    dofs = " ".join(f"{n} {np.degrees(fit.theta[DOF[n]]):6.1f}" for n in SPINE_DOFS)
                    rows.append(f"    points {d + 1} weights {w + 1} pose {pose + 1} body {b + 1}: raw spine "
                                f"{_spine_raw_deg(fit):6.1f} deg, energy {fit.energy:7.1f} | {dofs}")
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scenario", default="mesh_E_faults2@mesh")
    ap.add_argument("--noise-scale", type=float, default=2.0)
    ap.add_argument("--noise-corr-px", type=float, default=0.0,
                    help="the second run's noise in patches (bench/fitter.py's --noise-corr-px)")
    ap.add_argument("--base-noise-scale", type=float, default=1.0,
                    help="the first run's noise scale (default: the library's)")
    ap.add_argument("--at", default="", help="comma-separated frame indices to refit (both runs)")
    ap.add_argument("--max-frames", type=int, default=None)
    args = ap.parse_args()
    at = sorted(int(x) for x in args.at.split(",") if x.strip())
    sc = get_scenario(args.scenario)
    takes = [build(replace(sc, noise_scale=sc.noise_scale * args.base_noise_scale)),
             build(replace(sc, noise_scale=sc.noise_scale * args.noise_scale, noise_corr_px=args.noise_corr_px))]
    pipes = [Pipeline(zone=zone_for(t), seed=sc.seed, exercise="rdl") for t in takes]
    n = takes[0].n_frames if args.max_frames is None else min(args.max_frames, takes[0].n_frames)
    raw = np.full((2, n), np.nan)
    for i in range(n):
        results = [p.process(DepthFrame(t.render_u16(i).copy(), 0.001, t.intrinsics, float(t.times_s[i]), i))
                   for t, p in zip(takes, pipes)]
        for k, r in enumerate(results):
            if r.track is not None and r.track.spine_raw_deg is not None:
                raw[k, i] = r.track.spine_raw_deg
        if i in at:
            if any(r.segment is None or p.tracker.theta is None for r, p in zip(results, pipes)):
                print(f"frame {i}: not tracked in both runs")
                continue
            tracked = ", ".join(f"run {k + 1} {r.track.spine_raw_deg:.1f}" if r.track.spine_raw_deg is not None
                                else f"run {k + 1} -" for k, r in enumerate(results))
            print(f"frame {i} (t {takes[0].times_s[i]:.2f} s): tracked raw spine {tracked} deg")
            print("\n".join(refits(pipes, results)))
    truth = takes[0].truth_document(sc.name)
    second = f"noise x{args.noise_scale:g}" + (f" in {args.noise_corr_px:g} px patches" if args.noise_corr_px else "")
    for label, p, t in ((f"noise x{args.base_noise_scale:g}", pipes[0], takes[0]), (second, pipes[1], takes[1])):
        reps = [r.as_contract() for r in p.evaluator.finish()] if p.evaluator is not None else []
        body = p.tracker.body
        rest = f"{np.degrees(body.standing_rest.neck_rad):.1f} deg" if body.standing_rest.learned else "not learned"
        print(f"{label:10s} build {body.shape.build:.3f}, neck rest {rest}; reps (truth/fitted peak spine): "
              + " ".join(rep_readings(truth["reps"], reps)))
    print("where the readings moved (raw spine at the bottom, and the standing reference):")
    for line in bottom_shifts(np.asarray(takes[0].times_s[:n]), truth["reps"], list(raw),
                              [p.standing.spine_deg for p in pipes]):
        print("  " + line)


if __name__ == "__main__":
    main()
