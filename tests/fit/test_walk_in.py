"""The walk-in of `session_walk_in_out` on the mesh body, through the whole pipeline (render →
segment → fit → evaluator): the lifter walks in side-on behind a plate standing near the camera
(it hides the legs), turns to the mirror, stands, and starts a set.

Before: the start chose the wrong side (shoulders swapped, 346 mm), the hidden legs swung to
64-105 deg of hip flexion and the counter counted it as a rep (5 of 4 for the session)."""
from __future__ import annotations


import numpy as np
import pytest

from station.app import frame_record
from station.sim.scenarios import build, get_scenario
from tests.helpers import camera_frame, scenario_pipeline


@pytest.mark.slow
def test_walk_in_behind_a_plate_is_tracked_facing_the_right_way_and_counts_no_rep():
    sc = get_scenario("session_walk_in_out@mesh")
    take = build(sc)
    n = int(np.searchsorted(take.times_s, take.times_s[0] + 11.0))      # through the first rep's bottom
    pipe = scenario_pipeline(sc)
    truth = take.truth_document(sc.name)["frames"]
    counts, in_view, tracked, shoulder_err = [], 0, 0, []
    for i in range(n):
        r = pipe.process(camera_frame(take, i))
        rec = frame_record(r)
        counts.append(r.state.rep_count if r.state is not None else 0)
        if truth[i].get("tracked"):
            in_view += 1
            if rec["tracked"]:
                tracked += 1
                if rec["t"] < 6.0:        # walking in
                    for j in ("shoulder_l", "shoulder_r"):
                        shoulder_err.append(np.linalg.norm(np.subtract(rec["joints"][j], truth[i]["joints"][j])))
    assert tracked >= 0.98 * in_view, (tracked, in_view)
    # facing the way they walk: left and right shoulders where they are, not swapped (0.35 m)
    assert shoulder_err and np.median(shoulder_err) < 0.1, np.median(shoulder_err)
    # nothing counted before the set (its first rep starts at 10.1 s)
    assert max(counts) == 0


def test_a_start_again_in_full_view_keeps_the_way_the_walker_faces():
    """The walker of session_walk_in_out@mesh comes out from behind the plate at 3.8 s, and the
    track starts again on the whole person (Tracker._follow: legs hidden at the start). That
    restart took its facing from the blob's axis, which does not tell front from back: in the
    same frame as _facing had turned the fit round to the way he walks, it turned him back, and
    the fit read him 150-180 deg off (hips swapped) until 5.6 s, when he stood still. Now it
    keeps the track's facing. Ground truth: the mesh rig's hip joints, their left-right axis."""
    sc = get_scenario("session_walk_in_out@mesh")
    take = build(sc)
    n = int(np.searchsorted(take.times_s, take.times_s[0] + 6.5))
    pipe = scenario_pipeline(sc)
    truth = take.truth_document(sc.name)["frames"]
    off_deg = []
    for i in range(n):
        rec = frame_record(pipe.process(camera_frame(take, i)))
        if rec["t"] < 4.0 or not rec["tracked"]:
            continue
        left_fit = np.subtract(rec["joints"]["hip_l"], rec["joints"]["hip_r"])
        left_true = np.subtract(truth[i]["joints"]["hip_l"], truth[i]["joints"]["hip_r"])
        cos = left_fit @ left_true / (np.linalg.norm(left_fit) * np.linalg.norm(left_true))
        off_deg.append(np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))))
    assert len(off_deg) > 60
    # before: median 165 deg (hips swapped) over 4.0-5.5 s
    assert np.median(off_deg) < 30.0, np.round(off_deg)
    assert np.max(off_deg) < 90.0, np.round(off_deg)


def test_legs_hidden_behind_the_plate_are_not_folded_up_to_the_hips():
    """The capsule body's walk-in of session_walk_in_out: side-on behind the plate near the
    camera, the lower legs hidden, the bar's far plate joined to the lifter's blob at hip
    height. The legs had nothing of their own to fit, and the fit folded them up to reach the
    plate: both feet 0.2-0.46 m off the floor, hip flexion 90-140 deg against the truth's
    10-25 deg, for 1.5 s (4.8-6.3 s; knees and ankles 0.3-0.7 m off). A person stands on a
    foot (station.fit._kernels_energy.SUPPORT_FREE_M). Ground truth: the sim's skeleton."""
    sc = get_scenario("session_walk_in_out@capsule")
    take = build(sc)
    n = int(np.searchsorted(take.times_s, take.times_s[0] + 6.5))
    pipe = scenario_pipeline(sc)
    truth = take.truth_document(sc.name)["frames"]
    up = np.asarray(take.T_floor_cam)[2, :3]
    lift, hips = [], []
    for i in range(n):
        rec = frame_record(pipe.process(camera_frame(take, i)))
        if not rec["tracked"] or not truth[i].get("tracked"):
            continue
        low = lambda j: min(float(up @ np.asarray(j["ankle_l"])), float(up @ np.asarray(j["ankle_r"])))
        lift.append(low(rec["joints"]) - low(truth[i]["joints"]))
        hips.append(max(rec["angles"]["hip_flexion_l"], rec["angles"]["hip_flexion_r"]))
    assert len(lift) > 60
    # before: the lower foot 0.15-0.46 m too high on 69 % of these 90 frames, the hips' 95th
    # percentile 141 deg; now 19 % (4.0-4.4 s, the stride lifts a fitted foot), 74 deg
    assert np.mean(np.asarray(lift) > 0.15) < 0.25, np.round(lift, 2)
    assert np.percentile(hips, 95) < 90.0, np.round(np.percentile(hips, 95))
