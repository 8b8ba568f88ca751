"""All eight exercises, start to finish, with a willing fake couple; each stored, each turn checked."""

from __future__ import annotations

import pytest

from assistant.exercises import start_exercise
from tests.test_exercises_support import AutoListener, fakes, make_ctx, only_session, said  # noqa: F401

EIGHT = ["gratitude", "checkin", "vulnerability", "listening", "commitments", "goals", "experiences", "trusttalk"]


def run(store, clock, profile, settings, exercise, answers=None, default="confirm.yes", **ex):
    ctx = make_ctx(store, clock, profile, settings, [], **ex)
    ctx.listener = AutoListener(clock, profile, answers, default)
    reason = start_exercise(ctx, exercise)
    return reason, ctx, ctx.listener


@pytest.mark.parametrize("exercise", EIGHT)
def test_each_exercise_runs_start_to_finish_and_is_stored(store, clock, profile, settings, fakes, exercise):
    reason, ctx, couple = run(store, clock, profile, settings, exercise)
    assert reason == "completed"
    session = only_session(store)
    assert session["exercise"] == exercise and session["end_reason"] == "completed"
    assert session["ended"] and session["started"] <= session["ended"]
    for turn in session["turns"]:
        assert set(turn) == {"partner", "step", "planned_s", "actual_s", "ended_by", "transcript"}
        assert turn["partner"] in ("Alex", "Sam") and turn["ended_by"] == "done"
    assert "{" not in said(ctx)  # every wording was filled in
    # every turn's words are the couple's, in order, whether kept or not
    spoken = [t for t in couple.spoken]
    assert len(spoken) == len(session["turns"])


def transcripts(store):
    return [(t["partner"], t["step"], t["transcript"]) for t in only_session(store)["turns"]]


def test_gratitude_keeps_both_appreciations_in_the_journal(store, clock, profile, settings, fakes):
    reason, ctx, couple = run(store, clock, profile, settings, "gratitude")
    assert transcripts(store) == [("Alex", "share", "words number 1"), ("Sam", "share", "words number 2")]
    journal = sorted(store.all("gratitude"), key=lambda g: g["text"])
    session_id = only_session(store)["id"]
    assert [(g["from"], g["about"], g["text"], g["session"]) for g in journal] == [
        ("Alex", "Sam", "words number 1", session_id), ("Sam", "Alex", "words number 2", session_id)]
    assert [t["planned_s"] for t in only_session(store)["turns"]] == [60, 60]


def test_checkin_keeps_no_words_and_reflects_when_asked(store, clock, profile, settings, fakes):
    run(store, clock, profile, settings, "checkin")
    assert transcripts(store) == [("Alex", "share", None), ("Sam", "share", None),
                                  ("Alex", "reflect", None), ("Sam", "reflect", None)]
    assert [t["planned_s"] for t in only_session(store)["turns"]] == [240, 240, 60, 60]


def test_vulnerability_keeps_shares_only_when_both_say_so_and_goes_deeper_only_together(
        store, clock, profile, settings, fakes):
    # first session: no "deeper?" question yet; carry on: yes; keep: Alex yes, Sam no -> nothing kept
    run(store, clock, profile, settings, "vulnerability", answers=["confirm.yes", "confirm.yes", "confirm.no"])
    first = only_session(store)
    assert [t["transcript"] for t in first["turns"]] == [None, None, None, None]
    assert store.meta("ritual.memory.vulnerability") is None  # still tier 1
    store.remove("sessions", first["id"])
    store.insert("sessions", {**first, "id": "earlier"})
    # second session: both want to go deeper; both agree to keep
    reason, ctx, couple = run(store, clock, profile, settings, "vulnerability")
    second = next(s for s in store.all("sessions") if s["id"] != "earlier")
    assert store.meta("ritual.memory.vulnerability") == {"tier": 2}
    assert [(t["partner"], t["step"], t["transcript"]) for t in second["turns"]] == [
        ("Sam", "share", "words number 1"), ("Alex", "reflect", None),
        ("Alex", "share", "words number 3"), ("Sam", "reflect", None)]
    assert any(i.startswith("q") for i in store.get("asked", "vulnerability.tier2")["ids"])


def test_vulnerability_can_stop_and_come_back_later(store, clock, profile, settings, fakes):
    # "how are you feeling, carry on?" -> no: a break is offered; not coming back -> paused for later
    reason, ctx, couple = run(store, clock, profile, settings, "vulnerability", answers=["confirm.no", "confirm.no"])
    assert reason == "paused" and only_session(store)["end_reason"] == "paused"
    assert "let's continue our sharing exercise" in said(ctx)


