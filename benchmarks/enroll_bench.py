"""Personal enrollment for the wake phrase: does it help? The committed head with and without it, in one run.

    nice -n 5 .venv/bin/python benchmarks/enroll_bench.py [--hours 1] [--workers 2] [--fraction 0.9] [--control 0.65]

Issue 15, item 4: ``tandem wake enroll`` would ask each partner to say the phrase a few times and use the
clips -- kept only if that measurably helps. Each held-out voice of ``wake_bench.py``'s cached pools stands in
for a partner V in turn: V *enrolls* with five of its clean "hey tandem" clips (the first five of its clips
that say the phrase alone: the plain one and four with random pitch/tempo/reverb) and is *tested* on its other
eleven clips (some with a command after the phrase), each after a chatter sentence, clean / 20 dB / 10 dB --
the very trials of ``wake_bench.detection_trials``. Everyone's false wakes: ``--hours`` of chatter, one stream
per voice (``wake_bench.chatter_stream`` on that voice's sentences), so the rate on V's own chatter and on the
other voices' chatter is told apart; near-miss rejection on all of ``wake_bench.near_trials``.

Methods, each against the baseline (the card's ``openwakeword+quiet``: a chime at 0.7 held 2 steps, a quiet
wake at 0.5 held 2 steps) and a **control** without enrollment (everyone's chime lowered to ``--control``: a
point on the baseline's own curve, to tell a gain enrollment buys from one any lower threshold buys):

* **calibration**: V's chime threshold lowered to ``--fraction`` of the lowest peak (held for the card's steps)
  of V's enrollment clips, never below the card's quiet threshold nor above its chime threshold;
* **verification**: the enrollment clips' windows (the 16 embeddings ending at each clip's peak score) are
  templates; a quiet (borderline) wake chimes when its window's cosine similarity to the nearest template
  (in the head's normalised features) reaches the lowest leave-one-out similarity among the templates;
* **verification as a gate**: the same, and a borderline wake that does not match is dropped instead of
  listening quietly;
* **adaptation**: the linear head fine-tuned for V (``ADAPT_STEPS`` Adam steps, weights pulled back towards the
  committed ones) on the windows around the enrollment clips' peaks (with feature noise) against the
  recipe's *development* negatives (``--dev-shards``, ``make wake-model``'s cache: chatter and near-misses in
  voices never trained on, the hardest of them included); the card's thresholds as they are.

Audio is embedded once (the real ``OwwWake`` front end, in ``--workers`` processes); every method replays the
recorded step scores through ``OwwWake.accept`` itself (its front end bypassed), so thresholds, holds,
quiet-wake timing and refractory time are the product's. Rates have 95% intervals: Wilson for proportions,
exact-Poisson for false wakes per hour (the rate is averaged over the seven partners' settings replayed on the
same audio, so its interval is one setting's worth: the mean count in the chatter's hours).
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing as mp
import pickle
import sys
import time
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import wake_bench as wb  # noqa: E402

from assistant.speech.frames import FRAME_BYTES  # noqa: E402
from assistant.speech.oww import Head, OwwWake, model_path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
ENROLL_N = 5
ENROLL_TEXT = "hey tandem"
PEAK_SPAN = 10  # steps before a wake searched for its peak: the hold, the quiet wait (5) and a margin


@dataclass
class Recording:
    """What the detector computed on a stream: per frame the scores of the steps it completed, the window it
    started with and then one embedding per step, and the frame at which each segment of the stream began."""

    steps: list[list[float]]
    embs: np.ndarray  # (window + n_steps, 96)
    marks: list[int]

    @property
    def scores(self) -> np.ndarray:
        return np.array([s for st in self.steps for s in st], np.float64)

    def window(self, step: int, size: int) -> np.ndarray:
        """The embeddings the head read at ``step`` (0-based)."""
        return self.embs[step + 1:step + 1 + size]


@dataclass
class Event:
    frame: int
    step: int
    quiet: bool


# ---- the pure parts: calibration and verification rules ----

def held_peak(scores: Sequence[float], hold: int) -> float:
    """The highest score held for ``hold`` steps in a row (the most a threshold could be and still wake)."""
    s = np.asarray(scores, np.float64)
    if len(s) < hold:
        return 0.0
    held = np.min(np.lib.stride_tricks.sliding_window_view(s, hold), axis=1)
    return float(held.max())


def calibrated_threshold(peaks: Sequence[float], chime: float, quiet: float, fraction: float) -> float:
    """The chime threshold for one speaker: ``fraction`` of the lowest enrollment peak, within [quiet, chime]."""
    return float(min(chime, max(quiet, fraction * min(peaks))))


def head_features(windows: np.ndarray, head: Head) -> np.ndarray:
    """Windows (n, window, 96) as the head reads them: normalised per feature, flattened."""
    return ((windows - head.mean) / head.std).reshape(len(windows), -1).astype(np.float32)


def normalised(windows: np.ndarray, head: Head) -> np.ndarray:
    """Windows (n, window, 96) as unit vectors in the head's normalised feature space."""
    x = head_features(windows, head).astype(np.float64)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def loo_bound(templates: np.ndarray) -> float:
    """The lowest similarity of a template to its nearest other template (unit vectors, at least two)."""
    sim = templates @ templates.T
    np.fill_diagonal(sim, -np.inf)
    return float(sim.max(axis=1).min())


