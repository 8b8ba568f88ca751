"""Which recogniser Tandem uses: Vosk when a model is installed or configured, else PocketSphinx.

``engine = "auto"`` never fails because of Vosk: a broken or missing model
falls back to the embedded PocketSphinx (with a warning in the log), since a
couple with a half-copied model folder should still be heard. Asking for
``"vosk"`` explicitly makes a model problem an error that says what to do.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from ..config import HomePaths, SpeechSettings
from ..errors import TandemError
from .models import check_model_dir, find_model, search_dirs
from .recognizers import Recognizer

log = logging.getLogger(__name__)

EMBEDDED = "the embedded English model"


@dataclass(frozen=True)
class EngineChoice:
    engine: str  # "vosk" | "pocketsphinx"
    model: Path | None  # the Vosk model folder; None for PocketSphinx
    reason: str  # why, in words a person can read

    def describe(self) -> str:
        where = str(self.model) if self.model else EMBEDDED
        return f"{self.engine} ({where}): {self.reason}"


def choose_engine(settings: SpeechSettings, home: HomePaths, engine: str | None = None) -> EngineChoice:
    """Decide without loading anything (cheap enough for ``tandem model list`` and ``doctor``)."""
    wanted = engine or settings.engine
    if wanted == "pocketsphinx":
        return EngineChoice("pocketsphinx", None, "chosen in the settings" if engine is None else "chosen on the command line")
    model = find_model(settings.vosk_model, search_dirs(home.models))
    problem = check_model_dir(model) if model is not None else "no Vosk model is installed"
    if wanted == "vosk":
        if problem or model is None:
            where = f"{model}: " if model is not None else ""
            raise TandemError(f"Vosk was asked for but {where}{problem}; run 'tandem model download' (or 'tandem model install PATH.zip'), or use --engine pocketsphinx")
        return EngineChoice("vosk", model, "chosen explicitly")
    if problem or model is None:
        if settings.vosk_model:
            log.warning("speech.vosk_model %s is unusable (%s); using PocketSphinx", settings.vosk_model, problem)
            return EngineChoice("pocketsphinx", None, f"the configured Vosk model is unusable ({problem})")
        return EngineChoice("pocketsphinx", None, "no Vosk model installed ('tandem model download' adds one)")
    return EngineChoice("vosk", model, "a Vosk model is installed")


def make_recognizer(settings: SpeechSettings, home: HomePaths, engine: str | None = None) -> Recognizer:
    """A ready recogniser in dictation mode; ``engine`` overrides ``settings.engine``."""
    choice = choose_engine(settings, home, engine)
    if choice.engine == "vosk" and choice.model is not None:
        from .vosk_engine import VoskRecognizer, VoskModelError

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
