"""The gratitude journal: entries from the daily moment, and recalling them by period.

Records are in the export shape ``{id, from, about, text, at, session}``.

What Tandem says is in ``scripts/replies/journal.yaml`` (see ``assistant/replies.py``).
"""

from __future__ import annotations

from datetime import datetime
from random import Random
from typing import Any

from ..clock import Clock, isoformat
from ..conversation import Utterance
from ..handlers import Context
from ..replies import Replies, replies_for, reply, sentence, shipped
from ..store import Store
from .capitals import capitalise
from .forget import remember
from .time_words import Period, day_words, parse_period

TABLE = "gratitude"
DEFAULT_RECENT = 3  # "what did we appreciate" with no period
SPOKEN_MAX = 4  # entries read aloud at once: brief, not a recital


def add_gratitude(store: Store, clock: Clock, from_: str, about: str, text: str, session: str | None) -> dict[str, Any]:
    text = capitalise(" ".join(text.split()), said=text, names=(from_, about))
    record: dict[str, Any] = {"from": from_, "about": about, "text": text, "at": isoformat(clock.now()),
                              "session": session}
    record_id = store.insert(TABLE, record)
    record["id"] = record_id
    remember(store, TABLE, record_id)
    return record


def replace_transcript(store: Store, table: str, record_id: str, quick: str, better: str, field: str = "text") -> bool:
    """Put the better transcript of a dictated text in place of the quick one kept meanwhile.

    Only while the record still holds the quick text (``quick`` as stored): an
    entry forgotten or corrected in between is left as the couple left it.
    """
    record = store.get(table, record_id)
    if record is None or " ".join(str(record.get(field, "")).split()) != " ".join(quick.split()):
        return False
    text = " ".join(better.split())
    if table == TABLE:  # written as add_gratitude writes an entry
        text = capitalise(text, said=better, names=(str(record.get("from", "")), str(record.get("about", ""))))
    return store.update(table, record_id, {field: text})


def entries(store: Store) -> list[dict[str, Any]]:
    """All entries, oldest first."""
    return sorted(store.all(TABLE), key=lambda g: str(g.get("at", "")))


def in_period(store: Store, clock: Clock, period: Period) -> list[dict[str, Any]]:
    return [g for g in entries(store)
            if period.start <= datetime.fromisoformat(g["at"]).astimezone(clock.tz).date() <= period.end]


def spoken_entry(entry: dict[str, Any], now: datetime, with_day: bool,
                 replies: Replies | None = None, rng: Random | None = None) -> str:
    """ "Yesterday, Alex to Sam: thanks for cooking." """
    words = replies or shipped()
    text = capitalise(entry["text"], names=(entry["from"], entry["about"])).rstrip(".")
    line = words.say("journal.entry", rng, partner=entry["from"], other=entry["about"], text=text)
    if not with_day:
        return line
    day = day_words(datetime.fromisoformat(entry["at"]).astimezone(now.tzinfo).date(), now.date())
    day = day.split(",")[0] if "," in day else day  # "Friday, November 6th" -> keep it short
    return sentence(words.say("journal.entry_dated", rng, day=day, entry=line))


def _dated(period: Period) -> bool:
    """ "on Monday", "in March" (said as they are) rather than "last week" ("from last week")."""
    return period.name.startswith(("on ", "in "))


def handle_recall(ctx: Context, utterance: Utterance) -> None:
    if ctx.privacy:
        ctx.say(reply(ctx, "journal.private"))
        return
    now = ctx.clock.now()
    words = utterance.slots.get("period")
    period = parse_period(words, now)
    if period is None:
        found = entries(ctx.store)[-DEFAULT_RECENT:]
        if not found:
            ctx.say(reply(ctx, "journal.empty"))
            return
        intro = reply(ctx, "journal.latest_unsure") if words else reply(ctx, "journal.latest")
    else:
        found = in_period(ctx.store, ctx.clock, period)
        dated = _dated(period)
        if not found:
            key = "journal.period_empty_dated" if dated else "journal.period_empty"
            ctx.say(sentence(reply(ctx, key, period=period.name)))
            return
        intro = sentence(reply(ctx, "journal.period_dated" if dated else "journal.period", period=period.name))
    one_day = len({g["at"][:10] for g in found}) == 1 and period is not None
    replies, rng = replies_for(ctx), getattr(ctx, "rng", None)
    lines = [spoken_entry(g, now, with_day=not one_day, replies=replies, rng=rng) for g in found[-SPOKEN_MAX:]]
    more = len(found) - len(lines)
    if more > 0:
        lines.append(reply(ctx, "journal.more", count=more))
    ctx.say(" ".join([intro, *lines]))


HANDLERS = {"gratitude.recall": handle_recall}
