"""Recurring reminders: the monthly trust talk, the weekly check-in, the daily gratitude nudge.

A reminder is one record in the "reminders" table (id = kind), shaped as in
``shared/docs/export-format.md``: ``rule`` is RRULE text without DTSTART and
``time`` the wall time ("19:00"), so occurrences are computed with
dateutil's rrule in the couple's time zone (``schedule_words``) and stay at
19:00 across daylight-saving changes.

Everything that must survive a restart lives in the record: ``spoken`` (the
ledger of occurrences already announced: each at most once, ever),
``skipped`` (occurrences settled without a word), ``heads_up`` (trust talks
already announced ahead), ``offer`` (the occurrence being offered right now,
with its re-offer count and snooze end) and ``streak`` (occurrences in a row
that were declined or went unanswered). The module keeps no state of its own,
so a new process over the same store carries on exactly where the last one
stopped. Meta ``last_event`` (maintained here) lets a clock that went back
after a power cut be noticed: reminders are then held, not replayed. The
profile's ``first_run`` (stamped by ``tandem run``) bounds catch-up: nothing
due before Tandem first ran is ever said late, so a new couple's first
reminder is a future one.

Entry points for the dialogue loop: ``speak_due(ctx)``, ``next_wakeup(ctx)``,
``HANDLERS`` (reminder.list, reminder.set); for summary:
``next_occurrence_text(ctx)``; for init: ``install_defaults(store, profile)``;
for doctor and the log: ``clock_problem(store, clock)``.
"""

from __future__ import annotations

import logging
import random
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from .time_words import schedule as sw
from .clock import Clock, isoformat, parse_iso
from .config import REPO_ROOT, ReminderSettings
from .conversation import Utterance
from .events import ReminderEvent
from .handlers import Context, Handler
from .profile import Profile
from .replies import reply
from .store import Store

log = logging.getLogger(__name__)

TABLE = "reminders"
LAST_EVENT = "last_event"  # meta: ISO time of the latest moment Tandem saw (clock plausibility)
SAID_ON = "reminder_day"  # meta: the local date a reminder was last announced (one a day)
HELD = "reminders_held"  # meta: True while a wrong clock holds reminders (log once, not every minute)
DEFAULTS_DONE = "reminder_defaults"  # meta: defaults installed once; a reminder turned off stays off
LEDGER_KEEP = 400  # occurrences remembered per list: more than a year of a daily reminder
NOTE_EVERY_S = 60.0  # last_event is rewritten at most once a minute

# kind -> (rule, time, enabled, exercise offered, the kind whose days it gives way to)
DEFAULTS: dict[str, tuple[str, str, bool, str, str | None]] = {
    "trusttalk": ("FREQ=MONTHLY;BYDAY=1SU", "19:00", True, "trusttalk", None),
    "checkin": ("FREQ=WEEKLY;BYDAY=SU", "19:00", True, "checkin", "trusttalk"),
    "gratitude": ("FREQ=DAILY", "20:00", False, "gratitude", None),
}
PRIORITY = tuple(DEFAULTS)  # when two are due together, the rarer one is said


# --- wordings ----------------------------------------------------------------------


@lru_cache(maxsize=4)
def _load_wordings(path: str) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    if not isinstance(data, dict) or "kinds" not in data:
        raise ValueError(f"{path}: not a reminders wording file")
    return data


def wordings(scripts_dir: Path | None = None) -> dict[str, Any]:
    return _load_wordings(str((scripts_dir or REPO_ROOT / "scripts") / "reminders.yaml"))


def _ctx_wordings(ctx: Context) -> dict[str, Any]:
    return wordings(ctx.settings.paths.scripts_dir)


def label(kind: str, words: dict[str, Any] | None = None, rec: dict[str, Any] | None = None) -> str:
    spec = (words or wordings())["kinds"].get(kind)
    if spec and kind != "custom":
        return str(spec["label"])
    return str((rec or {}).get("label") or kind.replace("_", " "))


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9 ]+", " ", text.lower().replace("-", " ")).split())


