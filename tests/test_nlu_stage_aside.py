"""The aside stage alone: a slot-free command with a short side remark before or after it."""

from __future__ import annotations

from assistant.nlu.match import ASIDE
from assistant.nlu.stages.aside import AsideStage
from tests.nlu_small import grammar, reading


def stage() -> AsideStage:
    return AsideStage(grammar())


def test_a_command_then_a_remark() -> None:
    found = stage().match(reading("stop the exercise we're too tired", "ritual"))
    assert found is not None and (found.intent, found.slots, found.stage) == ("ritual.stop", {}, ASIDE)
    assert found.free_chars == len("we're too tired ")  # the remark's canonical words, as the veto counts them


def test_a_remark_then_a_command() -> None:
    found = stage().match(reading("because the baby sleeps not so loud", "ritual"))
    assert found is not None and found.intent == "ritual.stop"


def test_a_long_remark_or_one_to_you_is_speech() -> None:
    assert stage().match(reading("stop the exercise because we are so very very tired tonight", "ritual")) is None
    assert stage().match(reading("stop the exercise because you never listen", "ritual")) is None
