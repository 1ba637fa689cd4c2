"""The nightly summary against figures computed directly from known generated logs."""
from __future__ import annotations

import json
import re
from collections import Counter
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from station.usage.figures import DayFigures, derived
from station.usage.generate import generate_days, write_events
from station.usage.summary import build_report, load_sources, write_export, write_report

TZ = ZoneInfo("Europe/Berlin")
FIRST = date(2026, 10, 20)          # spans the end of summer time (25 Oct): a 25-hour day
N_DAYS = 12


def _local(t):
    return datetime.fromtimestamp(t, TZ)


def expected_day(ev, day: date) -> dict:
    """The day's figures straight from the generated event lists (no SQL, no numpy)."""
    in_day = lambda t: _local(t).date() == day  # noqa: E731
    reps = [r for r in ev.reps if in_day(r[2])]
    rep_ids = {r[0] for r in reps}
    presence_by_hour = [0.0] * 24
    for _, s, e in ev.presence:
        t = s
        while t < e:      # walk second by second boundaries of local hours
            lt = _local(t)
            nxt = (lt.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)).timestamp()
            seg_end = min(e, nxt)
            if lt.date() == day:
                presence_by_hour[lt.hour] += seg_end - t
            t = seg_end
    reps_by_hour = [0] * 24
    for r in reps:
        reps_by_hour[_local(r[2]).hour] += 1
    verdicts = Counter(r[13] for r in reps)
    samples = [s for s in ev.samples if in_day(s[0])]
    lost = [h for h in ev.health if h[1] == "camera_recovered" and in_day(h[0] - h[3])]
    return {
        "sessions": sum(1 for _, s, _ in ev.presence if in_day(s)),
        "durations": sorted(e - s for _, s, e in ev.presence if in_day(s)),
        "presence_s_by_hour": presence_by_hour,
        "reps_by_hour": reps_by_hour,
        "sets": sum(1 for s in ev.sets if in_day(s[2])),
        "reps": len(reps),
        "clean": verdicts["clean"], "faults": verdicts["faults"], "not_judged": verdicts["not_judged"],
        "fault_counts": dict(Counter(f for rid, f in ev.faults if rid in rep_ids)),
        "unjudged": dict(Counter(r for rid, r in ev.unjudged if rid in rep_ids)),
        "cues": dict(Counter(c[1] for c in ev.cues if in_day(c[0]))),
        "exercises": dict(Counter(r[14] for r in reps)),
        "uptime_s": sum(s[1] for s in samples), "frames": sum(s[2] for s in samples),
        "dropouts": sum(1 for h in ev.health if h[1] == "camera_lost" and in_day(h[0])),
        "lost_s": sum(h[3] for h in lost),
        "refusals": sum(1 for h in ev.health if h[1] == "config_refused" and in_day(h[0])),
    }


@pytest.fixture(scope="module")
def gym(tmp_path_factory):
    d = tmp_path_factory.mktemp("gym")
    evs = {}
    for i, sid in enumerate(("floor1-a", "floor1-b", "floor2-a")):
        ev = generate_days(FIRST, N_DAYS, TZ, seed=i + 1, station_id=sid, visits_per_day=25)
        write_events(d / f"{sid}.sqlite3", ev)
        evs[sid] = ev
    return d, evs


