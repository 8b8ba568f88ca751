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

from .clock import Clock
from .config import Settings
from .conversation import Listener, Speaker, Utterance, ask_partner, ask_yes_no
from .events import EventSink, Said
from .profile import Profile
from .store import Store


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
    # Set by the dialogue loop: start an exercise by id ("gratitude", ...) and run it to its end.
    start_exercise: Callable[[str], None] = field(default=lambda exercise: None)
    in_exercise: bool = False
    # Picks among reply wordings; tests pin it so replies are predictable.
    rng: random.Random | None = None

    def say(self, text: str) -> bool:
        finished = self.speaker.say(text)
        self.events.emit(Said(text=text, interrupted=not finished))
        return finished

    def ask_yes_no(self, question: str, timeout: float = 10.0) -> Utterance:
        return ask_yes_no(self.listener, _Announcing(self), question, in_exercise=self.in_exercise, timeout=timeout)

    def ask_partner(self, question: str, timeout: float = 10.0) -> str | None:
        return ask_partner(self.listener, _Announcing(self), question, self.profile.partners, in_exercise=self.in_exercise, timeout=timeout)

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
