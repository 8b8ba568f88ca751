"""Shared goals: adding with first steps, reviewing with check-ins, reaching."""

from __future__ import annotations

from assistant.features import goals
from assistant.features.export import export_all
from assistant.features.forget import last_logged

from .feature_ctx import make_ctx, said


def test_add_goal_asks_each_partner_for_a_first_step(store, clock, profile, settings) -> None:
    ctx, speaker, listener = make_ctx(store, clock, profile, settings, "look at flights in may", "open a savings pot")
    goals.handle_add(ctx, said("goal.add", text="visit japan together"))
    assert speaker.said[:3] == ["Added your shared goal: visit Japan together.", "Alex, what's your first step?",
                                "Sam, what's your first step?"]
    assert [mode for _, mode, _ in listener.heard] == ["dictation", "dictation"]
    (g,) = export_all(store)["goals"]
    assert g["text"] == "visit Japan together" and g["status"] == "open" and g["created"] == "2026-12-02T19:00:00+00:00"
    assert g["steps"] == [{"partner": "Alex", "text": "look at flights in may"},
                          {"partner": "Sam", "text": "open a savings pot"}]
    assert g["checkins"] == []
    assert last_logged(store)[0] == "goals"


def test_a_silent_partner_just_has_no_step(store, clock, profile, settings) -> None:
    ctx, speaker, _ = make_ctx(store, clock, profile, settings, "", "book a class")
    goals.handle_add(ctx, said("goal.add", text="learn to dance"))
    assert store.all("goals")[0]["steps"] == [{"partner": "Sam", "text": "book a class"}]


def test_review_records_checkins_and_marks_reached(store, clock, profile, settings) -> None:
    a = goals.add_goal(store, clock, "run a 5k together", [])
    clock.advance(60)
    b = goals.add_goal(store, clock, "cook one new recipe a week", [{"partner": "Sam", "text": "buy a cookbook"}])
    clock.advance(7 * 24 * 3600)
    ctx, speaker, _ = make_ctx(store, clock, profile, settings,
                               "we ran 3k on sunday", "!confirm.no", "did all four this month", "!confirm.yes")
    goals.handle_review(ctx, said("goal.review"))
    assert speaker.said[0] == "You have 2 open goals."
    assert speaker.said[1] == "Your goal: run a 5k together. How is it going?"
    ga, gb = store.get("goals", a["id"]), store.get("goals", b["id"])
    assert ga["status"] == "open" and ga["checkins"] == [{"at": "2026-12-09T19:01:00+00:00",
                                                          "note": "we ran 3k on Sunday"}]
    assert gb["status"] == "reached" and gb["reached"] == "2026-12-09T19:01:00+00:00"
    assert gb["checkins"][0]["note"] == "did all four this month"
    assert "Goal reached" in speaker.text()
    assert [g["id"] for g in goals.open_goals(store)] == [a["id"]]


def test_review_can_be_stopped(store, clock, profile, settings) -> None:
    goals.add_goal(store, clock, "a", [])
    goals.add_goal(store, clock, "b", [])
    ctx, speaker, _ = make_ctx(store, clock, profile, settings, "!cancel")
    goals.handle_review(ctx, said("goal.review"))
    assert all(g["checkins"] == [] for g in store.all("goals"))
    assert "another time" in speaker.said[-1]


def test_review_with_no_goals_and_in_privacy(store, clock, profile, settings) -> None:
    ctx, speaker, _ = make_ctx(store, clock, profile, settings)
    goals.handle_review(ctx, said("goal.review"))
    assert "no open goals" in speaker.said[0]
    goals.add_goal(store, clock, "secret trip", [])
    store.set_meta("privacy", True)
    goals.handle_review(ctx, said("goal.review"))
    assert "secret" not in speaker.text()


def test_checkin_and_mark_reached_functions(store, clock) -> None:
    g = goals.add_goal(store, clock, "x", [])
    goals.add_checkin(store, clock, g["id"], " half  way ")
    assert goals.mark_reached(store, clock, g["id"])["status"] == "reached"
    assert store.get("goals", g["id"])["checkins"] == [{"at": "2026-12-02T19:00:00+00:00", "note": "half way"}]
    assert goals.open_goals(store) == []
