"""The store on real files: atomic writes, locks across threads and processes,
recovery from corruption, backups, schema, injected disk faults, permissions."""

from __future__ import annotations

import errno
import json
import os
import random
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from assistant import store as store_mod
from assistant.store import SCHEMA_VERSION, Store, StoreError

KILLS = int(os.environ.get("TANDEM_KILL_ROUNDS", "200"))


def open_store(path: Path, **kw: object) -> Store:
    s = Store(path, path.parent / "backups", **kw)  # type: ignore[arg-type]
    s.open()
    return s


def test_new_store_is_private_and_versioned(tmp_path: Path) -> None:
    s = open_store(tmp_path / "db" / "tandem.json")
    s.insert("promises", {"text": "call the plumber"})
    mode = stat.S_IMODE(os.stat(s.path).st_mode)
    assert mode == 0o600
    raw = json.loads(s.path.read_text())
    assert any(d.get("version") == SCHEMA_VERSION for d in raw["meta"].values())
    assert not list(s.path.parent.glob("*.tmp"))


def test_crud_roundtrip(tmp_path: Path) -> None:
    s = open_store(tmp_path / "tandem.json")
    pid = s.insert("promises", {"text": "call the plumber", "status": "open"})
    assert s.get("promises", pid)["text"] == "call the plumber"
    assert s.update("promises", pid, {"status": "kept"})
    assert s.find("promises", status="kept")[0]["id"] == pid
    changed = s.modify("promises", pid, lambda d: d.setdefault("followups", []).append("x"))
    assert changed is not None and changed["followups"] == ["x"]
    assert s.remove("promises", pid)
    assert s.all("promises") == []
    with pytest.raises(ValueError):
        s.insert("nope", {})


def test_threads_lose_nothing(tmp_path: Path) -> None:
    s = open_store(tmp_path / "tandem.json")

    def writer(n: int) -> None:
        for i in range(50):
            s.insert("gratitude", {"text": f"{n}-{i}"})

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    texts = {d["text"] for d in s.all("gratitude")}
    assert len(texts) == 200


WRITER = r"""
import sys
from pathlib import Path
from assistant.store import Store
s = Store(Path(sys.argv[1]), Path(sys.argv[1]).parent / "backups")
s.open()
tag = sys.argv[2]
for i in range(int(sys.argv[3])):
    s.insert("promises", {"text": f"{tag}-{i}"})
    print(f"{tag}-{i}", flush=True)
"""


def test_processes_lose_nothing_and_see_each_other(tmp_path: Path) -> None:
    path = tmp_path / "tandem.json"
    main = open_store(path)
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(path), tag, "40"], stdout=subprocess.PIPE, text=True)
        for tag in ("a", "b")
    ]
    for i in range(40):
        main.insert("promises", {"text": f"main-{i}"})
    for p in procs:
        p.communicate(timeout=120)
        assert p.returncode == 0
    texts = {d["text"] for d in main.all("promises")}
    assert len(texts) == 120  # the running process sees what the others wrote, and nothing was lost


def test_delete_by_another_process_is_not_resurrected(tmp_path: Path) -> None:
    path = tmp_path / "tandem.json"
    main = open_store(path)
    pid = main.insert("promises", {"text": "secret"})
    code = (
        "import sys; from pathlib import Path; from assistant.store import Store; "
        "s = Store(Path(sys.argv[1])); s.open(); s.remove('promises', sys.argv[2])"
    )
    subprocess.run([sys.executable, "-c", code, str(path), pid], check=True, timeout=60)
    main.insert("gratitude", {"text": "later write"})  # must not write the stale copy back
    assert main.get("promises", pid) is None
    assert "secret" not in path.read_text()


def _child_writes_forever(path: Path, ack_fd: int) -> None:
    s = Store(path, path.parent / "backups")
    s.open()
    i = 0
    while True:
        s.insert("gratitude", {"text": f"entry-{i}", "pad": "x" * random.randint(0, 3000)})
        os.write(ack_fd, f"{i}\n".encode())
        i += 1


