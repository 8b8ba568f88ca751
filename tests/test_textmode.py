"""Typed input: order, @time holds, empty lines as silence, end of input."""

from __future__ import annotations

import io
import os
import threading
import time
from datetime import datetime, timedelta

import pytest

from assistant.clock import FakeClock, ScaledClock
from assistant.conversation import InputClosed
from assistant.events import Heard, IntentEvent, ListSink
from assistant.runtime.textmode import MuteSpeaker, PrintingSpeaker, TextListener, parse_line
from tests.conftest import LISBON
from tests.fakes import intent_by_name


def listener(lines, clock, **kw):
    sink = ListSink()
    return TextListener(lines, intent_by_name, clock, sink, **kw), sink


def test_lines_come_in_order_and_are_understood(clock):
    tl, sink = listener(["!help", "hello there"], clock)
    assert tl.wait_for_wake(60) is not None
    first = tl.listen("idle")
    assert (first.intent, first.text, first.ended_by) == ("help", "!help", "speech")
    second = tl.listen("confirm", in_exercise=True)
    assert second.intent is None and second.text == "hello there" and second.context == "confirm"
    assert [e.text for e in sink.of(Heard)] == ["!help", "hello there"]
    assert [e.intent for e in sink.of(IntentEvent)] == ["help", None]
    with pytest.raises(InputClosed):
        tl.wait_for_wake(60)


def test_empty_line_is_one_window_of_silence(clock):
    tl, _ = listener(["", "!turn.done"], clock)
    start = clock.now()
    u = tl.listen("ritual", timeout=20.0)
    assert u.silent and u.ended_by == "timeout"
    assert clock.now() - start == timedelta(seconds=20)
    assert tl.listen("ritual").intent == "turn.done"


def test_held_line_waits_for_its_time_with_a_fake_clock(clock):
    # clock starts 2026-12-02T19:00 Lisbon
    tl, _ = listener(["@2026-12-02T19:05 !confirm.yes"], clock)
    assert tl.wait_for_wake(60) is None  # not yet: a minute passed
    assert clock.now() == datetime(2026, 12, 2, 19, 1, tzinfo=LISBON)
    u = tl.listen("confirm", timeout=10)  # still four minutes away: the window passes
    assert u.silent
    assert tl.wait_for_wake(600) is not None  # wakes exactly when the line is due
    assert clock.now() == datetime(2026, 12, 2, 19, 5, tzinfo=LISBON)
    assert tl.listen("confirm").intent == "confirm.yes"


def test_held_line_with_an_offset_is_that_instant():
    clock = FakeClock(datetime(2026, 12, 6, 18, 0, tzinfo=LISBON))
    line = parse_line("@2026-12-06T19:01+01:00 yes", 1, clock.tz)
    assert line.at == datetime(2026, 12, 6, 18, 1, tzinfo=LISBON) and line.text == "yes"
    naive = parse_line("@2026-12-06T19:01 yes", 1, clock.tz)
    assert naive.at == datetime(2026, 12, 6, 19, 1, tzinfo=LISBON)
    assert parse_line("  plain words \n", 2, clock.tz).text == "plain words"


def test_a_bad_time_is_reported_and_the_line_taken_as_typed(clock):
    tl, sink = listener(["@tomorrow yes"], clock)
    assert sink.events[0].type == "error" and "line 1" in sink.events[0].message
    assert tl.listen("idle").text == "@tomorrow yes"


def test_held_line_with_a_scaled_clock_waits_in_real_time():
    start = datetime(2026, 12, 6, 18, 59, 58, tzinfo=LISBON)
    clock = ScaledClock(start, speed=20.0, tz=LISBON)  # 2 clock-seconds = 0.1 real s
    tl, _ = listener(["@2026-12-06T19:00 !help"], clock)
    t0 = time.monotonic()
    assert tl.wait_for_wake(60) is not None
    elapsed = time.monotonic() - t0
    assert 0.05 <= elapsed < 1.0
    assert clock.now() >= datetime(2026, 12, 6, 19, 0, tzinfo=LISBON)


def test_keep_running_lets_the_clock_run_past_the_end_of_input(clock):
    tl, _ = listener(["!help"], clock, keep_running=True)
    tl.listen("idle")
    start = clock.now()
    assert tl.wait_for_wake(60) is None
    assert tl.listen("idle", timeout=8).silent
    assert clock.now() - start == timedelta(seconds=68)


def test_a_stream_is_read_as_lines_arrive():
    clock = ScaledClock(datetime(2026, 12, 6, 19, 0, tzinfo=LISBON), speed=1.0, tz=LISBON)
    read_fd, write_fd = os.pipe()
    reader, writer = os.fdopen(read_fd, "r"), os.fdopen(write_fd, "w")
    tl, _ = listener(reader, clock)
    assert tl.wait_for_wake(0.2) is None  # nobody typed yet: a bounded wait

    def type_later():
        time.sleep(0.1)
        writer.write("!help\n")
        writer.flush()
        writer.close()

    threading.Thread(target=type_later).start()
    t0 = time.monotonic()
    assert tl.wait_for_wake(5) is not None
    assert time.monotonic() - t0 < 2.0  # woken by the line, not by the timeout
    assert tl.listen("idle").intent == "help"
    with pytest.raises(InputClosed):
        tl.wait_for_wake(5)


def test_printing_speaker_prints_and_forwards():
    out = io.StringIO()
    spoken = []

    class Inner:
        def say(self, text):
            spoken.append(text)
            return True

    assert PrintingSpeaker(Inner(), out).say("Okay.") is True
    assert out.getvalue() == "tandem: Okay.\n" and spoken == ["Okay."]


def test_mute_speaker_plays_nothing_and_printing_alone_only_prints() -> None:
    # --mute and --text --mute: the reply is a success without any sound
    assert MuteSpeaker().say("anything") is True
    out = io.StringIO()
    assert PrintingSpeaker(None, out).say("Alex, your turn.") is True
    assert out.getvalue() == "tandem: Alex, your turn.\n"
