"""The simulated couple for the soak test (tests/test_soak.py).

One real ``python -m assistant run`` process lives for the whole simulated
period with an accelerated clock (``--clock-start/--clock-speed/--until``),
and the couple talks to it through ``--events jsonl``:

* what they start themselves (the gratitude reminder request, promises,
  promises kept, the Sunday gratitude moment) is written when the
  assistant's clock reaches the planned time -- estimated from the events'
  ``clock`` field plus real time elapsed times the speed, because an idle
  assistant says nothing;
* what Tandem asks for is answered as a person would: "yes" to a reminder's
  offer, one appreciation (or feeling, or reflection) and "that's it" when a
  prompt names them in an exercise;
* when Tandem did not catch something ("Sorry, I didn't catch that", or no
  expected intent within a bound), they say it again -- at most
  ``MAX_TRIES`` times, so an occasional miss passes while a systematic one
  leaves a record missing and fails the checks.

Lines are written only when the assistant is asleep with nothing of ours
unread (text mode queues lines in order: a line written too early would be
taken by whatever listens next). ``mode="text"`` writes typed lines
(``--text``); ``mode="voice"`` synthesises each line with flite and plays it
into the virtual microphone, the wake phrase first when Tandem is asleep.

Resident memory (VmRSS from /proc/<pid>/status) is sampled throughout with
the estimated clock, so growth can be measured from day 2 to the last day.
"""

from __future__ import annotations

import json
import os
import queue
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Callable
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parent.parent
PARTNERS = ("Alex", "Sam")
TZ = ZoneInfo("Europe/Lisbon")
MAX_TRIES = 3  # a person repeats a missed sentence, but not forever
NOT_CAUGHT = ("didn't catch that", "did not catch that")
REPLY_BOUND_S = 20.0  # real seconds to wait for an expected intent before saying it again

DEEDS = [
    "made me tea before I even asked", "listened to my long story about work", "fixed the wobbly chair",
    "called my mother for her birthday", "left me a note in my coat", "took the dog out in the rain",
    "planned our walk by the river", "cooked the soup I love", "laughed at my terrible joke",
    "waited for me at the station", "cleaned the kitchen after the party", "sent me a funny picture at lunch",
    "carried the heavy shopping home", "remembered my friend's name", "read to me when I was tired",
    "brought flowers from the market", "warmed up the car in the morning", "helped me practise my talk",
]
TASKS = [  # what is promised and the word that identifies it when kept; then the same task put another way
    (("call the plumber", "plumber"), ("ring the plumber about the sink", "sink")),
    (("water the plants", "plants"), ("water the garden", "garden")),
    (("book the dentist", "dentist"), ("make the dentist appointment", "appointment")),
    (("wash the car", "car"), ("clean the car", "car")),
    (("fix the bike", "bike"), ("repair the bicycle", "bicycle")),
    (("sort the photos", "photos"), ("sort out the holiday pictures", "pictures")),
    (("clean the windows", "windows"), ("wash the windows", "windows")),
    (("take out the bins", "bins"), ("take the rubbish out", "rubbish")),
    (("buy new towels", "towels"), ("buy towels for the bathroom", "bathroom")),
    (("paint the fence", "fence"), ("paint the garden fence", "fence")),
    (("repair the lamp", "lamp"), ("fix the reading lamp", "lamp")),
]
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


def first_sunday(d: date) -> bool:
    return d.weekday() == 6 and d.day <= 7


@dataclass
class Item:
    """One thing the couple starts themselves on a day."""

    at: datetime
    line: str
    expect: str  # the intent that shows Tandem understood
    only_if: Callable[[], bool] | None = None  # checked when due (e.g. "gratitude not done yet today")
    label: str = ""
    answer: str | None = None  # Tandem confirms this one ("Shall I ...?"): said as soon as the intent shows
    check: str | None = None  # by voice: the read-back must match this regex, or they say "no" and try again
    promise: int | None = None  # which promise (its number) a promise or promise-kept line is about
    tries: int = 0
    written_at: float | None = None  # real time of the last attempt
    done: bool = False
    skipped: bool = False


@dataclass
class Figures:
    days: int = 0
    events: int = 0
    repeats: int = 0
    fallbacks: int = 0
    rss_kb: list[tuple[datetime, int]] = field(default_factory=list)
    real_s: float = 0.0