def nearest_similarity(window: np.ndarray, templates: np.ndarray) -> float:
    return float((templates @ window).max())


ADAPT_STEPS = 40
ADAPT_LR = 3e-4  # 40 steps move a weight by at most ~half the committed head's mean |w| (0.023)
ADAPT_ANCHOR = 1e-3  # L2 pull towards the committed weights: five clips must not rewrite the head
ADAPT_NOISE = 0.05  # feature noise on the positives, as the recipe's training adds
ADAPT_COPIES = 8


def adapt(w0: np.ndarray, b0: float, pos: np.ndarray, neg: np.ndarray, rng: np.random.Generator,
          lr: float = ADAPT_LR) -> tuple[np.ndarray, float]:
    """Logistic-regression weights fine-tuned from (w0, b0) on normalised, flattened windows ``pos``/``neg``.

    Positives weigh a quarter of the negatives in all (the recipe's balance), so a few clips cannot outvote
    the false wakes."""
    x_pos = np.repeat(pos, ADAPT_COPIES, axis=0)
    x_pos = x_pos + rng.standard_normal(x_pos.shape).astype(np.float32) * ADAPT_NOISE
    x = np.concatenate([x_pos, neg]).astype(np.float32)
    y = np.concatenate([np.ones(len(x_pos)), np.zeros(len(neg))]).astype(np.float32)
    wt = np.where(y > 0, 0.25 * len(neg) / len(x_pos), 1.0).astype(np.float32)
    wt /= wt.sum()
    w, b = w0.astype(np.float32).copy(), np.float32(b0)
    m, v = np.zeros(len(w) + 1, np.float32), np.zeros(len(w) + 1, np.float32)
    for step in range(1, ADAPT_STEPS + 1):
        p = 1 / (1 + np.exp(-np.clip(x @ w + b, -30, 30)))
        g = (p - y) * wt
        grad = np.append(x.T @ g + ADAPT_ANCHOR * (w - w0), g.sum())
        m = 0.9 * m + 0.1 * grad
        v = 0.999 * v + 0.001 * grad * grad
        upd = lr * (m / (1 - 0.9 ** step)) / (np.sqrt(v / (1 - 0.999 ** step)) + 1e-8)
        w, b = w - upd[:-1], np.float32(b - upd[-1])
    return w, float(b)


# ---- recording (the real front end, once) ----

def record(segments: Iterable[bytes]) -> Recording:
    det = OwwWake(sensitivity=wb.SENS, model=wb.HEAD, quiet=True)
    embs: list[np.ndarray] = []  # the first scored step's whole window, then one embedding per step
    steps: list[list[float]] = []
    marks: list[int] = []
    for pcm in segments:
        marks.append(len(steps))
        for i in range(0, len(pcm) - FRAME_BYTES + 1, FRAME_BYTES):
            got = det.score_steps(pcm[i:i + FRAME_BYTES])
            steps.append(got)
            if got:
                embs.extend(list(det._embs)[-len(got):] if embs else list(det._embs))
    marks.append(len(steps))
    return Recording(steps, np.stack(embs).astype(np.float32), marks)


