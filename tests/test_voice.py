"""Tandem's voice: pyttsx3 in a child process, played through the virtual speaker."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from assistant.config import VoiceSettings
from assistant.speech.chime import chime_samples
from assistant.speech.frames import EchoGate
from assistant.speech.synth_worker import SynthesisFailed, SynthWorker, TtsUnavailable
from assistant.speech.voice import PIECE_CHARS, Voice, pieces
from tests.vhome import REPO, SpeakerRecorder, needs_vhome, wav_activity

HANG_WORKER = [sys.executable, "-c",
               "import sys; from assistant.speech.synth_worker import main; sys.exit(main(sys.argv[1:], "
               "hang_on='zzhang'))"]
NO_PYTTSX3_WORKER = [sys.executable, "-c",
                     "import sys; sys.modules['pyttsx3'] = None; "
                     "from assistant.speech.synth_worker import main; sys.exit(main(sys.argv[1:]))"]


@pytest.fixture
def tmp_voice_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "tmp"
    folder.mkdir(mode=0o700)
    return folder


@pytest.fixture
def voice(tmp_voice_dir: Path) -> Voice:
    v = Voice(VoiceSettings(), EchoGate(), tmp_dir=tmp_voice_dir)
    yield v
    v.close()


# --- synthesis (no sound server needed) ---------------------------------------------------


def test_worker_synthesises_and_leaves_no_temp_files(tmp_voice_dir: Path) -> None:
    worker = SynthWorker(tmp_voice_dir)
    worker.start()
    try:
        result = worker.synthesize("Alex, what are you grateful for today?", 165)
        assert result.samples.dtype == np.int16 and result.rate == 22050
        assert 1.0 < result.samples.size / result.rate < 5.0
        assert np.abs(result.samples).max() > 1000
        folders = list(tmp_voice_dir.iterdir())
        assert len(folders) == 1 and oct(folders[0].stat().st_mode & 0o777) == "0o700"
        assert list(folders[0].iterdir()) == []  # the WAV was deleted once read
    finally:
        worker.stop()
    assert list(tmp_voice_dir.iterdir()) == []


def test_rate_changes_the_length(tmp_voice_dir: Path) -> None:
    worker = SynthWorker(tmp_voice_dir)
    worker.start()
    try:
        text = "Sam, tell Alex one small thing that made your week better."
        slow = worker.synthesize(text, 110).samples.size
        fast = worker.synthesize(text, 300).samples.size
    finally:
        worker.stop()
    assert fast < 0.6 * slow


def test_hung_worker_is_killed_and_restarted(tmp_voice_dir: Path) -> None:
    worker = SynthWorker(tmp_voice_dir, argv=HANG_WORKER, base_limit_s=1.0, per_char_s=0.0)
    voice = Voice(VoiceSettings(), EchoGate(), worker=worker)
    try:
        first_pid = voice.worker_pid
        started = time.monotonic()
        with pytest.raises(SynthesisFailed):
            voice.say("zzhang this sentence hangs the engine")
        elapsed = time.monotonic() - started
        assert 1.8 < elapsed < 6.0  # two attempts of ~1 s each, then give up: never frozen
        assert voice.worker_restarts == 2
        with pytest.raises(ProcessLookupError):
            os.kill(first_pid, 0)  # the hung child is gone (killed and reaped)
        # the next sentence gets a fresh worker
        result = worker.synthesize("hello again", 165)
        assert result.samples.size > 0 and voice.worker_pid not in (None, first_pid)
    finally:
        voice.close()
    assert list(tmp_voice_dir.iterdir()) == []


def test_missing_tts_backend_is_a_clear_startup_error(tmp_voice_dir: Path) -> None:
    with pytest.raises(TtsUnavailable) as err:
        Voice(VoiceSettings(), None, tmp_dir=tmp_voice_dir, worker_argv=NO_PYTTSX3_WORKER)
    message = str(err.value)
    assert "apt-get install espeak-ng libespeak-ng1" in message and "pyttsx3" in message and "\n" not in message


def test_unknown_voice_is_a_clear_startup_error(tmp_voice_dir: Path) -> None:
    with pytest.raises(TtsUnavailable) as err:
        Voice(VoiceSettings(voice="no-such-voice-xyz"), None, tmp_dir=tmp_voice_dir)
    assert "no-such-voice-xyz" in str(err.value) and "espeak-ng --voices" in str(err.value)


def test_live_settings_are_validated(voice: Voice) -> None:
    voice.set_volume(0.3)
    voice.set_rate(200)
    assert (voice.volume, voice.rate) == (0.3, 200)
    with pytest.raises(ValueError):
        voice.set_volume(1.5)
    with pytest.raises(ValueError):
        voice.set_rate(20)


def test_chime_is_short_and_soft() -> None:
    samples = chime_samples()
    assert 0.15 < samples.size / 22050 < 0.3
    assert np.abs(samples).max() <= 0.26
    assert abs(samples[0]) < 1e-3 and abs(samples[-1]) < 1e-2  # no click


# --- speaking through the virtual speaker ---------------------------------------------------


@needs_vhome
def test_say_blocks_as_long_as_the_audio_and_the_speaker_hears_it(voice: Voice, tmp_path: Path) -> None:
    voice.say("Warming up.")  # the first stream opens a little slower
    recording = tmp_path / "speaker.wav"
    with SpeakerRecorder(recording):
        threading.Event().wait(0.3)
        started = time.monotonic()
        completed = voice.say("Alex, what is one thing Sam did this week that you are grateful for?")
        blocked = time.monotonic() - started
        threading.Event().wait(0.3)
    stats = voice.last
    assert completed is True and stats is not None and stats.completed
    assert 3.0 < stats.audio_s < 6.0
    # blocks about as long as the audio: not pyttsx3's early return, not much more
    assert stats.audio_s - 0.1 < blocked < stats.audio_s + 0.4
    heard = wav_activity(recording)
    assert heard.voiced_s > 0.6 * stats.audio_s
    assert heard.voiced_s < stats.audio_s + 0.3


def test_a_long_reply_is_cut_into_sentence_pieces() -> None:
    welcome = ("Welcome to your trust talk. We'll take our time: some appreciation, how you're both feeling, and a few "
               "things to look after together. If it gets heated, say 'pause' and we'll take a break.")
    parts = pieces(welcome)
    assert len(parts) == 3 and " ".join(parts) == welcome
    assert all(len(p) <= PIECE_CHARS for p in parts)
    assert pieces("Noted: Alex will call the plumber by Sunday.") == ["Noted: Alex will call the plumber by Sunday."]
    assert pieces("Okay. Done.") == ["Okay. Done."]  # short sentences stay together: no pause between them


@needs_vhome
def test_a_long_reply_plays_whole_piece_by_piece(voice: Voice, tmp_path: Path) -> None:
    voice.say("Warming up.")
    text = ("Welcome to your trust talk. We'll take our time: some appreciation, how you're both feeling, "
            "and a few things to look after together. If it gets heated, say pause.")
    recording = tmp_path / "speaker.wav"
    with SpeakerRecorder(recording):
        threading.Event().wait(0.3)
        started = time.monotonic()
        completed = voice.say(text)
        blocked = time.monotonic() - started
        threading.Event().wait(0.3)
    stats = voice.last
    assert completed is True and stats is not None and stats.completed
    assert stats.audio_s > 7.0  # every piece was played, not just the first
    assert stats.audio_s - 0.1 < blocked < stats.audio_s + 0.3 * len(pieces(text))  # no long gaps between pieces
    assert wav_activity(recording).voiced_s > 0.6 * stats.audio_s


@needs_vhome
def test_barge_in_cuts_the_reply_within_100_ms(voice: Voice) -> None:
    gate = voice.gate
    assert gate is not None
    set_at: list[float] = []

    def barge() -> None:
        set_at.append(time.monotonic())
        gate.barge_in.set()

    threading.Timer(1.0, barge).start()
    completed = voice.say("This is a long reply that Sam will interrupt by saying stop before it is anywhere near its "
                          "end.")
    returned = time.monotonic()
    assert completed is False
    assert returned - set_at[0] < 0.1
    assert voice.last is not None and voice.last.completed is False
    # the echo gate stays closed for the tail, then opens
    assert gate.speaking()
    threading.Event().wait(gate.tail_s + 0.1)
    assert not gate.speaking()
    # the next reply is not cut (begin() clears the barge-in)
    assert voice.say("Okay.") is True


@needs_vhome
def test_stop_from_another_thread(voice: Voice) -> None:
    threading.Timer(0.8, voice.stop).start()
    started = time.monotonic()
    assert voice.say("A reply that the assistant itself decides to cut short, from another thread.") is False
    assert time.monotonic() - started < 1.0


@needs_vhome
def test_gate_is_closed_while_speaking_but_not_for_the_chime(voice: Voice) -> None:
    gate = voice.gate
    assert gate is not None
    seen: list[bool] = []
    threading.Timer(0.5, lambda: seen.append(gate.speaking())).start()
    voice.say("Checking the echo gate.")
    assert seen == [True]
    threading.Event().wait(gate.tail_s + 0.1)
    voice.chime(wait=True)
    assert not gate.speaking()


@needs_vhome
def test_nothing_reaches_stdout(voice: Voice, capfd: pytest.CaptureFixture[str]) -> None:
    voice.say("Nothing but sound.")
    out, _err = capfd.readouterr()
    assert out == ""  # pyttsx3 prints "Audio saved to ..." -- in the child, to /dev/null


@needs_vhome
def test_tandem_say_command(tmp_path: Path) -> None:
    env = dict(os.environ, TANDEM_HOME=str(tmp_path / "home"))
    ok = subprocess.run([sys.executable, "-m", "assistant", "say", "Hello", "there."], env=env, cwd=REPO,
                        capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout == ""
    devices = subprocess.run([sys.executable, "-m", "assistant", "devices"], env=env, cwd=REPO,
                             capture_output=True, text=True, timeout=60)
    assert devices.returncode == 0 and "*" in devices.stdout and "Speakers" in devices.stdout


def test_tandem_say_without_a_speaker_is_one_line(tmp_path: Path) -> None:
    env = dict(os.environ, TANDEM_HOME=str(tmp_path / "home"), PULSE_SERVER="unix:/nonexistent/socket")
    proc = subprocess.run([sys.executable, "-m", "assistant", "say", "hello"], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    lines = [line for line in proc.stderr.splitlines() if line.startswith("tandem:")]
    assert len(lines) == 1 and "speaker" in lines[0]
    assert "Traceback" not in proc.stderr


SPEAKER_LOSS_SCRIPT = r"""
import json, subprocess, sys, threading, time
from pathlib import Path
from assistant.config import VoiceSettings
from assistant.speech.voice import SpeakerUnavailable, Voice
vh, tmp = sys.argv[1], Path(sys.argv[2])
out = {}
voice = Voice(VoiceSettings(), None, tmp_dir=tmp)
out["before"] = voice.say("The speaker works.")
unplug = threading.Timer(0.7, lambda: subprocess.run([vh, "mic-off"], check=True, capture_output=True))
unplug.start()
t = time.monotonic()
try:
    voice.say("This reply is playing when the USB sound card is pulled out of the little computer.")
    out["mid"] = "no error"
except SpeakerUnavailable as exc:
    out["mid"] = str(exc)
    out["mid_s"] = time.monotonic() - t
try:
    voice.say("Nobody hears this.")
    out["while_off"] = "no error"
except SpeakerUnavailable as exc:
    out["while_off"] = str(exc)
unplug.join(30)  # mic-off must have finished (it removes the socket) before mic-on
subprocess.run([vh, "mic-on"], check=True, capture_output=True)
out["after"] = voice.say("And it is back.")
voice.close()
print(json.dumps(out))
"""


@needs_vhome
def test_vanished_speaker_raises_speaker_unavailable_and_recovers(tmp_path: Path) -> None:
    from tests.vhome import private_home

    with private_home() as env:
        proc = subprocess.run([sys.executable, "-c", SPEAKER_LOSS_SCRIPT, str(REPO / "tools" / "virtual-home"),
                               str(tmp_path)],
                              env=env, cwd=REPO, capture_output=True, text=True, timeout=90)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["before"] is True and out["after"] is True
    assert "speaker" in out["mid"] and out["mid_s"] < 5.0
    assert "speaker" in out["while_off"] and "\n" not in out["while_off"]
