"""The speech Protocols are complete: every engine and detector offers what the ears may ask of it."""

from __future__ import annotations

import inspect

import pytest

from assistant.speech import recognizers, wake
from assistant.speech.oww import OwwWake
from assistant.speech.sphinx_engine import SphinxRecognizer
from assistant.speech.vosk_engine import VoskRecognizer
from assistant.speech.wake import BargeInSpotter, WakeSpotter
from assistant.speech.whisper_engine import WhisperDictation


def members(protocol: type) -> set[str]:
    return {name for name in dir(protocol) if not name.startswith("_")} | set(getattr(protocol, "__annotations__", {}))


def test_the_protocols_declare_the_optional_parts() -> None:
    assert {"alternatives"} <= members(recognizers.Recognizer)
    assert {"phrase", "preroll", "accept", "reset"} <= members(wake.WakeDetector)
    assert members(wake.Spotter) == {"accept", "reset"}  # what barge-in needs: no phrase, no pre-roll


@pytest.mark.parametrize("engine", [SphinxRecognizer, VoskRecognizer, WhisperDictation])
def test_every_recogniser_offers_alternatives_callable_without_arguments(engine: type) -> None:
    method = engine.alternatives
    required = [p for p in inspect.signature(method).parameters.values()
                if p.name != "self" and p.default is inspect.Parameter.empty]
    assert required == []


@pytest.mark.parametrize("detector", [WakeSpotter, OwwWake])
def test_every_wake_detector_sets_its_phrase_and_keeps_a_preroll(detector: type) -> None:
    assert callable(detector.preroll)
    assert "self.phrase =" in inspect.getsource(detector.__init__)


def test_the_barge_in_spotter_is_a_spotter_not_a_wake_detector() -> None:
    assert callable(BargeInSpotter.accept) and callable(BargeInSpotter.reset)
    assert not hasattr(BargeInSpotter, "preroll")


def test_only_whisper_offers_a_cue_for_a_slow_read_back() -> None:
    # the second passes ask for it with isinstance: a recogniser without it reads back without a cue
    assert issubclass(WhisperDictation, recognizers.CuesIfSlow)
    assert not issubclass(SphinxRecognizer, recognizers.CuesIfSlow)
    assert not issubclass(VoskRecognizer, recognizers.CuesIfSlow)
