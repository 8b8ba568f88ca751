"""The recipe as a whole: which shards, built in parallel and cached, then the head, its thresholds and its card.

``build`` is what ``make wake-model`` (``tools/wake_model.py``, the committed "hey tandem" head) and
``tandem wake train`` (a head for the couple's own phrase, on their device) both run; ``estimate`` times a
small sample of the same work first, so the time it takes can be said before it starts.
"""

from __future__ import annotations

import hashlib
import json
import math
import multiprocessing as mp
import os
import random
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ..speech.oww import STEP_S, Head
from .fit import (
    CASCADE_RECALL,
    QUIET_FA_PER_H,
    TARGET_FA_PER_H,
    THRESHOLDS,
    WINDOW,
    ZERO_EVENTS_95,
    cascade_threshold,
    evaluate,
    load,
    pick_operating_point,
    progress,
    quiet_threshold,
    train,
)
from .shards import ShardSpec, run_shard
from .text import DEFAULT_PHRASE, PhraseTexts, own_lines, phrase_texts
from .voices import KOKORO_VOICES, NEURAL_SPLITS, Voice, split_voices

RECIPE_VERSION = 4  # bump when the audio a shard holds changes
NEAR_MISS_VERSION = 2  # bump when the near-misses made for a phrase other than the default change
SHARD_S = 600.0
POS_PER_SHARD = 200
Log = Callable[[str], None]


@dataclass(frozen=True)
class RecipeSettings:
    """What decides the head. The defaults build the committed head in under an hour on 2 cores."""

    phrase: str = DEFAULT_PHRASE
    # negative audio (everyday speech, noise): with the other kinds, over 10 h of negatives in all (the issue's
    # floor); 3 h gave 7.7 h, and held-out near-miss rejection rose 83 -> 86% at the same false wakes (README)
    hours: float = 5.5
    near_hours: float = 0.75  # near-miss audio
    positives: int = 4000  # phrases in every voice (only with pos_voices "all")
    en_positives: int = 2000  # phrases in English-accented voices
    en_hours: float = 1.0  # more negative audio, English-accented voices only
    nn_positives: int = 2000  # phrases in the neural voices (if installed)
    nn_hours: float = 0.75
    # Kokoro is off by default: measured on the held-out benchmark it changed little (README) and its synthesis
    # is slow (about 45 min of the build for 800 phrases)
    kk_positives: int = 0
    kk_hours: float = 0.3
    pos_voices: str = "en"  # "en": the phrase in English-accented voices only; "all": in every voice
    workers: int = max(1, min(2, os.cpu_count() or 1))
    seed: int = 1
    hidden: int = 0  # 0: logistic regression (held-out voices fared better than with a perceptron)
    rounds: int = 3
    epochs: int = 4
    noise: float = 0.05  # noise added to normalised embeddings in training
    l2: float = 1e-4
    # each development stream is at least this long: a shorter one cannot resolve the false-wake target
    min_dev_s: float = 600.0

    def scaled(self, factor: float) -> "RecipeSettings":
        """The same recipe with ``factor`` times the audio (a quicker, weaker head)."""
        return replace(self, hours=self.hours * factor, near_hours=self.near_hours * factor,
                       en_hours=self.en_hours * factor, nn_hours=self.nn_hours * factor,
                       kk_hours=self.kk_hours * factor, positives=max(200, int(self.positives * factor)),
                       en_positives=max(200, int(self.en_positives * factor)),
                       nn_positives=max(200, int(self.nn_positives * factor)),
                       kk_positives=int(self.kk_positives * factor))


@dataclass(frozen=True)
class Built:
    path: Path
    sha256: str
    seconds: float
    head: Head


