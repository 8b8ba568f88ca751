"""The listening loop with fakes: states, reasons, errors, controls."""

from __future__ import annotations

from datetime import timedelta

import pytest

from assistant.config import load_settings
from assistant.conversation import InputClosed, Utterance
from assistant.dialogue import NOT_CAUGHT, DeadlineListener, Dialogue, Hooks, State, spoken_store_error
from assistant.errors import TandemError
from assistant.events import ErrorEvent, ListSink, StateChange, Wake
from assistant.features import controls
from assistant.handlers import Context
from assistant.store import StoreError
from tests.fakes import RecordingSpeaker, ScriptedListener, intent_by_name


def make(store, profile, settings, clock, lines, handlers=None, hooks=None, **kw):
    sink = ListSink()
    listener = ScriptedListener(list(lines), clock)
    speaker = RecordingSpeaker()
    ctx = Context(listener=listener, speaker=speaker, clock=clock, store=store, profile=profile, events=sink,
                  settings=settings)
    table = dict(controls.HANDLERS)
    table.update(handlers or {})
    d = Dialogue(ctx, table, hooks or Hooks(start_exercise=lambda c, e: "completed"), **kw)
    return d, ctx, speaker, sink, listener


def states(sink):
    return [(e.state, e.reason) for e in sink.of(StateChange)]


def test_wake_intent_handler_then_asleep_with_reason(store, profile, settings, clock):
    d, ctx, speaker, sink, _ = make(store, profile, settings, clock, ["!help"])
    assert d.run() == "input closed"
    assert "not therapy" in speaker.text()
    seen = states(sink)
    assert ("awake", "wake") in seen
    assert ("handling", "help") in seen
    assert ("speaking", "reply to help") in seen
    assert ("asleep", "handled help") in seen
    assert seen[-1] == ("asleep", "input closed")


def test_out_of_domain_gets_one_retry_then_sleeps(store, profile, settings, clock):
    d, ctx, speaker, sink, _ = make(store, profile, settings, clock, ["what's the weather", "tell me a joke"])
    d.run()
    assert speaker.said[0] == NOT_CAUGHT
    assert len(speaker.said) == 2
    assert ("asleep", "not understood") in states(sink)


def test_retry_window_hears_the_second_try(store, profile, settings, clock):
    d, ctx, speaker, sink, _ = make(store, profile, settings, clock, ["mumble", "!help"])
    d.run()
    assert speaker.said[0] == NOT_CAUGHT and "gratitude" in speaker.said[1]
    assert ("asleep", "handled help") in states(sink)


def test_silence_goes_back_to_sleep(store, profile, settings, clock):
    before = clock.now()
    d, ctx, speaker, sink, _ = make(store, profile, settings, clock, [""], listen_timeout=6.0)
    d.run()
    assert speaker.said == []
    assert ("asleep", "silence") in states(sink)
    assert clock.now() - before >= timedelta(seconds=6)


def test_cancel_says_okay_and_skips_follow_up(store, profile, settings, clock):
    calls = []
    hooks = Hooks(start_exercise=lambda c, e: "completed", follow_up=lambda c: calls.append(1) or False)
    d, ctx, speaker, sink, _ = make(store, profile, settings, clock, ["!cancel"], hooks=hooks)
    d.run()
    assert speaker.said == ["Okay."]
    assert ("asleep", "cancelled") in states(sink)
    assert calls == []


def test_follow_up_after_a_handled_intent(store, profile, settings, clock):
    def follow(ctx):
        ctx.say("Did Sam call the plumber?")
        return True

    hooks = Hooks(start_exercise=lambda c, e: "completed", follow_up=follow)
    d, ctx, speaker, sink, _ = make(store, profile, settings, clock, ["!help"], hooks=hooks)
    d.run()
    assert speaker.said[-1] == "Did Sam call the plumber?"
    assert ("asleep", "handled help, promise follow-up") in states(sink)


