"""The wake phrase ("hey tandem") and the barge-in word ("stop"), spotted cheaply.

``WakeSpotter`` works in two stages, both PocketSphinx with its embedded model:

1. **Keyphrase spotting** (``kws`` search) runs on every frame. Its threshold
   comes from ``wake_sensitivity`` (0 strict .. 1 eager): 1e-20 at 0, 1e-60 at
   0.5 (the default), 1e-100 at 1. It is tuned eager on purpose -- a missed wake is the worst
   experience, a false wake costs a few seconds of silence -- and a bare
   spotter also fires on near-misses ("tandem" alone, "a tandem bicycle").
2. **A second check**, 0.3 s later (an eager spotter fires before the phrase
   is over), re-decodes the spotted stretch of audio (from the recent-audio
   ring buffer, with 0.35 s lead-in) twice: with a grammar of the wake phrase
   alone, and with a flat grammar of its near-misses (the last word alone or
   after "a"/"the"/"and"; the first words + a look-alike: "hey fandom", "hey
   tan them", "hey handsome"; a few common words). The wake is accepted when
   the phrase's path score per frame leads the best near-miss's by
   ``required_lead`` (from the sensitivity). A flat list of alternatives decodes at
   ~1-3% of real time; looping "garbage" grammars (phone or word loops) were
   measured at 1.3-6x real time and are not used.

After a wake, ``preroll()`` hands back the audio that followed the keyphrase
(kept in a 4 s ring buffer; at least ``min_preroll_s`` = 0.5 s) so that "hey tandem start our gratitude
moment" said in one breath keeps its command.

``BargeInSpotter`` listens while Tandem speaks: an ``Endpointer`` cuts the
room's audio into short bursts and each burst under 2.5 s is decoded with a
small grammar of "stop" phrases against look-alikes.
"""

from __future__ import annotations

import logging
import math
from collections import deque
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from ..config import WAKE_DETECTORS
from ..errors import TandemError
from ..events import Wake
from .endpoint import EndpointSettings, Endpointer
from .frames import FRAME_BYTES, FRAME_S

log = logging.getLogger(__name__)

_SPHINX_FRAME_S = 0.01  # PocketSphinx segments count 10 ms feature frames

# Real words that sound like parts of a wake phrase; used only if the dictionary knows them.
NEAR_WORDS = ("hey there", "okay", "hello", "random", "handsome", "the", "and", "a", "hey",
              "hi there", "they", "bicycle", "then", "them")
# Words that stand in for the wake phrase's last word after its first words ("hey fandom"):
# measured false wakes came almost only from "hey" + a word that rhymes or shares its onset.
NEAR_LAST = ("fandom", "random", "handsome", "hand them", "tan them", "and them", "then", "them", "sandy",
             "candy", "tandy", "dan", "damn", "standing", "attend them", "ransom", "tan", "tannin")
# Words cmudict lacks, with the pronunciation the checker should know them by.
EXTRA_WORDS = {"fandom": "F AE N D AH M"}
# The second check compares the decoder's path score of the wake phrase with that of its best
# near-miss, per 10 ms frame. Measured on flite/festival voices: "hey tandem" scored +0.3..+0.7
# (x1e-3), near-misses -1.3..+0.9 (most below +0.3). Required lead for wake_sensitivity 0 and 1:
WAKE_LEAD_STRICT = 0.6e-3
WAKE_LEAD_EAGER = -0.1e-3


class WakePhraseError(TandemError):
    """The wake phrase cannot be spotted (a word unknown to the recogniser)."""


class Spotter(Protocol):
    """Spots one thing in a stream of 960-byte frames: the wake phrase, or "stop" while Tandem speaks."""

    def accept(self, frame: bytes) -> bool:
        """Feed one 960-byte frame; True when the thing was just heard."""
        ...

    def reset(self) -> None: ...


class WakeDetector(Spotter, Protocol):
    """A ``Spotter`` of the wake phrase (``WakeSpotter``, ``OwwWake``)."""

    phrase: str  # the wake phrase as it is spotted: lower-case words, "hey tandem"
    last_wake: Wake  # the wake ``accept`` last returned True for: its score, and whether it was quiet

    def preroll(self) -> bytes:
        """The audio heard after the phrase that just woke it, oldest first (a command said in the same
        breath); b"" when there is none."""
        ...


