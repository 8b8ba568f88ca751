"""One reminder as Tandem keeps it: a typed record over the stored JSON shape.

The shape is the contract of ``shared/docs/export-format.md`` (``kind``, ``rule``, ``time``, ``enabled``,
``spoken``) plus the fields that let a new process carry on where the last one stopped: ``skipped``,
``heads_up``, ``offer``, ``streak``, ``last_wording``, ``gives_way_to``, ``since``, ``created``, ``label``.
``to_dict`` writes the fields in the order they have always been stored; a field an older record lacks is
read as its default and only written once it differs from it (``merge_into``), so a record's JSON changes
only where its meaning does.
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, field, fields
from typing import Any

TABLE = "reminders"
LEDGER_KEEP = 400  # occurrences remembered per list: more than a year of a daily reminder
DEFAULT_TIME = "19:00"  # the time of a reminder whose words named none: the couple's exercises are in the evening


@dataclass
class Offer:
    """The occurrence being offered right now: how often it was offered, when again, and on which day."""

    occurrence: str  # ISO time of the occurrence
    offers: int
    again: str  # ISO time of the next re-offer
    day: str  # the local date of the first offer: a re-offer never spills into another day

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Offer:
        return cls(occurrence=str(raw["occurrence"]), offers=int(raw["offers"]), again=str(raw["again"]),
                   day=str(raw["day"]))

    def to_dict(self) -> dict[str, Any]:
        return {"occurrence": self.occurrence, "offers": self.offers, "again": self.again, "day": self.day}


@dataclass(kw_only=True)
class Reminder:
    """A reminder; ``id`` is its ``kind`` (one reminder per kind)."""

    id: str
    kind: str
    exercise: str | None = None  # the exercise it offers; None: a reminder that is only said
    rule: str  # RRULE text without DTSTART
    time: str  # the wall time, "19:00"
    enabled: bool
    spoken: list[str] = field(default_factory=list)  # occurrences already announced: each at most once, ever
    skipped: list[str] = field(default_factory=list)  # occurrences settled without a word
    heads_up: list[str] = field(default_factory=list)  # trust talks already announced ahead
    offer: Offer | None = None
    streak: int = 0  # occurrences in a row declined or unanswered
    last_wording: int = -1  # the wording used last time (never twice in a row)
    gives_way_to: str | None = None  # the kind whose days this one skips (a check-in on a trust-talk day)
    since: str | None = None  # ISO time the schedule started; nothing before it is said late
    created: str | None = None
    label: str | None = None  # a custom reminder's own words

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Reminder:
        offer = raw.get("offer")
        return cls(
            id=str(raw.get("id", raw["kind"])), kind=str(raw["kind"]), exercise=raw.get("exercise"),
            rule=str(raw["rule"]), time=str(raw["time"]), enabled=bool(raw["enabled"]),
            spoken=list(raw.get("spoken", [])), skipped=list(raw.get("skipped", [])),
            heads_up=list(raw.get("heads_up", [])), offer=Offer.from_dict(offer) if offer else None,
            streak=int(raw.get("streak", 0)), last_wording=int(raw.get("last_wording", -1)),
            gives_way_to=raw.get("gives_way_to"), since=raw.get("since"), created=raw.get("created"),
            label=raw.get("label"),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "kind": self.kind, "exercise": self.exercise, "rule": self.rule, "time": self.time,
            "enabled": self.enabled, "spoken": list(self.spoken), "skipped": list(self.skipped),
            "heads_up": list(self.heads_up), "offer": self.offer.to_dict() if self.offer else None,
            "streak": self.streak, "last_wording": self.last_wording, "gives_way_to": self.gives_way_to,
            "since": self.since, "created": self.created, "label": self.label,
        }

    def merge_into(self, raw: dict[str, Any]) -> None:
        """Write this record over the stored ``raw``, adding a field it lacked only when not its default."""
        for key, value in self.to_dict().items():
            if key in raw or key not in _WHEN_ABSENT or value != _WHEN_ABSENT[key]:
                raw[key] = value


def _absent_values() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in fields(Reminder):
        if f.default is not MISSING:
            out[f.name] = f.default
        elif f.default_factory is not MISSING:
            out[f.name] = f.default_factory()
    return out


_WHEN_ABSENT = _absent_values()  # what a field missing from an older stored record reads as


def push(ledger: list[str], value: str) -> list[str]:
    """``ledger`` with ``value`` last (once), keeping the newest ``LEDGER_KEEP``."""
    return ([v for v in ledger if v != value] + [value])[-LEDGER_KEEP:]
