"""``tandem help``: the commands, what to say to Tandem, and plainly what Tandem is not."""

from __future__ import annotations

import argparse
import textwrap
from typing import Any

from ..errors import TandemError
from ..features.controls import help_texts
from ..replies import SHIPPED_DIR, load_replies


def register(sub: Any) -> None:
    p = sub.add_parser("help", help="the commands, what you can say, and what Tandem is not")
    p.set_defaults(func=run_help)


def run_help(args: argparse.Namespace, app: Any) -> int:
    from . import build_parser  # the full command list, as `tandem --help` prints it

    try:
        replies = load_replies(app.settings.paths.scripts_dir / "replies")  # the couple's own rewording, if any
    except TandemError:
        replies = load_replies(SHIPPED_DIR)  # help must work even with a broken config or replies file
    print(build_parser().format_help())
    for title, text in help_texts(replies).items():
        print(f"{title}:\n{textwrap.fill(text, width=78, initial_indent='  ', subsequent_indent='  ')}\n")
    return 0
