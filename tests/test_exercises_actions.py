"""The action registry: the one place a script's then/do/for_each actions are named, checked and run."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from assistant.exercises import actions, start_exercise
from assistant.exercises.checker import builtin_facts
from assistant.exercises.model import KINDS
from assistant.exercises.script import ScriptError, load_scripts
from assistant.exercises.steps import RUNNERS
from tests.test_exercises_support import make_ctx, only_session, rng, said, write_script

# the names and their order as scripts/README.md lists them and the loader's messages say them
THEN = ("journal.gratitude", "promise.log", "goal.text", "goal.step", "goal.checkin", "fact.text")
DO = ("pause", "goal.save", "goal.reached", "promise.mark", "experience.pick", "experience.agree", "experience.done",
      "set", "raise", "lower")
FOR_EACH = ("promises.open", "goals.open", "experiences.last_done", "experiences.pending")


def test_every_action_is_in_the_one_registry_in_the_documented_order() -> None:
    assert actions.named("then") == THEN
    assert actions.named("do") == DO
    assert actions.named("for_each") == FOR_EACH
    assert set(RUNNERS) == set(KINDS)  # and every kind of step has its runner


def test_the_facts_every_wording_may_use_are_the_engines_and_the_actions() -> None:
    assert builtin_facts() == {"first", "second", "partner", "other", "speaker", "listener", "minutes", "sessions_done",
                               "question", "activity", "title", "text", "goal", "experience", "day_part", "greeting",
                               "farewell", "break_minutes", "words_heard"}
    assert actions.step_options() == {"fact", "value", "status", "catalogue", "prompt", "max", "min"}


NEW_ACTION = """
exercise: hello
title: hello
starts_on: hello.start
why: a test of a new action
steps:
  - do: test.wave
    hand: left
    prompt: "{partner} waves with the {waved} hand."
  - close: "Bye."
"""


def _wave(host: actions.Host, step) -> None:
    host.facts["waved"] = step.value


def _check_hand(reader: actions.Reader, raw, at, line) -> dict:
    if raw.get("hand") not in ("left", "right"):
        raise reader.err(at("hand"), "hand must be left or right")
    return {"value": raw["hand"]}


@pytest.fixture
def waving(monkeypatch: pytest.MonkeyPatch) -> None:
    wave = actions.StepAction("test.wave", _wave, frozenset({"hand"}), _check_hand, provides=frozenset({"waved"}))
    monkeypatch.setattr(actions, "ACTIONS", {**actions.ACTIONS, wave.name: wave})


def test_a_new_action_is_one_registry_entry_checked_and_run(tmp_path: Path, waving, store, clock, profile,
                                                            settings) -> None:
    folder = write_script(tmp_path / "scripts", "hello", NEW_ACTION)
    ctx = make_ctx(store, clock, profile, settings, [], scripts=folder)
    assert start_exercise(ctx, "hello", rng()) == "completed"
    assert "Alex waves with the left hand." in said(ctx)
    assert only_session(store)["end_reason"] == "completed"
    bad = write_script(tmp_path / "bad", "hello", NEW_ACTION.replace("hand: left", "hand: up"))
    with pytest.raises(ScriptError, match=r"hello.yaml:8: hand must be left or right"):
        load_scripts(bad)


def test_an_unregistered_action_is_a_file_line_error(tmp_path: Path) -> None:
    folder = write_script(tmp_path / "scripts", "hello", NEW_ACTION.replace("    hand: left\n", ""))
    with pytest.raises(ScriptError, match=r"hello.yaml:7: do must be one of pause, goal.save, .*, not 'test.wave'"):
        load_scripts(folder)


def test_the_engine_reaches_features_only_through_the_registry_features(monkeypatch: pytest.MonkeyPatch) -> None:
    # the record the engine completes is the experiences feature's business (its one write path)
    calls = []
    fake = dataclasses.replace(actions.FEATURES, experiences=type("E", (), {
        "complete": staticmethod(lambda store, clock, rid: calls.append(rid) or True),
        "log_done": staticmethod(lambda *a: pytest.fail("a second record for a done suggestion"))})())

    @dataclasses.dataclass
    class Host:
        ctx: object
        facts: dict
        features: actions.Features

    host = Host(ctx=type("C", (), {"store": None, "clock": None})(), facts={"experience": "a picnic",
                                                                          "experience_id": "e1"}, features=fake)
    actions.step_action("experience.done").run(host, None)  # type: ignore[arg-type]
    assert calls == ["e1"]
