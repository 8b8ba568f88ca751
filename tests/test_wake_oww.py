"""The openWakeWord detector, its committed head, the factory, and the training recipe's voices."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from assistant.speech.oww import Head, OwwWake, model_path, sensitivity_to_threshold
from assistant.speech.wake import WakeSpotter, make_wake_detector
from assistant.wake_training import fit, shards, voices

from .speech_helpers import frames, needs_tts, noisy, pink, silence, speech

ROOT = Path(__file__).resolve().parent.parent
RECIPE = [ROOT / "tools" / "wake_model.py", *sorted((ROOT / "assistant" / "wake_training").glob("*.py"))]
HELD_OUT = ("flite", "text2wave", "kal", "ked", "cmu", "rab", "awb", "slt", "rms", "kdl", "arctic")
has_model = pytest.mark.skipif(not model_path("hey tandem").exists(), reason="models/hey_tandem.npz not built")


def heard(detector, pcm: bytes) -> list[int]:
    return [i for i, f in enumerate(frames(pcm)) if detector.accept(f)]


def test_recipe_names_no_held_out_voice() -> None:
    assert len(RECIPE) > 3
    text = "\n".join(p.read_text() for p in RECIPE).lower()
    for name in HELD_OUT:
        assert not re.search(rf"(?<![a-z]){name}(?![a-z])", text), f"the recipe names held-out voice {name!r}"
    assert "voice_" not in text.replace("'voice'}_", "")


def test_recipe_voices_are_espeak_and_foreign_festival_only() -> None:
    split = voices.split_voices(1)
    every = split["train"] + split["dev"]
    assert every and {v.engine for v in every} <= {"espeak", "festival"}
    festival = {v.name for v in every if v.engine == "festival"}
    english = {p.name for folder in ("english", "us", "british") for p in Path("/usr/share/festival/voices", folder).glob("*")}
    assert not festival & english
    assert not {v.label() for v in split["train"]} & {v.label() for v in split["dev"]}
    # the neural voices (installed with the wake-train extra) train only: they are never the dev set
    assert {v.engine for v in split["train-nn"] + split["train-kk"]} <= {"piper", "kokoro"}
    assert set(voices.NEURAL_SPLITS) == {"train-nn", "train-kk"}


def test_espeak_ipa_is_spelt_as_kokoro_was_trained() -> None:
    assert voices.kokoro_phonemes("hˈeɪ tˈændəm\nstˈɑːɹt ˌaʊɚ ɡɹˈæɾɪtˌuːd") == "hˈA tˈændəm stˈɑɹt ˌWɚ ɡɹˈæTɪtˌud"
    assert voices.kokoro_phonemes("dʒˈɔɪ tʃˈɜːtʃ ɡˈoʊ") == "ʤˈY ʧˈɜʧ ɡˈO"


def test_head_round_trip_and_sensitivity(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    head = Head(rng.standard_normal((16 * 96, 8)).astype(np.float32), np.zeros(8, np.float32),
                rng.standard_normal(8).astype(np.float32), 0.1, np.zeros(96, np.float32), np.ones(96, np.float32),
                16, "hey tandem", 0.9)
    path = tmp_path / "h.npz"
    head.save(path)
    back = Head.load(path)
    x = rng.standard_normal((3, 16, 96)).astype(np.float32)
    assert np.allclose(back.scores(x), head.scores(x), atol=1e-2)
    assert back.threshold == 0.9 and back.window == 16
    assert sensitivity_to_threshold(0.9, 0.5) == pytest.approx(0.9)
    assert sensitivity_to_threshold(0.9, 0.0) > 0.9 > sensitivity_to_threshold(0.9, 1.0)


def test_unknown_phrase_falls_back_to_the_spotter(caplog: pytest.LogCaptureFixture) -> None:
    detector = make_wake_detector("hey computer", 0.5)
    assert isinstance(detector, WakeSpotter)
    assert "keyword spotter" in caplog.text


@has_model
def test_factory_builds_what_is_asked_and_auto_follows_the_table() -> None:
    from assistant.speech.wake import DEFAULT_DETECTOR

    detector = make_wake_detector("hey tandem", 0.5, "openwakeword")
    assert isinstance(detector, OwwWake) and detector.model_name == "hey_tandem.npz"
    assert make_wake_detector("hey tandem", 0.5, "openwakeword+check").verifier is not None
    assert make_wake_detector("hey tandem", 0.5).kind == DEFAULT_DETECTOR
    assert isinstance(make_wake_detector("hey jarvis", 0.5), OwwWake)  # a bundled head


def max_score(detector: OwwWake, pcm: bytes) -> float:
    detector.reset()
    best = 0.0
    for f in frames(pcm):
        detector.accept(f)
        best = max([best, *detector.last_steps])
    return best


@has_model
@needs_tts
def test_wakes_once_through_the_stream() -> None:
    # a training-family voice: this checks the streaming path, not generalisation (the benchmark measures that)
    detector = OwwWake()
    pcm = noisy(silence(1.5) + speech("hey tandem", "espeak:en-us") + silence(1.5), snr_db=20, seed=1)
    assert len(heard(detector, pcm)) == 1


class _Calls:
    """The TFLite library handle, recording the options set on new interpreters."""

    def __init__(self, lib) -> None:
        self._lib, self.calls = lib, []

    def __getattr__(self, name: str):
        fn = getattr(self._lib, name)
        return _Recorded(fn, name, self.calls) if name.startswith("TfLiteInterpreterOptions") else fn


class _Recorded:
    def __init__(self, fn, name: str, calls: list) -> None:
        object.__setattr__(self, "_fn", fn)
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_calls", calls)

    def __setattr__(self, key: str, value) -> None:  # argtypes / restype belong to the real function
        setattr(self._fn, key, value)

    def __call__(self, *args):
        self._calls.append((self._name, args[1:]))
        return self._fn(*args)


@needs_tts
def test_the_front_end_runs_on_one_thread_and_embeds_as_the_package_does() -> None:
    from pyopen_wakeword import OpenWakeWordFeatures

    from assistant.speech import oww

    front = OpenWakeWordFeatures.from_builtin()
    before = (front.mel_interpreter, front.emb_interpreter)
    front.lib = _Calls(front.lib)
    oww._set_threads(front, 1)
    assert ("TfLiteInterpreterOptionsSetNumThreads", (1,)) in front.lib.calls
    assert front.mel_interpreter not in before and front.emb_interpreter not in before
    pcm = noisy(silence(0.5) + speech("hey tandem what promises are still open", "espeak:en-us"), snr_db=20, seed=3)
    ours, theirs = oww.embed(pcm, front), oww.embed(pcm, oww.features(threads=None))
    assert ours.shape == theirs.shape and len(ours) > 20
    assert float(np.abs(ours - theirs).max()) < 1e-3 and float(np.abs(ours).max()) > 1.0


def test_a_front_end_it_does_not_know_keeps_its_threads() -> None:
    from assistant.speech import oww

    class Other:
        lib = object()  # a release without these names: nothing to rebuild, no error

    front = Other()
    oww._set_threads(front, 1)
    assert front.lib is Other.lib


@has_model
@needs_tts
@pytest.mark.parametrize("voice", ["flite:slt", "flite:rms", "flite:awb", "flite:kal16"])
def test_held_out_voices_score_the_phrase_above_their_chatter(voice: str) -> None:
    detector = OwwWake()
    phrase = max_score(detector, noisy(silence(1.5) + speech("hey tandem", voice) + silence(1.5), snr_db=20, seed=1))
    chatter = max(max_score(detector, noisy(silence(0.5) + speech(t, voice) + silence(1.0), snr_db=20, seed=2))
                  for t in ("what a lovely evening", "did you call your mother", "the tandem was a gift"))
    assert phrase > chatter


@has_model
@needs_tts
def test_silence_noise_and_chatter_do_not_wake() -> None:
    detector = OwwWake()
    assert heard(detector, noisy(silence(10.0), seed=4)) == []
    assert heard(detector, pink(10.0, level=800, seed=5)) == []
    chat = b"".join(speech(t, "flite:slt") for t in ("what a lovely evening", "did you call your mother",
                                                       "the kids are asleep at last"))
    assert heard(detector, noisy(chat, seed=6)) == []


@has_model
@needs_tts
def test_reset_forgets_and_preroll_holds_the_command() -> None:
    detector = OwwWake()
    pcm = noisy(silence(1.0) + speech("hey tandem start our gratitude moment", "espeak:en-us") + silence(1.0), seed=6)
    hits = heard(detector, pcm)
    assert hits and hits[0] * 0.03 < 1.0 + 2.2
    assert len(detector.preroll()) == 7 * 960  # 0.2 s: the head fires as the phrase ends, the command is next
    detector.reset()
    assert detector.preroll() == b""


@has_model
@needs_tts
def test_after_reset_the_phrase_that_woke_it_wakes_it_no_more() -> None:
    # The ears reset the detector after a conversation; the front end's buffered audio still held the phrase, so
    # it woke again on the quiet that followed: a second chime after nearly every request (benchmarks/loop_bench.py).
    detector = OwwWake()
    phrase = noisy(silence(1.0) + speech("hey tandem", "espeak:en-us") + silence(1.5), seed=7)
    assert any(detector.accept(f) for f in frames(phrase))  # fed up to the wake: what follows goes to listen()
    detector.reset()
    assert heard(detector, noisy(silence(3.0), seed=8)) == []
    assert len(heard(detector, phrase)) == 1  # and the next call still wakes it


def test_threshold_rule_asks_only_what_the_dev_set_can_measure() -> None:
    thresholds = np.array([0.9, 0.99, 0.999])
    devs = {1: {"detection": np.array([0.9, 0.7, 0.3]), "fa_per_h": np.array([20.0, 6.0, 0.0]),
                "near_fa_per_h": np.array([50.0, 20.0, 5.0])},
            2: {"detection": np.array([0.85, 0.75, 0.2]), "fa_per_h": np.array([15.0, 3.0, 0.0]),
                "near_fa_per_h": np.array([40.0, 10.0, 2.0])}}
    # 0.3 h of dev chatter: zero false wakes only says "below 10/h", so 0.5/h would mean "none": 75% beats 30%
    assert fit.pick_operating_point(devs, thresholds, 0.3) == (2, 1, pytest.approx(10.0))
    # 1 h resolves 3/h: the same point; 10 h resolves the target itself: only zero-wake points qualify
    assert fit.pick_operating_point(devs, thresholds, 1.0)[:2] == (2, 1)
    assert fit.pick_operating_point(devs, thresholds, 10.0) == (1, 2, pytest.approx(0.5))


def test_a_shard_of_another_length_is_another_file() -> None:
    # the seed is the same for shard i of a kind whatever --hours says; the cache must still tell them apart
    a = shards.ShardSpec("neg", "train", 3, 1234, 130, 600.0)
    b = shards.ShardSpec("neg", "train", 3, 1234, 130, 540.0)
    c = shards.ShardSpec("pos", "train", 3, 1234, 100, 0.0)
    assert len({a.file_name(), b.file_name(), c.file_name(),
                shards.ShardSpec("pos", "train", 3, 1234, 200, 0.0).file_name()}) == 4


def test_logistic_regression_runs_as_a_head(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    w, b = rng.standard_normal(16 * 96).astype(np.float32) * 0.05, -0.3
    mean, std = rng.standard_normal(96).astype(np.float32), np.full(96, 2.0, np.float32)
    head = Head.linear(w, b, mean, std, 16, "hey tandem", 0.9)
    x = rng.standard_normal((5, 16, 96)).astype(np.float32)
    z = ((x - mean) / std).reshape(5, -1) @ w + b
    assert np.allclose(head.scores(x), 1 / (1 + np.exp(-z)), atol=1e-5)
    head.save(tmp_path / "lr.npz")
    assert np.allclose(Head.load(tmp_path / "lr.npz").scores(x), 1 / (1 + np.exp(-z)), atol=1e-2)


class _Always:
    def observe(self, frame: bytes) -> None: ...

    def confirm(self) -> bool:
        return True

    def reset(self) -> None: ...


def test_a_cascade_runs_the_head_at_its_cascade_threshold(tmp_path: Path) -> None:
    thresholds = np.array([0.3, 0.5, 0.9, 0.99])
    assert fit.cascade_threshold({"detection": np.array([0.99, 0.96, 0.8, 0.4])}, thresholds) == 0.5
    assert fit.cascade_threshold({"detection": np.array([0.9, 0.8, 0.7, 0.4])}, thresholds) == 0.3
    rng = np.random.default_rng(2)
    head = Head.linear(rng.standard_normal(16 * 96).astype(np.float32) * 0.01, 0.0, np.zeros(96, np.float32),
                       np.ones(96, np.float32), 16, "hey tandem", 0.99)
    head.hold, head.cascade_threshold = 2, 0.6
    head.save(tmp_path / "h.npz")
    alone = OwwWake(model=tmp_path / "h.npz")
    cascade = OwwWake(model=tmp_path / "h.npz", verifier=_Always())
    assert (alone.threshold, alone.hold) == (pytest.approx(0.99), 2)
    assert (cascade.threshold, cascade.hold) == (pytest.approx(0.6), 1)


def test_eagerness_stops_at_the_cascade_threshold(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    head = Head.linear(rng.standard_normal(16 * 96).astype(np.float32) * 0.01, 0.0, np.zeros(96, np.float32),
                       np.ones(96, np.float32), 16, "hey tandem", 0.7)
    head.cascade_threshold = 0.3
    head.save(tmp_path / "h.npz")
    assert OwwWake(model=tmp_path / "h.npz", sensitivity=0.5).threshold == pytest.approx(0.7)
    assert OwwWake(model=tmp_path / "h.npz", sensitivity=1.0).threshold == pytest.approx(0.3)
    assert OwwWake(model=tmp_path / "h.npz", sensitivity=0.0).threshold > 0.7
    assert OwwWake(model=tmp_path / "h.npz", sensitivity=1.0, verifier=_Always()).threshold == pytest.approx(0.3)


def scripted(detector: OwwWake, scores: list[float | None]) -> list[tuple[int, float, bool]]:
    """Feed one frame per scripted 80 ms score, None a frame that completes no step (the front end bypassed):
    (frame, score, quiet) per wake."""
    steps = iter(scores)
    detector.score_steps = lambda frame: [s for s in [next(steps)] if s is not None]  # type: ignore[method-assign]
    out = []
    for i in range(len(scores)):
        if detector.accept(b"\0" * 960):
            out.append((i, detector.last_wake.score, detector.last_wake.quiet))
    return out


@has_model
def test_after_a_reset_it_listens_at_once_and_the_quiet_fill_never_wakes_it() -> None:
    # a made-up quiet room spliced before real steps scored above the eager threshold; a call said soon after a
    # reply (1.3 s in the voice soak) must still be heard
    detector = OwwWake(sensitivity=0.9)
    quiet = noisy(silence(2.0), seed=2)
    for _ in range(2):
        steps = [detector.score_steps(f) for f in frames(quiet)]
        assert steps[0] and sum(map(len, steps[1:])) >= 2.0 / 0.08 - 2  # scored from the first frame on
        detector.reset()
    eager = OwwWake(sensitivity=0.9)  # the threshold at its floor, the cascade's 0.3
    for _ in range(2):
        assert heard(eager, quiet) == []
        eager.reset()


@has_model
@needs_tts
def test_detectors_that_share_one_front_end_wake_as_each_would_alone() -> None:
    # wake_bench.py measures every operating point on one front end's scores: each must decide as tandem run's would
    pcm = noisy(silence(1.0) + speech("hey tandem", "espeak:en-us") + silence(1.0) + speech("hey tender", "flite:slt")
                + silence(1.0) + speech("hey tandem what can you do", "flite:awb") + silence(2.0), snr_db=20, seed=4)
    alone = {k: make_wake_detector("hey tandem", 0.5, k) for k in ("openwakeword", "openwakeword+quiet")}
    shared = {k: make_wake_detector("hey tandem", 0.5, k) for k in alone}
    front = shared["openwakeword"]
    woke_alone: dict[str, list] = {k: [] for k in alone}
    woke_shared: dict[str, list] = {k: [] for k in alone}
    for i, f in enumerate(frames(pcm)):
        steps = front.score_steps(f)
        for k in alone:
            if alone[k].accept(f):
                woke_alone[k].append((i, alone[k].last_wake))
            if shared[k].accept_scored(f, steps):
                woke_shared[k].append((i, shared[k].last_wake))
    assert woke_shared == woke_alone and woke_alone["openwakeword+quiet"]


@pytest.fixture
def quiet_head(tmp_path: Path) -> Path:
    head = Head.linear(np.zeros(16 * 96, np.float32), 0.0, np.zeros(96, np.float32), np.ones(96, np.float32), 16,
                       "hey tandem", 0.7)
    head.hold, head.cascade_threshold, head.quiet_threshold = 2, 0.2, 0.3
    head.save(tmp_path / "h.npz")
    return tmp_path / "h.npz"


def test_a_borderline_score_wakes_quietly_once_it_falls_back(quiet_head: Path) -> None:
    quiet = OwwWake(model=quiet_head, quiet=True)
    assert (quiet.threshold, quiet.listen_threshold) == (pytest.approx(0.7), pytest.approx(0.3))
    assert scripted(quiet, [0.1, 0.4, 0.55, 0.4, 0.1, 0.1]) == [(4, 0.55, True)]
    assert scripted(quiet, [0.1, 0.5, 0.1, 0.1]) == []  # one step is a blip: it must hold, as a chime must
    assert scripted(OwwWake(model=quiet_head), [0.1, 0.4, 0.55, 0.4, 0.1, 0.1]) == []  # without: no wake


def test_a_score_that_climbs_to_the_threshold_chimes(quiet_head: Path) -> None:
    # the phrase's score rises over a few steps: its first borderline steps must not make it a quiet wake
    assert scripted(OwwWake(model=quiet_head, quiet=True), [0.1, 0.35, 0.5, 0.8, 0.9, 0.2]) == [(4, 0.9, False)]


def test_a_quiet_wake_waits_no_longer_than_its_bound(quiet_head: Path) -> None:
    quiet = OwwWake(model=quiet_head, quiet=True, refractory_s=10.0)
    assert [(i, q) for i, _s, q in scripted(quiet, [0.1] * 30 + [0.5] * 6)] == [(35, True)]  # 0.4 s after it held
    assert len(quiet.preroll()) == 7 * 960  # 0.2 s
    assert scripted(quiet, [0.5] * 20) == []  # then deaf for refractory_s


def test_a_quiet_wake_hands_on_what_was_said_since_it_was_armed(quiet_head: Path) -> None:
    # as live: a step every few frames; it fires 0.4 s after it held, and the words since then are the command's
    quiet = OwwWake(model=quiet_head, quiet=True)
    woke = scripted(quiet, [0.1] * 30 + [None, None, 0.5] * 6)
    assert [(i, q) for i, _s, q in woke] == [(47, True)]
    assert len(quiet.preroll()) == (47 - 35) * 960  # armed at the second 0.5 (frame 35)


def test_the_quiet_threshold_is_picked_on_the_dev_set_and_kept_in_the_head(tmp_path: Path) -> None:
    thresholds = np.array([0.3, 0.5, 0.7, 0.9])
    dev = {"fa_per_h": np.array([300.0, 25.0, 2.0, 0.0])}
    assert fit.quiet_threshold(dev, thresholds, chime=0.7) == 0.5
    assert fit.quiet_threshold({"fa_per_h": np.array([300.0, 90.0, 40.0, 0.0])}, thresholds, chime=0.7) == 0.7
    head = Head.linear(np.zeros(16 * 96, np.float32), 0.0, np.zeros(96, np.float32), np.ones(96, np.float32), 16,
                       "hey tandem", 0.7)
    head.save(tmp_path / "old.npz")  # a head from before quiet wakes: asked for them, it only chimes
    assert OwwWake(model=tmp_path / "old.npz", quiet=True).listen_threshold is None
    head.quiet_threshold = 0.5
    head.save(tmp_path / "new.npz")
    assert Head.load(tmp_path / "new.npz").quiet_threshold == 0.5
    assert OwwWake(model=tmp_path / "new.npz", quiet=True, sensitivity=0.0).listen_threshold == 0.5  # does not move
