"""The pipeline alone: stages in order, the veto, the score bands, a name heard by sound, the n-best choice;
and the per-context layers it reads (layers.py)."""

from __future__ import annotations

import pytest

from assistant.nlu import Parse
from assistant.nlu.layers import intent_names, layer_key
from assistant.nlu.loader import loads
from assistant.nlu.match import ASIDE, CORRECTED, FUZZY, GENERAL, STRICT, Match
from assistant.nlu.pipeline import (
    GEN_SCORE,
    NONE_SCORE,
    SURE_SCORE,
    Pipeline,
    banded,
    best_hypothesis,
)
from tests.nlu_small import PARTNERS, SMALL

_pipeline: Pipeline | None = None


def pipeline() -> Pipeline:
    global _pipeline
    if _pipeline is None:
        _pipeline = Pipeline(loads(SMALL, "small.yaml"), PARTNERS)
    return _pipeline


@pytest.mark.parametrize(
    "text, context, stage",
    [
        ("start our gratitude moment", "idle", STRICT),
        ("stop the exorcise", "ritual", CORRECTED),
        ("gratitude moment start", "idle", FUZZY),
        ("stop the exercise we're too tired", "ritual", ASIDE),
        ("kick off the thankfulness thing", "idle", GENERAL),
    ],
)
def test_the_first_stage_that_answers_counts(text: str, context: str, stage: str) -> None:
    found = pipeline().understand(text, context)
    assert found.intent is not None and found.stage == stage and found.score == banded(found)


def test_a_not_for_me_sentence_that_explains_more_vetoes_a_match() -> None:
    assert pipeline().understand("we tried the pottery class", "idle").intent == "experience.log"
    vetoed = pipeline().understand("we tried calling the plumber but he was out", "idle")
    assert (vetoed.intent, vetoed.score) == (None, NONE_SCORE)


def test_the_bands_keep_every_kind_of_match_apart() -> None:
    strict, corrected, fuzzy, aside, general = (
        banded(Match("x", stage=s, evidence=e))
        for s, e in [(STRICT, 100.0), (CORRECTED, 80.0), (FUZZY, 84.0), (ASIDE, 0.0), (GENERAL, 1.0)]
    )
    assert strict == 1.0 > corrected >= 0.8 > fuzzy == aside == SURE_SCORE > general == GEN_SCORE[1]
    assert banded(Match("x", stage=GENERAL, evidence=0.6)) == GEN_SCORE[0]
    with pytest.raises(ValueError):
        banded(Match(None))


def test_a_word_that_sounds_like_a_name_is_read_as_the_name_at_a_corrected_score() -> None:
    found = pipeline().understand("pass it over to psalm", "ritual")
    assert (found.intent, found.slots) == ("turn.pass", {"partner": "Sam"}) and SURE_SCORE < found.score <= 0.8


def test_silence_means_nothing_and_an_unknown_context_is_an_error() -> None:
    assert pipeline().understand("", "idle").parse() == Parse(None, {}, 1.0)
    with pytest.raises(ValueError, match="unknown context 'kitchen'"):
        pipeline().understand("", "kitchen")


def test_layers_depend_only_on_the_flags_a_context_uses() -> None:
    assert layer_key("idle", True, True) == ("idle", False, True) and layer_key("ritual", True, True) == (
        "ritual",
        False,
        False,
    )
    intents = loads(SMALL, "small.yaml")
    assert intent_names(intents, "ritual", False, False)[-1] == "cancel"  # every context hears cancel
    assert "gratitude.start" not in intent_names(intents, "ritual", True, True)


def test_the_n_best_choice_prefers_a_sure_hypothesis_then_any_accepted_one() -> None:
    readings = {
        "stop the exercise": Parse("ritual.stop", {}, 1.0),
        "top the exercise": Parse("ritual.stop", {}, 0.62),
        "hop": Parse(None, {}, 0.9),
    }
    parse = readings.__getitem__
    assert best_hypothesis("hop", readings["hop"], ["top the exercise", "stop the exercise"], parse) == (
        "stop the exercise",
        readings["stop the exercise"],
    )
    assert best_hypothesis("hop", readings["hop"], ["hop", "top the exercise"], parse) == (
        "top the exercise",
        readings["top the exercise"],
    )
    guessed = Parse("ritual.pause", {}, 0.7)
    assert best_hypothesis("paws", guessed, ["top the exercise"], parse) == (
        "paws",
        guessed,
    )  # a guess is not replaced by a guess


def test_the_score_bands_are_defined_once_and_read_without_loading_the_matcher():
    import subprocess
    import sys

    from assistant import conversation
    from assistant.nlu import bands, pipeline

    assert conversation.SURE_SCORE is bands.SURE_SCORE is pipeline.SURE_SCORE
    code = "import sys, assistant.conversation; print(sorted({'rapidfuzz', 'numpy'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]", out
