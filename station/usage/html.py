"""The summary as one self-contained HTML page: inline CSS and SVG charts, no scripts, no network.

render_html(report) -> str, from the dict station.usage.summary.build_report makes. Layout,
top to bottom, in the order a manager reads it: what needs staff; the day at a glance against
the week before; one row per station; when the stations were used; visits; what was trained;
technique (clean share, faults, the four-week trend); cues; station health.
"""
from __future__ import annotations

from datetime import date
from html import escape

from station.form.confidence_gate import doubt_covers
from station.form.rules import RULE_TYPES
from station.form.texts import cue_text

COLOURS = ("#2f6fdf", "#e0823d", "#3aa37a", "#9b59b6", "#d64550", "#8c7b3a", "#4bb3c8", "#6d6d6d",
           "#c2579a", "#5d8c2d")
CLEAN, FAULT, UNSURE = "#3aa37a", "#e0823d", "#b9bec7"

# the staff's wording of each fault lives on its rule (station.form.rules)
FAULT_TEXT = {n: r.staff_text for n, r in RULE_TYPES.items()}
RULE_TEXT = {n: r.staff_part for n, r in RULE_TYPES.items()}
EXERCISE_TEXT = {"rdl": "Romanian deadlift", "deadlift": "Deadlift", "good_morning": "Good morning",
                 "kettlebell_swing": "Kettlebell swing", "squat": "Squat (recognised)"}

CSS = """
*{box-sizing:border-box}
body{margin:0;background:#f3f4f6;color:#1d2430;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif}
main{max-width:1060px;margin:0 auto;padding:24px 20px 40px}
h1{font-size:26px;margin:0 0 2px}
h2{font-size:18px;margin:0 0 10px}
.sub{color:#5b6472;margin:0 0 18px}
section{background:#fff;border-radius:10px;padding:16px 18px;margin:0 0 16px;box-shadow:0 1px 2px rgba(0,0,0,.06)}
.tiles{display:grid;grid-template-columns:repeat(6,1fr);gap:10px}
.tile{background:#f7f8fa;border-radius:8px;padding:10px 12px}
.tile .v{font-size:26px;font-weight:650}
.tile .k{color:#5b6472;font-size:13px}
.tile .c{font-size:12.5px;color:#5b6472;margin-top:2px}
.up{color:#1f7a52}.down{color:#b23a2b}
.alert{border-left:6px solid #d64550}
.alert li{margin:3px 0}
.ok{border-left:6px solid #3aa37a}
.empty{border-left:6px solid #b9bec7}
table{border-collapse:collapse;width:100%;font-size:14px}
th,td{text-align:right;padding:6px 8px;border-bottom:1px solid #e6e8ec}
td{white-space:nowrap}
th:first-child,td:first-child{text-align:left}
thead th{color:#5b6472;font-weight:600;font-size:13px}
tr.total td{font-weight:650;border-top:2px solid #1d2430}
.two{display:grid;grid-template-columns:1fr 1fr;gap:16px}
.note{color:#5b6472;font-size:13px}
.legend span{display:inline-block;margin-right:14px;font-size:13px}
.legend i{display:inline-block;width:11px;height:11px;border-radius:2px;margin-right:5px;vertical-align:-1px}
.big{font-size:34px;font-weight:700}
svg text{font-family:inherit}
footer{color:#5b6472;font-size:12.5px;text-align:center}
@media print{body{background:#fff}section{box-shadow:none;border:1px solid #ddd}}
"""


def _pct(x) -> str:
    return "—" if x is None else f"{100 * x:.0f}%"


def _num(x, digits: int = 0) -> str:
    if x is None:
        return "—"
    return f"{x:,.{digits}f}"


def _minutes(m) -> str:
    if m is None:
        return "—"
    if m >= 90:
        return f"{m / 60:.1f} h"
    return f"{m:.0f} min" if m >= 1 else f"{m * 60:.0f} s"