def _decoder(**options: Any) -> Any:
    import pocketsphinx

    return pocketsphinx.Decoder(loglevel="FATAL", **options)


def sensitivity_threshold(sensitivity: float) -> float:
    """The keyphrase threshold for a ``wake_sensitivity`` of 0 (strict) .. 1 (eager)."""
    s = min(1.0, max(0.0, sensitivity))
    return 10.0 ** -(20.0 + 80.0 * s)


def _words(phrase: str) -> list[str]:
    return [w for w in phrase.lower().replace(",", " ").split() if w]


def _decode(decoder: Any, pcm: bytes) -> str:
    decoder.start_utt()
    decoder.process_raw(pcm, False, True)
    decoder.end_utt()
    hyp = decoder.hyp()
    return hyp.hypstr if hyp is not None else ""


def required_lead(sensitivity: float) -> float:
    """How far the wake phrase must out-score its best near-miss (per 10 ms frame): an eager
    setting asks less (0.5 -> +0.25e-3)."""
    s = min(1.0, max(0.0, sensitivity))
    return WAKE_LEAD_STRICT + (WAKE_LEAD_EAGER - WAKE_LEAD_STRICT) * s


class NearMissCheck:
    """Decodes a stretch of audio twice -- with a grammar of the wake phrase alone and with a flat
    grammar of its near-misses -- and accepts the phrase when its path score per frame leads."""

    def __init__(self, phrase: str, sensitivity: float = 0.5) -> None:
        self.phrase = " ".join(_words(phrase))
        # silprob/fillprob let silence and noise fillers absorb the lead-in and tail around the phrase.
        self._checker = _decoder(lm=None, silprob=0.3, fillprob=1e-2)
        self.required_lead = required_lead(sensitivity)
        self.last_lead: float | None = None
        alts = self._alternatives(self._checker)
        self._checker.add_jsgf_string("wake", f"#JSGF V1.0;\ngrammar wake;\npublic <wake> = {self.phrase};\n")
        self._checker.add_jsgf_string("near", "#JSGF V1.0;\ngrammar near;\npublic <near> = " + " | ".join(alts) + ";\n")

    def _alternatives(self, decoder: Any) -> list[str]:
        words = self.phrase.split()
        alts: list[str] = []
        for i in range(1, len(words)):
            alts.append(" ".join(words[i:]))  # "tandem" alone
        for lead in ("a", "the", "and"):
            alts.append(f"{lead} {words[-1]}")  # "a tandem (bicycle)"
        for word, phones in EXTRA_WORDS.items():
            if decoder.lookup_word(word) is None:
                decoder.add_word(word, phones, False)
        known = lambda p: all(decoder.lookup_word(w) is not None for w in p.split())  # noqa: E731
        alts += [near for near in NEAR_WORDS if known(near)]
        head = " ".join(words[:-1])
        alts += [f"{head} {near}" for near in NEAR_LAST if known(near) and near != words[-1]]
        return [a for a in dict.fromkeys(alts) if a != self.phrase]

    def phrase_end(self, pcm: bytes) -> int | None:
        """Where (in 30 ms frames from the start of ``pcm``) the phrase ends if it out-scores its
        near-misses by ``required_lead``; -1 if it does but its end is unknown; None if it does not."""
        wake_score, segs = self._score("wake", pcm, want_segs=True)
        near_score, _ = self._score("near", pcm)
        if wake_score is None:
            self.last_lead = None
            return None
        n = max(1, len(pcm) // 320)
        self.last_lead = (wake_score - (near_score if near_score is not None else wake_score - 1)) / n
        if near_score is not None and self.last_lead < self.required_lead:
            return None
        last = self.phrase.split()[-1]
        for word, _s, e in segs:
            if word.split("(")[0] == last:
                return int(round((e + 1) * _SPHINX_FRAME_S / FRAME_S))
        return -1

    def _score(self, search: str, pcm: bytes, want_segs: bool = False) -> tuple[float | None, list[tuple[str, int, int]]]:
        self._checker.activate_search(search)
        self._checker.start_utt()
        self._checker.process_raw(pcm, False, True)
        self._checker.end_utt()
        hyp = self._checker.hyp()
        if hyp is None or not hyp.hypstr:
            return None, []
        segs = [(s.word, s.start_frame, s.end_frame) for s in self._checker.seg()] if want_segs else []
        return float(hyp.score), segs


class RecentCheck:
    """The near-miss check as a second stage after another detector: it keeps the last
    ``span_s`` of audio and checks it when asked."""

    def __init__(self, phrase: str, sensitivity: float = 0.5, span_s: float = 1.9) -> None:
        self.check = NearMissCheck(phrase, sensitivity)
        self._ring: deque[bytes] = deque(maxlen=int(span_s / FRAME_S))

    def observe(self, frame: bytes) -> None:
        self._ring.append(frame)

    def confirm(self) -> bool:
        return self.check.phrase_end(b"".join(self._ring)) is not None

    def reset(self) -> None:
        self._ring.clear()


class WakeSpotter:
    """Keyphrase spotting + a grammar re-check of the spotted audio. One thread owns it."""

    def __init__(self, phrase: str = "hey tandem", sensitivity: float = 0.5, *, verify: bool = True,
                 ring_s: float = 4.0, settle_s: float = 0.3,
                 min_preroll_s: float = 0.5, restart_s: float = 30.0) -> None:
        self.phrase = " ".join(_words(phrase))
        self.verify = verify
        self._kws = _decoder(lm=None, keyphrase=self.phrase, kws_threshold=sensitivity_threshold(sensitivity)) \
            if self._check_words(self.phrase) else None
        self._check = NearMissCheck(self.phrase, sensitivity) if verify else None
        self.required_lead = required_lead(sensitivity)
        self.last_check: float | None = None
        self._ring: deque[bytes] = deque(maxlen=int(ring_s / FRAME_S))
        self._frame_no = 0  # frames seen since construction
        self._utt_start = 0  # frame number where the current keyphrase utterance began
        self._restart_frames = int(restart_s / FRAME_S)
        self._wake_end = 0  # frame number just after the last accepted keyphrase
        self.last_wake = Wake()  # the spotter has no graded score: every wake it accepts chimes
        self.candidates = 0  # stage-1 hits (for the benchmark)
        self.rejected = 0  # stage-1 hits the second check turned down
        self._settle = int(settle_s / FRAME_S)
        self._pending: tuple[int, int, int] | None = None  # (start, end, check-at) frame numbers
        self._min_preroll = math.ceil(min_preroll_s / FRAME_S - 1e-9)
        self._kws.start_utt()

    kind = "pocketsphinx"
    model_name = "PocketSphinx keyphrase + near-miss grammar"

    @staticmethod
    def _check_words(phrase: str) -> bool:
        probe = _decoder()
        missing = [w for w in phrase.split() if probe.lookup_word(w) is None]
        if missing:
            raise WakePhraseError(f"the wake phrase word(s) {', '.join(missing)} are not in the speech dictionary; "
                                  "choose another wake phrase (tandem init --wake-phrase 'hey tandem')")
        if len(phrase.split()) < 2:
            raise WakePhraseError("the wake phrase needs at least two words (like 'hey tandem')")
        return True

    def reset(self) -> None:
        """Forget what was heard (after Tandem spoke, or after a wake)."""
        self._ring.clear()
        self._pending = None
        self._kws.end_utt()
        self._kws.start_utt()
        self._utt_start = self._frame_no

    def accept(self, frame: bytes) -> bool:
        if len(frame) != FRAME_BYTES:
            return False
        self._ring.append(frame)
        self._frame_no += 1
        self._kws.process_raw(frame, False, False)
        if self._kws.hyp() is None:
            if self._pending is not None:
                return self._check_pending()
            if self._frame_no - self._utt_start >= self._restart_frames:
                # Bound the decoder's memory; a phrase cut by this restart is heard again next time.
                self._kws.end_utt()
                self._kws.start_utt()
                self._utt_start = self._frame_no
            return False
        self.candidates += 1
        start, end = self._spotted_span()
        self._kws.end_utt()
        self._kws.start_utt()
        self._utt_start = self._frame_no
        if not self.verify:
            self._wake_end = end
            return True
        # An eager spotter often fires before the phrase is over: check once the
        # phrase has had time to finish (earlier candidates in this span are merged).
        if self._pending is None:
            self._pending = (start, end, self._frame_no + self._settle)
        return self._check_pending()

    def _check_pending(self) -> bool:
        if self._pending is None or self._frame_no < self._pending[2]:
            return False
        start, kws_end, _ = self._pending
        self._pending = None
        end = self._confirm(start)
        if end is None:
            self.rejected += 1
            return False
        # The earlier of the two alignments, and never less than ``min_preroll_s`` handed on:
        # a little of "tandem" in the command costs nothing (the matcher re-checks),
        # a lost "start" costs the command.
        self._wake_end = min(end, kws_end, self._frame_no - self._min_preroll)
        return True

    def _spotted_span(self) -> tuple[int, int]:
        """Frame numbers where the spotted keyphrase starts and ends (best guess if unknown)."""
        start = self._frame_no - int(1.5 / FRAME_S)
        end = self._frame_no
        try:
            segs = list(self._kws.seg())
            if segs:
                seg = segs[-1]
                start = self._utt_start + int(seg.start_frame * _SPHINX_FRAME_S / FRAME_S)
                end = self._utt_start + int(round((seg.end_frame + 1) * _SPHINX_FRAME_S / FRAME_S))
        except Exception:  # segment info is a nicety; the fallback window is fine
            pass
        return start, min(end, self._frame_no)

    def _confirm(self, start: int) -> int | None:
        """The frame number where the wake phrase ended if it out-scores its best near-miss
        by ``required_lead``, else None."""
        lead = int(0.35 / FRAME_S)  # a little lead-in: the decoder needs to see the phrase begin
        first = max(start - lead, self._frame_no - len(self._ring))
        pcm = b"".join(list(self._ring)[first - (self._frame_no - len(self._ring)):])
        end_frame = self._check.phrase_end(pcm)
        self.last_check = self._check.last_lead
        if end_frame is None:
            return None
        end = self._frame_no if end_frame < 0 else first + end_frame
        return min(end, self._frame_no)

    def preroll(self) -> bytes:
        """The audio heard after the last accepted wake phrase, oldest first.

        The ring buffer (``ring_s``) is the pre-roll: the keyphrase search reports
        the wake a little after the phrase ended, and whatever followed it (the start
        of a command said in one breath) is handed on instead of being lost.
        """
        ring = list(self._ring)
        after = min(max(self._frame_no - self._wake_end, 0), len(ring))
        return b"".join(ring[len(ring) - after:]) if after else b""


class BargeInSpotter:
    """While Tandem speaks: True when someone says "stop" (or "hey tandem stop")."""

    STOP_PHRASES = ("stop", "please stop", "stop please", "stop it", "okay stop")
    OTHERS = ("top", "shop", "step", "spot", "start", "yes", "no", "okay", "thank you", "hello", "so", "the",
              "and", "a", "what", "stay", "store", "stuff", "go", "oh", "hey", "tandem", "i", "you", "we")

    def __init__(self, wake_phrase: str = "hey tandem") -> None:
        self._decoder = _decoder(lm=None)
        known = lambda p: all(self._decoder.lookup_word(w) is not None for w in p.split())  # noqa: E731
        wake = " ".join(_words(wake_phrase))
        stops = list(self.STOP_PHRASES) + ([f"{wake} stop"] if known(wake) else [])
        alts = [p for p in self.OTHERS if known(p)] + ([wake] if known(wake) else [])
        body = " | ".join([*stops, *alts])
        self._decoder.add_jsgf_string("barge", f"#JSGF V1.0;\ngrammar barge;\npublic <barge> = {body};\n")
        self._decoder.activate_search("barge")
        self._endpoint = Endpointer(EndpointSettings(trailing_silence_s=0.3, min_utterance_s=0.3,
                                                     max_utterance_s=2.5, min_voiced_s=0.15))
        self._pre: deque[bytes] = deque(maxlen=int(0.3 / FRAME_S))
        self._burst: list[bytes] = []

    def reset(self) -> None:
        self._endpoint.reset()
        self._pre.clear()
        self._burst = []

    def accept(self, frame: bytes) -> bool:
        decision = self._endpoint.feed(frame)
        if decision == "start":
            self._burst = [*self._pre, frame]
            return False
        if self._endpoint.in_speech:
            self._burst.append(frame)
            return False
        if decision == "end":
            burst, self._burst = self._burst, []
            if self._endpoint.ended_by == "max":
                return False  # a long stretch is a sentence, not "stop"
            heard = _decode(self._decoder, b"".join(burst))
            return heard.split()[-1:] == ["stop"]
        self._pre.append(frame)
        if decision == "discard":
            self._burst = []
        return False



DETECTORS = WAKE_DETECTORS
# What "auto" means for a phrase with our own trained head: the README's tables decide. Through the loop
# (benchmarks/loop_bench.py, held-out voices, 2026-12-07) the head with quiet wakes missed 23% of calls against
# the spotter's 38%, answered about as many right (45% against 50%), and in 20 min of chatter made no sound where
# the spotter chimed 13 times and replied 41. The heads bundled with pyopen-wakeword are used for their phrases.
DEFAULT_DETECTOR = "openwakeword+quiet"


def how_heard(phrase: str, models: Sequence[Path] = ()) -> str:
    """One line for the couple: what listens for ``phrase`` when the detector is "auto"."""
    from .oww import BUILTIN_PHRASES, REPO_MODELS, model_path

    words = " ".join(_words(phrase))
    if words in BUILTIN_PHRASES:
        return f"\"{words}\" is heard by a well-trained head that comes with pyopen-wakeword."
    path = model_path(words, models)
    if path.exists():
        return f"\"{words}\" is heard by its own trained head ({path.name if path.parent == REPO_MODELS else path})."
    ready = ", ".join(f'"{p}"' for p in BUILTIN_PHRASES)
    return (f"\"{words}\" has no trained head yet: the keyword spotter listens, and wakes by mistake more often. "
            f"Train one with 'tandem wake train' (it says how long first), or pick a phrase with a ready head: {ready} "
            "or \"hey tandem\".")


def make_wake_detector(phrase: str, sensitivity: float = 0.5, kind: str = "auto",
                       models: Sequence[Path] = ()) -> WakeDetector:
    """The wake detector ``tandem run`` and ``tandem transcribe --mode wake`` use.

    ``auto`` is openWakeWord for a phrase with a head bundled in pyopen-wakeword ("hey jarvis", ...),
    ``DEFAULT_DETECTOR`` for one with our own head (in ``models``, the folders ``tandem wake train`` writes to,
    or the repository's), else the PocketSphinx spotter (with a log line).
    """
    from .oww import BUILTIN_PHRASES, OwwWake, WakeModelError, model_path

    words = " ".join(_words(phrase))
    if kind == "auto":
        if words in BUILTIN_PHRASES:
            kind = "openwakeword"
        elif model_path(words, models).exists():
            kind = DEFAULT_DETECTOR
        else:
            log.warning("no wake head for \"%s\" yet: the keyword spotter listens (train one: tandem wake train)", words)
            kind = "pocketsphinx"
    if kind == "pocketsphinx":
        return WakeSpotter(words, sensitivity)
    if kind not in DETECTORS:
        raise WakeModelError(f"unknown wake detector {kind!r}; use one of {', '.join(DETECTORS)}")
    verifier = RecentCheck(words, sensitivity) if kind == "openwakeword+check" else None
    path = model_path(words, models)
    detector = OwwWake(words, sensitivity, model=path if path.exists() else None, verifier=verifier,
                       quiet=kind == "openwakeword+quiet")
    if kind != "openwakeword":
        detector.kind = kind
    return detector
