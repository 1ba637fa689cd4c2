"""Score (and re-judge) takes saved by `bench/fitter.py --save DIR`, without fitting again.

A whole mesh library takes ~20 min to fit on two cores; its saved documents are scored in
seconds. Prints per body, split and lifter shape (the mesh library's A-R; "other" for the
original scenarios and the mocap clips): spine / hip / knee / trunk MAE (deg), MPJPE (mm),
tracked rate, macro F1, rounded_back precision and recall (true positives, false positives,
misses, and of the misses how many were called clean: "clr"), F1 of the other five labels, and
fault cues on clean reps (KD knee dominant, IL incomplete lockout, OE overextension, HS hip
shift, TF too fast). Every figure is station.scoring's, as in bench/fitter.py.

--replay judges the reps again with the CURRENT evaluator (the rdl profile, fixed exercise)
from the saved frames: the fitted angles, their confidence, the lifter's standing hip and the
track's identity as the pipeline gave them. An evaluator or gate change is then measured over
the whole library in a minute; the line "replay" says on how many takes the replayed reps
equal the saved ones (all, with the evaluator the takes were fitted with).

    NUMBA_NUM_THREADS=1 python bench/fitter.py --body mesh --split all --save runs/main
    python bench/rescore.py runs/main                      # the tables
    python bench/rescore.py runs/main runs/branch          # side by side
    python bench/rescore.py runs/main --replay             # the current evaluator on the same fits
"""
from __future__ import annotations

import argparse
import gzip
import json
import sys
from pathlib import Path

from station.scoring import FAULT_LABELS, Tally, score

HOLDOUT_NOTE = "holdout: report only, do not tune on it"
_SHORT = {"rounded_back": "RB", "knee_dominant": "KD", "incomplete_lockout": "IL", "overextension": "OE",
          "hip_shift": "HS", "too_fast": "TF"}


def load_saved(directory: str | Path) -> list[dict]:
    """The saved take documents in `directory`, by name (ValueError naming a file that is
    not one)."""
    out = []
    for path in sorted(Path(directory).glob("*.json.gz")):
        try:
            doc = json.loads(gzip.decompress(path.read_bytes()))
        except (OSError, ValueError) as e:
            raise ValueError(f"{path}: not a saved take ({e})") from None
        for key in ("name", "body", "split", "truth", "result"):
            if key not in doc:
                raise ValueError(f"{path}: not a saved take (no {key!r})")
        out.append(doc)
    return out


def shape_of(name: str) -> str:
    """The mesh library's lifter shape (mesh_F_faults2 -> F); "other" for the rest."""
    parts = name.split("@")[0].split("_")
    return parts[1] if parts[0] == "mesh" and len(parts) > 2 and len(parts[1]) == 1 else "other"


def replay_reps(doc: dict) -> list[dict]:
    """The saved take's reps judged again by the current rdl evaluator from its saved frames
    (see the module docstring)."""
    from station.config import load_station_config
    from station.form.evaluator import FormEvaluator
    from station.model import ANGLES

    ev = FormEvaluator.from_config(load_station_config(), "rdl")
    frames = doc["result"]["frames"]
    st = doc["result"].get("station", {})
    hips = st.get("standing_hip_deg") or [None] * len(frames)
    ids = st.get("track_id") or [0] * len(frames)
    notices = st.get("notice") or [None] * len(frames)
    last_id = 0
    for f, hip, tid, notice in zip(frames, hips, ids, notices):
        if tid != last_id:
            last_id = tid
            ev.new_person()
        angles = {k: f["angles"][k] for k in ANGLES} if f.get("tracked") and f.get("angles") else None
        conf = f.get("angle_confidence") if angles is not None else None
        ev.update(f["t"], angles, angle_confidence=conf, notice=notice, standing_hip_deg=hip)
    return [r.as_contract() for r in ev.finish()]


def row(label: str, t: Tally) -> str:
    if not t.in_view:
        return f"{label:14s} (no frames)"
    p, r, _ = t.prf("rounded_back")
    tp, fp, fn, _ = t.faults["rounded_back"]
    others = " ".join(f"{_SHORT[k]} {t.prf(k)[2]:.2f}" for k in FAULT_LABELS if k != "rounded_back")
    return (f"{label:14s} spine {t.angle_mae('spine'):5.2f} hip {t.angle_mae('hip'):5.2f} "
            f"knee {t.angle_mae('knee'):5.2f} trunk {t.angle_mae('trunk'):5.2f} | MPJPE {t.mpjpe_mm:5.1f} "
            f"tracked {100 * t.tracked_rate:5.1f}% | mF1 {t.macro_f1:.3f} RB P {p:.2f} R {r:.2f} "
            f"({tp} tp {fp} fp {fn} miss, clr {t.cleared['rounded_back']}) {others} "
            f"| cue on clean {100 * t.false_cue_rate:4.1f}%")


def table(docs: list[dict], replay: bool = False) -> None:
    tallies = []
    same = 0
    for d in docs:
        result = d["result"]
        if replay:
            reps = replay_reps(d)
            same += int([(r["faults"], r.get("not_judged", [])) for r in reps]
                        == [(r["faults"], r.get("not_judged", [])) for r in result["reps"]])
            result = {**result, "reps": reps, "cues": None}   # cues are the saved run's: not scored
        tallies.append((d, score(d["truth"], result)))
    if replay:
        print(f"replay: the current evaluator's reps equal the saved ones on {same} of {len(docs)} takes"
              " (fault cues on clean reps are not replayed: n/a)")
    for body in sorted({d["body"] for d in docs}):
        for split in ("dev", "holdout"):
            sel = [(d, t) for d, t in tallies if d["body"] == body and d["split"] == split]
            if not sel:
                continue
            title = f"{body} body, split {split} ({len(sel)} takes)"
            print(f"\n{title}{'  [' + HOLDOUT_NOTE + ']' if split == 'holdout' else ''}")
            print(row("all", Tally.sum(t for _, t in sel)))
            for shape in sorted({shape_of(d["name"]) for d, _ in sel}):
                print(row(f"  {shape}", Tally.sum(t for d, t in sel if shape_of(d["name"]) == shape)))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dirs", nargs="+", help="directories written by bench/fitter.py --save")
    ap.add_argument("--replay", action="store_true", help="judge the reps again with the current evaluator")
    args = ap.parse_args(argv)
    for directory in args.dirs:
        try:
            docs = load_saved(directory)
        except ValueError as e:
            print(f"error: {e}", file=sys.stderr)
            return 1
        if not docs:
            print(f"error: {directory}: no saved takes (*.json.gz from bench/fitter.py --save)", file=sys.stderr)
            return 1
        print(f"== {directory}: {len(docs)} takes")
        table(docs, args.replay)
    return 0


if __name__ == "__main__":
    sys.exit(main())
