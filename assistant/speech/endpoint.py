"""End of speech: when did someone start talking, and when did they stop?

Per 30 ms frame, ``Endpointer.feed(frame)`` answers ``None`` (nothing new),
``"start"`` (speech began: the frames of ``start_pad_s`` before it belong to
the utterance too), ``"end"`` (speech ended; ``ended_by`` is "silence" or
"max") or ``"discard"`` (what started was too little voiced audio to be
speech; waiting again).

A frame counts as voiced only when webrtcvad says speech AND its energy
clears an energy gate: ``energy_margin_db`` above a slowly tracked noise floor
and above ``min_level_dbfs``. That keeps hum, fans and the room's hiss out.
Speech "starts" after ``start_s`` of voiced frames within a short window, so
a click or a clatter (one or two loud frames) never opens an utterance, and
an utterance with less than ``min_voiced_s`` of voiced audio in total is
dropped (breathing, a cough, a chair) -- the endpointer goes back to waiting
instead of reporting it. Background music that passes the VAD does become
an "utterance"; the recogniser and the intent matcher's out-of-domain
rejection then turn it into nothing (see ``ears.py``).

Settings (``EndpointSettings``; command and dictation defaults):

=====================  ========  ==========  ==============================================
setting                command   dictation   meaning
=====================  ========  ==========  ==============================================
trailing_silence_s     0.7       1.5         unvoiced time after speech that ends it
start_s                0.12      0.12        voiced time (within 0.3 s) that starts speech
min_voiced_s           0.25      0.25        less voiced audio than this is not speech
min_utterance_s        1.0       1.0         never end sooner after the start (short
                                             "yes" + trailing silence already exceeds it)
max_utterance_s        20.0      120.0       a bounded window: end anyway ("max")
start_pad_s            0.3       0.3         audio kept from before the start decision
vad_mode               3         3           webrtcvad aggressiveness 0..3
energy_margin_db       9.0       9.0         a voiced frame is this far above the noise floor
min_level_dbfs         -55.0     -55.0       ... and at least this loud
=====================  ========  ==========  ==============================================

``AudioListener`` takes one ``EndpointSettings`` for command mode and one for
dictation (a partner's turn); ``with_silence`` derives variants.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, replace

import numpy as np
import webrtcvad

from .frames import FRAME_BYTES, FRAME_S, SAMPLE_RATE


@dataclass(frozen=True)
class EndpointSettings:
    trailing_silence_s: float = 0.7
    start_s: float = 0.12
    min_voiced_s: float = 0.25
    min_utterance_s: float = 1.0
    max_utterance_s: float = 20.0
    start_pad_s: float = 0.3
    vad_mode: int = 3
    energy_margin_db: float = 9.0
    min_level_dbfs: float = -55.0

    def validate(self) -> None:
        if not 0 <= self.vad_mode <= 3:
            raise ValueError("vad_mode", "must be 0..3")
        if self.trailing_silence_s <= 0 or self.max_utterance_s <= self.trailing_silence_s:
            raise ValueError("trailing_silence_s", "must be positive and below max_utterance_s")


COMMAND_ENDPOINT = EndpointSettings()
DICTATION_ENDPOINT = EndpointSettings(trailing_silence_s=1.5, max_utterance_s=120.0)


def frame_dbfs(frame: bytes) -> float:
    samples = np.frombuffer(frame, dtype="<i2").astype(np.float64)
    rms = math.sqrt(float(np.mean(samples * samples))) if samples.size else 0.0
    return 20.0 * math.log10(max(rms, 1.0) / 32768.0)


class Endpointer:
    """Speech start/end decisions for one stream of frames; not thread-safe (one owner)."""

    def __init__(self, settings: EndpointSettings = COMMAND_ENDPOINT) -> None:
        self.settings = settings
        self._vad = webrtcvad.Vad(settings.vad_mode)
        self._noise_db = -70.0  # tracked floor; starts low so the first word is not gated out
        self._frames = lambda s: max(1, int(round(s / FRAME_S)))
        self.reset()

    def reset(self) -> None:
        """Wait for a new utterance (the noise floor estimate is kept: the room did not change)."""
        self.in_speech = False
        self.ended_by = ""
        self._recent: deque[bool] = deque(maxlen=self._frames(0.3))
        self._speech_frames = 0  # frames since the start decision
        self._voiced = 0
        self._silent_run = 0

    @property
    def speech_s(self) -> float:
        """Voiced seconds of the current (or just ended) utterance."""
        return self._voiced * FRAME_S

    @property
    def utterance_s(self) -> float:
        return self._speech_frames * FRAME_S

    def is_voiced(self, frame: bytes) -> bool:
        if len(frame) != FRAME_BYTES:
            return False
        level = frame_dbfs(frame)
        try:
            vad = self._vad.is_speech(frame, SAMPLE_RATE)
        except Exception:  # webrtcvad raises a bare Error on odd input: treat as silence
            vad = False
        voiced = (vad and level >= self._noise_db + self.settings.energy_margin_db
                  and level >= self.settings.min_level_dbfs)
        # The floor follows quiet frames quickly down and loud ones slowly up, so speech
        # does not raise it much but a new fan is learnt within a few seconds.
        rate = 0.2 if level < self._noise_db else (0.002 if voiced else 0.02)
        self._noise_db += rate * (level - self._noise_db)
        return voiced

    def feed(self, frame: bytes) -> str | None:
        s = self.settings
        voiced = self.is_voiced(frame)
        if not self.in_speech:
            self._recent.append(voiced)
            if sum(self._recent) * FRAME_S >= s.start_s:
                self.in_speech = True
                self._voiced = sum(self._recent)
                self._speech_frames = len(self._recent)
                self._silent_run = 0
                return "start"
            return None
        self._speech_frames += 1
        if voiced:
            self._voiced += 1
            self._silent_run = 0
        else:
            self._silent_run += 1
        if self._speech_frames * FRAME_S >= s.max_utterance_s:
            return self._end("max")
        if self._silent_run * FRAME_S >= s.trailing_silence_s and self._speech_frames * FRAME_S >= s.min_utterance_s:
            if self._voiced * FRAME_S < s.min_voiced_s:
                # Breathing, a cough, a plate: not an utterance -- keep waiting for one.
                self.reset()
                return "discard"
            return self._end("silence")
        return None

    def _end(self, why: str) -> str:
        self.in_speech = False
        self._recent.clear()  # the next utterance must earn its own start
        self.ended_by = why
        return "end"


def with_silence(settings: EndpointSettings, trailing_silence_s: float | None = None,
                 max_utterance_s: float | None = None) -> EndpointSettings:
    """A copy with other limits (the config's command/dictation silences)."""
    changes: dict[str, float] = {}
    if trailing_silence_s is not None:
        changes["trailing_silence_s"] = trailing_silence_s
    if max_utterance_s is not None:
        changes["max_utterance_s"] = max_utterance_s
    return replace(settings, **changes)
