"""Speech benchmark: real-time factor, command success per SNR, and memory, per engine and mode.

    .venv/bin/python benchmarks/speech_bench.py [--quick] [--hard] [--vosk-model PATH]
        [--voices flite:awb,festival:kal_diphone] [--intent-half 0|1]

Held-out reporting: the PocketSphinx command-mode settings were tuned on
``--voices flite:kal16,flite:slt,flite:rms --intent-half 0``; report on
``--voices flite:awb,festival:kal_diphone --intent-half 1`` (and ``--hard``).

The corpus is synthesised here (benchmarks/voices.py): idle commands spoken
by every flite/festival voice, each with a random pitch/tempo/reverb
variation, then mixed with noise (pink + babble) at 20 dB and 10 dB SNR.
"Success" means the right intent after the matcher (assistant.nlu when the
intents exist; otherwise an exact lookup in the fallback table below).
Command mode decodes with the matcher's idle phrases as the grammar;
dictation decodes free text and leaves everything to the matcher.

Not a timed test: it prints a table (targets with PocketSphinx: RTF < 0.3,
>= 90 % command success at 20 dB, RSS < 300 MB).
"""

from __future__ import annotations

import argparse
import math
import os
import random
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from voices import Voice, available_voices, mix_at_snr, random_variation, synthesise  # noqa: E402

from assistant.config import REPO_ROOT  # noqa: E402
from assistant.speech.wavfile import iter_frames  # noqa: E402

SNRS: tuple[float | None, ...] = (None, 20.0, 10.0)

# Used when assistant.nlu or intents/*.yaml are not there yet: phrase → intent.
FALLBACK_COMMANDS = {
    "start our gratitude moment": "gratitude.start",
    "let's do our weekly check in": "checkin.start",
    "start the trust talk": "trusttalk.start",
    "let's share our vulnerabilities": "vulnerability.start",
    "start active listening": "listening.start",
    "let's work on our shared goals": "goals.start",
    "suggest a new experience": "experience.suggest",
    "what are our promises": "promise.list",
    "how are we doing": "summary",
    "what can you do": "help",
    "never mind": "cancel",
    "when is the next trust talk": "reminder.list",
    "speak louder": "volume.up",
    "guests are here": "privacy.on",
}

# Speech that is not a command, for the babble bed (another conversation in the room).
BABBLE = [
    "the weather tomorrow will be cloudy with some rain in the afternoon",
    "did you remember to buy milk and bread on the way home",
    "the football match went into extra time and nobody scored",
    "put the kettle on and i will find the biscuits",
    "traffic on the motorway is slow because of road works",
    "the children are playing in the garden until dinner",
]


@dataclass(frozen=True)
class Utterance:
    text: str
    intent: str
    voice: Voice
    variation: str
    pcm: bytes  # clean


@dataclass
class Cell:
    ok: int = 0
    n: int = 0

    def add(self, good: bool) -> None:
        self.ok += int(good)
        self.n += 1

    def text(self) -> str:
        if not self.n:
            return "-"
        lo, hi = wilson(self.ok, self.n)
        return f"{100 * self.ok / self.n:5.1f}% [{100 * lo:.0f}-{100 * hi:.0f}]"


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95 % Wilson score interval for k successes in n trials."""
    if n == 0:
        return 0.0, 1.0
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


# -- the matcher: assistant.nlu when available -------------------------------------


class Understanding:
    """phrases() for the grammar, intent_of(text) for scoring, commands() for the corpus."""

    def __init__(self, per_intent: int, rng: random.Random) -> None:
        self.source = "fallback table"
        self._matcher = None
        try:
            from assistant.nlu import Matcher, load_intents

            intents_dir = REPO_ROOT / "intents"
            if any(intents_dir.glob("*.yaml")):
                self._matcher = Matcher(load_intents(intents_dir), partners=("Alex", "Sam"))
                self.source = f"assistant.nlu on {intents_dir}"
        except ImportError:
            pass
        self._per_intent = per_intent
        self._rng = rng

    def phrases(self) -> list[str]:
        if self._matcher is None:
            return list(FALLBACK_COMMANDS)
        return self._matcher.phrases("idle")

    def understands(self, text: str) -> bool:
        """The recogniser's n-best re-scoring hook: does the matcher accept ``text`` at all?"""
        return self.intent_of(text) is not None

    def intent_of(self, text: str) -> str | None:
        if self._matcher is None:
            return FALLBACK_COMMANDS.get(" ".join(text.split()))
        return self._matcher.parse(text, "idle").intent

    def commands(self) -> list[tuple[str, str]]:
        """(spoken text, expected intent): a sample of complete idle phrases, a few per intent."""
        if self._matcher is None:
            return [(p, i) for p, i in FALLBACK_COMMANDS.items()]
        by_intent: dict[str, list[str]] = defaultdict(list)
        for phrase in self._matcher.phrases("idle"):
            parsed = self._matcher.parse(phrase, "idle")
            bare = phrase
            for clitic in ("'s", "'re", "'m", "'t", "'ll", "'d"):
                bare = bare.replace(clitic, "")
            if "'" in bare or " '" in phrase:
                continue  # tokens like "we 'd" are matcher spellings nobody says that way
            if parsed.intent and parsed.score >= 0.99 and not parsed.slots:  # whole commands, no dictated tail
                by_intent[parsed.intent].append(phrase)
        out = []
        for intent in sorted(by_intent):
            sample = self._rng.sample(by_intent[intent], min(self._per_intent, len(by_intent[intent])))
            out += [(p, intent) for p in sample]
        return out


