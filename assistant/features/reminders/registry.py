"""The reminders table: installing the defaults, reading and changing records, turning reminders on and off."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from ...clock import isoformat
from ...handlers import Context
from ...profile import Profile
from ...store import Store
from ..time_words.schedule import Schedule
from .defaults import DEFAULTS, priority
from .record import DEFAULT_TIME, TABLE, Reminder

DEFAULTS_DONE = "reminder_defaults"  # meta: defaults installed once; a reminder turned off stays off


def install_defaults(store: Store, profile: Profile, now: datetime | None = None) -> None:
    """The trust talk, check-in and (off) gratitude reminders, once; existing ones are left alone."""
    if store.meta(DEFAULTS_DONE):
        return
    created = isoformat((now or datetime.now(profile.tz)).astimezone(profile.tz))
    existing = {r["kind"] for r in store.all(TABLE)}
    for kind, default in DEFAULTS.items():
        if kind not in existing:
            # since=None: a default applies from the start; plan() never catches up from before Tandem first ran
            rec = Reminder(id=kind, kind=kind, exercise=default.exercise, rule=default.rule, time=default.time,
                           enabled=default.enabled, gives_way_to=default.gives_way_to, created=created)
            store.upsert(TABLE, rec.to_dict())
    store.set_meta(DEFAULTS_DONE, True)


def stored(store: Store) -> list[dict[str, Any]]:
    """The records as stored (for export), in priority order."""
    return sorted(store.all(TABLE), key=lambda r: (priority(r["kind"]), r["kind"]))


def records(store: Store) -> list[Reminder]:
    """Every reminder, in priority order (the rarer first)."""
    return [Reminder.from_dict(r) for r in stored(store)]


def ctx_records(ctx: Context) -> list[Reminder]:
    install_defaults(ctx.store, ctx.profile, ctx.clock.now())  # profiles made before reminders existed
    return records(ctx.store)


def get(store: Store, kind: str) -> Reminder | None:
    raw = store.get(TABLE, kind)
    return Reminder.from_dict(raw) if raw is not None else None


def change(store: Store, kind: str, edit: Callable[[Reminder], None]) -> Reminder | None:
    """Read, ``edit`` and write back one reminder, atomically; None when there is no such reminder."""
    def apply(raw: dict[str, Any]) -> None:
        rec = Reminder.from_dict(raw)
        edit(rec)
        rec.merge_into(raw)

    raw = store.modify(TABLE, kind, apply)
    return Reminder.from_dict(raw) if raw is not None else None


def set_schedule(store: Store, kind: str, schedule: Schedule, now: datetime, *, exercise: str | None = None,
                 label_words: str | None = None) -> Reminder:
    """Turn ``kind`` on with a new schedule (creating a custom reminder if needed)."""
    stamp = isoformat(now)

    def edit(rec: Reminder) -> None:
        if schedule.rule != rec.rule or (schedule.time and schedule.time != rec.time) or not rec.enabled:
            rec.offer = None
            rec.since = stamp  # a new schedule starts now: an occurrence already past is not announced late
        rec.rule, rec.time, rec.enabled, rec.streak = schedule.rule, schedule.time or rec.time, True, 0

    if store.get(TABLE, kind) is None:
        default = DEFAULTS.get(kind)
        new = Reminder(id=kind, kind=kind, exercise=default.exercise if default else exercise,
                       rule=schedule.rule, time=schedule.time or DEFAULT_TIME, enabled=True,
                       gives_way_to=default.gives_way_to if default else None, since=stamp, created=stamp,
                       label=label_words)
        store.upsert(TABLE, new.to_dict())
    rec = change(store, kind, edit)
    assert rec is not None
    return rec


def turn_off(store: Store, kind: str) -> bool:
    """False when there is no such reminder."""
    def edit(rec: Reminder) -> None:
        rec.enabled, rec.offer = False, None
    return change(store, kind, edit) is not None


def turn_on(store: Store, kind: str, now: datetime) -> bool:
    def edit(rec: Reminder) -> None:
        if not rec.enabled:
            rec.enabled, rec.since, rec.streak, rec.offer = True, isoformat(now), 0, None
    return change(store, kind, edit) is not None


def should_ask_about(store: Store, kind: str) -> bool:
    """Two occurrences in a row declined or unanswered: time to ask whether to keep, move or stop it."""
    rec = get(store, kind)
    return bool(rec and rec.enabled and rec.streak >= 2)
