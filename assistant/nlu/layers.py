"""An ``IntentSet`` compiled into per-context layers: what a context can hear, ready to match.

Layering (intent-catalogue.md): every context hears cancel; confirm/name inside an exercise hear
stop/pause; idle hears resume when it can resume. Flags that do not change a context's intents
share one layer (``layer_key``).
"""

from __future__ import annotations

from dataclasses import dataclass

from .compiler import CompiledIntent, Compiler, Pattern
from .loader import CONTEXTS, IntentSet

ALWAYS = ("cancel",)
IN_EXERCISE = ("ritual.stop", "ritual.pause")
CAN_RESUME = ("ritual.resume",)
# A layer's correctable vocabulary keeps words of this length and up ("snow" -> "now"); the corrector
# itself leaves words shorter than one more alone (correct.CORRECT_MIN_LEN).
VOCAB_MIN_LEN = 3

LayerKey = tuple[str, bool, bool]  # (context, in an exercise, can resume) with the flags that matter there


@dataclass
class Layer:
    patterns: list[Pattern]
    vocab: list[str]
    vocab_set: frozenset[str]
    choices: list[str]  # canonical slot-free sentences
    sorted_choices: list[str]  # the same, words sorted (for word-order changes)
    owners: list[tuple[str, dict[str, str]]]  # intent and fixed slots of each choice
    lengths: list[int]  # len() of each choice; choices are sorted by it


def layer_key(context: str, in_exercise: bool = False, can_resume: bool = False) -> LayerKey:
    if context not in CONTEXTS:
        raise ValueError(f"unknown context {context!r} (expected one of {', '.join(CONTEXTS)})")
    return context, in_exercise and context in ("confirm", "name"), can_resume and context == "idle"


def intent_names(intents: IntentSet, context: str, in_exercise: bool, can_resume: bool) -> list[str]:
    """The intents a context hears, its own first."""
    names = [i.name for i in intents.in_context(context)]
    extra = list(ALWAYS)
    if in_exercise and context in ("confirm", "name"):
        extra += IN_EXERCISE
    if can_resume and context == "idle":
        extra += CAN_RESUME
    names += [n for n in extra if n in intents.intents and n not in names]
    return names


@dataclass
class Layers:
    """Every intent compiled once, and the layer of every context and flag combination."""

    compiled: dict[str, CompiledIntent]
    by_key: dict[LayerKey, Layer]

    def get(self, context: str, in_exercise: bool = False, can_resume: bool = False) -> tuple[LayerKey, Layer]:
        key = layer_key(context, in_exercise, can_resume)
        return key, self.by_key[key]


def compile_layers(intents: IntentSet, compiler: Compiler) -> Layers:
    compiled = {intent.name: compiler.compile_intent(intent.name) for intent in intents.intents.values()}
    by_key: dict[LayerKey, Layer] = {}
    for context in CONTEXTS:
        for in_exercise in (False, True):
            for can_resume in (False, True):
                key = layer_key(context, in_exercise, can_resume)
                if key not in by_key:
                    by_key[key] = _layer(intent_names(intents, *key), compiled)
    return Layers(compiled, by_key)


def _layer(names: list[str], compiled: dict[str, CompiledIntent]) -> Layer:
    patterns: list[Pattern] = []
    vocab: set[str] = set()
    seen: dict[str, tuple[str, dict[str, str]]] = {}
    for name in names:
        c = compiled[name]
        patterns += c.patterns
        vocab |= c.vocab
        for canon, owner, fixed in c.choices:
            if canon:  # a sample of only droppable words ("the", "us") would match any such utterance
                seen.setdefault(canon, (owner, fixed))
    choices = sorted(seen, key=len)
    return Layer(
        patterns=patterns,
        vocab=sorted(w for w in vocab if len(w) >= VOCAB_MIN_LEN),
        vocab_set=frozenset(vocab),
        choices=choices,
        sorted_choices=[" ".join(sorted(c.split())) for c in choices],
        owners=[seen[c] for c in choices],
        lengths=[len(c) for c in choices],
    )
