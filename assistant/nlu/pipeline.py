"""Understanding as an ordered pipeline of stages, each only when the ones before found nothing.

1. **strict** (stages/strict.py) -- the canonical utterance fits a template exactly;
2. **corrected** (stages/corrected.py) -- after unknown words are snapped to known ones;
3. **fuzzy** (stages/fuzzy.py) -- the whole utterance is close to a slot-free sentence of the context;
4. **aside** (stages/aside.py) -- a slot-free command with a side remark;
5. **generalise** (stages/generalise.py) -- the classifier's confident guess.

The pipeline owns what holds across stages: the veto (a ``not_for_me`` sentence that explains the
utterance with fewer free words overrules a match, fitting.Fitter.veto), mapping each kind of match
into its score band (bands.py), a partner's name heard as a word that sounds like it ("psalm did" -> Sam),
and the choice among a recogniser's n-best hypotheses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any, TypeVar

from .bands import ASIDE_SCORE, GEN_SCORE, NONE_SCORE, SCORE_STRICT, SURE_SCORE
from .correct import CORRECT_CUTOFF
from .grammar import Grammar, Stage
from .loader import IntentSet
from .match import ASIDE, CORRECTED, FUZZY, GENERAL, NONE, STRICT, Match, Reading
from .normalise import Token
from .slots import PartnerLookup
from .stages.aside import AsideStage
from .stages.corrected import CorrectedStage
from .stages.fuzzy import FUZZY_CUTOFF, FuzzyStage
from .stages.generalise import GEN_MIN_PROB, GeneraliseStage
from .stages.strict import StrictStage


def fuzzy_score(raw: float) -> float:
    """An accepted rapidfuzz similarity (cut-off..100) as a confidence: below strict, rising with the similarity."""
    return 0.75 + 0.2 * (raw - FUZZY_CUTOFF) / (100.0 - FUZZY_CUTOFF)


def corrected_score(similarity: float) -> float:
    return 0.8 + 0.15 * (similarity - CORRECT_CUTOFF) / (100.0 - CORRECT_CUTOFF)


def general_score(probability: float) -> float:
    """The classifier's answers score below strict and corrected matches (see calibration)."""
    low, high = GEN_SCORE
    return low + (high - low) * (probability - GEN_MIN_PROB) / (1.0 - GEN_MIN_PROB)


def banded(match: Match) -> float:
    """A stage's match scored in its kind's band."""
    if match.stage == STRICT:
        return SCORE_STRICT
    if match.stage == ASIDE:
        return ASIDE_SCORE
    if match.stage == CORRECTED:
        return round(corrected_score(match.evidence), 3)
    if match.stage == FUZZY:
        return round(fuzzy_score(match.evidence), 3)
    if match.stage == GENERAL:
        return round(general_score(match.evidence), 3)
    raise ValueError(f"no score band for stage {match.stage!r}")


class Pipeline:
    def __init__(self, intents: IntentSet, partners: tuple[str, ...] = ()) -> None:
        self.grammar = Grammar.build(intents, partners)
        self.stages: tuple[Stage, ...] = (
            StrictStage(self.grammar),
            CorrectedStage(self.grammar),
            FuzzyStage(self.grammar),
            AsideStage(self.grammar),
            GeneraliseStage(self.grammar),
        )
        self._sound_partner = PartnerLookup(partners, by_sound=True) if partners else None

    def understand(self, text: str, context: str, *, in_exercise: bool = False, can_resume: bool = False) -> Match:
        """What ``text`` means in ``context``: the first stage's answer, scored, unless vetoed."""
        grammar = self.grammar
        # an unknown context is an error, even for silence
        key, layer = grammar.layers.get(context, in_exercise, can_resume)
        tokens = grammar.tokens(text)
        if not tokens:
            return Match(None, {}, 1.0)
        found = self.run(grammar.read(tokens, key, layer))
        if (found.intent is None or found.score <= GEN_SCORE[1]) and self._sound_partner is not None:
            # nothing meant as heard, or only the classifier's guess: a word that sounds like a partner's
            # name may be the name ("psalm did"); that reading must be one a template explains
            again = grammar.norm.tokens(text, self._sound_partner)
            if _names(again) > _names(tokens):
                named = self.run(grammar.read(again, key, layer))
                if named.intent is not None and (found.intent is None or named.score > GEN_SCORE[1]):
                    # a guess from the sound: at most a corrected match's score
                    return replace(named, score=min(named.score, round(corrected_score(CORRECT_CUTOFF), 3)))
        return found

    def run(self, reading: Reading) -> Match:
        """The stages in order; the first answer counts (or nothing, when a ``not_for_me`` sentence vetoes it)."""
        for stage in self.stages:
            found = stage.match(reading)
            if found is None:
                continue
            if found.free_chars and self.grammar.fitter.veto(reading.context, found.words, found.free_chars):
                return Match(None, {}, NONE_SCORE, stage=found.stage)
            return Match(
                found.intent, found.slots, banded(found), found.stage, found.free_chars, found.words, found.evidence
            )
        return Match(None, {}, NONE_SCORE, stage=NONE)


def _names(tokens: list[Token]) -> int:
    return sum(t.canon.startswith("@p") for t in tokens)


P = TypeVar("P")


def best_hypothesis(text: str, parsed: P, alternatives: Iterable[str], parse: Callable[[str], P]) -> tuple[str, P]:
    """A better n-best hypothesis than ``text``, when it was rejected or only guessed at.

    Noise often turns into a stray word at the start or end of the best hypothesis; a slightly worse
    hypothesis without it is usually right. A hypothesis a template explains (score >= ``SURE_SCORE``)
    is preferred to a guess; failing that, when the best was rejected, the first one accepted at all.
    ``parse`` reads one hypothesis (anything with ``intent`` and ``score``).
    """
    fallback: tuple[str, P] | None = None
    for alt in alternatives:
        candidate = parse(alt)
        if _intent(candidate) is None:
            continue
        if _score(candidate) >= SURE_SCORE:
            return alt, candidate
        fallback = fallback or (alt, candidate)
    if _intent(parsed) is None and fallback is not None:
        return fallback
    return text, parsed


def _intent(parsed: Any) -> str | None:
    return getattr(parsed, "intent", None)


def _score(parsed: Any) -> float:
    return float(getattr(parsed, "score", 0.0) or 0.0)
