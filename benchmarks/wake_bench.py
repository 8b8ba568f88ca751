"""Wake-phrase benchmark: detection rate per SNR, false wakes per hour, real-time factor.

    .venv/bin/python benchmarks/wake_bench.py [--hours 5] [--workers 2] [--sensitivity 0.5]

Positives: "hey tandem" (alone, and in one breath with a command) in every
flite/festival voice of ``voices.py`` x plain + random pitch/tempo/reverb
variations, each after a sentence of other speech, clean and with pink +
babble noise at 20 and 10 dB SNR.

Negatives: a pool of household sentences, near-misses ("tandem", "a tandem
bicycle", "hey fandom", ...) and commands without the wake phrase, in every
voice, synthesised once and then looped with fresh variation on each pass
(random order, gain, gaps, SNR clean/20 dB, pink/babble noise) until
``--hours`` of audio have been processed -- faster than real time, in
``--workers`` processes. The table says how much distinct speech the pool held.

Rates have 95% intervals: Wilson for detection, exact-Poisson (chi-square
via Wilson-Hilferty) for false wakes per hour.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing as mp
import random
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import voices  # noqa: E402
from assistant.speech.frames import FRAME_BYTES  # noqa: E402
from assistant.speech.wake import WakeSpotter  # noqa: E402

SENTENCES = [
    "what time is the dentist appointment tomorrow", "i think we should paint the kitchen green",
    "did you remember to buy milk on the way home", "the kids were so tired after the football match",
    "let's call your mother on sunday afternoon", "the weather is supposed to be lovely this weekend",
    "can you pass me the salt please", "i had a long day at work and my back hurts",
    "we could try that new italian place downtown", "the cat knocked the plant off the window again",
    "i finished the book you gave me last month", "we need to fix the leaking tap in the bathroom",
    "are we still going to the wedding in june", "turn the music down a little bit",
    "that was the best soup you have ever made", "the train was late again this morning",
    "remember when we went camping by the lake", "i am so proud of how you handled that",
    "hey there how was your day", "hey can you help me with the dishes", "thank you for listening to me",
    "start our gratitude moment", "let's do the weekly check in", "what promises are still open",
    "i promise to call the plumber by friday", "we rode a tandem bicycle along the coast",
    "the tandem was a gift from your brother", "hey fandom is a strange word", "random thoughts before bed",
    "hey tan them all in the sun", "ten dumb ideas for the weekend", "a tandem jump is on my list",
    "handsome devil", "hey sandy are you there", "hey hand them the plates", "and then we went home",
]
NEAR_MISSES = ["tandem", "a tandem bicycle", "hey fandom", "hey random", "the tandem", "hey tan them",
               "hey then", "tandem tandem", "hey handsome", "hey sandy"]
POSITIVES = ["hey tandem", "hey tandem start our gratitude moment", "hey tandem what can you do"]
SNRS: list[float | None] = [None, 20.0, 10.0]


def _mix(pcm: bytes, snr: float | None, rng: np.random.Generator, bed: np.ndarray) -> bytes:
    return voices.mix_at_snr(pcm, snr, rng, bed)


def _frames(pcm: bytes):
    for i in range(0, len(pcm) - FRAME_BYTES + 1, FRAME_BYTES):
        yield pcm[i:i + FRAME_BYTES]


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return (max(0.0, c - h), min(1.0, c + h))


def _chi2_quantile(p: float, dof: float) -> float:
    # Wilson-Hilferty; good to a few percent for dof >= 2, enough for a table.
    z = {0.025: -1.959964, 0.975: 1.959964}[p]
    return dof * (1 - 2 / (9 * dof) + z * math.sqrt(2 / (9 * dof))) ** 3


def poisson_ci(k: int) -> tuple[float, float]:
    lo = 0.0 if k == 0 else _chi2_quantile(0.025, 2 * k) / 2
    hi = _chi2_quantile(0.975, 2 * k + 2) / 2
    return lo, hi


def build_pool(seed: int) -> tuple[list[tuple[str, bytes]], list[tuple[str, str, bytes]]]:
    rng = random.Random(seed)
    vs = voices.available_voices()
    negatives = [(str(v), voices.synthesise(t, v, voices.random_variation(rng) if rng.random() < 0.5
                                            else voices.Variation("plain"), pad_s=0.1))
                 for v in vs for t in SENTENCES + NEAR_MISSES]
    positives = []
    for v in vs:
        for k in range(4):
            var = voices.Variation("plain") if k == 0 else voices.random_variation(rng)
            text = POSITIVES[k % len(POSITIVES)]
            positives.append((f"{v} {var.label}", text, voices.synthesise(text, v, var, pad_s=0.3)))
    return negatives, positives


def detection(positives, negatives, sensitivity: float, seed: int) -> dict[str, tuple[int, int]]:
    rng = np.random.default_rng(seed)
    bed = np.frombuffer(b"".join(p for _, p in negatives[:60]), dtype="<i2").astype(np.float64)
    out: dict[str, tuple[int, int]] = {}
    for snr in SNRS:
        spotter = WakeSpotter(sensitivity=sensitivity)
        hits = 0
        for i, (_, _, pcm) in enumerate(positives):
            lead = negatives[(i * 7) % len(negatives)][1]
            # context speech, a pause, the wake phrase, then 1.5 s for the (delayed) decision
            _feed(spotter, _mix(lead + b"\0\0" * 8000, snr, rng, bed))
            hits += _feed(spotter, _mix(pcm + b"\0\0" * 24000, snr, rng, bed)) > 0
        out["clean" if snr is None else f"{snr:.0f} dB"] = (hits, len(positives))
    return out


def _feed(spotter: WakeSpotter, pcm: bytes) -> int:
    return sum(spotter.accept(f) for f in _frames(pcm))


def _false_wakes(args: tuple[list[tuple[str, bytes]], float, float, int]) -> tuple[int, float, float, list[str]]:
    negatives, seconds, sensitivity, seed = args
    rng = random.Random(seed)
    nrng = np.random.default_rng(seed)
    bed = np.frombuffer(b"".join(p for _, p in negatives[:60]), dtype="<i2").astype(np.float64)
    spotter = WakeSpotter(sensitivity=sensitivity)
    done = 0.0
    busy = 0.0
    wakes = 0
    what: list[str] = []
    while done < seconds:
        order = list(range(len(negatives)))
        rng.shuffle(order)
        for start in range(0, len(order), 8):  # mix ~8 sentences at a time: noise varies along the stream
            chunk = b""
            for j in order[start:start + 8]:
                gain = 10 ** (rng.uniform(-6, 3) / 20)
                pcm = (np.frombuffer(negatives[j][1], dtype="<i2") * gain).clip(-32768, 32767).astype("<i2")
                chunk += pcm.tobytes() + b"\0\0" * int(16000 * rng.uniform(0.1, 1.5))
            if rng.random() < 0.1:
                chunk += b"\0\0" * int(16000 * rng.uniform(2, 10))  # a stretch of room noise only
            snr = rng.choice([None, 20.0, 20.0, 10.0])
            mixed = _mix(chunk, snr, nrng, bed)
            t = time.perf_counter()
            for f in _frames(mixed):
                if spotter.accept(f):
                    wakes += 1
                    what.append(negatives[order[start]][0])
            busy += time.perf_counter() - t
            done += len(mixed) / 32000
            if done >= seconds:
                break
    return wakes, done, busy, what


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hours", type=float, default=5.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--sensitivity", type=float, default=0.5)
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args(argv)
    t0 = time.time()
    negatives, positives = build_pool(a.seed)
    pool_s = sum(len(p) for _, p in negatives) / 32000
    print(f"pool: {len(negatives)} non-wake clips ({pool_s / 60:.1f} min distinct speech, "
          f"{len(voices.available_voices())} voices); {len(positives)} wake clips; built in {time.time() - t0:.0f} s")
    det = detection(positives, negatives, a.sensitivity, a.seed)
    per = a.hours * 3600 / a.workers
    with mp.Pool(a.workers) as pool:
        parts = pool.map(_false_wakes, [(negatives, per, a.sensitivity, a.seed + 100 + i) for i in range(a.workers)])
    wakes = sum(p[0] for p in parts)
    audio = sum(p[1] for p in parts)
    busy = sum(p[2] for p in parts)
    hours = audio / 3600
    lo, hi = poisson_ci(wakes)
    print(f"\nwake_sensitivity {a.sensitivity}  (targets: detection >= 95% at 20 dB, < 0.5 false wakes/hour)\n")
    print("| measure | value | 95% interval |")
    print("|---|---|---|")
    for label, (k, n) in det.items():
        w = wilson(k, n)
        print(f"| detection, {label} | {k}/{n} = {k / n:.0%} | {w[0]:.0%}-{w[1]:.0%} |")
    print(f"| false wakes / hour | {wakes} in {hours:.2f} h = {wakes / hours:.2f} | {lo / hours:.2f}-{hi / hours:.2f} |")
    print(f"| spotter RTF (one core) | {busy / audio:.3f} | |")
    print(f"\ntotal {time.time() - t0:.0f} s wall")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
