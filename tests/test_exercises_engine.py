"""The engine: step kinds, controls at every step, the pause valve, resuming, storing."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.conversation import InputClosed, Utterance
from assistant.exercises import HANDLERS, paused_exercise, start_exercise
from assistant.exercises.banks import asked_ids
from tests.fakes import ScriptedListener
from tests.test_exercises_support import (
    fakes,  # noqa: F401  (fixture)
    make_ctx,
    only_session,
    phases,
    rng,
    said,
    write_script,
)

KINDS = """
exercise: evening
title: evening wind-down
starts_on: evening.start
why: every kind of step once, for the tests
memory:
  level: 1
banks:
  little:
    - "what made {partner} smile today?"
    - "what are you looking forward to, {partner}?"
    - "what was the best part of your day?"
steps:
  - say: ["Good evening, {first} and {second}."]
  - pause: 10
    prompt: "A breath first."
  - ask: little
    to: first
    prompt: "{partner}, {question}"
  - turn: answer
    who: first
    seconds: 60
    keep: yes
    prompt: "Go ahead, {partner}."
  - reflect: "{partner}, tell {other} what you heard."
    seconds: 30
  - choose: "{partner}, shall we go up a level?"
    both: yes
    set: agreed
    yes:
      - do: raise
        fact: level
        max: 2
        prompt: "Level {level} it is."
    no:
      - say: "Level {level} then."
  - turn: private
    who: second
    seconds: 30
    keep: "if agreed"
    prompt: "{partner}, one private thing."
  - close: "Goodnight."
