from __future__ import annotations

import pytest

from assistant.clock import RealClock
from assistant.conversation import COMMAND, CONFIRM, DICTATION, IDLE, RITUAL, InputClosed
from assistant.events import Heard, IntentEvent, ListSink, Wake
from assistant.nlu.match import Parse
from assistant.speech.ears import AudioListener
from assistant.speech.frames import AudioDeviceError, EchoGate
from assistant.speech.wake import BargeInSpotter, WakeSpotter

from .speech_helpers import BytesSource, needs_tts, noisy, silence, speech


@pytest.fixture(scope="module")
def matcher():
    from assistant.config import PathSettings
    from assistant.nlu.loader import load_intents
    from assistant.nlu.matcher import Matcher

    return Matcher(load_intents(PathSettings().intents_dir), ("Alex", "Sam"))


@pytest.fixture(scope="module")
def recognizer():
    # The engines helper's real PocketSphinx adapter (embedded English model).
    from assistant.speech.sphinx_engine import SphinxRecognizer

    return SphinxRecognizer()


def make(pcm: bytes, matcher, recognizer, gate: EchoGate | None = None, on_frame=None, barge=None, text_hints=None,
         wake=None):
    events = ListSink()
    gate = gate or EchoGate(tail_s=0.0)
    ears = AudioListener(
        BytesSource(pcm, on_frame), recognizer, wake or WakeSpotter(),
        parse=lambda text, ctx, ex, res: matcher.parse(text, ctx, in_exercise=ex, can_resume=res),
        phrases=lambda ctx, ex, res: matcher.phrases(ctx, in_exercise=ex, can_resume=res),
        clock=RealClock(), gate=gate, events=events, barge=barge, text_hints=text_hints,
    )
    return ears, events, gate


@needs_tts
def test_one_breath_wake_then_command(matcher, recognizer) -> None:
    pcm = noisy(silence(1.0) + speech("hey tandem start our gratitude moment", "flite:slt") + silence(2.0), seed=11)
    ears, events, _ = make(pcm, matcher, recognizer)
    try:
        assert ears.wait_for_wake(10.0) is not None
        said = ears.listen(IDLE, mode=COMMAND, timeout=5.0)
    finally:
        ears.close()
    assert said.intent == "gratitude.start", said
    assert said.ended_by == "speech" and said.duration_s > 0.5
    assert [type(e) for e in events.events] == [Wake, Heard, IntentEvent]


@needs_tts
@pytest.mark.parametrize("voice, words, pause_s, intent", [
    ("flite:slt", "what can you do", 0.8, "help"),
    ("flite:kal16", "what can you do", 0.5, "help"),
    ("flite:rms", "what can you do", 1.0, "help"),
    ("flite:rms", "start our gratitude moment", None, "gratitude.start"),  # None: in one breath
    ("flite:kal16", "start our gratitude moment", None, "gratitude.start"),
])
def test_openwakeword_hands_on_the_command_not_the_phrase_tail(matcher, recognizer, voice, words, pause_s,
                                                               intent) -> None:
    # openWakeWord handed on the 0.5 s before it fired, but it fires as the phrase ends: after a pause the tail of
    # "tandem" was heard as a first utterance ("undo" = forget.last, or nothing and a "sorry") before the command.
    from assistant.speech.oww import OwwWake

    said = speech(f"hey tandem {words}", voice) if pause_s is None else \
        speech("hey tandem", voice) + silence(pause_s) + speech(words, voice)
    ears, _, _ = make(noisy(silence(0.5) + said + silence(2.0), seed=13), matcher, recognizer, wake=OwwWake())
    try:
        assert ears.wait_for_wake(10.0)
        assert ears.listen(IDLE, timeout=5.0).intent == intent
    finally:
        ears.close()


@needs_tts
def test_wake_then_pause_then_command(matcher, recognizer) -> None:
    pcm = noisy(silence(0.5) + speech("hey tandem", "flite:kal16") + silence(1.0)
                + speech("start our gratitude moment", "flite:kal16") + silence(2.0), seed=12)
    ears, _, _ = make(pcm, matcher, recognizer)
    try:
        assert ears.wait_for_wake(10.0)
        assert ears.listen(IDLE, timeout=5.0).intent == "gratitude.start"
    finally:
        ears.close()


