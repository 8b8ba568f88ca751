"""What is due: from the records, the settings and "now", everything ``speak_due`` will do, as plain data.

A pure function of its inputs (no store, no clock), so the schedule can be tested at any instant.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from ...clock import isoformat, parse_iso
from ...config import ReminderSettings
from ..time_words import schedule as sw
from .quiet import after_quiet, in_quiet
from .record import Reminder
from .timetable import last_occurrence, next_occurrence, since


@dataclass(frozen=True)
class Due:
    kind: str
    action: str  # offer | reoffer | heads_up | expire (a re-offer that would fall on another day)
    occurrence: datetime
    when: datetime  # the earliest moment it may be spoken


RANK = {"expire": 0, "reoffer": 1, "offer": 2, "heads_up": 3}  # among things due together, the first done first


def speak_time(occ: datetime, now: datetime, s: ReminderSettings) -> datetime | None:
    """When ``occ`` may be announced, or None if it never may (grace over, or quiet hours ran into the next day)."""
    start = max(occ, now)
    when = after_quiet(start, s)
    if when - occ > timedelta(hours=s.grace_hours):
        return None
    if in_quiet(occ, s) and when.date() != occ.date():
        return None
    # due already: report since when, not "now" (a fast clock has moved on by the time the caller compares)
    return occ if when == start else when


def plan(recs: list[Reminder], s: ReminderSettings, tz: tzinfo, now: datetime,
         first_run: datetime | None = None) -> list[Due]:
    """Everything speak_due will do from ``now`` on, one entry per reminder (plus heads-ups), unsorted.

    Catch-up (an occurrence said up to ``grace_hours`` late) never reaches back before ``first_run``,
    the moment Tandem first ran: a new couple's first reminder is a future one.
    """
    grace = timedelta(hours=s.grace_hours)
    out: list[Due] = []
    for rec in (r for r in recs if r.enabled):
        offer = rec.offer
        if offer:
            occ, again = parse_iso(offer.occurrence, tz), parse_iso(offer.again, tz)
            start = max(again, now)
            when = after_quiet(start, s)
            when = again if when == start else when
            expired = when.date() != date.fromisoformat(offer.day)
            out.append(Due(rec.kind, "expire" if expired else "reoffer", occ, again if expired else when))
            continue
        settled = set(rec.spoken) | set(rec.skipped)
        start_at = _latest(since(rec, tz), first_run)
        candidates = [last_occurrence(rec, tz, now, grace), next_occurrence(rec, tz, now)]
        for candidate in candidates:
            if candidate is None or isoformat(candidate) in settled or (start_at is not None and candidate < start_at):
                continue
            speak_at = speak_time(candidate, now, s)
            if speak_at is not None:
                out.append(Due(rec.kind, "offer", candidate, speak_at))
                break
        if s.heads_up_days > 0 and rec.kind == "trusttalk":
            heads = _heads_up_due(rec, s, tz, now, first_run)
            if heads:
                out.append(heads)
    return out


def _latest(*times: datetime | None) -> datetime | None:
    known = [t for t in times if t is not None]
    return max(known) if known else None


def _heads_up_due(rec: Reminder, s: ReminderSettings, tz: tzinfo, now: datetime,
                  first_run: datetime | None) -> Due | None:
    ahead = timedelta(days=s.heads_up_days)
    done = set(rec.heads_up)
    talk = next_occurrence(rec, tz, now)
    for _ in range(3):
        if talk is None:
            return None
        at = sw.aware(sw.naive(talk, tz) - ahead, tz)  # same wall time, N calendar days before
        late_from_before = first_run is not None and at < first_run  # a heads-up is not caught up either
        when = None if isoformat(talk) in done or late_from_before else speak_time(at, now, s)
        if when is not None and when < talk:
            return Due(rec.kind, "heads_up", talk, when)
        talk = next_occurrence(rec, tz, talk)
    return None
