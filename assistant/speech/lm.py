"""Small n-gram language models (ARPA text) for command mode, built from a context's phrase list.

A phrase list of a few thousand command wordings is too loose as a bigram
(the decoder strings together fragments of different commands: "what should
go over our promises") and too confusable as an exact FSG. A trigram over
the same phrases keeps whole command cores together while still letting the
decoder leave the beaten path, so the intent matcher can judge near-misses.

Interpolated absolute discounting written as a backoff ARPA model: for a
context ``h`` with count ``c(h)`` and ``k`` distinct followers,
``p(w|h) = max(c(h,w) - D, 0) / c(h) + g(h) p(w|h')`` with
``g(h) = D k / c(h)``; seen n-grams store the interpolated value and ``g(h)``
is the backoff weight, so unseen ones fall back correctly.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence

BOS, EOS = "<s>", "</s>"


def ngram_arpa(sentences: Sequence[Sequence[str]], order: int = 3, discount: float = 0.5,
               unigram_floor: float = 0.0) -> str:
    """An ARPA model of ``sentences`` (lists of words) up to ``order`` (1-5).

    ``unigram_floor`` mixes a uniform share into the unigrams (0 = none): a
    little lets any command word follow any other when the audio insists.
    """
    if not 1 <= order <= 5:
        raise ValueError("order must be 1-5")
    counts: list[dict[tuple[str, ...], int]] = [defaultdict(int) for _ in range(order + 1)]
    for sentence in sentences:
        tokens = [BOS, *sentence, EOS]
        for n in range(1, order + 1):
            for i in range(len(tokens) - n + 1):
                gram = tuple(tokens[i : i + n])
                if n == 1 and gram[0] == BOS:
                    continue
                counts[n][gram] += 1
    vocab = sorted({g[0] for g in counts[1]} | {BOS})
    total = sum(counts[1].values())
    share = unigram_floor / max(1, len(vocab) - 1)
    probs: list[dict[tuple[str, ...], float]] = [{} for _ in range(order + 1)]
    for w in vocab:
        if w == BOS:
            continue
        probs[1][(w,)] = (1 - unigram_floor) * counts[1].get((w,), 0) / total + share
    backoff: list[dict[tuple[str, ...], float]] = [{} for _ in range(order + 1)]
    for n in range(2, order + 1):
        by_context: dict[tuple[str, ...], list[tuple[str, int]]] = defaultdict(list)
        for gram, c in counts[n].items():
            by_context[gram[:-1]].append((gram[-1], c))
        for h, followers in by_context.items():
            ch = sum(c for _, c in followers)
            gamma = discount * len(followers) / ch
            backoff[n - 1][h] = gamma
            for w, c in followers:
                probs[n][(*h, w)] = max(c - discount, 0) / ch + gamma * _lower(probs, backoff, (*h[1:], w))
    lines = ["", "\\data\\"] + [f"ngram {n}={len(probs[n]) + (1 if n == 1 else 0)}" for n in range(1, order + 1)]
    for n in range(1, order + 1):
        lines += ["", f"\\{n}-grams:"]
        if n == 1:
            bow = backoff[1].get((BOS,))
            lines.append(f"-99.00000 {BOS}" + (f" {math.log10(bow):.5f}" if bow else ""))
        for gram, p in probs[n].items():
            bow = backoff[n].get(gram) if n < order else None
            lines.append(f"{math.log10(max(p, 1e-12)):.5f} {' '.join(gram)}"
                         + (f" {math.log10(bow):.5f}" if bow else ""))
    lines += ["", "\\end\\", ""]
    return "\n".join(lines)


def _lower(probs: list[dict[tuple[str, ...], float]], backoff: list[dict[tuple[str, ...], float]],
           gram: tuple[str, ...]) -> float:
    """p(gram[-1] | gram[:-1]) from the models already built (lower orders first)."""
    if len(gram) == 1:
        return probs[1].get(gram, 1e-12)
    if gram in probs[len(gram)]:
        return probs[len(gram)][gram]
    return backoff[len(gram) - 1].get(gram[:-1], 1.0) * _lower(probs, backoff, gram[1:])
