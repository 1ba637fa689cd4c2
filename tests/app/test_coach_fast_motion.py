"""A fast motion the fit lags must not become a fault: the first swing of kettlebell_swing
(hips driving at ~300 deg/s, a flat back), through render -> segment -> fit -> confidence ->
evaluator on both bodies, against the take's ground truth. Before the rate term the capsule
fit read a +33.6 deg spine spike on the drive at 0.97 confidence and called the rep "round
back"; now it is clean or not judged for the spine, never rounded (station.fit.confidence,
AngleRateConfidence)."""
from __future__ import annotations


import numpy as np
import pytest

from station.app import frame_record
from station.sim.scenarios import build, get_scenario
from tests.helpers import camera_frame, scenario_pipeline


@pytest.mark.parametrize("body", ["capsule", "mesh"])
def test_fast_swing_with_a_flat_back_is_never_called_rounded(body):
    sc = get_scenario(f"kettlebell_swing@{body}")
    take = build(sc)
    rep = take.reps[0]
    assert "rounded_back" not in rep.faults                       # the truth: a flat back
    assert float(np.max(take.truth_angles["spine_flexion"])) < 5.0
    n = int(np.searchsorted(take.times_s, rep.end_t + 1.0))
    pipe = scenario_pipeline(sc, seed=0)
    cues = []
    spike_written = []    # (the fitter's spine confidence, the one analyze writes) where it spikes
    for i in range(n):
        res = pipe.process(camera_frame(take, i))
        if res.angles is not None and res.angles["spine_flexion"] > 20.0 and res.angle_confidence is not None:
            spike_written.append((res.angle_confidence["spine_flexion"],
                                  frame_record(res)["angle_confidence"]["spine_flexion"]))
        c = pipe.coach.cue if pipe.coach is not None else None
        if c is not None and c.kind == "fault":
            cues.append(c.rule)
    reps = pipe.evaluator.finish()
    # the swing is seen as a rep (the stream stops 1 s after it, mid-way through the next
    # swing, which the end-of-stream flush may count once it is back up)
    assert 1 <= len(reps) <= 2
    assert all("rounded_back" not in r.faults for r in reps)
    assert abs(reps[0].bottom_t - (rep.bottom_t - take.times_s[0])) < 0.2
    assert "rounded_back" not in reps[0].faults
    assert reps[0].verdict != "clean" or "rounded_back" not in reps[0].not_judged
    assert "rounded_back" not in cues
    # where the fitted spine reads a rounded back the truth does not have, `station analyze`
    # writes the confidence the rep was judged with: lowered, not the fitter's own. (The
    # capsule fit spiked there, +30 deg at 0.97, until the neck held the head on the thorax
    # in stop 15; where a spike is left, it must be written lowered.)
    for fitter_conf, written in spike_written:
        assert written <= fitter_conf + 1e-3 and written < 0.4, (fitter_conf, written)