def kind_for_words(text: str, words: dict[str, Any] | None = None) -> str | None:
    """"the trust talk" -> "trusttalk"; None when no kind's words are in ``text``."""
    table = (words or wordings())["kind_words"]
    clean = _norm(text)
    for kind in table:
        if clean == kind:
            return kind
    hits = [(len(p), kind) for kind, phrases in table.items() for p in phrases if re.search(rf"\b{re.escape(p)}\b", clean)]
    return max(hits)[1] if hits else None


def custom_kind(text: str, words: dict[str, Any] | None = None) -> tuple[str, str | None, str]:
    """Words for a reminder that is not a default one -> (kind, exercise or None, label)."""
    clean = _norm(text)
    for exercise, phrases in (words or wordings()).get("exercise_words", {}).items():
        if clean == exercise or any(re.search(rf"\b{re.escape(p)}\b", clean) for p in phrases):
            return exercise, exercise, clean or exercise
    slug = "_".join(w for w in clean.split() if w not in ("the", "our", "a", "an", "reminder", "reminders"))
    return slug, None, clean


# --- records -----------------------------------------------------------------------


def _new_record(kind: str, rule: str, at: str, enabled: bool, exercise: str | None, gives_way_to: str | None,
                created: str, since: str | None, label_words: str | None = None) -> dict[str, Any]:
    return {
        "id": kind, "kind": kind, "exercise": exercise, "rule": rule, "time": at, "enabled": enabled,
        "spoken": [], "skipped": [], "heads_up": [], "offer": None, "streak": 0, "last_wording": -1,
        "gives_way_to": gives_way_to, "since": since, "created": created, "label": label_words,
    }


def install_defaults(store: Store, profile: Profile, now: datetime | None = None) -> None:
    """The trust talk, check-in and (off) gratitude reminders, once; existing ones are left alone."""
    if store.meta(DEFAULTS_DONE):
        return
    created = isoformat((now or datetime.now(profile.tz)).astimezone(profile.tz))
    existing = {r["kind"] for r in store.all(TABLE)}
    for kind, (rule, at, enabled, exercise, gives_way) in DEFAULTS.items():
        if kind not in existing:
            # since=None: a default applies from the start; plan() never catches up from before Tandem first ran
            store.upsert(TABLE, _new_record(kind, rule, at, enabled, exercise, gives_way, created, None))
    store.set_meta(DEFAULTS_DONE, True)


def records(store: Store) -> list[dict[str, Any]]:
    def order(r: dict[str, Any]) -> tuple[int, str]:
        return (PRIORITY.index(r["kind"]) if r["kind"] in PRIORITY else len(PRIORITY), r["kind"])
    return sorted(store.all(TABLE), key=order)


def _records(ctx: Context) -> list[dict[str, Any]]:
    install_defaults(ctx.store, ctx.profile, ctx.clock.now())  # profiles made before reminders existed
    return records(ctx.store)


def set_schedule(store: Store, kind: str, schedule: sw.Schedule, now: datetime, *, exercise: str | None = None,
                 label_words: str | None = None) -> dict[str, Any]:
    """Turn ``kind`` on with a new schedule (creating a custom reminder if needed)."""
    stamp = isoformat(now)

    def change(rec: dict[str, Any]) -> None:
        if schedule.rule != rec["rule"] or (schedule.time and schedule.time != rec["time"]) or not rec["enabled"]:
            rec["offer"] = None
            rec["since"] = stamp  # a new schedule starts now: an occurrence already past is not announced late
        rec.update(rule=schedule.rule, time=schedule.time or rec["time"], enabled=True, streak=0)

    if store.get(TABLE, kind) is None:
        default = DEFAULTS.get(kind)
        store.upsert(TABLE, _new_record(kind, schedule.rule, schedule.time or "19:00", True,
                                        default[3] if default else exercise, default[4] if default else None,
                                        stamp, stamp, label_words))
    store.modify(TABLE, kind, change)
    rec = store.get(TABLE, kind)
    assert rec is not None
    return rec


