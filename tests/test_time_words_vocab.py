"""The calendar words shared by due dates, schedules and periods."""

from __future__ import annotations

from datetime import date

import pytest

from assistant.features.time_words import last_weekday, ordinal


@pytest.mark.parametrize("n, said", [(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (11, "11th"), (12, "12th"),
                                     (13, "13th"), (21, "21st"), (22, "22nd"), (23, "23rd"), (30, "30th"),
                                     (31, "31st"), (101, "101st"), (111, "111th")])
def test_ordinal(n: int, said: str) -> None:
    assert ordinal(n) == said


def test_last_weekday_looks_back_a_week_for_today_s_name() -> None:
    wednesday = date(2026, 12, 2)
    assert last_weekday(wednesday, "monday") == date(2026, 11, 30)
    assert last_weekday(wednesday, "wednesday") == date(2026, 11, 25)
    assert last_weekday(wednesday, "thursday") == date(2026, 11, 26)