def plan(s: RecipeSettings, voices: dict[str, list[Voice]]) -> list[ShardSpec]:
    # phrases in every voice only with pos_voices "all": the others read the phrase with their own
    # phonemes, and a head trained on them caught fewer of the held-out English voices in noise
    dev_s = s.min_dev_s
    parts = [("pos", "train", s.positives, 0.0), ("pos", "dev", dev_count(s.positives), 0.0)] \
        if s.pos_voices == "all" else []
    if voices["train-nn"] and s.nn_positives > 0:
        parts += [("pos", "train-nn", s.nn_positives, 0.0), ("neg", "train-nn", 0, s.nn_hours * 3600)]
    if voices["train-kk"] and s.kk_positives > 0:
        parts += [("pos", "train-kk", s.kk_positives, 0.0), ("neg", "train-kk", 0, s.kk_hours * 3600)]
    parts += [("pos", "train-en", s.en_positives, 0.0), ("pos", "dev-en", dev_count(s.en_positives), 0.0),
              ("neg", "train-en", 0, s.en_hours * 3600), ("neg", "dev-en", 0, max(dev_s, s.en_hours * 720)),
              ("neg", "train", 0, s.hours * 3600), ("neg", "dev", 0, max(dev_s, s.hours * 720)),
              ("near", "train", 0, s.near_hours * 3600), ("near", "dev", 0, max(dev_s, s.near_hours * 720))]
    specs: list[ShardSpec] = []
    for kind, split, count, seconds in parts:
        if kind == "pos":
            per = min(POS_PER_SHARD, count)
            specs += [ShardSpec(kind, split, i, hash_seed(s.seed, kind, split, i), per, 0.0)
                      for i in range(max(1, count // POS_PER_SHARD))]
        else:
            n = max(1, int(math.ceil(seconds / SHARD_S - 1e-9)))
            per = 400 if kind == "near" else 130
            specs += [ShardSpec(kind, split, i, hash_seed(s.seed, kind, split, i), per, seconds / n)
                      for i in range(n)]
    return specs


def dev_count(train_count: int) -> int:
    """Development phrases: an eighth of the training ones, at least a shard's worth (or all of a small run's)."""
    return max(min(POS_PER_SHARD, train_count), train_count // 8)


def cache_key(s: RecipeSettings, voices: dict[str, list[Voice]]) -> str:
    parts: list[object] = [RECIPE_VERSION, s.seed, [v.label() for split in ("train", "dev") for v in voices[split]]]
    if s.phrase != DEFAULT_PHRASE:  # (the default's key predates other phrases: its cached shards stay valid)
        parts += [s.phrase, NEAR_MISS_VERSION]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:12]


def shard_jobs(s: RecipeSettings, voices: dict[str, list[Voice]], cache_root: Path, scripts_dir: Path
               ) -> tuple[Path, list[tuple[ShardSpec, list[Voice], PhraseTexts, list[str], str]]]:
    cache = cache_root / cache_key(s, voices)
    cache.mkdir(parents=True, exist_ok=True)
    specs = plan(s, voices)
    # the neural voices' shards sit in folders of their own, so adding a voice leaves the others' shards cached
    folder = {split: cache for split in {sp.split for sp in specs}}
    for split in set(NEURAL_SPLITS) & set(folder):
        folder[split] = cache / ("nn-" + hashlib.sha256(json.dumps([v.label() for v in voices[split]]).encode()
                                                        ).hexdigest()[:8])
        folder[split].mkdir(exist_ok=True)
    say, lines = phrase_texts(s.phrase), own_lines(scripts_dir, s.phrase)
    return cache, [(sp, voices[sp.split], say, lines, str(folder[sp.split] / sp.file_name())) for sp in specs]


def estimate(s: RecipeSettings, scripts_dir: Path, cache_root: Path) -> float:
    """Seconds the build will take here: a small shard of each kind (and voice family) is built and timed, and
    the plan's work still to do is scaled from it, divided among the workers; training adds about 30 s per hour of
    audio (measured on the committed head). "hey robin": said 27 min, took 27.2; --quick said 7, took 8.5."""
    voices = split_voices(s.seed)
    _, jobs = shard_jobs(s, voices, cache_root, scripts_dir)
    todo = [j for j in jobs if not Path(j[4]).exists()]
    rates: dict[tuple[str, str], float] = {}
    with tempfile.TemporaryDirectory() as td:
        for spec, vs, say, lines, _ in todo:
            key = (spec.kind, "nn" if spec.split in NEURAL_SPLITS else "other")
            if key in rates:
                continue
            small = replace(spec, count=10, seconds=20.0 if spec.kind != "pos" else 0.0)
            t0 = time.perf_counter()
            run_shard((small, vs, say, lines, str(Path(td) / small.file_name())))
            rates[key] = (time.perf_counter() - t0) / (small.count if spec.kind == "pos" else small.seconds)
    work = sum(rates[(sp.kind, "nn" if sp.split in NEURAL_SPLITS else "other")] *
               (sp.count if sp.kind == "pos" else sp.seconds) for sp, *_ in todo)
    audio_h = sum(sp.seconds if sp.kind != "pos" else sp.count * 4.0 for sp, *_ in jobs) / 3600
    return work / max(1, min(s.workers, len(todo) or 1)) + 30.0 * audio_h * s.rounds / 3


def build(s: RecipeSettings, out: Path, cache_root: Path, scripts_dir: Path, command: str,
          log: Log = print) -> Built:
    """Build the head for ``s.phrase`` into ``out`` (and its card beside it); shards cached under ``cache_root``."""
    t_start = time.time()
    voices = split_voices(s.seed)
    log_lines: list[str] = []

    def say(msg: str) -> None:
        log_lines.append(msg)
        log(msg)

    say(f"voices: {len(voices['train'])} training, {len(voices['dev'])} development "
        f"({sum(v.engine == 'festival' for v in voices['train'])} + "
        f"{sum(v.engine == 'festival' for v in voices['dev'])} festival)")
    cache, jobs = shard_jobs(s, voices, cache_root, scripts_dir)
    todo = [j for j in jobs if not Path(j[4]).exists()]
    say(f"{len(jobs)} shards ({len(jobs) - len(todo)} cached in {cache}); "
        f"building {len(todo)} with {s.workers} workers")
    t0 = time.time()
    progress(0, len(todo), t0, "audio+embeddings")
    if todo:
        with mp.Pool(s.workers) as pool:
            for k, _ in enumerate(pool.imap_unordered(run_shard, todo), 1):
                progress(k, len(todo), t0, "audio+embeddings")

    def by(kind: str, split: str) -> list[Path]:
        """The shards of a kind for "train" or "dev", with their English-accented and neural parts."""
        return [Path(j[4]) for j in jobs if j[0].kind == kind and (j[0].split in (split, split + "-en") or
                                                                      j[0].split in NEURAL_SPLITS and split == "train")]
    data, _ = load(by("pos", "train") + by("neg", "train") + by("near", "train"))
    say(f"training data: {len(data.ends_pos)} positive windows, {len(data.ends_neg)} negative windows "
        f"({len(data.ends_neg) * STEP_S / 3600:.2f} h), {data.seconds / 3600:.2f} h of audio")
    head = train(data, s.phrase, s.seed, s.hidden, s.rounds, s.epochs, say, s.noise, s.l2)
    thresholds = np.array(THRESHOLDS)
    devs = {h: evaluate(head, {"pos": by("pos", "dev"), "neg": by("neg", "dev"), "near": by("near", "dev")},
                        thresholds, h) for h in (1, 2, 3)}
    say("dev set (voices never trained on): steps in a row, threshold, detection, false wakes/h on chatter, "
        "on near-miss audio")
    for h, dev in devs.items():
        for i, t in enumerate(thresholds):
            say(f"  {h} {t:<7} {dev['detection'][i]:6.1%} {dev['fa_per_h'][i]:7.2f} {dev['near_fa_per_h'][i]:8.1f}")
    dev_hours = sum(float(np.load(p)["seconds"]) for p in by("neg", "dev")) / 3600
    hold, pick, cap = pick_operating_point(devs, thresholds, dev_hours)
    rule = (f"the best dev detection with at most {cap:.2f} false wakes/h on {dev_hours:.2f} h of dev chatter (the "
            f"target {TARGET_FA_PER_H}/h, or {ZERO_EVENTS_95:g} / dev hours when the dev set is too short to resolve "
            "it)")
    say(f"threshold rule: {rule}")
    dev = devs[hold]
    head.threshold = float(thresholds[pick])
    head.hold = hold
    head.cascade_threshold = cascade_threshold(devs[1], thresholds)
    say(f"cascade threshold {head.cascade_threshold} (1 step; the highest with at least {CASCADE_RECALL:.0%} dev "
        f"detection, else the lowest): dev {devs[1]['detection'][list(thresholds).index(head.cascade_threshold)]:.1%}")
    head.quiet_threshold = quiet_threshold(dev, thresholds, head.threshold)
    at = list(thresholds).index(head.quiet_threshold)
    say(f"quiet threshold {head.quiet_threshold} ({hold} step(s); the lowest with at most {QUIET_FA_PER_H:g} false "
        f"wakes/h on dev chatter): dev {dev['detection'][at]:.1%} detection, {dev['fa_per_h'][at]:.2f}/h")
    say(f"threshold {head.threshold}, {hold} step(s) in a row (dev: {dev['detection'][pick]:.1%} detection, "
        f"{dev['fa_per_h'][pick]:.2f} false wakes/h, {dev['near_fa_per_h'][pick]:.1f}/h on near-miss audio)")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    head.save(tmp, {"seed": s.seed, "recipe": cache.name})
    os.replace(tmp, out)  # a head half written is never loaded
    sha = hashlib.sha256(out.read_bytes()).hexdigest()
    seconds = time.time() - t_start
    write_card(s, out, command, voices, data, head, dev, thresholds, sha, seconds, log_lines, rule)
    say(f"wrote {out} ({out.stat().st_size // 1024} KB, sha256 {sha}) in {seconds / 60:.1f} min")
    return Built(out, sha, seconds, head)


def hash_seed(seed: int, *parts: object) -> int:
    return int.from_bytes(hashlib.sha256(repr((seed, *parts)).encode()).digest()[:4], "little")


def write_card(  # type: ignore[no-untyped-def]
        s: RecipeSettings, out: Path, command: str, voices, data, head, dev, thresholds, sha, seconds, log_lines,
        rule) -> None:
    langs = sorted({v.name for v in voices["train"] if v.engine == "espeak"})
    fest = sorted({v.name for v in voices["train"] if v.engine == "festival"})
    dev_names = sorted({v.label() for v in voices["dev"] if not v.variant})
    en_train = sorted({v.name for v in voices["train-en"]})
    form = (f"a logistic regression over the last {WINDOW} embeddings ({WINDOW * 96} weights, stored as a "
            f"2-unit head: relu(z) - relu(-z) = z)") if s.hidden == 0 else \
        f"a {WINDOW * 96}-{s.hidden}-1 perceptron over the last {WINDOW} embeddings"
    phrases = (f"~{s.en_positives} phrases in English-accented espeak-ng voices ({', '.join(en_train)}, with "
               "their variants)") if s.pos_voices == "en" else \
        f"~{s.positives} phrases in every training voice plus ~{s.en_positives} in English-accented ones"
    neural = [f"~{s.nn_positives} phrases and {s.nn_hours:g} h of other speech in the piper voice "
              f"({voices['train-nn'][0].name})"] if voices["train-nn"] else []
    neural += [f"~{s.kk_positives} phrases and {s.kk_hours:g} h of other speech in Kokoro-82M's Japanese voices "
               f"({', '.join(KOKORO_VOICES)}) and their blends, reading espeak-ng's US English phonemes; piper and "
               "Kokoro prosody drawn per phrase (length 0.75-1.3, noise 0.3-1.0) and pitch moved -500..+700 cents"
               ] if voices["train-kk"] and s.kk_positives > 0 else []
    if neural:
        phrases += "; " + "; ".join(neural) + " (training only)"
    near = ('"hey tender", "say tandem", "hey ten men", "a tandem bicycle", ...' if s.phrase == DEFAULT_PHRASE else
            ", ".join(f'"{t}"' for t in phrase_texts(s.phrase).near_misses(random.Random(0), 4)) + ", ...")
    held_out = ("see the README's wake table (`benchmarks/wake_bench.py`)." if s.phrase == DEFAULT_PHRASE else
                "none in this card: the head was trained on its device (`benchmarks/phrase_bench.py` measures one on "
                "held-out voices).")
    card = f"""# {out.name} — the "{s.phrase}" wake head

Built by {command} in {seconds / 60:.0f} min
on this machine. SHA-256 of `{out.name}`:
`{sha}`.

**Model**: pyopen-wakeword's front end (melspectrogram + speech embedding, one 96-number
embedding per 80 ms), then this head: {form} (weights float16, numpy at run time).
Threshold **{head.threshold}**, reached {head.hold} step(s) in a row, at
`wake_sensitivity` 0.5, picked on the development set (below) by the rule: {rule}; sensitivity
moves it in log-odds, never below the cascade threshold (`assistant/speech/oww.py`). As the first stage
of `openwakeword+check` the head
runs at its **cascade threshold {head.cascade_threshold}** (one step): the highest with at least
{CASCADE_RECALL:.0%} dev detection, else the lowest tried; the PocketSphinx near-miss check decides.
With `openwakeword+quiet` a score that holds the **quiet threshold {head.quiet_threshold}** ({head.hold} step(s))
but not the threshold wakes without a chime and answers only a sure command: the lowest threshold with at
most {QUIET_FA_PER_H:g} false wakes/h on the dev chatter.

**Phrases**: {phrases}. **Other audio**: espeak-ng, {len(langs)} Latin-script language voices
({", ".join(langs)}), each with its variants and random pitch (20-80) and speed (120-210 wpm);
festival's non-English voices reading English: {", ".join(fest) or "none installed"}.
Development voices (never trained on): {", ".join(dev_names)} and some variants.
Held out for the benchmark only: every English festival voice and every voice of Debian's other
small synthesiser (see `benchmarks/wake_bench.py`).

**Augmentation**: sox pitch (±150-400 cents) and tempo (0.85-1.2); a simulated room (RT60
0.1-0.9 s, early reflections) on 60%; a random microphone colouring on 70%; a continuous noise
bed changing every 3-10 s (pink, white, brown, babble, synthetic chords, or a mix) at 0-30 dB SNR or
clean; gain -12..+6 dB; some phrases preceded by other speech or followed by a command.

**Data**: {len(data.ends_pos)} positive windows; {data.seconds / 3600:.2f} h of training
audio in all, {len(data.ends_neg) * STEP_S / 3600:.2f} h of it negative (every 80 ms step with no phrase ending in
it): everyday sentences from templates, near-misses ({near}), Tandem's own lines (`scripts/*.yaml`),
music-like chords and noise.
Hard negatives mined over {s.rounds} rounds.

**Development set** (threshold, detection, false wakes/h on chatter, false wakes/h on near-miss audio):

| threshold | detection | false wakes/h | near-miss wakes/h |
|---|---|---|---|
""" + "\n".join(f"| {t} | {dev['detection'][i]:.1%} | {dev['fa_per_h'][i]:.2f} | {dev['near_fa_per_h'][i]:.1f} |"
               for i, t in enumerate(thresholds)) + f"""

**Held-out metrics**: {held_out}

Build log:

```
""" + "\n".join(log_lines) + "\n```\n"
    out.with_suffix(".md").write_text(card)