def test_sigkill_mid_write_never_corrupts_or_loses_acknowledged(tmp_path: Path) -> None:
    """Repeatedly SIGKILL a writer; the file always parses and holds every acknowledged write."""
    path = tmp_path / "tandem.json"
    open_store(path).close()
    acknowledged: set[str] = set()
    rng = random.Random(7)
    for round_no in range(KILLS):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # child
            os.close(r)
            try:
                _child_writes_forever(path, w)
            finally:
                os._exit(0)
        os.close(w)
        time.sleep(rng.uniform(0.0, 0.03))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        with os.fdopen(r) as fh:
            acks = [line for line in fh.read().splitlines() if line]
        raw = path.read_text()
        data = json.loads(raw)  # always parses
        stored = {d["text"] for d in data.get("gratitude", {}).values()}
        # The child numbers its writes from 0 each round; tag them by round.
        for i in acks:
            assert f"entry-{i}" in stored, f"round {round_no}: acknowledged write entry-{i} lost"
        acknowledged.update(f"{round_no}:{i}" for i in acks)
        # start the next round from a clean table so numbering checks stay exact
        s = Store(path)
        s.open()
        with s.transaction() as db:
            db.drop_table("gratitude")
        s.close()
    assert KILLS >= 200 or os.environ.get("TANDEM_KILL_ROUNDS")
    assert acknowledged, "the writer never got a write acknowledged"


def test_corrupt_file_is_set_aside_and_backup_restored(tmp_path: Path) -> None:
    path = tmp_path / "tandem.json"
    s = open_store(path)
    s.insert("promises", {"text": "call the plumber"})
    assert s.backup_if_due("2026-12-01") is not None
    s.insert("promises", {"text": "after the backup"})
    s.close()
    path.write_text(path.read_text()[:-20])  # truncated mid-write by something else
    s2 = Store(path, tmp_path / "backups")
    health = s2.open()
    assert health.recovered_from is not None and health.corrupt_copy is not None
    assert health.corrupt_copy.exists()
    assert [d["text"] for d in s2.all("promises")] == ["call the plumber"]
    assert s2.meta("recovery")["restored"] == "tandem-2026-12-01.json"


def test_empty_or_garbage_file_without_backup_starts_empty(tmp_path: Path) -> None:
    path = tmp_path / "tandem.json"
    path.write_text("")
    s = Store(path)
    health = s.open()
    assert health.corrupt_copy is not None and health.recovered_from is None
    assert s.all("promises") == []
    s.insert("promises", {"text": "works again"})


def test_backups_roll_seven_days(tmp_path: Path) -> None:
    s = open_store(tmp_path / "tandem.json")
    for day in range(1, 11):
        s.insert("gratitude", {"text": f"day {day}"})
        s.backup_if_due(f"2026-12-{day:02d}")
        s.backup_if_due(f"2026-12-{day:02d}")  # once a day only
    names = [p.name for p in s.list_backups()]
    assert names == [f"tandem-2026-12-{d:02d}.json" for d in range(10, 3, -1)]
    for p in s.list_backups():
        assert stat.S_IMODE(os.stat(p).st_mode) == 0o600


@pytest.mark.parametrize("err, needle", [(errno.ENOSPC, "disk is full"), (errno.EROFS, "read-only")])
def test_disk_faults_are_clear_and_damage_nothing(tmp_path: Path, err: int, needle: str) -> None:
    path = tmp_path / "tandem.json"
    good = open_store(path)
    good.insert("promises", {"text": "kept safe"})
    before = path.read_bytes()
    fail = {"on": True}

    def faulty_writer(target: Path, data: bytes) -> None:
        if fail["on"]:
            raise OSError(err, os.strerror(err))
        store_mod.atomic_write_bytes(target, data)

    s = Store(path, tmp_path / "backups", writer=faulty_writer)
    s.open()
    with pytest.raises(StoreError, match=needle):
        s.insert("promises", {"text": "lost?"})
    assert path.read_bytes() == before
    assert [d["text"] for d in s.all("promises")] == ["kept safe"]  # the failed write is not half-there
    fail["on"] = False
    s.insert("promises", {"text": "after recovery"})
    assert {d["text"] for d in good.all("promises")} == {"kept safe", "after recovery"}


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "tandem.json"
    s = open_store(path)
    s.upsert("meta", {"id": "schema", "version": SCHEMA_VERSION + 1})
    s.close()
    with pytest.raises(StoreError, match="newer Tandem"):
        Store(path).open()


def test_older_schema_is_migrated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "tandem.json"
    path.write_text(json.dumps({"meta": {"1": {"id": "schema", "version": 0}},
                                "promises": {"1": {"id": "p", "txt": "x"}}}))

    def rename_txt(data: dict) -> dict:
        for doc in data.get("promises", {}).values():
            doc["text"] = doc.pop("txt")
        return data

    monkeypatch.setitem(store_mod.MIGRATIONS, 0, rename_txt)
    s = Store(path)
    s.open()
    assert s.get("promises", "p")["text"] == "x"
    assert s.get("meta", "schema")["version"] == SCHEMA_VERSION


