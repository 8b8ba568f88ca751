"""Runs a script's steps against the couple: speaking, listening, timing, storing.

The engine only talks to the world through the handler ``Context`` (listener,
speaker, clock, store, events): no audio, no disk beyond the store and the
script files. Control phrases work at every step: ``ritual.pause`` opens the
safety valve, ``ritual.stop`` ends politely, ``ritual.skip`` moves on,
``ritual.repeat`` says the last prompt again.
"""

from __future__ import annotations

import importlib
import random
import re
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from types import ModuleType
from typing import Any

from ..clock import isoformat
from ..conversation import COMMAND, CONFIRM, DICTATION, RITUAL, InputClosed, Utterance, is_sure_answer
from ..events import ExerciseEvent
from ..handlers import Context
from . import banks, sessions
from .dayparts import DayParts
from .script import _WHEN, TIMED_PHRASE_KEYS, Script, ScriptError, Step
from .turns import run_turn

# Turn actions whose words are only kept (not read back at once): their better transcript may come
# later, from the background worker; action -> the table of the record it writes.
DEFERRABLE = {"journal.gratitude": "gratitude"}

CONFIRM_TIMEOUT_S = 10.0
BOTH = "both"  # a shared turn's "partner" in the session record
DRIFT_LIMIT = 3  # this many unanswered steps in a row: nobody is there any more; end gently
BREAK_MINUTES = 20  # the safety valve's quiet break, unless settings say otherwise
MEMORY_KEY = "ritual.memory.{exercise}"  # store meta: facts an exercise remembers between sessions

# Feature modules the action steps call, found at call time so the engine loads without them.
FEATURES = {name: f"assistant.{name}" for name in ("journal", "promises", "goals", "experiences")}


def _feature(name: str) -> ModuleType:
    return importlib.import_module(FEATURES[name])


class Stopped(Exception):
    """The couple said stop."""


class LeftPaused(Exception):
    """The break ran out without them coming back: the exercise stays paused, to resume later."""


class Drifted(Exception):
    """Nobody has answered for several steps."""


class _Closed(Exception):
    """A close step ran: the exercise is complete."""


class _Facts(dict):  # type: ignore[type-arg]
    def __missing__(self, key: str) -> str:
        return ""


