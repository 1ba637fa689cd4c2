"""station.scoring: the one scorer of the benchmarks and of `station analyze` output."""
from __future__ import annotations

import copy
import math

import pytest

from station.model import JOINTS
from station.scoring import Tally, match_reps, score
from station.sim import motion as mo
from station.sim.scenarios import Scenario, build


@pytest.fixture(scope="module")
def truth_doc():
    sc = Scenario("t_score", "test", 77, reps=(mo.HingeRepParams(), mo.HingeRepParams(spine_rounding_deg=30.0),
                                                 mo.HingeRepParams(eccentric_s=0.6)), body="mesh", scene="bare")
    return build(sc).truth_document("t.db3")


def _as_result(truth: dict) -> dict:
    res = copy.deepcopy({"frames": truth["frames"], "reps": truth["reps"]})
    for r in res["reps"]:
        r.pop("metrics", None)
    return res


def test_the_truth_scores_perfectly(truth_doc):
    t = score(truth_doc, _as_result(truth_doc))
    assert t.in_view == sum(f["tracked"] for f in truth_doc["frames"]) > 100
    assert t.tracked_rate == 1.0 and t.mpjpe_mm == 0.0
    assert all(t.angle_mae(g) == 0.0 for g in ("trunk", "hip", "knee", "spine"))
    assert t.prf("rounded_back") == (1.0, 1.0, 1.0) and t.prf("too_fast") == (1.0, 1.0, 1.0)
    assert math.isnan(t.prf("hip_shift")[0])
    assert t.clean_reps == 1 and t.false_fault_rate == 0.0 and math.isnan(t.false_cue_rate)


def test_errors_misses_and_false_faults_are_counted(truth_doc):
    res = _as_result(truth_doc)
    tracked = [f for f in res["frames"] if f["tracked"]]
    for f in tracked:  # every joint 3 cm off, spine 5° high
        f["joints"] = {n: [v + 0.03 * (k == 0) for k, v in enumerate(f["joints"][n])] for n in JOINTS}
        f["angles"] = dict(f["angles"], spine_flexion=f["angles"]["spine_flexion"] + 5.0)
    for f in tracked[:10]:
        f["tracked"] = False
        del f["joints"]
    reps = res["reps"]
    reps[0]["faults"] = ["rounded_back"]       # a false fault on the clean rep
    reps[1]["faults"] = []                     # the rounded back missed...
    reps[1]["not_judged"] = ["rounded_back"]   # ...because it could not be judged
    reps[2]["bottom_t"] += 5.0                 # the fast rep found nowhere near its truth
    res["cues"] = [{"t": reps[0]["start_t"] + 0.5, "rule": "rounded_back", "kind": "fault"}]
    t = score(truth_doc, res)
    assert t.tracked == t.in_view - 10
    assert t.mpjpe_mm == pytest.approx(30.0, abs=1e-6)
    assert t.angle_mae("spine") == pytest.approx(5.0, abs=1e-3) and t.angle_mae("knee") == pytest.approx(0.0)
    tp, fp, fn, nj = t.faults["rounded_back"]
    assert (tp, fp, fn, nj) == (0, 1, 1, 1)
    assert t.faults["too_fast"][:3] == [0, 1, 1]    # unpaired: a miss and a false alarm
    # a miss that was not judged, and one found nowhere: neither was called clean
    assert t.cleared["rounded_back"] == 0 and t.cleared["too_fast"] == 0
    assert t.clean_false_fault == 1 and t.false_fault_rate == 1.0 and t.false_cue_rate == 1.0


