"""The nightly summary: one or more stations' day, against the week before and a 4-week trend.

    sources = load_sources([Path("usage.sqlite3"), Path("exports/")])   # databases and exports
    report = build_report(sources, date(2026, 11, 29))                  # a JSON-able dict
    paths = write_report(report, out_dir)                               # .html, .json, .csv

A *source* is one station: its own SQLite log (read-only), or the nightly JSON exports it wrote
into ``usage.summary_dir`` (one file per station and day: ``usage-<station>-<date>.json``).
WAL databases must not be read over a network share, so a gym collects the exports in one
place with any copy tool and summarises them there. A missing file, a corrupt one, or a day
with no use each become a clear line in the report (and on stderr); the other stations are
still reported.
"""
from __future__ import annotations

import atexit
import csv
import io
import json
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Iterable

from station import fileio
from station.usage.figures import DayFigures, derived, figures_by_day, problems, station_meta
from station.usage.schema import SCHEMA_VERSION, SchemaError, migrate, version_of
from station.usage.store import connect

REPORT_SCHEMA = "station.usage-summary/1"
EXPORT_SCHEMA = "station.usage-export/1"
TREND_DAYS = 28
COMPARE_DAYS = 7
SQLITE_MAGIC = b"SQLite format 3\x00"
UNUSUAL_QUIET_SESSIONS = 5      # a day without visits needs staff when the week before averaged this many


def export_name(station_id: str, day: date) -> str:
    return f"usage-{station_id}-{day.isoformat()}.json"


# --------------------------------------------------------------------------- sources

@dataclass
class Source:
    """One station's data. status: "ok", "missing" or "corrupt" (then message says why).

    In a report a station's status is then "ok", "empty" (running, nobody used it), "silent"
    (nothing recorded at all, or no export for the day), "missing" or "corrupt".
    """

    station_id: str
    name: str
    path: Path
    kind: str                         # "database" or "exports"
    status: str = "ok"
    message: str = ""
    tz: tzinfo | None = None
    exports: dict = field(default_factory=dict)   # date -> DayFigures (kind "exports")
    read_path: Path | None = None                  # a migrated copy of an older log, if any
    export_problems: list = field(default_factory=list)

    def figures(self, days: list[date]) -> dict[date, DayFigures | None]:
        if self.status != "ok":
            return {d: None for d in days}
        if self.kind == "exports":
            return {d: self.exports.get(d) for d in days}
        try:
            conn = connect(self.read_path or self.path, readonly=True)
            try:
                return figures_by_day(conn, days, self.tz)
            finally:
                conn.close()
        except sqlite3.DatabaseError as e:
            self.status, self.message = "corrupt", _corrupt_msg(self.path, e)
            return {d: None for d in days}


def _corrupt_msg(path: Path, e: Exception) -> str:
    return (f"{path}: the usage log is damaged and cannot be read ({e}). The station keeps running; "
            "copy the file aside for inspection and move it away so the station starts a new log")


def _open_db_source(path: Path, tz: tzinfo | None, name: str | None) -> Source:
    stem = path.stem.replace("usage-", "") or "station"
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except FileNotFoundError:
        return Source(stem, name or stem, path, "database", "missing",
                      f"{path}: no usage log here (the station has not run yet, or the path is wrong)")
    except OSError as e:
        return Source(stem, name or stem, path, "database", "missing", f"{path}: cannot read: {e.strerror}")
    if head != SQLITE_MAGIC:
        return Source(stem, name or stem, path, "database", "corrupt",
                      f"{path}: not an SQLite usage log (it does not start with the SQLite header); "
                      "a damaged file or the wrong path")
    try:
        conn = connect(path, readonly=True)
        try:
            meta = station_meta(conn)
            conn.execute("SELECT count(*) FROM reps").fetchone()
            version = version_of(conn)
        finally:
            conn.close()
    except sqlite3.DatabaseError as e:
        return Source(stem, name or stem, path, "database", "corrupt", _corrupt_msg(path, e))
    sid = meta.get("station_id", stem)
    if version > SCHEMA_VERSION:
        return Source(sid, name or sid, path, "database", "corrupt",
                      f"{path}: usage schema version {version} is newer than this software knows "
                      f"({SCHEMA_VERSION}); update the software on the machine that summarises")
    src = Source(sid, name or sid, path, "database", tz=tz)
    if version < SCHEMA_VERSION:
        # a log from older software (a copy, or a station not yet updated): read a migrated
        # snapshot, never the original
        try:
            src.read_path = _migrated_copy(path)
        except (sqlite3.Error, SchemaError, OSError) as e:
            return Source(sid, name or sid, path, "database", "corrupt",
                          f"{path}: cannot read this older usage log (version {version}): {e}")
    return src


