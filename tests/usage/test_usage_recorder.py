"""The running station's events: the real form evaluator's reps, sets and cues, presence and
health, recorded through UsageRecorder into a real log (and end to end through the demo)."""
from __future__ import annotations

import sqlite3

import pytest

from station.config import load_station_config
from station.form.evaluator import FormEvaluator
from station.model import Tick
from station.overlay.view import Health
from station.usage.recorder import UsageRecorder, rep_verdict
from station.usage.store import UsageLog
from tests.form.traces import Move, hinge, script
from tests.helpers import SilentSource as _NoFrames  # noqa: E402

T0 = 1_800_000_000.0


def _visit():
    """Two sets (3 reps, one rounded; then 2 reps) with a 10 s rest, then the lifter leaves."""
    moves = hinge() + hinge(spine=30.0) + hinge() + [Move({}, 0.0, 10.0)] + hinge() + hinge(ecc=0.5)
    return script(moves, tail_s=12.0)


def test_the_evaluator_s_reps_sets_cues_and_presence_are_recorded(tmp_path):
    cfg = load_station_config()
    t, ang, _ = _visit()
    ev = FormEvaluator.from_config(cfg)
    now = [T0]
    log = UsageLog(tmp_path / "u.sqlite3", cfg.station.id)
    rec = UsageRecorder(log, cfg, clock=lambda: now[0], sample_period_s=10.0)
    rec.started()
    cues = []
    leave_at = t[-1] - 7.0                        # the lifter steps out 7 s before the end
    for i, ts in enumerate(t):
        now[0] = T0 + ts
        present = ts < leave_at
        angles = {k: float(v[i]) for k, v in ang.items()} if present else None
        state = ev.update(float(ts), angles)
        if state.cue is not None and (not cues or cues[-1] != (state.cue.key, state.cue.t_s)):
            cues.append((state.cue.key, state.cue.t_s))
        tick = Tick(seq=i, arrival_mono=ts, done_mono=ts + 0.005, t_s=float(ts), state=state, skeleton_cam_m=None,
                    floor=None, track_state="tracking" if present else "lost", person_present=present,
                    person_upright=True, person_centroid_floor_m=None, camera_height_m=None, camera_pitch_deg=None)
        rec.frame(tick, ev)
        if i == 100:
            rec.health(Health(camera_status="reconnecting"))
        if i == 130:
            rec.health(Health(camera_status="streaming"))
        if i == 150:
            rec.health(Health(config_error="station.toml: camera.fps = 45 — not one of the allowed values"))
            rec.config_reloaded(cfg.model_copy(update={"exercise": cfg.exercise.model_copy(update={"strictness": "strict"})}))
    rec.stopped(ev)
    rec.close()

    assert len(ev.reps) == 5 and len(ev.sets) == 2
    conn = sqlite3.connect(tmp_path / "u.sqlite3")
    reps = conn.execute("SELECT set_id, start_s, bottom_s, end_s, pattern, verdict, exercise, strictness, "
                        "peak_hip_flexion_deg, eccentric_s FROM reps ORDER BY id").fetchall()
    assert len(reps) == 5
    reload_t = t[150]
    for row, v in zip(reps, ev.reps):
        assert row[1:4] == pytest.approx((T0 + v.start_t, T0 + v.bottom_t, T0 + v.end_t))
        # the strictness in force when the rep was recorded (a reload made it strict)
        assert row[4:8] == (v.pattern, rep_verdict(v), "rdl", "standard" if v.end_t < reload_t else "strict")
        assert row[8] == pytest.approx(v.metrics["peak_hip_flexion"])
        assert row[9] == pytest.approx(v.metrics["eccentric_s"])
    assert [r[0] for r in reps] == [1, 1, 1, 2, 2]
    faults = conn.execute("SELECT rep_id, fault FROM rep_faults ORDER BY rep_id, fault").fetchall()
    assert faults == sorted((i + 1, f) for i, v in enumerate(ev.reps) for f in v.faults)
    assert ("rounded_back" in ev.reps[1].faults) and ("too_fast" in ev.reps[4].faults)
    sets = conn.execute("SELECT id, session_id, start_s, end_s, exercise, reps, clean_reps, rest_before_s, "
                        "software_version FROM sets ORDER BY id").fetchall()
    assert [(s[0], s[1], s[4], s[5], s[6], s[8]) for s in sets] == [
        (1, 1, "rdl", 3, ev.sets[0].clean_reps, "0.1.0"), (2, 1, "rdl", 2, ev.sets[1].clean_reps, "0.1.0")]
    assert sets[0][7] is None
    assert sets[1][7] == pytest.approx(ev.reps[3].start_t - ev.reps[2].end_t)      # the rest between sets
    assert conn.execute("SELECT cue FROM cues ORDER BY t_s").fetchall() == [(k,) for k, _ in cues]
    (start, end), = conn.execute("SELECT start_s, end_s FROM presence").fetchall()
    assert start == pytest.approx(T0 + t[0]) and end == pytest.approx(T0 + leave_at, abs=0.05)
    events = conn.execute("SELECT kind, value FROM health_events ORDER BY id").fetchall()
    assert [k for k, _ in events] == ["startup", "camera_lost", "camera_recovered", "config_refused",
                                      "config_reload", "shutdown"]
    assert events[2][1] == pytest.approx(1.0, abs=0.05)           # 30 frames at 30 fps without the camera
    frames, = conn.execute("SELECT sum(frames) FROM health_samples").fetchone()
    assert frames == len(t)


