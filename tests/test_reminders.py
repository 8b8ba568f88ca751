"""Reminders over simulated time: a fake clock, a scripted couple, the real store.

Expected dates are written out by hand from a paper calendar of 2027 (Europe/
Lisbon: summer time from Sunday 28 March 01:00 UTC to Sunday 31 October
01:00 UTC), never recomputed with the recurrence library under test.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from assistant.clock import FakeClock, isoformat
from assistant.config import HomePaths, ReminderSettings, Settings
from assistant.conversation import Utterance
from assistant.events import Event, ReminderEvent
from assistant.features import reminders as rm
from assistant.features.time_words import schedule as sw
from assistant.handlers import Context
from assistant.profile import Profile
from assistant.store import Store

from .fakes import RecordingSpeaker, ScriptedListener

LISBON = ZoneInfo("Europe/Lisbon")

# 2027, by hand: the first Sunday of each month (August begins on a Sunday).
TRUST_TALKS_2027 = [date(2027, 1, 3), date(2027, 2, 7), date(2027, 3, 7), date(2027, 4, 4), date(2027, 5, 2),
                    date(2027, 6, 6), date(2027, 7, 4), date(2027, 8, 1), date(2027, 9, 5), date(2027, 10, 3),
                    date(2027, 11, 7), date(2027, 12, 5)]
# Every Sunday of 2027, by hand.
SUNDAYS_2027 = [date(2027, m, d) for m, days in {
    1: [3, 10, 17, 24, 31], 2: [7, 14, 21, 28], 3: [7, 14, 21, 28], 4: [4, 11, 18, 25], 5: [2, 9, 16, 23, 30],
    6: [6, 13, 20, 27], 7: [4, 11, 18, 25], 8: [1, 8, 15, 22, 29], 9: [5, 12, 19, 26], 10: [3, 10, 17, 24, 31],
    11: [7, 14, 21, 28], 12: [5, 12, 19, 26]}.items() for d in days]
CHECKINS_2027 = [d for d in SUNDAYS_2027 if d not in TRUST_TALKS_2027]
# 19:00 is +01:00 from the first, +00:00 from the second
SUMMER_START, SUMMER_END = date(2027, 3, 28), date(2027, 10, 31)


def at(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=LISBON)


class TimedSink:
    """Events with the clock time they were emitted at."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.events: list[tuple[datetime, Event]] = []

    def emit(self, event: Event) -> None:
        self.events.append((self.clock.now(), event))

    def reminders(self, phase: str, kind: str | None = None) -> list[tuple[datetime, ReminderEvent]]:
        return [(t, e) for t, e in self.events
                if isinstance(e, ReminderEvent) and e.phase == phase and (kind is None or e.kind == kind)]


@dataclasses.dataclass
class Rig:
    ctx: Context
    clock: FakeClock
    store: Store
    listener: ScriptedListener
    speaker: RecordingSpeaker
    sink: TimedSink
    started: list[tuple[datetime, str]]

    def said(self, kind: str | None = None) -> list[datetime]:
        return [t for t, _ in self.sink.reminders("said", kind)]

    def days(self, kind: str) -> list[date]:
        return [t.date() for t in self.said(kind)]


def rig(store: Store, clock: FakeClock, profile: Profile, settings: Settings, *, complete: bool = True,
        **reminder_settings: Any) -> Rig:
    """A Context over fakes. ``complete``: an accepted exercise is run (30 min) and stored as completed."""
    settings = dataclasses.replace(settings, reminders=ReminderSettings(**reminder_settings))
    listener = ScriptedListener([], clock)
    speaker = RecordingSpeaker()
    sink = TimedSink(clock)
    started: list[tuple[datetime, str]] = []

    def run_exercise(ctx: Context, exercise: str) -> str:
        began = clock.now()
        started.append((began, exercise))
        if complete:
            clock.advance(30 * 60)
            store.insert("sessions", {"exercise": exercise, "started": isoformat(began),
                                      "ended": isoformat(clock.now()),
                                      "end_reason": "completed", "turns": []})
        return "completed" if complete else "unfinished"

    ctx = Context(listener=listener, speaker=speaker, clock=clock, store=store, profile=profile, events=sink,
                  settings=settings, run_exercise=run_exercise)
    return Rig(ctx, clock, store, listener, speaker, sink, started)


