"""The generalising stage alone: the classifier's confident answer for a phrasing no template has."""

from __future__ import annotations

from assistant.nlu.match import CORRECTED, GENERAL
from assistant.nlu.stages.generalise import GEN_MAX_WORDS, GEN_MIN_PROB, GeneraliseStage
from tests.nlu_small import grammar, reading

_stage: GeneraliseStage | None = None


def stage() -> GeneraliseStage:
    global _stage
    if _stage is None:
        _stage = GeneraliseStage(grammar())
    return _stage


def test_an_example_phrasing_is_understood() -> None:
    found = stage().match(reading("kick off the thankfulness thing"))
    assert found is not None and (found.intent, found.stage) == ("gratitude.start", GENERAL)
    assert GEN_MIN_PROB <= found.evidence <= 1.0


def test_other_speech_is_not_a_request() -> None:
    assert stage().match(reading("what's the weather like in paris")) is None
    assert stage().match(reading(" ".join(["gratitude"] * (GEN_MAX_WORDS + 1)))) is None


def test_glued_words_may_make_a_template_fit_then_it_is_a_corrected_match() -> None:
    found = stage().match(reading("let's do our grati tude moment"))
    assert found is not None and (found.intent, found.stage) == ("gratitude.start", CORRECTED)
