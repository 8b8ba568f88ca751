"""The template language: parse, expand, compile to a regex.

A template is a line of words with a little structure (see intents/README.md):

    (start | begin) [our | the] <gratitude> moment
    log a promise [that] {partner} will {text} [{due}]

* ``(a | b)`` one of; ``[a | b]`` optional one of; ``<name>`` a shared word list;
* ``{slot}`` a slot: ``{partner}`` (a profile name), ``{text}`` (free words) or a
  slot grammar defined in the YAML (``{due}``, ``{period}``, ``{kind}``).

Pure functions over a tiny AST; the loader turns parse errors into ``file:line``.
"""

from __future__ import annotations

import itertools
import random
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

FREE_SLOTS = frozenset({"text"})  # dictated words: no grammar, matched lazily
PARTNER = "partner"
ANY = "_any"  # the built-in list <any>: one word that fills no slot


class TemplateError(ValueError):
    """A malformed template; the loader adds the file and line."""


@dataclass(frozen=True)
class Word:
    text: str


@dataclass(frozen=True)
class ListRef:
    name: str


@dataclass(frozen=True)
class Slot:
    name: str


@dataclass(frozen=True)
class Seq:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Alt:
    options: tuple[Seq, ...]
    optional: bool = False


Node = Word | ListRef | Slot | Seq | Alt

_TOKEN = re.compile(
    r"\s*(?:(?P<punct>[()\[\]|])|<(?P<list>[a-z0-9_.\-]+)>|\{(?P<slot>[a-z_]+)\}|(?P<word>[a-z0-9'\-]+))"
)


def parse(template: str) -> Seq:
    """Parse one template into a ``Seq``; raises ``TemplateError`` saying what is wrong."""
    text = template.strip().lower()
    if not text:
        raise TemplateError("empty template")
    tokens: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if m is None:
            raise TemplateError(f"unexpected {text[pos:].strip()[:12]!r} in template {template!r}")
        kind = m.lastgroup or ""
        tokens.append((kind, m.group(kind)))
        pos = m.end()
    parser = _Parser(tokens, template)
    seq = parser.seq(closing=None)
    return seq


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]], source: str) -> None:
        self.tokens = tokens
        self.i = 0
        self.source = source

    def seq(self, closing: str | None) -> Seq:
        """Parse until ``closing`` (or the end); alternatives split on ``|``."""
        options: list[list[Node]] = [[]]
        while self.i < len(self.tokens):
            kind, value = self.tokens[self.i]
            self.i += 1
            if kind == "punct" and value in ")]":
                if value != closing:
                    raise TemplateError(f"unbalanced {value!r} in template {self.source!r}")
                return self._alt(options, closing)
            if kind == "punct" and value == "|":
                options.append([])
            elif kind == "punct" and value in "([":
                inner = self.seq(")" if value == "(" else "]")
                options[-1].append(inner)
            elif kind == "word":
                options[-1].append(Word(value))
            elif kind == "list":
                options[-1].append(ListRef(value))
            elif kind == "slot":
                options[-1].append(Slot(value))
        if closing is not None:
            raise TemplateError(f"missing {closing!r} in template {self.source!r}")
        return self._alt(options, None)

    def _alt(self, options: list[list[Node]], closing: str | None) -> Seq:
        if any(not o for o in options):
            where = {None: "the template", ")": "( )", "]": "[ ]"}[closing]
            raise TemplateError(f"empty alternative in {where} of template {self.source!r}")
        seqs = tuple(Seq(tuple(o)) for o in options)
        if closing is None and len(seqs) == 1:
            return seqs[0]
        return Seq((Alt(seqs, optional=closing == "]"),))


def walk(node: Node) -> Iterator[Node]:
    yield node
    if isinstance(node, Seq):
        for item in node.items:
            yield from walk(item)
    elif isinstance(node, Alt):
        for option in node.options:
            yield from walk(option)


def slots_of(node: Node) -> list[str]:
    return [n.name for n in walk(node) if isinstance(n, Slot)]


