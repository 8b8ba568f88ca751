"""The turn rules, with a fake clock: done, time limit + grace, silence, more time, cues, controls."""

from __future__ import annotations

from pathlib import Path

from assistant.exercises import start_exercise
from assistant.exercises.turns import cue_times
from tests.test_exercises_support import only_session, phases, rng, solo_ctx


def run_solo(tmp_path: Path, store, clock, profile, settings, lines, seconds=60, **ex):
    ctx = solo_ctx(tmp_path, store, clock, profile, settings, lines, seconds=seconds, **ex)
    reason = start_exercise(ctx, "solo", rng())
    (turn,) = only_session(store)["turns"]
    return reason, ctx, turn


def said_at(ctx, words: str) -> list[float]:
    return [t for t, text in ctx.speaker.said if words.lower() in text.lower()]


def test_turn_ends_on_done_with_its_words(tmp_path, store, clock, profile, settings):
    reason, ctx, turn = run_solo(tmp_path, store, clock, profile, settings, [(12, "you made me tea"), "!turn.done"])
    assert reason == "completed"
    assert turn == {"partner": "Alex", "step": "talk", "planned_s": 60, "actual_s": 12.0, "ended_by": "done",
                    "transcript": "you made me tea"}
    assert ctx.listener.heard[0][:2] == ("ritual", "dictation")


def test_time_limit_gives_a_soft_cue_and_waits_for_a_pause(tmp_path, store, clock, profile, settings):
    # talking past the limit is never cut off: cue, then the turn ends at the first 1.5 s pause
    lines = [(50, "a long story"), (20, "and more"), (4, "the end of it"), ""]
    reason, ctx, turn = run_solo(tmp_path, store, clock, profile, settings, lines)
    assert turn["ended_by"] == "time"
    assert turn["transcript"] == "a long story and more the end of it"
    assert turn["actual_s"] == 75.5  # 70 at the cue, 4 s more speech, then a 1.5 s pause
    assert said_at(ctx, "finish") or said_at(ctx, "close") or said_at(ctx, "round")
    assert not said_at(ctx, "thirty seconds")  # the 30 s cue came due mid-speech and would have been wrong


def test_grace_is_at_most_fifteen_seconds(tmp_path, store, clock, profile, settings):
    lines = [(61, "one"), (10, "two"), (10, "three"), (10, "never heard"), "!turn.done"]
    reason, ctx, turn = run_solo(tmp_path, store, clock, profile, settings, lines)
    assert turn["ended_by"] == "time"
    assert turn["transcript"] == "one two three"
    assert ctx.listener.lines[0] == (10, "never heard")  # Tandem moved on without listening further


def test_silence_is_reprompted_after_twenty_seconds_then_moves_on(tmp_path, store, clock, profile, settings):
    reason, ctx, turn = run_solo(tmp_path, store, clock, profile, settings, ["", "", "", "", ""], seconds=120)
    assert turn["ended_by"] == "silence" and turn["transcript"] is None
    prompts = said_at(ctx, "pass")
    assert len(prompts) == 1 and prompts[0] >= 20
    assert turn["actual_s"] == 40.0


def test_speech_resets_the_silence_window(tmp_path, store, clock, profile, settings):
    lines = ["", (5, "well"), "", (5, "and also"), "!turn.done"]
    reason, ctx, turn = run_solo(tmp_path, store, clock, profile, settings, lines, seconds=120)
    assert turn["ended_by"] == "done" and turn["transcript"] == "well and also"


def test_more_time_extends_at_most_more_time_max(tmp_path, store, clock, profile, settings):
    lines = [(10, "a"), "!turn.more_time", "!turn.more_time", "!turn.more_time", (100, "b"), "", ""]
    reason, ctx, turn = run_solo(tmp_path, store, clock, profile, settings, lines, more_time_max=2)
    said = ctx.speaker.text().lower()
    assert said.count("more time") + said.count("keep going") + said.count("there's more time") >= 2
    assert "enough for now" in said or "round it off" in said
    assert turn["planned_s"] == 60 and turn["ended_by"] == "time"
    # 60 + 2 x 30 s extensions; quiet for 10 s at the limit, so no "finish your thought": the turn just ends
    assert turn["actual_s"] == 120.0


