"""view_notice: what the station tells a lifter it cannot see well (CoachState.notice)."""
from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from station.app import view_notice
from station.model import TrackResult
from station.model import SKELETON_POINTS, FloorPlane, Intrinsics, PersonCloud, Skeleton
from station.model import SegmentResult

FLOOR = FloorPlane(normal_cam=np.array([0.0, -1.0, 0.0]), d_m=1.5)   # camera 1.5 m up, level
INTR = Intrinsics(212, 120, 105.0, 105.0, 106.0, 60.0)


def _cloud(u_range=(60, 150), v_range=(10, 110)):
    mask = np.zeros((120, 212), bool)
    mask[v_range[0]:v_range[1], u_range[0]:u_range[1]] = True
    v, u = np.nonzero(mask)
    return PersonCloud(np.zeros((len(u), 3), np.float32), np.stack([u, v], 1).astype(np.int32), mask,
                       np.zeros((120, 212), np.float32), INTR, FLOOR, 0.0)


def _seg(cloud):
    return SegmentResult(cloud, FLOOR, None, True, 1.75, True, (0.0, 2.5), 1.5, 0.0, {})


def _track(yaw_deg):
    """A skeleton 2.5 m in front of the camera, turned yaw_deg (hips along the rotated x)."""
    pts = np.zeros((len(SKELETON_POINTS), 3))
    pts[:, 2] = 2.5
    a = math.radians(yaw_deg)
    left = np.array([math.cos(a), 0.0, math.sin(a)])
    pts[SKELETON_POINTS.index("hip_l")] += 0.1 * left
    pts[SKELETON_POINTS.index("hip_r")] -= 0.1 * left
    return TrackResult(True, Skeleton(pts), "tracking", {}, None)


def test_notices():
    c = _cloud()
    assert view_notice(_seg(c), _track(10.0), FLOOR) is None
    assert view_notice(_seg(c), _track(50.0), FLOOR) == "face_mirror"
    assert view_notice(_seg(c), _track(-50.0), FLOOR) == "face_mirror"
    # while the fit is still initialising its yaw is not trusted: the start pose is asked for
    init = replace(_track(50.0), state="initialising")
    assert view_notice(_seg(c), init, FLOOR) == "stand_tall_to_start"
    assert view_notice(_seg(_cloud(v_range=(0, 110))), _track(0.0), FLOOR) == "step_back"
    assert view_notice(_seg(_cloud(u_range=(0, 90))), _track(0.0), FLOOR) == "step_to_centre"
    untracked = TrackResult(False, None, "searching", {}, None)
    assert view_notice(_seg(c), untracked, FLOOR) == "stand_tall_to_start"
    assert view_notice(_seg(None), untracked, FLOOR) is None
    lost = TrackResult(False, None, "lost", {}, None)
    assert view_notice(_seg(c), lost, FLOOR) == "stand_tall_to_start"
    # one frame dropped mid-set, the track kept (rdl_mixed_faults at 4.17 s, on the way down of
    # rep 1): no start prompt over the rep in progress
    dropped = TrackResult(False, None, "tracking", {}, None)
    assert view_notice(_seg(c), dropped, FLOOR) is None
