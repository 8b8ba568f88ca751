"""Capital letters for what the couple said: names, days, months, places ("save for a trip to Japan").

Speech recognisers and the matcher hear everything in lower case. Before Tandem keeps or reads back a
couple's words it restores the capitals a reader expects, from three sources, first match wins:

1. the words as they arrived, when they had a capital that is not just a sentence's first letter
   (typed text: "Tandem, add a goal: visit the Louvre" keeps "Louvre");
2. the partners' names, as configured;
3. ``scripts/capitals.yaml``: days, months, holidays, countries, cities, languages, and "I".

The first word of a sentence inside the words is raised too ("... on Friday. It says a lot"), never the first
word of all (the words may be read inside another sentence). Only a word's first letter is raised; nothing is
ever lowered. Pure functions; the word list is read once.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from ..errors import TandemError
from ..yamlfile import parse_yaml

SHIPPED = Path(__file__).resolve().parents[2] / "scripts" / "capitals.yaml"
_WORD = re.compile(r"[^\W_][\w'\-]*")
_POSSESSIVE = ("'s", "s'", "'")
_PRONOUN_I = re.compile(r"i(?:'m|'ll|'d|'ve)?")
_SENTENCE_END = re.compile(r"[.!?:;]\s*$")


class CapitalsError(TandemError):
    """``capitals.yaml`` cannot be used; one line saying where and why."""


class Capitals:
    """Lower-case word (or phrase of words) -> how it is written."""

    def __init__(self, words: Iterable[str] = (), phrases: Iterable[str] = ()) -> None:
        self.words = {w.lower(): w for w in words}
        self.phrases: dict[tuple[str, ...], tuple[str, ...]] = {}
        for phrase in phrases:
            parts = tuple(phrase.split())
            self.phrases[tuple(p.lower() for p in parts)] = parts
        self.longest = max((len(k) for k in self.phrases), default=1)

    def apply(self, text: str, said: str | None = None, names: Sequence[str] = ()) -> str:
        """``text`` with its capitals restored (see the module's docstring)."""
        known = dict(self.words)
        for name in names:
            for part in name.split():
                known[part.lower()] = part
        known.update(_typed(said))
        tokens = text.split(" ")
        out = list(tokens)
        i = 0
        while i < len(tokens):
            n = self._phrase_at(tokens, i)
            if n:
                for k, form in enumerate(self.phrases[tuple(_bare(t).lower() for t in tokens[i:i + n])]):
                    out[i + k] = _raise(tokens[i + k], form)
                i += n
                continue
            out[i] = _one(tokens[i], known)
            if i and _SENTENCE_END.search(tokens[i - 1]) and tokens[i - 1].rstrip()[-1:] in ".!?":
                out[i] = out[i][:1].upper() + out[i][1:]  # "... on Friday. It says a lot": a new sentence
            i += 1
        return " ".join(out)

    def _phrase_at(self, tokens: list[str], i: int) -> int:
        for n in range(min(self.longest, len(tokens) - i), 1, -1):
            if tuple(_bare(t).lower() for t in tokens[i:i + n]) in self.phrases:
                return n
        return 0


def _bare(token: str) -> str:
    m = _WORD.search(token)
    return m.group(0) if m else ""


def _one(token: str, known: dict[str, str]) -> str:
    word = _bare(token)
    low = word.lower()
    if not word:
        return token
    if _PRONOUN_I.fullmatch(low):
        return token.replace(word, "I" + word[1:], 1)
    form = known.get(low)
    if form is None:
        for suffix in _POSSESSIVE:
            if low.endswith(suffix) and low[: -len(suffix)] in known:
                form = known[low[: -len(suffix)]] + word[len(word) - len(suffix):]
                break
    return token.replace(word, _raise(word, form), 1) if form else token


def _raise(word: str, form: str) -> str:
    """``word`` spelled as ``form`` where they differ only in case; otherwise only its first letter raised."""
    if word.lower() == form.lower():
        return form if word.islower() or word == form.lower() else word
    return word[:1].upper() + word[1:] if word[:1].islower() and form[:1].isupper() else word


def _typed(said: str | None) -> dict[str, str]:
    """Words the couple typed with a capital, other than at the start of a sentence."""
    if not said:
        return {}
    out: dict[str, str] = {}
    start = True
    for m in re.finditer(r"[^\s]+", said):
        token = m.group(0)
        word = _bare(token)
        if word and not start and word[:1].isupper():
            out.setdefault(word.lower(), word)
        start = bool(_SENTENCE_END.search(token)) or (start and not word)
    return out


@functools.lru_cache(maxsize=4)
def load(path: Path = SHIPPED) -> Capitals:
    """The word list in ``path`` (``scripts/capitals.yaml``), checked: a mapping of ``words`` and ``phrases`` lists."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise CapitalsError(f"{path}: cannot read the capitals list ({exc.strerror}); "
                            "restore it from the repository") from None
    data = parse_yaml(text, str(path), CapitalsError)
    if not isinstance(data, dict) or set(data) - {"words", "phrases"}:
        raise CapitalsError(f"{path}: needs only 'words:' and 'phrases:' lists")
    lists = {}
    for key in ("words", "phrases"):
        items = data.get(key) or []
        if not isinstance(items, list) or not all(isinstance(w, str) and w.strip() for w in items):
            raise CapitalsError(f"{path}: '{key}:' must be a list of non-empty texts")
        if key == "words" and any(len(w.split()) != 1 for w in items):
            bad = next(w for w in items if len(w.split()) != 1)
            raise CapitalsError(f"{path}: {bad!r} is several words: put it under 'phrases:'")
        lists[key] = [" ".join(w.split()) for w in items]
    return Capitals(lists["words"], lists["phrases"])


def capitalise(text: str, said: str | None = None, names: Sequence[str] = ()) -> str:
    """``text`` with the capitals a reader expects (the shipped list, ``names``, and capitals typed in ``said``)."""
    return load().apply(text, said, names) if text else text