def test_listening_swaps_roles_and_records_the_question(store, clock, profile, settings, fakes):
    run(store, clock, profile, settings, "listening")
    turns = only_session(store)["turns"]
    assert [(t["partner"], t["step"], t["planned_s"]) for t in turns] == [
        ("Alex", "answer", 120), ("Sam", "reflect", 45), ("Alex", "confirm", 30),
        ("Sam", "answer", 120), ("Alex", "reflect", 45), ("Sam", "confirm", 30)]
    assert all(t["transcript"] is None for t in turns)
    assert len(store.get("asked", "listening")["ids"]) == 1


def test_commitments_review_and_new_promises(store, clock, profile, settings, fakes):
    promises = fakes["promises"]
    kept = promises.log_promise(store, clock, "Sam", "call the plumber", "by friday")
    missed = promises.log_promise(store, clock, "Alex", "book the dentist", None)
    clock.advance(60)
    # Sam kept it; Alex didn't and does not want to carry it on
    reason, ctx, couple = run(store, clock, profile, settings, "commitments",
                              answers=["confirm.yes", "confirm.no", "confirm.no"])
    text = said(ctx)
    assert "Sam, you promised to call the plumber" in text or "Sam, there's your promise to call the plumber" in text
    assert store.get("promises", kept["id"])["status"] == "kept"
    assert store.get("promises", missed["id"])["status"] == "missed"
    new = [(p["partner"], p["text"]) for p in promises.open_promises(store)]
    assert new == [("Alex", "words number 1"), ("Sam", "words number 2")]
    assert transcripts(store) == [("Alex", "promise", None), ("Sam", "promise", None)]


def test_goals_check_in_then_write_a_new_goal_with_each_partners_step(store, clock, profile, settings, fakes):
    goals = fakes["goals"]
    old = goals.add_goal(store, clock, "save for a trip", [{"partner": "Alex", "text": "open an account"}])
    # checking in: reached? no; write a new goal? yes
    run(store, clock, profile, settings, "goals", answers=["confirm.no", "confirm.yes"])
    old = store.get("goals", old["id"])
    assert [c["note"] for c in old["checkins"]] == ["Alex: words number 1", "Sam: words number 2"]
    new = next(g for g in store.all("goals") if g["id"] != old["id"])
    assert new["text"] == "words number 5"
    assert new["steps"] == [{"partner": "Alex", "text": "words number 6"}, {"partner": "Sam", "text": "words number 7"}]
    assert [s for _, s, _ in transcripts(store)] == ["progress", "progress", "vision", "vision", "goal", "step", "step"]


def test_experiences_suggest_agree_then_reflect_next_time(store, clock, profile, settings, fakes):
    run(store, clock, profile, settings, "experiences", answers=["confirm.no", "confirm.yes"])
    (agreed,) = store.all("experiences")
    assert agreed["suggested"] and agreed["done"] is None
    clock.advance(7 * 86400)
    store.remove("sessions", only_session(store)["id"])
    reason, ctx, couple = run(store, clock, profile, settings, "experiences", answers=["confirm.yes", "confirm.no",
                                                                                     "confirm.no"])
    assert store.get("experiences", agreed["id"])["done"]
    assert agreed["text"] in said(ctx)
    assert [(t["partner"], t["step"]) for t in only_session(store)["turns"]] == [("Sam", "reflect_last"),
                                                                                ("Alex", "reflect_last")]


def test_trusttalk_length_follows_the_couples_setting(store, clock, profile, settings, fakes):
    run(store, clock, profile, settings, "trusttalk", trusttalk_minutes=60)
    turns = only_session(store)["turns"]
    planned = {t["step"]: t["planned_s"] for t in turns}
    assert planned["appreciation"] == 180 and planned["misunderstanding"] == 480
    assert sum(t["planned_s"] for t in turns) / 60 == pytest.approx(56, abs=5)
    assert all(t["transcript"] is None for t in turns)


def test_trusttalk_default_is_about_thirty_minutes(store, clock, profile, settings, fakes):
    run(store, clock, profile, settings, "trusttalk")
    turns = only_session(store)["turns"]
    assert 25 <= (sum(t["planned_s"] for t in turns) + 15) / 60 <= 32


@pytest.mark.parametrize("exercise", EIGHT)
def test_each_exercise_with_the_real_feature_modules(store, clock, profile, settings, exercise):
    from assistant.features import goals, promises

    promises.log_promise(store, clock, "Sam", "call the plumber", "by friday")
    goals.add_goal(store, clock, "save for a trip", [{"partner": "Alex", "text": "open an account"}])
    reason, ctx, couple = run(store, clock, profile, settings, exercise)
    assert reason == "completed" and only_session(store)["end_reason"] == "completed"
    if exercise == "gratitude":
        assert sorted(g["from"] for g in store.all("gratitude")) == ["Alex", "Sam"]
    if exercise == "commitments":
        assert {p["text"] for p in promises.open_promises(store)} == {"words number 1", "words number 2"}
    if exercise == "experiences":
        assert [e["text"] for e in store.all("experiences") if e.get("suggested")]
