"""What an intent's free words usually sound like, for speech recognition (the ``hear_text`` key).

A reminder's schedule is a short, closed phrase ("every evening at eight"). A
general dictation model has no reason to prefer it over any other run of
words and garbles it ("granted today believe in a date"), so the ears first
hear such free words with the slot grammar the intent names, and keep that
reading only when its words really are a sentence of the grammar. Matching
itself never uses these hints: they change what is heard, not what it means.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import templates as tpl
from .loader import IntentSet

# Sentences sampled from the grammar for the recogniser: enough to cover every word in every
# position (the recogniser builds an n-gram model over them, which generalises to the rest).
HINT_PHRASE_CAP = 600


@dataclass(frozen=True)
class TextHint:
    """Sentences the free words are likely to be, and a test that words are one of the grammar's."""

    phrases: tuple[str, ...]
    pattern: re.Pattern[str]

    def fits(self, words: str) -> bool:
        """Whether ``words`` (as a recogniser writes them) are a whole sentence of the grammar."""
        text = " ".join(words.lower().split())
        return bool(text) and self.pattern.fullmatch(text + " ") is not None


def text_hints(intents: IntentSet, cap: int = HINT_PHRASE_CAP) -> dict[str, TextHint]:
    """intent name -> its ``TextHint``, for every intent that names a ``hear_text`` grammar."""
    out: dict[str, TextHint] = {}
    built: dict[str, TextHint] = {}
    for name, intent in intents.intents.items():
        grammar = intent.hear_text
        if grammar is None:
            continue
        if grammar not in built:
            seq = intents.slot_grammars[grammar]
            phrases = tuple(tpl.sample(seq, intents.lists, lambda _slot: None, cap))
            rx = tpl.to_regex(seq, intents.lists, lambda _slot, _n: r"(?:\S+ )+",
                              lambda w: re.escape(w.text) + " ")
            built[grammar] = TextHint(phrases, re.compile(rx))
        out[name] = built[grammar]
    return out