def _in_use(seconds: float) -> str:
    """'12 min in use'; a visit shorter than a minute is 'under a minute', never '0 min'."""
    return "under a minute in use" if seconds < 59.5 else f"{seconds / 60:.0f} min in use"


def _sets_line(f: dict) -> str:
    """'12 sets, 96 reps (8.0 per set; rest between sets 95 s on average).', without a rest
    figure where there is none to measure (a single set, or no two sets in the same visit)."""
    sets, reps = f["sets"], f["reps"]
    n_reps = f'<b>{reps}</b> rep{"" if reps == 1 else "s"}'
    if sets == 1:
        return f"<b>1</b> set of {n_reps} (a single set: no rest between sets to measure)."
    head = f"<b>{sets}</b> sets, {n_reps}"
    if not sets:
        return head + "."
    if f["mean_rest_s"] is not None:
        rest = f"rest between sets {_num(f['mean_rest_s'])} s on average"
    else:
        rest = "no two sets in the same visit, so no rest to measure"
    return head + f' ({_num(f["reps_per_set"], 1)} per set; {rest}).'


def _visits_line(f: dict) -> str:
    n = f["sessions"]
    if n == 1:
        return f'<span class="big">1</span> visit, {_minutes(f["longest_session_minutes"])}.'
    return (f'<span class="big">{n}</span> visits, median {_minutes(f["median_session_minutes"])}, '
            f'longest {_minutes(f["longest_session_minutes"])}.')


def _uptime(hours) -> str:
    """Hours up; under an hour in minutes (a demo's 30 s is not '0.0 h')."""
    return _minutes(hours * 60) if hours is not None and hours < 1 else f"{hours:.1f} h"


def _up_hours(b: dict) -> float:
    """A block's hours up, unrounded when its raw figures are there (figures keep 3 decimals)."""
    raw = b.get("raw") or {}
    return raw["uptime_s"] / 3600.0 if "uptime_s" in raw else b["figures"]["uptime_hours"]


def _hour(h) -> str:
    return "—" if h is None else f"{h:02d}:00–{(h + 1) % 24:02d}:00"


def _delta(cur, prev, kind: str = "rel", good_up: bool = True) -> str:
    """'vs 7-day avg' text with an arrow; kind rel = percent change, pts = percentage points."""
    if cur is None or prev is None:
        return '<div class="c">7-day avg: —</div>'
    if kind == "pts":
        d = 100 * (cur - prev)
        if abs(d) < 0.5:
            return f'<div class="c">= 7-day avg ({_pct(prev)})</div>'
        cls = "up" if (d > 0) == good_up else "down"
        return f'<div class="c"><span class="{cls}">{"▲" if d > 0 else "▼"} {abs(d):.0f} {"pt" if round(abs(d)) == 1 else "pts"}</span> vs 7-day avg {_pct(prev)}</div>'
    if prev == 0:
        return '<div class="c">7-day avg: 0</div>'
    d = (cur - prev) / prev
    if abs(d) < 0.005:
        return '<div class="c">= 7-day avg</div>'
    cls = "up" if (d > 0) == good_up else "down"
    return (f'<div class="c"><span class="{cls}">{"▲" if d > 0 else "▼"} {abs(100 * d):.0f}%</span> '
            f'vs 7-day avg {_num(prev, 1 if prev < 10 else 0)}</div>')


# --------------------------------------------------------------------------- SVG charts

def _svg(w: int, h: int, body: str, label: str) -> str:
    return (f'<svg viewBox="0 0 {w} {h}" width="100%" role="img" aria-label="{escape(label)}" '
            f'xmlns="http://www.w3.org/2000/svg">{body}</svg>')


