"""``tandem reminders``: list them, ``set KIND "SCHEDULE WORDS"``, ``off KIND``, ``on KIND``, ``resume``."""

from __future__ import annotations

import argparse
import json

from ..clock import isoformat
from ..errors import TandemError
from ..features import reminders as rm
from ..features.time_words import schedule as sw


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("reminders", help="list the reminders with their next times, or change them")
    p.add_argument("--json", action="store_true", help="list as JSON")
    p.set_defaults(func=cmd_list)
    actions = p.add_subparsers(dest="action", metavar="ACTION")

    s = actions.add_parser("set",
                           help='set a schedule: tandem reminders set trusttalk "the last friday of every month at 8 '
                                'pm"')
    s.add_argument("kind", metavar="KIND",
                   help="trusttalk, checkin, gratitude (or words like 'trust talk'), or a new name")
    s.add_argument("words", nargs="+", metavar="SCHEDULE WORDS")
    s.set_defaults(func=cmd_set)

    off = actions.add_parser("off", help="stop a reminder")
    off.add_argument("kind", metavar="KIND")
    off.set_defaults(func=cmd_off)

    on = actions.add_parser("on", help="turn a reminder back on with its last schedule")
    on.add_argument("kind", metavar="KIND")
    on.set_defaults(func=cmd_on)

    r = actions.add_parser("resume",
                           help="trust the clock again after Tandem held reminders for a clock that went back")
    r.set_defaults(func=cmd_resume)


def _setup(app):  # type: ignore[no-untyped-def]
    profile = app.profile()
    rm.install_defaults(app.store, profile)
    return profile, app.clock().now().astimezone(profile.tz)


def _kind(text: str, must_exist: bool, app) -> str:  # type: ignore[no-untyped-def]
    kind = rm.kind_for_words(text) or rm.custom_kind(text)[0]
    if not kind or (must_exist and app.store.get(rm.TABLE, kind) is None):
        known = ", ".join(r.kind for r in rm.records(app.store))
        raise TandemError(f"no reminder called {text!r}; known: {known}")
    return kind


def cmd_list(args: argparse.Namespace, app) -> int:  # type: ignore[no-untyped-def]
    profile, now = _setup(app)
    rows = rm.listing(rm.records(app.store), profile.tz, now)
    if args.json:
        print(json.dumps([{"kind": r.kind, "rule": r.rule, "time": r.time, "enabled": r.enabled,
                           "schedule": sw.describe(r.rule, r.time), "next": isoformat(n) if n else None}
                          for r, n in rows], indent=2))
    else:
        for rec, nxt in rows:
            extra = f" (not on {rm.label(rec.gives_way_to)} days)" if rec.gives_way_to else ""
            state = f"next: {rm.spoken_when(nxt, profile.tz)}" if nxt else "off"
            print(f"{rec.kind:<10} {sw.describe(rec.rule, rec.time)}{extra} — {state}")
    problem = rm.clock_problem(app.store, app.clock())
    if problem:
        print(f"warning: {problem}")
    return 0


def cmd_set(args: argparse.Namespace, app) -> int:  # type: ignore[no-untyped-def]
    profile, now = _setup(app)
    kind = _kind(args.kind, False, app)
    words = " ".join(args.words)
    schedule = sw.parse(words)  # ScheduleError is one line with an example; nothing changes
    exercise, label_words = None, None
    if rm.kind_for_words(args.kind) is None:
        _, exercise, label_words = rm.custom_kind(args.kind)
    rec = rm.set_schedule(app.store, kind, schedule, now, exercise=exercise, label_words=label_words)
    nxt = rm.next_effective(rec, rm.records(app.store), profile.tz, now)
    print(f"{kind}: {sw.describe(rec.rule, rec.time)}"
          + (f" — next: {rm.spoken_when(nxt, profile.tz)}" if nxt else ""))
    return 0


def cmd_off(args: argparse.Namespace, app) -> int:  # type: ignore[no-untyped-def]
    _setup(app)
    kind = _kind(args.kind, True, app)
    rm.turn_off(app.store, kind)
    print(f"{kind}: off")
    return 0


def cmd_on(args: argparse.Namespace, app) -> int:  # type: ignore[no-untyped-def]
    profile, now = _setup(app)
    kind = _kind(args.kind, True, app)
    rm.turn_on(app.store, kind, now)
    rec = next(r for r in rm.records(app.store) if r.kind == kind)
    nxt = rm.next_effective(rec, rm.records(app.store), profile.tz, now)
    print(f"{kind}: {sw.describe(rec.rule, rec.time)}"
          + (f" — next: {rm.spoken_when(nxt, profile.tz)}" if nxt else ""))
    return 0


def cmd_resume(args: argparse.Namespace, app) -> int:  # type: ignore[no-untyped-def]
    _, now = _setup(app)
    rm.resume(app.store, now)
    print(f"reminders trust the clock again from {isoformat(now)}")
    return 0
