"""The usage log's schema: every version since the first, and the migrations between them.

The log holds numbers, times and labels only (README: "the usage log holds numbers, not
people"). Every TEXT column is a *label*: a short token from a fixed vocabulary (an exercise,
a fault, a cue key, a health event kind, a software version) that a CHECK constraint keeps
to ``[A-Za-z0-9_.:+-]``, at most 64 characters, so free text (a name, a message, a path) cannot
be stored even by mistake. There are no BLOB columns: no images, no depth, no identities.
Times are UTC seconds since the epoch (REAL). Nothing links one visit to another: a presence
session is a start and an end, not a person.

The version lives in ``PRAGMA user_version``. :func:`migrate` brings a database of any older
version up to :data:`SCHEMA_VERSION`, one step per version, each in its own transaction.
"""
from __future__ import annotations

import re
import sqlite3

SCHEMA_VERSION = 4

LABEL_CHARS = "A-Za-z0-9_.:+-"
LABEL_MAX = 64
LABEL_RE = re.compile(rf"^[{LABEL_CHARS}]{{1,{LABEL_MAX}}}$")


def _label(col: str) -> str:
    return (f"CHECK ({col} IS NULL OR (length({col}) BETWEEN 1 AND {LABEL_MAX} "
            f"AND {col} NOT GLOB '*[^{LABEL_CHARS}]*'))")


def to_label(value: object, fallback: str = "unknown") -> str:
    """A value as a label the schema accepts (anything else becomes `fallback`)."""
    s = str(value)
    return s if LABEL_RE.match(s) else fallback


# The first schema (version 1), kept verbatim: a database written by that version is migrated
# from exactly this (tests/usage/test_schema.py builds one and migrates it).
V1_SCHEMA = f"""
CREATE TABLE meta (key TEXT PRIMARY KEY {_label('key')}, value TEXT NOT NULL {_label('value')});
CREATE TABLE presence (id INTEGER PRIMARY KEY, start_s REAL NOT NULL, end_s REAL);
CREATE TABLE sets (id INTEGER PRIMARY KEY, session_id INTEGER, start_s REAL NOT NULL,
    end_s REAL NOT NULL, exercise TEXT NOT NULL {_label('exercise')},
    pattern TEXT NOT NULL {_label('pattern')}, reps INTEGER NOT NULL,
    clean_reps INTEGER NOT NULL, rest_before_s REAL);
CREATE TABLE reps (id INTEGER PRIMARY KEY, set_id INTEGER NOT NULL, start_s REAL NOT NULL,
    bottom_s REAL NOT NULL, end_s REAL NOT NULL, pattern TEXT NOT NULL {_label('pattern')},
    peak_hip_flexion_deg REAL, knee_flexion_at_bottom_deg REAL, peak_spine_flexion_deg REAL,
    eccentric_s REAL, concentric_s REAL, lockout_hip_flexion_deg REAL, max_lateral_shift_m REAL);
CREATE TABLE rep_faults (rep_id INTEGER NOT NULL, fault TEXT NOT NULL {_label('fault')},
    PRIMARY KEY (rep_id, fault)) WITHOUT ROWID;
CREATE TABLE health_events (id INTEGER PRIMARY KEY, t_s REAL NOT NULL,
    kind TEXT NOT NULL {_label('kind')}, detail TEXT {_label('detail')});
"""

