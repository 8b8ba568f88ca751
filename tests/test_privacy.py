"""Privacy as a feature: no network sockets, owner-only files, and forgetting means forgetting."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

SESSION = "\n".join([
    "start our gratitude moment",
    "I love how you make coffee for me every morning before I wake up",
    "that's it",
    "I appreciate that you listened to me last night about my sister",
    "I'm done",
    "",
    "Sam promises to call the plumber by friday",
    "what promises are still open",
    "",
]) + "\n"
PRIVATE_PHRASES = ["coffee for me every morning", "listened to me last night", "call the plumber"]


def tandem(*args: str, stdin: str | None = None, prefix: list[str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*(prefix or []), sys.executable, "-m", "assistant", *args], input=stdin,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.skipif(shutil.which("strace") is None,
                    reason="strace is needed to audit system calls (apt-get install strace)")
def test_a_whole_session_opens_no_network_socket_and_keeps_files_private(tandem_home: Path, tmp_path: Path) -> None:
    assert tandem("init", "--partner", "Alex", "--partner", "Sam", "--timezone", "Europe/Lisbon").returncode == 0
    trace = tmp_path / "trace.txt"
    # strace sees sockets opened from C libraries too (a Python-level hook would not).
    r = tandem("run", "--text", "--mute", "--clock-start", "2026-12-02T19:30", "--clock-speed", "50", stdin=SESSION,
               prefix=["strace", "-f", "-qq", "-e", "trace=socket,connect", "-o", str(trace)])
    assert r.returncode == 0, r.stderr[-2000:]
    calls = trace.read_text()
    inet = [line for line in calls.splitlines() if re.search(r"socket\((AF_INET|AF_INET6|AF_PACKET)", line)]
    assert inet == [], f"network sockets were opened: {inet[:5]}"
    # the session did happen (so the audit is not vacuous)
    exported = tandem("export").stdout
    assert "call the plumber" in exported and "coffee for me every morning" in exported
    # every file Tandem wrote is its owner's alone, in owner-only folders
    for path in [tandem_home, *tandem_home.rglob("*")]:
        mode = stat.S_IMODE(os.lstat(path).st_mode)
        if path.is_dir():
            assert mode == 0o700, f"{path} is {oct(mode)}"
        else:
            assert mode == 0o600, f"{path} is {oct(mode)}"
    # the couple's words are not in the logs or on stderr at the default level
    assert not any(p in r.stderr for p in PRIVATE_PHRASES)
    for log in (tandem_home / "logs").rglob("*"):
        if log.is_file():
            assert not any(p in log.read_text(errors="ignore") for p in PRIVATE_PHRASES)
    # forgetting leaves nothing of them behind
    assert tandem("forget", "--all", "--yes-really").returncode == 0
    for path in tandem_home.rglob("*"):
        if path.is_file():
            text = path.read_bytes().decode("utf-8", errors="ignore")
            assert not any(p in text for p in PRIVATE_PHRASES + ["Alex", "Sam"]), f"{path} still holds their words"
