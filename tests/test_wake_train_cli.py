"""``tandem wake train`` and what init/config say about the wake phrase (the recipe faked: its real run is in
``test_wake_training.py``)."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from types import SimpleNamespace

import pytest

from assistant.cli import main
from assistant.wake_training import recipe


@pytest.fixture
def fake_recipe(monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    calls: list[tuple] = []

    def estimate(settings, scripts, cache):  # type: ignore[no-untyped-def]
        calls.append(("estimate", settings, cache))
        (cache / "some-shards").mkdir(parents=True, exist_ok=True)
        return 1260.0

    def build(settings, out, cache, scripts, command, log=print):  # type: ignore[no-untyped-def]
        import numpy as np

        from assistant.speech.oww import Head

        calls.append(("build", settings, out, cache, command))
        head = Head.linear(np.zeros(16 * 96, np.float32), -3.0, np.zeros(96, np.float32), np.ones(96, np.float32), 16,
                           settings.phrase, 0.9)
        out.parent.mkdir(parents=True, exist_ok=True)
        head.save(out)
        return recipe.Built(out, "0" * 64, 1.0, head)

    monkeypatch.setattr(recipe, "estimate", estimate)
    monkeypatch.setattr(recipe, "build", build)
    return calls


def test_it_says_how_long_then_trains_the_profiles_phrase_into_the_home(
        tandem_home: Path, fake_recipe: list[tuple], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", "--partner", "Sam", "--partner", "Alex", "--wake-phrase", "Hey Robin"]) == 0
    said = capsys.readouterr().out
    assert "no trained head yet" in said and "tandem wake train" in said
    main(["doctor", "--no-audio"])
    wake = [ln for ln in capsys.readouterr().out.splitlines() if " wake:" in ln]
    assert wake[0].startswith("warn") and "by pocketsphinx" in wake[0] and "tandem wake train" in wake[0]
    assert main(["wake", "train"]) == 0
    out = capsys.readouterr().out
    assert "takes about 21 minutes" in out and out.index("takes about") < out.index("Done in")
    kind, settings, path, cache, _ = fake_recipe[1]
    assert kind == "build" and settings.phrase == "hey robin" and settings == recipe.RecipeSettings(phrase="hey robin")
    assert path == tandem_home / "models" / "wake" / "hey_robin.npz" and path.is_file()
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
    assert not cache.exists()  # the training audio's embeddings are not kept by default
    assert main(["config"]) == 0
    assert f"heard by its own trained head ({path})" in capsys.readouterr().out
    main(["doctor", "--no-audio"])
    wake = [ln for ln in capsys.readouterr().out.splitlines() if " wake:" in ln]
    assert wake[0].startswith("ok") and f"by openwakeword+quiet ({path}" in wake[0]


def test_quick_and_estimate_only(tandem_home: Path, fake_recipe: list[tuple],
                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["wake", "train", "--phrase", "okay house", "--quick", "--estimate"]) == 0
    assert [c[0] for c in fake_recipe] == ["estimate"]
    assert fake_recipe[0][1] == recipe.RecipeSettings(phrase="okay house").scaled(0.25)
    assert "takes about 21 minutes" in capsys.readouterr().out
    assert not (tandem_home / "cache").exists()  # the estimate's empty folders are not left behind
    (tandem_home / "cache" / "wake-train" / "abc").mkdir(parents=True)
    (tandem_home / "cache" / "wake-train" / "abc" / "pos-0.npz").write_bytes(b"shard")
    assert main(["wake", "train", "--phrase", "okay house", "--estimate"]) == 0
    assert (tandem_home / "cache" / "wake-train" / "abc" / "pos-0.npz").exists()  # an interrupted run's shards stay


@pytest.mark.parametrize("phrase, needle", [("alexa", "pyopen-wakeword ships"), ("hey, tandem", "comes with Tandem")])
def test_phrases_with_a_head_need_no_training(phrase: str, needle: str, tandem_home: Path, fake_recipe: list[tuple],
                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["wake", "train", "--phrase", phrase]) == 0
    assert needle in capsys.readouterr().out and fake_recipe == []


def test_missing_tools_and_bad_phrases_are_one_line(tandem_home: Path, fake_recipe: list[tuple],
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    import assistant.cli.wake as wake_cli

    monkeypatch.setattr(wake_cli.shutil, "which", lambda tool: None if tool == "sox" else "/usr/bin/" + tool)
    assert main(["wake", "train", "--phrase", "hey robin"]) != 0
    assert capsys.readouterr().err.strip() == ("tandem: training a wake head needs sox: sudo apt install sox")
    monkeypatch.setattr(wake_cli.shutil, "which", lambda tool: "/usr/bin/" + tool)
    monkeypatch.setattr(wake_cli.shutil, "disk_usage", lambda path: SimpleNamespace(free=30 * 2**20))
    assert main(["wake", "train", "--phrase", "hey robin", "--quick"]) != 0  # a quarter of the work needs 50 MB
    err = capsys.readouterr().err.strip()
    assert "needs about 50 MB free" in err and "30 MB free" in err and len(err.splitlines()) == 1
    assert main(["wake", "train", "--phrase", "robin"]) != 0
    err = capsys.readouterr().err.strip()
    assert "at least two words" in err and len(err.splitlines()) == 1 and fake_recipe == []
