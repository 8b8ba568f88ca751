"""``tandem run`` and time, end to end through the real CLI (issue 14, section 1).

* A fresh install's first reminder is a future one: ``tandem init`` then
  ``tandem run`` at 20:50 on the first Sunday answers "what can you do" and
  says nothing about the 19:00 trust talk.
* A simulated clock (``--clock-start`` / ``--clock-speed``) on the default
  home works on a temporary copy: the couple's records are byte for byte
  what they were. A home named with ``--home`` or ``TANDEM_HOME`` is used
  as it is (tests and the soak name theirs).

Every run here pins its instant with ``--clock-start``, except the one that
runs under ``datefudge`` to pin the wall clock itself.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from assistant.store import Store
from tests.conftest import REPO


def tandem(*args: str, env: dict[str, str] | None = None, stdin: str = "", timeout: float = 60,
           prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*prefix, sys.executable, "-m", "assistant", *args], input=stdin, capture_output=True,
                          text=True, timeout=timeout, cwd=REPO, env=env if env is not None else dict(os.environ))


def events(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def reminders_said(evs: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(e["kind"], e["occurrence"]) for e in evs if e["type"] == "reminder" and e["phase"] in ("due", "said")]


def init(env: dict[str, str] | None = None) -> None:
    r = tandem("init", "--partner", "Alex", "--partner", "Sam", "--timezone", "Europe/Lisbon", env=env)
    assert r.returncode == 0, r.stderr


def export(env: dict[str, str] | None = None, *args: str) -> dict[str, Any]:
    r = tandem(*args, "export", env=env)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


# --- a fresh install never reminds about the past ------------------------------------------------------


def test_fresh_install_at_8_50_pm_on_the_first_sunday_hears_help_not_a_reminder() -> None:
    init()
    r = tandem("run", "--text", "--mute", "--events", "jsonl", "--clock-start", "2026-12-06T20:50",
               stdin="what can you do\n")
    assert r.returncode == 0, r.stderr
    evs = events(r.stdout)
    said = [e["text"] for e in evs if e["type"] == "said"]
    assert said and said[0].startswith("I can lead"), said
    assert [e for e in evs if e["type"] == "reminder"] == [] and not any("would you like" in s.lower() for s in said)
    assert export()["profile"]["first_run"] == "2026-12-06T20:50:00+00:00"
    # a week later, just before seven: the first reminder they hear is that evening's check-in, on time
    r = tandem("run", "--text", "--mute", "--events", "jsonl", "--clock-start", "2026-12-13T18:59",
               "--clock-speed", "120", "--until", "2026-12-13T19:02")
    assert r.returncode == 0, r.stderr
    evs = events(r.stdout)
    assert reminders_said(evs) == [("checkin", "2026-12-13T19:00:00+00:00")] * 2  # due, then said
    assert export()["profile"]["first_run"] == "2026-12-06T20:50:00+00:00"  # stamped once


def test_a_home_that_ran_before_first_runs_were_recorded_still_catches_up(tandem_home: Path) -> None:
    """An older home (it ran, but has no first_run yet): its first run counts from the last time it saw."""
    init()
    store = Store(tandem_home / "tandem.json")
    store.open()
    store.set_meta("last_event", "2026-12-06T18:30:00+00:00")  # it was running before seven
    store.close()
    r = tandem("run", "--text", "--mute", "--events", "jsonl", "--clock-start", "2026-12-06T20:50",
               stdin="no\n")
    assert r.returncode == 0, r.stderr
    assert ("trusttalk", "2026-12-06T19:00:00+00:00") in reminders_said(events(r.stdout))
    assert export()["profile"]["first_run"] == "2026-12-06T18:30:00+00:00"


@pytest.mark.skipif(not shutil.which("datefudge"), reason="needs Debian's datefudge (make test installs it)")
def test_fresh_install_on_the_wall_clock_at_8_50_pm_on_the_first_sunday() -> None:
    """The issue's own steps, on the real clock moved by datefudge (see tools/test-anytime for why not libfaketime)."""
    # not inside another datefudge (tools/test-anytime): its offset would be counted twice
    env = {k: v for k, v in os.environ.items() if k not in ("DATEFUDGE", "LD_PRELOAD")} | {"TZ": "Europe/London"}
    at = ("datefudge", "2026-12-06 20:50:00")
    r = tandem("init", "--partner", "Alex", "--partner", "Sam", env=env, prefix=at)  # the system's zone: London
    assert r.returncode == 0, r.stderr
    r = tandem("run", "--text", "--mute", "--events", "jsonl", env=env, prefix=at, stdin="what can you do\n")
    assert r.returncode == 0, r.stderr
    evs = events(r.stdout)
    assert evs[0]["clock"].startswith("2026-12-06T20:5")  # the pin took
    said = [e["text"] for e in evs if e["type"] == "said"]
    assert said and said[0].startswith("I can lead") and [e for e in evs if e["type"] == "reminder"] == []
    assert export(env)["profile"]["timezone"] == "Europe/London"


