"""Building the real adapters for ``tandem run`` from the settings and the profile.

The core (``dialogue``, features, exercises) only sees Protocols; this is the
one place that decides which concrete listener, speaker, clock and event sink
they get. Audio and speech modules are imported inside the functions that
need them, so text mode works on a machine without PortAudio or a TTS engine.
"""

from __future__ import annotations

import logging
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime, tzinfo
from pathlib import Path
from typing import IO, Any

from ..clock import Clock, RealClock, ScaledClock, parse_iso
from ..config import HomePaths, Settings
from ..conversation import Listener, ParseFn, Speaker
from ..errors import TandemError
from ..events import ErrorEvent, EventSink, FanOut, JsonLinesSink, LogSink
from ..profile import Profile
from .textmode import MuteSpeaker, PrintingSpeaker, TextListener

log = logging.getLogger(__name__)

RETRY_FIRST_S = 1.0  # a lost microphone is looked for again after 1 s, 2 s, 4 s ... at most a minute apart
RETRY_MAX_S = 60.0


# --- time -------------------------------------------------------------------------------


def parse_when(text: str, tz: tzinfo, option: str) -> datetime:
    try:
        return parse_iso(text, tz)
    except ValueError:
        raise TandemError(f"{option} {text!r} is not an ISO-8601 time like 2026-12-06T18:58 (or with an offset, "
                          "2026-12-06T18:58+00:00)") from None


def build_clock(tz: tzinfo, start: datetime | None, speed: float, *, simulated: bool = False) -> Clock:
    """The real clock unless the run is simulated (``--clock-start`` / ``--clock-speed`` / ``--clock-skip-idle``)."""
    if speed <= 0:
        raise TandemError(f"--clock-speed must be a positive number, not {speed:g}")
    if not simulated and not is_simulated(start, speed, None):
        return RealClock(tz)
    return SimulatedClock(tz, start, speed)


def is_simulated(start: datetime | None, speed: float, skip_idle_s: float | None) -> bool:
    """Whether ``tandem run`` runs on a clock of its own rather than the wall clock."""
    return start is not None or speed != 1.0 or skip_idle_s is not None


# What a copy of the home for a simulated run leaves out: the lock and half-written files are this
# process's own, the logs are not records, and the models are large and only read (linked instead).
_NOT_COPIED = ("tandem.json.lock", ".*.tmp", "logs", "tmp", "models")


def copy_home(home: HomePaths) -> HomePaths:
    """A private temporary copy of ``home`` (records, config, backups; models linked, not copied).

    A simulated clock writes that clock's dates everywhere (the day's backup, the latest time seen,
    reminders spoken); on the couple's real records that would hold their reminders for weeks once
    the wall clock is back. So a demo on the default home works on this copy instead.
    """
    root = Path(tempfile.mkdtemp(prefix="tandem-demo-"))  # 0700
    copy = HomePaths(root)
    try:
        if home.root.is_dir():
            shutil.copytree(home.root, root, dirs_exist_ok=True, symlinks=True,
                            ignore=shutil.ignore_patterns(*_NOT_COPIED))
        if home.models.is_dir():
            copy.models.symlink_to(home.models, target_is_directory=True)
    except OSError as exc:
        shutil.rmtree(root, ignore_errors=True)
        raise TandemError(f"cannot copy {home.root} for a run on a simulated clock ({exc.strerror or exc}); "
                          "name a home to use with --home DIR") from None
    return copy


def skip_idle(listener: Listener, clock: Clock, events: EventSink, quiet_s: float | None,
              stops: Sequence[datetime] = ()) -> Listener:
    """``--clock-skip-idle``: fast-forward the quiet hours of a simulated run (see ``fastforward``)."""
    if quiet_s is None:
        return listener
    from .fastforward import IdleSkipper

    if quiet_s <= 0:
        raise TandemError(f"--clock-skip-idle must be a positive number of seconds, not {quiet_s:g}")
    if not callable(getattr(listener, "quiet_s", None)) or not callable(getattr(clock, "skip_to", None)):
        raise TandemError("--clock-skip-idle needs the microphone (or --input-wav) and a simulated clock; "
                          "typed lines wait for a time with '@ISO words' instead")
    return IdleSkipper(listener, clock, events, quiet_s, stops)  # type: ignore[arg-type]


