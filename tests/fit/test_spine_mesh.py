"""The fitter measures the spine on the MESH athlete (a real human surface, its own rig), not
only on bodies made of its own capsules: a clean rep reads near neutral at its bottom and is
not called rounded; a back rounded 32 deg reads within a few degrees of the truth at its bottom,
and the bend does not go into the hips and knees instead (the failure an independent test set
showed: backs rounded 31-41 deg read 12-22 deg, hips +5, knees +8-10).

One clip (rdl_mixed_faults@mesh: a clean rep, then a rep rounded 32 deg), run as the station
runs live; the per-rep figures are those of bench/spine.py."""
from __future__ import annotations


import numpy as np
import pytest

from station.app import frame_record
from station.sim.scenarios import build, get_scenario
from tests.helpers import camera_frame, scenario_pipeline

# how far the fitted angles may be from the truth at a rep's bottom (deg). On this clip the
# fitter reads the clean bottom within ~3 deg and the rounded one within ~4; before the neck
# carried the thorax (the head pinning the thorax's orientation) they read -13 and -5.
SPINE_TOL_DEG = 8.0
HIP_KNEE_TOL_DEG = 6.0


@pytest.fixture(scope="module")
def mixed():
    sc = get_scenario("rdl_mixed_faults@mesh")
    take = build(sc)
    n = int(np.searchsorted(take.times_s, take.reps[1].end_t + 0.5))
    pipe = scenario_pipeline(sc, seed=0)
    frames = []
    for i in range(n):
        r = pipe.process(camera_frame(take, i))
        frames.append(frame_record(r))
    reps = pipe.evaluator.finish()
    truth = take.truth_document(sc.name)["frames"][:n]
    return take, frames, truth, reps


def _at(frames, key, t0, t1):
    v = [f["angles"][key] for f in frames if t0 <= f["t"] <= t1 and f.get("tracked") and "angles" in f]
    return np.asarray(v, np.float64)


def _bottom(frames, key, rep):
    """Median over +-0.1 s around the rep's (truth) bottom."""
    v = _at(frames, key, rep.bottom_t - 0.1, rep.bottom_t + 0.1)
    assert len(v) >= 3, f"{key}: not tracked at the bottom of the rep"
    return float(np.median(v))


def test_the_clip_has_a_clean_then_a_rounded_rep(mixed):
    take, _, _, _ = mixed
    assert not take.reps[0].faults
    assert "rounded_back" in take.reps[1].faults


@pytest.mark.parametrize("k", [0, 1])
def test_spine_at_the_bottom_reads_the_truth(mixed, k):
    take, frames, truth, _ = mixed
    rep = take.reps[k]
    fit = _bottom(frames, "spine_flexion", rep)
    true = _bottom(truth, "spine_flexion", rep)
    assert abs(fit - true) <= SPINE_TOL_DEG, f"rep {k + 1}: spine {fit:.1f} fitted, {true:.1f} true"


@pytest.mark.parametrize("k", [0, 1])
def test_the_bend_does_not_go_into_hips_and_knees(mixed, k):
    take, frames, truth, _ = mixed
    rep = take.reps[k]
    for key in ("hip_flexion_l", "hip_flexion_r", "knee_flexion_l", "knee_flexion_r"):
        fit, true = _bottom(frames, key, rep), _bottom(truth, key, rep)
        assert abs(fit - true) <= HIP_KNEE_TOL_DEG, f"rep {k + 1}: {key} {fit:.1f} fitted, {true:.1f} true"


def test_rounded_rep_peaks_over_the_rule_and_clean_rep_stays_under(mixed):
    take, frames, truth, reps = mixed
    clean, rounded = take.reps[0], take.reps[1]
    peak_clean = float(np.max(_at(frames, "spine_flexion", clean.start_t, clean.end_t)))
    peak_rounded = float(np.max(_at(frames, "spine_flexion", rounded.start_t, rounded.end_t)))
    true_rounded = float(np.max(_at(truth, "spine_flexion", rounded.start_t, rounded.end_t)))
    assert peak_clean < 20.0, f"clean rep peaks at {peak_clean:.1f} deg (the rule is 20)"
    assert peak_rounded > 20.0 and abs(peak_rounded - true_rounded) <= SPINE_TOL_DEG, \
        f"rounded rep peaks at {peak_rounded:.1f} deg, truth {true_rounded:.1f}"
    # the coach: the clean rep is not called rounded; the rounded one is not called clean
    assert len(reps) >= 2
    assert "rounded_back" not in reps[0].faults
    assert "rounded_back" in reps[1].faults or "rounded_back" in reps[1].not_judged
