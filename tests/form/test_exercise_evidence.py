"""The recogniser's evidence (station.form.exercise): arm_follow from the truth skeletons of
each profile's scenarios, against the scenario's known exercise, and recognise() on the
evidence the fitter gets wrong (fitted figures: bench/recognition.py --pipeline)."""
from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from station.form.exercise import (
    RepEvidence,
    arm_follow,
    arms_held,
    hand_pose,
    pooled_evidence,
    recognise,
)
from station.model import SKELETON_INDEX
from station.sim.pose import N_SKELETON
from station.sim.scenarios import build, get_scenario

UP = np.array([0.0, 0.0, 1.0])
ALL = ("rdl", "deadlift", "good_morning", "kettlebell_swing")


def _rep_follow(scenario: str, rep: int = 0) -> float:
    take = build(get_scenario(scenario))
    r = take.reps[rep]
    hp = [hand_pose(p, UP) for p in take.poses_floor_m[:, :N_SKELETON]]
    return arm_follow(take.times_s, np.array([h.trunk_pitch_deg for h in hp]),
                      np.array([h.arm_elevation_deg for h in hp]), r.start_t, r.end_t)


@pytest.mark.parametrize("scenario, held", [
    ("rdl_clean", False), ("deadlift_floor", False), ("dumbbell_rdl_turned_30", False),
    ("good_morning_hands_chest", True), ("good_morning_bar_back", True), ("good_morning_bodyweight", True),
    ("rdl_clean@mesh", False), ("good_morning_hands_chest@mesh", True)])
def test_arm_follow_tells_held_hands_from_hanging_ones_on_the_true_skeleton(scenario, held):
    f = _rep_follow(scenario)
    assert get_scenario(scenario).exercise == ("good_morning" if held else get_scenario(scenario).exercise)
    if held:
        assert abs(f - 1.0) < 0.2, f          # the arms turn with the trunk
    else:
        assert abs(f) < 0.25, f               # they hang whatever the lean


def test_hand_pose_trunk_pitch_is_the_trunk_lean_and_hanging_arms_point_down():
    take = build(get_scenario("rdl_clean"))
    i = int(np.argmin(np.abs(take.times_s - take.reps[0].bottom_t)))
    hp = hand_pose(take.poses_floor_m[i, :N_SKELETON], UP)
    assert hp.trunk_pitch_deg == pytest.approx(take.truth_angles["trunk_inclination"][i], abs=2.0)
    assert hp.trunk_pitch_deg > 40.0 and abs(hp.arm_elevation_deg) < 20.0
    # the same skeleton seen by a camera (another frame, up not +z): the same numbers
    R = np.array([[1, 0, 0], [0, 0, -1], [0, 1, 0]], float)
    hp2 = hand_pose(take.poses_floor_m[i, :N_SKELETON] @ R.T, R @ UP)
    assert hp2.trunk_pitch_deg == pytest.approx(hp.trunk_pitch_deg, abs=1e-6)
    assert hp2.arm_elevation_deg == pytest.approx(hp.arm_elevation_deg, abs=1e-6)


def test_arm_follow_reference_cases():
    t = np.linspace(0.0, 3.0, 91)
    pitch = 60.0 * np.sin(np.pi * t / 3.0)          # 0 → 60° → 0, bottom at 1.5 s
    hang = np.full_like(t, 5.0)
    held = 30.0 - pitch                              # fixed to the trunk
    assert arm_follow(t, pitch, hang, 0.0, 3.0) == pytest.approx(0.0, abs=0.01)
    assert arm_follow(t, pitch, held, 0.0, 3.0) == pytest.approx(1.0, abs=0.01)
    # a few frames of a wrongly folded arm do not move the medians much
    noisy = hang.copy()
    noisy[40:44] = -60.0
    assert abs(arm_follow(t, pitch, noisy, 0.0, 3.0)) < 0.1
    # a shallow bend says nothing; untracked frames (NaN) are skipped
    assert math.isnan(arm_follow(t, 0.3 * pitch, held, 0.0, 3.0))
    gaps = held.copy()
    gaps[::3] = np.nan
    assert arm_follow(t, pitch, gaps, 0.0, 3.0) == pytest.approx(1.0, abs=0.02)


def _ev(**kw) -> RepEvidence:
    base = {"pattern": "hinge", "knee_at_bottom_deg": 12.0, "dwell_at_bottom_s": 0.5, "eccentric_s": 1.6,
                "concentric_s": 1.3, "median_reach": 1.2, "max_arm_elevation_deg": 8.0, "arm_swing_deg": 5.0,
                "arms_not_hanging": 0.0, "arm_follow": 0.1}
    return RepEvidence(**{**base, **kw})


