"""A promise's own words: its negation survives, and the read-back is grammatical (issue 14, part 3)."""

from __future__ import annotations

import pytest

from assistant.features.feature_words import promised, read, stored


@pytest.mark.parametrize("heard, kept, spoken", [
    # the three: a negation dropped, inverted or garbled before
    ("never to raise his voice", "never raise his voice", "never to raise his voice"),
    ("not to be late", "not be late", "not to be late"),
    ("not work on weekends", "not work on weekends", "not to work on weekends"),
    ("to not work on weekends", "not work on weekends", "not to work on weekends"),
    # other negations
    ("i won't forget our anniversary", "not forget our anniversary", "not to forget our anniversary"),
    ("not be late again", "not be late again", "not to be late again"),
    ("he will not shout", "not shout", "not to shout"),
    ("won't ever lie to you", "never lie to you", "never to lie to you"),
    ("i'm not going to check my phone at dinner", "not check my phone at dinner", "not to check my phone at dinner"),
    ("no longer argue about money", "no longer argue about money", "to no longer argue about money"),
    ("never eat my leftovers again", "never eat my leftovers again", "never to eat my leftovers again"),
    # not negations: "stop" is what is promised, kept as it is
    ("stop leaving cups in the bedroom", "stop leaving cups in the bedroom", "to stop leaving cups in the bedroom"),
    ("i'll stop snoozing the alarm", "stop snoozing the alarm", "to stop snoozing the alarm"),
    ("call the plumber", "call the plumber", "to call the plumber"),
    ("always say goodnight", "always say goodnight", "to always say goodnight"),
    ("that we'll cook together on sunday", "cook together on sunday", "to cook together on sunday"),
    # a clause, not a verb phrase: kept as said, read back with "that"
    ("the kitchen will be clean", "the kitchen will be clean", "that the kitchen will be clean"),
    ("that the car will be fixed", "the car will be fixed", "that the car will be fixed"),
])
def test_negation_and_grammar_survive(heard: str, kept: str, spoken: str) -> None:
    assert stored(heard) == kept
    assert promised(kept) == spoken
    assert promised(heard) == spoken
    assert stored(kept) == kept  # reading a stored promise again changes nothing


def test_no_word_is_dropped_and_casing_is_kept() -> None:
    assert stored("take Sam to Japan") == "take Sam to Japan"
    p = read("never to visit Paris without you")
    assert (p.negation, p.action, p.clause) == ("never", "visit Paris without you", False)
    # a lone trigger word is left alone rather than emptied
    assert stored("not") == "not" and stored("to") == "to"


@pytest.mark.parametrize("turn, kept", [
    # a whole turn of the commitments exercise, kept without its promise words
    ("i promise to cook dinner on sunday", "cook dinner on sunday"),
    ("I promise you I'll stop checking my phone at dinner", "stop checking my phone at dinner"),
    ("i really promise that i won't be late", "not be late"),
    ("my promise is to call my mum", "call my mum"),
    ("we promise not to argue in the car", "not argue in the car"),
])
def test_a_whole_turn_is_kept_without_its_promise_words(turn: str, kept: str) -> None:
    assert stored(turn) == kept
