"""`station summary`: the report for one day, and the nightly job around it.

    run_summary(cfg, day="2026-11-29", dbs=None, out=None, nightly=False) -> exit status

Without ``--db`` it reads this station's own log (usage.log_path) and also writes the
station's export for the day (and any of the last four weeks missing) into usage.summary_dir.
With ``--db`` it reads the databases, exports and directories given (a gym's stations).

``--nightly`` (what systemd/station-summary.service runs) is the whole night's work, in this
order: retry the deliveries that failed on earlier nights; write yesterday's export and
summary; deliver it (a failure goes to the outbox and shows in the summary's health
section); enforce usage.retention_days on the log and on old summaries and exports.
"""
from __future__ import annotations

import json
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TextIO

from station.fileio import FileWriteError
from station.usage.delivery import DeliveryError, Outbox, send_summary
from station.usage.store import UsageLogError, apply_retention
from station.usage.summary import (build_report, export_all_missing, load_sources, purge_old_files,
                                   report_paths, write_export, write_report)


class SummaryError(Exception):
    """A problem with the command's arguments (printed as a plain error)."""


def parse_day(text: str | None, tz, default: str = "yesterday") -> date:
    today = datetime.now(tz).date()
    text = text or default
    if text == "today":
        return today
    if text == "yesterday":
        return today - timedelta(days=1)
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise SummaryError(f"--date {text!r}: expected YYYY-MM-DD, \"today\" or \"yesterday\"") from None


def _tz_name(cfg) -> str:
    return cfg.hours.timezone


def run_summary(cfg, day: str | None = None, dbs: list[str] | None = None, out: str | None = None,
                nightly: bool = False, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    stdout, stderr = stdout or sys.stdout, stderr or sys.stderr
    tz = cfg.hours.tzinfo()
    the_day = parse_day(day, tz)
    u = cfg.usage
    out_dir = Path(out) if out else Path(u.summary_dir)
    status = 0
    outbox = Outbox(u.summary_dir)

    if dbs:
        sources = load_sources([Path(p) for p in dbs], tz)
    else:
        sources = load_sources([Path(u.log_path)], tz, names={})
        for s in sources:
            if s.kind == "database" and s.status == "ok":
                s.name = cfg.station.name or s.station_id
                if s.station_id != cfg.station.id:
                    print(f"station summary: note: {u.log_path} belongs to station {s.station_id!r}, the config "
                          f"names {cfg.station.id!r}", file=stderr)

    # earlier nights' failed deliveries first
    if nightly and u.delivery != "none":
        for entry in outbox.pending():
            paths = report_paths(u.summary_dir, date.fromisoformat(entry["date"]))
            if entry["date"] == the_day.isoformat() or not all(p.exists() for p in paths.values()):
                continue
            try:
                where = send_summary(u, paths, json.loads(paths["json"].read_text(encoding="utf-8")))
                outbox.done(entry["date"])
                print(f"station summary: delivered the summary of {entry['date']} (failed before): {where}",
                      file=stdout)
            except (DeliveryError, OSError, FileWriteError, ValueError) as e:
                outbox.failed(entry["date"], u.delivery, str(e))
                print(f"station summary: the summary of {entry['date']} still cannot be delivered: {e}", file=stderr)

    if not dbs:
        for s in sources:
            if s.kind == "database" and s.status == "ok":
                try:
                    written = export_all_missing(s, the_day - timedelta(days=1), Path(u.summary_dir), _tz_name(cfg))
                    p = write_export(s, the_day, Path(u.summary_dir), _tz_name(cfg))
                    if p is not None:
                        written.append(p)
                    if written:
                        print(f"station summary: export {p or written[-1]}"
                              + (f" (and {len(written) - 1} earlier days)" if len(written) > 1 else ""), file=stdout)
                except (OSError, FileWriteError) as e:
                    print(f"station summary: cannot write the export into {u.summary_dir}: "
                          f"{getattr(e, 'strerror', None) or e}",
                          file=stderr)
                    status = 1

    pending = [e for e in outbox.pending() if e["date"] != the_day.isoformat()]
    report = build_report(sources, the_day, pending_deliveries=pending)
    for line in report["notes"]:
        print(f"station summary: {line}", file=stderr)
    try:
        paths = write_report(report, out_dir)
    except (OSError, FileWriteError) as e:
        raise SummaryError(f"{out_dir}: cannot write the summary: {getattr(e, 'strerror', None) or e}") from None
    print(f"station summary: {the_day.isoformat()}: " + ", ".join(str(p) for p in paths.values()), file=stdout)

    if nightly and u.delivery != "none":
        try:
            where = send_summary(u, paths, report)
            outbox.done(the_day.isoformat())
            print(f"station summary: {where}", file=stdout)
        except DeliveryError as e:
            entry = outbox.failed(the_day.isoformat(), u.delivery, str(e))
            print(f"station summary: delivery failed, will retry tomorrow night: {e}", file=stderr)
            report = build_report(sources, the_day, pending_deliveries=pending + [entry])
            write_report(report, out_dir)
            status = 1

    if nightly:
        status = max(status, _retention(cfg, stdout, stderr))
    if not dbs and any(s.status in ("missing", "corrupt") for s in sources) and nightly:
        status = 1
    return status


def _retention(cfg, stdout: TextIO, stderr: TextIO) -> int:
    u = cfg.usage
    today = datetime.now(cfg.hours.tzinfo()).date()
    status = 0
    if Path(u.log_path).exists():
        try:
            counts = apply_retention(Path(u.log_path), u.retention_days)
            n = sum(counts.values())
            print(f"station summary: retention {u.retention_days} days: {n} old rows deleted from {u.log_path}",
                  file=stdout)
        except UsageLogError as e:
            print(f"station summary: retention not applied: {e}", file=stderr)
            status = 1
    gone = purge_old_files(Path(u.summary_dir), u.retention_days, today)
    if gone:
        print(f"station summary: {len(gone)} summaries and exports older than {u.retention_days} days deleted",
              file=stdout)
    return status
