"""Families of natural phrasing found by the generalisation pass (benchmarks/generalisation*.jsonl).

One or two sentences per family, none copied from the benchmark files, plus the
near-miss decisions that come with them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.nlu import Matcher, load_intents

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def m() -> Matcher:
    return Matcher(load_intents(REPO / "intents"), ("Alex", "Sam"))


@pytest.mark.parametrize("text, context, want, slots", [
    # indirect requests: "could we maybe", "i'd love to", "is it time for"
    ("could we maybe do the trust talk", "idle", "trusttalk.start", {}),
    ("i'd love to do our weekly check in", "idle", "checkin.start", {}),
    ("is it time for our appreciation moment", "idle", "gratitude.start", {}),
    ("can we each say one thing we're thankful for", "idle", "gratitude.start", {}),
    ("let's talk about how our week has been", "idle", "checkin.start", {}),
    ("i'd like a deep question to discuss", "idle", "listening.start", {}),
    ("we'd love some ideas for things to do", "idle", "experience.suggest", {}),
    # experience: "we went <activity>", time words after it are not the experience
    ("we went bowling last weekend", "idle", "experience.log", {"text": "bowling"}),
    ("we just got back from a wine tasting", "idle", "experience.log", {"text": "a wine tasting"}),
    # promises: make a promise, who has not kept what, "<name> did the X promise"
    ("i want to make a promise to call you at lunch", "idle", "promise.log", {"text": "call you at lunch"}),
    ("which promises has alex not kept yet", "idle", "promise.list", {"partner": "Alex"}),
    ("sam did the laundry promise", "idle", "promise.kept", {"text": "laundry"}),
    ("mark the promise about the boiler as broken", "idle", "promise.missed", {"text": "the boiler"}),
    ("let's set a goal to visit lisbon", "idle", "goal.add", {"text": "visit lisbon"}),
    ("where do we stand with our goals", "idle", "goal.review", {}),
    # ritual and answers
    ("hang on a second can we pause", "ritual", "ritual.pause", {}),
    ("i need a minute to think", "ritual", "turn.more_time", {}),
    ("sorry could you repeat the question", "ritual", "ritual.repeat", {}),
    ("not right now", "confirm", "confirm.no", {}),
    ("yeah go for it", "confirm", "confirm.yes", {}),
    ("this is sam speaking", "name", "answer.partner", {"partner": "Sam"}),
])
def test_families(m: Matcher, text: str, context: str, want: str, slots: dict[str, str]) -> None:
    p = m.parse(text, context)
    assert (p.intent, p.slots) == (want, slots)


@pytest.mark.parametrize("text, context", [
    # a promise is a promise *to do* something, to the partner: past tense with no
    # "to"/"I'll" right after the verb is narrative
    ("i promised my boss i'd finish the report", "idle"),
    ("sam promised the kids ice cream", "idle"),
    ("check in for my flight", "idle"),
    ("what should we have for dinner", "idle"),
    ("i'm grateful for the weather", "idle"),
    # partner speech during a turn that contains control words
    ("i'm done being scared of talking about money", "ritual"),
    ("i need more time with my friends", "ritual"),
    ("i want to pause and think about how i reacted", "ritual"),
    ("i missed you so much this week", "ritual"),
])
def test_near_misses_stay_out_of_domain(m: Matcher, text: str, context: str) -> None:
    assert m.parse(text, context).intent is None


@pytest.mark.parametrize("name", ["generalisation.jsonl", "generalisation-holdout.jsonl"])
def test_generalisation_sets_are_well_formed(name: str) -> None:
    rows = [
        json.loads(line)
        for line in (REPO / "benchmarks" / name).read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    assert len(rows) >= 100
    for row in rows:
        assert set(row) == {"text", "context", "intent", "slots", "tag"}
        assert row["context"] in ("idle", "ritual", "confirm", "name")
