"""Snapping words a vocabulary never uses to ones it does: by spelling, by form, by sound, or glued back together.

"exorcise" -> "exercise" (spelling), "starting" -> "start" (another form), "pores" -> "pause" (the
same sound, sounds.py), "listen ing" -> "listening" (a word the recogniser split). Used by the
corrected stage (a layer's words) and the generalising stage (the classifier's words).
The same slips recur every evening: each answer is cached, within a bound.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

from rapidfuzz import fuzz, process

from .normalise import Token
from .sounds import sound_key

CORRECT_CUTOFF = 80.0  # word similarity needed to snap an unknown word to a known one
CORRECT_MIN_LEN = 4  # shorter words are too easy to confuse ("it" / "is")
# A word the context does not know and no known word is spelled like may still sound like one
# (sounds.sound_key: "pores" and "paws" sound like "pause", "necks" like "next", "guessed" like "guest"):
# then it is that word if they also share this many letters (pores / pause 40). A sound one consonant
# away, tried too, snapped far more wrong words than right ones on the corpora ("money" / "one", "test"
# / "trust"), and so did a key without vowel sounds ("class" / "close", "council" / "cancel").
SOUND_RATIO = 40.0
SOUND_MIN_KEY = 3  # shorter keys are shared by too many words ("fair" and "for")
# the similarity a sound correction or another form of a known word ("starting" -> "start") counts as:
# just below CORRECT_CUTOFF, so that a guessed correction is told apart (and scores lowest)
SOUND_SCORE = 79.0
INFLECTED_SCORE = 79.0
CORRECTION_CACHE = 20000  # bounded: a long-running session must not grow without limit
JOIN_MIN_LEN = 6  # a word glued from two or three pieces is at least this long ("moment" from "mo meant")

Vocab = list[str] | dict[str, list[str]]  # all known words, or the same by first letter
Hit = tuple[str, float, int]  # (known word, similarity, index): rapidfuzz's extractOne shape


class Corrector:
    def __init__(self) -> None:
        self._corrections: dict[tuple[object, ...], Hit | None] = {}
        self._sound_index: dict[Hashable, _SoundIndex] = {}
        self._sound_keys: dict[str, str] = {}  # known word -> sound key
        self._heard_keys: dict[str, str] = {}  # heard word -> sound key (bounded, emptied with the corrections)

    def forget(self) -> None:
        """Empty the caches of what was heard (the benchmark times cold parses)."""
        self._corrections.clear()
        self._heard_keys.clear()

    def prepare(self, vocab_set: frozenset[str], cache: Hashable) -> None:
        """Index a vocabulary by sound before the first utterance needs it."""
        self.sounds_like(vocab_set, cache, "")

    def correct(
        self,
        vocab_set: frozenset[str],
        vocab: Vocab,
        cache: Hashable,
        tokens: list[Token],
        skip: frozenset[str] = frozenset(),
        cutoff: float = CORRECT_CUTOFF,
        join_cutoff: float | None = None,
        join_max_words: int = 0,
    ) -> tuple[list[Token] | None, float]:
        """Snap unknown words to ``vocab``: (the corrected words, or None when none changed; the weakest similarity).

        Two unknown neighbours that spell a known word are first joined: the recogniser split it ("listen ing",
        "exer cise"). With ``join_cutoff``, in utterances of at most ``join_max_words``, two or three
        pieces may also be glued into a word they only resemble ("meaning full").
        """
        out: list[Token] = []
        changed = False
        worst = 100.0
        joined: list[Token] = []
        i = 0
        while i < len(tokens):
            tok = tokens[i]
            if join_cutoff is not None and len(tokens) <= join_max_words:
                hit_join = self._join(vocab_set, vocab, cache, tokens, i, skip, join_cutoff)
                if hit_join is not None:
                    joined.append(hit_join[0])
                    changed = True
                    i += hit_join[1]
                    continue
            if i + 1 < len(tokens):
                nxt = tokens[i + 1]
                unknown = tok.canon not in vocab_set or nxt.canon not in vocab_set
                if unknown and tok.canon + nxt.canon in vocab_set:
                    joined.append(Token(tok.canon + nxt.canon, tok.heard + nxt.heard))
                    changed = True
                    i += 2
                    continue
            joined.append(tok)
            i += 1
        for tok in joined:
            if (
                tok.canon in vocab_set
                or tok.canon in skip
                or tok.canon.startswith("@")
                or len(tok.canon) < CORRECT_MIN_LEN
            ):
                out.append(tok)
                continue
            key = (cache, tok.canon)
            if key in self._corrections:
                hit = self._corrections[key]
            else:
                choices = _by_sound(vocab, tok.canon)
                hit = process.extractOne(tok.canon, choices, scorer=fuzz.ratio, score_cutoff=cutoff)
                if hit is None:
                    # another form of a known word ("starting", "paused"), or a word that sounds like one ("pores")
                    hit = _inflected(tok.canon, vocab_set) or self.sounds_like(vocab_set, cache, tok.canon)
                if len(self._corrections) < CORRECTION_CACHE:
                    self._corrections[key] = hit
            if hit is None:
                out.append(tok)
                continue
            out.append(Token(hit[0], tok.heard))
            worst = min(worst, hit[1])
            changed = True
        return (out if changed else None), worst

    def _join(
        self,
        vocab_set: frozenset[str],
        vocab: Vocab,
        cache: Hashable,
        tokens: list[Token],
        i: int,
        skip: frozenset[str],
        cutoff: float,
    ) -> tuple[Token, int] | None:
        """A word the recogniser split in two or three ("meaning full", "come it ments") -> (the word, parts used)."""
        for n in (3, 2):
            parts = tokens[i : i + n]
            if len(parts) < n or any(not t.canon.isalpha() for t in parts):
                continue
            if all(t.canon in vocab_set or t.canon in skip for t in parts):
                continue  # known words stay apart ("for get" may be "for get")
            glued = "".join(t.canon for t in parts)
            if len(glued) < JOIN_MIN_LEN:
                continue
            key = (cache, "+", glued)
            if key in self._corrections:
                hit = self._corrections[key]
            else:
                choices = _by_sound(vocab, glued)
                hit = (
                    (glued, 100.0, 0)
                    if glued in vocab_set
                    else process.extractOne(glued, choices, scorer=fuzz.ratio, score_cutoff=cutoff)
                )
                if hit is None and (n == 2 or all(len(t.canon) <= 4 for t in parts)):
                    hit = self.sounds_like(
                        vocab_set, cache, glued
                    )  # "re zoom" -> "resume", "ex sir size" -> "exercise"
                if hit is not None and any(hit[0] == t.canon for t in parts):
                    # a known word swallowing a scrap ("gratitude mo" is not "gratitude": "mo meant" is "moment")
                    hit = None
                if len(self._corrections) < CORRECTION_CACHE:
                    self._corrections[key] = hit
            if hit is not None and len(hit[0]) >= JOIN_MIN_LEN:
                return Token(hit[0], tuple(w for t in parts for w in t.heard)), n
        return None

    def sounds_like(self, vocab_set: frozenset[str], cache: Hashable, word: str) -> Hit | None:
        """The known word that ``word`` sounds like (``sounds.sound_key``, and some letters in common):
        "pores" -> "pause"."""
        index = self._sound_index.get(cache)
        if index is None:
            index = self._sound_index[cache] = _SoundIndex(vocab_set, self._sound_keys)
        return index.find(word, self._heard_keys)


def _inflected(word: str, vocab_set: frozenset[str]) -> Hit | None:
    """A known word that ``word`` is another form of: "starting" -> "start", "paused" -> "pause",
    "evenings" -> "evening"."""
    stems: list[str] = []
    if word.endswith("ing") and len(word) > 5:
        base = word[:-3]
        stems += [base, base + "e"] + ([base[:-1]] if base[-1] == base[-2] else [])
    if word.endswith(("ied", "ies")) and len(word) > 4:
        stems.append(word[:-3] + "y")
    if word.endswith("ed") and len(word) > 4:
        base = word[:-2]
        stems += [base, word[:-1]] + ([base[:-1]] if base[-1] == base[-2] else [])
    if word.endswith("es") and len(word) > 4:
        stems.append(word[:-2])
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        stems.append(word[:-1])
    if word.endswith("ly") and len(word) > 5:
        stems.append(word[:-2])
    for stem in stems:
        if len(stem) >= 3 and stem in vocab_set:
            return stem, INFLECTED_SCORE, 0
    return None


class _SoundIndex:
    """The known words of one vocabulary by sound key (sounds.sound_key)."""

    def __init__(self, vocab_set: frozenset[str], keys: dict[str, str]) -> None:
        self.by_key: dict[str, list[str]] = {}
        for w in sorted(vocab_set):
            if len(w) >= 3 and w.isalpha():
                key = keys.get(w)
                if key is None:
                    key = keys[w] = sound_key(w)
                self.by_key.setdefault(key, []).append(w)

    def find(self, word: str, memo: dict[str, str]) -> Hit | None:
        if not word or not word.isalpha():
            return None
        key = memo.get(word)
        if key is None:
            key = sound_key(word)
            if len(memo) < CORRECTION_CACHE:
                memo[word] = key
        if len(key) < SOUND_MIN_KEY:
            return None  # "fair" and "for" are both "fa"
        best = _closest(word, self.by_key.get(key, ()), SOUND_RATIO)
        return None if best is None else (best, SOUND_SCORE, 0)


def _closest(word: str, candidates: Sequence[str], floor: float) -> str | None:
    best: tuple[float, str] | None = None
    for c in candidates:
        if c == word:
            continue
        r = fuzz.ratio(word, c)
        if r >= floor and (best is None or r > best[0]):
            best = (r, c)
    return None if best is None else best[1]


def _by_sound(vocab: Vocab, word: str) -> list[str]:
    """The known words a misheard ``word`` may stand for: all, or those starting with its first or second
    letter (a recogniser keeps the first sound, or runs a neighbour's into it: "trust stalk")."""
    if isinstance(vocab, list):
        return vocab
    return vocab.get(word[0], []) + (vocab.get(word[1], []) if len(word) > 1 and word[1] != word[0] else [])
