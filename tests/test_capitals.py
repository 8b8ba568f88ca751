"""Capitals for the couple's words: the recogniser hears lower case, the records read as written."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.features.capitals import CapitalsError, capitalise, load


@pytest.mark.parametrize("heard, written", [
    ("save for a trip to japan", "save for a trip to Japan"),
    ("i loved that you cooked on friday", "I loved that you cooked on Friday"),
    ("i'll book thai food for christmas eve", "I'll book Thai food for Christmas Eve"),
    ("take alex to new york for new year's eve", "take Alex to New York for New Year's Eve"),
    ("alex's mum and sam's brother", "Alex's mum and Sam's brother"),
    ("we may go to turkey in august", "we may go to turkey in August"),  # "may" and "turkey" are ordinary words too
    ("polish the shoes", "polish the shoes"),
])
def test_names_days_months_and_places(heard: str, written: str) -> None:
    assert capitalise(heard, names=("Alex", "Sam")) == written


def test_typed_capitals_are_kept_but_not_a_sentences_first_letter() -> None:
    assert capitalise("visit the louvre", said="Tandem, add a goal: visit the Louvre") == "visit the Louvre"
    assert capitalise("save for a trip", said="Save for a trip") == "save for a trip"
    assert capitalise("see josé maría", names=("José María", "Sam")) == "see José María"


def test_nothing_is_lowered_and_it_is_idempotent() -> None:
    once = capitalise("Visit JAPAN with alex", names=("Alex",))
    assert once == "Visit JAPAN with Alex"
    assert capitalise(once, names=("Alex",)) == once


def test_a_broken_list_is_one_line_naming_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "capitals.yaml"
    bad.write_text("words: [Japan, New York]\n", encoding="utf-8")
    with pytest.raises(CapitalsError, match=r"capitals.yaml: 'New York' is several words: put it under 'phrases:'"):
        load(bad)
    bad.write_text("words: [Japan\n", encoding="utf-8")
    with pytest.raises(CapitalsError, match=r"capitals.yaml:\d+: not valid YAML"):
        load(bad)
    bad.write_text("names: [Japan]\n", encoding="utf-8")
    with pytest.raises(CapitalsError, match="needs only 'words:' and 'phrases:'"):
        load(bad)