@pytest.mark.parametrize("day", [FIRST + timedelta(days=10), date(2026, 10, 25), FIRST + timedelta(days=N_DAYS - 1)])
def test_summary_figures_equal_figures_computed_from_the_log(gym, day):
    d, evs = gym
    ev = evs["floor1-a"]
    report = build_report(load_sources([d / "floor1-a.sqlite3"], TZ), day)
    (st,) = report["stations"]
    exp = expected_day(ev, day)
    raw, f = st["raw"], st["figures"]
    assert st["status"] == "ok" and report["gym"] is None
    assert f["sessions"] == exp["sessions"] > 5
    assert sorted(raw["session_durations_s"]) == pytest.approx(exp["durations"], abs=1e-3)
    assert raw["presence_s_by_hour"] == pytest.approx(exp["presence_s_by_hour"], abs=1e-6)
    assert raw["reps_by_hour"] == exp["reps_by_hour"]
    assert (f["sets"], f["reps"]) == (exp["sets"], exp["reps"])
    assert (f["clean_reps"], f["fault_reps"], f["not_judged_reps"]) == (exp["clean"], exp["faults"], exp["not_judged"])
    assert f["clean_share"] == pytest.approx(exp["clean"] / (exp["clean"] + exp["faults"]), abs=1e-4)
    assert raw["faults"] == exp["fault_counts"]
    assert raw["unjudged_rules"] == exp["unjudged"] and exp["unjudged"]["rounded_back"] > 0
    assert [t["fault"] for t in f["top_faults"]][0] == max(exp["fault_counts"], key=exp["fault_counts"].get)
    assert raw["cues"] == exp["cues"]
    assert raw["reps_by_exercise"] == exp["exercises"]
    busiest = max(range(24), key=lambda h: exp["presence_s_by_hour"][h])
    assert f["busiest_hour"] == busiest
    assert raw["uptime_s"] == pytest.approx(exp["uptime_s"]) and raw["frames"] == exp["frames"]
    assert f["processing_fps"] == pytest.approx(exp["frames"] / exp["uptime_s"], abs=0.01)
    assert (f["camera_dropouts"], raw["config_refusals"]) == (exp["dropouts"], exp["refusals"])
    assert raw["camera_lost_s"] == pytest.approx(exp["lost_s"])
    if lost := [h for h in ev.health if h[1] == "camera_recovered" and _local(h[0] - h[3]).date() == day]:
        longest = max(lost, key=lambda h: h[3])
        assert raw["longest_camera_loss_at_s"] == pytest.approx(longest[0] - longest[3])
        if longest[3] >= 60:
            assert f"at {_local(longest[0] - longest[3]):%H:%M}" in st["problems"][0]
    # the previous seven days, per day, from the same direct computation
    prev = [expected_day(ev, day - timedelta(days=k)) for k in range(1, 8) if day - timedelta(days=k) >= FIRST]
    if prev:
        assert st["previous_7_days"]["reps"] == pytest.approx(sum(p["reps"] for p in prev) / len(prev), abs=0.01)
        pc, pf = sum(p["clean"] for p in prev), sum(p["faults"] for p in prev)
        assert st["previous_7_days"]["clean_share"] == pytest.approx(pc / (pc + pf), abs=1e-4)
    # the four-week trend: this week's share equals the clean share of the last seven days
    wk = st["trend"]["weekly"][-1]
    days = [expected_day(ev, day - timedelta(days=k)) for k in range(7) if day - timedelta(days=k) >= FIRST]
    c, fl = sum(x["clean"] for x in days), sum(x["faults"] for x in days)
    assert wk["clean_share"] == pytest.approx(c / (c + fl), abs=1e-4)


def test_a_gym_of_three_stations_merges_into_a_row_each_and_the_total(gym, tmp_path):
    d, evs = gym
    day = FIRST + timedelta(days=9)
    report = build_report(load_sources(sorted(d.glob("*.sqlite3")), TZ), day)
    assert [s["station_id"] for s in report["stations"]] == ["floor1-a", "floor1-b", "floor2-a"]
    g = report["gym"]
    exps = [expected_day(evs[s], day) for s in ("floor1-a", "floor1-b", "floor2-a")]
    assert g["figures"]["reps"] == sum(e["reps"] for e in exps)
    assert g["figures"]["sessions"] == sum(e["sessions"] for e in exps)
    assert g["figures"]["clean_reps"] == sum(e["clean"] for e in exps)
    assert g["raw"]["faults"] == dict(sum((Counter(e["fault_counts"]) for e in exps), Counter()))
    assert g["raw"]["presence_s_by_hour"] == pytest.approx(
        [sum(e["presence_s_by_hour"][h] for e in exps) for h in range(24)], abs=1e-6)
    assert g["figures"]["uptime_hours"] == pytest.approx(sum(e["uptime_s"] for e in exps) / 3600, abs=1e-3)
    # the gym's share is pooled over its reps, not an average of the stations' shares
    c, f = sum(e["clean"] for e in exps), sum(e["faults"] for e in exps)
    assert g["figures"]["clean_share"] == pytest.approx(c / (c + f), abs=1e-4)

    # the same report from the stations' nightly exports (what a gym collects over the network)
    exports = tmp_path / "collected"
    for src in load_sources(sorted(d.glob("*.sqlite3")), TZ):
        for k in range(28):
            write_export(src, day - timedelta(days=k), exports, "Europe/Berlin")
    names = sorted(p.name for p in exports.iterdir())
    assert f"usage-floor1-a-{day}.json" in names
    from_exports = build_report(load_sources([exports], TZ), day)
    assert [s["station_id"] for s in from_exports["stations"]] == ["floor1-a", "floor1-b", "floor2-a"]
    for a, b in zip(report["stations"] + [report["gym"]], from_exports["stations"] + [from_exports["gym"]]):
        assert a["figures"] == b["figures"]
        assert a["previous_7_days"] == b["previous_7_days"]
        assert a["trend"]["weekly"] == b["trend"]["weekly"]
    # an export holds figures only: numbers, times and labels
    doc = json.loads((exports / f"usage-floor1-a-{day}.json").read_text())
    assert set(doc) == {"schema", "station_id", "name", "date", "timezone", "generated_utc", "figures"}
    assert DayFigures.from_json(doc["figures"]).reps == exps[0]["reps"]


