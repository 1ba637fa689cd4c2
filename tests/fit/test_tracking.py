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

from tests.helpers import segmented_scenario

from station.sim.scenarios import Athlete, Scenario, build, get_scenario

from station.fit.tracker import Tracker
from station.form.angles import contract_angles
from station.model import SKELETON_INDEX


def _run(name: str, frames: range):
    take, segment = segmented_scenario(name)
    trk = Tracker()
    rows = []
    for i in frames:
        s = segment(i)
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


def test_a_bell_held_in_both_hands_is_found_at_the_start():
    """The capsule athlete, a 1.60 m lifter holding a light kettlebell by its handle in both
    hands (palms 0.14 m apart) in front of the thighs, camera at 1.3 m. The start's limb search
    took the arms from grip to grip and kept the one of least energy: the arms a little behind
    the hips, whose bell explained no point (energy 103.4; the grip in front 101.6 after 8 LM
    steps, 105.2 after the search's 4; the body alone 104.3). No bell was chosen, the left arm
    went behind the back (wrist 0.3-0.4 m off) and stayed there until the first swing. The
    start now refines every two-handed grip and keeps the best one whose bell is seen."""
    take, trk, rows = _run("kettlebell_swing_small@capsule", range(0, 60))
    tracked = [(i, r) for i, r, _ in rows if r.tracked]
    assert len(tracked) >= 20
    assert trk.implement == "kettlebell"
    wrists = [SKELETON_INDEX["wrist_l"], SKELETON_INDEX["wrist_r"]]
    err = np.array([np.linalg.norm(r.skeleton.points_cam_m[wrists] - take.skeleton_cam_m[i][wrists], axis=1)
                    for i, r in tracked])
    # measured 65-85 mm (the hands fitted 0.29 m apart, the model's shoulders wider than the
    # athlete's); 0.3-0.4 m for the left wrist before
    assert err.max() < 0.15, f"wrists up to {1000 * err.max():.0f} mm off"


@pytest.mark.parametrize("name, implement", [("good_morning_bar_back@mesh", "bar"),
                                              ("dumbbell_rdl_turned_30@mesh", "dumbbells")])
def test_the_start_tells_a_bar_from_dumbbells(name, implement):
    """The mesh athlete. A bar on the upper back (a good morning): the start's first pose
    hangs the arms, the line through its hands misses the bar, and the start chose dumbbells
    (they explain some of the plates' points); while dumbbells are held no bar is looked for,
    and for the whole set the hands were pulled out towards the plates (MPJPE 32.1 mm). The
    bar is looked for again once the limb search has put the hands on it. Dumbbells held in
    front with the grip pronated (turned 30 deg): their heads lie on the hands' line just past
    the hands, and were taken for a bar for the whole set; a bar now needs points past where
    a dumbbell's heads reach (its plates)."""
    _, trk, rows = _run(name, range(0, 40))
    assert sum(r.tracked for _, r, _ in rows) >= 30
    assert trk.implement == implement


