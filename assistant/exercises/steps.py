"""Each kind of step, run: ``RUNNERS`` maps a step's kind to the function that runs it on a ``Run``.

A ``say`` speaks, a ``turn`` or ``reflect`` gives each partner their timed turn (``turns.py``), an
``ask`` draws a question from a bank, a ``choose`` asks yes or no (``valve.yes_no``), a ``do`` runs
an action and a ``for_each`` goes through a source's records (both from ``actions.py``), a
``pause`` is a quiet moment, and a ``close`` says the closing words and ends the exercise.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from typing import TYPE_CHECKING, Any

from ..conversation import COMMAND, RITUAL
from ..errors import ScriptError
from . import actions, banks, sessions, valve
from .ends import Closed, Stopped
from .model import BOTH, Facts, Step
from .turns import TurnResult, run_turn

if TYPE_CHECKING:
    from .engine import Run


def say(run: Run, step: Step) -> None:
    run.prompt(run.render(step.wordings))


def close(run: Run, step: Step) -> None:
    run.say(run.render(step.wordings))
    raise Closed()


def pause(run: Run, step: Step) -> None:
    """A timed quiet moment (a breath before starting); controls still heard."""
    if step.wordings:
        run.prompt(run.render(step.wordings))
    end = run.monotonic() + step.seconds
    while (left := end - run.monotonic()) > 0:
        heard = run.ctx.listener.listen(RITUAL, mode=COMMAND, timeout=left, in_exercise=True)
        if heard.intent == "ritual.skip":
            return
        if heard.intent == "ritual.stop":
            raise Stopped()
        if heard.intent == "ritual.pause":
            began = run.monotonic()
            run.pause_valve()
            end += run.monotonic() - began
        elif heard.intent == "ritual.repeat" and step.wordings:
            run.say(run.last_prompt)


def turn(run: Run, step: Step) -> None:
    _turns(run, step, moves_speaker=True)


def reflect(run: Run, step: Step) -> None:
    _turns(run, step, moves_speaker=False)


def _turns(run: Run, step: Step, moves_speaker: bool) -> None:
    planned = round(step.seconds * run.scale, 1)
    for partner in run.speakers(step.who):
        other = "" if partner == BOTH else run.ctx.profile.other(partner)
        if run.skip_turns > 0:
            # resuming: this partner had their turn before the pause
            run.skip_turns -= 1
            run.turns_in_step += 1
            if moves_speaker and partner != BOTH:
                run.facts["speaker"], run.facts["listener"] = partner, other
            continue
        if partner == BOTH:
            pass  # a shared turn: the prompt names them with {first} and {second}
        elif moves_speaker:
            run.facts["speaker"], run.facts["listener"] = partner, other
        elif step.who == "listener":
            other = run.facts.get("speaker", other)
        _one_turn(run, step, partner, other, planned)


def _one_turn(run: Run, step: Step, partner: str, other: str, planned: float) -> None:
    """Invite one partner (or both together), listen for their turn, store it and act on their words."""
    if step.bank:
        draw(run, step, partner, other)
    action = actions.turn_action(step.then) if step.then else None
    if action is not None and action.prepare is not None:
        action.prepare(run)
    prompt = run.render(step.wordings, partner=partner, other=other)
    run.prompt(prompt)
    wordings = step.reprompt or run.script.phrases.get("silence_prompt") or run.phrases["silence_prompt"]
    # Words that only go to the journal need not wait for Whisper: the quick transcript is kept at
    # once and the better one replaces it from the background (promises and goals are read back).
    deferred = action.deferred_table if action is not None and partner != BOTH else None
    later = _background(run.ctx.listener) if deferred else None

    def reprompt() -> str:
        return run.render(wordings, partner=partner, other=other)

    with later.deferred() if later is not None else nullcontext():
        result = run_turn(run, partner, step.id, planned, prompt, silence_s=step.silence_s, more_s=step.more_s,
                          reprompt=reprompt, done_after_s=step.done_after_s)
    audio = later.take_audio(result.parts) if later is not None else b""
    _store_turn(run, step, partner, planned, result)
    text = result.text
    if text and action is not None and partner != BOTH:
        record = action.run(run, actions.Said(partner, other, text))
        if later is not None and audio and isinstance(record, dict) and record.get("id"):
            stored = str(record.get("text", text))  # as the feature wrote it (capitals added)
            later.transcribe_later(audio, {"table": deferred, "id": record["id"]}, stored)


def _store_turn(run: Run, step: Step, partner: str, planned: float, result: TurnResult) -> None:
    """The turn goes into the session record (its words only if they are kept); then on, or stop."""
    text = result.text
    kept = text if (text and step.keep == "yes") else None
    index = sessions.add_turn(run.ctx.store, run.session_id, {
        "partner": partner, "step": step.id, "planned_s": planned, "actual_s": result.actual_s,
        "ended_by": result.ended_by, "transcript": kept})
    if text and step.keep.startswith("if "):
        run.pending[index] = (step.keep[3:], text)
    run.turns_in_step += 1
    if result.ended_by == "stop":
        raise Stopped()
    if text:
        run.facts["words_heard"] = True  # for a closing that thanks them for what they said
    if text or result.ended_by in ("done", "skip"):
        run.note_answer(True)
    else:
        run.moving_on(step.moving_on, partner=partner)


def ask(run: Run, step: Step) -> None:
    partner = run.speakers(step.who)[0]
    other = run.ctx.profile.other(partner)
    draw(run, step, partner, other)
    run.prompt(run.render(step.wordings, partner=partner, other=other))


def draw(run: Run, step: Step, partner: str, other: str) -> None:
    """Pick the next unused item of the step's bank into the fact {question}."""
    name = (step.bank or "").format_map(Facts(run.facts))
    bank = run.script.banks.get(name)
    if bank is None:
        raise ScriptError(f"{step.where}: no bank called {name!r} (from {step.bank!r})")
    _, text = banks.pick(run.ctx.store, bank, run.rng)
    run.facts["question"] = text.format_map(Facts(run.facts, partner=partner, other=other))


