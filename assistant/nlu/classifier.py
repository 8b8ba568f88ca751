"""A small multinomial naive Bayes classifier over sets of feature strings.

Trained when the Matcher is built (counting, no iterations: a few
milliseconds for a few thousand sentences) and applied in a handful of
array lookups. Plain numpy, no model files.

Every class's counts are normalised to the same total, so an intent with
many templates does not crowd out one with few; the class prior is given
separately (``prior``), which is how "not for me" is made more or less
likely. Naive Bayes is overconfident (its features are not independent):
``temperature`` divides the log-likelihoods before the softmax so that the
probabilities can be thresholded.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

UNK = "<unk>"


class NaiveBayes:
    def __init__(self, n_classes: int, alpha: float = 0.03, temperature: float = 5.0) -> None:
        self.n_classes = n_classes
        self.alpha = alpha
        self.temperature = temperature
        self.index: dict[str, int] = {}
        self.log_prior = np.zeros(n_classes)
        self.log_like = np.zeros((0, n_classes))

    def fit(self, samples: Sequence[tuple[Iterable[str], int, float]], prior: Sequence[float] | None = None) -> None:
        """``samples``: (features, class index, weight); ``prior``: relative class weights (default: equal)."""
        feature_sets = [set(feats) for feats, _, _ in samples]
        index = self.index
        cols = [index.setdefault(f, len(index)) for fs in feature_sets for f in fs]
        lengths = [len(fs) for fs in feature_sets]
        labels = np.repeat(np.asarray([label for _, label, _ in samples], dtype=np.int64), lengths)
        weights = np.repeat(np.asarray([w for _, _, w in samples], dtype=float), lengths)
        k, n = self.n_classes, len(index)
        flat = np.asarray(cols, dtype=np.int64) * k + labels
        counts = np.bincount(flat, weights=weights, minlength=n * k).reshape(n, k)
        totals = counts.sum(axis=0)
        share = counts / np.where(totals > 0, totals, 1.0)
        self.log_like = np.log((share + self.alpha / max(n, 1)) / (1.0 + self.alpha)) / self.temperature
        p = np.ones(k) if prior is None else np.asarray(prior, dtype=float)
        self.log_prior = np.log(p / p.sum())

    def predict(self, feats: Iterable[str]) -> np.ndarray:
        """Class probabilities; features never seen in training are ignored."""
        ids = [i for i in (self.index.get(f) for f in set(feats)) if i is not None]
        z = self.log_prior + self.log_like[ids].sum(axis=0)
        z -= z.max()
        p = np.exp(z)
        return p / p.sum()
