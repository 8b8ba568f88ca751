"""``tandem promises``, ``journal``, ``goals``, ``history`` and ``report``: for reading, not listening.

Tables are plain text sized to the terminal, with the long column wrapped;
times are shown in the couple's time zone.
"""

from __future__ import annotations

import argparse
import shutil
import textwrap
from collections.abc import Sequence
from datetime import datetime, tzinfo
from pathlib import Path

from ..errors import TandemError
from ..features import goals as goals_mod
from ..features import journal, promises
from ..features.counts import count_of
from ..features.report import build_report
from ..features.summary import compute
from ..features.time_words import parse_period
from ..files import atomic_write_bytes


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("promises", help="list promises (open ones unless --all)")
    p.add_argument("--all", action="store_true", help="include kept, missed and released promises")
    p.add_argument("--partner", default=None, help="only this partner's promises")
    p.set_defaults(func=cmd_promises)

    j = sub.add_parser("journal", help="the gratitude journal")
    j.add_argument("--period", default=None, help='e.g. "last week", "this month", "yesterday" (default: everything)')
    j.set_defaults(func=cmd_journal)

    g = sub.add_parser("goals", help="shared goals, their first steps and check-ins")
    g.add_argument("--all", action="store_true", help="include reached and dropped goals")
    g.set_defaults(func=cmd_goals)

    h = sub.add_parser("history", help="exercises done, newest last, with a short summary")
    h.add_argument("--month", default=None, metavar="YYYY-MM", help="only this month")
    h.set_defaults(func=cmd_history)

    r = sub.add_parser("report", help="write a self-contained HTML page with charts (works offline)")
    r.add_argument("--out", default=None, metavar="FILE.html",
                   help="where to write it (default: report.html in the Tandem folder)")
    r.set_defaults(func=cmd_report)


# --- a small table printer --------------------------------------------------------------------


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], wrap: int, width: int | None = None) -> str:
    """Columns padded to fit; column ``wrap`` takes the room left and wraps within it."""
    width = width or shutil.get_terminal_size((100, 24)).columns
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]
    others = sum(w for i, w in enumerate(widths) if i != wrap) + 2 * (len(headers) - 1)
    widths[wrap] = max(20, min(widths[wrap], width - others))
    lines = ["  ".join(h.ljust(widths[i]) for i, h in enumerate(headers)).rstrip(),
             "  ".join("-" * w for w in widths)]
    for row in rows:
        wrapped = textwrap.wrap(row[wrap], widths[wrap]) or [""]
        for n, piece in enumerate(wrapped):
            cells = [piece if i == wrap else (cell if n == 0 else "") for i, cell in enumerate(row)]
            lines.append("  ".join(c.ljust(widths[i]) for i, c in enumerate(cells)).rstrip())
    return "\n".join(lines)


def when(stamp: str | None, tz: tzinfo, with_time: bool = True) -> str:
    if not stamp:
        return ""
    moment = datetime.fromisoformat(stamp).astimezone(tz)
    return moment.strftime("%a %d %b %Y %H:%M" if with_time else "%a %d %b %Y")


def _tz(app) -> tzinfo:  # type: ignore[no-untyped-def]
    return app.clock().tz


# --- the commands -----------------------------------------------------------------------------


def cmd_promises(args: argparse.Namespace, app) -> int:  # type: ignore[no-untyped-def]
    profile = app.profile()
    clock = app.clock()
    now = clock.now()
    items = sorted(app.store.all("promises"), key=lambda p: str(p.get("made", "")))
    if not args.all:
        items = [p for p in items if p.get("status") == "open"]
    if args.partner:
        name = next((n for n in profile.partners if n.lower() == args.partner.lower()), None)
        if name is None:
            raise TandemError(f"no partner called {args.partner!r}; the partners are {profile.partners[0]} and "
                              f"{profile.partners[1]}")
        items = [p for p in items if p.get("partner") == name]
    if not items:
        print("No open promises." if not args.all else "No promises yet.")
        return 0
    rows = []
    for p in items:
        due = when(p.get("due"), clock.tz) if p.get("due") else (f'"{p["due_words"]}"' if p.get("due_words") else "-")
        status = p.get("status", "")
        if promises.is_overdue(p, now):
            status = "open, overdue"
        elif status != "open" and p.get("closed"):
            status = f"{status} {when(p['closed'], clock.tz, with_time=False)}"
        rows.append([p.get("partner", ""), p.get("text", ""), when(p.get("made"), clock.tz, with_time=False), due,
                     status])
    print(table(["Who", "Promise", "Made", "Due", "Status"], rows, wrap=1))
    return 0