def test_silence_is_a_timeout_and_end_of_input_propagates(matcher, recognizer) -> None:
    ears, events, _ = make(noisy(silence(3.0), seed=13), matcher, recognizer)
    try:
        got = ears.listen(IDLE, timeout=2.0)
        assert got.silent and got.ended_by == "timeout"
        with pytest.raises(InputClosed):
            ears.listen(IDLE, timeout=5.0)
    finally:
        ears.close()
    assert events.events == []


def test_noise_is_no_wake_and_no_command(matcher, recognizer) -> None:
    from .speech_helpers import pink

    ears, events, _ = make(pink(8.0, level=600, seed=14) + noisy(silence(1.0)), matcher, recognizer)
    try:
        assert ears.wait_for_wake(5.0) is None
        got = ears.listen(IDLE, timeout=3.0)
        assert got.intent is None
    finally:
        ears.close()
    assert not events.of(Wake)


@needs_tts
def test_dictation_keeps_free_speech_and_still_hears_control(matcher, recognizer) -> None:
    pcm = noisy(silence(0.5) + speech("i am grateful for the dinner you made", "flite:slt") + silence(2.0)
                + speech("i'm done", "flite:slt") + silence(2.0), seed=15)
    ears, events, _ = make(pcm, matcher, recognizer)
    try:
        first = ears.listen(RITUAL, mode=DICTATION, timeout=5.0, in_exercise=True)
        second = ears.listen(RITUAL, mode=COMMAND, timeout=5.0, in_exercise=True)
    finally:
        ears.close()
    assert "grateful" in first.text and first.intent is None
    assert second.intent == "turn.done"
    assert [h.mode for h in events.of(Heard)] == [DICTATION, COMMAND]


@needs_tts
def test_never_hears_itself_and_stop_barges_in(matcher, recognizer) -> None:
    own = speech("start our gratitude moment", "flite:awb")  # what Tandem "says" (an intent phrase!)
    stop = speech("stop", "flite:kal16")
    pcm = noisy(silence(0.3) + own + stop + silence(1.0) + silence(4.0), seed=16)
    gate = EchoGate(tail_s=0.0)
    speaking_frames = (len(silence(0.3) + own + stop) + 32000) // 960
    # the gate is "speaking" for the prompt, the stop and a second after (the frames are unpaced)
    flip = lambda i: gate.begin() if i == 0 else (gate.end() if i == speaking_frames else None)  # noqa: E731
    ears, events, gate = make(pcm, matcher, recognizer, gate=gate, on_frame=flip, barge=BargeInSpotter())
    try:
        got = ears.listen(IDLE, timeout=2.5)
        assert gate.barge_in.wait(10.0), "stop was not heard"
    finally:
        ears.close()
    assert got.silent and got.intent is None
    assert ears.self_heard_frames >= speaking_frames - 1
    assert not events.of(Heard)


class _Broken(BytesSource):
    def read(self, timeout: float) -> bytes | None:
        raise AudioDeviceError("the microphone went away; check the USB cable")


def test_device_error_reaches_the_caller(matcher, recognizer) -> None:
    ears = AudioListener(_Broken(b""), recognizer, WakeSpotter(), parse=lambda *a: Parse(None),
                         phrases=lambda *a: ["yes"], clock=RealClock(), gate=EchoGate(), events=ListSink())
    try:
        with pytest.raises(AudioDeviceError):
            ears.wait_for_wake(2.0)
    finally:
        ears.close()


class _SlowCounter:
    """A wake spotter that never wakes, counts the frames it is fed, and takes a little time over each."""

    phrase = "hey tandem"

    def __init__(self) -> None:
        self.fed = 0

    def accept(self, frame: bytes) -> bool:
        import time

        self.fed += 1
        time.sleep(0.0002)  # slower than reading from memory, as every real spotter is
        return False

    def reset(self) -> None:
        pass

    def preroll(self) -> bytes:
        return b""