def test_a_rep_the_coach_could_not_judge_is_never_recorded_as_clean():
    from station.model import RepVerdict

    assert rep_verdict(RepVerdict(0, 1, 2, "hinge", (), {})) == "clean"
    assert rep_verdict(RepVerdict(0, 1, 2, "hinge", ("too_fast",), {})) == "faults"
    # the spine could not be judged and nothing else was wrong: not judged, not clean
    assert rep_verdict(RepVerdict(0, 1, 2, "hinge", (), {}, not_judged=("rounded_back",))) == "not_judged"
    assert rep_verdict(RepVerdict(0, 1, 2, "hinge", ("too_fast",), {}, not_judged=("rounded_back",))) == "faults"




def _record_one_set(tmp_path, moves, written_at_reps: int):
    """One confident set through the evaluator and UsageRecorder into a real log: the
    evaluator, the reps' verdicts in the log once written_at_reps reps had finished, and the
    log's connection at the end."""
    cfg = load_station_config()
    t, ang, _ = script(moves, tail_s=12.0)
    ev = FormEvaluator.from_config(cfg)
    now = [T0]
    log = UsageLog(tmp_path / "u.sqlite3", cfg.station.id)
    rec = UsageRecorder(log, cfg, clock=lambda: now[0])
    rec.started()
    written = []
    for i, ts in enumerate(t):
        now[0] = T0 + ts
        state = ev.update(float(ts), {k: float(v[i]) for k, v in ang.items()}, angle_confidence={k: 0.9 for k in ang})
        tick = Tick(seq=i, arrival_mono=ts, done_mono=ts + 0.005, t_s=float(ts), state=state, skeleton_cam_m=None,
                    floor=None, track_state="tracking", person_present=True, person_upright=True,
                    person_centroid_floor_m=None, camera_height_m=None, camera_pitch_deg=None)
        rec.frame(tick, ev)
        if len(ev.reps) == written_at_reps and not written:
            log.flush()
            written = sqlite3.connect(tmp_path / "u.sqlite3").execute("SELECT verdict FROM reps ORDER BY id").fetchall()
    rec.stopped(ev)
    rec.close()
    return ev, written, sqlite3.connect(tmp_path / "u.sqlite3")


def test_a_rep_judged_again_before_its_set_closes_is_written_again(tmp_path):
    # the set's third rep reads the back 25 deg extended at the bottom: the fit reads this
    # lifter's spine short, so the first two reps' backs, recorded "clean" as they finished,
    # are not judged after all (station.form.evaluator); the log must not keep the "clean"
    ev, written, conn = _record_one_set(tmp_path, hinge() + hinge() + hinge(spine=-25.0), 2)
    assert written == [("clean",), ("clean",)]        # as the first two reps finished
    assert [r.verdict for r in ev.reps] == ["not judged"] * 3
    assert conn.execute("SELECT verdict FROM reps ORDER BY id").fetchall() == [("not_judged",)] * 3
    assert conn.execute("SELECT rep_id, rule FROM rep_unjudged WHERE rule = 'rounded_back' ORDER BY rep_id"
                        ).fetchall() == [(1, "rounded_back"), (2, "rounded_back"), (3, "rounded_back")]
    assert conn.execute("SELECT clean_reps FROM sets").fetchall() == [(0,)]


