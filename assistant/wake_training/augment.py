"""Augmentation: rooms, microphones and noise beds that the recipe's clean speech is put through."""

from __future__ import annotations

import numpy as np

SR = 16000


def pink(n: int, rng: np.random.Generator, power: float = 1.0) -> np.ndarray:
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n)
    f[0] = f[1] if n > 1 else 1.0
    y = np.fft.irfft(spec / f ** (power / 2), n)
    return (y / (np.std(y) or 1.0)).astype(np.float32)


def chords(n: int, rng: np.random.Generator) -> np.ndarray:
    """Music-like sound: a sequence of synth chords with harmonics and a beat."""
    t = np.arange(n) / SR
    out = np.zeros(n, np.float32)
    seg = int(SR * rng.uniform(0.25, 0.8))
    for s in range(0, n, seg):
        root = 110 * 2 ** (rng.integers(0, 24) / 12)
        e = min(n, s + seg)
        env = np.exp(-np.arange(e - s) / (SR * rng.uniform(0.1, 0.6)))
        shapes = ([0, 4, 7], [0, 3, 7], [0, 5, 9], [0, 7, 12], [0, 4, 7, 11])
        for semis in shapes[int(rng.integers(0, len(shapes)))]:
            f0 = root * 2 ** (semis / 12)
            for h in (1, 2, 3):
                out[s:e] += (0.5 ** h) * np.sin(2 * np.pi * f0 * h * t[s:e] + rng.uniform(0, 6.3)) * env
    return out / (np.std(out) or 1.0)


def room(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A simulated room: direct sound, a few early reflections, an exponential diffuse tail."""
    rt60 = rng.uniform(0.1, 0.9)
    n = int(SR * min(rt60, 0.6))
    t = np.arange(n) / SR
    h = rng.standard_normal(n) * np.exp(-6.9 * t / rt60) * rng.uniform(0.05, 0.4)
    h[:int(SR * 0.003)] = 0
    h[0] = 1.0
    for _ in range(rng.integers(2, 6)):
        h[int(rng.uniform(0.003, 0.03) * SR)] += rng.uniform(0.2, 0.7) * rng.choice([-1, 1])
    m = x.size + n - 1
    k = 1 << (m - 1).bit_length()
    y = np.fft.irfft(np.fft.rfft(x, k) * np.fft.rfft(h, k), k)[:x.size]
    return (y * (np.std(x) / (np.std(y) or 1.0))).astype(np.float32)


def mic(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A random microphone/loudspeaker colouring: band limits, a tilt and one or two resonances."""
    k = 1 << (x.size - 1).bit_length()
    f = np.fft.rfftfreq(k, 1 / SR)
    lo, hi = rng.uniform(60, 350), rng.uniform(3400, 8000)
    g = 1 / np.sqrt(1 + (lo / np.maximum(f, 1)) ** 4) / np.sqrt(1 + (f / hi) ** 8)
    g *= (np.maximum(f, 50) / 1000) ** rng.uniform(-0.3, 0.3)
    for _ in range(rng.integers(0, 3)):
        fc, q, gain = rng.uniform(300, 5000), rng.uniform(1, 5), rng.uniform(-8, 8)
        g *= 10 ** (gain / 20 * np.exp(-((f - fc) / (fc / q)) ** 2))
    y = np.fft.irfft(np.fft.rfft(x, k) * g, k)[:x.size]
    return (y * (np.std(x) / (np.std(y) or 1.0))).astype(np.float32)


def colour(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    if x.size == 0:
        return x
    if rng.random() < 0.6:
        x = room(x, rng)
    if rng.random() < 0.7:
        x = mic(x, rng)
    return x


def noise_bed(n: int, rng: np.random.Generator, babble: np.ndarray) -> np.ndarray:
    kind = rng.choice(["pink", "white", "brown", "babble", "music", "mix"])
    if kind == "white":
        return rng.standard_normal(n).astype(np.float32)
    if kind == "brown":
        return pink(n, rng, 2.0)
    if kind == "babble" and babble.size > n:
        s = int(rng.integers(0, babble.size - n))
        seg = babble[s:s + n]
        return seg / (np.std(seg) or 1.0)
    if kind == "music":
        return chords(n, rng)
    if kind == "mix":
        return (pink(n, rng) + chords(n, rng)) / np.sqrt(2)
    return pink(n, rng)
