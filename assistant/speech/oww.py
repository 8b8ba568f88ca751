"""The wake phrase by openWakeWord's front end and a small head trained by the project.

``pyopen-wakeword`` turns 16 kHz audio into one 96-number speech embedding
every 80 ms (its melspectrogram and embedding models, run by the TFLite C
runtime in its wheel). A *head* reads the last ``window`` (16) embeddings --
about two seconds of sound -- and scores how much they sound like the end of
the wake phrase. The head for "hey tandem" is ours (``models/hey_tandem.npz``,
built by ``make wake-model``, described in ``models/hey_tandem.md``): a tiny
numpy MLP, so nothing but numpy runs it. The bundled heads of pyopen-wakeword
("hey jarvis", "alexa", ...) are run through the package itself.

``wake_sensitivity`` (0 strict .. 1 eager) moves the threshold in log-odds
around the one the training recipe picked on its development set (used as is
at 0.5): ``logit(t) = logit(t_dev) + SENS_SPAN * (1 - 2 * s)``, so 0 demands
e^4 times the odds of 0.5 and 1 accepts e^-4 times them.

With a second-stage check (``openwakeword+check``) the head runs at the card's lower *cascade*
threshold, one step being enough, and the check rejects the near-misses that let through.

A wake fires when ``hold`` 80 ms steps in a row (from the model card) reach the threshold, then
the detector stays deaf for ``refractory_s`` (the phrase scores high for a few
steps in a row).

A *quiet* wake (``openwakeword+quiet``): a score that reaches only the card's quiet threshold (for
``hold`` steps) is a borderline call. It still wakes -- once the score falls back, or ``QUIET_WAIT_S``
after it rose, if it never reached the chime's threshold -- but marked quiet, and the loop listens
without a chime and acts only on a command it is sure of (``dialogue.Dialogue``). The quiet threshold
does not move with ``wake_sensitivity`` (it is never above the chime's): a strict setting turns
borderline chimes into quiet wakes rather than into missed calls.

``reset()`` forgets what was heard: the window is emptied and refilled by the front end's own steps (at once:
the package embeds the silence it refills itself with), so Tandem's own voice or audio handled by the
recogniser cannot complete a phrase across the gap.
"""

from __future__ import annotations

import ctypes
import json
import logging
import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import TandemError
from ..events import Wake
from .frames import FRAME_BYTES, FRAME_S

log = logging.getLogger(__name__)

STEP_S = 0.08  # one embedding per 1,280 samples
# A borderline score waits this long for the chime's threshold before it wakes quietly: the phrase's
# score climbs over two or three steps, so a confident call is not taken for a quiet one.
QUIET_WAIT_S = 0.4
EMB_DIM = 96
SENS_SPAN = 4.0
REPO_MODELS = Path(__file__).resolve().parents[2] / "models"
BUILTIN_PHRASES = {"hey jarvis": "hey_jarvis", "hey mycroft": "hey_mycroft", "alexa": "alexa",
                   "okay nabu": "okay_nabu", "hey rhasspy": "hey_rhasspy"}


class WakeModelError(TandemError):
    """The wake model is missing or unreadable."""


def _logit(p: float) -> float:
    p = min(max(p, 1e-7), 1 - 1e-7)
    return math.log(p / (1 - p))


def sensitivity_to_threshold(dev_threshold: float, sensitivity: float) -> float:
    """The score a wake needs for a ``wake_sensitivity`` of 0 (strict) .. 1 (eager)."""
    s = min(1.0, max(0.0, sensitivity))
    z = _logit(dev_threshold) + SENS_SPAN * (1.0 - 2.0 * s)
    return 1.0 / (1.0 + math.exp(-z))


