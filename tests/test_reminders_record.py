"""The typed reminder record keeps the stored JSON shape (shared/docs/export-format.md) exactly."""

from __future__ import annotations

import json

from assistant.features.reminders import DEFAULTS, Offer, Reminder
from assistant.features.reminders.record import LEDGER_KEEP, push

STORED = {
    "id": "checkin", "kind": "checkin", "exercise": "checkin", "rule": "FREQ=WEEKLY;BYDAY=SU", "time": "19:00",
    "enabled": True, "spoken": ["2027-01-10T19:00:00+00:00"], "skipped": [], "heads_up": [],
    "offer": {"occurrence": "2027-01-10T19:00:00+00:00", "offers": 2, "again": "2027-01-10T20:00:00+00:00",
              "day": "2027-01-10"},
    "streak": 1, "last_wording": 2, "gives_way_to": "trusttalk", "since": None, "created": "2026-12-07T01:00:00+00:00",
    "label": None,
}


def test_a_record_round_trips_to_the_same_json() -> None:
    rec = Reminder.from_dict(STORED)
    assert rec.offer == Offer("2027-01-10T19:00:00+00:00", 2, "2027-01-10T20:00:00+00:00", "2027-01-10")
    assert json.dumps(rec.to_dict()) == json.dumps(STORED)  # same fields, same order


def test_an_older_record_gains_only_the_fields_that_changed() -> None:
    old = {"id": "gratitude", "kind": "gratitude", "rule": "FREQ=DAILY", "time": "20:00", "enabled": True, "extra": 1}
    rec = Reminder.from_dict(old)
    assert (rec.spoken, rec.streak, rec.offer, rec.last_wording) == ([], 0, None, -1)
    rec.streak = 0
    rec.spoken = push(rec.spoken, "2027-01-04T20:00:00+00:00")
    raw = dict(old)
    rec.merge_into(raw)
    assert raw == {**old, "spoken": ["2027-01-04T20:00:00+00:00"]}  # no default written, unknown fields kept


def test_the_ledger_keeps_each_occurrence_once_and_the_newest() -> None:
    ledger = [str(i) for i in range(LEDGER_KEEP)]
    assert push(ledger, "5")[-1] == "5" and push(ledger, "5").count("5") == 1
    assert push(ledger, "new") == [*ledger[1:], "new"]


def test_defaults_are_named_records() -> None:
    assert DEFAULTS["checkin"].gives_way_to == "trusttalk" and DEFAULTS["trusttalk"].gives_way_to is None
    assert (DEFAULTS["gratitude"].time, DEFAULTS["gratitude"].enabled) == ("20:00", False)
    assert DEFAULTS["trusttalk"].time == DEFAULTS["checkin"].time == "19:00"
