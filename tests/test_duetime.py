"""Due words -> moments, relative to a fixed "now" in the couple's zone (Europe/Lisbon)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from assistant.duetime import describe_due, describe_due_record, parse_due

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
