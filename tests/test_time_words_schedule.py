"""Schedule words -> RRULE + time, and back to words."""

from __future__ import annotations

import pytest

from assistant.features.time_words import schedule as sw


@pytest.mark.parametrize(
    "words, rule, time",
    [
        ("on the last friday of every month at eight pm", "FREQ=MONTHLY;BYDAY=-1FR", "20:00"),
        ("the first sunday of the month", "FREQ=MONTHLY;BYDAY=1SU", None),
        ("first Sunday of each month at 7pm", "FREQ=MONTHLY;BYDAY=1SU", "19:00"),
        ("every second tuesday at 19:30", "FREQ=MONTHLY;BYDAY=2TU", "19:30"),
        ("every evening at eight", "FREQ=DAILY", "20:00"),
        ("every evening and eight", "FREQ=DAILY", "20:00"),  # "at" as a recogniser often hears it
        ("daily at 9 am", "FREQ=DAILY", "09:00"),
        ("every morning at seven thirty", "FREQ=DAILY", "07:30"),
        ("sundays at 7pm", "FREQ=WEEKLY;BYDAY=SU", "19:00"),
        ("every Sunday at 7 p.m.", "FREQ=WEEKLY;BYDAY=SU", "19:00"),
        ("mondays and thursdays at half past eight", "FREQ=WEEKLY;BYDAY=MO,TH", "20:30"),
        ("weekdays at noon", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "12:00"),
        ("on the 15th of every month at 8 pm", "FREQ=MONTHLY;BYMONTHDAY=15", "20:00"),
        ("the first of the month at 7", "FREQ=MONTHLY;BYMONTHDAY=1", "19:00"),
        ("on the last day of the month at 21:00", "FREQ=MONTHLY;BYMONTHDAY=-1", "21:00"),
        ("every night at a quarter to ten", "FREQ=DAILY", "21:45"),
    ],
)
def test_parses(words: str, rule: str, time: str | None) -> None:
    assert sw.parse(words) == sw.Schedule(rule, time)


@pytest.mark.parametrize(
    "words",
    ["purple banana", "", "every other sunday at 7 pm", "every week", "at eight pm", "monthly",
     "on the 31st of every month", "sundays at 25 pm", "every fortnight on friday"],
)
def test_refuses_with_an_example(words: str) -> None:
    with pytest.raises(sw.ScheduleError) as err:
        sw.parse(words)
    message = str(err.value)
    assert "\n" not in message
    assert "for example" in message and sw.EXAMPLES[0] in message


@pytest.mark.parametrize(
    "rule, time, words",
    [
        ("FREQ=MONTHLY;BYDAY=1SU", "19:00", "on the first Sunday of every month at 7 pm"),
        ("FREQ=MONTHLY;BYDAY=-1FR", "20:00", "on the last Friday of every month at 8 pm"),
        ("FREQ=WEEKLY;BYDAY=SU", "19:00", "every Sunday at 7 pm"),
        ("FREQ=WEEKLY;BYDAY=MO,TH", "07:30", "every Monday and Thursday at 7:30 am"),
        ("FREQ=DAILY", "12:00", "every day at noon"),
        ("FREQ=MONTHLY;BYMONTHDAY=22", "20:00", "on the 22nd of every month at 8 pm"),
    ],
)
def test_describes(rule: str, time: str, words: str) -> None:
    assert sw.describe(rule, time) == words


def test_round_trip_through_words() -> None:
    for rule, time in [("FREQ=MONTHLY;BYDAY=1SU", "19:00"), ("FREQ=WEEKLY;BYDAY=SA,SU", "10:15"),
                       ("FREQ=MONTHLY;BYDAY=-1FR", "20:00"), ("FREQ=DAILY", "21:00")]:
        assert sw.parse(sw.describe(rule, time)) == sw.Schedule(rule, time)


def test_occasion_names_the_day() -> None:
    assert sw.occasion("FREQ=MONTHLY;BYDAY=1SU") == "the first Sunday of the month"
    assert sw.occasion("FREQ=DAILY") is None
    assert [sw.ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 23)] == \
        ["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd"]