def test_input_closed_inside_a_handler_ends_cleanly(store, profile, settings, clock):
    def asks(ctx, heard):
        ctx.ask_yes_no("Shall we?")  # the script has no more lines: InputClosed

    d, ctx, speaker, sink, _ = make(store, profile, settings, clock, ["!ask"], handlers={"ask": asks})
    assert d.run() == "input closed"
    assert states(sink)[-1] == ("asleep", "input closed")


def test_store_error_is_spoken_briefly_and_logged(store, profile, settings, clock):
    def full(ctx, heard):
        raise StoreError("cannot save to /x: the disk is full; free some space (nothing stored was lost)")

    d, ctx, speaker, sink, _ = make(store, profile, settings, clock, ["!promise.log"], handlers={"promise.log": full})
    d.run()
    assert speaker.said == ["I couldn't save that: the disk is full."]
    assert [e.kind for e in sink.of(ErrorEvent)] == ["store"]
    assert ("asleep", "store error") in states(sink)


def test_a_handler_bug_is_survived_without_words_in_the_event(store, profile, settings, clock):
    def bug(ctx, heard):
        raise ValueError("secret words")

    d, ctx, speaker, sink, _ = make(store, profile, settings, clock, ["!goal.add", "!help"], handlers={"goal.add": bug})
    d.run()
    errors = sink.of(ErrorEvent)
    assert errors and "secret" not in errors[0].message and "ValueError" in errors[0].message
    assert ("asleep", "handled help") in states(sink)  # the loop carried on


def test_unhandled_intent_is_said_not_crashed(store, profile, settings, clock):
    d, ctx, speaker, sink, _ = make(store, profile, settings, clock, ["!nobody.handles"])
    d.run()
    assert speaker.said == ["Sorry, I can't do that yet."]


def test_start_exercise_enters_the_exercise_state(store, profile, settings, clock):
    seen = {}

    def engine(ctx, exercise):
        seen["in_exercise"] = ctx.in_exercise
        seen["state"] = d.state
        ctx.say("Alex, you're first tonight.")  # prompts inside an exercise are not separate states
        return "completed"

    def start(ctx, heard):
        ctx.start_exercise("gratitude")

    d, ctx, speaker, sink, _ = make(store, profile, settings, clock, ["!gratitude.start"],
                                    handlers={"gratitude.start": start}, hooks=Hooks(start_exercise=engine))
    d.run()
    assert seen == {"in_exercise": True, "state": State.EXERCISE}
    seq = states(sink)
    assert ("exercise", "start gratitude") in seq
    assert ("handling", "gratitude completed") in seq
    assert ("speaking", "reply to gratitude.start") not in seq
    assert ctx.in_exercise is False


def test_resume_is_offered_only_when_something_is_paused(store, profile, settings, clock):
    hooks = Hooks(start_exercise=lambda c, e: "completed", paused_exercise=lambda c: {"exercise": "trusttalk"})
    d, ctx, speaker, sink, listener = make(store, profile, settings, clock, ["!ritual.resume"], hooks=hooks,
                                           handlers={"ritual.resume": lambda c, u: None})
    captured = []
    original = listener.listen

    def spy(context, **kw):
        captured.append(kw.get("can_resume"))
        return original(context, **kw)

    listener.listen = spy  # type: ignore[method-assign]
    d.run()
    assert captured == [True]


def test_due_reminder_is_spoken_while_asleep_and_waits_are_bounded(store, profile, settings, clock):
    due = clock.now() + timedelta(minutes=5)
    spoken = []

    def speak_due(ctx):
        spoken.append(ctx.clock.now())
        ctx.say("It's time for your trust talk. Shall we start?")

    state = {"next": due}
    hooks = Hooks(start_exercise=lambda c, e: "completed", speak_due=lambda c: (speak_due(c), state.update(next=None)),
                  next_wakeup=lambda c: state["next"])

    class Sleepy(ScriptedListener):
        """Asleep for a quarter of an hour of clock time, then the input ends."""

        waits: list[float] = []

        def wait_for_wake(self, timeout):
            self.waits.append(timeout)
            if self.clock.now() > due + timedelta(minutes=10):
                raise InputClosed()
            self.clock.advance(timeout)
            return None

    d, ctx, speaker, sink, _ = make(store, profile, settings, clock, [], hooks=hooks)
    ctx.listener = Sleepy([], clock)
    d.run()
    assert spoken == [due]
    assert max(Sleepy.waits) <= 60.0
    assert ("handling", "reminder due") in states(sink)
    assert ("asleep", "reminder handled") in states(sink)


