"""The lean-back rule reads the hips against how this lifter stands: a fitted standing hip of
-9 deg (the capsule fit of tall_heavy_loose stands at -8.5, truth 0) makes no lockout near
it a lean-back, while one well past it still is; without a standing reference, the absolute
threshold holds. The rep's verdict and the live cue agree."""
from __future__ import annotations

import numpy as np
import pytest

from station.config import load_exercise
from station.form.evaluator import evaluate_trace
from station.form.rules import Live, Overextension
from tests.form.test_rules import rep
from tests.form.traces import hinge, script

RULE = Overextension(min_end_hip_flexion_deg=-10.0, min_end_spine_flexion_deg=-15.0)


def _with_reference(r, standing_hip):
    from dataclasses import replace
    return replace(r, standing_hip=standing_hip)


@pytest.mark.parametrize("top_min_hip", [-10.0, -11.0, -12.0])
def test_lockouts_near_an_extended_standing_hip_are_not_a_lean_back(top_min_hip):
    r = rep(lockout=-9.0, top_min_hip=top_min_hip)
    assert RULE.judge(r) is (top_min_hip < -10.0)         # the absolute rule would call them
    assert not RULE.judge(_with_reference(r, -9.0))


def test_a_lockout_12_deg_past_the_standing_hip_is_a_lean_back():
    r = rep(lockout=-9.0, top_min_hip=-21.0)
    assert RULE.judge(_with_reference(r, -9.0))
    assert RULE.hip_limit(-9.0) == pytest.approx(-19.0)


def test_without_a_reference_the_absolute_rule_holds():
    assert RULE.hip_limit(None) == RULE.hip_limit(float("nan")) == -10.0
    assert RULE.judge(rep(top_min_hip=-10.5))
    assert not RULE.judge(rep(top_min_hip=-9.5))


def test_a_flexed_standing_hip_keeps_the_absolute_rule():
    # a lifter standing soft (hips +4) is leaning back past upright, not past their stance:
    # the truth labels are absolute, and so is the limit for them
    assert RULE.hip_limit(4.0) == -10.0
    assert RULE.judge(_with_reference(rep(lockout=4.0, top_min_hip=-10.5), 4.0))


def _live(hip, standing_hip):
    return Live(phase="lockout", hip=hip, knee=2.0, spine=0.0, shift=0.0, start_shift=0.0, elapsed_s=3.0,
                bottom_reached=True, eccentric_s=1.5, since_top_s=0.1, peak_hip=80.0, hip_at_bottom=80.0,
                knee_at_bottom=18.0, hip_at_top=hip, standing_hip=standing_hip)


def test_the_live_cue_reads_the_same_limit():
    assert not RULE.onset(_live(-12.0, -9.0))
    assert RULE.onset(_live(-21.0, -9.0))
    assert RULE.onset(_live(-12.0, None))
    assert RULE.onset(_live(-12.0, 3.0))


def _run(standing_hip):
    # a lifter (or a fit) standing at -9 deg, whose reps lock out at -10, -11, -12 and one
    # leaning back 12 deg past the stance (-21)
    moves = []
    for lockout in (-10.0, -11.0, -12.0, -21.0):
        moves += hinge(lockout=lockout, top_pause=1.2)
    t, ang, _ = script(moves, start={"hip": -9.0})
    return evaluate_trace(load_exercise("rdl"), t, ang, standing_hip_deg=standing_hip)


def test_evaluator_verdicts_and_cues_read_the_standing_hip():
    ev = _run(-9.0)
    assert len(ev.reps) == 4
    called = ["overextension" in r.faults for r in ev.reps]
    assert called == [False, False, False, True]
    cued = [c for c in ev.cues.shown if c.rule == "overextension"]
    assert len(cued) == 1 and cued[0].t_s > ev.reps[2].end_t


def test_evaluator_without_a_reference_keeps_the_absolute_rule():
    ev = _run(None)
    assert len(ev.reps) == 4
    called = ["overextension" in r.faults for r in ev.reps]
    assert called[1:] == [True, True, True]
    assert np.all([r.metrics["min_top_hip_flexion"] < -10.5 for r in ev.reps[1:]])
