"""Free speech (dictation) heard by Whisper through faster-whisper (CTranslate2, int8 on CPU).

Commands stay on a grammar recogniser (Vosk or PocketSphinx: fast, streaming,
constrained); what the couple dictates -- a turn, a promise's words, a goal --
goes to Whisper, which the benchmark measures at a fraction of PocketSphinx's
word errors. ``WhisperDictation`` is one ``Recognizer`` that routes: a phrase
list goes to the grammar recogniser, ``set_grammar(None)`` makes the next
utterance Whisper's.

Settings, and why (measured, docs/platform-facts.md):
- ``language="en"``: no language detection pass, and no drift into another
  language on a short, unclear clip;
- ``vad_filter=True``: on digital silence Whisper without it said "You";
  with it, nothing;
- beam 5 (Whisper's own default for accuracy), int8 weights;
- ``initial_prompt`` with the partners' names (in two short sentences:
  ``COUPLE_PROMPT``) and the words the moment expects: "Sam" was wrong in
  15 of 50 tests without it, 0 with it;
- cores - 1 threads (at least one), so the dialogue and audio threads keep a core.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import TandemError
from .recognizers import Recognition, Recognizer

log = logging.getLogger(__name__)

LANGUAGE = "en"
BEAM_SIZE = 5
COMPUTE_TYPE = "int8"
CUE_AFTER_S = 1.5  # a read-back later than this gets a short spoken cue first (cue_if_slow)
PROMPT_MAX_WORDS = 60  # the prompt shares Whisper's 448-token window with the answer: keep it short
_TRAILING_STOP = re.compile(r"[.!?…]+$")
_models: dict[tuple[Path, int], Any] = {}
_model_lock = threading.Lock()


class WhisperModelError(TandemError):
    """The Whisper model folder is missing or does not load."""


def background_dictation(listener: Any) -> WhisperDictation | None:
    """The Whisper recogniser behind ``listener`` (through wrappers such as ``DeadlineListener``) when it
    has a background worker; None otherwise (typed input, no Whisper model)."""
    seen = 0
    while listener is not None and seen < 5:
        rec = getattr(listener, "recognizer", None)
        if isinstance(rec, WhisperDictation):
            return rec if rec.worker is not None else None
        listener, seen = getattr(listener, "inner", None), seen + 1
    return None


def cpu_threads(cores: int | None = None) -> int:
    """Cores minus one for Whisper, at least one: the audio and dialogue threads keep a core."""
    cores = cores if cores is not None else (os.cpu_count() or 1)
    return max(1, cores - 1)


def load_whisper(folder: str | Path, threads: int | None = None) -> Any:
    """The ``faster_whisper.WhisperModel`` in ``folder`` (once per process and thread count)."""
    from .whisper_models import check_whisper_dir

    path = Path(folder).expanduser().resolve()
    problem = check_whisper_dir(path)
    if problem:
        raise WhisperModelError(f"Whisper model {path}: {problem}; run 'tandem model download whisper-base' or 'tandem model install DIR'")
    n = threads or cpu_threads()
    with _model_lock:
        if (path, n) not in _models:
            try:
                from faster_whisper import WhisperModel
            except ImportError as exc:
                raise WhisperModelError(f"faster-whisper is not installed ({exc}); run: pip install faster-whisper") from None
            try:
                _models[(path, n)] = WhisperModel(str(path), device="cpu", compute_type=COMPUTE_TYPE,
                                                  cpu_threads=n, num_workers=1, local_files_only=True)
            except Exception as exc:  # noqa: BLE001 - CTranslate2 raises RuntimeError/ValueError of many kinds
                raise WhisperModelError(f"Whisper model {path} failed to load ({exc}); reinstall it with 'tandem model download whisper-base'") from None
        return _models[(path, n)]


# The couple's names in two short sentences, each name opening one. Whisper's misses were mostly a name
# opening a sentence ("Emma promises..." heard as "In the promises..."); measured on the dictation
# benchmark (100 sentences, clean + 20 dB, the same run): names right 93.8% -> 96.9%, WER 5.2% -> 4.8%
# clean and 10.0% -> 7.0% at 20 dB, against "Sam and Alex." (faster-whisper's hotwords: 95.1%, 8.3%).
COUPLE_PROMPT = "{a} and {b} talk about their week. {b} thanked {a}."


def dictation_prompt(names: Sequence[str], words: Sequence[str] = ()) -> str:
    """Whisper's ``initial_prompt``: the partners' names (``COUPLE_PROMPT``), then the words the moment expects.

    Whisper reads the prompt as the text that came before, so names written
    the way the couple spells them come out spelled that way.
    """
    people = [n.strip() for n in names if n and n.strip()]
    if len(people) == 2:
        head = COUPLE_PROMPT.format(a=people[0], b=people[1])
    else:
        head = " and ".join(people) + "." if people else ""
    tail: list[str] = []
    budget = PROMPT_MAX_WORDS - len(head.split())
    for phrase in words:
        phrase_words = phrase.split()
        if not phrase_words or len(phrase_words) > budget:
            continue
        tail.append(" ".join(phrase_words))
        budget -= len(phrase_words)
    return " ".join(p for p in (head, ", ".join(tail) + ("." if tail else "")) if p)


def clean_text(pieces: Sequence[str]) -> str:
    """Segments joined as one line, without the final full stop (the other engines have none,
    and a read-back adds its own)."""
    text = " ".join(" ".join(p.split()) for p in pieces if p and p.strip())
    return _TRAILING_STOP.sub("", text).strip()


def pcm_to_float(pcm: bytes) -> np.ndarray:
    return np.frombuffer(pcm, dtype=np.int16).astype(np.float32) / 32768.0


class WhisperTranscriber:
    """A loaded model that turns one utterance (16 kHz mono int16 bytes) into text."""

    def __init__(self, folder: str | Path, threads: int | None = None) -> None:
        self.folder = Path(folder)
        self.threads = threads or cpu_threads()
        self.model = load_whisper(folder, self.threads)

    def transcribe(self, pcm: bytes, prompt: str = "") -> str:
        if len(pcm) < 2:
            return ""
        segments, _info = self.model.transcribe(
            pcm_to_float(pcm), language=LANGUAGE, beam_size=BEAM_SIZE, vad_filter=True,
            initial_prompt=prompt or None, condition_on_previous_text=False, without_timestamps=True)
        return clean_text([s.text for s in segments])  # a generator: decoding happens here


PromptSource = Callable[[], str]


class WhisperDictation:
    """A ``Recognizer``: grammar modes on ``commands``, dictation (``set_grammar(None)``) on Whisper.

    ``prompt`` is asked at the end of each dictated utterance, so it follows
    the moment (the open promises during a check-in); a failing prompt source
    costs the hint, never the utterance.
    """

    name = "whisper"

    def __init__(self, commands: Recognizer, transcriber: Any, prompt: PromptSource | None = None,
                 on_slow: Callable[[], None] | None = None, cue_after_s: float = CUE_AFTER_S) -> None:
        self.commands = commands
        self.transcriber = transcriber
        self.prompt = prompt
        self.on_slow = on_slow
        self.cue_after_s = cue_after_s
        self._cue = False
        self.worker: Any = None  # a transcribe_worker.TranscriptionWorker: turns may then be deferred
        self._deferred = False
        self._heard: list[tuple[str, bytes]] = []  # (quick text, audio) of the deferred utterances
        self._dictating = True
        self._pending: bool | None = None  # a mode switch asked for mid-utterance
        self._audio: list[bytes] = []
        self._in_utterance = False
        commands.set_grammar(None)

    def set_prompt_source(self, prompt: PromptSource | None) -> None:
        self.prompt = prompt

    @contextmanager
    def cue_if_slow(self) -> Iterator[None]:
        """Inside it, a dictated ``finish()`` slower than ``cue_after_s`` calls ``on_slow`` once (from a
        timer thread, while the transcription goes on): for words read back at once, not a turn's."""
        self._cue = True
        try:
            yield
        finally:
            self._cue = False

    @contextmanager
    def deferred(self) -> Iterator[bool]:
        """Inside it (a turn whose words only go to the journal), dictation answers at once with the
        grammar recogniser's quick transcript and keeps the audio for the worker (``take_audio``).
        Yields False, and changes nothing, without a worker."""
        if self.worker is None:
            yield False
            return
        self._deferred, self._heard = True, []
        try:
            yield True
        finally:
            self._deferred = False

    def take_audio(self, parts: Sequence[str]) -> bytes:
        """The audio of the deferred utterances whose quick text became ``parts`` of the turn, in order
        (control phrases such as "I'm done" are not the partner's words)."""
        wanted = [" ".join(p.split()) for p in parts if p.strip()]
        taken: list[bytes] = []
        for text, pcm in self._heard:
            if wanted and " ".join(text.split()) == wanted[0]:
                taken.append(pcm)
                wanted.pop(0)
        self._heard = []
        return b"".join(taken)

    def transcribe_later(self, pcm: bytes, target: dict[str, Any], quick: str) -> Any:
        """Hand ``pcm`` to the worker; its text replaces ``quick`` at ``target`` when ready."""
        if self.worker is None or not pcm:
            return None
        return self.worker.submit(pcm, target, quick, self._prompt())

    # -- Recognizer -------------------------------------------------------

    def set_grammar(self, phrases: Sequence[str] | None) -> None:
        if phrases is not None or self._deferred:
            # the grammar recogniser keeps its own between-utterances rule; deferred, it dictates the quick text
            self.commands.set_grammar(phrases)
        self._switch(phrases is None)

    def set_keyphrase(self, phrase: str) -> None:
        """Wake mode (``tandem transcribe --mode wake``) is the grammar recogniser's."""
        keyphrase = getattr(self.commands, "set_keyphrase", None)
        if keyphrase is None:
            self.commands.set_grammar([phrase])
        else:
            keyphrase(phrase)
        self._switch(False)

    def accept(self, frame: bytes) -> None:
        self._in_utterance = True
        if self._dictating:
            self._audio.append(bytes(frame))
        if not self._dictating or self._deferred:
            self.commands.accept(frame)

    def partial(self) -> str:
        return "" if self._dictating else self.commands.partial()

    def finish(self) -> Recognition:
        try:
            if not self._dictating:
                return self.commands.finish()
            pcm, self._audio = b"".join(self._audio), []
            if self._deferred:
                quick = self.commands.finish()
                self._heard.append((quick.text, pcm))
                return quick
            if not pcm:
                return Recognition(text="", confidence=None, engine=self.name)
            timer = None
            if self._cue and self.on_slow is not None:
                timer = threading.Timer(self.cue_after_s, self._slow)
                timer.daemon = True
                timer.start()
            try:
                text = self.transcriber.transcribe(pcm, self._prompt())
            except Exception as exc:  # noqa: BLE001 - a failed worker must not cost the words: decode them here
                log.warning("Whisper could not transcribe (%s); using %s for these words", type(exc).__name__, self.commands.name)
                return self._fallback(pcm)
            finally:
                if timer is not None:
                    timer.cancel()
            return Recognition(text=text, confidence=None, engine=self.name)
        finally:
            self._end_utterance()

    def reset(self) -> None:
        self._audio = []
        if not self._dictating or self._deferred:
            self.commands.reset()
        self._end_utterance()

    def alternatives(self, n: int = 40) -> list[str]:
        """The grammar recogniser's n-best (command mode only); [] after a dictated utterance."""
        alternatives = getattr(self.commands, "alternatives", None)
        return [] if self._dictating or alternatives is None else list(alternatives(n))

    # -- internals --------------------------------------------------------

    def _switch(self, dictating: bool) -> None:
        if self._in_utterance:
            self._pending = dictating
        else:
            self._dictating = dictating

    def _end_utterance(self) -> None:
        self._in_utterance = False
        if self._pending is not None:
            self._dictating, self._pending = self._pending, None

    def _fallback(self, pcm: bytes) -> Recognition:
        from .frames import FRAME_BYTES

        self.commands.set_grammar(None)
        for i in range(0, len(pcm), FRAME_BYTES):
            self.commands.accept(pcm[i:i + FRAME_BYTES])
        return self.commands.finish()

    def _slow(self) -> None:
        try:
            if self.on_slow is not None:
                self.on_slow()
        except Exception as exc:  # noqa: BLE001 - a cue that fails must not cost the words
            log.warning("the 'writing that down' cue failed (%s)", type(exc).__name__)

    def _prompt(self) -> str:
        if self.prompt is None:
            return ""
        try:
            return self.prompt()
        except Exception as exc:  # noqa: BLE001 - a hint is optional; never lose the words for it
            log.warning("the dictation prompt could not be built (%s); transcribing without it", type(exc).__name__)
            return ""