class Assistant:
    """``python -m assistant run`` as a child, its events read by a thread into a queue."""

    def __init__(self, home: Path, args: list[str], env: dict[str, str], stderr_path: Path) -> None:
        self.env = dict(env, TANDEM_HOME=str(home), PYTHONUNBUFFERED="1")
        self._stderr = open(stderr_path, "wb")  # a file, not a pipe: a full pipe would stall the child
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "assistant", "run", *args],
            cwd=REPO, env=self.env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr,
            text=True, bufsize=1,
        )
        self.events: queue.Queue[tuple[float, dict[str, Any]] | None] = queue.Queue()
        self.bad_lines: list[str] = []
        threading.Thread(target=self._read, daemon=True, name="soak-events").start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            try:
                self.events.put((time.monotonic(), json.loads(raw)))
            except ValueError:
                self.bad_lines.append(raw)  # stdout must carry JSON only: checked by the test
        self.events.put(None)

    def write(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def rss_kb(self) -> int | None:
        try:
            for row in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                if row.startswith("VmRSS:"):
                    return int(row.split()[1])
        except (OSError, ValueError):
            return None
        return None

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        try:
            self.proc.wait(timeout=10)
        finally:
            self._stderr.close()


class TextMouth:
    """The couple types: one line per utterance (``tandem run --text``)."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant

    def say(self, line: str, *, asleep: bool) -> None:
        self.assistant.write(line)


class VoiceMouth:
    """The couple speaks: flite voices played into the virtual microphone, in real time.

    One speaker at a time, in order (a queue and one playing thread), so the
    couple keeps reading events while a sentence is being said. ``busy()``
    is True while anything is queued or playing; ``finished_at`` is when the
    last line ended (real time), so "no answer since I spoke" can be timed.
    """

    VOICES = {"Alex": "awb", "Sam": "slt"}

    def __init__(self, wake_phrase: str = "hey tandem", env: dict[str, str] | None = None) -> None:
        self.wake = wake_phrase
        self.env = env
        self.folder = Path(tempfile.mkdtemp(prefix="soak-voice-"))
        self._n = 0
        self._lines: queue.Queue[tuple[float, Path, str, str]] = queue.Queue()
        self._pending = 0
        self._lock = threading.Lock()
        self.finished_at = time.monotonic()
        self.lines_said = 0
        # (real time it began, who, words): for a failing run's post-mortem
        self.said: list[tuple[float, str, str]] = []
        threading.Thread(target=self._play, daemon=True, name="soak-voice").start()

    def _play(self) -> None:
        from tests.vhome import play_into_mic

        while True:
            pause, path, who, line = self._lines.get()
            try:
                if pause:
                    time.sleep(pause)  # a person's pause (the harness's own time, not the assistant's)
                self.said.append((time.monotonic(), who, line))
                play_into_mic(path, env=self.env, timeout=60)
            finally:
                with self._lock:
                    self._pending -= 1
                    self.finished_at = time.monotonic()

    def busy(self) -> bool:
        with self._lock:
            return self._pending > 0

    def say(self, line: str, *, asleep: bool, who: str = "Alex", pause_s: float = 0.0) -> None:
        from tests.vhome import synth_wav

        self._n += 1
        path = self.folder / f"u{self._n}.wav"
        words = f"{self.wake}. {line}" if asleep else line
        synth_wav(words, path, voice=self.VOICES.get(who, "awb"))
        with self._lock:
            self._pending += 1
            self.lines_said += 1
        self._lines.put((pause_s, path, who, words))


class Couple:
    """Alex and Sam over ``days`` days, reacting to the assistant's events."""

    def __init__(self, assistant: Assistant, mouth: Any, start: datetime, until: datetime, speed: float) -> None:
        self.a = assistant
        self.mouth = mouth
        self.start = start
        self.until = until
        self.speed = speed
        self.figures = Figures(days=(until.date() - start.date()).days)
        self.log: list[dict[str, Any]] = []  # every event, in order
        self.items: list[Item] = []
        self.gratitude_said: list[tuple[str, str, str]] = []  # (from, about, text) as said by the couple
        self.promises_made: list[tuple[str, str]] = []  # (partner, text)
        self.promise_keys: list[str] = []  # the word each promise is known by (that of the wording saved)
        self.answers: Counter[str] = Counter()
        self._last: tuple[float, datetime] | None = None  # (real time received, clock) of the latest event
        self._state = "asleep"
        self._exercise: str | None = None
        self._outstanding = 0  # lines written whose "heard" has not come back yet
        self._last_heard = ""
        self._phase: dict[tuple[str, str], str] = {}  # the latest reminder phase per (kind, occurrence)
        self._gratitude_days: set[date] = set()
        self._plan()

    # --- the month, planned by hand ----------------------------------------------------

    def _plan(self) -> None:
        promise_no = 0
        for n in range(self.figures.days):
            day = self.start.date() + timedelta(days=n)

            def at(hh: int, mm: int, day: date = day) -> datetime:
                return datetime(day.year, day.month, day.day, hh, mm, tzinfo=TZ)

            if n == 0:
                self.items.append(Item(at(18, 0), "remind us to do gratitude every evening at eight", "reminder.set",
                                       label="gratitude reminder", answer="yes", check=r"\b(8|eight)\b"))
            if n % 3 == 0:
                who = PARTNERS[promise_no % 2]
                (task, key), _ = TASKS[promise_no % len(TASKS)]
                due = WEEKDAYS[(day.weekday() + 2) % 7]
                self.items.append(Item(at(18, 30), f"{who} promises to {task} by {due}", "promise.log", label="promise",
                                       check=rf"\b{key}\b", promise=promise_no))
                self.promises_made.append((who, task))
                self.promise_keys.append(key)
                promise_no += 1
            if n % 3 == 1 and promise_no:
                who = PARTNERS[(promise_no - 1) % 2]
                key = self.promise_keys[promise_no - 1]  # re-read when said: the promise may have been put another way
                self.items.append(Item(at(18, 40), f"{who} kept the promise about the {key}", "promise.kept",
                                       label="promise kept", check=rf"\b{key}\b", promise=promise_no - 1))
            if day.weekday() == 6:
                # At most one reminder a day: on Sundays the check-in or trust talk has it, so they start gratitude.
                self.items.append(Item(at(20, 30), "start our gratitude moment", "gratitude.start",
                                       label="sunday gratitude",
                                       only_if=lambda day=day: day not in self._gratitude_days))
            else:
                # The 20:00 reminder should have started it; if not, they start it themselves (counted).
                self.items.append(Item(at(20, 50), "start our gratitude moment", "gratitude.start",
                                       label="fallback gratitude",
                                       only_if=lambda day=day: day not in self._gratitude_days))

    # --- time ----------------------------------------------------------------------------

    def clock(self) -> datetime | None:
        """The assistant's clock now, estimated from the latest event and the speed."""
        if self._last is None:
            return None
        real, clock = self._last
        return clock + timedelta(seconds=(time.monotonic() - real) * self.speed)

    # --- the run -------------------------------------------------------------------------

    def run(self, real_bound_s: float) -> Figures:
        t0 = time.monotonic()
        next_sample = t0
        while True:
            if time.monotonic() - t0 > real_bound_s:
                raise AssertionError(f"the soak did not end within {real_bound_s:.0f} s real (clock {self.clock()})")
            try:
                got = self.a.events.get(timeout=0.02)
            except queue.Empty:
                got = ()
            if got is None:
                break  # stdout closed: the run ended (at --until, or it died: the test checks the exit code)
            if got:
                self._on_event(*got)
            now = time.monotonic()
            if now >= next_sample:
                rss, clock = self.a.rss_kb(), self.clock()
                if rss and clock:
                    self.figures.rss_kb.append((clock, rss))
                next_sample = now + 0.25
            self._tick()
        self.figures.real_s = time.monotonic() - t0
        self.figures.events = len(self.log)
        return self.figures

    def _say(self, line: str, who: str = "Alex") -> None:
        self._outstanding += 1
        self.mouth.say(line, asleep=self._state == "asleep")

    def _tick(self) -> None:
        """Start the next planned thing when its time has come and Tandem is free."""
        clock = self.clock()
        if self._outstanding and self._last and time.monotonic() - self._last[0] > REPLY_BOUND_S:
            self._outstanding = 0  # a line that never came back as "heard": say the next one anyway
        if clock is None or self._exercise or self._outstanding or self._state != "asleep":
            return
        for item in self.items:
            if item.done or item.skipped:
                continue
            if clock < item.at:
                return  # in order: nothing later starts before this one
            if item.written_at is None:
                if item.only_if is not None and not item.only_if():
                    item.skipped = True
                    continue
                self._attempt(item)
            elif time.monotonic() - item.written_at > REPLY_BOUND_S:
                self._attempt(item)  # no sign of it being understood: say it again
            return

    def _attempt(self, item: Item) -> None:
        if item.tries >= MAX_TRIES:
            item.skipped = True  # they give up; the record checks at the end will say what is missing
            return
        if item.tries:
            self.figures.repeats += 1
        if item.label == "fallback gratitude":
            self.figures.fallbacks += 1
        if item.expect == "promise.kept" and item.promise is not None and not item.tries:
            key = self.promise_keys[item.promise]  # the word of the wording that was saved
            item.line = re.sub(r"\w+$", key, item.line)
            item.check = rf"\b{key}\b"
        item.tries += 1
        item.written_at = time.monotonic()
        self._say(item.line)

    def _current(self) -> Item | None:
        return next((i for i in self.items if i.written_at is not None and not i.done and not i.skipped), None)

    # --- reacting to what Tandem does ----------------------------------------------------------

    def _on_event(self, received: float, ev: dict[str, Any]) -> None:
        self.log.append(ev)
        self._last = (received, datetime.fromisoformat(ev["clock"]))
        kind = ev["type"]
        if kind == "state":
            self._state = ev["state"]
        elif kind == "heard":
            self._outstanding = max(0, self._outstanding - 1)
            self._last_heard = ev["text"]
        elif kind == "intent":
            self._on_intent(ev)
        elif kind == "exercise":
            if ev["phase"] == "started":
                self._exercise = ev["exercise"]
                if ev["exercise"] == "gratitude":
                    self._gratitude_days.add(self._last[1].date())
            else:
                self._exercise = None
        elif kind == "reminder":
            self._on_reminder(ev)
        elif kind == "said":
            self._on_said(ev["text"])

    def _on_intent(self, ev: dict[str, Any]) -> None:
        item = self._current()
        # Typed lines come back word for word: the intent counts only for the line that was typed.
        if item is not None and ev["intent"] == item.expect and self._last_heard == item.line:
            item.done = True
            if item.answer:
                # Written now, it waits for the confirmation question's listening window (10 s of
                # clock = 5 ms at 2000x: answering the question's "said" event would race it).
                self._say(item.answer)

    def _on_reminder(self, ev: dict[str, Any]) -> None:
        key = (ev["kind"], ev.get("occurrence", ""))
        previous, self._phase[key] = self._phase.get(key), ev["phase"]
        # Answer once per offer: on "due" for the first (it comes before the question is asked, so the
        # answer is already waiting when Tandem listens); a re-offer after a snooze has only "said".
        if ev["phase"] == "due" or (ev["phase"] == "said" and previous != "due"):
            self.answers["yes to " + ev["kind"]] += 1
            self._say("yes")

    def _answer_follow_up(self, question: str) -> str:
        """To "Sam, did you get to water the plants?": yes when Sam's promise was kept by now in the plan (their
        own "kept the promise" line may not have been understood), so they need not say it again."""
        who = question.split(",", 1)[0].strip()
        clock = self.clock()
        for item in self.items:
            if (item.expect == "promise.kept" and item.promise is not None and not item.done and clock is not None
                    and item.at <= clock and self.promises_made[item.promise][0] == who):
                item.done = True
                return "yes"
        return "not yet"

    def _put_another_way(self, item: Item) -> None:
        no = item.promise
        assert no is not None
        who, task = self.promises_made[no]
        wordings = TASKS[no % len(TASKS)]
        (other, key) = wordings[1] if task == wordings[0][0] else wordings[0]
        item.line = item.line.replace(f" to {task} by ", f" to {other} by ")
        item.check = rf"\b{key}\b"
        self.promises_made[no] = (who, other)
        self.promise_keys[no] = key

    def _on_said(self, text: str) -> None:
        lower = text.lower()
        if any(n in lower for n in NOT_CAUGHT):
            if "yes or no" in lower:
                self._say("yes")
                return
            item = self._current()
            if item is not None and self._last_heard == item.line and not self._outstanding:
                self._attempt(item)  # say it again, as a person would
            return
        if not self._exercise or self._outstanding:
            return
        speaker = next((p for p in PARTNERS if text.startswith(p + ",")), None)
        if speaker is None:
            return  # an introduction, a cue, a yes/no question (its default is fine), a close
        self._say(self._share(speaker, lower), who=speaker)
        self._say("that's it", who=speaker)

    def _share(self, speaker: str, prompt: str) -> str:
        """What ``speaker`` says when the prompt names them (a gratitude is remembered for the checks)."""
        other = PARTNERS[1 - PARTNERS.index(speaker)]
        if "heard" in prompt or "reflect" in prompt:
            return f"it sounds like you are feeling hopeful about the weeks ahead, {other}"
        if self._exercise == "gratitude":
            day = self._last[1].date() if self._last else self.start.date()
            n = (day - self.start.date()).days
            deed = DEEDS[(2 * n + (0 if speaker == PARTNERS[0] else 1)) % len(DEEDS)]
            words = f"I appreciate how {other} {deed} on day {n + 1}"
            self.gratitude_said.append((speaker, other, words))
            return words
        return f"this week I felt close to {other} and a little tired from work"

    # --- after the run --------------------------------------------------------------------------

    def stops(self) -> list[datetime]:
        """The times the couple will speak of their own accord (``--clock-stop``)."""
        return sorted({item.at for item in self.items})

    def expected_reminders(self) -> dict[str, list[date]]:
        """The calendar, written out by rule here (not with the assistant's rrule code)."""
        out: dict[str, list[date]] = {"gratitude": [], "trusttalk": [], "checkin": []}
        for n in range(self.figures.days):
            day = self.start.date() + timedelta(days=n)
            if day.weekday() == 6:
                out["trusttalk" if first_sunday(day) else "checkin"].append(day)
            else:
                out["gratitude"].append(day)
        return out

    def rss_by_day(self) -> dict[int, list[int]]:
        days: dict[int, list[int]] = {}
        for clock, kb in self.figures.rss_kb:
            days.setdefault((clock.date() - self.start.date()).days, []).append(kb)
        return days


AFTER_TANDEM_S = 0.8  # a person waits for Tandem's sentence to end (the echo gate's tail is 0.5 s)
TURN_GAP_S = 2.5  # between a partner's words and "that's it": longer than a turn's 1.5 s end-of-speech silence
RETRY_S = 3.0  # asleep and no sign of being heard this long after speaking: say it again, wake phrase first
MISHEARD = (*NOT_CAUGHT, "didn't understand", "couldn't find")  # a read-back that says it was not understood
SAVES = ("promise.log",)  # what a wrong read-back must be taken back from before saying it again


class VoiceCouple(Couple):
    """The same couple and month by voice: real-time speech into the virtual microphone.

    They speak only when Tandem has finished its sentence, answer a question
    once it has been asked, end each turn with "that's it", and repeat
    themselves when Tandem did not respond or did not catch it (at most
    ``MAX_TRIES`` times a line), as people do. They listen to the read-back:
    a promise saved with the wrong words is taken back ("forget that") and
    said again; a reminder time read back wrong gets a "no", then again; asked
    "Do you mean Sam's promise to water the plants?" they say yes when it is.
    """

    def __init__(self, assistant: Assistant | None, mouth: VoiceMouth, start: datetime, until: datetime) -> None:
        super().__init__(assistant, mouth, start, until, speed=1.0)  # type: ignore[arg-type]
        self.voice_mouth = mouth
        self._offer_open = False  # a reminder's question is on its way: the answer is yes
        self._awaiting: Item | None = None  # understood; its read-back (or question) comes next
        self._speaker: str | None = None  # whose turn it is
        self._last_event = time.monotonic()
        self.corrections = 0
        self._follow_up = False  # Tandem is asking whether a past-due promise was kept

    def _say(self, line: str, who: str = "Alex", pause_s: float = AFTER_TANDEM_S) -> None:
        self.voice_mouth.say(line, asleep=self._state == "asleep", who=who, pause_s=pause_s)

    def _on_event(self, received: float, ev: dict[str, Any]) -> None:
        self._last_event = received
        super()._on_event(received, ev)
        if ev["type"] == "state" and ev.get("reason") == "reply to promise follow-up":
            self._follow_up = True
        if ev["type"] == "exercise" and ev["phase"] in ("started", "ended"):
            self._offer_open = False
            self._awaiting = None  # an exercise is its own read-back
            self._speaker = None

    def _tick(self) -> None:
        if self.voice_mouth.busy() or self._exercise or self._state != "asleep":
            return
        quiet = time.monotonic() - max(self.voice_mouth.finished_at, self._last_event)
        item = self._current()
        if item is not None:
            if quiet >= RETRY_S:
                self._attempt(item)  # nothing came of it: say it again, wake phrase first
            return
        clock = self.clock()
        for item in self.items:
            if item.done or item.skipped:
                continue
            if clock is None or clock < item.at:
                return
            if item.only_if is not None and not item.only_if():
                item.skipped = True
                continue
            self._attempt(item)
            return

    def _on_intent(self, ev: dict[str, Any]) -> None:
        item = self._current()
        if item is not None and ev["intent"] == item.expect and ev.get("context") == "idle":
            item.done = True  # the recogniser's words may differ from the line: the intent decides...
            self._awaiting = item  # ... and the read-back tells whether it was heard right

    def _on_reminder(self, ev: dict[str, Any]) -> None:
        if ev["phase"] == "said":  # the offer's question is being asked now
            self._offer_open = True

    def _redo(self, item: Item, undo: bool) -> None:
        """Heard wrong: take it back first if it was saved ("forget that"), then say it again -- a promise
        in other words, as people do when the same words were misheard ("take the rubbish out")."""
        item.done = False
        item.written_at = None  # the next attempt counts as a repeat
        if item.expect == "promise.log" and item.promise is not None:
            self._put_another_way(item)
        elif item.expect == "promise.kept" and item.promise is not None:
            who, task = self.promises_made[item.promise]
            item.line = f"{who} kept the promise to {task}"  # the whole task, not just its word
        if undo:
            self.corrections += 1
            self.items.insert(self.items.index(item), Item(item.at, "forget that", "forget.last", label="correction",
                                                           answer="yes"))

    def _on_said(self, text: str) -> None:
        lower = text.lower()
        question = text.rstrip().endswith("?")
        if self._follow_up and question and not self._exercise:
            self._follow_up = False
            self._say(self._answer_follow_up(text))
            return
        if self._awaiting is not None and not self._exercise:
            item, self._awaiting = self._awaiting, None
            wrong = any(n in lower for n in MISHEARD) or (item.check is not None and not re.search(item.check, lower))
            if question and (item.answer or item.expect == "promise.kept"):
                # "Shall I remind you ... every day at 8 pm?" / "Forget ...?" / "Do you mean Sam's promise to ...?"
                self._say("no" if wrong else item.answer or "yes")
                if wrong:
                    self._redo(item, undo=False)
            elif question and " or " in lower:  # "Who's making this promise, Alex or Sam?"
                self._awaiting = item
                self._say(item.line.split()[0])
            elif wrong:
                self._redo(item, undo=item.expect in SAVES)
            return
        if any(n in lower for n in NOT_CAUGHT):
            if "yes or no" in lower:
                self._say("yes")
            elif "still" not in lower and not self._exercise and self._current() is not None:
                self._attempt(self._current())  # Tandem is listening again: no wake phrase this time
            return
        if self._exercise:
            speaker = next((p for p in PARTNERS if text.startswith(p + ",")), None)
            if speaker is not None:
                self._speaker = speaker
                self._say(self._share(speaker, lower), who=speaker)
                self._say("that's it", who=speaker, pause_s=TURN_GAP_S)
            elif self._speaker is not None and any(n in lower for n in ("say pass", "you're done", "i'm done")):
                # a silence prompt: their "that's it" was missed (after their words Tandem asks "anything to add?
                # if not, say you're done"), so once more
                self._say("that's it", who=self._speaker)
            return
        if question and self._offer_open:
            self._offer_open = False
            self.answers["yes to a reminder"] += 1
            self._say("yes")


def word_overlap(said: list[str], heard: list[str]) -> float:
    """The share of the spoken words (of several sentences) found among the words heard back.

    Punctuation around a word is not part of it (Whisper writes "tea, before"; PocketSphinx writes none), and
    a digit is the word spoken (the couple's line says "day 1"; one recogniser writes "1", another "one").
    """
    spoken = Counter(w for line in said for w in _plain_words(line))
    kept = Counter(w for line in heard for w in _plain_words(line))
    total = sum(spoken.values())
    return sum(min(n, kept[w]) for w, n in spoken.items()) / total if total else 1.0


_NUMBERS = dict(zip("0123456789", ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")))


def _plain_words(line: str) -> list[str]:
    """Lower-case words without the punctuation around them; a digit is the word said ("day 1" is "day one")."""
    plain = (t.strip(".,;:!?\"()…").replace("’", "'") for t in line.lower().split())
    return [_NUMBERS.get(w, w) for w in plain if w]


def median(values: list[int]) -> float:
    s = sorted(values)
    return float(s[len(s) // 2]) if s else 0.0


def tandem(home: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, TANDEM_HOME=str(home))
    return subprocess.run([sys.executable, "-m", "assistant", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL)
