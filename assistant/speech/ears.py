"""The audio ``Listener``: microphone frames -> wake phrase / endpoint -> recogniser -> matcher.

Threads (each owns its things; they talk through queues and events only):

* the **reader** owns the ``AudioSource``: it reads frames and only routes
  them. While ``gate.speaking()`` (Tandem talking, plus the gate's tail) a
  frame goes to the barge-in queue, never to the command queue, so Tandem
  never hears itself; otherwise to a bounded command queue (when it is full
  the oldest frame is dropped and ``overflows`` counted; a recording --
  ``lossless`` -- waits for room instead: it can, and replayed unpaced it is
  always ahead of the ears).
* the **barge-in worker** feeds those frames to a small "stop" spotter and
  sets ``gate.barge_in`` when it hears one; the voice then cuts its reply short.
* the **caller** of ``wait_for_wake``/``listen`` (the dialogue loop) owns the
  wake spotter, the endpointer and the recogniser.

Errors: ``conversation.InputClosed`` (a finite source used up) and
``AudioDeviceError`` (the microphone went away) raised by the source in the
reader are handed to the caller and re-raised from ``wait_for_wake``/
``listen``. This class does not retry on its own: the run-time wiring hands it
a ``RetryingSource``, which reopens a lost microphone with back-off behind the
same ``AudioSource``.

When the first decode leaves doubt, the utterance's audio is read again (``second_pass``).

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
from collections.abc import Mapping, Sequence
from dataclasses import replace

from ..clock import Clock
from ..conversation import COMMAND, CONFIRM, DICTATION, IDLE, NAME, ParseFn, Utterance
from ..events import EventSink, Heard, IntentEvent, Wake
from .endpoint import COMMAND_ENDPOINT, DICTATION_ENDPOINT, FRAME_S, Endpointer, EndpointSettings
from .frames import AudioSource, EchoGate
from .recognizers import Recognizer
from .second_pass import CONTROL_MAX_FRAMES, PhrasesFn, SecondPass, TextHint
from .wake import Spotter, WakeDetector

log = logging.getLogger(__name__)

# After a yes/no or "which of you" question the answer may be one crisp word: a "no" of 0.2 s
# (flite kal, festival) was dropped as a breath under the usual 0.25 s of voiced audio.
SHORT_ANSWERS = (CONFIRM, NAME)
SHORT_ANSWER_VOICED_S = 0.12


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
        barge: Spotter | None = None,
        queue_s: float = 10.0,
        stall_s: float = 2.0,
        read_timeout_s: float = 0.25,
        warm_contexts: Sequence[str] = (),
        text_hints: Mapping[str, TextHint] | None = None,
        lossless: bool = False,
    ) -> None:
        self.source = source
        self.recognizer = recognizer
        self.wake = wake
        self.second = SecondPass(recognizer, wake, parse, phrases, text_hints)
        self.clock = clock
        self.gate = gate
        self.events = events
        self.command_settings = endpoint_settings
        self.dictation_settings = dictation_settings
        self.barge = barge
        self.stall_s = stall_s
        self.read_timeout_s = read_timeout_s
        # A live microphone cannot wait: its oldest audio goes. A recording (``tandem run --input-wav``) can, and
        # must: read unpaced it fills the queue at once, and all but its last ``queue_s`` would be lost.
        self.lossless = lossless
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
        self._quiet_wake = False  # the last wake was quiet: its request must be borne out (SecondPass.borne_out)
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
                if block or self.lossless:
                    self._frames.put(item, timeout=self.read_timeout_s)
                else:
                    self._frames.put_nowait(item)
                return
            except queue.Full:
                if self._closed.is_set():
                    return
                if self.lossless:
                    continue
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

    def wait_for_wake(self, timeout: float) -> Wake | None:
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
                    return None
                continue
            heard += FRAME_S
            if self._room.is_voiced(frame):
                self._last_voiced = time.monotonic()
            if self.wake.accept(frame):
                pcm = self.wake.preroll()
                step = len(frame)
                self._pending.extend(pcm[i:i + step] for i in range(0, len(pcm) - step + 1, step))
                woke = self.wake.last_wake
                self._quiet_wake = woke.quiet
                self.events.emit(woke)
                return woke
        return None

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
            for phrases in (self.second.grammar(context), self.second.control_phrases(context)):
                if tuple(phrases) not in self._built:
                    self._built.add(tuple(phrases))
                    self.recognizer.set_grammar(phrases)
                    return True
            self._unbuilt.popleft()
        return False

    def quiet_s(self) -> float:
        """Real seconds since anyone spoke: a voiced frame heard asleep, the last listening window, or
        Tandem's own voice."""
        return time.monotonic() - max(self._last_voiced, self.gate.quiet_since())

    def listen(self, context: str, *, mode: str = COMMAND, timeout: float = 8.0, in_exercise: bool = False,
               can_resume: bool = False, commands: bool = False) -> Utterance:
        quiet, self._quiet_wake = self._quiet_wake, False
        try:
            return self._listen(context, mode, timeout, in_exercise, can_resume, commands and context != IDLE,
                                quiet and mode == COMMAND)
        finally:
            self._last_voiced = time.monotonic()

    def _listen(self, context: str, mode: str, timeout: float, in_exercise: bool, can_resume: bool,
                commands: bool = False, quiet: bool = False) -> Utterance:
        self._wake_stale = True
        if mode == DICTATION:
            self.recognizer.set_grammar(None)
            settings = self.dictation_settings
        else:
            self.recognizer.set_grammar(self.second.grammar(context))
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
                    return self._understood(endpoint, context, mode, in_exercise, can_resume, kept, commands, quiet)
        except BaseException:
            self.recognizer.reset()
            raise
        if started:  # the wall bound passed mid-speech: take what was heard
            endpoint.ended_by = "max"
            return self._understood(endpoint, context, mode, in_exercise, can_resume, kept, commands, quiet)
        self.recognizer.reset()
        return Utterance(context=context, ended_by="timeout")

    def _understood(self, endpoint: Endpointer, context: str, mode: str, in_exercise: bool,
                    can_resume: bool, audio: Sequence[bytes] = (), commands: bool = False,
                    quiet: bool = False) -> Utterance:
        text = self.recognizer.finish().text.strip()
        duration = self._clock_seconds(endpoint.utterance_s)
        if not text:
            return Utterance(context=context, ended_by="silence", duration_s=duration)
        text, parsed = self.second.reread(text, context, mode, in_exercise, can_resume, audio)
        ended_by = "speech" if endpoint.ended_by == "silence" else endpoint.ended_by
        heard = Utterance.of(text, parsed, context, ended_by=ended_by, duration_s=duration)
        if commands:
            heard = self.second.answer_or_command(heard, mode, audio, can_resume)
        if quiet:
            heard = self.second.borne_out(heard, audio, in_exercise, can_resume)
        self.events.emit(Heard(text=heard.text, mode=mode))
        self.events.emit(IntentEvent(intent=heard.intent, slots=dict(heard.slots), score=heard.score, context=context))
        return heard

    def _clock_seconds(self, audio_s: float) -> float:
        per_clock = self.clock.real_seconds(1.0)
        return audio_s / per_clock if per_clock > 0 else audio_s
