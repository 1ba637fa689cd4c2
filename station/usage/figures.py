"""A station's day in figures, computed from the usage log: additive, so stations merge.

    days = figures_by_day(conn, [date(2026, 11, 29), ...], tz)   # {date: DayFigures}
    total = DayFigures.merged([a, b, c])                           # a gym of three stations
    derived(total)                                                 # shares, busiest hour, rates

Every field of :class:`DayFigures` is a count, a sum, a list of durations or a table of counts,
so the figures of several stations (or days) merge by adding them up, and the shares and rates
shown in the report are computed from the sums (:func:`derived`), never averaged. The day is
the local calendar day of the station's time zone (config hours.timezone); hours of the day
likewise. Each table is read once for the whole range of days asked for, and rows are put into
days and hours with ``numpy.searchsorted`` on the local hour boundaries (so summarising a year
is a handful of queries, not one per day).
"""
from __future__ import annotations

import sqlite3
from dataclasses import asdict, dataclass, field, fields
from datetime import date, datetime, time as dtime, timedelta, tzinfo
from typing import Iterable

import numpy as np

SESSION_BUCKETS_MIN: tuple[float, ...] = (1, 3, 10, 20, 40)   # edges of the session-length histogram
SLOW_FPS = 20.0                       # processing slower than this needs staff
LONG_CAMERA_LOSS_S = 60.0
QUARTER_S = 900          # every UTC offset and DST switch is a multiple of 15 minutes


def _zeros24() -> list:
    return [0] * 24


@dataclass
class DayFigures:
    """One station's (or several stations') use and health on one day. All additive."""

    presence_s_by_hour: list = field(default_factory=_zeros24)   # seconds someone was in the zone
    reps_by_hour: list = field(default_factory=_zeros24)
    sessions: int = 0
    session_durations_s: list = field(default_factory=list)
    sets: int = 0
    sets_by_exercise: dict = field(default_factory=dict)
    set_reps: int = 0                      # reps counted in closed sets
    rest_before_s: list = field(default_factory=list)
    reps: int = 0
    reps_by_exercise: dict = field(default_factory=dict)  # the recognised exercise
    reps_by_pattern: dict = field(default_factory=dict)   # hinge / squat
    clean_reps: int = 0
    fault_reps: int = 0
    not_judged_reps: int = 0
    faults: dict = field(default_factory=dict)            # fault label -> reps with it
    unjudged_rules: dict = field(default_factory=dict)    # rule -> reps on which it could not be judged
    cues: dict = field(default_factory=dict)              # cue key -> times shown
    reps_by_strictness: dict = field(default_factory=dict)
    reps_by_version: dict = field(default_factory=dict)
    startups: int = 0
    camera_dropouts: int = 0
    camera_lost_s: float = 0.0
    longest_camera_loss_s: float = 0.0
    longest_camera_loss_at_s: float = 0.0     # UTC start of the longest loss (0 = none)
    camera_unrecovered: int = 0
    config_reloads: int = 0
    config_refusals: int = 0
    errors: int = 0
    errors_by_kind: dict = field(default_factory=dict)
    frames: int = 0
    busy_s: float = 0.0
    uptime_s: float = 0.0
    dropped_events: int = 0

    def add(self, other: "DayFigures") -> "DayFigures":
        for f in fields(self):
            a, b = getattr(self, f.name), getattr(other, f.name)
            if f.name == "longest_camera_loss_s":
                if b > a:
                    self.longest_camera_loss_s, self.longest_camera_loss_at_s = b, other.longest_camera_loss_at_s
            elif f.name == "longest_camera_loss_at_s":
                continue              # follows longest_camera_loss_s
            elif f.name in ("presence_s_by_hour", "reps_by_hour"):
                setattr(self, f.name, [x + y for x, y in zip(a, b)])
            elif isinstance(a, list):
                a.extend(b)
            elif isinstance(a, dict):
                for k, v in b.items():
                    a[k] = a.get(k, 0) + v
            else:
                setattr(self, f.name, a + b)
        return self

    @staticmethod
    def merged(items: Iterable["DayFigures"]) -> "DayFigures":
        out = DayFigures()
        for it in items:
            if it is not None:
                out.add(it)
        return out

    @property
    def judged_reps(self) -> int:
        return self.clean_reps + self.fault_reps

    @property
    def has_use(self) -> bool:
        return self.sessions > 0 or self.reps > 0 or self.sets > 0

    @property
    def has_anything(self) -> bool:
        return self.has_use or self.uptime_s > 0 or self.startups > 0 or self.frames > 0

    def to_json(self) -> dict:
        d = asdict(self)
        d["session_durations_s"] = [round(x, 3) for x in self.session_durations_s]
        d["rest_before_s"] = [round(x, 3) for x in self.rest_before_s]
        return d

    @staticmethod
    def from_json(d: dict) -> "DayFigures":
        names = {f.name for f in fields(DayFigures)}
        unknown = set(d) - names
        if unknown:
            raise ValueError(f"unknown figures {sorted(unknown)}")
        # (a figure missing from an older export takes its empty default)
        out = DayFigures(**{k: v for k, v in d.items()})
        if len(out.presence_s_by_hour) != 24 or len(out.reps_by_hour) != 24:
            raise ValueError("hourly figures need 24 values")
        return out


