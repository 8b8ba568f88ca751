"""Fast-forwarding the quiet hours of a simulated run (``tandem run --clock-skip-idle``).

A simulated month by voice (the soak, a demo of the reminders) needs the
couple's speech, Tandem's replies and every turn in real time, and the hours
in between skipped. ``IdleSkipper`` wraps the listener the dialogue loop
sleeps on. Asleep, once the room has been quiet for ``quiet_s`` real seconds,
a wait for the wake phrase does not wait: the clock jumps to the end of that
wait -- the loop sleeps exactly until its next reminder is due -- or to the
next *stop*, a time at which someone is going to speak (``--clock-stop``),
whichever comes first. At a stop it listens in real time again, for at least
``quiet_s``, so whoever speaks there is heard.

Nothing awake is ever skipped: a listening window, a wake or a voice in the
room ends the quiet, and exercises listen rather than sleep.
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, Protocol

from ..events import ClockSkipped, EventSink, Wake


class SkippableClock(Protocol):
    def now(self) -> datetime: ...

    def real_seconds(self, seconds: float) -> float: ...

    def skip_to(self, when: datetime) -> None: ...


class IdleSkipper:
    """A ``Listener`` wrapper; the inner listener must offer ``quiet_s()`` (the audio listener does)."""

    def __init__(self, inner: Any, clock: SkippableClock, events: EventSink, quiet_s: float,
                 stops: Iterable[datetime] = ()) -> None:
        if quiet_s <= 0:
            raise ValueError("quiet_s must be positive")
        self.inner = inner
        self.clock = clock
        self.events = events
        self.quiet_s = quiet_s
        self._stops = sorted(stops)
        self._hold_until = 0.0  # real time: listen at least until then (just arrived at a stop)

    def _quiet_for(self) -> float:
        """Real seconds of quiet so far, counting from the last stop reached."""
        since_stop = time.monotonic() - self._hold_until + self.quiet_s
        return min(float(self.inner.quiet_s()), since_stop)

    def _next_stop(self, now: datetime) -> datetime | None:
        i = bisect.bisect_right(self._stops, now)
        return self._stops[i] if i < len(self._stops) else None

    def wait_for_wake(self, timeout: float) -> Wake | None:
        left_real = self.quiet_s - self._quiet_for()
        if left_real > 0:
            per_clock_s = self.clock.real_seconds(1.0) or 1.0
            return self.inner.wait_for_wake(min(timeout, left_real / per_clock_s + 0.05))
        now = self.clock.now()
        end = now + timedelta(seconds=max(0.0, timeout))
        stop = self._next_stop(now)
        target, reason = (stop, "stop") if stop is not None and stop <= end else (end, "idle")
        self.clock.skip_to(target)
        if reason == "stop":
            drain = getattr(self.inner, "drain", None)
            if callable(drain):
                drain()  # what the microphone gathered while time jumped belongs to no one
            self._hold_until = time.monotonic() + self.quiet_s
        self.events.emit(ClockSkipped(skipped_s=round((target - now).total_seconds(), 3), reason=reason))
        return None

    def listen(self, context: str, **kwargs: Any) -> Any:
        return self.inner.listen(context, **kwargs)

    def __getattr__(self, name: str) -> Any:  # close, phrases, quiet_s ...
        return getattr(self.inner, name)
