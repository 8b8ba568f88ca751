"""The safety valve and the yes/no questions of an exercise.

"Can we pause?" at any step goes quiet and offers a break; the engine checks back once and
otherwise leaves the exercise paused, to pick up within a day. A yes/no question (a ``choose``
step, the check after a break) is asked in the confirm context where stop and pause are still
heard; a command said instead sets the exercise aside, paused, so the command can run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..conversation import COMMAND, CONFIRM, RITUAL, Utterance, is_sure_answer
from . import sessions
from .ends import LeftPaused, Stopped

if TYPE_CHECKING:
    from .engine import Run

CONFIRM_TIMEOUT_S = 10.0


def yes_no(run: Run, question: str, default: bool, *, reprompt: tuple[str, ...] = (), moving_on: tuple[str, ...] = (),
           partner: str | None = None, opening: str | None = None, during_break: bool = False) -> bool:
    """Ask in the confirm context; stop/pause still heard. Silence or "skip" means ``default``.

    A first silence gets the question in other words (``reprompt``, else the shared one), never the
    same words again; after a second, one kind line and the exercise moves on. ``opening`` is said
    instead of the question the first time ("And you, Sam?"); "repeat that" says the whole question.
    """
    run.prompt(opening or question)
    run.last_prompt = question
    misses = 0
    while misses < 2:
        heard = run.ctx.listener.listen(CONFIRM, mode=COMMAND, timeout=CONFIRM_TIMEOUT_S, in_exercise=True,
                                        commands=True)
        if heard.command:
            # Something else was asked for: the exercise waits (paused, to pick up within a day) and it runs.
            run.ctx.defer(heard)
            if during_break:
                return False
            set_aside(run)
        if heard.intent in ("confirm.yes", "confirm.no") and not is_sure_answer(heard):
            heard = Utterance(text=heard.text, context=heard.context)  # a loose fit is asked again, never acted on
        answer = _answer(run, heard, default, during_break)
        if answer is not None:
            return answer
        if heard.intent == "ritual.pause" and not during_break:
            run.pause_valve()
            run.say(question)
            continue
        if heard.intent == "ritual.repeat":
            run.say(question)
            continue
        misses += 1
        if misses < 2:
            if heard.silent:
                run.say(run.render(reprompt, partner=partner) if reprompt else run.phrase("reprompt", partner=partner))
            else:
                run.say(run.phrase("not_heard"))
    if not during_break:
        run.moving_on(moving_on, partner=partner, key="moving_on_yes" if default else "moving_on")
    return default


def _answer(run: Run, heard: Utterance, default: bool, during_break: bool) -> bool | None:
    """The answer ``heard`` gives (stop raises), or None when it is no answer."""
    if heard.intent == "confirm.yes" or (during_break and heard.intent == "ritual.resume"):
        run.note_answer(True)
        return True
    if heard.intent == "confirm.no":
        run.note_answer(True)
        return False
    if heard.intent == "ritual.stop":
        raise Stopped()
    if heard.intent == "ritual.skip":
        return default
    return None


def set_aside(run: Run) -> None:
    """Leave the exercise paused where it is (a command was said instead of an answer)."""
    sessions.mark_paused(run.ctx.store, run.ctx.clock, run.session_id, {
        "step": run.top_index, "turns_done": run.turns_in_step, "facts": run.saved_facts()})
    run.emit("paused")
    run.say(run.phrase("pause_later"))
    raise LeftPaused()


def pause_valve(run: Run, resume_at: int | None = None) -> None:
    """Go quiet and offer a break; check back once; otherwise leave it paused to pick up within a day."""
    store, clock = run.ctx.store, run.ctx.clock
    run.emit("paused")
    sessions.mark_paused(store, clock, run.session_id, {
        "step": run.top_index if resume_at is None else resume_at,
        "turns_done": run.turns_in_step if resume_at is None else 0,
        "facts": run.saved_facts()})
    run.in_break = True
    run.say(run.phrase("pause_start"))
    if not _waited_for_resume(run) and not yes_no(run, run.phrase("pause_check"), False, during_break=True):
        run.say(run.phrase("pause_later"))
        raise LeftPaused()
    run.in_break = False
    sessions.mark_running(store, run.session_id)
    run.emit("resumed")
    run.say(run.phrase("resumed"))


def _waited_for_resume(run: Run) -> bool:
    """The quiet break: True when they said "let's continue" before it ran out."""
    end = run.monotonic() + run.break_minutes * 60
    while (left := end - run.monotonic()) > 0:
        heard = run.ctx.listener.listen(RITUAL, mode=COMMAND, timeout=left, in_exercise=True)
        if heard.intent == "ritual.resume":
            return True
        if heard.intent == "ritual.stop":
            raise Stopped()
        # anything else is the couple talking to each other: not for Tandem
    return False
