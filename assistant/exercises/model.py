"""What a loaded exercise is: its steps, banks and wordings, as frozen dataclasses.

The loader (``script.py``, ``checker.py``) builds these from ``scripts/*.yaml`` and the engine
(``engine.py``) runs them; neither is needed to read them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .dayparts import DayParts

KINDS = ("say", "turn", "ask", "choose", "reflect", "pause", "close", "do", "for_each")
# who speaks in a turn: session order, or relative to the last turn, or a fact naming a partner ("{promiser}")
WHO = ("each", "first", "second", "speaker", "listener", "both")
BOTH = "both"  # a shared turn: its "partner" in the session record
MIN_SILENCE_S = 20.0  # nobody is hurried: silence is never re-prompted sooner
MIN_DONE_AFTER_S = 3.0  # a short answer's turn ends after this much quiet at the least
# facts the engine gives every wording; the actions add theirs (actions.always_known)
ENGINE_FACTS = {"first", "second", "partner", "other", "speaker", "listener", "minutes", "sessions_done", "question",
                "title", "day_part", "greeting", "farewell", "break_minutes", "words_heard",
                "experience"}  # known everywhere since the first format, though only a for_each source sets it
# a step's ``when``: a fact, "not <fact>", or "<fact> <op> <value>"
WHEN = re.compile(r"^\s*(not\s+)?([a-z_][a-z0-9_]*)\s*(?:(==|!=|<=|>=|<|>)\s*(\S+))?\s*$")


class Facts(dict):  # type: ignore[type-arg]
    """What a wording is filled with: a fact nobody set reads as nothing, never a KeyError mid-exercise."""

    def __missing__(self, key: str) -> str:
        return ""


@dataclass(frozen=True)
class Step:
    kind: str
    id: str
    where: str  # "file:line", for runtime messages
    wordings: tuple[str, ...] = ()  # say/close/choose: the words; turn/reflect/ask/pause/do: the prompt
    reprompt: tuple[str, ...] = ()  # turn/reflect/choose: other words, said after a first silence
    moving_on: tuple[str, ...] = ()  # turn/reflect/choose: the kind line after a second silence (else the shared one)
    who: str = "each"
    seconds: float = 0.0
    silence_s: float = MIN_SILENCE_S
    more_s: float = 0.0  # how much one "more time" adds (0 = decided from the turn's length)
    done_after_s: float = 0.0  # a short answer: this much quiet after the speaker has spoken ends the turn (0 = off)
    keep: str = "no"  # no | yes | if <fact>
    then: str | None = None
    bank: str | None = None
    action: str | None = None
    source: str | None = None
    fact: str | None = None
    value: Any = None
    status: str | None = None
    catalogue: str | None = None
    both: bool = False
    default: bool = False
    limit: int = 5
    when: tuple[str, ...] = ()  # all must hold for the step to run
    yes: tuple[Step, ...] = ()
    no: tuple[Step, ...] = ()
    steps: tuple[Step, ...] = ()
    none: tuple[str, ...] = ()  # for_each: said when there is nothing to go through


@dataclass(frozen=True)
class Bank:
    id: str  # the store's "asked" document id
    items: tuple[tuple[str, str], ...]  # (item id, text)


@dataclass(frozen=True)
class Script:
    exercise: str
    title: str
    starts_on: str
    why: str
    path: Path
    steps: tuple[Step, ...]
    minutes: float = 0.0
    length_setting: str | None = None
    memory: dict[str, Any] = field(default_factory=dict)
    banks: dict[str, Bank] = field(default_factory=dict)
    phrases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    timed: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)  # greeting/farewell overrides


@dataclass(frozen=True)
class ScriptSet:
    scripts: dict[str, Script]
    folder: Path
    phrases: dict[str, tuple[str, ...]] = field(default_factory=dict)  # the shared wordings (phrases.yaml)
    timed: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)  # phrase -> part of day -> wordings
    day_parts: DayParts = field(default_factory=DayParts)

    def by_intent(self, intent: str) -> Script | None:
        return next((s for s in self.scripts.values() if s.starts_on == intent), None)

    def get(self, exercise: str) -> Script | None:
        return self.scripts.get(exercise)
