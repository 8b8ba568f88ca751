"""Promises: logging and read-back, listing, fuzzy identification, the ambiguous question, follow-up cadence."""

from __future__ import annotations

from datetime import datetime

import pytest

from assistant.conversation import Utterance
from assistant.features import promises
from assistant.features.export import export_all
from assistant.features.forget import handle_forget_last

from .conftest import LISBON
from .feature_ctx import make_ctx, said


@pytest.fixture
def world(store, clock, profile, settings):
    def build(*answers: str):
        return make_ctx(store, clock, profile, settings, *answers)
    return build


def test_log_reads_back_with_the_weekday_and_stores_the_export_shape(world, store) -> None:
    ctx, speaker, _ = world()
    promises.handle_log(ctx, said("promise.log", partner="Sam", text="call the plumber", due="by friday"))
    assert speaker.said == ["Got it: Sam promises to call the plumber by Friday."]
    (p,) = export_all(store)["promises"]
    assert set(p) == {"id", "partner", "text", "made", "due", "due_words", "status", "closed", "followups"}
    assert p["partner"] == "Sam" and p["text"] == "call the plumber" and p["status"] == "open"
    assert p["made"] == "2026-12-02T19:00:00+00:00"
    assert p["due"] == "2026-12-04T23:59:00+00:00" and p["due_words"] == "by friday"
    assert p["closed"] is None and p["followups"] == []


def test_log_asks_who_when_nobody_was_named(world, store) -> None:
    ctx, speaker, listener = world("!answer.partner partner=Alex")
    promises.handle_log(ctx, said("promise.log", text="fix the bike"))
    assert speaker.said[0] == "Who's making this promise, Alex or Sam?"
    assert listener.heard[0][0] == "name"
    assert speaker.said[-1] == "Got it: Alex promises to fix the bike."
    assert store.all("promises")[0]["partner"] == "Alex"


def test_log_without_an_answer_saves_nothing(world, store) -> None:
    ctx, speaker, _ = world("")
    promises.handle_log(ctx, said("promise.log", text="fix the bike"))
    assert store.all("promises") == [] and "didn't save" in speaker.said[-1]


def test_unparseable_due_is_kept_as_words(world, store) -> None:
    ctx, speaker, _ = world()
    promises.handle_log(ctx, said("promise.log", partner="Sam", text="paint the hall", due="when it is warmer"))
    assert speaker.said == ["Got it: Sam promises to paint the hall when it is warmer."]
    p = store.all("promises")[0]
    assert p["due"] is None and p["due_words"] == "when it is warmer"


def test_forget_last_undoes_the_promise(world, store) -> None:
    ctx, speaker, _ = world("!confirm.yes")
    promises.handle_log(ctx, said("promise.log", partner="Sam", text="call the plumber", due="by friday"))
    handle_forget_last(ctx, said("forget.last"))
    assert "Forget Sam's promise to call the plumber?" in speaker.said
    assert store.all("promises") == []


def test_privacy_mode_keeps_the_words_private(world, store) -> None:
    store.set_meta("privacy", True)
    ctx, speaker, _ = world()
    promises.handle_log(ctx, said("promise.log", partner="Sam", text="call the plumber", due="by friday"))
    promises.handle_list(ctx, said("promise.list"))
    assert "plumber" not in speaker.text()
    assert len(store.all("promises")) == 1


def _log(store, clock, partner, text, due=None, minutes_later=1):
    clock.advance(minutes_later * 60)
    return promises.log_promise(store, clock, partner, text, due)


def test_list_oldest_first_marks_overdue_and_filters_by_partner(world, store, clock) -> None:
    _log(store, clock, "Alex", "fix the bike", "tonight")
    _log(store, clock, "Sam", "call the plumber", "by friday")
    _log(store, clock, "Sam", "book the dentist")
    clock.advance(24 * 3600)  # Thursday: the bike is overdue since yesterday
    ctx, speaker, _ = world()
    promises.handle_list(ctx, said("promise.list"))
    assert speaker.said[0] == "You have 3 open promises."
    body = speaker.said[1]
    assert body.index("fix the bike") < body.index("call the plumber") < body.index("book the dentist")
    assert "Alex promises to fix the bike, overdue since yesterday." in body
    assert "Sam promises to call the plumber by tomorrow." in body

    ctx, speaker, _ = world()
    promises.handle_list(ctx, said("promise.list", partner="Sam"))
    assert speaker.said[0] == "Sam has 2 open promises." and "bike" not in speaker.text()


