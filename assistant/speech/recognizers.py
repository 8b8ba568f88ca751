"""The ``Recognizer`` Protocol both engines (Vosk, PocketSphinx) implement.

A recogniser is fed 960-byte frames of one utterance; whoever decides that the
utterance ended (the endpointer) calls ``finish()``, which returns the text and
makes the recogniser ready for the next one. ``set_grammar`` switches between
command mode (a phrase list generated from ``intents/``) and dictation (None).
``alternatives()`` is an optional capability made explicit: an engine that keeps
an n-best list (PocketSphinx, and Whisper through its command recogniser) gives
it; the others (Vosk) give [] and nothing is re-ranked.
One thread owns a recogniser; it is not thread-safe.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class Recognition:
    text: str
    confidence: float | None = None  # None where the engine's number means nothing (grammar mode)
    engine: str = ""


class Recognizer(Protocol):
    name: str

    def set_grammar(self, phrases: Sequence[str] | None) -> None:
        """Command mode constrained to ``phrases``, or dictation with None. Between utterances only."""
        ...

    def accept(self, frame: bytes) -> None: ...

    def partial(self) -> str: ...

    def finish(self) -> Recognition: ...

    def reset(self) -> None: ...

    def alternatives(self) -> list[str]:
        """The n-best hypotheses of the command-mode utterance just finished, best first by the engine's
        own ranking; [] in dictation, before ``finish()``, or from an engine without an n-best list."""
        ...


@runtime_checkable
class CuesIfSlow(Protocol):
    """An optional capability, asked for with ``isinstance``: an engine whose dictated read-back may keep the
    couple waiting (Whisper). Inside ``cue_if_slow()`` a slow ``finish()`` says a short "one moment" first."""

    def cue_if_slow(self) -> AbstractContextManager[None]: ...
