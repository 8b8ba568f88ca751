"""Exercise scripts: the YAML format, its loader and its validation.

A script is data a counsellor can write (see ``scripts/README.md``): a list of
steps, each a mapping with exactly one *kind* key (``say``, ``turn``, ``ask``,
``choose``, ``reflect``, ``pause``, ``close``, ``do``, ``for_each``) whose
value is the step's main content, plus option keys. Everything is checked at
load time so a mistake is reported as ``file:line: what is wrong`` before the
couple ever hears it, never as a traceback half-way through an exercise.

YAML is read with the line-tracking reader (``yamlfile.py``): every mapping and
list remembers the line of each key and item so errors can point at them.
"""

from __future__ import annotations

import hashlib
import re
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import yamlfile
from ..errors import TandemError
from ..yamlfile import LDict
from .dayparts import PARTS, DayParts, parse_time

KINDS = ("say", "turn", "ask", "choose", "reflect", "pause", "close", "do", "for_each")
# who speaks in a turn: session order, or relative to the last turn, or a fact naming a partner ("{promiser}")
WHO = ("each", "first", "second", "speaker", "listener", "both")
# ``then`` actions run after each partner's turn with what they said
THEN_ACTIONS = ("journal.gratitude", "promise.log", "goal.text", "goal.step", "goal.checkin", "fact.text")
# ``do`` actions
DO_ACTIONS = ("pause", "goal.save", "goal.reached", "promise.mark", "experience.pick", "experience.agree",
              "experience.done", "set", "raise", "lower")
SOURCES = ("promises.open", "goals.open", "experiences.last_done", "experiences.pending")
PROMISE_STATUSES = ("kept", "missed", "released")
# facts every wording may use, besides memory keys, ``set`` facts and the ones a for_each source provides
BUILTIN_FACTS = {"first", "second", "partner", "other", "speaker", "listener", "minutes", "sessions_done",
                 "question", "activity", "title", "text", "goal", "experience", "day_part", "greeting", "farewell",
                 "break_minutes",
                 "words_heard"}
SOURCE_FACTS = {"promises.open": {"promise", "promiser", "promise_id"},
                "goals.open": {"goal", "goal_id"},
                "experiences.last_done": {"experience", "experience_id"},
                "experiences.pending": {"experience", "experience_id"}}
MIN_SILENCE_S = 20.0  # nobody is hurried: silence is never re-prompted sooner
MIN_DONE_AFTER_S = 3.0  # a short answer's turn ends after this much quiet at the least
PHRASE_KEYS = ("cue_30s", "cue_1min", "cue_half", "cue_finish", "silence_prompt", "silence_after", "reprompt",
               "moving_on", "moving_on_yes", "ask_other", "more_time_ok", "more_time_no",
               "pause_start", "pause_check", "pause_later", "resumed", "stopped", "passed", "drifted",
               "resume_expired", "resume_none", "resume_welcome", "not_heard")
# phrases worded per part of the day ({greeting}, {farewell} in any wording)
TIMED_PHRASE_KEYS = ("greeting", "farewell")
DAY_PARTS_KEY = "day_parts"  # phrases.yaml: where each part of the day starts
PHRASES_FILE = "phrases.yaml"
SHIPPED_PHRASES = Path(__file__).resolve().parents[2] / "scripts" / PHRASES_FILE


class ScriptError(TandemError):
    """A script that cannot be run, as ``file:line: what is wrong``."""


def load_yaml(path: Path) -> Any:
    """Parse ``path`` keeping line numbers (``yamlfile``); ScriptError (``file:line``) on bad YAML."""
    return yamlfile.load_yaml(path, ScriptError)


