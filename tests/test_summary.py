"""The spoken summary: streak, exercises this month, promises kept vs missed, goals reached, next talk."""

from __future__ import annotations

import sys
import types
from datetime import datetime, timedelta

from assistant.features import goals, journal, promises, summary

from .conftest import LISBON
from .feature_ctx import make_ctx, said


def _session(store, started: datetime, reason: str) -> None:
    store.insert("sessions", {"exercise": "gratitude", "started": started.isoformat(timespec="seconds"),
                              "ended": None, "end_reason": reason, "turns": []})


def test_streak_counts_consecutive_days_up_to_yesterday_or_today(store, clock) -> None:
    now = clock.now()
    for back in (1, 2, 3, 5):
        clock.set(now - timedelta(days=back))
        journal.add_gratitude(store, clock, "Alex", "Sam", "x", None)
    clock.set(now)
    assert summary.gratitude_streak(store, clock) == 3  # today's still to come
    journal.add_gratitude(store, clock, "Sam", "Alex", "y", None)
    assert summary.gratitude_streak(store, clock) == 4
    clock.set(now + timedelta(days=2))
    assert summary.gratitude_streak(store, clock) == 0


def test_summary_speaks_the_numbers(store, clock, profile, settings, monkeypatch) -> None:
    journal.add_gratitude(store, clock, "Alex", "Sam", "x", None)
    _session(store, datetime(2026, 12, 1, 19, 0, tzinfo=LISBON), "completed")
    _session(store, datetime(2026, 12, 2, 19, 0, tzinfo=LISBON), "stopped")
    _session(store, datetime(2026, 12, 2, 20, 0, tzinfo=LISBON), "unfinished")
    _session(store, datetime(2026, 11, 30, 23, 30, tzinfo=LISBON), "completed")  # November in Lisbon
    for status in ("kept", "kept", "kept", "missed", "released"):
        p = promises.log_promise(store, clock, "Sam", "x", None)
        promises.mark(store, clock, p["id"], status)
    g = goals.add_goal(store, clock, "g", [])
    goals.mark_reached(store, clock, g["id"])
    s = summary.compute(store, clock)
    assert s == summary.Summary(streak_days=1, exercises_this_month=2, kept=3, missed=1, goals_reached=1)

    fake = types.ModuleType("assistant.features.reminders")
    fake.next_occurrence_text = lambda ctx: "Sunday, December 6th at 7 pm"  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "assistant.features.reminders", fake)
    ctx, speaker, _ = make_ctx(store, clock, profile, settings)
    summary.handle_summary(ctx, said("summary"))
    assert speaker.said == ["Here's how you're doing. Your gratitude streak is 1 day. You've done 2 exercises this "
                            "month. "
                            "Promises kept: 3 out of 4. You've reached 1 goal together. "
                            "Your next trust talk is Sunday, December 6th at 7 pm."]


def test_summary_without_reminders_or_history(store, clock, profile, settings, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "assistant.features.reminders", None)  # import fails
    ctx, speaker, _ = make_ctx(store, clock, profile, settings)
    summary.handle_summary(ctx, said("summary"))
    text = speaker.said[0]
    assert "trust talk" not in text and "Promises" not in text and "No exercises yet this month." in text
