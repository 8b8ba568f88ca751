"""``tandem report``: one self-contained HTML page with the couple's year in charts.

Everything is inline (CSS, SVG drawn here in Python, a few lines of JS): no
CDN, no fonts, no network, so it opens the same in any browser on a plane.
The charts are plain SVG so they print, and each shape carries a <title>
tooltip. The small script only marks the page once the browser has laid the
charts out (``data-charts-drawn`` on <body>), which is what the render test
reads, and adds nothing a reader needs.
"""

from __future__ import annotations

import calendar
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from html import escape
from typing import Any

from .store import Store
from .summary import exercises_done

MONTHS = 12
HEAT_COLOURS = ("#ebedf0", "#c7e8d5", "#8fd0ad", "#4fab80", "#22704f")
KEPT, MISSED, EXERCISE, GOAL = "#3f9c6f", "#e3a857", "#6d7fd6", "#b5679b"
CELL, GAP = 12, 3


@dataclass(frozen=True)
class ReportData:
    today: date
    tz: tzinfo
    partners: tuple[str, ...]
    gratitude_days: Counter[date]
    months: list[tuple[int, int]]  # (year, month), oldest first
    kept: dict[tuple[int, int], int]
    missed: dict[tuple[int, int], int]
    exercises: dict[tuple[int, int], int]
    goals: list[dict[str, Any]]
    open_promises: int


def _day(stamp: str, tz: tzinfo) -> date:
    return datetime.fromisoformat(stamp).astimezone(tz).date()


def _month_back(today: date, n: int) -> tuple[int, int]:
    index = today.year * 12 + today.month - 1 - n
    return index // 12, index % 12 + 1


def gather(store: Store, now: datetime) -> ReportData:
    tz = now.tzinfo
    assert tz is not None
    today = now.date()
    months = [_month_back(today, n) for n in range(MONTHS - 1, -1, -1)]
    grat = Counter(_day(g["at"], tz) for g in store.all("gratitude") if g.get("at"))
    kept: Counter[tuple[int, int]] = Counter()
    missed: Counter[tuple[int, int]] = Counter()
    promises = store.all("promises")
    for p in promises:
        if p.get("closed") and p.get("status") in ("kept", "missed"):
            d = _day(p["closed"], tz)
            (kept if p["status"] == "kept" else missed)[(d.year, d.month)] += 1
    sessions = store.all("sessions")
    exercises = {m: exercises_done(sessions, tz, *m) for m in months}
    profile = store.get("profile", "profile") or {}
    goals = sorted(store.all("goals"), key=lambda g: str(g.get("created", "")))
    return ReportData(today, tz, tuple(profile.get("partners", ())), grat, months, dict(kept), dict(missed), exercises,
                      goals, sum(p.get("status") == "open" for p in promises))


# --- charts ---------------------------------------------------------------------------------


def heatmap(data: ReportData) -> str:
    """A year of gratitude days, one square per day, weeks as columns (Monday on top)."""
    end = data.today
    start = end - timedelta(days=364)
    start -= timedelta(days=start.weekday())
    weeks = (end - start).days // 7 + 1
    left, top = 28, 18
    width, height = left + weeks * (CELL + GAP), top + 7 * (CELL + GAP) + 4
    parts = [f'<svg class="chart heatmap" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
             f'aria-label="Days with gratitude, last 12 months">']
    for row, name in ((0, "Mon"), (2, "Wed"), (4, "Fri")):
        parts.append(f'<text x="0" y="{top + row * (CELL + GAP) + 10}" class="axis">{name}</text>')
    last_month = None
    day = start
    while day <= end:
        col, row = (day - start).days // 7, day.weekday()
        x, y = left + col * (CELL + GAP), top + row * (CELL + GAP)
        if day.day <= 7 and row == 0 and day.month != last_month:
            parts.append(f'<text x="{x}" y="11" class="axis">{calendar.month_abbr[day.month]}</text>')
            last_month = day.month
        count = data.gratitude_days.get(day, 0)
        level = min(count, len(HEAT_COLOURS) - 1)
        plural = "y" if count == 1 else "ies"
        parts.append(f'<rect class="day level-{level}" data-count="{count}" x="{x}" y="{y}" width="{CELL}" height="{CELL}" '
                     f'rx="2" fill="{HEAT_COLOURS[level]}"><title>{day:%a %d %b %Y}: {count} entr{plural}</title></rect>')
        day += timedelta(days=1)
    parts.append("</svg>")
    return "".join(parts)


