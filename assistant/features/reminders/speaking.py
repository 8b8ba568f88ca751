"""Saying a due reminder: at most one a day, only when idle, offered and re-offered, settled, never repeated.

Everything that must survive a restart is written to the record before a word is said (the ledgers, the
offer, the streak), so a new process over the same store carries on exactly where the last one stopped.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta, tzinfo

from ...clock import isoformat, parse_iso
from ...events import ReminderEvent
from ...handlers import Context
from ...replies import reply
from ...store import Store
from ..time_words import schedule as sw
from .clock_guard import clock_problem_at, held, last_event
from .defaults import priority
from .planning import RANK, Due, plan
from .record import Offer, Reminder, push
from .registry import change, ctx_records, get, should_ask_about, turn_off
from .timetable import gives_way
from .wording import ctx_wordings, fields, kind_wordings, pick

log = logging.getLogger(__package__)  # "assistant.features.reminders", as before the split

SAID_ON = "reminder_day"  # meta: the local date a reminder was last announced (one a day)


def _first_run(ctx: Context) -> datetime | None:
    """When Tandem first ran (``profile.note_first_run``); None for a profile that never recorded it."""
    stamp = getattr(ctx.profile, "first_run", "")
    try:
        return parse_iso(stamp, ctx.profile.tz) if stamp else None
    except ValueError:
        return None


def next_wakeup(ctx: Context) -> datetime | None:
    """The next moment speak_due has something to do (a past time when something is due already)."""
    tz = ctx.profile.tz
    now = ctx.clock.now().astimezone(tz)
    if clock_problem_at(ctx.store, now):
        return last_event(ctx.store, tz)  # the time is plausible again from then on
    dues = plan(ctx_records(ctx), ctx.settings.reminders, tz, now, _first_run(ctx))
    return min(d.when for d in dues) if dues else None


def speak_due(ctx: Context) -> None:
    """Speak at most the one due reminder (only when idle); settle the others that are due."""
    if ctx.in_exercise:
        return  # the loop calls again once the exercise has ended
    tz = ctx.profile.tz
    now = ctx.clock.now().astimezone(tz)
    if held(ctx, now):
        return
    recs = ctx_records(ctx)
    s = ctx.settings.reminders
    due = sorted((d for d in plan(recs, s, tz, now, _first_run(ctx)) if d.when <= now),
                 key=lambda d: (RANK[d.action], priority(d.kind), d.when))
    for item in due:
        rec = get(ctx.store, item.kind)
        if rec is None or not rec.enabled:
            continue
        if item.action == "expire":
            _finish(ctx, rec, item.occurrence, "let_go", declined=False)
            continue
        reason = _skip_reason(ctx, rec, recs, item, now)
        if reason:
            _skip(ctx, rec, item, reason)
            continue
        if item.action == "heads_up":
            _heads_up(ctx, rec, item, now)
        else:
            _offer(ctx, rec, item, now)
        return


def _skip_reason(ctx: Context, rec: Reminder, recs: list[Reminder], item: Due, now: datetime) -> str | None:
    tz = ctx.profile.tz
    if item.action != "reoffer" and ctx.store.meta(SAID_ON) == now.date().isoformat():
        return "one reminder a day"  # the announcement and its re-offers are that day's one reminder
    if item.action == "heads_up":
        return None
    if gives_way(rec, recs, tz, item.occurrence):
        return "trust talk that day"
    if _done(ctx.store, rec, tz, [item.occurrence, now]):
        return "already done"
    return None


def _done(store: Store, rec: Reminder, tz: tzinfo, refs: list[datetime]) -> bool:
    """Was the reminder's exercise completed that day (that week, for a weekly reminder)?"""
    exercise = rec.exercise
    if not exercise:
        return False
    weekly = sw.parts(rec.rule).get("FREQ") == "WEEKLY"

    def period(d: date) -> tuple[date, date]:
        start = d - timedelta(days=d.weekday()) if weekly else d
        return start, start + timedelta(days=7 if weekly else 1)

    spans = [period(r.astimezone(tz).date()) for r in refs]
    for session in store.find("sessions", exercise=exercise):
        if session.get("end_reason") != "completed" or not session.get("started"):
            continue
        try:
            day = parse_iso(session["started"], tz).date()
        except ValueError:
            continue
        if any(a <= day < b for a, b in spans):
            return True
    return False


def _skip(ctx: Context, rec: Reminder, item: Due, reason: str) -> None:
    occ = isoformat(item.occurrence)

    def edit(r: Reminder) -> None:
        if item.action == "heads_up":
            r.heads_up = push(r.heads_up, occ)
        elif item.action == "reoffer":
            r.offer = None
        else:
            r.skipped = push(r.skipped, occ)
        if reason == "already done":
            r.streak = 0  # they did it without being asked: nothing to worry about

    change(ctx.store, rec.kind, edit)
    log.info("reminder %s %s skipped: %s", rec.kind, occ, reason)
    ctx.events.emit(ReminderEvent(kind=rec.kind, phase="skipped", occurrence=occ))


def _heads_up(ctx: Context, rec: Reminder, item: Due, now: datetime) -> None:
    occ = isoformat(item.occurrence)

    def edit(r: Reminder) -> None:
        r.heads_up = push(r.heads_up, occ)

    change(ctx.store, rec.kind, edit)
    ctx.store.set_meta(SAID_ON, now.date().isoformat())
    options = kind_wordings(ctx_wordings(ctx), rec.kind).get("heads_up") or []
    if not options:
        return
    _, text = pick(options, fields(ctx, rec, item.occurrence), "heads-up" + occ)
    ctx.events.emit(ReminderEvent(kind=rec.kind, phase="heads_up", occurrence=occ))
    ctx.say(text)


