"""Shards: ten minutes or two hundred phrases of augmented audio each, labelled per 80 ms step and embedded.

A shard is drawn from its own seeded generator, so its embeddings are cached in a file whose name holds
everything that decides its audio, and a later run with the same settings reuses it.
"""

from __future__ import annotations

import os
import random
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..speech.oww import STEP_S, embed, features
from .augment import SR, chords, colour, noise_bed, pink
from .text import PhraseTexts, sentences
from .voices import Voice, synth_many

POS_AFTER_S = (-0.08, 0.40)  # windows ending this close after the phrase's end are positives
IGNORE_S = (-0.60, 1.2)  # other windows this close to a phrase are neither (a partial phrase is ambiguous)


@dataclass(frozen=True)
class ShardSpec:
    kind: str  # pos | neg | near
    split: str  # train | dev
    index: int
    seed: int
    count: int  # positives or utterances in this shard
    seconds: float  # target audio length (negatives)

    def file_name(self) -> str:
        """Everything that decides the shard's audio is in its name (the voices and seed are in the folder's):
        a run with other ``--hours`` must not reuse a shard of another length."""
        return f"{self.kind}-{self.split}-{self.index:04d}-n{self.count}-{self.seconds:.0f}s-{self.seed}.npz"


def _prosody(rng: random.Random, voice: Voice) -> dict:
    p = {"pitch": rng.randint(20, 80), "speed": rng.randint(120, 210), "cents": 0, "tempo": 1.0}
    if voice.engine in ("piper", "kokoro"):
        # one speaker made many: sox's pitch shift moves the formants too (a shorter or longer vocal tract),
        # the model's own noise varies the delivery, its length scale the pace
        p.update(length=rng.uniform(0.75, 1.3), noise=rng.uniform(0.3, 1.0), noise_w=rng.uniform(0.3, 1.0),
                 cents=rng.choice([0, 0, *range(-500, 701, 100)]), mix=rng.uniform(0.2, 0.8))
        return p
    if voice.engine == "festival" or rng.random() < 0.3:
        p["cents"] = rng.choice([0, -400, -250, -150, 150, 250, 400])
        p["tempo"] = rng.choice([1.0, 0.85, 0.92, 1.1, 1.2])
    return p


