"""Promises: voice-logged, listed, identified by fuzzy text, and followed up once, kindly.

Records are stored exactly in the export shape (``shared/docs/export-format.md``):
``{id, partner, text, made, due, due_words, status, closed, followups}``.

Follow-up never nags: at most one question per promise per calendar day (in
the couple's time zone), recorded in the promise's ``followups`` list before
the question is asked, so a silence counts too; never while privacy mode is on.
A "no" is met with more time or letting go — a lapse is never announced.

What Tandem says is in ``scripts/replies/promises.yaml`` (see ``assistant/replies.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from random import Random
from typing import Any

from ..clock import Clock, isoformat
from ..conversation import Utterance
from ..handlers import Context
from ..replies import Replies, replies_for, reply, shipped
from ..store import Store
from .capitals import capitalise
from .feature_words import named_partner, promise_reference, promised, stored
from .forget import remember, word_score
from .time_words import END_OF_DAY, day_words, describe_due_record, parse_due

TABLE = "promises"
STATUSES = ("kept", "missed", "released")
CHUNK = 3  # promises read aloud before "shall I go on?"
MATCH_AT = 80.0  # word_score needed to count as "that promise"
AMBIGUOUS_WITHIN = 8.0  # two candidates this close are both asked about
MORE_TIME_DAYS = 3


# --- the core: plain functions the exercises call too -------------------------------------


def log_promise(store: Store, clock: Clock, partner: str, text: str, due_words: str | None) -> dict[str, Any]:
    """Keep a promise in its own words (feature_words.stored: "not be late"), from a request or a whole turn."""
    now = clock.now()
    due = parse_due(due_words, now, clock.tz)
    record: dict[str, Any] = {
        "partner": partner,
        "text": capitalise(stored(text), names=(partner,)),
        "made": isoformat(now),
        "due": isoformat(due.when) if due.when else None,
        "due_words": due.words,
        "status": "open",
        "closed": None,
        "followups": [],
    }
    record_id = store.insert(TABLE, record)
    record["id"] = record_id
    remember(store, TABLE, record_id)
    return record


def open_promises(store: Store) -> list[dict[str, Any]]:
    """Open promises, oldest first."""
    return sorted((p for p in store.all(TABLE) if p.get("status") == "open"), key=lambda p: str(p.get("made", "")))


def mark(store: Store, clock: Clock, promise_id: str, status: str) -> dict[str, Any] | None:
    if status not in STATUSES:
        raise ValueError(f"a promise can be marked {', '.join(STATUSES)}, not {status!r}")
    closed = isoformat(clock.now())

    def change(doc: dict[str, Any]) -> None:
        doc["status"] = status
        doc["closed"] = closed

    return store.modify(TABLE, promise_id, change)


def is_overdue(promise: dict[str, Any], now: datetime) -> bool:
    due = promise.get("due")
    return bool(due) and promise.get("status") == "open" and datetime.fromisoformat(str(due)) < now


def spoken(promise: dict[str, Any], now: datetime, with_due: bool = True,
           replies: Replies | None = None, rng: Random | None = None) -> str:
    """ "Sam promises to call the plumber by Friday", "Sam promises not to be late on Friday"
    (or "..., overdue since Monday")."""
    words = replies or shipped()
    head = words.say("promises.promise", rng, **_fields(promise))
    if not with_due:
        return head
    if is_overdue(promise, now):
        day = day_words(_due(promise, now).date(), now.date())
        return words.say("promises.promise_overdue", rng, promise=head, day=day)
    when = describe_due_record(promise.get("due"), promise.get("due_words"), now)
    return words.say("promises.promise_due", rng, promise=head, due=when).strip() if when else head


def _fields(promise: dict[str, Any]) -> dict[str, str]:
    """A promise's reply fields: who, its words as kept, and what follows "promises" ("not to be late")."""
    text = capitalise(promise["text"], names=(promise["partner"],))
    return {"partner": promise["partner"], "text": text, "promised": promised(text)}


def _due(promise: dict[str, Any], now: datetime) -> datetime:
    return datetime.fromisoformat(promise["due"]).astimezone(now.tzinfo)


@dataclass(frozen=True)
class Match:
    promise: dict[str, Any]
    score: float