def _migrated_copy(path: Path) -> Path:
    tmp = Path(tempfile.mkdtemp(prefix="station-usage-old-"))
    atexit.register(shutil.rmtree, tmp, True)
    copy = tmp / Path(path).name
    src = connect(path, readonly=True)
    dst = sqlite3.connect(str(copy), isolation_level=None)
    try:
        src.backup(dst)                  # a consistent snapshot, WAL included
        migrate(dst)
    finally:
        src.close()
        dst.close()
    return copy


def read_export(path: Path) -> tuple[str, str, date, DayFigures]:
    """(station id, name, day, figures) of one nightly export; ValueError if it is not one."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"{path}: not a usage export (not JSON: {e})") from None
    if not isinstance(doc, dict) or doc.get("schema") != EXPORT_SCHEMA:
        raise ValueError(f"{path}: not a usage export (schema should be {EXPORT_SCHEMA!r})")
    try:
        day = date.fromisoformat(doc["date"])
        return str(doc["station_id"]), str(doc.get("name") or doc["station_id"]), day, \
            DayFigures.from_json(doc["figures"])
    except (KeyError, TypeError, ValueError) as e:
        raise ValueError(f"{path}: damaged usage export ({e})") from None


def load_sources(paths: Iterable[Path], tz: tzinfo | None = None,
                 names: dict[str, str] | None = None) -> list[Source]:
    """Stations from databases, export files, and directories holding either.

    A station given both as a database and as exports is read from its database. Order: as
    given (directories sorted by name).
    """
    names = names or {}
    dbs: list[Source] = []
    exports: dict[str, Source] = {}
    bad: list[Source] = []
    files: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            kids = sorted(x for x in p.iterdir() if x.is_file() and (
                x.suffix == ".json" and x.name.startswith("usage-") or x.suffix in (".sqlite3", ".sqlite", ".db")))
            if not kids:
                bad.append(Source(p.name or str(p), p.name or str(p), p, "exports", "missing",
                                  f"{p}: no usage logs (*.sqlite3) or exports (usage-*.json) in this directory"))
            files.extend(kids)
        else:
            files.append(p)
    for p in files:
        if p.suffix == ".json":
            if not p.exists():
                bad.append(Source(p.stem, p.stem, p, "exports", "missing", f"{p}: no such export file"))
                continue
            try:
                sid, name, day, figs = read_export(p)
            except (ValueError, OSError) as e:
                bad.append(Source(p.stem, p.stem, p, "exports", "corrupt", str(e)))
                continue
            src = exports.setdefault(sid, Source(sid, names.get(sid, name), p.parent, "exports", tz=tz))
            if day in src.exports:
                src.export_problems.append(f"{p}: a second export for {sid} on {day}; the first was used")
            else:
                src.exports[day] = figs
        else:
            dbs.append(_open_db_source(p, tz, None))
    for s in dbs:
        if s.station_id in names:
            s.name = names[s.station_id]
    have = {s.station_id for s in dbs if s.status == "ok"}
    out = dbs + [s for sid, s in exports.items() if sid not in have] + bad
    return out


# --------------------------------------------------------------------------- the report

def _days_back(day: date, n: int) -> list[date]:
    return [day - timedelta(days=i) for i in range(n - 1, -1, -1)]


def _compare(prev: list[DayFigures | None]) -> dict | None:
    have = [f for f in prev if f is not None and f.has_anything]   # days the station existed
    if not have:
        return None
    tot = DayFigures.merged(have)
    d = derived(tot)
    n = len(have)
    per_day = {k: round(d[k] / n, 2) for k in ("sessions", "presence_minutes", "sets", "reps", "uptime_hours",
                                                "camera_dropouts", "camera_lost_minutes", "config_refusals",
                                                "errors")}
    per_day.update(days_with_data=n, clean_share=d["clean_share"], processing_fps=d["processing_fps"],
                   median_session_minutes=d["median_session_minutes"])
    return per_day


def _trend(series: dict[date, DayFigures | None], day: date) -> dict:
    days = _days_back(day, TREND_DAYS)
    daily = []
    for d in days:
        f = series.get(d)
        daily.append({"date": d.isoformat(),
                      "clean_share": None if f is None or not f.judged_reps else round(f.clean_reps / f.judged_reps, 4),
                      "judged_reps": 0 if f is None else f.judged_reps,
                      "strictness": None if f is None or not f.reps_by_strictness else sorted(f.reps_by_strictness),
                      "software_version": None if f is None or not f.reps_by_version else sorted(f.reps_by_version)})
    weekly = []
    for w in range(TREND_DAYS // 7):
        chunk = [series.get(d) for d in days[w * 7:(w + 1) * 7]]
        tot = DayFigures.merged(c for c in chunk if c is not None)
        weekly.append({"from": days[w * 7].isoformat(), "to": days[w * 7 + 6].isoformat(),
                       "clean_share": None if not tot.judged_reps else round(tot.clean_reps / tot.judged_reps, 4),
                       "judged_reps": tot.judged_reps})
    return {"daily": daily, "weekly": weekly, "changes": _changes(daily)}


def _changes(daily: list[dict]) -> list[dict]:
    """Days on which the profile's strictness or the software changed (against the last day
    with reps): figures either side are not directly comparable."""
    changes = []
    last: dict = {}
    for e in daily:
        what = []
        for key, name in (("strictness", "strictness"), ("software_version", "software")):
            cur = e[key]
            if cur is None:
                continue
            prev = last.get(key)
            if prev is not None and cur != prev:
                # a day holding both (the change happened that day) counts as the change
                new = [x for x in cur if x not in prev] or cur
                what.append(f"{name} {'/'.join(prev)} → {'/'.join(new)}")
                last[key] = new
            else:
                last[key] = cur if prev is None or len(cur) == 1 else prev
        if what:
            changes.append({"date": e["date"], "change": ", ".join(what)})
    return changes


def _block(station_id: str, name: str, f: DayFigures | None, series: dict, day: date, status: str,
           message: str, source: str, tz: tzinfo | None = None) -> dict:
    prev = [series.get(d) for d in _days_back(day - timedelta(days=1), COMPARE_DAYS)]
    block = {"station_id": station_id, "name": name, "source": source, "status": status, "message": message,
             "figures": None if f is None else derived(f), "raw": None if f is None else f.to_json(),
             "previous_7_days": _compare(prev), "trend": _trend(series, day),
             "problems": [] if f is None else problems(f, tz)}
    return block


def build_report(sources: list[Source], day: date, pending_deliveries: list[dict] | None = None,
                 now: datetime | None = None) -> dict:
    """The report for `day`: a block per station, the gym's total when there are several, and
    the lines that must reach staff (missing, corrupt, empty)."""
    days = _days_back(day, TREND_DAYS)
    stations, notes = [], []
    total_series: dict[date, DayFigures] = {}
    for src in sources:
        series = src.figures(days) if src.status == "ok" else {}
        f = series.get(day)
        status, message = src.status, src.message
        if status == "ok":
            if f is None or not f.has_use:
                status = "empty"
                if f is not None and f.has_anything:
                    message = (f"{src.station_id}: no use recorded on {day.isoformat()} (the station was up "
                               f"{f.uptime_s / 3600:.1f} h and nobody stepped into its zone)")
                elif src.kind == "exports" and f is None:
                    status = "silent"
                    message = (f"{src.station_id}: no export for {day.isoformat()} in {src.path} (copy "
                               f"{export_name(src.station_id, day)} from the station)")
                else:
                    status = "silent"
                    message = (f"{src.station_id}: nothing at all recorded on {day.isoformat()}, not even a "
                               "start-up — was the station running? (`systemctl status station`; ignore on a "
                               "day the gym was closed)")
        for p in src.export_problems:
            notes.append(p)
        if message:
            notes.append(message)
        for d, fd in series.items():
            if fd is not None:
                total_series[d] = total_series.get(d, DayFigures()).add(fd)
        block = _block(src.station_id, src.name, f, series, day, status, message, f"{src.kind}: {src.path}", src.tz)
        usual = (block["previous_7_days"] or {}).get("sessions") or 0
        if status == "empty" and f is not None and f.uptime_s > 0 and usual >= UNUSUAL_QUIET_SESSIONS:
            block["problems"].append(f"no visits all day while it was up, though it usually has {usual:.0f} a day — "
                                     "is the camera's view blocked, or has the lifting zone moved?")
        stations.append(block)
    gym = None
    if len(sources) > 1:
        ok = [s for s in stations if s["raw"] is not None]
        f = DayFigures.merged(DayFigures.from_json(s["raw"]) for s in ok) if ok else None
        n_ok = sum(1 for s in stations if s["raw"] is not None)
        label = f"All {len(sources)} stations" + (f" ({n_ok} reported)" if n_ok < len(sources) else "")
        gym = _block("gym", label, f, total_series, day,
                     "ok" if f is not None and f.has_use else "empty", "", "merged",
                     sources[0].tz if sources else None)
        gym["stations_reported"] = sum(1 for s in stations if s["status"] == "ok")
        gym["trend"]["changes"] = sorted(({"date": c["date"], "change": f"{s['name']}: {c['change']}"}
                                          for s in stations for c in s["trend"]["changes"]),
                                         key=lambda c: c["date"])
    now = now or datetime.now(timezone.utc)
    return {"schema": REPORT_SCHEMA, "date": day.isoformat(), "generated_utc": now.isoformat(timespec="seconds"),
            "stations": stations, "gym": gym, "notes": notes,
            "deliveries_pending": list(pending_deliveries or [])}


# --------------------------------------------------------------------------- writing
# (every file through station.fileio: a temporary file beside it, fsynced, renamed into place)

def report_csv(report: dict) -> str:
    """Every figure of the report, one per row: station, date, figure, key, value."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["station", "date", "figure", "key", "value"])
    blocks = list(report["stations"]) + ([report["gym"]] if report["gym"] else [])
    for b in blocks:
        sid, day = b["station_id"], report["date"]
        w.writerow([sid, day, "status", "", b["status"]])
        f, raw = b["figures"], b["raw"]
        if f is not None:
            for k, v in f.items():
                if k == "top_faults":
                    for t in v:
                        w.writerow([sid, day, "reps_with_fault", t["fault"], t["reps"]])
                else:
                    w.writerow([sid, day, k, "", "" if v is None else v])
            for h in range(24):
                w.writerow([sid, day, "presence_minutes_by_hour", f"{h:02d}", round(raw["presence_s_by_hour"][h] / 60, 2)])
            for h in range(24):
                w.writerow([sid, day, "reps_by_hour", f"{h:02d}", raw["reps_by_hour"][h]])
            for fig in ("sets_by_exercise", "reps_by_exercise", "reps_by_pattern", "cues", "reps_by_strictness",
                        "reps_by_version", "unjudged_rules"):
                for k, v in sorted(raw[fig].items()):
                    w.writerow([sid, day, fig, k, v])
        prev = b["previous_7_days"]
        if prev:
            for k, v in prev.items():
                w.writerow([sid, day, "previous_7_days_per_day", k, "" if v is None else v])
        for wk in b["trend"]["weekly"]:
            w.writerow([sid, day, "weekly_clean_share", f"{wk['from']}..{wk['to']}",
                        "" if wk["clean_share"] is None else wk["clean_share"]])
        for p in b["problems"]:
            w.writerow([sid, day, "problem", "", p])
    for d in report["deliveries_pending"]:
        w.writerow(["", report["date"], "delivery_pending", d.get("date", ""), d.get("error", "")])
    return buf.getvalue()


