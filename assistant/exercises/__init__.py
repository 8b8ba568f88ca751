"""Guided exercises: spoken scripts (``scripts/*.yaml``) run by a small engine.

Public API (used by the dialogue loop):

* ``start_exercise(ctx, exercise_id) -> str`` -- run an exercise to its end (the engine the
  dialogue binds as ``ctx.run_exercise``; features start one with ``ctx.start_exercise(id)``);
  returns the end reason (completed | stopped | paused | timed_out; raises
  ``InputClosed`` after storing the session as unfinished);
* ``paused_exercise(ctx) -> dict | None`` -- the paused session that
  "let's continue" would resume now (for the idle context's ``can_resume``);
* ``load_scripts(scripts_dir) -> ScriptSet`` -- load and check every script;
* ``HANDLERS`` -- the start intents of the eight exercises, and ``ritual.resume``.
"""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path
from typing import Any

from ..config import ExerciseSettings
from ..conversation import Utterance
from ..errors import TandemError
from ..events import ExerciseEvent
from ..handlers import Context, Handler
from . import sessions
from .engine import Run
from .script import Script, ScriptError, ScriptSet
from .script import load_scripts as _load_scripts

__all__ = ["HANDLERS", "ScriptError", "ScriptSet", "load_scripts", "paused_exercise", "start_exercise"]

# The start intents; a script's own ``starts_on`` decides at run time.
START_INTENTS = {
    "gratitude.start": "gratitude",
    "checkin.start": "checkin",
    "vulnerability.start": "vulnerability",
    "listening.start": "listening",
    "commitments.start": "commitments",
    "goals.start": "goals",
    "experience.suggest": "experiences",
    "trusttalk.start": "trusttalk",
}
# a script may stretch its turns by one of these settings (length_setting)
LENGTH_SETTINGS = {f.name for f in dataclasses.fields(ExerciseSettings) if f.name.endswith("_minutes")}

_cache: dict[Path, tuple[tuple[tuple[str, int], ...], ScriptSet]] = {}


class ExerciseError(TandemError):
    """An exercise that cannot be started (unknown id)."""


def load_scripts(scripts_dir: Path) -> ScriptSet:
    """Load every exercise in ``scripts_dir``; reloaded only when a file there changes."""
    folder = Path(scripts_dir)
    stamp = tuple(sorted((str(p), p.stat().st_mtime_ns) for p in folder.rglob("*.yaml"))) if folder.is_dir() else ()
    cached = _cache.get(folder)
    if cached and cached[0] == stamp:
        return cached[1]
    loaded = _load_scripts(folder, LENGTH_SETTINGS)
    _cache[folder] = (stamp, loaded)
    return loaded


def _scripts(ctx: Context) -> ScriptSet:
    return load_scripts(ctx.settings.paths.scripts_dir)


def start_exercise(ctx: Context, exercise_id: str, rng: random.Random | None = None) -> str:
    """Run ``exercise_id`` from its first step; stored from the moment it starts."""
    scripts = _scripts(ctx)
    script = scripts.get(exercise_id)
    if script is None:
        known = ", ".join(sorted(scripts.scripts)) or "none"
        raise ExerciseError(f"no exercise called {exercise_id!r} in {scripts.folder} (known: {known})")
    _expire_paused(ctx, scripts)
    first = sessions.next_first(ctx.store, ctx.profile)
    order = (first, ctx.profile.other(first))
    record = sessions.begin(ctx.store, ctx.clock, script.exercise, first)
    run = Run(ctx=ctx, script=script, phrases=scripts.phrases, session_id=record["id"], order=order,
              rng=rng or random.Random(), timed=scripts.timed, day_parts=scripts.day_parts)
    run.base_facts()
    ctx.events.emit(ExerciseEvent(exercise=script.exercise, phase="started", session=record["id"]))
    return _running(ctx, run, 0)


def _running(ctx: Context, run: Run, start: int) -> str:
    was = ctx.in_exercise
    ctx.in_exercise = True
    try:
        return run.run(start)
    finally:
        ctx.in_exercise = was


def paused_exercise(ctx: Context) -> dict[str, Any] | None:
    """The most recently paused session that can still be resumed, or None."""
    limit = ctx.settings.exercises.pause_limit_minutes
    for record in sessions.paused(ctx.store):
        if not sessions.expired(record, ctx.clock, limit):
            return record
    return None


def resume_exercise(ctx: Context, rng: random.Random | None = None) -> str | None:
    """Pick up the paused exercise where it was; None when there is nothing to resume."""
    scripts = _scripts(ctx)
    _expire_paused(ctx, scripts)
    record = paused_exercise(ctx)
    script = scripts.get(record["exercise"]) if record else None
    if record is None or script is None:
        return None
    first = str(record["first"]) if record.get("first") in ctx.profile.partners else ctx.profile.first
    run = Run(ctx=ctx, script=script, phrases=scripts.phrases, session_id=record["id"],
              order=(first, ctx.profile.other(first)), rng=rng or random.Random(), timed=scripts.timed,
              day_parts=scripts.day_parts)
    resume = record.get("resume") or {}
    run.base_facts()
    run.facts.update(resume.get("facts") or {})
    start = int(resume.get("step", 0))
    run.skip_turns = int(resume.get("turns_done", 0))
    sessions.mark_running(ctx.store, record["id"])
    ctx.events.emit(ExerciseEvent(exercise=script.exercise, phase="resumed", session=record["id"]))
    run.say(run.phrase("resume_welcome"))
    return _running(ctx, run, min(start, len(script.steps)))


def _expire_paused(ctx: Context, scripts: ScriptSet) -> None:
    """A pause past its limit is closed politely and kept as unfinished."""
    limit = ctx.settings.exercises.pause_limit_minutes
    for record in sessions.paused(ctx.store):
        if sessions.expired(record, ctx.clock, limit):
            sessions.finish(ctx.store, ctx.clock, record["id"], "unfinished")
            script = scripts.get(record.get("exercise", ""))
            _say_phrase(ctx, scripts, script, "resume_expired", record.get("exercise", ""))
            ctx.events.emit(ExerciseEvent(exercise=record.get("exercise", ""), phase="ended", reason="unfinished",
                                          session=record["id"]))


def _say_phrase(ctx: Context, scripts: ScriptSet, script: Script | None, key: str, title: str) -> None:
    wordings = (script.phrases.get(key) if script else None) or scripts.phrases[key]
    first, second = ctx.profile.partners
    ctx.say(random.choice(wordings).format_map(
        {"title": script.title if script else title, "first": first, "second": second, "partner": first,
         "other": second}
        | _Blank()))


class _Blank(dict):  # type: ignore[type-arg]
    def __missing__(self, key: str) -> str:
        return ""


def _starter(intent: str) -> Handler:
    def handle(ctx: Context, utterance: Utterance) -> None:
        script = _scripts(ctx).by_intent(intent)
        # through the context, like any feature: it runs the engine bound at start-up and tells the loop
        ctx.start_exercise(script.exercise if script else START_INTENTS[intent])

    handle.__name__ = f"start_{START_INTENTS[intent]}"
    return handle


def handle_resume(ctx: Context, utterance: Utterance) -> None:
    """'Let's continue our trust talk' from idle."""
    if resume_exercise(ctx) is None:
        scripts = _scripts(ctx)
        _say_phrase(ctx, scripts, None, "resume_none", "")


HANDLERS: dict[str, Handler] = {intent: _starter(intent) for intent in START_INTENTS}
HANDLERS["ritual.resume"] = handle_resume
