"""Correcting the record: ``forget.last`` and ``forget.item``.

Every log function of the features (promises, gratitude, goals, experiences)
calls ``remember`` so that "forget that" always means the last thing logged,
whether it came from an idle intent or from an exercise calling the feature.
Deleting always reads the entry back and waits for a yes: a misheard
"forget" must never cost a memory.

What Tandem says is in ``scripts/replies/forget.yaml`` (see ``assistant/replies.py``).
"""

from __future__ import annotations

from datetime import date, datetime
from random import Random
from typing import Any

from rapidfuzz import fuzz

from ..clock import Clock
from ..conversation import Utterance
from ..handlers import Context
from ..replies import Replies, replies_for, reply, shipped
from ..store import Store
from .feature_words import ENTRY_TABLES as TABLES
from .feature_words import STOP, item_reference, promised

LAST_KEY = "last_logged"
MATCH_AT = 80


def remember(store: Store, table: str, record_id: str) -> None:
    """Point "forget that" at this record."""
    store.set_meta(LAST_KEY, {"table": table, "id": record_id})


def describe(table: str, record: dict[str, Any], replies: Replies | None = None, rng: Random | None = None) -> str:
    """An entry in a few spoken words: "Sam's promise to call the plumber"."""
    words = replies or shipped()
    text = str(record.get("text", ""))
    if table == "promises":
        return words.say("forget.describe_promises", rng, partner=record.get("partner", "your"), text=text,
                         promised=promised(text))
    if table == "gratitude":
        return words.say("forget.describe_gratitude", rng, partner=record.get("from", ""),
                         other=record.get("about", ""), text=text)
    if table == "goals":
        key = "forget.describe_goals_to" if text.startswith("to ") else "forget.describe_goals"
        return words.say(key, rng, text=text)
    if table == "experiences":
        return words.say("forget.describe_experiences", rng, text=text)
    return words.say("forget.describe_other", rng)


def _describe(ctx: Context, table: str, record: dict[str, Any]) -> str:
    return describe(table, record, replies_for(ctx), getattr(ctx, "rng", None))


def _when(table: str, record: dict[str, Any]) -> str | None:
    key = {"promises": "made", "gratitude": "at", "goals": "created", "experiences": "done"}[table]
    return record.get(key) or record.get("suggested")


# --- forget.last --------------------------------------------------------------------------


def last_logged(store: Store) -> tuple[str, dict[str, Any]] | None:
    pointer = store.meta(LAST_KEY)
    if not isinstance(pointer, dict) or pointer.get("table") not in TABLES:
        return None
    record = store.get(pointer["table"], str(pointer.get("id")))
    return None if record is None else (pointer["table"], record)


def handle_forget_last(ctx: Context, utterance: Utterance) -> None:
    found = last_logged(ctx.store)
    if found is None:
        ctx.say(reply(ctx, "forget.nothing_recent"))
        return
    table, record = found
    what = reply(ctx, f"forget.last_{table}") if ctx.privacy else _describe(ctx, table, record)
    _confirm_and_remove(ctx, table, record, what)


def _confirm_and_remove(ctx: Context, table: str, record: dict[str, Any], what: str) -> bool:
    answer = ctx.ask_yes_no(reply(ctx, "forget.confirm", what=what))
    if answer.intent != "confirm.yes":
        ctx.say(reply(ctx, "forget.kept"))
        return False
    _remove(ctx, table, record)
    return True


def _remove(ctx: Context, table: str, record: dict[str, Any]) -> None:
    ctx.store.remove(table, record["id"])
    pointer = ctx.store.meta(LAST_KEY)
    if isinstance(pointer, dict) and pointer.get("id") == record["id"]:
        ctx.store.set_meta(LAST_KEY, None)  # "forget that" must not point at a ghost
    ctx.say(reply(ctx, "forget.forgotten"))


# --- forget.item --------------------------------------------------------------------------


def _text_of(table: str, record: dict[str, Any]) -> str:
    parts = [str(record.get("text", ""))]
    if table == "gratitude":
        parts += [str(record.get("from", "")), str(record.get("about", ""))]
    if table == "promises":
        parts.append(str(record.get("partner", "")))
    return " ".join(parts).lower()


def word_score(query: str, target: str) -> float:
    """How well every query word is found among the target's words (0-100)."""
    q = [w for w in query.split() if w not in STOP]
    t = target.split()
    if not q or not t:
        return 0.0
    return sum(max(fuzz.ratio(w, x) for x in t) for w in q) / len(q)


def find_items(store: Store, clock: Clock, words: str, heard: str = "") -> list[tuple[str, dict[str, Any]]]:
    """Entries matching the words, best first (newest first among equals).

    ``heard`` is the whole utterance, which may name the kind of entry the words leave out
    (``feature_words.item_reference``).
    """
    query = item_reference(words, clock.now(), heard)
    scored: list[tuple[float, str, str, dict[str, Any]]] = []
    for table in query.tables:
        for record in store.all(table):
            stamp = _when(table, record) or ""
            if query.day is not None and (not stamp or _day(stamp, clock) != query.day):
                continue
            score = word_score(query.words, _text_of(table, record)) if query.words else 100.0
            if score >= MATCH_AT:
                scored.append((score, stamp, table, record))
    if not query.words and query.day is None:
        return []  # "forget the promise" alone names nothing
    scored.sort(key=lambda s: (-s[0], _neg(s[1])))
    best = scored[0][0] if scored else 0
    return [(t, r) for score, _, t, r in scored if score >= best - 8]


def _day(stamp: str, clock: Clock) -> date:
    return datetime.fromisoformat(stamp).astimezone(clock.tz).date()


def _neg(stamp: str) -> str:
    # newest first: invert the sortable ISO string
    return "".join(chr(0x10FFFF - ord(c)) for c in stamp)


def handle_forget_item(ctx: Context, utterance: Utterance) -> None:
    words = (utterance.slots.get("text") or "").strip()
    if ctx.privacy:
        ctx.say(reply(ctx, "forget.item_private"))
        return
    matches = find_items(ctx.store, ctx.clock, words, utterance.text) if words else []
    if not matches:
        ctx.say(reply(ctx, "forget.item_not_found"))
        return
    if len(matches) > 1:
        ctx.say(reply(ctx, "forget.item_count", count=len(matches)))
    for table, record in matches[:3]:
        answer = ctx.ask_yes_no(reply(ctx, "forget.confirm", what=_describe(ctx, table, record)))
        if answer.intent == "confirm.yes":
            _remove(ctx, table, record)
            return
        if answer.intent != "confirm.no":
            break  # silence, cancel or stop: leave everything as it was
    ctx.say(reply(ctx, "forget.item_none_deleted"))


HANDLERS = {"forget.last": handle_forget_last, "forget.item": handle_forget_item}