def hour_chart(series: list[tuple[str, list[float]]], reps_by_hour: list[int], busiest: int | None) -> str:
    """Minutes in use per hour of the day, stacked per station; reps above each bar."""
    W, H, L, B, T = 1000, 262, 44, 30, 36
    tot = [sum(s[1][h] for s in series) for h in range(24)]
    top = max(max(tot), 1.0)
    step = _nice_step(top)
    ymax = step * max(1, -(-top // step))
    bw = (W - L - 10) / 24
    out = []
    for k in range(int(ymax / step) + 1):
        y = T + (H - T - B) * (1 - k * step / ymax)
        out.append(f'<line x1="{L}" x2="{W - 6}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e6e8ec"/>'
                   f'<text x="{L - 6}" y="{y + 4:.1f}" font-size="12" text-anchor="end" fill="#5b6472">{k * step:g}</text>')
    for h in range(24):
        x = L + h * bw
        y0 = H - B
        for i, (_, vals) in enumerate(series):
            v = vals[h]
            if v <= 0:
                continue
            hh = (H - T - B) * v / ymax
            out.append(f'<rect x="{x + 3:.1f}" y="{y0 - hh:.1f}" width="{bw - 6:.1f}" height="{hh:.1f}" '
                       f'fill="{COLOURS[i % len(COLOURS)]}"><title>{escape(series[i][0])} {h:02d}:00 — {v:.0f} min</title></rect>')
            y0 -= hh
        if reps_by_hour[h]:
            out.append(f'<text x="{x + bw / 2:.1f}" y="{y0 - 4:.1f}" font-size="11" text-anchor="middle" '
                       f'fill="#1d2430">{reps_by_hour[h]}</text>')
        weight = ' font-weight="700"' if h == busiest else ""
        out.append(f'<text x="{x + bw / 2:.1f}" y="{H - B + 16}" font-size="12" text-anchor="middle" '
                   f'fill="#1d2430"{weight}>{h:02d}</text>')
    if busiest is not None:
        x = L + busiest * bw
        out.append(f'<rect x="{x + 1:.1f}" y="{T - 20}" width="{bw - 2:.1f}" height="{H - B - T + 20}" fill="none" '
                   f'stroke="#1d2430" stroke-dasharray="3 3"/>')
    out.append(f'<text x="{L}" y="13" font-size="12" fill="#5b6472">minutes in use (number above a bar: reps)</text>')
    return _svg(W, H, "".join(out), "minutes in use by hour of the day")


def _nice_step(top: float) -> float:
    for s in (1, 2, 5, 10, 15, 20, 30, 60, 120, 300, 600, 1200, 3000, 6000):
        if top / s <= 5:
            return float(s)
    return float(10 ** len(str(int(top))))


def hbars(items: list[tuple[str, float, str]], total: float | None = None, unit: str = "",
          width: int = 480, colour: str = "#2f6fdf") -> str:
    """Horizontal bars: (label, value, note). Values as counts; notes printed after the bar."""
    if not items:
        return '<p class="note">None.</p>'
    W, row = width, 26
    L = min(int(W * 0.62), 16 + 8 * max(len(_clip(label, 40)) for label, _, _ in items))
    H = row * len(items) + 6
    top = max(v for _, v, _ in items) or 1
    out = []
    for i, (label, v, note) in enumerate(items):
        y = 4 + i * row
        bw = (W - L - 120) * v / top
        out.append(f'<text x="{L - 8}" y="{y + 16}" font-size="13" text-anchor="end" fill="#1d2430">'
                   f'{escape(_clip(label, 40))}</text>'
                   f'<rect x="{L}" y="{y + 3}" width="{max(bw, 1.5):.1f}" height="{row - 9}" rx="3" fill="{colour}"/>'
                   f'<text x="{L + bw + 6:.1f}" y="{y + 16}" font-size="12.5" fill="#1d2430">{escape(note)}</text>')
    return _svg(W, H, "".join(out), "bar chart")


def _clip(s: str, n: int) -> str:
    return s if len(s) <= n else s[: n - 1] + "…"


def verdict_bar(clean: int, faults: int, unsure: int, width: int = 480) -> str:
    tot = clean + faults + unsure
    if tot == 0:
        return '<p class="note">No reps.</p>'
    W, H = width, 34
    out, x = [], 0.0
    for v, c, name in ((clean, CLEAN, "clean"), (faults, FAULT, "with a fault"), (unsure, UNSURE, "not judged")):
        w = W * v / tot
        if w > 0:
            out.append(f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="{H}" fill="{c}"><title>{v} {name}</title></rect>')
            if w > 40:
                out.append(f'<text x="{x + w / 2:.1f}" y="22" font-size="13" text-anchor="middle" fill="#fff" '
                           f'font-weight="600">{v}</text>')
        x += w
    return _svg(W, H, "".join(out), "clean, faulty and not-judged reps")


def trend_chart(trend: dict, width: int = 1000) -> str:
    """Share of clean reps: a bar per week (4 weeks) with the days as dots; changes marked."""
    W, H, L, B, T = width, 220, 44, 42, 18
    daily, weekly = trend["daily"], trend["weekly"]
    n = len(daily)
    dx = (W - L - 10) / n
    out = []
    for k in range(0, 101, 25):
        y = T + (H - T - B) * (1 - k / 100)
        out.append(f'<line x1="{L}" x2="{W - 6}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e6e8ec"/>'
                   f'<text x="{L - 6}" y="{y + 4:.1f}" font-size="12" text-anchor="end" fill="#5b6472">{k}%</text>')
    for w, wk in enumerate(weekly):
        x0 = L + w * 7 * dx
        if wk["clean_share"] is not None:
            y = T + (H - T - B) * (1 - wk["clean_share"])
            out.append(f'<rect x="{x0 + 3:.1f}" y="{y:.1f}" width="{7 * dx - 6:.1f}" height="{H - B - y:.1f}" '
                       f'fill="#d8e6fb"><title>{wk["from"]} – {wk["to"]}: {_pct(wk["clean_share"])} of '
                       f'{wk["judged_reps"]} judged reps</title></rect>'
                       f'<text x="{x0 + 3.5 * dx:.1f}" y="{y - 6:.1f}" font-size="13" font-weight="650" '
                       f'text-anchor="middle" fill="#1d4f9f">{_pct(wk["clean_share"])}</text>')
        label = f"{_short(wk['from'])} – {_short(wk['to'])}"
        out.append(f'<text x="{x0 + 3.5 * dx:.1f}" y="{H - B + 30}" font-size="12" text-anchor="middle" '
                   f'fill="#5b6472">{label}{" (this week)" if w == len(weekly) - 1 else ""}</text>')
    pts = []
    for i, d in enumerate(daily):
        x = L + (i + 0.5) * dx
        out.append(f'<text x="{x:.1f}" y="{H - B + 14}" font-size="10" text-anchor="middle" fill="#8a919c">'
                   f'{int(d["date"][-2:])}</text>')
        if d["clean_share"] is not None:
            y = T + (H - T - B) * (1 - d["clean_share"])
            pts.append((x, y))
            out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.2" fill="#2f6fdf"><title>{d["date"]}: '
                       f'{_pct(d["clean_share"])} of {d["judged_reps"]}</title></circle>')
    if len(pts) > 1:
        out.append('<polyline fill="none" stroke="#2f6fdf" stroke-width="1.2" stroke-opacity=".5" points="'
                   + " ".join(f"{x:.1f},{y:.1f}" for x, y in pts) + '"/>')
    idx = {d["date"]: i for i, d in enumerate(daily)}
    for k, ch in enumerate(trend["changes"]):
        i = idx.get(ch["date"])
        if i is None:
            continue
        x = L + i * dx
        right = x > 0.6 * W            # label on the side with room
        out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{T}" y2="{H - B}" stroke="#d64550" stroke-dasharray="4 3"/>'
                   f'<text x="{x - 4 if right else x + 4:.1f}" y="{T + 10 + 14 * (k % 3)}" font-size="11.5" '
                   f'fill="#d64550" text-anchor="{"end" if right else "start"}">{escape(ch["change"])}</text>')
    return _svg(W, H, "".join(out), "share of clean reps over four weeks")


def _short(iso: str) -> str:
    d = date.fromisoformat(iso)
    return f"{d.day} {d.strftime('%b')}"


# --------------------------------------------------------------------------- page

def _tile(value: str, key: str, cmp: str) -> str:
    return f'<div class="tile"><div class="v">{value}</div><div class="k">{key}</div>{cmp}</div>'


def _tiles(b: dict) -> str:
    f, p = b["figures"], b["previous_7_days"] or {}
    bh = f["busiest_hour"]
    raw = b["raw"]
    bh_txt = "—" if bh is None else f"{bh:02d}:00"
    bh_note = ('<div class="c">no use</div>' if bh is None else
               f'<div class="c">{_in_use(raw["presence_s_by_hour"][bh])}, {raw["reps_by_hour"][bh]} reps</div>')
    return '<div class="tiles">' + "".join([
        _tile(_num(f["sessions"]), "visits (presence sessions)", _delta(f["sessions"], p.get("sessions"))),
        _tile(_minutes(f["presence_minutes"]), "time someone was at the mirror",
              _delta(f["presence_minutes"], p.get("presence_minutes"))),
        _tile(_num(f["sets"]), "sets", _delta(f["sets"], p.get("sets"))),
        _tile(_num(f["reps"]), "reps", _delta(f["reps"], p.get("reps"))),
        _tile(_pct(f["clean_share"]), "clean reps (of judged)", _delta(f["clean_share"], p.get("clean_share"), "pts")),
        _tile(bh_txt, "busiest hour", bh_note),
    ]) + "</div>"


def _station_table(report: dict) -> str:
    rows = []
    blocks = report["stations"] + [report["gym"]]
    for b in blocks:
        f = b["figures"]
        total = b is report["gym"]
        name = escape(b["name"] if total else f'{b["name"]}' + (f' <span class="note">({escape(b["station_id"])})</span>'
                                                                  if b["name"] != b["station_id"] else ""))
        if f is None:
            what = {"corrupt": "the usage log or export is damaged", "missing": "no usage log or export found"}
            rows.append(f'<tr><td>{name}</td><td colspan="9" style="text-align:left;color:#b23a2b;white-space:normal">'
                        f'not reported: {escape(what.get(b["status"], b["status"]))} (see "Needs staff")</td></tr>')
            continue
        top = f["top_faults"][0] if f["top_faults"] else None
        probs = len(b["problems"])
        rows.append(
            f'<tr class="{"total" if total else ""}"><td>{name}</td><td>{f["sessions"]}</td>'
            f'<td>{_minutes(f["presence_minutes"])}</td><td>{f["sets"]}</td><td>{f["reps"]}</td>'
            f'<td>{_pct(f["clean_share"])}</td>'
            f'<td style="text-align:left">{escape(FAULT_TEXT.get(top["fault"], top["fault"])) if top else "—"}</td>'
            f'<td>{_hour(f["busiest_hour"])}</td><td>{_uptime(_up_hours(b))}</td>'
            f'<td>{"—" if total else ("<b style=color:#b23a2b>" + str(probs) + "</b>" if probs else "none")}</td></tr>')
    return ('<section><h2>Stations</h2><table><thead><tr><th>station</th><th>visits</th><th>in use</th><th>sets</th>'
            '<th>reps</th><th>clean</th><th style="text-align:left">most frequent fault</th><th>busiest hour</th>'
            '<th>up</th><th>problems</th></tr></thead><tbody>' + "".join(rows) + "</tbody></table></section>")


def _staff_box(report: dict) -> str:
    items = []
    for b in report["stations"]:
        who = escape(b["name"])
        if b["status"] in ("missing", "corrupt", "silent"):
            items.append(f"<li><b>{who}</b>: {escape(b['message'])}</li>")
        for p in b["problems"]:
            items.append(f"<li><b>{who}</b>: {escape(p)}</li>")
    for d in report["deliveries_pending"]:
        items.append(f"<li>The summary of {escape(d['date'])} could not be delivered by {escape(d['method'])} "
                     f"({escape(d.get('error', ''))}); tried {d.get('attempts', 1)}×, trying again tonight.</li>")
    if items:
        return (f'<section class="alert"><h2>Needs staff ({len(items)})</h2><ul>' + "".join(items) + "</ul></section>")
    msg = "Every station was healthy; nothing needs staff." if report["stations"] else "No stations given."
    return f'<section class="ok"><h2>{msg}</h2></section>'


def _health_table(report: dict) -> str:
    rows = []
    blocks = report["stations"] + ([report["gym"]] if report["gym"] else [])
    for b in blocks:
        f = b["figures"]
        p = b["previous_7_days"] or {}
        total = b is report["gym"]
        if f is None:
            continue
        rows.append(
            f'<tr class="{"total" if total else ""}"><td>{escape(b["name"])}</td>'
            f'<td>{_uptime(_up_hours(b))} <span class="note">({"—" if p.get("uptime_hours") is None else _uptime(p["uptime_hours"])})</span></td>'
            f'<td>{_num(f["processing_fps"], 1)} <span class="note">({_num(p.get("processing_fps"), 1)})</span></td>'
            f'<td>{_num(f["ms_per_frame"], 1)}</td>'
            f'<td>{f["camera_dropouts"]} <span class="note">({_num(p.get("camera_dropouts"), 1)})</span></td>'
            f'<td>{_minutes(f["camera_lost_minutes"]) if f["camera_lost_minutes"] else "0"}</td>'
            f'<td>{f["config_reloads"]} / {f["config_refusals"]}</td><td>{f["errors"]}</td></tr>')
    pend = report["deliveries_pending"]
    return ('<section><h2>Station health</h2><table><thead><tr><th>station</th><th>up (7-day avg)</th>'
            '<th>frames/s (avg)</th><th>ms per frame</th><th>camera drop-outs (avg)</th><th>without camera</th>'
            '<th>config reloads / refused</th><th>errors</th></tr></thead><tbody>' + "".join(rows) +
            "</tbody></table>" +
            f'<p class="note">Summary delivery: {"nothing pending" if not pend else str(len(pend)) + " pending (see above)"}.'
            "</p></section>")


def _use_sections(report: dict, main: dict) -> str:
    f, raw = main["figures"], main["raw"]
    blocks = report["stations"] if report["gym"] else [main]
    series = [(b["name"], [s / 60 for s in b["raw"]["presence_s_by_hour"]]) for b in blocks if b["raw"]]
    legend = ""
    if len(series) > 1:
        legend = '<div class="legend">' + "".join(
            f'<span><i style="background:{COLOURS[i % len(COLOURS)]}"></i>{escape(n)}</span>'
            for i, (n, _) in enumerate(series)) + "</div>"
    bh = f["busiest_hour"]
    head = (f"Busiest hour: <b>{_hour(bh)}</b> — {_in_use(raw['presence_s_by_hour'][bh])}, "
            f"{raw['reps_by_hour'][bh]} reps" if bh is not None else "No use by hour.")
    use = (f'<section><h2>When the mirror was used</h2><p>{head}</p>{legend}'
           f'{hour_chart(series, raw["reps_by_hour"], bh)}</section>')

    hist = [(label, n, f"{n}") for label, n in _hist(raw)]
    visits = (f'<div><h2>Visits</h2><p>{_visits_line(f)}</p>'
              f'{hbars(hist, width=480)}<p class="note">A visit: someone in the lifting zone from stepping in to '
              f'leaving (gaps under 5 s joined).</p></div>')
    mix = sorted(raw["reps_by_exercise"].items(), key=lambda kv: -kv[1])
    squats = raw["reps_by_pattern"].get("squat", 0)
    items = [(EXERCISE_TEXT.get(k, k), v, f"{v} reps ({_pct(v / f['reps'] if f['reps'] else None)})") for k, v in mix]
    trained = (f'<div><h2>What was trained</h2><p>{_sets_line(f)}</p>'
               f'{hbars(items, width=480, colour="#9b59b6")}'
               f'<p class="note">{squats} of the reps were squats the station recognised (it tells the lifter '
               f'instead of coaching a bad hinge).</p></div>')
    return use + f'<section class="two">{visits}{trained}</section>'


def _hist(raw: dict):
    from station.usage.figures import DayFigures, session_histogram

    return session_histogram(DayFigures.from_json(raw))


def _reps(n: int) -> str:
    return f"{n} rep" if n == 1 else f"{n} reps"


def _unjudged_advice(rules: list[str]) -> str:
    """What staff can do about reps not judged. The camera's view is the advice only when
    something besides the back went unjudged: the back alone (the rules that read the spine
    below the top) goes unjudged at the bottom of deep hinges on some bodies at every mount
    (the mesh library's mount sweep: the spine's error hardly changes with the camera's
    height), and moving the camera for it would be a wasted visit."""
    if rules and all(doubt_covers(r) for r in rules):
        return ("Only the back went unjudged: the coach leaves it unjudged rather than guess when it "
                "cannot read it, mostly at the bottom of deep hinges and on some builds. Moving the "
                "camera does not usually change that.")
    return "Many of them? Check the camera's view of the lifter."


def _technique(main: dict) -> str:
    f, raw = main["figures"], main["raw"]
    j = f["judged_reps"]
    faults = [(FAULT_TEXT.get(t["fault"], t["fault"]), t["reps"], f"{t['reps']} ({_pct(t['share_of_judged'])})")
              for t in f["top_faults"]]
    strict = ", ".join(f"{k} ({v} reps)" for k, v in sorted(raw["reps_by_strictness"].items()))
    vers = ", ".join(f"{k}" for k in sorted(raw["reps_by_version"]))
    unjudged = sorted(raw.get("unjudged_rules", {}).items(), key=lambda kv: -kv[1])
    unsure = ""
    if f["not_judged_reps"]:
        why = ", ".join(f"{RULE_TEXT.get(k, k)} on {v}" for k, v in unjudged) or "the angles were not confident"
        unsure = (f'<p class="note">{_reps(f["not_judged_reps"])} not judged: the coach could not see well enough '
                  f'to judge {escape(why)}. {_unjudged_advice([k for k, _ in unjudged])}</p>')
    left = (f'<div><h2>Technique</h2><p><span class="big">{_pct(f["clean_share"])}</span> of the {j} judged reps '
            f'were clean.</p>{verdict_bar(f["clean_reps"], f["fault_reps"], f["not_judged_reps"])}'
            f'<div class="legend" style="margin-top:6px"><span><i style="background:{CLEAN}"></i>clean</span>'
            f'<span><i style="background:{FAULT}"></i>with a fault</span><span><i style="background:{UNSURE}">'
            f'</i>not judged (the coach was unsure and said nothing)</span></div>'
            f'{unsure}<p class="note">Profile strictness: {escape(strict or "—")}; software {escape(vers or "—")}.</p></div>')
    right = f'<div><h2>Most frequent faults</h2>{hbars(faults, width=480, colour=FAULT)}' \
            f'<p class="note">Reps with each fault, and their share of the judged reps.</p></div>'
    trend = main["trend"]
    weeks = [w["clean_share"] for w in trend["weekly"]]
    if weeks[0] is not None and weeks[-1] is not None:
        d = 100 * (weeks[-1] - weeks[0])
        verdict = (f"Clean reps {'rose' if d > 0 else 'fell'} from {_pct(weeks[0])} to {_pct(weeks[-1])} over four weeks"
                   if abs(d) >= 1 else f"Clean reps held at about {_pct(weeks[-1])} over four weeks")
    else:
        verdict = "Not enough weeks with data for a four-week trend yet"
    changes = trend["changes"]
    if changes and weeks[0] is not None:
        verdict += " — but " + "; ".join(f"{c['change']} on {_short(c['date'])}" for c in changes) + \
            ", so part of the change may be the thresholds'"
    note = ("Dashed red lines mark a change of strictness or software: figures either side are not "
            "directly comparable." if changes else
            "Same strictness and software all four weeks, so the trend is the lifters', not the thresholds'.")
    return (f'<section class="two">{left}{right}</section>'
            f'<section><h2>Four-week trend of clean reps</h2><p>{verdict}.</p>{trend_chart(trend)}'
            f'<p class="note">Bars: each week\'s share of clean reps; dots: each day\'s. {note}</p></section>')


def _cues(main: dict) -> str:
    raw = main["raw"]
    items = sorted(raw["cues"].items(), key=lambda kv: -kv[1])
    tot = sum(v for _, v in items)
    bars = [(cue_text(k), v, f"{v}×") for k, v in items]
    return (f'<section><h2>Cues shown</h2><p>{tot} cues in all.</p>'
            f'{hbars(bars, width=1000, colour="#4bb3c8")}</section>')


def render_html(report: dict) -> str:
    d = date.fromisoformat(report["date"])
    day = f"{d.strftime('%A')} {d.day} {d.strftime('%B %Y')}"
    gym = report["gym"]
    main = gym if gym else (report["stations"][0] if report["stations"] else None)
    if gym:
        who = f"{len(report['stations'])} stations: " + ", ".join(escape(b["name"]) for b in report["stations"])
    elif main:
        who = escape(main["name"]) + (f" ({escape(main['station_id'])})" if main["name"] != main["station_id"] else "")
    else:
        who = "no stations"
    parts = [f"<h1>Mirror station usage — {day}</h1><p class='sub'>{who}</p>", _staff_box(report)]
    if main is not None and main["figures"] is not None and main["status"] == "ok":
        parts.append(f'<section><h2>The day at a glance</h2>{_tiles(main)}</section>')
        if gym:
            parts.append(_station_table(report))
        parts.append(_use_sections(report, main))
        parts.append(_technique(main))
        parts.append(_cues(main))
    else:
        msgs = [b["message"] for b in report["stations"] if b["message"]] or ["No use recorded."]
        prev = main["previous_7_days"] if main is not None else None
        usual = ""
        if prev:
            usual = (f'<p class="note">On the {prev["days_with_data"]} days before, a day had on average '
                     f'{prev["sessions"]:.0f} visits, {prev["sets"]:.0f} sets and {prev["reps"]:.0f} reps.</p>')
        parts.append('<section class="empty"><h2>No use recorded on this day</h2>' +
                     "".join(f"<p>{escape(m)}</p>" for m in msgs) + usual + "</section>")
        if main is not None and main["trend"]["weekly"] and any(w["clean_share"] is not None for w in main["trend"]["weekly"]):
            parts.append(f'<section><h2>Four-week trend of clean reps</h2>{trend_chart(main["trend"])}</section>')
        if gym:
            parts.append(_station_table(report))
    parts.append(_health_table(report))
    parts.append(f'<footer>Generated {escape(report["generated_utc"])} by `station summary`. The usage log holds '
                 f'numbers, times and labels only: no images, no names, nothing that tells one member from another.'
                 f' The same figures are in the .json and .csv files beside this page.</footer>')
    return ("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>Usage summary {report['date']}</title><style>{CSS}</style></head><body><main>"
            + "".join(parts) + "</main></body></html>\n")
