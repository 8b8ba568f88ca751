"""Synthetic test speech for the benchmarks: several voices, varied, with noise at fixed SNRs.

Voices are Debian's flite (kal, slt, rms, awb) and festival (kal_diphone),
optionally espeak-ng as a deliberately unlike voice. Each utterance can be
varied with sox (pitch, tempo, reverb) so the corpus is not five identical
robots, and mixed with noise at a chosen signal-to-noise ratio measured over
the speech itself (not over the padded silence).

All audio is 16 kHz mono int16 bytes (the product's frame format).
"""

from __future__ import annotations

import random
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from assistant.speech.frames import SAMPLE_RATE  # noqa: E402
from assistant.speech.wavfile import read_wav  # noqa: E402

FLITE_VOICES = ("kal16", "slt", "rms", "awb")
HARD_VOICES = (("flite", "kal"), ("espeak", "en-us"))  # 8 kHz narrow-band diphones; espeak-ng formants
FESTIVAL_VOICES = ("kal_diphone",)


@dataclass(frozen=True)
class Voice:
    engine: str  # flite | festival | espeak
    name: str

    def __str__(self) -> str:
        return f"{self.engine}:{self.name}"


def available_voices(hard: bool = False) -> list[Voice]:
    """The benchmark voices; ``hard`` adds the ones a 16 kHz microphone would never deliver
    (flite kal is 8 kHz narrow-band) or that PocketSphinx is known to fail (espeak-ng)."""
    voices: list[Voice] = []
    if shutil.which("flite"):
        voices += [Voice("flite", v) for v in FLITE_VOICES]
    if shutil.which("text2wave"):
        voices += [Voice("festival", v) for v in FESTIVAL_VOICES]
    if hard:
        voices += [Voice(engine, name) for engine, name in HARD_VOICES
                   if shutil.which("flite" if engine == "flite" else "espeak-ng")]
    return voices


@dataclass(frozen=True)
class Variation:
    """A sox effect chain; an empty one is the voice as it comes."""

    label: str
    effects: tuple[str, ...] = ()


def random_variation(rng: random.Random) -> Variation:
    """One of: unchanged, pitch shift, tempo change, room reverb, or pitch + reverb."""
    kind = rng.choice(["none", "pitch", "tempo", "reverb", "pitch+reverb"])
    if kind == "none":
        return Variation("plain")
    effects: list[str] = []
    parts: list[str] = []
    if "pitch" in kind:
        cents = rng.choice([-300, -200, -120, 120, 200, 300])
        effects += ["pitch", str(cents)]
        parts.append(f"pitch{cents:+d}")
    if kind == "tempo":
        factor = rng.choice([0.85, 0.92, 1.08, 1.18])
        effects += ["tempo", "-s", str(factor)]
        parts.append(f"tempo{factor}")
    if "reverb" in kind:
        amount = rng.choice([20, 35, 50])
        effects += ["reverb", str(amount)]
        parts.append(f"reverb{amount}")
    return Variation("+".join(parts), tuple(effects))


def synthesise(text: str, voice: Voice, variation: Variation = Variation("plain"), pad_s: float = 0.4) -> bytes:
    """``text`` spoken by ``voice``, varied, with ``pad_s`` of silence either side."""
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.wav"
        if voice.engine == "flite":
            cmd = ["flite", "-voice", voice.name, "-t", text, "-o", str(raw)]
            subprocess.run(cmd, check=True, capture_output=True, timeout=60)
        elif voice.engine == "festival":
            cmd = ["text2wave", "-o", str(raw), "-eval", f"(voice_{voice.name})"]
            subprocess.run(cmd, input=text.encode(), check=True, capture_output=True, timeout=60)
        elif voice.engine == "espeak":
            cmd = ["espeak-ng", "-v", voice.name, "-w", str(raw), text]
            subprocess.run(cmd, check=True, capture_output=True, timeout=60)
        else:
            raise ValueError(f"unknown synthesiser {voice.engine}")
        src = raw
        if variation.effects:
            varied = Path(tmp) / "varied.wav"
            # Reverb makes a stereo tail on some sox builds: force mono 16 kHz out.
            subprocess.run(["sox", str(raw), "-r", str(SAMPLE_RATE), "-c", "1", "-b", "16", str(varied),
                            *variation.effects], check=True, capture_output=True, timeout=60)
            src = varied
        pcm, _ = read_wav(src)
    pad = b"\x00\x00" * int(SAMPLE_RATE * pad_s)
    return pad + pcm + pad


def pink_noise(n: int, rng: np.random.Generator) -> np.ndarray:
    """1/f noise (a room's hum and hiss is closer to pink than white)."""
    white = rng.standard_normal(n)
    spectrum = np.fft.rfft(white)
    freqs = np.fft.rfftfreq(n)
    freqs[0] = freqs[1] if n > 1 else 1.0
    pink = np.fft.irfft(spectrum / np.sqrt(freqs), n)
    return pink / (np.std(pink) or 1.0)


def babble_noise(n: int, rng: np.random.Generator, bed: np.ndarray | None) -> np.ndarray:
    """A random stretch of other speech (a TV in the next room) when a bed is given, else pink noise."""
    if bed is None or bed.size < n:
        return pink_noise(n, rng)
    start = int(rng.integers(0, bed.size - n + 1))
    seg = bed[start : start + n]
    return seg / (np.std(seg) or 1.0)


def mix_at_snr(pcm: bytes, snr_db: float | None, rng: np.random.Generator, bed: np.ndarray | None = None,
               babble_share: float = 0.5) -> bytes:
    """``pcm`` with noise at ``snr_db`` dB, measured against the speech's active samples; None = clean.

    Half of the noise (by power) is pink noise, half babble from ``bed`` when given.
    A faint noise floor is always added: real microphones never deliver digital silence.
    """
    speech = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    active = speech[np.abs(speech) > 0.02 * (np.abs(speech).max() or 1)]
    p_speech = float(np.mean(active**2)) if active.size else 1.0
    n = speech.size
    if snr_db is None:
        floor = pink_noise(n, rng) * np.sqrt(p_speech / 10 ** (60 / 10))  # 60 dB down: inaudible
        out = speech + floor
    else:
        p_noise = p_speech / 10 ** (snr_db / 10)
        noise = np.sqrt(1 - babble_share) * pink_noise(n, rng) + np.sqrt(babble_share) * babble_noise(n, rng, bed)
        out = speech + noise * np.sqrt(p_noise)
    return np.clip(out, -32768, 32767).astype("<i2").tobytes()
