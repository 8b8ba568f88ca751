"""Exercise actions: everything a script's ``then:``, ``do:`` and ``for_each:`` may name, in one registry.

An entry is the action's name, how its step's options are checked when the script is loaded
(``check``), what it does when the step runs (``run``, or ``items`` for a ``for_each`` source),
and the facts it gives the wordings (``provides``). The loader (``checker.py``) and the engine
(``engine.py``, ``steps.py``) know actions only through ``ACTIONS``: a new action is one entry here.

The features the actions write to (journal, promises, goals, experiences) are reached through
``Features``, typed by the few functions the actions use, so the engine can also run on fakes.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Protocol

from ..clock import Clock
from ..errors import ScriptError
from ..features import experiences, goals, journal, promises
from ..handlers import Context
from ..store import Store
from .model import Script, Step

Record = dict[str, Any]


# --- the features, as the actions use them -------------------------------------------


class Journal(Protocol):
    def add_gratitude(self, store: Store, clock: Clock, from_: str, about: str, text: str,
                      session: str | None) -> Record: ...


class Promises(Protocol):
    def log_promise(self, store: Store, clock: Clock, partner: str, text: str, due_words: str | None) -> Record: ...

    def mark(self, store: Store, clock: Clock, promise_id: str, status: str) -> Record | None: ...

    def open_promises(self, store: Store) -> list[Record]: ...


class Goals(Protocol):
    def add_goal(self, store: Store, clock: Clock, text: str, steps: list[dict[str, Any]]) -> Record: ...

    def mark_reached(self, store: Store, clock: Clock, goal_id: str) -> Record | None: ...

    def add_checkin(self, store: Store, clock: Clock, goal_id: str, note: str) -> Record | None: ...

    def open_goals(self, store: Store) -> list[Record]: ...


class Experiences(Protocol):
    def load_catalogue(self, path: Path) -> list[Any]: ...

    def pick(self, store: Store, clock: Clock, catalogue: list[Any], rng: random.Random) -> Any: ...

    def record_suggested(self, store: Store, clock: Clock, text: str) -> Record: ...

    def log_done(self, store: Store, clock: Clock, text: str) -> Record: ...

    def complete(self, store: Store, clock: Clock, record_id: str) -> bool: ...

    def last_done(self, store: Store) -> Record | None: ...

    def latest_pending(self, store: Store, clock: Clock) -> Record | None: ...


@dataclass(frozen=True)
class Features:
    journal: Journal
    promises: Promises
    goals: Goals
    experiences: Experiences


FEATURES = Features(journal=journal, promises=promises, goals=goals, experiences=experiences)


class Host(Protocol):
    """What an action needs from the exercise being run (``engine.Run``)."""

    ctx: Context
    script: Script
    session_id: str
    facts: dict[str, Any]
    rng: random.Random
    top_index: int
    features: Features

    def set_fact(self, name: str, value: Any) -> None: ...

    def pause_valve(self, resume_at: int | None = None) -> None: ...


class Reader(Protocol):
    """What an action's load-time check needs from the script checker (``checker.StepChecker``)."""

    path: Path
    facts: set[str]

    def err(self, line: int, what: str) -> ScriptError: ...

    def fact_name(self, value: Any, line: int) -> str: ...


# (reader, the step as written, line of an option key, line of the step) -> the Step fields it sets
Check = Callable[[Reader, Mapping[str, Any], Callable[[str], int], int], dict[str, Any]]


@dataclass(frozen=True)
class Said:
    """One partner's words at the end of their turn."""

    partner: str
    other: str
    text: str


@dataclass(frozen=True)
class TurnAction:
    """``then:``: runs after each partner's turn with what they said; may return the record it wrote."""

    key: ClassVar[str] = "then"
    name: str
    run: Callable[[Host, Said], Record | None]
    provides: frozenset[str] = frozenset()
    prepare: Callable[[Host], None] | None = None  # before the prompt of each turn
    # Words only kept, never read back, wait for no better transcript: the quick one is stored at once
    # and the background worker replaces it in this table.
    deferred_table: str | None = None


@dataclass(frozen=True)
class StepAction:
    """``do:``: a step of its own."""

    key: ClassVar[str] = "do"
    name: str
    run: Callable[[Host, Step], None]
    options: frozenset[str] = frozenset()  # option keys of the step, besides prompt
    check: Check | None = None
    provides: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Source:
    """``for_each:``: the records its steps go through, each as facts."""

    key: ClassVar[str] = "for_each"
    name: str
    items: Callable[[Host], list[Record]]
    provides: frozenset[str] = frozenset()


Action = TurnAction | StepAction | Source


# --- then: after a partner's turn -----------------------------------------------------------


