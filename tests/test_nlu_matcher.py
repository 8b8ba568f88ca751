"""Matching: contexts and layering, slots, out-of-domain rejection, recogniser phrases, accuracy."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from assistant.nlu import Matcher, Parse, load_intents

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "tests" / "data" / "corpus"  # a copy of the shared development corpus


@pytest.fixture(scope="module")
def intents():  # type: ignore[no-untyped-def]
    return load_intents(REPO / "intents")


@pytest.fixture(scope="module")
def m(intents) -> Matcher:  # type: ignore[no-untyped-def]
    return Matcher(intents, ("Alex", "Sam"))


def intent(m: Matcher, text: str, context: str = "idle", **flags: bool) -> str | None:
    return m.parse(text, context, **flags).intent


@pytest.mark.parametrize("text, want", [
    ("start our gratitude moment", "gratitude.start"),
    ("um okay so can you please start are gratitude moment", "gratitude.start"),  # fillers + homophone
    ("privacy mode turn on", "privacy.on"),  # word order
    ("start gratitude moment", "gratitude.start"),  # a dropped short word
    ("let's do some active listening tonight", "listening.start"),
    ("it's trust talk time", "trusttalk.start"),
    ("begin the vulnerability exorcise", "vulnerability.start"),  # a misheard word, corrected
    ("we've got friends over", "privacy.on"),
    ("speak a little slower", "voice.slower"),
    ("talk a bit faster", "voice.faster"),
    ("never mind", "cancel"),
])
def test_idle_commands(m: Matcher, text: str, want: str) -> None:
    assert intent(m, text) == want


@pytest.mark.parametrize("text", [
    "what's the weather",
    "i'm grateful for the weather",
    "that movie was about trust",
    "start the car",
    "remind me to buy milk",
    "the promise ring was expensive",
    "check in for our flight to madrid",
    "politicians never keep their promises",
    "call Sam",
])
def test_idle_out_of_domain_and_near_misses_are_rejected(m: Matcher, text: str) -> None:
    parsed = m.parse(text, "idle")
    assert parsed == Parse(None, {}, parsed.score) and 0.0 <= parsed.score <= 1.0


@pytest.mark.parametrize("text, want", [
    ("I'm done", "turn.done"),
    ("that's it", "turn.done"),
    ("okay I'm finished", "turn.done"),
    ("over to you sam", "turn.done"),
    ("I'm done being scared of talking about money", None),
    ("i need more time with you on the weekends", None),
    ("when you pause before answering i get nervous", None),
    ("i need a few more minutes", "turn.more_time"),
    ("paws for a moment", "ritual.pause"),
    ("give us a second the baby's crying", "ritual.pause"),
    ("carry on", "ritual.resume"),
    ("say that again", "ritual.repeat"),
    ("next question please", "ritual.skip"),
    ("that's enough for tonight", "ritual.stop"),
    ("start our gratitude moment", None),  # an idle command is not heard during a turn
])
def test_ritual_context(m: Matcher, text: str, want: str | None) -> None:
    assert intent(m, text, "ritual") == want


def test_confirm_and_layering(m: Matcher) -> None:
    assert intent(m, "yeah we did", "confirm") == "confirm.yes"
    assert intent(m, "know we didn't", "confirm") == "confirm.no"
    assert intent(m, "i'm not sure", "confirm") is None
    # a yes/no question inside an exercise still hears stop and pause; outside it does not
    assert intent(m, "stop the exercise", "confirm", in_exercise=True) == "ritual.stop"
    assert intent(m, "let's pause for a moment", "name", in_exercise=True) == "ritual.pause"
    assert intent(m, "stop the exercise", "confirm") is None
    # every context hears cancel
    for context in ("idle", "ritual", "confirm", "name"):
        assert intent(m, "never mind", context) == "cancel"
    # idle hears resume only while a paused exercise can be resumed
    assert intent(m, "let's continue our trust talk", "idle") is None
    assert intent(m, "let's continue our trust talk", "idle", can_resume=True) == "ritual.resume"


def test_unknown_context_is_an_error(m: Matcher) -> None:
    with pytest.raises(ValueError, match="unknown context"):
        m.parse("yes", "kitchen")


@pytest.mark.parametrize("text, slots", [
    ("Sam", {"partner": "Sam"}),
    ("it's me alex", {"partner": "Alex"}),
    ("that was me SAM", {"partner": "Sam"}),
    ("sam's", {"partner": "Sam"}),
])
def test_name_context_takes_profile_names(m: Matcher, text: str, slots: dict[str, str]) -> None:
    assert m.parse(text, "name") == Parse("answer.partner", slots, 1.0)


def test_name_context_rejects_other_names_and_questions(m: Matcher) -> None:
    assert intent(m, "jordan", "name") is None
    assert intent(m, "what do you mean", "name") is None


@pytest.mark.parametrize(
    "text, want",
    [
        (
            "log a promise that Sam will call the plumber by friday",
            {"partner": "Sam", "text": "call the plumber", "due": "by friday"},
        ),
        (
            "lock a promise that alex will buy the birthday present tomorrow",
            {"partner": "Alex", "text": "buy the birthday present", "due": "tomorrow"},
        ),
        ("I promise to pick up your favorite snack", {"text": "pick up your favorite snack"}),
        (
            "i promise Sam i'll stop leaving cups in the bedroom",
            {"text": "stop leaving cups in the bedroom"},
        ),  # Sam is addressed, not promising
        (
            "sam's promise is to spend less time on her phone",
            {"partner": "Sam", "text": "spend less time on her phone"},
        ),
        ("tomorrow i promise to pick up the dry cleaning", {"text": "pick up the dry cleaning", "due": "tomorrow"}),
        ("hey please log that i promised to help Sam with her cv", {"text": "help Sam with her cv"}),
    ],
)
def test_promise_slots(m: Matcher, text: str, want: dict[str, str]) -> None:
    parsed = m.parse(text, "idle")
    assert (parsed.intent, parsed.slots) == ("promise.log", want)


@pytest.mark.parametrize("text, name, want", [
    ("mark the plumber promise as done", "promise.kept", {"text": "the plumber"}),
    ("i didn't manage to fold the laundry", "promise.missed", {"text": "fold the laundry"}),
    ("what has alex promised", "promise.list", {"partner": "Alex"}),
    ("we tried a cooking class", "experience.log", {"text": "a cooking class"}),
    ("our new goal is to cook together twice a week", "goal.add", {"text": "cook together twice a week"}),
    ("what did we appreciate last week", "gratitude.recall", {"period": "last week"}),
    ("remind us about the trust talk on the first sunday of every month", "reminder.set",
     {"kind": "trust talk", "text": "on the first sunday of every month"}),
    ("forget the promise about the plumber", "forget.item", {"text": "the plumber"}),
])
def test_feature_slots(m: Matcher, text: str, name: str, want: dict[str, str]) -> None:
    parsed = m.parse(text, "idle")
    assert (parsed.intent, parsed.slots) == (name, want)


def test_without_a_profile_partner_words_still_match_but_fill_no_slot(intents) -> None:  # type: ignore[no-untyped-def]
    bare = Matcher(intents)
    parsed = bare.parse("Sam promised to book the restaurant", "idle")
    assert (parsed.intent, parsed.slots) == ("promise.log", {"text": "book the restaurant"})
    assert bare.parse("start our check in", "idle").intent == "checkin.start"


def test_names_of_any_script_and_length(intents) -> None:  # type: ignore[no-untyped-def]
    m = Matcher(intents, ("Zoë", "José María"))
    parsed = m.parse("josé maría promised to call the bank", "idle")
    assert (parsed.intent, parsed.slots) == ("promise.log", {"partner": "José María", "text": "call the bank"})
    assert m.parse("josé's promise is to fix the tap", "idle").slots["partner"] == "José María"
    assert m.parse("ZOË", "name").slots == {"partner": "Zoë"}
    assert m.parse("help zoë with her cv", "idle").intent is None


def test_scores_order_strict_above_fuzzy(m: Matcher) -> None:
    strict = m.parse("stop the exercise", "ritual")
    fuzzy = m.parse("shop the exercise", "ritual")
    assert strict.intent == fuzzy.intent == "ritual.stop"
    assert strict.score == 1.0 > fuzzy.score >= 0.6


def test_phrases_for_the_recogniser(m: Matcher) -> None:
    idle = m.phrases("idle")
    assert "gratitude" in idle and "let's start our gratitude moment now" in idle  # plainest, then first options
    vocabulary = {w for p in idle for w in p.split()}
    assert {"thankfulness", "vulnerabilities", "privacy", "slower", "faster", "alex", "sam"} <= vocabulary
    # names spelled out, free text cut off after the trigger words
    assert any(re.fullmatch(r"log .*promise.* (alex|sam) will", p) for p in idle)
    assert all(p == p.lower() and "{" not in p and "<" not in p for p in idle)
    assert len(idle) <= 4000 and len(set(idle)) == len(idle)
    ritual = m.phrases("ritual")
    assert "i'm done" in ritual and "start our gratitude moment" not in ritual and "never mind" in ritual
    assert "stop the exercise" in m.phrases("confirm", in_exercise=True)
    assert "stop the exercise" not in m.phrases("confirm")


def split(rows: list[dict]) -> tuple[list[dict], list[dict]]:
    """The benchmark's deterministic split (benchmarks/nlu_bench.py: 40% held out by hash)."""
    def held(r: dict) -> bool:
        return hashlib.sha256(f"{r['context']}|{r['text']}".encode()).digest()[0] * 100 // 256 < 40
    return [r for r in rows if not held(r)], [r for r in rows if held(r)]


