"""Which tokens may stand side by side in a template.

One walk over a template's nodes gives each node's first and last tokens and
whether it can be empty, and reports every pair of tokens that may follow
each other (``pair``). Two stages read it: the generalising stage (what
borders a ``{text}``, ``general.py``) and the contextual words (which words
the templates put next to "two" or "of", ``sounds.py``); they differ only in
how a slot reads and what a pair is kept for.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

from . import templates as tpl

Edges = tuple[frozenset[str], frozenset[str], bool]  # (first tokens, last tokens, can be empty)
EMPTY: Edges = (frozenset(), frozenset(), True)
TEXT = "<text>"  # a dictated {text}: any words
PARTNER_TOKEN = "@p"  # a partner's name (a <partners> list, or a name heard)


def single(token: str) -> Edges:
    return frozenset({token}), frozenset({token}), False


class EdgeWalker:
    """The shared walk; subclasses say how a slot reads (``slot``) and keep the pairs they need (``pair``).

    ``memo`` may be shared between walkers over the same lists: a word list's
    edges do not depend on the template it is used in.
    """

    def __init__(self, lists: tpl.Lists, canon: Callable[[str], list[str]], drop: frozenset[str],
                 memo: dict[str, Edges] | None = None) -> None:
        self.lists = lists
        self.canon = canon
        self.drop = drop
        self._memo: dict[str, Edges] = {} if memo is None else memo

    def walk(self, node: tpl.Node) -> Edges:
        if isinstance(node, tpl.Word):
            return self.word(node.text)
        if isinstance(node, tpl.Slot):
            return self.slot(node.name)
        if isinstance(node, tpl.ListRef):
            return (
                single(PARTNER_TOKEN) if node.name == "partners" else self.named(node.name, self.lists.get(node.name))
            )
        if isinstance(node, tpl.Alt):
            first: set[str] = set()
            last: set[str] = set()
            empty = node.optional
            for option in node.options:
                f, lasts, e = self.walk(option)
                first |= f
                last |= lasts
                empty = empty or e
            return frozenset(first), frozenset(last), empty
        return self._seq([self.walk(item) for item in node.items])

    def word(self, text: str) -> Edges:
        parts = self.canon(text)
        if text in self.drop or not parts:
            return EMPTY
        for a, b in itertools.pairwise(parts):  # "let's" is "let" then "us"
            self.pair(frozenset({a}), frozenset({b}))
        return frozenset({parts[0]}), frozenset({parts[-1]}), False

    def slot(self, name: str) -> Edges:
        return single(TEXT)

    def pair(self, lasts: frozenset[str], firsts: frozenset[str]) -> None:
        """``firsts`` may come right after ``lasts``."""

    def named(self, name: str, node: tpl.Node | None) -> Edges:
        """A word list or slot grammar, walked once; an unknown one reads as any words."""
        if node is None:
            return single(TEXT)
        if name not in self._memo:
            self._memo[name] = EMPTY  # a list that refers to itself (the loader forbids it) ends here
            self._memo[name] = self.walk(node)
        return self._memo[name]

    def _seq(self, items: list[Edges]) -> Edges:
        for i, (_, last_i, _) in enumerate(items):
            for j in range(i + 1, len(items)):
                self.pair(last_i, items[j][0])
                if not items[j][2]:
                    break  # an item that cannot be empty hides the ones after it
        first: set[str] = set()
        for f, _, e in items:
            first |= f
            if not e:
                break
        last: set[str] = set()
        for _, lasts, e in reversed(items):
            last |= lasts
            if not e:
                break
        return frozenset(first), frozenset(last), all(e for _, _, e in items)
