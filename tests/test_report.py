"""The offline HTML report: its numbers, its self-containedness, and a real render in headless Chromium."""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import struct
import subprocess
import zlib
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from assistant.clock import FakeClock
from assistant.features import report
from assistant.profile import Profile
from assistant.store import Store

from .feature_ctx import generate_year
from .test_exercises_support import AutoListener, make_ctx

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--no-first-run", "--hide-scrollbars"]


@pytest.fixture
def year(store, clock, profile) -> dict[str, int]:
    return generate_year(store, clock)


def test_the_numbers_match_the_history(store, clock, year) -> None:
    data = report.gather(store, clock.now())
    assert len(data.months) == 12 and data.months[-1] == (2026, 12) and data.months[0] == (2026, 1)
    assert sum(data.gratitude_days.values()) == year["gratitude"]
    closed = [p for p in store.all("promises") if p["status"] in ("kept", "missed")]
    in_window = [p for p in closed if p["closed"] >= "2026-01"]
    assert sum(data.kept.get(m, 0) + data.missed.get(m, 0) for m in data.months) == len(in_window)
    assert data.open_promises == 1 and len(data.goals) == year["goals"] >= 2


def test_html_is_self_contained(store, clock, year) -> None:
    html = report.build_report(store, clock.now())
    assert "http://" not in html and "https://" not in html and "//cdn" not in html
    assert not re.search(r"<(?:link|img|iframe)\b|\bsrc=|@import|url\(", html)
    assert html.count('class="day ') >= 365 and html.count('class="bar kept"') == 12
    assert "Alex &amp; Sam" in html


def test_words_are_escaped(store, clock, profile) -> None:
    from assistant.features import goals, journal
    goals.add_goal(store, clock, "<script>alert(1)</script>", [{"partner": "Alex", "text": "<b>bold</b> & brave"}])
    journal.add_gratitude(store, clock, "Sam", "Alex", 'you said "<img src=x>"', None)
    html = report.build_report(store, clock.now())
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    assert "<b>bold</b>" not in html and "&lt;b&gt;bold&lt;/b&gt; &amp; brave" in html
    assert "<img" not in html and "&lt;img src=x&gt;" in html


def test_empty_history_still_renders(store, clock, profile) -> None:
    html = report.build_report(store, clock.now())
    assert "No goals yet" in html and "No appreciations yet" in html and 'class="chart heatmap' in html
    assert "0 of 0" in html and "0</b>promises open" in html and "0</b>days with gratitude" in html


# --- a couple's own evening, seeded through the features' own functions on a fixed clock ------


class TaggedCouple(AutoListener):
    """The willing fake couple, whose words carry a tag, so a session's words can be told apart."""

    def __init__(self, clock: FakeClock, profile: Profile, answers: list[str], tag: str) -> None:
        super().__init__(clock, profile, answers)
        self.tag = tag

    def listen(self, context: str, **kw: Any) -> Any:
        heard = super().listen(context, **kw)
        if heard.text.startswith("words number"):
            return dataclasses.replace(heard, text=f"{self.tag} {heard.text}")
        return heard


def _vulnerability(store: Store, clock: FakeClock, profile: Profile, settings: Any, answers: list[str],
                   tag: str) -> None:
    from assistant.exercises import start_exercise

    ctx = make_ctx(store, clock, profile, settings, [])
    ctx.listener = TaggedCouple(clock, profile, answers, tag)
    assert start_exercise(ctx, "vulnerability") == "completed"


def seed_couple(store: Store, clock: FakeClock, profile: Profile, settings: Any) -> None:
    """Three weeks of a couple's life, ending Wednesday 2 December 2026, 19:00 Lisbon."""
    from assistant.features import experiences, goals, journal, promises

    end = clock.now()
    clock.set(end - timedelta(days=21))
    step = lambda days: clock.advance(days * 86400)  # noqa: E731
    journal.add_gratitude(store, clock, "Alex", "Sam",
                          "I loved that you waited up for me yesterday. It says you notice when "
                          "I'm tired.", None)
    journal.add_gratitude(store, clock, "Sam", "Alex", "Thank you for the soup when I was ill", None)
    plumber = promises.log_promise(store, clock, "Sam", "call the plumber", "by friday")
    shelf = promises.log_promise(store, clock, "Alex", "fix the shelf", "by the weekend")
    step(2)
    promises.mark(store, clock, shelf["id"], "kept")
    trip = goals.add_goal(store, clock, "save for a trip to Japan", [
        {"partner": "Alex", "text": "open a savings account"}, {"partner": "Sam", "text": "look up flights for April"}])
    experiences.log_done(store, clock, "salsa dancing")
    # declined: Alex yes, Sam no to keeping what was shared (carry on: yes first)
    _vulnerability(store, clock, profile, settings, ["confirm.yes", "confirm.yes", "confirm.no"], "SECRET-DECLINED")
    step(5)
    journal.add_gratitude(store, clock, "Alex", "Sam", "You made my mum feel welcome", None)
    goals.add_checkin(store, clock, trip["id"], "200 saved so far")
    promises.mark(store, clock, plumber["id"], "kept")
    step(4)
    journal.add_gratitude(store, clock, "Sam", "Alex", "Thanks for planning Saturday", None)
    _vulnerability(store, clock, profile, settings, [], "AGREED")  # both say yes to keeping it
    experiences.log_done(store, clock, "a pottery class")
    step(3)
    run = goals.add_goal(store, clock, "run a 5k together", [{"partner": "Sam", "text": "find a beginners' plan"}])
    goals.mark_reached(store, clock, run["id"])
    promises.log_promise(store, clock, "Alex", "book the dentist", "in two weeks")
    promises.log_promise(store, clock, "Sam", "water the plants", "by tomorrow")
    clock.set(end)
    promises.log_promise(store, clock, "Sam", "ring his sister", None)


