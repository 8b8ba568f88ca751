"""The assistant's sense of time.

Every timer, turn and reminder asks a ``Clock`` instead of ``time``/``datetime``
so that tests can run a month of reminders in milliseconds (``FakeClock``) and
demos can run faster than life (``ScaledClock``, ``tandem run --clock-speed``).

Two readings are offered:

* ``now()`` -- the wall time in the couple's time zone (an aware datetime);
* ``monotonic()`` -- seconds that never jump, for measuring durations.

``wait(event, seconds)`` is the only way core code waits: it returns early
(True) when ``event`` is set, else False once ``seconds`` of *clock* time
have passed. No polling sleeps anywhere else.
"""

from __future__ import annotations

import os
import threading
import time
from datetime import datetime, timedelta, tzinfo
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    tz: tzinfo

    def now(self) -> datetime: ...

    def monotonic(self) -> float: ...

    def wait(self, event: threading.Event | None, seconds: float) -> bool: ...

    def real_seconds(self, seconds: float) -> float:
        """How many real seconds ``seconds`` of clock time take."""
        ...


class RealClock:
    """Wall time, as the device knows it."""

    def __init__(self, tz: tzinfo | None = None) -> None:
        self.tz = tz or local_zone()

    def now(self) -> datetime:
        return datetime.now(self.tz)

    def monotonic(self) -> float:
        return time.monotonic()

    def wait(self, event: threading.Event | None, seconds: float) -> bool:
        seconds = max(0.0, seconds)
        if event is None:
            time.sleep(seconds)
            return False
        return event.wait(seconds)

    def real_seconds(self, seconds: float) -> float:
        return max(0.0, seconds)


class ScaledClock:
    """Runs ``speed`` times faster than real time from ``start``.

    Audio stays real time (it is measured in samples); only the timers that
    consult this clock are accelerated.
    """

    def __init__(self, start: datetime | None = None, speed: float = 1.0, tz: tzinfo | None = None) -> None:
        if speed <= 0:
            raise ValueError("clock speed must be positive")
        self.tz = tz or (start.tzinfo if start and start.tzinfo else local_zone())
        self._start_wall = (start or datetime.now(self.tz)).astimezone(self.tz)
        self._start_real = time.monotonic()
        self.speed = float(speed)
        self._skipped = 0.0  # clock seconds jumped over by ``skip`` (written under the lock, read as one float)
        self._lock = threading.Lock()

    def _elapsed(self) -> float:
        return (time.monotonic() - self._start_real) * self.speed + self._skipped

    def skip(self, seconds: float) -> None:
        """Jump ``seconds`` ahead at once (idle time fast-forwarded); never backwards."""
        with self._lock:
            self._skipped += max(0.0, seconds)

    def now(self) -> datetime:
        return self._start_wall + timedelta(seconds=self._elapsed())

    def monotonic(self) -> float:
        return self._elapsed()

    def wait(self, event: threading.Event | None, seconds: float) -> bool:
        real = self.real_seconds(seconds)
        if event is None:
            time.sleep(real)
            return False
        return event.wait(real)

    def real_seconds(self, seconds: float) -> float:
        return max(0.0, seconds) / self.speed


class FakeClock:
    """A clock that only moves when told to, or when someone waits on it.

    ``wait`` advances time by the full amount at once (unless the event is
    already set), so code under test that waits 20 minutes returns at once
    with the clock 20 minutes later.
    """

    def __init__(self, start: datetime, tz: tzinfo | None = None) -> None:
        self.tz = tz or start.tzinfo or local_zone()
        self._now = start.astimezone(self.tz)
        self._mono = 0.0
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def monotonic(self) -> float:
        with self._lock:
            return self._mono

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now = self._now + timedelta(seconds=seconds)
            self._mono += seconds

    def set(self, when: datetime) -> None:
        """Jump to ``when`` (may go backwards, like a Pi after a power cut)."""
        with self._lock:
            delta = (when - self._now).total_seconds()
            self._now = when.astimezone(self.tz)
            self._mono += max(0.0, delta)

    def wait(self, event: threading.Event | None, seconds: float) -> bool:
        if event is not None and event.is_set():
            return True
        self.advance(max(0.0, seconds))
        return bool(event is not None and event.is_set())

    def real_seconds(self, seconds: float) -> float:
        return 0.0


def local_zone() -> tzinfo:
    """The system's time zone as a ZoneInfo when it can be named, else a fixed offset."""
    named = os.environ.get("TZ", "").lstrip(":")  # a process's own zone (systemd, a shell) comes first, as for libc
    if named and not named.startswith("/"):
        try:
            return ZoneInfo(named)
        except (KeyError, ValueError):
            pass
    try:
        link = os.readlink("/etc/localtime")
        name = link.split("zoneinfo/", 1)[1]
        return ZoneInfo(name)
    except (OSError, IndexError, KeyError, ValueError):
        pass
    try:
        with open("/etc/timezone", encoding="utf-8") as fh:
            return ZoneInfo(fh.read().strip())
    except (OSError, KeyError, ValueError):
        pass
    tz = datetime.now().astimezone().tzinfo
    return tz if tz is not None else ZoneInfo("UTC")


def zone_name(tz: tzinfo) -> str:
    key = getattr(tz, "key", None)
    return key if key else str(tz)


def isoformat(when: datetime) -> str:
    """ISO-8601 with offset, to the second (the export format's time shape)."""
    return when.isoformat(timespec="seconds")


def parse_iso(text: str, tz: tzinfo) -> datetime:
    """Parse ISO-8601; a time without an offset is taken in ``tz``."""
    when = datetime.fromisoformat(text.strip())
    if when.tzinfo is None:
        when = when.replace(tzinfo=tz)
    return when.astimezone(tz)
