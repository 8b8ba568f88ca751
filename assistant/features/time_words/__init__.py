"""The couple's time words, read in one place: due dates, schedules, periods, and the calendar's words.

* ``due``: "by friday", "tonight", "in two days" -> the end of that window, and back to speech (promises);
* ``schedule``: "the first sunday of every month at 7 pm" -> an RRULE and a wall time, its occurrences, and
  back to words (reminders);
* ``period``: "last week", "on monday", "in march" -> a span of days (the journal);
* ``vocab``: weekdays, months and ordinals, defined once for all three.

Features import from here (``from ..time_words import parse_due``; ``from ..time_words import schedule``);
none parses time words of its own.
"""

from __future__ import annotations

from . import schedule
from .due import (
    END_OF_DAY,
    Due,
    clock_words,
    day_words,
    describe_due,
    describe_due_record,
    describe_occasion,
    is_deadline,
    parse_due,
)
from .period import Period, parse_period
from .schedule import Schedule, ScheduleError
from .vocab import MONTHS, WEEKDAYS, last_weekday, ordinal

__all__ = [
    "END_OF_DAY", "MONTHS", "WEEKDAYS", "Due", "Period", "Schedule", "ScheduleError", "clock_words", "day_words",
    "describe_due", "describe_due_record", "describe_occasion", "is_deadline", "last_weekday", "ordinal",
    "parse_due", "parse_period", "schedule",
]
