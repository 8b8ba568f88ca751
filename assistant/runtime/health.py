"""Health checks for a device nobody watches: pure functions returning ``(ok, line)``.

``tandem doctor`` prints the lines; each says what is wrong and what to do.
Every check takes what it looks at as arguments (store, clock, zone name,
service plan), so tests hand them fakes and nothing here reads the
environment or the config file.

* ``check_backups(store, today)`` -- how many daily backups, how old the newest;
* ``check_timezone(name)`` -- the couple's zone is known to this system;
* ``check_clock(store, clock)`` -- the clock has not gone back behind the last
  thing Tandem did (a Raspberry Pi without network after a power cut);
* ``check_service(plan)`` -- installed / active as a systemd user service;
* ``all_checks(store, clock, timezone, service_plan)`` -- the four, in order.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

Check = tuple[bool, str]

BACKUP_MAX_AGE_DAYS = 2  # one backup a day while running: older than this means Tandem has not been running
BACKUPS_WANTED = 1


def check_backups(store: Any, today: date, max_age_days: int = BACKUP_MAX_AGE_DAYS) -> Check:
    """Count and age of ``store.list_backups()`` (newest first, named ``tandem-YYYY-MM-DD.json``)."""
    try:
        backups = list(store.list_backups())
    except OSError as exc:
        return False, f"backups: cannot read {getattr(store, 'backups', 'the backups folder')}: {exc.strerror or exc}"
    if len(backups) < BACKUPS_WANTED:
        return False, ("backups: none yet; 'tandem run' makes one each day it runs "
                       "(leave it running, or run it once today)")
    newest = backups[0]
    stamp = newest.stem.removeprefix("tandem-")
    try:
        day = date.fromisoformat(stamp)
    except ValueError:
        return False, (f"backups: the newest, {newest.name}, has no date in its name; "
                       f"remove stray files from {newest.parent}")
    age = (today - day).days
    if age > max_age_days:
        return False, (f"backups: {len(backups)}, but the newest ({newest.name}) is {age} days old; "
                       "is Tandem running? check 'tandem service status'")
    if age < 0:
        return False, f"backups: the newest ({newest.name}) is dated after today ({today}); check the clock"
    return True, f"backups: {len(backups)} daily, newest {newest.name} ({'today' if age == 0 else f'{age} day(s) ago'})"


def check_timezone(name: str | None) -> Check:
    if not name:
        return False, "time zone: not set; run 'tandem init --force --timezone Europe/Lisbon' (your zone)"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False, (f"time zone: {name!r} is unknown on this system; install tzdata (apt install tzdata) "
                       "or set a valid zone with 'tandem init --force --timezone Area/City'")
    return True, f"time zone: {name}"


def check_clock(store: Any, clock: Any) -> Check:
    """The reminders' own judgement (``reminders.clock_problem``) when present, else the stored last event."""
    try:
        from ..features import reminders

        problem = getattr(reminders, "clock_problem", None)
    except ImportError:
        problem = None
    now = clock.now()
    if problem is not None:
        text = problem(store, clock)
        if text:
            return False, f"clock: {text}; connect to a network or set the date"
        return True, f"clock: {now.isoformat(timespec='minutes')}"
    last = store.meta("last_event")
    if not last:
        return True, f"clock: {now.isoformat(timespec='minutes')} (nothing stored yet to compare with)"
    try:
        when = datetime.fromisoformat(str(last))
    except ValueError:
        return False, f"clock: the last stored event time {last!r} is unreadable; run 'tandem reminders resume'"
    if when.tzinfo is None:
        when = when.replace(tzinfo=now.tzinfo or timezone.utc)
    if when > now:
        return False, (f"clock: it is {now.isoformat(timespec='minutes')} but Tandem last did something at "
                       f"{when.isoformat(timespec='minutes')}: the clock went back; connect to a network or set the "
                       "date")
    return True, f"clock: {now.isoformat(timespec='minutes')} (after the last stored event)"


def check_service(plan: Any) -> Check:
    """``assistant.runtime.service.status`` of ``plan``: not installed or not active is a warning with what to do."""
    from ..errors import TandemError
    from . import service

    try:
        line = service.status(plan)
    except (OSError, TandemError) as exc:
        return False, f"service: could not ask systemd ({exc})"
    if "not installed" in line:
        return False, f"service: {line}"
    state = line.rsplit(";", 1)[-1].strip()
    if state in ("active", "activating") or "systemctl is not available" in line:
        return True, f"service: {line}"
    return False, (f"service: {line}; start it with 'systemctl --user start tandem' "
                   "and see 'journalctl --user -u tandem'")


def all_checks(store: Any, clock: Any, timezone_name: str | None, service_plan: Any) -> list[Check]:
    today = clock.now().date()
    return [check_backups(store, today), check_timezone(timezone_name), check_clock(store, clock),
            check_service(service_plan)]
