"""Training the generalising stage's classifier per context (general.py) from the templates, the intents'
``examples`` and the ``not_for_me`` sentences, once when the pipeline is built.

Tuned on benchmarks/blind-2-tune.jsonl (the benchmark's tuning set) with the public corpora's
out-of-domain lines (the stage's own thresholds are in stages/generalise.py).
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from . import general as gen
from . import templates as tpl
from .classifier import UNK, NaiveBayes
from .edges import PARTNER_TOKEN, TEXT
from .general import features
from .grammar import Grammar
from .layers import VOCAB_MIN_LEN, intent_names
from .loader import CONTEXTS

GEN_SAMPLES_PER_TEMPLATE = 12  # training sentences per template (the fuzzy stage's first ones when slot-free)
GEN_SAMPLES_PER_EXAMPLE = 6  # ... per example and per "not for me" sentence
GEN_FOREIGN_SAMPLES = 2  # ... per template and example of the intents a context never hears
GEN_FOREIGN_PRIOR = 1.0  # those intents are each as likely a priori as one of the context's own,
GEN_NULL_PRIOR = 2.0  # "not for me" twice as likely
GEN_ALPHA = 0.03  # naive Bayes smoothing
GEN_TEMPERATURE = 5.0  # divides its log-likelihoods so that its probabilities can be thresholded
GEN_ANCHOR_SHARE = 0.12  # an anchor of an intent points to it at least this often (general.anchor_words)
GEN_ANCHOR_COVERAGE = 0.1  # ... or is in this share of its sentences
GEN_FUNCTION_SHARE = 0.4  # a word this share of a context's intents use is a function word ("the", "can")


class Trainer:
    def __init__(self, grammar: Grammar) -> None:
        self.grammar = grammar
        self.intents = grammar.intents
        self.compiler = grammar.compiler
        # slot-free template sentences, shared with the fuzzy stage's samples
        self._sampled: dict[str, list[list[str]]] = {}
        self._core: dict[str, list[list[str]]] = {}  # ... the plainest few of each, for the other contexts
        for name, compiled in grammar.layers.compiled.items():
            for samples in compiled.plain_samples:
                if samples[:GEN_SAMPLES_PER_TEMPLATE]:
                    self._sampled.setdefault(name, []).extend(samples[:GEN_SAMPLES_PER_TEMPLATE])
                if samples[:GEN_FOREIGN_SAMPLES]:
                    self._core.setdefault(name, []).extend(samples[:GEN_FOREIGN_SAMPLES])
        self._cache: dict[str, list[list[str]]] = {}
        self._shapes: dict[str, gen.IntentShape] = {}
        self._edge_memo: dict[str, tuple[frozenset[str], frozenset[str], bool]] = {}

    def train_all(self) -> dict[str, gen.ContextModel]:
        return {context: self.train(context) for context in CONTEXTS}

    def _samples(self, node: tpl.Node, cap: int, seed: int) -> list[list[str]]:
        partner = self.grammar.partners[0] if self.grammar.partners else "xxpartnerxx"

        def slot_text(name: str) -> str | None:
            if name == tpl.PARTNER:
                return partner
            if name in tpl.FREE_SLOTS:
                return "xxtextxx"
            return None

        def grammar_slot(s: str) -> tpl.Node | None:
            return tpl.ListRef(f"slot:{s}") if s in self.intents.slot_grammars else tpl.Slot(s)

        node = tpl.substitute(node, grammar_slot) or node
        out = []
        for sentence in tpl.sample(node, self.compiler.lists, slot_text, cap, seed=seed):
            words = self.compiler.gen_words(self.compiler.sentence_tokens(sentence))
            if words:
                out.append(words)
        return out

    def _intent_sentences(self, name: str) -> list[list[str]]:
        """Training sentences of one intent: its templates' (shared with the fuzzy stage where slot-free)
        and its examples'."""
        cached = self._cache.get(name)
        if cached is not None:
            return cached
        intent = self.intents.intents[name]
        out = list(self._sampled.get(name, []))
        core = self._core.setdefault(name, [])
        for order, template in enumerate(intent.templates):
            slots = set(tpl.slots_of(template.node))
            if slots and (slots - {tpl.PARTNER} or self.grammar.partners):  # the fuzzy stage sampled the others
                more = self._samples(template.node, GEN_SAMPLES_PER_TEMPLATE, order)
                out += more
                core += more[:GEN_FOREIGN_SAMPLES]
        for order, example in enumerate(intent.examples):
            more = self._samples(example.node, GEN_SAMPLES_PER_EXAMPLE, 1000 + order)
            out += more
            core += more[:GEN_FOREIGN_SAMPLES]
        self._cache[name] = out
        return out

    def train(self, context: str) -> gen.ContextModel:
        names = intent_names(self.intents, context, True, True)
        classes: list[str | None] = [None, *names]
        rules = self.intents.rules
        norm, compiler = self.grammar.norm, self.compiler
        filler_words = {w for p in (*rules.lead, *rules.trail) for w in norm.canon_phrase(p)}
        filler_words |= {norm.canon_word(w) for w in rules.optional | rules.droppable}
        shapes: dict[str, gen.IntentShape] = {}
        sentences: dict[str | None, list[list[str]]] = {}
        vocab: set[str] = set(filler_words)
        for name in names:
            shape = self._shapes.get(name)
            if shape is None:
                intent = self.intents.intents[name]
                nodes = [t.node for t in intent.templates + intent.examples]
                shape = self._shapes[name] = gen.intent_shape(
                    name, nodes, compiler.lists, compiler.canon, rules.drop, compiler.words_of, self._edge_memo
                )
            shapes[name] = shape
            vocab |= shape.vocab
            sentences[name] = self._intent_sentences(name)
        vocab.discard("")
        ood: list[list[str]] = []
        for order, t in enumerate(self.intents.not_for_me.get(context, ())):
            ood += self._samples(t.node, GEN_SAMPLES_PER_EXAMPLE, 2000 + order)
        sentences[None] = ood
        marks = (gen.TEXT, gen.PARTNER_TOKEN)
        known_other = frozenset(w for words in ood for w in words if w not in vocab and w not in marks)
        freq = word_statistics(sentences)
        function_words = find_function_words(freq, len(names), GEN_FUNCTION_SHARE) | filler_words
        frozen = frozenset(vocab)
        # the other contexts' intents are classes of their own that this context never hears (their answers
        # count as "not for me"): "start our gratitude moment" during a turn is plainly gratitude.start
        foreign = [name for name in self.intents.intents if name not in names]
        for name in foreign:
            self._intent_sentences(name)
            sentences[name] = self._core[name]
        known_other |= frozenset(
            w for name in foreign for words in sentences[name] for w in words if w not in vocab and w not in marks
        )
        classes += foreign
        prior = [GEN_NULL_PRIOR] + [1.0] * len(names) + [GEN_FOREIGN_PRIOR] * len(foreign)
        clf = train(classes, sentences, frozen, known_other, function_words, prior, GEN_ALPHA, GEN_TEMPERATURE)
        grammar_words: frozenset[str] = frozenset().union(
            *(compiler.list_words(f"slot:{g}") for g in self.intents.slot_grammars)
        )
        anchors = anchor_words(freq, function_words, grammar_words, GEN_ANCHOR_SHARE, GEN_ANCHOR_COVERAGE)
        kept = {name: self.intents.intents[name].slots for name in names}
        by_initial: dict[str, list[str]] = {}
        for w in sorted(w for w in frozen if len(w) >= VOCAB_MIN_LEN):
            by_initial.setdefault(w[0], []).append(w)
        plain: set[str] = set(filler_words)
        for name in names:
            intent = self.intents.intents[name]
            for t in (*intent.templates, *intent.examples):
                plain |= compiler.plain_words(t.node)
        return gen.ContextModel(
            classes,
            frozen,
            by_initial,
            known_other,
            function_words,
            clf,
            shapes,
            anchors,
            kept,
            frozenset(grammar_words - plain),
        )


