"""Turn recognised text into canonical tokens, remembering the words as heard.

The same canonical forms are applied to the templates, so an ambiguous
homophone ("are" / "our") collapses to one token on both sides and needs no
guessing: "start are gratitude moment" and "how are we doing" both still
match. Slot values are rebuilt from the words as heard, never from the
canonical forms.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

# letters of any script (names like "Zoë"), digits, inner apostrophes and hyphens
_WORD = re.compile(r"[^\W_][\w'\-]*|'[^\W\d_]+")


class Names(Protocol):
    def match(self, heard: Sequence[str], i: int) -> tuple[int, int, str] | None:
        """(words used, partner index, display) when ``heard[i:]`` starts with a partner's name."""
        ...


@dataclass(frozen=True)
class Token:
    canon: str  # canonical word ("our", "@p0" for a partner)
    heard: tuple[str, ...]  # the words as heard (lower case; a partner as configured)


@dataclass(frozen=True)
class NormaliseRules:
    """What the YAML ``normalise:`` sections say (all lower case)."""

    drop: frozenset[str] = frozenset()  # pure fillers, dropped anywhere ("um")
    lead: tuple[tuple[str, ...], ...] = ()  # politeness dropped at the start ("can you please")
    trail: tuple[tuple[str, ...], ...] = ()  # ... and at the end ("please", "thanks")
    optional: frozenset[str] = frozenset()  # words a template may contain but never requires
    droppable: frozenset[str] = frozenset()  # ...nor requires in templates without free {text}
    canonical: Mapping[tuple[str, ...], str] = field(default_factory=dict)  # heard words -> canonical word
    # heard word -> the word it may stand for where the templates' neighbours say so ("two" -> "to")
    contextual: Mapping[str, str] = field(default_factory=dict)
    aside: tuple[tuple[str, ...], ...] = ()  # words that open a side remark beside a command ("we're", "because")


def words(text: str) -> list[str]:
    """Lower-case words; punctuation other than apostrophes is a separator."""
    text = text.lower().replace("\u2019", "'")
    return [w.strip("'-") or w for w in _WORD.findall(text)]