def test_held_out_accuracy_meets_the_targets(m: Matcher) -> None:
    rows = [
        json.loads(line)
        for name in ("dev.jsonl", "dev-more.jsonl")
        for line in (CORPUS / name).read_text().splitlines()
        if line.strip()
    ]
    _, held = split(rows)
    in_domain = [r for r in held if r["intent"] is not None]
    ood = [r for r in held if r["intent"] is None]
    assert len(in_domain) > 100 and len(ood) > 15
    accuracy = sum(m.parse(r["text"], r["context"]).intent == r["intent"] for r in in_domain) / len(in_domain)
    rejection = sum(m.parse(r["text"], r["context"]).intent is None for r in ood) / len(ood)
    assert accuracy >= 0.97
    assert rejection >= 0.95


# -- what the recogniser gets wrong: sounds, contextual words, side remarks ------------
# (sentences written for these tests, not taken from the benchmark files)


@pytest.mark.parametrize("a, b", [("paws", "pause"), ("pores", "pause"), ("guessed", "guest"), ("necks", "next"),
                                  ("knight", "night"), ("psalm", "sam"), ("weakly", "weekly"), ("john", "jon")])
def test_homophones_share_a_sound_key(a: str, b: str) -> None:
    from assistant.nlu.sounds import sound_key
    assert sound_key(a) == sound_key(b)


