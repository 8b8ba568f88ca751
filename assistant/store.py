"""The couple's records: one TinyDB file behind a small repository.

Layers, as in TinyDB itself:

* ``storage.AtomicJSONStorage`` -- the file's format: written atomically, read through a cache,
  every record's shape checked (``storage.py``);
* ``Store`` -- the one write path: every read and write holds a thread lock
  *and* a file lock, so the reminder thread, the main loop and a CLI command
  run in another process never lose or resurrect each other's data.
  It also keeps the schema version, daily rolling backups, and recovers a
  corrupt file from the newest good backup instead of crashing.

Records are plain dicts shaped as in ``docs/export-format.md``; each
has a string ``id``.
"""

from __future__ import annotations

import errno
import logging
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout
from tinydb import Query, TinyDB

from .errors import TandemError
from .files import atomic_write_bytes, fsync_dir
from .storage import RECORD_FIELDS, AtomicJSONStorage, CorruptStore, Writer, good_json, shape_problem

__all__ = ["RECORD_FIELDS", "SCHEMA_VERSION", "TABLES", "AtomicJSONStorage", "CorruptStore", "Store", "StoreError",
           "StoreHealth", "new_id", "shape_problem"]

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
TABLES = ("profile", "sessions", "gratitude", "promises", "goals", "experiences", "reminders", "asked", "meta")
BACKUPS_KEPT = 7
LOCK_TIMEOUT_S = 30.0

# Migrations from version N to N+1, applied in order at open. Each gets the
# raw TinyDB data dict ({table: {doc_id: doc}}) and returns it changed.
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}


class StoreError(TandemError):
    """A one-line, user-facing problem with the store (disk full, read-only, locked)."""


@dataclass
class StoreHealth:
    """What happened at open, for ``tandem doctor`` and the log."""

    path: Path
    created: bool = False
    recovered_from: Path | None = None
    corrupt_copy: Path | None = None
    problems: list[str] = field(default_factory=list)


def new_id() -> str:
    return uuid.uuid4().hex[:12]


