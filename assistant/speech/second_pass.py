"""Second passes: an utterance's audio decoded again when the first decode leaves doubt.

The ears (``ears.AudioListener``) decode an utterance once, with the context's grammar or as dictation,
and ask the matcher what it means. When that reading is doubtful the same audio is read again, each way
for one known failure of the first decode:

* a command the grammar only guessed at: a better n-best hypothesis (``pipeline.best_hypothesis``);
* a short utterance nobody understood: the context's short control phrases (``_control_check``);
* a command with free words: those words dictated, or heard with their own hint grammar (``_free_words``);
* an answer to a question: the idle commands, in case one was said instead (``answer_or_command``).

One thread owns the recogniser (the caller of ``listen``); so does this.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import replace
from typing import Protocol

from rapidfuzz import fuzz

from ..conversation import COMMAND, DICTATION, IDLE, NO, YES, ParseFn, Utterance, settle
from ..nlu.bands import SURE_SCORE
from ..nlu.match import Parse
from ..nlu.pipeline import best_hypothesis
from .endpoint import FRAME_S
from .freewords import splice, trigger
from .recognizers import CuesIfSlow, Recognizer
from .wake import WakeDetector

FREE_SLOT = "text"  # the slot of free words (a promise's "call the plumber"): see _free_words
# A dictated utterance this short (3 s of audio) may be a control phrase said in a turn.
CONTROL_MAX_FRAMES = int(3.0 / FRAME_S)
# How alike the free and the grammar decodes must be (rapidfuzz ratio, 0-100) for the grammar's to count.
CONTROL_MIN_SIMILARITY = 60
CONTROL_MAX_WORDS = 3  # "i'm done", "more time please", "let's stop"
CONTROL_GRAMMAR_CAP = 150  # shortest first; doubled by the wake-prefixed forms
WAKE_CHECK_TAIL_S = 0.6  # silence after a short utterance so the wake spotter's delayed second check runs
# A yes/no the question's grammar forced onto speech that dictation hears as other words ("i did it" for
# "what promises are still open") fits only loosely: it gets this score, below SURE_SCORE, and is asked again.
LOOSE_ANSWER_SCORE = 0.6

PhrasesFn = Callable[[str, bool, bool], Sequence[str]]  # (context, in_exercise, can_resume) -> phrases


class TextHint(Protocol):
    """What an intent's free words usually sound like (``nlu.hints``): phrases to hear them with first."""

    phrases: tuple[str, ...]

    def fits(self, words: str) -> bool: ...


def unstutter(text: str) -> str:
    """``text`` with words said twice in a row said once: dictation stutters on short phrases
    ("that said that said" for "that's it")."""
    words = text.split()
    for n in (3, 2, 1):
        i = 0
        while i + 2 * n <= len(words):
            if words[i:i + n] == words[i + n:i + 2 * n]:
                del words[i + n:i + 2 * n]
            else:
                i += 1
    return " ".join(words)


