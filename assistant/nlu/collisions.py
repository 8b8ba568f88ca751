"""The same sentence in two intents of one context: a check the tests and the benchmark run on the shipped intents."""

from __future__ import annotations

from . import templates as tpl
from .intent_yaml import IntentFileError
from .loader import CONTEXTS, EXPANSION_CAP, IntentSet
from .normalise import Normaliser


def check_collisions(intents: IntentSet, cap: int = EXPANSION_CAP) -> None:
    """The same sentence in two intents of one context would make matching a coin toss.

    Templates first, then examples (an example that another intent's template
    or example says would teach the classifier both). Too slow for every
    start-up (it expands every template), so the tests and the benchmark run
    it on the shipped intents instead.
    """
    norm = Normaliser(intents.rules)
    for context in CONTEXTS:
        owner: dict[str, tuple[str, str]] = {}
        intents_here = intents.in_context(context)
        sentences = [(i, t) for i in intents_here for t in i.templates] + [
            (i, t) for i in intents_here for t in i.examples
        ]
        for intent, t in sentences:
            if tpl.slots_of(t.node):
                continue
            for sentence in tpl.expand(t.node, intents.lists, lambda s: None, cap):
                key = " ".join(tok.canon for tok in norm.strip(norm.tokens(sentence)))
                other = owner.get(key)
                if other is not None and other[0] != intent.name:
                    raise IntentFileError(
                        f"{t.where}: {sentence!r} is both {intent.name!r} and {other[0]!r} (at {other[1]}) "
                        f"in context {context!r}"
                    )
                owner[key] = (intent.name, t.where)