def _gratitude(host: Host, said: Said) -> Record | None:
    return host.features.journal.add_gratitude(host.ctx.store, host.ctx.clock, from_=said.partner, about=said.other,
                                               text=said.text, session=host.session_id)


def _promise(host: Host, said: Said) -> Record | None:
    host.features.promises.log_promise(host.ctx.store, host.ctx.clock, partner=said.partner, text=said.text,
                                       due_words=None)
    return None  # a promise is read back at once: no better transcript replaces it later


def _new_goal(host: Host) -> None:
    # a new goal starts empty: a pass must not leave the last reviewed goal ({goal}) to be saved again
    host.facts["goal"], host.facts["goal_steps"] = "", []


def _goal_text(host: Host, said: Said) -> Record | None:
    host.facts["goal"], host.facts["goal_steps"] = said.text, []
    return None


def _goal_step(host: Host, said: Said) -> Record | None:
    host.facts.setdefault("goal_steps", []).append({"partner": said.partner, "text": said.text})
    return None


def _goal_checkin(host: Host, said: Said) -> Record | None:
    if host.facts.get("goal_id"):
        host.features.goals.add_checkin(host.ctx.store, host.ctx.clock, host.facts["goal_id"],
                                        f"{said.partner}: {said.text}")
    return None


def _fact_text(host: Host, said: Said) -> Record | None:
    host.facts["text"] = said.text
    return None


# --- do: a step of its own ------------------------------------------------------------------


def _pause(host: Host, step: Step) -> None:
    # the script offers a break itself ("shall we stop and come back later?"): resume after this step
    host.pause_valve(resume_at=host.top_index + 1)


def _set(host: Host, step: Step) -> None:
    host.set_fact(step.fact or "", step.value)


def _step_by(delta: int) -> Callable[[Host, Step], None]:
    """raise / lower: a number fact by one, never past the step's max / min."""

    def run(host: Host, step: Step) -> None:
        new = (host.facts.get(step.fact or "", 0) or 0) + delta
        if step.value is not None:
            new = min(new, step.value) if delta > 0 else max(new, step.value)
        host.set_fact(step.fact or "", new)

    return run


def _goal_save(host: Host, step: Step) -> None:
    facts = host.facts
    if facts.get("goal"):
        host.features.goals.add_goal(host.ctx.store, host.ctx.clock, facts["goal"], list(facts.get("goal_steps", [])))
        facts["goal_steps"] = []


def _goal_reached(host: Host, step: Step) -> None:
    if host.facts.get("goal_id"):
        host.features.goals.mark_reached(host.ctx.store, host.ctx.clock, host.facts["goal_id"])


def _promise_mark(host: Host, step: Step) -> None:
    if host.facts.get("promise_id"):
        host.features.promises.mark(host.ctx.store, host.ctx.clock, host.facts["promise_id"], str(step.status))


def _experience_pick(host: Host, step: Step) -> None:
    found = host.features.experiences
    catalogue = found.load_catalogue(host.script.path.parent / (step.catalogue or ""))
    for _ in range(3):  # a second suggestion in one session should not be the one just declined
        activity = str(getattr(found.pick(host.ctx.store, host.ctx.clock, catalogue, host.rng), "text", ""))
        if activity != host.facts.get("activity"):
            break
    host.facts["activity"] = activity


def _experience_agree(host: Host, step: Step) -> None:
    if host.facts.get("activity"):
        host.features.experiences.record_suggested(host.ctx.store, host.ctx.clock, host.facts["activity"])


def _experience_done(host: Host, step: Step) -> None:
    facts, found = host.facts, host.features.experiences
    if not facts.get("experience"):
        return
    # the suggestion they agreed on is now done: complete that record rather than add a second one
    agreed = facts.get("experience_id")
    if not (agreed and found.complete(host.ctx.store, host.ctx.clock, agreed)):
        found.log_done(host.ctx.store, host.ctx.clock, facts["experience"])


# --- load-time checks of do: options ------------------------------------------------------


def _changed_fact(reader: Reader, raw: Mapping[str, Any], at: Callable[[str], int], line: int,
                  action: str) -> dict[str, Any]:
    if "fact" not in raw:
        raise reader.err(line, f"do: {action} needs fact: the name to change")
    fact = reader.fact_name(raw["fact"], at("fact"))
    reader.facts.add(fact)  # the fact is known to the wordings from here on
    return {"fact": fact}


def _check_set(reader: Reader, raw: Mapping[str, Any], at: Callable[[str], int], line: int) -> dict[str, Any]:
    return _changed_fact(reader, raw, at, line, "set") | {"value": raw.get("value", True)}


def _check_bounded(action: str, bound_key: str) -> Check:
    def check(reader: Reader, raw: Mapping[str, Any], at: Callable[[str], int], line: int) -> dict[str, Any]:
        opts = _changed_fact(reader, raw, at, line, action)
        bound = raw.get(bound_key)
        if bound is not None and (isinstance(bound, bool) or not isinstance(bound, int)):
            raise reader.err(at(bound_key), "the limit must be a whole number")
        return opts | {"value": bound}

    return check


