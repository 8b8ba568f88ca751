"""The whole assistant in the virtual home: `tandem run --events jsonl` hearing
synthesised speech (flite/festival voices, never espeak-ng) through a real
PulseAudio microphone, speaking through a real PulseAudio speaker.

Each test runs on a *private* virtual home (its own PulseAudio server), so
unplugging its microphone or looping its speaker back into its microphone
(the room's echo) never disturbs other tests.

Timing: ~30-60 s per test; the quiet test lasts TANDEM_E2E_QUIET_S seconds
(40 by default; the issue's full two minutes with TANDEM_E2E_QUIET_S=120).
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.vhome import REPO, needs_vhome, play_into_mic, private_home, silence_wav, synth_wav, vhome

pytestmark = [needs_vhome, pytest.mark.slow]

QUIET_S = float(os.environ.get("TANDEM_E2E_QUIET_S", "40"))
READY_S = 90.0  # model loading on a slow machine


def _full_loop_present() -> str | None:
    import importlib.util

    for module in ("assistant.speech.ears", "assistant.speech.wake", "assistant.speech.endpoint",
                   "assistant.runtime.wiring"):
        if importlib.util.find_spec(module) is None:
            return module
    return None


_missing = _full_loop_present()
if _missing:
    pytestmark.append(pytest.mark.skip(reason=f"the listening loop is not there yet ({_missing} is missing)"))


Event = dict[str, Any]


# Every run starts at a pinned instant (a Wednesday evening: no reminder due), whatever the wall clock says.
CLOCK_START = "2026-12-02T19:30"


class Assistant:
    """`python -m assistant run --events jsonl` with its events collected by a reader thread."""

    def __init__(self, env: dict[str, str], home: Path, *extra: str) -> None:
        self.env = dict(env, TANDEM_HOME=str(home))
        self.events: list[Event] = []
        self._lock = threading.Lock()
        self._new: queue.Queue[Event] = queue.Queue()
        self.bad_lines: list[str] = []
        self.stderr_path = home / "stderr.log"
        home.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "assistant", "init", "--partner", "Alex", "--partner", "Sam",
                        "--timezone", "Europe/Lisbon"], env=self.env, cwd=REPO, check=True, capture_output=True,
                        timeout=60)
        self._stderr = open(self.stderr_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "assistant", "run", "--events", "jsonl", "--clock-start", CLOCK_START, *extra],
            env=self.env, cwd=REPO, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self._stderr,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            line = raw.decode("utf-8", "replace").strip()
            if not line:
                continue
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                self.bad_lines.append(line)  # --events jsonl: nothing else on stdout, ever
                continue
            event["_at"] = time.monotonic()
            with self._lock:
                self.events.append(event)
            self._new.put(event)

    def snapshot(self) -> list[Event]:
        with self._lock:
            return list(self.events)

    def wait_for(self, predicate: Callable[[Event], bool], timeout: float) -> Event | None:
        """The first event (already seen or new) matching ``predicate`` within ``timeout``."""
        for event in self.snapshot():
            if predicate(event):
                return event
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self.proc.poll() is not None:
                return None
            try:
                event = self._new.get(timeout=min(remaining, 1.0))
            except queue.Empty:
                continue
            if predicate(event):
                return event

    def wait_ready(self) -> None:
        """Listening: the loop reported its first state (models loaded), plus a moment."""
        first = self.wait_for(lambda e: e.get("type") == "state", READY_S)
        assert first is not None, f"tandem run never reported a state; stderr: {self.stderr_tail()}"
        threading.Event().wait(1.0)

    def stderr_tail(self) -> str:
        try:
            return self.stderr_path.read_text(errors="replace")[-1500:]
        except OSError:
            return ""

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._reader.join(timeout=5)
        self._stderr.close()
        return self.proc.returncode


@pytest.fixture
def home_env() -> Iterator[dict[str, str]]:
    with private_home() as env:
        yield env


@pytest.fixture
def lines(tmp_path: Path) -> dict[str, Path]:
    """The couple's test lines: voices the recogniser was not tuned on (festival's kal, flite's awb/rms)."""
    out = {
        "wake": synth_wav("hey tandem", tmp_path / "wake.wav", engine="festival"),
        "gratitude": synth_wav("start our gratitude moment", tmp_path / "gratitude.wav", engine="festival"),
        "wake_awb": synth_wav("hey tandem", tmp_path / "wake_awb.wav", voice="awb"),
        "gratitude_awb": synth_wav("start our gratitude moment", tmp_path / "gratitude_awb.wav", voice="awb"),
        "stop": synth_wav("hey tandem stop", tmp_path / "stop.wav", voice="rms"),
        "pause": silence_wav(0.3, tmp_path / "pause.wav"),
    }
    chatter = [
        ("what should we have for dinner tonight", "slt"),
        ("did you remember to call your mother", "rms"),
        ("the weather is supposed to be nice tomorrow", "awb"),
        ("i put the keys on the kitchen table", "kal"),
        ("let's watch a film after we wash the dishes", "slt"),
        ("the train was late again this morning", "rms"),
    ]
    for i, (text, voice) in enumerate(chatter):
        out[f"chatter{i}"] = synth_wav(text, tmp_path / f"chatter{i}.wav", voice=voice)
    return out


