"""The calendar's words, defined once: weekdays, months, ordinals, and counting back to a named weekday.

Shared by the due words (``due``), the schedules (``schedule``) and the periods (``period``), so a
weekday or an ordinal is spelled in one place.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")  # RRULE's BYDAY codes, in WEEKDAYS' order
MONTHS = tuple(m.lower() for m in calendar.month_name[1:])
ORDINAL_WORDS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
                 "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth",
                 "eighteenth", "nineteenth", "twentieth")


def ordinal(n: int) -> str:
    """1 -> "1st", 12 -> "12th", 22 -> "22nd"."""
    suffix = "th" if 11 <= n % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def last_weekday(today: date, name: str) -> date:
    """The latest ``name`` ("monday") strictly before ``today``: what "on monday" means when looking back."""
    back = (today.weekday() - WEEKDAYS.index(name)) % 7 or 7
    return today - timedelta(days=back)
