"""Runs a script's steps against the couple: speaking, listening, timing, storing.

The engine only talks to the world through the handler ``Context`` (listener, speaker, clock,
store, events): no audio, no disk beyond the store and the script files. ``Run`` holds one
exercise's state and the words it says; each step kind is run by ``steps.py``, the actions steps
name by the registry in ``actions.py``, and the safety valve and yes/no questions by ``valve.py``.
Control phrases work at every step: ``ritual.pause`` opens the safety valve, ``ritual.stop`` ends
politely, ``ritual.skip`` moves on, ``ritual.repeat`` says the last prompt again.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from typing import Any

from ..conversation import DICTATION, RITUAL, InputClosed, Utterance
from ..events import ExerciseEvent
from ..handlers import Context
from . import actions, sessions, valve
from .dayparts import DayParts
from .ends import Closed, Drifted, LeftPaused, Stopped
from .model import BOTH, WHEN, Facts, Script, Step
from .phrases import TIMED_PHRASE_KEYS
from .steps import RUNNERS

DRIFT_LIMIT = 3  # this many unanswered steps in a row: nobody is there any more; end gently
BREAK_MINUTES = 20  # the safety valve's quiet break, unless settings say otherwise
MEMORY_KEY = "ritual.memory.{exercise}"  # store meta: facts an exercise remembers between sessions
_COMPARE = {"==": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
            "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}


class _LiveFacts(Facts):
    """Facts, plus the time-of-day words ({greeting}, {farewell}, {day_part}), worked out only when a wording
    uses them."""

    def __init__(self, facts: dict[str, Any], run: Run) -> None:
        super().__init__(facts)
        self._run = run

    def __missing__(self, key: str) -> str:
        if key == "day_part":
            return self._run.day_part()
        if key in TIMED_PHRASE_KEYS:
            return self._run.timed_phrase(key)
        return ""


@dataclass
class Run:
    """One exercise being run (or resumed)."""

    ctx: Context
    script: Script
    phrases: dict[str, tuple[str, ...]]
    session_id: str
    order: tuple[str, str]
    rng: random.Random = field(default_factory=random.Random)
    timed: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)  # phrase -> part of day -> wordings
    day_parts: DayParts = field(default_factory=DayParts)
    facts: dict[str, Any] = field(default_factory=dict)
    top_index: int = 0
    in_break: bool = False
    quiet: int = 0
    last_prompt: str = ""
    pending: dict[int, tuple[str, str]] = field(default_factory=dict)  # turn index -> (keep fact, words)
    turns_in_step: int = 0  # turns finished in the current top-level step (a resume skips them)
    skip_turns: int = 0  # set when resuming: turns of the resumed step already done before the pause
    said_from: dict[tuple[str, ...], str] = field(default_factory=dict)  # a list of wordings -> the one said last
    # the features the actions write to; read when the run starts, so tests can swap in fakes
    features: actions.Features = field(default_factory=lambda: actions.FEATURES)

    # --- set-up ------------------------------------------------------------------

    @property
    def more_time_max(self) -> int:
        return int(self.ctx.settings.exercises.more_time_max)

    @property
    def break_minutes(self) -> int:
        return int(getattr(self.ctx.settings.exercises, "break_minutes", BREAK_MINUTES))

    @property
    def scale(self) -> float:
        """Turn lengths are written for ``minutes``; a couple's chosen length stretches them."""
        if not self.script.length_setting or not self.script.minutes:
            return 1.0
        return float(getattr(self.ctx.settings.exercises, self.script.length_setting)) / self.script.minutes

    def base_facts(self) -> None:
        first, second = self.order
        minutes = self.script.minutes * self.scale
        self.facts.update({"first": first, "second": second, "title": self.script.title,
                           "minutes": int(minutes) if minutes == int(minutes) else round(minutes, 1),
                           "sessions_done": sessions.completed_count(self.ctx.store, self.script.exercise),
                           "break_minutes": self.break_minutes})
        self.facts.setdefault("words_heard", False)
        self.facts.setdefault("speaker", first)
        self.facts.setdefault("listener", second)
        stored = self.ctx.store.meta(MEMORY_KEY.format(exercise=self.script.exercise), {}) or {}
        for key, default in self.script.memory.items():
            self.facts[key] = stored.get(key, default)

    # --- the host for turns (turns.TurnHost) -----------------------------------------

    def monotonic(self) -> float:
        return self.ctx.clock.monotonic()

    def say(self, text: str) -> None:
        if text:
            self.ctx.say(text)

    def phrase(self, key: str, partner: str | None = None) -> str:
        return self.render(self.script.phrases.get(key) or self.phrases[key], partner=partner)

    def listen_turn(self, timeout: float) -> Utterance:
        return self.ctx.listener.listen(RITUAL, mode=DICTATION, timeout=timeout, in_exercise=True)

    def pause_valve(self, resume_at: int | None = None) -> None:
        """The safety valve (``valve.pause_valve``): returns when they come back, else raises."""
        valve.pause_valve(self, resume_at)

    # --- words ------------------------------------------------------------------------

    def render(self, wordings: tuple[str, ...], partner: str | None = None, other: str | None = None) -> str:
        if not wordings:
            return ""
        facts = _LiveFacts(self.facts, self)
        facts["partner"] = partner or self.facts.get("speaker") or self.order[0]
        facts["other"] = other or self.ctx.profile.other(facts["partner"])
        return _sentence_case(self.pick(wordings).format_map(facts))

    def pick(self, wordings: tuple[str, ...]) -> str:
        """One wording at random, never the one this list gave last time (the second partner hears other words)."""
        fresh = [w for w in wordings if w != self.said_from.get(wordings)] or list(wordings)
        chosen = fresh[0] if len(fresh) == 1 else self.rng.choice(fresh)
        self.said_from[wordings] = chosen
        return chosen

    def day_part(self) -> str:
        """Morning, afternoon, evening or night, by the couple's own clock (the profile's zone)."""
        local = self.ctx.clock.now().astimezone(self.ctx.profile.tz)
        return self.day_parts.at(local.time())

    def timed_phrase(self, key: str) -> str:
        by_part = self.script.timed.get(key) or self.timed.get(key)
        if not by_part:
            return ""
        return self.render(by_part[self.day_part()])

    def prompt(self, text: str) -> None:
        self.last_prompt = text
        self.say(text)

    # --- running --------------------------------------------------------------------

    def run(self, start: int = 0) -> str:
        """Run from top-level step ``start``; returns the end reason (and stores it)."""
        store, clock = self.ctx.store, self.ctx.clock
        reason = "completed"
        try:
            for index in range(start, len(self.script.steps)):
                self.top_index = index
                self.turns_in_step = 0
                self.step(self.script.steps[index])
                self.skip_turns = 0
        except Closed:
            reason = "completed"
        except Stopped:
            self.say(self.phrase("stopped"))
            reason = "stopped"
        except Drifted:
            self.say(self.phrase("drifted"))
            reason = "timed_out"
        except LeftPaused:
            return "paused"
        except InputClosed:
            if not self.in_break:  # a couple on a break can still come back to it
                sessions.finish(store, clock, self.session_id, "unfinished")
                self.emit("ended", "unfinished")
            raise
        if reason == "completed":
            self.keep_pending()
        sessions.finish(store, clock, self.session_id, reason)
        self.emit("ended", reason)
        return reason

    def emit(self, phase: str, reason: str = "") -> None:
        self.ctx.events.emit(ExerciseEvent(exercise=self.script.exercise, phase=phase, reason=reason,
                                           session=self.session_id))

    def steps(self, steps: tuple[Step, ...]) -> None:
        for step in steps:
            self.step(step)

    def step(self, step: Step) -> None:
        if all(self.holds(condition) for condition in step.when):
            RUNNERS[step.kind](self, step)

    def holds(self, condition: str) -> bool:
        match = WHEN.match(condition)
        assert match is not None  # checked at load
        negate, name, op, raw = match.groups()
        value = self.facts.get(name)
        if op is None:
            result = bool(value)
        else:
            want: Any
            try:
                want, value = float(raw), float(value)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                want, value = raw, str(value)  # words compare as words
            result = _COMPARE[op](value, want)
        return not result if negate else result

    # --- helpers ----------------------------------------------------------------------

    def speakers(self, who: str) -> list[str]:
        first, second = self.order
        fixed = {"each": [first, second], BOTH: [BOTH], "first": [first], "second": [second]}
        if who in fixed:
            return fixed[who]
        if who == "speaker":
            return [self.facts.get("speaker", first)]
        if who == "listener":
            return [self.ctx.profile.other(self.facts.get("speaker", first))]
        named = self.facts.get(who.strip("{}"))
        return [named] if named in self.ctx.profile.partners else [first]

    def set_fact(self, name: str, value: Any) -> None:
        self.facts[name] = value
        if name in self.script.memory:
            key = MEMORY_KEY.format(exercise=self.script.exercise)
            remembered = dict(self.ctx.store.meta(key, {}) or {})
            remembered[name] = value
            self.ctx.store.set_meta(key, remembered)

    def moving_on(self, wordings: tuple[str, ...] = (), partner: str | None = None, key: str = "moving_on") -> None:
        """Nobody answered, twice: one kind line and on to the next step (or, after several, end gently)."""
        if self.quiet + 1 < DRIFT_LIMIT:
            self.say(self.render(wordings, partner=partner) if wordings else self.phrase(key, partner=partner))
        self.note_answer(False)

    def note_answer(self, answered: bool) -> None:
        self.quiet = 0 if answered else self.quiet + 1
        if self.quiet >= DRIFT_LIMIT:
            raise Drifted()

    def keep_pending(self) -> None:
        """Transcripts kept only if the couple agreed (``keep: if <fact>``)."""
        agreed = {i: text for i, (fact, text) in self.pending.items() if self.facts.get(fact) is True}
        sessions.set_transcripts(self.ctx.store, self.session_id, agreed)
        self.pending.clear()

    def saved_facts(self) -> dict[str, Any]:
        # private words never wait in a paused record: only the facts the script set
        return {k: v for k, v in self.facts.items() if k not in ("text",) and _jsonable(v)}


def _sentence_case(text: str) -> str:
    """Bank items are written lower-case so they slot into a prompt; a new sentence still starts upper-case."""
    return re.sub(r"(^|[.!?]\s+)([a-z])", lambda m: m.group(1) + m.group(2).upper(), text)


def _jsonable(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool, type(None), list, dict))