def test_list_reads_three_then_offers_the_rest(world, store, clock) -> None:
    for n, thing in enumerate(["water the plants", "fix the bike", "call mum", "book the dentist", "clean the car"]):
        _log(store, clock, "Alex" if n % 2 else "Sam", thing)
    ctx, speaker, listener = world("!confirm.yes")
    promises.handle_list(ctx, said("promise.list"))
    assert speaker.said[0] == "You have 5 open promises."
    assert "And 2 more. Shall I go on?" in speaker.said
    assert "clean the car" in speaker.said[-1]

    ctx, speaker, _ = world("!confirm.no")
    promises.handle_list(ctx, said("promise.list"))
    assert "clean the car" not in speaker.text()


def test_no_open_promises(world) -> None:
    ctx, speaker, _ = world()
    promises.handle_list(ctx, said("promise.list"))
    assert speaker.said == ["No open promises right now."]


@pytest.mark.parametrize("words", ["the plumber promise", "plumber", "call the plumer", "the plumber"])
def test_kept_finds_the_promise_by_fuzzy_text(world, store, clock, words) -> None:
    _log(store, clock, "Alex", "fix the bike")
    p = _log(store, clock, "Sam", "call the plumber", "by friday")
    _log(store, clock, "Sam", "book the dentist")
    ctx, speaker, _ = world()
    promises.handle_kept(ctx, said("promise.kept", text=words))
    got = store.get("promises", p["id"])
    assert got["status"] == "kept" and got["closed"] == "2026-12-02T19:03:00+00:00"
    assert "Well done, Sam" in speaker.text()
    assert [x["status"] for x in store.all("promises")].count("open") == 2


def test_missed_is_recorded_kindly(world, store, clock) -> None:
    p = _log(store, clock, "Alex", "fix the bike")
    ctx, speaker, _ = world()
    promises.handle_missed(ctx, said("promise.missed", text="bike"))
    assert store.get("promises", p["id"])["status"] == "missed"
    assert "next time" in speaker.text()


def test_no_match_changes_nothing(world, store, clock) -> None:
    _log(store, clock, "Alex", "fix the bike")
    _log(store, clock, "Sam", "call the plumber")
    ctx, speaker, _ = world()
    promises.handle_kept(ctx, said("promise.kept", text="the holiday booking"))
    assert {p["status"] for p in store.all("promises")} == {"open"}
    assert "couldn't find" in speaker.text()


def _heard(intent: str, text: str, slot_text: str) -> Utterance:
    return Utterance(text=text, intent=intent, slots={"text": slot_text}, score=1.0)


@pytest.mark.parametrize("answer, status", [("!confirm.yes", "kept"), ("!confirm.no", "open"), ("", "open")])
def test_garbled_words_with_one_promise_left_for_the_partner_ask_whether_it_is_that_one(
        world, store, clock, answer, status) -> None:
    # Heard as "the bloods": a task's words are misheard far more often than a name.
    alex = _log(store, clock, "Alex", "fix the bike")
    sam = _log(store, clock, "Sam", "water the plants")
    ctx, speaker, _ = world(answer)
    promises.handle_kept(ctx, _heard("promise.kept", "sam kept the promise about the bloods", "the bloods"))
    assert speaker.said[0] == "I'm not sure which promise that was. Do you mean Sam's promise to water the plants?"
    assert store.get("promises", sam["id"])["status"] == status
    assert store.get("promises", alex["id"])["status"] == "open"
    if status == "kept":
        assert speaker.said[-1].startswith("Marked Sam's promise to water the plants as kept.")
    else:
        assert speaker.said[-1] == "Okay, I left it as it was."


