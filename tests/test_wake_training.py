"""The wake-head recipe for any phrase: what it says, what it caches, and (slow) a real head built end to end."""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from assistant.speech.oww import Head, OwwWake, model_path
from assistant.wake_training import recipe, text
from assistant.wake_training.recipe import RecipeSettings
from assistant.wake_training.voices import Voice

ROOT = Path(__file__).resolve().parent.parent
PHRASES = ("hey robin", "okay house", "hello there computer", "hey zorblax")


def test_the_default_phrase_keeps_the_lists_its_committed_head_was_built_from() -> None:
    say = text.phrase_texts("Hey, Tandem")
    assert say.phrase == "hey tandem" and say.own_tail == "tandem"
    assert say.variants == ("hey tandem", "hey tandem", "hey, tandem", "hey tandem!", "hey tandem?")
    assert say.tails == tuple(text.NEAR_TAILS) and say.heads == tuple(text.NEAR_HEADS)


@pytest.mark.parametrize("phrase", PHRASES)
def test_near_misses_of_any_phrase_never_say_the_phrase(phrase: str) -> None:
    say = text.phrase_texts(phrase)
    *head, last = phrase.split()
    itself = {last, *text.homophones(last)}
    misses = say.near_misses(random.Random(3), 600)
    assert len(set(misses)) > 100  # many, not a handful repeated
    for miss in misses + list(say.near_sentences):
        words = text.words_of(miss)
        for i, w in enumerate(words):
            if w in itself and head:
                # the last word itself is fine after anything but the phrase's own head (or one that sounds the same)
                assert i == 0 or words[i - 1] not in say.same_heads, miss
    assert phrase in say.variants and f"{phrase}?" in say.variants


def test_sound_alikes_are_one_sound_away_and_never_the_word_again() -> None:
    alikes = text.sound_alikes("robin")
    assert "ribbon" in alikes
    # the dictionary keeps no stress: "robbin" differs from "robin" only in an unstressed vowel, so it is the word
    assert {"robbin", "robyn"} <= set(text.homophones("robin"))
    assert not {"robin", "robbin", "robyn"} & set(alikes)
    assert all(" " in a for a in text.split_alikes("tandem"))
    assert text.sound_alikes("robin") == alikes  # a fixed sample: the shards' audio depends on it


def test_a_word_the_dictionary_lacks_gets_spellings_near_it() -> None:
    alikes = text.sound_alikes("zorblax")
    assert len(alikes) >= 10
    assert all(len(a) == len("zorblax") and sum(x != y for x, y in zip(a, "zorblax")) == 1 for a in alikes)