# --------------------------------------------------------------------------- derived figures

def clean_share(f: DayFigures) -> float | None:
    """Clean reps among the reps the coach judged (not-judged reps are left out)."""
    return f.clean_reps / f.judged_reps if f.judged_reps else None


def busiest_hour(f: DayFigures) -> int | None:
    if not any(f.presence_s_by_hour) and not any(f.reps_by_hour):
        return None
    return max(range(24), key=lambda h: (f.presence_s_by_hour[h], f.reps_by_hour[h], -h))


def session_histogram(f: DayFigures) -> list[tuple[str, int]]:
    edges = SESSION_BUCKETS_MIN
    labels = [f"< {edges[0]:g} min"] + [f"{a:g}–{b:g} min" for a, b in zip(edges, edges[1:])] + [f"≥ {edges[-1]:g} min"]
    counts = [0] * len(labels)
    for d in f.session_durations_s:
        counts[int(np.searchsorted(edges, d / 60.0, side="right"))] += 1
    return list(zip(labels, counts))


def derived(f: DayFigures) -> dict:
    """The figures a person reads (shares, rates, the busiest hour), from the sums."""
    dur = sorted(f.session_durations_s)
    h = busiest_hour(f)
    fps = f.frames / f.uptime_s if f.uptime_s > 0 and f.frames else None
    top = sorted(f.faults.items(), key=lambda kv: (-kv[1], kv[0]))
    return {
        "sessions": f.sessions,
        "presence_minutes": round(sum(f.presence_s_by_hour) / 60.0, 2),
        "median_session_minutes": round(float(np.median(dur)) / 60.0, 2) if dur else None,
        "longest_session_minutes": round(dur[-1] / 60.0, 2) if dur else None,
        "sets": f.sets,
        "reps": f.reps,
        "reps_per_set": round(f.set_reps / f.sets, 2) if f.sets else None,
        "mean_rest_s": round(float(np.mean(f.rest_before_s)), 1) if f.rest_before_s else None,
        "clean_reps": f.clean_reps,
        "fault_reps": f.fault_reps,
        "not_judged_reps": f.not_judged_reps,
        "judged_reps": f.judged_reps,
        "clean_share": None if clean_share(f) is None else round(clean_share(f), 4),
        "top_faults": [{"fault": k, "reps": v,
                        "share_of_judged": round(v / f.judged_reps, 4) if f.judged_reps else None}
                       for k, v in top],
        "busiest_hour": h,
        "uptime_hours": round(f.uptime_s / 3600.0, 3),
        "frames": f.frames,
        "processing_fps": None if fps is None else round(fps, 2),
        "ms_per_frame": round(1e3 * f.busy_s / f.frames, 2) if f.frames else None,
        "camera_dropouts": f.camera_dropouts,
        "camera_lost_minutes": round(f.camera_lost_s / 60.0, 2),
        "config_reloads": f.config_reloads,
        "config_refusals": f.config_refusals,
        "errors": f.errors,
    }


