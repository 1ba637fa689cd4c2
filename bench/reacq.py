"""Re-acquisition benchmark: how soon a track starts, and how soon a lost track comes back, per body.

The station runs as it does live (Pipeline with the evaluator of the profile that labelled the
truth: SyntheticTake.truth_profile) over each scenario on both bodies, three ways:

  * as rendered: the lost-track episodes that happen by themselves (in view, tracked -> not
    tracked) and the frames to regain each; the start delay (the first in-view frame where
    the person stands still, truth joints slower than 0.15 m/s and trunk under 20 deg, to the
    first tracked frame; 0 when tracking started earlier, e.g. while walking in);
  * with injected losses: the person's cloud is dropped (an occlusion) for 0.3-1.5 s so that it
    comes back exactly at a chosen moment of a rep: the bottom ("bottom"), half way up
    ("half_up": not locked out yet) or half way down ("half_down": mid-swing). Each rep of a
    set gets one loss; two runs per scenario cycle the kinds and durations differently.
    Regain = the first tracked frame after the cloud is back. A regain is "wrong" when the
    fitted pose over the next 10 frames is far from the truth (trunk off by > 15 deg, knees
    by > 25 deg, or MPJPE > 150 mm; the arms crossed at the chest of a good morning already
    cost ~90 mm): a bent fit on a standing person is not a regained track.

Prints, per scenario and body: tracked % in view, reps found/true, natural episodes (count, the
longest regain), the start delay, and the injected losses (count, regained, wrong, median and
worst frames to regain, how many within 0.5 s), and the rep verdicts against the truth (faults
tp/fp/fn/not judged over every label, and clean reps with a fault called: a rep bridged over a
loss must not be called wrong); then the same summed per body.

--start-sweep instead measures the start delay of ordinary people standing still from the first
frame (start_variants: soft knees, arms away from the body, slim to heavy, tight to hoodie, with
and without dumbbells, barbell or kettlebell, mounts 1.0-2.1 m, turned 30 deg with twice the
depth noise, and the held first poses of the motion-capture clips), per body.

    NUMBA_NUM_THREADS=1 PYTHONPATH=. python bench/reacq.py --scenarios good_morning_bodyweight,session_walk_in_out -v
    NUMBA_NUM_THREADS=1 PYTHONPATH=. python bench/reacq.py --scenarios mocap_toe_touch --no-inject
    NUMBA_NUM_THREADS=1 PYTHONPATH=. python bench/reacq.py --start-sweep [--scenarios mocap,hoodie]
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass, field

os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fitter import zone_for

from station.app import Pipeline, frame_record
from station.model import DepthFrame
from station.scoring import FAULT_LABELS, Tally, score
from station.sim.scenarios import BODIES, build, get_scenario

DURATIONS_S = (0.3, 0.6, 1.0, 1.5)
KINDS = ("bottom", "half_up", "half_down")
STILL_SPEED_M_S = 0.15
STILL_TRUNK_DEG = 20.0
WRONG_TRUNK_DEG = 15.0
WRONG_KNEE_DEG = 25.0
WRONG_MPJPE_M = 0.150
REGAIN_TARGET_S = 0.5


def rep_events(trunk_deg: np.ndarray, in_view: np.ndarray, min_peak_deg: float = 35.0) -> list[dict]:
    """Per rep (a run of trunk inclination above 15 deg peaking over min_peak_deg): the frames of
    its bottom, half way down and half way up."""
    above = (trunk_deg > 15.0) & in_view
    out, i, n = [], 0, len(trunk_deg)
    while i < n:
        if not above[i]:
            i += 1
            continue
        j = i
        while j < n and above[j]:
            j += 1
        seg = trunk_deg[i:j]
        peak = int(np.argmax(seg))
        if seg[peak] >= min_peak_deg:
            half = 0.5 * seg[peak]
            down = i + int(np.argmax(seg[:peak + 1] >= half))
            up_rel = np.nonzero(seg[peak:] <= half)[0]
            up = i + peak + int(up_rel[0]) if len(up_rel) else j - 1
            out.append({"bottom": i + peak, "half_down": down, "half_up": up})
        i = j
    return out


def plan_losses(events: list[dict], fps: float, variant: int) -> list[tuple[str, float, int, int]]:
    """(kind, duration s, first dropped frame, first frame back) for each rep."""
    plan, last_end = [], -1
    for k, ev in enumerate(events):
        kind = KINDS[(k + variant) % len(KINDS)]
        dur = DURATIONS_S[(k + 2 * variant) % len(DURATIONS_S)]
        back = ev[kind]
        start = max(back - int(round(dur * fps)), last_end + int(fps))  # a second of track between
        if back - start < int(round(0.3 * fps)):
            continue
        plan.append((kind, (back - start) / fps, start, back))
        last_end = back
    return plan


def still_frames(take) -> np.ndarray:
    """In view, standing (trunk under 20 deg) and still (every truth joint under 0.15 m/s)."""
    p = take.poses_floor_m[:, :15]
    fps = 1.0 / float(np.median(np.diff(take.times_s)))
    v = np.zeros(len(p))
    v[1:] = np.linalg.norm(np.diff(p, axis=0), axis=2).max(axis=1) * fps
    v = np.maximum(v, np.roll(v, -1))
    return take.in_view & (v < STILL_SPEED_M_S) & (take.truth_angles["trunk_inclination"] < STILL_TRUNK_DEG)


@dataclass
class Run:
    name: str
    body: str
    in_view: int = 0
    tracked_in_view: int = 0
    reps_found: int = 0
    reps_true: int = 0
    natural: list = field(default_factory=list)   # frames to regain (None: never)
    start_delay: float | None = None               # s; None: never started
    injected: list = field(default_factory=list)  # (kind, dur_s, frames to regain | None, wrong)
    seconds: float = 0.0
    tally: Tally = field(default_factory=Tally)   # the verdicts against the truth (station.scoring)


def run(sc, drops: list[tuple[str, float, int, int]], max_frames: int | None, take=None) -> Run:
    take = take or build(sc)
    n = take.n_frames if max_frames is None else min(max_frames, take.n_frames)
    fps = float(sc.fps)
    # the profile whose rules labelled the truth (rdl; deadlifts from the floor the deadlift's):
    # a kettlebell swing judged by its own profile (too_fast off) met rdl truth
    pipe = Pipeline(zone=zone_for(take), seed=sc.seed, exercise=take.truth_profile)
    dropped = np.zeros(n, bool)
    for _, _, a, b in drops:
        dropped[a:min(b, n)] = True
    tracker_update = pipe.tracker.update
    state = {"i": 0}

    def update(cloud, h=None, occluded=False):   # the occlusion: no cloud reaches the tracker
        return tracker_update(None if dropped[state["i"]] else cloud, h, occluded)
    pipe.tracker.update = update
    tracked = np.zeros(n, bool)
    err_m = np.full(n, np.nan)
    trunk_err = np.full(n, np.nan)
    knee_err = np.full(n, np.nan)
    records, cues = [], []
    t0 = time.perf_counter()
    for i in range(n):
        state["i"] = i
        fr = DepthFrame(take.render_u16(i).copy(), 0.001, take.intrinsics, float(take.times_s[i]), i)
        res = pipe.process(fr)
        records.append(frame_record(res))
        cue = getattr(pipe.coach, "cue", None)
        if cue is not None:
            cues.append({"t": res.t_s, "kind": cue.kind})
        if res.tracked:
            tracked[i] = True
            err_m[i] = float(np.linalg.norm(res.skeleton.points_cam_m[:15] - take.skeleton_cam_m[i][:15],
                                            axis=1).mean())
            if res.angles is not None:
                trunk_err[i] = abs(res.angles["trunk_inclination"] - take.truth_angles["trunk_inclination"][i])
                knee_err[i] = 0.5 * sum(abs(res.angles[k] - take.truth_angles[k][i])
                                        for k in ("knee_flexion_l", "knee_flexion_r"))
    reps = pipe.evaluator.finish() if pipe.evaluator is not None else []
    inv = take.in_view[:n]
    out = Run(sc.name, sc.body, int(inv.sum()), int((tracked & inv).sum()), len(reps),
              sum(1 for r in take.reps if r.start_t < take.times_s[n - 1]), seconds=time.perf_counter() - t0)
    # the verdicts: a rep bridged over a loss is counted, and what the loss hid is not judged,
    # never called clean (a fault found on a clean rep, fp, is what must not rise)
    out.tally = score(take.truth_document(sc.name),
                      {"frames": records, "reps": [r.as_contract() for r in reps], "cues": cues})
    # natural episodes: tracked -> not tracked while in view, outside the injected drops
    i = 1
    while i < n:
        if tracked[i - 1] and not tracked[i] and inv[i] and not dropped[i]:
            j = i
            while j < n and not tracked[j] and inv[j]:
                j += 1
            out.natural.append(j - i if j < n and tracked[j] else None)
            i = j
        i += 1
    still = np.nonzero(still_frames(take)[:n])[0]
    first = np.nonzero(tracked)[0]
    if len(still):
        if len(first) and first[0] <= still[0]:
            out.start_delay = 0.0
        elif len(first):
            out.start_delay = (first[0] - still[0]) / fps
    for kind, dur, a, b in drops:
        if b >= n:
            continue
        after = np.nonzero(tracked[b:])[0]
        if not len(after):
            out.injected.append((kind, dur, None, False))
            continue
        k = b + int(after[0])
        w = slice(k, min(k + 10, n))
        errs = (float(np.nanmean(trunk_err[w])), float(np.nanmean(knee_err[w])), float(np.nanmean(err_m[w])))
        wrong = bool(errs[0] > WRONG_TRUNK_DEG or errs[1] > WRONG_KNEE_DEG or errs[2] > WRONG_MPJPE_M)
        out.injected.append((kind, dur, int(after[0]), wrong, errs))
    return out


def start_variants(bodies: tuple[str, ...]) -> list:
    """Ordinary people standing still in view from the first frame: soft knees, arms away from
    the body, wide or narrow builds, loose clothes, implements, mounts 1.0-2.1 m, turned, noisy
    depth, and the first poses of the motion-capture clips (real standing postures, held)."""
    from dataclasses import replace

    from station.sim.scenarios import Athlete
    base = get_scenario("rdl_clean")
    soft = dict(soft_knee_deg=15.0, arms_out_m=0.25, elbow_flexion_deg=20.0)
    people = {
        "soft_arms_out": (Athlete(1.75, 0.5, "tight", None), soft),
        "soft_arms_out_hoodie_heavy": (Athlete(1.70, 0.95, "hoodie", None, 0.0, 0.5), soft),
        "soft_slim_short": (Athlete(1.55, 0.1, "tshirt", None, 0.0, 0.4), dict(soft, soft_knee_deg=20.0)),
        "soft_dumbbells": (Athlete(1.82, 0.6, "tshirt", "dumbbells"), dict(soft, arms_out_m=0.0)),
        "soft_barbell": (Athlete(1.88, 0.7, "hoodie", "barbell"), dict(soft, arms_out_m=0.0)),
        "soft_kettlebell": (Athlete(1.65, 0.5, "tight", "kettlebell"), dict(soft, arms_out_m=0.0)),
    }
    out = []
    for key, (ath, kw) in people.items():
        for mount, yaw, noise in ((1.0, 0.0, 1.0), (1.6, 0.0, 1.0), (2.1, 0.0, 1.0), (1.6, 30.0, 2.0)):
            for b in bodies:
                out.append(replace(base, name=f"stand_{key}_m{mount}_y{yaw:.0f}_n{noise}@{b}", athlete=ath,
                                   motion="stand", reps=(), mount_height_m=mount, yaw_deg=yaw, noise_scale=noise,
                                   body=b, seed=base.seed + len(out), **kw))
    for clip, window, ath in (("13_31", (0.5, 1.0), Athlete(1.70, 0.45, "tight", None)),
                              ("13_30", (0.5, 1.0), Athlete(1.62, 0.2, "hoodie", None, 0.0, 0.4)),
                              ("13_31", (0.5, 1.0), Athlete(1.95, 0.9, "tshirt", None, 0.8, 0.3))):
        for mount in (1.0, 1.6, 2.1):
            for b in bodies:
                out.append(replace(base, name=f"stand_mocap{clip}_h{ath.height_m}_m{mount}@{b}", athlete=ath,
                                   motion="mocap", mocap_clip=clip, mocap_window_s=window, mocap_hold_s=2.5,
                                   reps=(), mount_height_m=mount, body=b, seed=base.seed + len(out)))
    return out


def start_delay(sc, max_frames: int = 60) -> tuple[float | None, float]:
    """(seconds from the first still in-view frame to the first tracked one or None, the
    tracked fraction of the still frames) for a person standing still from the start."""
    from station.fit.tracker import Tracker
    from station.segment import Segmenter
    take = build(sc)
    n = min(max_frames, take.n_frames)
    seg, trk = Segmenter(zone_for(take), seed=sc.seed), Tracker()
    still = still_frames(take)[:n]
    first = None
    tracked = 0
    for i in range(n):
        s = seg.process(DepthFrame(take.render_u16(i).copy(), 0.001, take.intrinsics, float(take.times_s[i]), i))
        r = trk.update(s.cloud, s.person_height_m)
        if r.tracked and first is None:
            first = i
        tracked += bool(r.tracked and still[i])
    s0 = int(np.argmax(still)) if still.any() else 0
    return (None if first is None else max(0, first - s0) / float(sc.fps)), tracked / max(int(still.sum()), 1)


def _fmt(r: list[Run], fps: float = 30.0) -> str:
    inv = sum(x.in_view for x in r)
    trk = sum(x.tracked_in_view for x in r)
    nat = [e for x in r for e in x.natural]
    nat_never = sum(e is None for e in nat)
    nat_max = max((e for e in nat if e is not None), default=0) / fps
    delays = [x.start_delay for x in r if x.start_delay is not None]
    never = sum(1 for x in r if x.start_delay is None and x.tracked_in_view == 0)
    inj = [e for x in r for e in x.injected]
    got = [e[2] for e in inj if e[2] is not None]
    wrong = sum(e[3] for e in inj)
    ok = sum(1 for e in inj if e[2] is not None and not e[3] and e[2] / fps <= REGAIN_TARGET_S)
    med = np.median(got) / fps if got else np.nan
    worst = max(got) / fps if got else np.nan
    dl = f"{max(delays):5.2f}" if delays else "  n/a"
    t = Tally.sum(x.tally for x in r)
    tp, fp, fn, nj = (sum(t.faults[k][c] for k in FAULT_LABELS) for c in range(4))
    return (f"{100 * trk / max(inv, 1):6.1f} {sum(x.reps_found for x in r):3d}/{sum(x.reps_true for x in r):<3d}"
            f" {len(nat):4d} {nat_never:5d} {nat_max:6.2f} {dl:>6s} {never:5d}"
            f" {len(inj):4d} {len(got):4d} {wrong:5d} {med:6.2f} {worst:6.2f} {ok:4d}"
            f" {tp:3d}/{fp:<2d}/{fn:<2d}/{nj:<3d} {t.clean_false_fault:3d}/{t.clean_reps_paired:<3d}")


HEADER = (f"{'':40s} {'track%':>6s} {'reps':>7s} {'nat':>4s} {'never':>5s} {'natmax':>6s} {'start':>6s}"
          f" {'nost':>5s} {'inj':>4s} {'back':>4s} {'wrong':>5s} {'med_s':>6s} {'max_s':>6s} {'<.5s':>4s}"
          f" {'tp/fp/fn/nj':>12s} {'ffault':>6s}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scenarios", help="comma-separated names (NAME@mesh for one body); with --start-sweep,"
                                        " parts of the variants' names")
    ap.add_argument("--start-sweep", action="store_true",
                    help="instead: the start delay of ordinary people standing still (start_variants)")
    ap.add_argument("--body", choices=("both",) + BODIES, default="both")
    ap.add_argument("--max-frames", type=int)
    ap.add_argument("--variants", default="0,1", help="injected-loss plans per scenario (0,1,2)")
    ap.add_argument("--no-inject", action="store_true", help="only the runs as rendered")
    ap.add_argument("--no-plain", action="store_true", help="only the runs with injected losses")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every injected loss")
    args = ap.parse_args()
    if args.start_sweep:
        bodies = BODIES if args.body == "both" else (args.body,)
        delays = {b: [] for b in bodies}
        keys = args.scenarios.split(",") if args.scenarios else [""]
        for sc in (v for v in start_variants(bodies) if any(k in v.name for k in keys)):
            d, frac = start_delay(sc)
            delays[sc.body].append(d)
            print(f"{sc.name:55s} start {'never' if d is None else f'{d:4.2f} s'}  tracked {100 * frac:5.1f}% of still frames",
                  flush=True)
        for b, ds in delays.items():
            got = [d for d in ds if d is not None]
            print(f"[{b}] {len(ds)} people: never started {len(ds) - len(got)}, over 1 s {sum(d > 1.0 for d in got)},"
                  f" worst {max(got, default=float('nan')):.2f} s")
        return
    if not args.scenarios:
        ap.error("--scenarios is required (or --start-sweep)")
    scs = []
    for name in args.scenarios.split(","):
        if "@" in name:
            scs.append(get_scenario(name))
        else:
            for b in (BODIES if args.body == "both" else (args.body,)):
                scs.append(get_scenario(f"{name}@{b}"))
    plain: list[Run] = []
    injected: list[Run] = []
    print(HEADER)
    print("-" * len(HEADER))
    for sc in scs:
        take = build(sc)
        if not args.no_plain:
            r = run(sc, [], args.max_frames, take)
            plain.append(r)
            print(f"{sc.name + ' (as rendered)':40s} {_fmt([r])}   [{r.seconds:.0f} s]", flush=True)
        if args.no_inject:
            continue
        n = take.n_frames if args.max_frames is None else min(args.max_frames, take.n_frames)
        events = rep_events(take.truth_angles["trunk_inclination"][:n], take.in_view[:n])
        for v in (int(x) for x in args.variants.split(",")):
            drops = plan_losses(events, float(sc.fps), v)
            if not drops:
                continue
            ri = run(sc, drops, args.max_frames, take)
            injected.append(ri)
            print(f"{sc.name + f' (losses, plan {v})':40s} {_fmt([ri])}   [{ri.seconds:.0f} s]", flush=True)
            if args.verbose:
                for (kind, dur, a, b), e in zip(drops, ri.injected):
                    err = "" if len(e) < 5 else (f"  (next 10 frames: trunk {e[4][0]:.0f} deg, knees {e[4][1]:.0f} deg,"
                                                 f" MPJPE {1000 * e[4][2]:.0f} mm off)")
                    print(f"    {kind:9s} {dur:4.2f} s  frames {a}-{b}: "
                          f"{'never' if e[2] is None else f'{e[2]} frames'}{'  WRONG' if e[3] else ''}{err}")
    print("\nPer body" + " " * 32 + HEADER[40:])
    for b in BODIES:
        p = [x for x in plain if x.body == b]
        if p:
            print(f"{'ALL as rendered [' + b + ']':40s} {_fmt(p)}")
        q = [x for x in injected if x.body == b]
        if q:
            print(f"{'ALL with losses [' + b + ']':40s} {_fmt(q)}")
    print("\nnat: natural lost-track episodes in view; never: of them not regained; natmax: the longest (s);"
          "\nstart: start delay (s, worst) from standing still in view; nost: runs never tracked;"
          "\ninj: injected losses; back: regained; wrong: regained in a wrong pose; med_s/max_s: time to"
          f"\nregain after the cloud is back; <.5s: regained right within {REGAIN_TARGET_S} s.")


if __name__ == "__main__":
    main()
