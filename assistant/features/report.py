"""``tandem report``: one self-contained HTML page a couple would keep.

Their own words come first — what each appreciated in the other, the
promises open and kept with their dates, each goal with both partners'
steps, the experiences they tried — then the year at a glance (gratitude
days, promises and exercises per month).

Everything is inline (CSS, SVG drawn here in Python, a few lines of JS): no
CDN, no fonts, no network, so it opens the same in any browser on a plane.
The layout is fluid: full width on a laptop, one column on a phone, nothing
wider than the screen. Every word from the store is escaped.

Privacy: what the vulnerability exercise heard is stored (as a turn's
``transcript``) only when both partners said yes at its end; the report
shows a session's transcripts only when they are there, and nothing else
from those sessions. The small script only records, once the browser has
laid the page out, how many charts got a real size and how wide the page
is (attributes on <body>), which is what the render test reads.
"""

from __future__ import annotations

import calendar
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from html import escape
from random import Random
from typing import Any

from ..store import Store
from . import promises as promises_mod
from .counts import count_of, noun
from .summary import exercises_done

MONTHS = 12
RECENT = 5  # appreciations, kept promises and check-ins shown per list: the latest, not a ledger
PHONE_WEEKS = 20  # the heat map on a narrow screen: readable squares rather than a year of specks
HEAT_COLOURS = ("#ebedf0", "#c7e8d5", "#8fd0ad", "#4fab80", "#22704f")
KEPT, MISSED, EXERCISE, GOAL = "#3f9c6f", "#e3a857", "#6d7fd6", "#b5679b"
CELL, GAP = 12, 3
GOAL_STATUS = {"open": "in progress", "reached": "reached", "dropped": "set aside"}


@dataclass(frozen=True)
class ReportData:
    now: datetime
    tz: tzinfo
    partners: tuple[str, ...]
    gratitude: list[dict[str, Any]]  # newest first
    gratitude_days: Counter[date]
    months: list[tuple[int, int]]  # (year, month), oldest first
    kept: dict[tuple[int, int], int]
    missed: dict[tuple[int, int], int]
    exercises: dict[tuple[int, int], int]
    promises: list[dict[str, Any]]
    goals: list[dict[str, Any]]
    experiences: list[dict[str, Any]]  # tried, newest first
    kept_words: list[tuple[datetime, str, str]]  # (when, partner, words) the couple chose to keep
    started: date | None = None  # when the profile was made

    @property
    def today(self) -> date:
        return self.now.date()

    @property
    def open_promises(self) -> int:
        return sum(p.get("status") == "open" for p in self.promises)


def _at(stamp: str, tz: tzinfo) -> datetime:
    return datetime.fromisoformat(stamp).astimezone(tz)


def _day(stamp: str, tz: tzinfo) -> date:
    return _at(stamp, tz).date()


def _month_back(today: date, n: int) -> tuple[int, int]:
    index = today.year * 12 + today.month - 1 - n
    return index // 12, index % 12 + 1


def gather(store: Store, now: datetime) -> ReportData:
    tz = now.tzinfo
    assert tz is not None
    today = now.date()
    months = [_month_back(today, n) for n in range(MONTHS - 1, -1, -1)]
    gratitude = sorted((g for g in store.all("gratitude") if g.get("at")), key=lambda g: str(g["at"]), reverse=True)
    kept: Counter[tuple[int, int]] = Counter()
    missed: Counter[tuple[int, int]] = Counter()
    promises = sorted(store.all("promises"), key=lambda p: str(p.get("made", "")))
    for p in promises:
        if p.get("closed") and p.get("status") in ("kept", "missed"):
            d = _day(p["closed"], tz)
            (kept if p["status"] == "kept" else missed)[(d.year, d.month)] += 1
    sessions = store.all("sessions")
    exercises = {m: exercises_done(sessions, tz, *m) for m in months}
    profile = store.get("profile", "profile") or {}
    goals = sorted(store.all("goals"), key=lambda g: str(g.get("created", "")))
    tried = sorted((e for e in store.all("experiences") if e.get("done")), key=lambda e: str(e["done"]), reverse=True)
    return ReportData(now, tz, tuple(profile.get("partners", ())), gratitude,
                      Counter(_day(g["at"], tz) for g in gratitude), months, dict(kept), dict(missed), exercises,
                      promises, goals, tried, _kept_words(sessions, tz),
                      _day(profile["created"], tz) if profile.get("created") else None)


