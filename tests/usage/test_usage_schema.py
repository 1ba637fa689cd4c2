"""The usage log's schema: numbers, times and labels only; migrations from the first version."""
from __future__ import annotations

import sqlite3

import pytest

from station.usage.schema import LABEL_MAX, SCHEMA_VERSION, create_v1, migrate, version_of
from station.usage.store import UsageLog, UsageLogError, open_for_writing

TABLES = {"meta", "presence", "sets", "reps", "rep_faults", "rep_unjudged", "cues", "health_events", "health_samples"}
FREE_TEXT = ["Jane Doe", "jane@example.com", "/home/jane/photo.png", "x" * (LABEL_MAX + 1), "café", "a\nb", ""]


def _columns(conn, table):
    # cid, name, type, notnull, default, pk, hidden
    return [(r[1], r[2].upper(), r[3]) for r in conn.execute(f"PRAGMA table_xinfo({table})")]


def _a_row(conn, table, text_col=None, text_value=None):
    """A valid row for `table`, with `text_value` in `text_col`."""
    vals = {}
    for name, typ, _ in _columns(conn, table):
        if typ == "TEXT":
            vals[name] = "clean" if name == "verdict" else "rdl"
        elif typ == "INTEGER":
            vals[name] = None if name == "id" else 1
        else:
            vals[name] = 1.5
    if text_col:
        vals[text_col] = text_value
    cols = ", ".join(vals)
    conn.execute(f"INSERT OR REPLACE INTO {table} ({cols}) VALUES ({', '.join('?' * len(vals))})", list(vals.values()))


def test_no_table_holds_anything_but_numbers_times_and_labels(tmp_path):
    conn = open_for_writing(tmp_path / "u.sqlite3")
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables == TABLES
    text_cols = []
    for t in sorted(tables):
        for name, typ, _ in _columns(conn, t):
            assert typ in ("INTEGER", "REAL", "TEXT"), f"{t}.{name} is {typ or 'untyped'}: only numbers and labels"
            if typ == "TEXT":
                text_cols.append((t, name))
    assert len(text_cols) >= 10
    # every text column is a label: a valid one goes in, free text of any kind is refused
    for t, col in text_cols:
        _a_row(conn, t)                     # labels are fine
        for bad in FREE_TEXT:
            with pytest.raises(sqlite3.IntegrityError):
                _a_row(conn, t, col, bad)
    # numbers: a REAL or INTEGER column holds numbers (STRICT-like check through typeof)
    for t in sorted(tables):
        for name, typ, _ in _columns(conn, t):
            if typ in ("INTEGER", "REAL"):
                kinds = {r[0] for r in conn.execute(f"SELECT DISTINCT typeof({name}) FROM {t}")}
                assert kinds <= {"integer", "real", "null"}, (t, name, kinds)


def test_fresh_log_is_wal_at_the_current_version(tmp_path):
    conn = open_for_writing(tmp_path / "u.sqlite3")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert version_of(conn) == SCHEMA_VERSION


