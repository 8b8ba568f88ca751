"""The wake detector's cost: pyopen-wakeword's front end on the TFLite runtime's default threads (the
baseline, as the package builds it) against the one thread Tandem runs it on (``oww.features``).

    .venv/bin/python benchmarks/frontend_bench.py [--seconds 120] [--repeats 3]

The audio is speech of the benchmark voices (flite, festival; see voices.py) with pink noise at 20 dB,
fed in the listener's 30 ms frames. Printed per configuration: CPU time per second of audio (every
thread of the process counted: what the device pays), wall time per second of audio, the whole
detector (front end + the "hey tandem" head, ``OwwWake.accept``), and how far its embeddings are from
the baseline's. Each configuration runs ``--repeats`` times, interleaved, and the median is shown;
ratios are to the baseline in the same run.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from assistant.speech import oww  # noqa: E402
from assistant.speech.frames import FRAME_BYTES  # noqa: E402
from benchmarks.voices import available_voices, synthesise  # noqa: E402
from tests.speech_helpers import noisy  # noqa: E402

SENTENCES = ("hey tandem what promises are still open", "we should call your mother on sunday",
             "did you remember to buy the bread", "i think the film starts at eight tonight")


def audio(seconds: float) -> bytes:
    voices = available_voices()
    parts, total, i = [], 0, 0
    while total < seconds * 32000:
        pcm = synthesise(SENTENCES[i % len(SENTENCES)], voices[i % len(voices)])
        parts.append(pcm + bytes(16000))  # half a second between sentences
        total += len(parts[-1])
        i += 1
    return noisy(b"".join(parts)[: int(seconds) * 32000], 20.0, seed=1)


def front_end(threads: int | None) -> Callable[[bytes], np.ndarray]:
    front = oww.features(threads)

    def run(pcm: bytes) -> np.ndarray:
        front.reset()
        out = [e.reshape(-1) for i in range(0, len(pcm), FRAME_BYTES)
               for e in front.process_streaming(pcm[i:i + FRAME_BYTES])]
        return np.stack(out)
    return run


def detector(threads: int | None) -> Callable[[bytes], np.ndarray]:
    wake = oww.OwwWake()
    wake._front = oww.features(threads)  # the same detector on the other front end

    def run(pcm: bytes) -> np.ndarray:
        wake.reset()
        for i in range(0, len(pcm), FRAME_BYTES):
            wake.accept(pcm[i:i + FRAME_BYTES])
        return np.zeros(0)
    return run


def timed(run: Callable[[bytes], np.ndarray], pcm: bytes) -> tuple[float, float, np.ndarray]:
    c0, w0 = time.process_time(), time.perf_counter()
    out = run(pcm)
    return time.process_time() - c0, time.perf_counter() - w0, out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=120.0)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    pcm = audio(args.seconds)
    secs = len(pcm) / 32000
    rows = {"front end, runtime's threads (baseline)": front_end(None), "front end, one thread": front_end(1),
            "detector, runtime's threads": detector(None), "detector, one thread (shipped)": detector(1)}
    cpu: dict[str, list[float]] = {k: [] for k in rows}
    wall: dict[str, list[float]] = {k: [] for k in rows}
    embs: dict[str, np.ndarray] = {}
    for _ in range(args.repeats):
        for name, run in rows.items():
            c, w, out = timed(run, pcm)
            cpu[name].append(c / secs)
            wall[name].append(w / secs)
            embs[name] = out
    base = statistics.median(cpu["front end, runtime's threads (baseline)"])
    ref = embs["front end, runtime's threads (baseline)"]
    print(f"{secs:.0f} s of speech at 20 dB, 30 ms frames, median of {args.repeats}; CPU = every thread's time")
    print("| configuration | CPU / audio | vs baseline | wall / audio | embeddings vs baseline (max abs diff) |")
    print("|---|---|---|---|---|")
    for name in rows:
        c = statistics.median(cpu[name])
        diff = f"{float(np.abs(embs[name] - ref).max()):.1e}" if embs[name].size else "-"
        print(f"| {name} | {c:.3f} | x{c / base:.2f} | {statistics.median(wall[name]):.3f} | {diff} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