@pytest.mark.parametrize("lossless", [True, False])
def test_a_recording_waits_for_the_ears_and_a_microphone_drops(lossless) -> None:
    # `tandem run --input-wav` replays unpaced: without waiting, all but the queue's last 10 s of a long
    # recording were dropped, and a wake phrase in the middle of it was never heard.
    pcm = silence(20.0)
    spotter = _SlowCounter()
    ears = AudioListener(BytesSource(pcm), _NoisyBest("", []), spotter, parse=lambda *a: Parse(None),
                         phrases=lambda *a: ["yes"], clock=RealClock(), gate=EchoGate(), events=ListSink(),
                         lossless=lossless)
    try:
        with pytest.raises(InputClosed):
            ears.wait_for_wake(60.0)
    finally:
        ears.close()
    total = len(pcm) // 960
    if lossless:
        assert spotter.fed == total and ears.overflows == 0
    else:  # a live source cannot wait: the oldest audio goes
        assert spotter.fed < total and ears.overflows == total - spotter.fed


class _NoisyBest:
    """A recogniser whose best hypothesis carries a stray word and whose second is right."""

    name = "fake"

    def __init__(self, best: str, alternatives: list[str]) -> None:
        self._best, self._alts = best, alternatives

    def set_grammar(self, phrases) -> None:
        pass

    def accept(self, frame: bytes) -> None:
        pass

    def partial(self) -> str:
        return ""

    def finish(self):
        from assistant.speech.recognizers import Recognition

        return Recognition(self._best)

    def reset(self) -> None:
        pass

    def alternatives(self) -> list[str]:
        return list(self._alts)


@needs_tts
def test_a_rejected_best_hypothesis_falls_back_to_an_accepted_alternative(matcher) -> None:
    pcm = silence(0.5) + speech("start our gratitude moment", "flite:slt") + silence(1.5)
    recognizer = _NoisyBest("love start our gratitude moment softly whatever",
                            ["love start our gratitude moment softly", "start our gratitude moment"])
    ears, events, _ = make(pcm, matcher, recognizer)
    try:
        said = ears.listen(IDLE, mode=COMMAND, timeout=5.0)
    finally:
        ears.close()
    assert said.intent == "gratitude.start" and said.text == "start our gratitude moment"
    heard = [e for e in events.events if isinstance(e, Heard)]
    assert [h.text for h in heard] == ["start our gratitude moment"]


@needs_tts
def test_dictation_never_swaps_in_an_alternative(matcher) -> None:
    pcm = silence(0.5) + speech("i love the way you laugh", "flite:slt") + silence(2.0)
    recognizer = _NoisyBest("i love the way you laugh", ["i'm done"])
    ears, _, _ = make(pcm, matcher, recognizer)
    try:
        said = ears.listen(RITUAL, mode=DICTATION, timeout=5.0)
    finally:
        ears.close()
    assert said.intent is None and said.text == "i love the way you laugh"


class _TwoPass(_NoisyBest):
    """Dictation mangles the words; the grammar pass returns ``command``."""

    def __init__(self, dictated: str, command: str) -> None:
        super().__init__(dictated, [])
        self.command, self.grammar, self.grammars = command, None, []

    def set_grammar(self, phrases) -> None:
        self.grammar = phrases
        self.grammars.append(None if phrases is None else len(phrases))

    def finish(self):
        from assistant.speech.recognizers import Recognition

        return Recognition(self._best if self.grammar is None else self.command)


