"""The database file's format: whole-file JSON written atomically, and the shape every record must have.

``AtomicJSONStorage`` is a TinyDB ``Storage`` that writes a temp file, fsyncs and renames, so a
write is all on disk or not at all (TinyDB's own JSONStorage writes in place and a kill can leave
trailing garbage). Reads are cached by the file's identity (inode, size, mtime), so an unchanged
file is not parsed again, and a change by another process is seen at once. ``shape_problem`` says
what makes a parsed file not a Tandem database. The one write path over it is ``store.Store``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, cast

from tinydb.storages import Storage

from .files import atomic_write_bytes

# The shape every record must have, checked whenever the file is read (and
# before a backup is made or restored): a file that parses but is not a
# Tandem database is set aside like a corrupt one. Fields are checked only
# when present, so old records and migrations keep working; ``(list, dict)``
# means a list of dicts. Tables not named here are TinyDB's or a newer
# Tandem's: their records must still be dicts.
RECORD_FIELDS: dict[str, dict[str, type | tuple[type, type]]] = {
    "profile": {"partners": list},
    "sessions": {"exercise": str, "turns": (list, dict)},
    "gratitude": {"text": str, "at": str, "from": str, "about": str},
    "promises": {"text": str, "partner": str, "status": str, "made": str, "followups": list},
    "goals": {"text": str, "status": str, "steps": (list, dict), "checkins": (list, dict)},
    "experiences": {"text": str},
    "reminders": {"kind": str},
    "asked": {},
    "meta": {},
}

class CorruptStore(Exception):
    pass


Writer = Callable[[Path, bytes], None]


class AtomicJSONStorage(Storage):
    """Whole-file JSON storage with atomic replace and an identity-keyed read cache.

    ``writer`` is injectable so tests can simulate a full disk or a read-only
    folder (tests run as root, which ignores permissions).
    """

    def __init__(self, path: str | Path, writer: Writer | None = None, **_: Any) -> None:
        self.path = Path(path)
        self._writer = writer or atomic_write_bytes
        self._cache_key: tuple[int, int, int] | None = None
        self._cache: dict[str, Any] | None = None

    def _identity(self) -> tuple[int, int, int] | None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_size, st.st_mtime_ns)

    def read(self) -> dict[str, Any] | None:
        key = self._identity()
        if key is None:
            return None
        if key == self._cache_key and self._cache is not None:
            return _copy(self._cache)
        raw = self.path.read_bytes()
        if not raw.strip():
            raise CorruptStore(f"{self.path} is empty")
        try:
            data = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise CorruptStore(f"{self.path} does not parse: {exc}") from None
        problem = shape_problem(data)
        if problem:
            raise CorruptStore(f"{self.path} is not a Tandem database: {problem}")
        self._cache_key, self._cache = key, data
        return _copy(data)

    def write(self, data: dict[str, Any]) -> None:
        payload = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        self._writer(self.path, payload)
        self._cache_key, self._cache = self._identity(), _copy(data)

    def close(self) -> None:
        pass


def shape_problem(data: Any) -> str | None:
    """What makes ``data`` (a parsed file) not a Tandem database, or None when its shape is right."""
    if not isinstance(data, dict):
        return f"the top level is a {type(data).__name__}, not a table of tables"
    for table, docs in data.items():
        if not isinstance(docs, dict):
            return f"table {table!r} is a {type(docs).__name__}, not a table"
        fields = RECORD_FIELDS.get(table)
        for doc_id, doc in docs.items():
            where = f"{table}/{doc_id}"
            if not str(doc_id).isdigit():
                return f"record {where} has no numeric key"
            if not isinstance(doc, dict):
                return f"record {where} is a {type(doc).__name__}, not a record"
            if fields is None:
                continue
            if not isinstance(doc.get("id"), str) or not doc["id"]:
                return f"record {where} has no id"
            for name, kind in fields.items():
                if name in doc and not _fits(doc[name], kind):
                    return f"record {where}: {name} is a {type(doc[name]).__name__}"
    return None


def _fits(value: Any, kind: type | tuple[type, type]) -> bool:
    if isinstance(kind, tuple):
        outer, inner = kind
        return isinstance(value, outer) and all(isinstance(v, inner) for v in cast(Iterable[Any], value))
    return isinstance(value, kind)


def good_json(raw: bytes) -> bool:
    """A backup worth keeping or restoring: it parses and has a database's shape."""
    try:
        return shape_problem(json.loads(raw)) is None
    except (ValueError, UnicodeDecodeError):
        return False


def _copy(data: dict[str, Any]) -> dict[str, Any]:
    # TinyDB mutates what read() returns; never hand out the cache itself.
    return json.loads(json.dumps(data))
