"""Issue 14, part 2: a question never swallows what the couple says.

Every kind of question Tandem asks (a reminder's offer, "carry on now?", "did you
mean ...?", "Alex or Sam?", a goal's first steps) answered with an idle command
runs that command; a loose yes never starts anything; "pass" leaves a step empty.
The listener is the scripted fake over the real matcher (text-mode reading).
"""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from assistant.config import PathSettings, ReminderSettings
from assistant.conversation import CONFIRM, IDLE, NAME, Utterance, ask_yes_no, settle
from assistant.dialogue import Dialogue, Hooks, load_handlers
from assistant.events import ListSink, ReminderEvent
from assistant.exercises import start_exercise
from assistant.features import promises, reminders
from assistant.handlers import Context
from assistant.nlu import Matcher, load_intents
from assistant.nlu.matcher import Parse

from .fakes import RecordingSpeaker, ScriptedListener, intent_by_name
from .feature_ctx import FirstWording
from .test_exercises_engine import KINDS  # noqa: F401  (the "evening" script's text)
from .test_exercises_support import make_ctx as exercise_ctx
from .test_exercises_support import phases, rng, write_script
from .test_run_cli import events, integrated, tandem

LISBON = ZoneInfo("Europe/Lisbon")
TRUST_TALK = datetime(2027, 1, 3, 19, 0, tzinfo=LISBON)  # the first Sunday of January 2027, 19:00
REASK = "Sorry, I'm not sure I caught that. Was that yes or no?"
LATER = "Okay, I'll remind you later."


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(load_intents(PathSettings().intents_dir), ("Alex", "Sam"))


def reading(matcher: Matcher, loose: dict[str, Parse] | None = None):
    """The real matcher; "!intent" lines by name; ``loose`` maps a line to a recogniser's loose guess."""

    def parse(text: str, context: str, in_exercise: bool, can_resume: bool) -> Any:
        if text.startswith("!"):
            return intent_by_name(text, context, in_exercise, can_resume)
        if loose and text in loose and context == CONFIRM:
            return loose[text]
        return matcher.parse(text, context, in_exercise=in_exercise, can_resume=can_resume)

    return parse


@dataclasses.dataclass
class Home:
    ctx: Context
    speaker: RecordingSpeaker
    sink: ListSink
    started: list[str]

    def said(self) -> list[str]:
        return self.speaker.said

    def run(self) -> None:
        handlers = load_handlers()
        hooks = Hooks(start_exercise=self._start, follow_up=promises.follow_up, speak_due=reminders.speak_due,
                      next_wakeup=reminders.next_wakeup)
        Dialogue(self.ctx, handlers, hooks).run()

    def _start(self, ctx: Context, exercise: str) -> str:
        self.started.append(exercise)
        return "completed"

    def reminder_phases(self) -> list[str]:
        return [e.phase for e in self.sink.of(ReminderEvent)]


def home(store, clock, profile, settings, matcher, lines, *, loose=None) -> Home:
    listener = ScriptedListener(list(lines), clock, parse=reading(matcher, loose))
    speaker, sink = RecordingSpeaker(), ListSink()
    ctx = Context(listener=listener, speaker=speaker, clock=clock, store=store, profile=profile, events=sink,
                  settings=dataclasses.replace(settings, reminders=ReminderSettings()))
    ctx.rng = FirstWording()
    return Home(ctx, speaker, sink, [])


def at_the_trust_talk(h: Home, clock) -> None:
    """Tandem was running before 19:00; the trust talk is due half a minute ago."""
    clock.set(TRUST_TALK - timedelta(minutes=5))
    reminders.next_wakeup(h.ctx)
    reminders.speak_due(h.ctx)
    clock.set(TRUST_TALK + timedelta(seconds=30))


# --- the rule itself ----------------------------------------------------------------------------------


def u(intent: str | None, score: float, context: str = CONFIRM) -> Utterance:
    return Utterance(text="x", intent=intent, score=score, context=context)


def test_settle_a_sure_command_beats_no_answer_or_a_guess():
    assert settle(u(None, 0.9), u("promise.list", 1.0, IDLE)).command
    assert settle(u("confirm.yes", 0.65), u("experience.suggest", 0.8, IDLE)).intent == "experience.suggest"
    assert settle(u(None, 0.9), u("experience.suggest", 0.7, IDLE)).intent is None  # a guess at a command is no command
    # a sure answer that is also a command ("not now" = no / cancel, "we did it" = yes / tried something) is the answer
    assert settle(u("confirm.no", 1.0), u("cancel", 1.0, IDLE)).intent == "confirm.no"
    assert not settle(u("confirm.yes", 1.0), u("experience.log", 1.0, IDLE)).command
    kept = settle(u(None, 0.9, NAME), u("promise.log", 1.0, IDLE))
    assert kept.context == NAME and kept.command and kept.intent == "promise.log"


