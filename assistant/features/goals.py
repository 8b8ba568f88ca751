"""Shared goals: added with each partner's first step, reviewed with short check-ins.

Records are in the export shape
``{id, text, created, status, steps: [{partner, text}], checkins: [{at, note}]}``
plus ``reached`` (when it was marked reached, or null).

What Tandem says is in ``scripts/replies/goals.yaml`` (see ``assistant/replies.py``).
"""

from __future__ import annotations

from typing import Any

from ..clock import Clock, isoformat
from ..conversation import SURE_SCORE, Utterance
from ..handlers import Context
from ..replies import reply
from ..store import Store
from .capitals import capitalise
from .forget import remember

TABLE = "goals"
STOP_INTENTS = ("cancel", "ritual.stop")
# "I'm done" / "skip" / "not yet" in answer to "what's your first step?" means "nothing to add", not a step.
PASS_INTENTS = ("turn.done", "ritual.skip", "confirm.no", "answer.nothing")
DICTATION_TIMEOUT = 20.0


def add_goal(store: Store, clock: Clock, text: str, steps: list[dict], names: tuple[str, ...] = ()) -> dict[str, Any]:
    """``names``: the partners, written as configured wherever the words name them (and places, days: capitals.py)."""
    record: dict[str, Any] = {
        "text": capitalise(" ".join(text.split()), names=names),
        "created": isoformat(clock.now()),
        "status": "open",
        "steps": [{"partner": s["partner"], "text": capitalise(s["text"], names=(*names, s["partner"]))}
                  for s in steps],
        "checkins": [],
        "reached": None,
    }
    record["id"] = store.insert(TABLE, record)
    remember(store, TABLE, record["id"])
    return record


def open_goals(store: Store) -> list[dict[str, Any]]:
    """Open goals, oldest first."""
    return sorted((g for g in store.all(TABLE) if g.get("status") == "open"), key=lambda g: str(g.get("created", "")))


def add_step(store: Store, goal_id: str, partner: str, text: str) -> dict[str, Any] | None:
    step = {"partner": partner, "text": capitalise(text, said=text, names=(partner,))}
    return store.modify(TABLE, goal_id, lambda doc: doc.setdefault("steps", []).append(step))


def add_checkin(store: Store, clock: Clock, goal_id: str, note: str) -> dict[str, Any] | None:
    entry = {"at": isoformat(clock.now()), "note": capitalise(" ".join(note.split()), said=note)}
    return store.modify(TABLE, goal_id, lambda doc: doc.setdefault("checkins", []).append(entry))


def mark_reached(store: Store, clock: Clock, goal_id: str) -> dict[str, Any] | None:
    stamp = isoformat(clock.now())

    def change(doc: dict[str, Any]) -> None:
        doc["status"] = "reached"
        doc["reached"] = stamp

    return store.modify(TABLE, goal_id, change)


def listen_free(ctx: Context, timeout: float = DICTATION_TIMEOUT) -> str | None:
    """One stretch of free speech (a step, a check-in note); None on silence, "never mind", "pass",
    or a command said instead (``ctx.pending`` then holds it: the caller asks nothing more)."""
    heard = ctx.listen_answer(timeout)
    if heard.silent or heard.command or heard.intent in STOP_INTENTS:
        return None
    if heard.intent in PASS_INTENTS and heard.score >= SURE_SCORE:  # a guess at "pass" must not drop a real step
        return None
    return heard.text.strip() or None


def handle_add(ctx: Context, utterance: Utterance) -> None:
    text = (utterance.slots.get("text") or "").strip()
    if not text:
        ctx.say(reply(ctx, "goals.ask_goal"))
        text = listen_free(ctx) or ""
        if not text:
            ctx.say(reply(ctx, "goals.not_added"))
            return
    goal = add_goal(ctx.store, ctx.clock, capitalise(text, said=utterance.text), [], names=ctx.profile.partners)
    ctx.say(reply(ctx, "goals.added_private") if ctx.privacy else reply(ctx, "goals.added", goal=goal["text"]))
    for partner in ctx.profile.partners:
        ctx.say(reply(ctx, "goals.ask_step", partner=partner))
        step = listen_free(ctx)
        if ctx.pending is not None:
            return  # they moved on to something else: no more questions, the goal stays as it is
        if step:
            add_step(ctx.store, goal["id"], partner, step)
    ctx.say(reply(ctx, "goals.added_done"))


def handle_review(ctx: Context, utterance: Utterance) -> None:
    if ctx.privacy:
        ctx.say(reply(ctx, "goals.review_private"))
        return
    goals = open_goals(ctx.store)
    if not goals:
        ctx.say(reply(ctx, "goals.review_none"))
        return
    ctx.say(reply(ctx, "goals.review_count", count=len(goals)))
    for goal in goals:
        ctx.say(reply(ctx, "goals.review_goal", goal=capitalise(goal["text"], names=ctx.profile.partners)))
        heard = ctx.listen_answer(DICTATION_TIMEOUT)
        if heard.command:
            return  # a command said instead: it runs next
        if heard.intent in STOP_INTENTS:
            ctx.say(reply(ctx, "goals.review_later"))
            return
        if not heard.silent and heard.intent not in PASS_INTENTS:
            add_checkin(ctx.store, ctx.clock, goal["id"], heard.text)
        answer = ctx.ask_yes_no(reply(ctx, "goals.review_reached_ask"))
        if answer.command:
            return
        if answer.intent == "confirm.yes":
            mark_reached(ctx.store, ctx.clock, goal["id"])
            ctx.say(reply(ctx, "goals.review_reached", goal=capitalise(goal["text"], names=ctx.profile.partners)))
        elif answer.intent in STOP_INTENTS:
            ctx.say(reply(ctx, "goals.review_later"))
            return
    ctx.say(reply(ctx, "goals.review_done"))


HANDLERS = {"goal.add": handle_add, "goal.review": handle_review}
