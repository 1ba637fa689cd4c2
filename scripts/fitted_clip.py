#!/usr/bin/env python3
"""A stored fitted clip for the evaluator's tests (tests/form/data/*_fitted.npz) from a take
that `bench/fitter.py --save DIR` fitted: the angles, per-angle confidence and view notice
the station's pipeline gave the evaluator, frame by frame, with the take's truth per rep.

    NUMBA_NUM_THREADS=1 .venv/bin/python bench/fitter.py --scenarios mesh_O_faults3@mesh --save runs/x
    .venv/bin/python scripts/fitted_clip.py runs/x/mesh_O_faults3__mesh.json.gz tests/form/data/mesh_O_faults3_fitted.npz

Arrays (tests/form/fitted_clips.py reads them): t, tracked, angles and confidence (frames x
names, station.model.ANGLES), notice, names; per truth rep truth_start_t, truth_end_t,
truth_bottom_t, truth_rounded (the truth's rounded_back), truth_spine_peak (deg); per frame
truth_spine (deg, nan where the truth has no angles). Written as station.fileio writes every
file: a temporary file, fsynced, renamed into place.
"""
from __future__ import annotations

import gzip
import io
import json
import sys

import numpy as np

from station import fileio
from station.model import ANGLES


def clip_arrays(doc: dict) -> dict[str, np.ndarray]:
    """The npz's arrays from a saved take document (bench/fitter.py save_documents)."""
    frames = doc["result"]["frames"]
    notices = doc["result"].get("station", {}).get("notice") or [None] * len(frames)
    tracked = np.array([bool(f.get("tracked") and f.get("angles")) for f in frames])
    angles = np.full((len(frames), len(ANGLES)), np.nan, np.float32)
    conf = np.zeros((len(frames), len(ANGLES)), np.float32)
    for i, f in enumerate(frames):
        if tracked[i]:
            angles[i] = [f["angles"][k] for k in ANGLES]
            c = f.get("angle_confidence") or {}
            conf[i] = [c.get(k, 0.0) for k in ANGLES]
    truth = doc["truth"]
    reps = truth["reps"]
    by_t = {round(f["t"], 6): f.get("angles") for f in truth["frames"]}
    truth_angles = [by_t.get(round(f["t"], 6)) for f in frames]
    truth_spine = np.array([a["spine_flexion"] if a else np.nan for a in truth_angles], np.float32)
    return {
        "t": np.array([f["t"] for f in frames]), "tracked": tracked, "angles": angles,
        "confidence": conf, "notice": np.array([n or "" for n in notices]), "names": np.array(ANGLES),
        "truth_start_t": np.array([r["start_t"] for r in reps]),
        "truth_end_t": np.array([r["end_t"] for r in reps]),
        "truth_bottom_t": np.array([r["bottom_t"] for r in reps]),
        "truth_rounded": np.array(["rounded_back" in r["faults"] for r in reps]),
        "truth_spine_peak": np.array([r["metrics"]["peak_spine_flexion"] for r in reps]),
        "truth_spine": truth_spine,
    }


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    src, out = argv
    try:
        doc = json.load(gzip.open(src))
    except (OSError, ValueError) as e:
        print(f"fitted_clip: {src}: not a saved take document ({e})", file=sys.stderr)
        return 1
    buf = io.BytesIO()
    np.savez_compressed(buf, **clip_arrays(doc))
    fileio.write_bytes(out, buf.getvalue())
    print(f"{out}: {len(doc['result']['frames'])} frames, {len(doc['truth']['reps'])} truth reps")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