# --- the model ------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    kind: str
    id: str
    where: str  # "file:line", for runtime messages
    wordings: tuple[str, ...] = ()  # say/close/choose: the words; turn/reflect/ask/pause/do: the prompt
    reprompt: tuple[str, ...] = ()  # turn/reflect/choose: other words, said after a first silence
    moving_on: tuple[str, ...] = ()  # turn/reflect/choose: the kind line after a second silence (else the shared one)
    who: str = "each"
    seconds: float = 0.0
    silence_s: float = MIN_SILENCE_S
    more_s: float = 0.0  # how much one "more time" adds (0 = decided from the turn's length)
    done_after_s: float = 0.0  # a short answer: this much quiet after the speaker has spoken ends the turn (0 = off)
    keep: str = "no"  # no | yes | if <fact>
    then: str | None = None
    bank: str | None = None
    action: str | None = None
    source: str | None = None
    fact: str | None = None
    value: Any = None
    status: str | None = None
    catalogue: str | None = None
    both: bool = False
    default: bool = False
    limit: int = 5
    when: tuple[str, ...] = ()  # all must hold for the step to run
    yes: tuple["Step", ...] = ()
    no: tuple["Step", ...] = ()
    steps: tuple["Step", ...] = ()
    none: tuple[str, ...] = ()  # for_each: said when there is nothing to go through


@dataclass(frozen=True)
class Bank:
    id: str  # the store's "asked" document id
    items: tuple[tuple[str, str], ...]  # (item id, text)


@dataclass(frozen=True)
class Script:
    exercise: str
    title: str
    starts_on: str
    why: str
    path: Path
    steps: tuple[Step, ...]
    minutes: float = 0.0
    length_setting: str | None = None
    memory: dict[str, Any] = field(default_factory=dict)
    banks: dict[str, Bank] = field(default_factory=dict)
    phrases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    timed: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)  # greeting/farewell overrides


@dataclass(frozen=True)
class ScriptSet:
    scripts: dict[str, Script]
    folder: Path
    phrases: dict[str, tuple[str, ...]] = field(default_factory=dict)  # the shared wordings (phrases.yaml)
    timed: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)  # phrase -> part of day -> wordings
    day_parts: DayParts = field(default_factory=DayParts)

    def by_intent(self, intent: str) -> Script | None:
        return next((s for s in self.scripts.values() if s.starts_on == intent), None)

    def get(self, exercise: str) -> Script | None:
        return self.scripts.get(exercise)


# --- loading ----------------------------------------------------------------------


TOP_KEYS = {"exercise", "title", "starts_on", "why", "minutes", "length_setting", "memory", "banks", "phrases", "steps"}
COMMON = {"id", "when"}
OPTIONS: dict[str, set[str]] = {
    "say": set(),
    "close": set(),
    "pause": {"prompt"},
    "turn": {"who", "seconds", "prompt", "reprompt", "moving_on", "silence", "keep", "then", "more", "bank",
             "done_after"},
    "reflect": {"who", "seconds", "reprompt", "moving_on", "silence", "keep", "then", "more", "done_after"},
    "ask": {"prompt", "to"},
    "choose": {"yes", "no", "set", "both", "default", "reprompt", "moving_on"},
    "do": {"fact", "value", "status", "catalogue", "prompt", "max", "min"},
    "for_each": {"steps", "limit", "none"},
}
_WHEN = re.compile(r"^\s*(not\s+)?([a-z_][a-z0-9_]*)\s*(?:(==|!=|<=|>=|<|>)\s*(\S+))?\s*$")