def test_missing_corrupt_and_empty_each_get_a_clear_line_and_the_others_are_reported(gym, tmp_path, capsys):
    from station.config import load_station_config
    from station.usage.nightly import run_summary

    d, evs = gym
    day = FIRST + timedelta(days=3)
    corrupt = tmp_path / "floor3-a.sqlite3"
    corrupt.write_bytes(b"SQLite format 3\x00" + bytes(range(256)) * 64)   # header, then garbage
    not_db = tmp_path / "floor3-b.sqlite3"
    not_db.write_bytes(b"\x00\x01 random bytes" * 500)
    bad_export = tmp_path / "usage-floor4-a-2026-10-23.json"
    bad_export.write_text('{"schema": "station.usage-export/1", "station_id": "floor4-a", "date": ')
    missing = tmp_path / "floor9.sqlite3"
    cfg = load_station_config()
    cfg = cfg.model_copy(update={"hours": cfg.hours.model_copy(update={"timezone": "Europe/Berlin"})})
    out = tmp_path / "out"
    status = run_summary(cfg, day=day.isoformat(), dbs=[str(d / "floor1-a.sqlite3"), str(corrupt), str(not_db),
                                                          str(bad_export), str(missing)], out=str(out))
    assert status == 0
    err = capsys.readouterr().err
    assert re.search(r"floor3-a.sqlite3: the usage log is damaged and cannot be read", err)
    assert re.search(r"floor3-b.sqlite3: not an SQLite usage log", err)
    assert re.search(r"usage-floor4-a-2026-10-23.json: not a usage export \(not JSON", err)
    assert re.search(r"floor9.sqlite3: no usage log here", err)
    report = json.loads((out / f"summary-{day}.json").read_text())
    by_status = Counter(s["status"] for s in report["stations"])
    assert by_status == {"ok": 1, "corrupt": 3, "missing": 1}
    ok = [s for s in report["stations"] if s["status"] == "ok"][0]
    assert ok["figures"]["reps"] == expected_day(evs["floor1-a"], day)["reps"]
    html = (out / f"summary-{day}.html").read_text()
    assert "the usage log is damaged and cannot be read" in html and "no usage log here" in html

    # an empty day: running, nobody came; and a day with nothing at all
    empty_day = FIRST + timedelta(days=N_DAYS + 3)
    r = build_report(load_sources([d / "floor1-a.sqlite3"], TZ), empty_day)
    assert r["stations"][0]["status"] == "silent"
    assert r["notes"] == [f"floor1-a: nothing at all recorded on {empty_day}, not even a start-up — was the "
                          "station running? (`systemctl status station`; ignore on a day the gym was closed)"]
    quiet = generate_days(empty_day, 1, TZ, seed=7, station_id="quiet", visits_per_day=0)
    write_events(tmp_path / "quiet.sqlite3", quiet)
    r = build_report(load_sources([tmp_path / "quiet.sqlite3"], TZ), empty_day)
    assert r["stations"][0]["status"] == "empty"
    assert r["notes"] == [f"quiet: no use recorded on {empty_day} (the station was up 16.0 h and nobody stepped "
                          "into its zone)"]
    paths = write_report(r, tmp_path / "empty")
    assert "No use recorded on this day" in paths["html"].read_text()
    assert not any(p.startswith("no visits") for p in r["stations"][0]["problems"])   # no history to compare
    # a station that is usually busy and had nobody all day while up needs a look
    busy = generate_days(empty_day - timedelta(days=7), 7, TZ, seed=8, station_id="quiet", visits_per_day=20)
    write_events(tmp_path / "quiet.sqlite3", busy)
    r = build_report(load_sources([tmp_path / "quiet.sqlite3"], TZ), empty_day)
    assert r["stations"][0]["status"] == "empty"
    assert any(p.startswith("no visits all day while it was up, though it usually has 2") for p in r["stations"][0]["problems"])


