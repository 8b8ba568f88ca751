"""The couple's words that features read, in one place (time words are in ``time_words``).

* a promise's own words: its negation, its verb phrase, and how to say it back (``read``, ``stored``,
  ``promised``), and the words that only point at a promise ("the plumber promise");
* the words that let a turn go ("pass", "skip me");
* references to a logged entry ("the promise about the plumber", "yesterday's gratitude");
* a partner named outside a slot ("*Sam* kept the promise about the plants");
* which reminder a request is about, whether it turns it off, and its schedule words.

Features receive what the matcher understood (the intent's slots and the words heard) and ask this
module what those words mean; none keeps a word list of its own. Plain functions over strings.

Promises
--------
What was promised, in its own words: its negation, its verb phrase, and how to say it back.

The matcher's ``{text}`` is what followed the promise's trigger words, as heard: "call the plumber",
"not to be late", "never to raise his voice", "not work on weekends", "i won't forget our anniversary",
"he will not shout". A promise is stored as a bare verb phrase with its negation in front ("not be late",
"never raise his voice", "no longer argue about money") and read back as what follows "promises":
"to call the plumber", "not to be late", "never to raise his voice", "to no longer argue about money".
A promise that is a clause rather than a verb phrase ("the kitchen will be clean") is kept as said and
read back as "that the kitchen will be clean". Nothing is ever dropped: words this module does not
recognise stay in the verb phrase.

The casing of a promise's words is kept as given.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from ..nlu.normalise import words as split_words
from ..nlu.slots import PartnerLookup
from .time_words import WEEKDAYS, last_weekday

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
        neg = next(((m, said) for rx, said in _NEGATIONS
                    if (m := rx.match(low)) is not None and m.end() < len(low)), None)
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


# Words in "Sam kept the plumber promise" that only point at a promise, not at which one.
PROMISE_POINTERS = frozenset({"promise", "promised", "promises", "kept", "missed"})


def promise_reference(words: str) -> str:
    """The words that say which promise is meant ("the plumber promise" -> "the plumber"), lower case."""
    return " ".join(w for w in words.lower().split() if w not in PROMISE_POINTERS)


# --- letting a turn go -----------------------------------------------------------------------

# what a partner may say instead of a control phrase to let a turn go
PASS_WORDS = frozenset({"pass", "i pass", "pass please", "i'll pass", "skip", "skip me", "next"})


def is_pass(text: str) -> bool:
    """Whether words heard in a turn only let the turn go ("Pass.", "skip me")."""
    return " ".join(text.lower().replace(",", " ").replace(".", " ").split()) in PASS_WORDS


# --- references to a logged entry ------------------------------------------------------------

ENTRY_TABLES = ("promises", "gratitude", "goals", "experiences")  # the entries the couple logs by voice
# Words that name a kind of entry in "forget the promise about the plumber".
KIND_WORDS: dict[str, str | None] = {
    "promise": "promises", "promises": "promises",
    "gratitude": "gratitude", "gratitudes": "gratitude", "thanks": "gratitude", "appreciation": "gratitude",
    "appreciations": "gratitude", "journal": "gratitude", "entry": None,
    "goal": "goals", "goals": "goals",
    "experience": "experiences", "experiences": "experiences", "activity": "experiences",
}
# Words that say nothing about which entry is meant.
STOP = frozenset({"the", "a", "an", "about", "that", "from", "for", "my", "our", "to", "of", "on", "one", "entry",
                  "last", "s", "please", "with", "we", "i", "it", "thing", "what", "said"})


@dataclass(frozen=True)
class ItemQuery:
    """ "the promise about the plumber" / "yesterday's gratitude", taken apart."""

    tables: tuple[str, ...]
    day: date | None
    words: str


def parse_item_words(words: str, now: datetime) -> ItemQuery:
    """The kinds named (all of ``ENTRY_TABLES`` when none is), the day named, and the other words."""
    text = re.sub(r"[^\w\s']", " ", words.lower()).replace("'s", " ").replace("'", "")
    tokens = text.split()
    tables: list[str] = []
    day: date | None = None
    rest: list[str] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
        if tok in KIND_WORDS:
            table = KIND_WORDS[tok]
            if table:
                tables.append(table)
        elif tok == "today" or (tok == "this" and nxt in ("morning", "evening")):
            day = now.date()
            i += 1 if tok == "this" else 0
        elif tok == "yesterday" or (tok == "last" and nxt == "night"):
            day = now.date() - timedelta(days=1)
            i += 1 if tok == "last" else 0
        elif tok in WEEKDAYS or (tok == "last" and nxt in WEEKDAYS):
            day = last_weekday(now.date(), nxt if tok == "last" else tok)
            i += 1 if tok == "last" else 0
        elif tok not in STOP:
            rest.append(tok)
        i += 1
    return ItemQuery(tuple(dict.fromkeys(tables)) or ENTRY_TABLES, day, " ".join(rest))


def item_reference(words: str, now: datetime, heard: str = "") -> ItemQuery:
    """``parse_item_words``, with the kind taken from the whole utterance ``heard`` when the words name none.

    The matcher keeps the kind word out of the slot ("delete yesterday's gratitude" -> "yesterday's"), but it
    still says which table to look in.
    """
    query = parse_item_words(words, now)
    if heard and query.tables == ENTRY_TABLES:
        hinted = tuple(dict.fromkeys(t for w in re.findall(r"[a-z]+", heard.lower()) if (t := KIND_WORDS.get(w))))
        if hinted:
            return ItemQuery(hinted, query.day, query.words)
    return query


# --- a partner named outside a slot ----------------------------------------------------------


def named_partner(heard: str, slot_text: str, partners: Sequence[str]) -> str | None:
    """The partner named outside a slot's words ("*Sam* kept the promise about the plants"), if exactly one is.

    Names are read as the matcher reads them (``PartnerLookup``: names of several words, possessives, and a
    spelling that sounds like the name, "psalm" for Sam).
    """
    rest = heard.lower().replace(slot_text.lower(), " ", 1) if slot_text else heard.lower()
    heard_words = split_words(rest)
    lookup = PartnerLookup(partners, by_sound=True)
    named = {hit[1] for i in range(len(heard_words)) if (hit := lookup.match(heard_words, i)) is not None}
    return partners[named.pop()] if len(named) == 1 else None


# --- which reminder, and what to do with it --------------------------------------------------

# the words of a reminder request that turn it off
REMINDER_OFF = re.compile(r"\b(stop|no more|turn off|switch off|cancel|disable|don ?t remind|do not remind)\b")
REQUEST_FILLER = re.compile(r"\b(remind us|remind me|about|to do)\b")  # around a reminder's schedule words
CUSTOM_FILLER = ("the", "our", "a", "an", "reminder", "reminders")  # not part of a new reminder's name

Phrases = Mapping[str, Sequence[str]]  # a reminder kind (or exercise) -> the phrases that name it


def plain(text: str) -> str:
    """Lower case, hyphens as spaces, only letters, digits and single spaces."""
    return " ".join(re.sub(r"[^a-z0-9 ]+", " ", text.lower().replace("-", " ")).split())


def reminder_kind(text: str, kind_words: Phrases) -> str | None:
    """"the trust talk" -> "trusttalk"; None when no kind's words are in ``text`` (the longest phrase wins)."""
    clean = plain(text)
    for kind in kind_words:
        if clean == kind:
            return kind
    hits = [(len(p), kind) for kind, phrases in kind_words.items() for p in phrases
            if re.search(rf"\b{re.escape(p)}\b", clean)]
    return max(hits)[1] if hits else None


