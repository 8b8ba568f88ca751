"""The shared wordings every exercise uses (``scripts/phrases.yaml``), and a script's own ``phrases:``.

Plain phrases are lists of wordings (cues, re-prompts, the pause's words); ``greeting`` and
``farewell`` are worded per part of the day; a phrases file may also say where each part of the
day starts (``day_parts``). A folder of new exercises may rely on the shipped wordings or reword
only some of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import yamlfile
from ..errors import ScriptError
from .checker import StepChecker, builtin_facts, check_facts
from .dayparts import PARTS, DayParts, parse_time

PHRASE_KEYS = ("cue_30s", "cue_1min", "cue_half", "cue_finish", "silence_prompt", "silence_after", "reprompt",
               "moving_on", "moving_on_yes", "ask_other", "more_time_ok", "more_time_no",
               "pause_start", "pause_check", "pause_later", "resumed", "stopped", "passed", "drifted",
               "resume_expired", "resume_none", "resume_welcome", "not_heard")
# phrases worded per part of the day ({greeting}, {farewell} in any wording)
TIMED_PHRASE_KEYS = ("greeting", "farewell")
DAY_PARTS_KEY = "day_parts"  # phrases.yaml: where each part of the day starts
PHRASES_FILE = "phrases.yaml"
SHIPPED_PHRASES = Path(__file__).resolve().parents[2] / "scripts" / PHRASES_FILE


@dataclass(frozen=True)
class Phrases:
    """A phrases file (or a script's ``phrases:``): plain wordings, wordings per part of the day, the bands."""

    plain: dict[str, tuple[str, ...]]
    timed: dict[str, dict[str, tuple[str, ...]]]
    day_parts: DayParts | None = None


def load_phrases(path: Path) -> Phrases:
    data = yamlfile.load_yaml(path, ScriptError)
    return read_phrases(path, data, 1, require_all=True)


def shared_phrases(folder: Path) -> Phrases:
    """The shipped wordings, with ``folder``'s own phrases file (if any) rewording some of them."""
    phrases = load_phrases(SHIPPED_PHRASES)
    own = folder / PHRASES_FILE
    if own.is_file() and own.resolve() != SHIPPED_PHRASES.resolve():
        mine = read_phrases(own, yamlfile.load_yaml(own, ScriptError), 1, require_all=False, own_file=True)
        phrases = Phrases({**phrases.plain, **mine.plain}, {**phrases.timed, **mine.timed},
                          mine.day_parts or phrases.day_parts)
    return phrases


def read_phrases(path: Path, raw: Any, line: int, require_all: bool, own_file: bool = False) -> Phrases:
    """Shared wordings; ``own_file``: a phrases file (not a script's ``phrases:``), which may also set day_parts."""
    if not isinstance(raw, dict):
        raise ScriptError(f"{path}:{line}: phrases must map a name to wordings")
    checker = StepChecker(path, set(), set())
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
    check_facts(checker, builtin_facts() - set(TIMED_PHRASE_KEYS))  # a greeting never holds another greeting
    return Phrases(out, timed, day_parts)


def _by_day_part(checker: StepChecker, value: Any, line: int, key: str) -> dict[str, tuple[str, ...]]:
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
        raise ScriptError(f"{path}:{line}: {DAY_PARTS_KEY} gives the start of each of {', '.join(PARTS)}, "
                          'like morning: "05:00"')
    kl = getattr(value, "key_lines", {})
    starts = {}
    for part in PARTS:
        raw = value[part]
        start = parse_time(raw) if isinstance(raw, str) else None
        if start is None:
            raise ScriptError(f"{path}:{kl.get(part, line)}: {DAY_PARTS_KEY}.{part} must be a time in quotes, "
                              f'like "05:00", not {raw!r}')
        starts[part] = start
    if len(set(starts.values())) != len(starts):
        raise ScriptError(f"{path}:{line}: {DAY_PARTS_KEY}: two parts of the day start at the same time")
    return DayParts(starts)
