"""WAV reading/conversion and ``tandem transcribe`` end to end (PocketSphinx, flite speech)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

from assistant.cli import main
from assistant.speech.frames import FRAME_BYTES, SAMPLE_RATE
from assistant.speech.wavfile import WavError, iter_frames, read_wav, resample
from tests.engine_audio import needs_flite, needs_sox, write_wav

PHRASE = "start our gratitude moment"


def tone(rate: int, seconds: float = 0.5, freq: float = 440.0) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return 0.5 * np.sin(2 * np.pi * freq * t)


@pytest.mark.parametrize(
    "rate,channels,width,is_float,extensible",
    [(16000, 1, 2, False, False), (8000, 1, 2, False, False), (22050, 1, 2, False, False),
     (44100, 2, 2, False, False), (48000, 2, 3, False, False), (16000, 1, 4, True, False),
     (32000, 1, 1, False, False), (44100, 6, 4, False, True), (48000, 2, 4, True, True), (16000, 1, 8, True, False)],
)
def test_any_wav_becomes_16k_mono_int16(tmp_path: Path, rate: int, channels: int, width: int, is_float: bool,
                                       extensible: bool) -> None:
    mono = tone(rate)
    samples = np.repeat(mono[:, None], channels, axis=1) if channels > 1 else mono
    path = write_wav(tmp_path / "x.wav", samples, rate, width=width, is_float=is_float, extensible=extensible)
    pcm, info = read_wav(path)
    assert (info.rate, info.channels, info.sample_width, info.is_float) == (rate, channels, width, is_float)
    got = np.frombuffer(pcm, dtype="<i2").astype(float) / 32768
    assert abs(len(got) - SAMPLE_RATE * 0.5) <= 2
    expected = tone(SAMPLE_RATE)[: len(got)]
    tol = 0.02 if width > 1 else 0.05
    assert np.abs(got[200:-200] - expected[200:-200]).max() < tol  # same waveform, edges aside


def test_resampling_removes_what_16k_cannot_hold() -> None:
    high = tone(48000, 1.0, freq=12000.0)  # above the 8 kHz Nyquist of the target: must vanish, not alias
    out = resample(high, 48000, 16000)
    assert np.sqrt(np.mean(out[500:-500] ** 2)) < 0.01


def test_iter_frames_pads_the_last_frame() -> None:
    chunks = list(iter_frames(b"\x01\x00" * 1000))
    assert [len(c) for c in chunks] == [FRAME_BYTES] * 3
    assert chunks[-1].endswith(b"\x00" * (FRAME_BYTES - 80))
    assert list(iter_frames(b"")) == []


def test_bad_files_raise_one_line_errors(tmp_path: Path) -> None:
    cases = {
        "empty.wav": b"",
        "text.wav": b"hello, this is not audio",
        "nofmt.wav": b"RIFF\x04\x00\x00\x00WAVE",
        "truncfmt.wav": b"RIFF\x10\x00\x00\x00WAVEfmt \x04\x00\x00\x00\x01\x00",
        "alaw.wav": b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x06\x00\x01\x00\x40\x1f\x00\x00\x40\x1f\x00\x00\x01\x00\x08\x00data\x00\x00\x00\x00",
        "rifx.wav": b"RIFX\x00\x00\x00\x24WAVE",
        "nodata.wav": b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\x80\x3e\x00\x00\x00\x7d\x00\x00\x02\x00\x10\x00",
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(WavError) as info:
            read_wav(tmp_path / name)
        assert name in str(info.value) and "\n" not in str(info.value)
    with pytest.raises(WavError, match="no such file"):
        read_wav(tmp_path / "missing.wav")
    with pytest.raises(WavError, match="folder"):
        read_wav(tmp_path)


def test_streaming_writers_with_unknown_data_size(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "s.wav", tone(16000), 16000)
    data = bytearray(path.read_bytes())
    data[40:44] = b"\xff\xff\xff\xff"  # what arecord/sox write when piping
    path.write_bytes(bytes(data))
    pcm, _ = read_wav(path)
    assert len(pcm) == 16000


@pytest.fixture(scope="module")
def gratitude_wavs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("speech")
    out = {}
    for voice in ("slt", "kal16", "rms", "awb"):
        path = folder / f"{voice}.wav"
        subprocess.run(["flite", "-voice", voice, "-t", PHRASE, "-o", str(path)], check=True, timeout=60)
        out[voice] = path
    return out


@needs_flite
@pytest.mark.parametrize("voice", ["slt", "kal16", "rms", "awb"])  # kal is 8 kHz: see the report
def test_transcribe_command_mode_prints_the_phrase(gratitude_wavs: dict[str, Path], voice: str,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["transcribe", str(gratitude_wavs[voice]), "--mode", "command", "--engine", "pocketsphinx"]) == 0
    assert capsys.readouterr().out.strip() == PHRASE


@needs_flite
def test_transcribe_dictation_default_engine(gratitude_wavs: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["transcribe", str(gratitude_wavs["slt"])]) == 0  # no model installed: PocketSphinx
    assert "gratitude" in capsys.readouterr().out


@needs_flite
@needs_sox
def test_transcribe_converts_rate_and_channels(gratitude_wavs: dict[str, Path], tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    stereo = tmp_path / "stereo44k.wav"
    subprocess.run(["sox", str(gratitude_wavs["slt"]), "-r", "44100", "-c", "2", "-b", "24", str(stereo)], check=True)
    assert main(["transcribe", str(stereo), "--mode", "command"]) == 0
    assert capsys.readouterr().out.strip() == PHRASE


@needs_flite
@pytest.mark.parametrize("detector, sensitivity, quiet", [
    ("openwakeword", 0.9, []),
    # strict: the chime's threshold above this clip's score, the quiet wake's where the model card put it
    ("openwakeword+quiet", 0.0, ["quiet"]),
])
def test_transcribe_wake_mode(tmp_path: Path, capsys: pytest.CaptureFixture[str], detector: str, sensitivity: float,
                              quiet: list[str]) -> None:
    wav = tmp_path / "wake.wav"
    # the wake head's own voice family: this checks the command's stream and output, the benchmark its accuracy
    subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(wav), "hey tandem"], check=True)
    subprocess.run(["sox", str(wav), "-r", "16000", str(tmp_path / "padded.wav"), "pad", "1", "1.5"], check=True)
    # the eager end of wake_sensitivity, so a clip at the default threshold's edge cannot make this flaky
    home = Path(os.environ["TANDEM_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(f"[speech]\nwake_sensitivity = {sensitivity}\nwake_detector = \"{detector}\"\n")
    assert main(["transcribe", str(tmp_path / "padded.wav"), "--mode", "wake"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1, lines  # one wake: "<seconds> <phrase> <score>", and "quiet" for a quiet one
    seconds, hey, tandem, score, *rest = lines[0].split()
    assert 1.0 < float(seconds) < 3.5 and (hey, tandem) == ("hey", "tandem") and 0.0 < float(score) <= 1.0
    assert rest == quiet


def test_transcribe_bad_file_is_one_line_and_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "notes.wav"
    bad.write_text("shopping list")
    assert main(["transcribe", str(bad)]) != 0
    err = capsys.readouterr().err.strip()
    assert err.startswith("tandem: ") and err.count("\n") == 0 and "not a WAV" in err
    assert main(["transcribe", str(tmp_path / "none.wav")]) != 0
    assert "no such file" in capsys.readouterr().err
    assert main(["transcribe", str(bad), "--engine", "kaldi"]) == 2