def custom_reminder(text: str, exercise_words: Phrases) -> tuple[str, str | None, str]:
    """Words for a reminder that is not a default one -> (kind, exercise or None, label)."""
    clean = plain(text)
    for exercise, phrases in exercise_words.items():
        if clean == exercise or any(re.search(rf"\b{re.escape(p)}\b", clean) for p in phrases):
            return exercise, exercise, clean or exercise
    slug = "_".join(w for w in clean.split() if w not in CUSTOM_FILLER)
    return slug, None, clean


def without_kind(text: str, phrases: Sequence[str]) -> str:
    """Schedule words without a kind's own words ("trust talk on the last friday..." -> "on the last friday...")."""
    clean = " " + text.lower().replace("-", " ") + " "
    for p in sorted(phrases, key=len, reverse=True):
        clean = re.sub(rf"\b{re.escape(p)}\b", " ", clean)
    return " ".join(REQUEST_FILLER.sub(" ", clean).split())


@dataclass(frozen=True)
class ReminderRequest:
    """What "remind us about the trust talk on fridays at 8" asks for."""

    kind: str | None  # None (or ""): which reminder was not understood
    exercise: str | None  # the exercise a new, custom reminder offers
    label: str | None  # a new, custom reminder's own words ("the plants")
    stop: bool  # "stop reminding us about ...", "turn off ..."
    schedule_words: str  # what is left for the schedule parser ("" when no schedule was said)


def reminder_request(kind_text: str, schedule_text: str, heard: str, kind_words: Phrases,
                     exercise_words: Phrases) -> ReminderRequest:
    """Read a reminder request from the matcher's ``kind`` and ``text`` slots and the words ``heard``."""
    kind = reminder_kind(kind_text, kind_words) if kind_text else reminder_kind(f"{schedule_text} {heard}", kind_words)
    exercise: str | None = None
    label: str | None = None
    if kind is None and kind_text:
        kind, exercise, label = custom_reminder(kind_text, exercise_words)
    stop = REMINDER_OFF.search(plain(f"{heard} {schedule_text}")) is not None
    if label:
        spoken = schedule_text
    else:
        # the kind slot may have swallowed schedule words ("trust talk on fridays"): keep what is not the kind
        phrases = [p for group in [*kind_words.values(), *exercise_words.values()] for p in group]
        spoken = without_kind(f"{kind_text} {schedule_text or ('' if kind_text else heard)}", phrases)
    return ReminderRequest(kind, exercise, label, stop, spoken)
