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

import numpy as np
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


def test_directories_merged_are_scored_as_one_library(saved, tmp_path, capsys):
    out, _ = saved
    rescore = _bench_module("rescore")
    (src,) = Path(out).glob("*.json.gz")
    doc = json.loads(gzip.decompress(src.read_bytes()))
    other = tmp_path / "b"
    other.mkdir()
    (other / src.name).write_bytes(src.read_bytes())          # the same take in both
    assert rescore.main([str(out), str(other), "--merge"]) == 1
    assert "rdl_overextension is saved in both" in capsys.readouterr().err
    doc["name"] = "rdl_overextension_again"
    (other / src.name).write_bytes(gzip.compress(json.dumps(doc).encode()))
    assert rescore.main([str(out), str(other), "--merge"]) == 0
    text = capsys.readouterr().out
    assert text.count("== ") == 1 and f"== {out} + {other}: 2 takes" in text
    assert rescore.main([str(out), str(other)]) == 0           # without --merge: one table each
    assert capsys.readouterr().out.count("== ") == 2


def _doc(offsets: dict[str, float], tracked=lambda i: True) -> dict:
    """A saved take by hand: a clean rep (bottom at 1.0 s) and a rounded one (its truth spine
    peaks at 3.0 s), the fit reading every angle off by `offsets`."""
    names = ("spine_flexion", "hip_flexion_l", "hip_flexion_r", "knee_flexion_l", "knee_flexion_r",
             "trunk_inclination")
    truth, fitted = [], []
    for i in range(41):
        t = i * 0.1
        spine = 30.0 - 10.0 * abs(t - 3.0) if 2.0 <= t <= 4.0 else 5.0
        a = {n: 40.0 + i for n in names} | {"spine_flexion": spine}
        truth.append({"t": t, "angles": a})
        key = {"spine_flexion": "spine", "trunk_inclination": "trunk"}
        f = {n: a[n] + offsets[key.get(n, n.split("_")[0])] for n in names}
        fitted.append({"t": t, "tracked": tracked(i), "angles": f})
    reps = [{"start_t": 0.0, "bottom_t": 1.0, "end_t": 2.0, "faults": []},
            {"start_t": 2.0, "bottom_t": 3.2, "end_t": 4.0, "faults": ["rounded_back"]},
            {"start_t": 0.0, "bottom_t": 1.0, "end_t": 2.0, "faults": ["too_fast"]}]
    return {"name": "mesh_Z_clean", "body": "mesh", "split": "dev",
            "truth": {"frames": truth, "reps": reps}, "result": {"frames": fitted}}


def test_bottom_errors_read_the_fit_at_clean_bottoms_and_rounded_peaks(capsys):
    rescore = _bench_module("rescore")
    off = {"spine": -9.0, "hip": 2.0, "knee": -1.5, "trunk": 0.5}
    rows = rescore.bottom_errors(_doc(off))
    assert [r["kind"] for r in rows] == ["clean", "rounded"]     # the too_fast rep gives none
    for r in rows:
        for k, v in off.items():
            assert r[k] == pytest.approx(v)
    assert rows[0]["truth_spine"] == pytest.approx(5.0)
    # the rounded rep is read at its spine's peak (3.0 s, not its bottom_t), +-3 frames
    assert rows[1]["truth_spine"] == pytest.approx((30 + 2 * (29 + 28 + 27)) / 7)
    # untracked frames are left out; a rep with none tracked there gives no row
    rows = rescore.bottom_errors(_doc(off, tracked=lambda i: not 7 <= i <= 13))
    assert [r["kind"] for r in rows] == ["rounded"]
    rescore.bottoms_table([_doc(off)])
    text = capsys.readouterr().out
    assert "mesh body, split dev" in text
    assert "  Z            n   1 truth spine   5.0 | fitted - truth: spine   -9.0 hip   +2.0" in text


def _standing_doc(name: str, yaw_deg: float, hips_fwd_up: tuple[float, float],
                  neck_fwd_up: tuple[float, float]) -> dict:
    """A lifter turned yaw_deg, standing tall for 10 frames then bent over for 10: the fit's
    hips and neck off by the given (forward, up) metres while standing, 0.2 m off bent."""
    yaw = np.radians(yaw_deg)
    fwd, left = np.array([np.cos(yaw), np.sin(yaw), 0.0]), np.array([-np.sin(yaw), np.cos(yaw), 0.0])
    up = np.array([0.0, 0.0, 1.0])
    truth_j = {"hip_l": 0.1 * left + 0.9 * up, "hip_r": -0.1 * left + 0.9 * up, "neck": 1.45 * up}
    truth, fitted = [], []
    for i in range(20):
        standing = i < 10
        off = {k: (v[0] * fwd + v[1] * up) if standing else 0.2 * up
               for k, v in (("hip_l", hips_fwd_up), ("hip_r", hips_fwd_up), ("neck", neck_fwd_up))}
        truth.append({"t": i * 0.1, "angles": {"trunk_inclination": 3.0 if standing else 60.0},
                      "joints": {k: v.tolist() for k, v in truth_j.items()}})
        fitted.append({"t": i * 0.1, "tracked": True,
                       "joints": {k: (truth_j[k] + off[k]).tolist() for k in truth_j}})
    truth.append({"t": 2.0})    # the lifter out of view: no angles, no joints
    fitted.append({"t": 2.0, "tracked": False})
    return {"name": name, "body": "mesh", "split": "dev",
            "truth": {"frames": truth, "reps": [], "floor": {"normal": up.tolist(), "d": 0.0}},
            "result": {"frames": fitted}}