def turn_off(store: Store, kind: str) -> bool:
    """False when there is no such reminder."""
    return store.modify(TABLE, kind, lambda r: r.update(enabled=False, offer=None)) is not None


def turn_on(store: Store, kind: str, now: datetime) -> bool:
    def change(rec: dict[str, Any]) -> None:
        if not rec["enabled"]:
            rec.update(enabled=True, since=isoformat(now), streak=0, offer=None)
    return store.modify(TABLE, kind, change) is not None


def should_ask_about(store: Store, kind: str) -> bool:
    """Two occurrences in a row declined or unanswered: time to ask whether to keep, move or stop it."""
    rec = store.get(TABLE, kind)
    return bool(rec and rec["enabled"] and rec.get("streak", 0) >= 2)


# --- occurrences (the calendar itself is in schedule_words) --------------------------------------


def _since(rec: dict[str, Any], tz: tzinfo) -> datetime | None:
    return parse_iso(rec["since"], tz) if rec.get("since") else None


def occurrences(rec: dict[str, Any], tz: tzinfo, start: datetime, end: datetime) -> list[datetime]:
    """Occurrences from ``start`` to ``end`` inclusive, as aware datetimes in ``tz``."""
    return sw.occurrences(rec["rule"], rec["time"], tz, start, end, _since(rec, tz))


def next_occurrence(rec: dict[str, Any], tz: tzinfo, after: datetime) -> datetime | None:
    return sw.next_occurrence(rec["rule"], rec["time"], tz, after, _since(rec, tz))


def _last_occurrence(rec: dict[str, Any], tz: tzinfo, at: datetime, lookback: timedelta) -> datetime | None:
    return sw.last_occurrence(rec["rule"], rec["time"], tz, at, lookback, _since(rec, tz))


def _gives_way(rec: dict[str, Any], recs: list[dict[str, Any]], tz: tzinfo, occ: datetime) -> bool:
    """A check-in on a day that already has a trust talk is skipped."""
    other = next((r for r in recs if r["kind"] == rec.get("gives_way_to") and r["enabled"]), None)
    if other is None:
        return False
    day = datetime.combine(occ.astimezone(tz).date(), time(0), tz)
    return bool(occurrences(other, tz, day, day + timedelta(hours=23, minutes=59)))


def next_effective(rec: dict[str, Any], recs: list[dict[str, Any]], tz: tzinfo, after: datetime) -> datetime | None:
    """The next occurrence that would really be announced (check-ins on trust-talk days are not)."""
    occ = next_occurrence(rec, tz, after)
    for _ in range(12):
        if occ is None or not _gives_way(rec, recs, tz, occ):
            return occ
        occ = next_occurrence(rec, tz, occ)
    return occ


spoken_when = sw.spoken_when


# --- quiet hours -------------------------------------------------------------------------


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
    return sw.aware(datetime.combine(day, end), when.tzinfo or timezone.utc)


# --- what is due ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Due:
    kind: str
    action: str  # offer | reoffer | heads_up | expire (a re-offer that would fall on another day)
    occurrence: datetime
    when: datetime  # the earliest moment it may be spoken


_RANK = {"expire": 0, "reoffer": 1, "offer": 2, "heads_up": 3}


def _speak_time(occ: datetime, now: datetime, s: ReminderSettings) -> datetime | None:
    """When ``occ`` may be announced, or None if it never may (grace over, or quiet hours ran into the next day)."""
    start = max(occ, now)
    when = after_quiet(start, s)
    if when - occ > timedelta(hours=s.grace_hours):
        return None
    if in_quiet(occ, s) and when.date() != occ.date():
        return None
    # due already: report since when, not "now" (a fast clock has moved on by the time the caller compares)
    return occ if when == start else when


