"""``tandem reminders`` and the end-to-end reminder run of issue 8, section 6."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.cli import main


def run_cli(*args: str, stdin: str = "", timeout: float = 90) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "assistant", *args], input=stdin, capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture
def couple(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", "--partner", "Alex", "--partner", "Sam", "--timezone", "Europe/Lisbon"]) == 0
    capsys.readouterr()


def test_defaults_after_init(couple: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["reminders"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("trusttalk") and "on the first Sunday of every month at 7 pm" in out[0]
    assert "next: Sunday," in out[0]
    assert out[1].startswith("checkin") and "every Sunday at 7 pm" in out[1] and "not on trust talk days" in out[1]
    assert out[2].startswith("gratitude") and out[2].endswith("off")
    assert main(["reminders", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["kind"], r["rule"], r["time"], r["enabled"]) for r in rows] == [
        ("trusttalk", "FREQ=MONTHLY;BYDAY=1SU", "19:00", True),
        ("checkin", "FREQ=WEEKLY;BYDAY=SU", "19:00", True),
        ("gratitude", "FREQ=DAILY", "20:00", False),
    ]


def test_set_off_on_and_export(couple: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["reminders", "set", "trust talk", "on the last friday of every month at eight pm"]) == 0
    assert capsys.readouterr().out.startswith("trusttalk: on the last Friday of every month at 8 pm — next: Friday,")
    assert main(["reminders", "set", "gratitude", "every", "evening", "at", "eight"]) == 0
    assert "every day at 8 pm" in capsys.readouterr().out
    assert main(["reminders", "off", "gratitude"]) == 0
    assert main(["reminders", "on", "check in"]) == 0
    capsys.readouterr()
    assert main(["export"]) == 0
    data = json.loads(capsys.readouterr().out)
    by_kind = {r["kind"]: r for r in data["reminders"]}
    assert by_kind["trusttalk"]["rule"] == "FREQ=MONTHLY;BYDAY=-1FR" and by_kind["trusttalk"]["time"] == "20:00"
    assert by_kind["trusttalk"]["next"].endswith(("T20:00:00+00:00", "T20:00:00+01:00"))
    assert by_kind["gratitude"]["enabled"] is False and by_kind["gratitude"]["next"] is None
    assert by_kind["checkin"]["spoken"] == []


def test_words_not_understood_change_nothing(couple: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["reminders", "--json"]) == 0
    before = capsys.readouterr().out
    assert main(["reminders", "set", "checkin", "whenever the moon is blue"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "for example" in err and "every evening at eight" in err
    assert main(["reminders", "off", "nonsense"]) == 1
    assert "no reminder called" in capsys.readouterr().err
    assert main(["reminders", "--json"]) == 0
    assert capsys.readouterr().out == before


def _reminder_run() -> list[dict]:
    r = run_cli("run", "--text", "--clock-start", "2026-12-06T18:58", "--clock-speed", "120",
                "--until", "2026-12-06T19:10", "--events", "jsonl")
    assert r.returncode == 0, r.stderr
    return [json.loads(line) for line in r.stdout.splitlines() if line.strip()]


@pytest.mark.slow
def test_run_says_the_trust_talk_at_seven_once(tandem_home: Path) -> None:
    assert run_cli("init", "--partner", "Alex", "--partner", "Sam", "--timezone", "Europe/Lisbon").returncode == 0
    first = _reminder_run()
    said = [e for e in first if e["type"] == "reminder" and e["phase"] == "said"]
    assert [(e["kind"], e["occurrence"]) for e in said] == [("trusttalk", "2026-12-06T19:00:00+00:00")]
    # fails while `tandem run` starts its scaled clock before the ~2 s of start-up (x120 = minutes of clock time)
    assert said[0]["clock"].startswith("2026-12-06T19:00"), f"said at {said[0]['clock']}, not at 19:00"
    spoken = [e["text"] for e in first if e["type"] == "said"]
    assert any("trust talk" in t for t in spoken)
    second = _reminder_run()
    assert [e for e in second if e["type"] == "reminder" and e["phase"] in ("said", "due")] == []


def test_clock_warning_and_resume(couple: None, capsys: pytest.CaptureFixture[str]) -> None:
    from assistant.config import HomePaths, home_root
    from assistant.store import Store

    store = Store(HomePaths(home_root()).db_file)
    store.open()
    store.set_meta("last_event", "2099-01-01T00:00:00+00:00")  # as if the clock had run ahead, then come back
    store.close()
    assert main(["reminders"]) == 0
    assert "warning: the clock says" in capsys.readouterr().out
    assert main(["reminders", "resume"]) == 0
    capsys.readouterr()
    assert main(["reminders"]) == 0
    assert "warning" not in capsys.readouterr().out