def _kept_words(sessions: list[dict[str, Any]], tz: tzinfo) -> list[tuple[datetime, str, str]]:
    """Transcripts a session kept because the couple agreed (gratitude's are in the journal already)."""
    found = []
    for s in sessions:
        if s.get("exercise") == "gratitude" or not s.get("started"):
            continue
        for turn in s.get("turns", []):
            if isinstance(turn, dict) and turn.get("transcript"):
                found.append((_at(s["started"], tz), str(turn.get("partner", "")), str(turn["transcript"])))
    return sorted(found, key=lambda t: t[0], reverse=True)


def _date(d: date | datetime, year: bool = True) -> str:
    return f"{d:%a} {d.day} {d:%b}" + (f" {d.year}" if year else "")


def _short(d: date | datetime, today: date) -> str:
    """A date without the year when it is this year's."""
    return _date(d, year=d.year != today.year)


# --- their words ------------------------------------------------------------------------------


def appreciations(data: ReportData) -> str:
    if not data.gratitude:
        return ('<p class="empty">No appreciations yet. '
                'Say "hey tandem, start our gratitude moment" to share the first.</p>')
    pairs = [(a, b) for a in data.partners for b in data.partners if a != b] or [("", "")]
    columns = []
    for giver, about in pairs:
        all_mine = [g for g in data.gratitude if g.get("from") == giver] if giver else data.gratitude
        mine = all_mine[:RECENT]
        heading = f"What {escape(giver)} appreciated in {escape(about)}" if giver else "Appreciations"
        note = f'<p class="meta">The latest {len(mine)} of {len(all_mine)}.</p>' if len(all_mine) > len(mine) else ""

        items = "".join(f'<li><q>{escape(g.get("text", ""))}</q><span '
                        f'class="when">{_short(_day(g["at"], data.tz), data.today)}'
                        f'</span></li>' for g in mine)
        body = f'<ul class="quotes">{items}</ul>' if mine else f'<p class="empty">Nothing from {escape(giver)} yet.</p>'
        columns.append(f'<div class="col"><h3>{heading}</h3>{note}{body}</div>')
    return f'<div class="two">{"".join(columns)}</div>'


def _promise_line(p: dict[str, Any], now: datetime) -> str:
    return escape(promises_mod.spoken(p, now, with_due=False, rng=Random(0)))


def promise_lists(data: ReportData) -> str:
    now = data.now
    open_ = [p for p in data.promises if p.get("status") == "open"]
    kept = sorted((p for p in data.promises if p.get("status") == "kept" and p.get("closed")),
                  key=lambda p: str(p["closed"]), reverse=True)[:RECENT]
    rows = []
    for p in open_:
        if promises_mod.is_overdue(p, now):
            when = f'<span class="tag late">overdue since {_short(_day(p["due"], data.tz), data.today)}</span>'
        elif p.get("due"):
            when = f'<span class="tag">due {_short(_day(p["due"], data.tz), data.today)}</span>'
        elif p.get("due_words"):
            when = f'<span class="tag">{escape(str(p["due_words"]))}</span>'
        else:
            when = '<span class="tag quiet">no date</span>'
        rows.append(f"<li>{_promise_line(p, now)} {when}</li>")
    open_html = (f'<ul class="list">{"".join(rows)}</ul>' if rows else
                 '<p class="empty">No open promises.</p>')
    kept_rows = "".join(f'<li>{_promise_line(p, now)} <span class="tag ok">kept '
                        f'{_short(_day(p["closed"], data.tz), data.today)}'
                        f'</span></li>' for p in kept)
    kept_html = f'<ul class="list">{kept_rows}</ul>' if kept_rows else '<p class="empty">None marked kept yet.</p>'
    return (f'<div class="two"><div class="col"><h3>Open</h3>{open_html}</div>'
            f'<div class="col"><h3>Kept lately</h3>{kept_html}</div></div>')