def problems(f: DayFigures, tz: tzinfo | None = None) -> list[str]:
    """What needs staff, in plain words (empty when the station was healthy); times in `tz`."""
    out = []
    at = ""
    if f.longest_camera_loss_at_s > 0:
        at = f" at {datetime.fromtimestamp(f.longest_camera_loss_at_s, tz).strftime('%H:%M')}"
    if f.camera_unrecovered:
        out.append("the camera was lost and had not come back by the end of the day — check the USB "
                   "cable and `station cameras`")
    if f.longest_camera_loss_s >= LONG_CAMERA_LOSS_S:
        out.append(f"the camera dropped out {f.camera_dropouts}× (longest {f.longest_camera_loss_s / 60:.1f} min{at}, "
                   f"{f.camera_lost_s / 60:.1f} min in all) — check the USB cable and its port")
    elif f.camera_dropouts >= 3:
        out.append(f"the camera dropped out {f.camera_dropouts}× (each under a minute) — check the USB cable")
    if f.config_refusals:
        out.append(f"the configuration file was refused {f.config_refusals}× (the station kept its last good "
                   "settings) — run `station config check`")
    if f.errors:
        kinds = ", ".join(f"{k} {v}×" for k, v in sorted(f.errors_by_kind.items()))
        out.append(f"the pipeline stopped with an error {f.errors}× ({kinds}); systemd restarted it — "
                   "see `journalctl -u station`")
    if f.frames and f.uptime_s > 0 and f.frames / f.uptime_s < SLOW_FPS:
        out.append(f"processing only {f.frames / f.uptime_s:.1f} frames/s (expected ≥ {SLOW_FPS:g}) — "
                   "is the Pi overheating or busy?")
    if f.dropped_events:
        out.append(f"the usage log could not be written and dropped {f.dropped_events} events — "
                   "is the disk full?")
    return out


# --------------------------------------------------------------------------- from the log

def _local_epoch(d: date, hour: int, tz: tzinfo | None) -> float:
    dt = datetime.combine(d, dtime(hour))
    return (dt.replace(tzinfo=tz) if tz is not None else dt).timestamp()   # naive = system local time


def _hour_edges(first: date, n_days: int, tz: tzinfo | None) -> np.ndarray:
    edges = [_local_epoch(first + timedelta(days=i), h, tz) for i in range(n_days) for h in range(24)]
    edges.append(_local_epoch(first + timedelta(days=n_days), 0, tz))
    return np.maximum.accumulate(np.asarray(edges, dtype=np.float64))   # DST gaps: empty hours


class _Bucketer:
    """Puts UTC times into (day index, hour) of consecutive local days."""

    def __init__(self, first: date, n_days: int, tz: tzinfo | None):
        self.first, self.n_days = first, n_days
        self.edges = _hour_edges(first, n_days, tz)
        self.lo, self.hi = float(self.edges[0]), float(self.edges[-1])

    def index(self, t: np.ndarray) -> np.ndarray:
        """Hour slot (day * 24 + hour) of each time, -1 outside the range."""
        i = np.searchsorted(self.edges, t, side="right") - 1
        i[(t < self.lo) | (t >= self.hi)] = -1
        return i


def _fetch(conn: sqlite3.Connection, sql: str, args: tuple) -> list[tuple]:
    return conn.execute(sql, args).fetchall()


def _slots(b: _Bucketer, rows: list[tuple]) -> list[int]:
    """Hour slots of grouped rows whose first column is a quarter-hour number."""
    if not rows:
        return []
    q = np.fromiter((r[0] for r in rows), dtype=np.float64, count=len(rows))
    return b.index(q * QUARTER_S).tolist()


