"""Shared pieces for the exercise tests: a Context built from fakes, and small fake feature modules.

The feature modules (journal, promises, goals, experiences) are written in
parallel; these fakes keep the export-format shapes so the engine can be
tested on its own. The ``fakes`` fixture points the engine's actions at them.
"""

from __future__ import annotations

import random
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from assistant.clock import FakeClock, isoformat
from assistant.config import ExerciseSettings, PathSettings, Settings
from assistant.events import ExerciseEvent, ListSink, Wake
from assistant.exercises import actions
from assistant.features import experiences
from assistant.handlers import Context
from assistant.profile import Profile
from assistant.store import Store
from tests.fakes import RecordingSpeaker, ScriptedListener

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"


def make_ctx(store: Store, clock: FakeClock, profile: Profile, settings: Settings, lines: list[Any],
             scripts: Path | None = None, **exercise: Any) -> Context:
    settings = Settings(home=settings.home, exercises=ExerciseSettings(**exercise),
                        paths=PathSettings(scripts=str(scripts or SCRIPTS)))
    return Context(listener=ScriptedListener(list(lines), clock), speaker=RecordingSpeaker(), clock=clock,
                   store=store, profile=profile, events=ListSink(), settings=settings)


def said(ctx: Context) -> str:
    return ctx.speaker.text()  # type: ignore[attr-defined]


def phases(ctx: Context) -> list[tuple[str, str]]:
    return [(e.phase, e.reason) for e in ctx.events.of(ExerciseEvent)]  # type: ignore[attr-defined]


def only_session(store: Store) -> dict[str, Any]:
    (session,) = store.all("sessions")
    return session


def rng() -> random.Random:
    return random.Random(7)


# --- fake feature modules, export-format shapes -------------------------------------


def _journal() -> types.ModuleType:
    m = types.ModuleType("fake_journal")

    def add_gratitude(store: Store, clock: FakeClock, from_: str, about: str, text: str, session: str | None) -> dict:
        rec = {"from": from_, "about": about, "text": text, "at": isoformat(clock.now()), "session": session}
        rec["id"] = store.insert("gratitude", rec)
        return rec

    m.add_gratitude = add_gratitude  # type: ignore[attr-defined]
    return m


def _promises() -> types.ModuleType:
    m = types.ModuleType("fake_promises")

    def open_promises(store: Store) -> list[dict]:
        return sorted((p for p in store.all("promises") if p["status"] == "open"), key=lambda p: p["made"])

    def log_promise(store: Store, clock: FakeClock, partner: str, text: str, due_words: str | None) -> dict:
        rec = {"partner": partner, "text": text, "made": isoformat(clock.now()), "due": None, "due_words": due_words,
               "status": "open", "closed": None, "followups": []}
        rec["id"] = store.insert("promises", rec)
        return rec

    def mark(store: Store, clock: FakeClock, promise_id: str, status: str) -> dict | None:
        store.update("promises", promise_id, {"status": status, "closed": isoformat(clock.now())})
        return store.get("promises", promise_id)

    m.open_promises, m.log_promise, m.mark = open_promises, log_promise, mark  # type: ignore[attr-defined]
    return m


def _goals() -> types.ModuleType:
    m = types.ModuleType("fake_goals")

    def add_goal(store: Store, clock: FakeClock, text: str, steps: list[dict]) -> dict:
        rec = {"text": text, "created": isoformat(clock.now()), "status": "open", "steps": steps, "checkins": []}
        rec["id"] = store.insert("goals", rec)
        return rec

    def open_goals(store: Store) -> list[dict]:
        return [g for g in store.all("goals") if g["status"] == "open"]

    def add_checkin(store: Store, clock: FakeClock, goal_id: str, note: str) -> None:
        store.modify("goals", goal_id, lambda g: g["checkins"].append({"at": isoformat(clock.now()), "note": note}))

    def mark_reached(store: Store, clock: FakeClock, goal_id: str) -> None:
        store.update("goals", goal_id, {"status": "reached"})

    m.add_goal, m.open_goals, m.add_checkin, m.mark_reached = add_goal, open_goals, add_checkin, mark_reached  # type: ignore[attr-defined]
    return m


@dataclass(frozen=True)
class Activity:
    id: str
    text: str


