"""The word lists features read (feature_words): pass words, entry references, reminder requests, promise pointers.

Each is checked through the feature that uses it as well (test_exercises_turns, test_forget, test_reminders,
test_promises); here the readers are tested alone, with the shipped reminder words from scripts/reminders.yaml.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from assistant.features import feature_words as fw
from assistant.features.reminders import wordings

WED = datetime(2026, 12, 2, 19, 0, tzinfo=ZoneInfo("Europe/Lisbon"))  # a Wednesday


@pytest.mark.parametrize("heard, passes", [
    ("Pass.", True), ("i pass", True), ("Skip me", True), ("next", True), ("pass, please", True),
    ("i'd rather pass on that question", False), ("next time I will", False), ("", False),
])
def test_pass_words(heard: str, passes: bool) -> None:
    assert fw.is_pass(heard) is passes


@pytest.mark.parametrize("words, tables, day, rest", [
    ("the promise about the plumber", ("promises",), None, "plumber"),
    ("yesterday's gratitude", ("gratitude",), date(2026, 12, 1), ""),
    ("the goal from last monday", ("goals",), date(2026, 11, 30), ""),
    ("what i said on wednesday", fw.ENTRY_TABLES, date(2026, 11, 25), ""),  # a weekday looks back, never today
    ("salsa dancing", fw.ENTRY_TABLES, None, "salsa dancing"),
])
def test_item_words(words: str, tables: tuple[str, ...], day: date | None, rest: str) -> None:
    assert fw.parse_item_words(words, WED) == fw.ItemQuery(tables, day, rest)


def test_the_whole_utterance_names_the_kind_the_slot_left_out() -> None:
    query = fw.item_reference("yesterday's", WED, heard="delete yesterday's gratitude")
    assert query == fw.ItemQuery(("gratitude",), date(2026, 12, 1), "")
    assert fw.item_reference("the plumber promise", WED, heard="forget the goal").tables == ("promises",)


def test_promise_pointer_words_are_not_part_of_the_reference() -> None:
    assert fw.promise_reference("Sam kept the Plumber promise") == "sam the plumber"


def _request(kind: str = "", text: str = "", heard: str = "") -> fw.ReminderRequest:
    words = wordings()
    return fw.reminder_request(kind, text, heard, words["kind_words"], words["exercise_words"])


def test_a_request_with_its_kind_and_schedule() -> None:
    asked = _request("trust talk", "on the last friday of every month at eight pm")
    assert asked == fw.ReminderRequest("trusttalk", None, None, False, "on the last friday of every month at eight pm")


def test_schedule_words_swallowed_by_the_kind_slot_are_kept() -> None:
    assert _request("check in on saturdays", "at 6 pm").schedule_words == "on saturdays at 6 pm"


def test_the_kind_is_found_in_the_words_heard_when_no_slot_names_it() -> None:
    asked = _request(heard="remind us about gratitude every evening at eight")
    assert (asked.kind, asked.schedule_words) == ("gratitude", "every evening at eight")


def test_a_request_to_stop() -> None:
    asked = _request("gratitude", heard="stop the gratitude reminders")
    assert asked.kind == "gratitude" and asked.stop
    assert not _request("gratitude", "every evening at eight").stop


def test_a_custom_reminder_offers_its_exercise_or_is_only_said() -> None:
    listening = _request("active listening", "every saturday at 5 pm")
    assert (listening.kind, listening.exercise, listening.label) == ("listening", "listening", "active listening")
    plants = _request("the plants", "sundays at 10 am")
    assert (plants.kind, plants.exercise, plants.label, plants.schedule_words) == ("plants", None, "the plants",
                                                                                  "sundays at 10 am")


def test_an_unknown_request_names_no_reminder() -> None:
    assert _request(heard="remind us sometime").kind is None


@pytest.mark.parametrize("heard, slot, partner", [
    ("sam kept the promise about the bloods", "the bloods", "Sam"),
    ("Alex kept the promise to call sam", "call sam", "Alex"),  # a name inside the task's words is not the maker
    ("we kept the promise about the car", "the car", None),
    ("sam and alex kept the promise about the car", "the car", None),
    ("psalm kept the promise about the car", "the car", "Sam"),  # read by sound, as the matcher reads names
    ("sam's kept the promise about the car", "the car", "Sam"),
])
def test_the_partner_named_outside_the_tasks_words(heard: str, slot: str, partner: str | None) -> None:
    assert fw.named_partner(heard, slot, ("Alex", "Sam")) == partner