@pytest.fixture
def couple(store, clock, profile, settings) -> str:
    seed_couple(store, clock, profile, settings)
    return report.build_report(store, clock.now())


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_their_own_words_both_ways(couple: str) -> None:
    text = _text(couple)
    assert "What Alex appreciated in Sam" in text and "What Sam appreciated in Alex" in text
    alex, sam = text.index("What Alex appreciated in Sam"), text.index("What Sam appreciated in Alex")
    body = text[alex:sam]
    assert "You made my mum feel welcome" in body and "I loved that you waited up for me yesterday" in body
    assert body.index("You made my mum") < body.index("I loved that")  # newest first
    assert "Thanks for planning Saturday" in text[sam:] and "soup when I was ill" in text[sam:]


def test_promises_open_and_kept_with_their_dates(couple: str) -> None:
    text = _text(couple)
    open_, kept = text.index("Open"), text.index("Kept lately")
    assert "Alex promises to book the dentist due " in text[open_:kept]
    assert "Sam promises to ring his sister no date" in text[open_:kept]
    assert "Sam promises to water the plants overdue since" in text[open_:kept]
    assert "Alex promises to fix the shelf kept Fri 13 Nov" in text[kept:]
    assert "Sam promises to call the plumber kept Wed 18 Nov" in text[kept:]


def test_goals_show_each_partners_step_and_experiences_tried(couple: str) -> None:
    text = _text(couple)
    assert "save for a trip to Japan in progress" in text
    assert "Alex open a savings account" in text and "Sam look up flights for April" in text
    assert "Alex no step yet" in text  # the 5k goal: only Sam named a step
    assert "run a 5k together reached" in text and "1 check-in" in text and "0 check-ins" in text
    assert "200 saved so far" in text
    tried = text[text.index("New experiences you tried"):]
    assert tried.index("a pottery class") < tried.index("salsa dancing")


def test_counts_say_their_plurals(couple: str) -> None:
    text = _text(couple)
    assert "3 days with gratitude" in text and "2 of 2 promises kept" in text and "3 promises open" in text
    assert "1 goal reached" in text and "2 new experiences tried" in text
    assert not re.search(r"\b1 (days|promises|goals|exercises|experiences|check-ins)\b", text)
    assert not re.search(r"\b([02-9]|\d\d+) (day|promise|goal|exercise|check-in) ", text)


def test_the_vulnerability_exercise_shows_only_what_both_agreed_to_keep(store: Store, couple: str) -> None:
    kept = [t["transcript"] for s in store.all("sessions") for t in s["turns"] if t["transcript"]]
    assert kept and all(words.startswith("AGREED") for words in kept)  # the store: declined words never stored
    assert "SECRET-DECLINED" not in couple
    words = _text(couple)[_text(couple).index("Words you both chose to keep"):]
    assert all(w in words for w in kept)
    assert len([s for s in store.all("sessions") if s["exercise"] == "vulnerability"]) == 2


def test_no_kept_words_no_section(store, clock, profile, settings) -> None:
    _vulnerability(store, clock, profile, settings, ["confirm.yes", "confirm.yes", "confirm.no"], "SECRET")
    html = report.build_report(store, clock.now())
    assert "SECRET" not in html and "Words you both chose to keep" not in html


def _chromium(args: list[str], tmp: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={tmp / 'profile'}", *args], capture_output=True,
                          text=True, timeout=60, env={**os.environ, "HOME": str(tmp)})


