"""Fitter benchmark: accuracy and speed of segmentation + skeleton fitting, per body.

Every scenario runs on both bodies unless told otherwise: the capsule body (made of the kind
of primitives the fitter fits) and the mesh body (the skinned MakeHuman human, its own rig),
reported side by side, because a figure from one body is not "the" accuracy. The station runs
as it does live (Pipeline with the rdl evaluator; deadlifts from the floor with the deadlift's,
whose rules labelled their truth: SyntheticTake.truth_profile), and everything is scored by
station.scoring from the same analysis documents `station analyze` writes.

Prints (figures, not pass/fail), per body (RB_P/RB_R: rounded_back precision/recall, mF1: macro
F1 over the six fault labels, cue%: clean reps with a fault cue on screen): tracked rate on in-view frames, MPJPE (mm) and
beside it (-const) MPJPE with each recording's constant offset of every joint taken out (the
part a per-person correction of the joint centres inside the surface cannot remove), mean
absolute error of trunk, hip, knee and spine angles (deg; pelvis shift in mm), median ms per
frame for segmentation and fitting (wall, and CPU time per body), grouped by scenario, camera mount height, lifter
orientation and split; rep-level fault precision/recall/F1 per label from the FITTED angles
(all reps, and clearly labelled reps; "cleared": true faults on reps judged for the label and
called free of it, where "not judged" was the honest answer), the false-fault and false-cue rates on clean reps; MPJPE
per joint; start: the start latency (s, worst of the group: from the person first standing still in
view to the first tracked frame, inf = never; station.scoring.start_latency_s). --speed adds the whole analyze path (pyrealsense2 playback → pipeline) in frames per
second on one core, peak memory and numba warm start.

    NUMBA_NUM_THREADS=1 python bench/fitter.py                       # library (dev), both bodies
    NUMBA_NUM_THREADS=1 python bench/fitter.py --split holdout       # the held-out split, for the report
    NUMBA_NUM_THREADS=1 python bench/fitter.py --max-frames 200 --scenarios rdl_clean,mocap_squats --body mesh
    NUMBA_NUM_THREADS=1 python bench/fitter.py --mount-sweep --body mesh
    NUMBA_NUM_THREADS=1 python bench/fitter.py --body mesh --split all --save runs/x   # + bench/rescore.py runs/x
    NUMBA_NUM_THREADS=1 python bench/fitter.py --body mesh --noise-scale 2   # a noisier sensor (another D435 noise)
    NUMBA_NUM_THREADS=1 python bench/fitter.py --body mesh --noise-corr-px 2 # its noise in patches (stereo windows)
    NUMBA_NUM_THREADS=1 python bench/fitter.py --body mesh --edge-fattening-px 2   # outlines grown at depth edges
    NUMBA_NUM_THREADS=1 python bench/fitter.py --body mesh --depth-mode 1280x720@30   # another D4xx depth mode
    NUMBA_NUM_THREADS=1 python bench/fitter.py --mount-sweep --heights 1.0,1.6,2.1 --yaws 0 --max-frames 200
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from station import fileio  # noqa: E402
from station.app import Pipeline, frame_record  # noqa: E402
from station.config import load_station_config  # noqa: E402
from station.model import JOINTS, DepthFrame  # noqa: E402
from station.scoring import Tally, clearly_labelled_filter, format_fault_table, score  # noqa: E402
from station.segment import LiftingZone  # noqa: E402
from station.sim.scenarios import BODIES, build, get_scenario, library  # noqa: E402


def zone_for(take) -> LiftingZone:
    """The station's configured zone, re-centred on where this scenario's lifter stands
    (staff set the zone to their floor markings)."""
    return take.scenario.zone_at_lifter(LiftingZone.from_config(load_station_config().zone))


# Frames rendered ahead of the fit, in batches: rendering each frame just before its seg + fit, in
# the same thread, evicted the fitter's data from the caches and added 0.4-0.5 ms to the seg + fit
# CPU figure (measured on identical frames, stop 17). In the station the SDK delivers frames from
# its own thread. 60 frames of 848x480 depth are 49 MB.
RENDER_AHEAD = 60


def run_take(take, max_frames: int | None, exercise: str = "rdl") -> tuple[dict, dict]:
    """Run the station over a take: (truth document, result document) of the analysis contract.

    The result is what `station analyze` writes (frame_record, the evaluator's reps) plus the
    fault cues shown per frame ("cues") and per-frame timings ("station": ms_segment, ms_fit).
    """
    n = take.n_frames if max_frames is None else min(max_frames, take.n_frames)
    pipe = Pipeline(zone=zone_for(take), seed=take.scenario.seed, exercise=exercise)
    frames, cues, seg_ms, fit_ms, seg_cpu, fit_cpu = [], [], [], [], [], []
    # what the evaluator was given besides the frame records, for bench/rescore.py --replay
    standing_hip, track_ids, notices, noise_ratio, window_ratio = [], [], [], [], []
    for i in range(n):
        if i % RENDER_AHEAD == 0:   # render a batch first: the renderer is not part of the station
            batch = [take.render_u16(j).copy() for j in range(i, min(i + RENDER_AHEAD, n))]
        frame = DepthFrame(batch[i % RENDER_AHEAD], 0.001, take.intrinsics, float(take.times_s[i]), i)
        res = pipe.process(frame)
        frames.append(frame_record(res))
        seg_ms.append(res.timings_ms["segment"])
        fit_ms.append(res.timings_ms["fit"])
        seg_cpu.append(res.segment.timings_ms["cpu"])   # this thread's CPU time: the figure
        fit_cpu.append(res.track.timings_ms["cpu"])     # a loaded machine does not inflate
        standing_hip.append(pipe.standing.hip_deg)
        track_ids.append(res.track.track_id)
        notices.append(res.notice)
        noise_ratio.append(res.track.depth_noise_ratio)
        window_ratio.append(res.track.depth_noise_window_ratio)
        cue = getattr(pipe.coach, "cue", None)
        if cue is not None:
            cues.append({"t": res.t_s, "rule": cue.rule, "kind": cue.kind, "key": cue.key, "shown_t": cue.t_s})
    reps = pipe.evaluator.finish() if pipe.evaluator is not None else []
    result = {"frames": frames, "reps": [r.as_contract() for r in reps], "cues": cues,
              "station": {"ms_segment": seg_ms, "ms_fit": fit_ms,
                          "cpu_ms_segment": seg_cpu, "cpu_ms_fit": fit_cpu,
                          "standing_hip_deg": standing_hip, "track_id": track_ids, "notice": notices,
                          # the depth noise over the person in the reference's units
                          # (TrackResult.depth_noise_ratio; None before any was measured)
                          "depth_noise_ratio": noise_ratio,
                          # the window estimate, read standing (depth_noise_window_ratio)
                          "depth_noise_window_ratio": window_ratio,
                          # the lifter's measured body as the take ended (build, leg and arm
                          # length, belly, the arms' build: station.fit.personal); None when
                          # no track held one then (a take too noisy to start on)
                          "body_shape": (None if pipe.tracker.shape is None
                                         else pipe.tracker.shape.as_dict())}}
    truth = take.truth_document(take.scenario.name)
    return truth, result


def run_scenario(sc, max_frames: int | None, save_dir: str | None = None) -> dict:
    take = build(sc)
    truth, result = run_take(take, max_frames, exercise=take.truth_profile)
    if save_dir:
        save_documents(save_dir, sc, truth, result)
    return {"name": sc.name, "body": sc.body, "split": sc.split, "mount_m": sc.mount_height_m,
            "yaw_deg": sc.yaw_deg, "mocap": sc.motion == "mocap", "frames": len(result["frames"]),
            "tally": score(truth, result),
            "tally_clear": score(truth, result, rep_filter=clearly_labelled_filter()),
            "cpu_ms_segment": result["station"]["cpu_ms_segment"],
            "cpu_ms_fit": result["station"]["cpu_ms_fit"]}


def save_documents(save_dir: str, sc, truth: dict, result: dict) -> Path:
    """One take's truth and result documents (and what the scenario is) as
    SAVE_DIR/NAME.json.gz, written atomically: bench/rescore.py scores and replays them
    without fitting again."""
    doc = {"name": sc.name, "body": sc.body, "split": sc.split, "mount_m": sc.mount_height_m,
           "yaw_deg": sc.yaw_deg, "mocap": sc.motion == "mocap", "truth": truth, "result": result}
    path = Path(save_dir) / (sc.name.replace("@", "__").replace("/", "_") + ".json.gz")
    path.parent.mkdir(parents=True, exist_ok=True)
    return fileio.write_bytes(path, gzip.compress(json.dumps(doc, default=float).encode(), 6))


COLS = ("trunk", "hip", "knee", "spine", "shift_mm")


def _header(title: str) -> str:
    cols = " ".join(f"{c:>7s}" for c in COLS)
    return (f"\n{title}\n{'':34s} {'inview':>6s} {'track%':>7s} {'MPJPE':>7s} {'-const':>6s} {cols} {'seg_ms':>6s} {'fit_ms':>6s}"
            f" {'reps':>7s} {'RB_P':>5s} {'RB_R':>5s} {'mF1':>5s} {'cue%':>5s} {'start':>5s}\n" + "-" * 155)


def _row(label: str, tallies: list[Tally]) -> str:
    if not tallies:
        return f"{label:34s} (none)"
    t = Tally.sum(tallies)
    angs = " ".join(f"{t.angle_mae(c):7.1f}" for c in COLS)
    seg = np.median(t.ms_segment) if t.ms_segment else np.nan
    fit = np.median(t.ms_fit) if t.ms_fit else np.nan
    p, r, _ = t.prf("rounded_back")
    return (f"{label:34s} {t.in_view:6d} {100 * t.tracked_rate:7.1f} {t.mpjpe_mm:7.1f} {t.mpjpe_offset_removed_mm:6.1f} {angs} {seg:6.2f} {fit:6.2f}"
            f" {t.found_reps:3d}/{t.true_reps:<3d} {p:5.2f} {r:5.2f} {t.macro_f1:5.2f} {100 * t.false_cue_rate:5.1f}"
            f" {t.start_latency_worst_s:5.2f}")


def report(results: list[dict]) -> None:
    bodies = [b for b in BODIES if any(r["body"] == b for r in results)]
    by = lambda pred: {b: [r["tally"] for r in results if r["body"] == b and pred(r)] for b in bodies}  # noqa: E731

    print(_header("Per scenario (angles: mean absolute error in degrees; shift in mm)"))
    for r in results:
        print(_row(f"{r['name'][:30]} [{r['body'][0]}]", [r["tally"]]))

    print(_header("Side by side, per body"))
    groups = [("ALL", lambda r: True), ("split dev", lambda r: r["split"] == "dev"),
              ("split holdout", lambda r: r["split"] == "holdout"), ("mocap clips", lambda r: r["mocap"])]
    groups += [(f"mount {h:.1f} m", (lambda h: lambda r: r["mount_m"] == h)(h))
               for h in sorted({r["mount_m"] for r in results})]
    groups += [("facing the mirror (yaw 0)", lambda r: r["yaw_deg"] == 0),
               ("turned 15-30 deg", lambda r: 0 < abs(r["yaw_deg"]) <= 30),
               ("turned 31-45 deg", lambda r: abs(r["yaw_deg"]) > 30)]
    for title, pred in groups:
        rows = by(pred)
        if not any(rows.values()):
            continue
        for b in bodies:
            print(_row(f"{title} [{b}]", rows[b]))

    for b in bodies:
        rs = [r for r in results if r["body"] == b]
        for split in ("dev", "holdout"):
            sel = [r for r in rs if r["split"] == split]
            if not sel:
                continue
            print()
            print(format_fault_table(Tally.sum(r["tally"] for r in sel),
                                     f"Faults from fitted angles, {b} body, split {split}, all reps:"))
            print(format_fault_table(Tally.sum(r["tally_clear"] for r in sel),
                                     f"Faults from fitted angles, {b} body, split {split}, clearly labelled reps:"))
    print(cpu_table(results, bodies))
    print("\nStart latency (s from standing still in view to tracked; inf = never; target <= 1 s):")
    for b in bodies:
        t = Tally.sum(r["tally"] for r in results if r["body"] == b)
        print(f"  {b}: worst {t.start_latency_worst_s:.2f} s, {t.starts_late} of {len(t.start_latency_s)} late; "
              + ", ".join(f"{r['name'].split('@')[0]} {r['tally'].start_latency_worst_s:.2f}"
                          for r in results if r["body"] == b))
    print()
    for b in bodies:
        pj = Tally.sum(r["tally"] for r in results if r["body"] == b).per_joint_mm()
        print(f"MPJPE per joint, {b} (mm): " + ", ".join(f"{n} {v:.0f}" for n, v in zip(JOINTS, pj)))


def cpu_summary(results: list[dict], body: str) -> dict:
    """Median (and p90) CPU ms per frame of segmentation and fit (thread time), in-view
    frames and not alike, over one body's scenarios."""
    seg = np.concatenate([r["cpu_ms_segment"] for r in results if r["body"] == body] or [[]])
    fit = np.concatenate([r["cpu_ms_fit"] for r in results if r["body"] == body] or [[]])
    if len(seg) == 0:
        return {}
    both = seg + fit
    return {"cpu_ms_segment_median": float(np.median(seg)), "cpu_ms_fit_median": float(np.median(fit)),
            "cpu_ms_seg_fit_median": float(np.median(both)), "cpu_ms_seg_fit_p90": float(np.percentile(both, 90)),
            "frames": int(len(both))}


def cpu_table(results: list[dict], bodies: list[str]) -> str:
    lines = ["\nCPU time per frame (this thread's, ms; wall time above is inflated by a loaded machine):",
             f"{'':12s} {'seg':>7s} {'fit':>7s} {'seg+fit':>8s} {'p90':>7s} {'frames':>7s}"]
    for b in bodies:
        c = cpu_summary(results, b)
        if c:
            lines.append(f"{b:12s} {c['cpu_ms_segment_median']:7.2f} {c['cpu_ms_fit_median']:7.2f} "
                         f"{c['cpu_ms_seg_fit_median']:8.2f} {c['cpu_ms_seg_fit_p90']:7.2f} {c['frames']:7d}")
    return "\n".join(lines)


def analyze_path_fps(seconds: float = 6.0, scenario: str = "rdl_clean") -> tuple[float, int]:
    """Frames per second of `station analyze` (pyrealsense2 playback + whole pipeline)."""
    from station.app import analyze_recording
    from station.sources.synthetic import record_synthetic

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "bench.db3"
        n, _ = record_synthetic(scenario, path, seconds=seconds, progress=False)
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


def mount_sweep(max_frames: int | None, bodies: list[str], bases: tuple[str, ...] = SWEEP_BASES,
                heights_m: tuple[float, ...] = SWEEP_HEIGHTS_M, yaws_deg: tuple[float, ...] = SWEEP_YAWS_DEG,
                jsonl: str | None = None) -> None:
    """Where should the camera go? The same lifters and motions (clean RDLs, and RDLs whose
    back rounds 32°) rendered from every mount height, facing the mirror and turned 45°, on
    each body: only the mount differs between rows. The camera is pitched to aim at hip
    height at the zone's centre (sim.camera.aim_pitch_deg); the pitch is printed per height."""
    rows = defaultdict(list)
    pitch = {}
    for body in bodies:
        for base in bases:
            for yaw in yaws_deg:
                for h in heights_m:
                    sc = replace(get_scenario(base).on_body(body), mount_height_m=h, pitch_down_deg=None,
                                 yaw_deg=yaw, name=f"{base}@{body}@{h:.1f}m/{yaw:.0f}deg")
                    t0 = time.perf_counter()
                    r = run_scenario(sc, max_frames)
                    print(f"  {sc.name}: {r['frames']} frames in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
                    rows[(body, h, yaw)].append(r)
                    pitch[h] = sc.mount().pitch_down_deg
                    if jsonl:
                        with open(jsonl, "a") as f:
                            f.write(json.dumps({"name": sc.name, "body": body, "mount_m": h, "yaw_deg": yaw,
                                                "pitch_down_deg": pitch[h], **r["tally"].summary()},
                                               default=float) + "\n")
    print(_header(f"Mount sweep: {' + '.join(bases)}, only the camera height (and lifter yaw) differ"))
    for body in bodies:
        for yaw in yaws_deg:
            for h in heights_m:
                print(_row(f"{h:.1f} m ({pitch[h]:.0f} deg down), yaw {yaw:.0f} [{body}]",
                           [r["tally"] for r in rows[(body, h, yaw)]]))
    for body in bodies:
        for h in heights_m:
            t = Tally.sum(r["tally"] for yaw in yaws_deg for r in rows[(body, h, yaw)])
            p, rc, f1 = t.prf("rounded_back")
            print(f"  rounded_back at {h:.1f} m [{body}]: P {p:.2f} R {rc:.2f} F1 {f1:.2f}; "
                  f"false faults on clean reps {100 * t.false_fault_rate:.0f}%")


def select(args) -> list:
    bodies = list(BODIES) if args.body == "both" else [args.body]
    if args.scenarios:
        base = [get_scenario(n) for n in args.scenarios.split(",")]
    else:
        split = None if args.split == "all" else args.split
        base = list(library(split, enlarged=args.set in ("all", "enlarged"), original=args.set in ("all", "original")))
    out = []
    for sc in base:
        if "@" in sc.name:
            out.append(sc)
            continue
        for b in bodies:
            out.append(sc.on_body(b))
    return out


def depth_mode(text: str) -> tuple[int, int, int]:
    """"WxH@FPS" (e.g. "640x480@30") as (width, height, fps); argparse's error names the value."""
    try:
        size, fps = text.lower().split("@")
        w, h = size.split("x")
        mode = int(w), int(h), int(fps)
    except ValueError:
        raise argparse.ArgumentTypeError(f"depth mode {text!r}: expected WxH@FPS, e.g. 640x480@30") from None
    if min(mode) <= 0:
        raise argparse.ArgumentTypeError(f"depth mode {text!r}: width, height and fps must be positive")
    return mode


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scenarios", help="comma-separated names (NAME@mesh for one body; default: the library)")
    ap.add_argument("--body", choices=("both",) + BODIES, default="both")
    ap.add_argument("--split", choices=("dev", "holdout", "all"), default="dev",
                    help="dev (default), holdout (report only: do not tune on it) or all")
    ap.add_argument("--set", choices=("all", "original", "enlarged"), default="all",
                    help="the original 25 scenarios, the enlarged mesh library, or both")
    ap.add_argument("--max-frames", type=int, help="frames per scenario (default: all)")
    ap.add_argument("--json", help="also write the summary figures as JSON here")
    ap.add_argument("--jsonl", help="append each scenario's figures to this file as it finishes (long runs)")
    ap.add_argument("--save", metavar="DIR", help="also write each take's truth and result documents to DIR"
                    " (NAME.json.gz) for bench/rescore.py")
    ap.add_argument("--speed", action="store_true", help="also time the analyze path and the warm start")
    ap.add_argument("--mount-sweep", action="store_true",
                    help="only the controlled mount comparison: the same takes seen from 1.0-2.1 m, facing and turned"
                    " (--scenarios: the takes, default rdl_clean,rdl_rounded_back)")
    ap.add_argument("--noise-scale", type=float, default=1.0,
                    help="multiply every scenario's sensor noise (disparity noise and holes) by this: the"
                    " fitter must not read a noisier sensor's depth as a bent back")
    ap.add_argument("--edge-fattening-px", type=int, default=0,
                    help="grow every near surface's outline by this many pixels, as a stereo matcher's window"
                    " does at depth edges (the sensor model leaves it out by default)")
    ap.add_argument("--noise-corr-px", type=float, default=0.0,
                    help="correlate the sensor's noise in patches over a Gaussian of this many pixels, at the"
                    " same per-pixel RMS (a stereo matcher's window; the sensor model's default mixes only"
                    " the 3x3 neighbours): the decimation averages such noise far less")
    ap.add_argument("--depth-mode", type=depth_mode, metavar="WxH@FPS",
                    help="render every scenario at this depth mode instead of its own (848x480@30 for"
                    " most), e.g. 640x480@30, 1280x720@30, 848x480@15, 480x270@30: what a staff member"
                    " may set in [camera] (station.toml)")
    ap.add_argument("--heights", help="mount sweep: comma-separated camera heights in m (default 1.0,1.3,1.6,1.9,2.1)")
    ap.add_argument("--yaws", help="mount sweep: comma-separated lifter yaws in deg (default 0,45)")
    args = ap.parse_args()
    if args.mount_sweep:
        floats = lambda x: tuple(float(v) for v in x.split(","))  # noqa: E731
        mount_sweep(args.max_frames, list(BODIES) if args.body == "both" else [args.body],
                    tuple(args.scenarios.split(",")) if args.scenarios else SWEEP_BASES,
                    floats(args.heights) if args.heights else SWEEP_HEIGHTS_M,
                    floats(args.yaws) if args.yaws else SWEEP_YAWS_DEG, args.jsonl)
        return

    results = []
    for sc in select(args):
        if args.noise_scale != 1.0:
            sc = replace(sc, noise_scale=sc.noise_scale * args.noise_scale)
        if args.edge_fattening_px:
            sc = replace(sc, edge_fattening_px=args.edge_fattening_px)
        if args.noise_corr_px:
            sc = replace(sc, noise_corr_px=args.noise_corr_px)
        if args.depth_mode:
            w, h, fps = args.depth_mode
            sc = replace(sc, width=w, height=h, fps=fps)
        t0 = time.perf_counter()
        results.append(run_scenario(sc, args.max_frames, args.save))
        print(f"  {sc.name}: {results[-1]['frames']} frames in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        if args.jsonl:
            r = results[-1]
            with open(args.jsonl, "a") as f:
                f.write(json.dumps({"name": r["name"], "body": r["body"], "split": r["split"],
                                    **r["tally"].summary(), "clear": r["tally_clear"].summary()}, default=float) + "\n")
    report(results)

    if args.speed:
        fps, n = analyze_path_fps()
        print(f"\nanalyze path (pyrealsense2 playback + segment + fit + angles), one core: {fps:.1f} frames/s over {n} frames")
        print(f"numba warm start (fresh process, cached kernels, 40 frames): {warm_start_s():.2f} s")
        print(f"peak memory (max RSS of this process): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    if args.json:
        out = {}
        for b in BODIES:
            for split in ("dev", "holdout"):
                sel = [r["tally"] for r in results if r["body"] == b and r["split"] == split]
                if sel:
                    out[f"{b}/{split}"] = Tally.sum(sel).summary()
        for b in BODIES:
            if cpu_summary(results, b):
                out[f"{b}/cpu"] = cpu_summary(results, b)
        out["scenarios"] = [{"name": r["name"], "body": r["body"], "split": r["split"], **r["tally"].summary()}
                            for r in results]
        fileio.write_json(args.json, out, indent=1, default=float)


if __name__ == "__main__":
    main()