def test_a_loose_yes_is_asked_once_more_in_other_words_then_nothing(clock, matcher):
    loose = {"i did it maybe": Parse("confirm.yes", {}, 0.62)}
    listener = ScriptedListener(["i did it maybe", "i did it maybe"], clock, parse=reading(matcher, loose))
    speaker = RecordingSpeaker()
    answer = ask_yes_no(listener, speaker, "Shall we start?", reask="Yes or no?")
    assert answer.intent is None and not answer.silent
    assert speaker.said == ["Shall we start?", "Yes or no?"]


# --- a reminder's offer -------------------------------------------------------------------------------


@pytest.mark.parametrize("command, intent_heard", [
    ("start our gratitude moment", "gratitude"),
    ("hey tandem, what promises are still open", None),
    ("Sam promises to call the plumber", None),
])
def test_a_reminder_offer_answered_with_a_command_runs_it_and_snoozes(store, clock, profile, settings, matcher,
                                                                       command, intent_heard):
    h = home(store, clock, profile, settings, matcher, [command])
    at_the_trust_talk(h, clock)
    h.run()
    assert "Yes or no?" not in " ".join(h.said()) and REASK not in h.said()
    assert LATER in h.said()
    assert "trusttalk" not in h.started
    assert h.started == ([intent_heard] if intent_heard else [])
    assert "declined" not in h.reminder_phases() and "snoozed" in h.reminder_phases()
    offer = store.get("reminders", "trusttalk")["offer"]
    assert offer is not None  # offered again later, as after any snooze
    if command.startswith("Sam promises"):
        assert [p["text"] for p in store.all("promises")] == ["call the plumber"]
    if "promises are still open" in command:
        assert any("promise" in line.lower() for line in h.said()[h.said().index(LATER) + 1:])


def test_two_promises_said_after_questions_are_both_kept(store, clock, profile, settings, matcher):
    h = home(store, clock, profile, settings, matcher,
             ["Alex promises to water the plants", "I promise to book the table", "Sam promises to fix the shelf"])
    at_the_trust_talk(h, clock)
    h.run()
    # the second promise answered "who is promising?" with another promise: that one is logged
    assert sorted(p["text"] for p in store.all("promises")) == ["fix the shelf", "water the plants"]
    assert h.started == []


def test_a_loose_yes_to_a_reminder_never_starts_the_exercise(store, clock, profile, settings, matcher):
    loose = {"i did it maybe": Parse("confirm.yes", {}, 0.62)}
    h = home(store, clock, profile, settings, matcher, ["i did it maybe", "i did it maybe"], loose=loose)
    at_the_trust_talk(h, clock)
    h.run()
    assert h.started == []
    assert REASK in h.said() and LATER in h.said()
    assert "declined" not in h.reminder_phases()


def test_a_sure_yes_to_a_reminder_still_starts_it(store, clock, profile, settings, matcher):
    h = home(store, clock, profile, settings, matcher, ["yes please"])
    at_the_trust_talk(h, clock)
    h.run()
    assert h.started == ["trusttalk"]


# --- "would you like to carry on now?" inside an exercise ---------------------------------------------


@pytest.fixture
def evening(tmp_path: Path) -> Path:
    return write_script(tmp_path / "scripts", "evening", KINDS)


def test_carry_on_now_answered_with_a_command_leaves_it_paused_and_runs_it(store, clock, profile, settings, evening,
                                                                           matcher):
    ctx = exercise_ctx(store, clock, profile, settings, [], scripts=evening)
    ctx.listener = ScriptedListener(["!ritual.pause", "", "suggest something new to try"], clock,
                                    parse=reading(matcher))
    reason = start_exercise(ctx, "evening", rng())
    assert reason == "paused"
    assert ctx.pending is not None and ctx.pending.intent == "experience.suggest"
    assert "within a day" in ctx.speaker.text()
    assert [p for p, _ in phases(ctx)] == ["started", "paused"]