def _say_wake_and_command(lines: dict[str, Path], env: dict[str, str], which: str = "") -> None:
    play_into_mic(lines["wake" + which], env=env)
    play_into_mic(lines["pause"], env=env)
    play_into_mic(lines["gratitude" + which], env=env)


def _gratitude_started(e: Event) -> bool:
    return e.get("type") == "exercise" and e.get("phase") == "started" and "gratitude" in str(e.get("exercise", ""))


def _commands(events: list[Event]) -> list[Event]:
    return [e for e in events if (e.get("type") == "intent" and e.get("intent")) or e.get("type") == "exercise"]


def test_hey_tandem_start_our_gratitude_moment(home_env: dict[str, str], lines: dict[str, Path],
                                               tmp_path: Path) -> None:
    assistant = Assistant(home_env, tmp_path / "home")
    try:
        assistant.wait_ready()
        started = None
        for which in ("", "_awb"):  # two voices, one try each
            _say_wake_and_command(lines, home_env, which)
            started = assistant.wait_for(_gratitude_started, 20)
            if started:
                break
        events = assistant.snapshot()
        assert started is not None, \
            f"no gratitude exercise started; events: {[e for e in events if e.get('type') != 'state']}"
        assert any(e.get("type") == "wake" for e in events)
        assert any(e.get("type") == "said" for e in events) or assistant.wait_for(lambda e: e.get("type") == "said", 15)
    finally:
        assistant.stop()
    assert assistant.bad_lines == [], "something other than events reached stdout"


def test_own_voice_never_triggers_and_a_stop_while_speaking_is_handled(
    home_env: dict[str, str], lines: dict[str, Path], tmp_path: Path
) -> None:
    # The room's echo: whatever Tandem says comes back into its microphone.
    loop = subprocess.run(["pactl", "load-module", "module-loopback", "source=speaker.monitor", "sink=micfeed",
                           "latency_msec=60"], env=home_env, capture_output=True, text=True, timeout=30)
    assert loop.returncode == 0, loop.stderr
    assistant = Assistant(home_env, tmp_path / "home")
    try:
        assistant.wait_ready()
        _say_wake_and_command(lines, home_env)
        started = assistant.wait_for(_gratitude_started, 25)
        assert started is not None, "the exercise did not start (see test_hey_tandem_start_our_gratitude_moment)"
        # Tandem now talks (intro, "Alex, ..."); its echo must not become a command.
        threading.Event().wait(12)
        after = [e for e in assistant.snapshot() if e["_at"] > started["_at"]]
        wakes = [e for e in after if e.get("type") == "wake"]
        triggered = [e for e in _commands(after) if e.get("phase") != "step"]
        assert wakes == [], f"Tandem woke itself: {wakes}"
        assert [e for e in triggered if e.get("type") == "exercise" and e.get("phase") == "started"] == []
        # "hey tandem stop" said over Tandem's voice cuts it short or stops the exercise.
        said_before = len([e for e in assistant.snapshot() if e.get("type") == "said"])
        mark = time.monotonic()
        handled = None
        # Like a person, say it again if it was not caught the first time (once).
        for _attempt in range(2):
            play_into_mic(lines["stop"], env=home_env)
            handled = assistant.wait_for(
                lambda e: e["_at"] > mark and (
                    (e.get("type") == "said" and e.get("interrupted"))
                    or (e.get("type") == "intent" and str(e.get("intent", "")).endswith("stop"))
                    or (e.get("type") == "exercise" and e.get("phase") in ("ended", "paused"))
                ),
                12,
            )
            if handled is not None:
                break
        assert handled is not None, (
            f"'hey tandem stop' was not handled; said events before: {said_before}; "
            f"events after: {[e for e in assistant.snapshot() if e['_at'] > mark]}"
        )
    finally:
        assistant.stop()
    assert assistant.bad_lines == []