def build_shard(spec: ShardSpec, voices: list[Voice], say: PhraseTexts, lines: list[str]
                ) -> tuple[np.ndarray, np.ndarray, list]:
    """The shard's audio stream (float32) and, per 80 ms step, a label: 1 wake, 0 not, -1 ignore."""
    rng = random.Random(spec.seed)
    nrng = np.random.default_rng(spec.seed)
    with tempfile.TemporaryDirectory() as td:
        tmp = Path(td)
        items: list[tuple[str, Voice, dict]] = []
        if spec.kind == "pos":
            for _ in range(spec.count):
                v = rng.choice(voices)
                text = rng.choice(say.variants)
                items.append((text, v, _prosody(rng, v)))
            leads = [(t, rng.choice(voices), _prosody(rng, voices[0])) for t in sentences(rng, spec.count // 3)]
            leads += [(t, rng.choice(voices), _prosody(rng, voices[0])) for t in say.near_misses(rng, spec.count // 6)]
            audio = synth_many(items + leads, tmp)
            phrases, lead_audio = audio[:len(items)], [a for a in audio[len(items):] if a.size]
        else:
            texts: list[str] = []
            while len(texts) < spec.count:
                if spec.kind == "near":
                    texts += say.near_misses(rng, 1)
                else:
                    r = rng.random()
                    if r < 0.15:
                        texts.append(rng.choice(lines))
                    elif r < 0.25:
                        texts += say.near_misses(rng, 1)
                    else:
                        texts.append(". ".join(sentences(rng, rng.randint(1, 4))))
            items = [(t, v, _prosody(rng, v)) for t in texts for v in [rng.choice(voices)]]
            audio = [a for a in synth_many(items, tmp) if a.size]
            phrases, lead_audio = [], []
    babble = np.concatenate([a / (np.std(a) or 1.0) for a in (audio if spec.kind != "pos" else lead_audio)[:40]]) \
        if (audio if spec.kind != "pos" else lead_audio) else np.zeros(0, np.float32)
    parts: list[np.ndarray] = []
    ends: list[int] = []
    pos = 0

    def put(x: np.ndarray) -> None:
        nonlocal pos
        parts.append(x.astype(np.float32))
        pos += x.size

    def gap(lo: float, hi: float) -> None:
        put(np.zeros(int(SR * rng.uniform(lo, hi)), np.float32))

    def speech(x: np.ndarray) -> np.ndarray:
        x = colour(x, nrng)
        return x / (np.std(x) or 1.0) * 10 ** (rng.uniform(-12, 6) / 20) * 3000

    if spec.kind == "pos":
        for x in phrases:
            if x.size == 0:
                continue
            if lead_audio and rng.random() < 0.4:
                put(speech(rng.choice(lead_audio)))
                gap(0.05, 0.6)
            else:
                gap(0.5, 1.6)
            put(speech(x))
            ends.append(pos)
            if lead_audio and rng.random() < 0.25:  # a command said in one breath
                gap(0.05, 0.25)
                put(speech(rng.choice(lead_audio)))
            gap(0.9, 1.5)
    else:
        order = list(range(len(audio)))
        rng.shuffle(order)
        for j in order:
            r = rng.random()
            if r < 0.05:
                put(chords(int(SR * rng.uniform(2, 8)), nrng) * 2000 * rng.uniform(0.2, 1.5))
            elif r < 0.08:
                put(pink(int(SR * rng.uniform(1, 5)), nrng, rng.choice([0.0, 1.0, 2.0])) * rng.uniform(100, 3000))
            put(speech(audio[j]))
            gap(0.1, 1.2)
            if pos >= spec.seconds * SR:
                break
    x = np.concatenate(parts) if parts else np.zeros(SR, np.float32)
    # a continuous noise bed whose kind and level change every few seconds (0-30 dB under the speech)
    bed = np.zeros_like(x)
    s = 0
    while s < x.size:
        e = min(x.size, s + int(SR * rng.uniform(3, 10)))
        snr = rng.choice([None, 30, 25, 20, 15, 10, 5, 0]) if spec.kind != "near" else rng.choice([None, 30, 20, 10])
        level = 3000 * 10 ** (-(snr if snr is not None else 55) / 20)
        bed[s:e] = noise_bed(e - s, nrng, babble) * level
        s = e
    x = np.clip(x + bed + nrng.standard_normal(x.size).astype(np.float32) * 2, -32768, 32767)
    n_steps = x.size // 1280
    t_end = (np.arange(n_steps) + 1) * STEP_S
    labels = np.zeros(n_steps, np.int8)
    for e in ends:
        dt = t_end - e / SR
        labels[(dt > IGNORE_S[0]) & (dt < IGNORE_S[1])] = -1
    for e in ends:
        dt = t_end - e / SR
        labels[(dt >= POS_AFTER_S[0]) & (dt <= POS_AFTER_S[1])] = 1
    return x.astype("<i2"), labels, [e / SR for e in ends]


def run_shard(args: tuple[ShardSpec, list[Voice], PhraseTexts, list[str], str]) -> str:
    spec, voices, say, lines, out = args
    path = Path(out)
    if path.exists():
        return out
    pcm, labels, ends = build_shard(spec, voices, say, lines)
    front = features()
    emb = embed(pcm.tobytes(), front)
    # the front end starts with 8 s of digital silence it embeds first: drop those steps
    emb = emb[-len(labels):] if len(emb) >= len(labels) else np.pad(emb, ((len(labels) - len(emb), 0), (0, 0)))
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, emb=emb.astype(np.float16), labels=labels, ends=np.array(ends, np.float32),
             seconds=np.float32(pcm.size / SR))
    os.replace(tmp, path)
    return out