class _LiveFacts(_Facts):
    """Facts, plus the time-of-day words ({greeting}, {farewell}, {day_part}), worked out only when a wording
    uses them."""

    def __init__(self, facts: dict[str, Any], run: "Run") -> None:
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
        except _Closed:
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
        if not all(self.holds(condition) for condition in step.when):
            return
        getattr(self, "do_" + step.kind)(step)

    def holds(self, condition: str) -> bool:
        match = _WHEN.match(condition)
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
            result = {"==": value == want, "!=": value != want, "<": value < want, "<=": value <= want,
                      ">": value > want, ">=": value >= want}[op]
        return not result if negate else result

    # --- step kinds -------------------------------------------------------------------

    def do_say(self, step: Step) -> None:
        self.prompt(self.render(step.wordings))

    def do_close(self, step: Step) -> None:
        self.say(self.render(step.wordings))
        raise _Closed()

    def do_pause(self, step: Step) -> None:
        """A timed quiet moment (a breath before starting); controls still heard."""
        if step.wordings:
            self.prompt(self.render(step.wordings))
        end = self.monotonic() + step.seconds
        while (left := end - self.monotonic()) > 0:
            heard = self.ctx.listener.listen(RITUAL, mode=COMMAND, timeout=left, in_exercise=True)
            if heard.intent == "ritual.skip":
                return
            if heard.intent == "ritual.stop":
                raise Stopped()
            if heard.intent == "ritual.pause":
                began = self.monotonic()
                self.pause_valve()
                end += self.monotonic() - began
            elif heard.intent == "ritual.repeat" and step.wordings:
                self.say(self.last_prompt)

    def do_turn(self, step: Step) -> None:
        self._turns(step, moves_speaker=True)

    def do_reflect(self, step: Step) -> None:
        self._turns(step, moves_speaker=False)

    def _turns(self, step: Step, moves_speaker: bool) -> None:
        planned = round(step.seconds * self.scale, 1)
        for partner in self.speakers(step.who):
            other = "" if partner == BOTH else self.ctx.profile.other(partner)
            if self.skip_turns > 0:
                # resuming: this partner had their turn before the pause
                self.skip_turns -= 1
                self.turns_in_step += 1
                if moves_speaker and partner != BOTH:
                    self.facts["speaker"], self.facts["listener"] = partner, other
                continue
            if partner == BOTH:
                pass  # a shared turn: the prompt names them with {first} and {second}
            elif moves_speaker:
                self.facts["speaker"], self.facts["listener"] = partner, other
            elif step.who == "listener":
                other = self.facts.get("speaker", other)
            if step.bank:
                self.draw(step, partner, other)
            if step.then == "goal.text":
                # a new goal starts empty: a pass must not leave the last reviewed goal ({goal}) to be saved again
                self.facts["goal"], self.facts["goal_steps"] = "", []
            prompt = self.render(step.wordings, partner=partner, other=other)
            self.prompt(prompt)
            wordings = step.reprompt or self.script.phrases.get("silence_prompt") or self.phrases["silence_prompt"]
            # Words that only go to the journal need not wait for Whisper: the quick transcript is kept at
            # once and the better one replaces it from the background (promises and goals are read back).
            later = _background(self.ctx.listener) if step.then in DEFERRABLE and partner != BOTH else None
            with later.deferred() if later is not None else nullcontext():
                # PENDING (issue 17): TurnHost.more_time_max should be a read-only property like Run's; rituals/turns.py
                # is rewritten on another branch, so the protocol is fixed there and this ignore dropped after the merge
                result = run_turn(self, partner, step.id, planned, prompt,  # type: ignore[arg-type]
                                  silence_s=step.silence_s, more_s=step.more_s,
                                  reprompt=partial(self.render, wordings, partner=partner, other=other),
                                  done_after_s=step.done_after_s)
            audio = later.take_audio(result.parts) if later is not None else b""
            text = result.text
            kept = text if (text and step.keep == "yes") else None
            index = sessions.add_turn(self.ctx.store, self.session_id, {
                "partner": partner, "step": step.id, "planned_s": planned, "actual_s": result.actual_s,
                "ended_by": result.ended_by, "transcript": kept})
            if text and step.keep.startswith("if "):
                self.pending[index] = (step.keep[3:], text)
            self.turns_in_step += 1
            if result.ended_by == "stop":
                raise Stopped()
            if text:
                self.facts["words_heard"] = True  # for a closing that thanks them for what they said
            if text or result.ended_by in ("done", "skip"):
                self.note_answer(True)
            else:
                self.moving_on(step.moving_on, partner=partner)
            if text and step.then and partner != BOTH:
                record = self.then(step.then, partner, other, text)
                if later is not None and audio and isinstance(record, dict) and record.get("id"):
                    stored = str(record.get("text", text))  # as the feature wrote it (capitals added)
                    later.transcribe_later(audio, {"table": DEFERRABLE[step.then], "id": record["id"]}, stored)

    def do_ask(self, step: Step) -> None:
        partner = self.speakers(step.who)[0]
        other = self.ctx.profile.other(partner)
        self.draw(step, partner, other)
        self.prompt(self.render(step.wordings, partner=partner, other=other))

    def draw(self, step: Step, partner: str, other: str) -> None:
        """Pick the next unused item of the step's bank into the fact {question}."""
        name = (step.bank or "").format_map(_Facts(self.facts))
        bank = self.script.banks.get(name)
        if bank is None:
            raise ScriptError(f"{step.where}: no bank called {name!r} (from {step.bank!r})")
        _, text = banks.pick(self.ctx.store, bank, self.rng)
        self.facts["question"] = text.format_map(_Facts(self.facts, partner=partner, other=other))

    def do_choose(self, step: Step) -> None:
        if step.both:
            # the second partner is asked in a few words ("And you, Sam?"), not the whole question again
            answer = all(self.yes_no(self.render(step.wordings, partner=p), step.default, partner=p,
                                     reprompt=step.reprompt, moving_on=step.moving_on,
                                     opening=self.phrase("ask_other", partner=p) if i else None)
                         for i, p in enumerate(self.order))
        else:
            answer = self.yes_no(self.render(step.wordings), step.default, reprompt=step.reprompt,
                                 moving_on=step.moving_on)
        if step.fact:
            self.set_fact(step.fact, answer)
        self.steps(step.yes if answer else step.no)

    def do_do(self, step: Step) -> None:
        store, clock, facts = self.ctx.store, self.ctx.clock, self.facts
        action = step.action
        if action == "pause":
            # the script offers a break itself ("shall we stop and come back later?"): resume after this step
            self.pause_valve(resume_at=self.top_index + 1)
        elif action == "set":
            self.set_fact(step.fact or "", step.value)
        elif action in ("raise", "lower"):
            current = facts.get(step.fact or "", 0) or 0
            new = current + (1 if action == "raise" else -1)
            if step.value is not None:
                new = min(new, step.value) if action == "raise" else max(new, step.value)
            self.set_fact(step.fact or "", new)
        elif action == "goal.save":
            if facts.get("goal"):
                _feature("goals").add_goal(store, clock, facts["goal"], list(facts.get("goal_steps", [])))
                facts["goal_steps"] = []
        elif action == "goal.reached" and facts.get("goal_id"):
            _feature("goals").mark_reached(store, clock, facts["goal_id"])
        elif action == "promise.mark" and facts.get("promise_id"):
            _feature("promises").mark(store, clock, facts["promise_id"], step.status)
        elif action == "experience.pick":
            experiences = _feature("experiences")
            catalogue = experiences.load_catalogue(self.script.path.parent / (step.catalogue or ""))
            for _ in range(3):  # a second suggestion in one session should not be the one just declined
                activity = str(getattr(experiences.pick(store, clock, catalogue, self.rng), "text", ""))
                if activity != facts.get("activity"):
                    break
            facts["activity"] = activity
        elif action == "experience.agree" and facts.get("activity"):
            _feature("experiences").record_suggested(store, clock, facts["activity"])
        elif action == "experience.done" and facts.get("experience"):
            if facts.get("experience_id") and store.get("experiences", facts["experience_id"]):
                # the suggestion they agreed on is now done: complete that record rather than add a second one
                store.update("experiences", facts["experience_id"], {"done": isoformat(clock.now())})
            else:
                _feature("experiences").log_done(store, clock, facts["experience"])
        if step.wordings:
            self.prompt(self.render(step.wordings))

    def do_for_each(self, step: Step) -> None:
        items = self.items(step.source or "")[: step.limit]
        if not items and step.none:
            self.prompt(self.render(step.none))
        for item in items:
            self.facts.update(item)
            self.steps(step.steps)

    # --- helpers ----------------------------------------------------------------------

    def speakers(self, who: str) -> list[str]:
        first, second = self.order
        if who == "each":
            return [first, second]
        if who == BOTH:
            return [BOTH]
        if who == "first":
            return [first]
        if who == "second":
            return [second]
        if who == "speaker":
            return [self.facts.get("speaker", first)]
        if who == "listener":
            return [self.ctx.profile.other(self.facts.get("speaker", first))]
        named = self.facts.get(who.strip("{}"))
        return [named] if named in self.ctx.profile.partners else [first]

    def then(self, action: str, partner: str, other: str, text: str) -> Any:
        """Act on a turn's words; returns the record written, where there is one to improve later."""
        store, clock = self.ctx.store, self.ctx.clock
        if action == "journal.gratitude":
            return _feature("journal").add_gratitude(store, clock, from_=partner, about=other, text=text,
                                                     session=self.session_id)
        elif action == "promise.log":
            _feature("promises").log_promise(store, clock, partner=partner, text=text, due_words=None)
        elif action == "goal.text":
            self.facts["goal"], self.facts["goal_steps"] = text, []
        elif action == "goal.step":
            self.facts.setdefault("goal_steps", []).append({"partner": partner, "text": text})
        elif action == "goal.checkin" and self.facts.get("goal_id"):
            _feature("goals").add_checkin(store, clock, self.facts["goal_id"], f"{partner}: {text}")
        elif action == "fact.text":
            self.facts["text"] = text

    def items(self, source: str) -> list[dict[str, Any]]:
        store = self.ctx.store
        if source == "promises.open":
            return [{"promise": p.get("text", ""), "promiser": p.get("partner", ""), "promise_id": p.get("id")}
                    for p in _feature("promises").open_promises(store)]
        if source == "goals.open":
            return [{"goal": g.get("text", ""), "goal_id": g.get("id")} for g in _feature("goals").open_goals(store)]
        if source == "experiences.last_done":
            last = _feature("experiences").last_done(store)
            return [{"experience": last.get("text", ""), "experience_id": last.get("id")}] if last else []
        if source == "experiences.pending":
            # the latest suggestion they agreed on and have not done yet, if from the last month
            month_ago = isoformat(self.ctx.clock.now() - timedelta(days=31))
            waiting = [e for e in store.all("experiences")
                       if e.get("suggested") and not e.get("done") and e["suggested"] >= month_ago]
            waiting.sort(key=lambda e: e["suggested"], reverse=True)
            return [{"experience": e.get("text", ""), "experience_id": e.get("id")} for e in waiting[:1]]
        raise ScriptError(f"unknown for_each source {source!r}")

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

    def yes_no(self, question: str, default: bool, *, reprompt: tuple[str, ...] = (), moving_on: tuple[str, ...] = (),
               partner: str | None = None, opening: str | None = None, during_break: bool = False) -> bool:
        """Ask in the confirm context; stop/pause still heard. Silence or "skip" means ``default``.

        A first silence gets the question in other words (``reprompt``, else the shared one), never the
        same words again; after a second, one kind line and the exercise moves on. ``opening`` is said
        instead of the question the first time ("And you, Sam?"); "repeat that" says the whole question.
        """
        self.prompt(opening or question)
        self.last_prompt = question
        misses = 0
        while misses < 2:
            heard = self.ctx.listener.listen(CONFIRM, mode=COMMAND, timeout=CONFIRM_TIMEOUT_S, in_exercise=True,
                                             commands=True)
            if heard.command:
                # Something else was asked for: the exercise waits (paused, to pick up within a day) and it runs.
                self.ctx.defer(heard)
                if during_break:
                    return False
                self.set_aside()
            if heard.intent in ("confirm.yes", "confirm.no") and not is_sure_answer(heard):
                heard = Utterance(text=heard.text, context=heard.context)  # a loose fit is asked again, never acted on
            if heard.intent == "confirm.yes" or (during_break and heard.intent == "ritual.resume"):
                self.note_answer(True)
                return True
            if heard.intent == "confirm.no":
                self.note_answer(True)
                return False
            if heard.intent == "ritual.stop":
                raise Stopped()
            if heard.intent == "ritual.skip":
                return default
            if heard.intent == "ritual.pause" and not during_break:
                self.pause_valve()
                self.say(question)
                continue
            if heard.intent == "ritual.repeat":
                self.say(question)
                continue
            misses += 1
            if misses < 2:
                if heard.silent:
                    self.say(self.render(reprompt, partner=partner) if reprompt
                             else self.phrase("reprompt", partner=partner))
                else:
                    self.say(self.phrase("not_heard"))
        if not during_break:
            self.moving_on(moving_on, partner=partner, key="moving_on_yes" if default else "moving_on")
        return default

    def set_aside(self) -> None:
        """Leave the exercise paused where it is (a command was said instead of an answer)."""
        sessions.mark_paused(self.ctx.store, self.ctx.clock, self.session_id, {
            "step": self.top_index, "turns_done": self.turns_in_step, "facts": self.saved_facts()})
        self.emit("paused")
        self.say(self.phrase("pause_later"))
        raise LeftPaused()

    # --- the safety valve -----------------------------------------------------------------

    def pause_valve(self, resume_at: int | None = None) -> None:
        """Go quiet and offer a break; check back once; otherwise leave it paused to pick up within a day."""
        store, clock = self.ctx.store, self.ctx.clock
        self.emit("paused")
        sessions.mark_paused(store, clock, self.session_id, {
            "step": self.top_index if resume_at is None else resume_at,
            "turns_done": self.turns_in_step if resume_at is None else 0,
            "facts": self.saved_facts()})
        self.in_break = True
        self.say(self.phrase("pause_start"))
        end = self.monotonic() + self.break_minutes * 60
        resumed = False
        while (left := end - self.monotonic()) > 0:
            heard = self.ctx.listener.listen(RITUAL, mode=COMMAND, timeout=left, in_exercise=True)
            if heard.intent == "ritual.resume":
                resumed = True
                break
            if heard.intent == "ritual.stop":
                raise Stopped()
            # anything else is the couple talking to each other: not for Tandem
        if not resumed and not self.yes_no(self.phrase("pause_check"), False, during_break=True):
            self.say(self.phrase("pause_later"))
            raise LeftPaused()
        self.in_break = False
        sessions.mark_running(store, self.session_id)
        self.emit("resumed")
        self.say(self.phrase("resumed"))

    def saved_facts(self) -> dict[str, Any]:
        # private words never wait in a paused record: only the facts the script set
        return {k: v for k, v in self.facts.items() if k not in ("text",) and _jsonable(v)}


def _sentence_case(text: str) -> str:
    """Bank items are written lower-case so they slot into a prompt; a new sentence still starts upper-case."""
    return re.sub(r"(^|[.!?]\s+)([a-z])", lambda m: m.group(1) + m.group(2).upper(), text)


def _jsonable(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool, type(None), list, dict))


def _background(listener: Any) -> Any:
    """The Whisper recogniser with a background worker behind ``listener``, if any (lazy: the core
    imports no speech code when it runs on typed input)."""
    if not hasattr(listener, "recognizer") and not hasattr(listener, "inner"):
        return None
    from ..speech.whisper_engine import background_dictation

    return background_dictation(listener)