class SimulatedClock:
    """A ``ScaledClock`` that starts running only at ``begin()``.

    Loading the intents, scripts, models and the voice takes a few real
    seconds; at ``--clock-speed 120`` that would be minutes of the couple's
    evening gone before the loop starts, so a ``--clock-start`` time is held
    until the loop begins.
    """

    def __init__(self, tz: tzinfo, start: datetime | None, speed: float) -> None:
        self.tz = tz
        self.speed = speed
        self._start = start
        self._running: ScaledClock | None = None

    def begin(self) -> None:
        if self._running is None:
            self._running = ScaledClock(self._start or datetime.now(self.tz), self.speed, self.tz)

    def _clock(self) -> ScaledClock:
        self.begin()  # anything that waits or measures has started the day
        assert self._running is not None
        return self._running

    def now(self) -> datetime:
        if self._running is None:
            return (self._start or datetime.now(self.tz)).astimezone(self.tz)
        return self._running.now()

    def monotonic(self) -> float:
        return self._clock().monotonic()

    def wait(self, event: threading.Event | None, seconds: float) -> bool:
        return self._clock().wait(event, seconds)

    def real_seconds(self, seconds: float) -> float:
        return max(0.0, seconds) / self.speed

    def skip_to(self, when: datetime) -> None:
        """Jump ahead to ``when`` (``--clock-skip-idle``); a time already passed changes nothing."""
        self._clock().skip((when - self.now()).total_seconds())


# --- events ------------------------------------------------------------------------------


def build_events(mode: str | None, clock: Clock, stdout: IO[str]) -> EventSink:
    """The log always (private words only at DEBUG); the JSON-lines stream for ``--events jsonl``."""
    if mode == "jsonl":
        return FanOut(LogSink(), JsonLinesSink(stdout, clock))
    return LogSink()


# --- language and scripts (refuse to start on a bad file, with file:line) ----------------


def build_matcher(settings: Settings, profile: Profile) -> Any:
    from ..nlu import Matcher, load_intents

    intents = load_intents(settings.paths.intents_dir)
    return Matcher(intents, profile.partners)


def check_scripts(settings: Settings) -> None:
    from ..exercises import load_scripts

    load_scripts(settings.paths.scripts_dir)


def parse_function(matcher: Any) -> ParseFn:
    def parse(text: str, context: str, in_exercise: bool, can_resume: bool) -> Any:
        return matcher.parse(text, context, in_exercise=in_exercise, can_resume=can_resume)

    return parse


# --- text mode -------------------------------------------------------------------------------


def text_listener(stdin: IO[str], matcher: Any, clock: Clock, events: EventSink, keep_running: bool) -> TextListener:
    return TextListener(stdin, parse_function(matcher), clock, events, keep_running=keep_running)


# --- speaking ----------------------------------------------------------------------------------


def build_speaker(
    settings: Settings,
    *,
    mute: bool,
    print_to: IO[str] | None,
    gate: Any = None,
    required: bool = True,
) -> Speaker:
    """Voice unless muted; ``print_to`` prints replies too (text mode without ``--events``).

    ``required=False`` (text mode): a voice that cannot start is reported in one
    line on stderr and the run goes on printing only.
    """
    voice: Speaker | None = None
    if not mute:
        try:
            voice = make_voice(settings, gate)
        except TandemError as exc:
            if required:
                raise
            print(f"tandem: replies will not be spoken: {exc}", file=sys.stderr)
    if print_to is not None:
        return PrintingSpeaker(voice, print_to)
    return voice if voice is not None else MuteSpeaker()


