"""The corrected stage alone: unknown words snapped to the layer's by spelling, form or sound, then strict."""

from __future__ import annotations

from assistant.nlu.correct import INFLECTED_SCORE, SOUND_SCORE
from assistant.nlu.match import CORRECTED
from assistant.nlu.stages.corrected import CorrectedStage
from tests.nlu_small import grammar, reading


def stage() -> CorrectedStage:
    return CorrectedStage(grammar())


def test_a_misspelt_word_is_snapped_to_the_known_one() -> None:
    found = stage().match(reading("stop the exorcise", "ritual"))
    assert found is not None and (found.intent, found.stage) == ("ritual.stop", CORRECTED)
    assert 80.0 <= found.evidence < 100.0


def test_another_form_and_a_sound_count_just_below_a_spelling() -> None:
    found = stage().match(reading("starting gratitude moment"))
    assert found is not None and found.intent == "gratitude.start" and found.evidence == INFLECTED_SCORE
    found = stage().match(reading("stop the exercise", "ritual"))
    assert found is None  # nothing to correct: strict's business
    assert SOUND_SCORE < 80.0


def test_words_split_by_the_recogniser_are_joined() -> None:
    found = stage().match(reading("start gratitude mo ment"))
    assert found is not None and found.intent == "gratitude.start"


def test_a_different_request_is_not_made_up() -> None:
    assert stage().match(reading("start the car engine")) is None
