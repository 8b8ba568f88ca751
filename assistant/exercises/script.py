"""Exercise scripts: loading ``scripts/*.yaml`` into checked ``Script``s.

A script is data a counsellor can write (see ``scripts/README.md``): a title, why its durations
are what they are, and a list of steps. Everything is checked at load time (the steps in
``checker.py``, the actions they name in ``actions.py``, banks in ``banks.py``, wordings in
``phrases.py``) so a mistake is reported as ``file:line: what is wrong`` before the couple ever
hears it, never as a traceback half-way through an exercise.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from .. import yamlfile
from ..errors import ScriptError
from ..yamlfile import LDict, LList
from .banks import load_banks
from .checker import StepChecker, builtin_facts, check_facts
from .dayparts import DayParts
from .model import KINDS, Bank, Script, ScriptSet, Step
from .phrases import PHRASES_FILE, Phrases, read_phrases, shared_phrases

__all__ = ["KINDS", "Bank", "LDict", "LList", "Script", "ScriptError", "ScriptSet", "Step", "load_script",
           "load_scripts", "load_yaml"]

def load_yaml(path: Path) -> Any:
    """Parse ``path`` keeping line numbers (``yamlfile``); ScriptError (``file:line``) on bad YAML."""
    return yamlfile.load_yaml(path, ScriptError)


TOP_KEYS = {"exercise", "title", "starts_on", "why", "minutes", "length_setting", "memory", "banks", "phrases", "steps"}
_REQUIRED = ("exercise", "title", "starts_on", "why", "steps")


def load_script(path: Path, length_settings: set[str] | None = None, data: Any = None) -> Script:
    """Load and check one exercise file."""
    data = load_yaml(path) if data is None else data
    if not isinstance(data, LDict):
        raise ScriptError(f"{path}:1: an exercise file is a mapping with exercise, title, starts_on, why and steps")
    _check_top(path, data)
    kl = data.key_lines
    memory = data.get("memory", {})
    if not isinstance(memory, dict) or not all(isinstance(v, (int, float, str, bool)) for v in memory.values()):
        raise ScriptError(f"{path}:{kl.get('memory', 1)}: memory maps fact names to starting values "
                          "(numbers, words, yes/no)")
    minutes = data.get("minutes", 0)
    if isinstance(minutes, bool) or not isinstance(minutes, (int, float)) or minutes < 0:
        raise ScriptError(f"{path}:{kl.get('minutes', 1)}: minutes must be a number")
    length_setting = _length_setting(path, data, minutes, length_settings)
    banks = load_banks(path, data.get("banks"), kl, data["exercise"])
    checker = StepChecker(path, builtin_facts() | set(memory), set(banks))
    steps = checker.steps(data["steps"], kl["steps"])
    phrases = (read_phrases(path, data["phrases"], kl["phrases"], require_all=False) if "phrases" in data
               else Phrases({}, {}))
    check_facts(checker, checker.facts)
    if not any(s.kind == "close" for s in steps):
        raise ScriptError(f"{path}:{kl['steps']}: the steps need a close step (the closing words)")
    return Script(exercise=data["exercise"], title=data["title"].strip(), starts_on=data["starts_on"], why=data["why"],
                  path=path, steps=steps, minutes=float(minutes), length_setting=length_setting,
                  memory=dict(memory), banks=banks, phrases=phrases.plain, timed=phrases.timed)


def _check_top(path: Path, data: LDict) -> None:
    """The keys at the top of the file: known ones only, the required ones there and worded."""
    kl = data.key_lines
    for key in data:
        if key not in TOP_KEYS:
            raise ScriptError(f"{path}:{kl[key]}: unknown key '{key}' (known: {', '.join(sorted(TOP_KEYS))})")
    for key in _REQUIRED:
        if key not in data:
            raise ScriptError(f"{path}:{data.line}: missing '{key}'")
    for key in _REQUIRED[:-1]:
        if not isinstance(data[key], str) or not data[key].strip():
            raise ScriptError(f"{path}:{kl[key]}: {key} must be text")
    if not re.fullmatch(r"[a-z][a-z0-9_]*", data["exercise"]):
        raise ScriptError(f"{path}:{kl['exercise']}: the exercise id is one lower-case word, not {data['exercise']!r}")
    if not re.fullmatch(r"[a-z_]+\.[a-z_]+", data["starts_on"]):
        raise ScriptError(f"{path}:{kl['starts_on']}: starts_on is an intent name like gratitude.start")


def _length_setting(path: Path, data: LDict, minutes: float, length_settings: set[str] | None) -> str | None:
    """The exercise setting that stretches the turns (``length_setting``), written for ``minutes``."""
    length_setting = data.get("length_setting")
    if length_setting is None:
        return None
    kl = data.key_lines
    if length_settings is not None and length_setting not in length_settings:
        raise ScriptError(f"{path}:{kl['length_setting']}: no exercise setting called {length_setting!r} "
                          f"(known: {', '.join(sorted(length_settings))})")
    if not minutes:
        raise ScriptError(f"{path}:{kl['length_setting']}: length_setting needs minutes: "
                          "the length the durations are written for")
    return length_setting


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
    phrases = shared_phrases(folder)
    return ScriptSet(scripts=scripts, folder=folder, phrases=phrases.plain, timed=phrases.timed,
                     day_parts=phrases.day_parts or DayParts())
