"""``tandem devices`` and ``tandem say TEXT``: the sound hardware, checked by hand."""

from __future__ import annotations

import argparse

from ..errors import TandemError


def register(sub: argparse._SubParsersAction) -> None:
    d = sub.add_parser("devices", help="list the microphones and speakers, marking the ones Tandem uses")
    d.set_defaults(func=cmd_devices)

    s = sub.add_parser("say", help="speak TEXT through Tandem's voice (checks the speaker and the voice)")
    s.add_argument("text", nargs="+", help="what to say")
    s.add_argument("--rate", type=int, default=None, help="words per minute (default: voice.rate)")
    s.add_argument("--volume", type=float, default=None, help="0.0-1.0 (default: voice.volume)")
    s.add_argument("--voice", default=None, help="an espeak-ng voice, e.g. en-us (default: voice.voice)")
    s.set_defaults(func=cmd_say)


def cmd_devices(args: argparse.Namespace, app) -> int:  # type: ignore[no-untyped-def]
    from ..speech.audio import AudioDeviceError, SpeakerUnavailable, list_devices, resolve_device

    settings = app.settings
    devices = list_devices()
    if not devices:
        raise TandemError("no audio devices found: plug in a USB microphone/speaker (or start PulseAudio), then try "
                          "again")
    used: dict[str, int | None] = {}
    notes: list[str] = []
    for kind, setting, _key in (("input", settings.speech.input_device, "speech.input_device"),
                                ("output", settings.voice.output_device, "voice.output_device")):
        try:
            index = resolve_device(setting, kind)  # type: ignore[arg-type]
        except (AudioDeviceError, SpeakerUnavailable) as exc:
            notes.append(str(exc))
            used[kind] = -2  # nothing matches
            continue
        if index is None:  # the system default
            index = next((d.index for d in devices
                          if (d.is_default_input if kind == "input" else d.is_default_output)), -2)
        used[kind] = index
    for kind, title, channels in (("input", "Microphones (input)", "max_input_channels"),
                                  ("output", "Speakers (output)", "max_output_channels")):
        print(f"{title}:")
        rows = [d for d in devices if getattr(d, channels) > 0]
        if not rows:
            print("  (none)")
        for d in rows:
            mark = "*" if used.get(kind) == d.index else " "
            default = " (system default)" if (d.is_default_input if kind == "input" else d.is_default_output) else ""
            print(f"  {mark} {d.index:>2}  {d.name} [{d.hostapi}, {getattr(d, channels)} ch, "
                  f"{d.default_samplerate:.0f} Hz]{default}")
    print("* = used by Tandem (set speech.input_device / voice.output_device with 'tandem config' or config.toml)")
    for note in notes:
        print(f"note: {note}")
    return 0


def cmd_say(args: argparse.Namespace, app) -> int:  # type: ignore[no-untyped-def]
    import dataclasses

    from ..config import out_of_range
    from ..speech.voice import Voice

    settings = app.settings.voice
    asked = (("rate", args.rate), ("volume", args.volume), ("voice", args.voice))
    overrides = {k: v for k, v in asked if v is not None}
    if overrides:
        settings = dataclasses.replace(settings, **overrides)
        try:
            settings.validate()
        except ValueError as exc:
            key, value, allowed = exc.args
            raise TandemError(out_of_range(f"--{key}", value, allowed)) from None
    try:
        app.home.ensure()
    except OSError as exc:
        raise TandemError(f"cannot use the home folder {app.home.root}: {exc.strerror}; set TANDEM_HOME to a writable "
                          "folder") from None
    with Voice(settings, None, tmp_dir=app.home.tmp) as voice:
        voice.say(" ".join(args.text))
    return 0
