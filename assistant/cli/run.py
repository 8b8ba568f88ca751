"""``tandem run``: the assistant itself, by voice or typed (``--text``)."""

from __future__ import annotations

import argparse
import logging
import shutil
import signal
import sys
from datetime import date
from pathlib import Path
from typing import Any

from ..clock import parse_iso
from ..dialogue import MAX_SLEEP_S, Dialogue, deadline, load_handlers, real_hooks
from ..errors import TandemError
from ..handlers import Context
from ..profile import Profile, create_profile, note_first_run
from ..runtime import memory, wiring

log = logging.getLogger("tandem.run")

# Fast-forwarded (--clock-skip-idle), the loop jumps up to an hour of quiet at a time: housekeeping
# (the daily backup, the time seen) still runs at every jump, and reminders are never jumped over.
SKIP_SLEEP_S = 3600.0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="start the assistant (listens for the wake phrase)")
    p.add_argument("--text", action="store_true",
                   help="type instead of speaking: one line per utterance on stdin, no wake phrase")
    p.add_argument("--mute", action="store_true", help="do not speak replies (they are printed or in the events)")
    p.add_argument("--input-wav", nargs="+", type=Path, default=[], metavar="FILE",
                   help="recordings that replace the microphone, in order")
    p.add_argument("--events", choices=["jsonl"], default=None,
                   help="one JSON object per event on stdout, and nothing else")
    p.add_argument("--clock-start", default=None, metavar="ISO",
                   help="start the assistant's clock at this time (no offset = the couple's time zone)")
    p.add_argument("--clock-speed", type=float, default=1.0, metavar="N",
                   help="run the assistant's clock N times faster (timers, turns, reminders)")
    p.add_argument("--until", default=None, metavar="ISO",
                   help="stop when the assistant's clock reaches this time (text input may end before)")
    p.add_argument("--clock-skip-idle", type=float, default=None, metavar="SECONDS",
                   help="simulated run by voice: after SECONDS of quiet while asleep, jump the clock to the next "
                        "reminder or --clock-stop (speech and exercises stay real time)")
    p.add_argument("--clock-stop", action="append", default=[], metavar="ISO",
                   help="with --clock-skip-idle: a time someone will speak at, never jumped over (repeatable)")
    p.add_argument("--service", action="store_true",
                   help="running unattended: retry a missing microphone instead of stopping")
    p.set_defaults(func=cmd_run)


def cmd_run(args: argparse.Namespace, app: Any) -> int:
    if args.text and args.input_wav:
        raise TandemError("choose one input: --text or --input-wav")
    copy = _demo_copy(args, app)
    try:
        return _run(args, app)
    finally:
        if copy is not None:
            app.close()
            shutil.rmtree(copy, ignore_errors=True)


def _demo_copy(args: argparse.Namespace, app: Any) -> Path | None:
    """A simulated clock on the default home works on a temporary copy of it (its folder, else None)."""
    if app.home_named or not wiring.is_simulated(args.clock_start, args.clock_speed, args.clock_skip_idle):
        return None
    copy = wiring.copy_home(app.home)
    app.use_home(copy)
    print(f"tandem: the clock is simulated, so this run uses a copy of your records in {copy.root} "
          "(deleted when it ends); name a home with --home or TANDEM_HOME to keep what it does", file=sys.stderr)
    return copy.root


def _run(args: argparse.Namespace, app: Any) -> int:
    stdout = sys.stdout
    service = args.service or not sys.stdin.isatty()
    profile = _profile(app, args)
    settings = app.settings
    store = app.store

    start = wiring.parse_when(args.clock_start, profile.tz, "--clock-start") if args.clock_start else None
    until = wiring.parse_when(args.until, profile.tz, "--until") if args.until else None
    stops = [wiring.parse_when(t, profile.tz, "--clock-stop") for t in args.clock_stop]
    if stops and args.clock_skip_idle is None:
        raise TandemError("--clock-stop only means something with --clock-skip-idle")
    if args.clock_skip_idle is not None and args.text:
        raise TandemError("--clock-skip-idle is for listening by voice; typed lines wait for a time with '@ISO words' "
                          "instead")
    clock = wiring.build_clock(profile.tz, start, args.clock_speed, simulated=args.clock_skip_idle is not None)
    if until is not None and until <= clock.now():
        raise TandemError(f"--until {args.until} is not later than the assistant's clock "
                          f"({clock.now().isoformat(timespec='minutes')})")
    events = wiring.build_events(args.events, clock, stdout)

    # Refuse to start on a broken intents or scripts file (the error names file:line).
    matcher = wiring.build_matcher(settings, profile)
    wiring.check_scripts(settings)
    handlers = load_handlers()
    hooks = real_hooks()

    memory.tune()  # before the models load: large audio buffers then always go back to the system
    gate = _gate()
    opened: list[Any] = []  # closed at the end whatever happens (the voice has a worker process)
    previous = _stop_on_sigterm()
    try:
        if args.text:
            speaker = wiring.build_speaker(settings, mute=args.mute, print_to=None if args.events else stdout,
                                           gate=gate, required=False)
            opened.append(speaker)
            listener: Any = wiring.text_listener(sys.stdin, matcher, clock, events, keep_running=until is not None)
        else:
            speaker = wiring.build_speaker(settings, mute=args.mute, print_to=None, gate=gate)
            opened.append(speaker)
            listener = wiring.audio_listener(settings, app.home, profile, matcher, clock, events, gate,
                                             input_wavs=args.input_wav, service=service, store=store,
                                             speaker=speaker)
        opened.append(listener)
        worker = wiring.background_worker(listener)
        if worker is not None:
            opened.append(worker)  # closed before the listener: owed audio stays on disk
            worker.resume()  # transcripts a stopped Tandem still owed
        heard = wiring.skip_idle(listener, clock, events, args.clock_skip_idle, stops)
        profile = _note_first_run(store, clock) or profile
        ctx = Context(listener=deadline(heard, clock, until), speaker=speaker, clock=clock, store=store,
                      profile=profile, events=events, settings=settings)
        chime = getattr(speaker, "chime", None) if not args.text else None  # typed input needs no "I'm listening"
        dialogue = Dialogue(ctx, handlers, hooks, on_idle=_housekeeping(store, clock, listener),
                            on_wake=chime if callable(chime) else None,
                            max_sleep_s=SKIP_SLEEP_S if heard is not listener else MAX_SLEEP_S)
        begin = getattr(clock, "begin", None)
        if callable(begin):
            begin()  # a simulated clock starts now that everything is loaded
        reason = dialogue.run()
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        for thing in reversed(opened):
            _close(thing)
    log.info("run ended: %s", reason)
    return 0


