"""The embedded PocketSphinx recogniser: its English model ships inside the pip wheel.

Command mode is a JSGF grammar built from the phrase list (alternatives of
word sequences) for short lists, and a trigram language model over the
phrases for long ones (the idle context, see lm.py), whose n-best list the
caller's matcher can re-score (``alternatives()``, or an ``understand``
callback); dictation is the default language model. PocketSphinx only
switches searches between utterances, so a switch asked for mid-utterance
waits for ``finish()``/``reset()``. Words the dictionary lacks (a partner's
unusual name) are left out of the grammar instead of failing the whole load.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import re
import tempfile
from collections.abc import Callable, Sequence
from typing import Any

from ..errors import TandemError
from .lm import ngram_arpa
from .recognizers import Recognition

log = logging.getLogger(__name__)

_DICTATION = "_default"

# Tuned on the synthetic benchmark (benchmarks/speech_bench.py) and checked on
# held-out voices (flite kal 8 kHz, espeak-ng) it was not tuned on:
# - silprob/fillprob: let silence and noise fillers absorb the room between
#   and after words. Command success at 20 dB SNR 90% -> 99% (tuned set) and
#   79% -> 86% (held-out), with no loss on clean speech. Without them a noisy
#   tail often kept the grammar from reaching its end: "start our gratitude".
# - fwdflat off, maxhmmpf 8000: dictation CPU real-time factor 0.47 -> 0.27
#   with no loss of accuracy (the second pass did not pay for itself).
# Command mode (a phrase-list LM), measured on a held-out split (tuned on flite kal16/slt/rms and
# half of the idle intents; reported on flite awb + festival kal_diphone and the other intents):
# - a trigram over the phrases (lm.ngram_arpa, discount 0.3) instead of a bigram keeps command
#   cores together: fewer "what should go over our promises" collages;
# - wider beams for the command search only (beam 1e-60, wbeam 1e-50: the small LM is cheap to
#   search, RTF 0.05 -> 0.07; dictation keeps the defaults);
# - n-best re-scoring: when the best hypothesis is not understood, the first of the next
#   NBEST that the ``understand`` callback accepts (see SphinxRecognizer.__init__).
COMMAND_LM_ORDER = 3
COMMAND_LM_DISCOUNT = 0.3
COMMAND_SEARCH_OPTIONS: dict[str, Any] = {"beam": 1e-60, "wbeam": 1e-50}
NBEST = 40
JSGF_MAX_PHRASES = 300  # above this a phrase list becomes a bigram LM (see set_grammar)
# Command searches kept built, least recently used dropped first (``_remember``). Some phrase lists are
# made per utterance: the second pass hears a reminder's schedule with the trigger words just heard
# followed by ~600 hint phrases (second_pass._hinted_words), and each distinct list cost ~1.4 MB and a
# search that was never freed. An LRU bounds that without changing what is heard: a search is a pure
# function of its phrases (the same ARPA or JSGF, the same name), so a list dropped and asked for again is
# rebuilt exactly as before (~35 ms), where a hint model keyed on the intent alone would have to leave the
# trigger words out and hear differently. 16 is twice what the ears warm up (a grammar and a control list
# per context): those stay built unless eight other lists were used since.
COMMAND_SEARCHES_KEPT = 16
# the search PocketSphinx 5 builds from its default LM
DEFAULT_OPTIONS: dict[str, Any] = {"silprob": 0.3, "fillprob": 1e-2, "fwdflat": False, "maxhmmpf": 8000}
_TOKEN = re.compile(r"[^a-z0-9']+")
_CLITIC = re.compile(r"\s+'(?=[a-z])")  # the matcher spells "we'd" as "we 'd": glue it back


class SphinxGrammarError(TandemError):
    """No phrase of a grammar can be spoken with the dictionary."""


def build_jsgf(phrases: Sequence[str], known: Any = None, name: str = "commands") -> str:
    """A JSGF grammar whose sentences are ``phrases``; words ``known(word)`` rejects are dropped."""
    if isinstance(phrases, (str, bytes)) or not isinstance(phrases, Sequence):
        raise SphinxGrammarError(f"a grammar must be a list of phrases, not {type(phrases).__name__}")
    alternatives: list[str] = []
    missing: set[str] = set()
    for phrase in phrases:
        if not isinstance(phrase, str):
            raise SphinxGrammarError(f"a grammar phrase must be text, not {type(phrase).__name__}: {phrase!r}")
        words = [w.strip("'") for w in _TOKEN.sub(" ", _CLITIC.sub("'", phrase.lower())).split()]
        kept = []
        for word in words:
            if not word or word == "unk":
                continue
            if known is not None and not known(word):
                missing.add(word)
                continue
            kept.append(word)
        sentence = " ".join(kept)
        if sentence and sentence not in alternatives:
            alternatives.append(sentence)
    if missing:
        log.info("grammar: words not in the PocketSphinx dictionary were dropped: %s", sorted(missing)[:10])
    if not alternatives:
        raise SphinxGrammarError("none of the grammar phrases has words the PocketSphinx dictionary knows; check the "
                                 "intents")
    body = " | ".join(alternatives)
    return f"#JSGF V1.0;\ngrammar {name};\npublic <{name}> = {body};\n"


_JSGF_PART = re.compile(r"(?P<head>(?:public\s+)?<[^>]+>\s*=)|(?P<ref><[^>]+>)|(?P<word>[A-Za-z0-9'][\w'-]*)")
_JSGF_HEADER = re.compile(r"^\s*#JSGF[^;]*;\s*grammar\s+[\w.]+\s*;", re.S)


def _jsgf_words(jsgf: str) -> list[str]:
    """The words a JSGF grammar says (rule names and keywords left out)."""
    header = _JSGF_HEADER.match(jsgf)
    body = jsgf[header.end():] if header else jsgf
    return [m.group("word").lower() for m in _JSGF_PART.finditer(body)
            if m.group("word") and m.group("word") not in ("public", "NULL", "VOID")]


def phrase_bigram_arpa(sentences: Sequence[Sequence[str]], discount: float = 0.5) -> str:
    """An ARPA bigram language model of ``sentences`` (absolute discounting, backoff to unigrams).

    What Vosk does with a phrase list, for PocketSphinx: a large phrase list as
    an FSG made it pick confusable phrases and a nested JSGF decoded far slower
    than real time, while a bigram over the command words is small, fast and
    lets the matcher judge near-misses.
    """
    unigrams: dict[str, int] = {}
    bigrams: dict[tuple[str, str], int] = {}
    for sentence in sentences:
        tokens = ["<s>", *sentence, "</s>"]
        for a, b in zip(tokens, tokens[1:]):
            bigrams[(a, b)] = bigrams.get((a, b), 0) + 1
        for t in tokens:
            unigrams[t] = unigrams.get(t, 0) + 1
    total = sum(c for w, c in unigrams.items() if w != "<s>")
    p1 = {w: (c / total if w != "<s>" else 0.0) for w, c in unigrams.items()}
    followers: dict[str, list[tuple[str, int]]] = {}
    for (a, b), c in bigrams.items():
        followers.setdefault(a, []).append((b, c))
    context_count = {a: sum(c for _, c in fs) for a, fs in followers.items()}
    lines2: list[str] = []
    backoff: dict[str, float] = {}
    for a, fs in followers.items():
        n = context_count[a]
        left = discount * len(fs) / n
        rest = max(1e-9, 1.0 - sum(p1[b] for b, _ in fs))
        backoff[a] = left / rest
        for b, c in fs:
            lines2.append(f"{math.log10((c - discount) / n if c > discount else c / (2 * n)):.5f} {a} {b}")
    lines1 = []
    for w in unigrams:
        prob = -99.0 if w == "<s>" else math.log10(p1[w])
        bow = f" {math.log10(backoff[w]):.5f}" if w in backoff else ""
        lines1.append(f"{prob:.5f} {w}{bow}")
    return "\n".join(["", "\\data\\", f"ngram 1={len(lines1)}", f"ngram 2={len(lines2)}", "", "\\1-grams:", *lines1,
                      "", "\\2-grams:", *lines2, "", "\\end\\", ""])


def _known_sentences(phrases: Sequence[str], known: Any) -> list[list[str]]:
    if isinstance(phrases, (str, bytes)) or not isinstance(phrases, Sequence):
        raise SphinxGrammarError(f"a grammar must be a list of phrases, not {type(phrases).__name__}")
    out: list[list[str]] = []
    for phrase in phrases:
        if not isinstance(phrase, str):
            raise SphinxGrammarError(f"a grammar phrase must be text, not {type(phrase).__name__}: {phrase!r}")
        words = [w.strip("'") for w in _TOKEN.sub(" ", _CLITIC.sub("'", phrase.lower())).split()]
        kept = [w for w in words if w and w != "unk" and (known is None or known(w))]
        if kept and kept not in out:
            out.append(kept)
    if not out:
        raise SphinxGrammarError("none of the grammar phrases has words the PocketSphinx dictionary knows; check the "
                                 "intents")
    return out


class SphinxRecognizer:
    name = "pocketsphinx"

    def __init__(self, understand: Callable[[str], bool] | None = None, **decoder_options: Any) -> None:
        """``understand(text)``, optional: whether the caller's intent matcher accepts ``text``.

        Given, ``finish()`` in command mode returns the first of the n-best
        hypotheses it accepts when the best one is not understood (a
        near-miss the matcher would reject: "what should we do on a bit").
        Without it the result is the best hypothesis, and ``alternatives()``
        lets the caller do the same re-scoring itself.
        """
        from pocketsphinx import Decoder

        # loglevel ERROR: its INFO chatter would otherwise fill the terminal and the logs.
        self._options = {**DEFAULT_OPTIONS, **decoder_options}
        self._decoder = Decoder(loglevel="ERROR", **self._options)  # dictation: the whole dictionary
        self._commands: Any = None  # command searches: a decoder whose dictionary holds only their words
        self._searches: set[str] = set()
        self._known: dict[str, bool] = {}  # word -> in the dictation dictionary (knows)
        self._command_words: set[str] = set()  # words in the command decoder's dictionary
        self._activated: str | None = None  # the command decoder's (its current_search() crashes before one is)
        self._built: dict[tuple[str, ...], tuple[str, tuple[str, ...]]] = {}  # phrase list → (search, grammar key)
        self._search = _DICTATION
        self._pending: str | None = None
        self._in_utterance = False
        self._grammar: tuple[str, ...] | None = None
        self._pending_grammar: tuple[str, ...] | None = None
        self._understand = understand
        self._nbest_ready = False  # the last utterance was command mode and no new one has started

    @property
    def decoder(self) -> Any:
        """The dictation decoder (the whole dictionary)."""
        return self._decoder

    def _command_decoder(self, words: Sequence[str]) -> Any:
        """The decoder for command searches, with ``words`` added to its dictionary first.

        A language model or grammar search set up on the whole 130,000-word
        dictionary took 0.5-8 s (longer the *fewer* words the model has: the
        yes/no model 3-4 s) and ~16 MB, holding the GIL all along, so the
        microphone's frames were lost meanwhile; on a dictionary of just its
        words it takes milliseconds. The price is a second copy of the acoustic model.
        """
        if self._commands is None:
            from pocketsphinx import Decoder

            with tempfile.NamedTemporaryFile("w", suffix=".dict", delete=False) as f:
                f.write(f"a {self._decoder.lookup_word('a')}\n")  # a dictionary may not be empty
            try:
                self._commands = Decoder(loglevel="ERROR", dict=f.name, lm=None, **self._options)
            finally:
                os.unlink(f.name)
            self._command_words.add("a")
        missing: list[tuple[str, str]] = []
        for word in dict.fromkeys(words):
            if word in self._command_words or not self.knows(word):
                continue
            self._command_words.add(word)
            missing.append((word, self._decoder.lookup_word(word)))
            for n in range(2, 10):  # its other pronunciations, as the dictionary spells them: "the(2)"
                phones = self._decoder.lookup_word(f"{word}({n})")
                if phones is None:
                    break
                missing.append((f"{word}({n})", phones))
        for i, (word, phones) in enumerate(missing):
            # update only with the last one: each update rebuilds the triphone tables
            self._commands.add_word(word, phones, i == len(missing) - 1)
        return self._commands

    def _for(self, search: str) -> Any:
        return self._decoder if search == _DICTATION else self._commands

    @property
    def grammar(self) -> tuple[str, ...] | None:
        return self._grammar

    def knows(self, word: str) -> bool:
        # Memoised: PocketSphinx 5.1.1's lookup_word leaks the pronunciation it returns (~32 bytes a call,
        # measured), and every grammar built asks about each word of each phrase (~5,000 for a hint list).
        known = self._known.get(word)
        if known is None:
            known = self._known[word] = self._decoder.lookup_word(word) is not None
        return known

    # -- Recognizer -------------------------------------------------------

    def set_grammar(self, phrases: Sequence[str] | None) -> None:
        """Dictation (None), an exact JSGF phrase list (short lists), or a phrase bigram (long lists).

        Measured on the idle context (2,500 phrases from the matcher): as an
        FSG it picked confusable phrases ("start the private mode" for "start
        our gratitude moment"); as a bigram it got 20/25 flite utterances right at RTF 0.04.
        """
        cache_key = tuple(phrases) if isinstance(phrases, (list, tuple)) else None
        if cache_key is not None and cache_key in self._built:
            built = self._built.pop(cache_key)  # most recently used last
            self._built[cache_key] = built
            self._use(*built)  # states switch often; building the idle LM takes ~0.5 s
            return
        if phrases is not None and not isinstance(phrases, (str, bytes)) and isinstance(phrases, Sequence) \
                and len(phrases) > JSGF_MAX_PHRASES:
            self.set_phrase_lm(phrases)
            return
        if phrases is None:
            search, key = _DICTATION, None
        else:
            jsgf_body = build_jsgf(phrases, self.knows)
            search = "g_" + hashlib.sha1(jsgf_body.encode()).hexdigest()[:12]
            if search not in self._searches:
                self._command_decoder(_jsgf_words(jsgf_body)).add_jsgf_string(search, jsgf_body)
                self._searches.add(search)
            key = tuple(phrases)
            self._remember(key, search, key)
        self._use(search, key)

    def _use(self, search: str, key: tuple[str, ...] | None) -> None:
        if self._in_utterance:
            self._pending, self._pending_grammar = search, key
        else:
            self._search, self._grammar = search, key

    def set_phrase_lm(self, phrases: Sequence[str]) -> None:
        """Command mode as a trigram LM over ``phrases`` (see ``lm.ngram_arpa``); for long lists."""
        sentences = _known_sentences(phrases, self.knows)
        arpa = ngram_arpa(sentences, COMMAND_LM_ORDER, COMMAND_LM_DISCOUNT)
        search = "l_" + hashlib.sha1(arpa.encode()).hexdigest()[:12]
        if search not in self._searches:
            with tempfile.NamedTemporaryFile("w", suffix=".arpa", delete=False) as f:
                f.write(arpa)
            decoder = self._command_decoder([w for sentence in sentences for w in sentence])
            config = decoder.config
            # A search reads its beams from the config when it is created: widen them for this
            # small LM only, then put the other values back.
            saved = {k: config[k] for k in COMMAND_SEARCH_OPTIONS}
            try:
                for k, v in COMMAND_SEARCH_OPTIONS.items():
                    config[k] = v
                decoder.add_lm_file(search, f.name)
            finally:
                for k, v in saved.items():
                    config[k] = v
                os.unlink(f.name)
            self._searches.add(search)
        key = tuple(" ".join(s) for s in sentences)
        if isinstance(phrases, (list, tuple)):
            self._remember(tuple(phrases), search, key)
        self._use(search, key)

    def _remember(self, phrases: tuple[str, ...], search: str, key: tuple[str, ...]) -> None:
        """Keep ``phrases``' search built, and drop the least recently used beyond COMMAND_SEARCHES_KEPT."""
        self._built.pop(phrases, None)
        self._built[phrases] = (search, key)
        excess = len(self._built) - COMMAND_SEARCHES_KEPT
        if excess <= 0:
            return
        # never the search in use, pending, or holding the lattice alternatives() reads
        busy = {search, self._search, self._pending, self._activated}
        for old in [p for p, (s, _) in self._built.items() if s not in busy][:excess]:
            dropped, _ = self._built.pop(old)
            if all(s != dropped for s, _ in self._built.values()):  # two lists can share one search
                self._commands.remove_search(dropped)
                self._searches.discard(dropped)

    def set_keyphrase(self, phrase: str, threshold: float = 1e-20) -> None:
        """Keyword spotting (wake mode): the result is the phrase when heard, else "".

        An extra mode beyond the Protocol, for ``tandem transcribe --mode wake``
        and the wake spotter; its threshold trades misses for false wakes.
        """
        words = [w for w in _TOKEN.sub(" ", _CLITIC.sub("'", phrase.lower())).split() if w]
        unknown = [w for w in words if not self.knows(w)]
        if not words or unknown:
            raise SphinxGrammarError(f"the wake phrase {phrase!r} has words PocketSphinx does not know "
                                     f"({', '.join(unknown) or 'none given'}); choose another with 'tandem init "
                                     "--force --wake-phrase ...'")
        line = f"{' '.join(words)} /{threshold:g}/\n"
        search = "k_" + hashlib.sha1(line.encode()).hexdigest()[:12]
        if search not in self._searches:
            # add_kws only reads a file: a private temporary one, removed at once.
            with tempfile.NamedTemporaryFile("w", suffix=".kws", delete=False) as f:
                f.write(line)
            try:
                self._command_decoder(words).add_kws(search, f.name)
            finally:
                os.unlink(f.name)
            self._searches.add(search)
        self._use(search, ("<kws>", " ".join(words)))

    def accept(self, frame: bytes) -> None:
        decoder = self._for(self._search)
        if not self._in_utterance:
            decoder.activate_search(self._search)
            if decoder is self._commands:
                self._activated = self._search
            decoder.start_utt()
            self._in_utterance = True
            self._nbest_ready = False
        decoder.process_raw(bytes(frame), False, False)

    def partial(self) -> str:
        if not self._in_utterance:
            return ""
        hyp = self._for(self._search).hyp()
        return hyp.hypstr.strip() if hyp is not None else ""

    def finish(self) -> Recognition:
        if not self._in_utterance:
            return Recognition(text="", confidence=None, engine=self.name)
        decoder = self._for(self._search)
        decoder.end_utt()
        hyp = decoder.hyp()
        text = hyp.hypstr.strip() if hyp is not None else ""
        self._nbest_ready = self._search.startswith(("l_", "g_"))  # command mode: a lattice to re-score
        self._end_utterance()
        if self._understand is not None and self._nbest_ready and text and not self._understand(text):
            text = next((alt for alt in self.alternatives() if self._understand(alt)), text)
        # PocketSphinx's posterior is not calibrated (0.006 for a right answer): report none.
        return Recognition(text=text, confidence=None, engine=self.name)

    def alternatives(self, n: int = NBEST) -> list[str]:
        """The n-best hypotheses (lattice order; the first may differ from ``finish()``) of the utterance just ended.

        Command mode only, an extra beyond the Protocol: valid until the next ``accept()``; [] in
        dictation and wake mode or when there is no lattice.
        """
        if not self._nbest_ready or self._in_utterance:
            return []
        out: list[str] = []
        try:
            for hyp in self._commands.nbest():
                text = hyp.hypstr.strip()
                if text and text not in out:
                    out.append(text)
                if len(out) >= n:
                    break
        except (RuntimeError, AttributeError):  # no lattice (e.g. nothing was heard)
            return out
        return out

    def reset(self) -> None:
        if self._in_utterance:
            self._for(self._search).end_utt()
        self._nbest_ready = False
        self._end_utterance()

    def _end_utterance(self) -> None:
        self._in_utterance = False
        if self._pending is not None:
            self._search, self._grammar = self._pending, self._pending_grammar
            self._pending = None