def goal_cards(data: ReportData) -> str:
    if not data.goals:
        return '<p class="empty">No goals yet. Say "hey tandem, add a goal" to start one.</p>'
    cards = []
    order = {"open": 0, "reached": 1}
    newest_first = sorted(data.goals, key=lambda g: str(g.get("created", "")), reverse=True)
    for g in sorted(newest_first, key=lambda g: order.get(str(g.get("status")), 2)):
        status = str(g.get("status", ""))
        created = _day(g["created"], data.tz) if g.get("created") else None
        checkins = [c for c in g.get("checkins", []) if isinstance(c, dict) and c.get("at")]
        meta = [f"since {_short(created, data.today)}"] if created else []
        if status == "reached" and g.get("reached"):
            meta.append(f"reached {_short(_day(g['reached'], data.tz), data.today)}")
        meta.append(count_of(len(checkins), "check-in"))
        steps: dict[Any, Any] = {s.get("partner"): s.get("text", "") for s in g.get("steps", []) if isinstance(s, dict)}
        no_step = '<span class="quiet">no step yet</span>'
        step_rows = "".join(f"<li><b>{escape(str(who))}</b> {escape(steps[who]) if steps.get(who) else no_step}</li>"
                            for who in (data.partners or tuple(steps)))
        notes = "".join(f'<li><span class="when">{_short(_day(c["at"], data.tz), data.today)}</span> '
                        f'{escape(c.get("note", ""))}</li>'
                        for c in checkins[-3:][::-1])
        cards.append(
            f'<article class="goal"><h3>{escape(g.get("text", ""))} <span class="pill {escape(status)}">'
            f'{escape(GOAL_STATUS.get(status, status))}</span></h3><p class="meta">{" · ".join(meta)}</p>'
            f'<ul class="steps">{step_rows}</ul>'
            + (f'<p class="sub">Latest check-{noun(len(checkins[-3:]), "in")}</p><ul class="notes">{notes}</ul>'
               if notes else "")
            + "</article>")
    return f'<div class="goals">{"".join(cards)}</div>'


def experience_list(data: ReportData) -> str:
    if not data.experiences:
        return ('<p class="empty">None logged yet. '
                'Say "hey tandem, we tried salsa dancing" after you try something new.</p>')
    rows = "".join(f'<li>{escape(e.get("text", ""))} <span '
                   f'class="when">{_short(_day(e["done"], data.tz), data.today)}</span></li>'
                   for e in data.experiences)
    return f'<ul class="list">{rows}</ul>'


def kept_words(data: ReportData) -> str:
    rows = "".join(f'<li><b>{escape(who)}</b> <q>{escape(words)}</q><span '
                   f'class="when">{_short(when, data.today)}</span></li>'
                   for when, who, words in data.kept_words)
    return ('<section><h2>Words you both chose to keep</h2><p class="meta">From exercises where you both said yes to '
            f'keeping what was shared.</p><ul class="quotes">{rows}</ul></section>') if rows else ""


# --- the year at a glance ---------------------------------------------------------------------


def heatmap(data: ReportData, weeks_back: int = 52, css: str = "") -> str:
    """Gratitude days, one square per day, weeks as columns (Monday on top); scales to the page's width."""
    end = data.today
    start = end - timedelta(days=7 * weeks_back)
    start -= timedelta(days=start.weekday())
    weeks = (end - start).days // 7 + 1
    left, top = 28, 18
    width, height = left + weeks * (CELL + GAP), top + 7 * (CELL + GAP) + 4
    label = ("Days with gratitude, last 12 months" if weeks_back >= 52
             else f"Days with gratitude, last {weeks_back} weeks")
    parts = [f'<svg class="chart heatmap {css}" viewBox="0 0 {width} {height}" preserveAspectRatio="xMinYMin meet" '
             f'role="img" aria-label="{label}">']
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
        parts.append(f'<rect class="day level-{level}" data-count="{count}" x="{x}" y="{y}" width="{CELL}" '
                     f'height="{CELL}" '
                     f'rx="2" fill="{HEAT_COLOURS[level]}"><title>{_date(day)}: '
                     f'{count_of(count, "appreciation")}</title></rect>')
        day += timedelta(days=1)
    parts.append("</svg>")
    return "".join(parts)


def bars(data: ReportData, series: list[tuple[str, str, dict[tuple[int, int], int]]], label: str, css: str) -> str:
    """Bars per month as HTML (so labels stay readable at any width), one colour per series, the value on top."""
    peak = max([1] + [s[2].get(m, 0) for s in series for m in data.months])
    columns = []
    for year, month in data.months:
        bars_ = []
        for name, colour, values in series:
            value = values.get((year, month), 0)
            bars_.append(f'<div class="bar {escape(name)}" data-value="{value}" '
                         f'style="height:{100 * value / peak:.1f}%;'
                         f'background:{colour}" title="{calendar.month_name[month]} {year}: {value} {escape(name)}">'
                         f'<span>{value if value else ""}</span></div>')
        columns.append(f'<div class="month"><div class="stack">{"".join(bars_)}</div>'
                       f'<div class="axis-label">{calendar.month_abbr[month]}</div></div>')
    return f'<div class="chart bars {css}" role="img" aria-label="{escape(label)}">{"".join(columns)}</div>'


