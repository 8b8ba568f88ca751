"""A command's free words: the command decode's trigger joined to the dictation's free words."""

from __future__ import annotations

import pytest

from assistant.conversation import COMMAND, IDLE
from assistant.speech.freewords import splice

from .speech_helpers import needs_tts, noisy, silence, speech


@pytest.mark.parametrize("command, slot, dictated, expected", [
    # the name from the command decode, the plumber from the dictation
    ("sam promise is to called up louder by frightens", "called up louder",
     "some promises to call the plumber by friday",
     "sam promise is to call the plumber by friday"),
    ("add a goal to visited on", "visited on", "added goal to visit japan", "add a goal to visit japan"),
    # nothing lines up: the trigger's share of the words
    ("we tried about the week last", "about the week last", "wheat ride a pottery class", "we tried a pottery class"),
    # the slot is not found verbatim: everything but as many words as it has is the trigger
    ("alex promises to the plants", "water the plants", "alex promises to water the plants",
     "alex promises to water the plants"),
])
def test_splice(command, slot, dictated, expected):
    assert splice(command, slot, dictated) == expected


def test_splice_without_a_trigger_or_a_tail_keeps_what_there_is():
    assert splice("call the plumber", "call the plumber", "call the plumber please") == "call the plumber please"
    assert splice("sam promises to fix it", "fix it", "sam promises to") == "sam promises to fix it"
    assert splice("", "", "hello") == "hello"


@pytest.fixture(scope="module")
def matcher():
    from assistant.config import PathSettings
    from assistant.nlu.loader import load_intents
    from assistant.nlu.matcher import Matcher

    return Matcher(load_intents(PathSettings().intents_dir), ("Alex", "Sam"))


@needs_tts
@pytest.mark.parametrize("line, partner, key", [
    ("sam promises to call the plumber by friday", "Sam", "plumber"),
    ("add a goal to visit japan", None, "japan"),
])
def test_free_words_of_a_spoken_command_are_heard(matcher, line, partner, key):
    """The real recogniser on real (synthetic) speech: the command grammar alone mangles these free words."""
    from assistant.speech.sphinx_engine import SphinxRecognizer

    from .test_ears import make

    hits = 0
    for voice in ("flite:slt", "flite:rms", "festival:kal_diphone"):
        ears, _, _ = make(noisy(silence(0.5) + speech(line, voice) + silence(1.5), seed=5), matcher, SphinxRecognizer())
        try:
            heard = ears.listen(IDLE, mode=COMMAND, timeout=5.0)
        finally:
            ears.close()
        hits += heard.slots.get("partner") == partner and key in heard.slots.get("text", "").split()
    # The command grammar alone heard none of these free words (see freewords.py): most voices now do.
    assert hits >= 2, "the free words were lost in most voices"