def plan(recs: list[dict[str, Any]], s: ReminderSettings, tz: tzinfo, now: datetime,
         first_run: datetime | None = None) -> list[Due]:
    """Everything speak_due will do from ``now`` on, one entry per reminder (plus heads-ups), unsorted.

    Catch-up (an occurrence said up to ``grace_hours`` late) never reaches back before ``first_run``,
    the moment Tandem first ran: a new couple's first reminder is a future one.
    """
    grace = timedelta(hours=s.grace_hours)
    out: list[Due] = []
    for rec in (r for r in recs if r["enabled"]):
        offer = rec.get("offer")
        if offer:
            occ, again = parse_iso(offer["occurrence"], tz), parse_iso(offer["again"], tz)
            start = max(again, now)
            when = after_quiet(start, s)
            when = again if when == start else when
            expired = when.date() != date.fromisoformat(offer["day"])
            out.append(Due(rec["kind"], "expire" if expired else "reoffer", occ, again if expired else when))
            continue
        settled = set(rec.get("spoken", [])) | set(rec.get("skipped", []))
        since = _latest(_since(rec, tz), first_run)
        candidates = [_last_occurrence(rec, tz, now, grace), next_occurrence(rec, tz, now)]
        for occ in candidates:
            if occ is None or isoformat(occ) in settled or (since is not None and occ < since):
                continue
            when = _speak_time(occ, now, s)
            if when is not None:
                out.append(Due(rec["kind"], "offer", occ, when))
                break
        if s.heads_up_days > 0 and rec["kind"] == "trusttalk":
            heads = _heads_up_due(rec, s, tz, now, first_run)
            if heads:
                out.append(heads)
    return out


def _latest(*times: datetime | None) -> datetime | None:
    known = [t for t in times if t is not None]
    return max(known) if known else None


def _heads_up_due(rec: dict[str, Any], s: ReminderSettings, tz: tzinfo, now: datetime,
                  first_run: datetime | None) -> Due | None:
    ahead = timedelta(days=s.heads_up_days)
    done = set(rec.get("heads_up", []))
    talk = next_occurrence(rec, tz, now)
    for _ in range(3):
        if talk is None:
            return None
        at = sw.aware(sw.naive(talk, tz) - ahead, tz)  # same wall time, N calendar days before
        late_from_before = first_run is not None and at < first_run  # a heads-up is not caught up either
        when = None if isoformat(talk) in done or late_from_before else _speak_time(at, now, s)
        if when is not None and when < talk:
            return Due(rec["kind"], "heads_up", talk, when)
        talk = next_occurrence(rec, tz, talk)
    return None


# --- the clock that can be wrong ---------------------------------------------------------------


def _last_event(store: Store, tz: tzinfo) -> datetime | None:
    raw = store.meta(LAST_EVENT)
    try:
        return parse_iso(str(raw), tz) if raw else None
    except ValueError:
        return None


def _clock_problem_at(store: Store, now: datetime) -> str | None:
    last = _last_event(store, now.tzinfo or timezone.utc)
    if last is None or now >= last:
        return None
    return (f"the clock says {now:%Y-%m-%d %H:%M} but Tandem last saw {last:%Y-%m-%d %H:%M}: it went back "
            "(power cut without network?); reminders are held until the time is right "
            "(if that stored time is wrong, run 'tandem reminders resume')")


def clock_problem(store: Store, clock: Clock) -> str | None:
    """One line for doctor and the log when the clock is earlier than the last stored event."""
    return _clock_problem_at(store, clock.now())


def note_time(store: Store, now: datetime) -> None:
    """Remember the latest moment seen (at most once a minute: it is a disk write)."""
    last = _last_event(store, now.tzinfo or timezone.utc)
    if last is None or (now - last).total_seconds() >= NOTE_EVERY_S:
        store.set_meta(LAST_EVENT, isoformat(now))


def resume(store: Store, now: datetime) -> None:
    """Trust the clock again (the stored last event was itself wrong)."""
    store.set_meta(LAST_EVENT, isoformat(now))
    store.set_meta(HELD, False)


