"""Black-box: a whole gratitude moment piped into ``tandem run --text --clock-speed 50``, checked via
``tandem export``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO

EVENING = [
    "start our gratitude moment",
    "I love how patient you are with my mother",
    "that's it",
    "you always make me laugh when I'm tired",
    "I'm done",
]


def tandem(home: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TANDEM_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "assistant", *args], input=stdin, capture_output=True, text=True,
                          env=env, cwd=REPO, timeout=120)


def test_gratitude_moment_through_tandem_run_and_export(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert tandem(home, "init", "--partner", "Alex", "--partner", "Sam", "--timezone", "Europe/Lisbon").returncode == 0
    run = tandem(home, "run", "--text", "--clock-start", "2026-12-02T20:00", "--clock-speed", "50", "--mute",
                 "--events", "jsonl",
                 stdin="\n".join(EVENING) + "\n")
    assert run.returncode == 0, run.stderr
    events = [json.loads(line) for line in run.stdout.splitlines() if line.strip()]
    exercise = [(e["phase"], e["reason"]) for e in events if e["type"] == "exercise"]
    assert exercise == [("started", ""), ("ended", "completed")]
    said = " ".join(e["text"] for e in events if e["type"] == "said")
    assert "Alex" in said and "Sam" in said and "journal" in said

    out = tandem(home, "export")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    (session,) = data["sessions"]
    assert session["exercise"] == "gratitude" and session["end_reason"] == "completed" and session["ended"]
    assert [(t["partner"], t["step"], t["ended_by"], t["transcript"]) for t in session["turns"]] == [
        ("Alex", "share", "done", "I love how patient you are with my mother"),
        ("Sam", "share", "done", "you always make me laugh when I'm tired"),
    ]
    journal = sorted(data["gratitude"], key=lambda g: g["at"])
    assert [(g["from"], g["about"], g["text"], g["session"]) for g in journal] == [
        ("Alex", "Sam", "I love how patient you are with my mother", session["id"]),
        ("Sam", "Alex", "you always make me laugh when I'm tired", session["id"]),
    ]
    assert data["asked"]["gratitude"] and len(data["asked"]["gratitude"]) == 2

    # the next moment starts with Sam: the first speaker alternates
    run = tandem(home, "run", "--text", "--clock-start", "2026-12-03T20:00", "--clock-speed", "50", "--mute",
                 stdin="\n".join(EVENING) + "\n")
    assert run.returncode == 0, run.stderr
    data = json.loads(tandem(home, "export").stdout)
    (latest,) = [s for s in data["sessions"] if s["id"] != session["id"]]
    assert [t["partner"] for t in latest["turns"]] == ["Sam", "Alex"]
