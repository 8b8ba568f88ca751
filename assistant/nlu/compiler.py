"""Templates into regexes and word sets: what every stage matches against, built once per ``IntentSet``.

A template's regex runs over an utterance's *line*: its canonical words, each followed by a space
(``fitting.line``). A partner's name is the token ``@p0``/``@p1``; a word the normaliser always
drops is left out; an optional or droppable word is optional.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import general as gen
from . import templates as tpl
from .loader import IntentSet
from .normalise import Normaliser, Token
from .slots import PartnerLookup

# Sampled per slot-free template for the fuzzy stage: more costs latency, adds no accuracy on dev (benchmark).
FUZZY_CAP_PER_TEMPLATE = 60


@dataclass(frozen=True)
class Pattern:
    intent: str
    regex: re.Pattern[str]


@dataclass
class CompiledIntent:
    """One intent's templates compiled: its regexes, its words, and sentences sampled from it."""

    patterns: list[Pattern]
    vocab: set[str]
    # (the sentence as the fuzzy stage compares it, intent, fixed slots) of each slot-free sample
    choices: list[tuple[str, str, dict[str, str]]]
    # per slot-free template without a partner, its samples as the classifier reads them (training.py)
    plain_samples: list[list[list[str]]] = field(default_factory=list)


class Compiler:
    def __init__(self, intents: IntentSet, partners: tuple[str, ...], norm: Normaliser) -> None:
        self.intents = intents
        self.partners = partners
        self.norm = norm
        self.partner_of = PartnerLookup(partners) if partners else None
        self._partner_words = tuple(p.lower() for p in partners)
        self.lists = dict(intents.lists)
        # <partners> (a name that fills no slot) and slot grammars as lists
        self.lists["partners"] = (
            tpl.Seq((tpl.Alt(tuple(tpl.Seq((tpl.Word(p.lower()),)) for p in partners)),))
            if partners
            else tpl.Seq((tpl.Slot(tpl.PARTNER),))
        )
        self.lists["any"] = tpl.Seq((tpl.Slot(tpl.ANY),))
        for name, seq in intents.slot_grammars.items():
            self.lists[f"slot:{name}"] = seq
        # politeness at either end is tolerated by every template (the utterance keeps it, so "okay your
        # turn" still fits a template that says "okay"): a template's regex is tried on the utterance with
        # and without its lead-ins and trailing politeness (Normaliser.windows), rather than each regex
        # spelling them out
        self.skippable = frozenset(norm.canon_word(w) for w in intents.rules.droppable | intents.rules.optional)
        self._list_word_memo: dict[str, set[str]] = {}
        # the slot grammars alone, for placing a grammar slot's words (general.Spans)
        self.grammar_rx = {
            name: re.compile(tpl.to_regex(seq, self.lists, self.slot_rx, lambda w: self.word_rx(w.text)))
            for name, seq in intents.slot_grammars.items()
        }

    # -- regexes ------------------------------------------------------------------

    def word_rx(self, word: str, droppable: bool = True) -> str:
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

    def slot_rx(self, name: str, n: int) -> str:
        if name == tpl.ANY:
            return r"(?:[^@\s]\S* )"
        if name == tpl.PARTNER:
            inner = "@p[0-9] " if self.partners else r"\S+ "
        elif name in tpl.FREE_SLOTS:
            inner = r"(?:\S+ )+?"
        else:
            inner = tpl.to_regex(
                self.intents.slot_grammars[name], self.lists, self.slot_rx, lambda w: self.word_rx(w.text)
            )
        return f"(?P<{name}__{n}>{inner})"

    def pattern(self, name: str, node: tpl.Node) -> Pattern:
        """A template's whole-utterance regex; its anchor words (first and last) are never droppable."""
        fixed = tpl.anchors(node, self.lists)

        def word_rx(w: tpl.Word) -> str:
            return self.word_rx(w.text, droppable=id(w) not in fixed)

        return Pattern(name, re.compile(tpl.to_regex(node, self.lists, self.slot_rx, word_rx)))

    # -- words --------------------------------------------------------------------

    def words_of(self, node: tpl.Node) -> set[str]:
        """The words of a template, its slot grammars' included."""
        out = self.plain_words(node)
        for n in tpl.walk(node):
            if isinstance(n, tpl.Slot) and n.name in self.intents.slot_grammars:
                out |= self.list_words(f"slot:{n.name}")
        return out

    def plain_words(self, node: tpl.Node) -> set[str]:
        """The words of a template outside its slot grammars."""
        out: set[str] = set()
        for n in tpl.walk(node):
            if isinstance(n, tpl.Word):
                out.update(self.norm.canon_word(n.text).split())
            elif isinstance(n, tpl.ListRef):
                out |= self.list_words(n.name)
        return out

    def list_words(self, name: str) -> set[str]:
        words = self._list_word_memo.get(name)
        if words is None:
            words = self._list_word_memo[name] = self.words_of(self.lists[name])
        return words

    def canon(self, word: str) -> list[str]:
        return self.norm.canon_word(word).split()

    # -- sentences made from templates --------------------------------------------

    def sentence_tokens(self, sentence: str) -> list[Token]:
        """A sentence made from the templates, read like an utterance (politeness taken off)."""
        return self.norm.strip(self.norm.tokens(sentence, self._names_in(sentence)))

    def _names_in(self, sentence: str) -> PartnerLookup | None:
        """The partner lookup for a sentence made from the templates: names there come from the
        profile, spelled exactly, so a sentence without one needs no (fuzzy) name lookup."""
        if self.partner_of is not None and any(p in sentence.lower() for p in self._partner_words):
            return self.partner_of
        return None

    def fuzzy_text(self, tokens: list[Token]) -> str:
        """Fuzzy matching ignores the short words recognisers drop: "start gratitude moment" is not a near miss."""
        return " ".join(t.canon for t in tokens if t.canon not in self.skippable)

    @staticmethod
    def gen_words(tokens: list[Token]) -> list[str]:
        """A sentence as the classifier sees it: canonical words, "@p" for a name, a mark for {text}."""
        out = []
        for tok in tokens:
            if tok.canon == "xxtextxx":
                out.append(gen.TEXT)
            elif tok.canon.startswith("@p") or tok.canon == "xxpartnerxx":
                out.append(gen.PARTNER_TOKEN)
            else:
                out.append(tok.canon)
        return out

    def compile_intent(self, name: str) -> CompiledIntent:
        intent = self.intents.intents[name]
        out = CompiledIntent([], set(), [])
        for order, template in enumerate(intent.templates):
            out.patterns.append(self.pattern(name, template.node))
            out.vocab.update(self.words_of(template.node))
            slots = set(tpl.slots_of(template.node))
            if slots - {tpl.PARTNER}:
                continue  # free or grammar slots: strict only (fuzzy cannot place their bounds)
            if slots and not self.partners:
                continue
            for i, partner in enumerate(self.partners if slots else ("",)):
                fixed = {tpl.PARTNER: partner} if slots else {}

                def slot_text(s: str, i: int = i) -> str | None:
                    return f"@p{i}" if s == tpl.PARTNER else None

                samples = []
                for sentence in tpl.sample(template.node, self.lists, slot_text, FUZZY_CAP_PER_TEMPLATE, seed=order):
                    tokens = self.sentence_tokens(sentence)
                    out.choices.append((self.fuzzy_text(tokens), name, fixed))
                    if not slots:
                        samples.append(self.gen_words(tokens))
                if not slots:
                    out.plain_samples.append(samples)
        return out
