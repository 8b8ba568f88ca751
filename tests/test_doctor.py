"""``tandem doctor``: one line per check, what to do, non-zero when something is wrong."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from assistant import cli
from assistant.cli import doctor as doctor_checks
from assistant.clock import FakeClock
from assistant.config import HomePaths
from assistant.store import Store


def doctor(capsys, *args: str) -> tuple[int, list[str]]:
    code = cli.main(["doctor", *args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out.splitlines()


def line(lines: list[str], what: str) -> str:
    found = [ln for ln in lines if ln.split(None, 1)[1].startswith(what + ":")]
    assert found, f"no {what!r} line in {lines}"
    return found[0]


def init(capsys) -> None:
    assert cli.main(["init", "--partner", "Alex", "--partner", "Sam", "--timezone", "Europe/Lisbon"]) == 0
    capsys.readouterr()


def test_every_line_has_a_status_and_no_profile_fails(capsys):
    code, lines = doctor(capsys, "--no-audio")
    assert code == 1
    assert all(ln.split()[0] in ("ok", "warn", "FAIL") for ln in lines)
    assert line(lines, "profile").startswith("FAIL") and "tandem init" in line(lines, "profile")
    for what in ("store", "home folder", "backups", "clock", "intents", "scripts", "speech engine", "voice"):
        line(lines, what)


def test_a_healthy_profile_and_store(capsys):
    init(capsys)
    code, lines = doctor(capsys, "--no-audio")
    assert line(lines, "profile").startswith("ok") and "Alex & Sam" in line(lines, "profile")
    assert line(lines, "time zone").startswith("ok") and "Europe/Lisbon" in line(lines, "time zone")
    assert line(lines, "home folder").startswith("ok")
    assert line(lines, "store").startswith("ok")
    assert line(lines, "backups").startswith("warn")
    # the default detector for "hey tandem", as the README's wake tables chose it
    assert "by openwakeword+quiet (hey_tandem.npz, threshold 0.7000, quiet wakes from 0.5000" in line(lines, "wake")


def test_loose_permissions_are_a_failure_with_the_fix(capsys, tandem_home: Path):
    init(capsys)
    os.chmod(tandem_home / "tandem.json", 0o644)
    code, lines = doctor(capsys, "--no-audio")
    assert code == 1
    assert line(lines, "home folder").startswith("FAIL") and "chmod -R go-rwx" in line(lines, "home folder")


def test_a_loose_folder_inside_the_home_is_a_failure_too(capsys, tandem_home: Path):
    init(capsys)
    (tandem_home / "extra").mkdir()
    os.chmod(tandem_home / "extra", 0o755)
    code, lines = doctor(capsys, "--no-audio")
    assert code == 1
    assert "1 item(s) readable by others, e.g. " + str(tandem_home / "extra") in line(lines, "home folder")


@contextmanager
def opened_store(tandem_home: Path) -> Iterator[Store]:
    """The store ``init`` made, open for the block (closed after it, before ``doctor`` opens it again)."""
    home = HomePaths(tandem_home)
    store = Store(home.db_file, home.backups)
    store.open()
    try:
        yield store
    finally:
        store.close()


def test_recovery_and_backups_are_reported(capsys, tandem_home: Path, monkeypatch):
    # a minute before midnight: the backup named for "today" must be the day the doctor checks
    pinned = FakeClock(datetime(2026, 12, 6, 23, 59, 30, tzinfo=ZoneInfo("Europe/Lisbon")))
    monkeypatch.setattr(cli.App, "clock", lambda self: pinned)
    init(capsys)
    today = pinned.now().date().isoformat()
    with opened_store(tandem_home) as store:
        store.backup_if_due(today)
    HomePaths(tandem_home).db_file.write_text("{ not json", encoding="utf-8")  # damaged: the next open restores it
    code, lines = doctor(capsys, "--no-audio")
    stores = [ln for ln in lines if " store:" in ln]
    assert any(f"restored from backup tandem-{today}.json" in ln for ln in stores)
    assert line(lines, "backups").startswith("ok") and "1 daily" in line(lines, "backups")


def test_a_clock_that_went_back_is_a_warning(capsys, tandem_home: Path, monkeypatch):
    pinned = FakeClock(datetime(2026, 12, 6, 20, 0, tzinfo=ZoneInfo("Europe/Lisbon")))
    monkeypatch.setattr(cli.App, "clock", lambda self: pinned)
    init(capsys)
    with opened_store(tandem_home) as store:
        store.set_meta("last_event", "2026-12-07T10:00:00+00:00")  # later than the clock says it is
    code, lines = doctor(capsys, "--no-audio")
    assert line(lines, "clock").startswith("warn") and "went back" in line(lines, "clock")


def test_audio_checks_answer_in_bounded_time(capsys):
    init(capsys)
    t0 = time.monotonic()
    code, lines = doctor(capsys)
    assert time.monotonic() - t0 < 20
    # On a machine without a sound card these fail with what to do; in the virtual home they pass.
    mic = [ln for ln in lines if "microphone:" in ln or " audio:" in ln]
    assert mic and all(("ok" in m.split()[0]) or ("tandem" in m or "install" in m or "restart" in m or "muted" in m)
                       for m in mic)


def test_a_missing_device_names_the_setting_that_asked_for_it_or_says_there_is_none():
    class NoDefaultDevice:
        def query_devices(self, kind: str) -> dict:
            raise RuntimeError("no default device")

    sd = NoDefaultDevice()
    assert doctor_checks._microphone(sd, [], "usb mic") == doctor_checks.Finding(
        "FAIL", "microphone", "the configured speech.input_device 'usb mic' is not there; plug in a USB microphone "
        "and check 'tandem devices' (or use 'tandem run --text')")
    assert doctor_checks._speaker(sd, [], "").line() == (
        "FAIL speaker: no speaker found; plug in a speaker and check 'tandem devices', then try 'tandem say hello'")


def test_a_broken_intents_file_is_named_with_its_line(capsys, tandem_home: Path, tmp_path: Path):
    init(capsys)
    folder = tmp_path / "intents"
    folder.mkdir()
    (folder / "broken.yaml").write_text("intents:\n  help: [unclosed\n", encoding="utf-8")
    (tandem_home / "config.toml").write_text(f'[paths]\nintents = "{folder}"\n', encoding="utf-8")
    code, lines = doctor(capsys, "--no-audio")
    assert code == 1
    assert line(lines, "intents").startswith("FAIL") and "broken.yaml:" in line(lines, "intents")