def _check_status(reader: Reader, raw: Mapping[str, Any], at: Callable[[str], int], line: int) -> dict[str, Any]:
    if raw.get("status") not in promises.STATUSES:
        raise reader.err(at("status") if "status" in raw else line,
                         f"promise.mark needs status: {' | '.join(promises.STATUSES)}")
    return {"status": raw["status"]}


def _check_catalogue(reader: Reader, raw: Mapping[str, Any], at: Callable[[str], int], line: int) -> dict[str, Any]:
    if not isinstance(raw.get("catalogue"), str):
        raise reader.err(line, "experience.pick needs catalogue: the activities file, like banks/experiences.yaml")
    catalogue = reader.path.parent / raw["catalogue"]
    if not catalogue.is_file():
        raise reader.err(at("catalogue"), f"no activities file at {catalogue}")
    return {"catalogue": raw["catalogue"]}


# --- for_each: the records to go through ---------------------------------------------------


def _open_promises(host: Host) -> list[Record]:
    return [{"promise": p.get("text", ""), "promiser": p.get("partner", ""), "promise_id": p.get("id")}
            for p in host.features.promises.open_promises(host.ctx.store)]


def _open_goals(host: Host) -> list[Record]:
    return [{"goal": g.get("text", ""), "goal_id": g.get("id")}
            for g in host.features.goals.open_goals(host.ctx.store)]


def _experience(record: Record | None) -> list[Record]:
    return [{"experience": record.get("text", ""), "experience_id": record.get("id")}] if record else []


def _last_done(host: Host) -> list[Record]:
    return _experience(host.features.experiences.last_done(host.ctx.store))


def _pending(host: Host) -> list[Record]:
    return _experience(host.features.experiences.latest_pending(host.ctx.store, host.ctx.clock))


_EXPERIENCE = frozenset({"experience", "experience_id"})

# In the order the loader lists them in its messages.
ACTIONS: dict[str, Action] = {action.name: action for action in (
    TurnAction("journal.gratitude", _gratitude, deferred_table=journal.TABLE),
    TurnAction("promise.log", _promise),
    TurnAction("goal.text", _goal_text, provides=frozenset({"goal"}), prepare=_new_goal),
    TurnAction("goal.step", _goal_step),
    TurnAction("goal.checkin", _goal_checkin),
    TurnAction("fact.text", _fact_text, provides=frozenset({"text"})),
    StepAction("pause", _pause),
    StepAction("goal.save", _goal_save),
    StepAction("goal.reached", _goal_reached),
    StepAction("promise.mark", _promise_mark, frozenset({"status"}), _check_status),
    StepAction("experience.pick", _experience_pick, frozenset({"catalogue"}), _check_catalogue,
               provides=frozenset({"activity"})),
    StepAction("experience.agree", _experience_agree),
    StepAction("experience.done", _experience_done),
    StepAction("set", _set, frozenset({"fact", "value"}), _check_set),
    StepAction("raise", _step_by(+1), frozenset({"fact", "max"}), _check_bounded("raise", "max")),
    StepAction("lower", _step_by(-1), frozenset({"fact", "min"}), _check_bounded("lower", "min")),
    Source("promises.open", _open_promises, frozenset({"promise", "promiser", "promise_id"})),
    Source("goals.open", _open_goals, frozenset({"goal", "goal_id"})),
    Source("experiences.last_done", _last_done, _EXPERIENCE),
    Source("experiences.pending", _pending, _EXPERIENCE),
)}


def named(key: str) -> tuple[str, ...]:
    """The actions a step key (then, do, for_each) may name, in order."""
    return tuple(name for name, action in ACTIONS.items() if action.key == key)


def turn_action(name: str) -> TurnAction:
    action = ACTIONS[name]
    assert isinstance(action, TurnAction), name  # checked at load
    return action


def step_action(name: str) -> StepAction:
    action = ACTIONS[name]
    assert isinstance(action, StepAction), name  # checked at load
    return action


def source(name: str) -> Source:
    action = ACTIONS.get(name)
    if not isinstance(action, Source):
        raise ScriptError(f"unknown for_each source {name!r}")
    return action


def step_options() -> set[str]:
    """Every option a ``do`` step may carry: its prompt, and each action's own."""
    return {"prompt"}.union(*(a.options for a in ACTIONS.values() if isinstance(a, StepAction)))


def always_known() -> set[str]:
    """Facts the then/do actions provide, known to every wording (a for_each source's only inside it)."""
    return set().union(*(a.provides for a in ACTIONS.values() if not isinstance(a, Source)))