def test_a_back_found_rounded_on_a_later_rep_s_evidence_is_written_again(tmp_path):
    # the first rep reads 10 deg at its bottom, the next two 12 deg extended: the fit reads this
    # lifter 12 deg short at depth (station.form.confidence_gate.depth_shortfall_deg), so the
    # first back, recorded "clean" as it finished, was rounded 22 deg: the log gets the fault
    ev, written, conn = _record_one_set(tmp_path, hinge(spine=10.0) + hinge(spine=-12.0) + hinge(spine=-12.0), 1)
    assert written == [("clean",)]                     # as the first rep finished
    assert ev.reps[0].faults == ("rounded_back",)
    assert conn.execute("SELECT verdict FROM reps ORDER BY id").fetchone() == ("faults",)
    assert conn.execute("SELECT rep_id, fault FROM rep_faults").fetchall() == [(1, "rounded_back")]


class _LostCamera:
    status = "reconnecting"
    last_error = "USB device disconnected"


def test_the_runtime_records_start_up_camera_loss_and_shutdown(tmp_path):
    import os
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    from station.live import Station
    from tests.overlay.fixtures import CFG

    log = UsageLog(tmp_path / "u.sqlite3", CFG.station.id)
    st = Station(CFG, _NoFrames(), size_px=(270, 480), headless=True, camera=_LostCamera(), max_s=0.4,
                 usage=UsageRecorder(log, CFG))
    st.run()
    log.close()
    conn = sqlite3.connect(tmp_path / "u.sqlite3")
    rows = conn.execute("SELECT kind, detail FROM health_events ORDER BY id").fetchall()
    assert rows == [("startup", None), ("camera_lost", "reconnecting"), ("shutdown", None)]


@pytest.mark.slow
def test_the_demo_writes_its_visit_to_the_usage_log(tmp_path):
    """The whole station on the synthetic athlete (8 s, as fast as it runs) into --usage-log."""
    from station.demo import run_demo

    path = tmp_path / "demo.sqlite3"
    stats = run_demo("rdl_clean", headless=True, seconds=8.0, real_time=False, quiet=True, size_px=(270, 480),
                     usage_log=str(path))
    assert stats.worker_error is None and stats.max_rep_count >= 1
    conn = sqlite3.connect(path)
    kinds = [k for k, in conn.execute("SELECT kind FROM health_events ORDER BY id")]
    assert kinds[0] == "startup" and kinds[-1] == "shutdown"
    n_reps, = conn.execute("SELECT count(*) FROM reps").fetchone()
    assert n_reps >= stats.max_rep_count
    assert conn.execute("SELECT count(*) FROM presence").fetchone()[0] == 1
    assert conn.execute("SELECT count(*) FROM sets").fetchone()[0] >= 1          # closed at the end
    assert conn.execute("SELECT sum(frames) FROM health_samples").fetchone()[0] == stats.ticks_made


def test_a_fault_in_the_recorder_never_stops_the_coaching(tmp_path, caplog):
    log = UsageLog(tmp_path / "u.sqlite3", "s1")
    rec = UsageRecorder(log)
    rec.frame(object(), None)          # not a tick at all
    rec.health(None)
    assert rec.failures == 2 and "the station keeps coaching" in caplog.text
    log.close()


