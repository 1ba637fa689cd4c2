"""The motion-capture driver: ASF/AMC parsing, forward kinematics against the README's
independent FK export, the SIM_POINTS mapping in the floor frame, and the README's facts."""
from __future__ import annotations

import csv
import re

import numpy as np
import pytest

from station.form import angles as A
from station.model import SKELETON_POINTS
from station.sim import acclaim
from station.sim import mocap as M
from station.sim.pose import SIM_INDEX as I
from station.sim.pose import SIM_POINTS

UP = np.array([0.0, 0.0, 1.0])
CLIP_NAMES = ("13_29", "13_30", "13_31")
README_FRAMES = {"13_29": 4592, "13_30": 720, "13_31": 540}


@pytest.fixture(scope="module", params=CLIP_NAMES)
def clip(request) -> M.MocapClip:
    return M.load_clip(request.param)


def _angles(poses: np.ndarray) -> dict[str, np.ndarray]:
    return A.contract_angles(poses[:, :len(SKELETON_POINTS)], UP, 0.0)


def _read_csv(name: str):
    with open(M.joints30hz_csv_path(name), newline="") as f:
        rows = list(csv.reader(f))
    header, data = rows[0], rows[1:]
    times = np.array([float(r[0]) for r in data])
    frames = np.array([int(r[1]) for r in data])
    actions = [r[2] for r in data]
    xyz = np.array([[float(v) for v in r[3:]] for r in data]).reshape(len(data), -1, 3)
    joints = tuple(h[:-2] for h in header[3::3])
    return times, frames, actions, xyz, joints


# ------------------------------------------------------------------------------ parsing

def test_asf_structure():
    sk = acclaim.parse_asf(M.DATA_DIR / M.ASF_FILE)
    assert len(sk.bones) + 1 == 31  # 30 bones and the root
    assert 6 + sum(len(b.dof) for b in sk.bones) == 62
    assert sk.length_to_m == pytest.approx((1 / 0.45) * 2.54 / 100)
    assert sk.root_order == ("tx", "ty", "tz", "rx", "ry", "rz")
    names = ("root",) + sk.bone_names
    for b in sk.bones:  # parents precede children
        assert names.index(b.parent) < names.index(b.name)
    femur = next(b for b in sk.bones if b.name == "lfemur")
    assert femur.dof == ("rx", "ry", "rz") and femur.length_m == pytest.approx(7.61162 * 0.0254 / 0.45)
    assert femur.axis_deg.tolist() == [0.0, 0.0, 20.0]


@pytest.mark.parametrize("name", CLIP_NAMES)
def test_every_packaged_amc_parses_with_readme_frame_counts(name):
    sk = acclaim.parse_asf(M.DATA_DIR / M.ASF_FILE)
    motion = acclaim.parse_amc(M.DATA_DIR / M.CLIPS[name][0], sk)
    n = README_FRAMES[name]
    assert motion.frame_numbers.tolist() == list(range(1, n + 1))
    assert motion.root.shape == (n, 6)
    assert set(motion.angles_deg) == set(sk.bone_names)
    c = M.load_clip(name)
    assert c.n_frames == n and c.fps_hz == 120.0
    assert c.duration_s == pytest.approx((n - 1) / 120.0)
    assert c.points_cmu_world_m.shape == (n, 23, 3)
    assert c.sim_points_cmu_m.shape == (n, len(SIM_POINTS), 3)


def test_load_clip_is_cached_and_read_only():
    assert M.load_clip("13_31") is M.load_clip("13_31")
    with pytest.raises(ValueError):
        M.load_clip("13_31").sim_points_cmu_m[0, 0, 0] = 1.0
    with pytest.raises(KeyError, match="13_30"):
        M.load_clip("13_99")


def test_load_asf_amc_paths_equal_packaged_clip():
    c = M.load_asf_amc(M.DATA_DIR / M.ASF_FILE, M.DATA_DIR / M.CLIPS["13_31"][0])
    assert c.labels == []
    np.testing.assert_array_equal(c.sim_points_cmu_m, M.load_clip("13_31").sim_points_cmu_m)