def cmd_journal(args: argparse.Namespace, app) -> int:  # type: ignore[no-untyped-def]
    app.profile()
    clock = app.clock()
    items = journal.entries(app.store)
    if args.period:
        period = parse_period(args.period, clock.now())
        if period is None:
            raise TandemError(f"cannot tell which days {args.period!r} means; try \"last week\", \"this month\" or "
                              "\"yesterday\"")
        items = journal.in_period(app.store, clock, period)
    if not items:
        print("No gratitude entries" + (f" for {args.period}." if args.period else " yet."))
        return 0
    rows = [[when(g["at"], clock.tz), g.get("from", ""), g.get("about", ""), g.get("text", "")] for g in items]
    print(table(["When", "From", "To", "Appreciation"], rows, wrap=3))
    return 0


def cmd_goals(args: argparse.Namespace, app) -> int:  # type: ignore[no-untyped-def]
    app.profile()
    tz = _tz(app)
    items = sorted(app.store.all("goals"),
                   key=lambda g: str(g.get("created", ""))) if args.all else goals_mod.open_goals(app.store)
    if not items:
        print("No open goals." if not args.all else "No goals yet.")
        return 0
    rows = []
    for g in items:
        steps = "; ".join(f"{s['partner']}: {s['text']}" for s in g.get("steps", []))
        checkins = g.get("checkins", [])
        last = (f"{len(checkins)}, last {when(checkins[-1]['at'], tz, with_time=False)}: {checkins[-1]['note']}"
                if checkins else "none yet")
        status = g.get("status", "")
        if status == "reached" and g.get("reached"):
            status = f"reached {when(g['reached'], tz, with_time=False)}"
        rows.append([g.get("text", ""), status, when(g.get("created"), tz, with_time=False),
                     f"{steps or 'no first steps'} | check-ins: {last}"])
    print(table(["Goal", "Status", "Since", "Steps and check-ins"], rows, wrap=3))
    return 0


def cmd_history(args: argparse.Namespace, app) -> int:  # type: ignore[no-untyped-def]
    app.profile()
    clock = app.clock()
    tz = clock.tz
    sessions = sorted(app.store.all("sessions"), key=lambda s: str(s.get("started", "")))
    if args.month:
        try:
            datetime.strptime(args.month, "%Y-%m")
        except ValueError:
            raise TandemError(f"--month takes a month like 2026-12, not {args.month!r}") from None
        sessions = [s for s in sessions if s.get("started") and
                    datetime.fromisoformat(s["started"]).astimezone(tz).strftime("%Y-%m") == args.month]
    rows = []
    for s in sessions:
        length = ""
        if s.get("started") and s.get("ended"):
            minutes = (datetime.fromisoformat(s["ended"]) - datetime.fromisoformat(s["started"])).total_seconds() / 60
            length = f"{minutes:.0f} min"
        rows.append([when(s.get("started"), tz), str(s.get("exercise", "")), length, str(s.get("end_reason") or "")])
    if rows:
        print(table(["Started", "Exercise", "Length", "Ended"], rows, wrap=1))
    else:
        print("No exercises yet" + (f" in {args.month}." if args.month else "."))
    s = compute(app.store, clock)
    print()
    print(f"Gratitude streak: {count_of(s.streak_days, 'day')} · exercises this month: "
          f"{s.exercises_this_month} · promises kept {s.kept}, missed {s.missed} · goals reached: {s.goals_reached}")
    return 0


def cmd_report(args: argparse.Namespace, app) -> int:  # type: ignore[no-untyped-def]
    app.profile()
    out = Path(args.out).expanduser() if args.out else app.home.root / "report.html"
    if out.is_dir():
        raise TandemError(f"{out} is a folder; give a file name like {out / 'tandem-report.html'}")
    if not out.parent.exists():
        raise TandemError(f"the folder {out.parent} does not exist; create it or choose another --out")
    html = build_report(app.store, app.clock().now())
    try:
        atomic_write_bytes(out, html.encode("utf-8"))  # 0600, like everything Tandem writes
    except OSError as exc:
        raise TandemError(f"cannot write {out}: {exc.strerror or exc}") from None
    print(f"Wrote {out} (open it in any browser; it needs no network).")
    return 0
