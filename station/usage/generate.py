"""Generated usage logs with known contents, for tests, benchmarks and trying the summary.

    ev = generate_days(first_day, n_days, tz, seed=1, station_id="floor1")   # Events (plain lists)
    write_events(path, ev)                                                    # an SQLite usage log

The events are plain Python lists (one tuple per row, in the log's column order), so a test
can compute the figures it expects straight from them and compare with what the summary reads
back from the database. Visits follow a gym's day (busy before work and in the evening), a
visit holds 0-4 sets of 4-12 reps; a rep is clean, faulty or not judged; some days have a
camera drop-out, a config reload or refusal; the station samples its frame rate once a minute
while open (06:00-22:00).
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time as dtime, timedelta, tzinfo
from pathlib import Path

from station.usage.store import insert_rows, open_for_writing

FAULTS = ("knee_dominant", "rounded_back", "incomplete_lockout", "overextension", "hip_shift", "too_fast")
FAULT_WEIGHTS = (5, 3, 2, 1, 2, 3)
CUE_OF = {"knee_dominant": "push_hips_back", "rounded_back": "brace_flat_back",
          "incomplete_lockout": "stand_tall_squeeze_glutes", "overextension": "stand_tall_ribs_down",
          "hip_shift": "hips_square", "too_fast": "slow_the_lowering"}
EXERCISES = ("rdl", "deadlift", "good_morning", "kettlebell_swing")
# relative arrivals by hour of day (a gym: before work, lunch, evening peak)
HOURLY = (0, 0, 0, 0, 0, 0, 3, 6, 5, 3, 2, 2, 4, 3, 2, 2, 4, 7, 9, 8, 5, 3, 0, 0)


@dataclass
class Events:
    station_id: str = "station-1"
    presence: list = field(default_factory=list)    # (id, start_s, end_s)
    sets: list = field(default_factory=list)        # the log's "set" row
    reps: list = field(default_factory=list)        # the log's "rep" row
    faults: list = field(default_factory=list)      # (rep_id, fault)
    unjudged: list = field(default_factory=list)    # (rep_id, rule) the coach could not judge
    cues: list = field(default_factory=list)        # (t_s, cue, kind, rule)
    health: list = field(default_factory=list)      # (t_s, kind, detail, value)
    samples: list = field(default_factory=list)     # (t_s, period_s, frames, busy_s)


def _epoch(d: date, seconds: float, tz: tzinfo | None) -> float:
    dt = datetime.combine(d, dtime(0)) + timedelta(seconds=seconds)
    return (dt.replace(tzinfo=tz) if tz is not None else dt).timestamp()


def generate_days(first: date, n_days: int, tz: tzinfo | None = None, seed: int = 0,
                  station_id: str = "station-1", visits_per_day: float = 30.0, clean_rate: float = 0.6,
                  clean_trend_per_day: float = 0.0, strictness_change_day: int | None = None,
                  software_version: str = "0.1.0", health_samples: bool = True) -> Events:
    rng = random.Random(seed)
    ev = Events(station_id=station_id)
    pid = sid = rid = 0
    for k in range(n_days):
        d = first + timedelta(days=k)
        strict = "strict" if strictness_change_day is not None and k >= strictness_change_day else "standard"
        p_clean = min(0.95, max(0.05, clean_rate + clean_trend_per_day * k))
        ev.health.append((_epoch(d, 6 * 3600 - 30, tz), "startup", None, None))
        if health_samples:
            for m in range(16 * 60):
                t = _epoch(d, 6 * 3600 + (m + 1) * 60, tz)
                frames = int(rng.gauss(1790, 8))
                ev.samples.append((t, 60.0, frames, frames * rng.uniform(0.006, 0.008)))
        if rng.random() < 0.3:      # a camera drop-out
            t = _epoch(d, rng.uniform(7, 21) * 3600, tz)
            lost = rng.choice((4.0, 12.0, 95.0))
            ev.health.append((t, "camera_lost", "reconnecting", None))
            ev.health.append((t + lost, "camera_recovered", None, lost))
        if rng.random() < 0.1:
            ev.health.append((_epoch(d, rng.uniform(8, 20) * 3600, tz), "config_reload", None, None))
        if rng.random() < 0.05:
            ev.health.append((_epoch(d, rng.uniform(8, 20) * 3600, tz), "config_refused", None, None))
        ev.health.append((_epoch(d, 22 * 3600 + 5, tz), "shutdown", None, None))
        n_visits = max(0, int(rng.gauss(visits_per_day, visits_per_day ** 0.5)))
        busy_until = 0.0
        starts = sorted(h * 3600 + rng.uniform(0, 3600) for h in rng.choices(range(24), weights=HOURLY, k=n_visits))
        for start_rel in starts:
            start_rel = max(start_rel, busy_until + 20)     # one lifter at a time at the mirror
            if start_rel > 21.9 * 3600:
                continue
            t = _epoch(d, start_rel, tz)
            pid += 1
            n_sets = rng.choices((0, 1, 2, 3, 4), weights=(2, 4, 4, 3, 1))[0]
            cur = t + rng.uniform(5, 40)
            last_set_end = None
            for _s in range(n_sets):
                sid += 1
                set_start = cur
                n_reps = rng.randint(4, 12)
                ex = rng.choices(EXERCISES, weights=(5, 2, 1, 2))[0]
                clean = 0
                for _r in range(n_reps):
                    rid += 1
                    dur = rng.uniform(2.0, 4.5)
                    squat = rng.random() < 0.04
                    u = rng.random()
                    if u < 0.05:
                        verdict, fl = "not_judged", ()
                        for rule in ("rounded_back",) if rng.random() < 0.7 else ("rounded_back", "hip_shift"):
                            ev.unjudged.append((rid, rule))
                    elif u < 0.05 + 0.95 * p_clean and not squat:
                        verdict, fl = "clean", ()
                    else:
                        verdict = "faults"
                        fl = tuple(sorted(set(rng.choices(FAULTS, weights=FAULT_WEIGHTS, k=rng.choice((1, 1, 2))))))
                        if squat and "knee_dominant" not in fl:
                            fl = tuple(sorted(fl + ("knee_dominant",)))
                    if verdict == "clean":
                        clean += 1
                    metrics = (rng.uniform(60, 100), rng.uniform(10, 50), rng.uniform(0, 30), dur * 0.45,
                               dur * 0.4, rng.uniform(-5, 20), rng.uniform(0, 0.08))
                    ev.reps.append((rid, sid, cur, cur + dur * 0.45, cur + dur, "squat" if squat else "hinge")
                                   + metrics + (verdict, "squat" if squat else ex, software_version, strict))
                    for f in fl:
                        ev.faults.append((rid, f))
                    if fl:
                        ev.cues.append((cur + dur * 0.3, CUE_OF[fl[0]], "fault", fl[0]))
                    elif verdict == "clean" and rng.random() < 0.2:
                        ev.cues.append((cur + dur + 0.2, "good_rep", "praise", None))
                    cur += dur + rng.uniform(0.2, 1.0)
                rest = None if last_set_end is None else set_start - last_set_end
                ev.sets.append((sid, pid, set_start, cur, ex, "hinge", n_reps, clean, rest, software_version, strict))
                last_set_end = cur
                cur += rng.uniform(40, 150)
            end = max(cur, t + rng.uniform(30, 240))
            ev.presence.append((pid, t, end))
            busy_until = end - _epoch(d, 0, tz)
    return ev


def write_events(path: Path, ev: Events) -> Path:
    """A usage log at `path` (created, or added to) holding the events."""
    conn = open_for_writing(Path(path))
    try:
        conn.execute("BEGIN IMMEDIATE")
        insert_rows(conn, "meta", [("station_id", ev.station_id)])
        insert_rows(conn, "session_start", [(i, s) for i, s, _ in ev.presence])
        insert_rows(conn, "session_end", [(e, i) for i, _, e in ev.presence])
        insert_rows(conn, "set", ev.sets)
        insert_rows(conn, "rep", ev.reps)
        insert_rows(conn, "fault", ev.faults)
        insert_rows(conn, "unjudged", ev.unjudged)
        insert_rows(conn, "cue", ev.cues)
        insert_rows(conn, "health", ev.health)
        insert_rows(conn, "sample", ev.samples)
        conn.execute("COMMIT")
    finally:
        conn.close()
    return Path(path)