def report_paths(out_dir: Path, day: date) -> dict[str, Path]:
    base = Path(out_dir) / f"summary-{day.isoformat()}"
    return {"html": base.with_suffix(".html"), "json": base.with_suffix(".json"), "csv": base.with_suffix(".csv")}


def write_report(report: dict, out_dir: Path) -> dict[str, Path]:
    from station.usage.html import render_html

    paths = report_paths(out_dir, date.fromisoformat(report["date"]))
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    fileio.write_text(paths["json"], json.dumps(report, indent=1, ensure_ascii=False) + "\n")
    fileio.write_text(paths["csv"], report_csv(report))
    fileio.write_text(paths["html"], render_html(report))
    return paths


def write_export(source: Source, day: date, out_dir: Path, tz_name: str) -> Path | None:
    """The station's nightly export for `day` (None if its log could not be read)."""
    f = source.figures([day]).get(day)
    if f is None:
        return None
    doc = {"schema": EXPORT_SCHEMA, "station_id": source.station_id, "name": source.name,
           "date": day.isoformat(), "timezone": tz_name,
           "generated_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"), "figures": f.to_json()}
    path = Path(out_dir) / export_name(source.station_id, day)
    path.parent.mkdir(parents=True, exist_ok=True)
    fileio.write_text(path, json.dumps(doc, ensure_ascii=False) + "\n")
    return path