@dataclass
class Head:
    """A 2-layer perceptron over a flattened window of embeddings (numpy at run time)."""

    w1: np.ndarray  # (window*96, hidden)
    b1: np.ndarray
    w2: np.ndarray  # (hidden,)
    b2: float
    mean: np.ndarray  # per-feature normalisation, (96,)
    std: np.ndarray
    window: int
    phrase: str
    threshold: float  # chosen on the development set
    hold: int = 1  # steps in a row at or above the threshold that make a wake (also chosen on the dev set)
    # The first stage of a cascade is tuned for recall (a second check rejects near-misses): the dev set's
    # highest threshold that still catches nearly every phrase, one step is enough. None: ``threshold``.
    cascade_threshold: float | None = None
    # Where a quiet wake starts (``openwakeword+quiet``): the dev set's lowest threshold whose chatter false wakes
    # (at ``hold``) stay within the recipe's budget for silent listening. None: the head offers no quiet wake.
    quiet_threshold: float | None = None

    @classmethod
    def linear(cls, w: np.ndarray, b: float, mean: np.ndarray, std: np.ndarray, window: int, phrase: str,
               threshold: float = 0.5) -> "Head":
        """Logistic regression in the same form: relu(z) - relu(-z) is z, so one file format runs both."""
        w = np.asarray(w, np.float32).reshape(-1, 1)
        return cls(np.hstack([w, -w]), np.array([b, -b], np.float32), np.array([1.0, -1.0], np.float32), 0.0,
                   mean, std, window, phrase, threshold)

    @classmethod
    def load(cls, path: Path) -> "Head":
        try:
            with np.load(path, allow_pickle=False) as z:
                meta = json.loads(str(z["meta"]))
                return cls(z["w1"].astype(np.float32), z["b1"].astype(np.float32), z["w2"].astype(np.float32),
                           float(z["b2"]), z["mean"].astype(np.float32), z["std"].astype(np.float32),
                           int(meta["window"]), str(meta["phrase"]), float(meta["threshold"]), int(meta.get("hold", 1)),
                           _optional(meta, "cascade_threshold"), _optional(meta, "quiet_threshold"))
        except (OSError, KeyError, ValueError) as exc:
            raise WakeModelError(f"cannot read the wake model {path}: {exc}; rebuild it: tandem wake train (or make "
                                  "wake-model for hey tandem)") from None

    def save(self, path: Path, extra: dict[str, Any] | None = None) -> None:
        meta = {"window": self.window, "phrase": self.phrase, "threshold": self.threshold, "hold": self.hold,
                "cascade_threshold": self.cascade_threshold, "quiet_threshold": self.quiet_threshold, **(extra or {})}
        with open(path, "wb") as fh:  # np.savez appends .npz to bare names; a handle keeps the name given
            np.savez_compressed(fh, w1=self.w1.astype(np.float16), b1=self.b1, w2=self.w2, b2=np.float32(self.b2),
                                mean=self.mean, std=self.std, meta=np.array(json.dumps(meta, sort_keys=True)))

    def scores(self, windows: np.ndarray) -> np.ndarray:
        """Probabilities for a batch of windows, shape (n, window, 96)."""
        x = ((windows - self.mean) / self.std).reshape(len(windows), -1)
        h = np.maximum(x @ self.w1 + self.b1, 0.0)
        z = h @ self.w2 + self.b2
        return 1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))


def _optional(meta: dict[str, Any], key: str) -> float | None:
    return float(meta[key]) if meta.get(key) is not None else None


def features(threads: int | None = 1) -> Any:
    """pyopen-wakeword's streaming front end (melspectrogram + embedding models), run on ``threads`` threads
    (None: the TFLite runtime's own choice)."""
    try:
        from pyopen_wakeword import OpenWakeWordFeatures
    except ImportError:
        raise WakeModelError("the wake detector needs pyopen-wakeword: pip install pyopen-wakeword "
                             "(or set wake_detector = \"pocketsphinx\" under [speech] in config.toml)") from None
    front = OpenWakeWordFeatures.from_builtin()
    if threads is not None:
        _set_threads(front, threads)
    return front