def _held(ctx: Context, now: datetime) -> bool:
    problem = _clock_problem_at(ctx.store, now)
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


# --- speaking ---------------------------------------------------------------------------------


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
    if _clock_problem_at(ctx.store, now):
        return _last_event(ctx.store, tz)  # the time is plausible again from then on
    dues = plan(_records(ctx), ctx.settings.reminders, tz, now, _first_run(ctx))
    return min(d.when for d in dues) if dues else None


def speak_due(ctx: Context) -> None:
    """Speak at most the one due reminder (only when idle); settle the others that are due."""
    if ctx.in_exercise:
        return  # the loop calls again once the exercise has ended
    tz = ctx.profile.tz
    now = ctx.clock.now().astimezone(tz)
    if _held(ctx, now):
        return
    recs = _records(ctx)
    s = ctx.settings.reminders
    due = sorted((d for d in plan(recs, s, tz, now, _first_run(ctx)) if d.when <= now),
                 key=lambda d: (_RANK[d.action], _priority(d.kind), d.when))
    for item in due:
        rec = ctx.store.get(TABLE, item.kind)
        if rec is None or not rec["enabled"]:
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


def _priority(kind: str) -> int:
    return PRIORITY.index(kind) if kind in PRIORITY else len(PRIORITY)


def _skip_reason(ctx: Context, rec: dict[str, Any], recs: list[dict[str, Any]], item: Due, now: datetime) -> str | None:
    tz = ctx.profile.tz
    if item.action != "reoffer" and ctx.store.meta(SAID_ON) == now.date().isoformat():
        return "one reminder a day"  # the announcement and its re-offers are that day's one reminder
    if item.action == "heads_up":
        return None
    if _gives_way(rec, recs, tz, item.occurrence):
        return "trust talk that day"
    if _done(ctx.store, rec, tz, [item.occurrence, now]):
        return "already done"
    return None


def _done(store: Store, rec: dict[str, Any], tz: tzinfo, refs: list[datetime]) -> bool:
    """Was the reminder's exercise completed that day (that week, for a weekly reminder)?"""
    exercise = rec.get("exercise")
    if not exercise:
        return False
    weekly = sw.parts(rec["rule"]).get("FREQ") == "WEEKLY"

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


def _push(lst: list[str], value: str) -> list[str]:
    return ([v for v in lst if v != value] + [value])[-LEDGER_KEEP:]


def _skip(ctx: Context, rec: dict[str, Any], item: Due, reason: str) -> None:
    occ = isoformat(item.occurrence)

    def change(r: dict[str, Any]) -> None:
        if item.action == "heads_up":
            r["heads_up"] = _push(r.get("heads_up", []), occ)
        elif item.action == "reoffer":
            r["offer"] = None
        else:
            r["skipped"] = _push(r.get("skipped", []), occ)
        if reason == "already done":
            r["streak"] = 0  # they did it without being asked: nothing to worry about

    ctx.store.modify(TABLE, rec["kind"], change)
    log.info("reminder %s %s skipped: %s", rec["kind"], occ, reason)
    ctx.events.emit(ReminderEvent(kind=rec["kind"], phase="skipped", occurrence=occ))


def _fields(ctx: Context, rec: dict[str, Any], occ: datetime) -> dict[str, str]:
    tz = ctx.profile.tz
    s = ctx.settings.reminders
    words = _ctx_wordings(ctx)
    local = occ.astimezone(tz)
    snooze = "an hour" if s.snooze_minutes == 60 else (
        f"{s.snooze_minutes // 60} hours" if s.snooze_minutes % 60 == 0 else f"{s.snooze_minutes} minutes")
    return {
        "a": ctx.profile.partners[0], "b": ctx.profile.partners[1], "label": label(rec["kind"], words, rec),
        "occasion": sw.occasion(rec["rule"]) or "", "day": f"{local:%A}", "time": sw.say_time(f"{local:%H:%M}"),
        "when": spoken_when(local, tz), "snooze": snooze, "schedule": sw.describe(rec["rule"], rec["time"]),
        "example": sw.EXAMPLES[0],
    }