def voice_of(label: str) -> str:
    return label.split()[0]


def enrollment_split(pos: list, voice: str) -> tuple[list[int], list[int]]:
    """Indices into the wake pool: V's enrollment clips (its first five saying the phrase alone), its tests."""
    mine = [i for i, p in enumerate(pos) if voice_of(p[0]) == voice]
    enroll = [i for i in mine if pos[i][1] == ENROLL_TEXT][:ENROLL_N]
    return enroll, [i for i in mine if i not in enroll]


CACHE: Path | None = None  # where recordings are kept between runs (the committed head's only)


def task(job: tuple) -> tuple[tuple, Recording]:
    """One recording, from the cache when an earlier run made it (the detection, near-miss and enrollment
    audio does not change with ``--hours``)."""
    path = CACHE / ("-".join(str(x) for x in job).replace(":", "_").replace(" ", "") + ".pickle") if CACHE else None
    if path is not None and path.exists():
        return job, pickle.loads(path.read_bytes())
    got = _record(job)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pickle.dumps(got))
    return job, got


def _record(job: tuple) -> Recording:
    kind = job[0]
    if kind == "det":
        return record(seg for pair in wb.detection_trials(job[1]) for seg in pair)
    if kind == "near":
        return record(clip for _, clip in wb.near_trials())
    if kind == "chat":
        _, voice, seconds, seed = job
        chat = [c for c in wb.POOLS["chat"] if c[0] == voice]
        return record(pcm for _, pcm in wb.chatter_stream(seconds, seed, chat))
    _, voice = job
    enroll, _ = enrollment_split(wb.POOLS["pos"], voice)
    return record(wb.silence(1.5) + wb.POOLS["pos"][i][2] + wb.silence(1.5) for i in enroll)


# ---- replay (the product's decision logic, on recorded scores) ----

_ZERO = b"\0" * FRAME_BYTES


def replay(det: OwwWake, rec: Recording, chime: float, listen: float) -> list[Event]:
    det.reset()
    det.threshold, det.listen_threshold = chime, listen
    now: list[list[float]] = [[]]
    det.score_steps = lambda _frame: now[0]  # type: ignore[method-assign]
    out: list[Event] = []
    step = 0
    for i, st in enumerate(rec.steps):
        now[0] = st
        step += len(st)
        if det.accept(_ZERO):
            out.append(Event(i, step - 1, det.last_wake.quiet))
    return out


def rescored(rec: Recording, head: Head, batch: int = 8192) -> Recording:
    """The same recording scored by another head (from its embeddings)."""
    win = np.lib.stride_tricks.sliding_window_view(rec.embs, head.window, axis=0)  # [k] = embs[k:k+window].T
    n = len(rec.embs) - head.window
    sc = np.concatenate([head.scores(win[1 + i:1 + min(i + batch, n)].transpose(0, 2, 1))
                         for i in range(0, n, batch)]) if n > 0 else np.zeros(0)
    ends = np.cumsum([len(st) for st in rec.steps])
    return Recording([sc[e - len(st):e].tolist() for st, e in zip(rec.steps, ends)], rec.embs, rec.marks)


