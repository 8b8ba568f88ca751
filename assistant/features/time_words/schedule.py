"""Schedule words <-> an RRULE and a time of day, and that schedule's occurrences.

"on the last friday of every month at eight pm" -> ``Schedule("FREQ=MONTHLY;BYDAY=-1FR", "20:00")``
and back again ("on the last Friday of every month at 8 pm") for confirmations
and listings. dateutil has no natural-language recurrence parser and the
couple only ever needs four shapes (daily, weekly on days, monthly on the
nth weekday, monthly on a day number), so a small word parser is enough;
anything else is refused with an example rather than guessed.

Rules never carry DTSTART or BYHOUR: the time lives beside the rule so that
occurrences are computed in the couple's wall time (19:00 stays 19:00
across daylight-saving changes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo

from dateutil.rrule import rrule, rrulestr

from ...errors import TandemError
from .vocab import ORDINAL_WORDS, WEEKDAY_CODES, WEEKDAYS, ordinal

EXAMPLES = (
    "the first sunday of every month at 7 pm",
    "every evening at eight",
    "sundays at 7 pm",
    "on the 15th of every month at 8 pm",
)


_CARDINALS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "thirty": 30, "forty five": 45,
    "forty-five": 45,
}
_ORDINAL_UNITS = {w: n for n, w in enumerate(ORDINAL_WORDS[:9], start=1)}
_ORDINAL_WORDS = {
    **{w: n for n, w in enumerate(ORDINAL_WORDS, start=1)}, "thirtieth": 30,
    **{f"twenty {w}": 20 + n for w, n in _ORDINAL_UNITS.items()}, "thirty first": 31,
}
# the nth-weekday positions a month always (or, for the last, trivially) has
_POSITIONS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4, "last": -1}
_POSITION_WORDS = {1: "first", 2: "second", 3: "third", 4: "fourth", -1: "last"}


class ScheduleError(TandemError):
    """Words that are not a schedule Tandem understands; the message carries an example that works."""


@dataclass(frozen=True)
class Schedule:
    rule: str  # RRULE text without DTSTART, e.g. "FREQ=MONTHLY;BYDAY=1SU"
    time: str | None  # "19:00"; None when the words named no time (the caller keeps the old one)


def not_understood(words: str) -> str:
    return (f'I didn\'t understand "{words.strip()}" as a schedule; try for example '
            f'"{EXAMPLES[0]}" or "{EXAMPLES[1]}"')


def parse(words: str) -> Schedule:
    """Schedule words -> Schedule; ScheduleError (with an example) when they are not understood."""
    text = _normalise(words)
    if not text or re.search(r"\b(other|fortnight|fortnightly|biweekly|every \d+ (?:day|week|month)s?)\b", text):
        # "every other sunday" must not silently become "every sunday"
        raise ScheduleError(not_understood(words))
    time, rest = _take_time(text)
    rule = _take_rule(rest)
    if rule is None:
        raise ScheduleError(not_understood(words))
    return Schedule(rule=rule, time=time)


# --- time of day -------------------------------------------------------------


def _normalise(words: str) -> str:
    text = words.lower().replace("-", " ").replace("’", "'")
    text = re.sub(r"\bp\.m\.?", "pm", text)
    text = re.sub(r"\ba\.m\.?", "am", text)
    text = re.sub(r"[^a-z0-9:' ]+", " ", text)
    text = re.sub(r"\bo'? ?clock\b", "", text)
    for word in sorted(_CARDINALS, key=len, reverse=True):
        text = re.sub(rf"\b{word}\b", str(_CARDINALS[word]), text)
    return " ".join(text.split())


def _take_time(text: str) -> tuple[str | None, str]:
    """Find the time of day; returns ("HH:MM" or None, the words without it)."""
    hint = ("am" if re.search(r"\bmornings?\b", text)
            else "pm" if re.search(r"\b(evenings?|nights?|afternoons?|tonight)\b", text) else None)
    patterns: list[tuple[str, object]] = [
        (r"\b(?:at )?(noon|midday|midnight)\b", lambda m: (0 if m[1] == "midnight" else 12, 0, "24h")),
        (r"\b(?:at )?half past (\d{1,2})( am| pm)?\b", lambda m: (int(m[1]), 30, (m[2] or "").strip())),
        (r"\b(?:at )?(?:a )?quarter past (\d{1,2})( am| pm)?\b", lambda m: (int(m[1]), 15, (m[2] or "").strip())),
        (r"\b(?:at )?(?:a )?quarter to (\d{1,2})( am| pm)?\b", lambda m: (int(m[1]) - 1, 45, (m[2] or "").strip())),
        (r"\b(\d{1,2}):(\d{2})( ?am| ?pm)?\b",
         lambda m: (int(m[1]), int(m[2]),
                    (m[3] or "").strip() or ("24h" if int(m[1]) > 12 or m[1].startswith("0") else ""))),
        (r"\b(?:at )?(\d{1,2})(?: (\d{2}))? ?(am|pm)\b", lambda m: (int(m[1]), int(m[2] or 0), m[3])),
        # "at eight", and the way a recogniser often hears it: "and eight", "that eight"
        (r"\b(?:at|and|that) (\d{1,2})(?: (\d{2}))?\b(?!st|nd|rd|th)", lambda m: (int(m[1]), int(m[2] or 0), "")),
    ]
    for pattern, read in patterns:
        m = re.search(pattern, text)
        if not m:
            continue
        hour, minute, marker = read(m)  # type: ignore[operator]
        hour = _to_24h(hour, marker or hint)
        if hour is None or not 0 <= minute < 60:
            return None, "\x00"  # a time that is not a time: refuse the whole phrase
        rest = " ".join((text[: m.start()] + " " + text[m.end():]).split())
        return f"{hour:02d}:{minute:02d}", rest
    return None, text


def _to_24h(hour: int, marker: str | None) -> int | None:
    if marker == "24h":
        return hour if 0 <= hour < 24 else None
    if not 0 <= hour <= 23:
        return None
    if hour > 12:
        return hour if marker != "am" else None
    if marker == "am":
        return 0 if hour == 12 else hour
    # pm, or no marker at all: the couple's exercises happen in the evening, so "at eight" is 20:00
    if hour == 0:
        return 0
    return hour if hour == 12 else hour + 12


# --- the recurrence ------------------------------------------------------------


def _take_rule(text: str) -> str | None:
    if text == "\x00":
        return None
    day_re = rf"({'|'.join(WEEKDAYS)})s?"
    pos_re = "|".join(_POSITIONS)
    m = re.search(rf"\b(?:every |each |the )?({pos_re}) {day_re}\b", text)
    if m:
        return f"FREQ=MONTHLY;BYDAY={_POSITIONS[m[1]]}{WEEKDAY_CODES[WEEKDAYS.index(m[2])]}"
    if re.search(r"\bmonth(ly)?\b", text):
        day = _month_day(text)
        return None if day is None else f"FREQ=MONTHLY;BYMONTHDAY={day}"
    days = [WEEKDAY_CODES[WEEKDAYS.index(d)] for d in re.findall(rf"\b{day_re}\b", text)]
    if re.search(r"\bweekdays\b", text):
        days += ["MO", "TU", "WE", "TH", "FR"]
    if re.search(r"\bweekends?\b", text):
        days += ["SA", "SU"]
    if days:
        ordered = [c for c in WEEKDAY_CODES if c in days]
        return f"FREQ=WEEKLY;BYDAY={','.join(ordered)}"
    if re.search(r"\b(every|each) (day|evening|night|morning|afternoon)\b"
                 r"|\b(daily|nightly|evenings|mornings|nights)\b", text):
        return "FREQ=DAILY"
    return None


def _month_day(text: str) -> int | None:
    if re.search(r"\blast day\b", text):
        return -1
    m = re.search(r"\b(\d{1,2})(?:st|nd|rd|th)\b", text)
    if m and 1 <= int(m[1]) <= 28:  # later days are missing in some months: refuse rather than skip months
        return int(m[1])
    for words in sorted(_ORDINAL_WORDS, key=len, reverse=True):
        if re.search(rf"\b(?:the )?{words}(?: day)? of\b", text) and _ORDINAL_WORDS[words] <= 28:
            return _ORDINAL_WORDS[words]
    return None


# --- and back to words -----------------------------------------------------------


def parts(rule: str) -> dict[str, str]:
    return dict(p.split("=", 1) for p in rule.upper().split(";") if "=" in p)


def say_time(hhmm: str) -> str:
    """"19:00" -> "7 pm", "07:30" -> "7:30 am", "12:00" -> "noon"."""
    hour, minute = (int(x) for x in hhmm.split(":"))
    if (hour, minute) == (12, 0):
        return "noon"
    if (hour, minute) == (0, 0):
        return "midnight"
    suffix = "am" if hour < 12 else "pm"
    h12 = hour % 12 or 12
    return f"{h12} {suffix}" if minute == 0 else f"{h12}:{minute:02d} {suffix}"


def _day_name(code: str) -> str:
    return WEEKDAYS[WEEKDAY_CODES.index(code)].capitalize()


def _position_day(byday: str) -> tuple[int, str]:
    m = re.fullmatch(r"([+-]?\d)?([A-Z]{2})", byday)
    if not m:
        raise ValueError(f"unexpected BYDAY {byday!r}")
    return int(m[1] or 0), m[2]


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def describe(rule: str, time: str | None = None) -> str:
    """An RRULE (+ time) in words: "on the first Sunday of every month at 7 pm"."""
    p = parts(rule)
    freq = p.get("FREQ", "")
    at = f" at {say_time(time)}" if time else ""
    if freq == "DAILY":
        return f"every day{at}"
    if freq == "WEEKLY" and p.get("BYDAY"):
        codes = p["BYDAY"].split(",")
        if codes == ["MO", "TU", "WE", "TH", "FR"]:
            return f"every weekday{at}"
        return f"every {_and([_day_name(c) for c in codes])}{at}"
    if freq == "MONTHLY" and p.get("BYDAY"):
        pos, code = _position_day(p["BYDAY"])
        return f"on the {_POSITION_WORDS.get(pos, ordinal(pos))} {_day_name(code)} of every month{at}"
    if freq == "MONTHLY" and p.get("BYMONTHDAY"):
        day = int(p["BYMONTHDAY"])
        return f"on the {'last day' if day == -1 else ordinal(day)} of every month{at}"
    return f"by the rule {rule}{at}"


def occasion(rule: str) -> str | None:
    """What makes the day special, for wordings like "It's {occasion} — time for ...".

    None for daily rules (there is nothing to name) and for weekly rules, whose
    occasion is simply the weekday (the caller fills that in).
    """
    p = parts(rule)
    if p.get("FREQ") == "MONTHLY" and p.get("BYDAY"):
        pos, code = _position_day(p["BYDAY"])
        return f"the {_POSITION_WORDS.get(pos, ordinal(pos))} {_day_name(code)} of the month"
    if p.get("FREQ") == "MONTHLY" and p.get("BYMONTHDAY"):
        day = int(p["BYMONTHDAY"])
        return "the last day of the month" if day == -1 else f"the {ordinal(day)} of the month"
    return None


def spoken_when(when: datetime, tz: tzinfo) -> str:
    """An occurrence in words: "Sunday, December 6th at 7 pm"."""
    local = when.astimezone(tz)
    return f"{local:%A}, {local:%B} {ordinal(local.day)} at {say_time(f'{local:%H:%M}')}"


# --- occurrences: dateutil does the calendar, in wall time; we only convert ---------------------


def naive(when: datetime, tz: tzinfo) -> datetime:
    return when.astimezone(tz).replace(tzinfo=None)


def aware(wall: datetime, tz: tzinfo) -> datetime:
    # the UTC round trip moves a wall time that falls in a spring-forward gap to a real instant
    return wall.replace(tzinfo=tz).astimezone(UTC).astimezone(tz)


def _rrule(rule: str, at: str, tz: tzinfo, near: datetime, since: datetime | None) -> rrule:
    hh, mm = (int(x) for x in at.split(":"))
    anchor = near
    if "INTERVAL" in rule.upper() and since is not None:
        anchor = naive(since, tz)  # "every other" needs a fixed start; any other rule may start anywhere
    return rrulestr(rule, dtstart=datetime.combine(anchor.date(), time(hh, mm)))  # type: ignore[return-value]


def occurrences(rule: str, at: str, tz: tzinfo, start: datetime, end: datetime,
                since: datetime | None = None) -> list[datetime]:
    """Occurrences from ``start`` to ``end`` inclusive, as aware datetimes in ``tz``."""
    s, e = naive(start, tz), naive(end, tz)
    return [aware(d, tz) for d in _rrule(rule, at, tz, s - timedelta(days=1), since).between(s, e, inc=True)]


def next_occurrence(rule: str, at: str, tz: tzinfo, after: datetime, since: datetime | None = None) -> datetime | None:
    """The first occurrence strictly after ``after``."""
    a = naive(after, tz)
    found = _rrule(rule, at, tz, a - timedelta(days=1), since).after(a, inc=False)
    return aware(found, tz) if found else None


def last_occurrence(rule: str, at: str, tz: tzinfo, when: datetime, lookback: timedelta,
                    since: datetime | None = None) -> datetime | None:
    """The latest occurrence at or before ``when``, if it is at most ``lookback`` old."""
    a = naive(when, tz)
    found = _rrule(rule, at, tz, a - lookback - timedelta(days=1), since).before(a, inc=True)
    return aware(found, tz) if found and a - found <= lookback else None
