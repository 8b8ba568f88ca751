"""The audio ``Listener``: microphone frames -> wake phrase / endpoint -> recogniser -> matcher.

Threads (each owns its things; they talk through queues and events only):

* the **reader** owns the ``AudioSource``: it reads frames and only routes
  them. While ``gate.speaking()`` (Tandem talking, plus the gate's tail) a
  frame goes to the barge-in queue, never to the command queue, so Tandem
  never hears itself; otherwise to a bounded command queue (when it is full
  the oldest frame is dropped and ``overflows`` counted).
* the **barge-in worker** feeds those frames to a small "stop" spotter and
  sets ``gate.barge_in`` when it hears one; the voice then cuts its reply short.
* the **caller** of ``wait_for_wake``/``listen`` (the dialogue loop) owns the
  wake spotter, the endpointer and the recogniser.

Errors: ``conversation.InputClosed`` (a finite source used up) and
``AudioDeviceError`` (the microphone went away) raised by the source in the
reader are handed to the caller and re-raised from ``wait_for_wake``/
``listen``. The loop retries a lost device (with back-off) by building a new
source and a new ``AudioListener``; this class does not retry on its own.

Timeouts are clock seconds (``clock.real_seconds`` converts them). They are
counted in *audio* time -- frames consumed, 30 ms each -- so a fast in-memory
source is judged the same way as a live microphone; a wall-clock bound of the
same length plus ``stall_s`` covers a source that stops delivering. With a
``FakeClock`` (``real_seconds`` = 0) the clock value itself is used as audio time.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import replace
from typing import Any, Protocol

from rapidfuzz import fuzz

from ..clock import Clock
from ..conversation import COMMAND, CONFIRM, DICTATION, IDLE, NAME, NO, YES, ParseFn, Utterance, settle
from ..events import EventSink, Heard, IntentEvent, Wake
from ..nlu.pipeline import SURE_SCORE, best_hypothesis
from .endpoint import COMMAND_ENDPOINT, DICTATION_ENDPOINT, EndpointSettings, Endpointer, FRAME_S
from .frames import AudioSource, EchoGate
from .freewords import splice, trigger
from .recognizers import Recognizer
from .wake import WakeDetector

log = logging.getLogger(__name__)

# After a yes/no or "which of you" question the answer may be one crisp word: a "no" of 0.2 s
# (flite kal, festival) was dropped as a breath under the usual 0.25 s of voiced audio.
SHORT_ANSWERS = (CONFIRM, NAME)
SHORT_ANSWER_VOICED_S = 0.12
FREE_SLOT = "text"  # the slot of free words (a promise's "call the plumber"): see _free_words
# A dictated utterance this short (3 s of audio) may be a control phrase said in a turn.
CONTROL_MAX_FRAMES = int(3.0 / FRAME_S)
# How alike the free and the grammar decodes must be (rapidfuzz ratio, 0-100) for the grammar's to count.
CONTROL_MIN_SIMILARITY = 60
CONTROL_MAX_WORDS = 3  # "i'm done", "more time please", "let's stop"
CONTROL_GRAMMAR_CAP = 150  # shortest first; doubled by the wake-prefixed forms
WAKE_CHECK_TAIL_S = 0.6
# A yes/no the question's grammar forced onto speech that dictation hears as other words ("i did it" for
# "what promises are still open") fits only loosely: it gets this score, below SURE_SCORE, and is asked again.
LOOSE_ANSWER_SCORE = 0.6  # silence after a short utterance so the wake spotter's delayed second check runs

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


class _Stop:
    """Queue item: the source ended or failed; ``error`` is re-raised by the consumer."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


