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
    # a track lost mid-set is taken up again in whatever pose the lifter is in: not the start
    # prompt (the evaluator decides when "reacquiring" shows: test_a_lost_track_mid_set...)
    lost = TrackResult(False, None, "lost", {}, None, reacquiring=True)
    assert view_notice(_seg(c), lost, FLOOR) == "reacquiring"
    assert view_notice(_seg(None), lost, FLOOR) is None
    # its re-acquisition window has passed: only an upright start finds the lifter now
    gone = TrackResult(False, None, "lost", {}, None, reacquiring=False)
    assert view_notice(_seg(c), gone, FLOOR) == "stand_tall_to_start"
    # one frame dropped mid-set, the track kept (rdl_mixed_faults at 4.17 s, on the way down of
    # rep 1): no start prompt over the rep in progress
    dropped = TrackResult(False, None, "tracking", {}, None)
    assert view_notice(_seg(c), dropped, FLOOR) is None


def test_a_lost_track_mid_set_is_quiet_then_says_what_would_help():
    """Two reps, then the track is lost on the way down of the third (the lifter bent over, in
    view: the pipeline says "reacquiring"). For REACQUIRE_QUIET_S nothing shows; then the set's
    screen stays up with the re-acquisition notice (not the start prompt, not the idle screen,
    not the set's summary); after the tracker's re-acquisition window only an upright start can
    find the lifter, and the start prompt shows. Taken up again, the notice goes at once."""
    from station.config import load_exercise
    from station.fit.tracker import TrackerConfig
    from station.form.confidence_gate import REACQUIRE_QUIET_S
    from station.form.evaluator import FormEvaluator
    from station.model import ANGLES
    from tests.form.traces import Move, hinge, script

    t, ang, _ = script(hinge() + hinge() + [Move({"hip": 60.0, "knee": 15.0, "trunk": 45.0}, 1.0)],
                       tail_s=0.0)
    ev = FormEvaluator(load_exercise("rdl"))
    for i in range(len(t)):
        st = ev.update(float(t[i]), {k: float(ang[k][i]) for k in ANGLES})
    assert st.phase in ("lowering", "bottom") and st.rep_count == 2 and st.notice is None
    t_lost, fps = float(t[-1]), 30.0
    seen = []
    window = TrackerConfig().reacquire_window_frames
    for k in range(1, window + 40):
        # what the pipeline says while the tracker's TrackResult.reacquiring holds, then after
        st = ev.update(t_lost + k / fps, None,
                       notice="reacquiring" if k <= window else "stand_tall_to_start")
        seen.append((k / fps, st))
    quiet = [s for dt, s in seen if dt < REACQUIRE_QUIET_S - 1e-6]
    assert quiet and all(s.notice is None and s.screen == "live" for s in quiet)
    trying = [s for dt, s in seen if REACQUIRE_QUIET_S + 0.05 <= dt <= (window - 1) / fps]
    assert trying and all(s.notice == "reacquiring" and "start" not in s.notice_text for s in trying)
    # the set's screen, until the set's rest time has passed without a rep (its summary)
    assert all(s.screen == "live" and s.rep_count == 2 for dt, s in seen
               if REACQUIRE_QUIET_S <= dt <= 3.0)
    late = [s for dt, s in seen if dt > (window + 1) / fps]
    assert late and all(s.notice == "stand_tall_to_start" for s in late)
    # a short loss, taken up again: the notice goes at once
    ev2 = FormEvaluator(load_exercise("rdl"))
    for i in range(len(t)):
        ev2.update(float(t[i]), {k: float(ang[k][i]) for k in ANGLES})
    for k in range(1, 25):   # 0.8 s lost
        st = ev2.update(t_lost + k / fps, None, notice="reacquiring")
    assert st.notice == "reacquiring"
    a = {k: float(ang[k][-1]) for k in ANGLES}
    st = ev2.update(t_lost + 25 / fps, a)
    # back mid-set, bent over, after a gap the detector bridges (reps.MAX_GAP_S): the set's
    # screen and the rep going on, not "get in position ... your set starts"
    assert st.notice is None and st.screen == "live" and st.rep_count == 2
    assert st.phase in ("lowering", "bottom")


def test_nobody_tracked_yet_is_asked_to_stand_tall_at_once():
    from station.config import load_exercise
    from station.form.evaluator import FormEvaluator

    ev = FormEvaluator(load_exercise("rdl"))
    st = ev.update(0.0, None, notice="stand_tall_to_start")
    assert st.notice == "stand_tall_to_start"


def test_a_view_mostly_blank_is_a_blocked_view():
    """A quarter or more of the scene the segmenter has learned reading no depth (something
    in front of the camera, nearer than it can range) is said before anything about the
    lifter's place; a few blank pixels (the sensor's edges) are not."""
    c = _cloud()
    blocked = replace(_seg(c), blind_share=0.4)
    assert view_notice(blocked, _track(10.0), FLOOR) == "view_blocked"
    assert view_notice(blocked, _track(50.0), FLOOR) == "view_blocked"
    assert view_notice(replace(_seg(c), blind_share=0.02), _track(10.0), FLOOR) is None
    assert view_notice(replace(_seg(None), person_present=False, blind_share=0.9), _track(10.0), FLOOR) is None