class Store:
    """The one way in and out of the database file."""

    def __init__(self, path: Path, backups: Path | None = None, writer: Writer | None = None,
                 now: Callable[[], datetime] | None = None) -> None:
        self.path = Path(path)
        # only stamps the names of set-aside copies and the recovery note; injectable for tests
        self._now = now or (lambda: datetime.now().astimezone())
        self.backups = Path(backups) if backups else self.path.parent / "backups"
        self._writer = writer
        self._lock = threading.RLock()
        self._flock = FileLock(str(self.path) + ".lock", thread_local=False, mode=0o600)
        self._db: TinyDB | None = None
        self.health = StoreHealth(self.path)

    # --- opening, recovery and backups -------------------------------------------

    def open(self) -> StoreHealth:
        """Open (creating if needed), recover from corruption, check the schema."""
        os.makedirs(self.path.parent, exist_ok=True)
        with self._lock, self._file_lock():
            self._db = TinyDB(self.path, storage=AtomicJSONStorage, writer=self._writer or atomic_write_bytes)
            self.health = StoreHealth(self.path)
            if not self.path.exists():
                self._initialise()
                self.health.created = True
            else:
                try:
                    self._db.storage.read()
                except CorruptStore as exc:
                    self._recover(str(exc))
            self._check_schema()
        _ensure_lock_private(Path(str(self.path) + ".lock"))
        return self.health

    def _initialise(self) -> None:
        assert self._db is not None
        self._db.table("meta").insert({"id": "schema", "version": SCHEMA_VERSION})

    def _recover(self, reason: str) -> None:
        assert self._db is not None
        now = self._now()
        aside = self._set_aside(now.strftime("%Y%m%d-%H%M%S"))
        self.health.corrupt_copy = aside
        self.health.problems.append(reason)
        for backup in self.list_backups():
            try:
                raw = backup.read_bytes()
            except OSError:
                continue
            if not good_json(raw):
                continue
            atomic_write_bytes(self.path, raw)
            self.health.recovered_from = backup
            log.info("database was damaged (%s); moved it to %s and restored %s", reason, aside.name, backup.name)
            break
        else:
            log.info("database was damaged (%s); moved it to %s; no good backup, starting empty", reason, aside.name)
            self._initialise()
        self._db.storage._cache_key = None  # type: ignore[attr-defined]
        self._record_meta("recovery", {
            "reason": reason,
            "corrupt_copy": aside.name,
            "restored": self.health.recovered_from.name if self.health.recovered_from else None,
            "at": now.isoformat(timespec="seconds"),
        })

    def _set_aside(self, stamp: str) -> Path:
        """Move the damaged file to a name no earlier damaged copy has (two in one second keep both)."""
        for n in range(1, 1000):
            aside = self.path.with_name(f"{self.path.name}.corrupt-{stamp}" + (f"-{n}" if n > 1 else ""))
            try:
                # O_EXCL claims the name atomically; the rename then replaces only our own empty claim
                os.close(os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            except FileExistsError:
                continue
            os.replace(self.path, aside)
            os.chmod(aside, 0o600)
            return aside
        raise StoreError(f"{self.path.parent} holds 999 damaged copies from {stamp}; delete the old "
                         "tandem.json.corrupt-* files")

    def _check_schema(self) -> None:
        assert self._db is not None
        meta = self._db.table("meta")
        doc = meta.get(Query().id == "schema")
        version = doc["version"] if isinstance(doc, dict) else 0
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} was written by a newer Tandem (schema {version}, this one knows {SCHEMA_VERSION}); "
                "upgrade Tandem"
            )
        if version < SCHEMA_VERSION:
            data = self._db.storage.read() or {}
            for step in range(version, SCHEMA_VERSION):
                if step in MIGRATIONS:
                    data = MIGRATIONS[step](data)
            self._db.storage.write(data)
            self._db.table("meta").upsert({"id": "schema", "version": SCHEMA_VERSION}, Query().id == "schema")

    def list_backups(self) -> list[Path]:
        """Backups, newest first."""
        if not self.backups.exists():
            return []
        return sorted(self.backups.glob("tandem-*.json"), reverse=True)

    def backup_if_due(self, today: str) -> Path | None:
        """Keep one copy per day (``today`` as YYYY-MM-DD), the last seven days."""
        target = self.backups / f"tandem-{today}.json"
        with self._lock, self._file_lock():
            if target.exists() or not self.path.exists():
                return None
            self.backups.mkdir(parents=True, exist_ok=True)
            os.chmod(self.backups, 0o700)
            try:
                data = self.path.read_bytes()
            except OSError:
                return None
            if not good_json(data):
                return None  # never back up a damaged file over a good one
            self._write_file(target, data)
            for old in self.list_backups()[BACKUPS_KEPT:]:
                old.unlink(missing_ok=True)
        return target

    # --- locking -----------------------------------------------------------------

    @contextmanager
    def _file_lock(self) -> Iterator[None]:
        try:
            self._flock.acquire(timeout=LOCK_TIMEOUT_S)
        except Timeout:
            raise StoreError(f"{self.path} is locked by another Tandem process; try again in a moment") from None
        try:
            yield
        finally:
            self._flock.release()

    @contextmanager
    def transaction(self) -> Iterator[TinyDB]:
        """Hold both locks for several reads and writes that belong together."""
        if self._db is None:
            raise StoreError("the store is not open")
        with self._lock, self._file_lock():
            # TinyDB's Table objects cache the next document id and query
            # results; another process may have written since, so start fresh.
            self._db._tables.clear()  # type: ignore[attr-defined]
            try:
                yield self._db
            except CorruptStore as exc:
                self._recover(str(exc))
                raise StoreError(f"the database was damaged and has been restored from a backup: {exc}") from None
            except OSError as exc:
                raise _store_error(self.path, exc) from None

    def _write_file(self, path: Path, data: bytes) -> None:
        try:
            (self._writer or atomic_write_bytes)(path, data)
        except OSError as exc:
            raise _store_error(path, exc) from None

    # --- the repository ------------------------------------------------------------

    def insert(self, table: str, doc: dict[str, Any]) -> str:
        doc = dict(doc)
        doc.setdefault("id", new_id())
        with self.transaction() as db:
            db.table(_check(table)).insert(doc)
        return str(doc["id"])

    def upsert(self, table: str, doc: dict[str, Any]) -> str:
        """Insert, or replace the record with the same id."""
        doc = dict(doc)
        doc.setdefault("id", new_id())
        with self.transaction() as db:
            db.table(_check(table)).upsert(doc, Query().id == doc["id"])
        return str(doc["id"])

    def update(self, table: str, record_id: str, changes: dict[str, Any]) -> bool:
        with self.transaction() as db:
            return bool(db.table(_check(table)).update(changes, Query().id == record_id))

    def modify(self, table: str, record_id: str, change: Callable[[dict[str, Any]], None]) -> dict[str, Any] | None:
        """Read a record, change it in place with ``change``, and write it back, atomically."""
        with self.transaction() as db:
            tbl = db.table(_check(table))
            doc = tbl.get(Query().id == record_id)
            if not isinstance(doc, dict):
                return None
            new = dict(doc)
            change(new)
            tbl.update(new, doc_ids=[doc.doc_id])  # type: ignore[attr-defined]
            return new

    def remove(self, table: str, record_id: str) -> bool:
        with self.transaction() as db:
            return bool(db.table(_check(table)).remove(Query().id == record_id))

    def get(self, table: str, record_id: str) -> dict[str, Any] | None:
        with self.transaction() as db:
            doc = db.table(_check(table)).get(Query().id == record_id)
            return dict(doc) if isinstance(doc, dict) else None

    def all(self, table: str) -> list[dict[str, Any]]:
        with self.transaction() as db:
            return [dict(d) for d in db.table(_check(table)).all()]

    def find(self, table: str, **equals: Any) -> list[dict[str, Any]]:
        return [d for d in self.all(table) if all(d.get(k) == v for k, v in equals.items())]

    def meta(self, key: str, default: Any = None) -> Any:
        doc = self.get("meta", key)
        return default if doc is None else doc.get("value", default)

    def set_meta(self, key: str, value: Any) -> None:
        self._record_meta(key, value)

    def _record_meta(self, key: str, value: Any) -> None:
        with self.transaction() as db:
            db.table("meta").upsert({"id": key, "value": value}, Query().id == key)

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    # --- deleting everything ---------------------------------------------------------

    def wipe(self) -> list[Path]:
        """Delete the database, its lock's companions, backups and corrupt copies."""
        removed: list[Path] = []
        with self._lock, self._file_lock():
            for path in [self.path, *self.path.parent.glob(self.path.name + ".corrupt-*"), *self.list_backups()]:
                if path.exists():
                    path.unlink()
                    removed.append(path)
            for tmp in self.path.parent.glob(f".{self.path.name}.*.tmp"):
                tmp.unlink(missing_ok=True)
            if self._db is not None:
                self._db.storage._cache_key = None  # type: ignore[attr-defined]
        fsync_dir(self.path.parent)
        return removed


def _check(table: str) -> str:
    if table not in TABLES:
        raise ValueError(f"unknown table {table!r}")
    return table


def _store_error(path: Path, exc: OSError) -> StoreError:
    if exc.errno == errno.ENOSPC:
        return StoreError(f"cannot save to {path.parent}: the disk is full; free some space (nothing stored was lost)")
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return StoreError(f"cannot save to {path.parent}: it is read-only; check the SD card or folder permissions "
                          "(nothing stored was lost)")
    return StoreError(f"cannot save to {path.parent}: {exc.strerror or exc} (nothing stored was lost)")


def _ensure_lock_private(lock: Path) -> None:
    try:
        os.chmod(lock, 0o600)
    except OSError:
        pass
