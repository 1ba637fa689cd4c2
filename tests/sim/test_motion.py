"""Motion scripts and their ground truth."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from station.form.angles import contract_angles
from station.sim.kinematics import Proportions
from station.sim.motion import HingeRepParams, SquatRepParams, Stance, hinge_set, squat_set, stand
from station.sim.take import concat, spine_baseline_deg
from station.sim.truth import (FULL_MIN_HIP_FLEXION_DEG, PARTIAL_MAX_HIP_FLEXION_DEG, RepTruth, clearly_labelled,
                               rdl_truth_faults)
from station.sim.walking import session, walk_in, walk_out
from station.sim.pose import N_SKELETON, SIM_INDEX as I

P = Proportions.from_height(1.75)
FEET = [I[n] for n in ("ankle_l", "ankle_r", "heel_l", "heel_r", "toe_l", "toe_r")]
SOLES = [I[n] for n in ("heel_l", "heel_r", "toe_l", "toe_r")]

FAULT_SCENARIOS = {
    "clean": (HingeRepParams(), []),
    "rounded_back": (HingeRepParams(spine_rounding_deg=30.0), ["rounded_back"]),
    "knee_dominant": (HingeRepParams(hip_flexion_deg=70.0, knee_flexion_deg=50.0), ["knee_dominant"]),
    "incomplete_lockout": (HingeRepParams(lockout_hip_flexion_deg=22.0), ["incomplete_lockout"]),
    "overextension_hip": (HingeRepParams(lean_back_hip_deg=16.0), ["overextension"]),
    "overextension_spine": (HingeRepParams(lean_back_spine_deg=22.0), ["overextension"]),
    "hip_shift": (HingeRepParams(lateral_shift_m=0.10), ["hip_shift"]),
    "too_fast": (HingeRepParams(eccentric_s=0.6), ["too_fast"]),
}


def bone_errors(props, poses):
    return max(float(np.abs(np.linalg.norm(poses[:, I[a]] - poses[:, I[b]], axis=-1) - L).max())
               for a, b, L in props.bone_pairs())


@pytest.fixture(scope="module")
def fault_set():
    reps = [r for r, _ in FAULT_SCENARIOS.values()]
    return hinge_set(P, reps, fps=30.0)


def test_stand_is_upright_with_small_sway():
    tk = stand(P, 4.0, seed=1)
    a = tk.truth_angles
    assert len(tk.times_s) == 121 and tk.times_s[-1] == pytest.approx(4.0)
    assert a["trunk_inclination"].max() < 5.0
    for k in ("hip_flexion_l", "hip_flexion_r", "knee_flexion_l", "knee_flexion_r", "spine_flexion"):
        assert np.abs(a[k]).max() < 3.0, k
    assert np.abs(a["spine_flexion"][[0, -1]]).max() < 1e-9
    assert np.ptp(tk.poses_floor_m[:, I["head"], 0]) > 0.002  # it does sway
    assert np.abs(tk.poses_floor_m[:, FEET] - tk.poses_floor_m[:1, FEET]).max() < 1e-12
    assert tk.in_view.all() and tk.reps == [] and tk.partial_reps == []
    assert tk.spine_baseline_deg == pytest.approx(spine_baseline_deg(P))


def test_truth_angles_are_the_contract_angles_of_the_poses(fault_set):
    tk = fault_set
    ref = contract_angles(tk.poses_floor_m[:, :N_SKELETON], np.array([0.0, 0.0, 1.0]), tk.spine_baseline_deg)
    for k, v in ref.items():
        np.testing.assert_allclose(tk.truth_angles[k], v)


def test_each_fault_scenario_labels_as_intended(fault_set):
    assert len(fault_set.reps) == len(FAULT_SCENARIOS)
    for (name, (params, expected)), rep in zip(FAULT_SCENARIOS.items(), fault_set.reps):
        assert rep.pattern == "hinge"
        assert sorted(rep.faults) == sorted(expected), name
        assert sorted(params.intended_faults()) == sorted(expected), name
        assert clearly_labelled(rep), name


def test_rep_boundaries_match_the_script(fault_set):
    t = 1.5  # lead-in
    for (params, _), rep in zip(FAULT_SCENARIOS.values(), fault_set.reps):
        assert rep.start_t == pytest.approx(t)
        assert rep.bottom_t == pytest.approx(t + params.eccentric_s)
        assert rep.end_t == pytest.approx(rep.bottom_t + params.bottom_pause_s + params.concentric_s)
        assert rep.metrics["eccentric_s"] == pytest.approx(params.eccentric_s)
        t = rep.end_t + params.top_pause_s
    hip = 0.5 * (fault_set.truth_angles["hip_flexion_l"] + fault_set.truth_angles["hip_flexion_r"])
    prev_top = 0.0  # an incomplete lockout is held until the next rep leaves it
    for (params, _), rep in zip(FAULT_SCENARIOS.values(), fault_set.reps):
        i0, ib, i1 = (int(round(x * 30)) for x in (rep.start_t, rep.bottom_t, rep.end_t))
        assert hip[ib] == pytest.approx(params.hip_flexion_deg, abs=1e-6)
        assert hip[i0:i1 + 1].max() == pytest.approx(hip[ib], abs=1e-9)  # bottom = deepest
        assert hip[i0] == pytest.approx(prev_top, abs=1e-6)
        prev_top = max(params.top_hip_flexion_deg(), 0.0)
        assert hip[i1] == pytest.approx(params.top_hip_flexion_deg(), abs=1e-6)


def test_hinge_depth_knees_spine_and_shift_reach_their_parameters(fault_set):
    for (params, _), rep in zip(FAULT_SCENARIOS.values(), fault_set.reps):
        m = rep.metrics
        assert m["peak_hip_flexion"] == pytest.approx(params.hip_flexion_deg, abs=3.0)
        assert m["knee_flexion_at_bottom"] == pytest.approx(params.knee_flexion_deg, abs=1.0)
        assert m["peak_spine_flexion"] == pytest.approx(max(params.spine_rounding_deg, 0.0), abs=3.0)
        assert m["max_lateral_shift"] == pytest.approx(abs(params.lateral_shift_m), abs=0.005)


def test_hinge_moves_the_hips_back_with_the_feet_planted(fault_set):
    poses = fault_set.poses_floor_m
    rep = fault_set.reps[0]
    i0, ib = int(round(rep.start_t * 30)), int(round(rep.bottom_t * 30))
    assert poses[ib, I["pelvis"], 1] - poses[i0, I["pelvis"], 1] > 0.08  # away from the mirror
    assert np.abs(poses[:, FEET] - poses[:1, FEET]).max() < 1e-12
    assert np.all(poses[:, SOLES, 2] == 0.0)
    assert bone_errors(P, poses) < 1e-9
    # hands hang under the shoulders at the bottom
    d = poses[ib, I["hand_l"]] - poses[ib, I["shoulder_l"]]
    assert abs(d[1]) < 0.05


def test_motion_is_smooth(fault_set):
    v = np.linalg.norm(np.diff(fault_set.poses_floor_m, axis=0), axis=-1) * 30.0
    assert v.max() < 4.0  # m/s, every point
    rep = fault_set.reps[0]
    ib = int(round(rep.bottom_t * 30))
    assert v[ib - 1].max() < 0.05  # at rest at the bottom keyframe (minimum jerk)


def test_partial_rep_is_not_a_rep():
    tk = hinge_set(P, [HingeRepParams(), HingeRepParams(hip_flexion_deg=18.0, knee_flexion_deg=8.0, partial=True),
                       HingeRepParams()])
    assert len(tk.reps) == 2 and len(tk.partial_reps) == 1
    part = tk.partial_reps[0]
    assert tk.reps[0].end_t < part.start_t < part.end_t < tk.reps[1].start_t
    assert part.metrics["peak_hip_flexion"] <= PARTIAL_MAX_HIP_FLEXION_DEG
    assert min(r.metrics["peak_hip_flexion"] for r in tk.reps) >= FULL_MIN_HIP_FLEXION_DEG
    with pytest.raises(ValueError):
        HingeRepParams(hip_flexion_deg=40.0, partial=True)
    with pytest.raises(ValueError):
        HingeRepParams(hip_flexion_deg=30.0)


def test_grip_reset_moves_only_the_arms_at_the_top():
    plain = hinge_set(P, [HingeRepParams(), HingeRepParams()])
    reset = hinge_set(P, [HingeRepParams(grip_reset=True), HingeRepParams()])
    assert len(reset.reps) == 2
    r0 = reset.reps[0]
    i1, i2 = int(round(r0.end_t * 30)), int(round(reset.reps[1].start_t * 30))
    seg = reset.poses_floor_m[i1:i2 + 1]
    assert np.ptp(seg[:, I["hand_l"]], axis=0).max() > 0.03
    assert np.ptp(seg[:, I["pelvis"]], axis=0).max() < 1e-9
    assert reset.reps[1].start_t > plain.reps[1].start_t  # the reset took time
    assert reset.reps[0].faults == [] and reset.reps[1].faults == []


def test_turned_stance_keeps_the_truth():
    reps = [HingeRepParams(spine_rounding_deg=12.0, lateral_shift_m=0.03)]
    a = hinge_set(P, reps, Stance(yaw_deg=0.0))
    b = hinge_set(P, reps, Stance(yaw_deg=45.0, feet_xy_m=(0.2, 2.6)))
    for k in a.truth_angles:
        np.testing.assert_allclose(b.truth_angles[k], a.truth_angles[k], atol=1e-5)
    assert a.reps[0].metrics == pytest.approx(b.reps[0].metrics, abs=1e-6)
    with pytest.raises(ValueError):
        Stance(yaw_deg=60.0)


def test_squat_has_knees_forward_and_hips_down():
    tk = squat_set(P, [SquatRepParams(), SquatRepParams()])
    assert len(tk.reps) == 2 and all(r.pattern == "squat" for r in tk.reps)
    rep = tk.reps[0]
    i0, ib = int(round(rep.start_t * 30)), int(round(rep.bottom_t * 30))
    pz = tk.poses_floor_m[:, I["pelvis"], 2]
    assert pz[i0] - pz[ib] > 0.25
    knee_fwd = tk.poses_floor_m[ib, I["ankle_l"], 1] - tk.poses_floor_m[ib, I["knee_l"], 1]
    assert knee_fwd > 0.15  # knee ahead of the ankle (towards the mirror, -y)
    assert "knee_dominant" in rep.faults
    assert rep.metrics["knee_flexion_at_bottom"] == pytest.approx(100.0, abs=1.0)


def test_walks_join_a_session_and_leave_the_view():
    tk = session(P, [HingeRepParams(), HingeRepParams(spine_rounding_deg=28.0)])
    assert len(tk.reps) == 2 and tk.reps[1].faults == ["rounded_back"] and tk.reps[0].faults == []
    assert not tk.in_view[0] and not tk.in_view[-1] and tk.in_view.any()
    names = [s[0] for s in tk.segments]
    assert names[0] == "walk_in" and names[-1] == "walk_out"
    assert bone_errors(P, tk.poses_floor_m) < 1e-6
    soles = tk.poses_floor_m[:, SOLES, 2]
    assert soles.min() >= 0.0
    on_floor = (soles[:, [0, 2]].min(axis=1) < 1e-6) | (soles[:, [1, 3]].min(axis=1) < 1e-6)
    assert on_floor.all()  # always at least one foot down
    v = np.linalg.norm(np.diff(tk.poses_floor_m, axis=0), axis=-1) * tk.fps
    assert v.max() < 4.0
    # the rep times are on the session clock
    hip = tk.truth_angles["hip_flexion_l"]
    assert hip[int(round(tk.reps[0].bottom_t * tk.fps))] == pytest.approx(80.0, abs=1e-6)


def test_walk_in_ends_facing_the_mirror_at_the_stance():
    st_ = Stance(feet_xy_m=(0.1, 2.4), yaw_deg=20.0)
    tk = walk_in(P, st_)
    last = tk.poses_floor_m[-1]
    assert 0.5 * (last[I["ankle_l"], :2] + last[I["ankle_r"], :2]) == pytest.approx([0.1, 2.4], abs=1e-9)
    out = walk_out(P, st_)
    np.testing.assert_allclose(out.poses_floor_m[0], last, atol=1e-9)


def test_concat_refuses_a_jump():
    with pytest.raises(ValueError, match="do not join"):
        concat([stand(P, 1.0, Stance()), stand(P, 1.0, Stance(feet_xy_m=(0.5, 2.5)))])


def test_clearly_labelled_rejects_borderline_values():
    rep = RepTruth(0.0, 1.5, 3.0, "hinge")
    tk = hinge_set(P, [HingeRepParams(spine_rounding_deg=19.0)])
    assert tk.reps[0].faults == [] and not clearly_labelled(tk.reps[0])
    tk = hinge_set(P, [HingeRepParams(eccentric_s=1.05)])
    assert tk.reps[0].faults == [] and not clearly_labelled(tk.reps[0])
    assert rep.as_contract()["pattern"] == "hinge"


rep_params = st.builds(
    HingeRepParams,
    hip_flexion_deg=st.floats(50.0, 110.0), knee_flexion_deg=st.floats(0.0, 55.0),
    spine_rounding_deg=st.floats(-10.0, 40.0), lumbar_share=st.floats(0.0, 1.0),
    lockout_hip_flexion_deg=st.floats(0.0, 30.0), lean_back_hip_deg=st.floats(0.0, 20.0),
    lean_back_spine_deg=st.floats(0.0, 25.0), lateral_shift_m=st.floats(-0.12, 0.12),
    eccentric_s=st.floats(0.5, 2.5), concentric_s=st.floats(0.5, 2.0),
    bottom_pause_s=st.floats(0.0, 0.5), top_pause_s=st.floats(0.0, 1.0))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rep_params)
def test_random_reps_have_consistent_truth(params):
    tk = hinge_set(P, [params], fps=10.0, lead_in_s=0.5, lead_out_s=0.3)
    assert len(tk.reps) == 1
    rep = tk.reps[0]
    a = tk.truth_angles
    hip = 0.5 * (a["hip_flexion_l"] + a["hip_flexion_r"])
    assert np.all(np.isfinite(hip))
    lo = min(0.0, params.top_hip_flexion_deg()) - 0.5
    assert hip.min() >= lo and hip.max() <= params.hip_flexion_deg + 0.5
    assert a["trunk_inclination"].max() <= params.hip_flexion_deg + 1.0
    assert 0.0 <= a["knee_flexion_l"].min() and a["knee_flexion_l"].max() <= max(params.knee_flexion_deg, 10.0) + 0.5
    m = rep.metrics
    assert m["peak_hip_flexion"] == pytest.approx(params.hip_flexion_deg, abs=3.0)
    assert m["knee_flexion_at_bottom"] == pytest.approx(params.knee_flexion_deg, abs=1.0)
    assert m["lockout_hip_flexion"] == pytest.approx(params.top_hip_flexion_deg(), abs=1.0)
    assert m["max_lateral_shift"] == pytest.approx(abs(params.lateral_shift_m), abs=0.005)
    assert rep.start_t < rep.bottom_t < rep.end_t
    assert rep.faults == rdl_truth_faults(tk.angles_trace(), rep)[0]
    if clearly_labelled(rep):
        assert sorted(rep.faults) == sorted(params.intended_faults())
    assert bone_errors(P, tk.poses_floor_m) < 1e-9
