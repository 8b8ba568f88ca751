"""Which recognisers Tandem uses: for commands Vosk when a model is installed or configured, else
PocketSphinx; for free speech (dictation) Whisper when a Whisper model is installed, else the same.

Dictation prefers Whisper > Vosk > PocketSphinx; commands keep the grammar
recognisers (fast, streaming, constrained). ``WhisperDictation`` routes
between the two inside one ``Recognizer``.

``engine = "auto"`` never fails because of Vosk: a broken or missing model
falls back to the embedded PocketSphinx (with a warning in the log), since a
couple with a half-copied model folder should still be heard. Asking for
``"vosk"`` explicitly makes a model problem an error that says what to do.
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import HomePaths, SpeechSettings
from ..errors import TandemError
from .models import check_model_dir, find_model, search_dirs
from .recognizers import Recognizer
from .whisper_models import find_whisper

log = logging.getLogger(__name__)

EMBEDDED = "the embedded English model"


@dataclass(frozen=True)
class EngineChoice:
    engine: str  # "vosk" | "pocketsphinx" (the command engine)
    model: Path | None  # the Vosk model folder; None for PocketSphinx
    reason: str  # why, in words a person can read

    def describe(self) -> str:
        where = str(self.model) if self.model else EMBEDDED
        return f"{self.engine} ({where}): {self.reason}"


@dataclass(frozen=True)
class DictationChoice:
    engine: str  # "whisper", or the command engine's name
    model: Path | None  # the Whisper model folder; None when the command engine dictates too
    reason: str

    def describe(self) -> str:
        if self.engine != "whisper":
            return f"{self.engine}: {self.reason}"
        return f"whisper ({self.model}): {self.reason}"


def choose_dictation(settings: SpeechSettings, home: HomePaths, engine: str | None = None) -> DictationChoice:
    """Whisper for free speech when a model is installed (unless another engine was asked for)."""
    wanted = engine or settings.engine
    commands = "pocketsphinx" if wanted == "pocketsphinx" else choose_engine(settings, home,
                                                                             _command_engine(engine)).engine
    if wanted in ("vosk", "pocketsphinx"):
        how = "chosen in the settings" if engine is None else "chosen on the command line"
        return DictationChoice(wanted, None, f"{how} for everything")
    model = find_whisper("", search_dirs(home.models))
    if model is None:
        if wanted == "whisper":
            raise TandemError("Whisper was asked for but no Whisper model is installed; run 'tandem model download "
                              "whisper-base' (or 'tandem model install DIR'), or use --engine pocketsphinx")
        return DictationChoice(commands, None,
                               "no Whisper model installed ('tandem model download whisper-base' adds one)")
    if importlib.util.find_spec("faster_whisper") is None:
        if wanted == "whisper":
            raise TandemError("Whisper was asked for but faster-whisper is not installed; run: pip install "
                              "faster-whisper")
        return DictationChoice(commands, None, "faster-whisper is not installed")
    return DictationChoice("whisper", model, "a Whisper model is installed")


def _command_engine(engine: str | None) -> str | None:
    return None if engine == "whisper" else engine


def choose_engine(settings: SpeechSettings, home: HomePaths, engine: str | None = None) -> EngineChoice:
    """Decide without loading anything (cheap enough for ``tandem model list`` and ``doctor``)."""
    wanted = engine or settings.engine
    if wanted == "whisper":  # Whisper dictates; commands are chosen as in "auto"
        wanted = "auto"
    if wanted == "pocketsphinx":
        return EngineChoice("pocketsphinx", None,
                            "chosen in the settings" if engine is None else "chosen on the command line")
    model = find_model(settings.vosk_model, search_dirs(home.models))
    problem = check_model_dir(model) if model is not None else "no Vosk model is installed"
    if wanted == "vosk":
        if problem or model is None:
            where = f"{model}: " if model is not None else ""
            raise TandemError(f"Vosk was asked for but {where}{problem}; run 'tandem model download' (or 'tandem model "
                              "install PATH.zip'), or use --engine pocketsphinx")
        return EngineChoice("vosk", model, "chosen explicitly")
    if problem or model is None:
        if settings.vosk_model:
            log.warning("speech.vosk_model %s is unusable (%s); using PocketSphinx", settings.vosk_model, problem)
            return EngineChoice("pocketsphinx", None, f"the configured Vosk model is unusable ({problem})")
        return EngineChoice("pocketsphinx", None, "no Vosk model installed ('tandem model download' adds one)")
    return EngineChoice("vosk", model, "a Vosk model is installed")


def make_recognizer(settings: SpeechSettings, home: HomePaths, engine: str | None = None,
                    prompt: Callable[[], str] | None = None, worker: Callable[[Path], Any] | None = None) -> Recognizer:
    """A ready recogniser in dictation mode; ``engine`` overrides ``settings.engine``.

    With a Whisper model installed, dictation is Whisper's (``prompt`` gives
    its hint: the partners' names and the words the moment expects) and the
    command modes stay on the grammar recogniser. ``worker(model)``, given,
    makes a ``TranscriptionWorker`` that holds the model instead of this process.
    """
    commands = _command_recognizer(settings, home, _command_engine(engine))
    dictation = choose_dictation(settings, home, engine)
    if dictation.engine != "whisper" or dictation.model is None:
        return commands
    from .whisper_engine import WhisperDictation, WhisperModelError, WhisperTranscriber

    if worker is not None:  # the model lives in the worker process only (loaded on first need)
        from .transcribe_worker import WorkerTranscriber

        background = worker(dictation.model)
        recognizer = WhisperDictation(commands, WorkerTranscriber(background), prompt)
        recognizer.worker = background
        return recognizer
    try:
        return WhisperDictation(commands, WhisperTranscriber(dictation.model), prompt)
    except WhisperModelError:
        if (engine or settings.engine) == "whisper":
            raise
        log.warning("the Whisper model %s failed to load; dictating with %s", dictation.model, commands.name)
        return commands


def _command_recognizer(settings: SpeechSettings, home: HomePaths, engine: str | None) -> Recognizer:
    choice = choose_engine(settings, home, engine)
    if choice.engine == "vosk" and choice.model is not None:
        from .vosk_engine import VoskModelError, VoskRecognizer

        try:
            return VoskRecognizer(choice.model)
        except VoskModelError:
            if (engine or settings.engine) == "vosk":
                raise
            log.warning("the Vosk model %s failed to load; using PocketSphinx", choice.model)
    from .sphinx_engine import SphinxRecognizer

    return SphinxRecognizer()


def active_engine(settings: SpeechSettings, home: HomePaths) -> str:
    """One line: which engine ``tandem run`` would use and why."""
    try:
        return choose_engine(settings, home).describe()
    except TandemError as exc:
        return f"none usable: {exc}"


def active_dictation(settings: SpeechSettings, home: HomePaths) -> str:
    """One line: which engine ``tandem run`` would use for free speech and why."""
    try:
        return choose_dictation(settings, home).describe()
    except TandemError as exc:
        return f"none usable: {exc}"
