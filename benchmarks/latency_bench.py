"""Reply latency in the virtual home: when does the first sample of Tandem's answer reach the speaker?

Two measurements (run inside the virtual home: `make bench`, or
`eval "$(tools/virtual-home start)"; .venv/bin/python benchmarks/latency_bench.py`):

* voice -- Voice.say() alone: from the call to the first loud sample seen on
  speaker.monitor, split into synthesis (child pyttsx3 round trip) and
  playback start (stream open + device buffer). This is the tail end of every
  reply and is measurable without the rest of the loop.
* loop -- the full assistant (`tandem run --events jsonl` on a private virtual
  home): "hey tandem" + "start our gratitude moment" (festival's voice) played
  into the microphone; the first sample of the reply on the speaker measured
  from (a) the actual end of the user's speech (last voiced sample of the
  WAV, known exactly) and (b) the end-of-speech decision (the "heard" event,
  minus its recognition time when the event reports one), with the share of
  recognition (end of speech -> heard), matching (heard -> intent) and
  handling + synthesis + playback start (intent -> first sample).

How the first sample is timed: `parec -d speaker.monitor --latency-msec=10`
streams raw audio to this process; each chunk is timestamped on arrival, the
first loud sample's time is the chunk's arrival minus the samples after it.
Error: one chunk plus PulseAudio's monitor latency (~10-30 ms, same sign for
every run, so it adds slightly to every figure).

Targets (issue 5): p50 < 600 ms from the decision, < 1.3 s from the end of speech.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

RATE = 16000
LOUD = 0.02  # amplitude treated as "sound" (the speaker monitor is digital silence otherwise)


class SpeakerTap:
    """parec on speaker.monitor; records when each sound starts (first loud sample after >= 0.2 s of quiet).

    Keeping every start (not just the next one) lets the loop benchmark skip
    the wake chime and pick the first sound after the recognised command.
    """

    QUIET_S = 0.2

    def __init__(self, env: dict[str, str] | None = None) -> None:
        self._proc = subprocess.Popen(
            ["parec", "-d", "speaker.monitor", "--latency-msec=10", "--raw", "--format=s16le",
             f"--rate={RATE}", "--channels=1"],
            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )
        self._cond = threading.Condition()
        self._starts: list[float] = []
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        assert self._proc.stdout is not None
        fd = self._proc.stdout.fileno()
        last_loud = -1e9
        while True:
            chunk = os.read(fd, 640)  # 20 ms at most: whatever has arrived
            if not chunk:
                return
            arrived = time.monotonic()
            samples = np.frombuffer(chunk[: len(chunk) - len(chunk) % 2], dtype="<i2").astype(np.float32) / 32768
            loud = np.flatnonzero(np.abs(samples) > LOUD)
            if not loud.size:
                continue
            first = arrived - (samples.size - loud[0]) / RATE
            if first - last_loud >= self.QUIET_S:
                with self._cond:
                    self._starts.append(first)
                    self._cond.notify_all()
            last_loud = arrived - (samples.size - loud[-1]) / RATE

    def onset_after(self, t: float, timeout: float) -> float | None:
        """The first sound start later than ``t`` (waiting up to ``timeout`` for it)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                later = [x for x in self._starts if x > t]
                if later:
                    return later[0]
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._cond.wait(remaining)

    def close(self) -> None:
        self._proc.send_signal(signal.SIGINT)
        try:
            self._proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._proc.kill()


def pct(values: list[float], p: float) -> float:
    return float(np.percentile(values, p)) if values else float("nan")


def row(name: str, values: list[float]) -> str:
    if not values:
        return f"| {name} | - | - | - | 0 |"
    return (f"| {name} | {pct(values, 50) * 1000:.0f} | {pct(values, 95) * 1000:.0f} | "
            f"{max(values) * 1000:.0f} | {len(values)} |")


# --- voice only ----------------------------------------------------------------------------------