def test_hands_at_the_chest_fitted_as_long_arms_are_still_a_good_morning():
    # what the fitter makes of folded arms (good_morning_hands_chest, capsule): straight arms
    # (reach 1.1), hanging while standing, but turning with the trunk as it leans
    ev = _ev(median_reach=1.06, arms_not_hanging=0.21, arm_follow=1.19)
    assert arms_held(ev) is True
    assert recognise(ev, ALL, "rdl") == "good_morning"


def test_a_swing_whose_arms_the_fit_puts_behind_is_not_a_good_morning():
    # kettlebell_swing@mesh: the fit had the arms behind the body standing (the old
    # bar-on-the-back hint), but the rep is ballistic
    ev = _ev(eccentric_s=0.5, concentric_s=0.55, arms_not_hanging=1.0, median_reach=1.1, arm_follow=math.nan)
    assert recognise(ev, ALL, "rdl") == "kettlebell_swing"
    assert recognise(ev, ("rdl", "good_morning"), "rdl") == "rdl"   # no swing profile: not a GM either


def test_weak_or_contradicting_evidence_keeps_the_default_profile():
    # the posture says "held" (short reach), the turn over the rep says "hanging": not sure
    ev = _ev(median_reach=0.7, arm_follow=0.05)
    assert arms_held(ev) is None
    assert recognise(ev, ALL, "rdl") == "rdl"
    assert recognise(ev, ALL, "deadlift") == "deadlift"
    # half-way turn, or arms reaching on their own (a toe touch: 2.3), the posture silent: not sure
    for follow in (0.35, 2.3):
        assert arms_held(_ev(arm_follow=follow)) is None
        assert recognise(_ev(arm_follow=follow), ALL, "deadlift") == "deadlift"
    # quick but nothing else of a swing (hanging arms, a 0.9 s drive): the default
    assert recognise(_ev(eccentric_s=0.6, concentric_s=0.9), ALL, "rdl") == "rdl"
    # ... unless the arms clearly hang: then a quick RDL, whatever the default
    assert recognise(_ev(eccentric_s=0.6, concentric_s=0.9), ALL, "good_morning") == "rdl"
    assert recognise(_ev(eccentric_s=0.6, concentric_s=0.9, arm_follow=0.4), ALL, "good_morning") == "good_morning"


def test_clear_evidence_decides_whatever_the_default():
    assert recognise(_ev(), ALL, "good_morning") == "rdl"                       # hanging, slow
    assert recognise(_ev(arm_follow=0.95), ALL, "rdl") == "good_morning"
    assert recognise(_ev(knee_at_bottom_deg=65.0, dwell_at_bottom_s=1.2), ALL, "rdl") == "deadlift"
    assert recognise(_ev(eccentric_s=0.5, concentric_s=0.5), ALL, "rdl") == "kettlebell_swing"
    # a squat stays a squat, under the default profile
    assert recognise(_ev(pattern="squat", arm_follow=1.0), ALL, "rdl") == "rdl"


def test_skeleton_index_has_the_points_hand_pose_reads():
    for name in ("neck", "pelvis", "hip_l", "hip_r", "shoulder_l", "shoulder_r", "wrist_l", "wrist_r"):
        assert name in SKELETON_INDEX


def test_the_posture_decides_when_the_turn_is_unsure_and_not_against_it():
    # good_morning_bar_back@mesh, rep 1: a half-way turn (0.43), hands 0.72 trunk lengths from
    # the shoulders, standing arms never hanging in front
    ev = _ev(median_reach=0.72, arms_not_hanging=1.0, arm_follow=0.43)
    assert arms_held(ev) is True and recognise(ev, ALL, "rdl") == "good_morning"
    # good_morning_hands_chest@mesh, rep 1: the fitted arms turned twice the lean (1.96): the
    # turn says nothing, the posture decides
    assert recognise(_ev(median_reach=0.73, arms_not_hanging=1.0, arm_follow=1.96), ALL, "rdl") == "good_morning"
    # a real warm-up bend (mocap_warmup, capsule fit): bent elbows reaching for the toes
    ev = _ev(median_reach=0.91, arm_follow=1.52, arms_not_hanging=0.46)
    assert arms_held(ev) is None and recognise(ev, ALL, "deadlift") == "deadlift"
    # no turn measured (a shallow bend): the posture alone
    assert arms_held(_ev(median_reach=0.5, arm_follow=math.nan)) is True
    assert arms_held(_ev(arm_follow=math.nan)) is None