def test_a_constant_joint_offset_is_told_apart_from_an_error_that_moves(truth_doc):
    """The -const figure takes out each recording's mean error vector of each joint: a skeleton
    3 cm off everywhere scores 30 mm and 0 without its offset; one whose error alternates
    +-3 cm frame by frame has no constant part and keeps all of it."""
    const, moving = _as_result(truth_doc), _as_result(truth_doc)
    tracked = [(a, b) for a, b in zip(const["frames"], moving["frames"]) if a["tracked"]]
    for i, (a, b) in enumerate(tracked):
        s = 0.03 if i % 2 else -0.03
        a["joints"] = {n: [v + 0.03 * (k == 1) for k, v in enumerate(a["joints"][n])] for n in JOINTS}
        b["joints"] = {n: [v + s * (k == 2) for k, v in enumerate(b["joints"][n])] for n in JOINTS}
    tc, tm = score(truth_doc, const), score(truth_doc, moving)
    assert tc.mpjpe_mm == pytest.approx(30.0, abs=1e-6) and tc.mpjpe_offset_removed_mm == pytest.approx(0.0, abs=1e-6)
    assert tm.mpjpe_mm == pytest.approx(30.0, abs=1e-6)
    assert tm.mpjpe_offset_removed_mm == pytest.approx(30.0, abs=0.2)   # the mean of an odd count is not quite 0
    # summed, each recording's offset was its own
    assert Tally.sum([tc, tm]).mpjpe_offset_removed_mm == pytest.approx(15.0, abs=0.1)
    assert tc.summary()["mpjpe_offset_removed_mm"] == pytest.approx(0.0, abs=1e-6)


def test_a_true_fault_judged_and_called_absent_is_counted_apart(truth_doc):
    res = _as_result(truth_doc)
    res["reps"][1]["faults"] = []              # the rounded back judged, and called clean
    res["reps"][2]["faults"] = []              # the fast rep's speed not judged
    res["reps"][2]["not_judged"] = ["too_fast"]
    t = score(truth_doc, res)
    assert t.faults["rounded_back"][:3] == [0, 0, 1] and t.cleared["rounded_back"] == 1
    assert t.faults["too_fast"][:3] == [0, 0, 1] and t.cleared["too_fast"] == 0
    assert Tally.sum([t, t]).cleared["rounded_back"] == 2
    assert t.summary()["rounded_back"]["cleared"] == 1


def test_tallies_add_up(truth_doc):
    a = score(truth_doc, _as_result(truth_doc))
    s = Tally.sum([a, a])
    assert s.in_view == 2 * a.in_view and s.faults["rounded_back"][0] == 2
    assert s.mpjpe_mm == 0.0


def test_match_reps_pairs_by_bottom_time():
    tr = [{"bottom_t": 1.0}, {"bottom_t": 4.0}]
    fo = [{"bottom_t": 4.3}, {"bottom_t": 9.0}]
    pairs = match_reps(tr, fo)
    assert pairs == [(tr[0], None), (tr[1], fo[0]), (None, fo[1])]


def test_start_latency_counts_from_standing_still_in_view(truth_doc):
    from station.scoring import START_TARGET_S, standing_still_t, start_latency_s

    t_still = standing_still_t(truth_doc)
    assert t_still is not None and t_still < 0.5      # the take opens with the lifter standing
    res = _as_result(truth_doc)
    t = [f["t"] for f in res["frames"]]
    assert start_latency_s(truth_doc, res) == 0.0       # tracked from the first frame
    k = next(i for i, v in enumerate(t) if v >= t_still + 1.5)
    for f in res["frames"][:k]:
        f["tracked"] = False
    lat = start_latency_s(truth_doc, res)
    assert lat == pytest.approx(t[k] - t_still, abs=1e-9)
    tally = score(truth_doc, res)
    assert tally.start_latency_s == [lat] and tally.starts_late == 1 and lat > START_TARGET_S
    for f in res["frames"]:
        f["tracked"] = False
    assert start_latency_s(truth_doc, res) == math.inf
    # nobody still in view (every frame moving): no figure
    moving = copy.deepcopy(truth_doc)
    for i, f in enumerate(moving["frames"]):
        if "joints" in f:
            f["joints"] = {n: [v[0] + 0.01 * i, v[1], v[2]] for n, v in f["joints"].items()}
    assert standing_still_t(moving) is None and start_latency_s(moving, res) is None
