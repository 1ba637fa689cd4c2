"""Fitter benchmark: accuracy and speed of segmentation + skeleton fitting on the scenario library.

Prints one table per grouping (figures, not pass/fail):
  tracked-frame rate on in-view frames, MPJPE per joint and overall (mm), mean absolute
  error of each contract angle (deg; pelvis shift in mm), ms per frame for segmentation and
  fitting; then the whole analyze path (pyrealsense2 playback → pipeline) in frames per
  second on one core, peak memory and numba warm-start time.

    NUMBA_NUM_THREADS=1 python bench/fitter.py                 # whole library
    NUMBA_NUM_THREADS=1 python bench/fitter.py --max-frames 200 --scenarios rdl_clean,mocap_squats
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from station.app import Pipeline  # noqa: E402
from station.config import load_station_config  # noqa: E402
from station.model import ANGLES, JOINTS, DepthFrame  # noqa: E402
from station.segment import LiftingZone  # noqa: E402
from station.sim.scenarios import SCENARIOS, build, get_scenario  # noqa: E402

ANGLE_SHORT = {"trunk_inclination": "trunk", "hip_flexion_l": "hipL", "hip_flexion_r": "hipR",
               "knee_flexion_l": "kneeL", "knee_flexion_r": "kneeR", "spine_flexion": "spine",
               "pelvis_lateral_shift": "shift_mm"}


def zone_for(take) -> LiftingZone:
    """The station's configured zone, re-centred on where this scenario's lifter stands
    (staff set the zone to their floor markings)."""
    z = load_station_config().zone
    sc = take.scenario
    return LiftingZone(centre_x_m=sc.lifter_x_m, centre_y_m=sc.lifter_distance_m, width_m=z.width_m,
                       depth_m=z.depth_m, max_height_m=z.height_m)


def run_scenario(name: str, max_frames: int | None, scenario=None) -> dict:
    take = build(scenario or get_scenario(name))
    n = take.n_frames if max_frames is None else min(max_frames, take.n_frames)
    pipe = Pipeline(zone=zone_for(take), seed=take.scenario.seed)
    per_joint_err = []
    ang_err = defaultdict(list)
    in_view = tracked = 0
    seg_ms, fit_ms = [], []
    for i in range(n):
        frame = DepthFrame(take.render_u16(i).copy(), 0.001, take.intrinsics, float(take.times_s[i]), i)
        res = pipe.process(frame)
        seg_ms.append(res.timings_ms["segment"])
        fit_ms.append(res.timings_ms["fit"])
        if not take.in_view[i]:
            continue
        in_view += 1
        if not res.tracked:
            continue
        tracked += 1
        est = res.skeleton.points_cam_m[: len(JOINTS)]
        per_joint_err.append(np.linalg.norm(est - take.skeleton_cam_m[i, : len(JOINTS)], axis=1))
        if res.angles is not None:
            for k in ANGLES:
                scale = 1000.0 if k == "pelvis_lateral_shift" else 1.0
                ang_err[k].append(abs(res.angles[k] - take.truth_angles[k][i]) * scale)
    pj = np.array(per_joint_err) * 1000.0 if per_joint_err else np.full((0, len(JOINTS)), np.nan)
    return {
        "name": name, "mount_m": take.scenario.mount_height_m, "yaw_deg": take.scenario.yaw_deg,
        "frames": n, "in_view": in_view, "tracked": tracked,
        "joint_err_mm": pj, "angle_err": {k: np.array(v) for k, v in ang_err.items()},
        "seg_ms": np.array(seg_ms), "fit_ms": np.array(fit_ms),
    }


def _row(label: str, rs: list[dict]) -> str:
    if not rs:
        return f"{label:28s} (no scenarios)"
    iv = sum(r["in_view"] for r in rs)
    tr = sum(r["tracked"] for r in rs)
    pj = np.concatenate([r["joint_err_mm"] for r in rs]) if rs else np.zeros((0, len(JOINTS)))
    mpjpe = float(np.nanmean(pj)) if pj.size else float("nan")
    angs = []
    for k in ANGLES:
        v = np.concatenate([r["angle_err"].get(k, np.zeros(0)) for r in rs])
        angs.append(f"{np.mean(v):7.1f}" if v.size else "      -")
    seg = np.concatenate([r["seg_ms"] for r in rs])
    fit = np.concatenate([r["fit_ms"] for r in rs])
    return (f"{label:28s} {iv:6d} {100.0 * tr / max(iv, 1):7.1f} {mpjpe:8.1f} " + " ".join(angs)
            + f" {np.median(seg):6.2f} {np.median(fit):6.2f}")


def _header(title: str) -> str:
    cols = " ".join(f"{ANGLE_SHORT[k]:>7s}" for k in ANGLES)
    return (f"\n{title}\n{'':28s} {'inview':>6s} {'track%':>7s} {'MPJPE':>8s} {cols} {'seg_ms':>6s} {'fit_ms':>6s}\n"
            + "-" * (28 + 6 + 8 + 9 + 8 * len(ANGLES) + 14))


def analyze_path_fps(seconds: float = 6.0) -> tuple[float, int]:
    """Frames per second of `station analyze` (pyrealsense2 playback + whole pipeline)."""
    from station.app import analyze_recording
    from station.sources.synthetic import record_synthetic

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "bench.db3"
        n, _ = record_synthetic("rdl_clean", path, seconds=seconds, progress=False)
        t0 = time.perf_counter()
        analyze_recording(path, None, progress=False)
        return n / (time.perf_counter() - t0), n


def warm_start_s() -> float:
    """Seconds for a fresh process to import the pipeline and process its first frames
    (numba kernels loaded from the on-disk cache)."""
    code = ("import time; t=time.perf_counter();"
            "from station.sim.scenarios import build, get_scenario; from station.app import Pipeline;"
            "from station.model import DepthFrame;"
            "tk=build(get_scenario('rdl_clean')); p=Pipeline();"
            "[p.process(DepthFrame(tk.render_u16(i).copy(),0.001,tk.intrinsics,i/30,i)) for i in range(40)];"
            "print(time.perf_counter()-t)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


SWEEP_BASES = ("rdl_clean", "rdl_rounded_back")
SWEEP_HEIGHTS_M = (1.0, 1.3, 1.6, 1.9, 2.1)
SWEEP_YAWS_DEG = (0.0, 45.0)


def mount_sweep(max_frames: int | None) -> None:
    """Where should the camera go? The same lifters and motions (clean RDLs, and RDLs whose
    back rounds 32°) rendered from every mount height, facing the mirror and turned 45°:
    only the mount differs between rows."""
    from dataclasses import replace

    rows = defaultdict(list)
    for base in SWEEP_BASES:
        for yaw in SWEEP_YAWS_DEG:
            for h in SWEEP_HEIGHTS_M:
                sc = replace(get_scenario(base), mount_height_m=h, pitch_down_deg=None, yaw_deg=yaw,
                             name=f"{base}@{h:.1f}m/{yaw:.0f}deg")
                t0 = time.perf_counter()
                r = run_scenario(sc.name, max_frames, scenario=sc)
                print(f"  {sc.name}: {r['frames']} frames in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
                rows[(h, yaw)].append(r)
    print(_header("Mount sweep: rdl_clean + rdl_rounded_back, only the camera height (and lifter yaw) differ"))
    for yaw in SWEEP_YAWS_DEG:
        for h in SWEEP_HEIGHTS_M:
            print(_row(f"{h:.1f} m, lifter yaw {yaw:.0f}", rows[(h, yaw)]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scenarios", help="comma-separated names (default: the whole library)")
    ap.add_argument("--max-frames", type=int, help="frames per scenario (default: all)")
    ap.add_argument("--json", help="also write the figures as JSON here")
    ap.add_argument("--mount-sweep", action="store_true",
                    help="only the controlled mount comparison: the same takes seen from 1.0-2.1 m, facing and turned")
    args = ap.parse_args()
    if args.mount_sweep:
        mount_sweep(args.max_frames)
        return
    names = args.scenarios.split(",") if args.scenarios else [s.name for s in SCENARIOS]

    results = []
    for name in names:
        t0 = time.perf_counter()
        results.append(run_scenario(name, args.max_frames))
        print(f"  {name}: {results[-1]['frames']} frames in {time.perf_counter() - t0:.1f} s", file=sys.stderr)

    print(_header("Per scenario (angles: mean absolute error in degrees; shift in mm)"))
    for r in results:
        print(_row(r["name"], [r]))
    print(_row("ALL", results))

    print(_header("By camera mount height"))
    for h in sorted({r["mount_m"] for r in results}):
        print(_row(f"mount {h:.1f} m", [r for r in results if r["mount_m"] == h]))
    print(_header("By lifter orientation"))
    print(_row("facing the mirror", [r for r in results if r["yaw_deg"] == 0]))
    print(_row("turned 30-45 deg", [r for r in results if r["yaw_deg"] != 0]))

    pj = np.concatenate([r["joint_err_mm"] for r in results])
    print("\nMPJPE per joint (mm): " + ", ".join(f"{n} {v:.0f}" for n, v in zip(JOINTS, np.nanmean(pj, axis=0))))

    fps, n = analyze_path_fps()
    print(f"\nanalyze path (pyrealsense2 playback + segment + fit + angles), one core: {fps:.1f} frames/s over {n} frames")
    print(f"numba warm start (fresh process, cached kernels, 40 frames): {warm_start_s():.2f} s")
    print(f"peak memory (max RSS of this process): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    if args.json:
        Path(args.json).write_text(json.dumps([{k: (v.tolist() if isinstance(v, np.ndarray) else v)
                                                 for k, v in r.items() if k != "angle_err"} for r in results]))


if __name__ == "__main__":
    main()