REPLIES = [
    "Okay.",
    "Let's start your gratitude moment.",
    "Alex, what is one thing Sam did this week that you are grateful for?",
    "Thank you both. I've saved that, and I'll remind you on Sunday evening.",
    "Sam, take a minute to tell Alex about a moment this week when you felt supported, and what it meant to you.",
]


def bench_voice(runs: int) -> None:
    from assistant.config import VoiceSettings
    from assistant.speech.frames import EchoGate
    from assistant.speech.voice import Voice

    tmp = Path(tempfile.mkdtemp(prefix="tandem-bench-"))
    tap = SpeakerTap()
    voice = Voice(VoiceSettings(), EchoGate(), tmp_dir=tmp)
    total: list[float] = []
    synth: list[float] = []
    start: list[float] = []
    callback: list[float] = []
    try:
        voice.say("Warming up.")
        for i in range(runs):
            text = REPLIES[i % len(REPLIES)]
            threading.Event().wait(0.3)
            t0 = time.monotonic()
            voice.say(text)
            heard = tap.onset_after(t0, 2.0)
            stats = voice.last
            if heard is None or stats is None or stats.first_sample_at is None:
                print(f"run {i}: no sound seen on the speaker", file=sys.stderr)
                continue
            total.append(heard - t0)
            synth.append(stats.synth_s)
            callback.append(stats.first_sample_at - t0)
            start.append(heard - t0 - stats.synth_s)
    finally:
        voice.close()
        tap.close()
    print(f"\nVoice.say() -> first sample on the virtual speaker ({len(total)} runs, replies of 1-24 words), ms:\n")
    print("| stage | p50 | p95 | max | n |\n|---|---|---|---|---|")
    print(row("synthesis (child pyttsx3, round trip)", synth))
    print(row("playback start (stream open + device buffer)", start))
    print(row("say() -> first output callback", callback))
    print(row("**say() -> first sample heard**", total))


# --- the full loop -----------------------------------------------------------------------------------


