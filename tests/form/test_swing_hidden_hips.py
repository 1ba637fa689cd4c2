"""Kettlebell swings whose hips the bell hides at every top are counted from the bottoms the
fit saw; a run of reps still has to start from a top the fit saw.

kettlebell_swing_small_fitted.npz: the evaluator's inputs saved from the station's pipeline
(station.app.Pipeline) over `kettlebell_swing_small` (capsule athlete, a 1.60 m lifter swinging
a light bell, camera at 1.3 m), with the take's true reps. At each top the floated bell covers
the hips: hip confidence 0.05-0.35, while every bottom reads 0.85-0.9. Counting only reps whose
top was seen found 0 of 6.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from station.config import load_exercise
from station.form.evaluator import FormEvaluator
from station.form.reps import REP_MIN_CONFIDENCE

DATA = Path(__file__).parent / "data" / "kettlebell_swing_small_fitted.npz"
HIPS = ("hip_flexion_l", "hip_flexion_r")


def _reps(d: dict, conf: np.ndarray) -> list:
    names = [str(n) for n in d["names"]]
    ev = FormEvaluator(load_exercise("kettlebell_swing"))
    for i in range(len(d["t"])):
        a = {k: float(d["angles"][i, j]) for j, k in enumerate(names)} if d["tracked"][i] else None
        c = {k: float(conf[i, j]) for j, k in enumerate(names)} if d["tracked"][i] else None
        ev.update(float(d["t"][i]), a, c, str(d["notice"][i]) or None)
    ev.finish()
    return ev.reps


@pytest.fixture(scope="module")
def take():
    return dict(np.load(DATA))


def _hip_conf(d: dict) -> np.ndarray:
    names = [str(n) for n in d["names"]]
    return np.nan_to_num(d["confidence"][:, [names.index(k) for k in HIPS]]).mean(axis=1)


def test_the_tops_are_unsure_and_the_bottoms_sure(take):
    """The premise: the fit does not see the hips at the tops, and does at the bottoms."""
    hip_deg = take["angles"][:, [list(map(str, take["names"])).index(k) for k in HIPS]].mean(axis=1)  # NaN untracked
    c = _hip_conf(take)
    in_reps = np.zeros(len(take["t"]), bool)
    for s, e in take["true_reps"]:
        in_reps |= (take["t"] >= s) & (take["t"] <= e)
    tops = in_reps & (hip_deg < 20.0)
    bottoms = in_reps & (hip_deg > 60.0)
    assert np.nanmedian(c[tops]) < REP_MIN_CONFIDENCE
    assert np.nanmedian(c[bottoms]) > 0.8


def test_every_swing_is_counted(take):
    reps = _reps(take, take["confidence"])
    assert len(reps) == len(take["true_reps"]) == 6
    for r, (s, e) in zip(reps, take["true_reps"]):
        assert min(r.end_t, e) - max(r.start_t, s) > 0.5 * (e - s)


def test_no_rep_from_bottoms_the_fit_was_not_sure_of(take):
    conf = take["confidence"].copy()
    conf[_hip_conf(take) > 0.6] = 0.5      # bottoms no longer sure
    assert _reps(take, conf) == []


def test_a_run_must_start_from_a_top_the_fit_saw(take):
    """With the stance before the first swing unsure too, nothing starts the run."""
    conf = take["confidence"].copy()
    first = float(take["true_reps"][0][0])
    conf[take["t"] < first + 0.2] = 0.1
    assert _reps(take, conf) == []
