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


def test_promises_keep_their_meaning_end_to_end(tandem_home: Path) -> None:
    """Issue 14, part 3, through `tandem run --text` on a pinned clock (Sunday 6 December 2026, noon)
    and `tandem export`."""
    init = tandem(tandem_home, "init", "--partner", "Sam", "--partner", "Alex", "--timezone", "Europe/London")
    assert init.returncode == 0, init.stderr
    lines = [
        "Sam promises never to raise his voice",
        "Sam promises not to be late on Friday",
        "Alex promises to not work on weekends",
        "I'll fix the shelf before the weekend, I promise",
        "Alex",  # who is making that promise
        "I promise you that's not true",  # known false positives: neither a promise nor an experience
        "we went to the shops",
        "we tried to call you",
        "add a goal: save for a trip to japan",
        "book flights to tokyo",
        "open a savings pot",
        "what promises are still open",
        "yes",
    ]
    run = tandem(tandem_home, "run", "--text", "--mute", "--clock-start", "2026-12-06T12:00",
                 stdin="\n".join(lines) + "\n")
    assert run.returncode == 0, run.stderr
    out = run.stdout
    for read_back in ("Sam promises never to raise his voice.", "Sam promises not to be late on Friday.",
                      "Alex promises not to work on weekends.", "Alex promises to fix the shelf by Friday."):
        assert out.count(read_back) == 2, out  # once when logged, once in the list
    # no re-inflected "will ..." read-back
    assert "will" not in out.split("open promises", 1)[0].replace("I'll", ""), out
    assert "save for a trip to Japan" in out, out

    data = json.loads(tandem(tandem_home, "export").stdout)
    kept = [(p["partner"], p["text"], p["due_words"], p["due"]) for p in data["promises"]]
    assert kept == [
        ("Sam", "never raise his voice", None, None),
        ("Sam", "not be late", "on friday", "2026-12-11T23:59:00+00:00"),
        ("Alex", "not work on weekends", None, None),
        # the coming Friday, not "tonight"
        ("Alex", "fix the shelf", "before the weekend", "2026-12-11T23:59:00+00:00"),
    ]
    assert data["experiences"] == []
    (goal,) = data["goals"]
    assert goal["text"] == "save for a trip to Japan"
    assert [s["text"] for s in goal["steps"]] == ["book flights to Tokyo", "open a savings pot"]
