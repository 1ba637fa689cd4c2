"""The arms hang where they are, and a kettlebell is picked up: against ground truth.

A heavy lifter in loose clothes holding a kettlebell in front of the thighs (tall_heavy_loose,
mesh athlete): the fit used to park both arms behind the back at the shoulder's extension
limit (elbows ~0.3 m, right wrist ~0.5 m from the truth) and never model the bell, for the
whole set. Three things were wrong: the start's implement choice and the limb search had no
hypothesis of an arm hanging under gravity (station.fit.limb_search.HANG); the trunk's round
capsules held the arms of a heavy body out of their place (more overlap allowed:
body_model._ARM_TORSO_SLACK_M); and a track that started without the bell never tried it
again (station.fit.implements.ImplementState.retry_held).

Measured on main before the fix (frames 0-90): mesh elbows 0.30 / 0.33 m, wrists 0.29 / 0.55 m,
held None. After: elbows and wrists ~0.05-0.10 m, held "kettlebell" from the start.
"""

import math

import numpy as np
import pytest

from tests.helpers import segmented_scenario

from station.fit.body_model import DOF, SEG, build_body, Shape, neutral_pose
from station.fit.limb_search import HANG, hang_angles, limb_values
from station.fit.solver import Workspace, posed_capsules
from station.fit.tracker import Tracker
from station.model import JOINTS

_J = {n: i for i, n in enumerate(JOINTS)}


def _upper_arm_dir(body, theta, side):
    ws = Workspace()
    ca, cb = posed_capsules(body, theta, ws)
    k = body.cap_names.index(f"upper_arm_{side}")
    d = cb[k] - ca[k]
    return d / np.linalg.norm(d), ws


@pytest.mark.parametrize("pitch_deg, lean_deg, yaw_deg", [(0, 0, 0), (50, 0, 30), (80, 10, -60),
                                                          (30, -15, 90)])
def test_hang_angles_point_the_upper_arm_down(pitch_deg, lean_deg, yaw_deg):
    """Whatever the trunk's pitch, lean and heading, a HANG hypothesis with no offset puts the
    upper arm straight down in the floor frame (both sides)."""
    body = build_body(Shape(height_m=1.8))
    th = neutral_pose(body.shape)
    th[DOF["root_yaw"]] = math.radians(yaw_deg)
    th[DOF["root_pitch"]] = math.radians(pitch_deg) * 0.6
    th[DOF["lumbar_flex"]] = math.radians(pitch_deg) * 0.4
    th[DOF["thorax_lat"]] = math.radians(lean_deg)
    _, ws = _upper_arm_dir(body, th, "l")
    R = ws.seg_R[SEG["thorax"]].copy()
    for side in ("l", "r"):
        idx = [DOF[f"shoulder_{side}_flex"], DOF[f"shoulder_{side}_abd"], DOF[f"elbow_{side}_flex"]]
        t2 = th.copy()
        t2[idx] = limb_values(f"arm_{side}", (HANG, 0.0, 0.0), R)
        d, _ = _upper_arm_dir(body, t2, side)
        assert d[2] < -0.995, (side, d)
        # and an offset flexes it forward of the vertical by that much
        t2[idx] = limb_values(f"arm_{side}", (HANG + math.radians(30), 0.0, 0.0), R)
        d, _ = _upper_arm_dir(body, t2, side)
        assert abs(math.degrees(math.acos(-d[2])) - 30) < 3, (side, d)
    f, a = hang_angles(np.eye(3), "l")
    assert abs(f) < 1e-9 and abs(a) < 1e-9


def _run(name, frames, drop_held_at=None):
    take, segment = segmented_scenario(name)
    trk = Tracker()
    fitted, truth, held, flex = [], [], [], []
    for i in frames:
        if drop_held_at is not None and i == drop_held_at:
            trk.implements.held = None
        r = trk.update(segment(i).cloud)
        held.append(trk.implements.held)
        if r.tracked and i >= 15:
            fitted.append(r.skeleton.points_cam_m[:len(JOINTS)].copy())
            truth.append(take.skeleton_cam_m[i][:len(JOINTS)])
            flex.append([trk.theta[DOF["shoulder_l_flex"]], trk.theta[DOF["shoulder_r_flex"]]])
    return np.array(fitted), np.array(truth), held, np.degrees(np.array(flex))


@pytest.fixture(scope="module")
def heavy_clip():
    return _run("tall_heavy_loose@mesh", range(0, 90))


def test_heavy_loose_arms_hang_in_front_not_behind_the_back(heavy_clip):
    fitted, truth, held, flex = heavy_clip
    assert len(fitted) >= 60
    # not parked behind the back (main: both at -50 to -60 deg, the extension limit)
    assert np.median(flex) > -20, np.round(np.median(flex, axis=0))
    err = np.linalg.norm(fitted - truth, axis=2)
    for j in ("elbow_l", "elbow_r", "wrist_l", "wrist_r"):
        e = err[:, _J[j]].mean()
        print(f"{j}: {e * 1000:.0f} mm")
        assert e < 0.15, f"{j} {e * 1000:.0f} mm"     # main: 0.29-0.55 m


def test_heavy_loose_kettlebell_is_picked_up(heavy_clip):
    _, _, held, _ = heavy_clip
    assert held[-1] == "kettlebell"


def test_kettlebell_picked_up_again_while_tracking():
    """A track that lost (or never found) the bell tries it again while it goes on: dropped
    by hand after 40 frames, it is back within about two seconds (tracked 30 frames first,
    then one trial per 5 frames, two in a row agreeing)."""
    _, _, held, _ = _run("kettlebell_swing@mesh", range(0, 110), drop_held_at=40)
    assert held[39] == "kettlebell"
    assert held[40] is None
    assert "kettlebell" in held[41:110], held[40:]


def test_walking_in_with_a_bar_picks_up_no_dumbbells():
    """The retry must not take a bar carried in for dumbbells (it did, at frame 171 of this
    walk-in, and held them for the whole set: the bar was never modelled, MPJPE 272 mm)."""
    _, _, held, _ = _run("session_walk_in_out@mesh", range(0, 230))
    assert all(h is None for h in held), [(i, h) for i, h in enumerate(held) if h][:3]
