"""Session records (``sessions`` table, shape in docs/export-format.md).

A session is inserted the moment an exercise starts, as ``unfinished`` with
``ended`` null, so a run killed half-way is found as unfinished rather than
missing; each turn is appended as it ends; the end updates the reason.
A paused session keeps ``resume``: where to pick up and the facts so far.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from ..clock import Clock, isoformat, parse_iso
from ..profile import Profile
from ..store import Store

TABLE = "sessions"
LAST_FIRST = "ritual.last_first"  # meta key: who went first last time


def begin(store: Store, clock: Clock, exercise: str, first: str) -> dict[str, Any]:
    record: dict[str, Any] = {"exercise": exercise, "started": isoformat(clock.now()), "ended": None,
                              "end_reason": "unfinished", "turns": [], "first": first}
    record["id"] = store.insert(TABLE, record)
    store.set_meta(LAST_FIRST, first)
    return record


def add_turn(store: Store, session_id: str, turn: dict[str, Any]) -> int:
    """Append a turn; returns its index (for a transcript kept later)."""
    index = [0]

    def change(doc: dict[str, Any]) -> None:
        doc.setdefault("turns", []).append(turn)
        index[0] = len(doc["turns"]) - 1

    store.modify(TABLE, session_id, change)
    return index[0]


def set_transcripts(store: Store, session_id: str, texts: dict[int, str]) -> None:
    def change(doc: dict[str, Any]) -> None:
        for i, text in texts.items():
            if 0 <= i < len(doc.get("turns", [])):
                doc["turns"][i]["transcript"] = text

    if texts:
        store.modify(TABLE, session_id, change)


def finish(store: Store, clock: Clock, session_id: str, reason: str, extra: dict[str, Any] | None = None) -> None:
    def change(doc: dict[str, Any]) -> None:
        doc["ended"] = isoformat(clock.now())
        doc["end_reason"] = reason
        if "resume" in doc:
            doc["resume"] = None  # TinyDB updates merge: a key cannot be dropped here
        doc.update(extra or {})

    store.modify(TABLE, session_id, change)


def mark_paused(store: Store, clock: Clock, session_id: str, resume: dict[str, Any]) -> None:
    store.update(TABLE, session_id, {"end_reason": "paused", "paused_at": isoformat(clock.now()), "resume": resume})


def mark_running(store: Store, session_id: str) -> None:
    store.update(TABLE, session_id, {"end_reason": "unfinished"})


def paused(store: Store) -> list[dict[str, Any]]:
    """Paused sessions, most recently paused first."""
    found = [s for s in store.find(TABLE, end_reason="paused") if s.get("paused_at")]
    return sorted(found, key=lambda s: s["paused_at"], reverse=True)


def expired(record: dict[str, Any], clock: Clock, limit_minutes: float) -> bool:
    when = parse_iso(record["paused_at"], clock.tz)
    return clock.now() - when > timedelta(minutes=limit_minutes)


def next_first(store: Store, profile: Profile) -> str:
    """Who goes first: alternates between sessions; the first ever is the partner named first."""
    last = store.meta(LAST_FIRST)
    if last not in profile.partners:
        return profile.first
    return profile.other(last)


def completed_count(store: Store, exercise: str) -> int:
    return len(store.find(TABLE, exercise=exercise, end_reason="completed"))
