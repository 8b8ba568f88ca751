"""The Vosk recogniser: a thin adapter from the ``Recognizer`` Protocol to ``vosk``.

Traps this module exists to keep away from the rest of Tandem (measured, see
docs/platform-facts.md):
- ``Model(lang=...)`` downloads or calls ``sys.exit``: only ever a folder path.
- A malformed, empty or non-list grammar JSON segfaults the process, and the
  library does not decode ``\\uXXXX`` escapes (every non-ASCII word would be
  silently dropped): phrases are cleaned, checked against the vocabulary and
  serialised here with ``ensure_ascii=False``.
- ``SetLogLevel(-2)`` is the level that really silences its warnings.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import TandemError
from .frames import SAMPLE_RATE
from .recognizers import Recognition

log = logging.getLogger(__name__)

UNK = "[unk]"
_MAX_CACHED_GRAMMARS = 8  # a handful of dialogue states; each grammar recogniser costs ~1 ms to build
_model_lock = threading.Lock()
_models: dict[Path, Any] = {}  # path → vosk.Model, shared by the main recogniser and the wake spotter


class VoskModelError(TandemError):
    """The model folder is missing or unusable."""


class GrammarError(TandemError):
    """A phrase list that must not reach the library (it would crash or match nothing)."""


def load_model(path: str | Path) -> Any:
    """Load (once per process) the Vosk model in ``path``; ``VoskModelError`` if it is not one."""
    from .models import check_model_dir  # models.py knows what a model folder looks like

    folder = Path(path).expanduser().resolve()
    problem = check_model_dir(folder)
    if problem:
        raise VoskModelError(f"Vosk model {folder}: {problem}; run 'tandem model download' or set speech.engine = "
                             "\"pocketsphinx\"")
    with _model_lock:
        if folder not in _models:
            import vosk

            vosk.SetLogLevel(-2)
            try:
                _models[folder] = vosk.Model(str(folder))  # a path, never lang=: see the module docstring
            except Exception as exc:  # noqa: BLE001 - vosk raises a bare Exception("Failed to create a model")
                raise VoskModelError(f"Vosk model {folder} failed to load ({exc}); reinstall it with 'tandem model "
                                     "download' or 'tandem model install PATH.zip'") from None
        return _models[folder]


_WORD = re.compile(r"[^\w']+", re.UNICODE)
_CLITIC = re.compile(r"\s+'(?=\w)")  # the matcher spells "we'd" as "we 'd": glue it back


def clean_phrases(phrases: Sequence[str], known: Any = None) -> list[str]:
    """The phrases as the library may safely see them: lower case, plain words, known words only.

    ``known(word) -> bool`` tells whether the model has the word; a phrase
    with an unknown word is dropped (Vosk would drop that word silently and
    the phrase would then match something else). Raises ``GrammarError`` when
    nothing usable is left: an empty grammar is what crashes the library.
    """
    if isinstance(phrases, (str, bytes)) or not isinstance(phrases, Sequence):
        raise GrammarError(f"a grammar must be a list of phrases, not {type(phrases).__name__}")
    cleaned: list[str] = []
    dropped: list[str] = []
    for phrase in phrases:
        if not isinstance(phrase, str):
            raise GrammarError(f"a grammar phrase must be text, not {type(phrase).__name__}: {phrase!r}")
        words = [w.strip("'") for w in _WORD.sub(" ", _CLITIC.sub("'", phrase.lower())).split()]
        words = [w for w in words if w and w != "unk"]
        if not words:
            continue
        if known is not None and not all(known(w) for w in words):
            dropped.append(phrase)
            continue
        text = " ".join(words)
        if text not in cleaned:
            cleaned.append(text)
    if dropped:
        log.info("grammar: %d phrase(s) with words the model does not know were left out: %s", len(dropped),
                 dropped[:5])
    if not cleaned:
        raise GrammarError("none of the grammar phrases can be recognised by this model (empty, or words it does not "
                           "know); check the intents and the model's language")
    return cleaned


class VoskRecognizer:
    """Command mode = a grammar recogniser per phrase list (cached); dictation = the full model."""

    name = "vosk"

    def __init__(self, model_path: str | Path) -> None:
        import vosk

        self._vosk = vosk
        self.model_path = Path(model_path)
        self._model = load_model(model_path)
        self._has_unk = self._knows(UNK)
        self._dictation: Any = None
        self._grammars: dict[tuple[str, ...], Any] = {}
        self._rec: Any = None
        self._grammar: tuple[str, ...] | None = None
        self._pending: tuple[str, ...] | None | bool = False  # False = no switch waiting
        self._segments: list[dict[str, Any]] = []
        self._in_utterance = False
        self.set_grammar(None)

    # -- Recognizer -------------------------------------------------------

    def set_grammar(self, phrases: Sequence[str] | None) -> None:
        key = None if phrases is None else tuple(clean_phrases(phrases, self._knows))
        if self._in_utterance:
            self._pending = key  # the Protocol says between utterances; never cut one short
            return
        self._switch(key)

    def accept(self, frame: bytes) -> None:
        self._in_utterance = True
        if self._rec.AcceptWaveform(bytes(frame)):
            # Vosk found an endpoint of its own inside what the caller calls one utterance: keep the piece.
            self._segments.append(json.loads(self._rec.Result()))

    def partial(self) -> str:
        now = _text(json.loads(self._rec.PartialResult()).get("partial", ""))
        return " ".join(t for t in [*(_text(s.get("text", "")) for s in self._segments), now] if t)

    def alternatives(self) -> list[str]:
        """None to offer: Vosk's grammar mode gives one hypothesis here (the Protocol's optional capability)."""
        return []

    def finish(self) -> Recognition:
        segments = [*self._segments, json.loads(self._rec.FinalResult())]  # FinalResult also resets the recogniser
        self._segments = []
        self._end_utterance()
        text = " ".join(t for t in (_text(s.get("text", "")) for s in segments) if t)
        confidence = None
        if self._grammar is None:  # word confidences mean something only in dictation
            confs = [w["conf"] for s in segments for w in s.get("result", []) if "conf" in w]
            confidence = sum(confs) / len(confs) if confs else None
        return Recognition(text=text, confidence=confidence, engine=self.name)

    def reset(self) -> None:
        # Not Reset(): it keeps the feature pipeline, and frames of the dropped
        # utterance not yet decoded leaked into the next result (measured).
        # FinalResult() flushes everything and the next frame starts afresh.
        self._rec.FinalResult()
        self._segments = []
        self._end_utterance()

    # -- internals --------------------------------------------------------

    @property
    def grammar(self) -> tuple[str, ...] | None:
        return self._grammar

    def _end_utterance(self) -> None:
        self._in_utterance = False
        if self._pending is not False:
            pending, self._pending = self._pending, False
            self._switch(pending)  # type: ignore[arg-type]

    def _switch(self, key: tuple[str, ...] | None) -> None:
        if key is None:
            if self._dictation is None:
                self._dictation = self._vosk.KaldiRecognizer(self._model, SAMPLE_RATE)
                self._dictation.SetWords(True)
            rec = self._dictation
        else:
            rec = self._grammars.pop(key, None)
            if rec is None:
                words = [*key, UNK] if self._has_unk else list(key)  # [unk] lets it say "none of these"
                # ensure_ascii=False: the library's JSON reader keeps \uXXXX escapes as literal text.
                rec = self._vosk.KaldiRecognizer(self._model, SAMPLE_RATE, json.dumps(words, ensure_ascii=False))
            self._grammars[key] = rec  # most recently used last
            while len(self._grammars) > _MAX_CACHED_GRAMMARS:
                self._grammars.pop(next(iter(self._grammars)))
        rec.FinalResult()  # a cached recogniser may hold the tail of an older utterance
        self._rec = rec
        self._grammar = key

    def _knows(self, word: str) -> bool:
        return int(self._model.vosk_model_find_word(word)) >= 0


def _text(text: str) -> str:
    return " ".join(w for w in text.split() if w != UNK)