def test_the_page_is_self_contained(gym, tmp_path):
    d, _ = gym
    paths = write_report(build_report(load_sources(sorted(d.glob("*.sqlite3")), TZ), FIRST + timedelta(days=9)),
                         tmp_path)
    html = paths["html"].read_text()
    assert html.count("<svg") >= 5
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", html)
    assert "<script" not in html and "@import" not in html and "url(" not in html
    assert "Busiest hour" in html and "Four-week trend" in html and "Station health" in html
    rows = paths["csv"].read_text().splitlines()
    assert rows[0] == "station,date,figure,key,value"
    assert any(r.startswith("gym,") and ",reps,," in r for r in rows)
    doc = json.loads(paths["json"].read_text())
    gym_reps = [r for r in rows if r.startswith("gym,") and ",reps,," in r][0].rsplit(",", 1)[1]
    assert int(gym_reps) == doc["gym"]["figures"]["reps"]


def test_derived_figures_of_an_empty_day_are_blank_not_zero_divisions():
    f = derived(DayFigures())
    assert f["clean_share"] is None and f["busiest_hour"] is None and f["processing_fps"] is None


def test_station_summary_command_merges_databases_and_names_a_bad_date(gym, tmp_path, capsys, monkeypatch):
    from station.cli import main

    d, evs = gym
    cfg = tmp_path / "station.toml"
    cfg.write_text('[station]\nid = "desk"\n[hours]\ntimezone = "Europe/Berlin"\n[usage]\n'
                   f'summary_dir = "{tmp_path / "summaries"}"\n')
    day = FIRST + timedelta(days=6)
    out = tmp_path / "report"
    assert main(["--config", str(cfg), "summary", "--db", str(d / "floor1-a.sqlite3"), str(d / "floor1-b.sqlite3"),
                 "--db", str(d / "floor2-a.sqlite3"), "--date", day.isoformat(), "--out", str(out)]) == 0
    doc = json.loads((out / f"summary-{day}.json").read_text())
    assert [s["station_id"] for s in doc["stations"]] == ["floor1-a", "floor1-b", "floor2-a"]
    assert doc["gym"]["figures"]["reps"] == sum(expected_day(evs[s], day)["reps"] for s in evs)
    assert sorted(p.name for p in out.iterdir()) == [f"summary-{day}.{x}" for x in ("csv", "html", "json")]
    assert main(["--config", str(cfg), "summary", "--date", "29.11.2026"]) == 2
    assert "station: error: --date '29.11.2026': expected YYYY-MM-DD" in capsys.readouterr().err


def test_a_summary_that_cannot_be_written_names_the_file_and_keeps_the_old_one(tmp_path):
    """The summary's files go through station.fileio: a failed write raises naming the file,
    the previous file of that name is untouched and no temporary file is left behind."""
    from station.fileio import FileWriteError

    day = FIRST + timedelta(days=3)
    quiet = generate_days(day, 1, TZ, seed=7, station_id="quiet", visits_per_day=0)
    write_events(tmp_path / "quiet.sqlite3", quiet)
    report = build_report(load_sources([tmp_path / "quiet.sqlite3"], TZ), day)
    out = tmp_path / "out"
    paths = write_report(report, out)                  # the directory is made
    old = {k: p.read_bytes() for k, p in paths.items()}
    paths["html"].unlink()
    paths["html"].mkdir()                              # the page's name is taken by a directory
    report["notes"] = ["a second run"]
    with pytest.raises(FileWriteError, match=re.escape(str(paths["html"]))):
        write_report(report, out)
    assert paths["json"].read_bytes() != old["json"]   # written before the page, whole
    assert json.loads(paths["json"].read_text())["notes"] == ["a second run"]
    assert paths["csv"].read_bytes() == old["csv"]     # nothing in it changed
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in paths.values())


