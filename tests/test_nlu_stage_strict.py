"""The strict stage alone: a template fits the whole utterance (politeness allowed at either end)."""

from __future__ import annotations

from assistant.nlu.match import STRICT
from assistant.nlu.stages.strict import StrictStage
from tests.nlu_small import grammar, reading


def stage() -> StrictStage:
    return StrictStage(grammar())


def test_a_template_fits_the_words_as_heard() -> None:
    found = stage().match(reading("start our gratitude moment"))
    assert found is not None and (found.intent, found.slots, found.stage, found.free_chars) == (
        "gratitude.start",
        {},
        STRICT,
        0,
    )


def test_politeness_around_the_request_is_allowed_and_a_near_miss_is_not() -> None:
    assert stage().match(reading("okay so start gratitude moment please")) is not None
    assert stage().match(reading("start our gratitude minute")) is None  # the corrected and fuzzy stages' business


def test_dictated_words_are_counted_for_the_veto() -> None:
    found = stage().match(reading("we tried the new pottery class"))
    assert found is not None and found.slots == {"text": "the new pottery class"}
    assert found.free_chars == len("the new pottery class") and [t.canon for t in found.words][:2] == ["we", "tried"]


def test_a_contextual_word_is_read_as_the_word_the_templates_put_there() -> None:
    found = stage().match(reading("pass it over two sam", "ritual"))
    assert found is not None and (found.intent, found.slots) == ("turn.pass", {"partner": "Sam"})
    assert [t.canon for t in found.words][3] == "to"
    found = stage().match(reading("switch privacy of"))
    assert found is not None and found.intent == "privacy.off"


def test_an_intents_not_sentence_bars_it() -> None:
    r = reading("we tried the shops")
    assert r.barred == frozenset({"experience.log"}) and stage().match(r) is None
