"""The spine baseline is this person's upright curve, learned only while they stand still."""
from __future__ import annotations

import numpy as np

from station.form.standing_reference import StandingReference
from station.frames import invert, rotate
from station.sim.scenarios import build, get_scenario


def _up_cam(take) -> np.ndarray:
    return rotate(invert(take.T_floor_cam), np.array([0.0, 0.0, 1.0]))


def test_learns_the_standing_curve_of_a_walk_in_session():
    take = build(get_scenario("session_walk_in_out"))
    up = _up_cam(take)
    sb = StandingReference()
    for i in np.flatnonzero(take.in_view):
        sb.update(take.skeleton_cam_m[i], up, float(take.times_s[i]))
    assert sb.spine_deg is not None
    assert abs(sb.spine_deg - take.spine_baseline_deg) < 1.0


def test_walking_frames_are_not_learned():
    take = build(get_scenario("session_walk_in_out"))
    up = _up_cam(take)
    pelvis = take.skeleton_cam_m[:, 8]
    speed = np.r_[0.0, np.linalg.norm(np.diff(pelvis, axis=0), axis=1) * take.scenario.fps]
    walking = np.flatnonzero(take.in_view & (speed > 0.3))
    assert len(walking) > 10
    sb = StandingReference(frames_needed=1)
    for i in walking:
        sb.update(take.skeleton_cam_m[i], up, float(take.times_s[i]))
    assert sb.spine_deg is None


def test_not_learned_while_the_tracker_initialises():
    take = build(get_scenario("rdl_clean"))
    up = _up_cam(take)
    sb = StandingReference(frames_needed=5)
    for i in range(30):
        sb.update(take.skeleton_cam_m[i], up, float(take.times_s[i]), learn=False)
    assert sb.spine_deg is None


def test_no_spine_confidence_before_any_standing_frame():
    # Until the lifter has stood tall and still, the baseline in force is each frame's own
    # curve: spine_flexion reads 0 whatever the back does. The pipeline gives it no
    # confidence then, so a rounded back is "not judged", never a flat one (mocap_toe_touch
    # on the capsule body: never learned, spine 0 at confidence up to 0.95 through both reps).
    from station.app import Pipeline
    from tests.helpers import camera_frame

    sb = StandingReference()
    assert not sb.has_spine_reference
    take = build(get_scenario("rdl_clean"))
    pipe = Pipeline(seed=take.scenario.seed, exercise=None)
    before, after = [], []
    for i in range(60):
        res = pipe.process(camera_frame(take, i))
        if res.angles is None:
            continue
        (after if pipe.standing.has_spine_reference else before).append(res.angle_confidence["spine_flexion"])
    assert before and after
    assert max(before) == 0.0
    assert min(after) > 0.4


def test_learns_the_standing_hip_with_the_spine_curve_and_only_once_settled():
    # the lifter's standing hip flexion (the mean of l and r) from the same still, upright
    # frames; never provisional: the lean-back rule falls back on its absolute limit meanwhile
    take = build(get_scenario("tall_heavy_loose"))
    up = _up_cam(take)
    sb = StandingReference(frames_needed=20)
    for i in np.flatnonzero(take.in_view):
        sb.update(take.skeleton_cam_m[i], up, float(take.times_s[i]))
        if sb.spine_deg is None:
            assert sb.hip_deg is None
    assert sb.spine_deg is not None and sb.hip_deg is not None
    assert abs(sb.hip_deg) < 1.0          # truth: this athlete stands at 0 deg
    sb.reset()
    assert sb.hip_deg is None and sb.spine_deg is None and not sb.has_spine_reference


def test_the_pipeline_hands_the_standing_hip_to_the_evaluator():
    from station.app import Pipeline
    from tests.helpers import camera_frame

    take = build(get_scenario("rdl_clean"))
    pipe = Pipeline(seed=take.scenario.seed, exercise="rdl")
    seen = []
    orig = pipe.evaluator.update

    def update(t_s, angles, **kw):
        seen.append(kw.get("standing_hip_deg", "missing"))
        return orig(t_s, angles, **kw)
    pipe.evaluator.update = update
    for i in range(60):
        pipe.process(camera_frame(take, i))
    assert "missing" not in seen
    assert pipe.standing.hip_deg is not None
    assert seen[-1] == pipe.standing.hip_deg
    assert seen[0] is None                 # nothing known of how they stand at first