def test_own_lines_leave_out_the_phrase(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("intro: now say hey robin to me\nother: thank you both for {x} today\n")
    assert text.own_lines(tmp_path, "hey robin") == ["thank you both for Sam today"]
    assert text.own_lines(tmp_path) == ["now say hey robin to me", "thank you both for Sam today"]


def _voices() -> dict[str, list[Voice]]:
    return {"train": [Voice("espeak", "en"), Voice("espeak", "de", "m1")], "dev": [Voice("espeak", "fr")],
            "train-en": [Voice("espeak", "en")], "dev-en": [Voice("espeak", "en-us")], "train-nn": [],
            "train-kk": []}


def test_the_default_phrase_keeps_its_cache_and_another_phrase_gets_its_own() -> None:
    voices = _voices()
    labels = [v.label() for split in ("train", "dev") for v in voices[split]]
    before = hashlib.sha256(json.dumps([recipe.RECIPE_VERSION, 1, labels]).encode()).hexdigest()[:12]
    assert recipe.cache_key(RecipeSettings(), voices) == before  # the committed head's shards stay cached
    keys = {recipe.cache_key(RecipeSettings(phrase=p), voices) for p in PHRASES}
    assert len(keys) == len(PHRASES) and before not in keys


def test_the_plan_is_the_committed_one_by_default_and_shrinks_for_a_small_run() -> None:
    full = recipe.plan(RecipeSettings(), _voices())
    pos = [s for s in full if s.kind == "pos"]
    assert [s.count for s in pos] == [200] * 11 and sum(s.split == "dev-en" for s in pos) == 1
    small = recipe.plan(RecipeSettings(en_positives=40, hours=0.01, en_hours=0.01, near_hours=0.01, min_dev_s=30),
                        _voices())
    assert [(s.split, s.count) for s in small if s.kind == "pos"] == [("train-en", 40), ("dev-en", 40)]
    assert all(s.seconds <= 36 for s in small if s.kind != "pos")
    quick = RecipeSettings().scaled(0.25)
    assert (quick.hours, quick.en_positives, quick.phrase) == (1.375, 500, "hey tandem")


def test_the_tool_takes_every_setting_as_a_flag() -> None:
    out = subprocess.run([sys.executable, str(ROOT / "tools" / "wake_model.py"), "--help"], capture_output=True,
                         text=True, check=True).stdout
    for name in ("--phrase", "--hours", "--en-positives", "--min-dev-s", "--seed", "--out", "--cache"):
        assert name in out


def test_a_couples_head_is_found_before_the_repositorys(tmp_path: Path) -> None:
    from assistant.speech.wake import how_heard, make_wake_detector

    assert not model_path("hey robin", [tmp_path]).exists()
    assert "no trained head yet" in how_heard("hey robin", [tmp_path])
    head = Head.linear(np.zeros(16 * 96, np.float32), -3.0, np.zeros(96, np.float32), np.ones(96, np.float32), 16,
                       "hey robin", 0.7)
    head.quiet_threshold = 0.5
    head.save(tmp_path / "hey_robin.npz")
    assert model_path("Hey, Robin", [tmp_path]) == tmp_path / "hey_robin.npz"
    detector = make_wake_detector("hey robin", 0.5, "auto", [tmp_path])
    assert isinstance(detector, OwwWake) and detector.model_name == str(tmp_path / "hey_robin.npz")
    assert detector.listen_threshold == 0.5  # the default detector: quiet wakes too
    assert str(tmp_path) in how_heard("hey robin", [tmp_path])


@pytest.mark.slow
@pytest.mark.skipif(not (shutil.which("espeak-ng") and shutil.which("sox")), reason="the recipe needs espeak-ng, sox")
def test_a_head_for_another_phrase_is_built_and_used_end_to_end(tmp_path: Path) -> None:
    """The real recipe (espeak-ng speech, augmentation, pyopen-wakeword embeddings, training, the dev set) for
    "hey robin", small; then the real detector from the couple's home, through ``tandem`` itself."""
    home = tmp_path / "home"
    out = home / "models" / "wake" / "hey_robin.npz"
    settings = RecipeSettings(phrase="hey robin", en_positives=60, hours=0.02, en_hours=0.01, near_hours=0.02,
                              nn_positives=0, min_dev_s=40, rounds=2, epochs=3)
    built = recipe.build(settings, out, tmp_path / "cache", ROOT / "scripts", "a test", log=lambda _m: None)
    assert out.is_file() and out.with_suffix(".md").is_file() and built.head.phrase == "hey robin"
    assert '"hey robin" wake head' in out.with_suffix(".md").read_text()
    head = Head.load(out)
    assert 0.0 < head.threshold < 1.0 and head.quiet_threshold is not None
    # it learned the phrase: espeak-ng voices of the training family say it, and everyday speech
    from .speech_helpers import speech

    detector = OwwWake("hey robin", model=out)
    phrase = [_peak(detector, speech("hey robin", voice=f"espeak:{v}")) for v in ("en-us", "en", "en-gb-x-rp")]
    chatter = [_peak(detector, speech(s, voice=f"espeak:{v}")) for s, v in
               (("we should go for a walk after dinner", "en-us"), ("the ribbon is in the drawer", "en"),
                ("hey, did you call the bank", "en-gb-x-rp"))]
    assert np.median(phrase) > max(chatter), (phrase, chatter)
    env = {"TANDEM_HOME": str(home), "PATH": "/usr/bin:/bin"}
    run = lambda *a: subprocess.run([sys.executable, "-m", "assistant", *a], capture_output=True, text=True,  # noqa: E731
                                    env=env, cwd=ROOT, timeout=300)
    assert run("init", "--partner", "Sam", "--partner", "Alex", "--wake-phrase", "hey robin").returncode == 0
    doctor = run("doctor").stdout
    assert f"by openwakeword+quiet ({out}" in doctor, doctor


def _peak(detector: OwwWake, pcm: bytes) -> float:
    from .speech_helpers import frames, silence

    detector.reset()
    best = 0.0
    for f in frames(silence(0.5) + pcm + silence(1.0)):
        detector.accept(f)
        best = max([best, *detector.last_steps])
    return best
