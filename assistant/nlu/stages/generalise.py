"""Stage 5, generalise: a naive Bayes classifier per context (general.py, trained by training.py) for
phrasings nobody wrote down.

Its answer is kept only when it is confident and the utterance looks like the intent (no word the
context never uses outside a dictated ``{text}``); the pipeline scores it below every other stage.
Its corrections (glued words, the words of examples) may first make a template fit ("the gratitude
mo meant" is "the gratitude moment"): then that template answers, as a corrected match.
"""

from __future__ import annotations

import numpy as np

from .. import general as gen
from .. import templates as tpl
from ..compiler import Pattern
from ..correct import CORRECT_CUTOFF
from ..fitting import fit, line
from ..grammar import Grammar
from ..layers import intent_names
from ..match import GENERAL, Match, Reading
from ..normalise import Token
from ..slots import heard_text
from ..training import Trainer
from .corrected import refit

# Tuned on benchmarks/blind-2-tune.jsonl (the benchmark's tuning set) with the public corpora's
# out-of-domain lines: 0.6 is where a lower probability starts to accept near misses ("we kept the
# old sofa") and a higher one to lose plain rewordings.
GEN_MIN_PROB = 0.6  # the classifier's probability needed to accept its answer
GEN_EXAMPLE_PROB = 0.3  # ... when one of the intent's own examples says the utterance word for word
GEN_CORRECT_CUTOFF = (
    85.0  # stricter than CORRECT_CUTOFF: a snapped word must not make up a request ("crack on" is not "track on")
)
GEN_JOIN_CUTOFF = 88.0  # two or three words glued together must be this close to a known word ("meaning full")
GEN_JOIN_MAX_WORDS = 16  # ... tried in commands, not in long speech
GEN_FORGIVE_PROB = 0.95  # so sure that one new word is forgiven (a request without {text} has none otherwise)
GEN_FORGIVE_MIN_WORDS = 5  # ... in a sentence at least this long
GEN_MAX_WORDS = 30  # longer utterances are never a request (the longest in the corpora has 17 words)
GEN_VETO_SHARE = (
    0.5  # a "not for me" sentence overrules an answer without {text} when it leaves less than this share to its {text}
)

Candidate = tuple[float, str, dict[str, gen.Span]]