# -- the classifier's statistics and fitting -----------------------------------------


def word_statistics(sentences: dict[str | None, list[list[str]]]) -> dict[str, dict[str, float]]:
    """word -> intent -> share of that intent's sentences with the word."""
    freq: dict[str, dict[str, float]] = {}
    for name, items in sentences.items():
        if name is None or not items:
            continue
        step = 1.0 / len(items)
        for words in items:
            for w in set(words):
                row = freq.setdefault(w, {})
                row[name] = row.get(name, 0.0) + step
    return freq


def find_function_words(
    freq: dict[str, dict[str, float]], n_intents: int, share: float, floor: float = 0.05
) -> frozenset[str]:
    """Words most intents use (in at least ``floor`` of their sentences): "the", "we", "can"."""
    need = max(2, share * n_intents)
    return frozenset(w for w, row in freq.items() if sum(f >= floor for f in row.values()) >= need)


def anchor_words(freq: dict[str, dict[str, float]], function: frozenset[str], exclude: frozenset[str],
                 share: float, coverage: float) -> dict[str, frozenset[str]]:
    """Per intent, the words that point to it: P(intent | word) >= ``share`` (every intent weighing
    the same), or in at least ``coverage`` of its sentences; not function words, not slot grammar words."""
    out: dict[str, set[str]] = {}
    for w, row in freq.items():
        if w in function or w in exclude or w in (TEXT, PARTNER_TOKEN):
            continue
        total = sum(row.values())
        for name, f in row.items():
            if f / total >= share or f >= coverage:
                out.setdefault(name, set()).add(w)
    return {name: frozenset(ws) for name, ws in out.items()}


def fill(words: Sequence[str], rng: random.Random, function_words: Sequence[str], vocab: Sequence[str]) -> list[str]:
    """A training sentence with its ``<text>`` replaced by stand-in words, the way dictated words look to the
    classifier."""
    out: list[str] = []
    for w in words:
        if w != TEXT:
            out.append(w)
            continue
        for _ in range(rng.randint(1, 4)):
            r = rng.random()
            out.append(UNK if r < 0.55 else rng.choice(function_words) if r < 0.85 else rng.choice(vocab))
    return out


def train(classes: list[str | None], sentences: dict[str | None, list[list[str]]], vocab: frozenset[str],
          known_other: frozenset[str], function_words: frozenset[str], prior: Sequence[float], alpha: float,
          temperature: float, seed: int = 1) -> NaiveBayes:
    """Fit the classifier on the sentences of each class, with relative class weights ``prior``.

    A sentence with a ``{text}`` is learnt twice: with stand-in words where
    the dictation goes (as an utterance sounds), and with ``<text>`` (as an
    utterance reads once a template or example has placed its dictation).
    """
    rng = random.Random(seed)
    fw, vl = sorted(function_words), sorted(vocab)
    samples = []
    for index, name in enumerate(classes):
        for words in sentences.get(name, []):
            samples.append((features(fill(words, rng, fw, vl), vocab, known_other), index, 1.0))
            if TEXT in words:
                samples.append((features(words, vocab, known_other), index, 1.0))
    clf = NaiveBayes(len(classes), alpha=alpha, temperature=temperature)
    clf.fit(samples, prior=prior)
    return clf
