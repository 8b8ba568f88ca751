"""Helpers for tests that go through the virtual home (tools/virtual-home).

* ``synth_wav`` -- a line said by one of the couple, synthesised with Debian's
  flite or festival (never the assistant's espeak-ng voice);
* ``play_into_mic`` / ``start_playing`` -- paplay into the "micfeed" sink:
  someone speaking into the microphone, paced in real time;
* ``SpeakerRecorder`` -- parec on "speaker.monitor": what Tandem said;
* ``wav_activity`` -- duration, loudness and voiced seconds of a recording;
* ``private_home`` -- a separate PulseAudio instance (own socket) for tests
  that unplug the microphone, so the shared one keeps working for others.

Modules using these mark themselves with ``needs_vhome``: skipped, with the
reason, when PULSE_SERVER is not set (run them through 'make test').
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parent.parent
VHOME = REPO / "tools" / "virtual-home"
PULSE_SERVER = os.environ.get("PULSE_SERVER", "")

needs_vhome = pytest.mark.skipif(
    not PULSE_SERVER,
    reason="needs the virtual home: run 'make test' or eval \"$(tools/virtual-home start)\" first (PULSE_SERVER is not "
           "set)",
)


def synth_wav(text: str, path: Path, *, voice: str = "slt", engine: str = "flite") -> Path:
    """Synthesise ``text`` into ``path`` with flite (voices kal, awb, rms, slt) or festival."""
    if engine == "flite":
        if not shutil.which("flite"):
            pytest.skip("flite is missing: apt-get install flite")
        subprocess.run(["flite", "-voice", voice, "-t", text, "-o", str(path)], check=True, timeout=30,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    elif engine == "festival":
        if not shutil.which("text2wave"):
            pytest.skip("festival is missing: apt-get install festival festvox-kallpc16k")
        subprocess.run(["text2wave", "-o", str(path)], input=text.encode(), check=True, timeout=60,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    else:
        raise ValueError(engine)
    return path


def silence_wav(seconds: float, path: Path, rate: int = 16000) -> Path:
    import wave

    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"\x00\x00" * int(rate * seconds))
    return path


def start_playing(path: Path, *, device: str = "micfeed", env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """paplay in the background (paced in real time by the server)."""
    return subprocess.Popen(["paplay", "-d", device, str(path)], env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def play_into_mic(path: Path, *, env: dict[str, str] | None = None, timeout: float = 60.0) -> None:
    """Someone says the WAV into the microphone; returns when they have finished."""
    proc = start_playing(path, env=env)
    try:
        proc.wait(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)


class SpeakerRecorder:
    """Records the virtual speaker (speaker.monitor) into a WAV while the block runs."""

    def __init__(self, path: Path, env: dict[str, str] | None = None) -> None:
        self.path = path
        self.env = env
        self._proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> SpeakerRecorder:
        self._proc = subprocess.Popen(
            ["parec", "-d", "speaker.monitor", "--latency-msec=20", "--file-format=wav",
             "--rate=16000", "--channels=1", "--format=s16le", str(self.path)],
            env=self.env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._proc is not None
        self._proc.send_signal(signal.SIGINT)  # parec finalises the WAV header on SIGINT
        try:
            self._proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait(timeout=5)


@dataclass(frozen=True)
class Activity:
    seconds: float  # length of the recording
    rms: float  # over the whole recording, 0..1
    voiced_s: float  # seconds of 30 ms frames louder than the threshold
    first_voiced_s: float | None  # offset of the first loud frame


def pcm_activity(pcm: bytes, rate: int = 16000, threshold: float = 0.01) -> Activity:
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64) / 32768.0
    if samples.size == 0:
        return Activity(0.0, 0.0, 0.0, None)
    frame = int(rate * 0.03)
    n = samples.size // frame
    frames = samples[: n * frame].reshape(n, frame) if n else samples.reshape(1, -1)
    energy = np.sqrt((frames**2).mean(axis=1))
    loud = np.flatnonzero(energy > threshold)
    return Activity(
        seconds=samples.size / rate,
        rms=float(np.sqrt((samples**2).mean())),
        voiced_s=float(loud.size * 0.03),
        first_voiced_s=float(loud[0] * 0.03) if loud.size else None,
    )


def wav_activity(path: Path, threshold: float = 0.01) -> Activity:
    from assistant.speech.wavfile import read_wav

    pcm, _info = read_wav(path)
    return pcm_activity(pcm, 16000, threshold)


@contextmanager
def private_home() -> Iterator[dict[str, str]]:
    """A second virtual home with its own socket; yields the environment to use it.

    The socket path must stay short (AF_UNIX allows ~107 bytes), hence /tmp.
    """
    run_dir = tempfile.mkdtemp(prefix="tvh-", dir="/tmp")
    env = dict(os.environ)
    env["TANDEM_VHOME"] = run_dir
    try:
        out = subprocess.run([str(VHOME), "start"], env=env, capture_output=True, text=True, timeout=30)
        if out.returncode != 0:
            pytest.fail(f"a private virtual home did not start: {out.stderr.strip()}")
        for line in out.stdout.splitlines():
            if line.startswith("export "):
                key, _, value = line[len("export "):].partition("=")
                env[key] = value
        yield env
    finally:
        subprocess.run([str(VHOME), "stop"], env=env, capture_output=True, timeout=30)
        shutil.rmtree(run_dir, ignore_errors=True)


def vhome(command: str, env: dict[str, str]) -> None:
    """tools/virtual-home COMMAND on the home ``env`` points at (mic-off, mic-on, ...)."""
    subprocess.run([str(VHOME), command], env=env, check=True, capture_output=True, timeout=30)
