"""The coach end to end on short clips of the MESH athlete (a real human surface, not the
fitter's capsules): render -> segment -> fit -> confidence -> evaluator. A rounded back is
flagged, a clean rep raises no fault cue, and a back the camera cannot see (hidden for the
bottom of the rep) raises no fault and its rep is "not judged"."""
from __future__ import annotations


import numpy as np
import pytest

from station.model import DepthFrame
from station.sim.scenarios import build, get_scenario
from tests.helpers import scenario_pipeline


def _coach(name, reps: int = 1, hide=None, after_s: float = 1.0):
    """Run the first `reps` reps of a scenario (a name or a Scenario) and after_s more;
    hide(i, take, depth) may blank part of frame i."""
    sc = get_scenario(name) if isinstance(name, str) else name
    take = build(sc)
    end_t = take.reps[reps - 1].end_t + after_s
    n = int(np.searchsorted(take.times_s, end_t))
    pipe = scenario_pipeline(sc, seed=0)
    states, results = [], []
    for i in range(n):
        depth = take.render_u16(i).copy()
        if hide is not None:
            hide(i, take, depth)
        r = pipe.process(DepthFrame(depth, 0.001, take.intrinsics, float(take.times_s[i]), i))
        states.append(pipe.coach)
        results.append(r)
    pipe.evaluator.finish()
    return take, pipe, states, results


def _fault_cues(states, rule=None):
    return [s.cue for s in states if s is not None and s.cue is not None and s.cue.kind == "fault"
            and (rule is None or s.cue.rule == rule)]


@pytest.fixture(scope="module")
def rounded():
    return _coach("rdl_rounded_back@mesh")


def test_rounded_back_is_flagged_on_the_mesh_body(rounded):
    take, pipe, states, _ = rounded
    assert take.reps[0].faults and "rounded_back" in take.reps[0].faults
    reps = pipe.evaluator.reps
    assert len(reps) == 1
    assert "rounded_back" in reps[0].faults and reps[0].verdict == "fault"
    assert _fault_cues(states, "rounded_back")


def test_clean_rep_raises_no_fault_on_the_mesh_body():
    take, pipe, states, _ = _coach("rdl_clean@mesh")
    assert not take.reps[0].faults
    reps = pipe.evaluator.reps
    assert len(reps) == 1 and not reps[0].faults
    assert not _fault_cues(states)


def test_hidden_back_raises_no_fault_and_is_not_judged(rounded):
    """The same rounded rep, with the lifter's upper body hidden from the camera (no depth)
    from the start of the lowering: the coach cannot see the back round, so it says nothing
    about it, tells the lifter why, and does not call the rep clean."""
    take0, _, _, res0 = rounded
    rep = take0.reps[0]
    lo, hi = rep.start_t + 0.3, rep.end_t - 0.2

    def hide(i, take, depth):
        if lo <= take.times_s[i] <= hi:
            # everything above the lifter's hips in the image: the camera looks down at a
            # bent-over lifter's back and head, which an object right in front of it (nearer
            # than it can range: no depth) now covers
            v_hip = int(take.intrinsics.ppy + take.intrinsics.fy * take.skeleton_cam_m[i][9][1]
                        / take.skeleton_cam_m[i][9][2])
            depth[: max(v_hip, 0)] = 0

    take, pipe, states, results = _coach("rdl_rounded_back@mesh", hide=hide)
    reps = pipe.evaluator.reps
    assert not _fault_cues(states, "rounded_back")
    assert all("rounded_back" not in r.faults for r in reps)
    assert all(r.verdict != "clean" for r in reps)
    if reps:
        assert any("rounded_back" in r.not_judged for r in reps)
    in_stretch = [s for s, r in zip(states, results) if lo + 0.5 <= r.t_s + take.times_s[0] <= hi]
    # what would help, said while the back is hidden: at the bottom of a hinge too, where a
    # merely unsure fit says nothing (the bent trunk hides the thighs there on every rep)
    assert in_stretch and all(s.notice == "view_blocked" for s in in_stretch)


@pytest.mark.parametrize("name, offset_m, early_s", [("rdl_clean@mesh", -1.0, 0.0),
                                                     ("rdl_rounded_back@mesh", -1.0, 0.0),
                                                     ("rdl_rounded_back@mesh", -1.6, 1.5)])