def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """A tiny PNG reader (8-bit RGB/RGBA, non-interlaced, as Chromium writes): width, height, rows of pixels."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", chunk[:10])
            assert depth == 8 and colour in (2, 6)
            bpp = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], (prev[i - bpp] if i >= bpp else 0)
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(b for n, b in enumerate(line) if n % bpp < 3))
        prev = line
    return width, height, rows


def _count_colour(rows: list[bytes], hex_colour: str) -> int:
    target = bytes.fromhex(hex_colour.lstrip("#"))
    return sum(sum(1 for i in range(0, len(r), 3) if r[i:i + 3] == target) for r in rows)


# Headless Chromium will not make a window narrower than 500 px (its --dump-dom then lays out at 500),
# so the page is laid out in an iframe of the phone's width; a srcdoc frame shares the wrapper's origin,
# so the wrapper can copy what the report's own script recorded and measure the charts.
FRAME = """<!doctype html><html><body style="margin:0">
<iframe id="f" style="border:0;width:{width}px;height:1600px" srcdoc="{page}"></iframe>
<script>
document.getElementById('f').addEventListener('load', function () {{
  var doc = this.contentDocument, out = document.body;
  Array.prototype.forEach.call(doc.body.attributes, function (a) {{ out.setAttribute(a.name, a.value); }});
  var widths = Array.prototype.filter.call(doc.querySelectorAll('.chart'),
                                           function (c) {{ return c.getClientRects().length; }})
    .map(function (c) {{ return Math.round(c.getBoundingClientRect().width); }});
  out.setAttribute('data-chart-min-width', String(Math.min.apply(null, widths)));
  out.setAttribute('data-chart-max-width', String(Math.max.apply(null, widths)));
  var wide = Array.prototype.filter.call(doc.querySelectorAll('main *'), function (e) {{
    return e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX !== 'visible'; }});
  out.setAttribute('data-scrolling-boxes', String(wide.length));
  out.setAttribute('data-section-width', String(Math.round(doc.querySelector('section').clientWidth)));
}});
</script></body></html>"""


def _laid_out(html: str, width: int, tmp: Path) -> dict[str, int]:
    """What the page recorded once Chromium laid it out ``width`` px wide: charts drawn, page and chart widths."""
    from html import escape

    frame = tmp / f"frame-{width}.html"
    frame.write_text(FRAME.format(width=width, page=escape(html, quote=True)), encoding="utf-8")
    dom = _chromium(["--window-size=1400,1800", "--virtual-time-budget=3000", "--dump-dom", frame.as_uri()], tmp)
    assert dom.returncode == 0, dom.stderr[-500:]
    body = re.search(r"<body ([^>]*)>", dom.stdout)
    assert body, dom.stdout[:500]
    return {k: int(v) for k, v in re.findall(r'data-([a-z-]+)="(\d+)"', body.group(1))}


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
@pytest.mark.parametrize("width", [390, 1200])
def test_report_fits_a_phone_and_a_laptop_in_headless_chromium(store, clock, profile, settings, year, tmp_path: Path,
                                                               width: int) -> None:
    seed_couple(store, clock, profile, settings)
    laid = _laid_out(report.build_report(store, clock.now()), width, tmp_path)
    assert laid["view-width"] == width
    assert laid["page-width"] <= width  # nothing wider than the screen: no sideways scrolling
    assert laid["charts-shown"] == laid["charts-drawn"] == 3  # the heat map for this width and both bar charts
    inner = laid["section-width"] - 2 * 14  # a section's padding is at least 14 px a side
    assert laid["chart-min-width"] >= 0.85 * inner  # the charts use the width they have
    assert laid["chart-max-width"] <= laid["section-width"] and laid["scrolling-boxes"] == 0  # and no more


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_report_paints_its_charts_in_headless_chromium(store, clock, year, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text(report.build_report(store, clock.now()), encoding="utf-8")
    shot = tmp_path / "report.png"
    out = _chromium([f"--screenshot={shot}", "--window-size=1200,2600", "--virtual-time-budget=3000", page.as_uri()],
                    tmp_path)
    assert shot.exists(), out.stderr[-500:]
    keep = os.environ.get("TANDEM_REPORT_SHOT")
    if keep:
        shutil.copy(shot, keep)  # for a person to look at
    width, height, rows = png_pixels(shot.read_bytes())
    assert (width, height) == (1200, 2600)
    assert _count_colour(rows, report.HEAT_COLOURS[2]) > 500  # heat-map squares are painted
    assert _count_colour(rows, report.KEPT) > 500  # kept bars
    assert _count_colour(rows, report.MISSED) > 100  # missed bars
    assert _count_colour(rows, report.EXERCISE) > 300  # exercise bars


def test_a_first_year_says_when_it_began(couple: str) -> None:
    assert "Your time with Tandem, from Sun 1 Nov 2026 to Wednesday 2 December 2026." in _text(couple)
