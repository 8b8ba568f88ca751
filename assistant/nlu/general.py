"""Stage 4 of matching: a classifier for the phrasings no template wrote down.

Used only when the strict, corrected and fuzzy stages found nothing. Per
context, a naive Bayes classifier (``classifier.py``) over canonical words,
word pairs, edges and a count of unknown words is trained when the Matcher
is built, from

* sentences sampled from every intent's ``templates`` and ``examples``; a
  dictated ``{text}`` is learnt both as stand-in words (mostly ``<unk>``: what
  is dictated does not decide the intent, the words around it do) and as
  one ``<text>`` token;
* the intents of the *other* contexts, as classes of their own that this
  context never hears ("start our gratitude moment" during a turn); and
* a "not for me" class: the ``not_for_me`` sentences of the context (other
  requests, household talk, near misses, a partner's own words).

The utterance is scored as heard; for an intent with ``{text}`` whose own
template or example fits the whole utterance, also with that ``{text}``
replaced by ``<text>`` ("add to our experiences <text>"), and the better of
the two counts. The best intent is kept only when it is confident and the
sentence *looks like* it:

* without ``{text}``, every word must be one the context knows: an unknown
  word ("check in for our *flight*") means it is about something else (one
  is forgiven when the classifier is all but certain and the sentence long);
* with ``{text}``, the dictated words must be placeable, and the words
  around them must be the intent's own and include one that points to it
  (an *anchor*: "goal" for goal.add; "add eggs to the list" has none).

Slots come from the intent's own templates and examples when one fits the
whole utterance, else from its shape: the dictated words lie between the
words that precede and follow ``{text}`` in its sentences, the time words
(``{due}``, ``{period}``) and ``{kind}`` are found by their grammars, the
partner by name (followed by a word that follows ``{partner}`` in them).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from . import templates as tpl
from .classifier import UNK, NaiveBayes
from .edges import PARTNER_TOKEN, TEXT, Edges, EdgeWalker, single
from .normalise import Token

START, END = "^", "$"
PARTNER_SLOT = "<partner>"  # a {partner} in a template (a <partners> is a name that fills no slot: PARTNER_TOKEN)
DETERMINERS = frozenset({"the", "a", "an", "my", "our", "his", "her", "their", "your", "this", "that"})
GRAMMAR_SLOTS = ("kind", "period", "due")  # read before {text}, in this order

Span = tuple[int, int]  # token indices [start, end)


@dataclass
class IntentShape:
    """What the templates and examples of one intent say about its slots."""

    name: str
    slots: frozenset[str]  # slots any of its sentences has
    required: frozenset[str]  # slots every one of its sentences has
    vocab: frozenset[str]  # canonical words of its sentences outside slots
    before: frozenset[str] = (
        frozenset()
    )  # tokens right before a {text} ("^": it may open the sentence; "<due>": a slot)
    after: frozenset[str] = frozenset()  # tokens right after it ("$": it may end the sentence)
    loose: int = 0  # words it may contain that no sentence names (its templates' <any>)
    after_partner: frozenset[str] = frozenset()  # tokens right after a {partner} ("will", "promised"; "$")

    @property
    def dictated(self) -> bool:
        return bool(tpl.FREE_SLOTS & self.slots)


@dataclass
class ContextModel:
    classes: list[str | None]  # index 0 is "not for me"
    vocab: frozenset[str]  # the words the context's intents use
    by_initial: dict[str, list[str]]  # the same by first letter, for correcting misheard words (correct._by_sound)
    known_other: frozenset[str]  # words only "not for me" and other contexts' sentences use ("weather", "flight")
    function_words: frozenset[str]  # words most intents share
    classifier: NaiveBayes
    shapes: dict[str, IntentShape] = field(default_factory=dict)
    anchors: dict[str, frozenset[str]] = field(default_factory=dict)  # words that point to one intent
    kept_slots: dict[str, frozenset[str]] = field(default_factory=dict)  # the slots each intent's templates fill
    # words only a slot grammar uses ("christmas", "party"): known only inside the time words they belong to
    grammar_only: frozenset[str] = frozenset()

    def probabilities(self, words: Sequence[str], active: frozenset[str]) -> np.ndarray:
        """Class probabilities; the intents this layer does not hear count as "not for me"."""
        p = self.classifier.predict(features(words, self.vocab, self.known_other))
        for i, c in enumerate(self.classes):
            if c is not None and c not in active:
                p[0] += p[i]
                p[i] = 0.0
        return p


def features(words: Sequence[str], vocab: frozenset[str], known_other: frozenset[str]) -> set[str]:
    """Words, word pairs (with sentence edges), and how many words the context does not know.

    A word the context never uses is ``<unk>``; if the "not for me"
    sentences use it ("weather", "flight") it also counts as itself.
    """
    mapped = [w if (w in vocab or w in (PARTNER_TOKEN, TEXT)) else UNK for w in words]
    out = set(mapped)
    out.update(f"={w}" for w in words if w in known_other)
    seq = [START, *mapped, END]
    out.update(f"{a} {b}" for a, b in itertools.pairwise(seq))
    out.add(f"#unk{min(mapped.count(UNK), 3)}")
    out.add(f"#len{min(len(words), 12) // 3}")
    return out


# -- the shape of an intent's sentences around {text} -------------------------


class _Edges(EdgeWalker):
    """What borders each {text} (and follows each {partner}) in an intent's templates."""

    def __init__(
        self, lists: tpl.Lists, canon: Callable[[str], list[str]], drop: frozenset[str], memo: dict[str, Edges]
    ) -> None:
        super().__init__(lists, canon, drop, memo)  # word lists hold no {text}: their edges are shared by every intent
        self.before: set[str] = set()
        self.after: set[str] = set()
        self.after_partner: set[str] = set()

    def slot(self, name: str) -> Edges:
        if name in tpl.FREE_SLOTS:
            return single(TEXT)
        return single(PARTNER_SLOT if name == tpl.PARTNER else f"<{name}>")

    def pair(self, lasts: frozenset[str], firsts: frozenset[str]) -> None:
        if TEXT in firsts:
            self.before.update(lasts)
        if TEXT in lasts:
            self.after.update(firsts)
        if PARTNER_SLOT in lasts:
            self.after_partner.update(firsts)


