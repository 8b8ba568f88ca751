"""The reminders every couple starts with: the monthly trust talk, the weekly check-in, the (off) gratitude nudge."""

from __future__ import annotations

from dataclasses import dataclass

from .record import DEFAULT_TIME


@dataclass(frozen=True)
class Default:
    """A reminder installed at the start, and what it offers."""

    rule: str
    time: str
    enabled: bool
    exercise: str
    gives_way_to: str | None = None  # the kind whose days it skips


DEFAULTS: dict[str, Default] = {
    "trusttalk": Default(rule="FREQ=MONTHLY;BYDAY=1SU", time=DEFAULT_TIME, enabled=True, exercise="trusttalk"),
    "checkin": Default(rule="FREQ=WEEKLY;BYDAY=SU", time=DEFAULT_TIME, enabled=True, exercise="checkin",
                       gives_way_to="trusttalk"),
    "gratitude": Default(rule="FREQ=DAILY", time="20:00", enabled=False, exercise="gratitude"),
}
PRIORITY = tuple(DEFAULTS)  # when two are due together, the rarer one is said


def priority(kind: str) -> int:
    """The rank of ``kind`` among reminders due together (custom ones after the defaults)."""
    return PRIORITY.index(kind) if kind in PRIORITY else len(PRIORITY)