def test_a_schedule_changed_by_voice_applies_from_now_on() -> None:
    """Turned on at 19:30 for "every evening at 7 pm": this evening's seven o'clock is not said late."""
    init()
    r = tandem("run", "--text", "--mute", "--events", "jsonl", "--clock-start", "2026-12-09T10:00", stdin="\n")
    assert r.returncode == 0, r.stderr  # the first run, a Wednesday morning
    r = tandem("run", "--text", "--mute", "--events", "jsonl", "--clock-start", "2026-12-09T19:30",
               stdin="remind us about gratitude every evening at 7 pm\nyes\n")
    assert r.returncode == 0, r.stderr
    said = [e["text"] for e in events(r.stdout) if e["type"] == "said"]
    assert any("every day at 7 pm" in s for s in said), said
    r = tandem("run", "--text", "--mute", "--events", "jsonl", "--clock-start", "2026-12-09T19:35", stdin="\n")
    assert r.returncode == 0, r.stderr
    assert reminders_said(events(r.stdout)) == []
    gratitude = next(x for x in export()["reminders"] if x["kind"] == "gratitude")
    assert gratitude["enabled"] and (gratitude["rule"], gratitude["time"]) == ("FREQ=DAILY", "19:00")
    r = tandem("run", "--text", "--mute", "--events", "jsonl", "--clock-start", "2026-12-10T18:59", "--clock-speed",
               "60",
               "--until", "2026-12-10T19:01")
    assert reminders_said(events(r.stdout)) == [("gratitude", "2026-12-10T19:00:00+00:00")] * 2


# --- a demo clock never changes the couple's real records --------------------------------------------


