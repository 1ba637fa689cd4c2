"""The feet anchors on the mesh athlete: a raised foot is let go, a standing one held."""
from dataclasses import replace

import numpy as np

from station.model import SKELETON_INDEX



def test_knee_raise_is_followed():
    """CMU 13_29's knee raises (mocap_warmup, 9.0-12.6 s of its window) on the mesh athlete:
    the right knee comes up at 10.4 s, the left at 11.5 s, each ankle 0.5-0.6 m off the floor.
    Held by a quadratic anchor, the raised leg stayed on the floor (the left ankle ~0.5 m off
    at the top); let go, it is followed. The standing foot stays on its anchor."""
    from station.fit.tracker import Tracker
    from station.sim.scenarios import get_scenario
    from tests.helpers import segmented_scenario

    sc = get_scenario("mocap_warmup@mesh")
    sc = replace(sc, name="mocap_knee_raise@mesh", mocap_window_s=(24.0, 27.6))
    take, segment = segmented_scenario(sc, None)
    al, ar = SKELETON_INDEX["ankle_l"], SKELETON_INDEX["ankle_r"]
    trk = Tracker()
    raised, standing = [], []
    for i in range(take.n_frames):
        s = segment(i)
        r = trk.update(s.cloud, s.person_height_m)
        truth = take.skeleton_cam_m[i]
        if trk.state != "tracking" or not r.tracked:
            continue
        z = take.poses_floor_m[i, [al, ar], 2]
        err = np.linalg.norm(r.skeleton.points_cam_m[[al, ar]] - truth[[al, ar]], axis=1)
        if z[0] > 0.4:              # the left knee raise, near its top
            raised.append(err[0])
            standing.append(err[1])
    assert len(raised) >= 10
    assert np.mean(raised) < 0.12, np.round(raised, 3)
    assert np.mean(standing) < 0.08, np.round(standing, 3)


def _followed(anchors, ankles_per_frame, away, height_m=1.75):
    """followed_anchors over a sequence of fitted ankles (2, 3) each: the anchors after each."""
    from types import SimpleNamespace

    from station.fit.tracker import _ANKLES, TrackerConfig, followed_anchors

    cfg = TrackerConfig()
    out = []
    for ank in ankles_per_frame:
        pts = np.zeros((max(_ANKLES) + 1, 3))
        pts[_ANKLES] = ank
        anchors = followed_anchors(anchors, SimpleNamespace(points_floor_m=pts), height_m, cfg, away)
        out.append(anchors.copy())
    return out


def test_stepped_foot_is_replanted():
    """A standing foot stepped 12 cm to the side (the real toe touch's right foot): its anchor
    moves over it after a few frames, at the height it had; the other foot's stays. Following
    at anchor_rate alone it was still ~10 cm behind, holding the fitted ankle back."""
    start = np.array([[0.25, 2.5, 0.07], [-0.25, 2.7, 0.07]])
    stepped = start + [[0.0, 0.0, 0.0], [-0.12, 0.0, 0.015]]
    away = np.zeros(2, np.int64)
    anchors = _followed(None, [start], away)[-1]
    after = _followed(anchors, [stepped] * 6, away)
    assert abs(after[-1][1, 0] - stepped[1, 0]) < 0.01, after[-1]
    assert abs(after[-1][1, 2] - 0.07) < 0.005   # the standing height (+ anchor_rate)
    assert np.abs(after[-1][0] - start[0]).max() < 1e-9
    # an anchor left high (it followed a raised knee) comes down to the stepped foot's height
    high = after[-1] + [[0.0, 0.0, 0.0], [0.0, 0.0, 0.15]]
    after = _followed(high, [start] * 6, away)
    assert abs(after[-1][1, 2] - 0.07) < 0.01, after[-1]


def test_brief_wobble_or_raised_foot_is_not_replanted():
    """The fitted ankle off its anchor for fewer frames than anchor_replant_frames (a wobble),
    or a foot lifted off the floor however long: the anchor only follows at anchor_rate."""
    from station.fit.tracker import TrackerConfig

    cfg = TrackerConfig()
    start = np.array([[0.25, 2.5, 0.07], [-0.25, 2.7, 0.07]])
    wobble = start + [[0.0, 0.0, 0.0], [-0.08, 0.0, 0.0]]
    away = np.zeros(2, np.int64)
    anchors = _followed(None, [start], away)[-1]
    n = cfg.anchor_replant_frames - 1
    after = _followed(anchors, [wobble] * n + [start] * 2 + [wobble] * n + [start], away)
    assert abs(after[-1][1, 0] - start[1, 0]) < 0.02, after[-1]
    raised = start + [[0.0, 0.0, 0.0], [-0.12, 0.0, 0.2]]
    after = _followed(after[-1], [raised] * 10, away)
    assert abs(after[-1][1, 0] - start[1, 0]) < 0.05, after[-1]
