"""The unit of audio everyone shares: 30 ms of 16 kHz mono int16 as ``bytes``.

``AudioSource`` is what the microphone and the WAV replayer both are; the
recognisers, the wake spotter and the endpointer all consume its frames.
``EchoGate`` is how the voice tells the ears that Tandem itself is talking
(so it never hears itself) and how the ears cut a reply short (barge-in).
"""

from __future__ import annotations

import threading
import time
from typing import Protocol

from ..errors import TandemError

SAMPLE_RATE = 16000
FRAME_MS = 30
FRAME_S = FRAME_MS / 1000.0
FRAME_SAMPLES = SAMPLE_RATE * FRAME_MS // 1000  # 480
FRAME_BYTES = FRAME_SAMPLES * 2  # 960


class AudioDeviceError(TandemError):
    """No microphone, or it went away; the message says what to check."""


class AudioSource(Protocol):
    def read(self, timeout: float) -> bytes | None:
        """The next 960-byte frame, or None if none came within ``timeout`` real seconds.

        Raises ``AudioDeviceError`` if the device is gone, and
        ``conversation.InputClosed`` when a finite source (WAV files) is used up.
        """
        ...

    def drain(self) -> None:
        """Drop whatever is buffered (e.g. Tandem's own voice)."""
        ...

    def close(self) -> None: ...


class EchoGate:
    """Shared between the voice (writer) and the ears (reader); all state behind a lock.

    While Tandem speaks and for ``tail_s`` after, microphone audio is not taken
    as commands. ``barge_in`` is set by the ears when "stop" is heard during a
    reply; the voice aborts playback when it sees it.
    """

    def __init__(self, tail_s: float = 0.5) -> None:
        self.tail_s = tail_s
        self._lock = threading.Lock()
        self._speaking = False
        self._quiet_after = 0.0
        self.barge_in = threading.Event()

    def begin(self) -> None:
        with self._lock:
            self._speaking = True
            self.barge_in.clear()

    def end(self) -> None:
        with self._lock:
            self._speaking = False
            self._quiet_after = time.monotonic() + self.tail_s

    def speaking(self) -> bool:
        """True while Tandem's voice (or its echo tail) may be in the room."""
        with self._lock:
            return self._speaking or time.monotonic() < self._quiet_after

    def quiet_since(self) -> float:
        """When Tandem's voice (and its tail) last left the room (monotonic); now while it speaks."""
        with self._lock:
            return time.monotonic() if self._speaking else self._quiet_after