def dev_negatives(folder: Path, head: Head, rng: np.random.Generator, n: int = 12000) -> np.ndarray:
    """``n`` windows of the recipe's development negatives (chatter, near-misses), a quarter of them the ones
    the committed head scores highest, as the head reads them."""
    from assistant.wake_training.fit import load, score_all, windows

    data, _ = load(sorted(folder.glob("neg-dev*.npz")) + sorted(folder.glob("near-dev*.npz")))
    sc = score_all(head, data.emb, data.ends_neg)
    hard = data.ends_neg[np.argsort(-sc)[:n // 4]]
    rest = rng.choice(np.setdiff1d(data.ends_neg, hard), size=n - len(hard), replace=False)
    return head_features(windows(data.emb, np.concatenate([hard, rest])), head)


def dev_folder() -> Path | None:
    """The newest folder of ``make wake-model``'s cache that holds development negatives."""
    found = {p.parent for p in (ROOT / ".cache" / "wake").glob("*/neg-dev*.npz")}
    found = sorted(found, key=lambda d: d.stat().st_mtime)
    return found[-1] if found else None


def peak_window(rec: Recording, scores: np.ndarray, step: int, size: int) -> np.ndarray:
    lo = max(0, step - PEAK_SPAN)
    return rec.window(lo + int(np.argmax(scores[lo:step + 1])), size)


@dataclass
class Enrolled:
    voice: str
    peaks: list[float]
    threshold: float
    templates: np.ndarray
    bound: float
    around: np.ndarray  # the head's features of the windows at and next to each clip's peak


def enroll(voice: str, rec: Recording, head: Head, fraction: float, chime: float, quiet: float) -> Enrolled:
    scores = rec.scores
    starts = np.cumsum([0] + [len(s) for s in rec.steps])  # step index at each frame
    peaks, wins, around = [], [], []
    for a, b in zip(rec.marks, rec.marks[1:]):
        s0, s1 = int(starts[a]), int(starts[b])
        seg = scores[s0:s1]
        peaks.append(held_peak(seg, head.hold))
        top = s0 + int(np.argmax(seg))
        wins.append(rec.window(top, head.window))
        around += [rec.window(j, head.window) for j in (top - 1, top, top + 1)]
    t = normalised(np.stack(wins), head)
    return Enrolled(voice, peaks, calibrated_threshold(peaks, chime, quiet, fraction), t, loo_bound(t),
                    head_features(np.stack(around), head))


METHODS = ("baseline", "control", "calibration", "verification", "verification as a gate", "adaptation")


def outcomes(events: list[Event], method: str, match: list[bool]) -> list[tuple[bool, bool]]:
    """(chimed, woke at all) per event under ``method`` (events replayed at its thresholds)."""
    if method in ("baseline", "control", "calibration", "adaptation"):
        return [(not e.quiet, True) for e in events]
    chimed = [not e.quiet or m for e, m in zip(events, match)]
    if method == "verification":
        return [(c, True) for c in chimed]
    return [(c, c) for c in chimed]


def trial_hits(events: list[Event], marks: list[int], outs: list[tuple[bool, bool]]) -> dict[int, tuple[bool, bool]]:
    """Per segment index: (a chime in it, any wake in it)."""
    hit: dict[int, tuple[bool, bool]] = {}
    for e, (c, w) in zip(events, outs):
        seg = bisect_right(marks, e.frame) - 1
        old = hit.get(seg, (False, False))
        hit[seg] = (old[0] or c, old[1] or w)
    return hit


def fmt_rate(k: int, hours: float, settings: int, base: int | None) -> str:
    """``k`` wakes summed over ``settings`` partners' settings replayed on the same audio (``hours`` in all): the
    interval is one setting's worth (k / settings wakes in hours / settings), as the settings share the audio."""
    lo, hi = wb.poisson_ci(round(k / settings))
    h1 = hours / settings
    ratio = "" if base is None else (f", x{k / base:.2f}" if base else ", x-")
    return f"{k / hours:.1f} ({lo / h1:.1f}-{hi / h1:.1f}{ratio})"


def fmt_prop(k: int, n: int) -> str:
    lo, hi = wb.wilson(k, n)
    return f"{k}/{n} = {k / max(n, 1):.0%} ({lo:.0%}-{hi:.0%})"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hours", type=float, default=1.0, help="hours of chatter (split over the voices)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--fraction", type=float, default=0.9, help="calibration: this fraction of the lowest peak")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--head", type=Path, help="measure this head file instead of models/hey_tandem.npz")
    ap.add_argument("--control", type=float, default=0.65,
                    help="the control column: no enrollment, everyone's chime threshold at this score")
    ap.add_argument("--adapt-lr", type=float, default=ADAPT_LR, help="adaptation: Adam's step size")
    ap.add_argument("--dev-shards", type=Path, help="make wake-model's cache folder with the dev negatives "
                    "(default: the newest under .cache/wake; none: no adaptation column)")
    a = ap.parse_args(argv)
    global CACHE
    wb.HEAD = a.head
    # the recordings hold the committed head's scores: a new head is a new cache
    sha = hashlib.sha256(model_path("hey tandem").read_bytes()).hexdigest()[:12]
    CACHE = ROOT / ".cache" / "enroll-bench" / f"pools-{a.seed}-{sha}" if a.head is None else None
    t0 = time.time()
    wb.load_pools(a.seed, a.workers)
    pos = wb.POOLS["pos"]
    vs = [v for v in wb.POOLS["voices"] if len(enrollment_split(pos, v)[0]) == ENROLL_N]
    per = a.hours * 3600 / len(vs)
    jobs: list[tuple] = [("chat", v, per, a.seed + 200 + i) for i, v in enumerate(vs)]
    jobs += [("det", snr) for snr in wb.SNRS] + [("near",)] + [("enroll", v) for v in vs]
    with mp.get_context("fork").Pool(a.workers) as pool:
        recs = dict(pool.map(task, jobs, chunksize=1))
    t_embed = time.time() - t0

    det = OwwWake(sensitivity=wb.SENS, model=wb.HEAD, quiet=True)
    head = det._head
    assert head is not None and det.listen_threshold is not None
    chime, quiet = det.threshold, det.listen_threshold
    people = {v: enroll(v, recs[("enroll", v)], head, a.fraction, chime, quiet) for v in vs}
    folder = None if a.dev_shards == Path("none") else a.dev_shards or dev_folder()
    methods = METHODS if folder is not None else METHODS[:-1]
    neg = dev_negatives(folder, head, np.random.default_rng(a.seed)) if folder is not None else None
    linear = head.w1.shape[1] == 2 and np.allclose(head.w1[:, 0], -head.w1[:, 1])
    if neg is not None and not linear:
        raise SystemExit("adaptation fine-tunes a linear head; this one is a perceptron: pass --dev-shards none")
    adapted: dict[tuple[str, int], Recording] = {}

    replays: dict[tuple[int, float], list[Event]] = {}
    scores: dict[int, np.ndarray] = {}

    def run(rec: Recording, method: str, p: Enrolled) -> tuple[list[Event], list[tuple[bool, bool]]]:
        t = p.threshold if method == "calibration" else a.control if method == "control" else chime
        key = (id(rec), t, p.voice if method == "adaptation" else "")
        if key not in replays:
            replays[key] = replay(det, adapted[(p.voice, id(rec))] if method == "adaptation" else rec, t, quiet)
        ev = replays[key]
        match = [False] * len(ev)
        if method.startswith("verification"):
            sc = scores.setdefault(id(rec), rec.scores)
            wins = [peak_window(rec, sc, e.step, head.window) for e in ev]
            match = [e.quiet and nearest_similarity(normalised(w[None], head)[0], p.templates) >= p.bound
                     for e, w in zip(ev, wins)]
        return ev, outcomes(ev, method, match)

    labels = ["clean" if s is None else f"{s:.0f} dB" for s in wb.SNRS]
    det_n = {lab: 0 for lab in labels}
    det_hits = {m: {lab: [0, 0] for lab in labels} for m in methods}
    chat_all = {m: [0, 0] for m in methods}
    chat_other = {m: [0, 0] for m in methods}
    near_ok = {m: [0, 0] for m in methods}
    h_all = h_other = 0.0
    chat_recs = {v: recs[("chat", v, per, a.seed + 200 + i)] for i, v in enumerate(vs)}
    seconds = {v: len(rec.steps) * FRAME_BYTES / 32000 for v, rec in chat_recs.items()}
    per_voice: list[str] = []
    n_near = len(wb.POOLS["near"])
    for v in vs:
        p = people[v]
        _, tests = enrollment_split(pos, v)
        if neg is not None:
            w, b = adapt(head.w1[:, 0], float(head.b1[0]), p.around, neg, np.random.default_rng(a.seed), a.adapt_lr)
            mine = Head.linear(w, b, head.mean, head.std, head.window, head.phrase)
            adapted.clear()
            adapted.update({(v, id(r)): rescored(r, mine) for k, r in recs.items() if k[0] != "enroll"})
        h_all += sum(seconds.values()) / 3600
        h_other += sum(s for w, s in seconds.items() if w != v) / 3600
        line = []
        for m in methods:
            for lab, snr in zip(labels, wb.SNRS):
                rec = recs[("det", snr)]
                ev, outs = run(rec, m, p)
                hits = trial_hits(ev, rec.marks, outs)
                got = [hits.get(2 * i + 1, (False, False)) for i in tests]
                det_hits[m][lab][0] += sum(c for c, _ in got)
                det_hits[m][lab][1] += sum(w for _, w in got)
                if m == "baseline":
                    det_n[lab] += len(tests)
                if lab == "20 dB":
                    line.append(f"{m} {sum(c for c, _ in got)}/{len(tests)}")
            for w, rec in chat_recs.items():
                _, outs = run(rec, m, p)
                c, k = sum(o[0] for o in outs), sum(o[1] for o in outs)
                chat_all[m][0] += c
                chat_all[m][1] += k
                if w != v:
                    chat_other[m][0] += c
                    chat_other[m][1] += k
            rec = recs[("near",)]
            ev, outs = run(rec, m, p)
            hits = trial_hits(ev, rec.marks, outs)
            near_ok[m][0] += n_near - sum(c for c, _ in hits.values())
            near_ok[m][1] += n_near - sum(w for _, w in hits.values())
        per_voice.append(f"  {v}: enrollment peaks {' '.join(f'{x:.2f}' for x in p.peaks)} -> chime threshold "
                         f"{p.threshold:.3f}; template bound {p.bound:.3f}; chimes at 20 dB: {', '.join(line)}")

    nv = len(vs)
    print(f"held-out voices standing in for a partner: {', '.join(vs)}; each enrolls with {ENROLL_N} clean clips "
          f"(its first {ENROLL_N} saying \"{ENROLL_TEXT}\" alone) and is tested on its other clips")
    print(f"chatter {sum(seconds.values()) / 3600:.2f} h ({sum(seconds.values()) / 60 / nv:.1f} min per voice), "
          f"{n_near} near-miss clips; embedded in {t_embed:.0f} s")
    print(f"card: chime {chime:.3g} x{head.hold}, quiet {quiet:.3g} x{head.hold}; calibration fraction {a.fraction}")
    print("\n" + "\n".join(per_voice) + "\n")
    print("| measure (averaged over the partners) | " + " | ".join(methods) + " |")
    print("|---|" + "---|" * len(methods))
    for lab in labels:
        print(f"| partner's detection, chime, {lab} | "
              + " | ".join(fmt_prop(det_hits[m][lab][0], det_n[lab]) for m in methods) + " |")
    for lab in labels:
        print(f"| partner's detection, any wake, {lab} | "
              + " | ".join(fmt_prop(det_hits[m][lab][1], det_n[lab]) for m in methods) + " |")
    for col, what in ((0, "false chimes / h"), (1, "false wakes / h (any)")):
        for where, tab, hours in (("all chatter", chat_all, h_all), ("other voices' chatter", chat_other, h_other)):
            base = tab["baseline"][col]
            print(f"| {what}, {where} | " + " | ".join(
                fmt_rate(tab[m][col], hours, nv, None if m == "baseline" else base) for m in methods) + " |")
    print("| near-miss rejection, no chime | " + " | ".join(f"{near_ok[m][0] / (nv * n_near):.1%}" for m in methods)
          + " |")
    print("| near-miss rejection, no wake | " + " | ".join(f"{near_ok[m][1] / (nv * n_near):.1%}" for m in methods)
          + " |")
    print(f"\ntotal {time.time() - t0:.0f} s wall")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
