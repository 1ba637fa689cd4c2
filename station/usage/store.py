"""The usage log: an SQLite database in WAL mode, written by one thread, never in the way.

    log = UsageLog(path, station_id="floor1-mirror2")
    sid = log.session_start(t_s)           # every call only puts a row on a queue (~1 µs)
    log.rep(...); log.cue(...); log.health("camera_lost", t_s)
    log.flush()                            # wait until everything queued is committed
    log.close()

Callers (the pipeline's worker thread, the overlay's main loop) never touch SQLite: each
event is a row on an unbounded queue, and one writer thread commits whatever has arrived in
one transaction at least every ``flush_interval_s`` (0.5 s; the issue asks for at most a
second). ``synchronous=FULL`` in WAL mode makes each commit durable: after ``kill -9`` (or a
power cut) every event queued more than a flush interval before is in the file, and SQLite's
journal opens it clean. A write that fails (disk full, file removed) keeps its rows and is
retried; only past ``max_pending`` rows are the oldest dropped, and counted.

Row ids of presence sessions, sets and reps are given out by the log itself (continuing from
the largest in the file), so a rep can name its set before the set has ended, and a crash
mid-set leaves the reps committed with their set's number.
"""
from __future__ import annotations

import logging
import queue
import sqlite3
import threading
import time
from pathlib import Path
from typing import Iterable, Sequence

from station.usage.schema import SCHEMA_VERSION, SchemaError, migrate, to_label

log = logging.getLogger(__name__)

REP_METRICS: tuple[tuple[str, str], ...] = (
    # contract metric name -> column
    ("peak_hip_flexion", "peak_hip_flexion_deg"),
    ("knee_flexion_at_bottom", "knee_flexion_at_bottom_deg"),
    ("peak_spine_flexion", "peak_spine_flexion_deg"),
    ("eccentric_s", "eccentric_s"),
    ("concentric_s", "concentric_s"),
    ("lockout_hip_flexion", "lockout_hip_flexion_deg"),
    ("max_lateral_shift", "max_lateral_shift_m"),
)
VERDICTS = ("clean", "faults", "not_judged")

_SQL = {
    "session_start": "INSERT INTO presence (id, start_s, end_s) VALUES (?, ?, NULL)",
    "session_end": "UPDATE presence SET end_s = ? WHERE id = ?",
    "set": ("INSERT OR REPLACE INTO sets (id, session_id, start_s, end_s, exercise, pattern, reps, clean_reps, "
            "rest_before_s, software_version, strictness) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
    "rep": ("INSERT INTO reps (id, set_id, start_s, bottom_s, end_s, pattern, " +
            ", ".join(c for _, c in REP_METRICS) +
            ", verdict, exercise, software_version, strictness) VALUES (" + ", ".join("?" * 17) + ")"),
    "fault": "INSERT OR IGNORE INTO rep_faults (rep_id, fault) VALUES (?, ?)",
    "unjudged": "INSERT OR IGNORE INTO rep_unjudged (rep_id, rule) VALUES (?, ?)",
    "cue": "INSERT INTO cues (t_s, cue, kind, rule) VALUES (?, ?, ?, ?)",
    "health": "INSERT INTO health_events (t_s, kind, detail, value) VALUES (?, ?, ?, ?)",
    "sample": "INSERT INTO health_samples (t_s, period_s, frames, busy_s) VALUES (?, ?, ?, ?)",
    "meta": "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
}


class UsageLogError(Exception):
    """The usage log cannot be opened (names the file and what is wrong)."""


def connect(path: Path, readonly: bool = False, timeout_s: float = 10.0) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit)."""
    if readonly:
        conn = sqlite3.connect(f"file:{Path(path).resolve()}?mode=ro", uri=True, timeout=timeout_s,
                               isolation_level=None, check_same_thread=False)
    else:
        conn = sqlite3.connect(str(path), timeout=timeout_s, isolation_level=None)
    return conn


def open_for_writing(path: Path) -> sqlite3.Connection:
    """Open (creating if needed) the log in WAL mode with the current schema."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = connect(path)
        mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise UsageLogError(f"{path}: cannot switch the usage log to WAL mode (journal mode {mode}); "
                                "is it on a network share? Keep it on the station's own disk")
        conn.execute("PRAGMA synchronous=FULL")
        migrate(conn)
        return conn
    except sqlite3.DatabaseError as e:
        raise UsageLogError(f"{path}: not a readable usage log ({e}); move it aside and the station "
                            "starts a new one") from None
    except SchemaError as e:
        raise UsageLogError(f"{path}: {e}") from None
    except OSError as e:
        raise UsageLogError(f"{path}: cannot open the usage log: {e.strerror or e}") from None


