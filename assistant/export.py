"""Everything stored, in the shape of shared/docs/export-format.md."""

from __future__ import annotations

from typing import Any

from .store import Store

FORMAT_VERSION = 1
SECTIONS = ("sessions", "gratitude", "promises", "goals", "experiences", "reminders")


def export_all(store: Store) -> dict[str, Any]:
    profile = store.get("profile", "profile")
    data: dict[str, Any] = {"format": FORMAT_VERSION}
    data["profile"] = None if profile is None else {k: v for k, v in profile.items() if k != "id"}
    for section in SECTIONS:
        data[section] = sorted(store.all(section), key=_order)
    data["asked"] = {doc["id"]: list(doc.get("ids", [])) for doc in store.all("asked")}
    return data


def _order(doc: dict[str, Any]) -> str:
    # oldest first: each record's own creation time, whatever the section calls it
    for key in ("started", "at", "made", "created", "suggested", "done"):
        if doc.get(key):
            return str(doc[key])
    return ""
