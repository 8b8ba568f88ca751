"""The wake phrase as the couple lives it: chimes, replies and missed requests through ``tandem run`` itself.

    .venv/bin/python benchmarks/loop_bench.py [--minutes 20] [--trials 0] [--group 8] [--workers 2] [--seed 7]
        [--detectors pocketsphinx,openwakeword,openwakeword+check] [--keep DIR]

``wake_bench.py`` scores the detectors alone; this runs the whole loop, exactly as a user would
(``tandem run --input-wav FILE --mute --events jsonl`` in a subprocess, a fresh ``TANDEM_HOME`` per
detector and stream, ``[speech] wake_detector`` set in its ``config.toml``, no Whisper model, the clock
started on a weekday morning so no reminder is due), and counts what the couple would hear from its
event stream. The recording is replayed unpaced, but every timeout of the ears is counted in audio, so
the windows are those of a live microphone. Held-out voices only (the pools ``wake_bench.py``
synthesised and cached). About 15 minutes with the defaults on the loaded 2-core machine.

* **Ordinary chatter, no wake phrase** (``--minutes`` of it, built by ``wake_bench.chatter_stream``:
  shuffled sentences, random gain and gaps, clean or pink + babble noise at 20 / 10 dB). Every wake
  plays the chime (on by default) and every reply is one nobody asked for: chimes, replies, wakes that
  spoke, commands acted on and exercises started per hour, with exact-Poisson 95% intervals.
* **Wake phrase, then a request** (``--trials``, default every phrase-only clip of the pool): room
  noise, "hey tandem", a pause, one of four read-only requests ("what promises are still open" ...)
  in the same voice, 8.5 s of quiet; ``--group`` trials per recording (a run each, so an exercise
  started by mistake takes the rest of its recording only), each recording clean, 20 dB or 10 dB in
  turn. The events carry no audio position, so a run's interactions are lined up with its trials in
  order (edit distance: a trial with no interaction is a missed wake -- also when the loop was still
  busy with an earlier mistake, as the couple would live it --, an interaction with no trial an extra
  wake, a woken trial whose first command was another a wrong reply): missed wakes and the share of
  requests that got the right reply, with Wilson intervals.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import pickle
import random
import shutil
import subprocess
import sys
import tempfile
import time
import wave
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import voices  # noqa: E402
import wake_bench  # noqa: E402
from wake_bench import POOLS, ROOT, poisson_ci, silence, wilson  # noqa: E402

from assistant.speech.wavfile import write_wav  # noqa: E402

DETECTORS = ("pocketsphinx", "openwakeword", "openwakeword+check", "openwakeword+quiet")
# Read-only requests with one spoken answer each (nothing they do changes what the next trial hears).
REQUESTS = (
    ("what promises are still open", "promise.list"),
    ("what can you do", "help"),
    ("when is the next trust talk", "reminder.list"),
    ("how are we doing", "summary"),
)
SNRS: tuple[float | None, ...] = (None, 20.0, 10.0)
CLOCK_START = "2026-12-09T10:00"  # a Wednesday morning: no reminder is due during the run
TAIL_S = 8.5  # after a request: longer than the 8 s the loop listens after a wake that heard nothing


# --- what the event stream says ------------------------------------------------------------------


@dataclass
class Interaction:
    """From one wake (one chime, unless the wake was quiet) back to sleep."""

    quiet: bool = False  # a quiet wake: no chime, and only a sure command is acted on
    acted: str | None = None  # the first command acted on (the loop's first "handling" state after the wake)
    heard: list[str] = field(default_factory=list)  # every intent heard in it (None: words that meant nothing)
    replies: list[str] = field(default_factory=list)
    exercise: str | None = None  # an exercise it started


@dataclass
class Stream:
    interactions: list[Interaction] = field(default_factory=list)
    replies_asleep: int = 0  # said while no wake was open (a reminder): none expected here

    @property
    def chimes(self) -> int:
        return sum(not i.quiet for i in self.interactions)

    @property
    def replies(self) -> int:
        return self.replies_asleep + sum(len(i.replies) for i in self.interactions)


def read_stream(events: Iterable[dict]) -> Stream:
    """Interactions of a ``tandem run --events jsonl`` stream: each ``wake`` opens one, the next ``asleep`` state
    closes it."""
    out = Stream()
    now: Interaction | None = None
    for e in events:
        kind = e.get("type")
        if kind == "wake":
            now = Interaction(quiet=bool(e.get("quiet")))
            out.interactions.append(now)
        elif now is None:
            if kind == "said":
                out.replies_asleep += 1
        elif kind == "intent":
            now.heard.append(e.get("intent"))
        elif kind == "state" and e.get("state") == "handling" and e.get("previous") == "awake":
            now.acted = now.acted or e.get("reason")
        elif kind == "said":
            now.replies.append(e.get("text", ""))
        elif kind == "exercise" and e.get("phase") == "started" and now.exercise is None:
            now.exercise = e.get("exercise")
        elif kind == "state" and e.get("state") == "asleep" and e.get("previous") != "asleep":
            now = None
    return out


def align(expected: Sequence[str], got: Sequence[str | None]) -> list[tuple[int | None, int | None]]:
    """Trials (their expected intent) against interactions (the command acted on), in order, at least cost.

    Pairs ``(trial, interaction)``: both set is a woken trial (right if the intents agree), ``(t, None)`` a
    missed wake, ``(None, i)`` an extra wake. A wrong reply costs 1, less than a miss plus an extra wake (2)."""
    n, m = len(expected), len(got)
    cost = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(1, n + 1):
        cost[i][0] = i
    for j in range(1, m + 1):
        cost[0][j] = j
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            pair = cost[i - 1][j - 1] + (0 if got[j - 1] == expected[i - 1] else 1)
            cost[i][j] = min(pair, cost[i - 1][j] + 1, cost[i][j - 1] + 1)
    pairs: list[tuple[int | None, int | None]] = []
    i, j = n, m
    while i or j:  # from the end: on a tie the later trial is the one missed (the loop was busy with an earlier)
        if i and cost[i][j] == cost[i - 1][j] + 1:
            pairs.append((i - 1, None))
            i -= 1
        elif i and j and cost[i][j] == cost[i - 1][j - 1] + (0 if got[j - 1] == expected[i - 1] else 1):
            pairs.append((i - 1, j - 1))
            i, j = i - 1, j - 1
        else:
            pairs.append((None, j - 1))
            j -= 1
    return pairs[::-1]


@dataclass(frozen=True)
class Trial:
    voice: str  # e.g. "flite:slt pitch+200" (the wake clip's voice and variation)
    request: str
    intent: str
    snr: float | None


@dataclass
class Trials:
    woke: list[bool]
    right: list[bool]
    extra: int


def score_groups(groups: Sequence[Sequence[Trial]], streams: Sequence[Stream]) -> Trials:
    """Trials replayed in groups, one recording (and one stream) each."""
    out = Trials([], [], 0)
    for group, stream in zip(groups, streams, strict=True):
        one = score_trials([t.intent for t in group], stream)
        out.woke += one.woke
        out.right += one.right
        out.extra += one.extra
    return out


def score_trials(expected: Sequence[str], stream: Stream) -> Trials:
    got = [i.acted for i in stream.interactions]
    woke = [False] * len(expected)
    right = [False] * len(expected)
    extra = 0
    for t, i in align(expected, got):
        if t is None:
            extra += 1
        elif i is not None:
            woke[t] = True
            right[t] = got[i] == expected[t]
    return Trials(woke, right, extra)


# --- the audio ---------------------------------------------------------------------------------------


def chatter_audio(minutes: float, seed: int) -> bytes:
    return b"".join(pcm for _, pcm in wake_bench.chatter_stream(minutes * 60, seed))


def trials_audio(n: int, seed: int, workers: int, group: int) -> tuple[list[Trial], list[bytes]]:
    """``n`` trials (0: one per phrase-only wake clip of the pool), the requests synthesised in the clip's voice;
    each ``group`` of them at one noise level (clean, 20 dB, 10 dB in turn), so the rows per noise level do not
    depend on how the interactions line up with the trials."""
    clips = [(label, pcm) for label, text, pcm in POOLS["pos"] if text == "hey tandem"]
    n = n or len(clips)
    rng = random.Random(seed)
    picks = [clips[k % len(clips)] for k in range(n)]
    jobs = []
    for k, (label, _) in enumerate(picks):
        engine, name = label.split()[0].split(":")
        var = voices.random_variation(rng) if rng.random() < 0.5 else voices.Variation("plain")
        jobs.append((REQUESTS[k % len(REQUESTS)][0], voices.Voice(engine, name), var))
    cache = ROOT / ".cache" / "loop-bench" / f"requests-{seed}-{n}.pickle"
    if cache.exists():
        said = pickle.loads(cache.read_bytes())
    else:
        with mp.Pool(workers * 2) as pool:  # the synthesisers mostly wait on their own start-up
            said = pool.map(wake_bench._synth, jobs, chunksize=4)
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_bytes(pickle.dumps(said))
    nrng = np.random.default_rng(seed)
    bed = wake_bench._bed(seed)
    trials, parts = [], []
    for k, ((label, wake), request) in enumerate(zip(picks, said)):
        if not request:
            continue  # a voice that cannot say it (counted: fewer trials)
        text, intent = REQUESTS[k % len(REQUESTS)]
        snr = SNRS[(k // max(1, group)) % len(SNRS)]
        pcm = silence(rng.uniform(1.0, 2.5)) + wake + silence(rng.uniform(0.3, 0.8)) + request + silence(TAIL_S)
        parts.append(voices.mix_at_snr(pcm, snr, nrng, bed))
        trials.append(Trial(label, text, intent, snr))
    return trials, parts


# --- the loop --------------------------------------------------------------------------------------


@dataclass
class Run:
    detector: str
    streams: list[Stream]  # one per recording, in order
    audio_s: float
    cpu_s: float
    wall_s: float

    @property
    def stream(self) -> Stream:
        return Stream([i for s in self.streams for i in s.interactions], sum(s.replies_asleep for s in self.streams))


def new_home(detector: str, home: Path) -> dict[str, str]:
    """A fresh ``TANDEM_HOME`` whose config picks ``detector`` (the chime on, as by default); its environment."""
    env = dict(os.environ, TANDEM_HOME=str(home))
    subprocess.run([*TANDEM, "init", "--partner", "Alex", "--partner", "Sam"], env=env, cwd=ROOT, check=True,
                   capture_output=True)
    with open(home / "config.toml", "a", encoding="utf-8") as f:
        f.write(f'\n[speech]\nwake_detector = "{detector}"\n')
    shown = json.loads(subprocess.run([*TANDEM, "config", "--json"], env=env, cwd=ROOT, check=True,
                                      capture_output=True, text=True).stdout)
    speech = shown["settings"]["speech"]
    if speech["wake_detector"] != detector or not shown["settings"]["voice"]["chime"]:
        raise RuntimeError(f"the home's config did not take wake_detector {detector} with the chime on: {speech}")
    return env


TANDEM = [sys.executable, "-m", "assistant"]


def run_loop(detector: str, wavs: Sequence[Path], work: Path) -> Run:
    """``tandem run --input-wav`` once per recording, in one home using ``detector``; the events are kept in
    ``work``. A run per recording: an exercise started by mistake takes the rest of its recording, not of all."""
    env = new_home(detector, work / "home")
    streams, audio_s, cpu_s, wall_s = [], 0.0, 0.0, 0.0
    for n, wav in enumerate(wavs):
        events, errors = work / f"events-{n}.jsonl", work / f"stderr-{n}.txt"
        t0 = time.monotonic()
        with open(events, "w") as out, open(errors, "w") as err:
            proc = subprocess.Popen([*TANDEM, "run", "--mute", "--input-wav", str(wav), "--events", "jsonl",
                                     "--clock-start", CLOCK_START], env=env, cwd=ROOT, stdin=subprocess.DEVNULL,
                                    stdout=out, stderr=err)
            _, status, usage = os.wait4(proc.pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise RuntimeError(f"tandem run ({detector}) on {wav.name} failed: {errors.read_text()[-800:]}")
        wall_s += time.monotonic() - t0
        cpu_s += usage.ru_utime + usage.ru_stime
        with wave.open(str(wav)) as w:
            audio_s += w.getnframes() / w.getframerate()
        streams.append(read_stream(json.loads(line) for line in events.read_text().splitlines() if line.strip()))
    return Run(detector, streams, audio_s, cpu_s, wall_s)


# --- the table ------------------------------------------------------------------------------------------


def per_hour(k: int, hours: float) -> str:
    lo, hi = poisson_ci(k)
    return f"{k} = {k / hours:.1f} ({lo / hours:.1f}-{hi / hours:.1f})"


def share(k: int, n: int) -> str:
    if n == 0:
        return "-"
    lo, hi = wilson(k, n)
    return f"{k}/{n} = {k / n:.0%} ({lo:.0%}-{hi:.0%})"


def table(detectors: Sequence[str], chatter: dict[str, Run], asked: dict[str, Run],
          groups: Sequence[Sequence[Trial]]) -> str:
    trials = [t for g in groups for t in g]
    rows = ["| measure | " + " | ".join(detectors) + " |", "|---|" + "---|" * len(detectors)]

    def row(label: str, cell: Callable[[str], str]) -> None:
        rows.append(f"| {label} | " + " | ".join(cell(d) for d in detectors) + " |")

    def hourly(count: Callable[[Stream], int]) -> Callable[[str], str]:
        return lambda d: per_hour(count(chatter[d].stream), chatter[d].audio_s / 3600)

    if chatter:
        row("chimes / h, chatter (95% CI)", hourly(lambda s: s.chimes))
        row("quiet wakes / h (no chime)", hourly(lambda s: len(s.interactions) - s.chimes))
        row("replies / h, chatter", hourly(lambda s: s.replies))
        row("wakes that spoke / h", hourly(lambda s: sum(bool(i.replies) for i in s.interactions)))
        row("commands acted on / h", hourly(lambda s: sum(i.acted is not None for i in s.interactions)))
        row("exercises started / h", hourly(lambda s: sum(i.exercise is not None for i in s.interactions)))
    if asked:
        scored = {d: score_groups(groups, asked[d].streams) for d in asked}
        for snr in SNRS:
            idx = [k for k, t in enumerate(trials) if t.snr == snr]
            label = "clean" if snr is None else f"{snr:.0f} dB"
            row(f"woke, {label}", lambda d, idx=idx: share(sum(scored[d].woke[k] for k in idx), len(idx)))
        row("missed wakes (or the loop still busy)", lambda d: share(len(trials) - sum(scored[d].woke), len(trials)))
        row("right reply to the request", lambda d: share(sum(scored[d].right), len(trials)))
        row("extra wakes among the requests", lambda d: str(scored[d].extra))
        row("exercises started by mistake", lambda d: str(sum(i.exercise is not None
                                                             for i in asked[d].stream.interactions)))

    def rtf(d: str) -> str:
        runs = [r for r in (chatter.get(d), asked.get(d)) if r is not None]
        return f"{sum(r.cpu_s for r in runs) / sum(r.audio_s for r in runs):.3f}"

    row("loop CPU / audio (one core)", rtf)
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=20.0, help="minutes of chatter (0: none)")
    ap.add_argument("--trials", type=int, default=0, help="wake + request trials (0: one per phrase clip; -1: none)")
    ap.add_argument("--group", type=int, default=8, help="trials per recording (a run each)")
    ap.add_argument("--detectors", default=",".join(DETECTORS))
    ap.add_argument("--workers", type=int, default=2, help="loops run at once")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--keep", type=Path, help="keep the recordings, homes and event streams here")
    a = ap.parse_args(argv)
    detectors = [d.strip() for d in a.detectors.split(",") if d.strip()]
    t0 = time.time()
    wake_bench.load_pools()
    work = Path(tempfile.mkdtemp(prefix="loop-bench-")) if a.keep is None else a.keep
    work.mkdir(parents=True, exist_ok=True)
    try:
        jobs: list[tuple[str, str, list[Path]]] = []
        groups: list[list[Trial]] = []
        if a.minutes > 0:
            wav = write_wav(work / "chatter.wav", chatter_audio(a.minutes, a.seed + 100))
            jobs += [("chatter", d, [wav]) for d in detectors]
        if a.trials >= 0:
            size = max(1, a.group)
            trials, parts = trials_audio(a.trials, a.seed, a.workers, size)
            groups = [trials[i:i + size] for i in range(0, len(trials), size)]
            wavs = [write_wav(work / f"requests-{n}.wav", b"".join(parts[i:i + size]))
                    for n, i in enumerate(range(0, len(parts), size))]
            jobs += [("requests", d, wavs) for d in detectors]
        print(f"held-out voices: {', '.join(POOLS['voices'])}; audio built in {time.time() - t0:.0f} s", flush=True)

        def one(job: tuple[str, str, list[Path]]) -> tuple[str, Run]:
            kind, detector, wavs = job
            place = work / f"{kind}-{detector}"
            place.mkdir(exist_ok=True)
            run = run_loop(detector, wavs, place)
            print(f"  {kind}, {detector}: {run.audio_s / 60:.1f} min of audio in {run.wall_s:.0f} s "
                  f"({run.cpu_s:.0f} s CPU)", flush=True)
            return kind, run

        with ThreadPoolExecutor(max(1, a.workers)) as pool:
            done = list(pool.map(one, jobs))
    finally:
        if a.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    chatter = {r.detector: r for kind, r in done if kind == "chatter"}
    asked = {r.detector: r for kind, r in done if kind == "requests"}
    minutes = next(iter(chatter.values())).audio_s / 60 if chatter else 0.0
    print(f"\nchatter {minutes:.1f} min (no wake phrase: every chime and reply is unwanted); "
          f"{sum(map(len, groups))} wake + request trials in {len(groups)} runs; wake_sensitivity 0.5; "
          "target <= 0.1 unwanted replies / h\n")
    print(table(detectors, chatter, asked, groups))
    for d in detectors:
        if d in chatter:
            s = chatter[d].stream
            said = [r[:40] for i in s.interactions for r in i.replies]
            acted = [i.acted for i in s.interactions if i.acted]
            started = [i.exercise for i in s.interactions if i.exercise]
            print(f"\n{d}, chatter: replies {_top(said)}; commands acted on {_top(acted)}; exercises started "
                  f"{_top(started)}")
    print(f"\ntotal {time.time() - t0:.0f} s wall")
    return 0


def _top(items: Sequence, n: int = 4) -> str:
    counts: dict = {}
    for x in items:
        counts[x] = counts.get(x, 0) + 1
    return str(sorted(counts.items(), key=lambda kv: -kv[1])[:n]) if counts else "none"


if __name__ == "__main__":
    raise SystemExit(main())
