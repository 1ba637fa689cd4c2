"""Example usage summaries from generated logs, and full-page PNGs of them (headless Chromium).

    .venv/bin/python scripts/usage_pages.py OUT_DIR

Writes OUT_DIR/{one,gym,empty}/summary-2026-11-27.{html,json,csv} — one station; a gym of
three stations (one with a long camera drop-out and a refused config); a day a station ran and
nobody came — and, when `chromium` is installed (Debian: apt-get install chromium), OUT_DIR/
{one,gym,empty}.png of each whole page, to look at.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from station import fileio
from station.usage.generate import generate_days, write_events
from station.usage.summary import build_report, load_sources, write_report

TZ = ZoneInfo("Europe/Berlin")
DAY = date(2026, 11, 27)
FIRST = date(2026, 10, 20)


def _on(t: float) -> bool:
    return datetime.fromtimestamp(t, TZ).date() == DAY


def make_logs(out: Path) -> dict[str, list[Path]]:
    logs = out / "logs"
    shutil.rmtree(logs, ignore_errors=True)
    logs.mkdir(parents=True)
    for i, sid in enumerate(["floor1-mirror1", "floor1-mirror2", "floor2-mirror1"]):
        ev = generate_days(FIRST, 39, TZ, seed=i, station_id=sid, clean_trend_per_day=0.004,
                           strictness_change_day=30 if i == 0 else None, visits_per_day=(30, 18, 24)[i])
        if i == 1:   # a bad day: a long camera loss in the evening and a refused config
            t = datetime(2026, 11, 27, 18, 12, tzinfo=TZ).timestamp()
            ev.health += [(t, "camera_lost", "reconnecting", None), (t + 260, "camera_recovered", None, 260.0),
                          (t + 3000, "config_refused", None, None)]
        write_events(logs / f"{sid}.sqlite3", ev)
    quiet = generate_days(FIRST, 39, TZ, seed=9, station_id="floor3-mirror1", clean_trend_per_day=0.004)
    quiet.presence = [p for p in quiet.presence if not _on(p[1])]
    sets = {s[0] for s in quiet.sets if not _on(s[2])}
    quiet.sets = [s for s in quiet.sets if s[0] in sets]
    reps = {r[0] for r in quiet.reps if r[1] in sets}
    quiet.reps = [r for r in quiet.reps if r[0] in reps]
    quiet.faults = [f for f in quiet.faults if f[0] in reps]
    quiet.cues = [c for c in quiet.cues if not _on(c[0])]
    write_events(logs / "quiet-floor3-mirror1.sqlite3", quiet)
    return {"one": [logs / "floor1-mirror1.sqlite3"],
            "gym": [logs / f"{s}.sqlite3" for s in ("floor1-mirror1", "floor1-mirror2", "floor2-mirror1")],
            "empty": [logs / "quiet-floor3-mirror1.sqlite3"]}


def screenshot(html: Path, png: Path, width: int = 1100) -> None:
    """The whole page: a tall window, then the empty background below the page cut off."""
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    import numpy as np
    import pygame

    profile = tempfile.mkdtemp(prefix="usage-pages-chromium-")
    try:
        shot = Path(profile) / "screenshot.png"
        subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                        "--disable-component-update", "--disable-sync", "--no-first-run",
                        f"--user-data-dir={profile}", "--hide-scrollbars", f"--screenshot={shot}",
                        f"--window-size={width},7000", html.resolve().as_uri()],
                       check=True, capture_output=True, timeout=120)
        img = pygame.image.load(str(shot))
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    px = pygame.surfarray.array3d(img)
    rows = np.nonzero((px != px[2, -2]).any(axis=(0, 2)))[0]
    h = min(img.get_height(), int(rows[-1]) + 24 if len(rows) else img.get_height())
    staged = fileio.StagedFile(png)   # the page's PNG replaced whole, never rewritten in place
    with staged as tmp:
        pygame.image.save(img.subsurface((0, 0, img.get_width(), h)), str(tmp))
        staged.commit()


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "usage-pages")
    for name, paths in make_logs(out).items():
        report = build_report(load_sources(paths, TZ), DAY)
        html = write_report(report, out / name)["html"]
        print(html, *report["notes"], sep="\n  ")
        if shutil.which("chromium"):
            screenshot(html, out / f"{name}.png")
            print(f"  -> {out / f'{name}.png'}")


if __name__ == "__main__":
    main()
