"""What the features say back: their reply wordings, read from ``scripts/replies/*.yaml``.

Wording is data (see ``scripts/README.md``, "Rewording Tandem's replies"): each
feature module (promises, goals, journal, experiences, summary, forget) asks
for a reply by name, ``reply(ctx, "promises.logged", promise=...)``, and one of
the file's wordings is picked at random and filled in with ``str.format``
fields. A reply may also have ``one:``/``other:`` forms when it gets a
``{count}``.

``FIELDS`` below is the contract between the code and the files: every reply
Tandem uses and the fields the code gives it. Everything is checked when the
folder is loaded, so a mistake is reported as ``file:line: what is wrong``
(a ``ReplyError``) before anyone hears it: YAML that does not parse, a reply
that is missing or unknown, a ``{field}`` the reply does not get.

A folder (``PathSettings.scripts_dir / "replies"``) may leave out any file;
the shipped one is used for it, so a custom scripts folder need only hold the
files it rewords.
"""

from __future__ import annotations

import difflib
import functools
import random
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ScriptError, TandemError
from .yamlfile import load_yaml

if TYPE_CHECKING:
    from .handlers import Context

SHIPPED_DIR = Path(__file__).resolve().parents[1] / "scripts" / "replies"
FORMS = ("one", "other")  # plural forms, picked by the {count} field

# file -> reply -> the fields the code fills in (a wording may use any of them, or none)
FIELDS: dict[str, dict[str, tuple[str, ...]]] = {
    "promises": {
        "promise": ("partner", "text", "promised"),
        "promise_due": ("promise", "due"),
        "promise_overdue": ("promise", "day"),
        "promise_of": ("partner", "text", "promised"),
        "that_promise": (),
        "follow_up": ("partner", "text", "promised"),
        "follow_up_kept": ("partner",),
        "follow_up_more_time": (),
        "follow_up_extended": ("due",),
        "follow_up_extended_open": (),
        "follow_up_let_go": (),
        "follow_up_released": (),
        "follow_up_kept_open": (),
        "log_who": ("a", "b"),
        "log_not_saved": (),
        "log_not_heard": (),
        "logged": ("promise",),
        "logged_private": (),
        "list_private": (),
        "list_none": (),
        "list_none_partner": ("partner",),
        "list_count": ("count",),
        "list_count_partner": ("partner", "count"),
        "list_item": ("promise",),
        "list_more": ("count",),
        "list_stop": (),
        "which_partner": ("this", "that"),
        "which_count": ("count",),
        "which_is_it": ("promise",),
        "mark_none_open": (),
        "mark_not_found": (),
        "mark_ambiguous_private": (),
        "mark_left": (),
        "mark_did_you_mean": ("promise",),
        "mark_left_one": (),
        "marked_kept": ("what", "partner"),
        "marked_missed": ("what", "partner"),
    },
    "questions": {
        "reask_yes_no": (),
        "reask_partner": ("a", "b"),
        "reminder_later": ("label", "snooze"),
    },
    "goals": {
        "ask_goal": (),
        "not_added": (),
        "added": ("goal",),
        "added_private": (),
        "ask_step": ("partner",),
        "added_done": (),
        "review_private": (),
        "review_none": (),
        "review_count": ("count",),
        "review_goal": ("goal",),
        "review_later": (),
        "review_reached_ask": (),
        "review_reached": ("goal",),
        "review_done": (),
    },
    "journal": {
        "private": (),
        "empty": (),
        "latest": (),
        "latest_unsure": (),
        "period": ("period",),
        "period_dated": ("period",),
        "period_empty": ("period",),
        "period_empty_dated": ("period",),
        "entry": ("partner", "other", "text"),
        "entry_dated": ("day", "entry"),
        "more": ("count",),
    },
    "experiences": {
        "log_not_heard": (),
        "logged": ("did", "text"),
        "logged_private": (),
        "tried": ("text",),
    },
    "controls": {
        "help": (), "care": (), "cancel": (), "privacy_on": (), "privacy_off": (),
        "louder": (), "loudest": (), "quieter": (), "quietest": (),
        "slower": (), "slowest": (), "faster": (), "fastest": (),
    },
    "summary": {
        "intro": (),
        "streak": ("count",),
        "no_streak": (),
        "exercises": ("count",),
        "no_exercises": (),
        "promises_kept": ("kept", "total", "missed"),
        "goals_reached": ("count",),
        "next_talk": ("when",),
    },
    "forget": {
        "nothing_recent": (),
        "last_promises": (),
        "last_gratitude": (),
        "last_goals": (),
        "last_experiences": (),
        "confirm": ("what",),
        "kept": (),
        "forgotten": (),
        "item_private": (),
        "item_not_found": (),
        "item_count": ("count",),
        "item_none_deleted": (),
        "describe_promises": ("partner", "text", "promised"),
        "describe_gratitude": ("partner", "other", "text"),
        "describe_goals": ("text",),
        "describe_goals_to": ("text",),
        "describe_experiences": ("text",),
        "describe_other": (),
    },
    "hearing": {
        "transcribing": (),
    },
}
_NAME = re.compile(r"[a-z_][a-z0-9_]*")


