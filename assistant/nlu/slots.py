"""Slot values from a template match: partners from the profile, the rest as heard."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

from .normalise import Token, words
from .sounds import sound_key
from .templates import FREE_SLOTS, PARTNER

# How close a heard word must be to a partner's name to count as that name.
# Short names need an exact hit: "sam" vs "same" would otherwise collide.
NAME_FUZZY_MIN_LEN = 5
NAME_FUZZY_CUTOFF = 80.0
_POSSESSIVE = ("'s", "s'", "'")
NAME_SOUND_MIN_LEN = 3  # a name's sound key must be this long to be matched by sound
NAME_KEY_CACHE = 20000
NAME_SPLIT_PART = 3  # a name heard as two words: each at most this long ("a lex")


def partner_table(partners: Sequence[str]) -> dict[tuple[str, ...], tuple[int, str]]:
    """Heard words -> (partner index, display). Case-insensitive; "sam's" -> Sam's.

    A name of several words ("José María") is also known by its first word.
    """
    table: dict[tuple[str, ...], tuple[int, str]] = {}
    spelled = [tuple(words(name)) for name in partners]
    for i, (name, parts) in enumerate(zip(partners, spelled)):
        if not parts:
            continue
        forms = [(parts, name)]
        others_first = {p[0] for j, p in enumerate(spelled) if j != i and p}
        if len(parts) > 1 and parts[0] not in others_first:
            forms.append((parts[:1], name))
        for form, display in forms:
            table.setdefault(form, (i, display))
            for suffix in _POSSESSIVE:
                table.setdefault((*form[:-1], form[-1] + suffix), (i, display + "'s"))
    return table


class PartnerLookup:
    """``match(heard, i)`` -> (words used, partner index, display) for a name at ``heard[i]``."""

    def __init__(self, partners: Sequence[str], by_sound: bool = False) -> None:
        self.partners = tuple(partners)
        self.exact = partner_table(partners)
        self.longest = max((len(k) for k in self.exact), default=1)
        # with ``by_sound``, also a spelling that sounds like a name ("psalm" for Sam, "alecks", "a lex"): the
        # matcher reads an utterance this way only when it meant nothing as heard
        self.sounds: dict[str, int] = {}
        self._keys: dict[str, str] = {}  # word -> sound_key, bounded
        if by_sound:
            for i, name in enumerate(self.partners):
                key = sound_key("".join(words(name)))
                if len(key) >= NAME_SOUND_MIN_LEN:
                    self.sounds.setdefault(key, i)

    def match(self, heard: Sequence[str], i: int) -> tuple[int, int, str] | None:
        for n in range(min(self.longest, len(heard) - i), 0, -1):
            hit = self.exact.get(tuple(heard[i : i + n]))
            if hit is not None:
                return n, hit[0], hit[1]
        word = heard[i]
        if len(word) >= NAME_FUZZY_MIN_LEN - 1:
            fuzzy = fuzzy_partner(word, self.partners)
            if fuzzy is not None:
                return 1, fuzzy[0], fuzzy[1]
        if self.sounds:
            return self._by_sound(heard, i)
        return None

    def _by_sound(self, heard: Sequence[str], i: int) -> tuple[int, int, str] | None:
        """A name spelled as it sounds: one word ("psalm"), or two short ones the recogniser split ("a lex")."""
        for n in (1, 2):
            parts = heard[i : i + n]
            if len(parts) < n or (n == 2 and any(len(p) > NAME_SPLIT_PART for p in parts)):
                continue
            glued = "".join(parts)
            possessive = glued.endswith("'s")
            base = glued[:-2] if possessive else glued
            key = self._keys.get(base)
            if key is None:
                key = sound_key(base)
                if len(self._keys) < NAME_KEY_CACHE:
                    self._keys[base] = key
            index = self.sounds.get(key)
            if index is not None:
                return n, index, self.partners[index] + ("'s" if possessive else "")
        return None


def fuzzy_partner(word: str, partners: Sequence[str]) -> tuple[int, str] | None:
    """A misrecognised name ("alexs", "sammantha") -> the partner, if close enough."""
    base = word
    for suffix in _POSSESSIVE:
        if base.endswith(suffix):
            base = base[: -len(suffix)]
            break
    best: tuple[float, int] | None = None
    for i, name in enumerate(partners):
        low = name.lower()
        if len(low) < NAME_FUZZY_MIN_LEN or len(base) < NAME_FUZZY_MIN_LEN - 1:
            continue
        score = fuzz.ratio(base, low)
        if score >= NAME_FUZZY_CUTOFF and (best is None or score > best[0]):
            best = (score, i)
    if best is None:
        return None
    return best[1], partners[best[1]]


def heard_text(tokens: Sequence[Token]) -> str:
    """The words as heard: lower case, except partner names as configured.

    A span that starts inside a spelled-out contraction ("i *won't* be late" read as "i will | not be late")
    starts with the canonical words the heard word stood for: the "not" belongs to the span, and its
    heard form is on a token outside it.
    """
    lead = 0
    while lead < len(tokens) and not tokens[lead].heard:
        lead += 1
    return " ".join([*(t.canon for t in tokens[:lead]), *(w for t in tokens[lead:] for w in t.heard)])


@dataclass(frozen=True)
class SlotValues:
    slots: dict[str, str]
    free_chars: int  # how much of the utterance the free {text} slots took

    @staticmethod
    def from_match(m: re.Match[str], tokens: Sequence[Token], partners: Sequence[str],
                   keeps_negation: bool = False) -> SlotValues | None:
        """Slot values of a template regex match over ``tokens``; None if one is unusable.

        ``keeps_negation``: the intent's ``{text}`` may start with "not" (a promise not to be late).
        """
        starts = _token_starts(tokens)
        slots: dict[str, str] = {}
        free = 0
        for group, value in m.groupdict().items():
            if value is None:
                continue
            name = group.split("__")[0]
            first = starts.index(m.start(group))
            last = first + len(value.split())
            span = tokens[first:last]
            if name == PARTNER:
                canon = span[0].canon if span else ""
                if not canon.startswith("@p") or not partners:
                    continue  # no profile: the words still match, the slot stays absent
                slots[PARTNER] = partners[int(canon[2:])]
                continue
            text = heard_text(span)
            if name in FREE_SLOTS:
                free += len(text)
                if not text.strip() or (span[0].canon == "not" and not keeps_negation):
                    return None  # "we didn't try the new place": a negation is not what was done or promised
            slots[name] = text
        return SlotValues(slots, free)


def _token_starts(tokens: Sequence[Token]) -> list[int]:
    starts, pos = [], 0
    for t in tokens:
        starts.append(pos)
        pos += len(t.canon) + 1
    return starts
