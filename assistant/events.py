"""What happened, as small dataclasses, and where it goes.

Every part of the assistant reports through an ``EventSink``: the JSON-lines
sink behind ``tandem run --events jsonl`` (tests and integrators read it),
the log sink (which never writes the couple's words at the default level),
or a list in tests.

Event types (the ``type`` field of the JSON stream): wake, heard, intent,
said, state, exercise, reminder, error, and clock (a simulated run skipped
idle time: ``tandem run --clock-skip-idle``).
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import IO, Any, ClassVar, Protocol

from .clock import Clock, isoformat

log = logging.getLogger("tandem.events")


@dataclass(frozen=True)
class Event:
    type: ClassVar[str] = "event"
    # fields that hold the couple's words: logged only at DEBUG
    private: ClassVar[tuple[str, ...]] = ()


@dataclass(frozen=True)
class Wake(Event):
    """The wake phrase was heard. A *quiet* wake scored between the detector's listening and chime
    thresholds: the loop listens without a chime and acts only on a command it is sure of."""

    type: ClassVar[str] = "wake"
    score: float = 1.0  # the detector's score (an openWakeWord head: 0..1; the keyword spotter: 1)
    quiet: bool = False


@dataclass(frozen=True)
class Heard(Event):
    type: ClassVar[str] = "heard"
    private: ClassVar[tuple[str, ...]] = ("text",)
    text: str = ""
    mode: str = "command"  # command | dictation | text


@dataclass(frozen=True)
class IntentEvent(Event):
    type: ClassVar[str] = "intent"
    private: ClassVar[tuple[str, ...]] = ("slots",)
    intent: str | None = None
    slots: dict[str, str] = field(default_factory=dict)
    score: float = 0.0
    context: str = "idle"


@dataclass(frozen=True)
class Said(Event):
    type: ClassVar[str] = "said"
    private: ClassVar[tuple[str, ...]] = ("text",)
    text: str = ""
    interrupted: bool = False


@dataclass(frozen=True)
class StateChange(Event):
    type: ClassVar[str] = "state"
    state: str = ""
    previous: str = ""
    reason: str = ""


@dataclass(frozen=True)
class ExerciseEvent(Event):
    type: ClassVar[str] = "exercise"
    exercise: str = ""
    phase: str = ""  # started | ended | paused | resumed | step
    reason: str = ""  # the end reason when phase == ended
    session: str = ""


@dataclass(frozen=True)
class ReminderEvent(Event):
    type: ClassVar[str] = "reminder"
    kind: str = ""
    phase: str = ""  # due | said | accepted | snoozed | declined | skipped | let_go
    occurrence: str = ""


@dataclass(frozen=True)
class ClockSkipped(Event):
    """A simulated run jumped over quiet time; the event's ``clock`` is where it landed."""

    type: ClassVar[str] = "clock"
    skipped_s: float = 0.0  # clock seconds jumped over
    reason: str = ""  # idle (the sleep the loop asked for) | stop (a --clock-stop time reached)


@dataclass(frozen=True)
class ErrorEvent(Event):
    type: ClassVar[str] = "error"
    kind: str = ""  # e.g. microphone, speaker, store, recogniser
    message: str = ""  # never the couple's words


class EventSink(Protocol):
    def emit(self, event: Event) -> None: ...


def event_fields(event: Event) -> dict[str, Any]:
    return asdict(event)


class JsonLinesSink:
    """One JSON object per event on a stream (stdout for ``--events jsonl``)."""

    def __init__(self, stream: IO[str] | None, clock: Clock) -> None:
        self._stream = stream if stream is not None else sys.stdout
        self._clock = clock
        self._start = time.monotonic()
        self._lock = threading.Lock()

    def emit(self, event: Event) -> None:
        record = {
            "t": round(time.monotonic() - self._start, 3),
            "clock": isoformat(self._clock.now()),
            "type": event.type,
            **event_fields(event),
        }
        line = json.dumps(record, ensure_ascii=False)
        with self._lock:
            self._stream.write(line + "\n")
            self._stream.flush()


class LogSink:
    """Logs events; private fields appear only when DEBUG is on."""

    def emit(self, event: Event) -> None:
        data = event_fields(event)
        if not log.isEnabledFor(logging.DEBUG):
            for key in event.private:
                if data.get(key):
                    data[key] = "<private>"
        level = logging.WARNING if event.type == "error" else logging.INFO
        log.log(level, "%s %s", event.type, json.dumps(data, ensure_ascii=False))


class ListSink:
    """Collects events (tests)."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._lock = threading.Lock()

    def emit(self, event: Event) -> None:
        with self._lock:
            self.events.append(event)

    def of(self, kind: type[Event]) -> list[Any]:
        with self._lock:
            return [e for e in self.events if isinstance(e, kind)]


class FanOut:
    def __init__(self, *sinks: EventSink) -> None:
        self.sinks = sinks

    def emit(self, event: Event) -> None:
        for sink in self.sinks:
            sink.emit(event)
