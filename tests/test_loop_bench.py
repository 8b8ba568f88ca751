"""``benchmarks/loop_bench.py``: what it counts in ``tandem run``'s event stream, and how it lines trials up.

The three streams in ``tests/data/loop_bench/`` were recorded from real runs of the benchmark
(``--minutes 1 --trials 6 --group 3``, the PocketSphinx spotter)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

sys.path.insert(0, str(REPO / "benchmarks"))
import loop_bench  # noqa: E402
from loop_bench import Trial, align, read_stream, score_groups, score_trials  # noqa: E402

DATA = Path(__file__).resolve().parent / "data" / "loop_bench"


def recorded(name: str) -> loop_bench.Stream:
    return read_stream(json.loads(line) for line in (DATA / name).read_text().splitlines() if line.strip())


def test_chatter_counts_every_chime_and_every_reply() -> None:
    s = recorded("chatter.jsonl")
    # three wakes: an exercise started by mistake (paused, resumed and stopped by more chatter), a "Sorry"
    # then a sentence of chatter taken as a command, and a command acted on at once
    assert s.chimes == 3
    assert [i.acted for i in s.interactions] == ["experience.suggest", "promise.list", "reminder.list"]
    assert [i.exercise for i in s.interactions] == ["experiences", None, None]
    assert [len(i.replies) for i in s.interactions] == [6, 2, 1]
    assert s.interactions[1].replies[0] == "Sorry, I didn't catch that."
    assert s.interactions[1].heard == [None, "promise.list"]
    assert s.replies == 9 and s.replies_asleep == 0


def test_requests_are_scored_against_the_trials_in_order() -> None:
    s = recorded("requests.jsonl")
    assert [i.acted for i in s.interactions] == ["promise.list", "help", "promise.missed"]
    got = score_trials(["promise.list", "help", "reminder.list"], s)
    assert got.woke == [True, True, True] and got.right == [True, True, False] and got.extra == 0


def test_groups_are_scored_each_against_its_own_stream() -> None:
    def trial(intent: str) -> Trial:
        return Trial("flite:slt plain", "...", intent, None)

    groups = [[trial("promise.list"), trial("help"), trial("reminder.list")],
              [trial("promise.list"), trial("help"), trial("summary")]]
    got = score_groups(groups, [recorded("requests.jsonl"), recorded("exercise.jsonl")])
    # the second stream: the first request right, the second taken as experience.suggest (its exercise ran to
    # the end of the recording), the third never woke
    assert got.woke == [True, True, True, True, True, False]
    assert got.right == [True, True, False, True, False, False]
    assert got.extra == 0


@pytest.mark.parametrize("expected, got, pairs", [
    (["a", "b", "c"], ["a", "b", "c"], [(0, 0), (1, 1), (2, 2)]),
    (["a", "b", "c"], ["a", "c"], [(0, 0), (1, None), (2, 1)]),  # a missed wake
    (["a", "b"], ["a", None, "b"], [(0, 0), (None, 1), (1, 2)]),  # an extra wake that heard nothing
    (["a", "b"], ["a", "x"], [(0, 0), (1, 1)]),  # woke, wrong reply: not a miss plus an extra wake
    (["a", "b"], [], [(0, None), (1, None)]),
    ([], [None], [(None, 0)]),
])
def test_align(expected, got, pairs) -> None:
    assert align(expected, got) == pairs


def test_a_reply_while_asleep_is_counted_and_opens_nothing() -> None:
    events = [
        {"type": "state", "state": "speaking", "previous": "asleep"},
        {"type": "state", "state": "asleep", "previous": "speaking"},
        {"type": "said", "text": "It's time for your trust talk."},
        {"type": "wake"},
        {"type": "state", "state": "awake", "previous": "asleep"},
        {"type": "state", "state": "asleep", "previous": "awake", "reason": "silence"},
    ]
    s = read_stream(events)
    assert s.chimes == 1 and s.replies == 1 and s.replies_asleep == 1
    assert s.interactions[0].acted is None and s.interactions[0].replies == []


def test_a_quiet_wake_is_no_chime_and_acts_only_when_the_loop_handles() -> None:
    events = [
        {"type": "wake", "score": 0.41, "quiet": True},
        {"type": "state", "state": "awake", "previous": "asleep", "reason": "quiet wake"},
        {"type": "intent", "intent": "help", "context": "idle", "score": 0.5},  # a loose guess: not acted on
        {"type": "state", "state": "asleep", "previous": "awake", "reason": "quiet wake: not a sure command"},
        {"type": "wake", "score": 0.9},
        {"type": "state", "state": "awake", "previous": "asleep", "reason": "wake"},
        {"type": "intent", "intent": "help", "context": "idle", "score": 1.0},
        {"type": "state", "state": "handling", "previous": "awake", "reason": "help"},
        {"type": "said", "text": "I can guide a gratitude moment."},
        {"type": "state", "state": "asleep", "previous": "speaking", "reason": "handled help"},
    ]
    s = read_stream(events)
    assert s.chimes == 1 and len(s.interactions) == 2
    assert [(i.quiet, i.acted, i.heard) for i in s.interactions] == [(True, None, ["help"]), (False, "help", ["help"])]
