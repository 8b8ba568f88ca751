"""Benchmark the intent matcher on the public corpora (a script, not a test).

    .venv/bin/python benchmarks/nlu_bench.py [--corpus DIR] [--intents DIR]

Splits ``dev.jsonl`` + ``dev-more.jsonl`` deterministically (a hash of the
text) into a tuning part and a held-out part, adds a generated noisy variant
(fillers, dropped short words, homophone swaps) and ``authored.jsonl`` (340
sentences written beside the templates, not from the corpora), ``generalisation.jsonl``
and ``generalisation-holdout.jsonl`` (natural phrasings and near-misses written
before a generalisation pass; the holdout's misses are not listed unless asked),
``blind-2-tune.jsonl`` (written by someone who never saw the templates; it
tuned the general stage, so it is a *tuning* set now, scored with a paused
exercise resumable as the blind scorer does) and ``blind-2-more.jsonl`` (more
of the same, released later and tuned on too: sounds, contextual words,
asides and "not for me" vetoes) and ``blind-3.jsonl`` (505 sentences written
blind after those rounds and never tuned on: its misses are not listed), and prints, for Tandem's
matcher and for a plain baseline (rapidfuzz best match over the tuning
examples; the scorer and its one cut-off chosen on the tuning part): intent accuracy per
context, out-of-domain rejection, slot exact-match and p50/p99 latency; then
a calibration table of the matcher's score, and what the general stage
(the classifier, scores below 0.75) answered on the tuning set.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import fuzz, process

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from assistant.nlu import CONTEXTS, Matcher, load_intents  # noqa: E402
from assistant.nlu.collisions import check_collisions  # noqa: E402
from assistant.nlu.normalise import words  # noqa: E402

PARTNERS = ("Alex", "Sam")
HELD_OUT_SHARE = 40  # percent of lines held out (by hash)
FILLERS = ["um", "uh", "okay so", "hey tandem", "can you please", "so", "hey", "alright"]
DROPPABLE = {"a", "the", "our", "to", "of", "an", "my", "us", "we"}


@dataclass(frozen=True)
class Row:
    text: str
    context: str
    intent: str | None
    slots: dict[str, str]


def load_rows(corpus: Path) -> list[Row]:
    rows = []
    for name in ("dev.jsonl", "dev-more.jsonl"):
        for line in (corpus / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                obj = json.loads(line)
                rows.append(Row(obj["text"], obj["context"], obj["intent"], obj.get("slots") or {}))
    return rows


def load_authored(path: Path) -> list[Row]:
    """Sentences written for this benchmark by the matcher's author (intents only, no slots)."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            obj = json.loads(line)
            rows.append(Row(obj["text"], obj["context"], obj["intent"], {}))
    return rows