def test_a_half_way_turn_alone_is_not_a_good_morning():
    # tall_heavy_loose (capsule): an RDL with a kettlebell held between the legs, loose shirt;
    # the fit sticks the hanging arms to the bent trunk (turn 0.56 every rep), posture hanging
    ev = _ev(knee_at_bottom_deg=27.0, arm_follow=0.56, median_reach=1.19, arms_not_hanging=0.0)
    assert arms_held(ev) is None
    assert recognise(ev, ALL, "rdl") == "rdl"


def test_a_two_hand_kettlebell_hold_half_way_is_not_sure_then_hanging():
    # mesh_D_clean: a kettlebell RDL; the fit bends the elbows (61°, true 16°) and the arms
    # turn 0.28 with the trunk on rep 1 (true 0.24-0.30: the bell swings back under the
    # shoulders), 0.20 on rep 2
    ev = _ev(arm_follow=0.28, median_reach=1.04, knee_at_bottom_deg=22.0)
    assert arms_held(ev) is None and recognise(ev, ALL, "good_morning") == "good_morning"
    pooled = pooled_evidence([ev, _ev(arm_follow=0.20, median_reach=1.03, knee_at_bottom_deg=15.0)])
    assert pooled.arm_follow == pytest.approx(0.24) and recognise(pooled, ALL, "good_morning") == "rdl"


def test_standing_arms_behind_alone_are_not_a_bar_on_the_back():
    # tall_heavy_loose@mesh: a kettlebell RDL the fit shows with the arms behind the body in
    # 0.4-0.6 of the standing frames, straight elbows, long reach, a turn of 0.26-0.42
    for follow, behind in ((0.26, 0.42), (0.42, 0.51), (0.26, 0.6)):
        ev = _ev(knee_at_bottom_deg=25.0, arm_follow=follow, arms_not_hanging=behind,
                 median_reach=1.18)
        assert arms_held(ev) is None and recognise(ev, ALL, "rdl") == "rdl"


def test_not_sure_after_the_first_rep_the_default_judges_and_a_later_clear_rep_rejudges_the_set():
    from station.config import load_exercise
    from station.form.cues import CueTiming
    from station.form.exercise import HandPose, RecognizingEvaluator
    from station.model import ANGLES

    take = build(get_scenario("good_morning_hands_chest"))
    ev = RecognizingEvaluator({n: load_exercise(n) for n in ALL}, "rdl", timing=CueTiming())
    first_end = take.reps[0].end_t
    for i, t in enumerate(take.times_s):
        if not take.in_view[i]:
            ev.update(float(t), None)
            continue
        hp = hand_pose(take.poses_floor_m[i, :N_SKELETON], UP)
        if t < first_end + 0.3:
            # the first rep as a fit might see it: long arms turning half-way with the trunk
            hp = HandPose(1.2, 10.0 - 0.6 * hp.trunk_pitch_deg, hp.trunk_pitch_deg)
        ev.update(float(t), {k: float(take.truth_angles[k][i]) for k in ANGLES}, hands=hp)
    ev.finish()
    assert ev.decisions[0][1] == "rdl" and ev.decisions[0][0] <= first_end + 0.6   # the coach speaks
    assert ev.decisions[-1][1] == "good_morning" and ev.decisions[-1][0] > take.reps[1].end_t
    # the set judged again from its start: every rep, the first included, by the good morning
    assert ev.rep_exercises == ["good_morning"] * len(take.reps)


def test_a_quick_bend_with_the_hands_spread_is_not_a_swing():
    # mocap_toe_touch (real CMU 13_31): halves 0.83/0.87 s, arms raised at the top (a "float"),
    # the hands 2.4-2.6 trunk lengths apart (fitted 2.5): no bell between them
    toe = _ev(eccentric_s=0.83, concentric_s=0.87, max_arm_elevation_deg=54.0, arm_swing_deg=117.0,
              arm_follow=1.45, median_reach=1.01, median_hand_gap=2.5)
    assert recognise(toe, ALL, "rdl") == "rdl"
    # the same rep with the hands together on a bell (fitted swings: 0.4-1.7): a swing
    assert recognise(replace(toe, median_hand_gap=1.0), ALL, "rdl") == "kettlebell_swing"
    take = build(get_scenario("mocap_toe_touch"))
    i = int(np.argmin(np.abs(take.times_s - take.reps[0].bottom_t)))
    assert hand_pose(take.poses_floor_m[i, :N_SKELETON], UP).hand_gap > 2.0
    take = build(get_scenario("kettlebell_swing"))
    assert hand_pose(take.poses_floor_m[i, :N_SKELETON], UP).hand_gap < 1.0