def test_words_that_fit_another_partners_promise_still_find_it(world, store, clock) -> None:
    # The partner named only narrows the guess when the words fit nothing: people misattribute.
    bike = _log(store, clock, "Alex", "fix the bike")
    _log(store, clock, "Sam", "water the plants")
    ctx, speaker, listener = world()
    promises.handle_kept(ctx, _heard("promise.kept", "sam kept the promise about the bike", "the bike"))
    assert listener.heard == [] and store.get("promises", bike["id"])["status"] == "kept"


def test_garbled_words_with_several_promises_left_are_not_guessed(world, store, clock) -> None:
    _log(store, clock, "Sam", "call the plumber")
    _log(store, clock, "Sam", "water the plants")
    ctx, speaker, listener = world()
    promises.handle_kept(ctx, _heard("promise.kept", "sam kept the promise about the bloods", "the bloods"))
    assert listener.heard == [] and "couldn't find" in speaker.text()
    assert {p["status"] for p in store.all("promises")} == {"open"}


def test_the_only_open_promise_is_not_read_aloud_to_guests(world, store, clock) -> None:
    _log(store, clock, "Sam", "water the plants")
    store.set_meta("privacy", True)
    ctx, speaker, listener = world()
    promises.handle_kept(ctx, _heard("promise.kept", "sam kept the promise about the bloods", "the bloods"))
    assert listener.heard == [] and "plants" not in speaker.text()
    assert store.all("promises")[0]["status"] == "open"


def test_two_matches_by_different_partners_ask_which_by_name(world, store, clock) -> None:
    alex = _log(store, clock, "Alex", "call mum")
    sam = _log(store, clock, "Sam", "call the plumber")
    ctx, speaker, listener = world("!answer.partner partner=Sam")
    promises.handle_kept(ctx, said("promise.kept", text="call"))
    assert speaker.said[0] == "Which one: Alex's promise to call mum, or Sam's promise to call the plumber?"
    assert store.get("promises", sam["id"])["status"] == "kept"
    assert store.get("promises", alex["id"])["status"] == "open"


def test_two_matches_by_one_partner_ask_one_by_one(world, store, clock) -> None:
    first = _log(store, clock, "Sam", "call mum")
    second = _log(store, clock, "Sam", "call the plumber")
    ctx, speaker, _ = world("!confirm.no", "!confirm.yes")
    promises.handle_kept(ctx, said("promise.kept", text="call"))
    assert speaker.said[0] == "2 promises fit that."
    assert speaker.said[1] == "Is it Sam's promise to call mum?"
    assert store.get("promises", first["id"])["status"] == "open"
    assert store.get("promises", second["id"])["status"] == "kept"


def test_ambiguous_question_unanswered_changes_nothing(world, store, clock) -> None:
    _log(store, clock, "Alex", "call mum")
    _log(store, clock, "Sam", "call the plumber")
    ctx, speaker, _ = world("")
    promises.handle_kept(ctx, said("promise.kept", text="call"))
    assert {p["status"] for p in store.all("promises")} == {"open"}


def test_ambiguous_in_privacy_reads_no_texts(world, store, clock) -> None:
    _log(store, clock, "Alex", "call mum")
    _log(store, clock, "Sam", "call the plumber")
    store.set_meta("privacy", True)
    ctx, speaker, _ = world()
    promises.handle_kept(ctx, said("promise.kept", text="call"))
    assert "mum" not in speaker.text() and "plumber" not in speaker.text()
    assert {p["status"] for p in store.all("promises")} == {"open"}


def test_mark_rejects_unknown_status(store, clock) -> None:
    p = promises.log_promise(store, clock, "Sam", "x", None)
    with pytest.raises(ValueError):
        promises.mark(store, clock, p["id"], "forgotten")


# --- follow-up cadence ---------------------------------------------------------------------


def test_follow_up_only_after_the_due_moment(world, store, clock) -> None:
    promises.log_promise(store, clock, "Sam", "call the plumber", "by friday")
    ctx, speaker, _ = world()
    assert promises.follow_up(ctx) is False  # Wednesday: not due yet
    clock.set(datetime(2026, 12, 4, 23, 0, tzinfo=LISBON))
    assert promises.follow_up(ctx) is False  # Friday evening: still within "by friday"
    assert speaker.said == []


