"""Tandem's voice: the ``Speaker`` of ``conversation.py`` made of pyttsx3 + sounddevice.

``say(text)`` synthesises in a child process (``synth_worker``; pyttsx3 can
hang and its ``runAndWait()`` returns before the audio ends on Linux), then
plays the samples through a sounddevice stream whose callback can abort. So
``say()`` blocks about as long as the audio (a partner's turn timer starts
after the prompt really ended) and returns False when cut short by the
ears' barge-in ("stop") or by ``stop()``. Around playback the ``EchoGate``
is closed so the ears never take Tandem's own voice as a command.

Errors the loop should expect from ``say()``: ``SpeakerUnavailable`` (no or
vanished output device; ``SynthesisFailed`` is a kind of it). Log the kind,
never the words, and carry on. ``TtsUnavailable`` comes from the
constructor only (a missing backend is a start-up error).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import RULES, VoiceSettings, out_of_range
from .audio import PlaybackResult, SpeakerCannotOpen, SpeakerUnavailable, play_samples, rescan_devices, resolve_device
from .chime import CHIME_RATE, chime_samples
from .frames import EchoGate
from .synth_worker import SynthesisFailed, SynthWorker, TtsUnavailable

__all__ = [
    "SayStats",
    "SpeakerUnavailable",
    "SynthesisFailed",
    "TtsUnavailable",
    "Voice",
]

log = logging.getLogger("tandem.voice")


@dataclass(frozen=True)
class SayStats:
    """Timings of the last ``say()`` (time.monotonic() seconds), for the latency benchmark."""

    requested_at: float  # say() was called
    synth_s: float  # synthesis, including the round trip to the worker
    first_sample_at: float | None  # the output callback first ran (≈ first sample to the device)
    audio_s: float  # length of the audio
    ended_at: float
    completed: bool


# sentences are joined up to this length (~6 s of speech): fewer pauses, a buffer no bigger than an everyday reply's
PIECE_CHARS = 90
_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+")


def pieces(text: str) -> list[str]:
    """A reply cut at sentence ends into pieces of at most about ``PIECE_CHARS`` (a long sentence stays whole)."""
    out: list[str] = []
    for sentence in _SENTENCE_END.split(text):
        if out and len(out[-1]) + 1 + len(sentence) <= PIECE_CHARS:
            out[-1] += " " + sentence
        else:
            out.append(sentence)
    return [p for p in out if p.strip()]


class Voice:
    """The real speaker. Thread-safe: one utterance (or chime) plays at a time."""

    def __init__(
        self,
        settings: VoiceSettings,
        gate: EchoGate | None = None,
        *,
        tmp_dir: Path | None = None,
        worker_argv: Sequence[str] | None = None,
        start_timeout: float = 20.0,
        worker: SynthWorker | None = None,
    ) -> None:
        settings.validate()
        self.gate = gate
        self._settings_lock = threading.Lock()  # rate/volume/last: set live from other threads
        self._rate = settings.rate
        self._volume = settings.volume
        self._chime_enabled = settings.chime
        self._device_setting = settings.output_device
        self._last: SayStats | None = None
        self._play_lock = threading.Lock()  # one sound at a time; also serialises the worker
        self._stop = threading.Event()
        # ``worker`` lets tests inject one with short time limits or a hanging child.
        self._worker = worker or SynthWorker(tmp_dir, voice=settings.voice, rate=settings.rate, argv=worker_argv,
                                            start_timeout=start_timeout)
        self._worker.start()  # TtsUnavailable now, not at the first reply

    # --- live settings -------------------------------------------------------------

    def set_volume(self, volume: float) -> None:
        """0.0-1.0; applies from the next sentence (and chime)."""
        if not RULES["voice.volume"].fits(volume):
            raise ValueError(out_of_range("volume", volume, RULES["voice.volume"].allowed()))
        with self._settings_lock:
            self._volume = volume

    def set_rate(self, wpm: int) -> None:
        """Words per minute (80-400); applies from the next sentence (which restarts the worker, ~0.3 s)."""
        if not RULES["voice.rate"].fits(wpm):
            raise ValueError(out_of_range("rate", wpm, RULES["voice.rate"].allowed()))
        with self._settings_lock:
            self._rate = int(wpm)

    def set_voice(self, voice: str) -> None:
        """Another pyttsx3/espeak-ng voice: restarts the worker (TtsUnavailable if unknown)."""
        with self._play_lock:
            old = self._worker.voice
            self._worker.voice = voice
            try:
                self._worker.start()
            except TtsUnavailable:
                self._worker.voice = old
                self._worker.start()
                raise

    @property
    def volume(self) -> float:
        with self._settings_lock:
            return self._volume

    @property
    def rate(self) -> int:
        with self._settings_lock:
            return self._rate

    @property
    def last(self) -> SayStats | None:
        with self._settings_lock:
            return self._last

    @property
    def worker_pid(self) -> int | None:
        return self._worker.pid

    @property
    def worker_restarts(self) -> int:
        return self._worker.restarts

    # --- speaking ----------------------------------------------------------------------

    def _cut(self) -> bool:
        return self._stop.is_set() or (self.gate is not None and self.gate.barge_in.is_set())

    def say(self, text: str) -> bool:
        """Speak; return when the sound has finished (True) or was cut short (False)."""
        text = " ".join(text.split())
        if not text:
            return True
        requested = time.monotonic()
        with self._play_lock:
            self._stop.clear()
            if self.gate is not None:
                self.gate.begin()  # before synthesis: a "stop" said meanwhile still counts
            try:
                return self._say_pieces(pieces(text), requested)
            finally:
                if self.gate is not None:
                    self.gate.end()

    def _say_pieces(self, parts: list[str], requested: float) -> bool:
        """Synthesise and play one piece at a time: the largest buffer is one sentence's, not a whole
        welcome's (a 15 s reply as one float array grew the process by ~5 MB for good)."""
        synth_s = audio_s = 0.0
        first: float | None = None
        completed = True
        for part in parts:
            with self._settings_lock:
                rate, volume = self._rate, self._volume
            synth = self._worker.synthesize(part, rate)
            synth_s += synth.seconds
            if self._cut():
                completed = False
                break
            result = self._play(synth.samples, synth.rate, volume)
            first = first if first is not None else result.started_at
            audio_s += result.seconds
            if not result.completed:
                completed = False
                break
        self._record(requested, synth_s, first, audio_s, completed)
        return completed

    def _play(self, samples: Any, rate: int, volume: float) -> PlaybackResult:
        """Play on the configured speaker; if it cannot be opened, rescan the devices once
        (a speaker plugged in since start-up) and try again."""
        try:
            device = resolve_device(self._device_setting, "output")
            return play_samples(samples, rate, device=device, should_stop=self._cut, gain=volume)
        except SpeakerCannotOpen:
            if not rescan_devices():
                raise
        device = resolve_device(self._device_setting, "output")
        return play_samples(samples, rate, device=device, should_stop=self._cut, gain=volume)

    def _record(self, requested: float, synth_s: float, first: float | None, audio_s: float, completed: bool) -> None:
        stats = SayStats(requested, synth_s, first, audio_s, time.monotonic(), completed)
        with self._settings_lock:
            self._last = stats

    def stop(self) -> None:
        """Cut the current reply short (from any thread); say() then returns False."""
        self._stop.set()

    def chime(self, *, wait: bool = False) -> None:
        """The soft "I'm listening" sound. Does not close the echo gate and does not block
        (unless ``wait``): a command said in the same breath as the wake phrase must be heard."""
        if not self._chime_enabled:
            return
        if wait:
            self._play_chime()
            return
        threading.Thread(target=self._play_chime, name="tandem-chime", daemon=True).start()

    def _play_chime(self) -> None:
        # Skip rather than queue: a chime after the reply it announced is noise.
        if not self._play_lock.acquire(blocking=False):
            return
        try:
            device = resolve_device(self._device_setting, "output")
            # no rescan: it is only a chime
            play_samples(chime_samples(), CHIME_RATE, device=device, gain=self.volume, slack_s=2.0)
        except SpeakerUnavailable as exc:
            log.warning("chime not played: %s", type(exc).__name__)
        finally:
            self._play_lock.release()

    def close(self) -> None:
        self._stop.set()
        with self._play_lock:
            self._worker.stop()

    def __enter__(self) -> Voice:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
