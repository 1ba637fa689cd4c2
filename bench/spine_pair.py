"""One body as a woman and as a man: how far the fitted spine reads each rep's rounding, and why.

The controlled pair of docs/spine-limits.md: the same mesh athlete (1.70 m, build 0.3, muscle
0.4, tight clothes, no implement, 1.6 m mount, facing the mirror) doing four RDLs rounded 0, 24,
30 and 0 deg, with only MakeHuman's sex macro changed. The station runs as it does live
(Pipeline, the rdl evaluator). Prints, per body:

  - per rep, the truth's peak spine flexion -> the rep's fitted peak (the verdict's metric),
    "nj" where the rounded-back rule was not judged;
  - at each rep's bottom, where the points nearest the trunk's capsules sit on the trunk's
    underside (the capsule's outward normal pointing down): their mean signed distance off
    the capsules (mm, + outside) and the share more than 20 mm outside. Cloth hanging off the
    trunk shows here; a body the capsules fit does not;
  - with --basin, at the most rounded rep's bottom, the frame fitted again (no temporal term,
    30 iterations) from the tracked pose and from poses D deg rounder (the pelvis tipped back
    and the lumbar flexed by D, the thighs kept): the energy, mean residual and raw spine
    (relative to the tracked pose's) each ends at. A reading that comes back from every
    start is the energy's minimum, not a start gone wrong.

    NUMBA_NUM_THREADS=1 python bench/spine_pair.py
    NUMBA_NUM_THREADS=1 python bench/spine_pair.py --sexes 0 --clothing hoodie --build 0.85 --basin
"""
from __future__ import annotations

import argparse
import os
import sys

os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fitter import zone_for

from station.app import Pipeline
from station.fit import solver
from station.fit.body_model import DOF
from station.fit.tracker import _spine_raw_deg
from station.model import DepthFrame
from station.scoring import match_reps
from station.sim import motion as mo
from station.sim.scenarios import Athlete, Scenario, build

ROUNDINGS_DEG = (0.0, 24.0, 30.0, 0.0)
TRUNK_CAPSULES = ("pelvis", "abdomen", "chest_low", "chest_high")
BASIN_STARTS_DEG = (0, 5, 10, 20, 30)


def pair_scenario(sex: float, clothing: str, build_: float, height_m: float) -> Scenario:
    return Scenario(f"spine_pair_sex{sex:g}", "one body, sex varied, reps rounded 0/24/30/0", 7,
                    athlete=Athlete(height_m, build_, clothing, None, sex, 0.4),
                    reps=tuple(mo.HingeRepParams(spine_rounding_deg=r, hip_flexion_deg=80.0)
                               for r in ROUNDINGS_DEG),
                    body="mesh", scene="gym", mount_height_m=1.6)


def underside(tracker, cloud) -> tuple[float, float, int]:
    """(mean signed distance m, share beyond 0.02 m, count) of the cloud's points nearest a
    trunk capsule, on the trunk's underside."""
    ca, cb = solver.posed_capsules(tracker.body, tracker.theta, tracker._ws)
    idx, dist, nrm = solver.capsule_distances(cloud.points_floor_m, ca, cb,
                                              tracker.body.cap_ra, tracker.body.cap_rb)
    names = np.array(tracker.body.cap_names)[idx]
    sel = np.isin(names, TRUNK_CAPSULES) & (nrm[:, 2] < -0.3)
    if not sel.any():
        return float("nan"), float("nan"), 0
    return float(dist[sel].mean()), float(np.mean(dist[sel] > 0.02)), int(sel.sum())


def basin(tracker, cloud) -> list[str]:
    """The frame fitted again from the tracked pose and from rounder ones (module docstring)."""
    frame = solver.prepare_frame(cloud, tracker.config.max_points)
    theta0 = tracker.theta.copy()
    ref = None
    rows = []
    for d in BASIN_STARTS_DEG:
        th = theta0.copy()
        r = np.radians(d)
        th[DOF["root_pitch"]] -= r
        th[DOF["lumbar_flex"]] += r
        th[DOF["hip_l_flex"]] -= r            # the thighs stay where they were
        th[DOF["hip_r_flex"]] -= r
        fit = solver.fit_frame(tracker.body, frame, th, None, tracker.noise.weights, n_iter=30,
                               ws=solver.Workspace(), implement=tracker.implement,
                               observe_rest=False)
        spine = _spine_raw_deg(fit)
        ref = spine if ref is None else ref
        rows.append(f"from {d:2d} deg rounder: energy {fit.energy:7.1f}, residual "
                    f"{1e3 * fit.mean_abs_residual_m:4.1f} mm, spine {spine - ref:+5.1f} deg")
    return rows


def run(sc: Scenario, with_basin: bool) -> None:
    take = build(sc)
    truth = take.truth_document(sc.name)
    reps_t = truth["reps"]
    bottoms = {int(np.argmin(np.abs(take.times_s - r["bottom_t"]))): r for r in reps_t}
    deepest = max(reps_t, key=lambda r: r["metrics"]["peak_spine_flexion"])
    pipe = Pipeline(zone=zone_for(take), seed=sc.seed, exercise="rdl")
    under, basin_rows = {}, []
    for i in range(take.n_frames):
        res = pipe.process(DepthFrame(take.render_u16(i).copy(), 0.001, take.intrinsics,
                                      float(take.times_s[i]), i))
        tr = pipe.tracker
        if i in bottoms and tr.theta is not None and res.segment is not None:
            under[bottoms[i]["bottom_t"]] = underside(tr, res.segment.cloud)
            if with_basin and bottoms[i] is deepest:
                basin_rows = basin(tr, res.segment.cloud)
    reps = [r.as_contract() for r in pipe.evaluator.finish()]
    print(f"{sc.name}: {sc.athlete}")
    for t, r in match_reps(reps_t, reps):
        if t is None:
            continue
        fitted = r["metrics"].get("peak_spine_flexion") if r is not None else None
        nj = " nj" if r is not None and "rounded_back" in r.get("not_judged", []) else ""
        mean_m, share, n = under.get(t["bottom_t"], (float("nan"), float("nan"), 0))
        read = "no rep" if fitted is None else f"{fitted:5.1f}{nj}"
        print(f"  rep at {t['bottom_t']:5.2f} s: truth {t['metrics']['peak_spine_flexion']:5.1f} -> {read:9s}"
              f" | underside {1e3 * mean_m:+5.1f} mm, {share:.2f} beyond 20 mm ({n} points)")
    for row in basin_rows:
        print(f"  most rounded bottom ({deepest['metrics']['peak_spine_flexion']:.1f} deg), {row}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sexes", default="0,1", help="MakeHuman sex macros, comma separated (0 woman, 1 man)")
    ap.add_argument("--clothing", default="tight", choices=("tight", "tshirt", "hoodie"))
    ap.add_argument("--build", type=float, default=0.3, help="MakeHuman weight macro, 0..1")
    ap.add_argument("--height-m", type=float, default=1.70)
    ap.add_argument("--basin", action="store_true", help="refit the most rounded bottom from rounder starts")
    a = ap.parse_args(argv)
    for sex in (float(s) for s in a.sexes.split(",")):
        run(pair_scenario(sex, a.clothing, a.build, a.height_m), a.basin)
    return 0


if __name__ == "__main__":
    sys.exit(main())