def test_a_command_said_to_a_question_mid_exercise_sets_it_aside(store, clock, profile, settings, evening, matcher):
    # "shall we go up a level?" (a choose step, asked of both) answered with "what promises are still open"
    lines = ["", (6, "the cat"), "!turn.done", (4, "you said the cat"), "!turn.done", "what promises are still open"]
    ctx = exercise_ctx(store, clock, profile, settings, [], scripts=evening)
    ctx.listener = ScriptedListener(lines, clock, parse=reading(matcher))
    assert start_exercise(ctx, "evening", rng()) == "paused"
    assert ctx.pending.intent == "promise.list"
    (session,) = store.all("sessions")
    assert session["end_reason"] == "paused" and session["resume"]["step"] == 5


def test_a_loose_yes_mid_exercise_is_asked_again_and_never_acted_on(store, clock, profile, settings, evening, matcher):
    loose = {"i did it maybe": Parse("confirm.yes", {}, 0.62)}
    lines = ["", (6, "the cat"), "!turn.done", (4, "you said the cat"), "!turn.done",
             "i did it maybe", "i did it maybe", "i did it maybe", "i did it maybe", (3, "a secret"), "!turn.done"]
    ctx = exercise_ctx(store, clock, profile, settings, [], scripts=evening)
    ctx.listener = ScriptedListener(lines, clock, parse=reading(matcher, loose))
    assert start_exercise(ctx, "evening", rng()) == "completed"
    text = ctx.speaker.text()
    assert "Level 2 it is." not in text and "Level 1 then." in text  # "shall we go up a level?" was not a yes
    assert "Yes or no?" in text or "yes or no" in text


# --- did you mean ...? / Alex or Sam? -------------------------------------------------------------------


def feature_ctx(store, clock, profile, settings, matcher, lines) -> tuple[Context, RecordingSpeaker]:
    h = home(store, clock, profile, settings, matcher, lines)
    return h.ctx, h.speaker


def test_did_you_mean_answered_with_a_command_marks_nothing(store, clock, profile, settings, matcher):
    promises.log_promise(store, clock, "Sam", "water the plants", None)
    ctx, speaker = feature_ctx(store, clock, profile, settings, matcher, ["how are our goals going"])
    promises.handle_kept(ctx, Utterance(text="sam kept the promise about the bloods", intent="promise.kept",
                                        slots={"text": "the bloods", "partner": "Sam"}, score=1.0))
    assert [p["status"] for p in store.all("promises")] == ["open"]
    assert ctx.pending is not None and ctx.pending.intent == "goal.review"


def test_who_is_promising_answered_with_a_command(store, clock, profile, settings, matcher):
    ctx, speaker = feature_ctx(store, clock, profile, settings, matcher, ["suggest something new to try"])
    promises.handle_log(ctx, Utterance(text="i promise to call mum", intent="promise.log", slots={"text": "call mum"},
                                       score=1.0))
    assert store.all("promises") == []
    assert ctx.pending.intent == "experience.suggest"
    assert not any("was that" in s for s in speaker.said)  # not asked again: the couple moved on


def test_who_is_promising_still_hears_a_name(store, clock, profile, settings, matcher):
    ctx, _ = feature_ctx(store, clock, profile, settings, matcher, ["it's me, Sam"])
    promises.handle_log(ctx, Utterance(text="i promise to call mum", intent="promise.log", slots={"text": "call mum"},
                                       score=1.0))
    assert [(p["partner"], p["text"]) for p in store.all("promises")] == [("Sam", "call mum")]
    assert ctx.pending is None


# --- a goal's first steps ----------------------------------------------------------------------------


def test_commands_after_add_a_goal_are_commands_not_steps(store, clock, profile, settings, matcher):
    h = home(store, clock, profile, settings, matcher,
             ["add a goal: save for a trip to Japan", "how are our goals going", "suggest something new to try"])
    clock.set(datetime(2027, 1, 5, 12, 0, tzinfo=LISBON))
    h.run()
    (goal,) = store.all("goals")
    assert goal["steps"] == []
    said = " ".join(h.said())
    assert "Sam, what" not in said  # the question was dropped: no second step asked
    # the review ran, and its own question was answered with the next command, which ran too
    assert "save for a trip to" in " ".join(h.said()[3:])
    assert h.started == ["experiences"]  # "suggest something new to try" starts the experiences exercise