def _clear_offer(r: Reminder) -> None:
    r.offer = None


def _offer(ctx: Context, rec: Reminder, item: Due, now: datetime) -> None:
    s = ctx.settings.reminders
    words = ctx_wordings(ctx)
    kind, occ = rec.kind, isoformat(item.occurrence)
    values = fields(ctx, rec, item.occurrence)
    first = item.action == "offer"
    count = 1 if first or rec.offer is None else rec.offer.offers + 1
    again = isoformat(now + timedelta(minutes=s.snooze_minutes))
    kw = kind_wordings(words, kind)
    if first:
        late = now.date() != item.occurrence.astimezone(ctx.profile.tz).date()
        if not rec.exercise and kw.get("said_only"):
            options = kw["said_only"]
        else:
            options = (kw.get("late") if late else None) or kw["due"]
        index, text = pick(options, values, kind + occ, rec.last_wording)
    else:
        index, text = pick(words["reoffer"], values, f"{kind}{occ}{count}")  # index unused: re-offers vary by count

    # Written before a word is said: if the power goes mid-sentence, the occurrence is still spoken once.
    def record(r: Reminder) -> None:
        if first:
            r.spoken = push(r.spoken, occ)
            r.last_wording = index
        r.offer = Offer(occurrence=occ, offers=count, again=again, day=now.date().isoformat())

    change(ctx.store, kind, record)
    if first:
        ctx.store.set_meta(SAID_ON, now.date().isoformat())
        ctx.events.emit(ReminderEvent(kind=kind, phase="due", occurrence=occ))
        if should_ask_about(ctx.store, kind) and ask_about(ctx, kind) != "kept":
            change(ctx.store, kind, _clear_offer)
            return
    ctx.events.emit(ReminderEvent(kind=kind, phase="said", occurrence=occ))
    if not rec.exercise:  # a custom reminder with nothing to start is only said
        ctx.say(text)
        change(ctx.store, kind, _clear_offer)
        return
    answer = ctx.ask_yes_no(text)
    if answer.intent == "confirm.yes":
        _finish(ctx, rec, item.occurrence, "accepted", declined=False)
        ctx.start_exercise(str(rec.exercise))
        return
    # Only a no (or "never mind") declines; a command said instead, or an answer still unclear after asking
    # twice, leaves the offer as it was: snoozed, and said so briefly.
    declined = answer.intent in ("confirm.no", "cancel")
    if declined:
        ctx.events.emit(ReminderEvent(kind=kind, phase="declined", occurrence=occ))
    if count >= 1 + s.max_reoffers:
        _finish(ctx, rec, item.occurrence, "let_go", declined=declined)
        return
    later = isoformat(ctx.clock.now().astimezone(ctx.profile.tz) + timedelta(minutes=s.snooze_minutes))

    def snooze(r: Reminder) -> None:
        if r.offer:
            r.offer.again = later

    change(ctx.store, kind, snooze)
    ctx.events.emit(ReminderEvent(kind=kind, phase="snoozed", occurrence=occ))
    if declined:
        ctx.say(pick(words["snoozed"], values, occ + "snooze" + str(count))[1])
    elif not answer.silent:
        ctx.say(reply(ctx, "questions.reminder_later", label=values["label"], snooze=values["snooze"]))


def _finish(ctx: Context, rec: Reminder, occurrence: datetime, outcome: str, *, declined: bool) -> None:
    """The occurrence is over: accepted (streak back to 0) or let go (one more in the streak)."""
    occ = isoformat(occurrence)

    def edit(r: Reminder) -> None:
        r.offer = None
        r.streak = 0 if outcome == "accepted" else r.streak + 1

    change(ctx.store, rec.kind, edit)
    ctx.events.emit(ReminderEvent(kind=rec.kind, phase=outcome, occurrence=occ))
    if outcome == "let_go" and declined:
        words = ctx_wordings(ctx)
        ctx.say(pick(words["let_go"], fields(ctx, rec, occurrence), occ + "let go")[1])


def _reset_streak(r: Reminder) -> None:
    r.streak = 0


def ask_about(ctx: Context, kind: str) -> str:
    """Keep, move or stop a reminder that keeps being declined. Returns kept | stopped | moved | silent.

    Called by ``speak_due`` (so only when idle) when the reminder is announced again after
    ``should_ask_about`` became true.
    """
    rec = get(ctx.store, kind)
    if rec is None:
        return "silent"
    words = ctx_wordings(ctx)
    values = fields(ctx, rec, ctx.clock.now())
    answer = ctx.ask_yes_no(words["ask_keep"].format(**values))
    if answer.intent == "confirm.yes":
        change(ctx.store, kind, _reset_streak)
        ctx.say(words["kept"].format(**values))
        return "kept"
    if answer.silent or answer.command:  # a command said instead: ask again another time
        return "silent"
    answer = ctx.ask_yes_no(words["ask_stop"].format(**values))
    if answer.intent == "confirm.yes":
        turn_off(ctx.store, kind)
        ctx.say(words["stopped"].format(**values))
        return "stopped"
    change(ctx.store, kind, _reset_streak)
    ctx.say(words["move_hint"].format(**values))
    return "moved"
