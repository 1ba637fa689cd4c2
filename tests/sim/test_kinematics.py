"""Forward kinematics of the synthetic athlete against the contract's angles."""
from dataclasses import replace

import numpy as np
import pytest

from station.form.angles import contract_angles, spine_flexion_raw_deg
from station.sim.kinematics import (FreeRootParams, PoseParams, Proportions, pose_free_root,
                                    pose_from_angles)
from station.sim.pose import N_SKELETON, SIM_INDEX as I, SIM_POINTS

UP = np.array([0.0, 0.0, 1.0])
P175 = Proportions.from_height(1.75)


def angles(pose, props=P175):
    base = float(spine_flexion_raw_deg(pose_from_angles(props, PoseParams())[:N_SKELETON]))
    return {k: float(v) for k, v in contract_angles(pose[:N_SKELETON], UP, base).items()}


def hinge(**kw):
    d = dict(hip_flexion_deg=80.0, knee_flexion_l_deg=18.0, knee_flexion_r_deg=18.0,
             shank_lean_l_deg=4.0, shank_lean_r_deg=4.0)
    d.update(kw)
    return PoseParams(**d)


def test_proportions_scale_with_height_and_check_input():
    p = Proportions.from_height(1.80)
    assert p.thigh_m == pytest.approx(0.245 * 1.8) and p.shank_m == pytest.approx(0.246 * 1.8)
    assert p.upper_arm_m == pytest.approx(0.186 * 1.8) and p.forearm_m == pytest.approx(0.146 * 1.8)
    assert Proportions.from_height(1.8, build=1.0).shoulder_width_m > p.shoulder_width_m
    with pytest.raises(ValueError):
        Proportions.from_height(0.5)
    with pytest.raises(ValueError):
        Proportions.from_height(1.7, build=2.0)


def test_standing_pose_is_upright_with_landmarks_at_anthropometric_heights():
    pose = pose_from_angles(P175, PoseParams())
    assert pose.shape == (len(SIM_POINTS), 3) and pose.dtype == np.float64
    a = angles(pose)
    assert a["trunk_inclination"] < 5.0
    for k in ("hip_flexion_l", "hip_flexion_r", "knee_flexion_l", "knee_flexion_r", "spine_flexion"):
        assert abs(a[k]) < 1e-6, k
    assert abs(a["pelvis_lateral_shift"]) < 1e-9
    H = 1.75
    assert pose[I["head_top"], 2] == pytest.approx(H, abs=0.01)
    assert pose[I["pelvis"], 2] == pytest.approx(0.53 * H, abs=0.02)
    assert pose[I["neck"], 2] == pytest.approx(0.80 * H, abs=0.01)
    # contract definitions: neck = mid-shoulders, pelvis = mid-hips
    np.testing.assert_allclose(pose[I["neck"]], 0.5 * (pose[I["shoulder_l"]] + pose[I["shoulder_r"]]))
    np.testing.assert_allclose(pose[I["pelvis"]], 0.5 * (pose[I["hip_l"]] + pose[I["hip_r"]]))
    # L5/S1 a few cm above and behind the hip line (behind = +y when facing -y)
    sl = pose[I["spine_low"]] - pose[I["pelvis"]]
    assert 0.05 < sl[2] < 0.12 and 0.01 < sl[1] < 0.06
    assert pose[I["spine_mid"], 2] > pose[I["spine_low"], 2] + 0.1


def test_yaw_zero_faces_the_camera_with_left_at_floor_plus_x():
    pose = pose_from_angles(P175, PoseParams())
    assert pose[I["hip_l"], 0] > pose[I["hip_r"], 0]
    assert pose[I["shoulder_l"], 0] > pose[I["shoulder_r"], 0]
    assert pose[I["toe_l"], 1] < pose[I["heel_l"], 1]  # toes point at the camera (-y)
    assert np.all(pose[[I["heel_l"], I["heel_r"], I["toe_l"], I["toe_r"]], 2] == 0.0)


