"""WAV files replayed as if they were the microphone, then ``InputClosed``."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from pathlib import Path

from ..conversation import InputClosed
from ..errors import TandemError
from .frames import FRAME_BYTES, FRAME_S, SAMPLE_RATE

# --- WAV files as the microphone ------------------------------------------------------


def load_pcm16(path: str | Path) -> bytes:
    """A WAV file of any rate/channels/width as 16 kHz mono int16 bytes."""
    from .wavfile import read_wav

    pcm, _info = read_wav(path)
    return pcm


class WavSource:
    """WAV files replayed in order as if they were the microphone, then ``InputClosed``.

    ``realtime=True`` paces frames at 30 ms each (as a microphone would, so
    timers and the echo gate behave as in life); otherwise frames come as
    fast as they are read. ``gap_s`` of silence is put between files and
    ``tail_s`` after the last one: a real room is never cut off right at the
    end of a word, and the endpointer needs trailing silence to decide.
    """

    def __init__(
        self,
        paths: Sequence[str | Path],
        *,
        realtime: bool = False,
        gap_s: float = 0.5,
        tail_s: float = 1.0,
        lead_s: float = 0.0,
    ) -> None:
        if not paths:
            raise TandemError("no WAV files given")
        silence = lambda s: b"\x00\x00" * int(round(s * SAMPLE_RATE))  # noqa: E731
        parts: list[bytes] = [silence(lead_s)]
        for i, path in enumerate(paths):
            if i:
                parts.append(silence(gap_s))
            parts.append(load_pcm16(path))
        parts.append(silence(tail_s))
        pcm = b"".join(parts)
        pcm += b"\x00" * (-len(pcm) % FRAME_BYTES)
        self._pcm = pcm
        self.frames_total = len(pcm) // FRAME_BYTES
        self.realtime = realtime
        self._closed = threading.Event()  # close() may come from another thread
        # reader-owned
        self._index = 0
        self._t0: float | None = None

    @property
    def position_s(self) -> float:
        """Seconds of audio handed out so far (reader thread)."""
        return self._index * FRAME_S

    def read(self, timeout: float) -> bytes | None:
        if self._closed.is_set() or self._index >= self.frames_total:
            raise InputClosed("the WAV input is used up")
        if self.realtime:
            now = time.monotonic()
            if self._t0 is None:
                self._t0 = now
            due = self._t0 + self._index * FRAME_S
            if due - now > timeout:
                self._closed.wait(max(0.0, timeout))  # a bounded wait that close() can cut short
                return None
            if due > now:
                self._closed.wait(due - now)
            if self._closed.is_set():
                raise InputClosed("the WAV input was closed")
        start = self._index * FRAME_BYTES
        self._index += 1
        return self._pcm[start : start + FRAME_BYTES]

    def drain(self) -> None:
        # A microphone drops what was buffered; in real time that is every
        # frame already due. Unpaced, nothing is ever buffered.
        if self.realtime and self._t0 is not None:
            due_index = int((time.monotonic() - self._t0) / FRAME_S)
            self._index = max(self._index, min(due_index, self.frames_total))

    def close(self) -> None:
        self._closed.set()