def make_voice(settings: Settings, gate: Any) -> Speaker:
    from ..speech.frames import EchoGate
    from ..speech.voice import Voice

    # TtsUnavailable (a TandemError naming the package to install) comes from here, at start-up.
    return Voice(settings.voice, gate if gate is not None else EchoGate(), tmp_dir=settings.home.tmp)


# --- hearing ---------------------------------------------------------------------------------


class RetryingSource:
    """An ``AudioSource`` that survives its device going away.

    ``open_source`` builds the real source; when it fails (or a read raises
    ``AudioDeviceError``), the error is logged once per attempt and the next
    attempt waits with back-off (1 s, 2 s, ... at most a minute). Meanwhile
    ``read`` returns None after its timeout, so the ears just hear nothing and
    the loop (reminders included) carries on; no restart is needed.
    """

    def __init__(self, open_source: Callable[[], Any], events: EventSink, kind: str = "microphone") -> None:
        self._open = open_source
        self._events = events
        self._kind = kind
        self._source: Any = None
        self._delay = RETRY_FIRST_S
        self._next_try = 0.0
        self._stop = threading.Event()
        self.failures = 0

    def start(self) -> None:
        """Open now, raising ``AudioDeviceError`` (used in a terminal to explain and stop)."""
        self._source = self._open()

    def _ensure(self) -> Any:
        from ..speech.frames import AudioDeviceError

        if self._source is not None:
            return self._source
        if time.monotonic() < self._next_try:
            return None
        try:
            self._source = self._open()
        except AudioDeviceError as exc:
            self.record_failure(exc)
            return None
        log.warning("the %s is back", self._kind)
        self._delay = RETRY_FIRST_S
        return self._source

    def record_failure(self, exc: Exception) -> None:
        self.failures += 1
        self._events.emit(ErrorEvent(kind=self._kind, message=f"{exc}; trying again in {self._delay:.0f} s"))
        self._next_try = time.monotonic() + self._delay
        self._delay = min(RETRY_MAX_S, self._delay * 2)

    def read(self, timeout: float) -> bytes | None:
        from ..speech.frames import AudioDeviceError

        source = self._ensure()
        if source is None:
            # Bounded wait (real time: audio is real time), then "nothing heard".
            self._stop.wait(max(0.0, min(timeout, self._next_try - time.monotonic())))
            return None
        try:
            return source.read(timeout)  # type: ignore[no-any-return]
        except AudioDeviceError as exc:
            self._drop()
            self.record_failure(exc)
            return None

    def _drop(self) -> None:
        source, self._source = self._source, None
        if source is not None:
            try:
                source.close()
            except Exception:  # noqa: BLE001 - a vanished device may fail to close; it is gone anyway
                pass

    def drain(self) -> None:
        if self._source is not None:
            self._source.drain()

    def close(self) -> None:
        self._stop.set()
        self._drop()


