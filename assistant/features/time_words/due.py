"""Due words ("by friday", "tonight", "in two days") -> a due moment, and back to speech.

The phrases couples actually use for small promises are handled by hand first,
because general date parsers get them subtly wrong for this purpose ("this
weekend" has no single date; "saturday at 10" once parsed as October). Anything
else goes to dateparser, relative to the clock's "now" in the couple's time
zone. Words nobody can place are kept as said, with no due moment.

A due moment is the *end* of the window named: "by friday" is due Friday
23:59, "tomorrow morning" tomorrow at noon, "this weekend" Sunday 23:59,
"before the weekend" Friday 23:59. So a promise only counts as past due once
the whole window has gone by.

Words say either a deadline ("by friday", "before the weekend", "in two
weeks", "end of the month") or an occasion ("on friday", "next tuesday
evening", "at the party", "this weekend"): "Sam promises not to be late on
Friday" is about Friday, not something to finish by Friday. Both have a due
moment; the read-back keeps the kind ("on Friday", "by Friday").
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

import dateparser

from .vocab import MONTHS, ORDINAL_WORDS, WEEKDAYS, ordinal

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
# words that make a deadline; anything else names an occasion
DEADLINE = re.compile(r"^(?:by|before|until|till|til|no later than|in time for|ahead of|within|due)\b"
                      r"|^in (?!the (?:morning|afternoon|evening)\b)|\bend of\b|\bat the latest\b")
WINDOWS = ("week", "weekend", "month", "year")


@dataclass(frozen=True)
class Due:
    """What became of the due words: the moment (or None) and the words as said."""

    when: datetime | None
    words: str | None


def is_deadline(words: str | None) -> bool:
    """Whether due words set a deadline ("by friday") rather than an occasion ("on friday", "at the party")."""
    return bool(words) and DEADLINE.search(" ".join(str(words).lower().split())) is not None


def parse_due(words: str | None, now: datetime, tz: tzinfo | None = None) -> Due:
    """Parse ``words`` relative to ``now`` in ``tz`` (default: now's zone)."""
    if not words or not words.strip():
        return Due(None, None)
    tz = tz or now.tzinfo
    assert tz is not None, "now must be aware"
    now = now.astimezone(tz)
    said = " ".join(words.split())
    text = said.lower().rstrip(".!?")
    when = _before_window(text, now)
    while LEAD.match(text):
        text = LEAD.sub("", text, count=1)
    when = when or _by_hand(text, now) or _by_dateparser(text, now, tz)
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


def _before_window(text: str, now: datetime) -> datetime | None:
    """ "before the weekend" (by Friday), "before next week" (by Sunday): the day before the window starts."""
    m = re.fullmatch(r"(?:before|by) (the |this |next |the next )?(weekend|week|month|year)", text)
    if m is None or (m.group(2) != "weekend" and (m.group(1) or "").strip() not in ("next", "the next")):
        return None  # "by the week" means nothing; "by this month" is the end of it (_by_hand)
    nxt = (m.group(1) or "").strip() in ("next", "the next")
    today = now.date()
    unit = m.group(2)
    if unit == "weekend":
        saturday = today + timedelta(days=(5 - today.weekday()) % 7 or 7)  # on a Saturday: next week's
        start = saturday + timedelta(days=7 if nxt else 0)
    elif unit == "week":
        start = today + timedelta(days=7 - today.weekday())
    elif unit == "month":
        start = date(today.year + today.month // 12, today.month % 12 + 1, 1)
    else:
        start = date(today.year + 1, 1, 1)
    assert now.tzinfo is not None
    return _at(start - timedelta(days=1), END_OF_DAY, now.tzinfo)


def _day_number(word: str) -> int | None:
    """ "14th", "14", "fourteenth", "twenty first" -> the day of the month."""
    m = re.fullmatch(r"(\d{1,2})(?:st|nd|rd|th)?", word)
    if m:
        return int(m.group(1))
    parts = word.split()
    if len(parts) == 1 and parts[0] in ORDINAL_WORDS:
        return ORDINAL_WORDS.index(parts[0]) + 1
    tens = {"twenty": 20, "thirty": 30}
    if len(parts) == 2 and parts[0] in tens and parts[1] in ORDINAL_WORDS[:9]:
        return tens[parts[0]] + ORDINAL_WORDS.index(parts[1]) + 1
    if word == "thirtieth":
        return 30
    return None


def _day_of_month(text: str, today: date) -> date | None:
    """ "the 14th" (this month's, or the next that has one), "14th of january", "january 14th" (this year's or next)."""
    ordinal = r"(\d{1,2}(?:st|nd|rd|th)?|(?:twenty |thirty )?[a-z]+)"
    month_names = "|".join(MONTHS)
    m = re.fullmatch(rf"(?:the )?{ordinal}(?: of (?:(this|next) month|({month_names})))?", text)
    n = re.fullmatch(rf"({month_names}) (?:the )?{ordinal}", text)
    if m is None and n is None:
        return None
    day = _day_number(m.group(1) if m else n.group(2))  # type: ignore[union-attr]
    month_name = m.group(3) if m else n.group(1)  # type: ignore[union-attr]
    if day is None or not 1 <= day <= 31:
        return None
    if month_name:
        month = MONTHS.index(month_name) + 1
        for year in (today.year, today.year + 1, today.year + 4):  # the 29th of February may be years off
            if day <= calendar.monthrange(year, month)[1] and date(year, month, day) >= today:
                return date(year, month, day)
        return None
    year, month = today.year, today.month
    if m and m.group(2) == "next":
        year, month = year + month // 12, month % 12 + 1
    for _ in range(3):  # "the 30th" late in January: the next month that has one
        if day <= calendar.monthrange(year, month)[1] and date(year, month, day) >= today:
            return date(year, month, day)
        year, month = year + month // 12, month % 12 + 1
    return None


def _by_hand(text: str, now: datetime) -> datetime | None:
    tz = now.tzinfo
    assert tz is not None
    today = now.date()
    text = re.sub(r"\s+", " ", text)

    dated = _day_of_month(text, today)
    if dated is not None:
        return _at(dated, END_OF_DAY, tz)

    if text in HOLIDAYS:
        month, day = HOLIDAYS[text]
        holiday = date(today.year, month, day)
        if holiday < today:
            holiday = date(today.year + 1, month, day)
        return _at(holiday, END_OF_DAY, tz)
    if text in ("tonight", "this evening", "today", "end of today", "end of the day", "the end of the day",
                "end of day"):
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

    m = re.fullmatch(rf"(this |next |coming |this coming )?({'|'.join(WEEKDAYS)})s?(?: (.*))?", text)
    if m:
        which = (m.group(1) or "").strip()
        ahead = (WEEKDAYS.index(m.group(2)) - today.weekday()) % 7
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
        found: datetime | None = dateparser.parse(
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


def describe_occasion(when: datetime, now: datetime, words: str | None = None) -> str:
    """How an occasion is read back: "tonight", "on Friday", "on Tuesday evening", "this weekend"."""
    when = when.astimezone(now.tzinfo)
    said = _unlead(words)
    window = _window_words(said, when.date(), now.date())
    if window:
        return window
    day = day_words(when.date(), now.date())
    at = when.time().replace(second=0, microsecond=0)
    if day == "today":
        if at == END_OF_DAY:
            return "tonight" if "tonight" in said or "night" in said else "today"
        part = _time_suffix(at).strip()
        return f"this {part}" if part in ("morning", "afternoon", "evening") else f"today at {clock_words(at)}"
    if day == "tomorrow":
        return f"tomorrow{_time_suffix(at)}"
    if "," in day:  # "on Monday, December 14th" (and "in the evening" / "at 6 pm" after the date)
        part = _time_suffix(at).strip()
        return f"on {day}" + (f", in the {part}" if part in PARTS else f", {part}" if part else "")
    return f"on {day}{_time_suffix(at)}"


def _unlead(words: str | None) -> str:
    text = " ".join((words or "").lower().split()).rstrip(".!?")
    while LEAD.match(text):
        text = LEAD.sub("", text, count=1)
    return text


def _window_words(said: str, day: date, today: date) -> str:
    """ "this weekend", "next week", "this month" for an occasion that is a stretch of days, not one day."""
    m = re.fullmatch(r"(?:the |this |next |this coming |coming |over the |at the )?(week|weekend|month|year)", said)
    if m is None:
        return ""
    unit = m.group(1)
    if unit in ("week", "weekend"):
        weeks = ((day - timedelta(days=day.weekday())) - (today - timedelta(days=today.weekday()))).days // 7
        if weeks in (0, 1):
            return f"{'this' if weeks == 0 else 'next'} {unit}"
        monday = day - timedelta(days=day.weekday())
        first = monday + timedelta(days=5) if unit == "weekend" else monday
        return f"the {unit} of {calendar.month_name[first.month]} {ordinal(first.day)}"
    if unit == "month":
        months = (day.year - today.year) * 12 + day.month - today.month
        return {0: "this month", 1: "next month"}.get(months, f"in {calendar.month_name[day.month]}")
    return {0: "this year", 1: "next year"}.get(day.year - today.year, f"in {day.year}")


def _holiday(words: str | None) -> str:
    """ "by christmas" -> "by Christmas": a holiday is read back by its name, not its date."""
    text = " ".join((words or "").lower().split()).rstrip(".!?")
    m = re.fullmatch(r"(by|before|on|at|for|until|till|in time for|ahead of|over) (.+)", text)
    if m is None or m.group(2) not in HOLIDAYS:
        return ""
    lead = "by" if m.group(1) in ("until", "till") else m.group(1)
    return f"{lead} {m.group(2).title().replace(chr(39) + 'S', chr(39) + 's')}"


def describe_due_record(due_iso: str | None, due_words: str | None, now: datetime) -> str:
    """For a stored promise: the parsed moment if any (a deadline "by Friday", an occasion "on Friday"),
    else the words as they were said ("at the party", "sometime soon")."""
    if due_iso:
        when = datetime.fromisoformat(due_iso)
        if when.astimezone(now.tzinfo) >= now:
            holiday = _holiday(due_words)
            if holiday:
                return holiday
        if due_words is not None and not is_deadline(due_words):
            return describe_occasion(when, now, due_words)
        return describe_due(when, now)
    return (due_words or "").strip()  # kept exactly as said: "by christmas", "sometime soon"
