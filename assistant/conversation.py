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

from dataclasses import dataclass, field
from typing import Protocol

# Listening modes: command = constrained to the context's phrases (cheap, accurate);
# dictation = free speech (a partner's turn, a promise's words), control phrases still heard.
COMMAND = "command"
DICTATION = "dictation"

# Contexts, as in shared/docs/intent-catalogue.md
IDLE = "idle"
RITUAL = "ritual"
CONFIRM = "confirm"
NAME = "name"


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

    @property
    def silent(self) -> bool:
        return not self.text.strip()


SILENCE = Utterance(ended_by="silence")


class Listener(Protocol):
    def listen(
        self,
        context: str,
        *,
        mode: str = COMMAND,
        timeout: float = 8.0,
        in_exercise: bool = False,
        can_resume: bool = False,
    ) -> Utterance:
        """Wait up to ``timeout`` clock seconds for speech to start, then for it to end.

        Returns the utterance understood in ``context`` (with the catalogue's
        layering: ``in_exercise`` lets confirm/name also hear ritual.stop and
        ritual.pause; ``can_resume`` lets idle hear ritual.resume), or a
        silence. Raises ``InputClosed`` when there will never be more input.
        """
        ...

    def wait_for_wake(self, timeout: float) -> bool:
        """Asleep: wait up to ``timeout`` clock seconds for the wake phrase.

        True when woken (in text mode: when the next typed line is due).
        """
        ...


class Speaker(Protocol):
    def say(self, text: str) -> bool:
        """Speak ``text``; return when the sound has finished. False if it was cut short."""
        ...


def ask_yes_no(
    listener: Listener, speaker: Speaker, question: str, *, in_exercise: bool = False, timeout: float = 10.0, tries: int = 2
) -> Utterance:
    """Ask a yes/no question; returns the answer (intent confirm.yes / confirm.no), a layered
    control intent (ritual.stop / ritual.pause / cancel), or a silence after ``tries`` windows."""
    speaker.say(question)
    answer = SILENCE
    for attempt in range(tries):
        answer = listener.listen(CONFIRM, timeout=timeout, in_exercise=in_exercise)
        if answer.intent is not None or answer.silent:
            return answer
        if attempt + 1 < tries:
            speaker.say("Sorry, I didn't catch that. Yes or no?")
    return answer


def ask_partner(
    listener: Listener, speaker: Speaker, question: str, partners: tuple[str, str], *, in_exercise: bool = False, timeout: float = 10.0
) -> str | None:
    """Ask which partner ("Alex or Sam?"); returns a configured name or None."""
    speaker.say(question)
    for attempt in range(2):
        answer = listener.listen(NAME, timeout=timeout, in_exercise=in_exercise)
        if answer.intent == "answer.partner" and answer.slots.get("partner") in partners:
            return answer.slots["partner"]
        if answer.silent or answer.intent is not None:
            return None
        if attempt == 0:
            speaker.say(f"Sorry, was that {partners[0]} or {partners[1]}?")
    return None
