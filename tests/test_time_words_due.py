"""Due words -> moments, relative to a fixed "now" in the couple's zone (Europe/Lisbon)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from assistant.features.time_words import describe_due, describe_due_record, parse_due

LISBON = ZoneInfo("Europe/Lisbon")
WED = datetime(2026, 12, 2, 19, 0, tzinfo=LISBON)  # Wednesday
SAT_END_OF_MONTH = datetime(2026, 10, 31, 20, 0, tzinfo=LISBON)  # Saturday, last day of October
SUN = datetime(2026, 11, 29, 10, 0, tzinfo=LISBON)  # Sunday, end of a week


def at(y: int, mo: int, d: int, h: int = 23, mi: int = 59) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=LISBON)


@pytest.mark.parametrize("words, expected", [
    ("by friday", at(2026, 12, 4)),
    ("friday", at(2026, 12, 4)),
    ("tonight", at(2026, 12, 2)),
    ("this evening", at(2026, 12, 2, 21, 0)),
    ("this weekend", at(2026, 12, 6)),
    ("tomorrow morning", at(2026, 12, 3, 12, 0)),
    ("by tomorrow evening", at(2026, 12, 4 - 1, 21, 0)),
    ("in two days", at(2026, 12, 4)),
    ("in 2 days", at(2026, 12, 4)),
    ("in three hours", at(2026, 12, 2, 22, 0)),
    ("next week", at(2026, 12, 13)),
    ("by the end of the week", at(2026, 12, 6)),
    ("end of the month", at(2026, 12, 31)),
    ("next month", at(2027, 1, 31)),
    ("next friday", at(2026, 12, 11)),
    ("by monday", at(2026, 12, 7)),
    ("saturday at 10 am", at(2026, 12, 5, 10, 0)),
    ("friday at 6", at(2026, 12, 4, 18, 0)),
    ("by december 10th", at(2026, 12, 10)),
    ("by christmas", at(2026, 12, 25)),
])
def test_common_due_words_from_a_wednesday(words: str, expected: datetime) -> None:
    due = parse_due(words, WED)
    assert due.when == expected
    assert due.words == words


@pytest.mark.parametrize("words, expected", [
    ("tomorrow", at(2026, 11, 1)),  # across the month (and year-to-date) boundary
    ("in two days", at(2026, 11, 2)),
    ("end of the month", at(2026, 10, 31)),
    ("next month", at(2026, 11, 30)),
    ("by monday", at(2026, 11, 2)),  # across the week boundary
    ("this weekend", at(2026, 11, 1)),
    ("next week", at(2026, 11, 8)),
])
def test_across_a_month_and_week_boundary(words: str, expected: datetime) -> None:
    assert parse_due(words, SAT_END_OF_MONTH).when == expected


def test_week_boundary_from_a_sunday() -> None:
    assert parse_due("by friday", SUN).when == at(2026, 12, 4)
    assert parse_due("this weekend", SUN).when == at(2026, 11, 29)  # it is the weekend: today
    assert parse_due("next week", SUN).when == at(2026, 12, 6)
    assert parse_due("next monday", SUN).when == at(2026, 11, 30)
    assert parse_due("sunday", SUN).when == at(2026, 11, 29)


def test_the_couples_zone_not_utc() -> None:
    # 23:30 in Tokyo is still the previous afternoon in UTC: "tomorrow" is Tokyo's tomorrow.
    tokyo = ZoneInfo("Asia/Tokyo")
    now = datetime(2026, 12, 2, 23, 30, tzinfo=tokyo)
    due = parse_due("tomorrow", now.astimezone(ZoneInfo("UTC")), tokyo)
    assert due.when == datetime(2026, 12, 3, 23, 59, tzinfo=tokyo)


@pytest.mark.parametrize("words", ["whenever", "sometime soon", "when the weather is nice", "by blorp"])
def test_unparseable_words_are_kept_as_said(words: str) -> None:
    due = parse_due(words, WED)
    assert due.when is None and due.words == words
    assert describe_due_record(None, words, WED) == words


def test_no_words_no_due() -> None:
    assert parse_due(None, WED).when is None and parse_due("  ", WED).words is None


@pytest.mark.parametrize("words, spoken", [
    ("by friday", "by Friday"),
    ("in two days", "by Friday"),
    ("tonight", "tonight"),
    ("tomorrow morning", "by tomorrow morning"),
    ("this weekend", "by Sunday"),
    ("next week", "by Sunday, December 13th"),
    ("end of the month", "by Thursday, December 31st"),
    ("saturday at 10 am", "by Saturday at 10 am"),
])
def test_read_back_names_the_right_day(words: str, spoken: str) -> None:
    when = parse_due(words, WED).when
    assert when is not None
    assert describe_due(when, WED) == spoken


# --- issue 14: the due words a couple used, at several weekdays and across a month and a year end -------

SUN_6 = datetime(2026, 12, 6, 21, 0, tzinfo=LISBON)  # the Sunday the bug was found ("before the weekend" was "tonight")
WED_9 = datetime(2026, 12, 9, 8, 30, tzinfo=LISBON)
FRI_11 = datetime(2026, 12, 11, 18, 0, tzinfo=LISBON)
SAT_12 = datetime(2026, 12, 12, 10, 0, tzinfo=LISBON)
NEW_YEARS_EVE = datetime(2026, 12, 31, 20, 0, tzinfo=LISBON)  # Thursday, the last day of the year
JAN_31 = datetime(2027, 1, 31, 9, 0, tzinfo=LISBON)  # Sunday, the last day of a month

ISSUE_WORDS = ("before the weekend", "on the 14th", "next tuesday evening", "end of the month", "in two weeks",
               "by christmas")


@pytest.mark.parametrize("now, expected", [
    (SUN_6, [at(2026, 12, 11), at(2026, 12, 14), at(2026, 12, 8, 21, 0),
            at(2026, 12, 31), at(2026, 12, 20), at(2026, 12, 25)]),
    (WED_9, [at(2026, 12, 11), at(2026, 12, 14), at(2026, 12, 15, 21, 0),
            at(2026, 12, 31), at(2026, 12, 23), at(2026, 12, 25)]),
    (FRI_11, [at(2026, 12, 11), at(2026, 12, 14), at(2026, 12, 15, 21, 0),
             at(2026, 12, 31), at(2026, 12, 25), at(2026, 12, 25)]),
    (SAT_12, [at(2026, 12, 18), at(2026, 12, 14), at(2026, 12, 15, 21, 0),
             at(2026, 12, 31), at(2026, 12, 26), at(2026, 12, 25)]),
    (NEW_YEARS_EVE, [at(2027, 1, 1), at(2027, 1, 14), at(2027, 1, 5, 21, 0),
                    at(2026, 12, 31), at(2027, 1, 14), at(2027, 12, 25)]),
    (JAN_31, [at(2027, 2, 5), at(2027, 2, 14), at(2027, 2, 2, 21, 0),
             at(2027, 1, 31), at(2027, 2, 14), at(2027, 12, 25)]),
])
def test_the_issues_due_words_at_several_weekdays_and_across_month_and_year_ends(
        now: datetime, expected: list[datetime]) -> None:
    got = [parse_due(words, now).when for words in ISSUE_WORDS]
    assert got == expected
    assert all(when is not None and when >= now for when in got)  # never a moment already gone


@pytest.mark.parametrize("words, expected", [
    ("by the weekend", at(2026, 12, 11)),  # the weekend starts on Saturday: done by Friday
    ("before next week", at(2026, 12, 6)),
    ("before next month", at(2026, 12, 31)),
    ("this weekend", at(2026, 12, 6)),  # an occasion: the window's end
    ("the fourteenth", at(2026, 12, 14)),
    ("by the twenty first", at(2026, 12, 21)),
    ("on the 14th of january", at(2027, 1, 14)),
    ("january 14th", at(2027, 1, 14)),
    ("on the 3rd", at(2027, 1, 3)),  # the 3rd is past this month: next month's
])
def test_more_due_words_from_the_sunday(words: str, expected: datetime) -> None:
    assert parse_due(words, SUN_6).when == expected


def test_a_day_of_the_month_a_short_month_lacks_is_the_next_that_has_it() -> None:
    assert parse_due("on the 30th", JAN_31).when == at(2027, 3, 30)
    assert parse_due("on the 31st", WED_9).when == at(2026, 12, 31)


@pytest.mark.parametrize("words, spoken", [
    ("on friday", "on Friday"),  # an occasion: when, not a deadline
    ("by friday", "by Friday"),
    ("before the weekend", "by Friday"),
    ("on the 14th", "on Monday, December 14th"),
    ("next tuesday evening", "on Tuesday evening"),
    ("on saturday morning", "on Saturday morning"),
    ("end of the month", "by Thursday, December 31st"),
    ("in two weeks", "by Sunday, December 20th"),
    ("by christmas", "by Christmas"),
    ("on christmas eve", "on Christmas Eve"),
    ("at the party", "at the party"),
    ("this weekend", "this weekend"),
    ("next week", "next week"),
    ("tonight", "tonight"),
    ("tomorrow", "tomorrow"),
])
def test_read_back_keeps_occasion_and_deadline_apart(words: str, spoken: str) -> None:
    due = parse_due(words, SUN_6)
    assert describe_due_record(due.when.isoformat() if due.when else None, due.words, SUN_6) == spoken


def test_an_occasion_read_back_later_in_the_week_names_the_day() -> None:
    due = parse_due("on friday", SUN_6)
    assert due.when is not None
    assert describe_due_record(due.when.isoformat(), due.words, WED_9) == "on Friday"
    thursday = datetime(2026, 12, 10, 9, 0, tzinfo=LISBON)
    assert describe_due_record(due.when.isoformat(), due.words, thursday) == "tomorrow"
    assert describe_due_record(due.when.isoformat(), due.words, FRI_11) == "today"
