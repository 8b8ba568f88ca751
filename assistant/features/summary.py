""" "How are we doing?": a few numbers, said warmly and briefly.

Only counts are spoken (no one's words), so the summary is allowed in privacy
mode. The next trust talk comes from ``reminders.next_occurrence_text`` when
that module is present; otherwise the sentence is left out.

What Tandem says is in ``scripts/replies/summary.yaml`` (see ``assistant/replies.py``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from random import Random
from typing import Any

from ..clock import Clock
from ..conversation import Utterance
from ..handlers import Context
from ..replies import Replies, replies_for, shipped
from ..store import Store


@dataclass(frozen=True)
class Summary:
    streak_days: int
    exercises_this_month: int
    kept: int
    missed: int
    goals_reached: int


def _day(stamp: str, tz: tzinfo) -> date:
    return datetime.fromisoformat(stamp).astimezone(tz).date()


def gratitude_streak(store: Store, clock: Clock) -> int:
    """Consecutive days with a gratitude entry, ending today (or yesterday, if today's is still to come)."""
    days = {_day(g["at"], clock.tz) for g in store.all("gratitude") if g.get("at")}
    today = clock.now().date()
    day = today if today in days else today - timedelta(days=1)
    streak = 0
    while day in days:
        streak += 1
        day -= timedelta(days=1)
    return streak


def exercises_done(sessions: list[dict[str, Any]], tz: tzinfo, year: int, month: int) -> int:
    """Sessions of that month that got to their end (a stopped one still happened; an unfinished one did not)."""
    count = 0
    for s in sessions:
        if not s.get("started") or s.get("end_reason") not in ("completed", "stopped"):
            continue
        day = _day(s["started"], tz)
        count += (day.year, day.month) == (year, month)
    return count


def compute(store: Store, clock: Clock) -> Summary:
    now = clock.now()
    promises = store.all("promises")
    return Summary(
        streak_days=gratitude_streak(store, clock),
        exercises_this_month=exercises_done(store.all("sessions"), clock.tz, now.year, now.month),
        kept=sum(p.get("status") == "kept" for p in promises),
        missed=sum(p.get("status") == "missed" for p in promises),
        goals_reached=sum(g.get("status") == "reached" for g in store.all("goals")),
    )


def next_talk(ctx: Context) -> str | None:
    """The next trust talk's words, if the reminders feature is installed and knows one."""
    try:
        module = importlib.import_module("assistant.features.reminders")
    except ImportError:
        return None
    fn: Callable[[Context], str | None] | None = getattr(module, "next_occurrence_text", None)
    if fn is None:
        return None
    try:
        return fn(ctx)
    except Exception:  # noqa: BLE001 - a summary without the date beats no summary
        return None


def sentences(s: Summary, talk: str | None, replies: Replies | None = None, rng: Random | None = None) -> list[str]:
    words = replies or shipped()
    out = []
    if s.streak_days:
        out.append(words.say("summary.streak", rng, count=s.streak_days))
    else:
        out.append(words.say("summary.no_streak", rng))
    if s.exercises_this_month:
        out.append(words.say("summary.exercises", rng, count=s.exercises_this_month))
    else:
        out.append(words.say("summary.no_exercises", rng))
    if s.kept or s.missed:
        out.append(words.say("summary.promises_kept", rng, kept=s.kept, missed=s.missed, total=s.kept + s.missed))
    if s.goals_reached:
        out.append(words.say("summary.goals_reached", rng, count=s.goals_reached))
    if talk:
        out.append(words.say("summary.next_talk", rng, when=talk))
    return out


def handle_summary(ctx: Context, utterance: Utterance) -> None:
    s = compute(ctx.store, ctx.clock)
    replies, rng = replies_for(ctx), getattr(ctx, "rng", None)
    ctx.say(" ".join([replies.say("summary.intro", rng), *sentences(s, next_talk(ctx), replies, rng)]))


HANDLERS = {"summary": handle_summary}
