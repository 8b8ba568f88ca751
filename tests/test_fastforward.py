"""Fast-forwarding the quiet hours of a simulated run (``--clock-skip-idle``), with fakes.

The real parts (microphone, spotter, a month of voices) are in the voice
soak (tests/test_soak.py); here the rules: skip only in quiet, never past a
due reminder or a stop, listen in real time at a stop.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import pytest

from assistant.clock import FakeClock, ScaledClock
from assistant.conversation import InputClosed
from assistant.dialogue import DeadlineListener, Dialogue, Hooks
from assistant.events import ClockSkipped, ListSink, Said, Wake
from assistant.features import controls
from assistant.handlers import Context
from assistant.runtime.fastforward import IdleSkipper
from assistant.runtime.wiring import SimulatedClock
from tests.fakes import RecordingSpeaker

START = datetime.fromisoformat("2026-12-04T17:00:00+00:00")


class SkipClock(FakeClock):
    def skip_to(self, when: datetime) -> None:
        if when > self.now():
            self.set(when)


class Room:
    """The inner listener: how long the room has been quiet, and who called with what."""

    def __init__(self, clock: SkipClock, quiet: float = 100.0, wake_at: datetime | None = None) -> None:
        self.clock = clock
        self.quiet = quiet
        self.wake_at = wake_at
        self.waits: list[float] = []
        self.drained = 0

    def quiet_s(self) -> float:
        return self.quiet

    def wait_for_wake(self, timeout: float) -> Wake | None:
        self.waits.append(timeout)
        if self.wake_at is not None and self.clock.now() >= self.wake_at:
            self.wake_at = None
            return Wake()
        self.clock.advance(timeout)  # listened in "real time" for the whole slice
        return None

    def drain(self) -> None:
        self.drained += 1

    def listen(self, context, **kw):
        raise InputClosed()


def test_quiet_room_jumps_to_the_end_of_the_wait_at_once():
    clock = SkipClock(START)
    room, sink = Room(clock), ListSink()
    skipper = IdleSkipper(room, clock, sink, quiet_s=2.0)
    assert skipper.wait_for_wake(3600) is None
    assert clock.now() == START + timedelta(hours=1)
    assert room.waits == []  # nothing listened to: the hour was skipped
    assert [(e.skipped_s, e.reason) for e in sink.of(ClockSkipped)] == [(3600.0, "idle")]


def test_a_voice_in_the_room_means_listening_in_real_time_not_skipping():
    clock = SkipClock(START)
    room, sink = Room(clock, quiet=0.5), ListSink()
    skipper = IdleSkipper(room, clock, sink, quiet_s=2.0)
    assert skipper.wait_for_wake(3600) is None
    # listened only for the quiet still needed (1.5 s, plus a frame or two), then looks again
    assert len(room.waits) == 1 and 1.5 <= room.waits[0] < 1.6
    assert sink.of(ClockSkipped) == []


def test_a_stop_is_never_jumped_over_and_is_listened_to_in_real_time():
    clock = SkipClock(START)
    stop = START + timedelta(minutes=30)
    room, sink = Room(clock), ListSink()
    skipper = IdleSkipper(room, clock, sink, quiet_s=0.2, stops=[START - timedelta(hours=1), stop])
    assert skipper.wait_for_wake(3600) is None
    assert clock.now() == stop and room.drained == 1
    assert sink.of(ClockSkipped)[-1].reason == "stop"
    # at the stop: the room is listened to (someone is about to speak), however quiet it was before
    assert skipper.wait_for_wake(3600) is None
    assert room.waits and room.waits[0] <= 0.3
    time.sleep(0.25)
    assert skipper.wait_for_wake(3600) is None  # quiet since the stop: skipping again
    assert sink.of(ClockSkipped)[-1].reason == "idle"


def test_a_wake_at_a_stop_comes_through():
    clock = SkipClock(START)
    stop = START + timedelta(minutes=10)
    room = Room(clock, wake_at=stop)
    skipper = IdleSkipper(room, clock, ListSink(), quiet_s=5.0, stops=[stop])
    assert skipper.wait_for_wake(3600) is None
    assert skipper.wait_for_wake(3600) is not None


def test_a_fast_forwarded_day_speaks_each_reminder_exactly_on_time_in_few_jumps(store, profile, settings):
    """The dialogue loop on top: reminders at 20:00 each day; a simulated week goes by in ~200 loop turns."""
    clock = SkipClock(START)
    dues = [START.replace(hour=20) + timedelta(days=n) for n in range(7)]
    spoken: list[datetime] = []

    def next_wakeup(ctx):
        left = [d for d in dues if d not in spoken]
        return left[0] if left else None

    def speak_due(ctx):
        spoken.append(next_wakeup(ctx))
        ctx.say("It's eight: time for your gratitude moment.")

    hooks = Hooks(start_exercise=lambda c, e: "completed", speak_due=speak_due, next_wakeup=next_wakeup)
    sink = ListSink()
    room = Room(clock)
    until = START + timedelta(days=7)
    listener = DeadlineListener(IdleSkipper(room, clock, sink, quiet_s=1.0), clock, until)
    ctx = Context(listener=listener, speaker=RecordingSpeaker(), clock=clock, store=store, profile=profile,
                  events=sink, settings=settings)
    turns = []
    d = Dialogue(ctx, dict(controls.HANDLERS), hooks, max_sleep_s=3600, on_idle=lambda: turns.append(clock.now()))
    assert d.run() == "input closed"
    assert spoken == dues  # every one, in order
    assert len(sink.of(Said)) == 7
    assert clock.now() == until
    assert len(turns) < 7 * 26  # an hour at a time at most, plus each due: not a turn a minute
    assert room.waits == []


def test_scaled_and_simulated_clocks_jump_forward_only():
    scaled = ScaledClock(START, speed=1.0)
    before = scaled.now()
    scaled.skip(3600)
    scaled.skip(-50)  # never backwards
    assert timedelta(hours=1) <= scaled.now() - before < timedelta(hours=1, seconds=5)
    sim = SimulatedClock(START.tzinfo, START, 1.0)
    sim.skip_to(START + timedelta(days=1))
    assert sim.now() - START >= timedelta(days=1)
    mono = sim.monotonic()
    sim.skip_to(START)  # a time already passed changes nothing
    assert sim.monotonic() >= mono and sim.now() - START >= timedelta(days=1)


def test_the_skipper_refuses_a_non_positive_quiet():
    with pytest.raises(ValueError):
        IdleSkipper(Room(SkipClock(START)), SkipClock(START), ListSink(), quiet_s=0)
