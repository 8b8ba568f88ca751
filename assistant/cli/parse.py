"""``tandem parse``: what would Tandem understand? (the benchmark and debugging interface)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TextIO

from ..errors import TandemError
from ..nlu import CONTEXTS, Matcher, load_intents


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("parse", help="show the intent and slots Tandem hears in some text")
    p.add_argument("text", nargs="?", help="the utterance (omit with --jsonl)")
    p.add_argument("--context", choices=CONTEXTS, default=None, help="the listening context (default idle)")
    p.add_argument("--jsonl", action="store_true",
                   help="read stdin lines (JSON objects with text/context, or plain text) and print one JSON result "
                        "per line")
    # The catalogue's layering in full by default (a yes/no or name question inside an exercise also
    # hears stop/pause; idle also hears resume): a context alone says what a sentence can mean there.
    p.add_argument("--outside-exercise", action="store_true",
                   help="confirm/name questions outside an exercise (no stop/pause)")
    p.add_argument("--nothing-paused", action="store_true", help="idle with no paused exercise (no resume)")
    # the default now; kept for old scripts
    p.add_argument("--in-exercise", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--can-resume", action="store_true", help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_parse)


def cmd_parse(args: argparse.Namespace, app) -> int:  # type: ignore[no-untyped-def]
    if args.jsonl == bool(args.text):
        raise TandemError("give either TEXT or --jsonl (reading stdin), not both or neither")
    profile = app.profile(required=False)
    matcher = Matcher(load_intents(app.settings.paths.intents_dir), profile.partners if profile else None)
    flags = {"in_exercise": not args.outside_exercise, "can_resume": not args.nothing_paused}
    if not args.jsonl:
        print(json.dumps(_result(matcher, args.text, args.context or "idle", flags)))
        return 0
    return _stream(matcher, sys.stdin, sys.stdout, args.context, flags)


def _stream(matcher: Matcher, src: TextIO, out: TextIO, context: str | None, flags: dict[str, bool]) -> int:
    """One result per input line, in order; a bad line gets an error object, not a crash."""
    for number, line in enumerate(src, 1):
        raw = line.strip()
        if not raw:
            continue
        text, ctx = raw, context or "idle"
        if raw.startswith("{"):
            try:
                obj = json.loads(raw)
            except json.JSONDecodeError as exc:
                out.write(json.dumps({"line": number, "error": f"not valid JSON: {exc.msg}"}) + "\n")
                continue
            text = str(obj.get("text", ""))
            # --context wins over the line's own context: it is what the caller asked for
            ctx = context or str(obj.get("context") or "idle")
            if ctx not in CONTEXTS:
                out.write(json.dumps({"line": number, "text": text, "error": f"unknown context {ctx!r}"}) + "\n")
                continue
            # a line may say where it was heard: {"in_exercise": false} / {"can_resume": false}
            line_flags = {k: bool(obj[k]) if k in obj else v for k, v in flags.items()}
            out.write(json.dumps(_result(matcher, text, ctx, line_flags)) + "\n")
            continue
        out.write(json.dumps(_result(matcher, text, ctx, flags)) + "\n")
    out.flush()
    return 0


def _result(matcher: Matcher, text: str, context: str, flags: dict[str, bool]) -> dict[str, object]:
    parsed = matcher.parse(text, context, **flags)
    return {"text": text, "context": context, "intent": parsed.intent, "slots": parsed.slots, "score": parsed.score}
