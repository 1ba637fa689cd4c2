"""A lowering whose hip the fit was unsure of near the bottom is still timed (TooFast.seen_verdict).

Facing the camera, the bent trunk hides the pelvis over the last part of a lowering and the
hip's confidence falls below the gate there; the lowering's length is its start and its bottom,
not the hip's values in between. Timed when the sure frames run from the start through at
least half of the lowering; not judged when the fit lost the hip early (there the fitted hips
read stopping early, a slow lowering timed short).
"""
from __future__ import annotations

import numpy as np
import pytest

from station.config import load_exercise
from station.form.evaluator import evaluate_trace
from station.form.rules import SEEN_LOWERING
from station.model import ANGLES
from tests.form.traces import hinge, script


def _rep(ecc_s: float, unsure_from: float):
    """One rep lowered in ecc_s, the hips unsure from `unsure_from` of the lowering's time
    to just after the bottom (the rest of the angles sure throughout)."""
    t, ang, _ = script(hinge(ecc=ecc_s))
    rdl = load_exercise("rdl")
    r0 = evaluate_trace(rdl, t, ang).reps[0]
    conf = {k: np.full(len(t), 0.9) for k in ANGLES}
    t_unsure = r0.start_t + unsure_from * (r0.bottom_t - r0.start_t)
    low = (t >= t_unsure) & (t <= r0.bottom_t + 0.3)
    for k in ("hip_flexion_l", "hip_flexion_r"):
        conf[k][low] = 0.2
    return evaluate_trace(rdl, t, ang, confidence=conf).reps[0]


@pytest.mark.parametrize("ecc_s, fast", [(0.6, True), (1.5, False)])
def test_a_lowering_seen_through_most_of_its_way_down_is_timed(ecc_s, fast):
    # minimum-jerk: at 60 % of the time the hips have covered 68 % of the way
    rep = _rep(ecc_s, unsure_from=0.6)
    assert "too_fast" not in rep.not_judged
    assert ("too_fast" in rep.faults) is fast


@pytest.mark.parametrize("ecc_s", [0.6, 1.5])
def test_a_lowering_lost_early_is_not_timed(ecc_s):
    # at 30 % of the time the hips have covered 16 % of the way: below SEEN_LOWERING
    assert SEEN_LOWERING > 0.2
    rep = _rep(ecc_s, unsure_from=0.3)
    assert "too_fast" in rep.not_judged and "too_fast" not in rep.faults
