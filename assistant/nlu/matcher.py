"""Strict-then-fuzzy-then-general intent matching with contexts, slots and out-of-domain rejection.

Four stages, each only when the one before found nothing:

1. **strict** -- the canonical utterance must fit a template regex exactly
   (fillers, politeness and homophones are already normalised away);
2. **corrected** -- words the context never uses are snapped to the closest
   word it does use ("exorcise" -> "exercise"), then strict again;
3. **fuzzy** -- the whole utterance against a sample of the slot-free
   sentences of the context (rapidfuzz ``ratio``, once more on sorted words
   for word-order changes), accepted only above a calibrated cut-off and
   only if every longer word resembles a word of the matched sentence;
4. **general** -- a naive Bayes classifier per context, trained here from the
   templates, the intents' ``examples`` and the ``not_for_me`` sentences
   (general.py), for phrasings nobody wrote down. Its answer is kept only
   when it is confident and the utterance looks like the intent (no word the
   context never uses outside a dictated ``{text}``), and always scores
   below the other stages.

Comparing *whole* utterances (never ``partial_ratio``) is what keeps a
partner's "I'm done being scared of talking about money" from becoming
``turn.done``: the extra words lower the similarity below the cut-off, and
the unknown words ("scared", "money") keep the classifier out.

Everything is compiled and trained once in ``Matcher.__init__``; ``parse``
only runs regexes, rapidfuzz and array lookups over precomputed tables.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

import numpy as np
from rapidfuzz import fuzz, process

from . import general as gen
from . import templates as tpl
from .loader import CONTEXTS, IntentSet
from .normalise import Normaliser, Token
from .slots import PartnerLookup, SlotValues, heard_text

# Layering (intent-catalogue.md): every context hears cancel; confirm/name
# inside an exercise hear stop/pause; idle hears resume when it can resume.
ALWAYS = ("cancel",)
IN_EXERCISE = ("ritual.stop", "ritual.pause")
CAN_RESUME = ("ritual.resume",)

# Tuned on the tuning part of the corpora (benchmarks/nlu_bench.py): from 76 to
# 84 the tuning and noisy-tuning accuracy is flat (the word check below does
# the rejecting); 84 is the strictest value before noisy accuracy drops.
FUZZY_CUTOFF = 84.0  # whole-utterance similarity (0..100) needed to accept a fuzzy match
NONE_SCORE = 0.9  # confidence in "nothing meant" when no fuzzy match reaches the cut-off (see calibration)
WORD_AGREE_MIN_LEN = 4
WORD_AGREE = 60.0  # in a fuzzy match each word must be at least this close to one on the other side
SORTED_PENALTY = 2.0  # a match only after sorting words counts a little less
CORRECT_CUTOFF = 80.0  # word similarity needed to snap an unknown word to a known one
CORRECT_MIN_LEN = 4  # shorter words are too easy to confuse ("it" / "is")
SCORE_STRICT = 1.0
CORRECTION_CACHE = 20000  # bounded: a long-running session must not grow without limit
PHRASE_CAP = 4000  # per context: recognisers slow down with huge phrase lists
FUZZY_CAP_PER_TEMPLATE = 60  # sampled per template: more costs latency, adds no accuracy on dev (benchmark)

_TEXT_MARK = "\x00"  # where a dictated {text} starts in a phrase

# The general stage (general.py). Tuned on benchmarks/blind-2-tune.jsonl (the
# benchmark's tuning set) with the public corpora's out-of-domain lines: 0.6 is
# where a lower probability starts to accept near misses ("we kept the old
# sofa") and a higher one to lose plain rewordings.
GEN_MIN_PROB = 0.6  # the classifier's probability needed to accept its answer
GEN_EXAMPLE_PROB = 0.3  # ... when one of the intent's own examples says the utterance word for word
GEN_SAMPLES_PER_TEMPLATE = 12  # training sentences per template (the fuzzy stage's first ones when slot-free)
GEN_SAMPLES_PER_EXAMPLE = 6  # ... per example and per "not for me" sentence
GEN_FOREIGN_SAMPLES = 2  # ... per template and example of the intents a context never hears
GEN_FOREIGN_PRIOR = 1.0  # those intents are each as likely a priori as one of the context's own,
GEN_NULL_PRIOR = 2.0  # "not for me" twice as likely
GEN_ALPHA = 0.03  # naive Bayes smoothing
GEN_TEMPERATURE = 5.0  # divides its log-likelihoods so that its probabilities can be thresholded
GEN_CORRECT_CUTOFF = 85.0  # stricter than CORRECT_CUTOFF: a snapped word must not make up a request ("crack on" is not "track on")
GEN_JOIN_CUTOFF = 88.0  # two or three words glued together must be this close to a known word ("meaning full")
GEN_JOIN_MAX_WORDS = 16  # ... tried in commands, not in long speech
GEN_FORGIVE_PROB = 0.95  # so sure that one new word is forgiven (a request without {text} has none otherwise)
GEN_FORGIVE_MIN_WORDS = 5  # ... in a sentence at least this long
GEN_MAX_WORDS = 30  # longer utterances are never a request (the longest in the corpora has 17 words)
GEN_ANCHOR_SHARE = 0.12  # an anchor of an intent points to it at least this often (general.anchor_words)
GEN_ANCHOR_COVERAGE = 0.1  # ... or is in this share of its sentences
GEN_FUNCTION_SHARE = 0.4  # a word this share of a context's intents use is a function word ("the", "can")
GEN_SCORE = (0.6, 0.74)  # its answers score from this to that (GEN_MIN_PROB .. certainty): below every fuzzy match


@dataclass(frozen=True)
class Parse:
    """What an utterance means in a context.

    ``score`` is the matcher's confidence in *this* answer (0..1): 1.0 for an
    exact template match, lower for corrected or fuzzy matches (0.75 and
    up), lowest for the classifier's answers (``GEN_SCORE``); for
    ``intent=None`` it is the confidence that nothing was meant.
    """

    intent: str | None
    slots: dict[str, str] = field(default_factory=dict)
    score: float = 0.0


@dataclass(frozen=True)
class _Pattern:
    intent: str
    regex: re.Pattern[str]


@dataclass
class _Layer:
    patterns: list[_Pattern]
    vocab: list[str]
    vocab_set: frozenset[str]
    choices: list[str]  # canonical slot-free sentences
    sorted_choices: list[str]  # the same, words sorted (for word-order changes)
    owners: list[tuple[str, dict[str, str]]]  # intent and fixed slots of each choice
    lengths: list[int]  # len() of each choice; choices are sorted by it


class Matcher:
    def __init__(self, intents: IntentSet, partners: tuple[str, str] | None = None) -> None:
        self.intents = intents
        self.partners = tuple(partners) if partners else ()
        self.norm = Normaliser(intents.rules)
        self._partner_of = PartnerLookup(self.partners) if self.partners else None
        self._partner_words = tuple(p.lower() for p in self.partners)
        self._lists = dict(intents.lists)
        # <partners> (a name that fills no slot) and slot grammars as lists
        self._lists["partners"] = (
            tpl.Seq((tpl.Alt(tuple(tpl.Seq((tpl.Word(p.lower()),)) for p in self.partners)),))
            if self.partners
            else tpl.Seq((tpl.Slot(tpl.PARTNER),))
        )
        self._lists["any"] = tpl.Seq((tpl.Slot(tpl.ANY),))
        for name, seq in intents.slot_grammars.items():
            self._lists[f"slot:{name}"] = seq
        # politeness at either end is tolerated by every template (the
        # utterance keeps it, so "okay your turn" still fits a template that says "okay")
        lead = "|".join(re.escape(" ".join(p)) + " " for p in self.norm.lead) or "(?!)"
        trail = "|".join(re.escape(" ".join(p)) + " " for p in self.norm.trail) or "(?!)"
        self._affix = (f"(?:{lead})*", f"(?:{trail})*")
        self._skippable = frozenset(self.norm.canon_word(w) for w in intents.rules.droppable | intents.rules.optional)
        self._list_word_memo: dict[str, set[str]] = {}
        self._gen_sampled: dict[str, list[list[str]]] = {}  # slot-free template sentences, for the last stage
        self._gen_core: dict[str, list[list[str]]] = {}  # ... the plainest few of each, for the other contexts
        self._compiled: dict[str, tuple[list[_Pattern], set[str], list[tuple[str, str, dict[str, str]]]]] = {}
        for intent in intents.intents.values():
            self._compiled[intent.name] = self._compile(intent.name)
        self._layers: dict[tuple[str, bool, bool], _Layer] = {}
        # unknown word -> its correction; the same slips recur every evening
        self._corrections: dict[tuple[object, ...], tuple[str, float, int] | None] = {}
        for context in CONTEXTS:
            for in_exercise in (False, True):
                for can_resume in (False, True):
                    self._layer(context, in_exercise, can_resume)
        self._grammar_rx = {
            name: re.compile(tpl.to_regex(seq, self._lists, self._slot_rx, lambda w: self._word_rx(w.text)))
            for name, seq in intents.slot_grammars.items()
        }
        self._dictating: dict[str, list[_Pattern]] = {}
        self._plain_examples: dict[str, list[_Pattern]] = {}
        self._gen_cache: dict[str, list[list[str]]] = {}
        self._shapes: dict[str, gen.IntentShape] = {}
        self._edge_memo: dict[str, tuple[frozenset[str], frozenset[str], bool]] = {}
        self._general = {context: self._train(context) for context in CONTEXTS}

    # -- compiling -------------------------------------------------------------

    def _word_rx(self, word: str, droppable: bool = True) -> str:
        rules = self.intents.rules
        if word in rules.drop:
            return ""  # utterances never contain it ("uh huh" is heard as "huh")
        canon = self.norm.canon_word(word)
        body = re.escape(canon) + " "
        for i, partner in enumerate(self.partners):
            if canon == partner.lower():  # a name that is also a word ("Will")
                body = f"(?:{body}|@p{i} )"
        if word in rules.optional or (droppable and word in rules.droppable):
            return f"(?:{body})?"
        return body

    def _slot_rx(self, name: str, n: int) -> str:
        if name == tpl.ANY:
            return r"(?:[^@\s]\S* )"
        if name == tpl.PARTNER:
            inner = "@p[0-9] " if self.partners else r"\S+ "
        elif name in tpl.FREE_SLOTS:
            inner = r"(?:\S+ )+?"
        else:
            inner = tpl.to_regex(self.intents.slot_grammars[name], self._lists, self._slot_rx, lambda w: self._word_rx(w.text))
        return f"(?P<{name}__{n}>{inner})"

    def _compile(self, name: str) -> tuple[list[_Pattern], set[str], list[tuple[str, str, dict[str, str]]]]:
        intent = self.intents.intents[name]
        patterns: list[_Pattern] = []
        vocab: set[str] = set()
        choices: list[tuple[str, str, dict[str, str]]] = []
        for order, template in enumerate(intent.templates):
            fixed = tpl.anchors(template.node, self._lists)
            word_rx = lambda w, fixed=fixed: self._word_rx(w.text, droppable=id(w) not in fixed)  # noqa: E731
            rx = self._affix[0] + tpl.to_regex(template.node, self._lists, self._slot_rx, word_rx) + self._affix[1]
            patterns.append(_Pattern(name, re.compile(rx)))
            vocab.update(self._words_of(template.node))
            slots = set(tpl.slots_of(template.node))
            if slots - {tpl.PARTNER}:
                continue  # free or grammar slots: strict only (fuzzy cannot place their bounds)
            if slots and not self.partners:
                continue
            for i, partner in enumerate(self.partners if slots else ("",)):
                fixed = {tpl.PARTNER: partner} if slots else {}
                slot_text = lambda s, i=i: f"@p{i}" if s == tpl.PARTNER else None  # noqa: E731
                for k, sentence in enumerate(tpl.sample(template.node, self._lists, slot_text, FUZZY_CAP_PER_TEMPLATE, seed=order)):
                    tokens = self.norm.strip(self.norm.tokens(sentence, self._names_in(sentence)))
                    choices.append((self._fuzzy_text(tokens), name, fixed))
                    if not slots and k < GEN_SAMPLES_PER_TEMPLATE:  # the same sentences train the last stage
                        self._gen_sampled.setdefault(name, []).append(self._gen_words(tokens))
                        if k < GEN_FOREIGN_SAMPLES:
                            self._gen_core.setdefault(name, []).append(self._gen_words(tokens))
        return patterns, vocab, choices

    def _names_in(self, sentence: str) -> PartnerLookup | None:
        """The partner lookup for a sentence made from the templates: names there come from the
        profile, spelled exactly, so a sentence without one needs no (fuzzy) name lookup."""
        if self._partner_of is not None and any(p in sentence.lower() for p in self._partner_words):
            return self._partner_of
        return None

    def _words_of(self, node: tpl.Node) -> set[str]:
        out: set[str] = set()
        for n in tpl.walk(node):
            if isinstance(n, tpl.Word):
                out.update(self.norm.canon_word(n.text).split())
            elif isinstance(n, tpl.ListRef):
                out |= self._list_words(n.name)
            elif isinstance(n, tpl.Slot) and n.name in self.intents.slot_grammars:
                out |= self._list_words(f"slot:{n.name}")
        return out

    def _list_words(self, name: str) -> set[str]:
        words = self._list_word_memo.get(name)
        if words is None:
            words = self._list_word_memo[name] = self._words_of(self._lists[name])
        return words

    def _names(self, context: str, in_exercise: bool, can_resume: bool) -> list[str]:
        names = [i.name for i in self.intents.in_context(context)]
        extra = list(ALWAYS)
        if in_exercise and context in ("confirm", "name"):
            extra += IN_EXERCISE
        if can_resume and context == "idle":
            extra += CAN_RESUME
        names += [n for n in extra if n in self.intents.intents and n not in names]
        return names

    def _layer(self, context: str, in_exercise: bool = False, can_resume: bool = False) -> _Layer:
        if context not in CONTEXTS:
            raise ValueError(f"unknown context {context!r} (expected one of {', '.join(CONTEXTS)})")
        # flags that do not change this context's intents share one layer
        key = (context, in_exercise and context in ("confirm", "name"), can_resume and context == "idle")
        layer = self._layers.get(key)
        if layer is not None:
            return layer
        patterns: list[_Pattern] = []
        vocab: set[str] = set()
        seen: dict[str, tuple[str, dict[str, str]]] = {}
        for name in self._names(*key):
            p, v, c = self._compiled[name]
            patterns += p
            vocab |= v
            for canon, owner, fixed in c:
                seen.setdefault(canon, (owner, fixed))
        vocab_list = sorted(w for w in vocab if len(w) >= CORRECT_MIN_LEN - 1)  # "snow" -> "now"
        choices = sorted(seen, key=len)
        layer = _Layer(
            patterns=patterns,
            vocab=vocab_list,
            vocab_set=frozenset(vocab),
            choices=choices,
            sorted_choices=[" ".join(sorted(c.split())) for c in choices],
            owners=[seen[c] for c in choices],
            lengths=[len(c) for c in choices],
        )
        self._layers[key] = layer
        return layer

    # -- the generalising stage ---------------------------------------------------

    def _gen_words(self, tokens: list[Token]) -> list[str]:
        """A sentence as the last stage sees it: canonical words, "@p" for a name, a mark for {text}."""
        out = []
        for tok in tokens:
            if tok.canon == "xxtextxx":
                out.append(gen.TEXT)
            elif tok.canon.startswith("@p") or tok.canon == "xxpartnerxx":
                out.append(gen.PARTNER_TOKEN)
            else:
                out.append(tok.canon)
        return out

    def _sampled(self, node: tpl.Node, cap: int, seed: int) -> list[list[str]]:
        partner = self.partners[0] if self.partners else "xxpartnerxx"

        def slot_text(name: str) -> str | None:
            if name == tpl.PARTNER:
                return partner
            if name in tpl.FREE_SLOTS:
                return "xxtextxx"
            return None

        node = tpl.substitute(node, lambda s: tpl.ListRef(f"slot:{s}") if s in self.intents.slot_grammars else tpl.Slot(s)) or node
        out = []
        for sentence in tpl.sample(node, self._lists, slot_text, cap, seed=seed):
            words = self._gen_words(self.norm.strip(self.norm.tokens(sentence, self._names_in(sentence))))
            if words:
                out.append(words)
        return out

    def _intent_sentences(self, name: str) -> list[list[str]]:
        """Training sentences of one intent: its templates' (shared with the fuzzy stage where slot-free) and its examples'."""
        cached = self._gen_cache.get(name)
        if cached is not None:
            return cached
        intent = self.intents.intents[name]
        out = list(self._gen_sampled.get(name, []))
        core = self._gen_core.setdefault(name, [])
        for order, template in enumerate(intent.templates):
            slots = set(tpl.slots_of(template.node))
            if slots and (slots - {tpl.PARTNER} or self.partners):  # the fuzzy stage sampled the others
                more = self._sampled(template.node, GEN_SAMPLES_PER_TEMPLATE, order)
                out += more
                core += more[:GEN_FOREIGN_SAMPLES]
        for order, example in enumerate(intent.examples):
            more = self._sampled(example.node, GEN_SAMPLES_PER_EXAMPLE, 1000 + order)
            out += more
            core += more[:GEN_FOREIGN_SAMPLES]
        self._gen_cache[name] = out
        return out

    def _train(self, context: str) -> gen.ContextModel:
        names = self._names(context, True, True)
        classes: list[str | None] = [None, *names]
        rules = self.intents.rules
        filler_words = {w for p in (*rules.lead, *rules.trail) for w in self.norm.canon_phrase(p)}
        filler_words |= {self.norm.canon_word(w) for w in rules.optional | rules.droppable}
        canon = lambda w: self.norm.canon_word(w).split()  # noqa: E731
        shapes: dict[str, gen.IntentShape] = {}
        sentences: dict[str | None, list[list[str]]] = {}
        vocab: set[str] = set(filler_words)
        for name in names:
            shape = self._shapes.get(name)
            if shape is None:
                intent = self.intents.intents[name]
                nodes = [t.node for t in intent.templates + intent.examples]
                shape = self._shapes[name] = gen.intent_shape(name, nodes, self._lists, canon, rules.drop, self._words_of, self._edge_memo)
            shapes[name] = shape
            vocab |= shape.vocab
            sentences[name] = self._intent_sentences(name)
        vocab.discard("")
        ood: list[list[str]] = []
        for order, t in enumerate(self.intents.not_for_me.get(context, ())):
            ood += self._sampled(t.node, GEN_SAMPLES_PER_EXAMPLE, 2000 + order)
        sentences[None] = ood
        known_other = frozenset(w for words in ood for w in words if w not in vocab and w not in (gen.TEXT, gen.PARTNER_TOKEN))
        freq = gen.word_statistics(sentences)
        function_words = gen.function_words(freq, len(names), GEN_FUNCTION_SHARE) | filler_words
        frozen = frozenset(vocab)
        # the other contexts' intents are classes of their own that this context never hears (their answers
        # count as "not for me"): "start our gratitude moment" during a turn is plainly gratitude.start
        foreign = [name for name in self.intents.intents if name not in names]
        for name in foreign:
            self._intent_sentences(name)
            sentences[name] = self._gen_core[name]
        known_other |= frozenset(w for name in foreign for words in sentences[name] for w in words
                                 if w not in vocab and w not in (gen.TEXT, gen.PARTNER_TOKEN))
        classes += foreign
        prior = [GEN_NULL_PRIOR] + [1.0] * len(names) + [GEN_FOREIGN_PRIOR] * len(foreign)
        clf = gen.train(classes, sentences, frozen, known_other, function_words, prior, GEN_ALPHA, GEN_TEMPERATURE)
        grammar_words = frozenset().union(*(self._list_words(f"slot:{g}") for g in self.intents.slot_grammars))
        anchors = gen.anchor_words(freq, function_words, grammar_words, GEN_ANCHOR_SHARE, GEN_ANCHOR_COVERAGE)
        kept = {name: self.intents.intents[name].slots for name in names}
        by_initial: dict[str, list[str]] = {}
        for w in sorted(w for w in frozen if len(w) >= CORRECT_MIN_LEN - 1):
            by_initial.setdefault(w[0], []).append(w)
        return gen.ContextModel(classes, frozen, by_initial, known_other, function_words, clf, shapes, anchors, kept)

    def _dictating_patterns(self, name: str) -> list[_Pattern]:
        """Regexes of the intent's templates and examples with a {text} (examples compiled on first use)."""
        patterns = self._dictating.get(name)
        if patterns is None:
            intent = self.intents.intents[name]
            patterns = [p for p, t in zip(self._compiled[name][0], intent.templates) if tpl.FREE_SLOTS & set(tpl.slots_of(t.node))]
            patterns += [self._pattern(name, t.node) for t in intent.examples if tpl.FREE_SLOTS & set(tpl.slots_of(t.node))]
            self._dictating[name] = patterns
        return patterns

    def _says_example(self, name: str, line: str) -> bool:
        """Whether one of the intent's examples without slots fits the whole (canonical) utterance."""
        patterns = self._plain_examples.get(name)
        if patterns is None:
            intent = self.intents.intents[name]
            patterns = self._plain_examples[name] = [self._pattern(name, t.node) for t in intent.examples if not tpl.slots_of(t.node)]
        return any(p.regex.fullmatch(line) for p in patterns)

    def _pattern(self, name: str, node: tpl.Node) -> _Pattern:
        fixed = tpl.anchors(node, self._lists)
        word_rx = lambda w: self._word_rx(w.text, droppable=id(w) not in fixed)  # noqa: E731
        return _Pattern(name, re.compile(self._affix[0] + tpl.to_regex(node, self._lists, self._slot_rx, word_rx) + self._affix[1]))

    def _generalise(self, key: tuple[str, bool, bool], tokens: list[Token]) -> tuple[str, dict[str, str], float] | None:
        """Stage 4 (general.py): the classifier's best intent whose slots can be placed, if it is confident."""
        if len(tokens) > GEN_MAX_WORDS:
            return None  # a request is short; a monologue is a partner speaking
        model = self._general[key[0]]
        tokens = self._correct_to(model.vocab, model.by_initial, ("gen", key[0]), tokens, skip=model.known_other,
                                  cutoff=GEN_CORRECT_CUTOFF, join_cutoff=GEN_JOIN_CUTOFF)[0] or tokens
        canon = [gen.PARTNER_TOKEN if t.canon.startswith("@p") else t.canon for t in tokens]
        present = set(canon)
        active = frozenset(self._names(*key))
        plain = model.probabilities(canon, active)
        spans = gen.Spans(tokens, self._grammar_rx)
        novel_other = present & model.known_other  # words of other requests ("flight", "homework")
        masked_memo: dict[tuple[str, ...], np.ndarray] = {}
        line = "".join(t.canon + " " for t in tokens)
        candidates: list[tuple[float, str, dict[str, gen.Span]]] = []
        for index, name in enumerate(model.classes):
            if name is None or name not in active:
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
                    found = gen.read(shape, canon, spans, model.vocab, model.function_words, anchors, bool(self.partners), True)
                if found is not None:
                    candidates.append((p, name, found))
            if "text" not in shape.required:
                q = float(plain[index])
                found = None
                if q >= GEN_MIN_PROB:
                    forgive = int(q >= GEN_FORGIVE_PROB and len(canon) >= GEN_FORGIVE_MIN_WORDS and not novel_other)
                    found = gen.read(shape, canon, spans, model.vocab, model.function_words, anchors, bool(self.partners), False, forgive)
                elif q >= GEN_EXAMPLE_PROB and int(np.argmax(plain[1:])) + 1 == index and self._says_example(name, line):
                    # one of its own examples word for word, and no other intent likelier: a lower bar
                    found = gen.read(shape, canon, spans, model.vocab, model.function_words, anchors, bool(self.partners), False)
                    q = GEN_MIN_PROB
                if found is not None:
                    candidates.append((q, name, found))
        best = max(candidates, key=lambda c: c[0], default=None)
        if best is None or best[0] < GEN_MIN_PROB:
            return None
        p, name, found = best
        keep = model.kept_slots[name]  # an example may place words the intent does not keep ("pause, {text}")
        slots = {}
        for slot, (i, j) in found.items():
            if slot not in keep:
                continue
            slots[slot] = self.partners[int(tokens[i].canon[2:])] if slot == tpl.PARTNER else heard_text(tokens[i:j])
        return name, slots, round(_general_score(p), 3)

    def _pattern_spans(self, name: str, tokens: list[Token]) -> dict[str, gen.Span] | None:
        """The slot spans of the intent's template or example with a {text} that fits the whole utterance (least dictation wins)."""
        line = "".join(t.canon + " " for t in tokens)
        starts = {}
        pos = 0
        for k, t in enumerate(tokens):
            starts[pos] = k
            pos += len(t.canon) + 1
        best: tuple[int, dict[str, gen.Span]] | None = None
        for pattern in self._dictating_patterns(name):
            m = pattern.regex.fullmatch(line)
            if m is None:
                continue
            found: dict[str, gen.Span] = {}
            for group, value in m.groupdict().items():
                slot = group.split("__")[0]
                if value is None or slot == tpl.ANY or (slot == tpl.PARTNER and not self.partners):
                    continue
                first = starts[m.start(group)]
                found[slot] = (first, first + len(value.split()))
            text = found.get("text")
            if text is None or tokens[text[0]].canon == "not":
                continue  # a negation is not what was done or promised
            if best is None or text[1] - text[0] < best[0]:
                best = (text[1] - text[0], found)
        return None if best is None else best[1]

    # -- parsing ----------------------------------------------------------------

    def parse(self, text: str, context: str, *, in_exercise: bool = False, can_resume: bool = False) -> Parse:
        layer = self._layer(context, in_exercise, can_resume)
        tokens = self.norm.tokens(text, self._partner_of)
        if not tokens:
            return Parse(None, {}, 1.0)
        found = self._strict(layer, tokens)
        if found is not None:
            return Parse(found[0], found[1], SCORE_STRICT)
        tokens = self.norm.strip(tokens)
        corrected, similarity = self._correct(layer, tokens)
        if corrected is not None:
            found = self._strict(layer, corrected)
            if found is not None:
                return Parse(found[0], found[1], round(_corrected_score(similarity), 3))
        best = self._fuzzy(layer, corrected or tokens)
        if best is not None and best[0] >= FUZZY_CUTOFF:
            return Parse(best[1], dict(best[2]), round(_fuzzy_score(best[0]), 3))
        found = self._generalise(self._key(context, in_exercise, can_resume), tokens)
        if found is not None:
            return Parse(*found)
        return Parse(None, {}, NONE_SCORE)

    def _strict(self, layer: _Layer, tokens: list[Token]) -> tuple[str, dict[str, str]] | None:
        line = "".join(t.canon + " " for t in tokens)
        best: tuple[int, str, dict[str, str]] | None = None
        for pattern in layer.patterns:
            m = pattern.regex.fullmatch(line)
            if m is None:
                continue
            values = SlotValues.from_match(m, tokens, self.partners)
            if values is None:
                continue
            # prefer the template that explains most words itself (least free text);
            # on a tie the earlier template (and the context's own intents) win
            if best is None or values.free_chars < best[0]:
                best = (values.free_chars, pattern.intent, values.slots)
                if values.free_chars == 0:
                    break
        return None if best is None else (best[1], best[2])

    def _correct(self, layer: _Layer, tokens: list[Token]) -> tuple[list[Token] | None, float]:
        """Snap words the context never uses to the closest word it does use.

        Two unknown neighbours that spell a known word are first joined: the
        recogniser split it ("listen ing", "exer cise").
        """
        return self._correct_to(layer.vocab_set, layer.vocab, id(layer), tokens)

    def _correct_to(self, vocab_set: frozenset[str], vocab: list[str] | dict[str, list[str]], cache: object, tokens: list[Token],
                    skip: frozenset[str] = frozenset(), cutoff: float = CORRECT_CUTOFF,
                    join_cutoff: float | None = None) -> tuple[list[Token] | None, float]:
        """Snap unknown words to ``vocab`` (a list, or lists by first letter); with ``join_cutoff`` glue split words first."""
        out: list[Token] = []
        changed = False
        worst = 100.0
        joined: list[Token] = []
        i = 0
        while i < len(tokens):
            tok = tokens[i]
            if join_cutoff is not None and len(tokens) <= GEN_JOIN_MAX_WORDS:
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
            if tok.canon in vocab_set or tok.canon in skip or tok.canon.startswith("@") or len(tok.canon) < CORRECT_MIN_LEN:
                out.append(tok)
                continue
            key = (cache, tok.canon)
            if key in self._corrections:
                hit = self._corrections[key]
            else:
                choices = _by_sound(vocab, tok.canon)
                hit = process.extractOne(tok.canon, choices, scorer=fuzz.ratio, score_cutoff=cutoff)
                if len(self._corrections) < CORRECTION_CACHE:
                    self._corrections[key] = hit
            if hit is None:
                out.append(tok)
                continue
            out.append(Token(hit[0], tok.heard))
            worst = min(worst, hit[1])
            changed = True
        return (out if changed else None), worst

    def _join(self, vocab_set: frozenset[str], vocab: list[str] | dict[str, list[str]], cache: object, tokens: list[Token], i: int,
              skip: frozenset[str], cutoff: float) -> tuple[Token, int] | None:
        """A word the recogniser split in two or three ("meaning full", "come it ments") -> (the word, parts used)."""
        for n in (3, 2):
            parts = tokens[i : i + n]
            if len(parts) < n or any(not t.canon.isalpha() for t in parts):
                continue
            if all(t.canon in vocab_set or t.canon in skip for t in parts):
                continue  # known words stay apart ("for get" may be "for get")
            glued = "".join(t.canon for t in parts)
            if len(glued) < 6:
                continue
            key = (cache, "+", glued)
            if key in self._corrections:
                hit = self._corrections[key]
            else:
                choices = _by_sound(vocab, glued)
                hit = (glued, 100.0, 0) if glued in vocab_set else process.extractOne(glued, choices, scorer=fuzz.ratio, score_cutoff=cutoff)
                if len(self._corrections) < CORRECTION_CACHE:
                    self._corrections[key] = hit
            if hit is not None and len(hit[0]) >= 6:
                return Token(hit[0], tuple(w for t in parts for w in t.heard)), n
        return None

    def _fuzzy_text(self, tokens: list[Token]) -> str:
        """Fuzzy matching ignores the short words recognisers drop: "start gratitude moment" is not a near miss."""
        return " ".join(t.canon for t in tokens if t.canon not in self._skippable)

    def _fuzzy(self, layer: _Layer, tokens: list[Token]) -> tuple[float, str, dict[str, str]] | None:
        if not layer.choices:
            return None
        query = self._fuzzy_text(tokens)
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
        if hit is None or not _words_agree(query.split(), hit[0].split()):
            return None
        hit = (hit[0], hit[1], hit[2] + lo)
        intent, fixed = layer.owners[hit[2]]
        if fixed.get(tpl.PARTNER):
            index = self.partners.index(fixed[tpl.PARTNER])
            if f"@p{index}" not in {t.canon for t in tokens}:
                return None  # a fuzzy match must not invent who was named
        return hit[1], intent, fixed

    def forget_corrections(self) -> None:
        """Empty the word-correction cache (the benchmark times cold parses)."""
        self._corrections.clear()

    # -- recogniser support -------------------------------------------------

    def phrases(self, context: str, *, in_exercise: bool = False, can_resume: bool = False) -> list[str]:
        """Command-mode phrases for speech recognition (lower-case words, at most ``PHRASE_CAP``).

        Partner names are spelled out; a free ``{text}`` is cut off so that the
        trigger words ("log a promise that sam will") constrain and the rest is
        dictated. Each intent gets an equal share, each template a sample that
        always holds its plainest and favours its commonest wording.
        """
        names = self._names(*self._key(context, in_exercise, can_resume))
        share = max(1, PHRASE_CAP // max(1, len(names)))
        out: dict[str, None] = {}
        for name in names:
            templates = self.intents.intents[name].templates
            for order, template in enumerate(templates):
                node = tpl.substitute(template.node, self._phrase_slot)
                if node is None:
                    continue
                for sentence in tpl.sample(node, self._lists, lambda s: _TEXT_MARK, max(1, share // len(templates)), seed=order):
                    phrase = " ".join(w for w in sentence.split(_TEXT_MARK)[0].split() if w not in self.intents.rules.drop)
                    if phrase:
                        out.setdefault(phrase, None)
        return list(out)[:PHRASE_CAP]

    def _phrase_slot(self, name: str) -> tpl.Node | None:
        """What a slot becomes in a phrase: the names, the slot's grammar, or the dictation mark."""
        if name == tpl.PARTNER:
            return tpl.ListRef("partners") if self.partners else None
        if name in tpl.FREE_SLOTS:
            return tpl.Slot(name)  # expanded to the mark, then cut
        return tpl.ListRef(f"slot:{name}")

    def jsgf(self, context: str, *, in_exercise: bool = False, can_resume: bool = False) -> str:
        """The context's templates as a JSGF grammar whose public rule is ``<command>``.

        Rendered from the templates themselves (not from the capped phrase
        list), so it is complete and compact: word lists and slot grammars
        become rules, partner names a ``<partner>`` rule, and a free ``{text}``
        ends its template (the trigger words constrain, the rest is dictated).
        """
        rules: dict[str, str] = {}
        alternatives: list[str] = []
        for name in self._names(*self._key(context, in_exercise, can_resume)):
            for template in self.intents.intents[name].templates:
                body = self._jsgf(template.node, rules)[0]
                if body and body not in alternatives:
                    alternatives.append(body)
        lines = ["#JSGF V1.0;", "grammar tandem;", ""]
        lines += [f"<{rule}> = {body};" for rule, body in rules.items()]
        lines.append("public <command> = " + ("\n    | ".join(alternatives) or "<VOID>") + ";")
        return "\n".join(lines) + "\n"

    def _jsgf(self, node: tpl.Node, rules: dict[str, str]) -> tuple[str, bool]:
        """(JSGF text, whether a free slot cut it short)."""
        if isinstance(node, tpl.Word):
            return ("" if node.text in self.intents.rules.drop else node.text), False
        if isinstance(node, tpl.Slot):
            if node.name == tpl.PARTNER:
                return self._jsgf(tpl.ListRef("partners"), rules) if self.partners else ("", True)
            if node.name in self.intents.slot_grammars:
                return self._jsgf(tpl.ListRef(f"slot:{node.name}"), rules)
            return "", True  # {text} or <any>: dictated
        if isinstance(node, tpl.ListRef):
            if node.name == "any" or (node.name == "partners" and not self.partners):
                return "", True
            rule = re.sub(r"[^a-zA-Z0-9_]", "_", node.name)
            if rule not in rules:
                rules[rule] = ""  # reserve first: lists may refer to lists
                body, _ = self._jsgf(self._lists[node.name], rules)
                rules[rule] = body or "<NULL>"
            return f"<{rule}>", False
        if isinstance(node, tpl.Alt):
            options = [self._jsgf(o, rules)[0] for o in node.options]
            kept = [o for o in dict.fromkeys(options) if o]
            if not kept:
                return "", False
            inner = " | ".join(kept)
            return (f"[{inner}]" if node.optional else f"({inner})"), False
        parts: list[str] = []
        for item in node.items:
            text, cut = self._jsgf(item, rules)
            if text:
                parts.append(text)
            if cut:
                return " ".join(parts), True
        return " ".join(parts), False

    def _key(self, context: str, in_exercise: bool, can_resume: bool) -> tuple[str, bool, bool]:
        self._layer(context, in_exercise, can_resume)  # validates the context
        return context, in_exercise and context in ("confirm", "name"), can_resume and context == "idle"


def _by_sound(vocab: list[str] | dict[str, list[str]], word: str) -> list[str]:
    """The known words a misheard ``word`` may stand for: all, or those starting with its first or second
    letter (a recogniser keeps the first sound, or runs a neighbour's into it: "trust stalk")."""
    if isinstance(vocab, list):
        return vocab
    return vocab.get(word[0], []) + (vocab.get(word[1], []) if len(word) > 1 and word[1] != word[0] else [])


def _words_agree(heard: list[str], template: list[str]) -> bool:
    """Every longer word on each side sounds like some word on the other.

    A high character similarity can hide one swapped content word ("we need
    to talk about the car" vs "... about trust"): a misrecognised word still
    resembles the right one ("shop"/"stop"), a different request does not.
    """
    for side, other in ((heard, template), (template, heard)):
        for word in side:
            if word in other or len(word) < WORD_AGREE_MIN_LEN:
                continue  # short words are dropped and misheard too often to count
            if max((fuzz.ratio(word, o) for o in other), default=0.0) < WORD_AGREE:
                return False
    return True


def _fuzzy_score(raw: float) -> float:
    """Map an accepted rapidfuzz similarity (cut-off..100) to a confidence.

    The benchmark's calibration line measured fuzzy and corrected matches at
    about 95-100% correct on dev, strict ones at 100%: fuzzy scores stay
    below strict ones and rise with the similarity.
    """
    return 0.75 + 0.2 * (raw - FUZZY_CUTOFF) / (100.0 - FUZZY_CUTOFF)


def _general_score(probability: float) -> float:
    """The classifier's answers score below strict and corrected matches (see calibration)."""
    low, high = GEN_SCORE
    return low + (high - low) * (probability - GEN_MIN_PROB) / (1.0 - GEN_MIN_PROB)


def _corrected_score(similarity: float) -> float:
    return 0.8 + 0.15 * (similarity - CORRECT_CUTOFF) / (100.0 - CORRECT_CUTOFF)