# Version 2: the verdict (clean / faults / not judged) and the recognised exercise of every rep;
# the software version and the profile's strictness on every set and rep, so a trend is never
# an artefact of a threshold change; the cues shown.
_V2 = f"""
ALTER TABLE reps ADD COLUMN verdict TEXT NOT NULL DEFAULT 'clean'
    CHECK (verdict IN ('clean', 'faults', 'not_judged'));
ALTER TABLE reps ADD COLUMN exercise TEXT {_label('exercise')};
ALTER TABLE reps ADD COLUMN software_version TEXT {_label('software_version')};
ALTER TABLE reps ADD COLUMN strictness TEXT {_label('strictness')};
ALTER TABLE sets ADD COLUMN software_version TEXT {_label('software_version')};
ALTER TABLE sets ADD COLUMN strictness TEXT {_label('strictness')};
UPDATE reps SET verdict = 'faults' WHERE id IN (SELECT rep_id FROM rep_faults);
UPDATE reps SET exercise = (SELECT s.exercise FROM sets s WHERE s.id = reps.set_id);
CREATE TABLE cues (id INTEGER PRIMARY KEY, t_s REAL NOT NULL, cue TEXT NOT NULL {_label('cue')},
    kind TEXT {_label('kind')}, rule TEXT {_label('rule')});
"""

# Version 3: frames processed, busy time and uptime sampled once a minute; a number beside a
# health event (e.g. seconds without the camera); indexes on time for the nightly summary.
_V3 = """
ALTER TABLE health_events ADD COLUMN value REAL;
CREATE TABLE health_samples (id INTEGER PRIMARY KEY, t_s REAL NOT NULL, period_s REAL NOT NULL,
    frames INTEGER NOT NULL, busy_s REAL NOT NULL);
CREATE INDEX presence_start ON presence (start_s);
CREATE INDEX sets_start ON sets (start_s);
CREATE INDEX reps_start ON reps (start_s);
CREATE INDEX cues_t ON cues (t_s);
CREATE INDEX health_events_t ON health_events (t_s);
CREATE INDEX health_samples_t ON health_samples (t_s);
"""

# Version 4: which rules the coach could not judge on a rep (their angles were not confident):
# a rep is "not judged" when no fault was found and some rule could not be judged.
_V4 = f"""
CREATE TABLE rep_unjudged (rep_id INTEGER NOT NULL, rule TEXT NOT NULL {_label('rule')},
    PRIMARY KEY (rep_id, rule)) WITHOUT ROWID;
"""

# version -> the script that brings version-1 up to it
MIGRATIONS: dict[int, str] = {2: _V2, 3: _V3, 4: _V4}


class SchemaError(Exception):
    """The database's schema is newer than this software, or not a usage log at all."""


def version_of(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def _run_script(conn: sqlite3.Connection, script: str, version: int) -> None:
    # executescript() would COMMIT first; run the statements one by one inside our transaction
    conn.execute("BEGIN IMMEDIATE")
    try:
        for stmt in _statements(script):
            conn.execute(stmt)
        conn.execute(f"PRAGMA user_version = {int(version)}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _statements(script: str) -> list[str]:
    out, cur = [], ""
    for line in script.strip().splitlines():
        cur += line + "\n"
        if sqlite3.complete_statement(cur):
            out.append(cur.strip())
            cur = ""
    if cur.strip():
        raise ValueError(f"incomplete SQL statement: {cur!r}")
    return out


def create_v1(conn: sqlite3.Connection) -> None:
    """A fresh database at version 1 (as the first release wrote it)."""
    _run_script(conn, V1_SCHEMA, 1)


def migrate(conn: sqlite3.Connection) -> tuple[int, int]:
    """Create or upgrade the schema to SCHEMA_VERSION; returns (version before, after).

    The connection must be in autocommit mode (isolation_level=None).
    """
    before = version_of(conn)
    if before == 0:
        tables = conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
        if tables:
            raise SchemaError("the file is an SQLite database but not a usage log (it has tables "
                              "and no usage schema version)")
        create_v1(conn)
    elif before > SCHEMA_VERSION:
        raise SchemaError(f"usage schema version {before} is newer than this software knows "
                          f"({SCHEMA_VERSION}); update the station software")
    for v in range(max(before, 1) + 1, SCHEMA_VERSION + 1):
        _run_script(conn, MIGRATIONS[v], v)
    return before, version_of(conn)