def test_migrates_a_version_1_log_keeping_its_data(tmp_path):
    path = tmp_path / "v1.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    create_v1(conn)
    assert version_of(conn) == 1
    conn.execute("INSERT INTO meta VALUES ('station_id', 'old-station')")
    conn.execute("INSERT INTO presence VALUES (1, 1000.0, 1300.0)")
    conn.execute("INSERT INTO sets VALUES (1, 1, 1010.0, 1040.0, 'deadlift', 'hinge', 2, 1, NULL)")
    conn.execute("INSERT INTO reps VALUES (1, 1, 1010.0, 1012.0, 1014.0, 'hinge', 80, 20, 5, 2, 2, 1, 0.01)")
    conn.execute("INSERT INTO reps VALUES (2, 1, 1020.0, 1022.0, 1024.0, 'hinge', 85, 45, 25, 2, 2, 1, 0.01)")
    conn.execute("INSERT INTO rep_faults VALUES (2, 'rounded_back')")
    conn.execute("INSERT INTO rep_faults VALUES (2, 'knee_dominant')")
    conn.execute("INSERT INTO health_events VALUES (1, 999.0, 'startup', NULL)")
    conn.close()

    log = UsageLog(path, "old-station")          # what a station does on start: migrate
    log.close()
    conn = sqlite3.connect(path)
    assert version_of(conn) == SCHEMA_VERSION
    reps = conn.execute("SELECT id, verdict, exercise, peak_hip_flexion_deg FROM reps ORDER BY id").fetchall()
    assert reps == [(1, "clean", "deadlift", 80.0), (2, "faults", "deadlift", 85.0)]
    assert conn.execute("SELECT count(*) FROM rep_faults").fetchone()[0] == 2
    assert conn.execute("SELECT exercise, reps, clean_reps FROM sets").fetchall() == [("deadlift", 2, 1)]
    assert conn.execute("SELECT kind, value FROM health_events").fetchall() == [("startup", None)]
    # the new tables work, and the summary reads the migrated log
    conn.execute("INSERT INTO cues (t_s, cue, kind) VALUES (1011.0, 'push_hips_back', 'fault')")
    conn.execute("INSERT INTO health_samples (t_s, period_s, frames, busy_s) VALUES (1060, 60, 1800, 12)")
    conn.commit()
    assert {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")} == TABLES
    # and the migrated schema is the fresh one, column for column
    fresh = open_for_writing(tmp_path / "fresh.sqlite3")
    for t in TABLES:
        assert _columns(conn, t) == _columns(fresh, t), t
    # opening again migrates nothing
    assert migrate(sqlite3.connect(path, isolation_level=None)) == (SCHEMA_VERSION, SCHEMA_VERSION)


def test_a_newer_schema_or_another_database_is_refused_with_the_file_named(tmp_path):
    newer = tmp_path / "newer.sqlite3"
    c = sqlite3.connect(newer)
    c.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    c.close()
    with pytest.raises(UsageLogError, match=r"newer.sqlite3: usage schema version \d+ is newer"):
        UsageLog(newer, "s")
    other = tmp_path / "other.sqlite3"
    c = sqlite3.connect(other)
    c.execute("CREATE TABLE people (name TEXT)")
    c.close()
    with pytest.raises(UsageLogError, match="other.sqlite3: .*not a usage log"):
        UsageLog(other, "s")
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"this is not a database" * 100)
    with pytest.raises(UsageLogError, match="garbage.sqlite3: not a readable usage log"):
        UsageLog(garbage, "s")


def test_the_summary_reads_a_log_from_older_software_without_changing_it(tmp_path):
    from datetime import datetime, timezone

    from station.usage.summary import build_report, load_sources

    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    create_v1(conn)
    t = datetime(2026, 11, 2, 10, 0, tzinfo=timezone.utc).timestamp()
    conn.execute("INSERT INTO meta VALUES ('station_id', 'old-station')")
    conn.execute("INSERT INTO presence VALUES (1, ?, ?)", (t, t + 300))
    conn.execute("INSERT INTO sets VALUES (1, 1, ?, ?, 'deadlift', 'hinge', 2, 1, NULL)", (t + 10, t + 40))
    conn.execute("INSERT INTO reps VALUES (1, 1, ?, ?, ?, 'hinge', 80, 20, 5, 2, 2, 1, 0.01)", (t + 10, t + 12, t + 14))
    conn.execute("INSERT INTO reps VALUES (2, 1, ?, ?, ?, 'hinge', 85, 45, 25, 2, 2, 1, 0.01)", (t + 20, t + 22, t + 24))
    conn.execute("INSERT INTO rep_faults VALUES (2, 'rounded_back')")
    conn.close()
    before = path.read_bytes()
    report = build_report(load_sources([path], timezone.utc), datetime.fromtimestamp(t, timezone.utc).date())
    (st,) = report["stations"]
    assert st["station_id"] == "old-station" and st["status"] == "ok"
    assert (st["figures"]["reps"], st["figures"]["clean_reps"], st["figures"]["sessions"]) == (2, 1, 1)
    assert st["raw"]["faults"] == {"rounded_back": 1} and st["raw"]["reps_by_exercise"] == {"deadlift": 2}
    assert path.read_bytes() == before and version_of(sqlite3.connect(path)) == 1     # the original untouched
