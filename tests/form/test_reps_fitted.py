"""Rep counting on FITTED angles (what the station's pipeline made of the lifter), replayed
through the live evaluator (smoother, confidence) with the default rdl profile.

The traces (tests/form/data/reps_*.npz) are the whole of `mocap_toe_touch` (real motion
capture, CMU subject 13: two toe touches, 5.5 s) fitted by the pipeline on each body
(bench/recognition.py --pipeline --cache, reduced to t, tracked, the contract angles and
their confidence; no skeleton, no depth). Truth: 2 reps, starting at 1.53 s and 3.17 s.

- capsule: the subject stands with soft knees (truth hip flexion 14.4°, trunk 6.4°), which the
  fit reads as 25-28° of hip flexion (trunk 12°): above leave_upright (20°) for the whole
  stance, so a detector that arms only below it never saw an upright stance (0 reps).
- mesh: the second rep comes back up 0.4 s before the recording ends; the live (smoothed) hip
  flexion had not settled for settle_s by then, so the rep was never ended (1 rep).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from station.config import load_exercise
from station.form.evaluator import evaluate_trace
from station.form.reps import RepDetector

DATA = Path(__file__).parent / "data"
TRUE_STARTS_S = (1.53, 3.17)


def replay(body: str):
    d = np.load(DATA / f"reps_mocap_toe_touch_{body}.npz")
    names = [str(n) for n in d["names"]]
    angles = {k: d["angles"][:, j].astype(float) for j, k in enumerate(names)}
    conf = d["confidence"].astype(float)
    confidence = {k: np.where(np.isnan(conf[:, j]), 1.0, conf[:, j]) for j, k in enumerate(names)}
    return evaluate_trace(load_exercise("rdl"), d["t"], angles, d["tracked"], confidence=confidence)


@pytest.mark.parametrize("body", ["capsule", "mesh"])
def test_fitted_toe_touches_are_counted_exactly(body):
    ev = replay(body)
    assert len(ev.reps) == len(TRUE_STARTS_S), [(r.start_t, r.end_t) for r in ev.reps]
    for rep, start in zip(ev.reps, TRUE_STARTS_S):
        assert abs(rep.start_t - start) <= 0.2


def test_a_still_stance_with_the_trunk_upright_arms_the_detector_above_leave_upright():
    """Hip flexion 26° (above leave_upright 20°) but the trunk at 10° and still: standing.
    The same hips with the trunk inclined 30° (a held half-hinge) are not."""
    s = load_exercise("rdl").reps
    for trunk, want in ((10.0, "standing"), (30.0, "unknown")):
        det = RepDetector(s)
        for i in range(30):
            a = {"hip_flexion_l": 26.0, "hip_flexion_r": 26.0, "knee_flexion_l": 22.0, "knee_flexion_r": 22.0,
                 "spine_flexion": 0.0, "pelvis_lateral_shift": 0.0, "trunk_inclination": trunk}
            det.update(i / 30.0, a)
        assert det.state == want


def test_a_rep_back_up_when_the_stream_ends_is_counted_one_still_down_is_not():
    """The stream stops 0.1 s after the hips come back below back_upright (not yet settled
    for settle_s): the rep is complete. Stopped at 50° on the way up: it is not."""
    s = load_exercise("rdl").reps
    t = np.arange(0.0, 4.0, 1 / 30)
    hip = np.interp(t, [0.0, 1.0, 2.0, 3.0, 4.0], [5.0, 5.0, 80.0, 5.0, 5.0])
    for stop_hip, want in ((20.0, 1), (50.0, 0)):
        n = int(np.argmax((t > 2.0) & (hip < stop_hip))) + 3
        det = RepDetector(s)
        reps = []
        for i in range(n):
            a = {"hip_flexion_l": hip[i], "hip_flexion_r": hip[i], "knee_flexion_l": 15.0, "knee_flexion_r": 15.0,
                 "spine_flexion": 0.0, "pelvis_lateral_shift": 0.0, "trunk_inclination": 0.8 * hip[i]}
            reps += det.update(float(t[i]), a)
        reps += det.flush()
        assert len(reps) == want, stop_hip