def test_a_reminder_that_stays_due_is_not_retried_in_a_tight_loop(store, profile, settings, clock):
    calls = []
    hooks = Hooks(start_exercise=lambda c, e: "completed", speak_due=lambda c: calls.append(c.clock.now()),
                  next_wakeup=lambda c: c.clock.now() - timedelta(seconds=1))
    stop_at = clock.now() + timedelta(minutes=5)

    class Sleepy(ScriptedListener):
        def wait_for_wake(self, timeout):
            if self.clock.now() >= stop_at:
                raise InputClosed()
            self.clock.advance(timeout)
            return None

    d, ctx, speaker, sink, _ = make(store, profile, settings, clock, [], hooks=hooks)
    ctx.listener = Sleepy([], clock)
    d.run()
    assert 5 <= len(calls) <= 11  # every 30 clock-seconds, not thousands of times


def test_vanished_speaker_is_logged_by_kind_and_the_loop_goes_on(store, profile, settings, clock):
    from assistant.speech.frames import AudioDeviceError

    class Gone:
        def say(self, text):
            raise AudioDeviceError("the speaker went away")

    d, ctx, speaker, sink, _ = make(store, profile, settings, clock, ["!help", "!cancel"])
    ctx.speaker.inner = Gone()
    d.run()
    errors = sink.of(ErrorEvent)
    assert [e.kind for e in errors] == ["speaker", "speaker"]
    assert "help" in errors[0].message and "therapy" not in errors[0].message
    assert ("asleep", "cancelled") in states(sink)


def test_deadline_listener_closes_input_at_until(clock):
    until = clock.now() + timedelta(seconds=90)
    inner = ScriptedListener([], clock)
    inner.wait_for_wake = lambda timeout: clock.advance(timeout)  # type: ignore[method-assign]
    wrapped = DeadlineListener(inner, clock, until)
    assert wrapped.wait_for_wake(60) is None
    with pytest.raises(InputClosed):  # the wait is cut to the 30 s left; then the clock is at until
        wrapped.wait_for_wake(60)
    assert clock.now() == until
    with pytest.raises(InputClosed):
        wrapped.listen("idle", timeout=8.0)


# --- controls ------------------------------------------------------------------------------


class AdjustableSpeaker(RecordingSpeaker):
    def __init__(self):
        super().__init__()
        self.volume = None
        self.rate = None

    def set_volume(self, v):
        self.volume = v

    def set_rate(self, r):
        self.rate = r


def test_volume_and_rate_change_the_live_voice_and_persist(store, profile, settings, clock, home):
    d, ctx, speaker, sink, _ = make(store, profile, settings, clock, ["!volume.up", "!voice.slower", "!voice.slower"])
    live = AdjustableSpeaker()
    ctx.speaker.inner = live
    d.run()
    assert live.volume == pytest.approx(0.95)
    assert live.rate == 125
    saved = load_settings(home)
    assert saved.voice.volume == pytest.approx(0.95) and saved.voice.rate == 125
    assert live.said[0] == "Louder now."


def test_volume_is_bounded(store, profile, settings, clock):
    d, ctx, speaker, sink, _ = make(store, profile, settings, clock, ["!volume.up"] * 3)
    d.run()
    assert speaker.said == ["Louder now.", "Louder now.", "That's as loud as I go."]
    assert ctx.settings.voice.volume == 1.0