def test_blind_share_counts_only_the_learned_scene():
    from station.segment.background import BackgroundModel
    bg = BackgroundModel((4, 5))
    assert bg.blind_share(np.zeros((4, 5), np.float32)) is None
    bg.count[:2] = bg.params.min_count        # the top half learned
    depth = np.full((4, 5), 3.0, np.float32)
    depth[0] = 0.0                            # one learned row blank
    depth[3] = 0.0                            # an unlearned row blank: not counted
    assert bg.blind_share(depth) == 0.5


def test_someone_in_front_of_the_lifter_is_a_blocked_view():
    """Something nearer than the lifter over where they were last seen whole
    (SegmentResult.occluded_share at or over OCCLUDED_MIN_SHARE, for a lifter the tracker
    holds) is said first, even with no lifter left in view; a sliver of it is not."""
    from station.app import OCCLUDED_MIN_SHARE, occluded
    c = _cloud()
    assert occluded(replace(_seg(c), occluded_share=OCCLUDED_MIN_SHARE))
    assert not occluded(replace(_seg(c), occluded_share=0.5 * OCCLUDED_MIN_SHARE))
    assert not occluded(_seg(c))                      # no lifter seen whole lately: None
    assert view_notice(_seg(c), _track(10.0), FLOOR, blocked=True) == "view_blocked"
    hidden = replace(_seg(None), person_present=False)
    assert view_notice(hidden, TrackResult(False, None, "lost", {}, None), FLOOR, blocked=True) == "view_blocked"
    assert view_notice(_seg(c), _track(10.0), FLOOR, blocked=False) is None


def test_a_view_blocked_for_long_stays_blocked_and_the_scene_is_kept():
    """The upper 40 % of the camera's view covered for 15 s with the lifter in view (a towel
    over part of the lens): the blank share keeps counting as blind all along (before, the
    blank pixels were forgotten after count_max frames, 10 s, and the notice went), and once
    the cover is lifted the scene is still the one learned before it."""
    from station.model import DepthFrame
    from station.segment.background import VIEW_BLOCKED_MIN_SHARE
    from station.sim.scenarios import build, get_scenario
    from tests.helpers import scenario_pipeline

    sc = get_scenario("rdl_clean")
    take = build(sc)
    seg = scenario_pipeline(sc, seed=0).segmenter
    fps = sc.fps
    n_before, n_cover = 2 * fps, 15 * fps
    blind, learned = [], None
    for i in range(n_before + n_cover + 5):
        depth = take.render_u16(i % len(take.times_s)).copy()
        covered = n_before <= i < n_before + n_cover
        if covered:
            depth[: int(0.4 * depth.shape[0])] = 0
        r = seg.process(DepthFrame(depth, 0.001, take.intrinsics, i / fps, i))
        if i == n_before - 1:
            learned = seg.background.learned().copy()
        if covered:
            blind.append(r.blind_share)
    assert min(blind) > VIEW_BLOCKED_MIN_SHARE
    assert r.blind_share is not None and r.blind_share < 0.05
    # what was learned before the cover is still learned after it
    assert np.mean(seg.background.learned()[learned]) > 0.95


def test_a_blocked_view_notice_goes_soon_after_the_lifter_is_seen_again():
    """Someone crosses in front for 0.8 s ("view_blocked" while the lifter is hidden); once the
    lifter is tracked again with nothing in front, the notice goes after notice_after_s (it
    took to show), not after the 1.5 s hold that keeps notices from flickering: the lifter is
    coached again and the screen should not say the view is blocked."""
    from station.config import load_exercise
    from station.form.evaluator import FormEvaluator
    from station.model import ANGLES
    from tests.form.traces import hinge, script

    t, ang, _ = script(hinge() + hinge(), tail_s=0.5)
    ev = FormEvaluator(load_exercise("rdl"))
    for i in range(len(t)):
        ev.update(float(t[i]), {k: float(ang[k][i]) for k in ANGLES})
    t0, fps = float(t[-1]), 30.0
    for k in range(1, 25):
        st = ev.update(t0 + k / fps, None, notice="view_blocked")
    assert st.notice == "view_blocked"
    a = {k: float(ang[k][-1]) for k in ANGLES}
    seen = [(k / fps, ev.update(t0 + (24 + k) / fps, a)) for k in range(1, 60)]
    after = ev.confidence.gate.notice_after_s
    assert all(s.notice == "view_blocked" for dt, s in seen if dt < after - 1e-6)
    assert all(s.notice is None for dt, s in seen if dt >= after + 2.0 / fps)