def _experiences() -> types.ModuleType:
    m = types.ModuleType("fake_experiences")

    def load_catalogue(path: Path) -> list[Activity]:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return [Activity(a["id"], a["text"]) for a in data["activities"]]

    def pick(store: Store, clock: FakeClock, catalogue: list[Activity], rng: random.Random,
             include_done: bool = False) -> Activity:
        return rng.choice(catalogue)

    def record_suggested(store: Store, clock: FakeClock, text: str) -> dict:
        rec = {"text": text, "suggested": isoformat(clock.now()), "done": None}
        rec["id"] = store.insert("experiences", rec)
        return rec

    def log_done(store: Store, clock: FakeClock, text: str) -> dict:
        rec = {"text": text, "suggested": None, "done": isoformat(clock.now())}
        rec["id"] = store.insert("experiences", rec)
        return rec

    def last_done(store: Store) -> dict | None:
        done = [e for e in store.all("experiences") if e.get("done")]
        return max(done, key=lambda e: e["done"]) if done else None

    m.load_catalogue, m.pick, m.record_suggested, m.log_done, m.last_done = (  # type: ignore[attr-defined]
        load_catalogue, pick, record_suggested, log_done, last_done)
    # plain reads and writes of a record by id: the real ones, on the same shapes
    m.complete, m.latest_pending = experiences.complete, experiences.latest_pending  # type: ignore[attr-defined]
    return m


FAKES = {"journal": _journal(), "promises": _promises(), "goals": _goals(), "experiences": _experiences()}


@pytest.fixture
def fakes(monkeypatch: pytest.MonkeyPatch) -> dict[str, types.ModuleType]:
    monkeypatch.setattr(actions, "FEATURES", actions.Features(**FAKES))  # type: ignore[arg-type]
    return FAKES


# --- listeners and speakers for timing checks ---------------------------------------


@dataclass
class TimedSpeaker:
    """Records (clock seconds, words) so cue timing can be checked."""

    clock: FakeClock
    said: list[tuple[float, str]]

    def say(self, text: str) -> bool:
        self.said.append((self.clock.monotonic(), text))
        return True

    def text(self) -> str:
        return "\n".join(t for _, t in self.said)


class AutoListener:
    """Answers like a willing couple: each turn some words then "I'm done"; yes to questions.

    ``answers`` (confirm context) are used in order, then ``default_answer``.
    Every turn's words are unique ("Alex says 3") so stored transcripts can be checked.
    """

    def __init__(self, clock: FakeClock, profile: Profile, answers: list[str] | None = None,
                 default_answer: str = "confirm.yes", speech_s: float = 5.0) -> None:
        self.clock, self.profile = clock, profile
        self.answers = list(answers or [])
        self.default_answer = default_answer
        self.speech_s = speech_s
        self.spoken: list[str] = []
        self.heard: list[tuple[str, str]] = []
        self._mid_turn = False
        self.calls = 0

    def listen(self, context: str, *, mode: str = "command", timeout: float = 8.0, in_exercise: bool = False,
               can_resume: bool = False, commands: bool = False) -> Any:
        from assistant.conversation import InputClosed, Utterance
        self.calls += 1
        if self.calls > 2000:
            raise InputClosed()
        self.heard.append((context, mode))
        if context == "confirm":
            intent = self.answers.pop(0) if self.answers else self.default_answer
            return Utterance(text=intent, intent=intent, context=context, score=1.0)
        if mode == "dictation":
            if self._mid_turn:
                self._mid_turn = False
                return Utterance(text="I'm done", intent="turn.done", context=context, score=1.0)
            self._mid_turn = True
            words = f"words number {len(self.spoken) + 1}"
            self.spoken.append(words)
            self.clock.advance(self.speech_s)
            return Utterance(text=words, context=context, duration_s=self.speech_s)
        self.clock.advance(timeout)
        return Utterance(context=context, ended_by="timeout")

    def wait_for_wake(self, timeout: float) -> Wake | None:
        return Wake()


def write_script(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.yaml").write_text(text, encoding="utf-8")
    return folder


SOLO = """
exercise: solo
title: solo talk
starts_on: solo.start
why: a test script
steps:
  - turn: talk
    who: first
    seconds: {seconds}
    prompt: "{prompt}"{options}
  - close: "Thank you."
"""


def write_solo(folder: Path, seconds: float, prompt: str, reprompt: str | None = None, keep: bool = False) -> Path:
    """A scripts folder with one exercise, "solo": a turn of ``seconds`` for the first partner, then "Thank you."."""
    options = (f'\n    reprompt: "{reprompt}"' if reprompt else "") + ("\n    keep: yes" if keep else "")
    return write_script(folder, "solo", SOLO.format(seconds=seconds, prompt=prompt, options=options))


def solo_ctx(tmp_path: Path, store: Store, clock: FakeClock, profile: Profile, settings: Settings, lines: list[Any],
             seconds: float = 60, **exercise: Any) -> Context:
    folder = write_solo(tmp_path / "scripts", seconds, "{partner}, talk to {other}.", keep=True)
    ctx = make_ctx(store, clock, profile, settings, lines, scripts=folder, **exercise)
    ctx.speaker = TimedSpeaker(clock, [])
    return ctx
