"""Stage 4, aside: a short command with a side remark before or after it.

"stop it here *we're too tired*", "*the baby's asleep* not so loud": the command must fit a template
without slots, the remark open with one of ``normalise.aside`` (or "the <word>'s") and be short.
The remark's length is the match's ``free_chars``: a ``not_for_me`` sentence that explains the whole
utterance with fewer free words vetoes it (pipeline.py).
"""

from __future__ import annotations

from ..grammar import Grammar
from ..match import ASIDE, Match, Reading

ASIDE_MIN_COMMAND = 2  # words of the command ("not so loud", "stop it here")
ASIDE_MIN_WORDS = 2  # words of the remark ("we're tired")
ASIDE_MAX_REMARK = (
    4  # ... at most, as heard ("I'm in the kitchen"): a longer one is speech ("that's it I'm tired of ...")
)
ASIDE_MAX_WORDS = 14  # longer speech is a partner talking
ASIDE_DETERMINERS = frozenset({"the", "my", "our", "your", "his", "her"})  # ... and "the <word>'s" opens one too
ASIDE_NOT = frozenset({"you", "your", "yours", "yourself", "not", "no", "never"})  # "I'm done because you never listen"


class AsideStage:
    name = ASIDE

    def __init__(self, grammar: Grammar) -> None:
        self.fitter = grammar.fitter
        norm = grammar.norm
        self.asides = [norm.canon_phrase(a) for a in grammar.intents.rules.aside]
        self.asides_by_first: dict[str, list[tuple[str, ...]]] = {}
        for a in self.asides:
            self.asides_by_first.setdefault(a[0], []).append(a)

    def match(self, reading: Reading) -> Match | None:
        tokens = reading.corrected_or_stripped
        n = len(tokens)
        if not self.asides or n < ASIDE_MIN_COMMAND + ASIDE_MIN_WORDS or n > ASIDE_MAX_WORDS:
            return None
        canon = [t.canon for t in tokens]
        opens = [
            i
            for i in range(n)
            if any(tuple(canon[i : i + len(a)]) == a for a in self.asides_by_first.get(canon[i], ()))
            or (canon[i] in ASIDE_DETERMINERS and i + 1 < n and canon[i + 1].endswith("'s"))
        ]  # "the baby's asleep"
        if not opens:
            return None
        tries: list[tuple[int, int]] = []  # (command start, command end)
        for i in opens:
            if i >= ASIDE_MIN_COMMAND and n - i >= ASIDE_MIN_WORDS:
                tries.append((0, i))  # the command, then the remark
        if opens[0] == 0:
            for j in range(ASIDE_MIN_WORDS, n - ASIDE_MIN_COMMAND + 1):
                tries.append((j, n))  # the remark, then the command
        for s, e in tries:
            remark = tokens[:s] + tokens[e:]
            if sum(bool(t.heard) for t in remark) > ASIDE_MAX_REMARK or any(t.canon in ASIDE_NOT for t in remark):
                continue  # a long remark is speech; one to "you", or with a "not", is not beside the command
            if s > 0 and e - s < ASIDE_MIN_COMMAND + 1:
                continue  # after a remark, only a longer command ("the kids are being too loud" is not "too loud")
            found = self.fitter.best(reading.layer, tokens[s:e], reading.barred)
            if found is None or found.slots or found.free_chars:
                continue  # only a command without slots: a remark beside dictated words cannot be told apart
            remark_chars = sum(len(t.canon) + 1 for t in remark)
            return Match(found.intent, {}, stage=ASIDE, free_chars=remark_chars, words=tuple(tokens))
        return None
