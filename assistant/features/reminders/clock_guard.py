"""The clock that can be wrong: reminders are held, not replayed, when the clock went back.

Meta ``last_event`` is the latest moment Tandem saw; a clock earlier than it (a power cut without network)
holds the reminders until the time is plausible again, or until ``tandem reminders resume``.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, tzinfo

from ...clock import Clock, isoformat, parse_iso
from ...events import ReminderEvent
from ...handlers import Context
from ...store import Store

log = logging.getLogger(__package__)  # "assistant.features.reminders", as before the split

LAST_EVENT = "last_event"  # meta: ISO time of the latest moment Tandem saw (clock plausibility)
HELD = "reminders_held"  # meta: True while a wrong clock holds reminders (log once, not every minute)
NOTE_EVERY_S = 60.0  # last_event is rewritten at most once a minute


def last_event(store: Store, tz: tzinfo) -> datetime | None:
    raw = store.meta(LAST_EVENT)
    try:
        return parse_iso(str(raw), tz) if raw else None
    except ValueError:
        return None


def clock_problem_at(store: Store, now: datetime) -> str | None:
    last = last_event(store, now.tzinfo or UTC)
    if last is None or now >= last:
        return None
    return (f"the clock says {now:%Y-%m-%d %H:%M} but Tandem last saw {last:%Y-%m-%d %H:%M}: it went back "
            "(power cut without network?); reminders are held until the time is right "
            "(if that stored time is wrong, run 'tandem reminders resume')")


def clock_problem(store: Store, clock: Clock) -> str | None:
    """One line for doctor and the log when the clock is earlier than the last stored event."""
    return clock_problem_at(store, clock.now())


def note_time(store: Store, now: datetime) -> None:
    """Remember the latest moment seen (at most once a minute: it is a disk write)."""
    last = last_event(store, now.tzinfo or UTC)
    if last is None or (now - last).total_seconds() >= NOTE_EVERY_S:
        store.set_meta(LAST_EVENT, isoformat(now))


def resume(store: Store, now: datetime) -> None:
    """Trust the clock again (the stored last event was itself wrong)."""
    store.set_meta(LAST_EVENT, isoformat(now))
    store.set_meta(HELD, False)


def held(ctx: Context, now: datetime) -> bool:
    """Whether a clock that went back holds the reminders now (said in the log once); notes the time if not."""
    problem = clock_problem_at(ctx.store, now)
    if problem:
        if not ctx.store.meta(HELD):
            ctx.store.set_meta(HELD, True)
            log.warning("reminders: %s", problem)
            ctx.events.emit(ReminderEvent(kind="", phase="held", occurrence=""))
        return True
    if ctx.store.meta(HELD):
        ctx.store.set_meta(HELD, False)
        log.info("reminders: the clock is plausible again; reminders resume")
    note_time(ctx.store, now)
    return False
