"""A couple's own wake phrase: the head ``tandem wake train`` built against the keyword spotter it replaces.

    .venv/bin/python benchmarks/phrase_bench.py --phrase "hey robin" [--head $TANDEM_HOME/models/wake/hey_robin.npz]

The same held-out voices as ``wake_bench.py`` (every flite and English festival voice, never in training) say
the phrase alone or with a command (16 clips per voice, random pitch/tempo/reverb), each after a chatter
sentence, clean and with pink + babble noise at 20 and 10 dB; false wakes per hour on ``wake_bench.py``'s
ordinary chatter (``--hours``); near-miss rejection on near-misses written here by hand for the phrase
(``--near``; never the recipe's own generator). Three columns through ``make_wake_detector`` itself: the
spotter, the head (chimes), and the head with quiet wakes (every wake, chimed or quiet: each one listens).
Prints a markdown table.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import multiprocessing as mp
import pickle
import random
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import voices  # noqa: E402
import wake_bench as wb  # noqa: E402

from assistant.config import HomePaths, home_root  # noqa: E402
from assistant.speech.frames import FRAME_BYTES  # noqa: E402
from assistant.speech.oww import head_file_name  # noqa: E402
from assistant.speech.wake import make_wake_detector  # noqa: E402

KINDS = ("pocketsphinx", "openwakeword", "openwakeword+quiet")
COMMANDS = ("", "", " start our gratitude moment", " what can you do")
# Near-misses of "hey robin", written for this benchmark (the recipe makes its own from a dictionary).
ROBIN_NEAR = ("hey rob", "hey robbie", "hey ribbon", "hey rabbit", "hey robot", "a robin", "the robin sang",
              "hey robert", "say robin", "hey rubin", "hey roman", "hey bobbin", "hey rob him", "hey raven",
              "hey rockin", "they rob in", "hey rollin", "hey roberta", "hey rhubarb", "hey rosin", "hey robins nest",
              "hey rubbing", "hey rotten", "hey robe", "hey rip in", "pay robin", "hey bruin", "hey corbin",
              "hey dobbin", "they're robbing")
SETUP: dict[str, object] = {}


def build_pool(phrase: str, near: list[str], seed: int, workers: int, pos_per_voice: int,
               near_per_voice: int) -> dict[str, list]:
    rng = random.Random(seed)
    pos_jobs, near_jobs = [], []
    for v in wb.held_out_voices():
        for k in range(pos_per_voice):
            var = voices.Variation("plain") if k == 0 else voices.random_variation(rng)
            pos_jobs.append((phrase + COMMANDS[k % len(COMMANDS)], v, var))
        for t in (near * math.ceil(near_per_voice / len(near)))[:near_per_voice]:
            near_jobs.append((t, v, voices.random_variation(rng) if rng.random() < 0.5 else voices.Variation("plain")))
    with mp.Pool(workers * 2) as pool:
        out = pool.map(wb._synth, pos_jobs + near_jobs, chunksize=8)
    a = len(pos_jobs)
    return {"pos": [p for p in out[:a] if p], "near": [(j[0], p) for j, p in zip(near_jobs, out[a:]) if p]}


def detectors() -> dict[str, object]:
    phrase, head = str(SETUP["phrase"]), Path(str(SETUP["head"]))
    return {k: make_wake_detector(phrase, 0.5, k, [head.parent]) for k in KINDS}


def feed(dets: dict[str, object], pcm: bytes) -> dict[str, int]:
    got = {k: 0 for k in dets}
    for i in range(0, len(pcm) - FRAME_BYTES + 1, FRAME_BYTES):
        frame = pcm[i:i + FRAME_BYTES]
        for k, d in dets.items():
            got[k] += bool(d.accept(frame))  # type: ignore[attr-defined]
    return got


def task_detection(snr: float | None) -> tuple[float | None, dict[str, int], int]:
    dets = detectors()
    pool = SETUP["pool"]
    rng = np.random.default_rng(11 if snr is None else int(snr))
    bed = wb._bed(5)
    chat = wb.POOLS["chat"]
    hits = {k: 0 for k in KINDS}
    for i, pcm in enumerate(pool["pos"]):  # type: ignore[index]
        feed(dets, voices.mix_at_snr(chat[(i * 7) % len(chat)][1] + wb.silence(0.5), snr, rng, bed))
        got = feed(dets, voices.mix_at_snr(pcm + wb.silence(1.5), snr, rng, bed))
        for k in KINDS:
            hits[k] += got[k] > 0
    return snr, hits, len(pool["pos"])  # type: ignore[index]


def task_near(_: int) -> tuple[dict[str, int], int, dict[str, list[str]]]:
    dets = detectors()
    pool = SETUP["pool"]
    rng = np.random.default_rng(3)
    bed = wb._bed(6)
    woke = {k: 0 for k in KINDS}
    which: dict[str, list[str]] = {k: [] for k in KINDS}
    for j, (text, pcm) in enumerate(pool["near"]):  # type: ignore[index]
        got = feed(dets, voices.mix_at_snr(pcm + wb.silence(1.6), [None, 20.0, 10.0][j % 3], rng, bed))
        for k in KINDS:
            if got[k]:
                woke[k] += 1
                which[k].append(text)
    return woke, len(pool["near"]), which  # type: ignore[index]


def task_chatter(args: tuple[float, int]) -> tuple[dict[str, int], float]:
    seconds, seed = args
    dets = detectors()
    wakes = {k: 0 for k in KINDS}
    done = 0.0
    for _voice, mixed in wb.chatter_stream(seconds, seed):
        got = feed(dets, mixed)
        for k in KINDS:
            wakes[k] += got[k]
        done += len(mixed) / 32000
    return wakes, done


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--phrase", default="hey robin")
    ap.add_argument("--head", type=Path, help="the head file tandem wake train wrote (default: the one in "
                                              "the Tandem home, models/wake/)")
    ap.add_argument("--near", default=",".join(ROBIN_NEAR), help="near-misses, comma-separated")
    ap.add_argument("--hours", type=float, default=0.5)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--pos-per-voice", type=int, default=16)
    ap.add_argument("--near-per-voice", type=int, default=40)
    a = ap.parse_args(argv)
    if a.head is None:
        a.head = HomePaths(home_root()).wake_models / head_file_name(a.phrase)
    if not a.head.exists():  # ``make bench`` runs every benchmark: this one needs a head trained on the device first
        print(f"phrase_bench: no head at {a.head}; train one with 'tandem wake train --phrase \"{a.phrase}\"' "
              "(or pass --head): skipped")
        return 0
    t0 = time.time()
    wb.load_pools(a.seed, a.workers)  # the chatter (and its babble bed) of wake_bench.py, cached
    cache = wb.ROOT / ".cache" / "wake-bench" / (f"phrase-{a.phrase.replace(' ', '_')}-{a.seed}-{a.pos_per_voice}-"
                                                 f"{a.near_per_voice}-{hashlib.sha256(a.near.encode()).hexdigest()[:8]}.pickle")
    if cache.exists():
        pool = pickle.loads(cache.read_bytes())
    else:
        pool = build_pool(a.phrase, [t.strip() for t in a.near.split(",") if t.strip()], a.seed, a.workers,
                          a.pos_per_voice, a.near_per_voice)
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_bytes(pickle.dumps(pool))
    SETUP.update(phrase=a.phrase, head=str(a.head.resolve()), pool=pool)
    for k, d in detectors().items():
        print(f"{k}: {getattr(d, 'kind', k)} {getattr(d, 'model_name', '')}", file=sys.stderr)
    chunks = max(1, a.workers)
    with mp.Pool(a.workers) as mpool:
        det = mpool.map_async(task_detection, [None, 20.0, 10.0])
        near = mpool.map_async(task_near, [0])
        chat = mpool.map_async(task_chatter, [(a.hours * 3600 / chunks, a.seed + 100 + i) for i in range(chunks)])
        det_r, near_r, chat_r = det.get(), near.get()[0], chat.get()
    hours = sum(c[1] for c in chat_r) / 3600
    fw = {k: sum(c[0][k] for c in chat_r) for k in KINDS}
    print(f"\n\"{a.phrase}\": {len(pool['pos'])} held-out clips per noise level, {near_r[1]} near-misses, "
          f"{hours:.2f} h of chatter ({(time.time() - t0) / 60:.1f} min)\n")
    print("| measure | " + " | ".join(KINDS) + " |")
    print("|---|" + "---|" * len(KINDS))
    for snr, hits, n in det_r:
        cells = [f"{hits[k] / n:.0%} ({wb.wilson(hits[k], n)[0]:.0%}-{wb.wilson(hits[k], n)[1]:.0%})" for k in KINDS]
        print(f"| detection, {'clean' if snr is None else f'{snr:.0f} dB'} | " + " | ".join(cells) + " |")
    cells = [f"{fw[k] / hours:.1f} ({wb.poisson_ci(fw[k])[0] / hours:.1f}-{wb.poisson_ci(fw[k])[1] / hours:.1f})"
             for k in KINDS]
    print("| false wakes / h, chatter | " + " | ".join(cells) + " |")
    print("| near-miss rejection | " + " | ".join(f"{1 - near_r[0][k] / near_r[1]:.0%}" for k in KINDS) + " |")
    for k in KINDS:
        common = sorted(set(near_r[2][k]), key=near_r[2][k].count, reverse=True)[:6]
        print(f"{k} woke on: {', '.join(common) or '-'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
