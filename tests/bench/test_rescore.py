"""bench/fitter.py --save and bench/rescore.py: a take saved from the pipeline is scored again
without fitting, and its reps re-judged by the evaluator from the saved frames equal the
pipeline's own: the same reps, faults and unjudged rules, their metrics equal to the saved
frames' rounding (frame_record's)."""
from __future__ import annotations

import gzip
import importlib.util
import json
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _bench_module(name: str):
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))    # fitter.py / rescore.py import their siblings
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    fitter = _bench_module("fitter")
    from station.sim.scenarios import get_scenario

    out = tmp_path_factory.mktemp("saved")
    # two reps of a capsule lifter, the second over the lean-back rule (its standing hip read)
    r = fitter.run_scenario(get_scenario("rdl_overextension"), 330, str(out))
    return out, r


def test_saved_take_is_scored_and_replayed_as_the_pipeline_judged_it(saved, capsys):
    out, r = saved
    rescore = _bench_module("rescore")
    docs = rescore.load_saved(out)
    assert [d["name"] for d in docs] == ["rdl_overextension"]
    doc = docs[0]
    assert len(doc["result"]["reps"]) >= 2
    st = doc["result"]["station"]
    assert len(st["standing_hip_deg"]) == len(doc["result"]["frames"]) == len(st["track_id"])
    assert any(h is not None for h in st["standing_hip_deg"])
    replayed = rescore.replay_reps(doc)
    assert [(x["verdict"], x["faults"], x.get("not_judged")) for x in replayed] == \
        [(x["verdict"], x["faults"], x.get("not_judged")) for x in doc["result"]["reps"]]
    assert any("overextension" in x["faults"] for x in replayed)
    for x, y in zip(replayed, doc["result"]["reps"]):
        assert x["bottom_t"] == pytest.approx(y["bottom_t"], abs=1e-5)
        assert x["metrics"] == pytest.approx(y["metrics"], abs=2e-3)
    # scored as bench/fitter.py scored it
    assert rescore.main([str(out), "--replay"]) == 0
    text = capsys.readouterr().out
    assert "equal the saved ones on 1 of 1 takes" in text
    assert f"MPJPE {r['tally'].mpjpe_mm:5.1f}" in text


def test_a_file_that_is_not_a_saved_take_is_named(tmp_path, capsys):
    rescore = _bench_module("rescore")
    bad = tmp_path / "oops.json.gz"
    bad.write_bytes(gzip.compress(json.dumps({"name": "x"}).encode()))
    assert rescore.main([str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "oops.json.gz" in err and "'body'" in err
    assert rescore.main([str(tmp_path / "empty")]) == 1