def close_orphans(conn: sqlite3.Connection) -> int:
    """Presence sessions left open by a crash end at the last thing recorded after their start."""
    rows = conn.execute("SELECT id, start_s FROM presence WHERE end_s IS NULL").fetchall()
    for sid, start in rows:
        last = conn.execute(
            "SELECT max(t) FROM (SELECT max(end_s) AS t FROM reps WHERE start_s >= ?1 "
            "UNION ALL SELECT max(t_s) FROM cues WHERE t_s >= ?1 "
            "UNION ALL SELECT max(t_s) FROM health_samples WHERE t_s >= ?1 "
            "UNION ALL SELECT min(t_s) FROM health_events WHERE t_s >= ?1 AND kind = 'startup')",
            (start,)).fetchone()[0]
        end = start if last is None else max(start, float(last))
        conn.execute("UPDATE presence SET end_s = ? WHERE id = ?", (end, sid))
    return len(rows)


class UsageLog:
    """The station's usage log (see the module docstring). Thread-safe; calls never block."""

    def __init__(self, path: str | Path, station_id: str, software_version: str | None = None,
                 strictness: str = "standard", flush_interval_s: float = 0.5, max_pending: int = 200_000,
                 clock=time.time):
        from station import __version__

        self.path = Path(path)
        self.station_id = to_label(station_id)
        self.software_version = to_label(software_version or __version__)
        self.strictness = to_label(strictness)
        self.flush_interval_s = float(flush_interval_s)
        self.max_pending = int(max_pending)
        self.clock = clock
        conn = open_for_writing(self.path)
        try:
            conn.execute("BEGIN IMMEDIATE")
            close_orphans(conn)
            for k, v in (("station_id", self.station_id), ("schema_version", str(SCHEMA_VERSION))):
                conn.execute(_SQL["meta"], (k, v))
            conn.execute("COMMIT")
            self._next = {t: int(conn.execute(f"SELECT coalesce(max(id), 0) FROM {t}").fetchone()[0]) + 1
                          for t in ("presence", "sets", "reps")}
            # a set's number is in its reps before the set itself is written (a crash mid-set)
            self._next["sets"] = max(self._next["sets"], int(conn.execute(
                "SELECT coalesce(max(set_id), 0) FROM reps").fetchone()[0]) + 1)
            self.last_attention = dict(conn.execute(
                "SELECT detail, max(t_s) FROM health_events WHERE kind = 'attention_mail' GROUP BY detail"
            ).fetchall())
        finally:
            conn.close()
        self._ids_lock = threading.Lock()
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._pending: list[tuple[str, tuple]] = []
        self._closing = threading.Event()
        self.committed_rows = 0
        self.commits = 0
        self.dropped_rows = 0
        self._dropped_reported = 0
        self.write_errors = 0
        self.last_error: str | None = None
        self._thread = threading.Thread(target=self._writer, name="usage-writer", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------------ events (any thread)
    def _id(self, table: str) -> int:
        with self._ids_lock:
            n = self._next[table]
            self._next[table] = n + 1
            return n

    def _put(self, kind: str, row: tuple) -> None:
        self._queue.put((kind, row))

    def session_start(self, t_s: float) -> int:
        sid = self._id("presence")
        self._put("session_start", (sid, float(t_s)))
        return sid

    def session_end(self, session_id: int, t_s: float) -> None:
        self._put("session_end", (float(t_s), int(session_id)))

    def new_set_id(self) -> int:
        return self._id("sets")

    def set_done(self, set_id: int, *, session_id: int | None, start_s: float, end_s: float, exercise: str,
                 pattern: str, reps: int, clean_reps: int, rest_before_s: float | None,
                 strictness: str | None = None) -> None:
        self._put("set", (int(set_id), session_id, float(start_s), float(end_s), to_label(exercise),
                          to_label(pattern), int(reps), int(clean_reps),
                          None if rest_before_s is None else float(rest_before_s),
                          self.software_version, to_label(strictness or self.strictness)))

    def rep(self, set_id: int, *, start_s: float, bottom_s: float, end_s: float, pattern: str,
            metrics: dict, verdict: str, faults: Sequence[str] = (), exercise: str | None = None,
            strictness: str | None = None, not_judged: Sequence[str] = ()) -> int:
        if verdict not in VERDICTS:
            raise ValueError(f"verdict {verdict!r} is not one of {VERDICTS}")
        rid = self._id("reps")
        vals = tuple(_num(metrics.get(k)) for k, _ in REP_METRICS)
        self._put("rep", (rid, int(set_id), float(start_s), float(bottom_s), float(end_s), to_label(pattern))
                  + vals + (verdict, None if exercise is None else to_label(exercise), self.software_version,
                            to_label(strictness or self.strictness)))
        for f in faults:
            self._put("fault", (rid, to_label(f)))
        for r in not_judged:
            self._put("unjudged", (rid, to_label(r)))
        return rid

    def rep_revised(self, rep_id: int, *, verdict: str, faults: Sequence[str] = (),
                    not_judged: Sequence[str] = ()) -> None:
        """A rep written earlier, judged again (station.form.evaluator: a later rep of the set
        showed its back could not be judged; or the set replayed as the exercise it was
        recognised to be): its verdict, faults and unjudged rules replaced as one event, so a
        transaction holds all of it or none."""
        if verdict not in VERDICTS:
            raise ValueError(f"verdict {verdict!r} is not one of {VERDICTS}")
        self._put("rep_revision", (int(rep_id), verdict, tuple(to_label(f) for f in faults),
                                   tuple(to_label(r) for r in not_judged)))

    def cue(self, t_s: float, key: str, kind: str | None = None, rule: str | None = None) -> None:
        self._put("cue", (float(t_s), to_label(key), None if kind is None else to_label(kind),
                          None if rule is None else to_label(rule)))

    def health(self, kind: str, t_s: float | None = None, detail: str | None = None,
               value: float | None = None) -> None:
        self._put("health", (float(self.clock() if t_s is None else t_s), to_label(kind),
                             None if detail is None else to_label(detail), _num(value)))

    def sample(self, t_s: float, period_s: float, frames: int, busy_s: float) -> None:
        self._put("sample", (float(t_s), float(period_s), int(frames), float(busy_s)))

    # ------------------------------------------------------------------ control
    def flush(self, timeout_s: float = 10.0) -> bool:
        """Wait until every event queued before this call is committed; False on timeout
        (e.g. the disk is gone: the events stay queued and the writer keeps retrying)."""
        done = threading.Event()
        self._queue.put(("__flush__", done))
        return done.wait(timeout_s)

    def close(self, timeout_s: float = 10.0) -> None:
        if self._thread.is_alive():
            self.flush(timeout_s)
            self._closing.set()
            self._queue.put(("__wake__", ()))
            self._thread.join(timeout_s)

    def __enter__(self) -> "UsageLog":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def queued(self) -> int:
        return self._queue.qsize() + len(self._pending)

    # ------------------------------------------------------------------ writer thread
    def _writer(self) -> None:
        conn: sqlite3.Connection | None = None
        retry_at = 0.0
        flushes: list[threading.Event] = []     # set once everything before them is committed
        while True:
            # wait for the first event, then gather for at most one flush interval
            try:
                first = self._queue.get(timeout=1.0 if not self._pending else self.flush_interval_s)
            except queue.Empty:
                first = None
            deadline = time.monotonic() + self.flush_interval_s
            item = first
            while item is not None:
                kind, row = item
                if kind == "__flush__":
                    flushes.append(row)
                    break           # commit now: someone is waiting
                if kind != "__wake__":
                    self._pending.append(item)
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._closing.is_set():
                    break
                try:
                    item = self._queue.get(timeout=remaining)
                except queue.Empty:
                    break
            if self._pending and time.monotonic() >= retry_at:
                try:
                    if conn is None:
                        conn = open_for_writing(self.path)
                    self._commit(conn, self._pending)
                    self._pending = []
                    if self.dropped_rows > self._dropped_reported:   # say so in the log itself
                        n = self.dropped_rows - self._dropped_reported
                        self._dropped_reported = self.dropped_rows
                        self._pending.append(("health", (self.clock(), "dropped_events", None, float(n))))
                except (sqlite3.Error, UsageLogError, OSError) as e:
                    self.write_errors += 1
                    self.last_error = f"{type(e).__name__}: {e}"
                    log.error("usage log %s: write failed, will retry: %s", self.path, e)
                    retry_at = time.monotonic() + 2.0
                    if conn is not None:
                        conn.close()
                        conn = None
                    if len(self._pending) > self.max_pending:
                        drop = len(self._pending) - self.max_pending
                        self.dropped_rows += drop
                        del self._pending[:drop]
            if not self._pending:
                for ev in flushes:
                    ev.set()
                flushes = []
            elif flushes:
                time.sleep(max(0.0, min(retry_at - time.monotonic(), self.flush_interval_s)))
            if self._closing.is_set() and self._queue.empty():
                break
        if self._pending:
            log.error("usage log %s: %d events could not be written before closing", self.path, len(self._pending))
        if conn is not None:
            conn.close()

    def _commit(self, conn: sqlite3.Connection, items: list[tuple[str, tuple]]) -> None:
        conn.execute("BEGIN IMMEDIATE")
        try:
            # consecutive rows of one kind go in one executemany
            i = 0
            while i < len(items):
                kind = items[i][0]
                j = i
                while j < len(items) and items[j][0] == kind:
                    j += 1
                if kind == "rep_revision":
                    for _, r in items[i:j]:
                        _revise_rep(conn, *r)
                else:
                    conn.executemany(_SQL[kind], [r for _, r in items[i:j]])
                i = j
            conn.execute("COMMIT")
        except BaseException:
            try:
                conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass
            raise
        self.commits += 1
        self.committed_rows += len(items)


def _revise_rep(conn: sqlite3.Connection, rep_id: int, verdict: str, faults: tuple[str, ...],
                not_judged: tuple[str, ...]) -> None:
    """UsageLog.rep_revised's statements (inside the writer's transaction)."""
    conn.execute("UPDATE reps SET verdict = ? WHERE id = ?", (verdict, rep_id))
    conn.execute("DELETE FROM rep_faults WHERE rep_id = ?", (rep_id,))
    conn.execute("DELETE FROM rep_unjudged WHERE rep_id = ?", (rep_id,))
    conn.executemany(_SQL["fault"], [(rep_id, f) for f in faults])
    conn.executemany(_SQL["unjudged"], [(rep_id, r) for r in not_judged])


def _num(v) -> float | None:
    if v is None:
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if f == f and abs(f) != float("inf") else None


def purge(conn: sqlite3.Connection, before_s: float) -> dict[str, int]:
    """Delete every event that happened before `before_s` (UTC seconds); returns rows deleted
    per table. A rep's faults go with it; a set or session goes by its start time."""
    out: dict[str, int] = {}
    conn.execute("BEGIN IMMEDIATE")
    try:
        cur = conn.execute("DELETE FROM rep_faults WHERE rep_id IN (SELECT id FROM reps WHERE start_s < ?)",
                           (before_s,))
        out["rep_faults"] = cur.rowcount
        out["rep_unjudged"] = conn.execute(
            "DELETE FROM rep_unjudged WHERE rep_id IN (SELECT id FROM reps WHERE start_s < ?)", (before_s,)).rowcount
        for table, col in (("reps", "start_s"), ("sets", "start_s"), ("presence", "start_s"),
                           ("cues", "t_s"), ("health_events", "t_s"), ("health_samples", "t_s")):
            out[table] = conn.execute(f"DELETE FROM {table} WHERE {col} < ?", (before_s,)).rowcount
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return out


def apply_retention(path: Path, retention_days: int, now_s: float | None = None) -> dict[str, int]:
    """Enforce usage.retention_days on the log at `path` (the nightly job calls this)."""
    now_s = time.time() if now_s is None else now_s
    conn = open_for_writing(Path(path))
    try:
        counts = purge(conn, now_s - retention_days * 86400.0)
        if sum(counts.values()) > 0:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return counts
    finally:
        conn.close()


def insert_rows(conn: sqlite3.Connection, kind: str, rows: Iterable[tuple]) -> None:
    """Bulk insert (generated data for tests and benchmarks) with the log's own statements."""
    conn.executemany(_SQL[kind], rows)