def figures_by_day(conn: sqlite3.Connection, days: Iterable[date], tz: tzinfo | None) -> dict[date, DayFigures]:
    """DayFigures for each of `days` (local days in `tz`; None = the system's zone)."""
    days = sorted(set(days))
    if not days:
        return {}
    first, n = days[0], (days[-1] - days[0]).days + 1
    b = _Bucketer(first, n, tz)
    lo, hi = b.lo, b.hi
    F = [DayFigures() for _ in range(n)]

    # presence: seconds per hour (clipped to each hour), sessions by their start
    rows = _fetch(conn, "SELECT start_s, coalesce(end_s, start_s) FROM presence "
                        "WHERE start_s < ? AND start_s >= ? ORDER BY start_s", (hi, lo - 86400.0))
    if rows:
        a = np.asarray(rows, dtype=np.float64)
        start, end = a[:, 0], np.maximum(a[:, 1], a[:, 0])
        si = b.index(start)
        for k in np.nonzero(si >= 0)[0]:
            F[si[k] // 24].sessions += 1
            F[si[k] // 24].session_durations_s.append(float(end[k] - start[k]))
        # seconds in each hour slot: overlap of [start, end) with [edge_i, edge_i+1)
        e = b.edges
        i0 = np.clip(np.searchsorted(e, start, side="right") - 1, 0, len(e) - 2)
        i1 = np.clip(np.searchsorted(e, end, side="right") - 1, 0, len(e) - 2)
        for s0, s1, t0, t1 in zip(i0.tolist(), i1.tolist(), start.tolist(), end.tolist()):
            if t1 <= lo or t0 >= hi:
                continue
            for slot in range(s0, s1 + 1):
                ov = min(t1, e[slot + 1]) - max(t0, e[slot])
                if ov > 0:
                    F[slot // 24].presence_s_by_hour[slot % 24] += float(ov)

    # sets
    rows = _fetch(conn, "SELECT start_s, exercise, reps, rest_before_s FROM sets "
                        "WHERE start_s >= ? AND start_s < ?", (lo, hi))
    if rows:
        slots = b.index(np.asarray([r[0] for r in rows], dtype=np.float64))
        for s, r in zip((slots // 24).tolist(), rows):
            if s < 0:
                continue
            f = F[s]
            f.sets += 1
            f.sets_by_exercise[r[1]] = f.sets_by_exercise.get(r[1], 0) + 1
            f.set_reps += int(r[2])
            if r[3] is not None:
                f.rest_before_s.append(float(r[3]))

    # reps, faults, cues and samples are counted by SQLite per quarter of an hour (UTC): every
    # time zone's offset and DST switch is a whole number of quarters, so each quarter lies in
    # one local hour and the result is exact, from a few thousand rows instead of every event
    Q = QUARTER_S
    rows = _fetch(conn, f"SELECT CAST(start_s / {Q} AS INTEGER), verdict, pattern, coalesce(exercise, 'unknown'), "
                        "coalesce(strictness, 'unknown'), coalesce(software_version, 'unknown'), count(*) FROM reps "
                        "WHERE start_s >= ? AND start_s < ? GROUP BY 1, 2, 3, 4, 5, 6", (lo, hi))
    for slot, (_, verdict, pattern, exercise, strictness, version, cnt) in zip(_slots(b, rows), rows):
        if slot < 0:
            continue
        f = F[slot // 24]
        f.reps_by_hour[slot % 24] += cnt
        f.reps += cnt
        if verdict == "clean":
            f.clean_reps += cnt
        elif verdict == "faults":
            f.fault_reps += cnt
        else:
            f.not_judged_reps += cnt
        for d, k in ((f.reps_by_pattern, pattern), (f.reps_by_exercise, exercise),
                     (f.reps_by_strictness, strictness), (f.reps_by_version, version)):
            d[k] = d.get(k, 0) + cnt

    for table, sql, attr in (
            ("rep_faults", f"SELECT CAST(r.start_s / {Q} AS INTEGER), f.fault, count(*) FROM rep_faults f "
                           "JOIN reps r ON r.id = f.rep_id WHERE r.start_s >= ? AND r.start_s < ? GROUP BY 1, 2",
             "faults"),
            ("rep_unjudged", f"SELECT CAST(r.start_s / {Q} AS INTEGER), u.rule, count(*) FROM rep_unjudged u "
                             "JOIN reps r ON r.id = u.rep_id WHERE r.start_s >= ? AND r.start_s < ? GROUP BY 1, 2",
             "unjudged_rules"),
            ("cues", f"SELECT CAST(t_s / {Q} AS INTEGER), cue, count(*) FROM cues WHERE t_s >= ? AND t_s < ? "
                     "GROUP BY 1, 2", "cues")):
        rows = _fetch(conn, sql, (lo, hi))
        for slot, (_, key, cnt) in zip(_slots(b, rows), rows):
            if slot >= 0:
                d = getattr(F[slot // 24], attr)
                d[key] = d.get(key, 0) + cnt

    rows = _fetch(conn, f"SELECT CAST(t_s / {Q} AS INTEGER), sum(period_s), sum(frames), sum(busy_s) "
                        "FROM health_samples WHERE t_s >= ? AND t_s < ? GROUP BY 1", (lo, hi))
    for slot, (_, period, frames, busy) in zip(_slots(b, rows), rows):
        if slot >= 0:
            f = F[slot // 24]
            f.uptime_s += float(period)
            f.frames += int(frames)
            f.busy_s += float(busy)

    _health_events(conn, b, F)
    return {d: F[(d - first).days] for d in days}


def _health_events(conn: sqlite3.Connection, b: _Bucketer, F: list[DayFigures]) -> None:
    rows = _fetch(conn, "SELECT t_s, kind, detail, value FROM health_events WHERE t_s >= ? AND t_s < ? "
                        "ORDER BY t_s, id", (b.lo - 86400.0, b.hi + 86400.0))
    if not rows:
        return
    slots = b.index(np.asarray([r[0] for r in rows], dtype=np.float64))
    lost_at: tuple[int, float] | None = None   # (day, time) of an open camera loss

    def close_loss(t_end: float, recovered: bool) -> None:
        nonlocal lost_at
        day, t0 = lost_at
        if day >= 0:
            dur = max(0.0, t_end - t0)
            F[day].camera_lost_s += dur
            if dur > F[day].longest_camera_loss_s:
                F[day].longest_camera_loss_s, F[day].longest_camera_loss_at_s = dur, t0
            if not recovered and t_end >= b.edges[min(len(b.edges) - 1, (day + 1) * 24)]:
                F[day].camera_unrecovered += 1
        lost_at = None

    for (t, kind, detail, value), slot in zip(rows, slots.tolist()):
        day = slot // 24 if slot >= 0 else -1
        f = F[day] if day >= 0 else None
        if kind == "camera_lost":
            if lost_at is None:
                lost_at = (day, t)
                if f is not None:
                    f.camera_dropouts += 1
        elif kind == "camera_recovered":
            if lost_at is not None:
                close_loss(t, True)
        elif kind in ("startup", "shutdown", "log_closed"):
            if lost_at is not None:
                # the station went away with the camera (or moved to another log file, which
                # records the loss from there on): not an open loss in this file
                close_loss(t, True)
            if kind == "startup" and f is not None:
                f.startups += 1
        elif f is None:
            continue
        elif kind == "config_reload":
            f.config_reloads += 1
        elif kind == "config_refused":
            f.config_refusals += 1
        elif kind == "error":
            f.errors += 1
            k = detail or "error"
            f.errors_by_kind[k] = f.errors_by_kind.get(k, 0) + 1
        elif kind == "dropped_events":
            f.dropped_events += int(value or 0)
    if lost_at is not None:
        day = lost_at[0]
        end_of_day = float(b.edges[min(len(b.edges) - 1, (day + 1) * 24)]) if day >= 0 else b.hi
        close_loss(end_of_day, False)


def station_meta(conn: sqlite3.Connection) -> dict[str, str]:
    return dict(conn.execute("SELECT key, value FROM meta").fetchall())