def test_wipe_removes_db_backups_and_corrupt_copies(tmp_path: Path) -> None:
    path = tmp_path / "tandem.json"
    s = open_store(path)
    s.insert("gratitude", {"text": "private words"})
    s.backup_if_due("2026-12-01")
    (tmp_path / "tandem.json.corrupt-20261201-000000").write_text("private words")
    removed = s.wipe()
    assert len(removed) == 3
    leftovers = [p for p in tmp_path.rglob("*") if p.is_file() and "private words" in p.read_text(errors="ignore")]
    assert leftovers == []


def test_two_corruptions_in_the_same_second_keep_both_damaged_copies(tmp_path: Path) -> None:
    from datetime import datetime, timezone

    path = tmp_path / "tandem.json"
    same_second = datetime(2026, 12, 6, 21, 4, 26, tzinfo=timezone.utc)
    asides = []
    for damage in ("first damaged copy {", "second damaged copy ["):
        path.write_text(damage)
        s = Store(path, tmp_path / "backups", now=lambda: same_second)
        health = s.open()
        s.close()
        asides.append(health.corrupt_copy)
    assert asides[0] != asides[1]
    assert asides[0].name == "tandem.json.corrupt-20261206-210426"
    assert [a.read_text() for a in asides] == ["first damaged copy {", "second damaged copy ["]
    assert all(stat.S_IMODE(a.stat().st_mode) == 0o600 for a in asides)


NOT_A_STORE = [
    {"_default": {"1": "x"}},  # a record that is not a record
    {"promises": ["call the plumber"]},  # a table that is not a table
    {"meta": {"1": {"id": "schema", "version": 1}}, "gratitude": {"1": ["x"]}},
    {"meta": {"1": {"id": "schema", "version": 1}}, "promises": {"1": {"id": "p", "text": 7}}},
    {"meta": {"1": {"id": "schema", "version": 1}}, "goals": {"1": {"id": "g", "text": "trip", "steps": ["x"]}}},
    {"meta": {"1": {"id": "schema", "version": 1}}, "promises": {"1": {"text": "no id"}}},
    {"meta": {"x": {"id": "schema", "version": 1}}},  # TinyDB keys records by number
    ["not", "a", "database"],
]


@pytest.mark.parametrize("data", NOT_A_STORE, ids=range(len(NOT_A_STORE)))
def test_a_file_that_parses_but_is_not_a_store_is_set_aside_and_restored(tmp_path: Path, data: object) -> None:
    path = tmp_path / "tandem.json"
    s = open_store(path)
    s.insert("promises", {"text": "call the plumber"})
    assert s.backup_if_due("2026-12-04") is not None
    s.close()
    bad_backup = tmp_path / "backups" / "tandem-2026-12-05.json"
    bad_backup.write_text(json.dumps(data))  # a newer backup with the same damage is not restored
    path.write_text(json.dumps(data))
    s2 = Store(path, tmp_path / "backups")
    health = s2.open()
    assert health.corrupt_copy is not None and json.loads(health.corrupt_copy.read_text()) == data
    assert health.recovered_from is not None and health.recovered_from.name == "tandem-2026-12-04.json"
    assert "not a Tandem database" in health.problems[0]
    assert [d["text"] for d in s2.all("promises")] == ["call the plumber"]
    s2.close()


def test_a_damaged_file_is_never_backed_up(tmp_path: Path) -> None:
    path = tmp_path / "tandem.json"
    s = open_store(path)
    path.write_text(json.dumps({"_default": {"1": "x"}}))
    assert s.backup_if_due("2026-12-06") is None
    assert s.list_backups() == []


def test_a_store_of_every_kind_of_record_passes_the_shape_check(tmp_path: Path) -> None:
    from assistant.store import shape_problem

    path = tmp_path / "tandem.json"
    s = open_store(path)
    s.insert("gratitude",
             {"from": "Alex", "about": "Sam", "text": "waited up", "at": "2026-12-06T19:00:00+00:00", "session": None})
    s.insert("promises", {"partner": "Sam", "text": "call", "made": "2026-12-06T19:00:00+00:00", "due": None,
                          "status": "open", "closed": None, "followups": []})
    s.insert("goals",
             {"text": "Japan", "status": "open", "steps": [{"partner": "Alex", "text": "save"}], "checkins": [],
                       "reached": None})
    s.insert("sessions", {"exercise": "gratitude", "turns": [{"partner": "Alex", "transcript": None}], "ended": None})
    s.insert("experiences", {"text": "salsa", "suggested": None, "done": None})
    s.close()
    assert shape_problem(json.loads(path.read_text())) is None
