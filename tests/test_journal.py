"""The gratitude journal: entries in export shape and recall by period."""

from __future__ import annotations

from datetime import datetime

import pytest

from assistant.features import journal
from assistant.features.export import export_all
from assistant.features.forget import last_logged

from .conftest import LISBON
from .feature_ctx import make_ctx, said

WED = datetime(2026, 12, 2, 19, 0, tzinfo=LISBON)


def _add(store, clock, when, from_, about, text):
    clock.set(when)
    return journal.add_gratitude(store, clock, from_, about, text, None)


@pytest.fixture
def filled(store, clock, profile):
    # Fri, two weeks ago
    _add(store, clock, datetime(2026, 11, 20, 21, 0, tzinfo=LISBON), "Alex", "Sam", "thanks for the long walk")
    # Tue, last week
    _add(store, clock, datetime(2026, 11, 24, 21, 0, tzinfo=LISBON), "Sam", "Alex", "thanks for fixing the shelf")
    _add(store, clock, datetime(2026, 11, 30, 21, 0, tzinfo=LISBON), "Alex", "Sam", "thanks for the soup")  # Mon
    _add(store, clock, datetime(2026, 12, 1, 21, 0, tzinfo=LISBON), "Sam", "Alex",
         "thanks for listening")  # Tue, yesterday
    _add(store, clock, datetime(2026, 12, 1, 21, 5, tzinfo=LISBON), "Alex", "Sam", "thanks for the tea")
    clock.set(WED)


def test_entry_shape_and_last_logged(store, clock, profile) -> None:
    entry = journal.add_gratitude(store, clock, "Alex", "Sam", "thanks  for dinner", "s1")
    (g,) = export_all(store)["gratitude"]
    assert g == {"id": entry["id"], "from": "Alex", "about": "Sam", "text": "thanks for dinner",
                 "at": "2026-12-02T19:00:00+00:00", "session": "s1"}
    assert last_logged(store) == ("gratitude", g)


def test_recall_yesterday(store, clock, profile, settings, filled) -> None:
    ctx, speaker, _ = make_ctx(store, clock, profile, settings)
    journal.handle_recall(ctx, said("gratitude.recall", period="yesterday"))
    assert speaker.said == ["From yesterday: Sam to Alex: thanks for listening. Alex to Sam: thanks for the tea."]


def test_recall_last_week(store, clock, profile, settings, filled) -> None:
    ctx, speaker, _ = make_ctx(store, clock, profile, settings)
    journal.handle_recall(ctx, said("gratitude.recall", period="last week"))
    assert speaker.said == ["From last week: Sam to Alex: thanks for fixing the shelf."]


def test_recall_this_month_and_default(store, clock, profile, settings, filled) -> None:
    ctx, speaker, _ = make_ctx(store, clock, profile, settings)
    journal.handle_recall(ctx, said("gratitude.recall", period="this month"))
    assert "listening" in speaker.said[0] and "soup" not in speaker.said[0]
    journal.handle_recall(ctx, said("gratitude.recall"))
    assert speaker.said[1].startswith("Here are your latest appreciations.")
    assert "soup" in speaker.said[1] and "walk" not in speaker.said[1] and "Yesterday, Sam to Alex" in speaker.said[1]


def test_recall_is_brief(store, clock, profile, settings) -> None:
    for n in range(7):
        _add(store, clock, datetime(2026, 11, 23 + n, 21, 0, tzinfo=LISBON), "Alex", "Sam", f"thing {n}")
    clock.set(WED)
    ctx, speaker, _ = make_ctx(store, clock, profile, settings)
    journal.handle_recall(ctx, said("gratitude.recall", period="last week"))
    assert speaker.said[0].count("Alex to Sam") == 4 and speaker.said[0].endswith("And 3 more in the journal.")


def test_recall_empty_and_nothing_in_period(store, clock, profile, settings) -> None:
    ctx, speaker, _ = make_ctx(store, clock, profile, settings)
    journal.handle_recall(ctx, said("gratitude.recall"))
    assert "empty" in speaker.said[0]
    journal.add_gratitude(store, clock, "Alex", "Sam", "x", None)
    journal.handle_recall(ctx, said("gratitude.recall", period="last month"))
    assert speaker.said[1] == "Nothing in the journal from last month."


def test_privacy_blocks_recall(store, clock, profile, settings, filled) -> None:
    store.set_meta("privacy", True)
    ctx, speaker, _ = make_ctx(store, clock, profile, settings)
    journal.handle_recall(ctx, said("gratitude.recall", period="yesterday"))
    assert "private" in speaker.said[0] and "tea" not in speaker.text()


def test_what_was_said_keeps_its_capitals_and_every_word(store, clock) -> None:
    """Issue 14: the recogniser hears lower case; the journal reads "Japan", "Friday", "Sam" and "I" as written."""
    entry = _add(store, clock, WED, "Alex", "Sam",
                 "i loved that you didn't give up on the trip to japan on friday. it says a lot")
    assert entry["text"] == "I loved that you didn't give up on the trip to Japan on Friday. It says a lot"
    # an entry stored before capitals were kept is read back with them too
    old = {"from": "Sam", "about": "Alex", "text": "thanks for waiting for alex's train", "at": WED.isoformat(),
           "session": None}
    store.insert("gratitude", old)
    spoken = journal.spoken_entry(old, WED, with_day=False)
    assert spoken == "Sam to Alex: thanks for waiting for Alex's train."
