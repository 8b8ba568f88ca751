"""Stage 3, fuzzy: the whole utterance against a sample of the context's slot-free sentences.

rapidfuzz ``ratio``, once more on sorted words for word-order changes, accepted only above a
calibrated cut-off and only if every longer word resembles a word of the matched sentence (and no
negation or direction is added, lost or swapped). Comparing *whole* utterances (never
``partial_ratio``) is what keeps a partner's "I'm done being scared of talking about money" from
becoming ``turn.done``: the extra words lower the similarity below the cut-off.
"""

from __future__ import annotations

import bisect

from rapidfuzz import fuzz, process

from .. import templates as tpl
from ..correct import CORRECT_CUTOFF
from ..fitting import Fitter
from ..grammar import Grammar
from ..layers import Layer
from ..match import FUZZY, Match, Reading
from ..normalise import Token

# Tuned on the tuning part of the corpora (benchmarks/nlu_bench.py): from 76 to
# 84 the tuning and noisy-tuning accuracy is flat (the word check below does
# the rejecting); 84 is the strictest value before noisy accuracy drops.
FUZZY_CUTOFF = 84.0  # whole-utterance similarity (0..100) needed to accept a fuzzy match
WORD_AGREE_MIN_LEN = 4
WORD_AGREE = 60.0  # in a fuzzy match each word must be at least this close to one on the other side
# words that turn a request round: a fuzzy match must not add or lose a negation ("does it matter" is
# not "it does not matter") nor swap a direction ("switch on privacy" is not "switch privacy off"; a
# misheard one, "turn the volume app", may still be close to "up")
NEGATIONS = frozenset({"not", "no", "never"})
DIRECTIONS = frozenset({"on", "off", "up", "down"})
SORTED_PENALTY = 2.0  # a match only after sorting words counts a little less

Hit = tuple[float, str, dict[str, str]]  # (similarity, intent, fixed slots)


class FuzzyStage:
    name = FUZZY

    def __init__(self, grammar: Grammar) -> None:
        self.fitter: Fitter = grammar.fitter
        self.partners = grammar.partners
        self.fuzzy_text = grammar.compiler.fuzzy_text

    def match(self, reading: Reading) -> Match | None:
        corrected, similarity = reading.correction
        tokens, layer, barred = reading.stripped, reading.layer, reading.barred
        best = self.nearest(layer, corrected or tokens, barred)
        if best is None and corrected is not None and similarity < CORRECT_CUTOFF:
            best = self.nearest(
                layer, tokens, barred
            )  # a guessed correction may be wrong ("shop" is not "short" but "stop")
        if best is None and len(reading.heard) == len(tokens) + 1:
            best = self.nearest(
                layer, reading.heard, barred
            )  # ... and so may a lead-in ("and the session" is "end the session")
        if best is None or best[0] < FUZZY_CUTOFF:
            return None
        return Match(best[1], dict(best[2]), stage=FUZZY, evidence=best[0])

    def nearest(self, layer: Layer, tokens: list[Token], barred: frozenset[str] = frozenset()) -> Hit | None:
        """The layer's sentence nearest the utterance; its similarity may be a little below the cut-off when
        only sorting the words found it."""
        if not layer.choices:
            return None
        query = self.fuzzy_text(tokens)
        # ratio >= c needs the lengths within a factor (200 - c) / c of each
        # other: only that window of the length-sorted choices is compared
        n = len(query)
        lo = bisect.bisect_left(layer.lengths, n * FUZZY_CUTOFF / (200.0 - FUZZY_CUTOFF))
        hi = bisect.bisect_right(layer.lengths, n * (200.0 - FUZZY_CUTOFF) / FUZZY_CUTOFF)
        if lo >= hi:
            return None
        hit = process.extractOne(query, layer.choices[lo:hi], scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
        sorted_query = " ".join(sorted(query.split()))
        floor = hit[1] if hit is not None else FUZZY_CUTOFF
        hit2 = process.extractOne(sorted_query, layer.sorted_choices[lo:hi], scorer=fuzz.ratio, score_cutoff=floor)
        if hit2 is not None and (hit is None or hit2[1] - SORTED_PENALTY > hit[1]):
            # word order is weaker evidence than the exact sequence: a small penalty
            hit = (hit2[0], hit2[1] - SORTED_PENALTY, hit2[2])
        if hit is None or not words_agree(query.split(), hit[0].split()):
            return None
        intent, fixed = layer.owners[hit[2] + lo]
        if intent in barred or self.fitter.ruled_out(intent, tokens):
            return None
        if fixed.get(tpl.PARTNER):
            index = self.partners.index(fixed[tpl.PARTNER])
            if f"@p{index}" not in {t.canon for t in tokens}:
                return None  # a fuzzy match must not invent who was named
        return hit[1], intent, fixed


def words_agree(heard: list[str], template: list[str]) -> bool:
    """Every longer word on each side sounds like some word on the other.

    A high character similarity can hide one swapped content word ("we need
    to talk about the car" vs "... about trust"): a misrecognised word still
    resembles the right one ("shop"/"stop"), a different request does not.
    """
    if NEGATIONS.intersection(heard) != NEGATIONS.intersection(template):
        return False
    if DIRECTIONS.intersection(heard) - set(template) and DIRECTIONS.intersection(template) - set(heard):
        return False
    for side, other in ((heard, template), (template, heard)):
        for word in side:
            if word in other or len(word) < WORD_AGREE_MIN_LEN:
                continue  # short words are dropped and misheard too often to count
            if max((fuzz.ratio(word, o) for o in other), default=0.0) < WORD_AGREE:
                return False
    return True