def lists_of(node: Node) -> list[str]:
    return [n.name for n in walk(node) if isinstance(n, ListRef)]


def substitute(node: Node, fn: Callable[[str], Node | None]) -> Node | None:
    """A copy of ``node`` with every slot replaced by ``fn(name)``; ``None`` if ``fn`` drops one."""
    if isinstance(node, Slot):
        return fn(node.name)
    if isinstance(node, Seq):
        items = [substitute(i, fn) for i in node.items]
        return None if any(i is None for i in items) else Seq(tuple(i for i in items if i is not None))
    if isinstance(node, Alt):
        options = [substitute(o, fn) for o in node.options]
        kept = tuple(o for o in options if isinstance(o, Seq))
        if not kept:
            return Seq(()) if node.optional else None
        return Alt(kept, node.optional)
    return node


# --- expansion -------------------------------------------------------------

Lists = Mapping[str, Seq]


def expand(node: Node, lists: Lists, slot_text: Callable[[str], str | None], cap: int) -> list[str]:
    """All sentences of ``node`` (at most ``cap``), words joined by single spaces.

    ``slot_text(name)`` gives what a slot becomes in a phrase (``None`` drops the
    whole expansion, e.g. a ``{text}`` in a phrase list that must not guess words).
    """
    out: list[str] = []
    for words in itertools.islice(_expand(node, lists, slot_text), cap):
        if words is not None:
            out.append(" ".join(w for w in words if w))
    return list(dict.fromkeys(out))


