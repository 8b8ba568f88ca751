"""The offline HTML report: its numbers, its self-containedness, and a real render in headless Chromium."""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from assistant import report

from .feature_ctx import generate_year

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
    assert not re.search(r"<(?:link|img|iframe)\b|\bsrc=", html)
    assert html.count('class="day ') >= 365 and html.count('class="bar kept"') == 12
    assert 'class="checkin"' in html and "Alex &amp; Sam" in html


def test_words_are_escaped(store, clock, profile) -> None:
    from assistant import goals
    goals.add_goal(store, clock, "<script>alert(1)</script>", [])
    html = report.build_report(store, clock.now())
    assert "<script>alert" not in html and "&lt;script&gt;" in html


def test_empty_history_still_renders(store, clock, profile) -> None:
    html = report.build_report(store, clock.now())
    assert "No goals yet" in html and 'class="chart heatmap"' in html


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


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_report_renders_in_headless_chromium(store, clock, year, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text(report.build_report(store, clock.now()), encoding="utf-8")
    charts = page.read_text().count('class="chart ')

    dom = _chromium(["--virtual-time-budget=3000", "--dump-dom", page.as_uri()], tmp_path)
    assert dom.returncode == 0, dom.stderr[-500:]
    drawn = re.search(r'<body data-charts-drawn="(\d+)"', dom.stdout)
    assert drawn and int(drawn.group(1)) == charts >= 4  # the browser laid out every chart with a real size
    assert dom.stdout.count('data-drawn="yes"') == charts

    shot = tmp_path / "report.png"
    out = _chromium([f"--screenshot={shot}", "--window-size=1100,1400", "--virtual-time-budget=3000", page.as_uri()], tmp_path)
    assert shot.exists(), out.stderr[-500:]
    keep = os.environ.get("TANDEM_REPORT_SHOT")
    if keep:
        shutil.copy(shot, keep)  # for a person to look at
    width, height, rows = png_pixels(shot.read_bytes())
    assert (width, height) == (1100, 1400)
    assert _count_colour(rows, report.HEAT_COLOURS[2]) > 500  # heat-map squares are painted
    assert _count_colour(rows, report.KEPT) > 500  # kept bars
    assert _count_colour(rows, report.MISSED) > 100  # missed bars
    assert _count_colour(rows, report.EXERCISE) > 300  # exercise bars