def _in_camera_frame(doc: dict) -> dict:
    """The same take seen by a camera 2 m in front of the lifter, 1.6 m up, pitched 25 deg
    down (its optical frame: x right, y down, z forward): joints and floor normal rotated."""
    pitch = np.radians(25.0)
    # floor (x fwd of the lifter... here: the scene's x, y, z) to camera: the lifter faces the camera
    R_cam_floor = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])   # z up -> -y
    c, s = np.cos(pitch), np.sin(pitch)
    R_pitch = np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])
    R = R_pitch @ R_cam_floor
    t = np.array([0.0, 1.6, 2.0])

    def move(frames):
        return [f | {"joints": {k: (R @ np.asarray(v) + t).tolist() for k, v in f["joints"].items()}}
                if "joints" in f else f for f in frames]
    truth = doc["truth"] | {"frames": move(doc["truth"]["frames"]),
                            "floor": {"normal": (R @ np.asarray(doc["truth"]["floor"]["normal"])).tolist(), "d": 1.6}}
    return doc | {"truth": truth, "result": {"frames": move(doc["result"]["frames"])}}


def test_standing_offsets_in_the_lifters_frame_and_their_correlation_with_the_spine(capsys):
    rescore = _bench_module("rescore")
    o = rescore.standing_offsets(_standing_doc("mesh_Z_clean", 35.0, (0.015, 0.005), (-0.010, 0.002)))
    np.testing.assert_allclose(o["hips"], [0.015, 0.005], atol=1e-12)   # bent frames left out
    np.testing.assert_allclose(o["neck"], [-0.010, 0.002], atol=1e-12)
    # the saved joints are in the camera's frame: up is the floor's normal, not the camera's z
    o = rescore.standing_offsets(_in_camera_frame(_standing_doc("mesh_Z_clean", 35.0, (0.015, 0.005), (-0.010, 0.002))))
    np.testing.assert_allclose(o["hips"], [0.015, 0.005], atol=1e-9)
    np.testing.assert_allclose(o["neck"], [-0.010, 0.002], atol=1e-9)
    assert rescore.standing_offsets(_standing_doc("mesh_Z_clean", 0.0, (0, 0), (0, 0)) | {
        "truth": {"frames": [{"t": 0.0}], "reps": [], "floor": {"normal": [0, 0, 1]}},
        "result": {"frames": [{"t": 0.0}]}}) is None
    no_floor = _standing_doc("mesh_Z_clean", 0.0, (0.01, 0), (0, 0))
    del no_floor["truth"]["floor"]
    assert rescore.standing_offsets(no_floor) is None
    docs = [_standing_doc(f"mesh_{s}_clean", yaw, (f, 0.0), (0.0, 0.0))
            for s, yaw, f in (("X", 0.0, 0.020), ("Y", 30.0, -0.010), ("Z", -20.0, 0.005))]
    rescore.standing_table(docs, {"X": [-12.0], "Y": [1.0], "Z": [-6.0]})
    text = capsys.readouterr().out
    assert "  X            hips  +20.0   +0.0   neck   +0.0   +0.0 | spine  -12.0" in text
    r = np.corrcoef([20.0, -10.0, 5.0], [-12.0, 1.0, -6.0])[0, 1]
    assert f"hips' forward offset standing against the clean bottoms' spine offset: r {r:+.2f} over 3 shapes" in text
    assert "hips' up offset" not in text     # no spread in the height: no correlation printed


def test_depth_mode_option_parses_and_names_a_bad_value():
    # bench/fitter.py --depth-mode renders the library at another D4xx depth mode
    import argparse
    fitter = _bench_module("fitter")
    assert fitter.depth_mode("640x480@30") == (640, 480, 30)
    assert fitter.depth_mode("1280X720@15") == (1280, 720, 15)
    for bad in ("640x480", "640x48@x", "0x480@30"):
        with pytest.raises(argparse.ArgumentTypeError, match=bad):
            fitter.depth_mode(bad)