def _pick(options: list[str], fields: dict[str, str], seed: str, last: int = -1) -> tuple[int, str]:
    """A wording, never the one used last time; deterministic per occurrence (reproducible tests)."""
    usable = [i for i, t in enumerate(options) if fields.get("occasion") or "{occasion}" not in t]
    choices = [i for i in usable if i != last] or usable
    index = random.Random(seed).choice(choices)
    return index, options[index].format(**fields)


def _kind_wordings(words: dict[str, Any], kind: str) -> dict[str, Any]:
    return words["kinds"].get(kind) or words["kinds"]["custom"]


def _heads_up(ctx: Context, rec: dict[str, Any], item: Due, now: datetime) -> None:
    occ = isoformat(item.occurrence)
    ctx.store.modify(TABLE, rec["kind"], lambda r: r.update(heads_up=_push(r.get("heads_up", []), occ)))
    ctx.store.set_meta(SAID_ON, now.date().isoformat())
    options = _kind_wordings(_ctx_wordings(ctx), rec["kind"]).get("heads_up") or []
    if not options:
        return
    _, text = _pick(options, _fields(ctx, rec, item.occurrence), "heads-up" + occ)
    ctx.events.emit(ReminderEvent(kind=rec["kind"], phase="heads_up", occurrence=occ))
    ctx.say(text)


def _offer(ctx: Context, rec: dict[str, Any], item: Due, now: datetime) -> None:
    s = ctx.settings.reminders
    words = _ctx_wordings(ctx)
    kind, occ = rec["kind"], isoformat(item.occurrence)
    fields = _fields(ctx, rec, item.occurrence)
    first = item.action == "offer"
    count = 1 if first else int(rec["offer"]["offers"]) + 1
    again = isoformat(now + timedelta(minutes=s.snooze_minutes))
    kw = _kind_wordings(words, kind)
    if first:
        late = now.date() != item.occurrence.astimezone(ctx.profile.tz).date()
        options = kw["said_only"] if not rec.get("exercise") and kw.get("said_only") else (kw.get("late") if late else None) or kw["due"]
        index, text = _pick(options, fields, kind + occ, int(rec.get("last_wording", -1)))
    else:
        index, text = _pick(words["reoffer"], fields, f"{kind}{occ}{count}")  # index unused: re-offers vary by count

    # Written before a word is said: if the power goes mid-sentence, the occurrence is still spoken once.
    def record(r: dict[str, Any]) -> None:
        if first:
            r["spoken"] = _push(r.get("spoken", []), occ)
            r["last_wording"] = index
        r["offer"] = {"occurrence": occ, "offers": count, "again": again, "day": now.date().isoformat()}

    ctx.store.modify(TABLE, kind, record)
    if first:
        ctx.store.set_meta(SAID_ON, now.date().isoformat())
        ctx.events.emit(ReminderEvent(kind=kind, phase="due", occurrence=occ))
        if should_ask_about(ctx.store, kind) and ask_about(ctx, kind) != "kept":
            ctx.store.modify(TABLE, kind, lambda r: r.update(offer=None))
            return
    ctx.events.emit(ReminderEvent(kind=kind, phase="said", occurrence=occ))
    if not rec.get("exercise"):  # a custom reminder with nothing to start is only said
        ctx.say(text)
        ctx.store.modify(TABLE, kind, lambda r: r.update(offer=None))
        return
    answer = ctx.ask_yes_no(text)
    if answer.intent == "confirm.yes":
        _finish(ctx, rec, item.occurrence, "accepted", declined=False)
        ctx.start_exercise(str(rec["exercise"]))
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
    ctx.store.modify(TABLE, kind, lambda r: r["offer"] and r["offer"].update(again=later))
    ctx.events.emit(ReminderEvent(kind=kind, phase="snoozed", occurrence=occ))
    if declined:
        ctx.say(_pick(words["snoozed"], fields, occ + "snooze" + str(count))[1])
    elif not answer.silent:
        ctx.say(reply(ctx, "questions.reminder_later", label=fields["label"], snooze=fields["snooze"]))