def find_promise(promises: list[dict[str, Any]], words: str, partner: str | None = None) -> list[Match]:
    """The promises the words could mean, best first; more than one means "ask which"."""
    # A named partner narrows the search, unless it leaves nothing (then the name was probably misheard).
    pool = [p for p in promises if not partner or p.get("partner") == partner] or promises
    query = promise_reference(words)
    scored = sorted((Match(p, word_score(query, p["text"].lower())) for p in pool), key=lambda m: -m.score)
    scored = [m for m in scored if m.score >= MATCH_AT]
    if not scored:
        return []
    return [m for m in scored if m.score >= scored[0].score - AMBIGUOUS_WITHIN]


def due_for_follow_up(store: Store, clock: Clock) -> dict[str, Any] | None:
    """The oldest past-due open promise not yet asked about today."""
    now = clock.now()
    today = now.date()
    for promise in open_promises(store):
        if not is_overdue(promise, now):
            continue
        asked = [datetime.fromisoformat(f).astimezone(clock.tz).date() for f in promise.get("followups", [])]
        if today in asked:
            continue
        return promise
    return None


def record_follow_up(store: Store, clock: Clock, promise_id: str) -> None:
    stamp = isoformat(clock.now())
    store.modify(TABLE, promise_id, lambda doc: doc.setdefault("followups", []).append(stamp))


def extend(store: Store, clock: Clock, promise_id: str, days: int = MORE_TIME_DAYS) -> dict[str, Any] | None:
    new_due = datetime.combine(clock.now().date() + timedelta(days=days), END_OF_DAY, tzinfo=clock.tz)

    def change(doc: dict[str, Any]) -> None:
        doc["due"] = isoformat(new_due)

    return store.modify(TABLE, promise_id, change)


# --- talking about them -------------------------------------------------------------------


def _spoken(ctx: Context, promise: dict[str, Any]) -> str:
    return spoken(promise, ctx.clock.now(), replies=replies_for(ctx), rng=getattr(ctx, "rng", None))


def _promise_of(ctx: Context, promise: dict[str, Any]) -> str:
    return reply(ctx, "promises.promise_of", **_fields(promise))


def follow_up(ctx: Context) -> bool:
    """Ask about one past-due promise, once; True when a question was asked."""
    if ctx.privacy:
        return False
    promise = due_for_follow_up(ctx.store, ctx.clock)
    if promise is None:
        return False
    record_follow_up(ctx.store, ctx.clock, promise["id"])
    who = promise["partner"]
    answer = ctx.ask_yes_no(reply(ctx, "promises.follow_up", **_fields(promise)))
    if answer.intent == "confirm.yes":
        mark(ctx.store, ctx.clock, promise["id"], "kept")
        ctx.say(reply(ctx, "promises.follow_up_kept", partner=who))
    elif answer.intent == "confirm.no":
        more = ctx.ask_yes_no(reply(ctx, "promises.follow_up_more_time"))
        if more.intent == "confirm.yes":
            updated = extend(ctx.store, ctx.clock, promise["id"])
            when = describe_due_record(updated["due"] if updated else None, None, ctx.clock.now())
            ctx.say(reply(ctx, "promises.follow_up_extended", due=when) if when
                    else reply(ctx, "promises.follow_up_extended_open"))
        elif more.intent == "confirm.no":
            letgo = ctx.ask_yes_no(reply(ctx, "promises.follow_up_let_go"))
            if letgo.intent == "confirm.yes":
                mark(ctx.store, ctx.clock, promise["id"], "released")
                ctx.say(reply(ctx, "promises.follow_up_released"))
            else:
                ctx.say(reply(ctx, "promises.follow_up_kept_open"))
    return True


def handle_log(ctx: Context, utterance: Utterance) -> None:
    partner = utterance.slots.get("partner")
    if partner not in ctx.profile.partners:
        a, b = ctx.profile.partners
        partner = ctx.ask_partner(reply(ctx, "promises.log_who", a=a, b=b))
        if partner is None:
            ctx.say(reply(ctx, "promises.log_not_saved"))
            return
    # kept in its own words: its negation ("not to be late") and the capitals of names and places
    text = capitalise(stored(utterance.slots.get("text") or ""), said=utterance.text, names=ctx.profile.partners)
    if not text:
        ctx.say(reply(ctx, "promises.log_not_heard"))
        return
    record = log_promise(ctx.store, ctx.clock, partner, text, utterance.slots.get("due"))
    if ctx.privacy:
        ctx.say(reply(ctx, "promises.logged_private"))
        return
    ctx.say(reply(ctx, "promises.logged", promise=_spoken(ctx, record)))