def _set_threads(front: Any, threads: int) -> None:
    """Rebuild the front end's two interpreters to run on ``threads`` threads.

    pyopen-wakeword creates them with the runtime's default, which spreads each 80 ms step of these small
    models over every core: the waiting costs more than it saves, half as much CPU again for the same
    embeddings (``benchmarks/frontend_bench.py``), taken from the recogniser on a 2-core device. The package
    has no setting for it, so its interpreters are replaced through its own library handle; a release that
    changes those names keeps its default (and the benchmark shows the cost)."""
    try:
        from pyopen_wakeword.openwakeword import EMB_SHAPE, MEL_SHAPE

        lib = front.lib
        shapes = {"mel": MEL_SHAPE, "emb": EMB_SHAPE}
        models = {name: getattr(front, f"{name}_model") for name in shapes}
        create_opts, set_threads = lib.TfLiteInterpreterOptionsCreate, lib.TfLiteInterpreterOptionsSetNumThreads
        delete_opts = lib.TfLiteInterpreterOptionsDelete
    except (ImportError, AttributeError) as exc:
        log.debug("wake front end keeps the runtime's threads: %s", exc)
        return
    create_opts.restype = ctypes.c_void_p
    set_threads.argtypes = [ctypes.c_void_p, ctypes.c_int32]
    delete_opts.argtypes = [ctypes.c_void_p]
    opts = create_opts()
    set_threads(opts, threads)
    try:
        for name, shape in shapes.items():
            interpreter = lib.TfLiteInterpreterCreate(models[name], opts)
            dims = (ctypes.c_int32 * len(shape))(*shape)
            if not interpreter or lib.TfLiteInterpreterResizeInputTensor(interpreter, 0, dims, len(shape)) != 0 \
                    or lib.TfLiteInterpreterAllocateTensors(interpreter) != 0:
                if interpreter:
                    lib.TfLiteInterpreterDelete(interpreter)
                log.debug("wake front end keeps the runtime's threads for its %s model", name)
                continue
            old = getattr(front, f"{name}_interpreter")
            setattr(front, f"{name}_input_tensor", lib.TfLiteInterpreterGetInputTensor(interpreter, 0))
            setattr(front, f"{name}_output_tensor", lib.TfLiteInterpreterGetOutputTensor(interpreter, 0))
            setattr(front, f"{name}_interpreter", interpreter)
            lib.TfLiteInterpreterDelete(old)
    finally:
        delete_opts(opts)


def embed(pcm: bytes, front: Any = None) -> np.ndarray:
    """All embeddings of ``pcm`` (int16 bytes), shape (n, 96); the front end keeps its state between calls."""
    front = front if front is not None else features()
    chunk = 1280 * 2 * 50  # the front end holds at most 10 s at a time
    out = [e.reshape(-1, EMB_DIM) for i in range(0, len(pcm), chunk) for e in front.process_streaming(pcm[i:i + chunk])]
    return np.concatenate(out) if out else np.zeros((0, EMB_DIM), np.float32)


def phrase_words(phrase: str) -> str:
    """The phrase as it is spotted and its head is named: lower-case words ("Hey, Tandem" -> "hey tandem")."""
    return " ".join(phrase.lower().replace(",", " ").split())


def head_file_name(phrase: str) -> str:
    return phrase_words(phrase).replace(" ", "_") + ".npz"


def model_path(phrase: str, dirs: Sequence[Path] = ()) -> Path:
    """The head for ``phrase``: the first in ``dirs`` (a couple's own, from ``tandem wake train``), else the
    repository's (which need not exist)."""
    for folder in dirs:
        if (folder / head_file_name(phrase)).is_file():
            return folder / head_file_name(phrase)
    return REPO_MODELS / head_file_name(phrase)


