"""bench/noise_pair.py's pairing of truth reps with the fitted ones."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "bench"))
from noise_pair import rep_readings  # noqa: E402


def _rep(bottom_t, spine, faults=(), not_judged=()):
    return {"bottom_t": bottom_t, "metrics": {"peak_spine_flexion": spine},
            "faults": list(faults), "not_judged": list(not_judged)}


def test_each_truth_rep_takes_the_nearest_fitted_rep_and_its_verdict():
    truth = [_rep(2.0, 10.0), _rep(5.0, 25.0), _rep(8.0, 18.0), _rep(11.0, 3.0)]
    fitted = [_rep(2.1, 11.3), _rep(4.8, 22.0, faults=["rounded_back"]), _rep(5.6, 30.0),
              _rep(8.2, 16.0, not_judged=["rounded_back"])]
    assert rep_readings(truth, fitted) == ["10.0/11.3", "25.0/22.0*", "18.0/16.0?", "3.0/-"]


def test_a_fitted_rep_without_a_spine_reading_says_so():
    truth = [_rep(2.0, 10.0)]
    fitted = [{"bottom_t": 2.0, "metrics": {}, "faults": [], "not_judged": ["rounded_back"]}]
    assert rep_readings(truth, fitted) == ["10.0/-?"]


def test_a_rep_reads_the_bottoms_shift_minus_the_references():
    from noise_pair import bottom_shifts
    import numpy as np

    t = np.arange(0.0, 10.0, 0.1)
    quiet = np.where(np.abs(t - 5.0) < 1.0, 20.0, -4.0)
    noisy = quiet + 0.5
    noisy[np.abs(t - 5.0) > 1.0] = -6.0
    noisy[30] = np.nan                                  # an untracked frame elsewhere
    truth = [{"bottom_t": 5.0, "metrics": {"peak_spine_flexion": 18.0}}]
    [line] = bottom_shifts(t, truth, [quiet, noisy], [-4.0, -6.0])
    assert line == ("truth 18.0: bottom   20.0 ->   20.5 (+0.5), reference   -4.0 ->   -6.0 (-2.0): "
                    "reads +2.5 more")
    [line] = bottom_shifts(t, truth, [quiet, noisy], [-4.0, None])
    assert line.endswith("reads +nan more")
