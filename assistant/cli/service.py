"""``tandem service install|status``."""

from __future__ import annotations

import argparse

from ..runtime import service


def register(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("service", help="run Tandem at boot as a systemd user service")
    actions = s.add_subparsers(dest="action", metavar="ACTION", required=True)
    i = actions.add_parser("install", help="write the unit, enable and start it")
    i.add_argument("--print", action="store_true", help="print the unit instead of installing it")
    i.set_defaults(func=cmd_install)
    st = actions.add_parser("status", help="is the service installed and running")
    st.set_defaults(func=cmd_status)


def cmd_install(args: argparse.Namespace, app) -> int:  # type: ignore[no-untyped-def]
    plan = service.plan(app.home.root)
    if args.print:
        print(plan.text, end="")
        return 0
    for line in service.install(plan):
        print(line)
    return 0


def cmd_status(args: argparse.Namespace, app) -> int:  # type: ignore[no-untyped-def]
    print(service.status(service.plan(app.home.root)))
    return 0
