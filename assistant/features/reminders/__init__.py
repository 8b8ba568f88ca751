"""Recurring reminders: the monthly trust talk, the weekly check-in, the daily gratitude nudge.

A reminder is one record in the "reminders" table (id = kind), shaped as in
``shared/docs/export-format.md`` and typed as ``record.Reminder``: ``rule`` is RRULE text without
DTSTART and ``time`` the wall time ("19:00"), so occurrences are computed with dateutil's rrule in the
couple's time zone (``time_words.schedule``) and stay at 19:00 across daylight-saving changes.

Everything that must survive a restart lives in the record: ``spoken`` (the ledger of occurrences
already announced: each at most once, ever), ``skipped`` (occurrences settled without a word),
``heads_up`` (trust talks already announced ahead), ``offer`` (the occurrence being offered right now,
with its re-offer count and snooze end) and ``streak`` (occurrences in a row that were declined or went
unanswered). The package keeps no state of its own, so a new process over the same store carries on
exactly where the last one stopped. Meta ``last_event`` (``clock_guard``) lets a clock that went back
after a power cut be noticed: reminders are then held, not replayed. The profile's ``first_run``
(stamped by ``tandem run``) bounds catch-up: nothing due before Tandem first ran is ever said late, so a
new couple's first reminder is a future one.

The modules, one concept each:

* ``record``: the typed record and its stored shape; ``defaults``: the reminders every couple starts with;
* ``registry``: the table (install, read, change, on/off); ``timetable``: occurrences and the next one;
* ``quiet``: quiet hours; ``planning``: what is due, as data; ``clock_guard``: the clock that can be wrong;
* ``wording``: what is said (``scripts/reminders.yaml``); ``speaking``: saying what is due, and the dialogue
  around it; ``answers``: the intent handlers and the export.

Entry points for the dialogue loop: ``speak_due(ctx)``, ``next_wakeup(ctx)``, ``HANDLERS`` (reminder.list,
reminder.set); for summary: ``next_occurrence_text(ctx)``; for init: ``install_defaults(store, profile)``;
for doctor and the log: ``clock_problem(store, clock)``.
"""

from __future__ import annotations

from .answers import HANDLERS, export_records, next_occurrence_text
from .clock_guard import LAST_EVENT, clock_problem, note_time, resume
from .defaults import DEFAULTS, Default
from .planning import Due, plan
from .record import TABLE, Offer, Reminder
from .registry import (
    install_defaults,
    records,
    set_schedule,
    should_ask_about,
    turn_off,
    turn_on,
)
from .speaking import ask_about, next_wakeup, speak_due
from .timetable import listing, next_effective, occurrences, spoken_when
from .wording import custom_kind, kind_for_words, label, wordings

__all__ = [
    "DEFAULTS", "HANDLERS", "LAST_EVENT", "TABLE", "Default", "Due", "Offer", "Reminder", "ask_about", "clock_problem",
    "custom_kind", "export_records", "install_defaults", "kind_for_words", "label", "listing", "next_effective",
    "next_occurrence_text", "next_wakeup", "note_time", "occurrences", "plan", "records", "resume", "set_schedule",
    "should_ask_about", "speak_due", "spoken_when", "turn_off", "turn_on", "wordings",
]
