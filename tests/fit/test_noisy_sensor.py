"""A noisier depth sensor neither rounds a flat back nor stops the reps being counted (the mesh
athlete, a real human surface; the second part is below, by its fixture).

The free-space term pushes a model surface back wherever the camera saw through it. It used
to compare each surface sample with the one pixel it rounds onto: at a depth edge (the bent
trunk's rim against the thighs below it) that pixel is often the farther side, and the
sensor's noise decides which side more often the noisier it is, so a noisier sensor pushed
the rim back one-sidedly and bent the fitted spine. On this clip (mesh shape Q, the D435's
disparity noise and holes doubled) the third rep, a clean back with a hip shift (truth peak
3.2 deg), read 26.0 deg and was called rounded. A pixel on the far side of a depth edge, next
to one that saw a surface at the sample's depth, no longer pushes it back
(station.fit._kernels_energy.nearest_depth_around): 6.3 deg, clean.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from station.sim.scenarios import build, get_scenario
from tests.helpers import camera_frame, scenario_pipeline

NOISE_SCALE = 2.0
REP = 2            # the third rep: clean back, hips shifted
SPINE_TOL_DEG = 10.0


@pytest.fixture(scope="module")
def noisy_q():
    sc = replace(get_scenario("mesh_Q_faults3"), noise_scale=NOISE_SCALE)
    take = build(sc)
    n = int(np.searchsorted(take.times_s, take.reps[REP].end_t + 0.5))
    pipe = scenario_pipeline(sc)
    for i in range(n):
        pipe.process(camera_frame(take, i))
    return take, pipe.evaluator.finish()


def test_the_rep_is_a_flat_back_with_a_hip_shift(noisy_q):
    take, _ = noisy_q
    assert take.reps[REP].faults == ["hip_shift"]
    assert take.reps[REP].metrics["peak_spine_flexion"] < 10.0


def test_a_noisier_sensor_does_not_read_the_flat_back_rounded(noisy_q):
    take, reps = noisy_q
    truth = take.reps[REP]
    fit = [r for r in reps if abs(r.bottom_t - truth.bottom_t) < 0.5]
    assert len(fit) == 1, f"rep at {truth.bottom_t:.2f} s: {[round(r.bottom_t, 2) for r in reps]}"
    fit = fit[0]
    peak = fit.metrics["peak_spine_flexion"]
    assert abs(peak - truth.metrics["peak_spine_flexion"]) <= SPINE_TOL_DEG, f"peak spine {peak:.1f} fitted"
    assert "rounded_back" not in fit.faults


# -- a noisier sensor leaves the coach as sure of what it sees -----------------------------------
#
# The confidence's constraint factor compares each angle's deviation (from the fit's
# information) with its usual value. The information is 1 / sigma^2 of the data term, and the
# noise adaptation widens sigma with the sensor's noise, so with the noise doubled every
# deviation grew by sigma's 1.3, the factor (steep: 1 / (1 + (sd / scale)^4)) fell, and the hips'
# confidence stayed under the rep detector's level while the lifter stood: shape M's set (the
# heavy woman, a hoodie) counted no rep at all. The angles themselves barely moved. The
# information is now read in the reference noise's units (NoiseAdaptation.info_scale).

M_REPS = 2


@pytest.fixture(scope="module")
def noisy_m():
    sc = get_scenario("mesh_M_faults3")
    sc = replace(sc, noise_scale=NOISE_SCALE, reps=sc.reps[:M_REPS])
    take = build(sc)
    pipe = scenario_pipeline(sc)
    for i in range(len(take.times_s)):
        pipe.process(camera_frame(take, i))
    return take, pipe.evaluator.finish()


def test_a_noisier_sensor_still_counts_the_reps(noisy_m):
    take, reps = noisy_m
    assert len(take.reps) == M_REPS
    found = [min(abs(r.bottom_t - t.bottom_t) for r in reps) if reps else np.inf for t in take.reps]
    assert len(reps) == M_REPS and max(found) < 0.5, \
        f"truth bottoms {[round(t.bottom_t, 2) for t in take.reps]}, fitted {[round(r.bottom_t, 2) for r in reps]}"