def test_a_not_judged_rep_is_recorded_with_the_rules_the_coach_could_not_judge(tmp_path):
    from types import SimpleNamespace

    from station.model import RepVerdict
    from station.usage.figures import figures_by_day
    from station.usage.store import connect

    log = UsageLog(tmp_path / "u.sqlite3", "s1")
    rec = UsageRecorder(log, clock=lambda: T0 + 10.0)
    reps = [RepVerdict(1.0, 2.0, 3.0, "hinge", (), {"eccentric_s": 1.0}, not_judged=("rounded_back", "hip_shift")),
            RepVerdict(4.0, 5.0, 6.0, "hinge", (), {"eccentric_s": 1.0})]
    finished = SimpleNamespace(reps=[], sets=[], exercise="rdl")     # what the evaluator has finished so far
    state = SimpleNamespace(cue=None)
    tick = Tick(seq=1, arrival_mono=0.0, done_mono=0.001, t_s=10.0, state=state, skeleton_cam_m=None, floor=None,
                track_state="tracking", person_present=True, person_upright=True, person_centroid_floor_m=None,
                camera_height_m=None, camera_pitch_deg=None)
    rec.frame(tick, finished)
    finished.reps.extend(reps)
    rec.frame(tick, finished)
    log.close()
    conn = connect(tmp_path / "u.sqlite3", readonly=True)
    assert conn.execute("SELECT verdict FROM reps ORDER BY id").fetchall() == [("not_judged",), ("clean",)]
    assert sorted(conn.execute("SELECT rep_id, rule FROM rep_unjudged").fetchall()) == [(1, "hip_shift"), (1, "rounded_back")]
    from datetime import datetime, timezone
    day = datetime.fromtimestamp(T0, timezone.utc).date()
    f = figures_by_day(conn, [day], timezone.utc)[day]
    assert (f.clean_reps, f.not_judged_reps, f.judged_reps) == (1, 1, 1)
    assert f.unjudged_rules == {"rounded_back": 1, "hip_shift": 1}


def test_a_config_reload_mid_set_still_writes_that_set_s_row(tmp_path):
    """A reload that replaces the evaluator between two reps of a set: the set's first two
    reps and the set itself are recorded (closed at the reload); the new evaluator's rep
    starts a set of its own."""
    cfg = load_station_config()
    t, ang, _ = script(hinge() + hinge() + hinge(), tail_s=12.0)
    whole = FormEvaluator.from_config(cfg)
    for i, ts in enumerate(t):
        whole.update(float(ts), {k: float(v[i]) for k, v in ang.items()})
    whole.finish()
    assert len(whole.reps) == 3 and len(whole.sets) == 1          # one set of three, uninterrupted
    reload_t = 0.5 * (whole.reps[1].end_t + whole.reps[2].start_t)

    ev = FormEvaluator.from_config(cfg)
    now = [T0]
    log = UsageLog(tmp_path / "u.sqlite3", cfg.station.id)
    rec = UsageRecorder(log, cfg, clock=lambda: now[0])
    rec.started()
    first = ev
    for i, ts in enumerate(t):
        now[0] = T0 + ts
        if ev is first and ts >= reload_t:                          # what Pipeline.reconfigure does
            ev = FormEvaluator.from_config(cfg)
            rec.config_reloaded(cfg)
        state = ev.update(float(ts), {k: float(v[i]) for k, v in ang.items()})
        tick = Tick(seq=i, arrival_mono=ts, done_mono=ts + 0.005, t_s=float(ts), state=state, skeleton_cam_m=None,
                    floor=None, track_state="tracking", person_present=True, person_upright=True,
                    person_centroid_floor_m=None, camera_height_m=None, camera_pitch_deg=None)
        rec.frame(tick, ev)
    rec.stopped(ev)
    rec.close()

    assert len(first.reps) == 2 and len(ev.reps) == 1
    conn = sqlite3.connect(tmp_path / "u.sqlite3")
    sets = conn.execute("SELECT id, reps, start_s, end_s FROM sets ORDER BY id").fetchall()
    assert [(s[0], s[1]) for s in sets] == [(1, 2), (2, 1)]
    assert sets[0][2:] == pytest.approx((T0 + first.reps[0].start_t, T0 + first.reps[1].end_t))
    assert conn.execute("SELECT set_id FROM reps ORDER BY id").fetchall() == [(1,), (1,), (2,)]
    # nothing left dangling: every rep's set has its row
    assert conn.execute("SELECT count(*) FROM reps WHERE set_id NOT IN (SELECT id FROM sets)").fetchone() == (0,)


def _two_visits():
    """Visit 1: a set of two reps, then the lifter leaves for 10 s; visit 2: a set of two."""
    t, ang, _ = script(hinge() + hinge() + [Move({}, 0.0, 10.0)] + hinge() + hinge(), tail_s=8.0)
    ev = FormEvaluator.from_config(load_station_config())
    for i, ts in enumerate(t):
        ev.update(float(ts), {k: float(v[i]) for k, v in ang.items()})
    ev.finish()
    assert len(ev.reps) == 4
    gap = (ev.reps[1].end_t + 2.0, ev.reps[2].start_t - 1.5)   # nobody in the zone
    return t, ang, gap


