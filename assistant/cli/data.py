"""``tandem export`` and ``tandem forget``."""

from __future__ import annotations

import argparse
import json
import shutil

from ..errors import TandemError
from ..features.export import export_all


def register(sub: argparse._SubParsersAction) -> None:
    e = sub.add_parser("export", help="print everything stored as JSON")
    e.set_defaults(func=cmd_export)

    f = sub.add_parser("forget", help="delete stored data")
    f.add_argument("--all", action="store_true", help="delete everything: history, profile, backups, temporary audio")
    f.add_argument("--yes-really", action="store_true", help="confirm --all")
    f.set_defaults(func=cmd_forget)


def cmd_export(args: argparse.Namespace, app) -> int:  # type: ignore[no-untyped-def]
    print(json.dumps(export_all(app.store), indent=2, ensure_ascii=False))
    return 0


def cmd_forget(args: argparse.Namespace, app) -> int:  # type: ignore[no-untyped-def]
    if not args.all:
        raise TandemError("say what to forget: 'tandem forget --all --yes-really' deletes everything (or ask Tandem to "
                          "forget one entry by voice)")
    if not args.yes_really:
        raise TandemError("this deletes all of your history, profile and backups for good; add --yes-really to confirm")
    removed = app.store.wipe()
    home = app.home
    from ..speech.transcribe_worker import PendingTranscripts

    # the last: audio still owed a transcript
    for folder in (home.tmp, home.logs, PendingTranscripts(home.root).folder):
        if folder.exists():
            for path in sorted(folder.rglob("*"), reverse=True):
                if path.is_file() or path.is_symlink():
                    path.unlink()
                    removed.append(path)
                elif path.is_dir():
                    shutil.rmtree(path, ignore_errors=True)
    names = sorted({p.name for p in removed})
    print(f"Deleted {len(removed)} file(s) from {home.root}: " + (", ".join(names) if names else "nothing was stored"))
    print("Speech models and config.toml were kept (they hold nothing about you).")
    return 0
