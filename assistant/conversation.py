"""The seam between the pure core and the outside world.

The dialogue loop, the exercise engine and the features talk to the couple
only through two small Protocols:

* ``Listener.listen(context, ...)`` -- wait (bounded) for one utterance and
  return it already understood (text + intent + slots), or a silence;
* ``Speaker.say(text)`` -- speak, returning only when the sound has finished
  (or was cut short).

``tandem run --text`` wires a listener that reads stdin lines; the audio
mode wires microphone -> wake/endpoint -> recogniser -> matcher; tests wire
scripted fakes (``tests/fakes.py``). The core never imports audio, speech
or TTS libraries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Protocol

from .events import Wake

# From this score up a template explains what was heard: an answer to a question, and a command said instead of
# one, must reach it (the matcher's bands, read without loading the matcher: nlu/bands.py).
from .nlu.bands import SURE_SCORE

if TYPE_CHECKING:
    from .nlu.match import Parse

# Listening modes: command = constrained to the context's phrases (cheap, accurate);
# dictation = free speech (a partner's turn, a promise's words), control phrases still heard.
COMMAND = "command"
DICTATION = "dictation"

# Contexts, as in docs/intent-catalogue.md
IDLE = "idle"
RITUAL = "ritual"
CONFIRM = "confirm"
NAME = "name"

YES, NO = "confirm.yes", "confirm.no"
DEFAULT_REASK = "Sorry, I didn't catch that. Yes or no?"

# How the listeners understand what they heard: (text, context, in_exercise, can_resume) -> the matcher's Parse
# (wiring.parse_function makes one from a Matcher).
ParseFn = Callable[[str, str, bool, bool], "Parse"]


class InputClosed(Exception):
    """The input ended (end of ``--text`` stdin, last ``--input-wav``, ``--until`` reached).

    Whoever is running an exercise stores it as unfinished and lets this
    propagate; the loop then ends cleanly.
    """


@dataclass(frozen=True)
class Utterance:
    """One listening window's result, already run through the intent matcher.

    ``text == ""`` is a silence: the window passed with nothing heard
    (``ended_by`` says why: "silence" or "timeout").
    """

    text: str = ""
    intent: str | None = None
    slots: dict[str, str] = field(default_factory=dict)
    score: float = 0.0
    context: str = IDLE
    ended_by: str = "speech"  # speech | silence | timeout | barge_in
    duration_s: float = 0.0  # how long the speech itself lasted (clock seconds; 0 for typed text)
    # Said in answer to a question, the words were an idle command instead (``listen(..., commands=True)``):
    # ``intent``/``slots``/``score`` are the command's, to run once the question is dropped.
    command: bool = False

    @property
    def silent(self) -> bool:
        return not self.text.strip()

    @classmethod
    def of(cls, text: str, parsed: Parse, context: str, *, ended_by: str = "speech",
           duration_s: float = 0.0) -> Utterance:
        """What was heard (or typed) as the matcher read it: the one place a ``Parse`` becomes an ``Utterance``."""
        return cls(text=text, intent=parsed.intent, slots=dict(parsed.slots), score=float(parsed.score),
                   context=context, ended_by=ended_by, duration_s=duration_s)


SILENCE = Utterance(ended_by="silence")


def settle(answer: Utterance, command: Utterance | None) -> Utterance:
    """One utterance said after a question, read as an answer (``answer``, in the question's context)
    and as an idle command (``command``): which reading counts.

    A command counts only when the matcher is sure of it (a template fits), and more sure than of the
    answer: "not now" is the answer no rather than "cancel", "we did it" a yes rather than "we tried
    something new". The result of a command keeps the question's context and has ``command`` set.
    """
    if command is None or command.intent is None or command.score < SURE_SCORE:
        return answer
    if answer.intent is not None and answer.score >= command.score:
        return answer
    return replace(command, context=answer.context, command=True)


class Listener(Protocol):
    def listen(
        self,
        context: str,
        *,
        mode: str = COMMAND,
        timeout: float = 8.0,
        in_exercise: bool = False,
        can_resume: bool = False,
        commands: bool = False,
    ) -> Utterance:
        """Wait up to ``timeout`` clock seconds for speech to start, then for it to end.

        Returns the utterance understood in ``context`` (with the catalogue's
        layering: ``in_exercise`` lets confirm/name also hear ritual.stop and
        ritual.pause; ``can_resume`` lets idle hear ritual.resume), or a
        silence. With ``commands`` (an answer to a question) the words are
        also read as an idle command and ``settle`` decides which reading
        counts. Raises ``InputClosed`` when there will never be more input.
        """
        ...

    def wait_for_wake(self, timeout: float) -> Wake | None:
        """Asleep: wait up to ``timeout`` clock seconds for the wake phrase.

        The wake when woken (in text mode: when the next typed line is due), None when the time passed.
        """
        ...


class Speaker(Protocol):
    def say(self, text: str) -> bool:
        """Speak ``text``; return when the sound has finished. False if it was cut short."""
        ...


def is_sure_answer(answer: Utterance) -> bool:
    """A yes or a no the matcher is sure of: a loose guess ("i did it" for a garbled command) is not one."""
    return answer.intent in (YES, NO) and answer.score >= SURE_SCORE


def ask_yes_no(
    listener: Listener, speaker: Speaker, question: str, *, in_exercise: bool = False, timeout: float = 10.0,
    tries: int = 2,
    reask: str = DEFAULT_REASK,
) -> Utterance:
    """Ask a yes/no question; returns a sure answer (intent confirm.yes / confirm.no), a layered control
    intent (ritual.stop / ritual.pause / cancel), an idle command said instead (``command`` set), or,
    after ``tries`` windows, a silence or an utterance with no intent (not understood: nothing changes).

    When unsure (nothing understood, or a yes/no that only fits loosely) the question is asked once
    more in other words (``reask``)."""
    speaker.say(question)
    answer = SILENCE
    for attempt in range(tries):
        answer = listener.listen(CONFIRM, timeout=timeout, in_exercise=in_exercise, commands=True)
        if answer.silent or answer.command or is_sure_answer(answer):
            return answer
        if answer.intent is not None and answer.intent not in (YES, NO):
            return answer  # stop, pause, cancel
        if attempt + 1 < tries:
            speaker.say(reask)
    return replace(answer, intent=None, slots={}) if answer.intent is not None else answer


def ask_partner(
    listener: Listener, speaker: Speaker, question: str, partners: tuple[str, str], *, in_exercise: bool = False,
    timeout: float = 10.0,
    reask: str | None = None,
) -> str | None:
    """Ask which partner ("Alex or Sam?"); returns a configured name or None (also when an idle
    command was said instead: the listener is expected to keep it, see ``Context``)."""
    speaker.say(question)
    for attempt in range(2):
        answer = listener.listen(NAME, timeout=timeout, in_exercise=in_exercise, commands=True)
        if answer.command:
            return None
        if answer.intent == "answer.partner" and answer.slots.get("partner") in partners:
            return answer.slots["partner"]
        if answer.silent or answer.intent is not None:
            return None
        if attempt == 0:
            speaker.say(reask or f"Sorry, was that {partners[0]} or {partners[1]}?")
    return None
