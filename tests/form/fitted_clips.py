"""Stored evaluator inputs of fitted clips (tests/form/data/*_fitted.npz): the angles, per-angle
confidence and view notice that the station's own pipeline (station.app.Pipeline) gave the
evaluator over a synthetic take, with the take's truth per rep. Replayed through the
evaluator, they test the coach on what the fit really reads, in milliseconds."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from station.config import load_exercise
from station.form.confidence_gate import ConfidenceGate
from station.form.evaluator import FormEvaluator

DATA_DIR = Path(__file__).parent / "data"


def load_clip(name: str) -> tuple[dict, list[str]]:
    """(the npz's arrays, the angle names of their columns)."""
    d = dict(np.load(DATA_DIR / name))
    return d, [str(n) for n in d["names"]]


def replay(d: dict, names: list[str], confident_everywhere: bool = False,
           gate: ConfidenceGate | None = None) -> FormEvaluator:
    """The RDL evaluator after the clip's frames (keep_states on, finished); gate: the
    confidence gate's settings, if not the default."""
    ev = FormEvaluator(load_exercise("rdl"))
    if gate is not None:
        ev.confidence.gate = gate
    ev.keep_states = True
    for i in range(len(d["t"])):
        tracked = bool(d["tracked"][i])
        a = {k: float(d["angles"][i, j]) for j, k in enumerate(names)} if tracked else None
        c = ({k: (1.0 if confident_everywhere else float(d["confidence"][i, j])) for j, k in enumerate(names)}
             if tracked else None)
        ev.update(float(d["t"][i]), a, c, str(d["notice"][i]) or None)
    ev.finish()
    return ev


def verdict_of(ev: FormEvaluator, start_t: float, end_t: float):
    """The found rep overlapping the truth rep (start_t .. end_t) most; it must cover half of it."""
    best = max(ev.reps, key=lambda r: min(r.end_t, end_t) - max(r.start_t, start_t))
    assert min(best.end_t, end_t) - max(best.start_t, start_t) > 0.5 * (end_t - start_t)
    return best


def rep_frames(d: dict, k: int) -> np.ndarray:
    """The tracked frames of truth rep k."""
    return (d["t"] >= d["truth_start_t"][k]) & (d["t"] <= d["truth_end_t"][k]) & d["tracked"]