def _profile(app: Any, args: argparse.Namespace) -> Profile:
    profile = app.profile(required=False)
    if profile is not None:
        return profile  # type: ignore[no-any-return]
    if not (sys.stdin.isatty() and sys.stderr.isatty()):
        raise TandemError("no profile yet: run 'tandem init --partner NAME --partner NAME' first")
    # In a terminal, ask the two names (then behave as `tandem init`); prompts go to stderr so stdout stays clean.
    print("Tandem has not met you yet. What are your names?", file=sys.stderr)
    names = []
    for which in ("first", "second"):
        print(f"The {which} partner's name: ", end="", file=sys.stderr, flush=True)
        line = sys.stdin.readline()
        if not line:
            raise TandemError("no names given; run 'tandem init --partner NAME --partner NAME'")
        names.append(line.strip())
    profile = create_profile(app.store, names, None, None, force=False)
    from .setup import _after_init

    _after_init(app, profile)
    a, b = profile.partners
    print(f"Hello {a} and {b}. Say \"{profile.wake_phrase}\" to wake me. Your data stays in {app.home.root}.",
          file=sys.stderr)
    return profile


def _note_first_run(store: Any, clock: Any) -> Profile | None:
    """The first run is stamped on this run's clock; a home that ran before it was recorded keeps its last seen time."""
    from ..features import reminders

    seen = store.meta(reminders.LAST_EVENT)  # Tandem ran here already, before first runs were recorded
    try:
        when = parse_iso(str(seen), clock.tz) if seen else clock.now()
    except ValueError:
        when = clock.now()
    return note_first_run(store, when)


def _housekeeping(store: Any, clock: Any, listener: Any) -> Any:
    """While asleep (at least once a minute): one backup a day, the latest time seen, a grammar built, memory freed.

    The time seen (``reminders.note_time``, itself written at most once a minute)
    is what lets a Pi whose clock went back after a power cut be noticed, so
    it is kept fresh even on days when no reminder is due. The ears build their
    command grammars one per round (``AudioListener.warm_up``) in the first
    minutes, instead of on first use mid-conversation. Freed memory goes back
    to the system (``memory.release``: 0.02 ms when there is none, ~4 ms after
    a conversation), so a months-long run stays its size.
    """
    from ..features import reminders

    last: list[date] = []
    warm_up = getattr(listener, "warm_up", None)
    worker = wiring.background_worker(listener)

    def run() -> None:
        if callable(warm_up):
            warm_up()
        if worker is not None:
            worker.poll()  # better transcripts into the journal
            worker.idle_check()  # the model's memory back after a quiet hour
        now = clock.now()
        if not last or last[0] != now.date():
            store.backup_if_due(now.date().isoformat())
            last[:] = [now.date()]
        reminders.note_time(store, now)
        memory.release()

    return run


def _gate() -> Any:
    from ..speech.frames import EchoGate  # pure (threading only): shared by the voice and the ears

    return EchoGate()


def _stop_on_sigterm() -> Any:
    """systemd stops a service with SIGTERM: end like Ctrl-C (a running exercise is already stored as unfinished)."""

    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    try:
        return signal.signal(signal.SIGTERM, stop)
    except ValueError:  # not the main thread (tests calling cmd_run in a thread)
        return None


def _close(thing: Any) -> None:
    close = getattr(thing, "close", None)
    if callable(close):
        try:
            close()
        except Exception:  # noqa: BLE001 - closing devices at exit must not hide the real outcome
            log.debug("closing %s failed", type(thing).__name__, exc_info=True)
