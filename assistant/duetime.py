"""Due words ("by friday", "tonight", "in two days") -> a due moment, and back to speech.

The phrases couples actually use for small promises are handled by hand first,
because general date parsers get them subtly wrong for this purpose ("this
weekend" has no single date; "saturday at 10" once parsed as October). Anything
else goes to dateparser, relative to the clock's "now" in the couple's time
zone. Words nobody can place are kept as said, with no due moment.

A due moment is the *end* of the window named: "by friday" is due Friday
23:59, "tomorrow morning" tomorrow at noon, "this weekend" Sunday 23:59. So a
promise only counts as past due once the whole window has gone by.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

import dateparser

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
END_OF_DAY = time(23, 59)
# The end of each part of the day, as a deadline.
PARTS = {"morning": time(12, 0), "noon": time(12, 0), "lunchtime": time(13, 0), "afternoon": time(17, 0),
         "evening": time(21, 0), "night": END_OF_DAY, "tonight": END_OF_DAY}
NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
           "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "couple of": 2, "few": 3}
# Leading words that only say "this is a deadline".
LEAD = re.compile(r"^(?:by|before|on|until|till|til|due|no later than|at the latest|sometime|some time)\s+")
HOLIDAYS = {"christmas": (12, 25), "christmas day": (12, 25), "christmas eve": (12, 24), "new year's eve": (12, 31),
            "new years eve": (12, 31), "new year": (1, 1), "new year's": (1, 1), "new year's day": (1, 1),
            "valentine's day": (2, 14), "valentines day": (2, 14), "valentine's": (2, 14)}
FILLER = re.compile(r"\b(?:the|of|at the latest)\b")


@dataclass(frozen=True)
class Due:
    """What became of the due words: the moment (or None) and the words as said."""

    when: datetime | None
    words: str | None


def parse_due(words: str | None, now: datetime, tz: tzinfo | None = None) -> Due:
    """Parse ``words`` relative to ``now`` in ``tz`` (default: now's zone)."""
    if not words or not words.strip():
        return Due(None, None)
    tz = tz or now.tzinfo
    assert tz is not None, "now must be aware"
    now = now.astimezone(tz)
    said = " ".join(words.split())
    text = said.lower().rstrip(".!?")
    while LEAD.match(text):
        text = LEAD.sub("", text, count=1)
    when = _by_hand(text, now) or _by_dateparser(text, now, tz)
    if when is not None and when.tzinfo is None:
        when = when.replace(tzinfo=tz)
    return Due(when, said)


def _at(day: date, at: time, tz: tzinfo) -> datetime:
    return datetime.combine(day, at, tzinfo=tz)


def _number(word: str) -> int | None:
    if word.isdigit():
        return int(word)
    return NUMBERS.get(word)


def _part(rest: str) -> time | None:
    """The end of "morning"/"evening"/"at 5 pm" words after a day, or None if there are none."""
    rest = rest.strip()
    if not rest:
        return None
    for name, at in PARTS.items():
        if rest in (name, f"in the {name}", f"at {name}"):
            return at
    m = re.fullmatch(r"(?:at\s+)?(\d{1,2})(?::(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.|o'?clock)?", rest)
    if m:
        hour, minute, suffix = int(m.group(1)), int(m.group(2) or 0), (m.group(3) or "").replace(".", "")
        if suffix == "pm" and hour < 12:
            hour += 12
        elif suffix == "am" and hour == 12:
            hour = 0
        elif not suffix and 1 <= hour <= 7:
            hour += 12  # "friday at 6": people mean the evening, not dawn
        if 0 <= hour < 24 and 0 <= minute < 60:
            return time(hour, minute)
    return time.max  # words we do not understand: let dateparser try


def _by_hand(text: str, now: datetime) -> datetime | None:
    tz = now.tzinfo
    assert tz is not None
    today = now.date()
    text = re.sub(r"\s+", " ", text)

    if text in HOLIDAYS:
        month, day = HOLIDAYS[text]
        target = date(today.year, month, day)
        if target < today:
            target = date(today.year + 1, month, day)
        return _at(target, END_OF_DAY, tz)
    if text in ("tonight", "this evening", "today", "end of today", "end of the day", "the end of the day", "end of day"):
        return _at(today, PARTS["evening"] if text == "this evening" else END_OF_DAY, tz)
    if text in ("this morning", "this afternoon"):
        return _at(today, PARTS[text.split()[1]], tz)

    m = re.fullmatch(r"(today|tomorrow|tomorrow night|the day after tomorrow|day after tomorrow)(?: (.*))?", text)
    if m:
        head = m.group(1)
        offset = 0 if head == "today" else 1 if head.startswith("tomorrow") else 2
        at = END_OF_DAY if head == "tomorrow night" else _part(m.group(2) or "") or END_OF_DAY
        if at is time.max:
            return None
        return _at(today + timedelta(days=offset), at, tz)

    m = re.fullmatch(r"(?:the )?(?:end of )?(?:the )?(this |next |coming )?(week|weekend|month|year)", text)
    if m:
        nxt = (m.group(1) or "").strip() == "next"
        unit = m.group(2)
        if unit in ("week", "weekend"):
            sunday = today + timedelta(days=6 - today.weekday())  # weeks end on Sunday
            return _at(sunday + timedelta(days=7 if nxt else 0), END_OF_DAY, tz)
        if unit == "month":
            year, month = (today.year + (today.month // 12), today.month % 12 + 1) if nxt else (today.year, today.month)
            return _at(date(year, month, calendar.monthrange(year, month)[1]), END_OF_DAY, tz)
        return _at(date(today.year + (1 if nxt else 0), 12, 31), END_OF_DAY, tz)

    m = re.fullmatch(r"(this |next |coming |this coming )?(monday|tuesday|wednesday|thursday|friday|saturday|sunday)s?(?: (.*))?", text)
    if m:
        which = (m.group(1) or "").strip()
        target = WEEKDAYS.index(m.group(2))
        ahead = (target - today.weekday()) % 7
        if which == "next":
            # "next friday" = the friday of next week (Mon-Sun), never this week's
            ahead = ahead + 7 if ahead <= 6 - today.weekday() else ahead
        at = _part(m.group(3) or "") or END_OF_DAY
        if at is time.max:
            return None
        return _at(today + timedelta(days=ahead), at, tz)

    m = re.fullmatch(r"in (?:a |an )?(\d+|[a-z]+(?: of)?|couple of|few)? ?(minute|hour|day|week|month)s?", text)
    if m:
        count = _number(m.group(1) or "a")
        if count is None:
            return None
        unit = m.group(2)
        if unit in ("minute", "hour"):
            return now + timedelta(**{unit + "s": count})
        if unit == "month":
            year, month = today.year + (today.month - 1 + count) // 12, (today.month - 1 + count) % 12 + 1
            day = min(today.day, calendar.monthrange(year, month)[1])
            return _at(date(year, month, day), END_OF_DAY, tz)
        return _at(today + timedelta(days=count * (7 if unit == "week" else 1)), END_OF_DAY, tz)
    return None


def _by_dateparser(text: str, now: datetime, tz: tzinfo) -> datetime | None:
    cleaned = FILLER.sub(" ", text).strip()
    if not cleaned:
        return None
    zone = getattr(tz, "key", None) or now.strftime("%z")
    try:
        found = dateparser.parse(
            cleaned,
            languages=["en"],
            settings={"PREFER_DATES_FROM": "future", "RELATIVE_BASE": now.replace(tzinfo=None),
                      "TIMEZONE": zone, "RETURN_AS_TIMEZONE_AWARE": False},
        )
    except Exception:  # noqa: BLE001 - a parser hiccup means "no date", never a crash mid-conversation
        return None
    if found is None:
        return None
    found = found.replace(tzinfo=tz)
    if found.time() == time(0, 0) and not re.search(r"\d\s*(?:am|pm)|:\d\d|midnight|o'?clock", cleaned):
        found = datetime.combine(found.date(), END_OF_DAY, tzinfo=tz)  # a date alone: due by its end
    if found < now - timedelta(hours=1):
        return None  # a deadline in the past is a misunderstanding, not a date
    return found


# --- speaking a due moment --------------------------------------------------------------


def ordinal(n: int) -> str:
    suffix = "th" if 11 <= n % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def clock_words(at: time) -> str:
    if at == time(12, 0):
        return "noon"
    hour = at.hour % 12 or 12
    minutes = f":{at.minute:02d}" if at.minute else ""
    return f"{hour}{minutes} {'am' if at.hour < 12 else 'pm'}"


def day_words(day: date, today: date) -> str:
    """ "today", "tomorrow", "Friday" (this week), else "Friday, December 11th"."""
    delta = (day - today).days
    if delta == 0:
        return "today"
    if delta == 1:
        return "tomorrow"
    if delta == -1:
        return "yesterday"
    name = WEEKDAYS[day.weekday()].capitalize()
    if 1 < delta <= 6:
        return name
    if -6 <= delta < -1:
        return f"last {name}"
    return f"{name}, {calendar.month_name[day.month]} {ordinal(day.day)}"


def _time_suffix(at: time, long: bool = False) -> str:
    for name in ("morning", "afternoon", "evening"):
        if at == PARTS[name] and not long:
            return f" {name}"
    if at == END_OF_DAY:
        return ""
    return f" at {clock_words(at)}"


def describe_due(when: datetime, now: datetime) -> str:
    """How a due moment is read back: "tonight", "by Friday", "by tomorrow morning"."""
    when = when.astimezone(now.tzinfo)
    day = day_words(when.date(), now.date())
    at = when.time().replace(second=0, microsecond=0)
    if day == "today":
        if at == END_OF_DAY:
            return "tonight" if now.hour >= 12 else "by the end of today"
        part = _time_suffix(at).strip()
        return f"this {part}" if part in ("morning", "afternoon", "evening") else f"by {clock_words(at)} today"
    return f"by {day}{_time_suffix(at, long=',' in day)}"


def describe_due_record(due_iso: str | None, due_words: str | None, now: datetime) -> str:
    """For a stored promise: the parsed moment if any, else the words as they were said."""
    if due_iso:
        return describe_due(datetime.fromisoformat(due_iso), now)
    return (due_words or "").strip()  # kept exactly as said: "by christmas", "sometime soon"