class OwwWake:
    """The wake detector ``tandem run`` uses by default. One thread owns it."""

    kind = "openwakeword"

    def __init__(self, phrase: str = "hey tandem", sensitivity: float = 0.5, *, model: Path | None = None,
                 refractory_s: float = 1.5, ring_s: float = 4.0, min_preroll_s: float = 0.2,
                 verifier: Any = None, quiet: bool = False) -> None:
        self.phrase = phrase_words(phrase)
        self._front = features()
        self._builtin = None
        self._head: Head | None = None
        builtin = BUILTIN_PHRASES.get(self.phrase)
        path = model or model_path(self.phrase)
        if model is None and builtin is not None:
            from pyopen_wakeword import Model, OpenWakeWord

            self._builtin = OpenWakeWord.from_builtin(Model(builtin))
            self.model_name = f"pyopen-wakeword built-in {builtin}"
            self.window = int(self._builtin.input_windows)
            dev = 0.5
            self.hold = 1
        else:
            if not path.exists():
                raise WakeModelError(f"no wake model for \"{self.phrase}\" at {path}; train one with 'tandem wake train' "
                                     "or use the keyword spotter (wake_detector = \"pocketsphinx\" under [speech] in config.toml)")
            self._head = Head.load(path)
            self.model_name = path.name if path.parent == REPO_MODELS else str(path)  # a couple's own: where it is
            self.window = self._head.window
            dev = self._head.threshold
            self.hold = self._head.hold
            if verifier is not None and self._head.cascade_threshold is not None:
                dev, self.hold = self._head.cascade_threshold, 1
        self.threshold = sensitivity_to_threshold(dev, sensitivity)
        if self._head is not None and self._head.cascade_threshold is not None:
            # no eagerness below the loosest point the dev set vouches for (>= 95% of its phrases): lower buys no
            # detection, and a linear head scores a quiet room ~0.2, so wake_sensitivity 0.9 would wake on silence
            self.threshold = max(self.threshold, self._head.cascade_threshold)
        self.verifier = verifier
        floor = self._head.quiet_threshold if self._head is not None else None
        if quiet and floor is None:
            log.warning("the wake model %s has no quiet threshold: every wake chimes (rebuild it: tandem wake train)",
                        self.model_name)
        self.listen_threshold = min(self.threshold, floor) if quiet and floor is not None else None
        self._quiet_wait = int(round(QUIET_WAIT_S / STEP_S))
        self._qrun = 0  # steps in a row at or above the listening threshold
        self._armed: int | None = None  # steps since a borderline score held (a quiet wake in waiting)
        self._frames = 0  # frames fed since construction
        self._armed_frame = 0  # the frame at which the quiet wake in waiting was armed: about the phrase's end
        self._peak = 0.0
        self.last_wake = Wake()
        self._dither = np.random.default_rng(0)
        # Only the front end's own steps since the last reset: a made-up quiet room spliced in front of real steps
        # scored 0.30-0.36 with the committed head, a wake at an eager sensitivity (the cascade's 0.3).
        self._embs: deque[np.ndarray] = deque(maxlen=self.window)
        self._ring: deque[bytes] = deque(maxlen=int(ring_s / FRAME_S))
        self._refractory = int(round(refractory_s / STEP_S))
        self._deaf = 0
        self._run = 0  # steps in a row at or above the threshold
        self._min_preroll = math.ceil(min_preroll_s / FRAME_S - 1e-9)
        self._preroll_frames = self._min_preroll
        self.last_score = 0.0
        self.last_steps: list[float] = []
        self.candidates = 0
        self.rejected = 0

    def reset(self) -> None:
        # The front end too: its buffered audio and mel frames still held the phrase that woke it, so the
        # first steps after a conversation scored that phrase again and woke it a second time.
        self._front.reset()
        self._embs.clear()
        self._ring.clear()
        self._deaf = 0
        self._run = 0
        self._armed, self._qrun = None, 0
        if self._builtin is not None:
            self._builtin.reset()
        if self.verifier is not None:
            self.verifier.reset()

    def score_steps(self, frame: bytes) -> list[float]:
        """Feed one frame; the scores of the 80 ms steps it completed (usually none or one)."""
        out: list[float] = []
        # A faint dither: digital silence (a padded WAV file, a muted line) never reached training,
        # where every stream had a noise floor; 2 LSB is far below any microphone's own noise.
        pcm = np.frombuffer(frame, "<i2").astype(np.int32) + self._dither.integers(-2, 3, len(frame) // 2)
        for e in self._front.process_streaming(pcm.clip(-32768, 32767).astype("<i2").tobytes()):
            self._embs.append(e.reshape(EMB_DIM).astype(np.float32))
            probs = None
            if self._builtin is not None:  # it keeps a window of its own: fed every embedding
                probs = list(self._builtin.process_streaming(e.reshape(1, 1, -1, EMB_DIM)))
            if len(self._embs) < self.window:  # (after a reset the first frame brings ~90 steps: its fill)
                continue
            if self._head is not None:
                out.append(float(self._head.scores(np.stack(self._embs)[None])[0]))
            else:
                out.append(float(probs[-1]) if probs else 0.0)
        return out

    def accept(self, frame: bytes) -> bool:
        if len(frame) != FRAME_BYTES:
            return False
        return self.accept_scored(frame, self.score_steps(frame))

    def accept_scored(self, frame: bytes, steps: list[float]) -> bool:
        """``accept`` given the scores this head gives the steps ``frame`` completed (``score_steps``): detectors
        that differ only in their thresholds or check can share one front end (``benchmarks/wake_bench.py``)."""
        self._ring.append(frame)
        self._frames += 1
        if self.verifier is not None:
            self.verifier.observe(frame)
        woke = False
        self.last_steps = steps
        for s in self.last_steps:
            self.last_score = s
            if self._deaf > 0:
                self._deaf -= 1
                continue
            self._run = self._run + 1 if s >= self.threshold else 0
            if self._run >= self.hold:
                woke = self._fire(max(s, self._peak), quiet=False) or woke
            elif self.listen_threshold is not None:
                woke = self._borderline(s) or woke
        return woke

    def _borderline(self, s: float) -> bool:
        """A step that did not chime: arm a quiet wake once the score has held the listening threshold for
        ``hold`` steps, fire it when the score falls back or has waited ``QUIET_WAIT_S``."""
        assert self.listen_threshold is not None
        if s < self.listen_threshold:
            self._qrun = 0
            return self._armed is not None and self._fire(self._peak, quiet=True)
        self._qrun += 1
        self._peak = s if self._qrun == 1 else max(self._peak, s)
        if self._qrun < self.hold:
            return False
        if self._armed is None:
            self._armed, self._armed_frame = 0, self._frames
        self._armed += 1
        return self._armed >= self._quiet_wait and self._fire(self._peak, quiet=True)

    def _fire(self, score: float, *, quiet: bool) -> bool:
        """A wake (True), unless the second-stage check turns it down; deaf for ``refractory_s`` either way."""
        # A quiet wake fires once its score falls back, up to QUIET_WAIT_S after the phrase ended: what was said
        # since it was armed is handed on, so a command said in one breath keeps its first word.
        waited = self._frames - self._armed_frame if quiet and self._armed is not None else 0
        self._preroll_frames = max(self._min_preroll, waited)
        self._run, self._qrun, self._armed, self._peak = 0, 0, None, 0.0
        self.candidates += 1
        self._deaf = self._refractory
        if self.verifier is not None and not self.verifier.confirm():
            self.rejected += 1
            return False
        self.last_wake = Wake(score=round(score, 3), quiet=quiet)
        return True

    def preroll(self) -> bytes:
        """The last ``min_preroll_s`` of audio (after a quiet wake: all since it was armed).

        The head fires as the phrase ends or a step or two after (0-0.2 s, measured on flite and espeak-ng
        voices), so a command said in one breath starts in there. Not more: at 0.5 s this was the phrase's own
        last word, heard after a pause as a first utterance of its own ("tandem", "end in"; "undo", taken for
        forget.last), or glued to the command and garbling it (``benchmarks/loop_bench.py``)."""
        ring = list(self._ring)
        return b"".join(ring[-self._preroll_frames:]) if ring else b""