"""


@pytest.fixture
def evening(tmp_path: Path) -> Path:
    return write_script(tmp_path / "scripts", "evening", KINDS)


def run(store, clock, profile, settings, folder, lines, exercise="evening", **ex):
    ctx = make_ctx(store, clock, profile, settings, lines, scripts=folder, **ex)
    return start_exercise(ctx, exercise, rng()), ctx


YES_PATH = ["", (6, "the cat"), "!turn.done", (4, "you said the cat"), "!turn.done",
            "!confirm.yes", "!confirm.yes", (3, "a secret"), "!turn.done"]


def test_every_step_kind_from_a_new_yaml_with_no_python_change(store, clock, profile, settings, evening):
    reason, ctx = run(store, clock, profile, settings, evening, YES_PATH)
    assert reason == "completed"
    text = said(ctx)
    assert "Good evening, Alex and Sam." in text and "A breath first." in text
    assert "Level 2 it is." in text and "Goodnight." in text
    assert "Alex, tell Sam" not in text and "Sam, tell Alex what you heard." in text
    session = only_session(store)
    assert session["exercise"] == "evening" and session["end_reason"] == "completed"
    assert [(t["partner"], t["step"], t["ended_by"], t["transcript"]) for t in session["turns"]] == [
        ("Alex", "answer", "done", "the cat"),
        ("Sam", "reflect", "done", None),  # reflections are not kept unless a script says so
        ("Sam", "private", "done", "a secret"),  # both agreed, so the private turn was kept
    ]
    assert [t["planned_s"] for t in session["turns"]] == [60, 30, 30]
    assert store.meta("ritual.memory.evening") == {"level": 2}
    # the contexts and modes: turns are dictation in "ritual"; the pause listens for commands; questions in "confirm"
    heard = ctx.listener.heard
    assert heard[0][:2] == ("ritual", "command")
    assert heard[1][:2] == ("ritual", "dictation")
    assert heard[5][:2] == ("confirm", "command")
    assert phases(ctx) == [("started", ""), ("ended", "completed")]


def test_not_kept_unless_both_agree_and_memory_holds(store, clock, profile, settings, evening):
    lines = ["", (6, "x"), "!turn.done", "!turn.done", "!confirm.yes", "!confirm.no", (3, "a secret"), "!turn.done"]
    reason, ctx = run(store, clock, profile, settings, evening, lines)
    turns = only_session(store)["turns"]
    assert turns[-1]["transcript"] is None
    assert "Level 1 then." in said(ctx)
    assert (store.meta("ritual.memory.evening") or {}).get("level", 1) == 1


def test_ask_never_repeats_until_the_bank_is_used_up(store, clock, profile, settings, evening):
    asked = []
    for _ in range(4):
        run(store, clock, profile, settings, evening, YES_PATH)
        asked.append(asked_ids(store, "evening.little")[-1])
    assert len(set(asked[:3])) == 3
    assert asked[3] != asked[2]  # a new cycle, but not the question just asked
    assert len(asked_ids(store, "evening.little")) <= 3


def test_first_partner_alternates_between_sessions(store, clock, profile, settings, evening):
    run(store, clock, profile, settings, evening, YES_PATH)
    run(store, clock, profile, settings, evening, YES_PATH)
    firsts = [s["turns"][0]["partner"] for s in sorted(store.all("sessions"), key=lambda s: s["first"])]
    assert sorted(s["first"] for s in store.all("sessions")) == ["Alex", "Sam"]
    assert sorted(firsts) == ["Alex", "Sam"]


def test_skip_and_stop_in_a_pause_step(store, clock, profile, settings, evening):
    reason, ctx = run(store, clock, profile, settings, evening, ["!ritual.skip", "!ritual.stop"])
    assert reason == "stopped"
    session = only_session(store)
    assert session["end_reason"] == "stopped"
    assert [(t["step"], t["ended_by"]) for t in session["turns"]] == [("answer", "stop")]
    assert clock.monotonic() < 1  # the pause was skipped, not waited out


def test_repeat_and_unclear_answers_in_a_question(store, clock, profile, settings, evening):
    lines = ["", (6, "x"), "!turn.done", "!turn.done", "!ritual.repeat", "what?", "!confirm.no", "!turn.done"]
    reason, ctx = run(store, clock, profile, settings, evening, lines)
    text = said(ctx)
    assert text.count("Alex, shall we go up a level?") == 2
    assert "Yes or no?" in text or "yes or a no?" in text


def test_stop_at_a_question(store, clock, profile, settings, evening):
    reason, ctx = run(store, clock, profile, settings, evening, ["", "!turn.done", "!turn.done", "!ritual.stop"])
    assert reason == "stopped" and only_session(store)["end_reason"] == "stopped"


def test_stored_from_the_moment_it_starts_and_unfinished_when_input_closes(store, clock, profile, settings, evening):
    seen = []

    class Peeking(ScriptedListener):
        def listen(self, context, **kw):
            seen.append([dict(s) for s in store.all("sessions")])
            return super().listen(context, **kw)

    ctx = make_ctx(store, clock, profile, settings, [], scripts=evening)
    ctx.listener = Peeking(["", (6, "half a thought")], clock)
    with pytest.raises(InputClosed):
        start_exercise(ctx, "evening", rng())
    assert seen[0][0]["end_reason"] == "unfinished" and seen[0][0]["ended"] is None
    session = only_session(store)
    assert session["end_reason"] == "unfinished"
    assert phases(ctx)[-1] == ("ended", "unfinished")
    assert ctx.in_exercise is False


def test_nobody_answering_ends_as_timed_out(store, clock, profile, settings, evening):
    lines = ["", "", "", "", "", "", "", "", "", ""]
    reason, ctx = run(store, clock, profile, settings, evening, lines)
    assert reason == "timed_out"
    assert only_session(store)["end_reason"] == "timed_out"
    assert "stepped away" in said(ctx)  # the "drifted" phrase


# --- the pause: the couple's safety valve ----------------------------------------------


def test_pause_break_then_they_come_back(store, clock, profile, settings, evening):
    lines = ["", (6, "x"), "!ritual.pause", "", "!confirm.yes", "!turn.done", "!turn.done", "!confirm.no", "!turn.done"]
    reason, ctx = run(store, clock, profile, settings, evening, lines)
    assert reason == "completed"
    text = said(ctx)
    assert "20 minutes" in text and ("carry on" in text or "pick up" in text)
    assert [p for p, _ in phases(ctx)] == ["started", "paused", "resumed", "ended"]


def test_the_break_is_said_as_long_as_the_setting_makes_it(store, clock, profile, settings, evening):
    lines = ["", (6, "x"), "!ritual.pause", "", "!confirm.yes", "!turn.done", "!turn.done", "!confirm.no", "!turn.done"]
    reason, ctx = run(store, clock, profile, settings, evening, lines, break_minutes=10)
    assert "10 minutes" in said(ctx) and "20 minutes" not in said(ctx) and "twenty" not in said(ctx)


def test_pause_left_then_resumed_from_idle_where_it_was(store, clock, profile, settings, evening):
    reason, ctx = run(store, clock, profile, settings, evening,
                      ["", (6, "x"), "!turn.done", "!ritual.pause", "", "!confirm.no"])
    assert reason == "paused"
    session = only_session(store)
    assert session["end_reason"] == "paused" and session["ended"] is None and session["resume"]["step"] == 4
    assert "within a day" in said(ctx) and "evening wind-down" in said(ctx)
    assert paused_exercise(ctx)["id"] == session["id"]

    clock.advance(3 * 3600)
    ctx.listener = ScriptedListener(["!turn.done", "!confirm.yes", "!confirm.yes", (2, "kept"), "!turn.done"], clock)
    HANDLERS["ritual.resume"](ctx, Utterance(text="let's continue", intent="ritual.resume"))
    session = only_session(store)
    assert session["end_reason"] == "completed" and session["ended"]
    assert [t["step"] for t in session["turns"]] == ["answer", "reflect", "private"]
    assert session["turns"][-1]["transcript"] == "kept"
    assert session.get("resume") is None
    assert "Welcome back" in said(ctx) or "Good to have you back" in said(ctx)
    assert ("resumed", "") in phases(ctx)


def test_pause_check_back_once_silence_means_later(store, clock, profile, settings, evening):
    reason, ctx = run(store, clock, profile, settings, evening, ["!ritual.pause", "", "", ""])
    assert reason == "paused"
    assert said(ctx).count("quiet") == 1  # one offer of a break, one check back, then "later"
    assert "within a day" in said(ctx)


def test_paused_past_its_limit_is_closed_politely_as_unfinished(store, clock, profile, settings, evening):
    reason, ctx = run(store, clock, profile, settings, evening, ["!ritual.pause", "", "!confirm.no"])
    assert reason == "paused"
    clock.advance(25 * 3600)
    assert paused_exercise(ctx) is None
    HANDLERS["ritual.resume"](ctx, Utterance(text="let's continue", intent="ritual.resume"))
    session = only_session(store)
    assert session["end_reason"] == "unfinished" and session["ended"]
    assert "put it to rest" in said(ctx)


def test_stop_during_the_break(store, clock, profile, settings, evening):
    reason, ctx = run(store, clock, profile, settings, evening, ["!ritual.pause", "!ritual.stop"])
    assert reason == "stopped" and only_session(store)["end_reason"] == "stopped"


def test_resume_with_nothing_paused(store, clock, profile, settings, evening):
    ctx = make_ctx(store, clock, profile, settings, [], scripts=evening)
    HANDLERS["ritual.resume"](ctx, Utterance(text="let's continue", intent="ritual.resume"))
    assert "nothing paused" in said(ctx)


def test_start_handlers_cover_the_eight_intents(store, clock, profile, settings, evening):
    assert {"gratitude.start", "checkin.start", "vulnerability.start", "listening.start", "commitments.start",
            "goals.start", "experience.suggest", "trusttalk.start", "ritual.resume"} <= set(HANDLERS)
    ctx = make_ctx(store, clock, profile, settings, [])
    started = []
    ctx.run_exercise = lambda c, exercise: started.append(exercise) or "completed"  # the engine the loop binds
    HANDLERS["experience.suggest"](ctx, Utterance(intent="experience.suggest"))
    assert started == ["experiences"]


THANKS = """
exercise: thanks
title: thanks
starts_on: gratitude.start
why: the shortest exercise a start intent can begin
steps:
  - say: "Hello {first}."
  - close: "Bye."