@needs_tts
@pytest.mark.parametrize("said, dictated, command, expected", [
    ("hey tandem stop", "hey tim tim stop", "hey tandem stop", "ritual.stop"),  # a mangled control phrase is recovered
    ("hey tandem stop", "i love you", "i'm done", None),  # speech unlike the control phrase stays the partner's words
    # mangled beyond likeness, but the wake phrase is really there: meant for Tandem
    ("hey tandem stop", "hey tim dumbstruck", "hey tandem stop", "ritual.stop"),
    # the same words without the wake phrase in the audio stay the partner's
    ("we should go shopping", "hey tim dumbstruck", "hey tandem stop", None),
    # dictation stutters on short phrases: "that said that said" is compared as "that said"
    ("that's it", "that said that said", "that's it", "turn.done"),
])
def test_short_dictation_gets_a_second_pass_against_the_controls(matcher, said, dictated, command, expected) -> None:
    pcm = silence(0.5) + speech(said, "flite:slt") + silence(2.0)
    recognizer = _TwoPass(dictated, command)
    ears, _, _ = make(pcm, matcher, recognizer)
    try:
        said = ears.listen(RITUAL, mode=DICTATION, timeout=5.0, in_exercise=True)
    finally:
        ears.close()
    assert said.intent == expected
    assert said.text == (command if expected else dictated)
    assert recognizer.grammars[0] is None and recognizer.grammars[-1] is None  # back to dictation afterwards


@needs_tts
def test_quiet_counts_from_the_last_voice_heard_asleep(matcher, recognizer) -> None:
    """What ``--clock-skip-idle`` asks before it skips: has anyone spoken lately?"""
    import time

    quiet, _, _ = make(noisy(silence(4.0), seed=21), matcher, recognizer)
    talk, _, _ = make(noisy(silence(0.5) + speech("we should paint the kitchen green", "flite:slt") + silence(3.0),
                            seed=22), matcher, recognizer)
    try:
        time.sleep(0.3)
        assert quiet.wait_for_wake(3.0) is None
        assert quiet.quiet_s() >= 0.3  # room noise alone never counts as a voice
        time.sleep(0.3)
        began = time.monotonic()
        talk.wait_for_wake(3.0)  # (whether the spotter woke is another test's business)
        assert talk.quiet_s() < time.monotonic() - began + 0.05  # the sentence reset it during the wait
        assert talk.quiet_s() < quiet.quiet_s()
        quiet.gate.begin()  # Tandem speaking is no quiet either (the couple may answer it)
        time.sleep(0.2)
        assert quiet.quiet_s() < 0.05
        quiet.gate.end()
        assert quiet.quiet_s() < 0.05
    finally:
        quiet.close()
        talk.close()


def test_unstutter_says_repeated_words_once() -> None:
    from assistant.speech.second_pass import unstutter

    assert unstutter("that said that said") == "that said"
    assert unstutter("i i love you") == "i love you"
    assert unstutter("we went we went home") == "we went home"
    assert unstutter("i love you") == "i love you"


@needs_tts
@pytest.mark.parametrize("said, voice, expected", [
    ("no", "flite:kal16", "confirm.no"),  # 0.2 s: dropped as a breath before short answers had their own floor
    ("no", "festival:kal_diphone", "confirm.no"),
    ("yes", "flite:awb", "confirm.yes"),
    ("sure", "flite:slt", "confirm.yes"),
])
def test_a_one_word_answer_to_a_question_is_heard(matcher, recognizer, said, voice, expected) -> None:
    ears, _, _ = make(noisy(silence(0.5) + speech(said, voice) + silence(3.0), seed=4), matcher, recognizer)
    try:
        heard = ears.listen(CONFIRM, mode=COMMAND, timeout=5.0)
    finally:
        ears.close()
    assert heard.intent == expected, heard


@needs_tts
@pytest.mark.parametrize("said, voice, expected, command", [
    # said to "shall we start the trust talk?": the yes/no grammar alone forced these onto an answer ("i did it")
    ("what promises are still open", "festival:kal_diphone", "promise.list", True),
    ("hey tandem what promises are still open", "flite:awb", "promise.list", True),
    # heard as "read tandem what ..."
    ("hey tandem, what promises are still open", "festival:kal_diphone", "promise.list", True),
    ("suggest something new to try", "flite:slt", "experience.suggest", True),
    # ... while a real answer stays the answer
    ("yes please", "flite:awb", "confirm.yes", False),
    ("no", "flite:kal16", "confirm.no", False),
    ("not now", "flite:slt", "confirm.no", False),
])
def test_a_command_said_to_a_question_is_that_command(matcher, recognizer, said, voice, expected, command) -> None:
    ears, _, _ = make(noisy(silence(0.5) + speech(said, voice) + silence(3.0), seed=5), matcher, recognizer)
    try:
        heard = ears.listen(CONFIRM, mode=COMMAND, timeout=6.0, commands=True)
    finally:
        ears.close()
    assert (heard.intent, heard.command) == (expected, command), heard
    if not command:
        assert heard.score >= 0.75  # a sure answer: acted on