def test_a_bar_on_the_back_is_found_with_one_arm_hanging_off_it():
    """The capsule athlete, a bar on the upper back. When the start's limb search left one arm
    hanging (the bar then has no evidence on the hands' line), dumbbells were chosen, modelled
    at the shoulders and kept for the track: the arm stayed off the bar for the whole set
    (wrist 0.4 m off). The start now also searches the arms with a bar in the hands."""
    from station.fit.limb_search import HANG_ARM, limb_dofs, limb_values
    from station.fit.body_model import SEG
    from station.fit.solver import fit_frame, prepare_frame, skeleton_points_floor
    from station.frames import apply, invert
    from station.model import SKELETON_INDEX

    take, segment = segmented_scenario("good_morning_bar_back@capsule")
    trk = Tracker()
    for i in range(3):
        trk.update(segment(i).cloud)
    cloud = segment(3).cloud
    frame = prepare_frame(cloud, trk.config.max_points)
    th = trk.theta.copy()
    R = fit_frame(trk.body, frame, th, None, trk.noise.weights, n_iter=0).seg_R[SEG["upper_thorax"]]
    th[limb_dofs("arm_l")] = limb_values("arm_l", HANG_ARM, R)

    def wrist_error_m(theta):
        wrist = apply(invert(frame.T_floor_cam), skeleton_points_floor(trk.body, theta)[None, SKELETON_INDEX["wrist_l"]])
        return float(np.linalg.norm(wrist[0] - take.skeleton_cam_m[3][SKELETON_INDEX["wrist_l"]]))

    assert wrist_error_m(th) > 0.3                       # hanging, off the bar
    imp = trk.implements
    imp.bar, imp.held = False, None
    th = imp.choose_held(trk._ctx(), frame, th, trk.limbs)
    assert imp.implement == "bar" and imp.held is None   # was "dumbbells"
    assert wrist_error_m(th) < 0.2, f"left wrist {1000 * wrist_error_m(th):.0f} mm off"


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
    take, segment = segmented_scenario("rdl_clean@mesh")
    trk = Tracker()
    drop = range(115, 150)
    back = None
    errs = []
    ids = set()
    for i in range(0, 172):
        s = segment(i)
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


def test_barbell_lifter_lost_standing_is_regained_bent_over_at_the_bottom():
    """The cloud vanishes while the lifter stands with the bar (1.5 s, the track is lost) and
    comes back at the bottom of the next rep: regained at once in the bent pose, the same
    person. The restart poses pitched the standing pose's hanging arms with the trunk (the
    bar half a metre from the shins), and the best restart (0.74 of the cloud explained, as
    the track does at the bottom: the plates are never explained) was held to the standing
    frames' 0.83: nothing was believed. Here the track came back 7 frames late; lost the same
    way before the fifth rep (bench/reacq.py), 9 frames late, as a new person: the relaxed
    upright start took the bent lifter (MPJPE 169, then 311 mm)."""
    take, segment = segmented_scenario("rdl_clean@capsule")
    trunk = take.truth_angles["trunk_inclination"]
    start = int(np.argmax(trunk > 5.0))                       # the first rep leaves the top
    bottom = start + int(np.argmax(trunk[start:] > 0.97 * trunk[start:start + 150].max()))
    drop = range(start - 15, bottom)
    assert len(drop) >= 40 and trunk[drop[0]] < 2.0           # lost standing, > lost_after_frames
    trk = Tracker()
    got = []
    for i in range(0, bottom + 16):
        s = segment(i)
        r = trk.update(None if i in drop else s.cloud, s.person_height_m)
        if i >= bottom and r.tracked:
            got.append((i, r.track_id, np.linalg.norm(r.skeleton.points_cam_m[:15] - take.skeleton_cam_m[i][:15],
                                                      axis=1).mean()))
    assert got and got[0][0] - bottom <= 3, f"regained at frame {got[0][0] if got else None} (back at {bottom})"
    assert {tid for _, tid, _ in got} == {1}
    assert np.mean([e for i, _, e in got if i >= got[0][0] + 2]) < 0.04, got


def test_no_bar_is_switched_on_from_the_body_s_own_points():
    """The capsule athlete driven by the motion capture's toe touch, bodyweight: with the arms
    fitted wrong (the hands at the head's height), the line through the hands ran through the
    head and upper thorax, 18-29 points lay on it past the hands for six frames in a row, and
    a bar was switched on mid-set (frame 146; the arms then held it for the rest of the
    take). Points the head, trunk, legs or upper arms explain are no bar's evidence."""
    take, segment = segmented_scenario("mocap_toe_touch@capsule", seed=None)
    trk = Tracker()
    tracked, implements = 0, set()
    for i in range(take.n_frames):                        # 165 frames
        s = segment(i)
        tracked += trk.update(s.cloud, s.person_height_m).tracked
        implements.add(trk.implement)
    assert tracked >= 150
    assert implements == {None}, implements


