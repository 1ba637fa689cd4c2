"""Clean-shift reps whose fitted lateral shift glitches are not called hip_shift.

Stored fits: the evaluator's inputs (contract angles and their confidence per frame, as the
frame records of bench/fitter.py write them) from the station's pipeline over two takes whose
pelvis never moves sideways (truth shift 0 throughout), with the take's true reps:

- rdl_rounded_back_mesh_fitted.npz: `rdl_rounded_back` on the mesh athlete (1.9 m camera),
  four reps rounded 32 deg. At the bottom of reps 2 and 4 one frame of the fit sits 0.15 m
  sideways (the knees +10 deg with it); through the One-Euro filter that read as a 0.11-0.13 m
  peak and main called both reps hip_shift (with a live "hips square" cue).
- tall_heavy_loose_capsule_fitted.npz: `tall_heavy_loose` on the capsule athlete (a 1.98 m
  heavy lifter in loose clothes with a kettlebell, 2.1 m camera), four clean reps. The fit lags
  the start of each lowering and snaps after it; the snap read 0.060/0.066 m on reps 1 and 3,
  called hip_shift on main. (Its spine reads 28-30 deg rounded at every bottom, truth 0: the
  fit's own error there, whose confidence is low, so the back is not judged.)
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from station.config import load_exercise
from station.form.evaluator import FormEvaluator

DATA = Path(__file__).parent / "data"


def _load(name: str) -> dict:
    return dict(np.load(DATA / name))


def _run(d: dict) -> FormEvaluator:
    names = [str(n) for n in d["names"]]
    ev = FormEvaluator(load_exercise("rdl"))
    for i in range(len(d["t"])):
        a = {k: float(d["angles"][i, j]) for j, k in enumerate(names)} if d["tracked"][i] else None
        c = {k: float(d["confidence"][i, j]) for j, k in enumerate(names)} if d["tracked"][i] else None
        ev.update(float(d["t"][i]), a, c, None)
    ev.finish()
    return ev


def _shift(d: dict) -> np.ndarray:
    return d["angles"][:, [str(n) for n in d["names"]].index("pelvis_lateral_shift")]


@pytest.mark.parametrize("name", ["rdl_rounded_back_mesh_fitted.npz", "tall_heavy_loose_capsule_fitted.npz"])
def test_a_glitching_shift_is_not_called_hip_shift(name):
    d = _load(name)
    assert not any("hip_shift" in f for f in d["true_faults"])
    # the premise: within a rep the fitted shift leaves its start value by more than the
    # rule's 0.06 m, for a frame or a few (the truth: 0)
    s, t = _shift(d), d["t"]
    off = [np.nanmax(np.abs(s[(t >= a) & (t <= b)] - s[np.searchsorted(t, a)])) for a, _, b in d["true_reps"]]
    assert max(off) > 0.06
    ev = _run(d)
    assert len(ev.reps) == len(d["true_reps"]) == 4
    assert not any("hip_shift" in r.faults for r in ev.reps)
    assert not any(c.rule == "hip_shift" and c.kind == "fault" for c in ev.cues.shown)


def test_rounded_reps_are_still_called_rounded():
    ev = _run(_load("rdl_rounded_back_mesh_fitted.npz"))
    assert all(r.faults == ("rounded_back",) for r in ev.reps)


def test_heavy_loose_clean_backs_are_not_judged_never_rounded():
    # the fitted spine reads 28-30 deg at every bottom (truth 0) at low confidence: the back is
    # not judged on any rep, and no rep is recorded clean
    ev = _run(_load("tall_heavy_loose_capsule_fitted.npz"))
    for r in ev.reps:
        assert "rounded_back" not in r.faults
        assert "rounded_back" in r.not_judged
        assert r.verdict == "not judged"