class AudioListener:
    """``conversation.Listener`` over a live (or replayed) audio source."""

    def __init__(
        self,
        source: AudioSource,
        recognizer: Recognizer,
        wake: WakeDetector,
        parse: ParseFn,
        phrases: PhrasesFn,
        clock: Clock,
        gate: EchoGate,
        events: EventSink,
        endpoint_settings: EndpointSettings = COMMAND_ENDPOINT,
        dictation_settings: EndpointSettings = DICTATION_ENDPOINT,
        barge: WakeDetector | None = None,
        queue_s: float = 10.0,
        stall_s: float = 2.0,
        read_timeout_s: float = 0.25,
        warm_contexts: Sequence[str] = (),
        text_hints: Mapping[str, TextHint] | None = None,
    ) -> None:
        self.source = source
        self.text_hints = dict(text_hints or {})
        self.recognizer = recognizer
        self.wake = wake
        self.parse = parse
        self.phrases = phrases
        self.clock = clock
        self.gate = gate
        self.events = events
        self.command_settings = endpoint_settings
        self.dictation_settings = dictation_settings
        self.barge = barge
        self.stall_s = stall_s
        self.read_timeout_s = read_timeout_s
        self.overflows = 0
        self.self_heard_frames = 0  # frames kept from the command path while Tandem spoke
        self._frames: queue.Queue[bytes | _Stop] = queue.Queue(maxsize=max(1, int(queue_s / FRAME_S)))
        self._barge_q: queue.Queue[bytes | None] = queue.Queue(maxsize=max(1, int(queue_s / FRAME_S)))
        self._pending: deque[bytes] = deque()  # pre-roll handed from the wake spotter to listen()
        self._closed = threading.Event()
        self._stopped: _Stop | None = None
        self._reader: threading.Thread | None = None
        self._barge_worker: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._wake_stale = False
        self._unbuilt: deque[str] = deque(warm_contexts)  # contexts whose grammars warm_up() has still to build
        self._built: set[tuple[str, ...]] = set()
        # Asleep, is anyone talking? (``quiet_s``: a simulated run only skips idle time in silence.)
        self._room = Endpointer(endpoint_settings)
        self._last_voiced = time.monotonic()

    # --- threads -----------------------------------------------------------

    def start(self) -> None:
        with self._start_lock:
            if self._reader is not None:
                return
            self._reader = threading.Thread(target=self._read_loop, name="tandem-ears-reader", daemon=True)
            self._reader.start()
            if self.barge is not None:
                self._barge_worker = threading.Thread(target=self._barge_loop, name="tandem-barge-in", daemon=True)
                self._barge_worker.start()

    def close(self) -> None:
        self._closed.set()
        try:
            self._barge_q.put_nowait(None)
        except queue.Full:
            pass
        for thread in (self._reader, self._barge_worker):
            if thread is not None:
                thread.join(timeout=2.0)
        self.source.close()

    def _read_loop(self) -> None:
        while not self._closed.is_set():
            try:
                frame = self.source.read(self.read_timeout_s)
            except BaseException as exc:  # InputClosed, AudioDeviceError, anything: the caller decides
                self._put_frame(_Stop(exc), block=True)
                return
            if frame is None:
                continue
            if self.gate.speaking():
                self.self_heard_frames += 1
                if self.barge is not None:
                    try:
                        self._barge_q.put_nowait(frame)
                    except queue.Full:
                        pass  # the barge-in check is best effort; never block the reader
                continue
            self._put_frame(frame)

    def _put_frame(self, item: bytes | _Stop, block: bool = False) -> None:
        while True:
            try:
                if block:
                    self._frames.put(item, timeout=self.read_timeout_s)
                else:
                    self._frames.put_nowait(item)
                return
            except queue.Full:
                if self._closed.is_set():
                    return
                try:
                    self._frames.get_nowait()  # drop the oldest: fresh audio matters more
                    self.overflows += 1
                except queue.Empty:
                    pass

    def _barge_loop(self) -> None:
        assert self.barge is not None
        while not self._closed.is_set():
            frame = self._barge_q.get()
            if frame is None:
                return
            try:
                if self.barge.accept(frame):
                    log.info("barge-in heard")
                    self.gate.barge_in.set()
                    self.barge.reset()
            except Exception as exc:  # a broken barge-in check must not take the ears down
                log.warning("barge-in check failed: %s", type(exc).__name__)
                return

    # --- frames for the caller --------------------------------------------

    def _budget(self, timeout: float) -> float:
        real = self.clock.real_seconds(timeout)
        return real if real > 0 else max(0.0, timeout)

    def _next(self, wall_left: float) -> bytes | None:
        """The next frame (pre-roll first), None if none came in ``wall_left`` real seconds."""
        if self._pending:
            return self._pending.popleft()
        if self._stopped is not None:
            raise self._stopped.error
        self.start()
        try:
            item = self._frames.get(timeout=max(0.0, wall_left))
        except queue.Empty:
            return None
        if isinstance(item, _Stop):
            self._stopped = item
            raise item.error
        return item

    def drain(self) -> None:
        """Forget queued audio (e.g. before listening again after a long reply)."""
        self._pending.clear()
        while True:
            try:
                item = self._frames.get_nowait()
            except queue.Empty:
                return
            if isinstance(item, _Stop):
                self._stopped = item
                return

    # --- Listener ------------------------------------------------------------

    def wait_for_wake(self, timeout: float) -> bool:
        budget = self._budget(timeout)
        heard = 0.0
        wall_end = time.monotonic() + budget + self.stall_s
        self._pending.clear()
        if self._wake_stale:
            # listen() consumed audio the spotter never saw: its buffer no longer joins up.
            self.wake.reset()
            self._wake_stale = False
        while heard < budget:
            frame = self._next(wall_end - time.monotonic())
            if frame is None:
                if time.monotonic() >= wall_end:
                    return False
                continue
            heard += FRAME_S
            if self._room.is_voiced(frame):
                self._last_voiced = time.monotonic()
            if self.wake.accept(frame):
                preroll = getattr(self.wake, "preroll", None)
                if callable(preroll):
                    pcm = preroll()
                    self._pending.extend(pcm[i:i + len(frame)] for i in range(0, len(pcm) - len(frame) + 1, len(frame)))
                self.events.emit(Wake())
                return True
        return False

    def warm_up(self) -> bool:
        """Build the next command grammar not built yet; False when all are (call it while asleep).

        Built on first use, a context's grammar delays the reply to the first
        question of its kind and grows the process mid-conversation; built one
        at a time in the loop's idle rounds (each takes well under a second
        with PocketSphinx's command decoder), they are ready before the couple
        needs them and the memory settles in the first minutes.
        """
        while self._unbuilt:
            context = self._unbuilt[0]
            for phrases in (self._grammar(context), self._control_phrases(context)):
                if tuple(phrases) not in self._built:
                    self._built.add(tuple(phrases))
                    self.recognizer.set_grammar(phrases)
                    return True
            self._unbuilt.popleft()
        return False

    def quiet_s(self) -> float:
        """Real seconds since anyone spoke: a voiced frame heard asleep, the last listening window, or Tandem's own voice."""
        return time.monotonic() - max(self._last_voiced, self.gate.quiet_since())

    def listen(self, context: str, *, mode: str = COMMAND, timeout: float = 8.0, in_exercise: bool = False,
               can_resume: bool = False, commands: bool = False) -> Utterance:
        try:
            return self._listen(context, mode, timeout, in_exercise, can_resume, commands and context != IDLE)
        finally:
            self._last_voiced = time.monotonic()

    def _listen(self, context: str, mode: str, timeout: float, in_exercise: bool, can_resume: bool,
                commands: bool = False) -> Utterance:
        self._wake_stale = True
        if mode == DICTATION:
            self.recognizer.set_grammar(None)
            settings = self.dictation_settings
        else:
            self.recognizer.set_grammar(self._grammar(context))
            settings = self.command_settings
            if context in SHORT_ANSWERS:
                settings = replace(settings, min_voiced_s=min(settings.min_voiced_s, SHORT_ANSWER_VOICED_S))
        endpoint = Endpointer(settings)
        pre: deque[bytes] = deque(maxlen=max(1, int(settings.start_pad_s / FRAME_S)))
        # The utterance's audio for a second pass: a command's whole (at most max_utterance_s, for its
        # free words), a dictation only while short enough to be a control phrase.
        kept: list[bytes] = []
        keep_max = CONTROL_MAX_FRAMES if mode == DICTATION else int(settings.max_utterance_s / FRAME_S) + 1
        budget = self._budget(timeout)
        waited = 0.0
        wall_end = time.monotonic() + budget + self.stall_s
        started = False
        try:
            while True:
                frame = self._next(wall_end - time.monotonic())
                if frame is None:
                    if time.monotonic() >= wall_end:
                        break
                    continue
                decision = endpoint.feed(frame)
                if not started:
                    waited += FRAME_S
                    if decision == "start":
                        started = True
                        for old in pre:
                            self.recognizer.accept(old)
                        self.recognizer.accept(frame)
                        kept[:] = [*pre, frame]
                        # From here the window is bounded by max_utterance_s (in audio) and its wall twin.
                        wall_end = time.monotonic() + settings.max_utterance_s + self.stall_s
                        continue
                    pre.append(frame)
                    if waited >= budget:
                        break
                    continue
                if decision == "discard":
                    # Breath or clatter: nothing said; keep waiting within the same budget.
                    started = False
                    self.recognizer.reset()
                    pre.clear()
                    kept.clear()
                    continue
                self.recognizer.accept(frame)
                if len(kept) < keep_max:
                    kept.append(frame)
                if decision == "end":
                    return self._understood(endpoint, context, mode, in_exercise, can_resume, kept, commands)
        except BaseException:
            self.recognizer.reset()
            raise
        if started:  # the wall bound passed mid-speech: take what was heard
            endpoint.ended_by = "max"
            return self._understood(endpoint, context, mode, in_exercise, can_resume, kept, commands)
        self.recognizer.reset()
        return Utterance(context=context, ended_by="timeout")

    def _understood(self, endpoint: Endpointer, context: str, mode: str, in_exercise: bool,
                    can_resume: bool, audio: Sequence[bytes] = (), commands: bool = False) -> Utterance:
        text = self.recognizer.finish().text.strip()
        duration = self._clock_seconds(endpoint.utterance_s)
        if not text:
            return Utterance(context=context, ended_by="silence", duration_s=duration)
        # Grammar-mode recognisers return confident false positives: the matcher has the last word.
        parsed = self.parse(text, context, in_exercise, can_resume)
        if mode == COMMAND and (getattr(parsed, "intent", None) is None
                                or float(getattr(parsed, "score", 0.0) or 0.0) < SURE_SCORE):
            text, parsed = self._rescored(text, parsed, context, in_exercise, can_resume)
        if getattr(parsed, "intent", None) is None and 0 < len(audio) < CONTROL_MAX_FRAMES:
            # short and not understood, in either mode: "that said" for "that's it"
            text, parsed = self._control_check(audio, text, parsed, context, in_exercise, can_resume)
        if mode == COMMAND and audio and FREE_SLOT in (getattr(parsed, "slots", None) or {}):
            text, parsed = self._free_words(audio, text, parsed, context, in_exercise, can_resume)
        ended_by = "speech" if endpoint.ended_by == "silence" else endpoint.ended_by
        heard = Utterance(text=text, intent=getattr(parsed, "intent", None), slots=dict(getattr(parsed, "slots", {}) or {}),
                          score=float(getattr(parsed, "score", 0.0) or 0.0), context=context, ended_by=ended_by,
                          duration_s=duration)
        if commands:
            heard = self._answer_or_command(heard, mode, audio, can_resume)
        self.events.emit(Heard(text=heard.text, mode=mode))
        self.events.emit(IntentEvent(intent=heard.intent, slots=dict(heard.slots), score=heard.score, context=context))
        return heard

    def _answer_or_command(self, answer: Utterance, mode: str, audio: Sequence[bytes], can_resume: bool) -> Utterance:
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
        command = self._command_reading(answer, dictated or self._decode(audio, self._grammar(IDLE)), can_resume,
                                        () if dictated else audio)
        if mode == DICTATION:
            if command is None or command.text == dictated:
                return settle(answer, command)
            # the idle grammar's words count only when dictation heard much the same
            alike = fuzz.ratio(command.text, unstutter(dictated.lower())) >= CONTROL_MIN_SIMILARITY
            return settle(answer, command if alike else None)
        if command is None or command.score < SURE_SCORE or answer.intent is None or answer.score < SURE_SCORE:
            return settle(answer, command)  # no conflict: dictation (several times slower) is not needed
        dictated = unstutter(self._decode(audio, None).lower())
        if not dictated:
            return settle(answer, command)
        said_answer = fuzz.ratio(answer.text.lower(), dictated)
        if answer.intent in (YES, NO) and said_answer < CONTROL_MIN_SIMILARITY and self._confirms(dictated, answer) is None:
            answer = replace(answer, score=min(answer.score, LOOSE_ANSWER_SCORE))
        if command is not None and answer.intent is not None and fuzz.ratio(command.text, dictated) > said_answer:
            answer = replace(answer, intent=None, slots={}, score=0.0)
        return settle(answer, command)

    def _command_reading(self, answer: Utterance, text: str, can_resume: bool,
                         audio: Sequence[bytes] = ()) -> Utterance | None:
        """``text`` read as an idle command; None when it is none. With ``audio``, a lead-in the grammar
        garbled ("they tandem what promises ...") is read as the wake phrase when it sounds like it, or the
        spotter hears the wake phrase there."""
        if not text:
            return None
        parsed = self.parse(text, IDLE, False, can_resume)
        wake = getattr(self.wake, "phrase", "")
        lead = len(wake.split())
        heard_lead = " ".join(text.split()[:lead])
        if float(getattr(parsed, "score", 0.0) or 0.0) < SURE_SCORE and audio and wake and len(text.split()) > lead \
                and heard_lead != wake and (fuzz.ratio(heard_lead, wake) >= CONTROL_MIN_SIMILARITY
                                            or self._starts_with_wake(audio)):
            again = " ".join([wake, *text.split()[lead:]])
            reparsed = self.parse(again, IDLE, False, can_resume)
            if getattr(reparsed, "intent", None) is not None:
                text, parsed = again, reparsed
        if getattr(parsed, "intent", None) is None:
            return None
        return Utterance(text=text, intent=parsed.intent, slots=dict(getattr(parsed, "slots", {}) or {}),
                         score=float(getattr(parsed, "score", 0.0) or 0.0), context=IDLE,
                         ended_by=answer.ended_by, duration_s=answer.duration_s)

    def _confirms(self, dictated: str, answer: Utterance) -> str | None:
        """The same yes/no read from the dictated words, if they say it."""
        parsed = self.parse(dictated, answer.context, False, False)
        intent = getattr(parsed, "intent", None)
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

    def _rescored(self, text: str, parsed: Any, context: str, in_exercise: bool, can_resume: bool) -> tuple[str, Any]:
        """A better n-best hypothesis, when the best one was rejected or only guessed at (pipeline.best_hypothesis).
        Only engines that offer ``alternatives()`` (PocketSphinx) take part."""
        alternatives = getattr(self.recognizer, "alternatives", None)
        if alternatives is None:
            return text, parsed
        return best_hypothesis(text, parsed, alternatives(), lambda alt: self.parse(alt, context, in_exercise, can_resume))

    def _control_check(self, audio: Sequence[bytes], text: str, parsed: Any, context: str, in_exercise: bool,
                       can_resume: bool) -> tuple[str, Any]:
        """A short utterance nobody understood, decoded again against the context's short phrases.

        Free dictation mangles short commands ("hey tandem stop" -> "hey tim tim
        stop"), and the command model lets a stray lone word through.
        A small exact grammar forces *any* audio onto some short phrase, so its
        result counts only when the first decode heard much the same words:
        "i love you" never becomes "i'm done".
        """
        self.recognizer.set_grammar(self._control_phrases(context))
        try:
            for frame in audio:
                self.recognizer.accept(frame)
            command = self.recognizer.finish().text.strip()
        finally:
            self.recognizer.set_grammar(None)
        if not command:
            return text, parsed
        wake = getattr(self.wake, "phrase", "")
        # Said after the wake phrase, it is meant for Tandem whatever dictation made of it
        # ("hey tim dumbstruck"): the spotter, with its own near-miss check, decides that.
        addressed = bool(wake) and command.startswith(wake + " ") and self._starts_with_wake(audio)
        if not addressed and fuzz.ratio(command, unstutter(text.lower())) < CONTROL_MIN_SIMILARITY:
            return text, parsed
        candidate = self.parse(command, context, in_exercise, can_resume)
        if getattr(candidate, "intent", None) is None:
            return text, parsed
        return command, candidate

    def _free_words(self, audio: Sequence[bytes], text: str, parsed: Any, context: str, in_exercise: bool,
                    can_resume: bool) -> tuple[str, Any]:
        """A command with free words decoded again as dictation, and the two joined (see ``freewords``).

        The joined sentence (or the dictation alone) replaces the command decode
        only when the matcher reads it as the same request with the same partner.
        """
        hinted = self._hinted_words(audio, text, parsed, context, in_exercise, can_resume)
        if hinted is not None:
            return hinted
        self.recognizer.set_grammar(None)
        cue = getattr(self.recognizer, "cue_if_slow", None)  # Whisper: "one moment" if the read-back waits
        try:
            for frame in audio:
                self.recognizer.accept(frame)
            with cue() if cue is not None else nullcontext():
                dictated = self.recognizer.finish().text.strip()
        except Exception:
            self.recognizer.reset()
            raise
        if not dictated:
            return text, parsed
        slots = getattr(parsed, "slots", None) or {}
        for candidate_text in dict.fromkeys((splice(text, slots.get(FREE_SLOT, ""), dictated), dictated)):
            candidate = self.parse(candidate_text, context, in_exercise, can_resume)
            cslots = getattr(candidate, "slots", None) or {}
            if getattr(candidate, "intent", None) == getattr(parsed, "intent", None) and FREE_SLOT in cslots \
                    and cslots.get("partner") == slots.get("partner"):
                return candidate_text, candidate
        return text, parsed

    def _hinted_words(self, audio: Sequence[bytes], text: str, parsed: Any, context: str, in_exercise: bool,
                      can_resume: bool) -> tuple[str, Any] | None:
        """Free words of a closed kind (a reminder's schedule) heard with their own grammar, or None.

        Dictation garbles short closed phrases ("every evening at eight" -> "granted
        today believe in a date"); the trigger words followed by the intent's hint
        phrases decode them well. A grammar forces any speech onto its words, so the
        reading counts only when its free words are a whole sentence of the grammar
        and the matcher reads the same request; otherwise dictation decides as before.
        """
        intent = getattr(parsed, "intent", None)
        hint = self.text_hints.get(intent) if isinstance(intent, str) else None
        slots = getattr(parsed, "slots", None) or {}
        lead = " ".join(trigger(text, str(slots.get(FREE_SLOT, ""))))
        if hint is None or not hint.phrases or not lead:
            return None
        heard = self._decode(audio, [f"{lead} {p}" for p in hint.phrases])
        if not heard:
            return None
        candidate = self.parse(heard, context, in_exercise, can_resume)
        cslots = getattr(candidate, "slots", None) or {}
        if getattr(candidate, "intent", None) == intent and cslots.get("partner") == slots.get("partner") \
                and hint.fits(str(cslots.get(FREE_SLOT, ""))):
            return heard, candidate
        return None

    def _starts_with_wake(self, audio: Sequence[bytes]) -> bool:
        """Whether the wake spotter hears the wake phrase in ``audio`` (a short utterance).

        The spotter is idle while ``listen`` runs and is reset before the next
        ``wait_for_wake`` (``_wake_stale``); a little silence lets its delayed check run.
        """
        self.wake.reset()
        tail = [bytes(len(audio[0]))] * int(WAKE_CHECK_TAIL_S / FRAME_S)
        try:
            return any(self.wake.accept(frame) for frame in [*audio, *tail])
        finally:
            self.wake.reset()

    def _grammar(self, context: str) -> list[str]:
        """The recogniser's phrases for ``context``: its widest layer, whatever the flags.

        The matcher applies the real layering (stop/pause only inside an
        exercise, resume only while something is paused) to what was heard;
        one grammar per context keeps the number of language models, their
        build time and their memory at four.
        """
        return list(self.phrases(context, True, True))

    def _control_phrases(self, context: str) -> list[str]:
        """The context's short phrases, bare and after the wake phrase: a small exact grammar.

        Small on purpose: an exact list of a few hundred phrases decodes the
        short commands reliably, where the context's full trigram does not.
        """
        short = sorted({p for p in self._grammar(context) if len(p.split()) <= CONTROL_MAX_WORDS},
                       key=lambda p: (len(p), p))[:CONTROL_GRAMMAR_CAP]
        wake = getattr(self.wake, "phrase", "")
        return short + ([f"{wake} {p}" for p in short] if wake else [])

    def _clock_seconds(self, audio_s: float) -> float:
        per_clock = self.clock.real_seconds(1.0)
        return audio_s / per_clock if per_clock > 0 else audio_s