def handle_list(ctx: Context, utterance: Utterance) -> None:
    if ctx.privacy:
        ctx.say(reply(ctx, "promises.list_private"))
        return
    partner = utterance.slots.get("partner")
    named = partner in ctx.profile.partners
    promises = [p for p in open_promises(ctx.store) if not named or p["partner"] == partner]
    count = len(promises)
    if not promises:
        ctx.say(reply(ctx, "promises.list_none_partner", partner=partner) if named
                else reply(ctx, "promises.list_none"))
        return
    ctx.say(reply(ctx, "promises.list_count_partner", partner=partner, count=count) if named
            else reply(ctx, "promises.list_count", count=count))
    for start in range(0, count, CHUNK):
        chunk = promises[start:start + CHUNK]
        ctx.say(" ".join(reply(ctx, "promises.list_item", promise=_spoken(ctx, p)) for p in chunk))
        left = count - start - len(chunk)
        if left <= 0:
            return
        if ctx.ask_yes_no(reply(ctx, "promises.list_more", count=left)).intent != "confirm.yes":
            ctx.say(reply(ctx, "promises.list_stop"))
            return


def _only_one_left(ctx: Context, candidates: list[dict[str, Any]], partner: str | None) -> dict[str, Any] | None:
    """No open promise fits the words heard: when only one could be meant, ask whether it is that one.

    The recogniser garbles a task's words far more often than a name ("the
    bloods" for *the plants*), so "couldn't find it" is the wrong answer when
    the partner (or the couple) has a single open promise. Not while guests
    are here: the question would read a promise aloud.
    """
    pool = [p for p in candidates if p.get("partner") == partner] if partner else candidates
    if len(pool) != 1 or ctx.privacy:
        ctx.say(reply(ctx, "promises.mark_not_found"))
        return None
    answer = ctx.ask_yes_no(reply(ctx, "promises.mark_did_you_mean", promise=_promise_of(ctx, pool[0])))
    if answer.intent == "confirm.yes":
        return pool[0]
    ctx.say(reply(ctx, "promises.mark_left_one"))
    return None


def _choose(ctx: Context, matches: list[Match]) -> dict[str, Any] | None:
    """Two or more promises fit: ask which, by partner when that tells them apart, else one by one."""
    partners = {m.promise["partner"] for m in matches}
    if len(matches) == 2 and len(partners) == 2:
        a, b = (m.promise for m in matches)
        name = ctx.ask_partner(reply(ctx, "promises.which_partner", this=_promise_of(ctx, a), that=_promise_of(ctx, b)))
        return next((m.promise for m in matches if m.promise["partner"] == name), None)
    ctx.say(reply(ctx, "promises.which_count", count=len(matches)))
    for m in matches[:3]:
        answer = ctx.ask_yes_no(reply(ctx, "promises.which_is_it", promise=_promise_of(ctx, m.promise)))
        if answer.intent == "confirm.yes":
            return m.promise
        if answer.intent != "confirm.no":
            return None
    return None


def _close(ctx: Context, utterance: Utterance, status: str) -> None:
    words = (utterance.slots.get("text") or "").strip()
    candidates = open_promises(ctx.store)
    if not candidates:
        ctx.say(reply(ctx, "promises.mark_none_open"))
        return
    matches = find_promise(candidates, words, utterance.slots.get("partner")) if words else []
    if not matches:
        partner = utterance.slots.get("partner") or named_partner(utterance.text, words, ctx.profile.partners)
        promise = _only_one_left(ctx, candidates, partner)
        if promise is None:
            return
        matches = [Match(promise, 0.0)]
    if len(matches) > 1 and ctx.privacy:
        ctx.say(reply(ctx, "promises.mark_ambiguous_private"))
        return
    promise = matches[0].promise if len(matches) == 1 else _choose(ctx, matches)
    if promise is None:
        ctx.say(reply(ctx, "promises.mark_left"))
        return
    mark(ctx.store, ctx.clock, promise["id"], status)
    what = reply(ctx, "promises.that_promise") if ctx.privacy else _promise_of(ctx, promise)
    key = "promises.marked_kept" if status == "kept" else "promises.marked_missed"
    ctx.say(reply(ctx, key, what=what, partner=promise["partner"]))


def handle_kept(ctx: Context, utterance: Utterance) -> None:
    _close(ctx, utterance, "kept")


def handle_missed(ctx: Context, utterance: Utterance) -> None:
    _close(ctx, utterance, "missed")


HANDLERS = {
    "promise.log": handle_log,
    "promise.list": handle_list,
    "promise.kept": handle_kept,
    "promise.missed": handle_missed,
}