def drive(r: Rig, until: datetime, answer: str = "!confirm.yes") -> None:
    """What the dialogue loop does while nobody speaks: sleep until next_wakeup, then speak_due."""
    for _ in range(5000):
        nxt = rm.next_wakeup(r.ctx)
        if nxt is None or nxt > until:
            r.clock.set(until)
            return
        if nxt > r.clock.now():
            r.clock.set(nxt)
        r.listener.lines[:] = [answer] * 4
        before = r.clock.now()
        rm.speak_due(r.ctx)
        after = rm.next_wakeup(r.ctx)
        assert after is None or after > r.clock.now() or r.clock.now() > before, \
            "speak_due left a due reminder unsettled"
    raise AssertionError("too many wake-ups")


def _quick_write(path: Path, data: bytes) -> None:
    # atomic like the real writer, minus the fsyncs: a simulated year makes hundreds of writes
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


@pytest.fixture
def store(home: HomePaths) -> Iterator[Store]:
    s = Store(home.db_file, home.backups, writer=_quick_write)
    s.open()
    yield s
    s.close()


@pytest.fixture
def year_start(store: Store, profile: Profile) -> FakeClock:
    clock = FakeClock(at(2026, 12, 31, 12))
    rm.install_defaults(store, profile, clock.now())
    return clock


# --- a year of trust talks and check-ins ---------------------------------------------------------------


def expected_times(days: list[date]) -> list[tuple[date, int, int]]:
    """(day, local hour, UTC offset hours) for a 19:00 reminder on each day."""
    return [(d, 19, 1 if SUMMER_START <= d < SUMMER_END else 0) for d in days]


