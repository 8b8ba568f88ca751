"""Issue 14, part 2, by voice in the virtual home: a command said right after a reminder's
question is that command. The yes/no grammar alone heard "hey tandem, what promises are
still open" as "i did it" and started a 30-minute trust talk.

Timing: ~60 s (the models load, the reminder is spoken, the answer is played in real time).
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from tests.test_virtual_home_e2e import READY_S, Assistant, home_env  # noqa: F401  (fixture)
from tests.vhome import needs_vhome, play_into_mic, synth_wav

pytestmark = [needs_vhome, pytest.mark.slow]


def test_a_command_said_after_the_reminder_question_runs_and_starts_no_exercise(home_env, tmp_path: Path) -> None:
    asked = synth_wav("hey tandem, what promises are still open", tmp_path / "asked.wav", engine="festival")
    # The first Sunday of January 2027, before 19:00: the trust talk comes due while Tandem listens.
    assistant = Assistant(home_env, tmp_path / "home", "--clock-start", "2027-01-03T18:59:45")
    try:
        assistant.wait_ready()
        question = assistant.wait_for(lambda e: e.get("type") == "said" and "trust talk" in str(e.get("text", "")),
                                      READY_S)
        assert question is not None, f"the trust talk reminder was never said: {assistant.snapshot()}"
        play_into_mic(asked, env=home_env)
        listed = assistant.wait_for(lambda e: e["_at"] > question["_at"] and e.get("type") == "intent"
                                    and e.get("intent") == "promise.list", 30)
        # the listing is said after the short snooze line (each "said" event comes when its sound has played)
        answered = assistant.wait_for(lambda e: e["_at"] > question["_at"] and e.get("type") == "said"
                                      and "promise" in str(e.get("text", "")).lower(), 30)
        threading.Event().wait(5.0)  # time enough for a wrongly started exercise to show itself
        after = [e for e in assistant.snapshot() if e["_at"] > question["_at"]]
    finally:
        assistant.stop()
    assert listed is not None, f"the promises were not listed; events after the question: {after}"
    assert [e for e in after if e.get("type") == "exercise"] == [], "an exercise started"
    said = [str(e.get("text", "")) for e in after if e.get("type") == "said"]
    assert answered is not None, said
    assert not any("Yes or no" in s for s in said), said
    assert assistant.bad_lines == []
