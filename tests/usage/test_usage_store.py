"""The usage log's writer: queued, batched, durable across kill -9; retention."""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from datetime import date, timedelta
from pathlib import Path

import pytest

from station.usage.store import UsageLog, apply_retention, connect, insert_rows, open_for_writing, purge
from station.usage.summary import purge_old_files

REPO = Path(__file__).resolve().parents[2]


def _rep(log, set_id, t, faults=()):
    return log.rep(set_id, start_s=t, bottom_s=t + 1, end_s=t + 2, pattern="hinge",
                   metrics={"peak_hip_flexion": 80.0, "eccentric_s": 1.2, "max_lateral_shift": 0.01},
                   verdict="faults" if faults else "clean", faults=faults, exercise="rdl")


def test_events_arrive_batched_in_few_transactions(tmp_path):
    log = UsageLog(tmp_path / "u.sqlite3", "s1", flush_interval_s=0.3)
    sid = log.session_start(100.0)
    set_id = log.new_set_id()
    for i in range(2000):
        _rep(log, set_id, 100.0 + i, faults=("too_fast",) if i % 3 == 0 else ())
        log.cue(100.5 + i, "slow_the_lowering", "fault", "too_fast")
    log.set_done(set_id, session_id=sid, start_s=100.0, end_s=2102.0, exercise="rdl", pattern="hinge",
                 reps=2000, clean_reps=1333, rest_before_s=None)
    log.session_end(sid, 2200.0)
    assert log.flush()
    conn = connect(tmp_path / "u.sqlite3", readonly=True)
    assert conn.execute("SELECT count(*) FROM reps").fetchone()[0] == 2000
    assert conn.execute("SELECT count(*) FROM rep_faults").fetchone()[0] == 667
    assert conn.execute("SELECT count(*) FROM cues").fetchone()[0] == 2000
    assert conn.execute("SELECT start_s, end_s FROM presence").fetchall() == [(100.0, 2200.0)]
    assert conn.execute("SELECT reps, clean_reps, software_version, strictness FROM sets").fetchall() == \
        [(2000, 1333, "0.1.0", "standard")]
    # 4670 rows, queued far faster than one flush interval: a handful of transactions, not thousands
    assert log.committed_rows == 2000 + 667 + 2000 + 1 + 1 + 1
    assert log.commits <= 5
    log.close()


def test_ids_continue_after_a_restart(tmp_path):
    with UsageLog(tmp_path / "u.sqlite3", "s1") as log:
        a = log.new_set_id()
        _rep(log, a, 10.0)
    with UsageLog(tmp_path / "u.sqlite3", "s1") as log:
        b = log.new_set_id()
        r = _rep(log, b, 20.0)
    assert b == a + 1 and r == 2


CHILD = textwrap.dedent("""
    import sys, time
    from station.usage.store import UsageLog
    log = UsageLog(sys.argv[1], "killed-station")
    sid = log.session_start(time.time())
    set_id = log.new_set_id()                   # a set that never ends: killed mid-set
    i = 0
    while True:
        i += 1
        t = time.time()
        log.rep(set_id, start_s=t, bottom_s=t, end_s=t, pattern="hinge", metrics={"eccentric_s": float(i)},
                verdict="faults" if i % 2 else "clean", faults=("rounded_back",) if i % 2 else ())
        log.cue(t, "brace_flat_back", "fault", "rounded_back")
        print(i, repr(time.monotonic()), flush=True)
        time.sleep(0.02)
""")


def test_kill_9_in_the_middle_of_a_set_loses_nothing_committed(tmp_path):
    """A real process writing a set is killed with SIGKILL: every rep it emitted more than a
    second before the kill is in the database, which opens clean."""
    path = tmp_path / "u.sqlite3"
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(path)], stdout=subprocess.PIPE, text=True, env=env)
    emitted: list[tuple[int, float]] = []
    t_start = time.monotonic()
    while time.monotonic() - t_start < 60:
        line = proc.stdout.readline()
        i, t = line.split()
        emitted.append((int(i), float(t)))
        if len(emitted) >= 150:          # about 3 s of writing
            break
    kill_t = time.monotonic()
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    assert proc.returncode == -signal.SIGKILL
    must_have = [i for i, t in emitted if t < kill_t - 1.0]
    assert len(must_have) > 50
    conn = sqlite3.connect(path)         # recovery from the WAL happens here
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    got = {int(r[0]) for r in conn.execute("SELECT eccentric_s FROM reps")}
    assert set(must_have) <= got
    n_faulty = sum(1 for i in must_have if i % 2)
    faults = conn.execute("SELECT count(*) FROM rep_faults f JOIN reps r ON r.id = f.rep_id "
                          "WHERE r.eccentric_s <= ?", (max(must_have),)).fetchone()[0]
    assert faults == n_faulty
    assert conn.execute("SELECT count(*) FROM cues").fetchone()[0] >= len(must_have)
    assert conn.execute("SELECT count(DISTINCT set_id) FROM reps").fetchone()[0] == 1
    assert conn.execute("SELECT count(*) FROM sets").fetchone()[0] == 0     # the set never closed
    conn.close()
    # the next start closes the orphaned presence session at the last thing recorded
    UsageLog(path, "killed-station").close()
    conn = sqlite3.connect(path)
    start, end = conn.execute("SELECT start_s, end_s FROM presence").fetchone()
    last_rep = conn.execute("SELECT max(end_s) FROM reps").fetchone()[0]
    assert end == pytest.approx(max(last_rep, conn.execute("SELECT max(t_s) FROM cues").fetchone()[0]))
    assert end > start


