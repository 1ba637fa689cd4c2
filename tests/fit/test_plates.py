"""A barbell's plates do not read as a worse fit of the body.

The fit models a bar as its shaft through the hands; its plates (45 cm discs out by the
lifter's sides) are no capsule's, so every plate point is an outlier of the fit: 20-40 % of a
barbell lifter's cloud, depending on how much of the plates the segmenter joins to the
lifter. The confidence's quality factor read the fit's inlier share of the whole cloud, so a
barbell lifter's every angle was judged less sure than the same fit of a bodyweight lifter
(standing, mesh shape A: knees 0.64 against 0.83), and with a stereo camera's fattening more
plate joined the blob and knee-dominant reps went not judged (mesh shape E: 0.81 -> 0.59 at
the bottom). The quality now reads the share without the plates' points (plate_point_count).
"""
import numpy as np

from station.fit.body_model import Shape, build_body
from station.fit.implement_support import plate_point_count
from station.fit.solver import FitWeights, Workspace, posed_capsules, skeleton_points_floor
from tests.fit.poses import make_pose
from tests.helpers import segmented_scenario


def test_plate_points_are_counted_off_the_shaft_past_the_hands():
    shape = Shape(1.8)
    body = build_body(shape)
    th = make_pose("standing", shape)
    ws, w = Workspace(), FitWeights()
    ca, cb = posed_capsules(body, th, ws)
    hand_l, hand_r = (0.5 * (ca[c] + cb[c]) for c in body.hand_caps)
    mid = 0.5 * (hand_l + hand_r)
    along = (hand_l - hand_r) / np.linalg.norm(hand_l - hand_r)
    up = np.array([0.0, 0.0, 1.0])
    up -= (up @ along) * along
    up /= np.linalg.norm(up)
    # a ring of 12 points 0.15 m from the shaft, on each plate 0.7 m from the bar's middle
    ring = [np.cos(a) * up + np.sin(a) * np.cross(along, up) for a in np.linspace(0, 2 * np.pi, 12, endpoint=False)]
    plates = np.array([mid + s * 0.7 * along + 0.15 * r for s in (-1, 1) for r in ring])
    shaft = np.array([mid + s * 0.7 * along for s in (-1, 1)])      # on the bar: the bar's own
    body_pts = skeleton_points_floor(body, th)
    assert plate_point_count(body, th, np.vstack([body_pts, plates, shaft]), ws, w) == 24
    assert plate_point_count(body, th, np.vstack([body_pts, shaft]), ws, w) == 0
    assert plate_point_count(body, th, np.zeros((0, 3)), ws, w) == 0


def test_a_barbell_lifters_confidence_is_not_taken_down_by_the_plates():
    """Mesh shape A standing with a barbell (1.2-3.2 s): the fit's inlier share of the whole
    cloud is ~0.78, the plates' points being outliers; the knees' confidence read 0.64
    (median) from it, and reads 0.83 now."""
    from station.fit.tracker import Tracker
    take, segment = segmented_scenario("mesh_A_clean")
    trk = Tracker()
    inl, knee = [], []
    for i in range(int(np.searchsorted(take.times_s, 3.2))):
        s = segment(i)
        r = trk.update(s.cloud, s.person_height_m)
        if take.times_s[i] >= 1.2 and r.tracked:
            inl.append(r.inlier_fraction)
            knee.append(r.angle_confidence["knee_flexion_l"])
    assert len(knee) >= 55
    assert np.median(inl) < 0.85                     # the plates are in the cloud
    assert np.median(knee) > 0.75, np.median(knee)