# -- engines ---------------------------------------------------------------------


def make_engine(name: str, vosk_model: str | None,
                understand: Callable[[str], bool] | None = None) -> Callable[[], object]:
    if name == "pocketsphinx":
        from assistant.speech.sphinx_engine import SphinxRecognizer

        return lambda: SphinxRecognizer(understand=understand)
    from assistant.speech.vosk_engine import VoskRecognizer

    return lambda: VoskRecognizer(vosk_model)  # type: ignore[arg-type]


def decode(rec, pcm: bytes) -> tuple[str, float]:  # type: ignore[no-untyped-def]
    """The text and the CPU seconds it took (CPU, not wall: other work on the box must not count)."""
    start = time.process_time()
    for frame in iter_frames(pcm):
        rec.accept(frame)
    text = rec.finish().text
    return text, time.process_time() - start


def build_corpus(commands: Sequence[tuple[str, str]], voices: Sequence[Voice], rng: random.Random) -> list[Utterance]:
    corpus = []
    for text, intent in commands:
        for voice in voices:
            variation = random_variation(rng)
            corpus.append(Utterance(text, intent, voice, variation.label, synthesise(text, voice, variation)))
    return corpus


def babble_bed(voices: Sequence[Voice]) -> np.ndarray:
    parts = [synthesise(s, voices[i % len(voices)]) for i, s in enumerate(BABBLE)]
    return np.frombuffer(b"".join(parts), dtype="<i2").astype(np.float64)