"""


def test_a_start_intent_runs_the_engine_through_the_context_and_the_watch_is_told(tmp_path, store, clock, profile,
                                                                                 settings):
    # one way: handler -> ctx.start_exercise -> the bound engine; the watch (the loop) is only told
    from assistant import exercises

    class Watch:
        def __init__(self) -> None:
            self.seen: list[tuple[str, ...]] = []

        def exercise_started(self, exercise: str) -> None:
            self.seen.append(("started", exercise, str(ctx.in_exercise)))

        def exercise_ended(self, exercise: str, reason: str) -> None:
            self.seen.append(("ended", exercise, reason, str(ctx.in_exercise)))

    folder = write_script(tmp_path / "thanks", "thanks", THANKS)
    ctx = make_ctx(store, clock, profile, settings, [], scripts=folder)
    ctx.run_exercise, ctx.watch = exercises.start_exercise, Watch()
    in_run = []
    ctx.events.emit = lambda event, emit=ctx.events.emit: (in_run.append(ctx.in_exercise), emit(event))[1]
    HANDLERS["gratitude.start"](ctx, Utterance(intent="gratitude.start"))
    assert ctx.watch.seen == [("started", "thanks", "False"), ("ended", "thanks", "completed", "False")]
    assert "Hello Alex." in said(ctx)
    assert only_session(store)["end_reason"] == "completed"
    assert in_run and all(in_run)  # everything the exercise said, it said as an exercise


def test_unknown_exercise_is_one_line(store, clock, profile, settings, evening):
    from assistant.errors import TandemError
    ctx = make_ctx(store, clock, profile, settings, [], scripts=evening)
    with pytest.raises(TandemError, match="no exercise called 'nope'"):
        start_exercise(ctx, "nope")


def test_a_shared_turn_for_both(tmp_path, store, clock, profile, settings):
    folder = write_script(tmp_path / "both", "together", """