def _finish(ctx: Context, rec: dict[str, Any], occurrence: datetime, outcome: str, *, declined: bool) -> None:
    """The occurrence is over: accepted (streak back to 0) or let go (one more in the streak)."""
    occ = isoformat(occurrence)

    def change(r: dict[str, Any]) -> None:
        r["offer"] = None
        r["streak"] = 0 if outcome == "accepted" else int(r.get("streak", 0)) + 1

    ctx.store.modify(TABLE, rec["kind"], change)
    ctx.events.emit(ReminderEvent(kind=rec["kind"], phase=outcome, occurrence=occ))
    if outcome == "let_go" and declined:
        words = _ctx_wordings(ctx)
        ctx.say(_pick(words["let_go"], _fields(ctx, rec, occurrence), occ + "let go")[1])


def ask_about(ctx: Context, kind: str) -> str:
    """Keep, move or stop a reminder that keeps being declined. Returns kept | stopped | moved | silent.

    Called by speak_due before the next announcement of that reminder (the
    "next exercise" of the issue, done when idle); the dialogue may also call
    it at the start of an exercise when ``should_ask_about`` is true.
    """
    rec = ctx.store.get(TABLE, kind)
    if rec is None:
        return "silent"
    words = _ctx_wordings(ctx)
    fields = _fields(ctx, rec, ctx.clock.now())
    answer = ctx.ask_yes_no(words["ask_keep"].format(**fields))
    if answer.intent == "confirm.yes":
        ctx.store.modify(TABLE, kind, lambda r: r.update(streak=0))
        ctx.say(words["kept"].format(**fields))
        return "kept"
    if answer.silent or answer.command:  # a command said instead: ask again another time
        return "silent"
    answer = ctx.ask_yes_no(words["ask_stop"].format(**fields))
    if answer.intent == "confirm.yes":
        turn_off(ctx.store, kind)
        ctx.say(words["stopped"].format(**fields))
        return "stopped"
    ctx.store.modify(TABLE, kind, lambda r: r.update(streak=0))
    ctx.say(words["move_hint"].format(**fields))
    return "moved"


# --- answering the couple ------------------------------------------------------------------------


def next_occurrence_text(ctx: Context) -> str | None:
    """"Sunday, December 6th at 7 pm" for the next trust talk; None when it is off."""
    tz = ctx.profile.tz
    recs = _records(ctx)
    rec = next((r for r in recs if r["kind"] == "trusttalk" and r["enabled"]), None)
    if rec is None:
        return None
    occ = next_effective(rec, recs, tz, ctx.clock.now().astimezone(tz) - timedelta(seconds=1))
    return spoken_when(occ, tz) if occ else None


def listing(recs: list[dict[str, Any]], tz: tzinfo, now: datetime) -> list[tuple[dict[str, Any], datetime | None]]:
    """Each reminder with its next announced occurrence (None when off)."""
    return [(r, next_effective(r, recs, tz, now) if r["enabled"] else None) for r in recs]


def handle_list(ctx: Context, utterance: Utterance) -> None:
    tz = ctx.profile.tz
    words = _ctx_wordings(ctx)
    now = ctx.clock.now().astimezone(tz)
    lines = [words["next_one"].format(label=label(r["kind"], words, r), when=spoken_when(n, tz))
             for r, n in listing(_records(ctx), tz, now - timedelta(seconds=1)) if n is not None]
    ctx.say(" ".join(lines) if lines else words["none_on"].format(example=sw.EXAMPLES[0]))


STOP_WORDS = re.compile(r"\b(stop|no more|turn off|switch off|cancel|disable|don ?t remind|do not remind)\b")