# ------------------------------------------------------------------ forward kinematics

@pytest.mark.parametrize("name", CLIP_NAMES)
def test_fk_reproduces_every_joint_of_the_csv(name):
    """The README's CSVs come from an independent FK script, rounded to 1 mm."""
    c = M.load_clip(name)
    times, frames, actions, xyz, joints = _read_csv(name)
    assert joints == M.CMU_JOINT_NAMES
    assert len(frames) == len(range(1, README_FRAMES[name] + 1, 4))
    np.testing.assert_array_equal(frames, np.arange(1, README_FRAMES[name] + 1, 4))
    np.testing.assert_allclose(c.times_s[frames - 1], times, atol=1e-4)
    err = np.abs(c.points_cmu_world_m[frames - 1] - xyz).max()
    assert err <= 0.0005 + 1e-6  # the CSV's rounding: FK agrees to the last printed digit
    for t, a in zip(times, actions):
        assert c.action_at(t) == a


def test_euler_matrix_order():
    x, y, z = 10.0, -20.0, 30.0
    R = acclaim.euler_matrix(np.array([x, y, z]), "XYZ")
    Rx = acclaim.euler_matrix(np.array([x, 0, 0]))
    Ry = acclaim.euler_matrix(np.array([0, y, 0]))
    Rz = acclaim.euler_matrix(np.array([0, 0, z]))
    np.testing.assert_allclose(R, Rz @ Ry @ Rx, atol=1e-12)
    np.testing.assert_allclose(acclaim.euler_matrix(np.array([x, y, z]), "ZYX"), Rx @ Ry @ Rz, atol=1e-12)
    np.testing.assert_allclose(Rz @ np.array([1.0, 0, 0]), [np.cos(np.radians(z)), np.sin(np.radians(z)), 0], atol=1e-12)


def test_bone_lengths_constant(clip):
    sk = acclaim.parse_asf(M.DATA_DIR / M.ASF_FILE)
    ends, _ = acclaim.forward_kinematics(sk, acclaim.parse_amc(M.DATA_DIR / M.CLIPS[clip.name][0], sk))
    names = ("root",) + sk.bone_names
    for k, b in enumerate(sk.bones, 1):
        d = np.linalg.norm(ends[:, k] - ends[:, names.index(b.parent)], axis=1)
        np.testing.assert_allclose(d, b.length_m, atol=1e-9)
    # sim points rigid with one segment keep their distances too
    P = clip.sim_points_cmu_m
    for a, b in [("heel_l", "ankle_l"), ("toe_r", "ankle_r"), ("heel_r", "toe_r"), ("spine_low", "pelvis"),
                 ("hip_l", "spine_low"), ("head", "head_top"), ("hand_l", "wrist_l"), ("knee_r", "ankle_r")]:
        d = np.linalg.norm(P[:, I[a]] - P[:, I[b]], axis=1)
        assert d.max() - d.min() < 1e-9, (a, b)


# ------------------------------------------------------------------------------- labels

def test_labels_load():
    c = M.load_clip("13_30")
    assert c.labels == [(0.0, 0.8, "KneeRaise"), (0.8, 5.1, "Squat"), (5.1, 6.0, "Jog")]
    assert c.action_at(0.0) == "KneeRaise" and c.action_at(0.8) == "Squat" and c.action_at(6.0) == "Jog"
    assert c.action_at(6.5) is None
    assert [a for _, _, a in M.load_clip("13_29").labels] == \
        ["JumpJack", "Twist", "ArmCircle", "ToeTouchOneHand", "KneeRaise", "Squat"]
    assert M.load_clip("13_31").action_at(1.33) == "ToeTouchOneHand"


# ---------------------------------------------------------------- floor-frame poses

def _segment(c: M.MocapClip, action: str) -> tuple[float, float]:
    (t0, t1), = [(a, b) for a, b, name in c.labels if name == action]
    return t0, t1


@pytest.mark.parametrize("name,action", [("13_30", "Squat"), ("13_31", "ToeTouchOneHand"), ("13_29", "ArmCircle"),
                                         ("13_29", "Squat")])