def intent_shape(name: str, nodes: Sequence[tpl.Node], lists: tpl.Lists, canon: Callable[[str], list[str]],
                 drop: frozenset[str], words_of: Callable[[tpl.Node], set[str]],
                 memo: dict[str, Edges] | None = None) -> IntentShape:
    edges = _Edges(lists, canon, drop, {} if memo is None else memo)
    slot_sets = []
    required: list[frozenset[str]] = []
    vocab: set[str] = set()
    loose = 0
    for node in nodes:
        loose = loose or int("any" in tpl.lists_of(node))
        slots = frozenset(tpl.slots_of(node))
        if slots & (tpl.FREE_SLOTS | {tpl.PARTNER}):  # the edges matter only next to {text} and {partner}
            edges.walk(tpl.Seq((tpl.Word(START), node, tpl.Word(END))))
        slot_sets.append(slots)
        required.append(required_slots(node))
        vocab |= words_of(node)
    every = frozenset.intersection(*required) if required else frozenset()
    slot_edge = {PARTNER_SLOT: PARTNER_TOKEN}  # a {partner} next to a {text} is a name there too
    return IntentShape(
        name,
        frozenset().union(*slot_sets) - {tpl.ANY},
        every - {tpl.ANY},
        frozenset(vocab),
        frozenset(slot_edge.get(w, w) for w in edges.before),
        frozenset(slot_edge.get(w, w) for w in edges.after),
        loose,
        frozenset(slot_edge.get(w, w) for w in edges.after_partner),
    )


def required_slots(node: tpl.Node) -> frozenset[str]:
    """The slots every sentence of ``node`` has."""
    if isinstance(node, tpl.Slot):
        return frozenset({node.name})
    if isinstance(node, tpl.Alt):
        if node.optional:
            return frozenset()
        return frozenset.intersection(*(required_slots(o) for o in node.options))
    if isinstance(node, tpl.Seq):
        return frozenset().union(*(required_slots(i) for i in node.items)) if node.items else frozenset()
    return frozenset()


# -- reading slots without a template ----------------------------------------


class Spans:
    """Where each slot grammar matches in one utterance, computed once for all intents."""

    def __init__(self, tokens: Sequence[Token], grammars: dict[str, re.Pattern[str]]) -> None:
        self.tokens = tokens
        self.grammars = grammars
        self._line = "".join(t.canon + " " for t in tokens)
        self._starts = [0]
        for t in tokens:
            self._starts.append(self._starts[-1] + len(t.canon) + 1)
        self._memo: dict[str, list[Span]] = {}

    def of(self, name: str, edges: bool = False) -> list[Span]:
        """The spans of grammar ``name``; with ``edges`` only those that open or close the utterance."""
        key = f"{name}|{edges}"
        spans = self._memo.get(key)
        if spans is None:
            regex, n, starts = self.grammars[name], len(self.tokens), self._starts
            pairs = [(0, j) for j in range(1, n + 1)] + [(i, n) for i in range(1, n)] if edges else \
                [(i, j) for i in range(n) for j in range(i + 1, n + 1)]
            spans = [(i, j) for i, j in pairs if regex.fullmatch(self._line, starts[i], starts[j])]
            self._memo[key] = spans
        return spans