def handle_set(ctx: Context, utterance: Utterance) -> None:
    words = _ctx_wordings(ctx)
    tz = ctx.profile.tz
    now = ctx.clock.now().astimezone(tz)
    _records(ctx)
    kind_text = utterance.slots.get("kind", "") or ""
    schedule_text = utterance.slots.get("text", "") or ""
    kind = kind_for_words(kind_text, words) if kind_text else kind_for_words(f"{schedule_text} {utterance.text}", words)
    exercise: str | None = None
    label_words: str | None = None
    if kind is None and kind_text:
        kind, exercise, label_words = custom_kind(kind_text, words)
    if not kind:
        ctx.say(words["which_kind"].format(example=sw.EXAMPLES[0]))
        return
    rec = ctx.store.get(TABLE, kind)
    name = label(kind, words, rec or {"label": label_words})
    if STOP_WORDS.search(_norm(f"{utterance.text} {schedule_text}")):
        if rec is None or not rec["enabled"]:
            ctx.say(words["already_off"].format(label=name))
            return
        turn_off(ctx.store, kind)
        ctx.say(words["turned_off"].format(label=name))
        return
    # the kind slot may have swallowed schedule words ("trust talk on fridays"): keep what is not the kind
    spoken = schedule_text if label_words else _strip_kind(f"{kind_text} {schedule_text or ('' if kind_text else utterance.text)}", words)
    if not spoken.strip():
        if rec is not None:  # "remind us about gratitude again": back on with its last schedule
            turn_on(ctx.store, kind, now)
            rec = ctx.store.get(TABLE, kind) or rec
            ctx.say(words["kept"].format(schedule=sw.describe(rec["rule"], rec["time"]), label=name))
        else:
            ctx.say(words["which_kind"].format(example=sw.EXAMPLES[0]))
        return
    try:
        schedule = sw.parse(spoken)
    except sw.ScheduleError as exc:
        ctx.say(str(exc))
        return
    at = schedule.time or (rec["time"] if rec else "19:00")
    answer = ctx.ask_yes_no(words["confirm_set"].format(label=name, schedule=sw.describe(schedule.rule, at)))
    if answer.intent != "confirm.yes":
        ctx.say(words["nothing_changed"])
        return
    rec = set_schedule(ctx.store, kind, schedule, now, exercise=exercise, label_words=label_words)
    nxt = next_effective(rec, records(ctx.store), tz, now)
    ctx.say(words["was_set"].format(label=name, when=spoken_when(nxt, tz) if nxt else "not yet planned"))


def _strip_kind(text: str, words: dict[str, Any]) -> str:
    """Schedule words without the kind's own words ("trust talk on the last friday..." -> "on the last friday...")."""
    clean = " " + text.lower().replace("-", " ") + " "
    phrases = [p for group in list(words["kind_words"].values()) + list(words.get("exercise_words", {}).values()) for p in group]
    for p in sorted(phrases, key=len, reverse=True):
        clean = re.sub(rf"\b{re.escape(p)}\b", " ", clean)
    return " ".join(re.sub(r"\b(remind us|remind me|about|to do)\b", " ", clean).split())


HANDLERS: dict[str, Handler] = {"reminder.list": handle_list, "reminder.set": handle_set}


def export_records(store: Store, tz: tzinfo, now: datetime) -> list[dict[str, Any]]:
    """The reminders section of ``tandem export``, with "next" computed now."""
    recs = records(store)
    return [{**r, "next": isoformat(n) if n else None} for r, n in listing(recs, tz, now)]


__all__ = [
    "DEFAULTS", "Due", "HANDLERS", "ask_about", "clock_problem", "export_records", "install_defaults", "kind_for_words",
    "next_occurrence_text", "next_wakeup", "occurrences", "plan", "records", "resume", "set_schedule", "should_ask_about",
    "speak_due", "turn_off", "turn_on",
]
