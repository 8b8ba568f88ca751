"""What the reminders say, from ``scripts/reminders.yaml``: labels, the fields of a wording, and choosing one."""

from __future__ import annotations

import random
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from ...config import REPO_ROOT
from ...handlers import Context
from ...yamlfile import load_yaml
from .. import feature_words as fw
from ..time_words import schedule as sw
from .record import Reminder
from .timetable import spoken_when

Wordings = dict[str, Any]


@lru_cache(maxsize=4)
def _load_wordings(path: str) -> Wordings:
    data = load_yaml(Path(path), ValueError)
    if not isinstance(data, dict) or "kinds" not in data:
        raise ValueError(f"{path}: not a reminders wording file")
    return data


def wordings(scripts_dir: Path | None = None) -> Wordings:
    return _load_wordings(str((scripts_dir or REPO_ROOT / "scripts") / "reminders.yaml"))


def ctx_wordings(ctx: Context) -> Wordings:
    return wordings(ctx.settings.paths.scripts_dir)


def label(kind: str, words: Wordings | None = None, rec: Reminder | None = None, label_words: str | None = None) -> str:
    """How a reminder is named aloud: the shipped label of a default kind, else its own words."""
    spec = (words or wordings())["kinds"].get(kind)
    if spec and kind != "custom":
        return str(spec["label"])
    return str((rec.label if rec else label_words) or kind.replace("_", " "))


def kind_for_words(text: str, words: Wordings | None = None) -> str | None:
    """"the trust talk" -> "trusttalk"; None when no kind's words are in ``text``."""
    return fw.reminder_kind(text, (words or wordings())["kind_words"])


def custom_kind(text: str, words: Wordings | None = None) -> tuple[str, str | None, str]:
    """Words for a reminder that is not a default one -> (kind, exercise or None, label)."""
    return fw.custom_reminder(text, (words or wordings()).get("exercise_words", {}))


def read_request(kind_text: str, schedule_text: str, heard: str, words: Wordings) -> fw.ReminderRequest:
    return fw.reminder_request(kind_text, schedule_text, heard, words["kind_words"], words.get("exercise_words", {}))


def kind_wordings(words: Wordings, kind: str) -> dict[str, Any]:
    return dict(words["kinds"].get(kind) or words["kinds"]["custom"])


def fields(ctx: Context, rec: Reminder, occ: datetime) -> dict[str, str]:
    """The ``{fields}`` of every reminder wording, for occurrence ``occ``."""
    tz = ctx.profile.tz
    s = ctx.settings.reminders
    words = ctx_wordings(ctx)
    local = occ.astimezone(tz)
    snooze = "an hour" if s.snooze_minutes == 60 else (
        f"{s.snooze_minutes // 60} hours" if s.snooze_minutes % 60 == 0 else f"{s.snooze_minutes} minutes")
    return {
        "a": ctx.profile.partners[0], "b": ctx.profile.partners[1], "label": label(rec.kind, words, rec),
        "occasion": sw.occasion(rec.rule) or "", "day": f"{local:%A}", "time": sw.say_time(f"{local:%H:%M}"),
        "when": spoken_when(local, tz), "snooze": snooze, "schedule": sw.describe(rec.rule, rec.time),
        "example": sw.EXAMPLES[0],
    }


def pick(options: list[str], values: dict[str, str], seed: str, last: int = -1) -> tuple[int, str]:
    """A wording, never the one used last time; deterministic per occurrence (reproducible tests)."""
    usable = [i for i, t in enumerate(options) if values.get("occasion") or "{occasion}" not in t]
    choices = [i for i in usable if i != last] or usable
    index = random.Random(seed).choice(choices)
    return index, options[index].format(**values)
