"""Audio in: the microphone (through the virtual home) and WAV files as a microphone."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import wave
from pathlib import Path

import numpy as np
import pytest

from assistant.conversation import InputClosed
from assistant.speech.audio import MicSource, WavSource, list_devices
from assistant.speech.frames import FRAME_BYTES, AudioDeviceError
from tests.vhome import REPO, needs_vhome, pcm_activity, private_home, start_playing, synth_wav


def _write_wav(path: Path, samples: np.ndarray, rate: int, channels: int) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return path


def _tone(seconds: float, rate: int, freq: float = 440.0, channels: int = 1) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    mono = 0.5 * np.sin(2 * np.pi * freq * t)
    return np.repeat(mono, channels) if channels > 1 else mono


# --- WAV files as the microphone (no sound server needed) ------------------------------


def test_wav_source_converts_44k_stereo_to_16k_mono_frames(tmp_path: Path) -> None:
    path = _write_wav(tmp_path / "stereo.wav", _tone(1.5, 44100, channels=2), 44100, 2)
    source = WavSource([path], gap_s=0.0, tail_s=0.0)
    frames = []
    with pytest.raises(InputClosed):
        while True:
            frames.append(source.read(0.1))
    assert all(isinstance(f, bytes) and len(f) == FRAME_BYTES for f in frames)
    assert len(frames) == pytest.approx(1.5 / 0.03, abs=1)
    pcm = b"".join(frames)
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    # the tone survives the conversion: dominant frequency 440 Hz at 16 kHz
    spectrum = np.abs(np.fft.rfft(samples))
    peak_hz = np.argmax(spectrum) * 16000 / samples.size
    assert peak_hz == pytest.approx(440, abs=5)
    assert 0.3 < np.abs(samples).max() / 32768 < 0.6


def test_wav_source_plays_files_in_order_with_gaps_and_tail(tmp_path: Path) -> None:
    a = _write_wav(tmp_path / "a.wav", _tone(0.3, 16000), 16000, 1)
    b = _write_wav(tmp_path / "b.wav", _tone(0.3, 8000, freq=300), 8000, 1)
    source = WavSource([a, b], gap_s=0.6, tail_s=0.9)
    frames = []
    with pytest.raises(InputClosed):
        while True:
            frames.append(source.read(0.1))
    act = pcm_activity(b"".join(frames))
    assert act.seconds == pytest.approx(0.3 + 0.6 + 0.3 + 0.9, abs=0.06)
    assert act.voiced_s == pytest.approx(0.6, abs=0.1)
    # after the end it stays closed
    with pytest.raises(InputClosed):
        source.read(0.1)


def test_wav_source_real_time_pacing_and_close(tmp_path: Path) -> None:
    path = _write_wav(tmp_path / "t.wav", _tone(3.0, 16000), 16000, 1)
    source = WavSource([path], realtime=True, tail_s=0.0)
    start = time.monotonic()
    for _ in range(34):  # ~1 s of frames
        assert source.read(1.0) is not None
    assert time.monotonic() - start == pytest.approx(0.99, abs=0.15)
    threading.Timer(0.1, source.close).start()
    with pytest.raises(InputClosed):
        while True:
            source.read(1.0)


def test_wav_source_bad_file_is_a_one_line_error(tmp_path: Path) -> None:
    bad = tmp_path / "notes.txt"
    bad.write_text("not audio")
    from assistant.errors import TandemError

    with pytest.raises(TandemError) as err:
        WavSource([bad])
    assert "notes.txt" in str(err.value) and "\n" not in str(err.value)


# --- the microphone, through the virtual home ----------------------------------------------


@needs_vhome
def test_list_devices_marks_defaults() -> None:
    devices = list_devices()
    assert any(d.is_default_input and d.max_input_channels > 0 for d in devices)
    assert any(d.is_default_output and d.max_output_channels > 0 for d in devices)


@needs_vhome
def test_mic_source_hears_a_flite_line_in_real_time(tmp_path: Path) -> None:
    wav = synth_wav("hey tandem, start our gratitude moment", tmp_path / "line.wav", voice="slt")
    mic = MicSource()
    try:
        # a live microphone: silence frames flow before anyone speaks
        first = [mic.read(1.0) for _ in range(10)]
        assert all(f is not None and len(f) == FRAME_BYTES for f in first)
        assert pcm_activity(b"".join(f for f in first if f)).voiced_s == 0.0
        mic.drain()
        player = start_playing(wav)
        started = time.monotonic()
        frames: list[bytes] = []
        while time.monotonic() - started < 4.5:
            frame = mic.read(1.0)
            assert frame is not None and len(frame) == FRAME_BYTES
            frames.append(frame)
        player.wait(timeout=10)
    finally:
        mic.close()
    heard = pcm_activity(b"".join(frames))
    said = pcm_activity(_as_16k(wav))
    # paced in real time: 4.5 s of reading gave ~4.5 s of frames (not a burst)
    assert heard.seconds == pytest.approx(4.5, abs=0.3)
    assert heard.voiced_s == pytest.approx(said.voiced_s, abs=0.4)
    assert heard.first_voiced_s is not None and heard.first_voiced_s < 0.6
    assert mic.overflows()[0] == 0


def _as_16k(path: Path) -> bytes:
    from assistant.speech.wavfile import read_wav

    return read_wav(path)[0]


@needs_vhome
def test_mic_source_counts_overflows_when_nobody_reads() -> None:
    mic = MicSource(queue_frames=5)
    try:
        threading.Event().wait(0.6)  # nobody reads: ~20 frames arrive, 5 fit
        dropped, _ = mic.overflows()
        assert dropped >= 8
        assert mic.read(1.0) is not None  # still delivering
    finally:
        mic.close()
    with pytest.raises(InputClosed):
        mic.read(0.1)


@needs_vhome
def test_missing_input_device_is_a_one_line_error() -> None:
    with pytest.raises(AudioDeviceError) as err:
        MicSource("no-such-microphone-xyz")
    message = str(err.value)
    assert "no-such-microphone-xyz" in message and "tandem devices" in message and "\n" not in message


# The mic-loss check runs in a child process on a private virtual home: the
# shared one keeps its microphone, and PortAudio in the child sees only the
# private server.
MIC_LOSS_SCRIPT = r"""
import json, subprocess, sys, time
from assistant.speech.audio import MicSource
from assistant.speech.frames import AudioDeviceError
vh = sys.argv[1]
out = {}
mic = MicSource()
out["before"] = sum(1 for _ in range(20) if mic.read(1.0))
subprocess.run([vh, "mic-off"], check=True, capture_output=True)
t = time.monotonic()
try:
    while time.monotonic() - t < 10:
        mic.read(0.5)
    out["raised"] = None
