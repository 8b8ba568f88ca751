"""Read any PCM/float WAV file and turn it into the shared frame format.

The recognisers only take 16 kHz mono int16 (``frames.SAMPLE_RATE``); people
hand ``tandem transcribe`` whatever their recorder made (44.1 kHz stereo,
8 kHz telephone audio, 24-bit, float). The stdlib ``wave`` module of Python
3.11 rejects float and WAVE_FORMAT_EXTENSIBLE files, so the RIFF chunks are
parsed here (it is a small format) and the samples converted with numpy.
"""

from __future__ import annotations

import struct
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import TandemError
from .frames import FRAME_BYTES, SAMPLE_RATE

_PCM = 1
_FLOAT = 3
_EXTENSIBLE = 0xFFFE


class WavError(TandemError):
    """The file is not a WAV Tandem can read; the message names it and says what to do."""


@dataclass(frozen=True)
class WavInfo:
    rate: int
    channels: int
    sample_width: int  # bytes per sample
    is_float: bool
    seconds: float


def write_wav(path: Path, pcm: bytes, rate: int = SAMPLE_RATE) -> Path:
    """Mono int16 ``pcm`` as a WAV file at ``path`` (the frame format by default); returns ``path``."""
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm)
    return path


def read_wav(path: str | Path) -> tuple[bytes, WavInfo]:
    """16 kHz mono int16 bytes of the whole file, plus what the file was."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise WavError(f"{p}: no such file") from None
    except IsADirectoryError:
        raise WavError(f"{p}: is a folder, not a WAV file") from None
    except OSError as exc:
        raise WavError(f"{p}: cannot read it ({exc.strerror})") from None
    try:
        samples, info = _decode(data)
    except ValueError as exc:
        raise WavError(f"{p}: {exc}; convert it to a PCM WAV (e.g. 'sox in.mp3 out.wav')") from None
    return to_pcm16(samples, info.rate), info


def to_pcm16(samples: np.ndarray, rate: int) -> bytes:
    """Mono float samples in [-1, 1] at ``rate`` → 16 kHz int16 bytes."""
    if rate != SAMPLE_RATE:
        samples = resample(samples, rate, SAMPLE_RATE)
    return (np.clip(samples, -1.0, 1.0) * 32767.0).round().astype("<i2").tobytes()


def iter_frames(pcm: bytes) -> Iterator[bytes]:
    """960-byte frames; the last one is padded with silence (recognisers want whole frames)."""
    for start in range(0, len(pcm), FRAME_BYTES):
        frame = pcm[start : start + FRAME_BYTES]
        if len(frame) < FRAME_BYTES:
            frame = frame + b"\x00" * (FRAME_BYTES - len(frame))
        yield frame


def resample(samples: np.ndarray, src: int, dst: int) -> np.ndarray:
    """Band-limited resampling: a windowed-sinc low-pass below the lower Nyquist, then interpolation.

    Good enough for speech recognition (aliasing from 44.1/48 kHz sources
    hurt accuracy measurably without the low-pass), with no scipy/sox dependency.
    """
    if src == dst or samples.size == 0:
        return samples
    cutoff = 0.45 * min(src, dst) / src  # fraction of the source rate
    if dst < src:
        taps = 64 * max(1, round(src / dst)) + 1
        n = np.arange(taps) - (taps - 1) / 2
        kernel = 2 * cutoff * np.sinc(2 * cutoff * n) * np.blackman(taps)
        samples = np.convolve(samples, kernel / kernel.sum(), mode="same")
    length = int(round(samples.size * dst / src))
    positions = np.arange(length) * (src / dst)
    return np.interp(positions, np.arange(samples.size), samples)


def _decode(data: bytes) -> tuple[np.ndarray, WavInfo]:
    if len(data) < 12 or data[:4] not in (b"RIFF", b"RIFX") or data[8:12] != b"WAVE":
        raise ValueError("not a WAV file (no RIFF/WAVE header)")
    if data[:4] == b"RIFX":
        raise ValueError("big-endian (RIFX) WAV is not supported")
    fmt: tuple[int, int, int, int] | None = None
    body: bytes | None = None
    pos = 12
    while pos + 8 <= len(data):
        chunk_id = data[pos : pos + 4]
        (size,) = struct.unpack_from("<I", data, pos + 4)
        start = pos + 8
        chunk = data[start : start + size]
        if chunk_id == b"fmt ":
            fmt = _parse_fmt(chunk)
        elif chunk_id == b"data":
            # Streaming writers leave size 0 or 0xFFFFFFFF: take what is there.
            body = data[start:] if size in (0, 0xFFFFFFFF) or start + size > len(data) else chunk
            if fmt is not None:
                break
        pos = start + size + (size & 1)  # chunks are word-aligned
    if fmt is None:
        raise ValueError("the WAV has no 'fmt ' chunk")
    if body is None:
        raise ValueError("the WAV has no 'data' chunk")
    tag, channels, rate, bits = fmt
    width = bits // 8
    is_float = tag == _FLOAT
    frame_width = width * channels
    usable = len(body) - len(body) % frame_width
    raw = body[:usable]
    if is_float:
        if width not in (4, 8):
            raise ValueError(f"{bits}-bit float samples are not supported")
        samples = np.frombuffer(raw, dtype="<f4" if width == 4 else "<f8").astype(np.float64)
        samples = np.nan_to_num(samples)
    elif width == 1:  # 8-bit WAV is unsigned
        samples = (np.frombuffer(raw, dtype=np.uint8).astype(np.float64) - 128.0) / 128.0
    elif width == 2:
        samples = np.frombuffer(raw, dtype="<i2").astype(np.float64) / 32768.0
    elif width == 3:
        b = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        ints = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        ints = np.where(ints >= 1 << 23, ints - (1 << 24), ints)
        samples = ints.astype(np.float64) / float(1 << 23)
    elif width == 4:
        samples = np.frombuffer(raw, dtype="<i4").astype(np.float64) / float(1 << 31)
    else:
        raise ValueError(f"{bits}-bit samples are not supported")
    if channels > 1:
        samples = samples.reshape(-1, channels).mean(axis=1)  # a downmix: speech is in every channel
    info = WavInfo(rate=rate, channels=channels, sample_width=width, is_float=is_float,
                   seconds=samples.size / rate if rate else 0.0)
    return samples, info


def _parse_fmt(chunk: bytes) -> tuple[int, int, int, int]:
    if len(chunk) < 16:
        raise ValueError("the WAV 'fmt ' chunk is truncated")
    tag, channels, rate, _byte_rate, _align, bits = struct.unpack_from("<HHIIHH", chunk)
    if tag == _EXTENSIBLE:
        if len(chunk) < 26:
            raise ValueError("the WAV extensible 'fmt ' chunk is truncated")
        (tag,) = struct.unpack_from("<H", chunk, 24)  # first two bytes of the sub-format GUID
    if tag not in (_PCM, _FLOAT):
        raise ValueError(f"compressed WAV (format {tag}) is not supported")
    if channels < 1 or not 1000 <= rate <= 384000 or bits not in (8, 16, 24, 32, 64):
        raise ValueError(f"implausible WAV format ({channels} channels, {rate} Hz, {bits} bits)")
    return tag, channels, rate, bits
