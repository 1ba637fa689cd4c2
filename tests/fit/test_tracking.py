"""Accuracy against the INDEPENDENT synthetic athlete (station.sim): the whole pipeline
(rendered D435-like depth -> Segmenter -> Tracker -> contract angles) on short clips, with
bounds that catch a regression (set from what the fitter achieves, with margin).

The accuracy clips use the MESH athlete (a real human surface and its rig's joint centres):
the fitter reports anatomical joint centres (station.fit.body_model._JOINT_CENTRE_OFFSETS),
which the capsule athlete, built from capsules like the fitter's own, does not share (its
hips sit mid-capsule: ~4 cm from the anatomical ones), so the capsule body keeps tracking and
robustness checks. Measured on rdl_clean@mesh (400 frames): MPJPE ~22 mm (elbows ~55 mm,
the rig's upper arm is shorter than the fitter's), trunk ~1.3 deg, hip ~1.9 deg, knee ~2.3
deg mean absolute error.
"""
from dataclasses import replace

import numpy as np
import pytest

from station.sim.scenarios import build, get_scenario

from station.segment.person import LiftingZone
from station.config import load_station_config
from station.fit.tracker import Tracker
from station.form.angles import contract_angles
from station.model import DepthFrame
from station.segment import Segmenter


def _run(name: str, frames: range):
    sc = get_scenario(name)
    take = build(sc)
    zone = replace(LiftingZone.from_config(load_station_config().zone), centre_x_m=sc.lifter_x_m,
                   centre_y_m=sc.lifter_distance_m)
    seg = Segmenter(zone, seed=0)
    trk = Tracker()
    rows = []
    for i in frames:
        fr = DepthFrame(depth_raw_u16=take.render_u16(i), depth_units_m=0.001,
                        intrinsics=take.intrinsics, timestamp_s=float(take.times_s[i]), frame_number=i)
        s = seg.process(fr)
        r = trk.update(s.cloud, s.person_height_m)
        rows.append((i, r, s.floor))
    return take, trk, rows


@pytest.fixture(scope="module")
def rdl_clip():
    return _run("rdl_clean@mesh", range(0, 150))


def test_rdl_clip_tracked_and_accurate(rdl_clip):
    take, trk, rows = rdl_clip
    tracked = [(i, r, f) for i, r, f in rows if r.tracked]
    assert len(tracked) >= 0.93 * len(rows)  # starts after ~5 still upright frames
    err = np.array([np.linalg.norm(r.skeleton.points_cam_m[:15] - take.skeleton_cam_m[i][:15], axis=1)
                    for i, r, _ in tracked])
    assert err.mean() < 0.030, f"MPJPE {err.mean() * 1000:.1f} mm"
    body = [j for j in range(15) if j not in (4, 5, 6, 7)]     # the arms: see the docstring
    assert err[:, body].mean(axis=0).max() < 0.040, f"worst joint {err[:, body].mean(axis=0).max() * 1000:.1f} mm"
    assert err.mean(axis=0).max() < 0.075
    assert np.percentile(err, 99) < 0.12
    # the hinge is reached in this clip
    assert take.truth_angles["trunk_inclination"][rows[-1][0] - 15:rows[-1][0]].max() > 45


def test_rdl_clip_angles(rdl_clip):
    take, trk, rows = rdl_clip
    errs = {k: [] for k in ("trunk_inclination", "hip_flexion_l", "hip_flexion_r",
                            "knee_flexion_l", "knee_flexion_r")}
    for i, r, floor in rows:
        if not r.tracked:
            continue
        a = contract_angles(r.skeleton.points_cam_m, np.asarray(floor.normal_cam), 0.0)
        for k in errs:
            errs[k].append(float(a[k]) - take.truth_angles[k][i])
    mae = {k: float(np.mean(np.abs(v))) for k, v in errs.items()}
    assert mae["trunk_inclination"] < 3.0, mae
    assert max(mae["hip_flexion_l"], mae["hip_flexion_r"]) < 4.0, mae
    assert max(mae["knee_flexion_l"], mae["knee_flexion_r"]) < 5.0, mae


def test_rdl_clip_shape_and_feet(rdl_clip):
    """Stature from the blob (top of the head) and feet anchored near the true ankles."""
    take, trk, rows = rdl_clip
    assert abs(trk.shape.height_m - take.scenario.athlete.height_m) < 0.06
    assert trk.anchors is not None
    T = take.T_floor_cam
    true_ankles = (take.skeleton_cam_m[rows[-1][0]][[13, 14]] @ T[:3, :3].T + T[:3, 3])
    assert np.linalg.norm(trk.anchors - true_ankles, axis=1).max() < 0.05


# -- regression clips for the fixes of the implement / spine / shift work ----------------------

@pytest.fixture(scope="module")
def kettlebell_clip():
    return _run("kettlebell_swing", range(0, 150))