except AudioDeviceError as exc:
    out["raised"] = str(exc)
    out["detect_s"] = time.monotonic() - t
mic.close()
# what wiring.RetryingSource does: a new source, which fails while the device is away
try:
    MicSource().close()
    out["reopen_while_off"] = "opened"
except AudioDeviceError as exc:
    out["reopen_while_off"] = str(exc)
subprocess.run([vh, "mic-on"], check=True, capture_output=True)
mic = MicSource()
out["after"] = sum(1 for _ in range(20) if mic.read(1.0))
mic.close()
print(json.dumps(out))
"""


@needs_vhome
def test_mic_loss_raises_and_a_new_source_opens_when_it_returns() -> None:
    with private_home() as env:
        proc = subprocess.run([sys.executable, "-c", MIC_LOSS_SCRIPT, str(REPO / "tools" / "virtual-home")],
                              env=env, cwd=REPO, capture_output=True, text=True, timeout=90)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["before"] == 20
    assert out["raised"] and "microphone" in out["raised"] and "\n" not in out["raised"]
    assert out["detect_s"] < 4.0
    assert out["reopen_while_off"] != "opened" and "tandem run --text" in out["reopen_while_off"]
    assert out["after"] == 20


@needs_vhome
def test_device_rescan_only_when_no_stream_is_open() -> None:
    from assistant.speech.audio import rescan_devices

    mic = MicSource()
    try:
        assert rescan_devices() is False  # it would close the open microphone
        assert mic.read(1.0) is not None
    finally:
        mic.close()
    assert rescan_devices() is True
    assert any(d.is_default_input for d in list_devices())
