"""One partner's timed turn: listening, time-left cues, silence, more time, and the grace to finish.

The rules, and why:
* a turn ends on ``turn.done``, at its time limit, after silence, on skip/"pass" or stop;
* nobody is cut off: at the limit a soft cue, then up to ``GRACE_S`` to finish,
  moving on only after a pause of at least ``GRACE_PAUSE_S`` in their speech;
* silence is not re-prompted before ``silence_s`` (>= 20 s), and never with the
  prompt's own words: before they have said anything, the step's re-prompt
  ("take your time, or say pass"); after they have, "anything you'd like to
  add?"; a second silence of that length moves on (the engine says one kind line);
* a short answer's turn (``done_after_s``, e.g. "did they get it right?" -> "yes")
  ends after that much quiet once the speaker has spoken;
* the soft cue at the limit ("finish the thought you're on") is only for someone
  still talking: a speaker who has been quiet for ``STILL_TALKING_S`` has finished;
* time-left cues follow meditation-timer practice: a turn under three minutes
  gets one cue at 30 s left; a longer one at halfway and at one minute left;
  they are for someone who has begun speaking, not for a silence;
* ``turn.more_time`` extends the turn at most ``more_time_max`` times.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from ..conversation import Utterance
from ..features.feature_words import is_pass

GRACE_S = 15.0
GRACE_PAUSE_S = 1.5
SHORT_TURN_S = 180.0
MIN_LISTEN_S = 0.5
STALE_CUE_S = 5.0
STILL_TALKING_S = 4.0  # quiet longer than this at the limit: the thought is finished, no "finish your thought"


class TurnHost(Protocol):
    """What a turn needs from the engine around it."""

    @property
    def more_time_max(self) -> int: ...

    def monotonic(self) -> float: ...

    def say(self, text: str) -> None: ...

    def phrase(self, key: str) -> str: ...

    def listen_turn(self, timeout: float) -> Utterance: ...

    def pause_valve(self) -> None:
        """Run the pause; returns when resumed, raises when the couple stops or leaves it paused."""
        ...


@dataclass
class TurnResult:
    partner: str
    step: str
    planned_s: float
    actual_s: float
    ended_by: str  # done | time | silence | skip | stop
    parts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join(p.strip() for p in self.parts if p.strip())


def cue_times(planned_s: float) -> list[tuple[float, str]]:
    """(elapsed seconds, phrase key) of the time-left cues for a turn of ``planned_s``."""
    if planned_s < 60:
        return []  # a very short turn is only interrupted by a cue
    if planned_s < SHORT_TURN_S:
        return [(planned_s - 30, "cue_30s")]
    return [(planned_s / 2, "cue_half"), (planned_s - 60, "cue_1min")]


def more_time_s(planned_s: float, more_s: float) -> float:
    if more_s:
        return more_s
    return max(30.0, min(120.0, planned_s / 2))


def run_turn(host: TurnHost, partner: str, step: str, planned_s: float, prompt: str, *,
             silence_s: float, more_s: float = 0.0, reprompt: Callable[[], str] | None = None,
             done_after_s: float = 0.0) -> TurnResult:
    """Run one turn; the prompt has just been spoken.

    ``reprompt()``: what to say after a first silence before any words.
    """
    result = TurnResult(partner=partner, step=step, planned_s=planned_s, actual_s=0.0, ended_by="time")
    start = host.monotonic()
    paused_s = 0.0
    limit = planned_s
    extensions = 0
    cues = cue_times(planned_s)
    last_heard = 0.0
    spoke_at: float | None = None  # when the speaker's words last ended
    reprompted = False

    def elapsed() -> float:
        return host.monotonic() - start - paused_s

    def finish(ended_by: str) -> TurnResult:
        result.ended_by = ended_by
        result.actual_s = round(max(0.0, elapsed()), 1)
        return result

    while True:
        now = elapsed()
        while cues and cues[0][0] <= now:
            at, key = cues.pop(0)
            # a cue heard late would tell the wrong time; and time left means nothing to someone who has not begun
            if now < limit and now - at <= STALE_CUE_S and result.parts:
                host.say(host.phrase(key))
        now = elapsed()
        if now >= limit:
            break
        short_answer_at = [spoke_at + done_after_s] if done_after_s and spoke_at is not None else []
        wake_at = min([limit, last_heard + silence_s] + short_answer_at + [c[0] for c in cues[:1]])
        heard = host.listen_turn(max(MIN_LISTEN_S, wake_at - now))
        if heard.silent:
            if short_answer_at and elapsed() >= short_answer_at[0] - 1e-6:
                return finish("done")  # a short answer, given: nothing to wait for
            if elapsed() - last_heard >= silence_s - 1e-6:
                if reprompted:
                    return finish("silence")
                # "take your time, or say pass" only fits someone who has not spoken yet
                if result.parts:
                    host.say(host.phrase("silence_after"))
                else:
                    host.say(reprompt() if reprompt else host.phrase("silence_prompt"))
                reprompted = True
                last_heard = elapsed()
                cues = [c for c in cues if c[0] > last_heard + 5]  # one voice at a time, not two prompts in a row
            continue
        if heard.intent == "ritual.pause":
            paused_s += _pause(host)
            last_heard = elapsed()
            continue
        outcome = _control(host, heard, result, prompt)
        if outcome == "more":
            if extensions < host.more_time_max:
                extensions += 1
                added = more_time_s(planned_s, more_s)
                limit += added
                cue_at = limit - (30 if added < SHORT_TURN_S else 60)
                cues = [(cue_at, "cue_30s" if added < SHORT_TURN_S else "cue_1min")] if cue_at > elapsed() else []
                host.say(host.phrase("more_time_ok"))
            else:
                host.say(host.phrase("more_time_no"))
            last_heard = elapsed()
            continue
        if outcome in ("done", "skip", "stop"):
            return finish(outcome)
        last_heard = elapsed()
        if outcome == "speech":
            spoke_at = last_heard
        reprompted = False

    if not result.parts:
        return finish("silence")  # nothing was said all turn: no "finish your thought" to an empty room
    if spoke_at is None or elapsed() - spoke_at > STILL_TALKING_S:
        return finish("time")  # they finished speaking a while ago: no thought to finish
    # The limit: a soft cue, then room to finish the thought.
    host.say(host.phrase("cue_finish"))
    grace_end = elapsed() + GRACE_S
    while elapsed() < grace_end:
        heard = host.listen_turn(max(MIN_LISTEN_S, min(GRACE_PAUSE_S, grace_end - elapsed())))
        if heard.silent:
            return finish("time")
        if heard.intent == "ritual.pause":
            paused_s += _pause(host)
            return finish("time")
        outcome = _control(host, heard, result, prompt)
        if outcome in ("done", "skip", "stop"):
            return finish(outcome)
    return finish("time")


def _pause(host: TurnHost) -> float:
    """The safety valve inside a turn; returns how long the pause lasted (not counted as speaking time)."""
    began = host.monotonic()
    host.pause_valve()
    return host.monotonic() - began


def _control(host: TurnHost, heard: Utterance, result: TurnResult, prompt: str) -> str:
    """Act on one utterance inside a turn: a control phrase, or the partner's words."""
    intent = heard.intent
    if intent == "turn.done":
        return "done"
    if intent == "ritual.skip" or (intent is None and is_pass(heard.text)):
        return "skip"
    if intent == "ritual.stop":
        return "stop"
    if intent == "turn.more_time":
        return "more"
    if intent == "ritual.repeat":
        host.say(prompt)
        return "repeat"
    if intent == "ritual.resume":
        return "ignored"
    result.parts.append(heard.text)
    return "speech"
