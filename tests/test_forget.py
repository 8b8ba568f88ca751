"""Correcting the record: forget.last and forget.item, always after a read-back."""

from __future__ import annotations

from datetime import datetime, timedelta

from assistant.features import experiences, forget, goals, journal, promises

from .conftest import LISBON
from .feature_ctx import make_ctx, said


def test_forget_last_follows_every_log_function(store, clock, profile, settings) -> None:
    loggers = [
        ("promises", lambda: promises.log_promise(store, clock, "Sam", "call the plumber", None)),
        ("gratitude", lambda: journal.add_gratitude(store, clock, "Alex", "Sam", "thanks for the tea", None)),
        ("goals", lambda: goals.add_goal(store, clock, "visit japan", [])),
        ("experiences", lambda: experiences.log_done(store, clock, "pottery class")),
    ]
    for table, log in loggers:
        record = log()
        ctx, speaker, _ = make_ctx(store, clock, profile, settings, "!confirm.yes")
        forget.handle_forget_last(ctx, said("forget.last"))
        assert store.get(table, record["id"]) is None, table
        assert speaker.said[-1] == "Done, it's forgotten."
    ctx, speaker, _ = make_ctx(store, clock, profile, settings)
    forget.handle_forget_last(ctx, said("forget.last"))
    assert speaker.said == ["There's nothing recent to forget."]


def test_forget_last_needs_a_yes(store, clock, profile, settings) -> None:
    p = promises.log_promise(store, clock, "Sam", "call the plumber", None)
    for answer in ("!confirm.no", ""):
        ctx, speaker, _ = make_ctx(store, clock, profile, settings, answer, answer)
        forget.handle_forget_last(ctx, said("forget.last"))
        assert store.get("promises", p["id"]) is not None
        assert speaker.said[-1] == "Okay, I've kept it."


def test_forget_last_in_privacy_does_not_read_the_words(store, clock, profile, settings) -> None:
    journal.add_gratitude(store, clock, "Alex", "Sam", "thanks for the secret", None)
    store.set_meta("privacy", True)
    ctx, speaker, _ = make_ctx(store, clock, profile, settings, "!confirm.yes")
    forget.handle_forget_last(ctx, said("forget.last"))
    assert speaker.said[0] == "Forget the last gratitude entry?" and store.all("gratitude") == []


def test_forget_the_promise_about_the_plumber(store, clock, profile, settings) -> None:
    keep = promises.log_promise(store, clock, "Alex", "fix the bike", None)
    gone = promises.log_promise(store, clock, "Sam", "call the plumber", "by friday")
    journal.add_gratitude(store, clock, "Alex", "Sam", "thanks for calling the plumber", None)
    ctx, speaker, _ = make_ctx(store, clock, profile, settings, "!confirm.yes")
    forget.handle_forget_item(ctx, said("forget.item", text="the promise about the plumber"))
    assert speaker.said[0] == "Forget Sam's promise to call the plumber?"
    assert store.get("promises", gone["id"]) is None and store.get("promises", keep["id"]) is not None
    assert len(store.all("gratitude")) == 1


def test_delete_yesterdays_gratitude(store, clock, profile, settings) -> None:
    now = clock.now()
    clock.set(now - timedelta(days=2))
    older = journal.add_gratitude(store, clock, "Alex", "Sam", "thanks for the walk", None)
    clock.set(now - timedelta(days=1))
    journal.add_gratitude(store, clock, "Sam", "Alex", "thanks for the soup", None)
    clock.set(now)
    today = journal.add_gratitude(store, clock, "Alex", "Sam", "thanks for the tea", None)
    ctx, speaker, _ = make_ctx(store, clock, profile, settings, "!confirm.yes")
    forget.handle_forget_item(ctx, said("forget.item", text="yesterday's gratitude"))
    assert speaker.said[0] == "Forget Sam's thanks to Alex: thanks for the soup?"
    assert {g["id"] for g in store.all("gratitude")} == {older["id"], today["id"]}


def test_several_candidates_are_asked_one_by_one(store, clock, profile, settings) -> None:
    clock.set(clock.now() - timedelta(days=1))
    journal.add_gratitude(store, clock, "Alex", "Sam", "thanks for dinner", None)
    clock.advance(60)
    second = journal.add_gratitude(store, clock, "Sam", "Alex", "thanks for the flowers", None)
    clock.set(datetime(2026, 12, 2, 19, 0, tzinfo=LISBON))
    ctx, speaker, _ = make_ctx(store, clock, profile, settings, "!confirm.no", "!confirm.yes")
    forget.handle_forget_item(ctx, said("forget.item", text="yesterday's gratitude"))
    assert speaker.said[0] == "I found 2 entries that could be it."
    assert "flowers" in speaker.said[1]  # newest first
    assert [g["id"] for g in store.all("gratitude")] == [second["id"]]  # "no" to the flowers, "yes" to dinner


def test_forget_item_no_match_or_no_yes_deletes_nothing(store, clock, profile, settings) -> None:
    promises.log_promise(store, clock, "Sam", "call the plumber", None)
    ctx, speaker, _ = make_ctx(store, clock, profile, settings, "!confirm.no")
    forget.handle_forget_item(ctx, said("forget.item", text="the promise about the holiday"))
    assert "couldn't find" in speaker.said[-1]
    forget.handle_forget_item(ctx, said("forget.item", text="plumber"))
    assert speaker.said[-1] == "Okay, nothing was deleted." and len(store.all("promises")) == 1
    forget.handle_forget_item(ctx, said("forget.item", text="the promise"))  # names nothing
    assert "couldn't find" in speaker.said[-1] and len(store.all("promises")) == 1


def test_forget_item_in_privacy_reads_nothing(store, clock, profile, settings) -> None:
    promises.log_promise(store, clock, "Sam", "call the plumber", None)
    store.set_meta("privacy", True)
    ctx, speaker, _ = make_ctx(store, clock, profile, settings)
    forget.handle_forget_item(ctx, said("forget.item", text="plumber"))
    assert "plumber" not in speaker.text() and len(store.all("promises")) == 1


def test_kind_word_outside_the_slot_still_picks_the_table(store, clock, profile, settings) -> None:
    """The real matcher leaves "gratitude" out of the slot of "delete yesterday's gratitude"."""
    from assistant.config import PathSettings
    from assistant.conversation import Utterance
    from assistant.nlu import Matcher, load_intents

    matcher = Matcher(load_intents(PathSettings().intents_dir), profile.partners)
    parsed = matcher.parse("delete yesterday's gratitude", "idle")
    assert parsed.intent == "forget.item"
    clock.set(clock.now() - timedelta(days=1))
    promise = promises.log_promise(store, clock, "Sam", "call the plumber", None)
    entry = journal.add_gratitude(store, clock, "Sam", "Alex", "thanks for the soup", None)
    clock.advance(86400)
    ctx, speaker, _ = make_ctx(store, clock, profile, settings, "!confirm.yes")
    heard = Utterance(text="delete yesterday's gratitude", intent=parsed.intent, slots=parsed.slots)
    forget.handle_forget_item(ctx, heard)
    assert "soup" in speaker.said[0]
    assert store.get("gratitude", entry["id"]) is None and store.get("promises", promise["id"]) is not None
