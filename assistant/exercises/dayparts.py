"""The parts of the day (morning, afternoon, evening, night) and the words that depend on them.

A greeting or a closing that names the time of day must fit the couple's
own clock: "enjoy your evening" at noon sounds like a machine. The bands are
data (``day_parts`` in ``scripts/phrases.yaml``): each starts at its time and
runs until the next one starts; the last wraps past midnight. The caller
gives the local time (the injected clock, in the profile's zone), so this
module never reads a clock itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time

PARTS = ("morning", "afternoon", "evening", "night")
# used when a scripts folder has no day_parts of its own (the shipped phrases.yaml gives them)
DEFAULT_STARTS = {"morning": time(5), "afternoon": time(12), "evening": time(17), "night": time(22)}


@dataclass(frozen=True)
class DayParts:
    """Where each part of the day starts, in local time."""

    starts: dict[str, time] = field(default_factory=lambda: dict(DEFAULT_STARTS))

    def at(self, local: time) -> str:
        """The part of the day ``local`` falls in."""
        ordered = sorted(self.starts.items(), key=lambda item: item[1])
        current = ordered[-1][0]  # before the first start of the day: still the last band (night)
        for name, start in ordered:
            if local >= start:
                current = name
        return current


def parse_time(text: str) -> time | None:
    """``"05:00"`` -> time(5, 0); None if it is not a 24-hour ``HH:MM``."""
    parts = text.strip().split(":")
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        return None
    hour, minute = int(parts[0]), int(parts[1])
    if not (0 <= hour < 24 and 0 <= minute < 60):
        return None
    return time(hour, minute)