def _default_home_env(tmp_path: Path) -> dict[str, str]:
    """No TANDEM_HOME: the home is the platform's default, under a private HOME and XDG_DATA_HOME."""
    env = {k: v for k, v in os.environ.items() if k != "TANDEM_HOME"}
    env.update(HOME=str(tmp_path / "user"), XDG_DATA_HOME=str(tmp_path / "user" / "data"),
               TMPDIR=str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    return env


def _snapshot(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
            for p in sorted(root.rglob("*"))}


@pytest.mark.parametrize("clock",
                         [["--clock-start", "2027-01-03T18:59", "--clock-speed", "20", "--until", "2027-01-03T19:01"],
                                   ["--clock-speed", "10"]], ids=["start-and-speed", "speed-alone"])
def test_a_demo_clock_on_the_default_home_works_on_a_copy(tmp_path: Path, clock: list[str]) -> None:
    env = _default_home_env(tmp_path)
    init(env)
    real = tmp_path / "user" / "data" / "tandem"
    assert (real / "tandem.json").is_file()
    before = _snapshot(real)

    r = tandem("run", "--text", "--mute", "--events", "jsonl", *clock, env=env,
               stdin="Alex promises to water the plants by sunday\nwhat can you do\n")
    assert r.returncode == 0, r.stderr
    notes = [line for line in r.stderr.splitlines() if "copy of your records" in line]
    assert len(notes) == 1, r.stderr
    copy = Path(notes[0].split(" in ", 1)[1].split(" (")[0])
    assert copy.parent == tmp_path / "tmp" and not copy.exists()  # said where; gone when the run ended
    said = [e["text"] for e in events(r.stdout) if e["type"] == "said"]
    assert any("water the plants" in s for s in said) and any(s.startswith("I can lead") for s in said)

    assert _snapshot(real) == before  # no backup of a simulated day, no time seen, no promise
    assert not list((real / "backups").glob("tandem-2027-*"))
    check = tandem("reminders", env=env)
    assert check.returncode == 0 and "warning" not in check.stdout, check.stdout
    assert export(env)["promises"] == []


def test_a_named_home_keeps_what_a_demo_clock_does(tmp_path: Path) -> None:
    env = _default_home_env(tmp_path)
    named = tmp_path / "demo-home"
    r = tandem("--home", str(named), "init", "--partner", "Alex", "--partner", "Sam", "--timezone", "Europe/Lisbon",
               env=env)
    assert r.returncode == 0, r.stderr
    r = tandem("--home", str(named), "run", "--text", "--mute", "--clock-start", "2027-01-03T18:59", "--clock-speed",
               "20",
               "--until", "2027-01-03T19:01", env=env)
    assert r.returncode == 0, r.stderr
    assert "copy of your records" not in r.stderr
    assert list((named / "backups").glob("tandem-2027-01-03.json"))
    assert not (tmp_path / "user" / "data" / "tandem").exists()  # the default home was never touched
    assert export(env, "--home", str(named))["profile"]["first_run"] == "2027-01-03T18:59:00+00:00"


def test_the_copy_holds_the_records_and_links_the_models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.config import HomePaths
    from assistant.runtime.wiring import copy_home

    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    home = HomePaths(tmp_path / "real")
    home.ensure()
    for name, text in {"tandem.json": "{}", "config.toml": "[voice]\n", "backups/tandem-2026-12-01.json": "{}",
                       "tandem.json.lock": "", "logs/tandem.log": "private", "models/vosk-en/am.bin": "x"}.items():
        (home.root / name).parent.mkdir(parents=True, exist_ok=True)
        (home.root / name).write_text(text)
    copy = copy_home(home)
    assert copy.root.parent == tmp_path and copy.root != home.root
    assert (copy.root / "tandem.json").read_text() == "{}" and (copy.backups / "tandem-2026-12-01.json").exists()
    assert (copy.root / "config.toml").exists() and not (copy.root / "tandem.json.lock").exists()
    assert not (copy.logs / "tandem.log").exists()
    assert copy.models.is_symlink() and (copy.models / "vosk-en" / "am.bin").read_text() == "x"
    assert oct(copy.root.stat().st_mode & 0o777) == "0o700"


def test_the_system_zone_is_the_processes_tz_first(monkeypatch: pytest.MonkeyPatch) -> None:
    """``tandem init`` without --timezone takes the zone a process runs in (TZ), as libc does."""
    from assistant.clock import local_zone, zone_name

    monkeypatch.setenv("TZ", "Europe/London")
    assert zone_name(local_zone()) == "Europe/London"
    monkeypatch.setenv("TZ", ":America/New_York")
    assert zone_name(local_zone()) == "America/New_York"
    monkeypatch.setenv("TZ", "Nowhere/At_All")
    assert local_zone() is not None  # an unknown name falls back to the system's file


def test_home_before_or_after_the_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from assistant import cli

    first, second = tmp_path / "first", tmp_path / "second"
    assert cli.main(["--home", str(first), "init", "--partner", "Alex", "--partner", "Sam", "--timezone", "UTC"]) == 0
    assert cli.main(["init", "--home", str(second), "--partner", "Kim", "--partner", "Lee", "--timezone", "UTC"]) == 0
    capsys.readouterr()
    assert cli.main(["export", "--home", str(first)]) == 0
    assert json.loads(capsys.readouterr().out)["profile"]["partners"] == ["Alex", "Sam"]
    assert cli.main(["--home", str(second), "export"]) == 0
    assert json.loads(capsys.readouterr().out)["profile"]["partners"] == ["Kim", "Lee"]