def run(args: argparse.Namespace) -> int:
    rng = random.Random(args.seed)
    nprng = np.random.default_rng(args.seed)
    understanding = Understanding(args.per_intent, rng)
    voices = available_voices(hard=args.hard)
    if args.voices:
        wanted = set(args.voices.split(","))
        voices = [v for v in voices if str(v) in wanted]
    if not voices:
        print("no synthesiser found: apt-get install flite festival festvox-kallpc16k sox", file=sys.stderr)
        return 1
    commands = understanding.commands()
    if args.intent_half is not None:
        intents = sorted({i for _, i in commands})[args.intent_half :: 2]
        commands = [(t, i) for t, i in commands if i in intents]
    if args.quick:
        commands = commands[: max(4, len(commands) // 3)]
    t0 = time.perf_counter()
    corpus = build_corpus(commands, voices, rng)
    bed = babble_bed(voices)
    noisy = {snr: [mix_at_snr(u.pcm, snr, nprng, bed) for u in corpus] for snr in SNRS}
    audio_s = sum(len(u.pcm) for u in corpus) / 32000
    print(f"corpus: {len(commands)} commands x {len(voices)} voices ({', '.join(map(str, voices))}) = {len(corpus)} "
          f"utterances, {audio_s:.0f} s per SNR; variations: pitch/tempo/reverb; noise: pink + babble; "
          f"matcher: {understanding.source}; built in {time.perf_counter() - t0:.0f} s")
    engines = ["pocketsphinx"] + (["vosk"] if args.vosk_model else [])
    modes = ["command", "dictation"] if not args.command_only else ["command"]
    rows = []
    per_voice: dict[tuple[str, str, str], Cell] = defaultdict(Cell)
    failures: list[str] = []
    for engine in engines:
        base = rss_mb()
        t_load = time.perf_counter()
        try:
            rec = make_engine(engine, args.vosk_model, None if args.no_rescore else understanding.understands)()
        except Exception as exc:  # noqa: BLE001 - report and go on with the other engine
            print(f"{engine}: cannot load ({exc})")
            continue
        load_s = time.perf_counter() - t_load
        rss_after = rss_mb()
        for mode in modes:
            try:
                rec.set_grammar(understanding.phrases() if mode == "command" else None)
            except Exception as exc:  # noqa: BLE001 - e.g. a non-English Vosk model: no phrase survives
                print(f"{engine} {mode}: skipped ({exc})")
                continue
            cells = {snr: Cell() for snr in SNRS}
            busy = 0.0
            step = args.dictation_share if mode == "dictation" else 1
            audio_mode = sum(len(u.pcm) for u in corpus[::step]) / 32000
            for snr in SNRS:
                for utt, pcm in list(zip(corpus, noisy[snr]))[::step]:
                    text, took = decode(rec, pcm)
                    busy += took
                    good = understanding.intent_of(text) == utt.intent
                    cells[snr].add(good)
                    if snr == 20.0:
                        per_voice[(engine, mode, str(utt.voice))].add(good)
                    if not good and snr != 10.0 and len(failures) < args.show_failures:
                        failures.append(f"  {engine}/{mode} {_snr(snr)} {utt.voice} {utt.variation}: "
                                        f"{utt.text!r} -> {text!r}")
            rtf = busy / (audio_mode * len(SNRS))
            rows.append((engine, mode, rtf, cells, rss_after, rss_after - base, load_s))
        del rec
    print()
    print("| engine | mode | RTF | clean | 20 dB SNR | 10 dB SNR | RSS after load (MB) | load (s) |")
    print("|---|---|---|---|---|---|---|---|")
    for engine, mode, rtf, cells, rss, delta, load_s in rows:
        print(f"| {engine} | {mode} | {rtf:.3f} | {cells[None].text()} | {cells[20.0].text()} | {cells[10.0].text()} "
              f"| {rss:.0f} (+{delta:.0f}) | {load_s:.2f} |")
    print("\nsuccess = right intent after the matcher, [95% Wilson interval]; RTF = CPU seconds / audio seconds over "
          f"all SNRs (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores); RSS of this process; "
          f"dictation on every {args.dictation_share}th utterance.")
    print("\nat 20 dB, per voice:")
    for (engine, mode, voice), cell in sorted(per_voice.items()):
        print(f"  {engine:12} {mode:9} {voice:22} {cell.text()}")
    if failures:
        print("\nsome misses (clean / 20 dB):")
        print("\n".join(failures))
    return 0


def _snr(snr: float | None) -> str:
    return "clean" if snr is None else f"{snr:.0f}dB"


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="a third of the commands (a smoke run)")
    p.add_argument("--hard", action="store_true",
                   help="add flite kal (8 kHz) and espeak-ng: voices unlike a microphone")
    p.add_argument("--dictation-share", type=int, default=3, help="decode every Nth utterance in dictation (slow)")
    p.add_argument("--command-only", action="store_true", help="skip dictation mode (the slow one)")
    p.add_argument("--per-intent", type=int, default=1, help="phrases per intent when assistant.nlu is used")
    p.add_argument("--vosk-model", default=os.environ.get("VOSK_MODEL") or None,
                   help="an English Vosk model folder (default: $VOSK_MODEL); without it only PocketSphinx runs")
    p.add_argument("--voices", help="comma-separated voices to keep, e.g. flite:awb,festival:kal_diphone")
    p.add_argument("--intent-half", type=int, choices=(0, 1), help="only every other idle intent (0: the tuning half)")
    p.add_argument("--no-rescore", action="store_true", help="PocketSphinx without n-best re-scoring by the matcher")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--show-failures", type=int, default=12)
    return run(p.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