def read(shape: IntentShape, canon: Sequence[str], spans: Spans, vocab: frozenset[str], function_words: frozenset[str],
         anchors: frozenset[str], has_partners: bool, dictated: bool, forgive: int = 0,
         grammar_only: frozenset[str] = frozenset()) -> dict[str, Span] | None:
    """Where ``shape``'s slots are in the utterance, or None when they cannot be placed (then it is not that intent).

    ``dictated``: place a ``{text}``; else the utterance must be one of its sentences without one, with
    no word the context never uses but ``forgive`` of them.
    """
    n = len(canon)
    found: dict[str, Span] = {}
    taken = [False] * n
    marks: dict[int, str] = {}  # token index right after a grammar slot -> "<slot>"
    for name in GRAMMAR_SLOTS:
        if name not in shape.slots or name not in spans.grammars:
            continue
        options = spans.of(name, edges=name == "due")  # time words close or open a promise
        span = _longest(s for s in options if not any(taken[s[0]:s[1]]))
        if span is None:
            if name in shape.required:
                return None
            continue
        found[name] = span
        taken[span[0]:span[1]] = [True] * (span[1] - span[0])
        marks[span[1]] = f"<{name}>"
    if dictated:
        text = _text_span(shape, canon, taken, marks, function_words, anchors, vocab)
        if text is None:
            return None
        found["text"] = text
        taken[text[0]:text[1]] = [True] * (text[1] - text[0])
    else:
        stray = sum(
            c in grammar_only and not taken[k] for k, c in enumerate(canon)
        )  # "party" outside "before the party"
        unknown = sum(c not in vocab and c != PARTNER_TOKEN for c in canon)
        if unknown + stray > shape.loose + (0 if stray else forgive):
            return None  # a word this context never uses: "check in for our flight" is about something else
    if tpl.PARTNER in shape.slots and has_partners:
        k = partner_at(canon, taken, shape.after_partner)
        if k is not None:
            found[tpl.PARTNER] = (k, k + 1)
        elif tpl.PARTNER in shape.required:
            return None
    return found


def partner_at(canon: Sequence[str], taken: Sequence[bool], after: frozenset[str]) -> int | None:
    """The first name that says who: one followed by a word that follows ``{partner}`` in the intent's
    sentences ("Sam *will*", "Sam *said*"), not one that is spoken to ("Sam, *I* promise ...")."""
    n = len(canon)
    for k, w in enumerate(canon):
        if taken[k] or w != PARTNER_TOKEN:
            continue
        if (canon[k + 1] if k + 1 < n else END) in after:
            return k
    return None


def _longest(spans: Iterable[Span]) -> Span | None:
    best = None
    for span in spans:
        if best is None or span[1] - span[0] > best[1] - best[0]:
            best = span
    return best


def _foreign_cost(word: str, own: frozenset[str], vocab: frozenset[str], function_words: frozenset[str]) -> int:
    """What a word outside the dictated part costs when the intent never uses it: little for a
    function word ("has"), more for another request's word, everything for a word no request uses."""
    if word in own or word == PARTNER_TOKEN:
        return 0
    if word in function_words:
        return 1
    return 4 if word in vocab else 10


def _text_span(shape: IntentShape, canon: Sequence[str], taken: list[bool], marks: dict[int, str],
               function_words: frozenset[str], anchors: frozenset[str], vocab: frozenset[str]) -> Span | None:
    """The dictated words: between a word that may precede {text} and one that may follow it.

    Of the possible spans the cheapest wins: a word outside it that the
    intent never uses costs 1 to 10 (``_foreign_cost``; 10 or more: no span),
    having no anchor outside it costs 10; each of the intent's own words inside it costs 1, as
    does a word that may follow {text} and starting on one that may precede
    it. Determiners belong to the dictated words ("the plumber").
    """
    n = len(canon)
    free = [k for k in range(n) if not taken[k]]
    if not free:
        return None
    starts = set()
    if START in shape.before:
        starts.add(free[0])
    for k in range(n):
        if not taken[k] and canon[k] in shape.before and canon[k] not in DETERMINERS:
            starts.add(k + 1)
        if marks.get(k + 1) in shape.before:
            starts.add(k + 1)
    ends = set()
    if END in shape.after or any(m in shape.after for m in marks.values()):
        ends.add(free[-1] + 1)
    for k in range(n):
        if not taken[k] and canon[k] in shape.after:
            ends.add(k)
    keywords = shape.vocab - function_words
    best: tuple[tuple[int, int, int], Span] | None = None
    for s in starts:
        for e in ends:
            if e <= s or any(taken[s:e]):
                continue
            outside = [canon[k] for k in range(n) if not taken[k] and not s <= k < e]
            cost = sum(_foreign_cost(w, shape.vocab, vocab, function_words) for w in outside)
            if anchors and not anchors.intersection(outside):
                cost += 10  # nothing outside the dictated words says which request it is
            cost += sum(w in keywords or w in shape.after for w in canon[s:e])
            cost += canon[s] in shape.before and canon[s] not in DETERMINERS
            key = (cost, s, -e)
            if best is None or key < best[0]:
                best = (key, (s, e))
    if best is None or best[0][0] >= 10:
        return None
    return best[1]
