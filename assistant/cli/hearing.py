"""``tandem transcribe FILE.wav`` and ``tandem model download|install|list``."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ..errors import TandemError
from ..profile import DEFAULT_WAKE_PHRASE
from . import help_when_bare

# Used only while ``assistant.nlu`` (the matcher that owns the phrase lists)
# is unavailable, so that ``transcribe --mode command`` still means something.
FALLBACK_IDLE_PHRASES = (
    "start our gratitude moment", "let's do our gratitude moment", "gratitude time",
    "start our check in", "let's do the weekly check in", "start the trust talk",
    "let's share vulnerabilities", "start active listening", "review our goals",
    "suggest a new experience", "what are our promises", "how are we doing",
    "what can you do", "help", "never mind", "cancel", "louder", "quieter",
)


def register(sub: argparse._SubParsersAction) -> None:
    t = sub.add_parser("transcribe", help="print what Tandem hears in a WAV file")
    t.add_argument("file", metavar="FILE.wav", help="any WAV (rate and channels are converted)")
    t.add_argument("--engine", choices=("vosk", "pocketsphinx", "whisper"), default=None,
                   help="default: the active engine (see 'tandem model list')")
    t.add_argument("--mode", choices=("command", "dictation", "wake"), default="dictation",
                   help="command = only the idle phrases; dictation = free speech; wake = the wake phrase only")
    t.add_argument("--context", default="idle", help="which phrases command mode listens for (default idle)")
    t.set_defaults(func=cmd_transcribe)

    m = sub.add_parser("model", help="speech models: download, install from a zip, list")
    msub = m.add_subparsers(dest="model_command", metavar="ACTION", parser_class=type(m))
    d = msub.add_parser("download", help="fetch a model into the home folder: the small English Vosk model "
                        "(~40 MB, commands) or whisper-base (~145 MB) / whisper-tiny (~75 MB, a Pi 4) for free speech")
    d.add_argument("model", nargs="?", default=None, metavar="NAME",
                   help="whisper-base, whisper-tiny, or a Vosk model name (default: the small English Vosk model)")
    d.add_argument("--url", default=None, help=argparse.SUPPRESS)  # a mirror, or a local server in tests
    d.add_argument("--name", default=None, help=argparse.SUPPRESS)
    d.set_defaults(func=cmd_model_download)
    i = msub.add_parser("install",
                        help="install a Vosk or Whisper model from a zip or a folder (an offline home, a USB stick)")
    i.add_argument("zip", metavar="DIR|ZIP")
    i.set_defaults(func=cmd_model_install)
    ls = msub.add_parser("list", help="show installed models and the active speech engine")
    ls.set_defaults(func=cmd_model_list)
    help_when_bare(m)


def cmd_transcribe(args: argparse.Namespace, app) -> int:  # type: ignore[no-untyped-def]
    from ..runtime.wiring import dictation_prompt_source
    from ..speech.engines import make_recognizer
    from ..speech.wavfile import iter_frames, read_wav

    pcm, info = read_wav(args.file)  # first: a bad file should fail before a model loads
    if not pcm:
        raise TandemError(f"{args.file}: the file holds no audio")
    if args.mode == "wake":
        return _transcribe_wake(app, pcm, info)
    profile = app.profile(required=False)
    prompt = dictation_prompt_source(profile) if profile else None
    recognizer = make_recognizer(app.settings.speech, app.home, args.engine, prompt=prompt)
    if args.mode == "command":
        recognizer.set_grammar(command_phrases(app, args.context))
    started = time.perf_counter()
    for frame in iter_frames(pcm):
        recognizer.accept(frame)
    result = recognizer.finish()
    elapsed = time.perf_counter() - started
    print(result.text)
    if app.verbose:
        print(f"tandem: {recognizer.name}, {args.mode} mode, {info.seconds:.2f} s of audio in {elapsed:.2f} s "
              f"(RTF {elapsed / max(info.seconds, 1e-6):.2f})", file=sys.stderr)
    if not result.text:
        print("tandem: nothing recognised in that file", file=sys.stderr)
    return 0


def _transcribe_wake(app, pcm: bytes, info) -> int:  # type: ignore[no-untyped-def]
    """The file as one stream through the detector ``tandem run`` uses: ``<seconds> <phrase> <score>`` per wake,
    followed by ``quiet`` for a quiet wake (no chime; only a sure command is answered)."""
    from ..speech.frames import FRAME_MS
    from ..speech.wake import make_wake_detector
    from ..speech.wavfile import iter_frames

    speech = app.settings.speech
    detector = make_wake_detector(_wake_phrase(app), speech.wake_sensitivity, speech.wake_detector,
                                  [app.home.wake_models])
    started = time.perf_counter()
    n = 0
    for i, frame in enumerate(iter_frames(pcm)):
        if detector.accept(frame):
            woke = detector.last_wake
            quiet = " quiet" if woke.quiet else ""
            print(f"{(i + 1) * FRAME_MS / 1000:.2f} {detector.phrase} {woke.score:.3f}{quiet}")
            n += 1
    if app.verbose:
        elapsed = time.perf_counter() - started
        print(f"tandem: {getattr(detector, 'kind', '?')} ({getattr(detector, 'model_name', '?')}), {n} wake(s) in "
              f"{info.seconds:.2f} s of audio, {elapsed:.2f} s (RTF {elapsed / max(info.seconds, 1e-6):.3f})",
              file=sys.stderr)
    return 0


def command_phrases(app, context: str) -> list[str]:  # type: ignore[no-untyped-def]
    """The phrases the matcher accepts in ``context`` (the recogniser's grammar)."""
    intents_dir = app.settings.paths.intents_dir
    try:
        from ..nlu import Matcher, load_intents
    except ImportError:
        return list(FALLBACK_IDLE_PHRASES)
    if not any(intents_dir.glob("*.yaml")):  # a checkout without intents yet
        return list(FALLBACK_IDLE_PHRASES)
    profile = app.profile(required=False)
    matcher = Matcher(load_intents(intents_dir), partners=tuple(profile.partners) if profile else None)
    return list(matcher.phrases(context))


def _wake_phrase(app) -> str:  # type: ignore[no-untyped-def]
    profile = app.profile(required=False)
    return profile.wake_phrase if profile else DEFAULT_WAKE_PHRASE


def cmd_model_download(args: argparse.Namespace, app) -> int:  # type: ignore[no-untyped-def]
    from ..speech.models import DEFAULT_MODEL, ProgressBar, download_model
    from ..speech.whisper_models import PREFIX, download_whisper

    app._ensure_home()
    name = args.model or args.name or DEFAULT_MODEL
    bar = ProgressBar(f"downloading {name}")
    try:
        if name.startswith(PREFIX):
            folder = download_whisper(app.home.models, name, base_url=args.url, progress=bar)
        else:
            folder = download_model(app.home.models, name, url=args.url, progress=bar)
    finally:
        if bar._last:
            bar.close()
    print(f"installed {folder}")
    _print_active(app)
    return 0


def cmd_model_install(args: argparse.Namespace, app) -> int:  # type: ignore[no-untyped-def]
    from ..speech.models import install_zip
    from ..speech.whisper_models import install_whisper_dir

    app._ensure_home()
    source = Path(args.zip).expanduser()
    folder = install_whisper_dir(source, app.home.models) if source.is_dir() else install_zip(source, app.home.models)
    print(f"installed {folder}")
    _print_active(app)
    return 0


def _print_active(app) -> None:  # type: ignore[no-untyped-def]
    from ..speech.engines import active_dictation, active_engine

    print(f"active engine: {active_engine(app.settings.speech, app.home)}")
    print(f"free speech: {active_dictation(app.settings.speech, app.home)}")


def cmd_model_list(args: argparse.Namespace, app) -> int:  # type: ignore[no-untyped-def]
    from ..speech.models import installed_models, search_dirs
    from ..speech.whisper_models import installed_whisper, ram_mb

    dirs = search_dirs(app.home.models)
    _print_found("installed Vosk models:", [f"{folder.name}  ({folder})" for folder in installed_models(dirs)],
                 f"no Vosk model installed in {app.home.models} ('tandem model download' fetches one)")
    print("  pocketsphinx  (embedded English model, always available)")
    _print_found("installed Whisper models (free speech):",
                 [f"{folder.name}  ({folder}; ~{ram_mb(folder)} MB of RAM while transcribing)"
                  for folder in installed_whisper(dirs)],
                 "no Whisper model installed ('tandem model download whisper-base' fetches one for free speech)")
    _print_active(app)
    return 0


def _print_found(heading: str, lines: list[str], none: str) -> None:
    """``heading`` and one indented line per thing found, or the one line ``none`` when nothing was."""
    if not lines:
        print(none)
        return
    print(heading)
    for text in lines:
        print(f"  {text}")