STYLE = """
*{box-sizing:border-box}
body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#faf8f5;color:#2b2a28;
  overflow-wrap:anywhere}
main{max-width:1200px;margin:0 auto;padding:24px clamp(10px,3vw,32px) 48px}
h1{font-size:clamp(24px,5vw,34px);margin:0 0 4px;line-height:1.2}
h2{font-size:20px;margin:0 0 12px}h3{font-size:16px;margin:0 0 8px}h3+.meta{margin:-6px 0 4px}
.meta,.when,.sub,.axis-label{color:#77736c;font-size:14px}
.intro{color:#5d5952;margin:0 0 16px}
.facts{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:10px;margin:16px 0;padding:0;
  list-style:none}
.facts li{background:#fff;border-radius:12px;padding:10px 14px;box-shadow:0 1px 3px rgba(0,0,0,.08)}
.facts b{display:block;font-size:26px;line-height:1.2}
section{background:#fff;border-radius:14px;padding:18px clamp(14px,3vw,24px);margin:16px 0;
  box-shadow:0 1px 3px rgba(0,0,0,.08)}
.two{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,320px),1fr));gap:8px 28px}
ul.quotes,ul.list,ul.steps,ul.notes{list-style:none;margin:0;padding:0}
.quotes li{padding:8px 0;border-top:1px solid #f0ece6}.quotes li:first-child{border-top:0}
.quotes q{font-size:17px}.quotes q::before{content:"\\201C"}.quotes q::after{content:"\\201D"}
.quotes .when{display:block}
.list li{padding:7px 0;border-top:1px solid #f0ece6}.list li:first-child{border-top:0}
.tag{display:inline-block;font-size:13px;border-radius:10px;padding:0 8px;background:#eef0fb;color:#3d4a8f;
  white-space:nowrap}
.tag.ok{background:#e2f2e9;color:#22704f}.tag.late{background:#fbeed9;color:#8a5a12}.tag.quiet,.quiet{color:#8a857d;
  background:none}
.goals{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,300px),1fr));gap:12px}
.goal{border:1px solid #eee6ee;border-radius:12px;padding:12px 14px}
.goal .meta{margin:0 0 8px}.steps li{padding:2px 0}.steps b{display:inline-block;min-width:4.5em}
.notes li{font-size:14px;padding:2px 0}.sub{margin:8px 0 2px}
.pill{font-size:12px;font-weight:normal;border-radius:10px;padding:1px 8px;background:#efe7f0;color:#7a3d66;
  white-space:nowrap}
.pill.reached{background:#e2f2e9;color:#22704f}.pill.dropped{background:#eee;color:#666}
.empty{color:#77736c;margin:0}
svg.heatmap{width:100%;height:auto;vertical-align:top}
.axis{font-size:10px;fill:#8a857d}
.only-narrow{display:none}
@media (max-width:600px){.only-wide{display:none}.only-narrow{display:block}}
.bars{display:grid;grid-template-columns:repeat(12,1fr);gap:clamp(2px,1vw,10px);margin-top:6px}
.month{display:flex;flex-direction:column;min-width:0}
.stack{display:flex;align-items:flex-end;gap:2px;height:150px;padding-top:16px;border-bottom:1px solid #ddd}
.bar{flex:1;min-width:0;border-radius:3px 3px 0 0;position:relative}
.bar span{position:absolute;bottom:100%;left:0;right:0;text-align:center;font-size:11px;color:#5d5952}
.axis-label{text-align:center;font-size:12px;padding-top:2px;white-space:nowrap;overflow-wrap:normal}
@media (max-width:420px){.axis-label{font-size:10px}}
.legend{margin-top:8px}.legend span{display:inline-block;margin-right:14px;font-size:14px}
.legend i{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:5px;vertical-align:middle}
footer{color:#8a857d;font-size:13px;margin-top:24px}
@media print{section,.facts li{box-shadow:none;border:1px solid #ddd}}
"""