class _Checker:
    """Builds one script's steps, collecting facts as it goes so wordings can be checked."""

    def __init__(self, path: Path, facts: set[str], banks: set[str]) -> None:
        self.path = path
        self.facts = set(facts)
        self.banks = banks
        self.used_placeholders: list[tuple[str, int]] = []

    def err(self, line: int, what: str) -> ScriptError:
        return ScriptError(f"{self.path}:{line}: {what}")

    def wordings(self, value: Any, line: int, what: str) -> tuple[str, ...]:
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not items:
            raise self.err(line, f"{what} must be a sentence or a list of sentences")
        lines = getattr(items, "item_lines", [line] * len(items))
        out = []
        for text, at in zip(items, lines):
            if not isinstance(text, str) or not text.strip():
                raise self.err(at, f"{what}: each wording must be a non-empty sentence")
            try:
                names = [f for _, f, _, _ in string.Formatter().parse(text) if f is not None]
            except ValueError as exc:
                raise self.err(at, f"{what}: broken {{...}} in {text!r} ({exc})") from None
            for name in names:
                if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
                    raise self.err(at, f"{what}: '{{{name}}}' is not a fact name")
                self.used_placeholders.append((name, at))
            out.append(" ".join(text.split()))
        return tuple(out)

    def number(self, value: Any, line: int, what: str, minimum: float = 0.0) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < minimum:
            raise self.err(line, f"{what} must be a number of seconds of at least {minimum:g}, not {value!r}")
        return float(value)

    def steps(self, raw: Any, line: int) -> tuple[Step, ...]:
        if not isinstance(raw, list) or not raw:
            raise self.err(line, "steps must be a list with at least one step")
        lines = getattr(raw, "item_lines", [line] * len(raw))
        return tuple(self.step(item, at, i) for i, (item, at) in enumerate(zip(raw, lines)))

    def step(self, raw: Any, line: int, index: int) -> Step:
        if not isinstance(raw, dict):
            raise self.err(line, f"a step must be a mapping like 'say: ...', not {raw!r}")
        kinds = [k for k in raw if k in KINDS]
        if len(kinds) != 1:
            found = ", ".join(kinds) or "none"
            raise self.err(line, f"a step needs exactly one of {', '.join(KINDS)} (found: {found})")
        kind = kinds[0]
        kl = getattr(raw, "key_lines", {})
        allowed = OPTIONS[kind] | COMMON
        for key in raw:
            if key != kind and key not in allowed:
                known = ", ".join(sorted(allowed)) or "none"
                raise self.err(kl.get(key, line), f"'{key}' is not an option of a {kind} step (options: {known})")
        at = lambda key: kl.get(key, line)  # noqa: E731
        head = raw[kind]
        opts: dict[str, Any] = {"kind": kind, "where": f"{self.path}:{line}"}
        opts["id"] = str(raw.get("id") or f"{kind}{index + 1}")
        if "when" in raw:
            opts["when"] = self.condition(raw["when"], at("when"))
        if kind in ("say", "close"):
            opts["wordings"] = self.wordings(head, at(kind), kind)
        elif kind == "pause":
            opts["seconds"] = self.number(head, at(kind), "pause", 1)
            if "prompt" in raw:
                opts["wordings"] = self.wordings(raw["prompt"], at("prompt"), "prompt")
        elif kind in ("turn", "reflect"):
            if kind == "turn":
                if not isinstance(head, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", head):
                    raise self.err(at(kind), "a turn needs a short name (lower-case word), like 'turn: share'")
                opts["id"] = str(raw.get("id") or head)
                opts["who"] = raw.get("who", "each")
                if "prompt" not in raw:
                    raise self.err(line, "a turn needs a prompt: what Tandem says to invite the speaker")
                opts["wordings"] = self.wordings(raw["prompt"], at("prompt"), "prompt")
                if "seconds" not in raw:
                    raise self.err(line, "a turn needs seconds: how long the speaker has")
            else:
                opts["id"] = str(raw.get("id") or "reflect")
                opts["who"] = raw.get("who", "listener")
                opts["wordings"] = self.wordings(head, at(kind), "reflect")
            self.who(opts["who"], at("who"), "who", allow_each=True)
            if "bank" in raw:
                opts["bank"] = self.bank(raw["bank"], at("bank"))
            opts["seconds"] = self.number(raw.get("seconds", 45), at("seconds"), "seconds", 5)
            opts["silence_s"] = self.number(raw.get("silence", MIN_SILENCE_S), at("silence"), "silence", MIN_SILENCE_S)
            if "more" in raw:
                opts["more_s"] = self.number(raw["more"], at("more"), "more", 10)
            if "done_after" in raw:
                opts["done_after_s"] = self.number(raw["done_after"], at("done_after"), "done_after", MIN_DONE_AFTER_S)
            keep = raw.get("keep", "no")
            keep = {True: "yes", False: "no"}.get(keep, keep) if isinstance(keep, bool) else keep
            if not isinstance(keep, str) or not (keep in ("yes", "no") or re.fullmatch(r"if [a-z_][a-z0-9_]*", keep)):
                raise self.err(at("keep"), f"keep must be yes, no or 'if <fact>', not {keep!r}")
            if keep.startswith("if "):
                self.used_placeholders.append((keep[3:], at("keep")))
            opts["keep"] = keep
            if "then" in raw:
                if raw["then"] not in THEN_ACTIONS:
                    raise self.err(at("then"), f"then must be one of {', '.join(THEN_ACTIONS)}, not {raw['then']!r}")
                opts["then"] = raw["then"]
        elif kind == "ask":
            opts["bank"] = self.bank(head, at(kind))
            opts["wordings"] = self.wordings(raw.get("prompt", "{question}"), at("prompt"), "prompt")
            opts["who"] = self.who(raw.get("to", "first"), at("to"), "to", allow_each=False)
        elif kind == "choose":
            opts["wordings"] = self.wordings(head, at(kind), "choose")
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
        if "reprompt" in raw:
            opts["reprompt"] = self.reprompt(raw["reprompt"], at("reprompt"), opts.get("wordings", ()))
        if "moving_on" in raw:
            opts["moving_on"] = self.wordings(raw["moving_on"], at("moving_on"), "moving_on")
        elif kind == "do":
            if head not in DO_ACTIONS:
                raise self.err(at(kind), f"do must be one of {', '.join(DO_ACTIONS)}, not {head!r}")
            opts["action"] = head
            if head in ("set", "raise", "lower"):
                if "fact" not in raw:
                    raise self.err(line, f"do: {head} needs fact: the name to change")
                opts["fact"] = self.fact_name(raw["fact"], at("fact"))
                self.facts.add(opts["fact"])
                if head == "set":
                    opts["value"] = raw.get("value", True)
                else:
                    bound = raw.get("max" if head == "raise" else "min")
                    if bound is not None and (isinstance(bound, bool) or not isinstance(bound, int)):
                        raise self.err(at("max" if head == "raise" else "min"), "the limit must be a whole number")
                    opts["value"] = bound
            if head == "promise.mark":
                if raw.get("status") not in PROMISE_STATUSES:
                    raise self.err(at("status") if "status" in raw else line,
                                   f"promise.mark needs status: {' | '.join(PROMISE_STATUSES)}")
                opts["status"] = raw["status"]
            if head == "experience.pick":
                if not isinstance(raw.get("catalogue"), str):
                    raise self.err(line,
                                   "experience.pick needs catalogue: the activities file, like banks/experiences.yaml")
                catalogue = self.path.parent / raw["catalogue"]
                if not catalogue.is_file():
                    raise self.err(at("catalogue"), f"no activities file at {catalogue}")
                opts["catalogue"] = raw["catalogue"]
            if "prompt" in raw:
                opts["wordings"] = self.wordings(raw["prompt"], at("prompt"), "prompt")
        elif kind == "for_each":
            if head not in SOURCES:
                raise self.err(at(kind), f"for_each must be one of {', '.join(SOURCES)}, not {head!r}")
            opts["source"] = head
            self.facts |= SOURCE_FACTS[head]
            opts["steps"] = self.steps(raw.get("steps"), at("steps") if "steps" in raw else line)
            if "none" in raw:
                opts["none"] = self.wordings(raw["none"], at("none"), "none")
            limit = raw.get("limit", 5)
            if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
                raise self.err(at("limit"), f"limit must be a whole number of at least 1, not {limit!r}")
            opts["limit"] = limit
        return Step(**opts)

    def reprompt(self, value: Any, line: int, prompts: tuple[str, ...]) -> tuple[str, ...]:
        """Other words for the same invitation: after a silence, the question is never said again word for word."""
        wordings = self.wordings(value, line, "reprompt")
        lines = getattr(value, "item_lines", [line] * len(wordings))
        said = {_plain(p) for p in prompts}
        for text, at in zip(wordings, lines):
            if _plain(text) in said:
                raise self.err(at,
                               f"reprompt: {text!r} is the prompt again; say it in other words (it follows a silence)")
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
        if not isinstance(value, str) or not re.fullmatch(r"[a-z_][a-z0-9_]*", value):
            raise self.err(line, f"a fact name is one lower-case word (like keep_shares), not {value!r}")
        return value

    def condition(self, value: Any, line: int) -> tuple[str, ...]:
        conditions = value if isinstance(value, list) else [value]
        for condition in conditions:
            match = _WHEN.match(condition) if isinstance(condition, str) else None
            if match is None:
                raise self.err(line,
                               f"when must look like 'keep_shares', 'not keep_shares' or 'tier < 3', not {condition!r}")
            self.used_placeholders.append((match.group(2), line))
        return tuple(conditions)


def load_banks(path: Path, raw: Any, line_of: dict[str, int], exercise: str) -> dict[str, Bank]:
    """Banks named in a script: inline lists, or companion files (``banks/x.yaml``) next to it."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ScriptError(f"{path}:{line_of.get('banks', 1)}: banks must map a name to a file or a list")
    banks: dict[str, Bank] = {}
    kl = getattr(raw, "key_lines", {})
    for name, value in raw.items():
        at = kl.get(name, 1)
        if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
            raise ScriptError(f"{path}:{at}: a bank name is one lower-case word, not {name!r}")
        if isinstance(value, str):
            bank_path = path.parent / value
            if not bank_path.is_file():
                raise ScriptError(f"{path}:{at}: no bank file at {bank_path}")
            data = load_yaml(bank_path)
            if not isinstance(data, LDict) or "items" not in data:
                raise ScriptError(f"{bank_path}:1: a bank file needs 'bank: <id>' and 'items: [...]'")
            bank_id = data.get("bank")
            if not isinstance(bank_id, str) or not bank_id:
                raise ScriptError(f"{bank_path}:1: a bank file needs 'bank: <id>' (its name in the store)")
            banks[name] = Bank(bank_id, _items(bank_path, data["items"], data.key_lines.get("items", 1)))
        else:
            banks[name] = Bank(f"{exercise}.{name}", _items(path, value, at))
    return banks


def _items(path: Path, raw: Any, line: int) -> tuple[tuple[str, str], ...]:
    if not isinstance(raw, list) or not raw:
        raise ScriptError(f"{path}:{line}: a bank needs a list of items")
    lines = getattr(raw, "item_lines", [line] * len(raw))
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for item, at in zip(raw, lines):
        if isinstance(item, str) and item.strip():
            text = " ".join(item.split())
            # a stable id from the words, so the store remembers what was asked across restarts
            item_id = "q" + hashlib.sha1(text.lower().encode("utf-8")).hexdigest()[:8]
        elif isinstance(item, dict) and isinstance(item.get("id"), str) and isinstance(item.get("text"), str):
            item_id, text = item["id"], " ".join(item["text"].split())
        else:
            raise ScriptError(f"{path}:{at}: a bank item is a sentence, or 'id: ..., text: ...'")
        if "{" in text.replace("{first}", "").replace("{second}", "").replace("{partner}", "").replace("{other}", ""):
            raise ScriptError(f"{path}:{at}: bank items may only use {{first}}, {{second}}, {{partner}} or {{other}}")
        if item_id in seen:
            raise ScriptError(f"{path}:{at}: the item {text[:40]!r} appears twice")
        seen.add(item_id)
        out.append((item_id, text))
    return tuple(out)


@dataclass(frozen=True)
class Phrases:
    """A phrases file (or a script's ``phrases:``): plain wordings, wordings per part of the day, the bands."""

    plain: dict[str, tuple[str, ...]]
    timed: dict[str, dict[str, tuple[str, ...]]]
    day_parts: DayParts | None = None


def load_phrases(path: Path) -> Phrases:
    data = load_yaml(path)
    return _phrases(path, data, 1, require_all=True)


def _phrases(path: Path, raw: Any, line: int, require_all: bool, own_file: bool = False) -> Phrases:
    """Shared wordings; ``own_file``: a phrases file (not a script's ``phrases:``), which may also set day_parts."""
    if not isinstance(raw, dict):
        raise ScriptError(f"{path}:{line}: phrases must map a name to wordings")
    checker = _Checker(path, set(), set())
    kl = getattr(raw, "key_lines", {})
    out: dict[str, tuple[str, ...]] = {}
    timed: dict[str, dict[str, tuple[str, ...]]] = {}
    day_parts = None
    known = (*PHRASE_KEYS, *TIMED_PHRASE_KEYS) + ((DAY_PARTS_KEY,) if require_all or own_file else ())
    for key, value in raw.items():
        at = kl.get(key, line)
        if key not in known:
            raise ScriptError(f"{path}:{at}: unknown phrase '{key}' (known: {', '.join(known)})")
        if key == DAY_PARTS_KEY:
            day_parts = _day_parts(path, value, at)
        elif key in TIMED_PHRASE_KEYS:
            timed[key] = _by_day_part(checker, value, at, key)
        else:
            out[key] = checker.wordings(value, at, key)
    missing = [k for k in known if k not in out and k not in timed and k != DAY_PARTS_KEY]
    if require_all and missing:
        raise ScriptError(f"{path}:{line}: missing phrases: {', '.join(missing)}")
    _check_facts(checker, BUILTIN_FACTS - set(TIMED_PHRASE_KEYS))  # a greeting never holds another greeting
    return Phrases(out, timed, day_parts)


def _by_day_part(checker: _Checker, value: Any, line: int, key: str) -> dict[str, tuple[str, ...]]:
    """``farewell: {morning: ..., afternoon: ..., evening: ..., night: ...}``: every part of the day worded."""
    if not isinstance(value, dict):
        raise checker.err(line, f"{key} gives wordings for each part of the day: {', '.join(PARTS)}")
    kl = getattr(value, "key_lines", {})
    for part in value:
        if part not in PARTS:
            raise checker.err(kl.get(part, line),
                              f"{key}: '{part}' is not a part of the day (parts: {', '.join(PARTS)})")
    missing = [p for p in PARTS if p not in value]
    if missing:
        raise checker.err(line, f"{key}: add wordings for {', '.join(missing)} (every part of the day needs its own)")
    return {part: checker.wordings(value[part], kl.get(part, line), f"{key}.{part}") for part in PARTS}


def _day_parts(path: Path, value: Any, line: int) -> DayParts:
    """``day_parts: {morning: "05:00", ...}``: where each part of the day starts, in the couple's time."""
    if not isinstance(value, dict) or set(value) != set(PARTS):
        raise ScriptError(f"{path}:{line}: {DAY_PARTS_KEY} gives the start of each of {', '.join(PARTS)}, like "
                          "morning: \"05:00\"")
    kl = getattr(value, "key_lines", {})
    starts = {}
    for part in PARTS:
        raw = value[part]
        start = parse_time(raw) if isinstance(raw, str) else None
        if start is None:
            raise ScriptError(f"{path}:{kl.get(part, line)}: {DAY_PARTS_KEY}.{part} must be a time in quotes, like "
                              f"\"05:00\", not {raw!r}")
        starts[part] = start
    if len(set(starts.values())) != len(starts):
        raise ScriptError(f"{path}:{line}: {DAY_PARTS_KEY}: two parts of the day start at the same time")
    return DayParts(starts)


def _check_facts(checker: _Checker, known: set[str]) -> None:
    for name, at in checker.used_placeholders:
        if name not in known:
            raise checker.err(at, f"unknown fact '{{{name}}}' (known here: {', '.join(sorted(known))})")


def load_script(path: Path, length_settings: set[str] | None = None, data: Any = None) -> Script:
    """Load and check one exercise file."""
    data = load_yaml(path) if data is None else data
    if not isinstance(data, LDict):
        raise ScriptError(f"{path}:1: an exercise file is a mapping with exercise, title, starts_on, why and steps")
    kl = data.key_lines
    for key in data:
        if key not in TOP_KEYS:
            raise ScriptError(f"{path}:{kl[key]}: unknown key '{key}' (known: {', '.join(sorted(TOP_KEYS))})")
    for key in ("exercise", "title", "starts_on", "why", "steps"):
        if key not in data:
            raise ScriptError(f"{path}:{data.line}: missing '{key}'")
    for key in ("exercise", "title", "starts_on", "why"):
        if not isinstance(data[key], str) or not data[key].strip():
            raise ScriptError(f"{path}:{kl[key]}: {key} must be text")
    if not re.fullmatch(r"[a-z][a-z0-9_]*", data["exercise"]):
        raise ScriptError(f"{path}:{kl['exercise']}: the exercise id is one lower-case word, not {data['exercise']!r}")
    if not re.fullmatch(r"[a-z_]+\.[a-z_]+", data["starts_on"]):
        raise ScriptError(f"{path}:{kl['starts_on']}: starts_on is an intent name like gratitude.start")
    memory = data.get("memory", {})
    if not isinstance(memory, dict) or not all(isinstance(v, (int, float, str, bool)) for v in memory.values()):
        raise ScriptError(f"{path}:{kl.get('memory', 1)}: memory maps fact names to starting values (numbers, words, "
                          "yes/no)")
    minutes = data.get("minutes", 0)
    if isinstance(minutes, bool) or not isinstance(minutes, (int, float)) or minutes < 0:
        raise ScriptError(f"{path}:{kl.get('minutes', 1)}: minutes must be a number")
    length_setting = data.get("length_setting")
    if length_setting is not None:
        if length_settings is not None and length_setting not in length_settings:
            raise ScriptError(f"{path}:{kl['length_setting']}: no exercise setting called {length_setting!r} "
                              f"(known: {', '.join(sorted(length_settings))})")
        if not minutes:
            raise ScriptError(f"{path}:{kl['length_setting']}: length_setting needs minutes: the length the durations "
                              "are written for")
    banks = load_banks(path, data.get("banks"), kl, data["exercise"])
    checker = _Checker(path, BUILTIN_FACTS | set(memory), set(banks))
    steps = checker.steps(data["steps"], kl["steps"])
    phrases = (_phrases(path, data["phrases"], kl["phrases"], require_all=False) if "phrases" in data
               else Phrases({}, {}))
    _check_facts(checker, checker.facts)
    if not any(s.kind == "close" for s in steps):
        raise ScriptError(f"{path}:{kl['steps']}: the steps need a close step (the closing words)")
    return Script(exercise=data["exercise"], title=data["title"].strip(), starts_on=data["starts_on"], why=data["why"],
                  path=path, steps=steps, minutes=float(minutes), length_setting=length_setting,
                  memory=dict(memory), banks=banks, phrases=phrases.plain, timed=phrases.timed)


def load_scripts(scripts_dir: Path, length_settings: set[str] | None = None) -> ScriptSet:
    """Every ``*.yaml`` exercise in ``scripts_dir`` (``phrases.yaml`` holds the shared wordings)."""
    folder = Path(scripts_dir)
    if not folder.is_dir():
        raise ScriptError(f"{folder}: no scripts folder there")
    scripts: dict[str, Script] = {}
    intents: dict[str, Path] = {}
    for path in sorted(folder.glob("*.yaml")):
        if path.name == PHRASES_FILE:
            continue
        data = load_yaml(path)
        if isinstance(data, dict) and "exercise" not in data and "steps" not in data:
            continue  # another part's wording file (reminders.yaml), not an exercise
        script = load_script(path, length_settings, data)
        if script.exercise in scripts:
            raise ScriptError(f"{path}:1: exercise '{script.exercise}' is also defined in "
                              f"{scripts[script.exercise].path.name}")
        if script.starts_on in intents:
            raise ScriptError(f"{path}:1: {script.starts_on} already starts {intents[script.starts_on].name}")
        scripts[script.exercise] = script
        intents[script.starts_on] = path
    # a folder of new exercises may rely on the shipped shared wordings, or reword only some of them
    phrases = load_phrases(SHIPPED_PHRASES)
    own = folder / PHRASES_FILE
    if own.is_file() and own.resolve() != SHIPPED_PHRASES.resolve():
        mine = _phrases(own, load_yaml(own), 1, require_all=False, own_file=True)
        phrases = Phrases({**phrases.plain, **mine.plain}, {**phrases.timed, **mine.timed},
                          mine.day_parts or phrases.day_parts)
    return ScriptSet(scripts=scripts, folder=folder, phrases=phrases.plain, timed=phrases.timed,
                     day_parts=phrases.day_parts or DayParts())


def _plain(text: str) -> str:
    """A wording without case, spacing or punctuation, to notice the same words said again."""
    return " ".join(re.sub(r"[^\w{}' ]+", " ", text.lower()).split())