def choose(run: Run, step: Step) -> None:
    if step.both:
        # the second partner is asked in a few words ("And you, Sam?"), not the whole question again
        answer = all(valve.yes_no(run, run.render(step.wordings, partner=p), step.default, partner=p,
                                  reprompt=step.reprompt, moving_on=step.moving_on,
                                  opening=run.phrase("ask_other", partner=p) if i else None)
                     for i, p in enumerate(run.order))
    else:
        answer = valve.yes_no(run, run.render(step.wordings), step.default, reprompt=step.reprompt,
                              moving_on=step.moving_on)
    if step.fact:
        run.set_fact(step.fact, answer)
    run.steps(step.yes if answer else step.no)


def do(run: Run, step: Step) -> None:
    actions.step_action(step.action or "").run(run, step)
    if step.wordings:
        run.prompt(run.render(step.wordings))


def for_each(run: Run, step: Step) -> None:
    items = actions.source(step.source or "").items(run)[: step.limit]
    if not items and step.none:
        run.prompt(run.render(step.none))
    for item in items:
        run.facts.update(item)
        run.steps(step.steps)


RUNNERS: dict[str, Callable[[Run, Step], None]] = {
    "say": say, "turn": turn, "ask": ask, "choose": choose, "reflect": reflect, "pause": pause, "close": close,
    "do": do, "for_each": for_each,
}


def _background(listener: Any) -> Any:
    """The Whisper recogniser with a background worker behind ``listener``, if any (lazy: the core
    imports no speech code when it runs on typed input)."""
    if not hasattr(listener, "recognizer") and not hasattr(listener, "inner"):
        return None
    from ..speech.whisper_engine import background_dictation

    return background_dictation(listener)
