"""``tandem run --text``: typed lines instead of the microphone.

One line is one utterance, consumed in order, each when Tandem next listens,
so a whole evening can be piped in. No wake phrase: asleep, Tandem wakes when
the next line is due. Two special forms:

* an empty line is one window of silence (the listening window passes, on the
  assistant's clock, with nothing heard);
* ``@2026-12-06T19:01 yes`` is held until the clock reaches that time (a
  time without an offset is in the couple's time zone).

End of input closes the run (``InputClosed``), unless ``keep_running`` (for
``--until``): then the input stays silent and the clock keeps going.

Replies are printed as ``tandem: ...`` by ``PrintingSpeaker`` (not in
``--events jsonl`` mode, where stdout carries only JSON).
"""

from __future__ import annotations

import logging
import queue
import re
import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any

from ..clock import Clock, parse_iso
from ..conversation import COMMAND, IDLE, InputClosed, ParseFn, Speaker, Utterance, settle
from ..events import ErrorEvent, EventSink, Heard, IntentEvent, Wake

log = logging.getLogger(__name__)

_HELD = re.compile(r"^@(\S+)\s?(.*)$")


@dataclass(frozen=True)
class Line:
    text: str
    at: datetime | None = None  # held until the clock reaches this
    number: int = 0


def parse_line(raw: str, number: int, tz: Any) -> Line:
    """``"@ISO words"`` -> a held line; anything else as typed (trailing newline dropped)."""
    text = raw.rstrip("\r\n")
    match = _HELD.match(text)
    if match:
        try:
            return Line(match.group(2).strip(), parse_iso(match.group(1), tz), number)
        except ValueError:
            raise ValueError(f"line {number}: {match.group(1)!r} is not an ISO-8601 time "
                             "like 2026-12-06T19:01") from None
    return Line(text.strip(), None, number)


class TextListener:
    """A ``Listener`` over typed lines: a list (tests) or a stream such as stdin (read by a thread)."""

    def __init__(
        self,
        lines: Iterable[str] | IO[str],
        parse: ParseFn,
        clock: Clock,
        events: EventSink,
        *,
        keep_running: bool = False,
    ) -> None:
        self.parse = parse
        self.clock = clock
        self.events = events
        self.keep_running = keep_running
        self._pending: deque[Line] = deque()
        self._arrived = threading.Event()  # set whenever a line (or the end) arrives from the reader
        self._inbox: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        self._closed = False
        self._count = 0
        if hasattr(lines, "readline"):
            # A stream may be a person typing: read it on a thread so waits stay bounded.
            threading.Thread(target=self._read, args=(lines,), name="tandem-stdin", daemon=True).start()
        else:
            for raw in lines:  # type: ignore[union-attr]
                self._take(raw)
            self._closed = True

    # --- input ---------------------------------------------------------------------------

    def _read(self, stream: IO[str]) -> None:
        try:
            for raw in iter(stream.readline, ""):
                self._inbox.put(raw)
                self._arrived.set()
        except (OSError, ValueError):  # closed under us
            pass
        self._inbox.put(None)
        self._arrived.set()

    def _drain_inbox(self) -> None:
        self._arrived.clear()
        while True:
            try:
                raw = self._inbox.get_nowait()
            except queue.Empty:
                return
            if raw is None:
                self._closed = True
            else:
                self._take(raw)

    def _take(self, raw: str) -> None:
        self._count += 1
        try:
            self._pending.append(parse_line(raw, self._count, self.clock.tz))
        except ValueError as exc:
            # A typo in a piped session is reported and the line taken as typed, never a crash.
            self.events.emit(ErrorEvent(kind="input", message=str(exc)))
            self._pending.append(Line(raw.strip(), None, self._count))

    def _head(self) -> Line | None:
        """The next line if any (pulling what the reader thread has brought); None when nothing yet."""
        self._drain_inbox()
        if self._pending:
            return self._pending[0]
        if self._closed and not self.keep_running:
            raise InputClosed()
        return None

    def _wait(self, seconds: float) -> None:
        """Wait up to ``seconds`` of clock time, returning early if the reader brings a line."""
        if seconds <= 0:
            return
        if self._closed:
            self.clock.wait(None, seconds)
        else:
            self.clock.wait(self._arrived, seconds)

    def _due_in(self, line: Line) -> float:
        return 0.0 if line.at is None else (line.at - self.clock.now()).total_seconds()

    # --- the Listener Protocol -----------------------------------------------------------

    def wait_for_wake(self, timeout: float) -> Wake | None:
        """A wake when the next line is due (now, or within ``timeout`` on the clock): typing is never quiet."""
        deadline = self.clock.monotonic() + timeout
        while True:
            left = deadline - self.clock.monotonic()
            line = self._head()
            if line is not None and self._due_in(line) <= 0:
                return Wake()
            if left <= 0:
                return None
            self._wait(left if line is None else min(left, self._due_in(line)))

    def listen(
        self,
        context: str,
        *,
        mode: str = COMMAND,
        timeout: float = 8.0,
        in_exercise: bool = False,
        can_resume: bool = False,
        commands: bool = False,
    ) -> Utterance:
        deadline = self.clock.monotonic() + timeout
        while True:
            left = deadline - self.clock.monotonic()
            line = self._head()
            if line is not None and self._due_in(line) <= 0:
                self._pending.popleft()
                if not line.text:
                    # "" = one window of silence: the whole window passes with nothing heard.
                    self._wait_quietly(left)
                    return Utterance(context=context, ended_by="timeout")
                return self._understood(line.text, context, in_exercise, can_resume, commands)
            if left <= 0:
                return Utterance(context=context, ended_by="timeout")
            self._wait(left if line is None else min(left, self._due_in(line)))

    def _wait_quietly(self, seconds: float) -> None:
        # Lines typed meanwhile wait their turn: they are not part of this window.
        if seconds > 0:
            self.clock.wait(None, seconds)

    def _understood(self, text: str, context: str, in_exercise: bool, can_resume: bool,
                    commands: bool = False) -> Utterance:
        self.events.emit(Heard(text=text, mode="text"))
        heard = self._reading(text, context, in_exercise, can_resume)
        if commands and context != IDLE:
            heard = settle(heard, self._reading(text, IDLE, False, can_resume))
        self.events.emit(IntentEvent(intent=heard.intent, slots=dict(heard.slots), score=heard.score, context=context))
        return heard

    def _reading(self, text: str, context: str, in_exercise: bool, can_resume: bool) -> Utterance:
        return Utterance.of(text, self.parse(text, context, in_exercise, can_resume), context)

    def close(self) -> None:
        self._closed = True


class PrintingSpeaker:
    """Prints each reply as ``tandem: ...``, then speaks it through ``inner`` (if any)."""

    def __init__(self, inner: Speaker | None, stream: IO[str]) -> None:
        self.inner = inner
        self.stream = stream

    def say(self, text: str) -> bool:
        try:
            self.stream.write(f"tandem: {text}\n")
            self.stream.flush()
        except (OSError, ValueError):  # stdout went away (a closed pipe): keep going
            pass
        return True if self.inner is None else self.inner.say(text)

    def close(self) -> None:
        close = getattr(self.inner, "close", None)
        if callable(close):
            close()  # the voice's synthesis worker must not outlive the run


class MuteSpeaker:
    """``--mute``: replies appear in events (and printed in text mode), nothing is played."""

    def say(self, text: str) -> bool:
        return True
