"""Strict-then-fuzzy intent matching with contexts, slots and out-of-domain rejection.

Three stages, each only when the one before found nothing:

1. **strict** -- the canonical utterance must fit a template regex exactly
   (fillers, politeness and homophones are already normalised away);
2. **corrected** -- words the context never uses are snapped to the closest
   word it does use ("exorcise" -> "exercise"), then strict again;
3. **fuzzy** -- the whole utterance against a sample of the slot-free
   sentences of the context (rapidfuzz ``ratio``, once more on sorted words
   for word-order changes), accepted only above a calibrated cut-off and
   only if every longer word resembles a word of the matched sentence.

Comparing *whole* utterances (never ``partial_ratio``) is what keeps a
partner's "I'm done being scared of talking about money" from becoming
``turn.done``: the extra words lower the similarity below the cut-off.

Everything is compiled once in ``Matcher.__init__``; ``parse`` only runs
regexes and rapidfuzz over precomputed lists.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from . import templates as tpl
from .loader import CONTEXTS, IntentSet
from .normalise import Normaliser, Token
from .slots import PartnerLookup, SlotValues

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


@dataclass(frozen=True)
class Parse:
    """What an utterance means in a context.

    ``score`` is the matcher's confidence in *this* answer (0..1): 1.0 for an
    exact template match, lower for corrected or fuzzy matches; for
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
        self._compiled: dict[str, tuple[list[_Pattern], set[str], list[tuple[str, str, dict[str, str]]]]] = {}
        for intent in intents.intents.values():
            self._compiled[intent.name] = self._compile(intent.name)
        self._layers: dict[tuple[str, bool, bool], _Layer] = {}
        # unknown word -> its correction; the same slips recur every evening
        self._corrections: dict[tuple[int, str], tuple[str, float, int] | None] = {}
        for context in CONTEXTS:
            for in_exercise in (False, True):
                for can_resume in (False, True):
                    self._layer(context, in_exercise, can_resume)

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
                for sentence in tpl.sample(template.node, self._lists, slot_text, FUZZY_CAP_PER_TEMPLATE, seed=order):
                    canon = self._fuzzy_text(self.norm.strip(self.norm.tokens(sentence, self._partner_of)))
                    choices.append((canon, name, fixed))
        return patterns, vocab, choices

    def _words_of(self, node: tpl.Node) -> set[str]:
        out: set[str] = set()
        for n in tpl.walk(node):
            if isinstance(n, tpl.Word):
                out.update(self.norm.canon_word(n.text).split())
            elif isinstance(n, tpl.ListRef):
                out |= self._words_of(self._lists[n.name])
            elif isinstance(n, tpl.Slot) and n.name in self.intents.slot_grammars:
                out |= self._words_of(self.intents.slot_grammars[n.name])
        return out

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
        if best is None:  # nothing above the cut-off
            return Parse(None, {}, NONE_SCORE)
        raw, intent, slots = best
        if raw < FUZZY_CUTOFF:
            return Parse(None, {}, NONE_SCORE)
        return Parse(intent, dict(slots), round(_fuzzy_score(raw), 3))

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
        out: list[Token] = []
        changed = False
        worst = 100.0
        joined: list[Token] = []
        i = 0
        while i < len(tokens):
            tok = tokens[i]
            if i + 1 < len(tokens):
                nxt = tokens[i + 1]
                unknown = tok.canon not in layer.vocab_set or nxt.canon not in layer.vocab_set
                if unknown and tok.canon + nxt.canon in layer.vocab_set:
                    joined.append(Token(tok.canon + nxt.canon, tok.heard + nxt.heard))
                    changed = True
                    i += 2
                    continue
            joined.append(tok)
            i += 1
        for tok in joined:
            if tok.canon in layer.vocab_set or tok.canon.startswith("@") or len(tok.canon) < CORRECT_MIN_LEN:
                out.append(tok)
                continue
            key = (id(layer), tok.canon)
            if key in self._corrections:
                hit = self._corrections[key]
            else:
                hit = process.extractOne(tok.canon, layer.vocab, scorer=fuzz.ratio, score_cutoff=CORRECT_CUTOFF)
                if len(self._corrections) < CORRECTION_CACHE:
                    self._corrections[key] = hit
            if hit is None:
                out.append(tok)
                continue
            out.append(Token(hit[0], tok.heard))
            worst = min(worst, hit[1])
            changed = True
        return (out if changed else None), worst

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


def _corrected_score(similarity: float) -> float:
    return 0.8 + 0.15 * (similarity - CORRECT_CUTOFF) / (100.0 - CORRECT_CUTOFF)

