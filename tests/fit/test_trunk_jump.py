"""A trunk that jumps in one frame is checked against the predicted trunk with the arms placed
afresh (station.fit.limb_search.LimbSearch.unfold_jump)."""
from __future__ import annotations

import numpy as np

from station.fit.body_model import DOF
from station.fit.limb_search import TRUNK_JUMP_RAD, trunk_jump_rad
from station.fit.solver import prepare_frame
from station.sim.scenarios import build, get_scenario
from tests.helpers import camera_frame, scenario_pipeline

DEG = np.pi / 180


def test_a_trunk_folded_to_hide_a_misplaced_arm_is_taken_back_upright():
    # mocap_warmup, the capsule athlete, 4.23 s: standing up while turning side-on. A fit 0.1 %
    # thinner (stop 77) tipped the pelvis 16 deg back and flexed the thorax 27 deg in one frame,
    # hiding a forearm that lay outside the person's mask behind the trunk: the back read 55-66
    # deg rounded for four frames (truth 2): the fold's energy was below the upright pose's while
    # the arm stayed put (280 against 338), above it once the arm was searched (206). Here the
    # fold and the misplaced arm are built from the track's own pose
    sc = get_scenario("mocap_warmup@capsule")
    take = build(sc)
    pipe = scenario_pipeline(sc, exercise=None)
    for i in range(127):
        pipe.process(camera_frame(take, i))
    tr = pipe.tracker
    pred = tr.theta.copy()                     # the pose the track predicts for frame 127
    res = pipe.process(camera_frame(take, 127))
    assert res.tracked
    frame = prepare_frame(res.segment.cloud, tr.config.max_points)
    ctx = tr._ctx(tr.anchors)
    # the predicted pose with its left arm misplaced (raised forward), and the fold from it
    pred[DOF["shoulder_l_flex"]], pred[DOF["elbow_l_flex"]] = 80 * DEG, 0.0
    folded = pred.copy()
    for name, deg in (("root_pitch", -17.0), ("thorax_flex", 21.0), ("upper_thorax_flex", 23.0),
                      ("hip_r_flex", -30.0), ("hip_l_flex", -6.0)):
        folded[DOF[name]] = deg * DEG
    fold = ctx.fit(frame, folded, pred, 10)
    pitch = [DOF["root_pitch"], DOF["thorax_flex"]]
    assert trunk_jump_rad(fold.theta, pred) > TRUNK_JUMP_RAD
    out = tr.limbs.unfold_jump(ctx, frame, fold, pred)
    # the trunk back where the track predicted it, the arm placed afresh, at a lower energy
    assert out.energy < fold.energy
    assert np.max(np.abs(out.theta[pitch] - pred[pitch])) < 6 * DEG
    assert abs(out.theta[DOF["shoulder_l_flex"]] - 80 * DEG) > 20 * DEG
    assert DOF["shoulder_l_flex"] in tr.limbs.reseeded
    # a trunk that moved less than the jump is left alone, fit for fit
    near = ctx.fit(frame, pred, pred, 10)
    assert trunk_jump_rad(near.theta, pred) < TRUNK_JUMP_RAD
    assert tr.limbs.unfold_jump(ctx, frame, near, pred) is near


def test_the_trunk_jump_reads_the_spine_bend_as_a_whole():
    """A fold spread over the lumbar and the thorax (the lumbar tied to the thorax) is a jump
    though neither bend alone moved TRUNK_JUMP_RAD; bends that cancel are not."""
    pred = np.zeros(len(DOF))
    th = pred.copy()
    th[DOF["lumbar_flex"]], th[DOF["thorax_flex"]] = 7 * DEG, 8 * DEG
    assert abs(trunk_jump_rad(th, pred) - 15 * DEG) < 1e-12
    th[DOF["thorax_flex"]] = -7 * DEG
    assert trunk_jump_rad(th, pred) < TRUNK_JUMP_RAD
    th[DOF["root_pitch"]] = -13 * DEG
    assert trunk_jump_rad(th, pred) > TRUNK_JUMP_RAD