def audio_listener(
    settings: Settings,
    home: HomePaths,
    profile: Profile,
    matcher: Any,
    clock: Clock,
    events: EventSink,
    gate: Any,
    *,
    input_wavs: Sequence[Path] = (),
    service: bool = False,
    store: Any = None,
    speaker: Speaker | None = None,
) -> Listener:
    """Microphone (or WAV files) -> wake spotter -> recogniser -> matcher, as one ``Listener``.

    In a terminal a missing microphone is a one-line error suggesting ``--text``;
    as a service it is retried with back-off until it appears.
    """
    from ..nlu import CONTEXTS
    from ..nlu.hints import text_hints
    from ..speech.audio import MicSource, WavSource
    from ..speech.ears import AudioListener
    from ..speech.engines import make_recognizer
    from ..speech.frames import AudioDeviceError
    from ..speech.wake import BargeInSpotter, make_wake_detector

    source: Any
    if input_wavs:
        source = WavSource(list(input_wavs))
    else:
        source = RetryingSource(lambda: MicSource(settings.speech.input_device or None), events)
        try:
            source.start()
        except AudioDeviceError as exc:
            if not service:
                hint = ("" if "--text" in str(exc)
                        else "; plug one in and check 'tandem devices', or type instead: tandem run --text")
                raise TandemError(f"no microphone to listen with: {exc}{hint}") from None
            source.record_failure(exc)  # as a service: keep trying in the background of the loop
    # With a store, Whisper runs in a worker process (loaded on first need, stopped after a quiet hour).
    worker = (lambda model: transcription_worker(model, home, store, clock)) if store is not None else None
    recognizer = make_recognizer(settings.speech, home, prompt=dictation_prompt_source(profile, store), worker=worker)
    if speaker is not None and hasattr(recognizer, "on_slow"):
        recognizer.on_slow = slow_cue(settings, speaker)  # "one moment" when a read-back waits for Whisper
    wake = make_wake_detector(profile.wake_phrase, settings.speech.wake_sensitivity, settings.speech.wake_detector,
                              [home.wake_models])
    ears = AudioListener(
        source=source,
        recognizer=recognizer,
        wake=wake,
        parse=parse_function(matcher),
        phrases=phrases_function(matcher),
        clock=clock,
        gate=gate,
        events=events,
        barge=BargeInSpotter(profile.wake_phrase),  # "stop" while Tandem speaks cuts the reply short
        warm_contexts=CONTEXTS,  # grammars built in idle rounds (run.py's housekeeping), not on first use
        text_hints=text_hints(matcher.intents),  # a reminder's schedule heard with its own grammar
        lossless=bool(input_wavs),  # a recording waits for the ears; a microphone cannot
    )
    return ears


def transcription_worker(model: Path, home: HomePaths, store: Any, clock: Clock) -> Any:
    """The background Whisper worker for journal turns: its texts replace the quick transcripts
    through the store (``journal.replace_transcript``). Started on first need, not here."""
    from ..features.journal import replace_transcript
    from ..speech.transcribe_worker import Job, PendingTranscripts, TranscriptionWorker

    def apply(job: Job, text: str) -> None:
        replace_transcript(store, str(job.target.get("table")), str(job.target.get("id")), job.quick, text)

    return TranscriptionWorker(model, PendingTranscripts(home.root), apply, clock)


def background_worker(listener: Any) -> Any:
    """The worker behind ``listener``, or None (typed input, no Whisper model)."""
    from ..speech.whisper_engine import background_dictation

    rec = background_dictation(listener)
    return rec.worker if rec is not None else None


def slow_cue(settings: Settings, speaker: Speaker) -> Callable[[], None]:
    """Say the ``hearing.transcribing`` wording (scripts/replies/hearing.yaml)."""
    from ..replies import load_replies

    replies = load_replies(settings.paths.scripts_dir / "replies")  # checked now, not when first needed

    def cue() -> None:
        speaker.say(replies.say("hearing.transcribing"))

    return cue


def dictation_prompt_source(profile: Profile, store: Any = None) -> Callable[[], str]:
    """Whisper's hint at each dictated utterance: the partners' names, then the open promises' words
    (what a "kept" line or a check-in answer is likely to repeat)."""
    from ..speech.whisper_engine import dictation_prompt

    def prompt() -> str:
        expected: list[str] = []
        if store is not None:
            from ..features.promises import open_promises

            expected = [str(p.get("text", "")) for p in open_promises(store)]
        return dictation_prompt(profile.partners, expected)

    return prompt


def phrases_function(matcher: Any) -> Callable[[str, bool, bool], Any]:
    """The ears ask positionally (context, in_exercise, can_resume); the matcher takes keywords."""

    def phrases(context: str, in_exercise: bool, can_resume: bool) -> Any:
        return matcher.phrases(context, in_exercise=in_exercise, can_resume=can_resume)

    return phrases
