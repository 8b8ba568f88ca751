"""Everything stored, in the shape of docs/export-format.md."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from ..store import Store
from .reminders import export_records

FORMAT_VERSION = 1
SECTIONS = ("sessions", "gratitude", "promises", "goals", "experiences", "reminders")


def export_all(store: Store) -> dict[str, Any]:
    profile = store.get("profile", "profile")
    data: dict[str, Any] = {"format": FORMAT_VERSION}
    data["profile"] = None if profile is None else {k: v for k, v in profile.items() if k != "id"}
    for section in SECTIONS:
        data[section] = sorted(store.all(section), key=_order)
    if profile is not None:
        data["reminders"] = _reminders(store, str(profile.get("timezone") or "UTC"))
    data["asked"] = {doc["id"]: list(doc.get("ids", [])) for doc in store.all("asked")}
    return data


def _reminders(store: Store, zone: str) -> list[dict[str, Any]]:
    # "next" is not stored: it depends on when the export is made
    tz = ZoneInfo(zone)
    return export_records(store, tz, datetime.now(tz))


def _order(doc: dict[str, Any]) -> str:
    # oldest first: each record's own creation time, whatever the section calls it
    for key in ("started", "at", "made", "created", "suggested", "done"):
        if doc.get(key):
            return str(doc[key])
    return ""
