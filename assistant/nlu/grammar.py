"""An ``IntentSet`` compiled once for a couple, and the one signature every understanding stage has.

``Grammar.build`` normalises, compiles the templates into per-context layers (layers.py) and the
regexes that rule intents out or veto them (fitting.py); each stage (stages/) prepares what else it
needs from it when the pipeline is built, so that reading an utterance only runs regexes, rapidfuzz
and array lookups over precomputed tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from .compiler import Compiler
from .correct import Corrector
from .fitting import Fitter
from .layers import Layer, LayerKey, Layers, compile_layers
from .loader import IntentSet
from .match import Match, Reading
from .normalise import Normaliser, Token


@dataclass
class Grammar:
    intents: IntentSet
    partners: tuple[str, ...]
    norm: Normaliser
    compiler: Compiler
    layers: Layers
    fitter: Fitter
    corrector: Corrector

    @classmethod
    def build(cls, intents: IntentSet, partners: tuple[str, ...] = ()) -> Grammar:
        norm = Normaliser(intents.rules)
        compiler = Compiler(intents, partners, norm)
        layers = compile_layers(intents, compiler)
        corrector = Corrector()
        for layer in layers.by_key.values():
            corrector.prepare(layer.vocab_set, id(layer))
        return cls(intents, partners, norm, compiler, layers, Fitter(compiler, norm), corrector)

    def reading(
        self, tokens: list[Token], context: str, in_exercise: bool = False, can_resume: bool = False
    ) -> Reading:
        """The utterance ``tokens`` (normalised, not empty) as every stage reads it in a context."""
        return self.read(tokens, *self.layers.get(context, in_exercise, can_resume))

    def read(self, tokens: list[Token], key: LayerKey, layer: Layer) -> Reading:
        return Reading(key, layer, tokens, self.fitter.barred(tokens), self.norm.strip, self.correct)

    def tokens(self, text: str) -> list[Token]:
        """``text`` normalised, the couple's names read as ``@p0``/``@p1``."""
        return self.norm.tokens(text, self.compiler.partner_of)

    def correct(self, layer: Layer, tokens: list[Token]) -> tuple[list[Token] | None, float]:
        """Snap words the layer never uses to the closest word it does use (correct.py)."""
        return self.corrector.correct(layer.vocab_set, layer.vocab, id(layer), tokens)


class Stage(Protocol):
    """One stage of understanding: an answer for the reading, or None to let the next stage try."""

    name: str

    def match(self, reading: Reading) -> Match | None: ...