@pytest.mark.parametrize("hip", [30.0, 60.0, 90.0, 110.0])
def test_hinge_hits_the_contract_hip_flexion_and_moves_the_hips_back(hip):
    stand = pose_from_angles(P175, PoseParams())
    pose = pose_from_angles(P175, hinge(hip_flexion_deg=hip))
    a = angles(pose)
    assert a["hip_flexion_l"] == pytest.approx(hip, abs=0.5)
    assert a["hip_flexion_r"] == pytest.approx(hip, abs=0.5)
    assert a["knee_flexion_l"] == pytest.approx(18.0, abs=1e-6)
    assert pose[I["pelvis"], 1] > stand[I["pelvis"], 1] + 0.05  # hips back, away from the mirror
    feet = [I[n] for n in ("ankle_l", "ankle_r", "heel_l", "heel_r", "toe_l", "toe_r")]
    np.testing.assert_allclose(pose[feet], stand[feet], atol=1e-12)


@pytest.mark.parametrize("lumbar,thoracic", [(10.0, 15.0), (20.0, 10.0), (-8.0, -4.0), (0.0, 30.0)])
def test_spine_rounding_is_the_contract_spine_flexion(lumbar, thoracic):
    a = angles(pose_from_angles(P175, hinge(lumbar_flexion_deg=lumbar, thoracic_flexion_deg=thoracic)))
    assert a["spine_flexion"] == pytest.approx(lumbar + thoracic, abs=0.5)
    assert a["hip_flexion_l"] == pytest.approx(80.0, abs=0.5)  # the trunk line still hits the target


@pytest.mark.parametrize("shift", [-0.1, -0.04, 0.03, 0.08])
def test_lateral_shift_is_the_contract_pelvis_lateral_shift(shift):
    a = angles(pose_from_angles(P175, hinge(lateral_shift_m=shift)))
    assert a["pelvis_lateral_shift"] == pytest.approx(shift, abs=1e-4)
    assert a["hip_flexion_l"] == pytest.approx(80.0, abs=1.5)
    assert a["hip_flexion_r"] == pytest.approx(80.0, abs=1.5)


def test_yaw_keeps_the_angles_and_turns_the_body():
    prm = hinge(lumbar_flexion_deg=12.0, thoracic_flexion_deg=8.0, lateral_shift_m=0.03)
    a0 = angles(pose_from_angles(P175, prm))
    pose45 = pose_from_angles(P175, prm.with_(yaw_deg=45.0))
    a45 = angles(pose45)
    for k in a0:
        assert a45[k] == pytest.approx(a0[k], abs=1e-6), k
    left = pose45[I["hip_l"]] - pose45[I["hip_r"]]
    assert np.degrees(np.arctan2(left[1], left[0])) == pytest.approx(45.0, abs=1e-6)


def test_hanging_arms_drop_vertically_under_the_shoulders_in_a_hinge():
    pose = pose_from_angles(P175, hinge(hip_flexion_deg=85.0))
    for s in ("l", "r"):
        d = pose[I[f"hand_{s}"]] - pose[I[f"shoulder_{s}"]]
        horiz_fwd = -d[1]  # forward is -y
        assert d[2] < -0.5 and abs(horiz_fwd) < 0.05
    grip = np.linalg.norm(pose[I["hand_l"]] - pose[I["hand_r"]])
    assert grip == pytest.approx(0.45, abs=1e-6)


