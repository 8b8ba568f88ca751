"""Shared helpers for the wake/endpoint/ears tests: synthesised speech and an in-memory source.

Speech is synthesised at test time with Debian's flite/festival voices (via
``benchmarks/voices.py``); nothing is committed as audio.
"""

from __future__ import annotations

import shutil
import sys
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest

from assistant.conversation import InputClosed
from assistant.speech.frames import FRAME_BYTES

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import voices  # noqa: E402

needs_tts = pytest.mark.skipif(not shutil.which("flite"), reason="flite is not installed")


@lru_cache(maxsize=None)
def speech(text: str, voice: str = "flite:slt", pad_s: float = 0.5) -> bytes:
    engine, name = voice.split(":")
    return voices.synthesise(text, voices.Voice(engine, name), pad_s=pad_s)


def trimmed(pcm: bytes, floor_dbfs: float = -50.0) -> bytes:
    """``pcm`` without the synthesiser's own leading and trailing silence."""
    a = np.frombuffer(pcm, dtype="<i2")
    loud = np.flatnonzero(np.abs(a.astype(np.int32)) > 32768 * 10 ** (floor_dbfs / 20))
    return a[loud[0]:loud[-1] + 1].tobytes() if loud.size else b""


def silence(seconds: float) -> bytes:
    return b"\x00\x00" * int(16000 * seconds)


def noisy(pcm: bytes, snr_db: float | None = None, seed: int = 0) -> bytes:
    """A faint (or ``snr_db``) noise bed: real microphones never deliver digital silence."""
    return voices.mix_at_snr(pcm, snr_db, np.random.default_rng(seed))


def pink(seconds: float, level: float = 300.0, seed: int = 0) -> bytes:
    n = int(16000 * seconds)
    return (voices.pink_noise(n, np.random.default_rng(seed)) * level).clip(-32768, 32767).astype("<i2").tobytes()


def frames(pcm: bytes) -> list[bytes]:
    return [pcm[i:i + FRAME_BYTES] for i in range(0, len(pcm) - FRAME_BYTES + 1, FRAME_BYTES)]


class BytesSource:
    """An AudioSource over a bytes buffer, unpaced; InputClosed when used up.

    ``on_frame(i)`` runs before frame ``i`` is handed out (tests use it to flip the echo gate).
    """

    def __init__(self, pcm: bytes, on_frame=None) -> None:
        self._frames = frames(pcm)
        self._i = 0
        self._on_frame = on_frame
        self.closed = False

    def read(self, timeout: float) -> bytes | None:
        if self._i >= len(self._frames):
            raise InputClosed()
        if self._on_frame is not None:
            self._on_frame(self._i)
        frame = self._frames[self._i]
        self._i += 1
        return frame

    def drain(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True
