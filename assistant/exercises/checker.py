"""Checks a script's steps as it builds them, so every mistake is a ``file:line`` before anyone hears it.

A step is a mapping with exactly one *kind* key (``say``, ``turn``, ``ask``, ``choose``, ``reflect``,
``pause``, ``close``, ``do``, ``for_each``) whose value is the step's main content, plus option keys.
Each kind has its own small builder below; the actions a step names (``then``, ``do``, ``for_each``)
and their options are checked through the registry in ``actions.py``. The checker collects the facts
the steps provide as it goes, and every ``{fact}`` a wording uses, so ``check_facts`` can tell a
misspelt fact from a known one once the whole script is read.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ..errors import ScriptError
from . import actions
from .model import ENGINE_FACTS, KINDS, MIN_DONE_AFTER_S, MIN_SILENCE_S, WHEN, WHO, Step

COMMON = {"id", "when"}
# the option keys of each kind of step (a do step's are its action's: actions.step_options)
OPTIONS: dict[str, set[str]] = {
    "say": set(),
    "close": set(),
    "pause": {"prompt"},
    "turn": {"who", "seconds", "prompt", "reprompt", "moving_on", "silence", "keep", "then", "more", "bank",
             "done_after"},
    "reflect": {"who", "seconds", "reprompt", "moving_on", "silence", "keep", "then", "more", "done_after"},
    "ask": {"prompt", "to"},
    "choose": {"yes", "no", "set", "both", "default", "reprompt", "moving_on"},
    "for_each": {"steps", "limit", "none"},
}
_FACT = r"[a-z_][a-z0-9_]*"

Raw = Mapping[str, Any]
At = Callable[[str], int]  # the line of an option key (the step's own line when it is not given)


class StepChecker:
    """Builds one script's steps, collecting facts as it goes so wordings can be checked."""

    def __init__(self, path: Path, facts: set[str], banks: set[str]) -> None:
        self.path = path
        self.facts = set(facts)
        self.banks = banks
        self.used_placeholders: list[tuple[str, int]] = []

    def err(self, line: int, what: str) -> ScriptError:
        return ScriptError(f"{self.path}:{line}: {what}")

    # --- values ---------------------------------------------------------------------

    def wordings(self, value: Any, line: int, what: str) -> tuple[str, ...]:
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not items:
            raise self.err(line, f"{what} must be a sentence or a list of sentences")
        lines = getattr(items, "item_lines", [line] * len(items))
        return tuple(self._wording(text, at, what) for text, at in zip(items, lines))

    def _wording(self, text: Any, at: int, what: str) -> str:
        if not isinstance(text, str) or not text.strip():
            raise self.err(at, f"{what}: each wording must be a non-empty sentence")
        try:
            names = [f for _, f, _, _ in string.Formatter().parse(text) if f is not None]
        except ValueError as exc:
            raise self.err(at, f"{what}: broken {{...}} in {text!r} ({exc})") from None
        for name in names:
            if not re.fullmatch(_FACT, name):
                raise self.err(at, f"{what}: '{{{name}}}' is not a fact name")
            self.used_placeholders.append((name, at))
        return " ".join(text.split())

    def number(self, value: Any, line: int, what: str, minimum: float = 0.0) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < minimum:
            raise self.err(line, f"{what} must be a number of seconds of at least {minimum:g}, not {value!r}")
        return float(value)

    def reprompt(self, value: Any, line: int, prompts: tuple[str, ...]) -> tuple[str, ...]:
        """Other words for the same invitation: after a silence, the question is never said again word for word."""
        wordings = self.wordings(value, line, "reprompt")
        lines = getattr(value, "item_lines", [line] * len(wordings))
        said = {plain(p) for p in prompts}
        for text, at in zip(wordings, lines):
            if plain(text) in said:
                raise self.err(at, f"reprompt: {text!r} is the prompt again; say it in other words "
                                   "(it follows a silence)")
        return wordings

    def bank(self, name: Any, line: int) -> str:
        """A bank name, possibly with facts in it ("tier{tier}")."""
        if not isinstance(name, str):
            raise self.err(line, "ask needs the name of a bank, like 'ask: questions'")
        pattern = re.sub(r"\\\{[a-z_][a-z0-9_]*\\\}", ".*", re.escape(name))
        if not any(re.fullmatch(pattern, b) for b in self.banks):
            raise self.err(line, f"no bank called {name!r} (banks: {', '.join(sorted(self.banks)) or 'none'})")
        for fact in re.findall(r"\{([a-z_][a-z0-9_]*)\}", name):
            self.used_placeholders.append((fact, line))
        return name

    def who(self, who: Any, line: int, key: str, allow_each: bool) -> str:
        choices = [w for w in WHO if allow_each or w not in ("each", "both")]
        if not isinstance(who, str) or not (who in choices or re.fullmatch(r"\{[a-z_][a-z0-9_]*\}", who)):
            raise self.err(line, f"{key} must be one of {', '.join(choices)} or a fact like {{promiser}}, not {who!r}")
        if who.startswith("{"):
            self.used_placeholders.append((who[1:-1], line))
        return who

    def fact_name(self, value: Any, line: int) -> str:
        if not isinstance(value, str) or not re.fullmatch(_FACT, value):
            raise self.err(line, f"a fact name is one lower-case word (like keep_shares), not {value!r}")
        return value

    def condition(self, value: Any, line: int) -> tuple[str, ...]:
        conditions = value if isinstance(value, list) else [value]
        for condition in conditions:
            match = WHEN.match(condition) if isinstance(condition, str) else None
            if match is None:
                raise self.err(line, "when must look like 'keep_shares', 'not keep_shares' or 'tier < 3', "
                                     f"not {condition!r}")
            self.used_placeholders.append((match.group(2), line))
        return tuple(conditions)

    # --- steps ----------------------------------------------------------------------

    def steps(self, raw: Any, line: int) -> tuple[Step, ...]:
        if not isinstance(raw, list) or not raw:
            raise self.err(line, "steps must be a list with at least one step")
        lines = getattr(raw, "item_lines", [line] * len(raw))
        return tuple(self.step(item, at, i) for i, (item, at) in enumerate(zip(raw, lines)))

    def step(self, raw: Any, line: int, index: int) -> Step:
        if not isinstance(raw, dict):
            raise self.err(line, f"a step must be a mapping like 'say: ...', not {raw!r}")
        kind = self._kind(raw, line)
        key_lines = getattr(raw, "key_lines", {})

        def at(key: str) -> int:
            return int(key_lines.get(key, line))

        self._options(raw, kind, at)
        opts: dict[str, Any] = {"kind": kind, "where": f"{self.path}:{line}",
                                "id": str(raw.get("id") or f"{kind}{index + 1}")}
        if "when" in raw:
            opts["when"] = self.condition(raw["when"], at("when"))
        opts.update(_BUILDERS[kind](self, raw, raw[kind], line, at))
        if "reprompt" in raw:
            opts["reprompt"] = self.reprompt(raw["reprompt"], at("reprompt"), opts.get("wordings", ()))
        if "moving_on" in raw:
            opts["moving_on"] = self.wordings(raw["moving_on"], at("moving_on"), "moving_on")
        return Step(**opts)

    def _kind(self, raw: Raw, line: int) -> str:
        kinds = [k for k in raw if k in KINDS]
        if len(kinds) != 1:
            found = ", ".join(kinds) or "none"
            raise self.err(line, f"a step needs exactly one of {', '.join(KINDS)} (found: {found})")
        return kinds[0]

    def _options(self, raw: Raw, kind: str, at: At) -> None:
        allowed = (actions.step_options() if kind == "do" else OPTIONS[kind]) | COMMON
        for key in raw:
            if key != kind and key not in allowed:
                known = ", ".join(sorted(allowed)) or "none"
                raise self.err(at(key), f"'{key}' is not an option of a {kind} step (options: {known})")

    # --- one builder per kind: (the step as written, its kind key's value, its line) -> Step fields ---

    def _say(self, raw: Raw, head: Any, line: int, at: At) -> dict[str, Any]:
        return {"wordings": self.wordings(head, at("say"), "say")}

    def _close(self, raw: Raw, head: Any, line: int, at: At) -> dict[str, Any]:
        return {"wordings": self.wordings(head, at("close"), "close")}

    def _pause(self, raw: Raw, head: Any, line: int, at: At) -> dict[str, Any]:
        opts: dict[str, Any] = {"seconds": self.number(head, at("pause"), "pause", 1)}
        if "prompt" in raw:
            opts["wordings"] = self.wordings(raw["prompt"], at("prompt"), "prompt")
        return opts

    def _turn(self, raw: Raw, head: Any, line: int, at: At) -> dict[str, Any]:
        if not isinstance(head, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", head):
            raise self.err(at("turn"), "a turn needs a short name (lower-case word), like 'turn: share'")
        opts: dict[str, Any] = {"id": str(raw.get("id") or head), "who": raw.get("who", "each")}
        if "prompt" not in raw:
            raise self.err(line, "a turn needs a prompt: what Tandem says to invite the speaker")
        opts["wordings"] = self.wordings(raw["prompt"], at("prompt"), "prompt")
        if "seconds" not in raw:
            raise self.err(line, "a turn needs seconds: how long the speaker has")
        return opts | self._listening(raw, at, opts["who"])

    def _reflect(self, raw: Raw, head: Any, line: int, at: At) -> dict[str, Any]:
        opts = {"id": str(raw.get("id") or "reflect"), "who": raw.get("who", "listener"),
                "wordings": self.wordings(head, at("reflect"), "reflect")}
        return opts | self._listening(raw, at, opts["who"])

    def _listening(self, raw: Raw, at: At, who: Any) -> dict[str, Any]:
        """What a turn and a reflection share: who speaks, for how long, what is kept and done with it."""
        self.who(who, at("who"), "who", allow_each=True)
        opts: dict[str, Any] = {}
        if "bank" in raw:
            opts["bank"] = self.bank(raw["bank"], at("bank"))
        opts["seconds"] = self.number(raw.get("seconds", 45), at("seconds"), "seconds", 5)
        opts["silence_s"] = self.number(raw.get("silence", MIN_SILENCE_S), at("silence"), "silence", MIN_SILENCE_S)
        if "more" in raw:
            opts["more_s"] = self.number(raw["more"], at("more"), "more", 10)
        if "done_after" in raw:
            opts["done_after_s"] = self.number(raw["done_after"], at("done_after"), "done_after", MIN_DONE_AFTER_S)
        opts["keep"] = self._keep(raw.get("keep", "no"), at("keep"))
        if "then" in raw:
            opts["then"] = self._action("then", raw["then"], at("then"))
        return opts

    def _keep(self, keep: Any, line: int) -> str:
        keep = {True: "yes", False: "no"}.get(keep, keep) if isinstance(keep, bool) else keep
        if not isinstance(keep, str) or not (keep in ("yes", "no") or re.fullmatch(r"if [a-z_][a-z0-9_]*", keep)):
            raise self.err(line, f"keep must be yes, no or 'if <fact>', not {keep!r}")
        if keep.startswith("if "):
            self.used_placeholders.append((keep[3:], line))
        return keep

    def _action(self, key: str, name: Any, line: int) -> str:
        """An action named by ``then``, ``do`` or ``for_each``; its facts are known from here on."""
        known = actions.named(key)
        if name not in known:
            raise self.err(line, f"{key} must be one of {', '.join(known)}, not {name!r}")
        action = actions.ACTIONS[name]
        if isinstance(action, actions.Source):
            self.facts |= action.provides
        return str(name)

    def _ask(self, raw: Raw, head: Any, line: int, at: At) -> dict[str, Any]:
        return {"bank": self.bank(head, at("ask")),
                "wordings": self.wordings(raw.get("prompt", "{question}"), at("prompt"), "prompt"),
                "who": self.who(raw.get("to", "first"), at("to"), "to", allow_each=False)}

    def _choose(self, raw: Raw, head: Any, line: int, at: At) -> dict[str, Any]:
        opts: dict[str, Any] = {"wordings": self.wordings(head, at("choose"), "choose")}
        for branch in ("yes", "no"):
            if branch in raw:
                opts[branch] = self.steps(raw[branch], at(branch))
        for flag in ("both", "default"):
            if flag in raw:
                value = raw[flag]
                if flag == "default":
                    value = {"yes": True, "no": False}.get(value, value) if isinstance(value, str) else value
                if not isinstance(value, bool):
                    raise self.err(at(flag), f"{flag} must be yes or no, not {raw[flag]!r}")
                opts[flag] = value
        if "set" in raw:
            opts["fact"] = self.fact_name(raw["set"], at("set"))
            self.facts.add(opts["fact"])
        return opts

    def _do(self, raw: Raw, head: Any, line: int, at: At) -> dict[str, Any]:
        opts: dict[str, Any] = {"action": self._action("do", head, at("do"))}
        check = actions.step_action(head).check
        if check is not None:
            opts |= check(self, raw, at, line)
        if "prompt" in raw:
            opts["wordings"] = self.wordings(raw["prompt"], at("prompt"), "prompt")
        return opts

    def _for_each(self, raw: Raw, head: Any, line: int, at: At) -> dict[str, Any]:
        opts: dict[str, Any] = {"source": self._action("for_each", head, at("for_each"))}
        opts["steps"] = self.steps(raw.get("steps"), at("steps") if "steps" in raw else line)
        if "none" in raw:
            opts["none"] = self.wordings(raw["none"], at("none"), "none")
        limit = raw.get("limit", 5)
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise self.err(at("limit"), f"limit must be a whole number of at least 1, not {limit!r}")
        opts["limit"] = limit
        return opts


_BUILDERS: dict[str, Callable[[StepChecker, Raw, Any, int, At], dict[str, Any]]] = {
    "say": StepChecker._say, "close": StepChecker._close, "pause": StepChecker._pause, "turn": StepChecker._turn,
    "reflect": StepChecker._reflect, "ask": StepChecker._ask, "choose": StepChecker._choose, "do": StepChecker._do,
    "for_each": StepChecker._for_each,
}


def builtin_facts() -> set[str]:
    """Facts every wording may use, besides memory keys, ``set`` facts and the ones a for_each source provides."""
    return ENGINE_FACTS | actions.always_known()


def check_facts(checker: StepChecker, known: set[str]) -> None:
    """Every ``{fact}`` used is one the script, the engine or an action provides."""
    for name, at in checker.used_placeholders:
        if name not in known:
            raise checker.err(at, f"unknown fact '{{{name}}}' (known here: {', '.join(sorted(known))})")


def plain(text: str) -> str:
    """A wording without case, spacing or punctuation, to notice the same words said again."""
    return " ".join(re.sub(r"[^\w{}' ]+", " ", text.lower()).split())