@pytest.mark.parametrize("shoulder_deg", [8.0, 45.0, 83.0])
def test_a_kettlebell_swing_holds_the_handle_in_both_hands(shoulder_deg):
    # both palms on the handle (0.14 m apart) at every height of the swing; each arm swung from
    # its own shoulder alone had held them 0.31 m apart, a grip no kettlebell allows
    prm = PoseParams(arms_hang=False, shoulder_flexion_deg=shoulder_deg, elbow_flexion_deg=5.0,
                     grip_width_m=0.14, arms_together=True)
    pose = pose_from_angles(P175, prm)
    assert np.linalg.norm(pose[I["hand_l"]] - pose[I["hand_r"]]) == pytest.approx(0.14, abs=1e-6)
    for a, b, L in P175.bone_pairs():
        assert np.linalg.norm(pose[I[a]] - pose[I[b]]) == pytest.approx(L, abs=1e-9), (a, b)
    apart = pose_from_angles(P175, replace(prm, arms_together=False))
    # the same swing height: the hands as far in front of the shoulders as before
    fwd = lambda q: -0.5 * (q[I["hand_l"], 1] + q[I["hand_r"], 1])   # noqa: E731 (forward is -y)
    assert fwd(pose) == pytest.approx(fwd(apart), abs=0.03)


def test_bone_lengths_are_constant_over_random_poses():
    rng = np.random.default_rng(3)
    for _ in range(30):
        knee, shank = rng.uniform(4, 60), rng.uniform(2, 20)
        prm = PoseParams(
            feet_xy_m=(rng.uniform(-0.5, 0.5), rng.uniform(2, 3)), yaw_deg=rng.uniform(-45, 45),
            stance_width_m=rng.uniform(0.15, 0.45), knee_flexion_l_deg=knee + rng.uniform(-4, 4),
            knee_flexion_r_deg=knee + rng.uniform(-4, 4), shank_lean_l_deg=shank + rng.uniform(-2, 2),
            shank_lean_r_deg=shank + rng.uniform(-2, 2), hip_flexion_deg=rng.uniform(-15, 110),
            lateral_shift_m=rng.uniform(-0.1, 0.1), lumbar_flexion_deg=rng.uniform(-15, 25),
            thoracic_flexion_deg=rng.uniform(-10, 25), neck_flexion_deg=rng.uniform(-20, 30),
            elbow_flexion_deg=rng.uniform(0, 60), grip_width_m=rng.uniform(0.3, 0.7),
            arms_hang=bool(rng.integers(2)), shoulder_flexion_deg=rng.uniform(-30, 90))
        pose = pose_from_angles(P175, prm)
        for a, b, L in P175.bone_pairs():
            assert np.linalg.norm(pose[I[a]] - pose[I[b]]) == pytest.approx(L, abs=1e-9), (a, b)
        assert np.all(pose[[I["heel_l"], I["heel_r"], I["toe_l"], I["toe_r"]], 2] == 0.0)


def test_free_root_pose_keeps_bones_and_places_the_pelvis():
    prm = FreeRootParams(pelvis_m=(1.0, 2.5, 0.88), yaw_deg=-90.0, ankle_l_m=(0.85, 2.42, 0.068),
                         ankle_r_m=(1.2, 2.38, 0.1), foot_yaw_l_deg=-85.0, foot_yaw_r_deg=-95.0,
                         shoulder_flexion_l_deg=20.0, shoulder_flexion_r_deg=-20.0)
    pose = pose_free_root(P175, prm)
    np.testing.assert_allclose(pose[I["pelvis"]], prm.pelvis_m)
    for a, b, L in P175.bone_pairs():
        assert np.linalg.norm(pose[I[a]] - pose[I[b]]) == pytest.approx(L, abs=1e-9), (a, b)
    # facing -x (yaw -90): the left hip is towards -y
    assert pose[I["hip_l"], 1] < pose[I["hip_r"], 1]
    hip, knee, ankle = pose[I["hip_l"]], pose[I["knee_l"]], pose[I["ankle_l"]]
    axis = (ankle - hip) / np.linalg.norm(ankle - hip)
    off = (knee - hip) - ((knee - hip) @ axis) * axis
    assert off[0] < -0.02  # the knee bends forward (towards -x)


def test_planted_legs_that_cannot_reach_the_pelvis_are_an_error():
    with pytest.raises(ValueError, match="cannot both reach"):
        pose_from_angles(P175, PoseParams(knee_flexion_l_deg=0.0, knee_flexion_r_deg=70.0))
