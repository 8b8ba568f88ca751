"""What was promised, in its own words: its negation, its verb phrase, and how to say it back.

The matcher's ``{text}`` is what followed the promise's trigger words, as heard: "call the plumber",
"not to be late", "never to raise his voice", "not work on weekends", "i won't forget our anniversary",
"he will not shout". A promise is stored as a bare verb phrase with its negation in front ("not be late",
"never raise his voice", "no longer argue about money") and read back as what follows "promises":
"to call the plumber", "not to be late", "never to raise his voice", "to no longer argue about money".
A promise that is a clause rather than a verb phrase ("the kitchen will be clean") is kept as said and
read back as "that the kitchen will be clean". Nothing is ever dropped: words this module does not
recognise stay in the verb phrase.

Plain functions over strings; the casing of the words is kept as given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Leading words that only say "this is in the future" (the promise is the rest).
_SUBJECT = r"(?:i|we|he|she|they|you)"
_MODAL = r"(?:will|shall|would|'ll|'d)"
_GOING = r"(?:(?:am|are|is|'m|'re|'s) )?(?:going to|gonna)"
_LEADS = (
    # the promise word itself, when the words are a whole turn ("I promise you I'll cook on Sunday")
    re.compile(rf"(?:{_SUBJECT}\s+)?(?:really\s+|solemnly\s+|do\s+)?(?:promise|swear|pledge|vow)"
               r"(?:\s+(?:to\s+)?(?:you|each other|him|her|them))?\s+(?=(?:that|to|not|never|i|i'll|we|we'll|i'm)\b)"),
    re.compile(r"(?:my|our) promise is\s+"),
    re.compile(r"that\s+"),
    re.compile(rf"{_SUBJECT}(?:'ll|'d)\s+"),
    re.compile(rf"{_SUBJECT}(?:'m|'re|'s)\s+(?=(?:not\s+)?(?:going to|gonna)\b)"),
    re.compile(rf"{_SUBJECT}\s+(?=(?:{_MODAL}|won't|wont|shan't|wouldn't|am|are|is|never)\b)"),
    re.compile(rf"{_MODAL}\s+"),
    re.compile(rf"{_GOING}\s+"),
    re.compile(r"to\s+"),
)
# Negations at the start, and how the stored phrase says them.
_NEGATIONS = (
    (re.compile(r"(?:won't|wont|shan't|wouldn't)\s+ever\s+"), "never"),
    (re.compile(r"(?:won't|wont|shan't|wouldn't)\s+"), "not"),
    (re.compile(r"(?:(?:am|are|is|'m|'re|'s)\s+)?not\s+(?:going to|gonna)\s+"), "not"),
    (re.compile(r"not\s+ever\s+|never\s+ever\s+|never\s+"), "never"),
    (re.compile(r"not\s+"), "not"),
    (re.compile(r"no\s+longer\s+|no\s+more\s+"), "no longer"),
)
# A promise that starts with one of these is a clause ("the kitchen will be clean"), not a verb phrase.
_CLAUSE_STARTS = frozenset({"the", "a", "an", "my", "our", "your", "his", "her", "their", "its", "it", "it'll", "it's",
                            "this", "these", "those", "there", "there'll", "everything", "nothing", "something",
                            "someone", "everyone", "nobody", "i", "we", "he", "she", "they", "you", "dinner"})
# Before "to" in the read-back ("not to be late", "never to raise his voice"); others follow it ("to no longer ...").
_BEFORE_TO = ("not", "never")


@dataclass(frozen=True)
class Pledge:
    """A promise's words: its negation ("not", "never", "no longer" or ""), and the rest."""

    negation: str
    action: str
    clause: bool = False

    @property
    def stored(self) -> str:
        """As kept in the record's ``text``: "not be late", "call the plumber", "the kitchen will be clean"."""
        return f"{self.negation} {self.action}".strip() if not self.clause else self.action

    @property
    def promised(self) -> str:
        """What follows "Sam promises": "not to be late", "to call the plumber", "that the kitchen will be clean"."""
        if self.clause:
            return f"that {self.action}"
        if self.negation in _BEFORE_TO:
            return f"{self.negation} to {self.action}"
        return " ".join(w for w in ("to", self.negation, self.action) if w)


def read(text: str) -> Pledge:
    """The negation and the verb phrase of a promise's words (see the module's docstring)."""
    rest = " ".join(text.split())
    negation = ""
    for _ in range(8):  # "that i will not ever ...": a few leading pieces, each consumed once at most
        low = rest.lower()
        lead = next((m for rx in _LEADS if (m := rx.match(low)) is not None and m.end() < len(low)), None)
        if lead is not None:
            rest = rest[lead.end():]
            continue
        neg = next(((m, said) for rx, said in _NEGATIONS if (m := rx.match(low)) is not None and m.end() < len(low)), None)
        if neg is not None and not negation:
            negation = neg[1]
            rest = rest[neg[0].end():]
            continue
        break
    first = rest.split(" ", 1)[0].lower()
    if first in _CLAUSE_STARTS and not negation:
        return Pledge("", _without_that(text), clause=True)
    return Pledge(negation, rest)


def _without_that(text: str) -> str:
    words = " ".join(text.split())
    return words[5:] if words.lower().startswith("that ") else words


def stored(text: str) -> str:
    """The record's ``text`` for a promise heard as ``text``."""
    return read(text).stored


def promised(text: str) -> str:
    """What follows "Sam promises" for a stored (or heard) promise ``text``."""
    return read(text).promised