exercise: together
title: together
starts_on: together.start
why: a shared turn
steps:
  - turn: plan
    who: both
    seconds: 60
    keep: yes
    prompt: "{first} and {second}, plan your weekend together."
  - close: "Done."
""")
    reason, ctx = run(store, clock, profile, settings, folder, [(20, "we'll walk"), "!turn.done"], exercise="together")
    assert only_session(store)["turns"][0] | {"actual_s": 0} == {
        "partner": "both", "step": "plan", "planned_s": 60, "actual_s": 0, "ended_by": "done",
        "transcript": "we'll walk"}
    assert "Alex and Sam, plan your weekend together." in said(ctx)


def test_resuming_skips_the_turns_already_taken_in_that_step(store, clock, profile, settings):
    from tests.test_exercises_support import SCRIPTS
    reason, ctx = run(store, clock, profile, settings, SCRIPTS,
                      ["", (5, "thank you for dinners"), "!turn.done", "!ritual.pause", "", "!confirm.no"],
                      exercise="trusttalk")
    assert reason == "paused"
    assert only_session(store)["resume"]["turns_done"] == 1
    clock.advance(600)
    ctx.listener = ScriptedListener([(4, "thanks for the walks"), "!turn.done", "!ritual.stop"], clock)
    HANDLERS["ritual.resume"](ctx, Utterance(intent="ritual.resume"))
    session = only_session(store)
    assert [(t["partner"], t["step"], t["ended_by"]) for t in session["turns"]] == [
        ("Alex", "appreciation", "done"), ("Sam", "appreciation", "done"), ("Alex", "feelings", "stop")]
    assert session["end_reason"] == "stopped"


def test_conditions_on_numbers_and_words(store, clock, profile, settings, evening):
    from assistant.exercises import load_scripts
    from assistant.exercises.engine import Run
    ctx = make_ctx(store, clock, profile, settings, [], scripts=evening)
    scripts = load_scripts(evening)
    r = Run(ctx=ctx, script=scripts.get("evening"), phrases=scripts.phrases, session_id="x", order=("Alex", "Sam"))
    r.facts.update({"tier": 2, "mood": "calm", "agreed": False})
    assert r.holds("tier < 3") and r.holds("tier >= 2") and not r.holds("tier == 3")
    assert r.holds("mood == calm") and r.holds("mood != stormy")
    assert r.holds("mood < 3") in (True, False)  # a word against a number compares as words, never a crash
    assert r.holds("not agreed") and not r.holds("agreed") and not r.holds("missing")
