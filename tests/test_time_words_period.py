"""Period words -> a span of days, relative to a fixed Wednesday (the journal's recall)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from assistant.features.time_words import parse_period

WED = datetime(2026, 12, 2, 19, 0, tzinfo=ZoneInfo("Europe/Lisbon"))


@pytest.mark.parametrize("words, start, end", [
    ("yesterday", date(2026, 12, 1), date(2026, 12, 1)),
    ("last week", date(2026, 11, 23), date(2026, 11, 29)),
    ("this week", date(2026, 11, 30), date(2026, 12, 2)),
    ("this month", date(2026, 12, 1), date(2026, 12, 2)),
    ("last month", date(2026, 11, 1), date(2026, 11, 30)),
    ("on monday", date(2026, 11, 30), date(2026, 11, 30)),
    ("november", date(2026, 11, 1), date(2026, 11, 30)),
])
def test_periods(words: str, start: date, end: date) -> None:
    p = parse_period(words, WED)
    assert p is not None and (p.start, p.end) == (start, end)


def test_unknown_period_is_none() -> None:
    assert parse_period("the blue moon", WED) is None and parse_period(None, WED) is None