@needs_tts
def test_chatter_forced_onto_a_yes_is_only_a_loose_fit(matcher, recognizer) -> None:
    from assistant.conversation import is_sure_answer

    pcm = noisy(silence(0.5) + speech("the weather is supposed to be nice tomorrow", "flite:rms") + silence(3.0),
                seed=6)
    ears, _, _ = make(pcm, matcher, recognizer)
    try:
        heard = ears.listen(CONFIRM, mode=COMMAND, timeout=6.0, commands=True)
    finally:
        ears.close()
    assert not is_sure_answer(heard) and not (heard.command and heard.intent and heard.intent.endswith(".start")), heard


class _SameWordsByGrammar:
    """Both grammars hear "no"; dictation guesses another short word (as it did under load in CI)."""

    name = "fake"

    def __init__(self) -> None:
        self._dictation = False

    def set_grammar(self, phrases) -> None:
        self._dictation = phrases is None

    def accept(self, frame: bytes) -> None:
        pass

    def partial(self) -> str:
        return ""

    def finish(self):
        from assistant.speech.recognizers import Recognition

        return Recognition("gnaw the" if self._dictation else "no")

    def reset(self) -> None:
        pass

    def alternatives(self) -> list[str]:
        return []


@needs_tts
def test_words_both_grammars_heard_alike_are_the_questions_answer(matcher) -> None:
    """A plain "no" the idle grammar also reads (as "cancel") stays the answer, whatever dictation guessed."""
    pcm = silence(0.5) + speech("no", "flite:kal16") + silence(3.0)
    ears, _, _ = make(pcm, matcher, _SameWordsByGrammar())
    try:
        heard = ears.listen(CONFIRM, mode=COMMAND, timeout=6.0, commands=True)
    finally:
        ears.close()
    assert (heard.intent, heard.command) == ("confirm.no", False), heard
    assert heard.score >= 0.75


class _WakesOnce:
    """A wake detector that wakes on its tenth frame, quietly or not."""

    phrase = "hey tandem"

    def __init__(self, quiet: bool) -> None:
        self.last_wake = Wake(score=0.6, quiet=quiet)
        self._n = 0

    def accept(self, frame: bytes) -> bool:
        self._n += 1
        return self._n == 10

    def reset(self) -> None: ...

    def preroll(self) -> bytes:
        return b""


@needs_tts
@pytest.mark.parametrize("quiet, dictated, expected", [
    (False, "we rode a tandem bicycle along the coast", "experience.suggest"),  # a chimed wake: the grammar's reading
    (True, "we rode a tandem bicycle along the coast", None),  # quiet: dictation does not bear the command out
    (True, "suggest something new to try", "experience.suggest"),  # quiet, and dictation heard the same words
])
def test_after_a_quiet_wake_a_command_counts_only_when_dictation_bears_it_out(matcher, quiet, dictated,
                                                                              expected) -> None:
    pcm = silence(0.5) + speech("we rode a tandem bicycle along the coast", "flite:slt") + silence(2.0)
    recognizer = _TwoPass(dictated, "suggest something new to try")
    ears, events, _ = make(pcm, matcher, recognizer, wake=_WakesOnce(quiet))
    try:
        assert ears.wait_for_wake(5.0) == Wake(score=0.6, quiet=quiet)
        heard = ears.listen(IDLE, timeout=5.0)
    finally:
        ears.close()
    assert heard.intent == expected
    assert events.of(IntentEvent)[-1].intent == expected  # what the event stream says is what the loop acts on
