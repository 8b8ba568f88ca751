"""``tandem``: argument parsing, settings, and wiring the real adapters.

Each subcommand lives in ``assistant/cli/<name>.py`` with a
``register(subparsers)`` function that adds its parser and sets
``func(args, app) -> int``. This file only parses, builds the ``App`` (the
settings and the store, opened on first use) and turns every known error
into one line on stderr and a non-zero exit.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from ..clock import RealClock
from ..config import HomePaths, Settings, home_root, load_settings
from ..errors import TandemError
from ..profile import Profile, load_profile
from ..store import Store

# The subcommand modules, in the order `tandem --help` lists them.
COMMAND_MODULES = [
    "setup",  # init, config
    "data",  # export, forget
    "parse",  # parse (what Tandem understands)
    "sound",  # devices, say
    "views",  # promises, journal, goals, history, report
    "run",  # run (the assistant itself)
    "doctor",  # doctor (health checks)
    "hearing",  # transcribe, model download|install|list
    "wake",  # wake train
    "service",  # service install, status
    "reminders",  # reminders [set|off|on|resume]
    "help",  # help (commands, what to say, what Tandem is not)
]

log = logging.getLogger("tandem")


class UsageError(TandemError):
    exit_code = 2


class Parser(argparse.ArgumentParser):
    """argparse that reports a bad flag in one line, not usage + error."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")


def help_when_bare(parser: argparse.ArgumentParser) -> None:
    """A command group said without its subcommand (``tandem model``) prints its help and exits 2, as a usage slip."""

    def show(args: argparse.Namespace, app: object) -> int:
        parser.print_help()
        return 2

    parser.set_defaults(func=show)


@dataclass
class App:
    """What a command needs, built once from the environment and opened lazily."""

    home: HomePaths
    verbose: bool = False
    home_named: bool = False  # by --home or TANDEM_HOME (else the default folder: the couple's real one)
    _settings: Settings | None = None
    _store: Store | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.home)
        return self._settings

    @property
    def store(self) -> Store:
        if self._store is None:
            self._ensure_home()
            store = Store(self.home.db_file, self.home.backups)
            health = store.open()
            if health.recovered_from or health.corrupt_copy:  # the one line; the store logs it only with --verbose
                print(
                    "tandem: the database was damaged; it was set aside as "
                    f"{health.corrupt_copy.name if health.corrupt_copy else '?'}"
                    + (f" and restored from {health.recovered_from.name}" if health.recovered_from
                       else " (no backup to restore)")
                    + "; 'tandem doctor' says more",
                    file=sys.stderr,
                )
            self._store = store
        return self._store

    def profile(self, required: bool = True) -> Profile | None:
        profile = load_profile(self.store)
        if profile is None and required:
            raise TandemError("no profile yet: run 'tandem init --partner NAME --partner NAME' first")
        return profile

    def clock(self) -> RealClock:
        profile = self.profile(required=False)
        return RealClock(profile.tz if profile else None)

    def _ensure_home(self) -> None:
        try:
            self.home.ensure()
        except OSError as exc:
            raise TandemError(f"cannot use the home folder {self.home.root}: {exc.strerror}; set TANDEM_HOME to a "
                              "writable folder") from None

    def use_home(self, home: HomePaths) -> None:
        """Work in another home folder from now on (a simulated run's copy)."""
        self.close()
        self.home, self._settings, self._store = home, None, None

    def close(self) -> None:
        if self._store is not None:
            self._store.close()


VERBOSE_FLAGS = ("-v", "--verbose")
VERBOSE_HELP = "show details (and the couple's words) in logs and errors"
HOME_HELP = "the folder Tandem keeps everything in (default: $TANDEM_HOME, else ~/.local/share/tandem)"


def build_parser() -> Parser:
    parser = Parser(prog="tandem",
                    description="Tandem: an offline voice companion for a couple's trust-building exercises.",
                    epilog="'tandem help' also says what you can say to Tandem, and what it is not (not therapy, not a "
                           "crisis service).")
    parser.add_argument(*VERBOSE_FLAGS, action="store_true", help=VERBOSE_HELP)
    parser.add_argument("--home", metavar="DIR", default=None, help=HOME_HELP)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"assistant.cli.{name}")
        module.register(sub)
    for command in subcommand_parsers(parser):
        # SUPPRESS: a subcommand without the flag leaves the top level's answer alone
        command.add_argument(*VERBOSE_FLAGS, action="store_true", default=argparse.SUPPRESS, help=VERBOSE_HELP)
        command.add_argument("--home", metavar="DIR", default=argparse.SUPPRESS, help=HOME_HELP)
    return parser


def subcommand_parsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    """Every parser below ``parser`` (``model download`` as well as ``model``), each once, aliases included."""
    found: list[argparse.ArgumentParser] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in dict.fromkeys(action.choices.values()):
                found += [child, *subcommand_parsers(child)]
    return list(dict.fromkeys(found))


def main(argv: Sequence[str] | None = None) -> int:
    os.umask(0o077)  # every file Tandem writes is its owner's alone
    args_list = list(sys.argv[1:] if argv is None else argv)
    verbose = any(flag in args_list for flag in VERBOSE_FLAGS)
    app: App | None = None
    try:
        parser = build_parser()
        args = parser.parse_args(args_list)
        logging.basicConfig(
            level=logging.DEBUG if args.verbose else logging.WARNING,
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
            stream=sys.stderr,
        )
        if not getattr(args, "func", None):
            parser.print_help()
            return 0
        named = args.home or os.environ.get("TANDEM_HOME")
        root = Path(args.home).expanduser().resolve() if args.home else home_root()
        app = App(home=HomePaths(root), verbose=args.verbose, home_named=bool(named))
        return int(args.func(args, app) or 0)
    except TandemError as exc:
        _fail(str(exc), verbose=False)  # a known problem is its one line, even with --verbose
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # noqa: BLE001 - the last line of defence: one line, never a traceback
        _fail(f"internal error: {type(exc).__name__}: {exc} (run with --verbose for details)", verbose)
        return 70
    finally:
        if app is not None:
            app.close()


def _fail(message: str, verbose: bool) -> None:
    if verbose:
        traceback.print_exc(file=sys.stderr)
    print(f"tandem: {message}", file=sys.stderr)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
