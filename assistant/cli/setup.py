"""``tandem init`` and ``tandem config``."""

from __future__ import annotations

import argparse
import json

from ..config import settings_as_dict
from ..profile import create_profile


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("init", help="create the couple's profile")
    p.add_argument("--partner", action="append", default=[], metavar="NAME", help="a partner's name (give it twice)")
    p.add_argument("--wake-phrase", default=None,
                   help='the words that wake Tandem (default "hey tandem"; with a ready-made head: "hey jarvis", '
                        '"hey mycroft", "alexa", "okay nabu", "hey rhasspy"; any other phrase is heard by the keyword '
                        'spotter until \'tandem wake train\' builds its head)')
    p.add_argument("--timezone", default=None,
                   help="the couple's time zone, e.g. Europe/Lisbon (default: the system's)")
    p.add_argument("--force", action="store_true", help="replace an existing profile (history is kept)")
    p.set_defaults(func=cmd_init)

    c = sub.add_parser("config", help="print the effective configuration and where each value came from")
    c.add_argument("--json", action="store_true", help="as JSON")
    c.set_defaults(func=cmd_config)


def cmd_init(args: argparse.Namespace, app) -> int:  # type: ignore[no-untyped-def]
    profile = create_profile(app.store, args.partner, args.wake_phrase, args.timezone, args.force)
    _after_init(app, profile)
    a, b = profile.partners
    print(f"Hello {a} and {b}. Say \"{profile.wake_phrase}\" to wake me. Your data stays in {app.home.root}.")
    print(_how_heard(app, profile.wake_phrase))
    return 0


def _how_heard(app, phrase: str) -> str:  # type: ignore[no-untyped-def]
    from ..speech.wake import how_heard

    kind = app.settings.speech.wake_detector
    return how_heard(phrase, [app.home.wake_models]) if kind == "auto" else \
        f"\"{phrase}\" is heard by the {kind} detector (wake_detector in config.toml)."


def _after_init(app, profile) -> None:  # type: ignore[no-untyped-def]
    """Features that need defaults at init (the reminders) add them here."""
    from ..features.reminders import install_defaults

    install_defaults(app.store, profile)


def cmd_config(args: argparse.Namespace, app) -> int:  # type: ignore[no-untyped-def]
    settings = app.settings
    profile = app.profile(required=False)
    data = {
        "home": str(app.home.root),
        "config_file": str(app.home.config_file),
        "profile": None if profile is None else profile.as_record(),
        **settings_as_dict(settings),
    }
    if args.json:
        print(json.dumps({"settings": data, "sources": settings.sources}, indent=2, default=str))
        return 0
    print(f"home folder: {app.home.root}")
    print(f"config file: {app.home.config_file}"
          + ("" if app.home.config_file.exists() else " (not present: all defaults)"))
    if profile is None:
        print("profile: none yet (run 'tandem init --partner NAME --partner NAME')")
    else:
        print(f"profile: {profile.partners[0]} & {profile.partners[1]}, wake phrase \"{profile.wake_phrase}\", "
              f"time zone {profile.timezone} (from the store)")
        print(f"wake: {_how_heard(app, profile.wake_phrase)}")
    for section, values in settings_as_dict(settings).items():
        for key, value in values.items():
            source = settings.sources.get(f"{section}.{key}", "default")
            print(f"{section}.{key} = {json.dumps(value, default=str)}  "
                  f"({'default' if source == 'default' else 'config.toml'})")
    return 0