class SecondPass:
    """Reads an utterance's audio again with the ears' recogniser, wake spotter and parse function."""

    def __init__(self, recognizer: Recognizer, wake: WakeDetector, parse: ParseFn, phrases: PhrasesFn,
                 text_hints: Mapping[str, TextHint] | None = None) -> None:
        self.recognizer = recognizer
        self.wake = wake
        self.parse = parse
        self.phrases = phrases
        self.text_hints = dict(text_hints or {})

    def reread(self, text: str, context: str, mode: str, in_exercise: bool, can_resume: bool,
               audio: Sequence[bytes]) -> tuple[str, Parse]:
        """The first decode ``text`` as the matcher reads it, after the second passes its doubts call for."""
        # Grammar-mode recognisers return confident false positives: the matcher has the last word.
        parsed = self.parse(text, context, in_exercise, can_resume)
        if mode == COMMAND and (parsed.intent is None or parsed.score < SURE_SCORE):
            text, parsed = self._rescored(text, parsed, context, in_exercise, can_resume)
        if parsed.intent is None and 0 < len(audio) < CONTROL_MAX_FRAMES:
            # short and not understood, in either mode: "that said" for "that's it"
            text, parsed = self._control_check(audio, text, parsed, context, in_exercise, can_resume)
        if mode == COMMAND and audio and FREE_SLOT in parsed.slots:
            text, parsed = self._free_words(audio, text, parsed, context, in_exercise, can_resume)
        return text, parsed

    def answer_or_command(self, answer: Utterance, mode: str, audio: Sequence[bytes], can_resume: bool) -> Utterance:
        """An answer to a question, or an idle command said instead: the same audio decoded again.

        The question's grammar forces any speech onto one of its phrases, so a
        command said to "shall we start?" comes out as a yes ("i did it"). The
        audio is decoded again with the idle grammar; when both readings are
        sure, also as free dictation, which is bound to no phrase list (and is
        several times slower, so only then): whichever grammar's words dictation
        heard more nearly is what was said, and a yes/no that dictation does not
        bear out is only a loose fit (asked again, never acted on).
        """
        dictated = answer.text if mode == DICTATION else ""
        command = self._command_reading(answer, dictated or self._decode(audio, self.grammar(IDLE)), can_resume,
                                        () if dictated else audio)
        if mode == DICTATION:
            if command is None or command.text == dictated:
                return settle(answer, command)
            # the idle grammar's words count only when dictation heard much the same
            alike = fuzz.ratio(command.text, unstutter(dictated.lower())) >= CONTROL_MIN_SIMILARITY
            return settle(answer, command if alike else None)
        if command is None or command.score < SURE_SCORE or answer.intent is None or answer.score < SURE_SCORE:
            return settle(answer, command)  # no conflict: dictation (several times slower) is not needed
        if command.text == answer.text:
            # Two grammars heard the same words ("no"), so they were said, and words the question's own phrases
            # hold are its answer: dictation cannot arbitrate between identical words, and its guess at one short
            # word ("gnaw") must not demote a plain "no" into the idle "cancel".
            return settle(answer, None)
        dictated = unstutter(self._decode(audio, None).lower())
        if not dictated:
            return settle(answer, command)
        said_answer = fuzz.ratio(answer.text.lower(), dictated)
        if answer.intent in (YES, NO) and said_answer < CONTROL_MIN_SIMILARITY \
                and self._confirms(dictated, answer) is None:
            answer = replace(answer, score=min(answer.score, LOOSE_ANSWER_SCORE))
        if command is not None and answer.intent is not None and fuzz.ratio(command.text, dictated) > said_answer:
            answer = replace(answer, intent=None, slots={}, score=0.0)
        return settle(answer, command)

    def borne_out(self, heard: Utterance, audio: Sequence[bytes], in_exercise: bool, can_resume: bool) -> Utterance:
        """A command heard after a quiet wake, kept only when the matcher is sure of it and free dictation of the
        same audio reads the same request from its own words, surely too; otherwise the words with no intent
        (nothing a quiet wake would act on, so nothing the event stream reports as a request).

        The command grammar forces any speech onto one of its phrases, and a phrase the grammar chose is a
        template the matcher is sure of: after a borderline wake in the virtual home's chatter test, a line
        of chatter came out as a request for a new experience and started that exercise. Dictation is bound
        to no phrase list, so chatter stays chatter there.
        """
        nothing = replace(heard, intent=None, slots={}, score=0.0)
        if heard.intent is None or heard.score < SURE_SCORE or not audio:
            return heard if heard.intent is None else nothing
        dictated = unstutter(self._decode(audio, None).lower())
        # Words alike are not enough (both decodes hear the same sounds); the classifier reads some request into
        # almost any sentence: only a template's reading of the dictated words is a second opinion.
        read = self.parse(dictated, heard.context, in_exercise, can_resume) if dictated else None
        return heard if read is not None and read.intent == heard.intent and read.score >= SURE_SCORE else nothing

    def grammar(self, context: str) -> list[str]:
        """The recogniser's phrases for ``context``: its widest layer, whatever the flags.

        The matcher applies the real layering (stop/pause only inside an
        exercise, resume only while something is paused) to what was heard;
        one grammar per context keeps the number of language models, their
        build time and their memory at four.
        """
        return list(self.phrases(context, True, True))

    def control_phrases(self, context: str) -> list[str]:
        """The context's short phrases, bare and after the wake phrase: a small exact grammar.

        Small on purpose: an exact list of a few hundred phrases decodes the
        short commands reliably, where the context's full trigram does not.
        """
        short = sorted({p for p in self.grammar(context) if len(p.split()) <= CONTROL_MAX_WORDS},
                       key=lambda p: (len(p), p))[:CONTROL_GRAMMAR_CAP]
        wake = self.wake.phrase
        return short + ([f"{wake} {p}" for p in short] if wake else [])

    def _command_reading(self, answer: Utterance, text: str, can_resume: bool,
                         audio: Sequence[bytes] = ()) -> Utterance | None:
        """``text`` read as an idle command; None when it is none. With ``audio``, a lead-in the grammar
        garbled ("they tandem what promises ...") is read as the wake phrase when it sounds like it, or the
        spotter hears the wake phrase there."""
        if not text:
            return None
        parsed = self.parse(text, IDLE, False, can_resume)
        wake = self.wake.phrase
        lead = len(wake.split())
        heard_lead = " ".join(text.split()[:lead])
        if parsed.score < SURE_SCORE and audio and wake and len(text.split()) > lead \
                and heard_lead != wake and (fuzz.ratio(heard_lead, wake) >= CONTROL_MIN_SIMILARITY
                                            or self._starts_with_wake(audio)):
            again = " ".join([wake, *text.split()[lead:]])
            reparsed = self.parse(again, IDLE, False, can_resume)
            if reparsed.intent is not None:
                text, parsed = again, reparsed
        if parsed.intent is None:
            return None
        return Utterance.of(text, parsed, IDLE, ended_by=answer.ended_by, duration_s=answer.duration_s)

    def _confirms(self, dictated: str, answer: Utterance) -> str | None:
        """The same yes/no read from the dictated words, if they say it."""
        intent = self.parse(dictated, answer.context, False, False).intent
        return intent if intent == answer.intent else None

    def _decode(self, audio: Sequence[bytes], phrases: Sequence[str] | None) -> str:
        """``audio`` decoded again, with ``phrases`` as the grammar or as dictation (None)."""
        if not audio:
            return ""
        self.recognizer.set_grammar(phrases)
        try:
            for frame in audio:
                self.recognizer.accept(frame)
            return self.recognizer.finish().text.strip()
        except Exception:
            self.recognizer.reset()
            raise

    def _rescored(self, text: str, parsed: Parse, context: str, in_exercise: bool,
                  can_resume: bool) -> tuple[str, Parse]:
        """A better n-best hypothesis, when the best one was rejected or only guessed at
        (pipeline.best_hypothesis). Engines without an n-best list (Vosk) offer none: nothing changes."""
        return best_hypothesis(text, parsed, self.recognizer.alternatives(),
                               lambda alt: self.parse(alt, context, in_exercise, can_resume))

    def _control_check(self, audio: Sequence[bytes], text: str, parsed: Parse, context: str, in_exercise: bool,
                       can_resume: bool) -> tuple[str, Parse]:
        """A short utterance nobody understood, decoded again against the context's short phrases.

        Free dictation mangles short commands ("hey tandem stop" -> "hey tim tim
        stop"), and the command model lets a stray lone word through.
        A small exact grammar forces *any* audio onto some short phrase, so its
        result counts only when the first decode heard much the same words:
        "i love you" never becomes "i'm done".
        """
        self.recognizer.set_grammar(self.control_phrases(context))
        try:
            for frame in audio:
                self.recognizer.accept(frame)
            command = self.recognizer.finish().text.strip()
        finally:
            self.recognizer.set_grammar(None)
        if not command:
            return text, parsed
        wake = self.wake.phrase
        # Said after the wake phrase, it is meant for Tandem whatever dictation made of it
        # ("hey tim dumbstruck"): the wake detector decides that.
        addressed = bool(wake) and command.startswith(wake + " ") and self._starts_with_wake(audio)
        if not addressed and fuzz.ratio(command, unstutter(text.lower())) < CONTROL_MIN_SIMILARITY:
            return text, parsed
        candidate = self.parse(command, context, in_exercise, can_resume)
        if candidate.intent is None:
            return text, parsed
        return command, candidate

    def _free_words(self, audio: Sequence[bytes], text: str, parsed: Parse, context: str, in_exercise: bool,
                    can_resume: bool) -> tuple[str, Parse]:
        """A command with free words decoded again as dictation, and the two joined (see ``freewords``).

        The joined sentence (or the dictation alone) replaces the command decode
        only when the matcher reads it as the same request with the same partner.
        """
        hinted = self._hinted_words(audio, text, parsed, context, in_exercise, can_resume)
        if hinted is not None:
            return hinted
        self.recognizer.set_grammar(None)
        # An optional capability (Whisper): "one moment" if the read-back keeps the couple waiting.
        cue = self.recognizer.cue_if_slow() if isinstance(self.recognizer, CuesIfSlow) else nullcontext()
        try:
            for frame in audio:
                self.recognizer.accept(frame)
            with cue:
                dictated = self.recognizer.finish().text.strip()
        except Exception:
            self.recognizer.reset()
            raise
        if not dictated:
            return text, parsed
        slots = parsed.slots
        for candidate_text in dict.fromkeys((splice(text, slots.get(FREE_SLOT, ""), dictated), dictated)):
            candidate = self.parse(candidate_text, context, in_exercise, can_resume)
            if candidate.intent == parsed.intent and FREE_SLOT in candidate.slots \
                    and candidate.slots.get("partner") == slots.get("partner"):
                return candidate_text, candidate
        return text, parsed

    def _hinted_words(self, audio: Sequence[bytes], text: str, parsed: Parse, context: str, in_exercise: bool,
                      can_resume: bool) -> tuple[str, Parse] | None:
        """Free words of a closed kind (a reminder's schedule) heard with their own grammar, or None.

        Dictation garbles short closed phrases ("every evening at eight" -> "granted
        today believe in a date"); the trigger words followed by the intent's hint
        phrases decode them well. A grammar forces any speech onto its words, so the
        reading counts only when its free words are a whole sentence of the grammar
        and the matcher reads the same request; otherwise dictation decides as before.
        """
        intent = parsed.intent
        hint = self.text_hints.get(intent) if intent is not None else None
        slots = parsed.slots
        lead = " ".join(trigger(text, str(slots.get(FREE_SLOT, ""))))
        if hint is None or not hint.phrases or not lead:
            return None
        # A new phrase list whenever the trigger words differ: the recogniser keeps only the few it used last
        # (sphinx_engine.COMMAND_SEARCHES_KEPT; vosk_engine's is smaller still), so memory stays bounded.
        heard = self._decode(audio, [f"{lead} {p}" for p in hint.phrases])
        if not heard:
            return None
        candidate = self.parse(heard, context, in_exercise, can_resume)
        if candidate.intent == intent and candidate.slots.get("partner") == slots.get("partner") \
                and hint.fits(str(candidate.slots.get(FREE_SLOT, ""))):
            return heard, candidate
        return None

    def _starts_with_wake(self, audio: Sequence[bytes]) -> bool:
        """Whether the wake detector hears the wake phrase in ``audio`` (a short utterance).

        The detector is idle while ``listen`` runs and is reset before the next
        ``wait_for_wake`` (the ears' ``_wake_stale``); a little silence lets its delayed check run.
        """
        self.wake.reset()
        tail = [bytes(len(audio[0]))] * int(WAKE_CHECK_TAIL_S / FRAME_S)
        try:
            return any(self.wake.accept(frame) for frame in [*audio, *tail])
        finally:
            self.wake.reset()
