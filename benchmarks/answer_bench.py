"""Answers to a yes/no question by voice: what the question's grammar alone makes of them, and the
reading that also decodes the idle grammar and dictation (``listen(..., commands=True)``, issue 14).

    .venv/bin/python benchmarks/answer_bench.py [--voices N]

Each utterance (real answers, and idle commands said instead of an answer) is synthesised by the
benchmark voices (flite, festival; see voices.py), padded with light noise and decoded by the real
PocketSphinx adapter through the real ``AudioListener``. Printed: answers read right, commands run,
commands taken for a sure yes/no (the bug: "i did it" started a trust talk), and the time one
``listen`` takes (the audio is delivered at once, so this is recognition and matching time).
Baseline and new reading in the same run, on the same audio.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from assistant.clock import RealClock  # noqa: E402
from assistant.config import PathSettings  # noqa: E402
from assistant.conversation import CONFIRM, is_sure_answer  # noqa: E402
from assistant.events import ListSink  # noqa: E402
from assistant.nlu import Matcher, load_intents  # noqa: E402
from assistant.speech.ears import AudioListener  # noqa: E402
from assistant.speech.frames import EchoGate  # noqa: E402
from assistant.speech.sphinx_engine import SphinxRecognizer  # noqa: E402
from assistant.speech.wake import WakeSpotter  # noqa: E402
from benchmarks.voices import available_voices, synthesise  # noqa: E402
from tests.speech_helpers import BytesSource, noisy, silence  # noqa: E402

ANSWERS = {"yes": "confirm.yes", "no": "confirm.no", "yes please": "confirm.yes", "not now": "confirm.no",
           "sure": "confirm.yes", "no thanks": "confirm.no", "yes we did": "confirm.yes", "not yet": "confirm.no"}
COMMANDS = {"what promises are still open": "promise.list", "start our gratitude moment": "gratitude.start",
            "suggest something new to try": "experience.suggest", "how are our goals going": "goal.review",
            "hey tandem what promises are still open": "promise.list", "what can you do": "help"}


def listen_once(pcm: bytes, matcher: Matcher, recognizer: SphinxRecognizer, commands: bool):
    ears = AudioListener(
        BytesSource(pcm), recognizer, WakeSpotter(),
        parse=lambda text, ctx, ex, res: matcher.parse(text, ctx, in_exercise=ex, can_resume=res),
        phrases=lambda ctx, ex, res: matcher.phrases(ctx, in_exercise=ex, can_resume=res),
        clock=RealClock(), gate=EchoGate(tail_s=0.0), events=ListSink(),
    )
    try:
        began = time.perf_counter()
        heard = ears.listen(CONFIRM, timeout=8.0, commands=commands)
        return heard, time.perf_counter() - began
    finally:
        ears.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--voices", type=int, default=5, help="how many benchmark voices (default: five)")
    args = ap.parse_args()
    matcher = Matcher(load_intents(PathSettings().intents_dir), ("Alex", "Sam"))
    recognizer = SphinxRecognizer()
    voices = available_voices()[: args.voices]
    rows = {False: {"answers": 0, "commands": 0, "sure_yes_no": 0, "times": []},
            True: {"answers": 0, "commands": 0, "sure_yes_no": 0, "times": []}}
    for i, voice in enumerate(voices):
        for text, expected in [*ANSWERS.items(), *COMMANDS.items()]:
            pcm = noisy(silence(0.3) + synthesise(text, voice) + silence(2.5), seed=i)
            for commands in (False, True):
                heard, took = listen_once(pcm, matcher, recognizer, commands)
                row = rows[commands]
                row["times"].append(took)
                if text in ANSWERS:
                    row["answers"] += heard.intent == expected and is_sure_answer(heard) and not heard.command
                else:
                    row["commands"] += heard.intent == expected and heard.command
                    row["sure_yes_no"] += is_sure_answer(heard) and not heard.command
    n_a, n_c = len(ANSWERS) * len(voices), len(COMMANDS) * len(voices)
    print(f"{len(voices)} voices: {', '.join(map(str, voices))}")
    print("| reading | answers right | commands run | commands taken for a sure yes/no | listen p50 ms | p90 ms |")
    print("|---|---|---|---|---|---|")
    base = statistics.median(rows[False]["times"])
    for commands, label in ((False, "question's grammar only (before)"), (True, "also idle + dictation (now)")):
        row = rows[commands]
        times = sorted(row["times"])
        p50, p90 = statistics.median(times), times[int(0.9 * (len(times) - 1))]
        print(f"| {label} | {row['answers']}/{n_a} | {row['commands']}/{n_c} | {row['sure_yes_no']}/{n_c} "
              f"| {p50 * 1000:.0f} ({p50 / base:.2f}x) | {p90 * 1000:.0f} |")


if __name__ == "__main__":
    main()
