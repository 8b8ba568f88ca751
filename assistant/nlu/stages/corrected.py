"""Stage 2, corrected: words the context never uses are snapped to ones it does (correct.py), then strict again.

"exorcise" -> "exercise" (spelling), "pores" -> "pause" (sound), "starting" -> "start" (another form).
The weakest snap's similarity is the match's evidence: a guessed correction scores lowest.
"""

from __future__ import annotations

from ..fitting import Fitter
from ..grammar import Grammar
from ..match import CORRECTED, Match, Reading
from ..normalise import Token


class CorrectedStage:
    name = CORRECTED

    def __init__(self, grammar: Grammar) -> None:
        self.fitter = grammar.fitter

    def match(self, reading: Reading) -> Match | None:
        corrected, similarity = reading.correction
        if corrected is None:
            return None
        return refit(self.fitter, reading, corrected, similarity)


def refit(fitter: Fitter, reading: Reading, corrected: list[Token], evidence: float) -> Match | None:
    """The template that fits the corrected words, as a corrected match whose evidence is ``evidence``."""
    found = fitter.best(reading.layer, corrected, reading.barred)
    if found is None:
        return None
    return Match(
        found.intent,
        found.slots,
        stage=CORRECTED,
        free_chars=found.free_chars,
        words=tuple(corrected),
        evidence=evidence,
    )
