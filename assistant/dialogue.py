"""The listening loop: an explicit state machine over Protocols only.

    ASLEEP --wake--> AWAKE --intent--> HANDLING --(say)--> SPEAKING --> HANDLING --> ASLEEP
                       |                   |
                       |                   +--exercise started--> EXERCISE --ended--> HANDLING
                       +--silence / not understood twice / cancel--> ASLEEP

A *quiet* wake (``Wake.quiet``: the detector's score was borderline) plays no chime and gets one
listening window: a command the matcher is sure of is handled as usual (the audio listener has also
had free dictation bear it out), anything else goes back to ASLEEP without a word ("quiet wake: not a
sure command").

Every transition is emitted as a ``StateChange`` whose ``reason`` says why
(for the return to ASLEEP: why the interaction ended). Every wait is
bounded: asleep, the loop wakes at least once a minute of clock time (and
exactly when a reminder is due) so reminders and housekeeping run even when
nobody speaks. The loop never imports audio, speech or TTS libraries: it gets
a ``Context`` (listener, speaker, clock, store, events) and plain callables.

An exercise starts one way: a handler (or a reminder) calls ``ctx.start_exercise``, which runs the
engine bound from ``Hooks.start_exercise``; the loop is only told (``ctx.watch``, its
``exercise_started``/``exercise_ended``) so the exercise shows as a state.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from .conversation import IDLE, SURE_SCORE, InputClosed, Listener, Speaker, Utterance
from .errors import TandemError
from .events import ErrorEvent, StateChange, Wake
from .handlers import Context, Handler, collect_handlers
from .store import StoreError

log = logging.getLogger(__name__)

# Every module that answers intents, in one place. A missing one fails loudly
# (ImportError) at start-up rather than leaving a feature silently deaf.
FEATURE_MODULES: tuple[str, ...] = (
    "assistant.features.controls",
    "assistant.exercises",
    "assistant.features.promises",
    "assistant.features.goals",
    "assistant.features.journal",
    "assistant.features.experiences",
    "assistant.features.summary",
    "assistant.features.forget",
    "assistant.features.reminders",
)

NOT_CAUGHT = "Sorry, I didn't catch that."
STILL_NOT_CAUGHT = "Sorry, I still didn't catch that. Say the wake phrase and then 'help' to hear what I can do."
CANNOT_YET = "Sorry, I can't do that yet."
WENT_WRONG = "Sorry, something went wrong there."

MAX_PENDING = 5  # commands said in answer to questions run one after another, at most this many in a row
MAX_SLEEP_S = 60.0  # asleep, look at the reminders and the date at least this often (clock seconds)
DUE_RETRY_S = 30.0  # a reminder that stays due after speak_due is not retried sooner than this


class State(Enum):
    ASLEEP = "asleep"
    AWAKE = "awake"
    HANDLING = "handling"
    SPEAKING = "speaking"
    EXERCISE = "exercise"


@dataclass(frozen=True)
class Hooks:
    """What the loop needs from the exercise engine, the promises and the reminders.

    Plain callables so tests pass tiny fakes; ``real_hooks()`` binds the real ones.
    """

    # runs one exercise to its end, returns the end reason; bound into the context as ctx.run_exercise
    start_exercise: Callable[[Context, str], str]
    paused_exercise: Callable[[Context], Any] = lambda ctx: None  # something resumable?
    follow_up: Callable[[Context], bool] = lambda ctx: False  # asks about one past-due promise
    speak_due: Callable[[Context], None] = lambda ctx: None  # speaks a due reminder
    next_wakeup: Callable[[Context], datetime | None] = lambda ctx: None  # when speak_due is next needed


def real_hooks() -> Hooks:
    exercises = importlib.import_module("assistant.exercises")
    promises = importlib.import_module("assistant.features.promises")
    reminders = importlib.import_module("assistant.features.reminders")
    return Hooks(
        start_exercise=exercises.start_exercise,
        paused_exercise=exercises.paused_exercise,
        follow_up=promises.follow_up,
        speak_due=reminders.speak_due,
        next_wakeup=reminders.next_wakeup,
    )


def load_handlers(modules: Iterable[str] = FEATURE_MODULES) -> dict[str, Handler]:
    return collect_handlers(importlib.import_module(name) for name in modules)


def spoken_store_error(exc: StoreError) -> str:
    """A short spoken form of a store error (the full line goes to the log)."""
    text = str(exc)
    if "disk is full" in text:
        why = "the disk is full"
    elif "read-only" in text:
        why = "the storage is read-only"
    elif "locked" in text:
        why = "the storage is busy"
    else:
        why = "something is wrong with the storage"
    return f"I couldn't save that: {why}."


class Dialogue:
    """Runs the loop until the input closes. One instance per ``tandem run``."""

    def __init__(
        self,
        ctx: Context,
        handlers: Mapping[str, Handler],
        hooks: Hooks,
        *,
        listen_timeout: float = 8.0,
        max_sleep_s: float = MAX_SLEEP_S,
        min_score: float = 0.0,
        on_idle: Callable[[], None] | None = None,
        on_wake: Callable[[], None] | None = None,
    ) -> None:
        self.ctx = ctx
        self.handlers = dict(handlers)
        self.hooks = hooks
        self.listen_timeout = listen_timeout  # "silence for a few seconds -> back to sleep"
        self.max_sleep_s = max_sleep_s  # a fast-forwarded run (--clock-skip-idle) sleeps longer per jump
        self.min_score = min_score
        self.on_idle = on_idle  # housekeeping (daily backup), called each time round while asleep
        self.on_wake = on_wake  # the soft "I'm listening" chime (audio mode); must not block
        self.state = State.ASLEEP
        self._interaction = "idle"  # names the reply kind in error events (never the couple's words)
        self._due_not_before: datetime | None = None
        # The context speaks through us so that speaking is a visible state and a lost speaker never crashes.
        ctx.speaker = _StateSpeaker(self, ctx.speaker)
        ctx.run_exercise = hooks.start_exercise
        ctx.watch = self
        self._before_exercise: list[State] = []  # the state each running exercise took over from

    # --- the loop ----------------------------------------------------------------------

    def run(self) -> str:
        """Loop until ``InputClosed``; returns why the loop ended."""
        self._emit_state(State.ASLEEP, "started")
        try:
            while True:
                woke = self._sleep()
                if woke.quiet:
                    self._interact_quietly()
                else:
                    self._interact()
        except InputClosed:
            self._emit_state(State.ASLEEP, "input closed")  # recorded even when already asleep
            return "input closed"

    def _sleep(self) -> Wake:
        """Asleep until the wake phrase; speaks due reminders on the way."""
        while True:
            self._idle_duties()
            woke = self.ctx.listener.wait_for_wake(self._sleep_bound())
            if woke is None:
                continue
            if woke.quiet:  # a borderline call: no chime, see _interact_quietly
                self._set(State.AWAKE, "quiet wake")
                return woke
            self._set(State.AWAKE, "wake")
            if self.on_wake is not None:
                try:
                    self.on_wake()
                except (TandemError, OSError) as exc:  # no chime is no reason to stop listening
                    self._error("speaker", f"the listening chime could not be played: {type(exc).__name__}")
            return woke

    def _idle_duties(self) -> None:
        if self.on_idle is not None:
            try:
                self.on_idle()
            except (TandemError, OSError) as exc:  # e.g. no room for today's backup: said in the log, not aloud
                self._error("housekeeping", str(exc))
        now = self.ctx.clock.now()
        if self._due_not_before is not None:
            if now < self._due_not_before:
                return
            self._due_not_before = None
        due = self._next_due()
        if due is None or due > now:
            return
        self._set(State.HANDLING, "reminder due")
        self._interaction = "reminder"
        ended = "reminder handled"
        try:
            self.hooks.speak_due(self.ctx)
        except StoreError as exc:
            ended = self._store_failed(exc)
        except (InputClosed, BrokenPipeError):  # the input ended, or the --events reader went away: end the run
            raise
        except Exception as exc:  # noqa: BLE001 - a bug in one reminder must not stop the assistant
            ended = self._bug("reminder", exc)
        ended = self._run_pending(ended)
        # If it is still due (e.g. held for a wrong clock), do not ask again at once.
        again = self._next_due()
        now = self.ctx.clock.now()
        self._due_not_before = now + timedelta(seconds=DUE_RETRY_S) if again is not None and again <= now else None
        self._set(State.ASLEEP, ended)

    def _next_due(self) -> datetime | None:
        try:
            return self.hooks.next_wakeup(self.ctx)
        except StoreError as exc:
            self._error("store", str(exc))
            return None

    def _sleep_bound(self) -> float:
        """How long to wait for the wake phrase: until the next reminder, at most ``max_sleep_s``."""
        due = self._due_not_before if self._due_not_before is not None else self._next_due()
        if due is None:
            return self.max_sleep_s
        return min(self.max_sleep_s, max(0.5, (due - self.ctx.clock.now()).total_seconds()))

    def _interact(self) -> None:
        """One interaction after the wake phrase; records why it ended."""
        misses = 0
        while True:
            self._interaction = "listening"
            heard = self.ctx.listener.listen(IDLE, timeout=self.listen_timeout, can_resume=self._can_resume())
            if heard.silent:
                self._set(State.ASLEEP, "silence")
                return
            if heard.intent is None or heard.score < self.min_score:
                misses += 1
                self._interaction = "not understood"
                self.ctx.say(NOT_CAUGHT if misses == 1 else STILL_NOT_CAUGHT)
                if misses >= 2:  # one retry window, then back to sleep
                    self._set(State.ASLEEP, "not understood")
                    return
                continue
            ended = self._handle(heard)
            ended = self._run_pending(ended)
            if ended.startswith("handled") and heard.intent != "cancel":
                ended = self._follow_up(ended)
                ended = self._run_pending(ended)
            self._set(State.ASLEEP, ended)
            return

    def _interact_quietly(self) -> None:
        """After a quiet wake: one listening window, and a reply only to a command the matcher is sure of.

        A borderline score is as often chatter as a call: a chime, a "sorry, I didn't catch that" or a
        loose guess acted on would each be a sound nobody asked for. Someone who did call and was not
        understood hears nothing and says it again, as to a person who did not look up.
        """
        self._interaction = "listening"
        heard = self.ctx.listener.listen(IDLE, timeout=self.listen_timeout, can_resume=self._can_resume())
        if heard.silent:
            self._set(State.ASLEEP, "silence")
            return
        if heard.intent is None or heard.score < max(SURE_SCORE, self.min_score):
            self._set(State.ASLEEP, "quiet wake: not a sure command")
            return
        ended = self._run_pending(self._handle(heard))
        self._set(State.ASLEEP, ended)

    def _run_pending(self, ended: str) -> str:
        """Run the commands said in answer to questions (see ``Context.pending``), as if heard after the wake phrase."""
        for _ in range(MAX_PENDING):
            command = self.ctx.take_pending()
            if command is None:
                return ended
            ended = self._handle(command)
        self.ctx.take_pending()  # a question answered by a command, again and again: enough
        return ended

    def _handle(self, heard: Utterance) -> str:
        intent = heard.intent or ""
        self._set(State.HANDLING, intent)
        self._interaction = intent
        handler = self.handlers.get(intent)
        if handler is None:
            log.warning("no handler for intent %s", intent)
            self.ctx.say(CANNOT_YET)
            return f"no handler for {intent}"
        try:
            handler(self.ctx, heard)
        except StoreError as exc:
            return self._store_failed(exc)
        except (InputClosed, BrokenPipeError):  # the input ended, or the --events reader went away: end the run
            raise
        except Exception as exc:  # noqa: BLE001 - months unattended: one faulty feature must not end the loop
            return self._bug(intent, exc)
        return "cancelled" if intent == "cancel" else f"handled {intent}"

    def _follow_up(self, ended: str) -> str:
        self._interaction = "promise follow-up"
        try:
            if self.hooks.follow_up(self.ctx):
                return ended + ", promise follow-up"
        except StoreError as exc:
            return self._store_failed(exc)
        except (InputClosed, BrokenPipeError):  # the input ended, or the --events reader went away: end the run
            raise
        except Exception as exc:  # noqa: BLE001
            return self._bug("promise follow-up", exc)
        return ended

    def _can_resume(self) -> bool:
        try:
            return self.hooks.paused_exercise(self.ctx) is not None
        except StoreError as exc:
            self._error("store", str(exc))
            return False

    # --- exercises -------------------------------------------------------------------

    def exercise_started(self, exercise: str) -> None:
        """(``ctx.watch``) The exercise owns listening until it ends."""
        self._before_exercise.append(self.state)
        self._set(State.EXERCISE, f"start {exercise}")

    def exercise_ended(self, exercise: str, reason: str) -> None:
        """(``ctx.watch``) Back to where the exercise began, told why it ended (also when the input closed)."""
        before = self._before_exercise.pop() if self._before_exercise else State.HANDLING
        self._set(before if before != State.EXERCISE else State.HANDLING, f"{exercise} {reason}")

    # --- failures, said briefly and logged ------------------------------------------------

    def _store_failed(self, exc: StoreError) -> str:
        self._error("store", str(exc))
        self.ctx.say(spoken_store_error(exc))
        return "store error"

    def _bug(self, where: str, exc: Exception) -> str:
        # The exception text may quote the couple's words: type only at the default level.
        log.debug("%s failed", where, exc_info=exc)
        self._error("handler", f"{where}: {type(exc).__name__}")
        try:
            self.ctx.say(WENT_WRONG)
        except Exception:  # noqa: BLE001
            pass
        return f"error in {where}"

    def _error(self, kind: str, message: str) -> None:
        self.ctx.events.emit(ErrorEvent(kind=kind, message=message))

    # --- states ---------------------------------------------------------------------------

    def _set(self, state: State, reason: str) -> None:
        if state == self.state:
            return
        self._emit_state(state, reason)

    def _emit_state(self, state: State, reason: str) -> None:
        previous, self.state = self.state, state
        self.ctx.events.emit(StateChange(state=state.value, previous=previous.value, reason=reason))


class _StateSpeaker:
    """The context's speaker: SPEAKING while a reply plays; a lost speaker is logged, not fatal."""

    def __init__(self, dialogue: Dialogue, inner: Speaker) -> None:
        self.inner = inner
        self._dialogue = dialogue

    def say(self, text: str) -> bool:
        d = self._dialogue
        before = d.state
        # Inside an exercise the exercise is the state; its many prompts are not separate states.
        visible = before in (State.AWAKE, State.HANDLING, State.ASLEEP) and not d.ctx.in_exercise
        if visible:
            d._set(State.SPEAKING, f"reply to {d._interaction}")
        try:
            return self.inner.say(text)
        except (TandemError, OSError) as exc:
            # Say which kind of reply was lost, never its words (the log sink writes the event as a warning).
            d._error("speaker", f"a reply ({d._interaction}) could not be played: {type(exc).__name__}")
            return False
        finally:
            if visible:
                d._set(before, "reply played")


def deadline(listener: Listener, clock: Any, until: datetime | None) -> Listener:
    """Wrap a listener so that input closes when the clock reaches ``until`` (``--until``)."""
    return listener if until is None else DeadlineListener(listener, clock, until)


class DeadlineListener:
    """Every wait is cut at ``until``; at or after it, ``InputClosed`` (the run ends cleanly)."""

    def __init__(self, inner: Listener, clock: Any, until: datetime) -> None:
        self.inner = inner
        self.clock = clock
        self.until = until

    def _left(self) -> float:
        left = (self.until - self.clock.now()).total_seconds()
        if left <= 0:
            raise InputClosed()
        return left

    def listen(self, context: str, **kwargs: Any) -> Utterance:
        timeout = float(kwargs.pop("timeout", 8.0))
        return self.inner.listen(context, timeout=min(timeout, self._left()), **kwargs)

    def wait_for_wake(self, timeout: float) -> Wake | None:
        woke = self.inner.wait_for_wake(min(timeout, self._left()))
        if woke is None:
            self._left()
        return woke

    def __getattr__(self, name: str) -> Any:  # e.g. the audio listener's phrases/close
        return getattr(self.inner, name)
