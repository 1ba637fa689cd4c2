"""A foreign object in the lifter's cloud does not drop the track.

A stereo camera grows every near outline by about half its matching window at a depth edge
(foreground fattening, `D435Noise.edge_fattening_px`). In the gym scene, the plate of a
barbell held in an RDL then touches the plyo box standing in front of it, the box joins the
lifter's blob, and it stayed joined: it was never learned into the background, lying within
the footprint of the lifter and the barbell. The fit explains the lifter as well as before, but
its inlier share of the whole cloud fell 0.70 -> 0.41, under the tracker's 0.5 for a diverged
fit: the track was dropped and started again every few frames (mesh shapes A, C, M, Q with 2 px
of fattening: tracked 92-98 % of the frames in view, against 99.7 %). The points further than
TrackerConfig.foreign_m from every body and implement capsule now do not count against the
fit when it is judged diverged or poor, as long as they are under half the cloud.

The segmenter now learns the box into the background (a component wider than any body part,
tests/segment/test_segment_equipment.py), so here it is kept out of learning as before: it
stands for anything foreign that joins the lifter's blob (equipment moved in beside a lifter
already in view).
"""
from dataclasses import replace

import numpy as np

from station.fit.body_model import DOF, Shape, build_body
from station.fit.solver import FitResult, FitWeights, Workspace, posed_capsules, skeleton_points_floor
from station.fit.tracker import TrackerConfig, body_inlier_fraction, far_point_count
from station.sim.scenarios import build, get_scenario
from tests.fit.poses import make_pose
from tests.helpers import camera_frame, scenario_pipeline


def test_far_points_are_counted_beyond_the_model():
    shape = Shape(1.8)
    body = build_body(shape)
    th = make_pose("standing", shape)
    near = skeleton_points_floor(body, th)                      # inside the body
    far = np.array([th[[DOF["root_tx"], DOF["root_ty"]]].tolist() + [0.3]]) + [[1.2, 0.0, 0.0]]
    far = np.repeat(far, 7, axis=0) + np.linspace(0, 0.1, 7)[:, None]
    pts = np.vstack([near, far])
    assert far_point_count(body, th, pts, Workspace(), None, FitWeights(), 0.3) == 7
    assert far_point_count(body, th, near, Workspace(), None, FitWeights(), 0.3) == 0
    # a bar through the hands explains what lies along it, beyond the hands
    ca, cb = posed_capsules(body, th, Workspace())
    hand_l, hand_r = (0.5 * (ca[c] + cb[c]) for c in body.hand_caps)
    along = (hand_l - hand_r) / np.linalg.norm(hand_l - hand_r)
    on_bar = np.array([hand_l + 0.8 * along, hand_r - 0.8 * along])   # out by the plates
    pts = np.vstack([near, on_bar])
    assert far_point_count(body, th, pts, Workspace(), None, FitWeights(), 0.3) == 2
    assert far_point_count(body, th, pts, Workspace(), "bar", FitWeights(), 0.3) == 0


def test_the_inlier_share_leaves_a_foreign_object_out_unless_it_is_most_of_the_cloud():
    cfg = TrackerConfig()

    def fit(n, inl):
        return FitResult(theta=np.zeros(1), points_floor_m=np.zeros((1, 3)), seg_R=None, seg_t=None,
                         seg_point_count=None, seg_visibility=None, n_points=n, inlier_fraction=inl,
                         mean_abs_residual_m=0.01, energy=0.0, iterations=0, step_norms=[], n_rejected=0,
                         info=None, dof_twist=None)

    assert body_inlier_fraction(fit(3100, 0.41), 1300, cfg) == 0.41 * 3100 / 1800
    assert body_inlier_fraction(fit(3100, 0.41), 0, cfg) == 0.41
    assert body_inlier_fraction(fit(3100, 0.2), 2000, cfg) == 0.2     # most of it: the fit left


def test_a_plyo_box_joined_through_a_fattened_plate_does_not_drop_the_track():
    """mesh shape A's clean RDL set with 2 px of fattening: the box in front of the left plate
    joins the blob in about half the frames of the first seconds (cloud 1800 -> 3100 points)."""
    sc = replace(get_scenario("mesh_A_clean"), edge_fattening_px=2)
    take = build(sc)
    pipe = scenario_pipeline(sc)
    seg_params = pipe.segmenter.params     # the box kept out of background learning
    pipe.segmenter.params = replace(seg_params, blob=replace(seg_params.blob, part_footprint_m=(np.inf, np.inf)))
    n = int(np.searchsorted(take.times_s, 4.0))
    tracked, joined = [], 0
    for i in range(n):
        frame = camera_frame(take, i)
        seg = pipe.segmenter.process(frame)
        r = pipe.process(frame, seg=seg)
        joined += seg.cloud is not None and len(seg.cloud.points_cam_m) > 2500
        if take.times_s[i] >= 1.0:            # started (stand tall, the start's frames)
            tracked.append(r.tracked)
    assert joined >= 20, joined               # the box was there
    assert np.mean(tracked) >= 0.97, f"tracked {np.mean(tracked):.2f} of the frames from 1 s"
