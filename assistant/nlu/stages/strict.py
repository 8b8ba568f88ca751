"""Stage 1, strict: the canonical utterance fits a template regex exactly.

Fillers, politeness and homophones are already normalised away. A ``contextual`` word is also read as
the word it may stand for ("promises two paint" -> "to") where the templates' word pairs support that
reading (sounds.Neighbours) and a template then explains more.
"""

from __future__ import annotations

from ..edges import TEXT as EDGE_TEXT
from ..grammar import Grammar
from ..match import STRICT, Match, Reading
from ..normalise import Token
from ..sounds import END, START, Neighbours


class StrictStage:
    name = STRICT

    def __init__(self, grammar: Grammar) -> None:
        self.fitter = grammar.fitter
        rules = grammar.intents.rules
        self.contextual = dict(rules.contextual)
        self.neighbours = _neighbours(grammar) if self.contextual else None
        self.trail_first = frozenset(p[0] for p in grammar.norm.trail)

    def match(self, reading: Reading) -> Match | None:
        tokens = reading.heard
        found = self.fitter.best(reading.layer, tokens, reading.barred)
        read = self.in_context(tokens)
        if read is not tokens:
            # a contextual word read as the word it may stand for ("promises two paint"): that reading
            # counts only if a template fits it, and explains more than the words as heard do
            other = self.fitter.best(reading.layer, read, reading.barred)
            if other is not None and (found is None or other.free_chars < found.free_chars):
                found, tokens = other, read
        if found is None:
            return None
        return Match(
            found.intent, found.slots, stage=STRICT, free_chars=found.free_chars, words=tuple(tokens), evidence=100.0
        )

    def in_context(self, tokens: list[Token]) -> list[Token]:
        """Read a contextual word as the word it may stand for where the templates' word pairs support that
        reading and not the word as heard: "promises two paint" -> "to", "over two you" -> "to", "privacy
        of now" -> "off"; "in two weeks" and "cross of the promise" stay (a template says them)."""
        nb = self.neighbours
        if nb is None or not any(t.canon in self.contextual for t in tokens):
            return tokens
        out = list(tokens)
        canon = ["@p" if t.canon.startswith("@p") else t.canon for t in tokens]
        for i, tok in enumerate(tokens):
            target = self.contextual.get(tok.canon)
            if target is None:
                continue
            prev = canon[i - 1] if i else START
            nxt = canon[i + 1] if i + 1 < len(canon) else END
            if self._pair_fit(nb, target, prev, nxt) > self._pair_fit(nb, tok.canon, prev, nxt):
                out[i] = Token(target, tok.heard)
                canon[i] = target
        return out

    def _pair_fit(self, nb: Neighbours, word: str, prev: str, nxt: str) -> int:
        """How well the templates put ``word`` after ``prev`` and before ``nxt``: each side counts 2 when a
        template names that neighbour, 1 when a {text} may be there; 0 unless both sides are allowed and
        one is named."""
        before, after = nb.before.get(word, ()), nb.after.get(word, ())
        left = 2 if prev in before else int(EDGE_TEXT in before)
        right = 2 if (nxt in after or (nxt in self.trail_first and END in after)) else int(EDGE_TEXT in after)
        return left + right if left and right and max(left, right) == 2 else 0


def _neighbours(grammar: Grammar) -> Neighbours:
    """Which words the templates and examples put right before and after the contextual words."""
    rules = grammar.intents.rules
    words = set(rules.contextual) | set(rules.contextual.values())
    nb = Neighbours(words, grammar.compiler.lists, grammar.intents.slot_grammars, grammar.compiler.canon, rules.drop)
    for intent in grammar.intents.intents.values():
        for t in (*intent.templates, *intent.examples):
            nb.add(t.node)
    return nb
