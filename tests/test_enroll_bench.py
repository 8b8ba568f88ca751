"""``benchmarks/enroll_bench.py``: its enrollment rules and its replay of recorded scores, on tiny arrays."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from tests.conftest import REPO

sys.path.insert(0, str(REPO / "benchmarks"))
from enroll_bench import (  # noqa: E402
    ADAPT_LR,
    ADAPT_STEPS,
    Event,
    Recording,
    adapt,
    calibrated_threshold,
    enrollment_split,
    held_peak,
    loo_bound,
    nearest_similarity,
    outcomes,
    replay,
    trial_hits,
)


def test_held_peak_is_the_best_score_held_for_the_steps_asked() -> None:
    s = [0.2, 0.8, 0.95, 0.3, 0.9]
    assert held_peak(s, 1) == pytest.approx(0.95)
    assert held_peak(s, 2) == pytest.approx(0.8)  # 0.9 stands alone
    assert held_peak([0.9], 2) == 0.0


def test_calibration_lowers_the_chime_to_a_fraction_of_the_weakest_clip_within_the_card() -> None:
    assert calibrated_threshold([0.9, 0.6, 0.8], chime=0.7, quiet=0.5, fraction=0.9) == pytest.approx(0.54)
    assert calibrated_threshold([0.9, 0.3], chime=0.7, quiet=0.5, fraction=0.9) == pytest.approx(0.5)  # the floor
    assert calibrated_threshold([0.95, 0.99], chime=0.7, quiet=0.5, fraction=0.9) == pytest.approx(0.7)  # never up


def test_the_template_bound_is_the_weakest_leave_one_out_match() -> None:
    t = np.array([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0]])
    # nearest others: 0 -> 1 (0.8), 1 -> 0 or 2 (0.8 / 0.6: 0.8), 2 -> 1 (0.6)
    assert loo_bound(t) == pytest.approx(0.6)
    assert nearest_similarity(np.array([0.6, 0.8]), t) == pytest.approx(0.96)


def test_enrollment_takes_the_first_clips_saying_the_phrase_alone_and_tests_on_the_rest() -> None:
    texts = ["hey tandem", "hey tandem", "hey tandem what can you do", "hey tandem"] * 3
    pos = [("flite:slt plain", t, b"") for t in texts] + [("flite:awb plain", "hey tandem", b"")]
    enroll, test = enrollment_split(pos, "flite:slt")
    assert enroll == [0, 1, 3, 4, 5]
    assert test == [2, 6, 7, 8, 9, 10, 11]


def test_methods_decide_which_wakes_chime_and_which_wake_at_all() -> None:
    ev = [Event(0, 0, quiet=False), Event(5, 5, quiet=True), Event(9, 9, quiet=True)]
    match = [False, True, False]
    assert outcomes(ev, "baseline", match) == [(True, True), (False, True), (False, True)]
    assert outcomes(ev, "verification", match) == [(True, True), (True, True), (False, True)]
    assert outcomes(ev, "verification as a gate", match) == [(True, True), (True, True), (False, False)]
    hits = trial_hits(ev, [0, 4, 8, 12], outcomes(ev, "verification as a gate", match))
    assert hits == {0: (True, True), 1: (True, True), 2: (False, False)}


def test_a_window_is_the_embeddings_the_head_read_at_that_step() -> None:
    embs = np.arange(5, dtype=np.float32)[:, None].repeat(2, axis=1)  # a window of 3, then two steps
    rec = Recording([[0.1], [], [0.2]], embs, [0, 3])
    assert rec.window(0, 3)[:, 0].tolist() == [1, 2, 3]
    assert rec.window(1, 3)[:, 0].tolist() == [2, 3, 4]
    assert rec.scores.tolist() == [0.1, 0.2]


def test_replay_runs_the_products_decisions_on_recorded_scores() -> None:
    pytest.importorskip("pyopen_wakeword")
    from assistant.speech.oww import OwwWake

    det = OwwWake(quiet=True)
    hush = [[0.1]] * 25  # past the refractory time
    rec = Recording([[0.8], [0.85]] + hush + [[0.6], [0.6], [0.1]] + hush + [[0.6], [0.1]], np.zeros((0, 96)), [0])
    ev = replay(det, rec, chime=0.7, listen=0.5)
    assert [(e.step, e.quiet) for e in ev] == [(1, False), (29, True)]  # one step in the band is not a wake
    assert [(e.step, e.quiet) for e in replay(det, rec, chime=0.55, listen=0.5)] == [(1, False), (28, False)]


def test_adaptation_moves_the_weights_towards_the_enrollment_and_away_from_the_negatives() -> None:
    rng = np.random.default_rng(0)
    pos = np.array([[1.0, 0.0, 0.5]], np.float32)
    neg = np.array([[-1.0, 0.0, 0.5], [0.0, 1.0, 0.5]], np.float32)
    w0 = np.zeros(3, np.float32)
    w, b = adapt(w0, 0.0, pos, neg, rng)
    assert (pos @ w + b)[0] > max(neg @ w + b) + 0.01  # from a head that could not tell them apart
    assert np.abs(w).max() <= ADAPT_STEPS * ADAPT_LR * 1.01  # a few small steps, not a new head