def test_the_lost_lifter_bent_over_is_not_started_as_someone_new():
    """When no restart is believed, the relaxed upright start (a new person's) must not take
    the lost lifter, bent over the bar, for a short person standing: the top of a bent back
    passes for a head (rdl_clean@capsule at a rep's bottom read as 1.40 m standing for a
    1.78 m lifter, fitted upright: MPJPE 169-311 mm). Re-acquisition is made to fail here;
    the coach then sees no one while the lifter is bent, and a start once they stand tall."""
    take, segment = segmented_scenario("rdl_clean@capsule")
    trunk = take.truth_angles["trunk_inclination"]
    start = int(np.argmax(trunk > 5.0))
    bottom = start + int(np.argmax(trunk[start:] > 0.97 * trunk[start:start + 150].max()))
    end = bottom + int(np.argmax(trunk[bottom:] < 3.0))       # standing tall again
    drop = range(start - 15, bottom)
    trk = Tracker()
    trk._reacquire = lambda frame: None                       # no restart is believed
    rows = []
    for i in range(0, end + 30):
        s = segment(i)
        r = trk.update(None if i in drop else s.cloud, s.person_height_m)
        rows.append((i, r.tracked, r.track_id))
    bent = [(i, tid) for i, tracked, tid in rows if tracked and i >= bottom and trunk[i] > 30.0]
    assert not bent, f"started on the bent lifter: {bent[:5]}"
    assert any(tracked for i, tracked, _ in rows if i >= end), "never started once standing tall"

# -- re-acquisition on good mornings, and the start on a real standing pose ----------------------

def _segmented(sc, n: int):
    """The scenario's first n frames segmented once (the segmenter does not depend on the
    tracker, so several trackers can be run over the same clouds)."""
    take, segment = segmented_scenario(sc, seed=None)
    out = []
    for i in range(n):
        s = segment(i)
        out.append((s.cloud, s.person_height_m, s.floor))
    return take, out


@pytest.fixture(scope="module", params=["mesh", pytest.param("capsule", marks=pytest.mark.slow)])
def good_morning(request):
    """good_morning_bodyweight (a 1.62 m lifter, hands at the chest, hinging to ~70 deg with
    straight knees) up to just after the first rep's half way up."""
    sc = get_scenario(f"good_morning_bodyweight@{request.param}")
    take = build(sc)
    trunk = take.truth_angles["trunk_inclination"]
    rep = np.nonzero(trunk > 15.0)[0]
    end = rep[0] + int(np.argmax(trunk[rep[0]:] < 15.0))
    bottom = rep[0] + int(np.argmax(trunk[rep[0]:end]))
    half_up = bottom + int(np.argmax(trunk[bottom:end] <= 0.5 * trunk[bottom]))
    take, frames = _segmented(sc, half_up + 16)
    return take, frames, bottom, half_up


def _track_with_drop(take, frames, drop: range):
    trk = Tracker()
    rows = []
    for i, (cloud, h, floor) in enumerate(frames):
        r = trk.update(None if i in drop else cloud, h)
        rows.append((i, r, floor))
    return trk, rows


def _regain(take, rows, back: int):
    """(frames from the cloud's return to the first tracked frame, mean |trunk| and |knee|
    error (deg) over the 10 frames from there, track ids after)."""
    got = [(i, r, f) for i, r, f in rows if i >= back and r.tracked]
    assert got, "never regained"
    first = got[0][0]
    te, ke = [], []
    for i, r, f in got[:10]:
        a = contract_angles(r.skeleton.points_cam_m, np.asarray(f.normal_cam), 0.0)
        te.append(abs(float(a["trunk_inclination"]) - take.truth_angles["trunk_inclination"][i]))
        ke.append(np.mean([abs(float(a[k]) - take.truth_angles[k][i]) for k in ("knee_flexion_l", "knee_flexion_r")]))
    return first - back, float(np.mean(te)), float(np.mean(ke)), {r.track_id for _, r, _ in got}