def test_feet_on_the_floor_while_standing(name, action):
    c = M.load_clip(name)
    t0, t1 = _segment(c, action)
    _, P = c.poses_floor(30, t_start_s=t0, t_end_s=min(t1, c.duration_s))
    sole = P[:, [I["heel_l"], I["heel_r"], I["toe_l"], I["toe_r"]], 2]
    assert np.all(np.abs(sole.min(axis=1)) < 0.03)           # something touches the floor in every frame
    assert np.all(np.abs(np.median(sole, axis=0)) < 0.045)   # and each sole point sits near it
    assert np.all(sole > -0.035)                              # nothing sinks into it
    assert np.all(P[..., 2] > -0.035)


@pytest.mark.parametrize("name,t0,t1", [("13_30", 0.3, 1.2), ("13_31", 0.2, 0.8)])
def test_standing_height(name, t0, t1):
    c = M.load_clip(name)
    _, P = c.poses_floor(30, t_start_s=t0, t_end_s=t1)
    top = P[:, I["head_top"], 2].max()
    assert 1.685 <= top <= 1.73                               # README: head_top ≈ 1.69–1.71 m
    assert 0.93 <= np.median(P[:, I["pelvis"], 2]) <= 0.98    # README: hip height ≈ 0.95–0.97 m
    z = np.median(P[..., 2], axis=0)                          # the body's vertical order
    order = ["ankle_l", "knee_l", "hip_l", "spine_low", "spine_mid", "neck", "head", "head_top"]
    assert all(z[I[a]] < z[I[b]] for a, b in zip(order, order[1:]))
    assert 0.08 <= z[I["spine_low"]] - z[I["pelvis"]] <= 0.14
    assert 0.14 <= z[I["spine_mid"]] - z[I["spine_low"]] <= 0.20


def test_facing_the_camera_at_yaw_0(clip):
    times, P = clip.poses_floor(30)
    # the person's left (hip_l) is at larger floor x; the feet point towards −y (the camera)
    assert np.all(P[:, I["hip_l"], 0] > P[:, I["hip_r"], 0]) or clip.name == "13_29"  # 13_29 twists
    left = P[:, I["hip_l"]] - P[:, I["hip_r"]]
    assert np.median(left[:, 0]) > 0.15 and abs(np.median(left[:, 1])) < 0.05
    foot = P[:, [I["toe_l"], I["toe_r"]]] - P[:, [I["heel_l"], I["heel_r"]]]
    assert np.median(foot[..., 1]) < -0.18 and abs(np.median(foot[..., 0])) < 0.08
    # forward = left × up points to −y
    fwd = np.cross(np.median(left, axis=0), UP)
    assert fwd[1] < 0 and abs(fwd[0]) < 0.3 * abs(fwd[1])


def test_bending_forward_moves_the_head_towards_the_camera():
    c = M.load_clip("13_31")
    _, P = c.poses_floor(120, t_start_s=1.33, t_end_s=1.33)
    assert P[0, I["head"], 1] < P[0, I["pelvis"], 1] - 0.4  # head in front of the pelvis (towards −y)
    _, P = c.poses_floor(120, yaw_deg=90.0, t_start_s=1.33, t_end_s=1.33)
    assert P[0, I["head"], 0] > P[0, I["pelvis"], 0] + 0.4  # turned to their left: now towards +x