def bars(data: ReportData, series: list[tuple[str, str, dict[tuple[int, int], int]]], label: str, css: str) -> str:
    """Grouped bars per month, one colour per series, with a light grid and month labels."""
    top, bottom, left, right = 10, 24, 30, 8
    inner_h = 140
    group_w = 44
    width = left + right + group_w * len(data.months)
    height = top + inner_h + bottom
    peak = max([1] + [s[2].get(m, 0) for s in series for m in data.months])
    step = max(1, -(-peak // 4))
    scale_max = step * 4
    parts = [f'<svg class="chart {css}" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" aria-label="{escape(label)}">']
    for tick in range(0, scale_max + 1, step):
        y = top + inner_h - inner_h * tick / scale_max
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
                     f'<text x="{left - 6}" y="{y + 4:.1f}" class="axis" text-anchor="end">{tick}</text>')
    bar_w = (group_w - 12) / len(series)
    for i, month in enumerate(data.months):
        gx = left + i * group_w + 6
        for j, (name, colour, values) in enumerate(series):
            value = values.get(month, 0)
            h = inner_h * value / scale_max
            x, y = gx + j * bar_w, top + inner_h - h
            parts.append(f'<rect class="bar {name}" data-value="{value}" x="{x:.1f}" y="{y:.1f}" width="{bar_w - 2:.1f}" '
                         f'height="{h:.1f}" fill="{colour}" rx="2"><title>{calendar.month_name[month[1]]} {month[0]}: '
                         f'{value} {escape(name)}</title></rect>')
        parts.append(f'<text x="{gx + (group_w - 12) / 2:.1f}" y="{height - 8}" class="axis" text-anchor="middle">'
                     f'{calendar.month_abbr[month[1]]}</text>')
    parts.append("</svg>")
    return "".join(parts)


def goal_rows(data: ReportData) -> str:
    """Each goal as a line across its life, a dot per check-in, a star when reached."""
    if not data.goals:
        return '<p class="empty">No goals yet. Say "add a shared goal" to start one.</p>'
    first = min(_day(g["created"], data.tz) for g in data.goals if g.get("created"))
    span = max(1, (data.today - first).days)
    width, row_h, left = 560, 34, 8
    rows = []
    for g in data.goals:
        created = _day(g.get("created") or data.today.isoformat(), data.tz)
        end = _day(g["reached"], data.tz) if g.get("reached") else data.today

        def x(d: date) -> float:
            return left + (width - 2 * left) * (d - first).days / span

        shapes = [f'<line class="goal-line" x1="{x(created):.1f}" x2="{max(x(end), x(created) + 2):.1f}" y1="{row_h / 2}" '
                  f'y2="{row_h / 2}" stroke="{GOAL}" stroke-width="4" stroke-linecap="round"/>']
        for c in g.get("checkins", []):
            cd = _day(c["at"], data.tz)
            shapes.append(f'<circle class="checkin" cx="{x(cd):.1f}" cy="{row_h / 2}" r="6" fill="#fff" stroke="{GOAL}" '
                          f'stroke-width="2"><title>{cd:%d %b %Y}: {escape(c.get("note", ""))}</title></circle>')
        if g.get("status") == "reached":
            shapes.append(f'<text class="reached" x="{x(end):.1f}" y="{row_h / 2 + 6}" text-anchor="middle" '
                          f'font-size="18" fill="{KEPT}">★<title>Reached {end:%d %b %Y}</title></text>')
        steps = "; ".join(f"{escape(s.get('partner', ''))}: {escape(s.get('text', ''))}" for s in g.get("steps", []))
        status = {"open": "in progress", "reached": "reached", "dropped": "set aside"}.get(g.get("status", ""), g.get("status", ""))
        rows.append(
            f'<div class="goal"><div class="goal-head"><strong>{escape(g.get("text", ""))}</strong> '
            f'<span class="pill {escape(g.get("status", ""))}">{status}</span> '
            f'<span class="muted">since {created:%d %b %Y} · {len(g.get("checkins", []))} check-ins</span></div>'
            f'<svg class="chart goal-timeline" viewBox="0 0 {width} {row_h}" width="{width}" height="{row_h}">{"".join(shapes)}</svg>'
            + (f'<div class="muted steps">First steps: {steps}</div>' if steps else "") + "</div>"
        )
    return "".join(rows)


STYLE = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#faf8f5;color:#2b2a28}
main{max-width:980px;margin:0 auto;padding:28px 20px 60px}
h1{font-size:26px;margin:0 0 4px}h2{font-size:18px;margin:0 0 10px}
.muted{color:#77736c;font-size:13px}
.cards{display:flex;gap:12px;flex-wrap:wrap;margin:18px 0 8px}
.card{background:#fff;border-radius:12px;padding:12px 16px;box-shadow:0 1px 3px rgba(0,0,0,.08);min-width:150px}
.card b{display:block;font-size:24px}
section{background:#fff;border-radius:14px;padding:18px 20px;margin:18px 0;box-shadow:0 1px 3px rgba(0,0,0,.08);overflow-x:auto}
.axis{font-size:10px;fill:#8a857d}.grid{stroke:#eee}
.legend span{display:inline-block;margin-right:14px;font-size:13px}
.legend i{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:5px;vertical-align:middle}
.goal{margin:10px 0 16px}.goal svg{display:block;margin-top:4px}
.pill{font-size:12px;border-radius:10px;padding:1px 8px;background:#efe7f0;color:#7a3d66}
.pill.reached{background:#e2f2e9;color:#22704f}
.empty{color:#77736c}
@media print{section{box-shadow:none;border:1px solid #ddd}}
"""

SCRIPT = """
document.addEventListener('DOMContentLoaded',function(){
  var drawn=0;
  document.querySelectorAll('svg.chart').forEach(function(svg){
    var b=svg.getBBox();
    var shapes=svg.querySelectorAll('rect,circle,line').length;
    if(b.width>0&&b.height>0&&shapes>0){drawn++;svg.setAttribute('data-drawn','yes');}
  });
  document.body.setAttribute('data-charts-drawn',String(drawn));
});
"""


def render(data: ReportData) -> str:
    names = escape(" & ".join(data.partners) or "Tandem")
    days_12m = sum(1 for d in data.gratitude_days if (data.today - d).days < 365)
    kept = sum(data.kept.get(m, 0) for m in data.months)
    missed = sum(data.missed.get(m, 0) for m in data.months)
    exercises = sum(data.exercises.values())
    reached = sum(g.get("status") == "reached" for g in data.goals)
    legend = lambda items: '<div class="legend">' + "".join(f'<span><i style="background:{c}"></i>{escape(n)}</span>' for n, c in items) + "</div>"  # noqa: E731
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{names}: your year with Tandem</title><style>{STYLE}</style></head>
<body data-charts-drawn="0"><main>
<h1>{names}</h1><div class="muted">Your last twelve months with Tandem, up to {data.today:%A %d %B %Y}. This page was made on your device and never left it.</div>
<div class="cards">
<div class="card"><b>{days_12m}</b>days with gratitude</div>
<div class="card"><b>{kept} / {kept + missed}</b>promises kept</div>
<div class="card"><b>{exercises}</b>exercises done</div>
<div class="card"><b>{reached}</b>goals reached</div>
<div class="card"><b>{data.open_promises}</b>promises open</div>
</div>
<section><h2>Gratitude days</h2>{heatmap(data)}
{legend([("none", HEAT_COLOURS[0]), ("1", HEAT_COLOURS[1]), ("2", HEAT_COLOURS[2]), ("3", HEAT_COLOURS[3]), ("4+", HEAT_COLOURS[4])])}</section>
<section><h2>Promises kept and missed, per month</h2>{bars(data, [("kept", KEPT, data.kept), ("missed", MISSED, data.missed)], "Promises kept and missed per month", "promises")}
{legend([("kept", KEPT), ("missed", MISSED)])}</section>
<section><h2>Exercises per month</h2>{bars(data, [("exercises", EXERCISE, data.exercises)], "Exercises per month", "exercises")}</section>
<section><h2>Goals and check-ins</h2>{goal_rows(data)}</section>
</main><script>{SCRIPT}</script></body></html>
"""


def build_report(store: Store, now: datetime) -> str:
    return render(gather(store, now))