def test_privacy_flag_round_trip(store, profile, settings, clock):
    d, ctx, speaker, sink, _ = make(store, profile, settings, clock, ["!privacy.on"])
    d.run()
    assert ctx.privacy is True
    d, ctx, speaker, sink, _ = make(store, profile, settings, clock, ["!privacy.off"])
    d.run()
    assert ctx.privacy is False


def test_spoken_store_error_forms():
    said = spoken_store_error(StoreError("x: it is read-only; check"))
    assert said == "I couldn't save that: the storage is read-only."
    assert "storage" in spoken_store_error(StoreError("odd"))


def test_an_exercise_that_ends_with_the_input_still_gives_the_state_back(store, profile, settings, clock):
    def engine(ctx, exercise):
        raise InputClosed()

    d, ctx, _, sink, _ = make(store, profile, settings, clock, ["!gratitude.start"],
                              handlers={"gratitude.start": lambda c, u: c.start_exercise("gratitude")},
                              hooks=Hooks(start_exercise=engine))
    assert d.run() == "input closed"
    seq = states(sink)
    assert seq.index(("exercise", "start gratitude")) < seq.index(("handling", "gratitude unfinished"))
    assert ctx.in_exercise is False


def test_a_context_without_an_exercise_engine_says_so_in_one_line(store, profile, settings, clock):
    ctx = Context(listener=ScriptedListener([], clock), speaker=RecordingSpeaker(), clock=clock, store=store,
                  profile=profile, events=ListSink(), settings=settings)
    with pytest.raises(TandemError, match=r"cannot start 'gratitude': no exercise engine here; .*run_exercise="):
        ctx.start_exercise("gratitude")


class QuietWakes(ScriptedListener):
    """Every wake is a borderline one (``Wake.quiet``): what the openWakeWord head's listening threshold hears."""

    def wait_for_wake(self, timeout):
        return None if super().wait_for_wake(timeout) is None else Wake(score=0.4, quiet=True)


def loose_or_named(text, context, in_exercise, can_resume):
    """'~help' is a loose guess at help (below the matcher's sure score); '!help' a sure one."""
    if text.startswith("~"):
        return Utterance(text=text, intent=text[1:], score=0.5, context=context)
    return intent_by_name(text, context, in_exercise, can_resume)


def test_a_quiet_wake_answers_a_sure_command_without_a_chime(store, profile, settings, clock):
    chimes = []
    d, ctx, speaker, sink, _ = make(store, profile, settings, clock, [], on_wake=lambda: chimes.append(1))
    ctx.listener = QuietWakes(["!help"], clock)
    d.run()
    assert chimes == []
    assert "not therapy" in speaker.text()
    assert ("awake", "quiet wake") in states(sink) and ("asleep", "handled help") in states(sink)


@pytest.mark.parametrize("line", ["what's the weather", "~help", ""])
def test_a_quiet_wake_that_hears_no_sure_command_makes_no_sound(store, profile, settings, clock, line):
    # Words that meant nothing, a loose guess and a silence: a normal wake would chime and say "sorry".
    chimes = []
    d, ctx, speaker, sink, _ = make(store, profile, settings, clock, [], on_wake=lambda: chimes.append(1))
    ctx.listener = QuietWakes([line, "!help"], clock, parse=loose_or_named)
    d.run()
    assert chimes == []
    assert len(speaker.said) == 1 and "not therapy" in speaker.text()  # only the next call's reply
    assert [r for s, r in states(sink) if s == "asleep"][1] in ("quiet wake: not a sure command", "silence")


def test_a_confident_wake_chimes_and_acts_on_a_loose_guess(store, profile, settings, clock):
    chimes = []
    d, ctx, speaker, sink, _ = make(store, profile, settings, clock, ["~help"], on_wake=lambda: chimes.append(1))
    ctx.listener.parse = loose_or_named
    d.run()
    assert chimes == [1]
    assert ("awake", "wake") in states(sink) and ("asleep", "handled help") in states(sink)