class Normaliser:
    def __init__(self, rules: NormaliseRules) -> None:
        self.rules = rules
        # a canonical form of several words is itself canonical word by word: "we're" is "we are" is "we our",
        # the same as a recogniser's spelled-out "we are" (whose "are" is "our")
        self._canonical = {
            k: " ".join(rules.canonical.get((p,), p) for p in v.split()) for k, v in rules.canonical.items()
        }
        self._max_phrase = max((len(k) for k in rules.canonical), default=1)
        self._phrase_starts = frozenset(k[0] for k in rules.canonical if len(k) > 1)
        # variants made of hesitation sounds ("mm hmm" is a yes): read before the sounds are dropped
        self._sounds = {k: v for k, v in self._canonical.items() if any(w in rules.drop for w in k)}
        self._max_sounds = max((len(k) for k in self._sounds), default=0)
        self._sound_starts = frozenset(k[0] for k in self._sounds)
        # politeness phrases compared in canonical form, longest first
        self.lead = sorted({self.canon_phrase(p) for p in rules.lead}, key=len, reverse=True)
        self.trail = sorted({self.canon_phrase(p) for p in rules.trail}, key=len, reverse=True)
        # indexed by their first / last word: strip() runs on every utterance
        self._lead_by_first: dict[str, list[tuple[str, ...]]] = {}
        for phrase in self.lead:
            self._lead_by_first.setdefault(phrase[0], []).append(phrase)
        self._trail_by_last: dict[str, list[tuple[str, ...]]] = {}
        for phrase in self.trail:
            self._trail_by_last.setdefault(phrase[-1], []).append(phrase)

    def canon_word(self, word: str) -> str:
        """The canonical form of one template word."""
        return self._canonical.get((word,), word)

    def canon_phrase(self, phrase: Sequence[str]) -> tuple[str, ...]:
        return tuple(part for w in phrase for part in self.canon_word(w).split())

    def tokens(self, text: str, partner_of: Names | None = None) -> list[Token]:
        """Canonical tokens of ``text`` (fillers dropped); ``partner_of`` recognises names."""
        heard = [w for w in self._read_sounds(words(text)) if w not in self.rules.drop]
        out: list[Token] = []
        i = 0
        canonical = self._canonical
        while i < len(heard):
            # longest multi-word variant first ("a gain" -> "again")
            longest = min(self._max_phrase, len(heard) - i) if heard[i] in self._phrase_starts else 1
            for n in range(longest, 0, -1):
                key = tuple(heard[i : i + n])
                if n == 1 and partner_of is not None:
                    partner = partner_of.match(heard, i)
                    if partner is not None:
                        out.append(Token(f"@p{partner[1]}", (partner[2],)))
                        i += partner[0]
                        break
                target = canonical.get(key)
                if target is None and n > 1:
                    continue
                # a canonical form may be several words ("we've" -> "we have"):
                # the first token carries what was heard, the others nothing
                parts = (target or heard[i]).split()
                out.append(Token(parts[0], key))
                out.extend(Token(p, ()) for p in parts[1:])
                i += n
                break
        return out

    def _read_sounds(self, heard: list[str]) -> list[str]:
        if not self._sound_starts.intersection(heard):
            return heard
        out: list[str] = []
        i = 0
        while i < len(heard):
            for n in range(min(self._max_sounds, len(heard) - i), 0, -1):
                target = self._sounds.get(tuple(heard[i : i + n]))
                if target is not None:
                    out.extend(target.split())
                    i += n
                    break
            else:
                out.append(heard[i])
                i += 1
        return out

    def strip(self, tokens: list[Token]) -> list[Token]:
        """Drop politeness phrases from both ends, repeatedly ("okay so can you please ...").

        Never strips everything: a lone "okay" or "please" may be the answer.
        """
        start, end = 0, len(tokens)
        changed = True
        while changed:
            changed = False
            for phrase in self._lead_by_first.get(tokens[start].canon, ()) if start < end else ():
                n = len(phrase)
                if n < end - start and all(tokens[start + k].canon == phrase[k] for k in range(n)):
                    start += n
                    changed = True
                    break
            for phrase in self._trail_by_last.get(tokens[end - 1].canon, ()) if start < end else ():
                n = len(phrase)
                if n < end - start and all(tokens[end - n + k].canon == phrase[k] for k in range(n)):
                    end -= n
                    changed = True
                    break
        return tokens[start:end] if (start, end) != (0, len(tokens)) else tokens

    def windows(self, tokens: Sequence[Token]) -> list[tuple[int, int]]:
        """Where in the utterance's line (its canonical words, each followed by a space) a template may start
        and end: after any lead-ins ("okay so can you please"), before any trailing politeness ("please",
        "thanks"); most of them taken off first. Unlike ``strip`` it keeps every choice: the utterance keeps
        its politeness, so "okay your turn" still fits a template that says "okay"."""
        n = len(tokens)
        offsets = [0]
        for t in tokens:
            offsets.append(offsets[-1] + len(t.canon) + 1)
        starts, frontier = {0}, [0]
        while frontier:
            i = frontier.pop()
            for phrase in self._lead_by_first.get(tokens[i].canon, ()) if i < n else ():
                k = len(phrase)
                if i + k <= n and i + k not in starts and all(tokens[i + j].canon == phrase[j] for j in range(k)):
                    starts.add(i + k)
                    frontier.append(i + k)
        ends, frontier = {n}, [n]
        while frontier:
            e = frontier.pop()
            for phrase in self._trail_by_last.get(tokens[e - 1].canon, ()) if e > 0 else ():
                k = len(phrase)
                if e - k >= 0 and e - k not in ends and all(tokens[e - k + j].canon == phrase[j] for j in range(k)):
                    ends.add(e - k)
                    frontier.append(e - k)
        if len(starts) == 1 and len(ends) == 1:
            return [(0, offsets[n])]
        return [(offsets[s], offsets[e]) for s in sorted(starts, reverse=True) for e in sorted(ends) if s < e]
