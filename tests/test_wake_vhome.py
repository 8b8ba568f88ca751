"""The wake detector ``tandem run`` uses, in the virtual home: held-out voices wake it, chatter does not.

Ten "hey tandem" clips in voices the wake model never trained on (flite and
festival, some pitched or slowed by sox) are said into the microphone one by
one; at least nine must wake Tandem. In a second test (a fresh home), chatter in the same voices plays for
TANDEM_WAKE_CHATTER_S seconds (60 by default; the issue's 10 minutes with 600)
while the speaker is recorded: no chime, no sound (a quiet wake, which makes none unless it hears a sure
command, is allowed).
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from pathlib import Path

import pytest

from tests.test_virtual_home_e2e import Assistant
from tests.vhome import SpeakerRecorder, needs_vhome, play_into_mic, private_home, silence_wav, synth_wav, wav_activity

pytestmark = [needs_vhome, pytest.mark.slow]

CHATTER_S = float(os.environ.get("TANDEM_WAKE_CHATTER_S", "60"))
CLIPS = [("slt", "flite", ""), ("rms", "flite", ""), ("awb", "flite", ""), ("kal16", "flite", ""),
         ("kal", "festival", ""), ("slt", "flite", "pitch -200"), ("rms", "flite", "tempo 0.9"),
         ("awb", "flite", "pitch 150"), ("kal16", "flite", "tempo 1.1"), ("kal", "festival", "pitch 120")]
CHATTER = [("what should we have for dinner tonight", "slt"), ("did you remember to call your mother", "rms"),
           ("hey can you pass me the bread", "awb"), ("i put the keys on the kitchen table", "kal16"),
           ("we rode a tandem bicycle along the coast", "slt"), ("the train was late again this morning", "rms")]


def _clip(tmp: Path, i: int, voice: str, engine: str, effect: str) -> Path:
    raw = synth_wav("hey tandem", tmp / f"raw{i}.wav", voice=voice, engine=engine)
    out = tmp / f"wake{i}.wav"
    subprocess.run(["sox", str(raw), "-r", "16000", "-c", "1", str(out), *effect.split()], check=True, timeout=30)
    return out


def test_held_out_voices_wake_it(tmp_path: Path) -> None:
    clips = [_clip(tmp_path, i, *c) for i, c in enumerate(CLIPS)]
    pause = silence_wav(1.0, tmp_path / "pause.wav")
    with private_home() as env:
        assistant = Assistant(env, tmp_path / "home")
        try:
            assistant.wait_ready()
            woke = 0
            for clip in clips:
                mark = time.monotonic()
                play_into_mic(clip, env=env)
                play_into_mic(pause, env=env)
                got = assistant.wait_for(lambda e, m=mark: e["_at"] > m and e.get("type") == "wake", 6)
                woke += got is not None
                if got is not None:  # let it give up on the command that never comes and go back to sleep
                    assistant.wait_for(lambda e, m=mark: e["_at"] > m and e.get("type") == "state"
                                       and e.get("state") == "asleep", 20)
                    threading.Event().wait(1.0)
            assert woke >= 9, f"only {woke}/10 held-out wake clips woke Tandem; stderr: {assistant.stderr_tail()}"
        finally:
            assistant.stop()


# With the PocketSphinx spotter as the default (130 false wakes/h on chatter in the README's wake table) this was
# a known failure: chatter woke Tandem about once a minute, and once a false wake opened the idle grammar, chatter
# was forced onto "time for our trust talk" and an exercise started (seen 2026-12-07).
def test_chatter_makes_no_sound(tmp_path: Path) -> None:
    chatter = [synth_wav(text, tmp_path / f"chat{i}.wav", voice=voice) for i, (text, voice) in enumerate(CHATTER)]
    pause = silence_wav(1.0, tmp_path / "pause.wav")
    with private_home() as env:
        assistant = Assistant(env, tmp_path / "home")
        try:
            assistant.wait_ready()
            threading.Event().wait(3.0)
            mark = time.monotonic()
            with SpeakerRecorder(tmp_path / "speaker.wav", env=env):
                i = 0
                while time.monotonic() - mark < CHATTER_S:
                    play_into_mic(chatter[i % len(chatter)], env=env)
                    play_into_mic(pause, env=env)
                    i += 1
                threading.Event().wait(2.0)
            after = [e for e in assistant.snapshot() if e["_at"] > mark]
        finally:
            assistant.stop()
    assert [e for e in after if e.get("type") == "wake" and not e.get("quiet")] == [], "chatter woke Tandem: a chime"
    what = [(e["type"], e.get("quiet", e.get("intent", e.get("reason", "")))) for e in after
            if e.get("type") in ("wake", "intent", "said") or e.get("state") == "handling"]
    assert wav_activity(tmp_path / "speaker.wav").voiced_s < 0.1, f"Tandem made a sound over chatter: {what}"