def observed(times: list[datetime]) -> list[tuple[date, int, int]]:
    return [(t.astimezone(LISBON).date(), t.astimezone(LISBON).hour, int(t.utcoffset().total_seconds() // 3600))
            for t in times]


def test_a_year_of_trust_talks_and_checkins(
        store: Store, profile: Profile, settings: Settings, year_start: FakeClock) -> None:
    r = rig(store, year_start, profile, settings)
    drive(r, at(2027, 12, 31, 23, 59))
    assert observed(r.said("trusttalk")) == expected_times(TRUST_TALKS_2027)
    assert len(r.said("trusttalk")) == 12
    assert observed(r.said("checkin")) == expected_times(CHECKINS_2027)
    assert len(r.said("checkin")) == 40
    assert [e for _, e in r.started] == ["trusttalk" if d in TRUST_TALKS_2027 else "checkin" for d in SUNDAYS_2027]
    assert r.said("gratitude") == []  # off until asked
    # the persisted ledger says the same, in the export's time shape
    ledger = store.get("reminders", "trusttalk")["spoken"]
    assert ledger[0] == "2027-01-03T19:00:00+00:00" and ledger[3] == "2027-04-04T19:00:00+01:00"
    assert "2027-08-01T19:00:00+01:00" in ledger and ledger[-1] == "2027-12-05T19:00:00+00:00"
    assert store.get("reminders", "checkin")["skipped"][0] == "2027-01-03T19:00:00+00:00"  # gave way to the trust talk


def test_restarts_mid_year_carry_on(
        store: Store, profile: Profile, settings: Settings, year_start: FakeClock, home: HomePaths) -> None:
    r = rig(store, year_start, profile, settings)
    drive(r, at(2027, 5, 2, 19, 0, ) + timedelta(seconds=1))  # stop right after the May trust talk was said
    store.close()
    said = r.said()
    for stop in (at(2027, 5, 2, 19, 5), at(2027, 8, 20, 10), at(2027, 12, 31, 23, 59)):
        # a new process: new store object, new clock, new context over the same file
        store2 = Store(home.db_file, home.backups, writer=_quick_write)
        store2.open()
        r2 = rig(store2, FakeClock(r.clock.now()), profile, settings)
        drive(r2, stop)
        said += r2.said()
        r.clock = r2.clock
        store2.close()
    days = [t.date() for t in said]
    assert [d for d in days if d in TRUST_TALKS_2027] == TRUST_TALKS_2027  # each exactly once
    assert sorted(days) == SUNDAYS_2027


def test_heads_up_two_days_before(store: Store, profile: Profile, settings: Settings, year_start: FakeClock) -> None:
    r = rig(store, year_start, profile, settings, heads_up_days=2)
    drive(r, at(2027, 3, 8))
    heads = [(t.date(), t.hour) for t, _ in r.sink.reminders("heads_up")]
    assert heads == [(date(2027, 1, 1), 19), (date(2027, 2, 5), 19), (date(2027, 3, 5), 19)]  # Fridays
    assert "trust talk is" in r.speaker.text()
    assert r.days("trusttalk") == [date(2027, 1, 3), date(2027, 2, 7), date(2027, 3, 7)]


# --- downtime, quiet hours, a wrong clock -----------------------------------------------------------------


def test_device_off_over_the_due_time_speaks_once_within_grace(store: Store, profile: Profile, settings: Settings,
                                                                year_start: FakeClock) -> None:
    r = rig(store, year_start, profile, settings)
    r.clock.set(at(2027, 1, 3, 21, 0))  # off from Thursday until two hours after the trust talk
    drive(r, at(2027, 1, 3, 21, 20))
    assert r.days("trusttalk") == [date(2027, 1, 3)]
    assert r.said("trusttalk")[0].hour == 21
    drive(r, at(2027, 1, 4, 12))
    assert len(r.said()) == 1


def test_device_off_past_the_grace_window_says_nothing(store: Store, profile: Profile, settings: Settings,
                                                       year_start: FakeClock) -> None:
    r = rig(store, year_start, profile, settings)
    r.clock.set(at(2027, 1, 4, 9, 30))  # 14.5 h after the trust talk was due (grace: 12 h)
    drive(r, at(2027, 1, 9, 12))
    assert r.said() == []
    drive(r, at(2027, 1, 10, 20))
    assert r.days("checkin") == [date(2027, 1, 10)]  # and life goes on


def test_device_off_over_many_daily_occurrences_speaks_once(store: Store, profile: Profile, settings: Settings,
                                                             year_start: FakeClock) -> None:
    r = rig(store, year_start, profile, settings)
    rm.set_schedule(store, "gratitude", sw.parse("every evening at eight"), r.clock.now())
    rm.turn_off(store, "checkin")
    r.clock.set(at(2027, 1, 14, 21, 0))  # off since New Year's Eve: thirteen gratitude evenings missed
    drive(r, at(2027, 1, 14, 23, 0))
    assert r.days("gratitude") == [date(2027, 1, 14)]


def test_late_wording_when_the_grace_window_crosses_midnight(store: Store, profile: Profile, settings: Settings,
                                                             year_start: FakeClock) -> None:
    r = rig(store, year_start, profile, settings, grace_hours=24.0)
    r.clock.set(at(2027, 1, 4, 6, 30))  # quiet hours until 08:00
    assert rm.next_wakeup(r.ctx) == at(2027, 1, 4, 8, 0)
    drive(r, at(2027, 1, 4, 9))
    assert [(t.date(), t.hour) for t in r.said("trusttalk")] == [(date(2027, 1, 4), 8)]
    assert "while I was off" in r.speaker.said[0] or "earlier" in r.speaker.said[0]


def test_quiet_hours(store: Store, profile: Profile, settings: Settings, year_start: FakeClock) -> None:
    r = rig(store, year_start, profile, settings)
    rm.turn_off(store, "checkin")
    rm.turn_off(store, "trusttalk")
    rm.set_schedule(store, "gratitude", sw.parse("every morning at seven"), r.clock.now())
    r.clock.set(at(2027, 1, 2, 6, 0))
    assert rm.next_wakeup(r.ctx) == at(2027, 1, 2, 8, 0)  # due at 07:00, inside the quiet hours
    drive(r, at(2027, 1, 3, 12))
    assert [(t.date(), t.hour, t.minute) for t in r.said()] == [(date(2027, 1, 2), 8, 0), (date(2027, 1, 3), 8, 0)]
    # due at 22:00: the quiet hours last into the next day, so it is never said
    rm.set_schedule(store, "gratitude", sw.parse("every night at 10 pm"), r.clock.now())
    drive(r, at(2027, 1, 6, 12))
    assert len(r.said()) == 2


def test_clock_that_went_back_holds_reminders(
        store: Store, profile: Profile, settings: Settings, year_start: FakeClock) -> None:
    r = rig(store, year_start, profile, settings)
    drive(r, at(2027, 1, 3, 20))
    assert rm.clock_problem(store, r.clock) is None
    r.clock.set(at(2026, 12, 6, 18, 0))  # power cut, no network: back to an old date
    problem = rm.clock_problem(store, r.clock)
    assert problem and "held" in problem and "\n" not in problem
    assert rm.next_wakeup(r.ctx) == at(2027, 1, 3, 19, 30)  # the last moment seen: plausible again from then
    r.listener.lines[:] = ["!confirm.yes"]
    rm.speak_due(r.ctx)
    r.clock.set(at(2026, 12, 6, 19, 0))  # a trust-talk time of the "past": not replayed
    rm.speak_due(r.ctx)
    assert len(r.said()) == 1
    assert [e.phase for _, e in r.sink.reminders("held")] == ["held"]
    r.clock.set(at(2027, 1, 10, 18, 0))  # the network is back
    assert rm.clock_problem(store, r.clock) is None
    drive(r, at(2027, 1, 10, 20))
    assert r.days("checkin") == [date(2027, 1, 10)]


# --- speaking only when idle, snoozing, asking -----------------------------------------------------------------


def test_deferred_while_an_exercise_runs(
        store: Store, profile: Profile, settings: Settings, year_start: FakeClock) -> None:
    r = rig(store, year_start, profile, settings)
    r.clock.set(at(2027, 1, 3, 19, 0))
    r.ctx.in_exercise = True  # a gratitude moment began at 18:50
    r.listener.lines[:] = ["!confirm.yes"]
    rm.speak_due(r.ctx)
    assert r.said() == [] and r.speaker.said == []
    r.clock.set(at(2027, 1, 3, 19, 25))
    r.ctx.in_exercise = False
    rm.speak_due(r.ctx)
    assert [(t.hour, t.minute) for t in r.said("trusttalk")] == [(19, 25)]
    assert r.started[0][1] == "trusttalk"


def test_skipped_when_the_exercise_was_already_done(
        store: Store, profile: Profile, settings: Settings, year_start: FakeClock) -> None:
    r = rig(store, year_start, profile, settings)
    # they did the trust talk on Sunday afternoon by themselves; and a check-in on Wednesday
    store.insert("sessions", {"exercise": "trusttalk", "started": "2027-01-03T15:00:00+00:00",
                              "end_reason": "completed"})
    store.insert("sessions", {"exercise": "checkin", "started": "2027-01-13T20:00:00+00:00", "end_reason": "completed"})
    store.insert("sessions", {"exercise": "checkin", "started": "2027-01-20T20:00:00+00:00", "end_reason": "stopped"})
    drive(r, at(2027, 1, 24, 22))
    assert r.said() == [at(2027, 1, 10, 19), at(2027, 1, 24, 19)]  # Jan 3 done, Jan 17 done that week
    assert [e.occurrence for _, e in r.sink.reminders("skipped", "trusttalk")] == ["2027-01-03T19:00:00+00:00"]


def test_snooze_then_let_go_and_ask_after_two_declined(store: Store, profile: Profile, settings: Settings,
                                                        year_start: FakeClock) -> None:
    r = rig(store, year_start, profile, settings)
    rm.turn_off(store, "checkin")
    drive(r, at(2027, 1, 4, 12), answer="!confirm.no")
    times = [(t.hour, t.minute) for t in r.said("trusttalk")]
    assert times == [(19, 0), (20, 0), (21, 0)]  # said, then re-offered at most twice (snooze 60 min)
    assert r.sink.reminders("due", "trusttalk")[0][0] == at(2027, 1, 3, 19)
    assert len(r.sink.reminders("due")) == 1 and len(r.sink.reminders("let_go")) == 1
    assert "in an hour" in r.speaker.said[1]
    assert not rm.should_ask_about(store, "trusttalk")
    # February: nobody answers (silence); re-offered twice, let go
    r.listener.lines.clear()
    drive(r, at(2027, 2, 8, 12), answer="")
    assert len(r.said("trusttalk")) == 6
    assert rm.should_ask_about(store, "trusttalk")
    # March: first asked whether to keep it; they say yes, then yes to the trust talk
    r.speaker.said.clear()
    drive(r, at(2027, 3, 8, 12), answer="!confirm.yes")
    assert "Shall I keep reminding you?" in r.speaker.said[0]
    assert r.started[-1] == (at(2027, 3, 7, 19), "trusttalk")
    assert not rm.should_ask_about(store, "trusttalk")


def test_asked_to_stop_after_two_declined(
        store: Store, profile: Profile, settings: Settings, year_start: FakeClock) -> None:
    r = rig(store, year_start, profile, settings, max_reoffers=0)
    rm.turn_off(store, "checkin")
    drive(r, at(2027, 2, 8), answer="!confirm.no")
    assert rm.should_ask_about(store, "trusttalk")
    r.clock.set(at(2027, 3, 7, 19))
    r.listener.lines[:] = ["!confirm.no", "!confirm.yes"]  # keep? no. stop? yes.
    rm.speak_due(r.ctx)
    assert store.get("reminders", "trusttalk")["enabled"] is False
    assert "no more trust talk reminders" in r.speaker.said[-1]


def test_one_spoken_reminder_a_day(store: Store, profile: Profile, settings: Settings, year_start: FakeClock) -> None:
    r = rig(store, year_start, profile, settings)
    rm.set_schedule(store, "gratitude", sw.parse("every evening at 8"), r.clock.now())
    drive(r, at(2027, 1, 11, 21))
    said = [(t.date(), k) for t, k in [(t, e.kind) for t, e in r.sink.reminders("said")]]
    by_day: dict[date, list[str]] = {}
    for d, k in said:
        by_day.setdefault(d, []).append(k)
    assert by_day[date(2027, 1, 3)] == ["trusttalk"] and by_day[date(2027, 1, 10)] == ["checkin"]
    assert by_day[date(2027, 1, 4)] == ["gratitude"] and by_day[date(2027, 1, 11)] == ["gratitude"]
    assert all(len(v) == 1 for v in by_day.values())


def test_wordings_vary(store: Store, profile: Profile, settings: Settings, year_start: FakeClock) -> None:
    r = rig(store, year_start, profile, settings)
    drive(r, at(2027, 6, 30))
    talks = [s for s in r.speaker.said if "trust" in s]
    assert len(talks) == 6 and len(set(talks)) >= 3
    assert all(a != b for a, b in zip(talks, talks[1:]))
    assert "It's the first Sunday of the month — time for your trust talk. Shall we start?" in \
        rm.wordings()["kinds"]["trusttalk"]["due"][0].format(occasion="the first Sunday of the month")


# --- by voice ---------------------------------------------------------------------------------------------


def say(intent: str, heard: str = "", **slots: str) -> Utterance:
    return Utterance(text=heard or f"!{intent}", intent=intent, slots=slots, score=1.0)


def test_reminder_list_in_natural_words(store: Store, clock: FakeClock, profile: Profile, settings: Settings) -> None:
    r = rig(store, clock, profile, settings)  # Wednesday, December 2nd 2026
    rm.HANDLERS["reminder.list"](r.ctx, say("reminder.list"))
    assert r.speaker.said == ["Your next trust talk is Sunday, December 6th at 7 pm. "
                              "Your next check-in is Sunday, December 13th at 7 pm."]
    assert rm.next_occurrence_text(r.ctx) == "Sunday, December 6th at 7 pm"


def test_editing_a_schedule_by_voice(store: Store, clock: FakeClock, profile: Profile, settings: Settings) -> None:
    r = rig(store, clock, profile, settings)
    r.listener.lines[:] = ["!confirm.yes"]
    rm.HANDLERS["reminder.set"](r.ctx, say("reminder.set", kind="trust talk",
                                           text="on the last friday of every month at eight pm"))
    assert "last Friday of every month at 8 pm" in r.speaker.said[0]
    assert r.speaker.said[-1] == "Done. Your next trust talk is Friday, December 25th at 8 pm."
    rec = store.get("reminders", "trusttalk")
    assert (rec["rule"], rec["time"], rec["enabled"]) == ("FREQ=MONTHLY;BYDAY=-1FR", "20:00", True)
    # the check-in no longer gives way on the first Sunday
    rm.HANDLERS["reminder.list"](r.ctx, say("reminder.list"))
    assert "check-in is Sunday, December 6th at 7 pm" in r.speaker.said[-1]
    # gratitude, asked for; then stopped
    r.listener.lines[:] = ["!confirm.yes"]
    rm.HANDLERS["reminder.set"](r.ctx, say("reminder.set", kind="gratitude", text="every evening at eight"))
    assert store.get("reminders", "gratitude")["enabled"] is True
    rm.HANDLERS["reminder.set"](r.ctx, say("reminder.set", heard="stop the gratitude reminders", kind="gratitude"))
    assert store.get("reminders", "gratitude")["enabled"] is False
    assert r.speaker.said[-1] == "Okay, no more gratitude moment reminders."


def test_unclear_schedule_words_change_nothing(
        store: Store, clock: FakeClock, profile: Profile, settings: Settings) -> None:
    r = rig(store, clock, profile, settings)
    rm.install_defaults(store, profile)
    before = store.all("reminders")
    rm.HANDLERS["reminder.set"](r.ctx, say("reminder.set", kind="check in", text="whenever the moon is blue"))
    assert "for example" in r.speaker.said[-1] and "every evening at eight" in r.speaker.said[-1]
    r.listener.lines[:] = ["!confirm.no"]
    rm.HANDLERS["reminder.set"](r.ctx, say("reminder.set", kind="check in", text="saturdays at 6 pm"))
    assert r.speaker.said[-1] == "Okay, nothing changed."
    assert store.all("reminders") == before


def test_a_new_schedule_does_not_fire_for_a_time_already_past(store: Store, clock: FakeClock, profile: Profile,
                                                              settings: Settings) -> None:
    clock.set(at(2026, 12, 2, 20, 5))
    r = rig(store, clock, profile, settings)
    r.listener.lines[:] = ["!confirm.yes"]
    rm.HANDLERS["reminder.set"](r.ctx, say("reminder.set", kind="gratitude", text="every evening at eight"))
    assert rm.next_wakeup(r.ctx) == at(2026, 12, 3, 20, 0)


def test_voice_edits_through_the_real_matcher(
        store: Store, clock: FakeClock, profile: Profile, settings: Settings) -> None:
    from assistant.runtime import wiring

    matcher = wiring.build_matcher(settings, profile)
    r = rig(store, clock, profile, settings)

    def parse(text: str, context: str, in_exercise: bool, can_resume: bool) -> Utterance:
        p = matcher.parse(text, context, in_exercise=in_exercise, can_resume=can_resume)
        return Utterance(text=text, intent=p.intent, slots=dict(p.slots), score=1.0, context=context)

    r.listener.parse = parse

    def hear(text: str) -> None:
        parsed = matcher.parse(text, "idle")
        assert parsed.intent in rm.HANDLERS, (text, parsed.intent)
        heard = Utterance(text=text, intent=parsed.intent, slots=dict(parsed.slots), score=1.0)
        rm.HANDLERS[parsed.intent](r.ctx, heard)

    r.listener.lines[:] = ["yes"]
    hear("remind us about the trust talk on the last friday of every month at eight pm")
    assert store.get("reminders", "trusttalk")["rule"] == "FREQ=MONTHLY;BYDAY=-1FR"
    r.listener.lines[:] = ["yes"]
    hear("change the check in reminder to saturdays at 6 pm")
    checkin = store.get("reminders", "checkin")
    assert (checkin["rule"], checkin["time"]) == ("FREQ=WEEKLY;BYDAY=SA", "18:00")
    hear("remind us about the trust talk every other sunday")
    assert "for example" in r.speaker.said[-1]
    assert store.get("reminders", "trusttalk")["rule"] == "FREQ=MONTHLY;BYDAY=-1FR"
    hear("when is our next trust talk")
    assert r.speaker.said[-1].startswith("Your next trust talk is Friday, December 25th at 8 pm.")


def test_custom_and_kind_in_the_words(store: Store, clock: FakeClock, profile: Profile, settings: Settings) -> None:
    r = rig(store, clock, profile, settings)
    r.listener.lines[:] = ["!confirm.yes", "!confirm.yes"]
    rm.HANDLERS["reminder.set"](r.ctx, say("reminder.set", kind="active listening", text="every saturday at 5 pm"))
    rec = store.get("reminders", "listening")
    assert (rec["exercise"], rec["rule"], rec["time"]) == ("listening", "FREQ=WEEKLY;BYDAY=SA", "17:00")
    rm.HANDLERS["reminder.set"](r.ctx, say("reminder.set", text="gratitude every evening at eight"))
    assert store.get("reminders", "gratitude")["enabled"] is True
    r.clock.set(at(2026, 12, 5, 17, 0))
    r.listener.lines[:] = ["!confirm.yes"]
    rm.speak_due(r.ctx)
    assert r.started == [(at(2026, 12, 5, 17, 0), "listening")]


def test_power_cut_mid_question_is_not_announced_again(store: Store, profile: Profile, settings: Settings,
                                                         year_start: FakeClock, home: HomePaths) -> None:
    from assistant.conversation import InputClosed

    r = rig(store, year_start, profile, settings)
    r.clock.set(at(2027, 1, 3, 19, 0))
    with pytest.raises(InputClosed):  # the process dies while waiting for the answer
        rm.speak_due(r.ctx)
    store.close()
    store2 = Store(home.db_file, home.backups, writer=_quick_write)
    store2.open()
    r2 = rig(store2, FakeClock(at(2027, 1, 3, 19, 5)), profile, settings)
    drive(r2, at(2027, 1, 3, 23, 0))
    assert r2.sink.reminders("due") == []  # announced once, before the cut
    assert [(t.hour, t.minute) for t in r2.said("trusttalk")] == [(20, 0)]  # the snoozed re-offer, as planned
    assert "now" in r2.speaker.said[0] and r2.started[0][1] == "trusttalk"
    store2.close()
