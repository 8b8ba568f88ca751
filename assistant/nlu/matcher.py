"""The matcher: the public face of understanding (``Matcher(intents, partners).parse(...) -> Parse``).

Everything is compiled and trained once here (grammar.py, training.py); ``parse`` runs the pipeline
of stages (pipeline.py). ``phrases`` gives a recogniser the context's command phrases (phrases.py).
"""

from __future__ import annotations

from .bands import GEN_SCORE, NONE_SCORE, SURE_SCORE
from .loader import IntentSet
from .match import Parse
from .phrases import phrases
from .pipeline import Pipeline

__all__ = ["GEN_SCORE", "NONE_SCORE", "SURE_SCORE", "Matcher", "Parse"]


class Matcher:
    def __init__(self, intents: IntentSet, partners: tuple[str, str] | None = None) -> None:
        self.intents = intents
        self.partners: tuple[str, ...] = tuple(partners) if partners else ()
        self.pipeline = Pipeline(intents, self.partners)

    def parse(self, text: str, context: str, *, in_exercise: bool = False, can_resume: bool = False) -> Parse:
        return self.pipeline.understand(text, context, in_exercise=in_exercise, can_resume=can_resume).parse()

    def phrases(self, context: str, *, in_exercise: bool = False, can_resume: bool = False) -> list[str]:
        """Command-mode phrases for speech recognition (phrases.phrases)."""
        return phrases(self.pipeline.grammar.compiler, context, in_exercise=in_exercise, can_resume=can_resume)

    def forget_corrections(self) -> None:
        """Empty the word-correction cache (the benchmark times cold parses)."""
        self.pipeline.grammar.corrector.forget()
