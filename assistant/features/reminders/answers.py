"""Answering the couple about reminders: "when is our next trust talk", "remind us about gratitude at eight".

The handlers receive what the matcher understood (the ``kind`` and ``text`` slots, the words heard); which
reminder that is and what schedule it names is read by ``feature_words`` and ``time_words``.
"""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from typing import Any

from ...clock import isoformat
from ...conversation import Utterance
from ...handlers import Context, Handler
from ...store import Store
from ..time_words import schedule as sw
from .record import DEFAULT_TIME, Reminder
from .registry import ctx_records, get, records, set_schedule, stored, turn_off, turn_on
from .timetable import listing, next_effective, spoken_when
from .wording import ctx_wordings, label, read_request


def next_occurrence_text(ctx: Context) -> str | None:
    """"Sunday, December 6th at 7 pm" for the next trust talk; None when it is off."""
    tz = ctx.profile.tz
    recs = ctx_records(ctx)
    rec = next((r for r in recs if r.kind == "trusttalk" and r.enabled), None)
    if rec is None:
        return None
    occ = next_effective(rec, recs, tz, ctx.clock.now().astimezone(tz) - timedelta(seconds=1))
    return spoken_when(occ, tz) if occ else None


def handle_list(ctx: Context, utterance: Utterance) -> None:
    tz = ctx.profile.tz
    words = ctx_wordings(ctx)
    now = ctx.clock.now().astimezone(tz)
    lines = [words["next_one"].format(label=label(r.kind, words, r), when=spoken_when(n, tz))
             for r, n in listing(ctx_records(ctx), tz, now - timedelta(seconds=1)) if n is not None]
    ctx.say(" ".join(lines) if lines else words["none_on"].format(example=sw.EXAMPLES[0]))


def handle_set(ctx: Context, utterance: Utterance) -> None:
    words = ctx_wordings(ctx)
    tz = ctx.profile.tz
    now = ctx.clock.now().astimezone(tz)
    ctx_records(ctx)
    asked = read_request(utterance.slots.get("kind", "") or "", utterance.slots.get("text", "") or "",
                         utterance.text, words)
    kind = asked.kind
    if not kind:
        ctx.say(words["which_kind"].format(example=sw.EXAMPLES[0]))
        return
    rec = get(ctx.store, kind)
    name = label(kind, words, rec, asked.label)
    if asked.stop:
        if rec is None or not rec.enabled:
            ctx.say(words["already_off"].format(label=name))
            return
        turn_off(ctx.store, kind)
        ctx.say(words["turned_off"].format(label=name))
        return
    if not asked.schedule_words.strip():
        if rec is not None:  # "remind us about gratitude again": back on with its last schedule
            turn_on(ctx.store, kind, now)
            rec = get(ctx.store, kind) or rec
            ctx.say(words["kept"].format(schedule=sw.describe(rec.rule, rec.time), label=name))
        else:
            ctx.say(words["which_kind"].format(example=sw.EXAMPLES[0]))
        return
    try:
        schedule = sw.parse(asked.schedule_words)
    except sw.ScheduleError as exc:
        ctx.say(str(exc))
        return
    at = schedule.time or (rec.time if rec else DEFAULT_TIME)
    answer = ctx.ask_yes_no(words["confirm_set"].format(label=name, schedule=sw.describe(schedule.rule, at)))
    if answer.intent != "confirm.yes":
        ctx.say(words["nothing_changed"])
        return
    new = set_schedule(ctx.store, kind, schedule, now, exercise=asked.exercise, label_words=asked.label)
    nxt = next_effective(new, records(ctx.store), tz, now)
    ctx.say(words["was_set"].format(label=name, when=spoken_when(nxt, tz) if nxt else "not yet planned"))


HANDLERS: dict[str, Handler] = {"reminder.list": handle_list, "reminder.set": handle_set}


def export_records(store: Store, tz: tzinfo, now: datetime) -> list[dict[str, Any]]:
    """The reminders section of ``tandem export``: each record as stored, with "next" computed now."""
    raws = stored(store)
    rows = listing([Reminder.from_dict(r) for r in raws], tz, now)
    return [{**raw, "next": isoformat(n) if n else None} for raw, (_, n) in zip(raws, rows)]
