"""``tandem wake train``: a wake head for the couple's own phrase, trained on this device.

The recipe is the one that built the committed "hey tandem" head (``assistant.wake_training``), run with the
couple's phrase: it synthesises the phrase and its near-misses in many voices, so no recording of the couple
is needed and nothing leaves the device. It says how long it will take (timed on a sample of its own work)
before it starts, shows its progress, and can be stopped and resumed (the audio it made is cached until the
head is written). Until a head exists, the keyword spotter listens for the phrase.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from dataclasses import replace
from pathlib import Path

from ..errors import TandemError
from . import help_when_bare

QUICK = 0.25  # --quick: a quarter of the audio (a weaker head, sooner)
WORK_MB = 200  # the full recipe's cached embeddings take about 120 MB ("hey tandem") until the head is written


def register(sub: argparse._SubParsersAction) -> None:
    w = sub.add_parser("wake", help="the wake phrase's detector: train a head for your own phrase")
    ws = w.add_subparsers(dest="wake_command", metavar="SUBCOMMAND", parser_class=type(w))
    t = ws.add_parser("train", help="train a wake head for the couple's phrase on this device (says how long first)")
    t.add_argument("--phrase", default=None, help="the phrase (default: the profile's wake phrase)")
    t.add_argument("--quick", action="store_true", help=f"{QUICK:.0%} of the audio: sooner, and a weaker head")
    t.add_argument("--workers", type=int, default=None, help="processes that make audio (default: up to 2)")
    t.add_argument("--estimate", action="store_true", help="say how long it would take, and stop")
    t.add_argument("--keep-cache", action="store_true", help="keep the training audio's embeddings afterwards")
    t.set_defaults(func=cmd_train)
    help_when_bare(w)


def cmd_train(args: argparse.Namespace, app) -> int:  # type: ignore[no-untyped-def]
    from ..speech.oww import head_file_name
    from ..wake_training.recipe import RecipeSettings, build, estimate

    phrase = _phrase_to_train(args, app)
    if phrase is None:
        return 0
    settings = RecipeSettings(phrase=phrase)
    if args.quick:
        settings = settings.scaled(QUICK)
    if args.workers:
        settings = replace(settings, workers=max(1, args.workers))
    _check_room(app, QUICK if args.quick else 1.0)
    out = app.home.wake_models / head_file_name(phrase)
    cache = app.home.root / "cache" / "wake-train"
    scripts = app.settings.paths.scripts_dir
    print(f"Timing a sample of the work for \"{phrase}\"...", flush=True)
    seconds = estimate(settings, scripts, cache)
    print(f"Training a wake head for \"{phrase}\" takes about {_minutes(seconds)} on this machine "
          f"({settings.workers} worker{'s' if settings.workers > 1 else ''}); Ctrl-C stops it, and a later run "
          "resumes where it stopped.", flush=True)
    if args.estimate:
        _remove_empty(cache)  # what the estimate made for nothing (shards of an interrupted run stay)
        return 0
    started = time.monotonic()
    built = build(settings, out, cache, scripts, f"`tandem wake train --phrase \"{phrase}\"`",
                  log=lambda msg: print(msg, file=sys.stderr, flush=True) if app.verbose else None)
    if not args.keep_cache:
        _remove(cache)
    print(f"Done in {_minutes(time.monotonic() - started)}: \"{phrase}\" now wakes Tandem with its own head "
          f"({out}; threshold {built.head.threshold}, its card {out.with_suffix('.md').name} says how it did). "
          "Restart 'tandem run' (or the service) to use it.")
    return 0


def _phrase_to_train(args: argparse.Namespace, app) -> str | None:  # type: ignore[no-untyped-def]
    """The phrase to train (``--phrase``, else the profile's), or None when it has a head already (said why)."""
    from ..profile import check_wake_phrase
    from ..speech.oww import BUILTIN_PHRASES
    from ..wake_training.text import DEFAULT_PHRASE

    profile = app.profile(required=False) if args.phrase is None else None
    phrase = check_wake_phrase(args.phrase or (profile.wake_phrase if profile else None))
    if phrase in BUILTIN_PHRASES:
        print(f"\"{phrase}\" needs no training: pyopen-wakeword ships a well-trained head for it, used already.")
        return None
    if phrase == DEFAULT_PHRASE:
        print("\"hey tandem\" needs no training: its head comes with Tandem (models/hey_tandem.npz; "
              "developers rebuild it with make wake-model).")
        return None
    missing = [tool for tool in ("espeak-ng", "sox") if shutil.which(tool) is None]
    if missing:
        raise TandemError(f"training a wake head needs {' and '.join(missing)}: sudo apt install {' '.join(missing)}")
    return phrase


def _check_room(app, scale: float) -> None:  # type: ignore[no-untyped-def]
    app._ensure_home()
    need, free_mb = WORK_MB * scale, shutil.disk_usage(app.home.root).free / 2**20
    if free_mb < need:
        raise TandemError(f"training a wake head needs about {need:.0f} MB free in {app.home.root} for its working "
                          f"files ({free_mb:.0f} MB free); free some space first")


def _minutes(seconds: float) -> str:
    minutes = max(1, round(seconds / 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}" if minutes < 90 else f"{minutes / 60:.1f} hours"


def _remove_empty(folder: Path) -> None:
    for sub in sorted(folder.rglob("*"), key=lambda p: -len(p.parts)):
        try:
            sub.rmdir()
        except OSError:  # a file, or a folder still holding one
            pass
    _remove_parent(folder)


def _remove(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    _remove_parent(folder)


def _remove_parent(folder: Path) -> None:
    for empty in (folder, folder.parent):  # the home's cache folder too, if nothing else is kept there
        try:
            empty.rmdir()
        except OSError:
            pass