def test_good_morning_lost_on_the_way_down_is_regained_at_the_bottom(good_morning):
    """The cloud is gone for 1.2 s (the track is lost) and comes back at the bottom of the
    rep (trunk ~70 deg): regained within 0.5 s, bent over (not a standing or squatting
    fit: trunk and knees near the truth), the same person. Before the restart poses were
    pitched to the hinge depth the cloud's top shows, this came back 0.7 s late with the
    knees fitted at 72-81 deg against straight ones (capsule)."""
    take, frames, bottom, _ = good_morning
    drop = range(bottom - 36, bottom)
    _, rows = _track_with_drop(take, frames, drop)
    assert any(r.state == "lost" for i, r, _ in rows if i in drop)
    frames_late, trunk_err, knee_err, ids = _regain(take, rows, bottom)
    assert frames_late <= 15, f"regained {frames_late} frames after the cloud came back"
    assert take.truth_angles["trunk_inclination"][bottom + frames_late] > 40.0   # still bent over
    assert trunk_err < 12.0 and knee_err < 15.0, (trunk_err, knee_err)
    assert ids == {1}


def test_good_morning_gap_ending_half_way_up_is_regained_in_the_new_pose(good_morning):
    """A 0.6 s gap (shorter than a loss) from the bottom to half way up: the track used to
    resume from the stale bottom pose and stay folded (trunk ~70 deg, knees ~30 deg, on a
    lifter at 30 deg with straight knees) for seconds. A cloud back after a gap restarts as
    after a loss: right within 0.5 s."""
    take, frames, _, half_up = good_morning
    drop = range(half_up - 18, half_up)
    _, rows = _track_with_drop(take, frames, drop)
    frames_late, trunk_err, knee_err, ids = _regain(take, rows, half_up)
    assert frames_late <= 15, f"regained {frames_late} frames after the cloud came back"
    assert trunk_err < 12.0 and knee_err < 15.0, (trunk_err, knee_err)
    assert ids == {1}


def test_a_lifter_lost_bent_over_and_back_half_way_up_is_regained_where_his_hips_went():
    """Shape O holding dumbbells, lost for 1 s from near the bottom of a rep (trunk ~50 deg) and
    back half way up: the pelvis has come ~0.2 m towards the mirror meanwhile. Every restart
    kept the last good pose's hips (pitched about them), none converged onto the lifter
    (0.5-0.7 of the cloud explained for the track's 0.99), and the track came back as a new
    person 19 frames late. The restarts are now placed where a hinge puts the hips, with the
    hanging arms still hanging: regained within 0.5 s, the same person, in the new pose."""
    take, frames = _segmented(get_scenario("mesh_O_faults2@mesh"), 172)
    drop = range(121, 151)
    trunk = take.truth_angles["trunk_inclination"]
    assert trunk[drop[0]] > 40.0 and trunk[drop[-1] + 1] < trunk[drop[0]] - 15.0   # lost bent, back higher
    _, rows = _track_with_drop(take, frames, drop)
    assert rows[drop[-1]][1].state == "lost"
    frames_late, trunk_err, knee_err, ids = _regain(take, rows, drop[-1] + 1)
    assert frames_late <= 15, f"regained {frames_late} frames after the cloud came back"
    assert ids == {1}
    assert trunk_err < 8.0 and knee_err < 10.0, (trunk_err, knee_err)


def test_standing_with_a_hand_raised_beside_the_head_is_picked_up_within_a_second():
    """CMU 13_31's first pose (the right hand up beside the head, soft knees), held still, on
    the mesh body with the camera at 1.0 m: the hand was the blob's top, the upright test
    took it for the head on most frames and tracking never started. The head and stature now
    come from the points over the legs and hips."""
    sc = replace(get_scenario("mocap_toe_touch@mesh"), mount_height_m=1.0, mocap_window_s=(0.5, 1.0),
                 mocap_hold_s=2.5)
    _, frames = _segmented(sc, 30)
    trk = Tracker()
    tracked = [trk.update(c, h).tracked for c, h, _ in frames]
    assert any(tracked), "never started"
    assert sum(tracked) >= 20, tracked       # within 1 s of the first frame, and kept
    assert abs(trk.shape.height_m - sc.athlete.height_m) < 0.08