def _run_visits(rec, cfg, t, ang, gap, reload_at=None, cfg_after=None):
    ev = FormEvaluator.from_config(cfg)
    now = [T0]
    rec.clock = lambda: now[0]
    rec.started()
    for i, ts in enumerate(t):
        now[0] = T0 + ts
        if reload_at is not None and ts >= reload_at:
            rec.config_reloaded(cfg_after)
            reload_at = None
        present = not (gap[0] <= ts < gap[1])
        state = ev.update(float(ts), {k: float(v[i]) for k, v in ang.items()} if present else None)
        tick = Tick(seq=i, arrival_mono=ts, done_mono=ts + 0.005, t_s=float(ts), state=state, skeleton_cam_m=None,
                    floor=None, track_state="tracking" if present else "lost", person_present=present,
                    person_upright=True, person_centroid_floor_m=None, camera_height_m=None, camera_pitch_deg=None)
        rec.frame(tick, ev)
    rec.stopped(ev)
    rec.close()
    return ev


def _with_log_path(cfg, path):
    return cfg.model_copy(update={"usage": cfg.usage.model_copy(update={"log_path": path})})


def test_a_new_usage_log_path_takes_over_between_visits_and_the_old_log_is_closed(tmp_path):
    cfg = _with_log_path(load_station_config(), tmp_path / "old.sqlite3")
    t, ang, gap = _two_visits()
    old = UsageLog(cfg.usage.log_path, cfg.station.id)
    rec = UsageRecorder(old, cfg)
    new_path = tmp_path / "moved" / "new.sqlite3"
    # staff change usage.log_path in the middle of the first visit's set
    ev = _run_visits(rec, cfg, t, ang, gap, reload_at=0.5 * (t[0] + gap[0]),
                     cfg_after=_with_log_path(cfg, new_path))
    assert len(ev.sets) == 2
    assert rec.log_path == new_path and not old._thread.is_alive()    # flushed and closed

    def rows(path):
        conn = sqlite3.connect(path)
        return (conn.execute("SELECT id, reps FROM sets ORDER BY id").fetchall(),
                conn.execute("SELECT set_id FROM reps ORDER BY id").fetchall(),
                conn.execute("SELECT count(*) FROM presence WHERE end_s IS NOT NULL").fetchone()[0],
                [k for k, in conn.execute("SELECT kind FROM health_events ORDER BY id")],
                conn.execute("SELECT sum(frames) FROM health_samples").fetchone()[0] or 0)

    sets_a, reps_a, visits_a, health_a, frames_a = rows(tmp_path / "old.sqlite3")
    sets_b, reps_b, visits_b, health_b, frames_b = rows(new_path)
    # the first visit, whole, in the old file; the second in the new one (its own numbering)
    assert (sets_a, reps_a, visits_a) == ([(1, 2)], [(1,), (1,)], 1)
    assert (sets_b, reps_b, visits_b) == ([(1, 2)], [(1,), (1,)], 1)
    assert health_a == ["startup", "config_reload", "log_closed"]
    assert health_b == ["log_opened", "shutdown"]
    assert frames_a + frames_b == len(t) and frames_a > 0 and frames_b > 0


def test_a_usage_log_path_that_cannot_be_used_is_refused_by_name_and_the_old_log_stays(tmp_path, caplog):
    cfg = _with_log_path(load_station_config(), tmp_path / "old.sqlite3")
    (tmp_path / "a-file").write_text("not a directory")
    bad = tmp_path / "a-file" / "usage.sqlite3"
    t, ang, gap = _two_visits()
    rec = UsageRecorder(UsageLog(cfg.usage.log_path, cfg.station.id), cfg)
    _run_visits(rec, cfg, t, ang, gap, reload_at=t[10], cfg_after=_with_log_path(cfg, bad))
    assert f"usage.log_path = '{bad}' refused" in caplog.text and "stays" in caplog.text
    assert rec.log_path == tmp_path / "old.sqlite3" and not bad.parent.is_dir()
    conn = sqlite3.connect(tmp_path / "old.sqlite3")
    assert conn.execute("SELECT count(*) FROM sets").fetchone()[0] == 2
    assert [k for k, in conn.execute("SELECT kind FROM health_events ORDER BY id")] == [
        "startup", "config_reload", "config_refused", "shutdown"]