def test_silence_and_chatter_produce_no_command(home_env: dict[str, str], lines: dict[str, Path],
                                                tmp_path: Path) -> None:
    assistant = Assistant(home_env, tmp_path / "home")
    try:
        assistant.wait_ready()
        begin = time.monotonic()
        chatter = sorted(k for k in lines if k.startswith("chatter"))
        i = 0
        # alternate a chatter line and ~4 s of silence until QUIET_S has passed
        while time.monotonic() - begin < QUIET_S:
            play_into_mic(lines[chatter[i % len(chatter)]], env=home_env)
            i += 1
            threading.Event().wait(min(4.0, max(0.0, QUIET_S - (time.monotonic() - begin))))
        threading.Event().wait(2.0)
        events = assistant.snapshot()
        assert assistant.proc.poll() is None, f"tandem run ended: {assistant.stderr_tail()}"
    finally:
        assistant.stop()
    assert _commands(events) == [], f"chatter became a command: {_commands(events)}"
    # a quiet wake (a borderline score: no chime, no reply unless a command is borne out) is no sound
    assert [e for e in events if e.get("type") == "wake" and not e.get("quiet")] == [], "chatter woke Tandem"
    assert assistant.bad_lines == []


def test_microphone_loss_is_survived_without_restart(home_env: dict[str, str], lines: dict[str, Path],
                                                     tmp_path: Path) -> None:
    assistant = Assistant(home_env, tmp_path / "home")
    try:
        assistant.wait_ready()
        pid = assistant.proc.pid
        mark = time.monotonic()
        vhome("mic-off", home_env)  # the USB sound device is unplugged
        lost = assistant.wait_for(lambda e: e["_at"] > mark and e.get("type") == "error", 15)
        threading.Event().wait(3.0)
        vhome("mic-on", home_env)  # ... and plugged back in
        assert assistant.proc.poll() is None, f"tandem run died without its microphone: {assistant.stderr_tail()}"
        started = None
        # The loop retries with back-off (1, 2, 4 s ...): give it a few tries.
        for _ in range(4):
            threading.Event().wait(4.0)
            _say_wake_and_command(lines, home_env)
            started = assistant.wait_for(_gratitude_started, 15)
            if started:
                break
        assert lost is not None, "no error event when the microphone went away"
        assert "microphone" in json.dumps(lost)
        assert started is not None, f"not listening again after the microphone came back: {assistant.stderr_tail()}"
        assert assistant.proc.pid == pid and assistant.proc.poll() is None
    finally:
        assistant.stop()
    assert "Traceback" not in assistant.stderr_tail()


def test_a_whole_gratitude_moment_by_voice(home_env: dict[str, str], lines: dict[str, Path], tmp_path: Path) -> None:
    """Issue 6's 'done when': the gratitude moment by voice, start to journal, in voices not tuned on.

    The clock runs 3x (turn limits and silences pass faster; audio stays real
    time), so a turn that is not ended by "that's it" still ends at its limit.
    """
    said_alex = synth_wav("i really appreciate how patient you were with me this week", tmp_path / "alex.wav",
                          voice="awb")
    said_sam = synth_wav("thank you for cooking dinner every night when i work late", tmp_path / "sam.wav",
                         engine="festival")
    done_alex = synth_wav("that's it", tmp_path / "done_alex.wav", voice="awb")
    done_sam = synth_wav("i'm done", tmp_path / "done_sam.wav", engine="festival")
    home = tmp_path / "home"
    assistant = Assistant(home_env, home, "--clock-speed", "3")
    try:
        assistant.wait_ready()
        started = None
        for which in ("", "_awb"):
            _say_wake_and_command(lines, home_env, which)
            started = assistant.wait_for(_gratitude_started, 20)
            if started:
                break
        assert started is not None, "the gratitude moment did not start by voice"
        for partner, speech, done in (("Alex", said_alex, done_alex), ("Sam", said_sam, done_sam)):
            prompt = assistant.wait_for(
                lambda e, p=partner: e.get("type") == "said" and str(e.get("text", "")).startswith(f"{p},"), 60)
            assert prompt is not None, f"{partner} was never invited to share"
            play_into_mic(speech, env=home_env)
            play_into_mic(lines["pause"], env=home_env)
            play_into_mic(done, env=home_env)
        ended = assistant.wait_for(lambda e: e.get("type") == "exercise" and e.get("phase") == "ended", 90)
        assert ended is not None, "the gratitude moment never ended"
    finally:
        assistant.stop()
    exported = json.loads(subprocess.run([sys.executable, "-m", "assistant", "export"],
                                         env=dict(home_env, TANDEM_HOME=str(home)),
                                         cwd=REPO, capture_output=True, text=True, timeout=60, check=True).stdout)
    sessions = [s for s in exported["sessions"] if s["exercise"] == "gratitude"]
    assert len(sessions) == 1 and sessions[0]["end_reason"] == "completed"
    turns = sessions[0]["turns"]
    assert [t["partner"] for t in turns] == ["Alex", "Sam"]
    assert all(t["actual_s"] > 0 for t in turns)
    journal = [(g["from"], g["about"]) for g in exported["gratitude"]]
    assert journal == [("Alex", "Sam"), ("Sam", "Alex")], exported["gratitude"]
    assert all(g["text"] for g in exported["gratitude"])  # what was heard is kept, whatever the recogniser made of it
