"""What the understanding stages hand each other: the utterance being read (``Reading``) and an answer (``Match``).

Every stage has one signature, ``Stage.match(reading) -> Match | None`` (stages/__init__.py); the
pipeline (pipeline.py) runs them in order and turns the first ``Match`` into the public ``Parse``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from .layers import Layer, LayerKey
from .normalise import Token

# What kind of evidence a match rests on; the pipeline scores each kind in its own band.
STRICT = "strict"  # a template fits the words as heard (or as a contextual word may be read)
CORRECTED = "corrected"  # ... fits once unknown words were snapped to known ones
FUZZY = "fuzzy"  # the whole utterance is close to one of the context's slot-free sentences
ASIDE = "aside"  # a slot-free command with a side remark
GENERAL = "general"  # the classifier's confident guess
NONE = "none"  # nothing meant (or a "not for me" sentence explains it better)


@dataclass(frozen=True)
class Parse:
    """What an utterance means in a context.

    ``score`` is the matcher's confidence in *this* answer (0..1): 1.0 for an
    exact template match, lower for corrected or fuzzy matches (0.75 and
    up), lowest for the classifier's answers (``pipeline.GEN_SCORE``); for
    ``intent=None`` it is the confidence that nothing was meant.
    """

    intent: str | None
    slots: dict[str, str] = field(default_factory=dict)
    score: float = 0.0


@dataclass(frozen=True)
class Match:
    """One stage's answer.

    ``evidence`` is the stage's own measure (a similarity 0..100, the classifier's probability 0..1); the
    pipeline maps it into the stage's score band (``score``). ``free_chars`` counts the characters of the
    words left to a dictated ``{text}`` (or, for an aside, taken by the remark) in ``words``, the reading the
    match was made on: a ``not_for_me`` sentence that fits ``words`` leaving fewer free characters vetoes it.
    """

    intent: str | None
    slots: dict[str, str] = field(default_factory=dict)
    score: float = 0.0
    stage: str = NONE
    free_chars: int = 0
    words: tuple[Token, ...] = ()
    evidence: float = 0.0

    def parse(self) -> Parse:
        return Parse(self.intent, self.slots, self.score)


Strip = Callable[[list[Token]], list[Token]]
Correct = Callable[[Layer, list[Token]], tuple[list[Token] | None, float]]


@dataclass
class Reading:
    """One utterance in one context, as every stage sees it.

    ``heard`` keeps the politeness around the request ("okay your turn" may be what a template says);
    ``stripped`` has it taken off. The correction of unknown words is made once, on first use, and
    shared by the stages after strict (corrected, fuzzy, aside).
    """

    key: LayerKey
    layer: Layer
    heard: list[Token]
    barred: frozenset[str]  # intents whose own "not" sentences fit the words as heard
    strip: Strip
    correct: Correct

    @property
    def context(self) -> str:
        return self.key[0]

    @cached_property
    def stripped(self) -> list[Token]:
        """The words without the politeness at either end (made on first use: most utterances fit strictly)."""
        return self.strip(self.heard)

    @cached_property
    def correction(self) -> tuple[list[Token] | None, float]:
        """(the stripped words with unknown ones snapped to the layer's, or None when none was;
        the weakest similarity)."""
        return self.correct(self.layer, self.stripped)

    @property
    def corrected_or_stripped(self) -> list[Token]:
        return self.correction[0] or self.stripped