@pytest.mark.parametrize("yaw", [0.0, 90.0, -30.0, 180.0])
def test_placement_yaw_and_scale(yaw):
    c = M.load_clip("13_30")
    place = (0.3, 2.2)
    times, P = c.poses_floor(30, place_xy_m=place, yaw_deg=yaw, t_start_s=0.5, t_end_s=2.0)
    assert times[0] == 0.5 and times[-1] == pytest.approx(2.0) and len(times) == 46
    assert P.shape == (46, len(SIM_POINTS), 3)
    mid = 0.5 * (P[0, I["ankle_l"]] + P[0, I["ankle_r"]])
    np.testing.assert_allclose(mid[:2], place, atol=1e-9)
    _, W = c.poses_floor(120, place_xy_m=place, yaw_deg=yaw, t_start_s=0.5, t_end_s=1.0)
    left = np.mean(W[:, I["hip_l"]] - W[:, I["hip_r"]], axis=0)  # the first 0.5 s sets the facing
    heading = np.degrees(np.arctan2(left[1], left[0]))
    assert ((heading - yaw + 180) % 360 - 180) == pytest.approx(0.0, abs=1e-6)
    _, S = c.poses_floor(30, place_xy_m=place, yaw_deg=yaw, t_start_s=0.5, t_end_s=2.0, scale=1.1)
    floor_pt = np.array([place[0], place[1], 0.0])
    np.testing.assert_allclose(S - floor_pt, 1.1 * (P - floor_pt), atol=1e-9)


def test_resampling_hits_the_frames_and_interpolates():
    c = M.load_clip("13_31")
    t, P120 = c.poses_floor(120)
    assert len(t) == c.n_frames
    np.testing.assert_allclose(t, c.times_s, atol=1e-9)
    t30, P30 = c.poses_floor(30)
    np.testing.assert_allclose(P30, P120[::4], atol=1e-9)
    t60, P60 = c.poses_floor(240)
    np.testing.assert_allclose(P60[1::2][:10], 0.5 * (P120[:10] + P120[1:11]), atol=1e-9)
    with pytest.raises(ValueError):
        c.poses_floor(30, t_start_s=10.0)
    with pytest.raises(ValueError):
        c.poses_floor(0)


# --------------------------------------------------------- the README's facts, contract angles

@pytest.mark.parametrize("t_s,readme_trunk", [(1.33, 80.0), (3.20, 75.0)])
def test_toe_touch_bends_are_hinges(t_s, readme_trunk):
    c = M.load_clip("13_31")
    times, P = c.poses_floor(30, t_start_s=t_s - 0.1, t_end_s=t_s + 0.1)
    a = _angles(P)
    k = int(np.argmax(a["trunk_inclination"]))
    assert 72.0 <= a["trunk_inclination"][k] <= 85.0
    assert abs(a["trunk_inclination"][k] - readme_trunk) <= 5.0
    knee = 0.5 * (a["knee_flexion_l"] + a["knee_flexion_r"])
    assert knee[k] < 40.0                                          # README: 34°, 31°
    assert max(a["knee_flexion_l"][k], a["knee_flexion_r"][k]) < 45.0
    assert min(a["hip_flexion_l"][k], a["hip_flexion_r"][k]) > 60.0


@pytest.mark.parametrize("t_s,readme_knee", [(2.03, 139.0), (4.33, 130.0)])
def test_squats_bend_the_knees(t_s, readme_knee):
    c = M.load_clip("13_30")
    times, P = c.poses_floor(30, t_start_s=t_s - 0.1, t_end_s=t_s + 0.1)
    a = _angles(P)
    knee = 0.5 * (a["knee_flexion_l"] + a["knee_flexion_r"])
    k = int(np.argmax(knee))
    assert abs(knee[k] - readme_knee) <= 6.0
    assert 20.0 <= a["trunk_inclination"][k] <= 35.0                # README: 27°, 26°
    assert P[k, I["pelvis"], 2] < 0.5


def test_pelvis_is_the_hip_midpoint_not_the_root(clip):
    P = clip.sim_points_cmu_m
    np.testing.assert_allclose(P[:, I["pelvis"]], 0.5 * (P[:, I["hip_l"]] + P[:, I["hip_r"]]))
    np.testing.assert_allclose(P[:, I["neck"]], 0.5 * (P[:, I["shoulder_l"]] + P[:, I["shoulder_r"]]))
    J = clip.points_cmu_world_m
    np.testing.assert_array_equal(P[:, I["spine_low"]], J[:, M.CMU_JOINT_NAMES.index("pelvis")])


# ----------------------------------------------------------------------- malformed input