def bench_loop(runs: int) -> None:
    import importlib.util

    if importlib.util.find_spec("assistant.speech.ears") is None:
        print("\nloop: skipped -- the listening loop (assistant.speech.ears) is not there yet.")
        return
    sys.path.insert(0, str(REPO / "tests"))
    from tests.vhome import play_into_mic, private_home, silence_wav, synth_wav, wav_activity

    work = Path(tempfile.mkdtemp(prefix="tandem-bench-loop-"))
    wake = synth_wav("hey tandem", work / "wake.wav", engine="festival")
    command = synth_wav("start our gratitude moment", work / "cmd.wav", engine="festival")
    pause = silence_wav(0.3, work / "pause.wav")
    act = wav_activity(command)
    from assistant.speech.wavfile import read_wav

    pcm = np.frombuffer(read_wav(command)[0], dtype="<i2").astype(np.float32) / 32768
    voiced = np.flatnonzero(np.abs(pcm) > 0.01)
    trailing_s = (pcm.size - (voiced[-1] + 1)) / RATE if voiced.size else 0.0

    try:  # the endpointer's trailing silence: the decision comes that long after the speech ends
        from assistant.speech.endpoint import COMMAND_ENDPOINT

        endpoint_s = float(COMMAND_ENDPOINT.trailing_silence_s)
    except (ImportError, AttributeError):
        endpoint_s = 0.0
    from_end: list[float] = []
    from_decision: list[float] = []
    from_heard: list[float] = []
    recog: list[float] = []
    match: list[float] = []
    rest: list[float] = []
    with private_home() as env:
        for run in range(runs):
            home = work / f"home{run}"
            env_run = dict(env, TANDEM_HOME=str(home))
            subprocess.run([sys.executable, "-m", "assistant", "init", "--partner", "Alex", "--partner", "Sam",
                            "--timezone", "Europe/Lisbon"], env=env_run, cwd=REPO, check=True, capture_output=True)
            proc = subprocess.Popen([sys.executable, "-m", "assistant", "run", "--events", "jsonl"], env=env_run,
                                    cwd=REPO, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.DEVNULL)
            events: queue.Queue[dict[str, Any]] = queue.Queue()

            def read(p: subprocess.Popen[bytes] = proc, q: queue.Queue[dict[str, Any]] = events) -> None:
                assert p.stdout is not None
                for raw in p.stdout:
                    try:
                        e = json.loads(raw)
                    except ValueError:
                        continue
                    e["_at"] = time.monotonic()
                    q.put(e)

            threading.Thread(target=read, daemon=True).start()
            tap = SpeakerTap(env)
            try:
                if not _wait(events, lambda e: e.get("type") == "state", 90):
                    print(f"run {run}: tandem run never became ready", file=sys.stderr)
                    continue
                threading.Event().wait(1.0)
                play_into_mic(wake, env=env)
                play_into_mic(pause, env=env)
                play_into_mic(command, env=env)
                speech_end = time.monotonic() - trailing_s  # paplay returns when the file has played
                got = _collect(events, 20)
                heard = next((e for e in got if e.get("type") == "heard"), None)
                intent = next((e for e in got if e.get("type") == "intent" and e.get("intent")), None)
                # the reply: the first sound after the command was recognised (not the wake chime)
                onset = tap.onset_after(heard["_at"] - 0.05, 10) if heard is not None else None
                if heard is None or intent is None or onset is None:
                    print(f"run {run}: incomplete (heard={heard is not None}, intent={intent is not None}, "
                          f"sound={onset is not None})", file=sys.stderr)
                    continue
                # The events carry no endpoint timestamp: the decision is taken as the
                # speech end + the endpointer's trailing silence (unless the heard
                # event says how long recognition took after the decision).
                if "recognition_s" in heard:
                    decision = heard["_at"] - float(heard["recognition_s"])
                else:
                    decision = speech_end + endpoint_s
                from_end.append(onset - speech_end)
                from_decision.append(onset - decision)
                from_heard.append(onset - heard["_at"])
                recog.append(heard["_at"] - decision)
                match.append(intent["_at"] - heard["_at"])
                rest.append(onset - intent["_at"])
            finally:
                tap.close()
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
    print(f"\nFull loop: reply's first sample on the virtual speaker ({len(from_end)} runs; command "
          f"{act.seconds:.2f} s with {trailing_s:.2f} s trailing silence in the file), ms:\n")
    print("| measured | p50 | p95 | max | n |\n|---|---|---|---|---|")
    print(row("**from the end of the user's speech** (target p50 < 1300)", from_end))
    print(row("**from the end-of-speech decision** (target p50 < 600)", from_decision))
    print(row("from the heard event (recognised text out)", from_heard))
    print(f"| share: endpoint trailing silence (fixed) | {endpoint_s * 1000:.0f} | {endpoint_s * 1000:.0f} | - | - |")
    print(row("share: final recognition (decision -> heard)", recog))
    print(row("share: matching (heard -> intent)", match))
    print(row("share: handling + synthesis + playback start (intent -> sound)", rest))


def _wait(events: queue.Queue[dict[str, Any]], pred: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if pred(events.get(timeout=max(0.01, deadline - time.monotonic()))):
                return True
        except queue.Empty:
            return False
    return False


def _collect(events: queue.Queue[dict[str, Any]], seconds: float) -> list[dict[str, Any]]:
    """Events until the first reply was said, or ``seconds`` passed."""
    out: list[dict[str, Any]] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            e = events.get(timeout=max(0.01, deadline - time.monotonic()))
        except queue.Empty:
            break
        out.append(e)
        if e.get("type") == "said":
            break
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="voice runs (default 20)")
    parser.add_argument("--loop-runs", type=int, default=5, help="full-loop runs (default 5; each starts tandem run)")
    parser.add_argument("--only", choices=["voice", "loop"], default=None)
    args = parser.parse_args()
    if not os.environ.get("PULSE_SERVER"):
        print('latency_bench: needs the virtual home: eval "$(tools/virtual-home start)" first', file=sys.stderr)
        return 2
    if args.only in (None, "voice"):
        bench_voice(args.runs)
    if args.only in (None, "loop"):
        bench_loop(args.loop_runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
