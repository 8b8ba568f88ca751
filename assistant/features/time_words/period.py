"""Period words ("yesterday", "last week", "in March") -> a span of days, for recalling the journal."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from .vocab import WEEKDAYS, last_weekday


@dataclass(frozen=True)
class Period:
    """A span of days [start, end] inclusive, and how to say it."""

    start: date
    end: date
    name: str


def parse_period(words: str | None, now: datetime) -> Period | None:
    """ "yesterday", "last week" (the calendar week before this one), "this month", "on monday"...

    None means "no period understood": the caller reads the latest few instead.
    """
    if not words:
        return None
    text = re.sub(r"^(?:from|in|during|on|over|for)\s+", "", " ".join(words.lower().split()))
    text = re.sub(r"^the\s+", "", text)
    today = now.date()
    monday = today - timedelta(days=today.weekday())
    first = today.replace(day=1)
    if text in ("today", "this morning", "this evening", "tonight"):
        return Period(today, today, "today")
    if text in ("yesterday", "last night"):
        return Period(today - timedelta(days=1), today - timedelta(days=1), "yesterday")
    if text == "this week":
        return Period(monday, today, "this week")
    if text == "last week":
        return Period(monday - timedelta(days=7), monday - timedelta(days=1), "last week")
    if text in ("past week", "last seven days", "last 7 days", "past seven days", "past 7 days"):
        return Period(today - timedelta(days=6), today, "the past week")
    if text == "this month":
        return Period(first, today, "this month")
    if text == "last month":
        end = first - timedelta(days=1)
        return Period(end.replace(day=1), end, "last month")
    if text in ("this year", "past year", "last year"):
        if text == "last year":
            return Period(date(today.year - 1, 1, 1), date(today.year - 1, 12, 31), "last year")
        return Period(date(today.year, 1, 1), today, "this year")
    name = text.removeprefix("last ")
    if name in WEEKDAYS:
        day = last_weekday(today, name)
        return Period(day, day, f"on {name.capitalize()}")
    for number, month in enumerate(calendar.month_name):
        if number and text in (month.lower(), f"last {month.lower()}"):
            year = today.year if number <= today.month else today.year - 1
            last = calendar.monthrange(year, number)[1]
            return Period(date(year, number, 1), date(year, number, last), f"in {month}")
    return None