def load_labelled(path: Path) -> list[Row]:
    """A labelled set in the corpus schema, slots included (the generalisation sets)."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            obj = json.loads(line)
            rows.append(Row(obj["text"], obj["context"], obj["intent"], obj.get("slots") or {}))
    return rows


def held_out(row: Row) -> bool:
    """Deterministic split: the same line always lands on the same side."""
    digest = hashlib.sha256(f"{row.context}|{row.text}".encode()).digest()
    return digest[0] * 100 // 256 < HELD_OUT_SHARE


def noisy(rows: list[Row], variants: dict[str, list[str]], seed: int = 7) -> list[Row]:
    """Each line once more, with a filler, a dropped short word and/or a homophone swap.

    Slots are not expected to survive (a dropped word may sit inside them), so
    the noisy set is scored on intents only.
    """
    rng = random.Random(seed)
    out = []
    for row in rows:
        ws = words(row.text)
        if rng.random() < 0.5:
            ws = words(rng.choice(FILLERS)) + ws
        droppable = [i for i, w in enumerate(ws) if w in DROPPABLE]
        if droppable and len(ws) > 3 and rng.random() < 0.5:
            del ws[rng.choice(droppable)]
        swappable = [i for i, w in enumerate(ws) if w in variants]
        if swappable and rng.random() < 0.6:
            i = rng.choice(swappable)
            ws[i] = rng.choice(variants[ws[i]])
        out.append(Row(" ".join(ws), row.context, row.intent, {}))
    return out


Parser = Callable[[str, str], tuple[str | None, dict[str, str], float]]


@dataclass
class Scores:
    n: int
    per_context: dict[str, tuple[int, int]]  # context -> (correct, in-domain total)
    ood: tuple[int, int]
    slots: tuple[int, int]
    overall: tuple[int, int]
    p50: float
    p99: float
    outcomes: list[tuple[float, bool]]


def evaluate(parse: Parser, rows: list[Row], with_slots: bool = True,
             reset: Callable[[], None] = lambda: None) -> Scores:
    per: dict[str, list[int]] = {c: [0, 0] for c in CONTEXTS}
    ood = [0, 0]
    slots = [0, 0]
    times = []
    outcomes = []
    for row in rows:
        # the median of three runs per utterance: this machine is shared, and
        # one scheduler hiccup should not count as the matcher's cost
        runs = []
        for _ in range(3):
            reset()
            t0 = time.perf_counter()
            intent, got_slots, score = parse(row.text, row.context)
            runs.append((time.perf_counter() - t0) * 1000)
        times.append(sorted(runs)[1])
        right = intent == row.intent
        outcomes.append((score, right))
        if row.intent is None:
            ood[0] += right
            ood[1] += 1
        else:
            per[row.context][0] += right
            per[row.context][1] += 1
            if with_slots and right:
                slots[0] += got_slots == row.slots
                slots[1] += 1
    times.sort()
    correct = sum(r for _, r in outcomes)
    return Scores(
        n=len(rows),
        per_context={c: (a, b) for c, (a, b) in per.items()},
        ood=(ood[0], ood[1]),
        slots=(slots[0], slots[1]),
        overall=(correct, len(rows)),
        p50=statistics.median(times) if times else 0.0,
        p99=times[min(len(times) - 1, int(len(times) * 0.99))] if times else 0.0,
        outcomes=outcomes,
    )


SCORERS = {"ratio": fuzz.ratio, "token_sort_ratio": fuzz.token_sort_ratio, "WRatio": fuzz.WRatio}


def baseline(train: list[Row], cutoff: float, scorer: str = "ratio") -> Parser:
    """The plain approach: the closest known example in the same context, if close enough."""
    by_context: dict[str, tuple[list[str], list[Row]]] = {}
    for row in train:
        if row.intent is None:
            continue
        texts, labels = by_context.setdefault(row.context, ([], []))
        texts.append(row.text.lower())
        labels.append(row)
    score_fn = SCORERS[scorer]

    def parse(text: str, context: str) -> tuple[str | None, dict[str, str], float]:
        texts, labels = by_context.get(context, ([], []))
        hit = process.extractOne(text.lower(), texts, scorer=score_fn, score_cutoff=cutoff) if texts else None
        if hit is None:
            return None, {}, 0.0
        return labels[hit[2]].intent, {}, hit[1] / 100

    return parse


def tune_baseline(tune: list[Row]) -> tuple[str, float]:
    """The scorer and the one cut-off that do best on the tuning part (leave-one-out)."""
    best = ("ratio", 80.0, -1)
    for scorer in SCORERS:
        for cut in range(50, 100, 5):
            right = 0
            for i, r in enumerate(tune):
                right += baseline(tune[:i] + tune[i + 1 :], cut, scorer)(r.text, r.context)[0] == r.intent
            if right > best[2]:
                best = (scorer, float(cut), right)
    return best[0], best[1]


def pct(pair: tuple[int, int]) -> str:
    a, b = pair
    return f"{100 * a / b:5.1f}% ({a}/{b})" if b else "   -"


def table(results: list[tuple[str, str, Scores]]) -> str:
    head = ["system", "set", "n", *[f"acc {c}" for c in CONTEXTS], "OOD reject", "slots exact", "overall", "p50 ms",
            "p99 ms"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for system, name, s in results:
        cells = [system, name, str(s.n), *[pct(s.per_context[c]) for c in CONTEXTS], pct(s.ood),
                 pct(s.slots) if s.slots[1] else "-",
                 pct(s.overall), f"{s.p50:.3f}", f"{s.p99:.3f}"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def calibration(outcomes: list[tuple[float, bool]]) -> tuple[str, float]:
    """Accuracy per score bucket and the expected calibration error."""
    edges = [0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 0.99, 1.01]
    parts = []
    ece = 0.0
    for lo, hi in zip(edges, edges[1:]):
        inside = [(s, r) for s, r in outcomes if lo <= s < hi]
        if not inside:
            continue
        acc = sum(r for _, r in inside) / len(inside)
        conf = sum(s for s, _ in inside) / len(inside)
        ece += len(inside) / len(outcomes) * abs(acc - conf)
        parts.append(f"[{lo:.2f},{min(hi, 1.0):.2f}]: n={len(inside)} acc={acc:.2f} mean score={conf:.2f}")
    return "; ".join(parts), ece


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=REPO / "tests" / "data" / "corpus")
    ap.add_argument("--intents", type=Path, default=REPO / "intents")
    ap.add_argument("--errors", action="store_true",
                    help="list the held-out, noisy, authored and generalisation mistakes")
    ap.add_argument("--holdout-errors", action="store_true",
                    help="also list the mistakes on generalisation-holdout.jsonl")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    intents = load_intents(args.intents)
    matcher = Matcher(intents, PARTNERS)
    startup = time.perf_counter() - t0
    check_collisions(intents)

    rows = load_rows(args.corpus)
    tune = [r for r in rows if not held_out(r)]
    hold = [r for r in rows if held_out(r)]
    variants: dict[str, list[str]] = {}
    for heard, canon in intents.rules.canonical.items():
        if len(heard) == 1 and " " not in canon and heard[0].isalpha():
            variants.setdefault(canon, []).append(heard[0])
    noisy_rows = noisy(rows, variants)

    def tandem(text: str, context: str) -> tuple[str | None, dict[str, str], float]:
        p = matcher.parse(text, context)
        return p.intent, p.slots, p.score

    def tandem_resumable(text: str, context: str) -> tuple[str | None, dict[str, str], float]:
        p = matcher.parse(text, context, can_resume=context == "idle")
        return p.intent, p.slots, p.score

    for _ in range(2):  # warm up caches so the first timings are not start-up
        for r in rows[:50]:
            tandem(r.text, r.context)

    # the baseline's scorer and one cut-off: the best on the tuning part
    best_scorer, best_cut = tune_baseline(tune)
    base = baseline(tune, best_cut, best_scorer)

    results = []
    for name, subset, with_slots in (("tune", tune, True), ("held-out", hold, True), ("whole", rows, True),
                                     ("noisy", noisy_rows, False)):
        results.append(("tandem", name, evaluate(tandem, subset, with_slots, matcher.forget_corrections)))
    noisy_hold = [n for n, r in zip(noisy_rows, rows) if held_out(r)]
    results.append(("baseline", "held-out", evaluate(base, hold, False)))
    results.append(("baseline", "noisy held-out", evaluate(base, noisy_hold, False)))
    results.append(("tandem", "noisy held-out", evaluate(tandem, noisy_hold, False, matcher.forget_corrections)))
    authored = load_authored(Path(__file__).with_name("authored.jsonl"))
    results.append(("tandem", "authored", evaluate(tandem, authored, False, matcher.forget_corrections)))
    results.append(("baseline", "authored", evaluate(base, authored, False)))
    # sentences written for generalisation, not from the corpora or the templates;
    # the holdout's mistakes are listed only with --holdout-errors
    general = load_labelled(Path(__file__).with_name("generalisation.jsonl"))
    general_hold = load_labelled(Path(__file__).with_name("generalisation-holdout.jsonl"))
    results.append(("tandem", "generalisation", evaluate(tandem, general, True, matcher.forget_corrections)))
    results.append(("tandem", "gen-holdout", evaluate(tandem, general_hold, True, matcher.forget_corrections)))
    results.append(("baseline", "generalisation", evaluate(base, general, False)))
    blind_sets = {}  # the blind sets, scored with a paused exercise resumable as the blind scorer does
    for file, name in (("blind-2-tune.jsonl", "blind-2 (tuning)"), ("blind-2-more.jsonl", "blind-2-more (tuning)"),
                       ("blind-3.jsonl", "blind-3 (never tuned on)")):
        path = Path(__file__).with_name(file)
        blind_sets[name] = load_labelled(path) if path.is_file() else []
        if blind_sets[name]:
            results.append(("tandem", name,
                            evaluate(tandem_resumable, blind_sets[name], True, matcher.forget_corrections)))
            results.append(("baseline", name, evaluate(base, blind_sets[name], False)))
    blind, blind_more = blind_sets["blind-2 (tuning)"], blind_sets["blind-2-more (tuning)"]

    print(f"corpus: {len(rows)} lines ({len(tune)} tune, {len(hold)} held out, {HELD_OUT_SHARE}% by hash); "
          f"matcher start-up {startup:.2f} s; latency = median of 3 cold runs per utterance; baseline = rapidfuzz "
          f"{best_scorer} over the tuning examples, cut-off {best_cut:.0f}")
    print(table(results))
    whole = next(s for sys_, n, s in results if sys_ == "tandem" and n == "whole")
    buckets, ece = calibration(whole.outcomes
                               + next(s for sys_, n, s in results if sys_ == "tandem" and n == "noisy").outcomes)
    print(f"calibration (whole + noisy, tandem score): ECE={ece:.3f}; {buckets}")
    if blind:
        outcomes = next(s for sys_, n, s in results if sys_ == "tandem" and n == "blind-2 (tuning)").outcomes
        general_answers = [(score, right) for (score, right), row in zip(outcomes, blind) if score < 0.75]
        wrong_ood = sum(1 for (score, right), row in zip(outcomes, blind)
                        if score < 0.75 and not right and row.intent is None)
        print(f"general stage on blind-2 (tuning): {len(general_answers)} of {len(blind)} answers, "
              f"{sum(r for _, r in general_answers)} right, {wrong_ood} of them out of domain")

    if args.errors:
        sets = [("held-out", hold), ("noisy", noisy_rows), ("authored", authored), ("generalisation", general),
                ("blind-2 (tuning)", blind),
                ("blind-2-more (tuning)", blind_more)]
        if args.holdout_errors:
            sets.append(("gen-holdout", general_hold))
        for name, subset in sets:
            for r in subset:
                p = matcher.parse(r.text, r.context, can_resume=name.startswith("blind") and r.context == "idle")
                with_slots = name in ("held-out", "generalisation", "gen-holdout", "blind-2 (tuning)",
                                      "blind-2-more (tuning)")
                if p.intent != r.intent or (with_slots and p.slots != r.slots and p.intent is not None):
                    print(f"{name}: [{r.context}] {r.text!r}: want {r.intent} {r.slots}, got {p.intent} {p.slots} "
                          f"({p.score})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