@pytest.mark.parametrize("a, b", [("same", "sam"), ("some", "sam"), ("class", "close"), ("council", "cancel"),
                                  ("town", "down"), ("money", "one"), ("fair", "for"), ("thighs", "this")])
def test_different_words_keep_different_sound_keys(a: str, b: str) -> None:
    from assistant.nlu.sounds import sound_key
    assert sound_key(a) != sound_key(b)


@pytest.mark.parametrize("text, context, want", [
    ("can we paws it for a second", "ritual", "ritual.pause"),  # sounds like "pause"
    ("necks one", "ritual", "ritual.skip"),  # "next"
    ("we've got guessed coming", "idle", "privacy.on"),  # "guests"
    ("would you mind starting our trust talk", "idle", "trusttalk.start"),  # another form of "start"
    ("let's do our appreciation mo meant", "idle", "gratitude.start"),  # a split word glued back
])
def test_words_that_sound_like_or_are_forms_of_known_words(m: Matcher, text: str, context: str, want: str) -> None:
    p = m.parse(text, context)
    assert p.intent == want and 0.6 <= p.score < 1.0  # corrected, fuzzy or classified: never scored as exact


def test_a_name_that_sounds_like_a_partner_is_read_only_when_nothing_else_fits(m: Matcher) -> None:
    assert m.parse("psalm", "name").slots == {"partner": "Sam"}
    assert m.parse("it was alecks", "name").slots == {"partner": "Alex"}
    assert m.parse("psalm did", "name").score <= 0.8  # a guess from the sound, not an exact match
    assert intent(m, "same as last time", "name") is None
    assert intent(m, "some of us", "name") is None


def test_name_look_alikes_come_from_the_configured_names(intents) -> None:  # type: ignore[no-untyped-def]
    other = Matcher(intents, ("Jon", "Kate"))
    assert other.parse("john did", "name").slots == {"partner": "Jon"}
    p = other.parse("what has cate promised", "idle")
    assert (p.intent, p.slots) == ("promise.list", {"partner": "Kate"})


@pytest.mark.parametrize(
    "text, want",
    [
        (
            "Sam promises two water the plants on sunday",
            {"partner": "Sam", "text": "water the plants", "due": "on sunday"},
        ),
        ("i promise too take the bins out tonight", {"text": "take the bins out", "due": "tonight"}),
        ("i promise to buy two tickets by friday", {"text": "buy two tickets", "due": "by friday"}),  # a number stays
        (
            "Alex promised to repaint the hall in two weeks",
            {"partner": "Alex", "text": "repaint the hall", "due": "in two weeks"},
        ),
    ],
)
def test_contextual_words_are_read_where_the_templates_say_so(m: Matcher, text: str, want: dict[str, str]) -> None:
    p = m.parse(text, "idle")
    assert (p.intent, p.slots) == ("promise.log", want)


