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