def sample(node: Node, lists: Lists, slot_text: Callable[[str], str | None], n: int, seed: int = 0) -> list[str]:
    """Up to ``n`` sentences of ``node``: all of them if there are few, else a
    deterministic sample: the plainest sentence (no optional words), sentences
    that cover each option once, then random ones favouring the first (most
    common) wording of each choice."""
    if count(node, lists) <= n:
        return expand(node, lists, slot_text, n)
    rng = random.Random(seed)
    out: dict[str, None] = {}
    # the plainest sentence, then "covering" ones: the k-th option of every
    # choice (optionals in, then out), so every word of every list shows up
    for k in range(min(n // 2, _widest(node, lists)) + 1):
        words = _walk(node, lists, slot_text, None, k)
        if words is not None:
            out.setdefault(" ".join(w for w in words if w), None)
    for _ in range(n * 3):
        if len(out) >= n:
            break
        words = _walk(node, lists, slot_text, rng)
        if words is not None:
            out.setdefault(" ".join(w for w in words if w), None)
        if len(out) >= n:
            break
    return list(out)


def _widest(node: Node, lists: Lists) -> int:
    """The most options any one choice in ``node`` offers."""
    widest = 1
    for n in walk(node):
        if isinstance(n, Alt):
            widest = max(widest, len(n.options))
        elif isinstance(n, ListRef):
            widest = max(widest, _widest(lists[n.name], lists))
    return widest


def _walk(
    node: Node, lists: Lists, slot_text: Callable[[str], str | None], rng: random.Random | None, k: int = 0
) -> list[str] | None:
    """One random path; without ``rng`` the k-th covering path (k=0: first options, no optionals)."""
    if isinstance(node, Word):
        return [node.text]
    if isinstance(node, ListRef):
        return _walk(lists[node.name], lists, slot_text, rng, k)
    if isinstance(node, Slot):
        value = slot_text(node.name)
        return None if value is None else [value]
    if isinstance(node, Alt):
        if node.optional and (rng.random() < 0.55 if rng is not None else k % 2 == 0):
            return []
        if rng is None:
            index = max(0, k - 1) % len(node.options)
        else:
            # earlier options are likelier: lists put the commonest wording first
            weights = [1.0 / (k + 1) for k in range(len(node.options))]
            index = rng.choices(range(len(node.options)), weights)[0]
        return _walk(node.options[index], lists, slot_text, rng, k)
    out: list[str] = []
    for item in node.items:
        words = _walk(item, lists, slot_text, rng, k)
        if words is None:
            return None
        out += words
    return out


def _expand(node: Node, lists: Lists, slot_text: Callable[[str], str | None]) -> Iterator[list[str] | None]:
    if isinstance(node, Word):
        yield [node.text]
    elif isinstance(node, ListRef):
        yield from _expand(lists[node.name], lists, slot_text)
    elif isinstance(node, Slot):
        value = slot_text(node.name)
        yield None if value is None else [value]
    elif isinstance(node, Alt):
        if node.optional:
            yield []
        for option in node.options:
            yield from _expand(option, lists, slot_text)
    else:
        yield from _product(node.items, lists, slot_text)


def _product(
    items: tuple[Node, ...], lists: Lists, slot_text: Callable[[str], str | None]
) -> Iterator[list[str] | None]:
    if not items:
        yield []
        return
    for head in _expand(items[0], lists, slot_text):
        if head is None:
            yield None  # dropped, but other alternatives may still expand
            continue
        for tail in _product(items[1:], lists, slot_text):
            yield None if tail is None else head + tail


def count(node: Node, lists: Lists) -> int:
    """How many sentences a node expands to (slots count as one)."""
    if isinstance(node, (Word, Slot)):
        return 1
    if isinstance(node, ListRef):
        return count(lists[node.name], lists)
    if isinstance(node, Alt):
        return sum(count(o, lists) for o in node.options) + (1 if node.optional else 0)
    total = 1
    for item in node.items:
        total *= count(item, lists)
    return total


def anchors(node: Node, lists: Lists) -> set[int]:
    """Ids of the words right before and after a free ``{text}`` slot.

    These words mark where the free text starts and ends, so they stay required
    even when they are short words that a recogniser may drop elsewhere
    ("the promise ring was expensive" must not read as "promise {text}").
    """
    out: set[int] = set()
    for n in walk(node):
        if not isinstance(n, Seq):
            continue
        for j, item in enumerate(n.items):
            if isinstance(item, Slot) and item.name in FREE_SLOTS:
                out.update(id(w) for w in _edge(Seq(n.items[:j]), lists, last=True))
                out.update(id(w) for w in _edge(Seq(n.items[j + 1 :]), lists, last=False))
    return out


def _edge(node: Node, lists: Lists, last: bool) -> list[Word]:
    """The words that can come first (or last) in ``node``."""
    if isinstance(node, Word):
        return [node]
    if isinstance(node, ListRef):
        return _edge(lists[node.name], lists, last)
    if isinstance(node, Alt):
        return [w for o in node.options for w in _edge(o, lists, last)]
    if isinstance(node, Seq) and node.items:
        items = list(node.items)
        edge, rest = (items[-1], items[:-1]) if last else (items[0], items[1:])
        words = _edge(edge, lists, last)
        if isinstance(edge, Alt) and edge.optional:  # it may be absent: look one further
            words += _edge(Seq(tuple(rest)), lists, last)
        return words
    return []


# --- regex -----------------------------------------------------------------


def to_regex(node: Node, lists: Lists, slot_regex: Callable[[str, int], str], word: Callable[[Word], str]) -> str:
    """A regex over canonical text where every word is followed by one space.

    ``word(w)`` gives the regex fragment for a template ``Word`` (canonical form,
    trailing space included; optional politeness words make themselves
    optional); ``slot_regex(name, n)`` the group for a slot (``n`` numbers the
    slots so that group names stay unique).
    """
    counter = itertools.count()
    return _rx(node, lists, slot_regex, word, counter)


def _rx(
    node: Node, lists: Lists, slot_regex: Callable[[str, int], str], word: Callable[[Word], str], counter: Iterator[int]
) -> str:
    if isinstance(node, Word):
        return word(node)
    if isinstance(node, ListRef):
        return _rx(lists[node.name], lists, slot_regex, word, counter)
    if isinstance(node, Slot):
        return slot_regex(node.name, next(counter))
    if isinstance(node, Alt):
        inner = "|".join(_rx(o, lists, slot_regex, word, counter) for o in node.options)
        return f"(?:{inner})" + ("?" if node.optional else "")
    return "".join(_rx(i, lists, slot_regex, word, counter) for i in node.items)