def test_contextual_words_elsewhere(m: Matcher) -> None:
    assert intent(m, "over two you Alex", "ritual") == "turn.done"
    assert intent(m, "shore", "confirm") == "confirm.yes"
    assert intent(m, "we have two kids") is None
    assert intent(m, "we went for a walk along the shore") == "experience.log"


@pytest.mark.parametrize("text, context, want", [
    ("end it here we're both exhausted", "ritual", "ritual.stop"),
    ("louder please i'm in the garden", "idle", "volume.up"),
    ("the dog's barking pause for a minute", "ritual", "ritual.pause"),
    # a remark to the partner, a "not", or a long one is speech; and a bare "too loud" after a remark is not enough
    ("stop it because you never let me finish", "ritual", None),
    ("that's it i'm not going to say any more about my mother", "ritual", None),
    ("the dog is being too loud", "idle", None),
])
def test_a_short_command_with_a_side_remark(m: Matcher, text: str, context: str, want: str | None) -> None:
    p = m.parse(text, context)
    assert p.intent == want
    if want is not None:
        assert p.score == 0.75


@pytest.mark.parametrize("text", [
    "we tried ringing the garage but nobody answered",
    "we tried to get hold of the landlord",
    "we went to the zoo last month didn't we",
    "did we ever go to that tapas place",
    "i promise it was the cat",
    "we kept the old lamp in the end",
])
def test_not_for_me_sentences_overrule_a_template_that_explains_less(m: Matcher, text: str) -> None:
    assert intent(m, text) is None


def test_a_request_is_not_overruled_by_a_not_for_me_sentence_that_explains_less(m: Matcher) -> None:
    assert m.parse("we tried a salsa class", "idle").slots == {"text": "a salsa class"}
    assert m.parse("i promise to ring the plumber", "idle").slots == {"text": "ring the plumber"}
    assert m.parse("we kept the promise about the garden", "idle").intent == "promise.kept"


def test_a_fuzzy_match_keeps_negations_and_directions(m: Matcher) -> None:
    assert intent(m, "does that matter", "confirm") is None  # not "that doesn't matter"
    assert intent(m, "switch guest mode on") == "privacy.on"
    assert intent(m, "turn the volume app") == "volume.up"  # a misheard direction may still be close


def test_spelled_out_contractions_read_like_contractions(m: Matcher) -> None:
    assert m.parse("we are back", "ritual") == m.parse("we're back", "ritual")
    assert m.parse("you are too loud", "idle").score == 1.0


@pytest.mark.parametrize(
    "text, want",
    [
        (
            "Sam promised to fix the bike before easter",
            {"partner": "Sam", "text": "fix the bike", "due": "before easter"},
        ),
        (
            "i promise to finish the photo book by our anniversary",
            {"text": "finish the photo book", "due": "by our anniversary"},
        ),
        ("first thing tomorrow i'll book the vet i promise", {"text": "book the vet", "due": "first thing tomorrow"}),
    ],
)
def test_occasions_and_promises_said_last(m: Matcher, text: str, want: dict[str, str]) -> None:
    p = m.parse(text, "idle")
    assert (p.intent, p.slots) == ("promise.log", want)


def test_occasion_words_alone_are_not_requests(m: Matcher) -> None:
    assert m.parse("what did we appreciate over christmas", "idle").slots == {"period": "over christmas"}
    for text in ("the wedding is on saturday", "when is christmas this year", "what time does the party start"):
        assert intent(m, text) is None, text


@pytest.mark.parametrize("text", ["the", "a", "to us", "our", "of the"])
@pytest.mark.parametrize("context", ["idle", "ritual", "confirm", "name"])
def test_only_short_scattered_words_start_nothing(m: Matcher, text: str, context: str) -> None:
    # a garbled decode often leaves just "the" or "our": that is "sorry, I didn't catch that", not an exercise
    assert intent(m, text, context) is None


def test_a_lone_us_answering_a_question_is_a_yes(m: Matcher) -> None:
    # one voice's "yes" comes out of the recogniser as "us"; "let us stop" and "remind us" stay themselves
    assert intent(m, "us", "confirm") == "confirm.yes"
    assert intent(m, "us", "idle") is None
    assert intent(m, "let us stop", "confirm", in_exercise=True) == "ritual.stop"
    assert intent(m, "remind us about the trust talk every month", "idle") == "reminder.set"
