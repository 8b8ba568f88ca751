"""Fitting the head: loading shards, training with hard negatives mined in rounds, scoring a development set,
and the rules that pick its thresholds. Plain numpy, no audio."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..speech.oww import EMB_DIM, STEP_S, Head

WINDOW = 16
TARGET_FA_PER_H = 0.5
CASCADE_RECALL = 0.95  # the first stage of a cascade should let nearly every phrase through to the check
# A quiet wake makes no sound unless it hears a sure command, but each one listens for a few seconds, deaf to
# the next call: at 30 an hour, about 4 minutes in 60.
QUIET_FA_PER_H = 30.0
# Zero events in T hours only bounds a rate below 3/T (95%, Poisson): a shorter dev set cannot tell 0.5/h from 0.
ZERO_EVENTS_95 = 3.0
THRESHOLDS = (0.3, 0.5, 0.7, 0.8, 0.85, 0.9, 0.93, 0.95, 0.97, 0.98, 0.985, 0.99, 0.995, 0.997, 0.998, 0.999,
              0.9995, 0.9999)


def progress(done: int, total: int, t0: float, what: str) -> None:
    frac = done / max(total, 1)
    el = time.time() - t0
    eta = el / frac - el if frac > 0 else 0
    bar = "#" * int(30 * frac) + "-" * (30 - int(30 * frac))
    sys.stderr.write(f"\r{what} [{bar}] {done}/{total}  {el / 60:4.1f} min, ~{eta / 60:4.1f} min left ")
    sys.stderr.flush()
    if done >= total:
        sys.stderr.write("\n")


def windows(emb: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """The 16-step windows ending at ``idx`` (idx >= WINDOW - 1)."""
    off = np.arange(-WINDOW + 1, 1)
    return emb[idx[:, None] + off[None, :]].astype(np.float32)


@dataclass
class Data:
    emb: np.ndarray  # all steps of all shards, concatenated
    ends_pos: np.ndarray  # window-end indices of positives
    ends_neg: np.ndarray
    seconds: float


def load(paths: list[Path]) -> tuple[Data, list[tuple[int, int, np.ndarray, float]]]:
    """Every shard's steps in one array; per shard (offset, length, phrase-end times, seconds)."""
    embs, pos, neg, meta = [], [], [], []
    off = 0
    for p in paths:
        with np.load(p) as z:
            e, lab = z["emb"], z["labels"]
            ok = np.arange(len(lab)) >= WINDOW - 1
            pos.append(np.nonzero(ok & (lab == 1))[0] + off)
            neg.append(np.nonzero(ok & (lab == 0))[0] + off)
            meta.append((off, len(lab), z["ends"], float(z["seconds"])))
            embs.append(e)
            off += len(lab)
    return Data(np.concatenate(embs), np.concatenate(pos), np.concatenate(neg), sum(m[3] for m in meta)), meta


def train(data: Data, phrase: str, seed: int, hidden: int, rounds: int, epochs: int, log: Callable[[str], None],
          noise: float = 0.05, l2: float = 1e-4) -> Head:
    rng = np.random.default_rng(seed)
    sample = data.emb[rng.choice(len(data.emb), size=min(len(data.emb), 200000), replace=False)].astype(np.float32)
    mean, std = sample.mean(0), sample.std(0) + 1e-3
    d = WINDOW * EMB_DIM
    linear = hidden == 0  # logistic regression: fewer ways to learn the training voices themselves
    if linear:
        params = [np.zeros(d, np.float32), np.zeros(1, np.float32)]
    else:
        w1 = (rng.standard_normal((d, hidden)) * np.sqrt(2 / d)).astype(np.float32)
        b1 = np.zeros(hidden, np.float32)
        w2 = (rng.standard_normal(hidden) * np.sqrt(1 / hidden)).astype(np.float32)
        params = [w1, b1, w2, np.zeros(1, np.float32)]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    step = 0
    neg_pool = rng.choice(data.ends_neg, size=min(len(data.ends_neg), 150000), replace=False)
    hard = np.zeros(0, np.int64)
    for r in range(rounds):
        negs = np.concatenate([neg_pool, np.repeat(hard, 3)])
        idx = np.concatenate([data.ends_pos, negs])
        y = np.concatenate([np.ones(len(data.ends_pos), np.float32), np.zeros(len(negs), np.float32)])
        wpos = len(negs) / max(len(data.ends_pos), 1) * 0.25  # positives count more; false wakes still dominate
        wt = np.where(y > 0, wpos, 1.0).astype(np.float32)
        t0 = time.time()
        for ep in range(epochs):
            order = rng.permutation(len(idx))
            lr = 2e-3 * (0.7 ** ep)
            for b in range(0, len(order), 1024):
                sel = order[b:b + 1024]
                x = ((windows(data.emb, idx[sel]) - mean) / std).reshape(len(sel), -1)
                # augmentation in feature space: noise on the (normalised) embeddings
                x += rng.standard_normal(x.shape).astype(np.float32) * noise
                if linear:
                    z = x @ params[0] + params[1][0]
                else:
                    h_pre = x @ params[0] + params[1]
                    h = np.maximum(h_pre, 0)
                    z = h @ params[2] + params[3][0]
                p = 1 / (1 + np.exp(-np.clip(z, -30, 30)))
                g = (p - y[sel]) * wt[sel] / wt[sel].sum()
                if linear:
                    grads: tuple[np.ndarray, ...] = (x.T @ g + l2 * params[0], np.array([g.sum()], np.float32))
                else:
                    gh = np.outer(g, params[2]) * (h_pre > 0)
                    grads = (x.T @ gh + l2 * params[0], gh.sum(0), h.T @ g, np.array([g.sum()], np.float32))
                step += 1
                for i, gr in enumerate(grads):
                    m[i] = 0.9 * m[i] + 0.1 * gr
                    v[i] = 0.999 * v[i] + 0.001 * gr * gr
                    params[i] -= lr * (m[i] / (1 - 0.9 ** step)) / (np.sqrt(v[i] / (1 - 0.999 ** step)) + 1e-8)
            progress(ep + 1, epochs, t0, f"round {r + 1}/{rounds}")
        head = (Head.linear(params[0], float(params[1][0]), mean, std, WINDOW, phrase) if linear else
                Head(params[0], params[1], params[2], float(params[3][0]), mean, std, WINDOW, phrase, 0.5))
        # hard negatives: the training negatives (all of them, not just the pool) the head likes most
        sc = score_all(head, data.emb, data.ends_neg)
        # at most 20,000 a round: a linear head scores a fifth of everything above 0.2 in its first round
        top = data.ends_neg[np.argsort(-sc)[:min(20000, max(2000, int((sc > 0.2).sum())))]]
        hard = np.unique(np.concatenate([hard, top]))
        log(f"round {r + 1}: {int((sc > 0.5).sum())} of {len(sc)} training negatives above 0.5; "
            f"{len(hard)} hard negatives kept")
    return head