def test_retention_purges_exactly_what_is_older(tmp_path):
    path = tmp_path / "u.sqlite3"
    conn = open_for_writing(path)
    now = 1_800_000_000.0
    cutoff = now - 30 * 86400.0
    times = [cutoff - 86400, cutoff - 1e-3, cutoff, cutoff + 1e-3, now - 10]
    conn.execute("BEGIN")
    for i, t in enumerate(times, start=1):
        insert_rows(conn, "session_start", [(i, t)])
        insert_rows(conn, "set", [(i, i, t, t + 30, "rdl", "hinge", 1, 0, None, "0.1.0", "standard")])
        insert_rows(conn, "rep", [(i, i, t, t + 1, t + 2, "hinge") + (1.0,) * 7 + ("faults", "rdl", "0.1.0", "standard")])
        insert_rows(conn, "fault", [(i, "too_fast"), (i, "rounded_back")])
        insert_rows(conn, "unjudged", [(i, "hip_shift")])
        insert_rows(conn, "cue", [(t, "good_rep", "praise", None)])
        insert_rows(conn, "health", [(t, "startup", None, None)])
        insert_rows(conn, "sample", [(t, 60.0, 1800, 10.0)])
    conn.execute("COMMIT")
    conn.close()
    counts = apply_retention(path, 30, now_s=now)
    assert counts == {"rep_faults": 4, "rep_unjudged": 2, "reps": 2, "sets": 2, "presence": 2, "cues": 2, "health_events": 2,
                      "health_samples": 2}
    conn = sqlite3.connect(path)
    for table, col in (("reps", "start_s"), ("sets", "start_s"), ("presence", "start_s"), ("cues", "t_s"),
                       ("health_events", "t_s"), ("health_samples", "t_s")):
        assert sorted(r[0] for r in conn.execute(f"SELECT {col} FROM {table}")) == times[2:], table
    assert sorted({r[0] for r in conn.execute("SELECT rep_id FROM rep_faults")}) == [3, 4, 5]
    assert sorted(r[0] for r in conn.execute("SELECT rep_id FROM rep_unjudged")) == [3, 4, 5]
    assert purge(conn_rw := open_for_writing(path), cutoff)["reps"] == 0     # idempotent
    conn_rw.close()


def test_retention_removes_old_summaries_and_exports(tmp_path):
    today = date(2026, 11, 30)
    keep, old = today - timedelta(days=30), today - timedelta(days=31)
    names = [f"summary-{keep}.html", f"summary-{old}.html", f"summary-{old}.csv", f"usage-s1-{keep}.json",
             f"usage-s1-{old}.json", "notes.txt"]
    for n in names:
        (tmp_path / n).write_text("x")
    gone = purge_old_files(tmp_path, 30, today)
    assert sorted(p.name for p in gone) == sorted([f"summary-{old}.html", f"summary-{old}.csv", f"usage-s1-{old}.json"])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([f"summary-{keep}.html", f"usage-s1-{keep}.json", "notes.txt"])


def test_another_writer_holding_the_lock_delays_but_loses_nothing(tmp_path):
    path = tmp_path / "u.sqlite3"
    log = UsageLog(path, "s1", flush_interval_s=0.1)
    blocker = sqlite3.connect(path, isolation_level=None, timeout=0)
    blocker.execute("BEGIN EXCLUSIVE")       # e.g. the nightly retention holds the lock
    log.health("startup", 1.0)
    time.sleep(0.3)
    blocker.execute("COMMIT")
    blocker.close()
    assert log.flush(30)
    log.close()
    assert sqlite3.connect(path).execute("SELECT kind FROM health_events").fetchall() == [("startup",)]


def test_a_failed_write_is_retried_and_an_overflow_is_counted_in_the_log(tmp_path):
    d = tmp_path / "var"
    log = UsageLog(d / "u.sqlite3", "s1", flush_interval_s=0.05, max_pending=5)
    d.rename(tmp_path / "away")              # the disk goes away under the station ...
    (tmp_path / "var").write_text("not a directory")
    for i in range(8):
        log.cue(float(i), "good_rep")
    t0 = time.monotonic()
    while log.write_errors == 0 and time.monotonic() - t0 < 10:
        time.sleep(0.02)
    assert log.write_errors >= 1 and log.dropped_rows == 3 and log.queued == 5   # the newest kept
    (tmp_path / "var").unlink()                # ... and comes back
    (tmp_path / "away").rename(d)
    assert log.flush(30)
    log.flush(30)                              # the note about the dropped rows follows
    log.close()
    conn = sqlite3.connect(d / "u.sqlite3")
    assert [t for t, in conn.execute("SELECT t_s FROM cues ORDER BY t_s")] == [3.0, 4.0, 5.0, 6.0, 7.0]
    assert conn.execute("SELECT kind, value FROM health_events").fetchall() == [("dropped_events", 3.0)]
