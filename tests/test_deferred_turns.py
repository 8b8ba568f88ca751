"""A journal turn in the background: the quick transcript kept at once, the turn's own audio (not its
"I'm done") handed to the worker, the better text put in place of the quick one; promises and goals
not deferred (they are read back at once)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from assistant.exercises import start_exercise
from assistant.features.journal import replace_transcript
from assistant.speech.recognizers import Recognition
from assistant.speech.whisper_engine import WhisperDictation, background_dictation
from tests.test_exercises_support import AutoListener, fakes, make_ctx  # noqa: F401


class QuickGrammar:
    """The grammar recogniser: in dictation it 'hears' whatever ``next`` says (the quick transcript)."""

    name = "quick"

    def __init__(self) -> None:
        self.next = ""
        self.grammar: Sequence[str] | None = ()
        self.frames = 0

    def set_grammar(self, phrases: Sequence[str] | None) -> None:
        self.grammar = phrases

    def accept(self, frame: bytes) -> None:
        self.frames += 1

    def partial(self) -> str:
        return ""

    def finish(self) -> Recognition:
        return Recognition(text=self.next if self.grammar is None else "", engine=self.name)

    def reset(self) -> None:
        pass


class NeverCalled:
    def transcribe(self, pcm: bytes, prompt: str = "") -> str:
        raise AssertionError("a deferred turn must not wait for Whisper")


class FakeWorker:
    def __init__(self) -> None:
        self.jobs: list[tuple[bytes, dict[str, Any], str, str]] = []

    def submit(self, pcm: bytes, target: dict[str, Any], quick: str, prompt: str = "") -> None:
        self.jobs.append((pcm, target, quick, prompt))


class HearingCouple(AutoListener):
    """The willing couple, heard through a recogniser: each utterance's audio is one frame marking it."""

    def __init__(self, recognizer: WhisperDictation, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.recognizer = recognizer

    def listen(self, context: str, **kwargs: Any) -> Any:
        heard = super().listen(context, **kwargs)
        if kwargs.get("mode") == "dictation" and heard.text:
            self.recognizer.set_grammar(None)
            self.recognizer.commands.next = heard.text  # type: ignore[attr-defined]
            self.recognizer.accept(heard.text.encode().ljust(960, b"\0"))
            assert self.recognizer.finish().text == heard.text
        return heard


def test_a_journal_turn_keeps_the_quick_text_and_defers_its_own_audio(  # type: ignore[no-untyped-def]
        store, clock, profile, settings, fakes) -> None:
    rec = WhisperDictation(QuickGrammar(), NeverCalled(), prompt=lambda: "Alex and Sam.")
    rec.worker = FakeWorker()
    ctx = make_ctx(store, clock, profile, settings, [])
    ctx.listener = HearingCouple(rec, clock, profile)
    assert start_exercise(ctx, "gratitude") == "completed"
    journal = sorted(store.all("gratitude"), key=lambda g: g["text"])
    assert [g["text"] for g in journal] == ["words number 1", "words number 2"]  # kept at once (the fake journal)
    jobs = rec.worker.jobs
    assert [(pcm.rstrip(b"\0"), target, quick, prompt) for pcm, target, quick, prompt in jobs] == [
        (b"words number 1", {"table": "gratitude", "id": journal[0]["id"]}, "words number 1", "Alex and Sam."),
        (b"words number 2", {"table": "gratitude", "id": journal[1]["id"]}, "words number 2", "Alex and Sam.")]
    # the worker's text arrives: through the store's write path, in place of the quick one
    assert replace_transcript(store, "gratitude", journal[0]["id"], "words number 1", "what Alex really said")
    assert store.get("gratitude", journal[0]["id"])["text"] == "what Alex really said"


def test_without_a_worker_nothing_is_deferred(  # type: ignore[no-untyped-def]
        store, clock, profile, settings, fakes) -> None:
    rec = WhisperDictation(QuickGrammar(), NeverCalled())
    assert background_dictation(HearingCouple(rec, clock, profile)) is None
    with rec.deferred() as deferred:
        assert deferred is False


def test_only_the_turn_s_words_are_taken_and_a_broken_worker_falls_back(  # type: ignore[no-untyped-def]
        store, clock) -> None:
    grammar = QuickGrammar()
    rec = WhisperDictation(grammar, NeverCalled())
    rec.worker = FakeWorker()
    with rec.deferred():
        for text in ("i love you", "i'm done", "and thank you"):
            rec.set_grammar(None)
            grammar.next = text
            rec.accept(text.encode().ljust(960, b"\0"))
            rec.finish()
    audio = rec.take_audio(["i love you", "and thank you"])
    assert audio.replace(b"\0", b"") == b"i love youand thank you"
    # out of the deferred block a failing Whisper costs nothing: the grammar recogniser decodes the words
    grammar.next = "call the plumber"
    rec.set_grammar(None)
    rec.accept(b"\1" * 960)
    assert rec.finish().text == "call the plumber"


def test_the_real_journal_s_stored_text_is_what_gets_replaced(  # type: ignore[no-untyped-def]
        store, clock, profile, settings) -> None:
    rec = WhisperDictation(QuickGrammar(), NeverCalled())
    rec.worker = FakeWorker()
    ctx = make_ctx(store, clock, profile, settings, [])
    ctx.listener = HearingCouple(rec, clock, profile)
    assert start_exercise(ctx, "gratitude") == "completed"
    for _pcm, target, quick, _prompt in rec.worker.jobs:
        entry = store.get("gratitude", target["id"])
        assert quick == entry["text"]  # as the journal wrote it (with its capitals), not as first heard
        assert replace_transcript(store, "gratitude", target["id"], quick, "thank you, alex, for the soup")
        # names as entries are written
        assert store.get("gratitude", target["id"])["text"] == "thank you, Alex, for the soup"
    assert len(rec.worker.jobs) == 2