class ReplyError(TandemError):
    """A replies file that cannot be used, as ``file:line: what is wrong``."""


@dataclass(frozen=True)
class Reply:
    key: str  # "promises.logged"
    where: str  # "file:line"
    fields: frozenset[str]
    forms: Mapping[str, tuple[str, ...]]  # "other" always; "one" too when the reply has plural forms


@dataclass(frozen=True)
class Replies:
    """Every reply of the features, checked; ``say`` picks and fills one wording."""

    folder: Path
    replies: Mapping[str, Reply]
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def __contains__(self, key: object) -> bool:
        return key in self.replies

    def keys(self) -> list[str]:
        return sorted(self.replies)

    def say(self, key: str, rng: random.Random | None = None, **fields: Any) -> str:
        """One wording of ``key`` ("promises.logged"), with the fields filled in.

        The code must give exactly the reply's fields (``FIELDS``): a mismatch is a
        bug in the code, not in the file, and raises ``KeyError`` at once.
        """
        reply = self.replies.get(key)
        if reply is None:
            raise KeyError(f"no reply called {key!r}")
        if set(fields) != reply.fields:
            raise KeyError(f"reply {key!r} takes {sorted(reply.fields)}, not {sorted(fields)}")
        form = "one" if "one" in reply.forms and fields.get("count") == 1 else "other"
        wording = (rng or self.rng).choice(reply.forms[form])
        return wording.format_map(fields)


# --- loading ------------------------------------------------------------------------


def load_replies(folder: Path) -> Replies:
    """The replies in ``folder`` (shipped files for any it leaves out); checked, and cached per folder."""
    return _load(Path(folder).expanduser().resolve())


def clear_cache() -> None:
    """Forget loaded folders (for tests, and after rewording files while Tandem runs)."""
    _load.cache_clear()


@functools.cache
def _load(folder: Path) -> Replies:
    if folder.is_dir():
        for path in sorted(folder.glob("*.yaml")):
            if path.stem not in FIELDS:
                known = ", ".join(f"{name}.yaml" for name in FIELDS)
                raise ReplyError(f"{path}:1: not a replies file Tandem knows (known: {known})")
    replies: dict[str, Reply] = {}
    for name in FIELDS:
        path = folder / f"{name}.yaml"
        if not path.is_file():
            path = SHIPPED_DIR / f"{name}.yaml"
        replies.update(load_file(path, name))
    return Replies(folder=folder, replies=replies)


