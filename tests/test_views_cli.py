"""`tandem promises|journal|goals|history|report`: readable tables and a private report file."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.cli.views import table
from assistant.features import goals, journal, promises

from .feature_ctx import generate_year


@pytest.fixture(autouse=True)
def pinned(monkeypatch, clock):
    """The views read the time through ``App.clock``: pinned to the fixtures' instant, not the wall clock."""
    from assistant.cli import App

    monkeypatch.setattr(App, "clock", lambda self: clock)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def filled(store, clock, profile):
    promises.log_promise(store, clock, "Sam", "call the plumber", "by friday")
    p = promises.log_promise(store, clock, "Alex", "fix the bike", "tonight")
    promises.mark(store, clock, p["id"], "kept")
    promises.log_promise(store, clock, "Alex", "paint the hall", "when it is warmer")
    journal.add_gratitude(store, clock, "Alex", "Sam", "thanks for making soup when I was tired and grumpy " * 3, None)
    g = goals.add_goal(store, clock, "visit japan", [{"partner": "Alex", "text": "look at flights"}])
    goals.add_checkin(store, clock, g["id"], "found cheap dates")
    store.insert("sessions", {"exercise": "trusttalk", "started": "2026-12-01T19:00:00+00:00",
                              "ended": "2026-12-01T19:31:00+00:00", "end_reason": "completed", "turns": []})


def test_promises_table(capsys, filled) -> None:
    code, out, _ = run(capsys, "promises")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["Who", "Promise", "Made", "Due", "Status"]
    assert "Sam" in lines[2] and "call the plumber" in lines[2] and "Fri 04 Dec 2026 23:59" in lines[2]
    assert '"when it is warmer"' in out and "fix the bike" not in out
    code, out, _ = run(capsys, "promises", "--all", "--partner", "alex")
    assert "kept Wed 02 Dec 2026" in out and "plumber" not in out
    code, _, err = run(capsys, "promises", "--partner", "Kim")
    assert code == 1 and err.count("\n") == 1 and "Alex and Sam" in err


def test_journal_wraps_long_words(capsys, filled, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    code, out, _ = run(capsys, "journal")
    assert code == 0 and all(len(line) <= 80 for line in out.splitlines())
    assert out.splitlines()[0].split() == ["When", "From", "To", "Appreciation"]
    assert len(out.splitlines()) > 3  # the long entry wrapped onto more lines
    code, out, _ = run(capsys, "journal", "--period", "last month")
    assert "No gratitude entries for last month." in out
    code, _, err = run(capsys, "journal", "--period", "the blue moon")
    assert code == 1 and "cannot tell which days" in err


def test_goals_and_history(capsys, filled) -> None:
    code, out, _ = run(capsys, "goals")
    assert code == 0 and "visit Japan" in out and "found cheap dates" in out and "Alex: look at flights" in out
    code, out, _ = run(capsys, "history")
    assert code == 0 and "trusttalk" in out and "31 min" in out and "promises kept 1, missed 0" in out
    code, _, err = run(capsys, "history", "--month", "December")
    assert code == 1 and "2026-12" in err


def test_empty_views_are_friendly(capsys, profile) -> None:
    assert run(capsys, "promises")[1] == "No open promises.\n"
    assert run(capsys, "journal")[1] == "No gratitude entries yet.\n"
    assert run(capsys, "goals")[1] == "No open goals.\n"
    assert "No exercises yet." in run(capsys, "history")[1]


def test_views_need_a_profile(capsys) -> None:
    code, _, err = run(capsys, "promises")
    assert code == 1 and "tandem init" in err


def test_report_is_written_private(capsys, store, clock, profile, tmp_path: Path) -> None:
    generate_year(store, clock)
    out_file = tmp_path / "ours.html"
    code, out, _ = run(capsys, "report", "--out", str(out_file))
    assert code == 0 and str(out_file) in out
    assert stat.S_IMODE(os.stat(out_file).st_mode) == 0o600
    page = out_file.read_text()
    assert 'class="chart heatmap only-wide"' in page and "What Alex appreciated in Sam" in page
    code, _, _ = run(capsys, "report")
    assert code == 0 and (Path(os.environ["TANDEM_HOME"]) / "report.html").exists()
    code, _, err = run(capsys, "report", "--out", str(tmp_path / "missing" / "x.html"))
    assert code == 1 and "does not exist" in err


def test_table_pads_and_wraps() -> None:
    text = table(["A", "Long"], [["x", "word " * 20]], wrap=1, width=40)
    assert all(len(line) <= 40 for line in text.splitlines()) and len(text.splitlines()) > 3
