"""A fresh install never reminds about the past (issue 14, section 1).

Catch-up (an occurrence said up to ``grace_hours`` late) reaches back only to
the moment Tandem first ran (``profile.first_run``). On a fake clock at the
instants that used to go wrong: the first Sunday of the month after the 19:00
trust talk, just before it, a week later, the days clocks change, a year's
end. Expected dates are from a paper calendar (Europe/Lisbon, like London:
summer time from Sunday 28 March 2027 to Sunday 31 October 2027).
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime

from assistant.clock import FakeClock, isoformat
from assistant.config import Settings
from assistant.features import reminders as rm
from assistant.profile import Profile, load_profile, note_first_run
from assistant.store import Store

from .test_reminders import Rig, at, drive, rig


def fresh(store: Store, profile: Profile, settings: Settings, installed: datetime, first_run: datetime,
          **reminder_settings: object) -> Rig:
    """``tandem init`` at ``installed``, then ``tandem run`` first starting at ``first_run``."""
    rm.install_defaults(store, profile, installed)
    stamped = note_first_run(store, first_run)
    assert stamped is not None and stamped.first_run == isoformat(first_run)
    return rig(store, FakeClock(first_run), stamped, settings, **reminder_settings)


def when(r: Rig) -> list[tuple[str, date, int, int]]:
    return [(e.kind, t.date(), t.hour, t.minute) for t, e in r.sink.reminders("said")]


def test_init_at_8_50_pm_on_the_first_sunday_says_nothing_that_evening(store, profile, settings) -> None:
    r = fresh(store, profile, settings, at(2026, 12, 6, 20, 50), at(2026, 12, 6, 20, 51))
    assert rm.next_wakeup(r.ctx) == at(2026, 12, 13, 19, 0)  # the first reminder they hear is a future one
    drive(r, at(2026, 12, 13, 23, 0))
    assert when(r) == [("checkin", date(2026, 12, 13), 19, 0)]
    drive(r, at(2027, 1, 3, 23, 0))
    assert [k for k, *_ in when(r)] == ["checkin", "checkin", "checkin", "trusttalk"]


def test_first_run_just_before_seven_hears_the_trust_talk_on_time(store, profile, settings) -> None:
    r = fresh(store, profile, settings, at(2026, 12, 6, 18, 40), at(2026, 12, 6, 18, 59))
    drive(r, at(2026, 12, 6, 21, 0))
    assert when(r) == [("trusttalk", date(2026, 12, 6), 19, 0)]


def test_first_run_a_week_later_after_the_checkin(store, profile, settings) -> None:
    r = fresh(store, profile, settings, at(2026, 12, 6, 20, 50), at(2026, 12, 13, 20, 50))
    drive(r, at(2026, 12, 14, 12, 0))
    assert when(r) == []
    drive(r, at(2026, 12, 20, 20, 0))
    assert when(r) == [("checkin", date(2026, 12, 20), 19, 0)]


def test_after_the_first_run_a_missed_evening_is_still_caught_up(store, profile, settings) -> None:
    """Off over 19:00 a week after the first run: said late, within the grace window, as before."""
    r = fresh(store, profile, settings, at(2026, 12, 6, 20, 50), at(2026, 12, 6, 20, 51))
    r.clock.set(at(2026, 12, 13, 20, 30))  # off from Monday until after the check-in was due
    drive(r, at(2026, 12, 13, 22, 0))
    assert when(r) == [("checkin", date(2026, 12, 13), 20, 30)]


def test_across_the_spring_forward_day(store, profile, settings) -> None:
    # Sunday 28 March 2027: 01:00 -> 02:00. Set up at 01:30 UTC (02:30 local), first run that evening after 19:00.
    r = fresh(store, profile, settings, at(2027, 3, 28, 2, 30), at(2027, 3, 28, 19, 30))
    drive(r, at(2027, 4, 4, 23, 0))
    said = r.said()
    assert when(r) == [("trusttalk", date(2027, 4, 4), 19, 0)]
    assert said[0].utcoffset().total_seconds() == 3600  # 19:00 summer time


def test_across_the_fall_back_day(store, profile, settings) -> None:
    # Sunday 31 October 2027: 02:00 -> 01:00; first run at 19:01, a minute after the check-in.
    r = fresh(store, profile, settings, at(2027, 10, 31, 1, 30), at(2027, 10, 31, 19, 1))
    drive(r, at(2027, 11, 7, 23, 0))
    assert when(r) == [("trusttalk", date(2027, 11, 7), 19, 0)]
    assert r.said()[0].utcoffset().total_seconds() == 0


def test_across_the_year_end(store, profile, settings) -> None:
    # Sunday 2 January 2028 is the first Sunday: set up on New Year's Eve, first run that Sunday at 19:30.
    r = fresh(store, profile, settings, at(2027, 12, 31, 23, 59), at(2028, 1, 2, 19, 30))
    drive(r, at(2028, 1, 9, 23, 0))
    assert when(r) == [("checkin", date(2028, 1, 9), 19, 0)]


def test_a_year_end_run_catches_up_the_new_years_trust_talk(store, profile, settings) -> None:
    # First run on New Year's Eve; off from Sunday 2 January 2028 18:00 to 20:15: the trust talk is caught up.
    r = fresh(store, profile, settings, at(2027, 12, 31, 23, 0), at(2027, 12, 31, 23, 59, ))
    drive(r, at(2028, 1, 2, 18, 0))
    r.clock.set(at(2028, 1, 2, 20, 15))
    drive(r, at(2028, 1, 2, 23, 0))
    assert when(r) == [("trusttalk", date(2028, 1, 2), 20, 15)]


def test_a_daily_reminder_on_new_years_eve(store, profile, settings) -> None:
    """A reminder on from before the first run (an older home's record) is still not caught up from before it."""
    rm.install_defaults(store, profile, at(2026, 12, 1, 12, 0))
    store.modify("reminders", "gratitude", lambda rec: rec.update(enabled=True))  # applies from the start (since: None)
    rm.turn_off(store, "checkin")
    stamped = note_first_run(store, at(2026, 12, 31, 23, 59))
    assert stamped is not None
    r = rig(store, FakeClock(at(2026, 12, 31, 23, 59)), stamped, settings)
    drive(r, at(2027, 1, 1, 21, 0))
    assert when(r) == [("gratitude", date(2027, 1, 1), 20, 0)]


def test_no_belated_heads_up_before_the_first_run(store, profile, settings) -> None:
    # Friday 1 January 2027 19:00 is two days before the trust talk; first run at 19:30 that Friday.
    r = fresh(store, profile, settings, at(2027, 1, 1, 19, 20), at(2027, 1, 1, 19, 30), heads_up_days=2)
    drive(r, at(2027, 1, 3, 21, 0))
    assert r.sink.reminders("heads_up") == []
    assert when(r) == [("trusttalk", date(2027, 1, 3), 19, 0)]
    drive(r, at(2027, 2, 7, 21, 0))
    assert [t.date() for t, _ in r.sink.reminders("heads_up")] == [date(2027, 2, 5)]


def test_the_first_run_is_stamped_once_and_kept_by_a_new_profile(store, profile) -> None:
    from assistant.profile import create_profile

    assert profile.first_run == "" and store.get("profile", "profile")["first_run"] is None
    note_first_run(store, at(2026, 12, 6, 20, 51))
    note_first_run(store, at(2026, 12, 13, 9, 0))  # later runs keep the first
    assert load_profile(store).first_run == "2026-12-06T20:51:00+00:00"
    again = create_profile(store, ["Kim", "Lee"], None, "Europe/Lisbon", force=True, now=at(2027, 1, 1))
    assert again.first_run == "2026-12-06T20:51:00+00:00"  # Tandem has run on this home: nothing to protect


def test_plan_without_a_first_run_keeps_the_old_rule(store, profile, settings) -> None:
    """A Context whose profile never recorded a first run (older homes before their next start) catches up as before."""
    rm.install_defaults(store, profile, at(2026, 12, 1))
    r = rig(store, FakeClock(at(2026, 12, 6, 20, 50)), dataclasses.replace(profile, first_run=""), settings)
    drive(r, at(2026, 12, 6, 21, 0))
    assert when(r) == [("trusttalk", date(2026, 12, 6), 20, 50)]