@pytest.mark.parametrize("answer", ["pass", "skip", "not yet", "nothing yet", "I don't know yet"])
def test_pass_skip_not_yet_leave_the_step_empty(store, clock, profile, settings, matcher, answer):
    h = home(store, clock, profile, settings, matcher,
             ["add a goal: save for a trip to Japan", answer, "book the flights"])
    clock.set(datetime(2027, 1, 5, 12, 0, tzinfo=LISBON))
    h.run()
    (goal,) = store.all("goals")
    assert goal["steps"] == [{"partner": "Sam", "text": "book the flights"}]


def test_a_real_step_is_still_a_step(store, clock, profile, settings, matcher):
    h = home(store, clock, profile, settings, matcher,
             ["add a goal: save for a trip to Japan", "plan a date night", "save fifty pounds a month"])
    clock.set(datetime(2027, 1, 5, 12, 0, tzinfo=LISBON))
    h.run()
    (goal,) = store.all("goals")
    assert [s["text"] for s in goal["steps"]] == ["plan a date night", "save fifty pounds a month"]


# --- end to end: `tandem run --text`, every part real, the clock pinned ---------------------------------


def _said(evs: list[dict[str, Any]]) -> list[str]:
    return [e["text"] for e in evs if e["type"] == "said"]


@integrated
def test_text_mode_a_command_after_the_trust_talk_question_runs_and_starts_nothing():
    assert tandem("init", "--partner", "Alex", "--partner", "Sam", "--timezone", "Europe/London").returncode == 0
    r = tandem("run", "--text", "--mute", "--events", "jsonl", "--clock-start", "2027-01-03T18:59:50", "--clock-speed",
               "10",
               stdin="@2027-01-03T19:00:02 hey tandem, what promises are still open\n"
                     "@2027-01-03T19:00:30 Sam promises to call the plumber\n")
    assert r.returncode == 0, r.stderr
    evs = events(r.stdout)
    said = _said(evs)
    assert [e["kind"] for e in evs if e["type"] == "reminder" and e["phase"] == "said"] == ["trusttalk"]
    assert [e for e in evs if e["type"] == "exercise"] == []
    assert "Yes or no?" not in " ".join(said)
    later = next(i for i, s in enumerate(said) if "remind you" in s and "later" in s)  # the snooze, said briefly
    assert later == 1 and "promise" in said[later + 1].lower()
    assert [e["intent"] for e in evs if e["type"] == "intent" and e["intent"]] == ["promise.list", "promise.log"]
    exported = json.loads(tandem("export").stdout)
    assert [(p["partner"], p["text"]) for p in exported["promises"]] == [("Sam", "call the plumber")]


@integrated
def test_text_mode_commands_after_add_a_goal_are_not_its_steps():
    assert tandem("init", "--partner", "Alex", "--partner", "Sam", "--timezone", "Europe/London").returncode == 0
    r = tandem("run", "--text", "--mute", "--events", "jsonl", "--clock-start", "2027-01-05T12:00",
               stdin="add a goal: save for a trip to Japan\nhow are our goals going\nsuggest something new to try\n")
    assert r.returncode == 0, r.stderr
    evs = events(r.stdout)
    exported = json.loads(tandem("export").stdout)
    assert [g["steps"] for g in exported["goals"]] == [[]]
    assert [e["exercise"] for e in evs if e["type"] == "exercise" and e["phase"] == "started"] == ["experiences"]


# The README's "What you can say" lines are the commands a couple learns first: said in answer to any
# question they must count as commands, so each is one the matcher is sure of ("add a goal: learn to
# dance" was a loose guess at 0.66 and was taken for a muddled yes/no).
@pytest.mark.parametrize("command, intent", [
    ("start our gratitude moment", "gratitude.start"),
    ("let's do our weekly check-in", "checkin.start"),
    ("add a goal: learn to dance", "goal.add"),
    ("add a goal to run a marathon together", "goal.add"),
    ("how are our goals going", "goal.review"),
    ("suggest something new to try", "experience.suggest"),
    ("we tried salsa dancing", "experience.log"),
    ("Sam promises to call the plumber by Friday", "promise.log"),
    ("what promises are still open", "promise.list"),
    ("what did we appreciate last week", "gratitude.recall"),
    ("how are we doing", "summary"),
    ("when is our next trust talk", "reminder.list"),
])
def test_the_readme_commands_are_sure_commands(matcher, command, intent):
    p = matcher.parse(command, IDLE)
    assert (p.intent, p.score >= 0.75) == (intent, True)
