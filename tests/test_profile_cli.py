from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.cli import main


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "assistant", *args], capture_output=True, text=True, timeout=60)


def test_init_then_export_shows_profile(tandem_home: Path) -> None:
    r = run_cli("init", "--partner", "alex", "--partner", "Sam", "--timezone", "Europe/Lisbon")
    assert r.returncode == 0, r.stderr
    out = run_cli("export")
    data = json.loads(out.stdout)
    assert data["format"] == 1
    assert data["profile"]["partners"] == ["Alex", "Sam"]
    assert data["profile"]["timezone"] == "Europe/Lisbon"
    assert data["profile"]["wake_phrase"] == "hey tandem"
    db = tandem_home / "tandem.json"
    assert stat.S_IMODE(os.stat(db).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(tandem_home).st_mode) == 0o700


@pytest.mark.parametrize(
    "partners, needle",
    [(["Alex"], "exactly two"), (["Alex", "alex"], "different names"), (["Alex", "  "], "cannot be empty"),
     (["Alex", "Sam", "Kim"], "exactly two")],
)
def test_init_rejects_bad_partners(partners: list[str], needle: str, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["init"] + [x for p in partners for x in ("--partner", p)]
    assert main(args) != 0
    err = capsys.readouterr().err.strip()
    assert needle in err and len(err.splitlines()) == 1 and "Traceback" not in err


def test_init_twice_needs_force_and_keeps_history(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", "--partner", "Alex", "--partner", "Sam"]) == 0
    assert main(["init", "--partner", "Kim", "--partner", "Lee"]) == 1
    assert "--force" in capsys.readouterr().err
    assert main(["init", "--partner", "Kim", "--partner", "Lee", "--force"]) == 0


def test_wake_phrase_is_two_words_or_one_a_bundled_head_knows(capsys: pytest.CaptureFixture[str]) -> None:
    from assistant.profile import ProfileError, check_wake_phrase

    assert check_wake_phrase("Alexa") == "alexa"  # pyopen-wakeword ships a head for it
    assert check_wake_phrase(" Hey,  Jarvis ") == "hey jarvis"
    assert check_wake_phrase(None) == "hey tandem"
    with pytest.raises(ProfileError, match="two words"):
        check_wake_phrase("computer")
    assert main(["init", "--partner", "Alex", "--partner", "Sam", "--wake-phrase", "alexa"]) == 0
    assert main(["init", "--partner", "Alex", "--partner", "Sam", "--wake-phrase", "tandem", "--force"]) == 1
    assert "alexa" in capsys.readouterr().err


def test_bad_flag_and_bad_timezone_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--bogus"]) == 2
    assert main(["init", "--partner", "A", "--partner", "B", "--timezone", "Mars/Olympus"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and all(line.startswith("tandem: ") for line in err)


def test_bad_config_names_file_and_key(tandem_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tandem_home.mkdir(parents=True, exist_ok=True)
    (tandem_home / "config.toml").write_text("[voice]\nrate = 'fast'\n")
    assert main(["config"]) == 1
    err = capsys.readouterr().err
    assert "config.toml" in err and "voice.rate" in err
    (tandem_home / "config.toml").write_text("[voice]\nrate = 20\n")
    assert main(["config"]) == 1
    assert "voice.rate" in capsys.readouterr().err
    (tandem_home / "config.toml").write_text("[voice\n")
    assert main(["config"]) == 1
    assert "config.toml" in capsys.readouterr().err


def test_missing_profile_is_explained(capsys: pytest.CaptureFixture[str]) -> None:
    from assistant.cli import App
    from assistant.config import HomePaths, home_root
    app = App(home=HomePaths(home_root()))
    with pytest.raises(Exception, match="tandem init"):
        app.profile()
    app.close()


def test_forget_all_removes_everything(tandem_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", "--partner", "Alex", "--partner", "Sam"]) == 0
    assert main(["forget", "--all"]) == 1  # needs --yes-really
    assert (tandem_home / "tandem.json").exists()
    (tandem_home / "tmp" / "turn.wav").write_bytes(b"RIFF")
    assert main(["forget", "--all", "--yes-really"]) == 0
    assert not (tandem_home / "tandem.json").exists()
    assert not (tandem_home / "tmp" / "turn.wav").exists()
    leftovers = [p for p in tandem_home.rglob("*") if p.is_file() and "Alex" in p.read_text(errors="ignore")]
    assert leftovers == []


def test_help_lists_the_commands_and_says_what_tandem_is_not(tandem_home: Path) -> None:
    r = run_cli("help")
    assert r.returncode == 0, r.stderr
    assert "doctor" in r.stdout and "service" in r.stdout  # the command list
    care = " ".join(r.stdout.split("What Tandem is not:", 1)[1].split())
    assert "not therapy" in care and "crisis" in care and "988" in care
    assert not tandem_home.exists() or not any(tandem_home.iterdir())  # help writes nothing


def test_help_works_with_a_broken_config(tandem_home: Path) -> None:
    tandem_home.mkdir(parents=True, exist_ok=True)
    (tandem_home / "config.toml").write_text("[voice\nrate = 'fast'\n")
    r = run_cli("help")
    assert r.returncode == 0, r.stderr
    assert "What Tandem is not:" in r.stdout