def score_all(head: Head, emb: np.ndarray, idx: np.ndarray, batch: int = 8192) -> np.ndarray:
    out = np.empty(len(idx), np.float32)
    for b in range(0, len(idx), batch):
        out[b:b + batch] = head.scores(windows(emb, idx[b:b + batch]))
    return out


def events(scores: np.ndarray, threshold: float, refractory: int = 19) -> np.ndarray:
    """Step indices where a streaming detector with that threshold and refractory period fires."""
    fired = []
    deaf = -1
    for i in np.nonzero(scores >= threshold)[0]:
        if i > deaf:
            fired.append(i)
            deaf = i + refractory
    return np.array(fired, np.int64)


def held(scores: np.ndarray, hold: int) -> np.ndarray:
    """Each step's lowest score over the last ``hold`` steps: a wake needs ``hold`` steps in a row."""
    out = scores.copy()
    for k in range(1, hold):
        out[k:] = np.minimum(out[k:], scores[:-k])
        out[:k] = 0.0
    return out


def evaluate(head: Head, paths: dict[str, list[Path]], thresholds: np.ndarray, hold: int = 1) -> dict[str, np.ndarray]:
    """Per threshold: detection on positives, false wakes/h on chatter, near-miss wakes per utterance."""
    res: dict[str, np.ndarray] = {}
    for kind, ps in paths.items():
        if not ps:
            continue
        data, meta = load(ps)
        allidx = np.arange(WINDOW - 1, len(data.emb))
        sc = np.zeros(len(data.emb), np.float32)
        sc[allidx] = score_all(head, data.emb, allidx)
        sc = np.concatenate([held(sc[off:off + ln], hold) for off, ln, _, _ in meta])
        if kind == "pos":
            det = np.zeros(len(thresholds))
            n = 0
            for off, length, ends, _ in meta:
                s = sc[off:off + length]
                for e in ends:
                    a = int(e / STEP_S) - 1
                    best = s[max(a, 0):a + 8].max() if a < length else 0.0
                    det += best >= thresholds
                    n += 1
            res["detection"] = det / max(n, 1)
        else:
            fw = np.array([sum(len(events(sc[off:off + ln], t)) for off, ln, _, _ in meta) for t in thresholds])
            res["fa_per_h" if kind == "neg" else "near_fa_per_h"] = fw / (data.seconds / 3600)
    return res


def cascade_threshold(dev: dict[str, np.ndarray], thresholds: np.ndarray) -> float:
    """The highest threshold whose dev detection (one step) is at least CASCADE_RECALL, else the lowest."""
    ok = [float(t) for t, d in zip(thresholds, dev["detection"]) if d >= CASCADE_RECALL]
    return max(ok) if ok else float(min(thresholds))


def quiet_threshold(dev: dict[str, np.ndarray], thresholds: np.ndarray, chime: float) -> float:
    """The lowest threshold, not above the chime's, whose dev chatter false wakes are at most QUIET_FA_PER_H."""
    ok = [float(t) for t, fa in zip(thresholds, dev["fa_per_h"]) if fa <= QUIET_FA_PER_H + 1e-9 and t <= chime]
    return min(ok) if ok else chime


def pick_operating_point(devs: dict[int, dict[str, np.ndarray]], thresholds: np.ndarray,
                         dev_hours: float) -> tuple[int, int, float]:
    """(steps in a row, threshold index, false-wake cap): the best dev detection whose chatter false wakes are
    at most the target or, when the dev chatter is too short to measure the target, the smallest rate it can
    resolve; fewer near-miss wakes, then fewer steps, break ties. If no point meets the cap, the fewest false
    wakes that keep 80% detection."""
    cap = max(TARGET_FA_PER_H, ZERO_EVENTS_95 / max(dev_hours, 1e-9))
    cands = [(h, i) for h in sorted(devs) for i in range(len(thresholds))]
    ok = [c for c in cands if devs[c[0]]["fa_per_h"][c[1]] <= cap + 1e-9]
    if ok:
        hold, pick = max(ok, key=lambda c: (devs[c[0]]["detection"][c[1]],
                                            -devs[c[0]].get("near_fa_per_h", np.zeros(len(thresholds)))[c[1]], -c[0]))
    else:
        keep = [c for c in cands if devs[c[0]]["detection"][c[1]] >= 0.8] or cands
        hold, pick = min(keep, key=lambda c: (devs[c[0]]["fa_per_h"][c[1]], -devs[c[0]]["detection"][c[1]]))
    return hold, pick, cap
