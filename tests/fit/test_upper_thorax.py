"""The fitter's thorax bends: an upper thorax (the top thoracic bone's part: chest_high, the
shoulders, the head) turns on the lower one, and spine_flexion is read from that top segment
against the pelvis. A rigid thorax read a curved back by its chord (spine_mid -> neck), ~0.7
of the top bone's turn that the contract's mesh truth measures (bench/spine.py)."""
from __future__ import annotations

import numpy as np

from station.fit.body_model import DEG, DOF, SEG, SEG_PARENT, SEGMENTS, build_body, neutral_pose
from station.fit.solver import Workspace, skeleton_points_floor
from station.fit import _kernels as K
from station.fit.body_model import DOF_AXIS, DOF_SEG, DOF_TYPE
from station.form.angles import spine_flexion_raw_deg, spine_flexion_raw_from_segments_deg
from station.model import SKELETON_INDEX


def _segment_frames(body, theta):
    ws = Workspace()
    K.forward_kinematics(theta, SEG_PARENT, body.seg_offset, DOF_SEG, DOF_TYPE, DOF_AXIS,
                         ws.seg_R, ws.seg_t, ws.twist)
    return ws.seg_R.copy()


def _readings(body, theta):
    R = _segment_frames(body, theta)
    seg = spine_flexion_raw_from_segments_deg(R[SEG["pelvis"]], R[SEG["upper_thorax"]])
    chord = float(spine_flexion_raw_deg(skeleton_points_floor(body, theta)))
    return seg, chord


def test_the_upper_thorax_is_the_thorax_child_that_carries_head_arms_and_neck():
    body = build_body()
    ut = SEG["upper_thorax"]
    assert SEG_PARENT[ut] == SEG["thorax"]
    for child in ("head", "upper_arm_l", "upper_arm_r"):
        assert SEG_PARENT[SEG[child]] == ut
    assert body.point_seg[SKELETON_INDEX["neck"]] == ut
    assert body.cap_seg[body.cap_names.index("chest_high")] == ut
    assert body.cap_seg[body.cap_names.index("chest_low")] == SEG["thorax"]
    assert SEGMENTS.index("upper_thorax") > SEGMENTS.index("thorax")   # tree order


def test_segment_reading_is_the_total_sagittal_bend_and_the_chord_reads_less():
    body = build_body()
    base = neutral_pose(body.shape)
    seg0, chord0 = _readings(body, base)
    for lumbar, thorax, upper in ((10, 0, 0), (0, 15, 0), (10, 10, 0), (0, 0, 15), (8, 10, 12), (-10, -5, 0)):
        th = base.copy()
        th[DOF["root_pitch"]] = 40 * DEG      # a hinge: the reading is against the pelvis
        th[DOF["lumbar_flex"]] = lumbar * DEG
        th[DOF["thorax_flex"]] = thorax * DEG
        th[DOF["upper_thorax_flex"]] = upper * DEG
        seg, chord = _readings(body, th)
        total = lumbar + thorax + upper
        # the top segment against the pelvis: every sagittal joint below it, summed
        assert abs((seg - seg0) - total) < 1e-6, (lumbar, thorax, upper, seg - seg0)
        if upper == 0:
            # a rigid thorax: the chord turns with it
            assert abs((chord - chord0) - total) < 0.5, (lumbar, thorax, chord - chord0)
        else:
            # bent at the upper thorax: the chord (spine_mid -> neck) reads only part of it
            assert (chord - chord0) < total - 0.3 * upper, (lumbar, thorax, upper, chord - chord0)


def test_segment_reading_ignores_the_pelvis_own_orientation():
    body = build_body()
    th = neutral_pose(body.shape)
    th[DOF["lumbar_flex"]] = 12 * DEG
    th[DOF["upper_thorax_flex"]] = 9 * DEG
    ref, _ = _readings(body, th)
    for yaw, pitch in ((0.3, 0.0), (-2.0, 60 * DEG), (1.0, 85 * DEG)):
        t2 = th.copy()
        t2[DOF["root_yaw"]] = yaw
        t2[DOF["root_pitch"]] = pitch
        seg, _ = _readings(body, t2)
        assert abs(seg - ref) < 1e-9