def export_all_missing(source: Source, up_to: date, out_dir: Path, tz_name: str, back_days: int = TREND_DAYS) -> list[Path]:
    """Exports for the last `back_days` days that are not in out_dir yet (a first run, or nights
    the job missed), so a gym's collected exports carry the trend too."""
    days = [d for d in _days_back(up_to, back_days) if not (Path(out_dir) / export_name(source.station_id, d)).exists()]
    out = []
    if not days:
        return out
    figs = source.figures(days)
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    for d in days:
        f = figs.get(d)
        if f is None or not f.has_anything:
            continue
        doc = {"schema": EXPORT_SCHEMA, "station_id": source.station_id, "name": source.name,
               "date": d.isoformat(), "timezone": tz_name,
               "generated_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"), "figures": f.to_json()}
        path = Path(out_dir) / export_name(source.station_id, d)
        fileio.write_text(path, json.dumps(doc, ensure_ascii=False) + "\n")
        out.append(path)
    return out


def purge_old_files(out_dir: Path, retention_days: int, today: date) -> list[Path]:
    """Summaries and exports older than the retention period go too."""
    cutoff = today - timedelta(days=retention_days)
    gone = []
    if not Path(out_dir).is_dir():
        return gone
    for p in Path(out_dir).iterdir():
        if not p.is_file() or not (p.name.startswith("summary-") or p.name.startswith("usage-")):
            continue
        stem = p.name.split(".")[0]
        try:
            d = date.fromisoformat(stem[-10:])
        except ValueError:
            continue
        if d < cutoff:
            p.unlink()
            gone.append(p)
    return gone