def test_kettlebell_arms_in_front(kettlebell_clip):
    """Kettlebell swings (hands together, a bell below them): the arms were parked behind the
    torso (wrists ~300 mm off, MPJPE ~90 mm). With the bell modelled (carried by both
    forearms) and looser hand/pelvis collisions: ~42 mm, wrists in front in ~97 % of frames."""
    take, trk, rows = kettlebell_clip
    tracked = [(i, r) for i, r, _ in rows if r.tracked]
    assert len(tracked) >= 0.95 * len(rows)
    assert trk.implement == "kettlebell"
    err = np.array([np.linalg.norm(r.skeleton.points_cam_m[:15] - take.skeleton_cam_m[i][:15], axis=1)
                    for i, r in tracked])
    assert err.mean() < 0.060, f"MPJPE {err.mean() * 1000:.1f} mm"
    ok = []
    for i, r in tracked:
        T, P = take.skeleton_cam_m[i], r.skeleton.points_cam_m
        if 0.5 * (T[6, 2] + T[7, 2]) < T[8, 2] - 0.05:      # wrists truly in front of the pelvis
            ok.append(0.5 * (P[6, 2] + P[7, 2]) < P[8, 2])  # camera z: nearer the camera
    # measured 0.89 since the anatomical joint centres (0.92 without them on this branch, ~0.97
    # when written): the feet anchors follow the (moved) ankle points and the limb searches
    # take another path; the wrists against the TRUE pelvis moved the same way (0.87 vs 0.93)
    assert len(ok) > 50 and np.mean(ok) >= 0.85, np.mean(ok)


@pytest.fixture(scope="module")
def mixed_clip():
    return _run("rdl_mixed_faults@mesh", range(0, 180))


def test_clean_rep_spine_and_shift_stay_quiet(mixed_clip):
    """rdl_mixed_faults' first rep is clean (camera at 1.9 m): the evaluator saw false
    rounded_back (fitted spine flexion) and hip_shift (fitted pelvis shift). Measured when
    fixed: spine |error| p95 ~13 deg, max ~16; shift max ~17 mm (thresholds 20 deg, 60 mm)."""
    from station.form.angles import spine_flexion_raw_deg
    take, trk, rows = mixed_clip
    tracked = [(i, r, f) for i, r, f in rows if r.tracked]
    assert len(tracked) >= 0.97 * len(rows)
    base = float(np.median([spine_flexion_raw_deg(r.skeleton.points_cam_m) for _, r, _ in tracked[:20]]))
    spine, shift = [], []
    for i, r, f in tracked:
        a = contract_angles(r.skeleton.points_cam_m, np.asarray(f.normal_cam), base)
        spine.append(float(a["spine_flexion"]))
        shift.append(float(a["pelvis_lateral_shift"]) - take.truth_angles["pelvis_lateral_shift"][i])
    assert take.truth_angles["trunk_inclination"][[i for i, _, _ in tracked]].max() > 45  # a real hinge
    assert max(spine) < 19.0, max(spine)
    assert np.percentile(np.abs(spine), 95) < 16.0
    assert np.abs(shift).max() < 0.035, np.abs(shift).max()
    err = np.array([np.linalg.norm(r.skeleton.points_cam_m[:15] - take.skeleton_cam_m[i][:15], axis=1)
                    for i, r, _ in tracked])
    assert err.mean() < 0.030, f"MPJPE {err.mean() * 1000:.1f} mm"


def test_track_dropped_mid_rep_is_regained_while_bent_over():
    """The cloud vanishes for 35 frames (an occlusion longer than lost_after_frames) on the
    way down; when it comes back the lifter is still bent over (trunk ~50 deg): tracking
    resumes within 0.5 s from the last good pose, same person (track id), and is accurate
    once the limbs are searched again."""
    sc = get_scenario("rdl_clean@mesh")
    take = build(sc)
    zone = replace(LiftingZone.from_config(load_station_config().zone), centre_x_m=sc.lifter_x_m,
                   centre_y_m=sc.lifter_distance_m)
    seg = Segmenter(zone, seed=0)
    trk = Tracker()
    drop = range(115, 150)
    back = None
    errs = []
    ids = set()
    for i in range(0, 172):
        fr = DepthFrame(depth_raw_u16=take.render_u16(i), depth_units_m=0.001,
                        intrinsics=take.intrinsics, timestamp_s=float(take.times_s[i]), frame_number=i)
        s = seg.process(fr)
        r = trk.update(None if i in drop else s.cloud, s.person_height_m)
        if i == drop[-1]:
            assert trk.state == "lost"
        if i > drop[-1] and r.tracked:
            ids.add(r.track_id)
            if back is None:
                back = i
            errs.append((i, np.linalg.norm(r.skeleton.points_cam_m[:15] - take.skeleton_cam_m[i][:15],
                                           axis=1).mean()))
    assert back is not None and back - drop[-1] <= 15, f"regained at frame {back}"
    assert take.truth_angles["trunk_inclination"][back] > 40.0   # still bent over
    assert ids == {1}
    settled = [e for i, e in errs if back + 5 <= i <= back + 20]
    assert np.mean(settled) < 0.032, f"MPJPE after re-acquisition {np.mean(settled) * 1000:.0f} mm"