def test_follow_up_yes_marks_kept_and_celebrates(world, store, clock) -> None:
    p = promises.log_promise(store, clock, "Sam", "call the plumber", "by friday")
    clock.set(datetime(2026, 12, 5, 10, 0, tzinfo=LISBON))
    ctx, speaker, _ = world("!confirm.yes")
    assert promises.follow_up(ctx) is True
    assert speaker.said[0] == "Sam, did you keep your promise to call the plumber?"
    got = store.get("promises", p["id"])
    assert got["status"] == "kept" and got["followups"] == ["2026-12-05T10:00:00+00:00"]
    assert "Promise kept" in speaker.said[-1]


def test_follow_up_no_offers_more_time_without_announcing_a_lapse(world, store, clock) -> None:
    p = promises.log_promise(store, clock, "Sam", "call the plumber", "by friday")
    clock.set(datetime(2026, 12, 5, 10, 0, tzinfo=LISBON))  # Saturday
    ctx, speaker, _ = world("!confirm.no", "!confirm.yes")
    promises.follow_up(ctx)
    got = store.get("promises", p["id"])
    assert got["status"] == "open" and got["due"] == "2026-12-08T23:59:00+00:00"
    assert "by Tuesday" in speaker.said[-1]
    assert not any(w in speaker.text().lower() for w in ("missed", "late", "overdue", "failed"))


def test_follow_up_no_then_let_it_go(world, store, clock) -> None:
    p = promises.log_promise(store, clock, "Sam", "call the plumber", "tonight")
    clock.advance(24 * 3600)
    ctx, speaker, _ = world("!confirm.no", "!confirm.no", "!confirm.yes")
    promises.follow_up(ctx)
    assert store.get("promises", p["id"])["status"] == "released"
    assert "let it go" in speaker.said[-1]


def test_at_most_one_follow_up_per_promise_per_day(world, store, clock) -> None:
    p = promises.log_promise(store, clock, "Sam", "call the plumber", "tonight")
    clock.set(datetime(2026, 12, 3, 9, 0, tzinfo=LISBON))
    ctx, speaker, _ = world("", "", "", "")
    assert promises.follow_up(ctx) is True  # asked; silence
    clock.advance(6 * 3600)
    assert promises.follow_up(ctx) is False  # same day: not again
    clock.set(datetime(2026, 12, 3, 23, 58, tzinfo=LISBON))
    assert promises.follow_up(ctx) is False
    clock.set(datetime(2026, 12, 4, 0, 5, tzinfo=LISBON))
    assert promises.follow_up(ctx) is True  # a new day in Lisbon
    assert len(store.get("promises", p["id"])["followups"]) == 2
    assert speaker.said.count("Sam, did you keep your promise to call the plumber?") == 2


def test_one_question_per_wake_even_with_several_due(world, store, clock) -> None:
    a = promises.log_promise(store, clock, "Alex", "fix the bike", "tonight")
    b = promises.log_promise(store, clock, "Sam", "call the plumber", "tonight")
    clock.advance(24 * 3600)
    ctx, speaker, _ = world("!confirm.yes", "!confirm.yes")
    assert promises.follow_up(ctx) is True
    assert store.get("promises", a["id"])["status"] == "kept"  # the oldest first
    assert store.get("promises", b["id"])["status"] == "open"
    assert promises.follow_up(ctx) is True  # a later wake-up may ask about the next one
    assert store.get("promises", b["id"])["status"] == "kept"


def test_never_follow_up_in_privacy_mode(world, store, clock) -> None:
    promises.log_promise(store, clock, "Sam", "call the plumber", "tonight")
    clock.advance(2 * 24 * 3600)
    store.set_meta("privacy", True)
    ctx, speaker, _ = world()
    assert promises.follow_up(ctx) is False and speaker.said == []
    assert store.all("promises")[0]["followups"] == []