def _one_clean_rep(truth: list[dict], fitted: list[dict]) -> dict:
    """A saved take of shape Z (z up, the floor at z 0) whose one clean rep bottoms at 1.5 s."""
    reps = [{"start_t": 1.0, "bottom_t": 1.5, "end_t": 1.9, "faults": []}]
    return {"name": "mesh_Z_clean", "body": "mesh", "split": "dev",
            "truth": {"frames": truth, "reps": reps, "floor": {"normal": [0.0, 0.0, 1.0], "d": 0.0}},
            "result": {"frames": fitted}}


def _curl_doc(fit_extra_deg: float) -> dict:
    """A lifter facing +x (z up), standing for 10 frames, then a clean rep whose bottom (frame
    15) tips the chord hips -> neck 60 deg forward and bends the head 6 deg further over it; the
    fit reads that bend fit_extra_deg more, and the spine 5 deg less."""
    def joints(chord_deg: float, over_deg: float) -> dict:
        c, h = np.radians(chord_deg), np.radians(chord_deg + over_deg)
        hips = np.array([0.0, 0.0, 0.9])
        neck = hips + 0.5 * np.array([np.sin(c), 0.0, np.cos(c)])
        head = neck + 0.25 * np.array([np.sin(h), 0.0, np.cos(h)])
        return {"hip_l": (hips + [0.0, 0.1, 0.0]).tolist(), "hip_r": (hips - [0.0, 0.1, 0.0]).tolist(),
                "neck": neck.tolist(), "head": head.tolist()}
    truth, fitted = [], []
    for i in range(20):
        bent = 10 <= i
        chord = 60.0 if bent else 0.0
        over = 6.0 if bent else 2.0
        spine = 12.0 if bent else 0.0
        truth.append({"t": i * 0.1, "angles": {"trunk_inclination": chord, "spine_flexion": spine},
                      "joints": joints(chord, over)})
        fitted.append({"t": i * 0.1, "tracked": True, "angles": {"spine_flexion": spine - (5.0 if bent else 0.0)},
                       "joints": joints(chord, over + (fit_extra_deg if bent else 0.0))})
    return _one_clean_rep(truth, fitted)


def test_curl_reads_the_heads_bend_over_the_chord_from_standing(capsys):
    rescore = _bench_module("rescore")
    up, fwd = np.array([0.0, 0.0, 1.0]), np.array([1.0, 0.0, 0.0])
    j = _curl_doc(0.0)["truth"]["frames"][15]["joints"]
    assert rescore.curl_deg(j, up, fwd) == pytest.approx(6.0)
    # the lifter's forward from the hip line: left (+y) x up = +x
    np.testing.assert_allclose(rescore.lifter_forward(j, up), fwd, atol=1e-12)
    rows = rescore.curl_errors(_curl_doc(3.0))
    assert len(rows) == 1 and rows[0]["kind"] == "clean"
    assert rows[0]["truth_curl"] == pytest.approx(4.0)   # 6 at the bottom, 2 standing
    assert rows[0]["curl"] == pytest.approx(3.0)
    assert rows[0]["spine"] == pytest.approx(-5.0)
    # the same in a camera's frame: the floor's normal is up
    rows = rescore.curl_errors(_in_camera_frame(_curl_doc(3.0)))
    assert rows[0]["curl"] == pytest.approx(3.0) and rows[0]["truth_curl"] == pytest.approx(4.0)
    no_floor = _curl_doc(3.0)
    del no_floor["truth"]["floor"]
    assert rescore.curl_errors(no_floor) == []
    rescore.curl_table([_curl_doc(3.0)])
    assert "  Z            n   1 truth spine  12.0 curl   4.0 | fitted - truth: curl   +3.0 (x2   +6.0) spine   -5.0" \
        in capsys.readouterr().out


def _chord_doc(hips_low_m: float, hips_back_at_bottom_m: float) -> dict:
    """A lifter facing +x (z up): standing for 10 frames, then a bottom whose chord hips -> neck
    is tipped 80 deg forward. The fit carries its hips hips_low_m down the trunk throughout (an
    offset the body carries, which turns with the trunk), and at the bottom also
    hips_back_at_bottom_m across it, towards the back."""
    def joints(chord_deg: float, hips_shift: np.ndarray) -> dict:
        c = np.radians(chord_deg)
        along = np.array([np.sin(c), 0.0, np.cos(c)])
        hips = np.array([0.0, 0.0, 0.9]) + hips_shift
        neck = np.array([0.0, 0.0, 0.9]) + 0.5 * along
        return {"hip_l": (hips + [0.0, 0.1, 0.0]).tolist(), "hip_r": (hips - [0.0, 0.1, 0.0]).tolist(),
                "neck": neck.tolist(), "head": (neck + 0.2 * along).tolist()}
    truth, fitted = [], []
    for i in range(20):
        bent = 10 <= i
        chord = 80.0 if bent else 0.0
        c = np.radians(chord)
        along = np.array([np.sin(c), 0.0, np.cos(c)])
        back = np.array([-np.cos(c), 0.0, np.sin(c)])    # along x left (+y): towards the back
        shift = -hips_low_m * along + (hips_back_at_bottom_m * back if bent else 0.0)
        truth.append({"t": i * 0.1, "angles": {"trunk_inclination": chord, "spine_flexion": 5.0},
                      "joints": joints(chord, np.zeros(3))})
        fitted.append({"t": i * 0.1, "tracked": True, "angles": {"spine_flexion": 2.0},
                       "joints": joints(chord, shift)})
    return _one_clean_rep(truth, fitted)