class GeneraliseStage:
    name = GENERAL

    def __init__(self, grammar: Grammar) -> None:
        self.grammar = grammar
        self.fitter = grammar.fitter
        self.partners = grammar.partners
        self.models = Trainer(grammar).train_all()
        for context, model in self.models.items():
            grammar.corrector.prepare(model.vocab, ("gen", context))
        self._dictating: dict[str, list[Pattern]] = {}
        self._plain_examples: dict[str, list[Pattern]] = {}

    def match(self, reading: Reading) -> Match | None:
        tokens = reading.stripped
        if len(tokens) > GEN_MAX_WORDS:
            return None  # a request is short; a monologue is a partner speaking
        context, barred = reading.context, reading.barred
        model = self.models[context]
        corrected, similarity = self.grammar.corrector.correct(
            model.vocab,
            model.by_initial,
            ("gen", context),
            tokens,
            skip=model.known_other,
            cutoff=GEN_CORRECT_CUTOFF,
            join_cutoff=GEN_JOIN_CUTOFF,
            join_max_words=GEN_JOIN_MAX_WORDS,
        )
        if corrected is not None:
            fitted = refit(self.fitter, reading, corrected, max(similarity, CORRECT_CUTOFF))
            if fitted is not None:
                return fitted
        tokens = corrected or tokens
        canon = [gen.PARTNER_TOKEN if t.canon.startswith("@p") else t.canon for t in tokens]
        active = frozenset(intent_names(self.grammar.intents, *reading.key))
        best = max(self._candidates(model, tokens, canon, active, barred), key=lambda c: c[0], default=None)
        if best is None or best[0] < GEN_MIN_PROB:
            return None
        p, name, found_spans = best
        i, j = found_spans.get("text", (0, 0))
        # a "not for me" sentence that fits the utterance overrules the classifier, which only guessed: with
        # dictated words, if it leaves fewer of them to its {text} (like a template); without, if it explains
        # most of the utterance itself ("i'm not sure {text}" for "i'm not sure we did", not "no {text}")
        free = len(heard_text(tokens[i:j])) if "text" in found_spans else len(heard_text(tokens)) * GEN_VETO_SHARE
        keep = model.kept_slots[name]  # an example may place words the intent does not keep ("pause, {text}")
        slots = {}
        for slot, (i, j) in found_spans.items():
            if slot not in keep:
                continue
            slots[slot] = self.partners[int(tokens[i].canon[2:])] if slot == tpl.PARTNER else heard_text(tokens[i:j])
        return Match(name, slots, stage=GENERAL, free_chars=int(free), words=tuple(tokens), evidence=p)

    def _candidates(
        self,
        model: gen.ContextModel,
        tokens: list[Token],
        canon: list[str],
        active: frozenset[str],
        barred: frozenset[str],
    ) -> list[Candidate]:
        """(probability, intent, slot spans) of each intent of the context whose slots can be placed."""
        present = set(canon)
        plain = model.probabilities(canon, active)
        spans = gen.Spans(tokens, self.grammar.compiler.grammar_rx)
        novel_other = present & model.known_other  # words of other requests ("flight", "homework")
        masked_memo: dict[tuple[str, ...], np.ndarray] = {}
        text = line(tokens)
        named = bool(self.partners)
        candidates: list[Candidate] = []
        for index, name in enumerate(model.classes):
            if name is None or name not in active or name in barred or self.fitter.ruled_out(name, tokens):
                continue
            shape = model.shapes[name]
            anchors = model.anchors.get(name, frozenset())
            p = float(plain[index])
            if shape.dictated and (not anchors or anchors & present):
                found = self._pattern_spans(name, tokens)
                if found is not None:
                    # one of its own sentences placed the dictation: judge the words around it
                    s, e = found["text"]
                    masked = (*canon[:s], gen.TEXT, *canon[e:])
                    if masked not in masked_memo:
                        masked_memo[masked] = model.probabilities(masked, active)
                    p = max(p, float(masked_memo[masked][index]))
                else:
                    found = gen.read(shape, canon, spans, model.vocab, model.function_words, anchors, named, True)
                if found is not None:
                    candidates.append((p, name, found))
            if "text" not in shape.required:
                q = float(plain[index])
                forgive: int | None = None  # None: not read as this intent at all
                if q >= GEN_MIN_PROB:
                    forgive = int(q >= GEN_FORGIVE_PROB and len(canon) >= GEN_FORGIVE_MIN_WORDS and not novel_other)
                elif (
                    q >= GEN_EXAMPLE_PROB
                    and int(np.argmax(plain[1:])) + 1 == index
                    and self._says_example(name, text, self.fitter.windows(tokens))
                ):
                    # one of its own examples word for word, and no other intent likelier: a lower bar
                    forgive, q = 0, GEN_MIN_PROB
                if forgive is not None:
                    found = gen.read(shape, canon, spans, model.vocab, model.function_words, anchors, named, False,
                                     forgive, model.grammar_only)
                    if found is not None:
                        candidates.append((q, name, found))
        return candidates

    def _dictating_patterns(self, name: str) -> list[Pattern]:
        """Regexes of the intent's templates and examples with a {text} (examples compiled on first use)."""
        patterns = self._dictating.get(name)
        if patterns is None:
            intent = self.grammar.intents.intents[name]
            compiled = self.grammar.layers.compiled[name].patterns
            patterns = [p for p, t in zip(compiled, intent.templates) if tpl.FREE_SLOTS & set(tpl.slots_of(t.node))]
            patterns += [
                self.grammar.compiler.pattern(name, t.node)
                for t in intent.examples
                if tpl.FREE_SLOTS & set(tpl.slots_of(t.node))
            ]
            self._dictating[name] = patterns
        return patterns

    def _says_example(self, name: str, text: str, windows: list[tuple[int, int]]) -> bool:
        """Whether one of the intent's examples without slots fits the whole (canonical) utterance."""
        patterns = self._plain_examples.get(name)
        if patterns is None:
            intent = self.grammar.intents.intents[name]
            patterns = self._plain_examples[name] = [
                self.grammar.compiler.pattern(name, t.node) for t in intent.examples if not tpl.slots_of(t.node)
            ]
        return any(fit(p.regex, text, windows) for p in patterns)

    def _pattern_spans(self, name: str, tokens: list[Token]) -> dict[str, gen.Span] | None:
        """The slot spans of the intent's template or example with a {text} that fits the whole utterance
        (least dictation wins)."""
        text = line(tokens)
        starts = {}
        pos = 0
        for k, t in enumerate(tokens):
            starts[pos] = k
            pos += len(t.canon) + 1
        best: tuple[int, dict[str, gen.Span]] | None = None
        windows = self.fitter.windows(tokens)
        for pattern in self._dictating_patterns(name):
            m = fit(pattern.regex, text, windows)
            if m is None:
                continue
            found: dict[str, gen.Span] = {}
            for group, value in m.groupdict().items():
                slot = group.split("__")[0]
                if value is None or slot == tpl.ANY or (slot == tpl.PARTNER and not self.partners):
                    continue
                first = starts[m.start(group)]
                found[slot] = (first, first + len(value.split()))
            span = found.get("text")
            if span is None or (tokens[span[0]].canon == "not" and name not in self.fitter.keeps_negation):
                continue  # a negation is not what was done (a promise not to do something is a promise)
            if best is None or span[1] - span[0] < best[0]:
                best = (span[1] - span[0], found)
        return None if best is None else best[1]
