"""Issue 7's "Done when", black-box through `tandem run --text` and `tandem export`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

TANDEM = [sys.executable, "-m", "assistant"]


def tandem(home: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*TANDEM, *args], input=stdin, capture_output=True, text=True, timeout=90,
                          env={**os.environ, "TANDEM_HOME": str(home)}, cwd=Path(__file__).resolve().parent.parent)


def test_log_list_and_keep_a_promise_by_voice_text(tandem_home: Path) -> None:
    init = tandem(tandem_home, "init", "--partner", "Alex", "--partner", "Sam", "--timezone", "Europe/Lisbon")
    assert init.returncode == 0, init.stderr

    # Wednesday 2 December 2026, 19:00 in Lisbon: "by friday" is Friday the 4th.
    first = tandem(tandem_home, "run", "--text", "--mute", "--clock-start", "2026-12-02T19:00",
                   stdin="Sam promises to call the plumber by friday\n")
    assert first.returncode == 0, first.stderr
    assert "Sam promises to call the plumber by Friday" in first.stdout, first.stdout

    (promise,) = json.loads(tandem(tandem_home, "export").stdout)["promises"]
    assert promise["partner"] == "Sam" and promise["text"] == "call the plumber"
    assert promise["due"] == "2026-12-04T23:59:00+00:00" and promise["status"] == "open"

    second = tandem(tandem_home, "run", "--text", "--mute", "--clock-start", "2026-12-02T19:05",
                    stdin="what promises are still open\nSam kept the plumber promise\n")
    assert second.returncode == 0, second.stderr
    listed = second.stdout.split("kept", 1)[0]
    assert "call the plumber" in listed, second.stdout
    (promise,) = json.loads(tandem(tandem_home, "export").stdout)["promises"]
    assert promise["status"] == "kept" and promise["closed"].startswith("2026-12-02T19:0")