def test_no_follow_up_without_a_due_date(world, store, clock) -> None:
    promises.log_promise(store, clock, "Sam", "paint the hall", "someday")
    clock.advance(60 * 24 * 3600)
    ctx, _, _ = world()
    assert promises.follow_up(ctx) is False


# --- issue 14: a promise keeps its meaning: negation, occasion, grammar, capitals ---------------------


def _said_as(heard: str, **slots: str) -> Utterance:
    return Utterance(text=heard, intent="promise.log", slots=dict(slots), score=1.0)


@pytest.mark.parametrize("heard, slots, read_back, kept", [
    ("Sam promises never to raise his voice", {"partner": "Sam", "text": "never to raise his voice"},
     "Got it: Sam promises never to raise his voice.", "never raise his voice"),
    ("Sam promises not to be late on Friday", {"partner": "Sam", "text": "not to be late", "due": "on friday"},
     "Got it: Sam promises not to be late on Friday.", "not be late"),
    ("Alex promises to not work on weekends", {"partner": "Alex", "text": "not work on weekends"},
     "Got it: Alex promises not to work on weekends.", "not work on weekends"),
    ("I won't be late again, I promise", {"partner": "Alex", "text": "not be late again"},
     "Got it: Alex promises not to be late again.", "not be late again"),
    ("Sam promises he will stop shouting on saturday morning",
     {"partner": "Sam", "text": "stop shouting", "due": "on saturday morning"},
     "Got it: Sam promises to stop shouting on Saturday morning.", "stop shouting"),
    ("we promise to no longer argue about money", {"partner": "Sam", "text": "no longer argue about money"},
     "Got it: Sam promises to no longer argue about money.", "no longer argue about money"),
    ("I promise to bring the wine at the party", {"partner": "Alex", "text": "bring the wine", "due": "at the party"},
     "Got it: Alex promises to bring the wine at the party.", "bring the wine"),
    ("alex promises to take sam to japan by christmas",
     {"partner": "Alex", "text": "take sam to japan", "due": "by christmas"},
     "Got it: Alex promises to take Sam to Japan by Christmas.", "take Sam to Japan"),
])
def test_the_read_back_and_the_record_keep_what_was_said(world, store, heard, slots, read_back, kept) -> None:
    ctx, speaker, _ = world()
    promises.handle_log(ctx, _said_as(heard, **slots))
    assert speaker.said == [read_back]
    (p,) = export_all(store)["promises"]
    assert p["text"] == kept and p["due_words"] == slots.get("due")


def test_an_occasion_is_when_not_a_deadline(world, store, clock) -> None:
    ctx, speaker, _ = world()
    promises.handle_log(ctx, _said_as("x", partner="Sam", text="not to be late", due="on friday"))
    promises.handle_log(ctx, _said_as("x", partner="Alex", text="fix the shelf", due="before the weekend"))
    promises.handle_list(ctx, said("promise.list"))
    assert "Sam promises not to be late on Friday. Alex promises to fix the shelf by Friday." in speaker.said[-1]


def test_a_negated_promise_is_followed_up_and_named_without_inverting_it(world, store, clock) -> None:
    p = promises.log_promise(store, clock, "Sam", "not be late", "on friday")
    clock.set(datetime(2026, 12, 5, 10, 0, tzinfo=LISBON))
    ctx, speaker, _ = world("!confirm.no", "!confirm.no", "!confirm.no")
    assert promises.follow_up(ctx) is True
    assert speaker.said[0] == "Sam, did you keep your promise not to be late?"
    ctx, speaker, _ = world("!confirm.yes")
    promises.handle_missed(ctx, said("promise.missed", text="be late"))
    assert speaker.said[-1] == "Okay, I've noted Sam's promise not to be late wasn't kept. There's always a next time."
    assert store.get("promises", p["id"])["status"] == "missed"


def test_a_promise_from_a_whole_turn_keeps_only_what_was_promised(world, store, clock) -> None:
    p = promises.log_promise(store, clock, "Sam", "I promise you I won't check my phone on sunday", None)
    assert p["text"] == "not check my phone on Sunday"
    assert promises.spoken(p, clock.now()) == "Sam promises not to check my phone on Sunday"
