"""Quiet hours: no reminder is said between ``quiet_start`` and ``quiet_end`` (which may span midnight)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from ...config import ReminderSettings
from ..time_words import schedule as sw


def _hm(text: str) -> time:
    hh, mm = text.split(":")
    return time(int(hh), int(mm))


def in_quiet(when: datetime, s: ReminderSettings) -> bool:
    t, start, end = when.time(), _hm(s.quiet_start), _hm(s.quiet_end)
    return (start <= t or t < end) if start > end else (start <= t < end)


def after_quiet(when: datetime, s: ReminderSettings) -> datetime:
    """``when``, or the end of the quiet hours it falls in."""
    if not in_quiet(when, s):
        return when
    end = _hm(s.quiet_end)
    day = when.date() if when.time() < end else when.date() + timedelta(days=1)
    return sw.aware(datetime.combine(day, end), when.tzinfo or UTC)
