"""Building a handler Context from fakes, for the feature tests (promises, goals, journal...)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from assistant.clock import FakeClock
from assistant.config import Settings
from assistant.conversation import Utterance
from assistant.events import ListSink
from assistant.handlers import Context
from assistant.profile import Profile
from assistant.store import Store

from .fakes import RecordingSpeaker, ScriptedListener


class FirstWording(random.Random):
    """A random source that always picks the first choice: replies say their first wording (the one tests assert)."""

    def choice(self, seq: Sequence[Any]) -> Any:
        return seq[0]


def make_ctx(store: Store, clock: FakeClock, profile: Profile, settings: Settings,
             *answers: str) -> tuple[Context, RecordingSpeaker, ScriptedListener]:
    listener = ScriptedListener(list(answers), clock)
    speaker = RecordingSpeaker()
    ctx = Context(listener=listener, speaker=speaker, clock=clock, store=store, profile=profile, events=ListSink(),
                  settings=settings)
    ctx.rng = FirstWording()  # type: ignore[attr-defined]  # read by assistant.replies.reply
    return ctx, speaker, listener


def said(intent: str, **slots: str) -> Utterance:
    return Utterance(text=f"!{intent}", intent=intent, slots=dict(slots), score=1.0)



def generate_year(store: Store, clock: FakeClock, seed: int = 7) -> dict[str, int]:
    """A believable year of history ending at the clock's now, in the export shapes: gratitude most
    evenings, a few exercises a month, promises kept and missed, goals with check-ins.

    Written in one transaction (a thousand single inserts would each rewrite the file). Returns counts.
    """
    import random
    from datetime import timedelta

    from assistant.clock import isoformat
    from assistant.store import new_id

    rng = random.Random(seed)
    end = clock.now()
    day = end - timedelta(days=365)
    tables: dict[str, list[dict]] = {"gratitude": [], "sessions": [], "promises": [], "goals": []}
    while day < end:
        evening = day.replace(hour=21, minute=rng.randrange(60))
        stamp = isoformat(evening)
        if rng.random() < 0.7:
            for who, other in (("Alex", "Sam"), ("Sam", "Alex"))[: rng.choice((1, 2, 2))]:
                tables["gratitude"].append({"id": new_id(), "from": who, "about": other, "at": stamp, "session": None,
                                            "text": rng.choice(["thanks for dinner", "for listening", "for the walk"])})
        if rng.random() < 0.12:
            tables["sessions"].append({
                "id": new_id(), "exercise": rng.choice(["gratitude", "checkin", "trusttalk", "listening"]),
                "started": stamp,
                "ended": isoformat(evening + timedelta(minutes=rng.randrange(8, 40))),
                "end_reason": rng.choice(["completed", "completed", "completed", "stopped", "unfinished"]),
                "turns": []})
        if rng.random() < 0.1:
            tables["promises"].append({
                "id": new_id(), "partner": rng.choice(["Alex", "Sam"]),
                "text": rng.choice(["call the plumber", "fix the bike"]),
                "made": stamp, "due": isoformat(evening + timedelta(days=2)), "due_words": "in two days",
                "status": rng.choice(["kept", "kept", "kept", "missed"]),
                "closed": isoformat(evening + timedelta(days=rng.randrange(1, 5))), "followups": []})
        if day.day == 15 and day.month % 4 == 0:
            tables["goals"].append({"id": new_id(),
                                    "text": rng.choice(["run a 5k", "save for japan", "learn to dance"]),
                                    "created": stamp, "status": "open", "reached": None, "checkins": [],
                                    "steps": [{"partner": "Alex", "text": "look it up"},
                                              {"partner": "Sam", "text": "ask a friend"}]})
        for goal in tables["goals"]:
            if goal["status"] == "open" and rng.random() < 0.03:
                goal["checkins"].append({"at": stamp, "note": "a little closer"})
                if len(goal["checkins"]) > 3 and rng.random() < 0.3:
                    goal.update(status="reached", reached=stamp)
        day += timedelta(days=1)
    tables["promises"].append({"id": new_id(), "partner": "Sam", "text": "book the dentist", "made": isoformat(end),
                               "due": None, "due_words": None, "status": "open", "closed": None, "followups": []})
    with store.transaction() as db:
        for name, docs in tables.items():
            db.table(name).insert_multiple(docs)
    return {name: len(docs) for name, docs in tables.items()}
