"""The fuzzy stage alone: the whole utterance near a slot-free sentence, its words agreeing."""

from __future__ import annotations

from assistant.nlu.match import FUZZY
from assistant.nlu.stages.fuzzy import (
    FUZZY_CUTOFF,
    SORTED_PENALTY,
    FuzzyStage,
    words_agree,
)
from tests.nlu_small import grammar, reading


def stage() -> FuzzyStage:
    return FuzzyStage(grammar())


def test_a_near_sentence_is_accepted_above_the_cut_off() -> None:
    found = stage().match(reading("let's do our gratitude moments"))  # read as corrected ("moments" -> "moment")
    assert found is not None and (found.intent, found.stage, found.evidence) == ("gratitude.start", FUZZY, 100.0)
    found = stage().match(reading("let's go our gratitude moment"))
    assert found is not None and found.intent == "gratitude.start" and FUZZY_CUTOFF <= found.evidence < 100.0


def test_words_in_another_order_count_a_little_less() -> None:
    found = stage().match(reading("gratitude moment start"))
    assert found is not None and found.intent == "gratitude.start" and found.evidence == 100.0 - SORTED_PENALTY


def test_extra_speech_lowers_the_similarity_below_the_cut_off() -> None:
    assert stage().match(reading("i am done being scared of talking about gratitude moments", "idle")) is None


def test_a_swapped_content_word_or_a_lost_negation_does_not_agree() -> None:
    assert not words_agree(["talk", "about", "the", "car"], ["talk", "about", "trust"])
    assert not words_agree(["so", "loud"], ["not", "so", "loud"])
    assert words_agree(["shop", "the", "exercise"], ["stop", "the", "exercise"])


def test_a_partners_sentence_never_invents_the_name() -> None:
    found = stage().match(reading("over two sam", "ritual"))
    assert found is None or found.slots == {"partner": "Sam"}
    assert stage().match(reading("over to the dog", "ritual")) is None