@pytest.mark.parametrize("body, implement", [("mesh", None), ("capsule", None), ("mesh", "barbell"),
                                             pytest.param("capsule", "kettlebell", marks=pytest.mark.slow)])
def test_a_relaxed_standing_person_is_picked_up_within_a_second(body, implement):
    """An ordinary person standing still at the mirror: soft knees (20 deg), the hips a little
    flexed, a slouch and the head forward, arms a little away from the body (trunk 5-9 deg,
    hip 15-19 deg). The head sits 7-12% of the height ahead of the hips, over the head-over-
    hips limit (6%), and tracking never started (issue 8's independent set: never, while a real
    person stood still 2.5 s). The chest is over the hips (trunk_tilt_deg 2-6 deg here): it
    starts now, and the fit it starts matches the truth."""
    from station.scoring import standing_still_t, start_latency_s

    sc = Scenario("relaxed_stance", "a relaxed stance, held still", 501,
                  athlete=Athlete(1.72, 0.5, "tight", implement), motion="stand", soft_knee_deg=20.0,
                  arms_out_m=0.2 if implement is None else 0.0, stand_posture_deg=(15.0, 8.0, 15.0), body=body)
    take, frames = _segmented(sc, 30)
    trk = Tracker()
    rows = [trk.update(c, h) for c, h, _ in frames]
    truth = take.truth_document("t")
    result = {"frames": [{"t": f["t"], "tracked": r.tracked} for f, r in zip(truth["frames"], rows)]}
    t_still = standing_still_t(truth)
    assert t_still is not None and t_still < 0.1
    assert start_latency_s(truth, result) <= 1.0, [r.tracked for r in rows]
    assert sum(r.tracked for r in rows) >= 25           # started within a few frames, and kept
    floor = frames[-1][2]
    a = contract_angles(rows[-1].skeleton.points_cam_m, np.asarray(floor.normal_cam), 0.0)
    i = len(rows) - 1
    assert abs(a["trunk_inclination"] - take.truth_angles["trunk_inclination"][i]) < 6.0
    err = np.linalg.norm(rows[-1].skeleton.points_cam_m[:15] - take.skeleton_cam_m[i][:15], axis=1)
    assert err.mean() < 0.06, f"MPJPE {err.mean() * 1000:.0f} mm"


def test_someone_bent_over_is_not_started_as_upright():
    """The other side of the relaxed stance: a trunk 25 deg forward (hip 32 deg) is a hinge, not
    a stance; the upright start must not take it."""
    sc = Scenario("bent_25", "held 25 deg forward", 502, athlete=Athlete(1.72, 0.5, "tight", None),
                  motion="stand", soft_knee_deg=15.0, stand_posture_deg=(32.5, 0.0, 0.0), body="mesh")
    _, frames = _segmented(sc, 12)
    trk = Tracker()
    assert not any(trk.update(c, h).tracked for c, h, _ in frames)


def test_a_head_folded_at_the_bottom_of_a_toe_touch_comes_back_up():
    """CMU 13_31 on the capsule athlete (shape D, camera 1.9 m, turned 25 deg): at the bottom
    of the first toe touch the head hangs among the knees; the fit's neck went to its limits
    (70 deg flexed, 40 deg to the side) and stayed folded onto the chest after the lifter
    stood up: the head 0.29 m off from 3.0 s to the next bend. A neck at a limit is now
    re-seeded at its rest (LimbSearch.unfold_head) when that explains the cloud better."""
    take, trk, rows = _run("mesh_D_mocap_toe_touch@capsule", range(0, 112))
    err = [np.linalg.norm(r.skeleton.points_cam_m[0] - take.skeleton_cam_m[i][0])
           for i, r, _ in rows if r.tracked and 2.9 <= take.times_s[i] <= 3.7]
    assert len(err) >= 20
    assert np.median(err) < 0.08, f"head {np.median(err) * 1000:.0f} mm off while standing up"
