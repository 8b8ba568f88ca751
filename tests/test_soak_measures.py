"""The soak's words-kept figure counts words, not the punctuation a recogniser writes around them."""

from __future__ import annotations

from tests.soak_helpers import word_overlap


def test_punctuation_around_a_word_does_not_lose_it() -> None:
    said = ["I appreciate how Sam fixed the wobbly chair on day 2"]
    assert word_overlap(said, ["I appreciate how Sam fixed the wobbly chair, on day 2."]) == 1.0
    assert word_overlap(said, ["i appreciate how sam fixed the wobbly chair on day two"]) == 1.0  # "2" is said "two"
    assert word_overlap(said, ["i appreciate how sam fixed the wobbly chair on day three"]) == 10 / 11


def test_a_word_missing_or_changed_counts_against() -> None:
    assert word_overlap(["call my mother's friend"], ["call my mothers friend"]) == 0.75
    assert word_overlap(["a b c d"], ["a b"]) == 0.5
    assert word_overlap([], ["anything"]) == 1.0