def test_someone_crossing_in_front_mid_set_changes_nothing_but_that_rep(name, offset_m, early_s):
    """Someone crosses 1 m in front of the lifter (between them and the mirror) at the end of
    the third rep: the lifter is hidden for about 0.7 s. The station keeps them as the same
    person (before: an upright start on the half still in view read a 1.43 m stature and the
    standing spine off a 190 mm fit, and the rest of the rounded set read 25-60 deg round; on
    the clean set a restart fitted to the half in view was "tracked" 250-330 mm off and one
    rep went uncounted), says why it cannot see, takes them up again within half a second of
    the view clearing, calls no fault the rep did not have, and reads the next rep's spine as
    before the crossing.

    The third case passes 1 m from the camera (1.6 m in front of the lifter) at the third
    rep's bottom: the lifter had stood there since the start, so the scene behind them was
    never learned, and the walker became their background there (stop 66): their upper body
    stayed out of the cloud for 0.7 s after the walker had gone, the fit taken up again was
    100-300 mm off, and two rounded backs went unjudged."""
    from dataclasses import replace

    sc0 = get_scenario(name)
    sc = replace(sc0, walker=True, walker_offset_m=offset_m,
                 walker_start_s=build(sc0).reps[1].start_t - early_s)
    take, pipe, states, results = _coach(sc, reps=4, after_s=0.5)
    rows = [(float(t), r, st) for t, r, st in zip(take.times_s, results, states)]
    assert {r.track.track_id for _, r, _ in rows if r.tracked} == {1}
    share = np.array([np.nan if r.segment.occluded_share is None else r.segment.occluded_share for _, r, _ in rows])
    hidden = [k for k, (_, r, _) in enumerate(rows) if not r.tracked and share[k] >= 0.05]
    assert hidden, "the crossing should hide the lifter for some frames"
    assert all(rows[k][2].notice == "view_blocked" for k in hidden[len(hidden) // 2:])
    clear = next(k for k in range(hidden[-1], len(rows)) if share[k] < 0.05)
    back = next(k for k in range(clear, len(rows)) if rows[k][1].tracked)
    assert rows[back][0] - rows[clear][0] <= 0.5
    # every tracked frame after the crossing is the lifter, not a fit of half of them
    err_mm = [1000 * np.mean(np.linalg.norm(r.skeleton.points_cam_m - take.skeleton_cam_m[k], axis=1))
              for k, (_, r, _) in enumerate(rows) if k >= back and r.tracked]
    # (the failure this guards against is the whole body 100-300 mm off; at stop 67 the third
    # case is taken up again a frame later, its right arm still behind the walker, the arm
    # 170 mm off for two frames: 40.9 mm over the joints, then 18)
    assert max(err_mm) < 50.0
    assert np.median(err_mm) < 25.0
    reps = pipe.evaluator.reps
    assert len(reps) == 4
    for rep, truth in zip(reps, take.reps):
        assert set(rep.faults) <= set(truth.faults), (rep, truth)
    if not take.reps[0].faults:
        assert not _fault_cues([s for _, _, s in rows])
        assert [r.verdict for r in reps] == ["clean", "clean", "not judged", "clean"]
    else:   # the rounded backs seen are found, the one hidden at its end too
        assert all("rounded_back" in r.faults for r in reps)
    # the spine after the crossing reads as the truth does: the standing reference was kept
    k4 = [k for k, (t, r, _) in enumerate(rows) if take.reps[3].start_t <= t <= take.reps[3].end_t and r.tracked]
    err = [rows[k][1].angles["spine_flexion"] - take.truth_spine_flexion_deg[k] for k in k4]
    assert np.median(np.abs(err)) < 6.0


def test_a_walker_brushing_past_in_front_does_not_take_the_track():
    """Someone walks slowly past 0.6 m in front of the lifter (walker_brushing_past on the
    mesh body). At the bottom of a hinge the lifter's head is as near the camera as the
    walker, so for a few frames the two are one depth component. Before stop 67 the last
    frame's footprint then lay between them, nearer the walker; at the split the walker's
    component was chosen as the lifter, the fit was "tracked" on them 600-1000 mm off for
    1.7 s, the track was lost, a start on the lifter still half hidden was 60-100 mm off to
    the end of the set, and two reps went unjudged. The lifter's home (where their footprint
    has been over the last seconds) now outranks the last frame's footprint. With that alone
    the lifter's legs, out of the cloud for a few frames while the walker hid their body,
    became the background, and the fit's legs were 60-170 mm off to the end of the set: while
    the lifter's cloud is under half its usual size, where they just were is not learned."""
    take, pipe, states, results = _coach("walker_brushing_past@mesh", reps=5, after_s=0.5)
    assert {r.track.track_id for r in results if r.tracked} == {1}
    err_mm = np.array([1000 * np.mean(np.linalg.norm(r.skeleton.points_cam_m - take.skeleton_cam_m[k], axis=1))
                       if r.tracked else np.nan for k, r in enumerate(results)])
    # no tracked frame is somebody else: a fit of the walker is 600 mm off or more
    assert np.nanmax(err_mm) < 150.0, np.nanmax(err_mm)
    assert np.nanmedian(err_mm) < 30.0
    # the last two reps, after the walker has gone, are fitted as the first two were
    late = take.times_s[:len(results)] >= take.reps[3].start_t
    assert np.nanmax(err_mm[late]) < 40.0, np.nanmax(err_mm[late])
    tracked = np.mean([r.tracked for r in results if r.t_s + take.times_s[0] >= take.reps[0].start_t])
    assert tracked > 0.9, tracked
    reps = pipe.evaluator.reps
    assert len(reps) == 5
    assert all(not r.faults for r in reps)
    assert sum(r.verdict == "clean" for r in reps) >= 4
    assert not _fault_cues(states)