def _amc_text(n_frames: int = 2) -> str:
    sk = acclaim.parse_asf(M.DATA_DIR / M.ASF_FILE)
    lines = [":FULLY-SPECIFIED", ":DEGREES"]
    for f in range(1, n_frames + 1):
        lines.append(str(f))
        lines.append("root 0 18 0 0 0 0")
        for b in sk.bones:
            if b.dof:
                lines.append(b.name + " 0" * len(b.dof))
    return "\n".join(lines) + "\n"


def _write(tmp_path, text, name="bad.amc"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_minimal_amc_parses(tmp_path):
    sk = acclaim.parse_asf(M.DATA_DIR / M.ASF_FILE)
    motion = acclaim.parse_amc(_write(tmp_path, _amc_text()), sk)
    assert motion.frame_numbers.tolist() == [1, 2]


@pytest.mark.parametrize("old,new,message,at", [
    ("ltibia 0\n", "ltibia x\n", "not a number", "edit"),
    ("ltibia 0\n", "ltibia 0 0\n", "needs 1 values", "edit"),
    ("ltibia 0\n", "", "lacks segment", "frame"),
    ("ltibia 0\n", "lshin 0\n", "unknown segment", "edit"),
    ("\n2\n", "\n3\n", "expected 2", "edit"),
    (":DEGREES\n", ":DEGREES\nroot 0 0 0 0 0 0\n", "before the first frame", "edit"),
    (":DEGREES\n", ":FRAMERATE 60\n", "unknown AMC keyword", "edit"),
])
def test_malformed_amc_names_file_and_line(tmp_path, old, new, message, at):
    sk = acclaim.parse_asf(M.DATA_DIR / M.ASF_FILE)
    good = _amc_text()
    i = good.index(old)
    bad = good[:i] + new + good[i + len(old):]
    if at == "frame":  # a missing segment is reported at its frame's number line
        line = good.splitlines().index("1") + 1
    else:  # the first line that differs
        line = next(k for k, (a, b) in enumerate(zip(good.splitlines(), bad.splitlines()), 1) if a != b)
    p = _write(tmp_path, bad)
    with pytest.raises(acclaim.MocapFormatError, match=message) as e:
        acclaim.parse_amc(p, sk)
    assert str(e.value).startswith(f"{p}:{line}:"), (str(e.value), line)
    assert e.value.line == line


def test_empty_amc(tmp_path):
    sk = acclaim.parse_asf(M.DATA_DIR / M.ASF_FILE)
    with pytest.raises(acclaim.MocapFormatError, match="no frames"):
        acclaim.parse_amc(_write(tmp_path, ":DEGREES\n"), sk)


@pytest.mark.parametrize("old,new,message", [
    ("     direction 0.34202 -0.939693 0  \n", "     direction 0.34202 -0.939693\n", "direction needs 3"),
    ("    lfemur ltibia\n", "    lfemur lshin\n", "unknown segment 'lshin'"),
    ("    dof rx\n    limits (-10.0 170.0)\n  end\n  begin\n     id 4",
     "    dof rx tx\n    limits (-10.0 170.0)\n  end\n  begin\n     id 4", "unsupported dof"),
    ("     length 7.61162  \n", "     length seven\n", "not a number"),
    ("  length 0.45\n", "  length 0\n", "units length must be > 0"),
])
def test_malformed_asf_names_file_and_line(tmp_path, old, new, message):
    text = (M.DATA_DIR / M.ASF_FILE).read_text(encoding="latin-1")
    assert old in text
    bad = text.replace(old, new, 1)
    p = _write(tmp_path, bad, "bad.asf")
    with pytest.raises(acclaim.MocapFormatError, match=re.escape(message)) as e:
        acclaim.parse_asf(p)
    line = e.value.line
    assert line is not None and str(e.value).startswith(f"{p}:{line}:")
    assert new.split("\n")[0].strip().split()[0] in bad.splitlines()[line - 1] or "hierarchy" in message


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(acclaim.MocapFormatError, match="cannot read ASF"):
        acclaim.parse_asf(tmp_path / "nope.asf")
