"""What an intent handler receives, and how handlers are found.

A handler is a plain function ``handle(ctx, utterance) -> None`` that may
speak, ask follow-up questions and write records, all through ``ctx``. Each
feature module exposes ``HANDLERS: dict[str, Handler]`` (intent name ->
handler); the dialogue loop merges them with ``collect_handlers``. No
feature class holds state between calls: what must persist goes to the store.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Protocol

from .clock import Clock
from .config import Settings
from .conversation import DICTATION, RITUAL, Listener, Speaker, Utterance, ask_partner, ask_yes_no
from .errors import TandemError
from .events import EventSink, Said, Wake
from .profile import Profile
from .store import Store


class ExerciseRunner(Protocol):
    """Runs one exercise to its end (``assistant.exercises.start_exercise``); returns why it ended."""

    def __call__(self, ctx: Context, exercise: str, /) -> str: ...


class ExerciseWatch(Protocol):
    """Told when an exercise takes over listening and when it gives it back (the loop shows it as a state)."""

    def exercise_started(self, exercise: str) -> None: ...

    def exercise_ended(self, exercise: str, reason: str) -> None: ...


class _Unwatched:
    def exercise_started(self, exercise: str) -> None:
        pass

    def exercise_ended(self, exercise: str, reason: str) -> None:
        pass


@dataclass
class Context:
    """The world as a handler, the exercise engine or a reminder sees it."""

    listener: Listener
    speaker: Speaker
    clock: Clock
    store: Store
    profile: Profile
    events: EventSink
    settings: Settings
    # The exercise engine, bound at start-up (the loop's hooks); features start exercises through
    # start_exercise below, never by calling the engine themselves.
    run_exercise: ExerciseRunner | None = None
    watch: ExerciseWatch = field(default_factory=_Unwatched)
    in_exercise: bool = False
    # Picks among reply wordings; tests pin it so replies are predictable.
    rng: random.Random | None = None
    # An idle command said in answer to a question: the question is dropped and the dialogue loop runs
    # this once the handler (or reminder, or exercise) that asked has returned.
    pending: Utterance | None = None

    def defer(self, command: Utterance) -> None:
        """Keep ``command`` for the loop; the latest one wins (the couple moved on again)."""
        self.pending = command

    def start_exercise(self, exercise: str) -> str:
        """Run ``exercise`` ("gratitude", ...) to its end; the watch sees it begin and end. Returns why it ended."""
        if self.run_exercise is None:
            raise TandemError(f"cannot start {exercise!r}: no exercise engine here; build the Context with "
                              "run_exercise=assistant.exercises.start_exercise")
        was = self.in_exercise
        self.watch.exercise_started(exercise)
        self.in_exercise = True
        reason = "unfinished"  # InputClosed passes through: the engine stored the session as unfinished already
        try:
            reason = self.run_exercise(self, exercise) or "ended"
            return reason
        finally:
            self.in_exercise = was
            self.watch.exercise_ended(exercise, reason)

    def take_pending(self) -> Utterance | None:
        command, self.pending = self.pending, None
        return command

    def say(self, text: str) -> bool:
        finished = self.speaker.say(text)
        self.events.emit(Said(text=text, interrupted=not finished))
        return finished

    def ask_yes_no(self, question: str, timeout: float = 10.0) -> Utterance:
        """A sure yes/no, a control, a command said instead (kept in ``pending``), or no answer."""
        from .replies import reply  # replies imports this module's Context for its type only

        return ask_yes_no(_Deferring(self), _Announcing(self), question, in_exercise=self.in_exercise, timeout=timeout,
                          reask=reply(self, "questions.reask_yes_no"))

    def ask_partner(self, question: str, timeout: float = 10.0) -> str | None:
        """A partner's name, or None (no clear name, or a command said instead, kept in ``pending``)."""
        from .replies import reply

        a, b = self.profile.partners
        return ask_partner(_Deferring(self), _Announcing(self), question, self.profile.partners,
                           in_exercise=self.in_exercise,
                           timeout=timeout, reask=reply(self, "questions.reask_partner", a=a, b=b))

    def listen_answer(self, timeout: float) -> Utterance:
        """Free words in answer to a question (a goal's step, a check-in note); a command said instead
        comes back with ``command`` set and is kept in ``pending``."""
        return _Deferring(self).listen(RITUAL, mode=DICTATION, timeout=timeout, in_exercise=self.in_exercise)

    @property
    def privacy(self) -> bool:
        """Guest mode: private things (journal, promises) are not read aloud."""
        return bool(self.store.meta("privacy", False))


class _Announcing:
    """A Speaker that also reports what was said (so questions appear in the event stream)."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    def say(self, text: str) -> bool:
        return self._ctx.say(text)


class _Deferring:
    """The context's listener for answers: words also read as idle commands; a command is kept for the loop."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    def listen(self, context: str, **kwargs: object) -> Utterance:
        heard = self._ctx.listener.listen(context, **{**kwargs, "commands": True})  # type: ignore[arg-type]
        if heard.command:
            self._ctx.defer(heard)
        return heard

    def wait_for_wake(self, timeout: float) -> Wake | None:
        return self._ctx.listener.wait_for_wake(timeout)


Handler = Callable[[Context, Utterance], None]


def collect_handlers(modules: Iterable[ModuleType]) -> dict[str, Handler]:
    """Merge each module's ``HANDLERS``; two modules claiming one intent is a bug, said loudly."""
    table: dict[str, Handler] = {}
    for module in modules:
        handlers: Mapping[str, Handler] = getattr(module, "HANDLERS", {})
        for intent, handler in handlers.items():
            if intent in table:
                raise RuntimeError(f"intent {intent} is handled twice ({module.__name__})")
            table[intent] = handler
    return table
