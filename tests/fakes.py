"""Fakes for unit tests: a scripted listener and a recording speaker.

End-to-end tests use the real parts (``tandem run`` in text mode or in the
virtual home); these exist so that the core can be tested in milliseconds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from assistant.clock import FakeClock
from assistant.conversation import COMMAND, IDLE, InputClosed, Utterance, settle
from assistant.events import Wake

# A parse function: (text, context, in_exercise, can_resume) -> anything with .intent, .slots, .score
# (the real Matcher's Parse, or an Utterance from intent_by_name)
Parse = Callable[[str, str, bool, bool], Any]


def intent_by_name(text: str, context: str, in_exercise: bool, can_resume: bool) -> Utterance:
    """A trivial parser for tests that do not exercise the NLU: '!intent.name k=v' lines."""
    if text.startswith("!"):
        head, *pairs = text[1:].split()
        slots = dict(p.split("=", 1) for p in pairs)
        return Utterance(text=text, intent=head, slots=slots, score=1.0, context=context)
    return Utterance(text=text, intent=None, score=0.0, context=context)


@dataclass
class ScriptedListener:
    """Hands out scripted lines in order; "" is a silence that lets ``timeout`` pass on the clock.

    Each line may be a string, or a (seconds_of_speech, text) pair: the clock
    advances by that much while the "partner" speaks.
    """

    lines: list[str | tuple[float, str]]
    clock: FakeClock
    parse: Parse = intent_by_name
    heard: list[tuple[str, str, str]] = field(default_factory=list)  # (context, mode, text)

    def listen(self, context: str, *, mode: str = COMMAND, timeout: float = 8.0, in_exercise: bool = False,
               can_resume: bool = False, commands: bool = False) -> Utterance:
        if not self.lines:
            raise InputClosed()
        item = self.lines.pop(0)
        speech_s, text = item if isinstance(item, tuple) else (0.0, item)
        self.heard.append((context, mode, text))
        if not text:
            self.clock.advance(timeout)
            return Utterance(context=context, ended_by="timeout")
        self.clock.advance(speech_s)
        u = self.parse(text, context, in_exercise, can_resume)
        heard = Utterance(text=text, intent=u.intent, slots=dict(u.slots), score=u.score, context=context,
                          duration_s=speech_s)
        if commands and context != IDLE:  # as the real listeners do (conversation.settle)
            c = self.parse(text, IDLE, False, can_resume)
            heard = settle(heard, Utterance(text=text, intent=c.intent, slots=dict(c.slots), score=c.score,
                                            duration_s=speech_s))
        return heard

    def wait_for_wake(self, timeout: float) -> Wake | None:
        if not self.lines:
            raise InputClosed()
        return Wake()


@dataclass
class RecordingSpeaker:
    """Keeps what was said; optionally advances the clock as if speaking took time."""

    clock: FakeClock | None = None
    seconds_per_word: float = 0.0
    said: list[str] = field(default_factory=list)

    def say(self, text: str) -> bool:
        self.said.append(text)
        if self.clock is not None and self.seconds_per_word:
            self.clock.advance(self.seconds_per_word * len(text.split()))
        return True

    def text(self) -> str:
        return "\n".join(self.said)


def lines(*items: str | tuple[float, str]) -> list[str | tuple[float, str]]:
    return list(items)


def said_any(speaker: RecordingSpeaker, needles: Iterable[str]) -> bool:
    blob = speaker.text().lower()
    return any(n.lower() in blob for n in needles)