SCRIPT = """
document.addEventListener('DOMContentLoaded',function(){
  var shown=0,drawn=0;
  document.querySelectorAll('.chart').forEach(function(chart){
    var r=chart.getBoundingClientRect();
    if(!chart.getClientRects().length){return;}
    shown++;
    var shapes=chart.querySelectorAll('rect,.bar').length;
    if(r.width>0&&r.height>0&&shapes>0){drawn++;chart.setAttribute('data-drawn','yes');}
  });
  var b=document.body;
  b.setAttribute('data-charts-shown',String(shown));
  b.setAttribute('data-charts-drawn',String(drawn));
  b.setAttribute('data-page-width',String(document.documentElement.scrollWidth));
  b.setAttribute('data-view-width',String(window.innerWidth));
});
"""


def _legend(items: list[tuple[str, str]]) -> str:
    spans = "".join(f'<span><i style="background:{c}"></i>{escape(n)}</span>' for n, c in items)
    return f'<div class="legend">{spans}</div>'


def facts(data: ReportData) -> str:
    days = sum(1 for d in data.gratitude_days if (data.today - d).days < 365)
    kept = sum(data.kept.get(m, 0) for m in data.months)
    missed = sum(data.missed.get(m, 0) for m in data.months)
    exercises = sum(data.exercises.values())
    reached = sum(g.get("status") == "reached" for g in data.goals)
    items = [
        (str(days), f"{noun(days, 'day')} with gratitude"),
        (f"{kept} of {kept + missed}", f"{noun(kept + missed, 'promise')} kept"),
        (str(data.open_promises), f"{noun(data.open_promises, 'promise')} open"),
        (str(exercises), f"{noun(exercises, 'exercise')} done"),
        (str(reached), f"{noun(reached, 'goal')} reached"),
        (str(len(data.experiences)), f"new {noun(len(data.experiences), 'experience')} tried"),
    ]
    return '<ul class="facts">' + "".join(f"<li><b>{n}</b>{label}</li>" for n, label in items) + "</ul>"


def _period(data: ReportData) -> str:
    until = f"{data.today:%A} {data.today.day} {data.today:%B %Y}"
    if data.started and (data.today - data.started).days < 365:
        return f"Your time with Tandem, from {_date(data.started)} to {until}."
    return f"Your last twelve months with Tandem, up to {until}."


def render(data: ReportData) -> str:
    names = escape(" & ".join(data.partners) or "Tandem")
    heat_legend = _legend([("none", HEAT_COLOURS[0]), ("1", HEAT_COLOURS[1]), ("2", HEAT_COLOURS[2]),
                           ("3", HEAT_COLOURS[3]), ("4+", HEAT_COLOURS[4])])
    promise_bars = bars(data, [("kept", KEPT, data.kept), ("missed", MISSED, data.missed)],
                        "Promises kept and missed per month", "promises")
    exercise_bars = bars(data, [("exercises", EXERCISE, data.exercises)], "Exercises per month", "exercises")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{names}: your year with Tandem</title><style>{STYLE}</style></head>
<body data-charts-drawn="0"><main>
<h1>{names}</h1>
<p class="intro">{_period(data)}</p>
{facts(data)}
<section><h2>What you appreciate in each other</h2>{appreciations(data)}</section>
<section><h2>Promises</h2>{promise_lists(data)}</section>
<section><h2>Goals</h2>{goal_cards(data)}</section>
<section><h2>New experiences you tried</h2>{experience_list(data)}</section>
{kept_words(data)}
<section><h2>Gratitude days</h2>
<p class="meta only-wide">Each square is a day of the last twelve months; the darker, the more appreciations.</p>
<p class="meta only-narrow">Each square is a day of the last {PHONE_WEEKS} weeks;
the darker, the more appreciations.</p>
{heatmap(data, 52, "only-wide")}{heatmap(data, PHONE_WEEKS, "only-narrow")}{heat_legend}</section>
<section><h2>Promises kept and missed, per month</h2>
{promise_bars}
{_legend([("kept", KEPT), ("missed", MISSED)])}</section>
<section><h2>Exercises per month</h2>{exercise_bars}</section>
<footer>Made on your device on {_date(data.now)}; it never left it. Only what you chose to keep is here.</footer>
</main><script>{SCRIPT}</script></body></html>
"""


def build_report(store: Store, now: datetime) -> str:
    return render(gather(store, now))
