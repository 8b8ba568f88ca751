"""What a template must NOT match: an intent's ``not`` sentences, and a promise's negation kept (issue 14, part 3)."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.nlu import Matcher, load_intents
from assistant.nlu.loader import IntentFileError, loads

REPO = Path(__file__).resolve().parent.parent

SMALL = """\
intents:
  experience.log:
    context: idle
    templates:
      - "we went to {text}"
      - "we tried {text}"
    not:
      - "we went to the (shops | bank) [{text}]"
  errand.log:
    context: idle
    templates:
      - "we went to the (shops | bank) for {text}"
  promise.log:
    context: idle
    negation: keep
    templates:
      - "i promise [that] i will {text}"
  promise.kept:
    context: idle
    templates:
      - "we kept {text}"
normalise:
  lead: [okay so, so]
  trail: [please, thanks]
  droppable: [the, a, to]
  canonical:
    will not: [won't]
"""


@pytest.fixture(scope="module")
def small() -> Matcher:
    return Matcher(loads(SMALL, "x.yaml"), ("Alex", "Sam"))


@pytest.fixture(scope="module")
def m() -> Matcher:
    return Matcher(load_intents(REPO / "intents"), ("Alex", "Sam"))


def test_a_not_sentence_rules_its_intent_out(small: Matcher) -> None:
    assert small.parse("we went to a pottery class", "idle").intent == "experience.log"
    assert small.parse("we went to the shops", "idle").intent is None
    assert (
        small.parse("okay so we went to the bank earlier please", "idle").intent is None
    )  # lead-ins and politeness too


def test_another_intent_may_still_answer(small: Matcher) -> None:
    p = small.parse("we went to the shops for milk", "idle")
    assert (p.intent, p.slots) == ("errand.log", {"text": "milk"})


def test_a_corrected_reading_does_not_bring_a_ruled_out_intent_back(m: Matcher) -> None:
    # "shops" is not a word of the idle templates: it was once corrected to "hopes", and that was an experience
    assert m.parse("we went to the shops", "idle").intent is None


def test_a_promise_keeps_its_negation_other_intents_do_not(small: Matcher) -> None:
    p = small.parse("i promise i won't be late again", "idle")
    assert (p.intent, p.slots) == ("promise.log", {"text": "not be late again"})  # the "not" of "won't" is in the slot


@pytest.mark.parametrize("text", ["we didn't try the new place", "we tried not to argue", "we went not far"])
def test_other_intents_still_read_a_negation_as_nothing_done(m: Matcher, text: str) -> None:
    assert m.parse(text, "idle").intent != "experience.log"


@pytest.mark.parametrize(
    "text, message",
    [
        (
            SMALL.replace("negation: keep", "negation: maybe"),
            "x.yaml:15: negation of 'promise.log' must be one of reject, keep, not 'maybe'",
        ),
        (
            SMALL.replace('      - "we went to the (shops | bank) [{text}]"', '      - "we went to <errands>"'),
            "x.yaml:8: unknown word list <errands>",
        ),
        (
            SMALL.replace('      - "we went to the (shops | bank) [{text}]"', '      - "we tried {text}"'),
            "x.yaml:8: 'we tried {text}' is both a template and a 'not' of 'experience.log'",
        ),
        (
            SMALL.replace('    not:\n      - "we went to the (shops | bank) [{text}]"\n', "    not: []\n"),
            "x.yaml:7: not of 'experience.log' must be a non-empty list",
        ),
    ],
)
def test_mistakes_name_file_and_line(text: str, message: str) -> None:
    with pytest.raises(IntentFileError) as info:
        loads(text, "x.yaml")
    assert str(info.value).startswith(message)


# --- the shipped intents: the false positives and their kinds ---------------------------------

@pytest.mark.parametrize("text", [
    # "I promise" as an intensifier, about what is or was
    "I promise you that's not true",
    "i promise it wasn't me",
    "I swear I didn't eat your chocolate",
    "it wasn't me, I promise",
    "I promise Sam it's the truth",
    "i promise i'm not lying",
    "honestly I promise",
    # narration: errands, routine places, getting in touch, rows
    "we went to the shops",
    "we went to the shops earlier",
    "we went to the supermarket yesterday",
    "we went to the dentist this morning",
    "we went to your mum's",
    "we went shopping",
    "we did the big shop",
    "we went to bed early",
    "we tried to call you",
    "we tried to reach you all afternoon",
    "we tried phoning you",
    "we had a row last night",
    "we watched the news",
])
def test_false_positives_are_neither_a_promise_nor_an_experience(m: Matcher, text: str) -> None:
    assert m.parse(text, "idle").intent not in ("promise.log", "experience.log")


@pytest.mark.parametrize(
    "text, slots",
    [
        ("Sam promises never to raise his voice", {"partner": "Sam", "text": "never to raise his voice"}),
        ("Sam promises not to be late on Friday", {"partner": "Sam", "text": "not to be late", "due": "on friday"}),
        (
            "Alex promises to not work on weekends",
            {"partner": "Alex", "text": "not work on weekends"},
        ),  # "on weekends": a habit
        ("I won't be late again, I promise", {"text": "not be late again"}),
        (
            "Sam promises he won't check his phone at dinner",
            {"partner": "Sam", "text": "not check his phone at dinner"},
        ),
        ("I promise I'll stop shouting on saturday morning", {"text": "stop shouting", "due": "on saturday morning"}),
        ("we promise to no longer argue about money", {"text": "no longer argue about money"}),
        ("I promise to bring the wine at the party", {"text": "bring the wine", "due": "at the party"}),
        ("I promise Alex I'll call my mum on the 14th", {"text": "call my mum", "due": "on the 14th"}),
        ("I'll fix the shelf before the weekend, I promise", {"text": "fix the shelf", "due": "before the weekend"}),
    ],
)
def test_promises_keep_their_negation_and_occasion(m: Matcher, text: str, slots: dict[str, str]) -> None:
    p = m.parse(text, "idle")
    assert (p.intent, p.slots) == ("promise.log", slots)


@pytest.mark.parametrize("text", ["we went to the cinema", "we went to a pottery class", "we tried salsa dancing",
                                  "we tried to make sushi"])
def test_real_experiences_still_count(m: Matcher, text: str) -> None:
    assert m.parse(text, "idle").intent == "experience.log"
