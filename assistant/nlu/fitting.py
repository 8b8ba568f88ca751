"""Fitting an utterance to whole-utterance regexes: the best template, an intent's ``not`` sentences, the veto.

An intent's own ``not`` sentences rule it out wherever one fits the whole utterance ("i promise you
that's not true" is never ``promise.log``), at every stage; another intent may still answer. A
``not_for_me`` sentence that fits the whole utterance and leaves fewer words to its ``{text}``
overrules a match with dictated words ("we tried calling the plumber *but he didn't pick up*" is not
an experience): the pipeline applies that veto to every stage's answer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .compiler import Compiler
from .layers import Layer
from .loader import CONTEXTS
from .normalise import Normaliser, Token
from .slots import SlotValues, heard_text


@dataclass(frozen=True)
class TemplateFit:
    intent: str
    slots: dict[str, str]
    free_chars: int  # characters of the words left to its {text} slots


def line(tokens: Sequence[Token]) -> str:
    """What a template's regex runs over: the canonical words, each followed by a space."""
    return "".join(t.canon + " " for t in tokens)


def fit(regex: re.Pattern[str], text: str, windows: list[tuple[int, int]]) -> re.Match[str] | None:
    """The first window of ``text`` (Normaliser.windows) that ``regex`` fits exactly."""
    for pos, end in windows:
        m = regex.fullmatch(text, pos, end)
        if m is not None:
            return m
    return None


def free_chars(m: re.Match[str], tokens: Sequence[Token]) -> int:
    """Characters of the words a match left to its ``{text}`` slots (as heard, like ``SlotValues.free_chars``)."""
    starts, pos = {}, 0
    for k, t in enumerate(tokens):
        starts[pos] = k
        pos += len(t.canon) + 1
    free = 0
    for group, value in m.groupdict().items():
        if value is None or not group.startswith("text__"):
            continue
        first = starts[m.start(group)]
        free += len(heard_text(tokens[first : first + len(value.split())]))
    return free


class Fitter:
    def __init__(self, compiler: Compiler, norm: Normaliser) -> None:
        intents = compiler.intents
        self.norm = norm
        self.partners = compiler.partners
        # not_for_me sentences as whole-utterance patterns: they overrule a request's template that explains less
        self._vetoes = {
            context: [compiler.pattern("", t.node).regex for t in intents.not_for_me.get(context, ())]
            for context in CONTEXTS
        }
        # each intent's "not" sentences: whole-utterance patterns that rule it out
        self.exceptions = {
            i.name: [compiler.pattern(i.name, t.node).regex for t in i.exceptions]
            for i in intents.intents.values()
            if i.exceptions
        }
        self.keeps_negation = frozenset(i.name for i in intents.intents.values() if i.keeps_negation)

    def windows(self, tokens: Sequence[Token]) -> list[tuple[int, int]]:
        return self.norm.windows(tokens)

    def best(self, layer: Layer, tokens: list[Token], barred: frozenset[str] = frozenset()) -> TemplateFit | None:
        """The template of the layer that fits the whole utterance and explains most words itself (least free text);
        on a tie the earlier template (and the context's own intents) win."""
        text = line(tokens)
        windows = self.windows(tokens)
        whole = len(windows) == 1  # no lead-in or politeness to take off: one regex call each
        best: TemplateFit | None = None
        for pattern in layer.patterns:
            m = pattern.regex.fullmatch(text) if whole else fit(pattern.regex, text, windows)
            if m is None:
                continue
            values = SlotValues.from_match(m, tokens, self.partners, pattern.intent in self.keeps_negation)
            if values is None or pattern.intent in barred or self.ruled_out(pattern.intent, tokens, text, windows):
                continue
            if best is None or values.free_chars < best.free_chars:
                best = TemplateFit(pattern.intent, values.slots, values.free_chars)
                if values.free_chars == 0:
                    break
        return best

    def barred(self, tokens: list[Token]) -> frozenset[str]:
        """The intents whose "not" sentences fit the words as heard: no corrected or guessed reading brings them
        back ("we went to the shops" corrected to "... the hopes" is still no experience)."""
        return frozenset(name for name in self.exceptions if self.ruled_out(name, tokens))

    def ruled_out(
        self,
        intent: str,
        tokens: Sequence[Token],
        text: str | None = None,
        windows: list[tuple[int, int]] | None = None,
    ) -> bool:
        """Whether one of the intent's ``not`` sentences fits the whole utterance."""
        patterns = self.exceptions.get(intent)
        if not patterns:
            return False
        text = text if text is not None else line(tokens)
        windows = windows if windows is not None else self.windows(tokens)
        return any(fit(regex, text, windows) is not None for regex in patterns)

    def veto(self, context: str, tokens: Sequence[Token], free: int) -> bool:
        """Whether a ``not_for_me`` sentence of the context fits the whole utterance with fewer dictated
        characters than ``free`` (the request's): "we tried calling the plumber *but he didn't pick
        up*" is a "not for me" ``we <did_verb> {text} but {text}`` rather than ``we tried {text}``."""
        patterns = self._vetoes.get(context)
        if not patterns:
            return False
        text = line(tokens)
        windows = self.windows(tokens)
        whole = len(windows) == 1
        for regex in patterns:
            m = regex.fullmatch(text) if whole else fit(regex, text, windows)
            if m is not None and free_chars(m, tokens) < free:
                return True
        return False