def test_chord_reads_the_hips_across_the_trunk_from_where_the_fit_stands_them(capsys):
    rescore = _bench_module("rescore")
    # an offset the body carries reads nothing at depth (the world's up would read 20 mm)
    (row,) = rescore.chord_errors(_chord_doc(0.02, 0.0))
    for k in ("hips_along", "hips_across", "neck_along", "neck_across", "chord"):
        assert row[k] == pytest.approx(0.0, abs=1e-9)
    assert row["spine"] == pytest.approx(-3.0) and row["kind"] == "clean"
    # hips moved 30 mm towards the back at the bottom: across +30, the chord steeper forward
    (row,) = rescore.chord_errors(_chord_doc(0.02, 0.03))
    assert row["hips_across"] == pytest.approx(30.0) and row["hips_along"] == pytest.approx(0.0, abs=1e-9)
    want = np.degrees(np.arctan2(0.03, 0.5 + 0.02))    # the fitted chord turned about the neck
    assert row["chord"] == pytest.approx(want, rel=1e-6)
    # the same in a camera's frame
    (row,) = rescore.chord_errors(_in_camera_frame(_chord_doc(0.02, 0.03)))
    assert row["hips_across"] == pytest.approx(30.0) and row["chord"] == pytest.approx(want, rel=1e-6)
    no_floor = _chord_doc(0.02, 0.03)
    del no_floor["truth"]["floor"]
    assert rescore.chord_errors(no_floor) == []
    rescore.chord_table([_chord_doc(0.02, 0.03)])
    assert "hips along    +0 across   +30" in capsys.readouterr().out


def test_standing_offsets_read_the_legs_length_where_the_joints_have_knees_and_ankles(capsys):
    rescore = _bench_module("rescore")

    def with_legs(doc: dict, extra_m: float) -> dict:
        """The take's joints with knees and ankles straight below the hips; the fit's legs
        extra_m longer (its ankles lower) on every frame."""
        def legs(j: dict, extra: float) -> dict:
            out = dict(j)
            for s in "lr":
                hip = np.asarray(j[f"hip_{s}"])
                out[f"knee_{s}"] = (hip - [0.0, 0.0, 0.45]).tolist()
                out[f"ankle_{s}"] = (hip - [0.0, 0.0, 0.85 + extra]).tolist()
            return out
        for key, extra in (("truth", 0.0), ("result", extra_m)):
            for f in doc[key]["frames"]:
                if "joints" in f:
                    f["joints"] = legs(f["joints"], extra)
        return doc
    o = rescore.standing_offsets(with_legs(_standing_doc("mesh_X_clean", 20.0, (0.0, 0.01), (0.0, 0.0)), 0.015))
    assert o["legs"][0] == pytest.approx(0.015)
    assert "legs" not in rescore.standing_offsets(_standing_doc("mesh_X_clean", 20.0, (0.0, 0.01), (0.0, 0.0)))
    j = {f"{p}_{s}": v for s in "lr" for p, v in (("hip", [0, 0, 0.9]), ("knee", [0, 0.3, 0.5]), ("ankle", [0, 0.3, 0.1]))}
    assert rescore.leg_length(j) == pytest.approx(0.5 + 0.4)
    docs = [with_legs(_standing_doc(f"mesh_{s}_clean", 0.0, (0.0, 0.0), (0.0, 0.0)), e)
            for s, e in (("X", 0.020), ("Y", -0.010), ("Z", 0.005))]
    rescore.standing_table(docs, {"X": [-12.0], "Y": [1.0], "Z": [-6.0]})
    text = capsys.readouterr().out
    assert "  X            hips   +0.0   +0.0   neck   +0.0   +0.0   legs  +20.0 | spine  -12.0" in text
    r = np.corrcoef([20.0, -10.0, 5.0], [-12.0, 1.0, -6.0])[0, 1]
    assert f"legs' length standing against the clean bottoms' spine offset: r {r:+.2f} over 3 shapes" in text
