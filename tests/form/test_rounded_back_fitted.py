"""Rounded back on a fitted MESH-athlete clip: the rule reads the spine the lifter held, not
the fit's noisiest frame.

mesh_A_faults2_fitted.npz: the evaluator's inputs (angles, per-angle confidence, view notice)
saved from the station's own pipeline (station.app.Pipeline) over `mesh_A_faults2` (the
skinned MakeHuman athlete, shape A, camera at 1.6 m, facing the mirror), with the take's
truth per rep. Six reps, one per fault family; the truth spine peaks at 7.3, 14.8, 17.0, 1.3,
16.4 and 25.4 deg (the rule: > 20 deg). The fitted spine of rep 3 (an overextension, back at
17.0 deg) touches 20.6 deg for a few frames at the bottom: the fit's frame noise, which puts
a rep's one-frame maximum 2.7 deg above the value held for 0.3 s on average on the mesh dev
library. Before the rule read the spine held over SPINE_HOLD_S, rep 3 was called rounded.
"""
from __future__ import annotations

import pytest

from station.form.rules import CURVED_BACK_CHORD_RATIO, SPINE_HOLD_S, held_peak
from tests.form.fitted_clips import load_clip, replay, verdict_of


@pytest.fixture(scope="module")
def clip():
    d, names = load_clip("mesh_A_faults2_fitted.npz")
    return d, names, replay(d, names)


def test_every_rep_is_found_and_the_back_judged_unless_read_near_the_rule(clip):
    # a back read well under the rule and the rounded one are judged; the others read 16-20
    # deg at their peak (the borderline reps, 14.8-17.0 deg, and the knee-dominant one, 7.3
    # deg, whose bent knees the fit read partly as a rounding), within what a rigid thorax
    # reads of a back rounded to the rule (RoundedBack.undecided): not called clean
    d, _, ev = clip
    assert len(ev.reps) == len(d["truth_start_t"]) == 6
    undecided = 0
    for s, e, rounded in zip(d["truth_start_t"], d["truth_end_t"], d["truth_rounded"]):
        v = verdict_of(ev, s, e)
        read = v.metrics["peak_spine_flexion"]
        if rounded or read < 20.0 * CURVED_BACK_CHORD_RATIO:
            assert "rounded_back" not in v.not_judged, f"rep at {s:.1f} s, read {read:.1f} deg"
        else:
            undecided += "rounded_back" in v.not_judged
    assert undecided >= 3


def test_the_rounded_rep_is_flagged_and_no_flat_one_is(clip):
    d, _, ev = clip
    for s, e, peak, rounded in zip(d["truth_start_t"], d["truth_end_t"], d["truth_spine_peak"], d["truth_rounded"]):
        v = verdict_of(ev, s, e)
        assert ("rounded_back" in v.faults) == bool(rounded), f"rep at {s:.1f} s, truth spine peak {peak:.1f} deg"


def test_no_back_cue_on_a_flat_back(clip):
    d, _, ev = clip
    for s, e, rounded in zip(d["truth_start_t"], d["truth_end_t"], d["truth_rounded"]):
        cued = any(st.cue is not None and st.cue.rule == "rounded_back" and st.cue.kind == "fault"
                   and s <= st.t_s <= e for st in ev.states)
        assert cued == bool(rounded), f"rep at {s:.1f} s"


def test_the_flat_rep_does_cross_the_rule_for_a_few_frames(clip):
    # what the hold is for: rep 3's fitted spine is over 20 deg in a few frames, not held there
    d, names, _ = clip
    s, e = d["truth_start_t"][2], d["truth_end_t"][2]
    sel = (d["t"] >= s) & (d["t"] <= e) & d["tracked"]
    spine = d["angles"][sel, names.index("spine_flexion")].astype(float)
    assert d["truth_spine_peak"][2] < 20.0 < spine.max()
    assert held_peak(d["t"][sel], spine, SPINE_HOLD_S) < 20.0