def _short_visit(path, sets: int, t0: float) -> None:
    """A visit of 20 s in front of the mirror: `sets` sets of three reps, 4 s apart."""
    from station.usage.store import UsageLog

    with UsageLog(path, "demo-mirror") as log:
        log.health("startup", t0 - 5.0)
        sid = log.session_start(t0)
        t = t0 + 1.0
        for k in range(sets):
            set_id = log.new_set_id()
            start = t
            for _ in range(3):
                log.rep(set_id, start_s=t, bottom_s=t + 0.8, end_s=t + 2.0, pattern="hinge",
                        metrics={"eccentric_s": 0.8}, verdict="clean", exercise="rdl")
                t += 2.0
            log.set_done(set_id, session_id=sid, start_s=start, end_s=t, exercise="rdl", pattern="hinge", reps=3,
                         clean_reps=3, rest_before_s=None if k == 0 else 4.0)
            t += 4.0
        log.session_end(sid, t0 + 20.0)
        log.sample(t0 + 25.0, 30.0, 900, 10.0)
        log.health("shutdown", t0 + 25.0)


@pytest.mark.parametrize("sets", [1, 2])
def test_a_short_visit_reads_under_a_minute_and_a_single_set_has_no_rest_figure(tmp_path, sets):
    day = date(2026, 11, 28)
    t0 = datetime(2026, 11, 28, 10, 15, tzinfo=TZ).timestamp()
    _short_visit(tmp_path / "demo.sqlite3", sets, t0)
    html = write_report(build_report(load_sources([tmp_path / "demo.sqlite3"], TZ), day), tmp_path / "out")["html"]
    text = re.sub(r"<[^>]+>", "", html.read_text())
    assert "0 min in use" not in text and "under a minute in use" in text
    assert "— s" not in text
    if sets == 1:
        assert "1 set of 3 reps (a single set: no rest between sets to measure)." in text
        assert "1 visit, 20 s." in text and "1 visits" not in text
        assert "0.0 h" not in text            # up 30 s, not "0.0 h"
    else:
        assert "2 sets, 6 reps (3.0 per set; rest between sets 4 s on average)." in text


@pytest.mark.parametrize("unjudged, camera_advice", [(("rounded_back",), False),
                                                     (("rounded_back", "too_fast"), True)])
def test_staff_are_sent_to_the_camera_only_when_more_than_the_back_went_unjudged(tmp_path, unjudged, camera_advice):
    # the back alone goes unjudged on some bodies at every mount (a fit that cannot read it);
    # a rep whose tempo went unjudged too is one the camera did not see well
    from station.usage.store import UsageLog

    day = date(2026, 11, 28)
    t0 = datetime(2026, 11, 28, 10, 15, tzinfo=TZ).timestamp()
    with UsageLog(tmp_path / "demo.sqlite3", "demo-mirror") as log:
        sid = log.session_start(t0)
        set_id = log.new_set_id()
        for k, (verdict, nj) in enumerate((("clean", ()), ("not_judged", unjudged), ("clean", ()))):
            t = t0 + 1.0 + 2.0 * k
            log.rep(set_id, start_s=t, bottom_s=t + 0.8, end_s=t + 2.0, pattern="hinge",
                    metrics={"eccentric_s": 0.8}, verdict=verdict, exercise="rdl", not_judged=nj)
        log.set_done(set_id, session_id=sid, start_s=t0 + 1.0, end_s=t0 + 7.0, exercise="rdl", pattern="hinge",
                     reps=3, clean_reps=2, rest_before_s=None)
        log.session_end(sid, t0 + 20.0)
    html = write_report(build_report(load_sources([tmp_path / "demo.sqlite3"], TZ), day), tmp_path / "out")["html"]
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html.read_text()))
    assert "1 rep not judged" in text
    assert ("Check the camera's view of the lifter" in text) == camera_advice
    assert ("Only the back went unjudged" in text) == (not camera_advice)