def test_more_time_really_lengthens_the_turn(tmp_path, store, clock, profile, settings):
    lines = [(10, "a"), "!turn.more_time", (60, "b"), (5, "c"), "!turn.done"]
    reason, ctx, turn = run_solo(tmp_path, store, clock, profile, settings, lines, more_time_max=1)
    assert turn["ended_by"] == "done" and turn["transcript"] == "a b c"
    assert not said_at(ctx, "finish your thought")  # 75 s is inside the extended 90 s


def test_cue_at_thirty_seconds_left_for_a_short_turn(tmp_path, store, clock, profile, settings):
    lines = [(10, f"part {i}") for i in range(7)] + ["!turn.done"]
    reason, ctx, turn = run_solo(tmp_path, store, clock, profile, settings, lines, seconds=90)
    cues = [t for t, text in ctx.speaker.said if "left" in text or "to go" in text]
    assert cues == [60.0]


def test_cues_at_halfway_and_one_minute_left_for_a_longer_turn(tmp_path, store, clock, profile, settings):
    lines = [(10, f"part {i}") for i in range(22)] + ["!turn.done"]
    reason, ctx, turn = run_solo(tmp_path, store, clock, profile, settings, lines, seconds=240)
    half = [t for t, text in ctx.speaker.said if "half" in text]
    minute = [t for t, text in ctx.speaker.said if "minute" in text]
    assert half == [120.0] and minute == [180.0]
    assert turn["actual_s"] == 220.0


def test_cue_schedule():
    assert cue_times(60) == [(30, "cue_30s")]
    assert cue_times(179) == [(149, "cue_30s")]
    assert cue_times(300) == [(150, "cue_half"), (240, "cue_1min")]


def test_pass_and_skip_end_the_turn(tmp_path, store, clock, profile, settings):
    reason, ctx, turn = run_solo(tmp_path, store, clock, profile, settings, [(3, "hmm"), "pass"])
    assert turn["ended_by"] == "skip" and turn["transcript"] == "hmm"
    store.remove("sessions", only_session(store)["id"])
    reason, ctx, turn = run_solo(tmp_path, store, clock, profile, settings, ["!ritual.skip"])
    assert turn["ended_by"] == "skip" and turn["transcript"] is None and reason == "completed"


def test_repeat_says_the_prompt_again(tmp_path, store, clock, profile, settings):
    reason, ctx, turn = run_solo(tmp_path, store, clock, profile, settings, ["!ritual.repeat", (4, "ok"), "!turn.done"])
    assert len(said_at(ctx, "Alex, talk to Sam.")) == 2
    assert turn["transcript"] == "ok"


def test_stop_in_a_turn_stops_the_exercise(tmp_path, store, clock, profile, settings):
    reason, ctx, turn = run_solo(tmp_path, store, clock, profile, settings, [(4, "I"), "!ritual.stop"])
    assert reason == "stopped" and turn["ended_by"] == "stop" and turn["transcript"] == "I"
    session = only_session(store)
    assert session["end_reason"] == "stopped" and session["ended"]
    assert phases(ctx)[-1] == ("ended", "stopped")
    assert not said_at(ctx, "Thank you.")  # the close words are not said after a stop


def test_pause_in_a_turn_does_not_count_as_speaking_time(tmp_path, store, clock, profile, settings):
    lines = [(10, "a"), "!ritual.pause", (300, "just between us"), "!ritual.resume", (5, "b"), "!turn.done"]
    reason, ctx, turn = run_solo(tmp_path, store, clock, profile, settings, lines)
    assert reason == "completed"
    assert turn["actual_s"] == 15.0 and turn["transcript"] == "a b"  # what they said to each other is not kept
    assert [p for p, _ in phases(ctx)] == ["started", "paused", "resumed", "ended"]
