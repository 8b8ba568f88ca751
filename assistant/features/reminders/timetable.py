"""When a reminder falls: its occurrences, and the next one that would really be announced.

The calendar itself (RRULEs in the couple's wall time) is ``time_words.schedule``; this module adds what a
record knows: since when its schedule runs, and the kind whose days it gives way to.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta, tzinfo

from ...clock import parse_iso
from ..time_words import schedule as sw
from .record import Reminder

spoken_when = sw.spoken_when


def since(rec: Reminder, tz: tzinfo) -> datetime | None:
    return parse_iso(rec.since, tz) if rec.since else None


def occurrences(rec: Reminder, tz: tzinfo, start: datetime, end: datetime) -> list[datetime]:
    """Occurrences from ``start`` to ``end`` inclusive, as aware datetimes in ``tz``."""
    return sw.occurrences(rec.rule, rec.time, tz, start, end, since(rec, tz))


def next_occurrence(rec: Reminder, tz: tzinfo, after: datetime) -> datetime | None:
    return sw.next_occurrence(rec.rule, rec.time, tz, after, since(rec, tz))


def last_occurrence(rec: Reminder, tz: tzinfo, at: datetime, lookback: timedelta) -> datetime | None:
    return sw.last_occurrence(rec.rule, rec.time, tz, at, lookback, since(rec, tz))


def gives_way(rec: Reminder, recs: list[Reminder], tz: tzinfo, occ: datetime) -> bool:
    """A check-in on a day that already has a trust talk is skipped."""
    other = next((r for r in recs if r.kind == rec.gives_way_to and r.enabled), None)
    if other is None:
        return False
    day = datetime.combine(occ.astimezone(tz).date(), time(0), tz)
    return bool(occurrences(other, tz, day, day + timedelta(hours=23, minutes=59)))


def next_effective(rec: Reminder, recs: list[Reminder], tz: tzinfo, after: datetime) -> datetime | None:
    """The next occurrence that would really be announced (check-ins on trust-talk days are not)."""
    occ = next_occurrence(rec, tz, after)
    for _ in range(12):
        if occ is None or not gives_way(rec, recs, tz, occ):
            return occ
        occ = next_occurrence(rec, tz, occ)
    return occ


def listing(recs: list[Reminder], tz: tzinfo, now: datetime) -> list[tuple[Reminder, datetime | None]]:
    """Each reminder with its next announced occurrence (None when off)."""
    return [(r, next_effective(r, recs, tz, now) if r.enabled else None) for r in recs]
