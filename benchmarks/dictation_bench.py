"""Dictation benchmark: word error rate per engine on what couples say, names right, speed, memory.

    nice -n 5 .venv/bin/python benchmarks/dictation_bench.py [--n 120]
        [--engines whisper,pocketsphinx,pocketsphinx-defaults]
        [--whisper-model DIR] [--tiny-model DIR] [--vosk-model DIR]

The corpus is synthesised here: ``--n`` sentences of the kinds couples say
(appreciations, promises with names and days, goals and steps), from
templates and several couples' names, each spoken by one of the flite/festival
voices (benchmarks/voices.py) with a random pitch/tempo/reverb variation,
then heard clean and mixed with pink + babble noise at 20 dB and 10 dB SNR.

Engines: Whisper base (faster-whisper, int8, beam 5, VAD filter, the couple's
names in the prompt: exactly as Tandem dictates; the test model from the PyPI
test extra unless ``--whisper-model``; ``whisper-names-only`` (the names
alone, "Sam and Alex.") and ``whisper-hotwords`` compare other ways of giving
Whisper the names), PocketSphinx as Tandem sets it up for
dictation (``sphinx_engine.DEFAULT_OPTIONS``), PocketSphinx with its own
default free-LM configuration (``Decoder()``), and Vosk where an English
model is given. WER = (substitutions + deletions + insertions) / reference
words, over all utterances, after lower-casing, dropping punctuation and
spelling small numbers as words. Names right = partners' names in the
reference heard as written. Also: real-time factor, time to a transcript for a
4 s and a 30 s turn, text produced from silence and noise alone, and the RSS
of a transcription worker process (model loaded once, one 30 s turn done).

Not a timed test: it prints a table (targets: Whisper base WER <= 8% clean,
<= 12% at 20 dB; names >= 98%; a 4 s turn in <= 1.5 s; no text from noise).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.voices import Variation, Voice, available_voices, mix_at_snr, pink_noise, random_variation, synthesise  # noqa: E402

SNRS: tuple[float | None, ...] = (None, 20.0, 10.0)  # None = clean
COUPLES = (("Sam", "Alex"), ("Maria", "Jordan"), ("Chris", "Dana"), ("Emma", "Noah"), ("Lucy", "Ben"),
           ("Priya", "Tom"))
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "tomorrow", "next week",
        "the weekend")
TASKS = ("call the plumber", "water the plants", "book a table for our anniversary", "fix the garden gate",
         "cook dinner", "pick up the kids from school", "take the car to the garage", "phone your mother",
         "clean the kitchen", "plan our holiday", "pay the electricity bill", "walk the dog in the morning",
         "put the phone away at dinner", "bring you coffee in bed", "sort out the spare room")
THANKS = ("listened to me tonight", "made me laugh when I was tired", "took care of the kids this morning",
          "remembered my appointment", "cooked that lovely dinner", "gave me time to rest",
          "were patient with me this week", "held my hand at the doctor's", "cleaned up after the party",
          "told me the truth even when it was hard", "surprised me with flowers", "supported my new job")
GOALS = ("spend one evening a week without screens", "go for a walk together every Sunday",
         "save money for a trip to Italy", "have breakfast together on weekdays", "learn to dance together",
         "visit your parents once a month", "stop arguing about money", "read the same book this month")
STEPS = ("buy a new diary", "look at flights tonight", "set an alarm for seven", "open a savings account",
         "find a dance class near us", "write a shopping list", "turn off the television after nine")
TEMPLATES = (
    "{a} promises to {task} by {day}", "{a} promises to {task} on {day}", "I promise to {task} by {day}",
    "{b} will {task} before {day}", "I appreciate how you {thanks}", "thank you {b} for the way you {thanks}",
    "{a} appreciates that {b} {thanks}", "our goal is to {goal}", "we want to {goal}",
    "the first step is that {a} will {step}", "I will {step} and {b} will {task}", "{b} kept the promise to {task}",
)
SMALL = {"0": "zero", "1": "one", "2": "two", "3": "three", "4": "four", "5": "five", "6": "six", "7": "seven",
         "8": "eight", "9": "nine", "10": "ten", "11": "eleven", "12": "twelve"}
_PUNCT = re.compile(r"[^\w' ]+")


@dataclass(frozen=True)
class Sample:
    text: str
    names: tuple[str, ...]  # the couple (for the prompt)
    said_names: tuple[str, ...]  # names in the sentence
    voice: Voice
    variation: str
    pcm: bytes


def sentences(n: int, rng: random.Random) -> list[tuple[str, tuple[str, str]]]:
    out: list[tuple[str, tuple[str, str]]] = []
    seen: set[str] = set()
    while len(out) < n:
        couple = rng.choice(COUPLES)
        a, b = couple if rng.random() < 0.5 else couple[::-1]
        text = rng.choice(TEMPLATES).format(a=a, b=b, task=rng.choice(TASKS), day=rng.choice(DAYS),
                                            thanks=rng.choice(THANKS), goal=rng.choice(GOALS), step=rng.choice(STEPS))
        if text not in seen:
            seen.add(text)
            out.append((text, couple))
    return out


def words(text: str) -> list[str]:
    text = text.lower().replace("\u2019", "'").replace("-", " ")
    return [SMALL.get(w, w) for w in _PUNCT.sub(" ", text).split()]


def edit_distance(ref: Sequence[str], hyp: Sequence[str]) -> int:
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        cur = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h))
        prev = cur
    return prev[-1]


def rss_status(field: str = "VmRSS") -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


# -- engines: a function (pcm, names) -> text ---------------------------------------------------------

Engine = Callable[[bytes, Sequence[str]], str]


def whisper_engine(folder: Path, prompt: Callable[[Sequence[str]], str] | None = None,
                   hotwords: bool = False) -> Engine:
    """Whisper as Tandem runs it (``prompt``: Tandem's ``dictation_prompt`` unless another is being compared;
    ``hotwords``: faster-whisper's ``hotwords`` given the names too)."""
    from assistant.speech.whisper_engine import WhisperTranscriber, dictation_prompt

    transcriber = WhisperTranscriber(folder)
    make_prompt = prompt or (lambda names: dictation_prompt(names))
    if not hotwords:
        return lambda pcm, names: transcriber.transcribe(pcm, make_prompt(names))
    from assistant.speech.whisper_engine import BEAM_SIZE, LANGUAGE, clean_text, pcm_to_float

    def run(pcm: bytes, names: Sequence[str]) -> str:
        segments, _ = transcriber.model.transcribe(
            pcm_to_float(pcm), language=LANGUAGE, beam_size=BEAM_SIZE, vad_filter=True,
            initial_prompt=make_prompt(names), hotwords=" ".join(names), condition_on_previous_text=False,
            without_timestamps=True)
        return clean_text([s.text for s in segments])

    return run


def names_only_prompt(names: Sequence[str]) -> str:
    """The names alone ("Sam and Alex."), Tandem's prompt before ``COUPLE_PROMPT`` was measured better."""
    return " and ".join(names) + "."



def sphinx_whole(defaults: bool) -> Engine:
    """PocketSphinx decoding the whole utterance at once (``full_utt``: cepstral mean from the whole
    utterance instead of a running estimate), with its defaults or with Tandem's dictation options."""
    from pocketsphinx import Decoder

    from assistant.speech.sphinx_engine import DEFAULT_OPTIONS

    decoder = Decoder(loglevel="ERROR") if defaults else Decoder(loglevel="ERROR", **DEFAULT_OPTIONS)

    def run(pcm: bytes, names: Sequence[str]) -> str:
        decoder.start_utt()
        decoder.process_raw(pcm, False, True)
        decoder.end_utt()
        hyp = decoder.hyp()
        return hyp.hypstr if hyp is not None else ""

    return run


def sphinx_engine(defaults: bool) -> Engine:
    from assistant.speech.sphinx_engine import SphinxRecognizer
    from assistant.speech.wavfile import iter_frames

    if defaults:
        from pocketsphinx import Decoder

        decoder = Decoder(loglevel="ERROR")  # PocketSphinx 5's own default: the en-us model and its free LM

        def run_defaults(pcm: bytes, names: Sequence[str]) -> str:
            decoder.start_utt()
            for frame in iter_frames(pcm):  # fed as Tandem feeds it: 30 ms frames as they come (live CMN)
                decoder.process_raw(frame, False, False)
            decoder.end_utt()
            hyp = decoder.hyp()
            return hyp.hypstr if hyp is not None else ""

        return run_defaults
    rec = SphinxRecognizer()
    rec.set_grammar(None)

    def run_tandem(pcm: bytes, names: Sequence[str]) -> str:
        for frame in iter_frames(pcm):
            rec.accept(frame)
        return rec.finish().text

    return run_tandem


def vosk_engine(folder: Path) -> Engine:
    from assistant.speech.vosk_engine import VoskRecognizer
    from assistant.speech.wavfile import iter_frames

    rec = VoskRecognizer(folder)

    def run(pcm: bytes, names: Sequence[str]) -> str:
        for frame in iter_frames(pcm):
            rec.accept(frame)
        return rec.finish().text

    return run


# -- the worker's memory, measured in a process of its own ------------------------------------------------


def _worker_rss(folder: str, pcm: bytes, out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    from assistant.speech.whisper_engine import WhisperTranscriber

    before = rss_status()
    transcriber = WhisperTranscriber(folder)
    loaded = rss_status()
    transcriber.transcribe(pcm, "Sam and Alex.")
    out.put((before, loaded, rss_status(), rss_status("VmHWM")))


def worker_memory(folder: Path, pcm: bytes) -> tuple[float, float, float, float]:
    ctx = multiprocessing.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=_worker_rss, args=(str(folder), pcm, q))
    p.start()
    result = q.get(timeout=600)
    p.join()
    return result


# -- the run -----------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=120, help="sentences (one voice each; x3 noise conditions)")
    p.add_argument("--engines", default="whisper,pocketsphinx,pocketsphinx-defaults",
                   help="also: pocketsphinx-whole, pocketsphinx-defaults-whole (the utterance decoded at once); "
                        "whisper-names-only (the prompt \"Sam and Alex.\"), whisper-hotwords (faster-whisper's "
                        "hotwords)")
    p.add_argument("--whisper-model", type=Path, default=None, help="default: the test model from the PyPI test extra")
    p.add_argument("--tiny-model", type=Path, default=None, help="a whisper-tiny folder, if one is at hand")
    p.add_argument("--vosk-model", type=Path, default=None, help="an English Vosk model folder, if one is at hand")
    p.add_argument("--seed", type=int, default=16)
    p.add_argument("--no-timing", action="store_true", help="skip the turn timings and the worker's memory")
    p.add_argument("--no-10db", action="store_true", help="clean and 20 dB only (the targets' conditions)")
    p.add_argument("--show-failures", type=int, default=12)
    args = p.parse_args(argv)

    rng = random.Random(args.seed)
    nprng = np.random.default_rng(args.seed)
    voices = available_voices()
    if not voices:
        print("no synthesiser found: apt-get install flite festival festvox-kallpc16k sox", file=sys.stderr)
        return 1
    whisper_dir = args.whisper_model
    if whisper_dir is None:
        from tests.whisper_model import whisper_base_path

        whisper_dir = whisper_base_path()
    t0 = time.perf_counter()
    samples: list[Sample] = []
    for i, (text, couple) in enumerate(sentences(args.n, rng)):
        voice = voices[i % len(voices)]
        variation = random_variation(rng) if i % 3 else Variation("plain")
        said = tuple(n for n in couple if n in text.split())
        samples.append(Sample(text, couple, said, voice, variation.label, synthesise(text, voice, variation)))
    bed_text = [s.text for s in samples[:: max(1, len(samples) // 12)]]
    bed = np.frombuffer(b"".join(synthesise(t, voices[(i + 1) % len(voices)]) for i, t in enumerate(bed_text)),
                        dtype="<i2").astype(np.float64)
    snrs = SNRS[:2] if args.no_10db else SNRS  # the 20 dB mix is the same either way (mixed before the 10 dB one)
    noisy = {snr: [mix_at_snr(s.pcm, snr, nprng, bed) for s in samples] for snr in snrs}
    audio_s = sum(len(s.pcm) for s in samples) / 32000
    print(f"corpus: {len(samples)} sentences ({', '.join(map(str, voices))}; every third plain, the rest "
          f"pitch/tempo/reverb), {audio_s:.0f} s per condition, built in {time.perf_counter() - t0:.0f} s; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")

    engines: dict[str, Callable[[], Engine]] = {}
    for name in args.engines.split(","):
        if name == "whisper" and whisper_dir is not None:
            engines["whisper-base"] = lambda: whisper_engine(whisper_dir)
        elif name == "whisper-names-only" and whisper_dir is not None:
            engines["whisper-base, names alone"] = lambda: whisper_engine(whisper_dir, names_only_prompt)
        elif name == "whisper-hotwords" and whisper_dir is not None:
            engines["whisper-base + hotwords"] = lambda: whisper_engine(whisper_dir, hotwords=True)
        elif name == "pocketsphinx":
            engines["pocketsphinx (Tandem's)"] = lambda: sphinx_engine(False)
        elif name == "pocketsphinx-defaults":
            engines["pocketsphinx (its defaults)"] = lambda: sphinx_engine(True)
        elif name == "pocketsphinx-whole":
            engines["pocketsphinx (Tandem's, whole utterance)"] = lambda: sphinx_whole(False)
        elif name == "pocketsphinx-defaults-whole":
            engines["pocketsphinx (its defaults, whole utterance)"] = lambda: sphinx_whole(True)
    if args.tiny_model:
        engines["whisper-tiny"] = lambda: whisper_engine(args.tiny_model)
    if args.vosk_model:
        engines["vosk"] = lambda: vosk_engine(args.vosk_model)

    rows = []
    failures: list[str] = []
    name_misses: list[str] = []
    quiet = {"4 s digital silence": b"\x00\x00" * 64000,
             "4 s pink noise (-35 dBFS)": (pink_noise(64000, nprng) * 580).astype("<i2").tobytes(),
             "4 s hum + hiss": (700 * np.sin(2 * np.pi * 50 * np.arange(64000) / 16000)
                                + nprng.normal(0, 150, 64000)).astype("<i2").tobytes()}
    for label, make in engines.items():
        t_load = time.perf_counter()
        engine = make()
        load_s = time.perf_counter() - t_load
        wer: dict[float | None, list[int]] = {snr: [0, 0] for snr in snrs}
        names = [0, 0]
        busy = busy_cpu = 0.0
        for snr in snrs:
            for s, pcm in zip(samples, noisy[snr]):
                started, cpu = time.perf_counter(), time.process_time()
                heard = engine(pcm, s.names)
                busy += time.perf_counter() - started
                busy_cpu += time.process_time() - cpu
                ref, hyp = words(s.text), words(heard)
                errors = edit_distance(ref, hyp)
                wer[snr][0] += errors
                wer[snr][1] += len(ref)
                if snr != 10.0:
                    for name in s.said_names:
                        names[1] += 1
                        got = name.lower() in words(heard.replace("'s", " "))  # case: PocketSphinx has none
                        names[0] += got
                        if not got and len(name_misses) < 4 * args.show_failures:
                            name_misses.append(f"  {label} {s.voice} {s.variation} {snr or 'clean'}: "
                                               f"{s.text!r} -> {heard!r}")
                if errors and snr is None and len(failures) < args.show_failures:
                    failures.append(f"  {label} {s.voice} {s.variation}: {s.text!r} -> {heard!r}")
        noise_out = [t for t in (engine(pcm, ("Sam", "Alex")) for pcm in quiet.values()) if t.strip()]
        rows.append((label, wer, names, busy / (audio_s * len(snrs)), busy_cpu / (audio_s * len(snrs)), load_s,
                     noise_out))

    print()
    print("| engine | WER clean | WER 20 dB | WER 10 dB | names right (clean + 20 dB) | RTF wall / CPU | load (s) | "
          "text from silence/noise |")
    print("|---|---|---|---|---|---|---|---|")
    for label, wer, names, rtf, rtf_cpu, load_s, noise_out in rows:
        cells = " | ".join(f"{100 * wer[snr][0] / max(1, wer[snr][1]):.1f}%" if snr in wer else "–" for snr in SNRS)
        name_cell = f"{100 * names[0] / max(1, names[1]):.1f}% ({names[0]}/{names[1]})"
        noise_cell = "none" if not noise_out else "; ".join(repr(t) for t in noise_out)
        print(f"| {label} | {cells} | {name_cell} | {rtf:.2f} / {rtf_cpu:.2f} | {load_s:.1f} | {noise_cell} |")
    if failures:
        print("\nsome clean misses:")
        print("\n".join(failures))
    if name_misses:
        print("\nnames missed (clean and 20 dB):")
        print("\n".join(name_misses))

    print(f"\nRTF = seconds per second of audio: wall clock, and CPU time of this process (all threads; what an "
          f"unloaded machine would take with one thread); load average now {os.getloadavg()[0]:.1f}")
    if whisper_dir is not None and "whisper" in args.engines and not args.no_timing:
        from assistant.speech.whisper_engine import WhisperTranscriber, cpu_threads

        transcriber = WhisperTranscriber(whisper_dir)
        turn4 = synthesise("Sam promises to call the plumber by Friday morning", voices[0])
        turn30 = b""
        for i in range(60):
            if len(turn30) >= 30 * 32000:
                break
            turn30 += synthesise(samples[i % len(samples)].text, voices[i % len(voices)], pad_s=0.3)
        turn30 = turn30[: 30 * 32000]
        print(f"\ntime to a transcript (in-process, {cpu_threads()} thread(s), beam 5):")
        for label, pcm in (("4 s", turn4[: 4 * 32000]), ("30 s", turn30)):
            times, cpus = [], []
            for _ in range(3):
                started, cpu = time.perf_counter(), time.process_time()
                transcriber.transcribe(pcm, "Sam and Alex.")
                times.append(time.perf_counter() - started)
                cpus.append(time.process_time() - cpu)
            print(f"  {label} turn ({len(pcm) / 32000:.1f} s of audio): wall median {sorted(times)[1]:.2f} s "
                  f"(worst {max(times):.2f} s), CPU median {sorted(cpus)[1]:.2f} s; load average "
                  f"{os.getloadavg()[0]:.1f}")
        before, loaded, after, peak = worker_memory(whisper_dir, turn30)
        print(f"\nworker process RSS: {before:.0f} MB at start, {loaded:.0f} MB after loading Whisper base, "
              f"{after:.0f} MB after a 30 s turn, peak {peak:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
