"""When the fit is unsure of the spine, the coach says nothing about the back: a stored fit
of a MESH-athlete clip where the fitted spine reads a flat back as badly rounded.

mesh_A_faults4_fitted.npz: the evaluator's inputs (angles, per-angle confidence, view
notice) saved from the station's own pipeline (station.app.Pipeline) over `mesh_A_faults4`
(the skinned MakeHuman athlete, shape A, camera at 2.1 m, lifter turned 30 deg from the
mirror), with the take's truth spine per frame and per rep. Rep 4 (an incomplete lockout)
keeps the back flat (truth peak 7.4 deg), but the fitted spine holds 40+ deg through its
bottom: from the top of the mirror, turned, the fit is wrong there, and its spine
confidence is low. The gate (station.form.confidence_gate) must keep that reading from
becoming a "round back" cue or verdict, and record the rep as not judged for the back, never
as clean.
"""
from __future__ import annotations

import numpy as np
import pytest

from station.form.confidence_gate import ConfidenceGate
from station.form.rules import SPINE_HOLD_S, held_peak
from tests.form.fitted_clips import load_clip, replay, rep_frames, verdict_of

FLAT_REP = 3          # index of the flat-backed rep the fit reads as rounded


@pytest.fixture(scope="module")
def clip():
    d, names = load_clip("mesh_A_faults4_fitted.npz")
    return d, names, replay(d, names)


def test_the_fit_reads_the_flat_back_as_rounded_and_unsure(clip):
    # what the gate is for: the fitted spine held over the rule, far from the truth, at low
    # confidence
    d, names, _ = clip
    sel = rep_frames(d, FLAT_REP)
    spine = d["angles"][sel, names.index("spine_flexion")].astype(float)
    assert d["truth_spine_peak"][FLAT_REP] < 10.0
    assert held_peak(d["t"][sel], spine, SPINE_HOLD_S) > 30.0
    assert np.nanmax(np.abs(spine - d["truth_spine"][sel])) > 25.0
    conf = d["confidence"][sel, names.index("spine_flexion")]
    assert np.mean(conf >= ConfidenceGate().min_confidence) < ConfidenceGate().min_fraction


def test_no_round_back_verdict_on_a_flat_back(clip):
    d, _, ev = clip
    for s, e, rounded in zip(d["truth_start_t"], d["truth_end_t"], d["truth_rounded"]):
        if not rounded:
            assert "rounded_back" not in verdict_of(ev, s, e).faults, f"rep at {s:.1f} s"


def test_the_unsure_rep_is_not_judged_for_the_back_never_clean(clip):
    d, _, ev = clip
    v = verdict_of(ev, d["truth_start_t"][FLAT_REP], d["truth_end_t"][FLAT_REP])
    assert "rounded_back" in v.not_judged
    assert v.verdict != "clean"


def test_no_round_back_cue_while_unsure(clip):
    d, _, ev = clip
    for s, e, rounded in zip(d["truth_start_t"], d["truth_end_t"], d["truth_rounded"]):
        if rounded:
            continue
        cued = any(st.cue is not None and st.cue.rule == "rounded_back" and st.cue.kind == "fault"
                   and s <= st.t_s <= e for st in ev.states)
        assert not cued, f"rep at {s:.1f} s"


def test_without_the_confidence_the_flat_rep_would_be_called_rounded(clip):
    # the control: the same angles taken as sure are called rounded (verdict and live cue), so
    # the tests above are the gate's doing
    d, names, _ = clip
    ev = replay(d, names, confident_everywhere=True)
    s, e = d["truth_start_t"][FLAT_REP], d["truth_end_t"][FLAT_REP]
    assert "rounded_back" in verdict_of(ev, s, e).faults
    assert any(st.cue is not None and st.cue.rule == "rounded_back" and st.cue.kind == "fault"
               and s <= st.t_s <= e for st in ev.states)


def test_the_rounded_rep_is_called_from_its_sure_frames(clip):
    # rep 2 rounds (truth 29 deg) and its spine is sure in only ~70% of its frames (the fit's
    # 40+ deg through its bottom is the unsure part): too little to call it clean, but the
    # sure frames alone hold it past the rule, so the back is called rounded
    d, names, ev = clip
    k = int(np.flatnonzero(d["truth_rounded"])[0])
    conf = d["confidence"][rep_frames(d, k), names.index("spine_flexion")]
    assert np.mean(conf >= ConfidenceGate().min_confidence) < ConfidenceGate().min_fraction
    v = verdict_of(ev, d["truth_start_t"][k], d["truth_end_t"][k])
    assert "rounded_back" in v.faults and v.verdict == "fault"
