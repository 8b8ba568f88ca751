"""Strict-then-fuzzy-then-general intent matching with contexts, slots and out-of-domain rejection.

Four stages, each only when the one before found nothing:

1. **strict** -- the canonical utterance must fit a template regex exactly
   (fillers, politeness and homophones are already normalised away; a
   ``contextual`` word is also read as the word it may stand for, "promises
   two paint" -> "to", where the templates' word pairs support it and a
   template then explains more);
2. **corrected** -- words the context never uses are snapped to the closest
   word it does use ("exorcise" -> "exercise"), to one they sound like
   ("pores" -> "pause", sounds.py) or are another form of ("starting" ->
   "start"), then strict again;
3. **fuzzy** -- the whole utterance against a sample of the slot-free
   sentences of the context (rapidfuzz ``ratio``, once more on sorted words
   for word-order changes), accepted only above a calibrated cut-off and
   only if every longer word resembles a word of the matched sentence (and
   no negation or direction is added, lost or swapped); then a short command
   with a side remark ("stop it here, we're too tired");
4. **general** -- a naive Bayes classifier per context, trained here from the
   templates, the intents' ``examples`` and the ``not_for_me`` sentences
   (general.py), for phrasings nobody wrote down. Its answer is kept only
   when it is confident and the utterance looks like the intent (no word the
   context never uses outside a dictated ``{text}``), and always scores
   below the other stages.

An intent's own ``not`` sentences rule it out wherever one fits the whole
utterance ("i promise you that's not true" is never ``promise.log``), at every
stage; another intent may still answer. A ``not_for_me`` sentence that fits
the whole utterance and leaves fewer words to its ``{text}`` overrules a
template with dictated words ("we tried calling
the plumber *but he didn't pick up*" is not an experience), and the
classifier's answers. When nothing is meant as heard, a word that sounds like
a partner's name is read as the name and the utterance parsed once more
("psalm did" -> Sam).

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
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from rapidfuzz import fuzz, process

from . import general as gen
from . import templates as tpl
from .edges import TEXT as edges_TEXT
from .loader import CONTEXTS, IntentSet
from .normalise import Normaliser, Token
from .slots import PartnerLookup, SlotValues, heard_text
from .sounds import END as sounds_END
from .sounds import START as sounds_START
from .sounds import Neighbours, sound_key

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
# words that turn a request round: a fuzzy match must not add or lose a negation ("does it matter" is
# not "it does not matter") nor swap a direction ("switch on privacy" is not "switch privacy off"; a
# misheard one, "turn the volume app", may still be close to "up")
NEGATIONS = frozenset({"not", "no", "never"})
DIRECTIONS = frozenset({"on", "off", "up", "down"})
SORTED_PENALTY = 2.0  # a match only after sorting words counts a little less
CORRECT_CUTOFF = 80.0  # word similarity needed to snap an unknown word to a known one
CORRECT_MIN_LEN = 4  # shorter words are too easy to confuse ("it" / "is")
SCORE_STRICT = 1.0
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
PHRASE_CAP = 4000  # per context: recognisers slow down with huge phrase lists
FUZZY_CAP_PER_TEMPLATE = 60  # sampled per template: more costs latency, adds no accuracy on dev (benchmark)

# A command with a side remark (Matcher._command_and_aside): scored like the weakest fuzzy match.
ASIDE_MIN_COMMAND = 2  # words of the command ("not so loud", "stop it here")
ASIDE_MIN_WORDS = 2  # words of the remark ("we're tired")
ASIDE_MAX_REMARK = 4  # ... at most, as heard ("I'm in the kitchen"): a longer one is speech ("that's it I'm tired of ...")
ASIDE_MAX_WORDS = 14  # longer speech is a partner talking
ASIDE_DETERMINERS = frozenset({"the", "my", "our", "your", "his", "her"})  # ... and "the <word>'s" opens one too
ASIDE_NOT = frozenset({"you", "your", "yours", "yourself", "not", "no", "never"})  # "I'm done because you never listen"
ASIDE_SCORE = 0.75

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
GEN_VETO_SHARE = 0.5  # a "not for me" sentence overrules an answer without {text} when it leaves less than this share to its {text}
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
        # politeness at either end is tolerated by every template (the utterance keeps it, so "okay your
        # turn" still fits a template that says "okay"): a template's regex is tried on the utterance with
        # and without its lead-ins and trailing politeness (_windows), rather than each regex spelling them out
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
        self._sound_index: dict[object, _SoundIndex] = {}
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
        self._contextual = dict(intents.rules.contextual)
        self._neighbours = self._read_neighbours()
        self._trail_first = frozenset(p[0] for p in self.norm.trail)
        self._sound_partner = PartnerLookup(self.partners, by_sound=True) if self.partners else None
        # the known words by sound, per vocabulary (the layers' and the classifier's), ready before the first parse
        self._sound_keys: dict[str, str] = {}
        self._heard_keys: dict[str, str] = {}  # heard word -> sound key (bounded, emptied with the corrections)
        for layer in self._layers.values():
            self._sounds_like(layer.vocab_set, id(layer), "")
        for context, model in self._general.items():
            self._sounds_like(model.vocab, ("gen", context), "")
        # not_for_me sentences as whole-utterance patterns: they overrule a request's template that explains less
        self._vetoes = {context: [self._pattern("", t.node).regex for t in self.intents.not_for_me.get(context, ())] for context in CONTEXTS}
        # each intent's "not" sentences: whole-utterance patterns that rule it out
        self._exceptions = {i.name: [self._pattern(i.name, t.node).regex for t in i.exceptions]
                            for i in intents.intents.values() if i.exceptions}
        self._keeps_negation = frozenset(i.name for i in intents.intents.values() if i.keeps_negation)
        self._asides = [self.norm.canon_phrase(a) for a in intents.rules.aside]
        self._asides_by_first: dict[str, list[tuple[str, ...]]] = {}
        for a in self._asides:
            self._asides_by_first.setdefault(a[0], []).append(a)

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
            rx = tpl.to_regex(template.node, self._lists, self._slot_rx, word_rx)
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
        """The words of a template, its slot grammars' included."""
        out = self._plain_words(node)
        for n in tpl.walk(node):
            if isinstance(n, tpl.Slot) and n.name in self.intents.slot_grammars:
                out |= self._list_words(f"slot:{n.name}")
        return out

    def _plain_words(self, node: tpl.Node) -> set[str]:
        """The words of a template outside its slot grammars."""
        out: set[str] = set()
        for n in tpl.walk(node):
            if isinstance(n, tpl.Word):
                out.update(self.norm.canon_word(n.text).split())
            elif isinstance(n, tpl.ListRef):
                out |= self._list_words(n.name)
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
                if canon:  # a sample of only droppable words ("the", "us") would match any such utterance
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

    # -- words heard for others where the templates say so -----------------------

    def _read_neighbours(self) -> Neighbours | None:
        """Which words the templates and examples put right before and after the contextual words (sounds.Neighbours)."""
        if not self._contextual:
            return None
        words = set(self._contextual) | set(self._contextual.values())
        nb = Neighbours(words, self._lists, self.intents.slot_grammars, lambda w: self.norm.canon_word(w).split(), self.intents.rules.drop)
        for intent in self.intents.intents.values():
            for t in (*intent.templates, *intent.examples):
                nb.add(t.node)
        return nb

    def _in_context(self, tokens: list[Token]) -> list[Token]:
        """Read a contextual word as the word it may stand for where the templates' word pairs support that
        reading and not the word as heard: "promises two paint" -> "to", "over two you" -> "to", "privacy
        of now" -> "off"; "in two weeks" and "cross of the promise" stay (a template says them)."""
        nb = self._neighbours
        if nb is None or not any(t.canon in self._contextual for t in tokens):
            return tokens
        out = list(tokens)
        canon = ["@p" if t.canon.startswith("@p") else t.canon for t in tokens]
        for i, tok in enumerate(tokens):
            target = self._contextual.get(tok.canon)
            if target is None:
                continue
            prev = canon[i - 1] if i else sounds_START
            nxt = canon[i + 1] if i + 1 < len(canon) else sounds_END
            if self._pair_fit(nb, target, prev, nxt) > self._pair_fit(nb, tok.canon, prev, nxt):
                out[i] = Token(target, tok.heard)
                canon[i] = target
        return out

    def _pair_fit(self, nb: Neighbours, word: str, prev: str, nxt: str) -> int:
        """How well the templates put ``word`` after ``prev`` and before ``nxt``: each side counts 2 when a
        template names that neighbour, 1 when a {text} may be there; 0 unless both sides are allowed and one is named."""
        before, after = nb.before.get(word, ()), nb.after.get(word, ())
        left = 2 if prev in before else int(edges_TEXT in before)
        right = 2 if (nxt in after or (nxt in self._trail_first and sounds_END in after)) else int(edges_TEXT in after)
        return left + right if left and right and max(left, right) == 2 else 0

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
        plain: set[str] = set(filler_words)
        for name in names:
            intent = self.intents.intents[name]
            for t in (*intent.templates, *intent.examples):
                plain |= self._plain_words(t.node)
        return gen.ContextModel(classes, frozen, by_initial, known_other, function_words, clf, shapes, anchors, kept,
                                frozenset(grammar_words - plain))

    def _dictating_patterns(self, name: str) -> list[_Pattern]:
        """Regexes of the intent's templates and examples with a {text} (examples compiled on first use)."""
        patterns = self._dictating.get(name)
        if patterns is None:
            intent = self.intents.intents[name]
            patterns = [p for p, t in zip(self._compiled[name][0], intent.templates) if tpl.FREE_SLOTS & set(tpl.slots_of(t.node))]
            patterns += [self._pattern(name, t.node) for t in intent.examples if tpl.FREE_SLOTS & set(tpl.slots_of(t.node))]
            self._dictating[name] = patterns
        return patterns

    def _says_example(self, name: str, line: str, windows: list[tuple[int, int]]) -> bool:
        """Whether one of the intent's examples without slots fits the whole (canonical) utterance."""
        patterns = self._plain_examples.get(name)
        if patterns is None:
            intent = self.intents.intents[name]
            patterns = self._plain_examples[name] = [self._pattern(name, t.node) for t in intent.examples if not tpl.slots_of(t.node)]
        return any(_fit(p.regex, line, windows) for p in patterns)

    def _pattern(self, name: str, node: tpl.Node) -> _Pattern:
        fixed = tpl.anchors(node, self._lists)
        word_rx = lambda w: self._word_rx(w.text, droppable=id(w) not in fixed)  # noqa: E731
        return _Pattern(name, re.compile(tpl.to_regex(node, self._lists, self._slot_rx, word_rx)))

    def _windows(self, tokens: Sequence[Token]) -> list[tuple[int, int]]:
        """Where in the utterance's line a template may start and end: after any lead-ins ("okay so can you
        please"), before any trailing politeness ("please", "thanks"); most of them taken off first."""
        n = len(tokens)
        offsets = [0]
        for t in tokens:
            offsets.append(offsets[-1] + len(t.canon) + 1)
        starts, frontier = {0}, [0]
        while frontier:
            i = frontier.pop()
            for phrase in self.norm._lead_by_first.get(tokens[i].canon, ()) if i < n else ():
                k = len(phrase)
                if i + k <= n and i + k not in starts and all(tokens[i + j].canon == phrase[j] for j in range(k)):
                    starts.add(i + k)
                    frontier.append(i + k)
        ends, frontier = {n}, [n]
        while frontier:
            e = frontier.pop()
            for phrase in self.norm._trail_by_last.get(tokens[e - 1].canon, ()) if e > 0 else ():
                k = len(phrase)
                if e - k >= 0 and e - k not in ends and all(tokens[e - k + j].canon == phrase[j] for j in range(k)):
                    ends.add(e - k)
                    frontier.append(e - k)
        if len(starts) == 1 and len(ends) == 1:
            return [(0, offsets[n])]
        return [(offsets[s], offsets[e]) for s in sorted(starts, reverse=True) for e in sorted(ends) if s < e]

    def _generalise(self, layer: _Layer, key: tuple[str, bool, bool], tokens: list[Token],
                    barred: frozenset[str] = frozenset()) -> tuple[str, dict[str, str], float] | None:
        """Stage 4 (general.py): the classifier's best intent whose slots can be placed, if it is confident.

        Its corrections (glued words, the words of examples) may first make a template fit ("the gratitude
        mo meant" is "the gratitude moment"): then that template answers, scored as a corrected match.
        """
        if len(tokens) > GEN_MAX_WORDS:
            return None  # a request is short; a monologue is a partner speaking
        model = self._general[key[0]]
        corrected, similarity = self._correct_to(model.vocab, model.by_initial, ("gen", key[0]), tokens, skip=model.known_other,
                                                 cutoff=GEN_CORRECT_CUTOFF, join_cutoff=GEN_JOIN_CUTOFF)
        if corrected is not None:
            found_strict = self._strict(layer, corrected, barred)
            if found_strict is not None:
                if found_strict[2] and self._veto(key[0], corrected, found_strict[2]):
                    return None
                return found_strict[0], found_strict[1], round(_corrected_score(max(similarity, CORRECT_CUTOFF)), 3)
        tokens = corrected or tokens
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
            if name is None or name not in active or name in barred or self._ruled_out(name, tokens):
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
                    found = gen.read(shape, canon, spans, model.vocab, model.function_words, anchors, bool(self.partners), False, forgive,
                                     model.grammar_only)
                elif q >= GEN_EXAMPLE_PROB and int(np.argmax(plain[1:])) + 1 == index and self._says_example(name, line, self._windows(tokens)):
                    # one of its own examples word for word, and no other intent likelier: a lower bar
                    found = gen.read(shape, canon, spans, model.vocab, model.function_words, anchors, bool(self.partners), False,
                                     grammar_only=model.grammar_only)
                    q = GEN_MIN_PROB
                if found is not None:
                    candidates.append((q, name, found))
        best = max(candidates, key=lambda c: c[0], default=None)
        if best is None or best[0] < GEN_MIN_PROB:
            return None
        p, name, found = best
        i, j = found.get("text", (0, 0))
        # a "not for me" sentence that fits the utterance overrules the classifier, which only guessed: with
        # dictated words, if it leaves fewer of them to its {text} (like a template); without, if it explains
        # most of the utterance itself ("i'm not sure {text}" for "i'm not sure we did", not "no {text}")
        free = len(heard_text(tokens[i:j])) if "text" in found else len(heard_text(tokens)) * GEN_VETO_SHARE
        if self._veto(key[0], tokens, int(free)):
            return None
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
        windows = self._windows(tokens)
        for pattern in self._dictating_patterns(name):
            m = _fit(pattern.regex, line, windows)
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
            if text is None or (tokens[text[0]].canon == "not" and name not in self._keeps_negation):
                continue  # a negation is not what was done (a promise not to do something is a promise)
            if best is None or text[1] - text[0] < best[0]:
                best = (text[1] - text[0], found)
        return None if best is None else best[1]

    # -- parsing ----------------------------------------------------------------

    def parse(self, text: str, context: str, *, in_exercise: bool = False, can_resume: bool = False) -> Parse:
        layer = self._layer(context, in_exercise, can_resume)
        key = self._key(context, in_exercise, can_resume)
        tokens = self.norm.tokens(text, self._partner_of)
        if not tokens:
            return Parse(None, {}, 1.0)
        parsed = self._parse(layer, key, tokens)
        if (parsed.intent is None or parsed.score <= GEN_SCORE[1]) and self._sound_partner is not None:
            # nothing meant as heard, or only the classifier's guess: a word that sounds like a partner's
            # name may be the name ("psalm did"); that reading must be one a template explains
            again = self.norm.tokens(text, self._sound_partner)
            if sum(t.canon.startswith("@p") for t in again) > sum(t.canon.startswith("@p") for t in tokens):
                named = self._parse(layer, key, again)
                if named.intent is not None and (parsed.intent is None or named.score > GEN_SCORE[1]):
                    # a guess from the sound: at most a corrected match's score
                    return Parse(named.intent, named.slots, min(named.score, round(_corrected_score(CORRECT_CUTOFF), 3)))
        return parsed

    def _parse(self, layer: _Layer, key: tuple[str, bool, bool], tokens: list[Token]) -> Parse:
        # intents whose "not" sentences fit the words as heard: no corrected or guessed reading brings them back
        # ("we went to the shops" corrected to "... the hopes" is still no experience)
        barred = frozenset(name for name in self._exceptions if self._ruled_out(name, tokens))
        found = self._strict(layer, tokens, barred)
        read = self._in_context(tokens)
        if read is not tokens:
            # a contextual word read as the word it may stand for ("promises two paint"): that reading
            # counts only if a template fits it, and explains more than the words as heard do
            other = self._strict(layer, read, barred)
            if other is not None and (found is None or other[2] < found[2]):
                found, tokens = other, read
        if found is not None:
            return self._unless_vetoed(key[0], tokens, found, SCORE_STRICT)
        heard, tokens = tokens, self.norm.strip(tokens)
        corrected, similarity = self._correct(layer, tokens)
        if corrected is not None:
            found = self._strict(layer, corrected, barred)
            if found is not None:
                return self._unless_vetoed(key[0], corrected, found, round(_corrected_score(similarity), 3))
        best = self._fuzzy(layer, corrected or tokens, barred)
        if best is None and corrected is not None and similarity < CORRECT_CUTOFF:
            best = self._fuzzy(layer, tokens, barred)  # a guessed correction may be wrong ("shop" is not "short" but "stop")
        if best is None and len(heard) == len(tokens) + 1:
            best = self._fuzzy(layer, heard, barred)  # ... and so may a lead-in ("and the session" is "end the session")
        if best is not None and best[0] >= FUZZY_CUTOFF:
            return Parse(best[1], dict(best[2]), round(_fuzzy_score(best[0]), 3))
        aside = self._command_and_aside(layer, key[0], corrected or tokens, barred)
        if aside is not None:
            return aside
        found_gen = self._generalise(layer, key, tokens, barred)
        if found_gen is not None:
            return Parse(*found_gen)
        return Parse(None, {}, NONE_SCORE)

    def _unless_vetoed(self, context: str, tokens: list[Token], found: tuple[str, dict[str, str], int], score: float) -> Parse:
        """A template match with dictated words, unless a ``not_for_me`` sentence explains more of the utterance itself."""
        if found[2] and self._veto(context, tokens, found[2]):
            return Parse(None, {}, NONE_SCORE)
        return Parse(found[0], found[1], score)

    def _veto(self, context: str, tokens: list[Token], free_chars: int) -> bool:
        """Whether a ``not_for_me`` sentence of the context fits the whole utterance with fewer dictated
        characters than ``free_chars`` (the request's): "we tried calling the plumber *but he didn't pick
        up*" is a "not for me" ``we <did_verb> {text} but {text}`` rather than ``we tried {text}``."""
        patterns = self._vetoes.get(context)
        if not patterns:
            return False
        line = "".join(t.canon + " " for t in tokens)
        windows = self._windows(tokens)
        whole = len(windows) == 1
        for regex in patterns:
            m = regex.fullmatch(line) if whole else _fit(regex, line, windows)
            if m is not None and _free_chars(m, tokens) < free_chars:
                return True
        return False

    def _ruled_out(self, intent: str, tokens: list[Token], line: str | None = None,
                   windows: list[tuple[int, int]] | None = None) -> bool:
        """Whether one of the intent's ``not`` sentences fits the whole utterance."""
        patterns = self._exceptions.get(intent)
        if not patterns:
            return False
        line = line if line is not None else "".join(t.canon + " " for t in tokens)
        windows = windows if windows is not None else self._windows(tokens)
        return any(_fit(regex, line, windows) is not None for regex in patterns)

    def _strict(self, layer: _Layer, tokens: list[Token], barred: frozenset[str] = frozenset()) -> tuple[str, dict[str, str], int] | None:
        """(intent, slots, characters of dictated words) of the template that fits the whole utterance."""
        line = "".join(t.canon + " " for t in tokens)
        windows = self._windows(tokens)
        whole = len(windows) == 1  # no lead-in or politeness to take off: one regex call each
        best: tuple[int, str, dict[str, str]] | None = None
        for pattern in layer.patterns:
            m = pattern.regex.fullmatch(line) if whole else _fit(pattern.regex, line, windows)
            if m is None:
                continue
            values = SlotValues.from_match(m, tokens, self.partners, pattern.intent in self._keeps_negation)
            if values is None or pattern.intent in barred or self._ruled_out(pattern.intent, tokens, line, windows):
                continue
            # prefer the template that explains most words itself (least free text);
            # on a tie the earlier template (and the context's own intents) win
            if best is None or values.free_chars < best[0]:
                best = (values.free_chars, pattern.intent, values.slots)
                if values.free_chars == 0:
                    break
        return None if best is None else (best[1], best[2], best[0])

    def _command_and_aside(self, layer: _Layer, context: str, tokens: list[Token], barred: frozenset[str] = frozenset()) -> Parse | None:
        """A short command with a side remark before or after it ("stop it here *we're too tired*", "*the baby's
        asleep* not so loud"): the command must fit a template without slots, the remark open with one of
        ``normalise.aside`` and have at least ``ASIDE_MIN_WORDS`` words, and no ``not_for_me`` sentence fit the whole."""
        n = len(tokens)
        if not self._asides or n < ASIDE_MIN_COMMAND + ASIDE_MIN_WORDS or n > ASIDE_MAX_WORDS:
            return None
        canon = [t.canon for t in tokens]
        opens = [i for i in range(n) if any(tuple(canon[i : i + len(a)]) == a for a in self._asides_by_first.get(canon[i], ()))
                 or (canon[i] in ASIDE_DETERMINERS and i + 1 < n and canon[i + 1].endswith("'s"))]  # "the baby's asleep"
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
            part = tokens[s:e]
            found = self._strict(layer, part, barred)
            if found is None or found[1] or found[2]:
                continue  # only a command without slots: a remark beside dictated words cannot be told apart
            remark = sum(len(t.canon) + 1 for t in tokens[:s] + tokens[e:])
            if self._veto(context, tokens, remark):
                return Parse(None, {}, NONE_SCORE)
            return Parse(found[0], {}, ASIDE_SCORE)
        return None

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
                if hit is None:
                    # another form of a known word ("starting", "paused"), or a word that sounds like one ("pores")
                    hit = _inflected(tok.canon, vocab_set) or self._sounds_like(vocab_set, cache, tok.canon)
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
                if hit is None and (n == 2 or all(len(t.canon) <= 4 for t in parts)):
                    hit = self._sounds_like(vocab_set, cache, glued)  # "re zoom" -> "resume", "ex sir size" -> "exercise"
                if hit is not None and any(hit[0] == t.canon for t in parts):
                    hit = None  # a known word swallowing a scrap ("gratitude mo" is not "gratitude": "mo meant" is "moment")
                if len(self._corrections) < CORRECTION_CACHE:
                    self._corrections[key] = hit
            if hit is not None and len(hit[0]) >= 6:
                return Token(hit[0], tuple(w for t in parts for w in t.heard)), n
        return None

    def _sounds_like(self, vocab_set: frozenset[str], cache: object, word: str) -> tuple[str, float, int] | None:
        """The known word that ``word`` sounds like (``sounds.sound_key``, and some letters in common): "pores" -> "pause"."""
        index = self._sound_index.get(cache)
        if index is None:
            index = self._sound_index[cache] = _SoundIndex(vocab_set, self._sound_keys)
        return index.find(word, self._heard_keys)

    def _fuzzy_text(self, tokens: list[Token]) -> str:
        """Fuzzy matching ignores the short words recognisers drop: "start gratitude moment" is not a near miss."""
        return " ".join(t.canon for t in tokens if t.canon not in self._skippable)

    def _fuzzy(self, layer: _Layer, tokens: list[Token], barred: frozenset[str] = frozenset()) -> tuple[float, str, dict[str, str]] | None:
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
        if intent in barred or self._ruled_out(intent, tokens):
            return None
        if fixed.get(tpl.PARTNER):
            index = self.partners.index(fixed[tpl.PARTNER])
            if f"@p{index}" not in {t.canon for t in tokens}:
                return None  # a fuzzy match must not invent who was named
        return hit[1], intent, fixed

    def forget_corrections(self) -> None:
        """Empty the word-correction cache (the benchmark times cold parses)."""
        self._corrections.clear()
        self._heard_keys.clear()

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


def _fit(regex: re.Pattern[str], line: str, windows: list[tuple[int, int]]) -> re.Match[str] | None:
    """The first window of ``line`` (Matcher._windows) that ``regex`` fits exactly."""
    for pos, end in windows:
        m = regex.fullmatch(line, pos, end)
        if m is not None:
            return m
    return None


def _free_chars(m: re.Match[str], tokens: Sequence[Token]) -> int:
    """Characters of the words a match left to its ``{text}`` slots (as heard, like ``SlotValues.free_chars``)."""
    starts, pos = {}, 0
    for k, t in enumerate(tokens):
        starts[pos] = k
        pos += len(t.canon) + 1
    free = 0
    for group, value in m.groupdict().items():
        if value is None or not group.startswith("text__"):
            continue
        first = starts[m.start(group)]
        free += len(heard_text(tokens[first : first + len(value.split())]))
    return free


def _inflected(word: str, vocab_set: frozenset[str]) -> tuple[str, float, int] | None:
    """A known word that ``word`` is another form of: "starting" -> "start", "paused" -> "pause", "evenings" -> "evening"."""
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

    def find(self, word: str, memo: dict[str, str]) -> tuple[str, float, int] | None:
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