def load_file(path: Path, name: str | None = None) -> dict[str, Reply]:
    """Check one replies file (``name`` is its feature, by default the file's stem)."""
    name = name or path.stem
    if name not in FIELDS:
        raise ReplyError(f"{path}:1: not a replies file Tandem knows (known: {', '.join(FIELDS)})")
    if not path.is_file():
        raise ReplyError(f"{path}: the replies file is missing")
    try:
        data = load_yaml(path, ScriptError)
    except ScriptError as exc:
        raise ReplyError(str(exc)) from None
    if not isinstance(data, dict):
        raise ReplyError(f"{path}:1: a replies file maps each reply's name to its wordings")
    contract = FIELDS[name]
    key_lines: dict[str, int] = getattr(data, "key_lines", {})
    out: dict[str, Reply] = {}
    for key, value in data.items():
        line = key_lines.get(key, 1)
        if key not in contract:
            near = difflib.get_close_matches(key, contract, n=1)
            hint = f"; did you mean '{near[0]}'?" if near else ""
            raise ReplyError(f"{path}:{line}: unknown reply '{key}'{hint}")
        fields = frozenset(contract[key])
        out[f"{name}.{key}"] = Reply(f"{name}.{key}", f"{path}:{line}", fields, _forms(path, key, value, line, fields))
    missing = [key for key in contract if key not in data]
    if missing:
        raise ReplyError(f"{path}:{getattr(data, 'line', 1)}: missing repl{'y' if len(missing) == 1 else 'ies'}: "
                         f"{', '.join(missing)}")
    return out


def _forms(path: Path, key: str, value: Any, line: int, fields: frozenset[str]) -> dict[str, tuple[str, ...]]:
    if not isinstance(value, dict):
        return {"other": _wordings(path, key, value, line, fields)}
    key_lines: dict[str, int] = getattr(value, "key_lines", {})
    if "count" not in fields:
        raise ReplyError(f"{path}:{line}: '{key}' has no {{count}}, so it cannot have one:/other: forms")
    for form in value:
        if form not in FORMS:
            raise ReplyError(f"{path}:{key_lines.get(form, line)}: '{key}': "
                             f"the forms are one: and other:, not '{form}'")
    if "other" not in value:
        raise ReplyError(f"{path}:{line}: '{key}' needs other: (the wordings for any count but one)")
    return {form: _wordings(path, f"{key}.{form}", value[form], key_lines.get(form, line), fields) for form in value}


def _wordings(path: Path, key: str, value: Any, line: int, fields: frozenset[str]) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items:
        raise ReplyError(f"{path}:{line}: '{key}' must be a sentence or a list of sentences")
    lines = getattr(items, "item_lines", [line] * len(items))
    out = []
    for text, at in zip(items, lines):
        if not isinstance(text, str) or not text.strip():
            raise ReplyError(f"{path}:{at}: '{key}': each wording must be a non-empty sentence")
        try:
            names = [f for _, f, _, _ in string.Formatter().parse(text) if f is not None]
        except ValueError as exc:
            raise ReplyError(f"{path}:{at}: '{key}': broken {{...}} in {text!r} ({exc})") from None
        for used in names:
            if used not in fields:
                known = ", ".join(f"{{{f}}}" for f in sorted(fields)) or "none"
                what = (f"'{{{used}}}' is not a field name" if not _NAME.fullmatch(used)
                        else f"unknown field '{{{used}}}'")
                raise ReplyError(f"{path}:{at}: '{key}': {what} (this reply gets: {known})")
        out.append(" ".join(text.split()))
    return tuple(out)


# --- for the handlers ---------------------------------------------------------------


def shipped() -> Replies:
    """The replies shipped with Tandem (for helpers called without a context)."""
    return load_replies(SHIPPED_DIR)


def replies_for(ctx: Context) -> Replies:
    """The replies of this context's scripts folder (``scripts_dir/replies``)."""
    return load_replies(ctx.settings.paths.scripts_dir / "replies")


def reply(ctx: Context, key: str, **fields: Any) -> str:
    """``replies_for(ctx).say(key, ...)`` with the context's random source when it has one (``ctx.rng``)."""
    return replies_for(ctx).say(key, rng=getattr(ctx, "rng", None), **fields)


def sentence(text: str) -> str:
    """Capitalise the first letter (a wording that starts with a field: "{period}:" -> "On Monday:")."""
    return text[:1].upper() + text[1:]
