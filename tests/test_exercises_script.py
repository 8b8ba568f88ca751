"""Loading scripts: the shipped exercises and banks, and one-line `file:line` errors for mistakes."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from assistant.exercises import load_scripts
from assistant.exercises.script import ScriptError
from tests.test_exercises_support import SCRIPTS, write_script

GOOD = """exercise: tiny
title: tiny moment
starts_on: tiny.start
why: short
steps:
  - say: "Hello {first}."
  - close: "Bye."
"""


def test_the_eight_exercises_load_with_their_intents():
    scripts = load_scripts(SCRIPTS)
    assert {s.exercise: s.starts_on for s in scripts.scripts.values()} == {
        "gratitude": "gratitude.start", "checkin": "checkin.start", "vulnerability": "vulnerability.start",
        "listening": "listening.start", "commitments": "commitments.start", "goals": "goals.start",
        "experiences": "experience.suggest", "trusttalk": "trusttalk.start"}
    for script in scripts.scripts.values():
        assert len(script.why.split()) > 20, f"{script.exercise} must say why its durations are what they are"


def test_banks_are_big_enough():
    scripts = load_scripts(SCRIPTS).scripts
    assert len(scripts["gratitude"].banks["prompts"].items) >= 30
    assert [len(scripts["vulnerability"].banks[f"tier{i}"].items) >= 20 for i in (1, 2, 3)] == [True] * 3
    assert len(scripts["listening"].banks["questions"].items) >= 120
    assert scripts["listening"].banks["questions"].id == "listening"  # the export's "asked" key


def test_experience_catalogue_schema():
    data = yaml.safe_load((SCRIPTS / "banks" / "experiences.yaml").read_text(encoding="utf-8"))
    activities = data["activities"]
    assert len(activities) >= 60 and len({a["id"] for a in activities}) == len(activities)
    for a in activities:
        assert set(a) == {"id", "text", "cost", "energy", "seasons"}
        assert a["cost"] in ("free", "low", "medium", "high") and a["energy"] in ("low", "medium", "high")
        assert a["seasons"] and set(a["seasons"]) <= {"spring", "summer", "autumn", "winter", "any"}
    assert {a["cost"] for a in activities} == {"free", "low", "medium", "high"}


def test_trusttalk_length_comes_from_settings():
    script = load_scripts(SCRIPTS).scripts["trusttalk"]
    assert script.length_setting == "trusttalk_minutes" and script.minutes == 30


@pytest.mark.parametrize("text, line, message", [
    ("exercise: x\n  title: [\n", 2, "not valid YAML"),
    (GOOD.replace("why: short\n", ""), 1, "missing 'why'"),
    (GOOD.replace("  - say:", "  - shout:"), 6, "needs exactly one of"),
    (GOOD.replace('"Hello {first}."', '"Hello {frist}."'), 6, "unknown fact '{frist}'"),
    (GOOD.replace('  - close: "Bye."\n', ""), 5, "need a close step"),
    (GOOD + "  - turn: share\n    seconds: 60\n    prompt: hi\n    colour: red\n", 11, "'colour' is not an option"),
    (GOOD + "  - turn: share\n    seconds: 60\n    silence: 5\n    prompt: hi\n", 10, "at least 20"),
    (GOOD + "  - turn: share\n    who: everyone\n    seconds: 60\n    prompt: hi\n", 9, "who must be one of"),
    (GOOD + "  - turn: share\n    prompt: hi\n", 8, "needs seconds"),
    (GOOD + "  - ask: nothing\n", 8, "no bank called 'nothing'"),
    (GOOD + "  - do: teleport\n", 8, "do must be one of"),
    (GOOD + "  - do: promise.mark\n", 8, "needs status"),
    (GOOD + "  - choose: ok?\n    default: maybe\n", 9, "default must be yes or no"),
    (GOOD + "  - say: hi\n    when: 'tier <'\n", 9, "when must look like"),
    (GOOD + "  - turn: share\n    seconds: 60\n    keep: sometimes\n    prompt: hi\n", 10, "keep must be"),
    (GOOD + "  - say: [\"broken {\"]\n", 8, "broken"),
    (GOOD.replace("why: short\n", "why: short\nwhy: again\n"), 5, "given twice"),
])
def test_mistakes_are_reported_as_file_and_line(tmp_path: Path, text: str, line: int, message: str):
    folder = write_script(tmp_path / "s", "tiny", text)
    with pytest.raises(ScriptError) as err:
        load_scripts(folder)
    assert str(err.value).startswith(f"{folder / 'tiny.yaml'}:{line}: ")
    assert message in str(err.value) and "\n" not in str(err.value)


def test_a_bank_file_with_a_bad_item(tmp_path: Path):
    folder = write_script(tmp_path / "s", "tiny", GOOD.replace("steps:", "banks:\n  q: banks/q.yaml\nsteps:"))
    (folder / "banks").mkdir()
    (folder / "banks" / "q.yaml").write_text("bank: q\nitems:\n  - fine\n  - [not, a, sentence]\n")
    with pytest.raises(ScriptError, match=r"q.yaml:4: a bank item"):
        load_scripts(folder)


def test_two_scripts_with_one_intent(tmp_path: Path):
    folder = write_script(tmp_path / "s", "tiny", GOOD)
    write_script(folder, "tiny2", GOOD.replace("exercise: tiny", "exercise: tiny2"))
    with pytest.raises(ScriptError, match="tiny.start already starts tiny.yaml"):
        load_scripts(folder)


def test_other_wording_files_are_not_exercises(tmp_path: Path):
    folder = write_script(tmp_path / "s", "tiny", GOOD)
    (folder / "reminders.yaml").write_text("kinds:\n  trusttalk: {label: trust talk}\n")
    assert list(load_scripts(folder).scripts) == ["tiny"]


def test_phrase_overrides_are_checked(tmp_path: Path):
    folder = write_script(tmp_path / "s", "tiny", GOOD + "phrases:\n  cue_30s: half a minute\n  nonsense: x\n")
    with pytest.raises(ScriptError, match=r"tiny.yaml:10: unknown phrase 'nonsense'"):
        load_scripts(folder)
