"""Wording that sounds like a person: re-prompts in other words, a kind line after a second silence,
greetings and closings that fit the couple's time of day, and lines that follow from what was just said.

Every run here is on a pinned ``FakeClock``: nothing reads the wall clock.
"""

from __future__ import annotations

import random
import re
from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

from assistant.clock import FakeClock
from assistant.exercises import load_scripts, start_exercise
from assistant.exercises.dayparts import PARTS, DayParts
from assistant.exercises.engine import Run
from assistant.exercises.script import ScriptError, Step, load_yaml
from assistant.profile import create_profile
from assistant.replies import SHIPPED_DIR, load_replies
from tests.test_exercises_support import (
    SCRIPTS,
    fakes,  # noqa: F401  (fixture)
    make_ctx,
    only_session,
    rng,
    write_script,
    write_solo,
)

LONDON = ZoneInfo("Europe/London")
EIGHT = ["gratitude", "checkin", "vulnerability", "listening", "commitments", "goals", "experiences", "trusttalk"]


def walk(steps: tuple[Step, ...]):
    for step in steps:
        yield step
        yield from walk(step.yes)
        yield from walk(step.no)
        yield from walk(step.steps)


def plain(text: str) -> str:
    return " ".join(re.sub(r"[^\w' ]+", " ", text.lower()).split())


def lines_said(ctx) -> list[str]:
    return list(ctx.speaker.said)


def shared(key: str) -> tuple[str, ...]:
    return load_scripts(SCRIPTS).phrases.get(key, ())


def is_one_of(line: str, wordings: tuple[str, ...], **facts: str) -> bool:
    """Whether ``line`` is one of ``wordings`` filled in (any fact may stand anywhere a {fact} is)."""
    for wording in wordings:
        pattern = re.escape(wording)
        for name, value in facts.items():
            pattern = pattern.replace(re.escape("{" + name + "}"), re.escape(value))
        pattern = re.sub(r"\\\{[a-z_]+\\\}", ".+", pattern)
        if re.fullmatch(pattern, line, flags=re.IGNORECASE):
            return True
    return False


# --- every script loads, and every question and turn has its own re-prompt -------------------------


def test_every_shipped_script_and_reply_file_loads():
    scripts = load_scripts(SCRIPTS)
    assert sorted(scripts.scripts) == sorted(EIGHT)
    assert set(scripts.timed) == {"greeting", "farewell"}
    assert all(set(by_part) == set(PARTS) for by_part in scripts.timed.values())
    assert scripts.day_parts.at(time(12, 0)) == "afternoon"
    load_replies(SHIPPED_DIR)  # raises on any mistake


@pytest.mark.parametrize("exercise", EIGHT)
def test_each_question_and_turn_has_a_reprompt_in_other_words_of_its_own(exercise):
    script = load_scripts(SCRIPTS).get(exercise)
    seen: dict[str, str] = {}
    for step in walk(script.steps):
        if step.kind not in ("turn", "reflect", "choose"):
            continue
        assert step.reprompt, f"{step.where}: a {step.kind} without a reprompt"
        prompts = {plain(w) for w in step.wordings}
        for words in step.reprompt:
            assert plain(words) not in prompts, f"{step.where}: the reprompt repeats the prompt"
            assert plain(words) not in seen, f"{step.where}: the same reprompt as {seen.get(plain(words))}"
            seen[plain(words)] = step.where


# --- a silence: other words, then one kind line, then on ------------------------------------------


CHECKIN_SILENT_QUESTION = [
    "",  # the breath (pause step)
    "", "",  # Alex says nothing, twice
    (5, "a long week"), "!turn.done",  # Sam shares
    "", "",  # "would you like to reflect back?": silence, twice
]


def test_a_question_met_with_silence_is_asked_in_other_words_then_moves_on_gently(store, clock, profile, settings,
                                                                                  fakes):
    ctx = make_ctx(store, clock, profile, settings, CHECKIN_SILENT_QUESTION)
    reason = start_exercise(ctx, "checkin", rng())
    assert reason == "completed"
    said_ = lines_said(ctx)
    script = load_scripts(SCRIPTS).get("checkin")
    choose = next(s for s in script.steps if s.kind == "choose")
    share = next(s for s in script.steps if s.kind == "turn")
    asked = [i for i, line in enumerate(said_) if line in choose.wordings]
    assert len(asked) == 1, "the question was said word for word more than once"
    after = said_[asked[0] + 1:]
    # first silence: the step's own re-prompt; second: one kind line (silence means no here), then the close
    assert is_one_of(after[0], choose.reprompt)
    assert is_one_of(after[1], shared("moving_on"))
    assert is_one_of(after[2], script.steps[-1].wordings, first="Alex", second="Sam")
    assert len(after) == 3
    # the silent turn: its own re-prompt (not the generic one, not the prompt), then a kind line; different words
    # from the question's re-prompt
    turn_prompt = next(i for i,
                       line in enumerate(said_) if is_one_of(line, share.wordings, partner="Alex", other="Sam"))
    assert is_one_of(said_[turn_prompt + 1], share.reprompt, partner="Alex", other="Sam")
    assert is_one_of(said_[turn_prompt + 2], shared("moving_on"))
    assert plain(said_[turn_prompt + 1]) != plain(after[0])
    assert [t["ended_by"] for t in only_session(store)["turns"]] == ["silence", "done"]


def test_a_question_whose_silence_means_yes_moves_on_with_a_line_that_says_so(store, clock, profile, settings, fakes):
    # vulnerability, first session: share (Alex), acknowledge (Sam), then "shall we carry on?" (default yes)
    lines = [(5, "a small worry"), "!turn.done", (3, "thank you"), "!turn.done", "", "",
             (5, "another worry"), "!turn.done", (3, "thanks"), "!turn.done", "!confirm.no"]
    ctx = make_ctx(store, clock, profile, settings, lines)
    assert start_exercise(ctx, "vulnerability", rng()) == "completed"
    said_ = lines_said(ctx)
    carry_on = next(i for i, line in enumerate(said_) if "carry on" in line.lower() or "keep going" in line.lower())
    assert is_one_of(said_[carry_on + 2], shared("moving_on_yes"))  # not "we'll leave that one for now"
    assert not any(is_one_of(line, shared("moving_on")) for line in said_)


def test_a_turn_met_with_silence_twice_says_one_kind_line_and_moves_on(tmp_path, store, clock, profile, settings):
    folder = write_solo(tmp_path / "s", 120, "{partner}, tell {other} about your day.",
                        reprompt="Take your time, {partner}. One moment from today is enough.")
    ctx = make_ctx(store, clock, profile, settings, ["", "", ""], scripts=folder)
    assert start_exercise(ctx, "solo", rng()) == "completed"
    assert ctx.speaker.said[:2] == ["Alex, tell Sam about your day.",
                                    "Take your time, Alex. One moment from today is enough."]
    assert is_one_of(ctx.speaker.said[2], shared("moving_on"))
    assert ctx.speaker.said[3] == "Thank you."
    assert only_session(store)["turns"][0]["ended_by"] == "silence"


def test_a_speaker_who_has_spoken_is_never_told_to_take_their_time_or_pass(tmp_path, store, clock, profile, settings):
    folder = write_solo(tmp_path / "s", 120, "{partner}, tell {other} about your day.")
    ctx = make_ctx(store, clock, profile, settings, [(5, "it was long"), "", ""], scripts=folder)
    start_exercise(ctx, "solo", rng())
    assert not any("pass" in line.lower() for line in ctx.speaker.said)
    assert is_one_of(ctx.speaker.said[1], shared("silence_after"))


# --- the second partner hears other words ---------------------------------------------------------


def test_each_partner_hears_their_own_wording_not_the_same_sentence_with_another_name(store, clock, profile, settings):
    ctx = make_ctx(store, clock, profile, settings, [])
    scripts = load_scripts(SCRIPTS)
    run = Run(ctx=ctx, script=scripts.get("trusttalk"), phrases=scripts.phrases, session_id="x", order=("Alex", "Sam"),
              rng=random.Random(3))
    two = ("{partner}, one.", "{partner}, two.")
    picks = [run.render(two, partner=p) for p in ["Alex", "Sam"] * 20]
    assert all(plain(a)[-3:] != plain(b)[-3:] for a, b in zip(picks, picks[1:]))


def test_a_question_for_both_asks_the_second_partner_in_a_few_words(store, clock, profile, settings, fakes):
    # vulnerability: share, acknowledge, carry on, share, acknowledge, then "keep what you shared?" for each
    lines = [(5, "a worry"), "!turn.done", (3, "thank you"), "!turn.done", "!confirm.yes",
             (5, "another"), "!turn.done", (3, "thanks"), "!turn.done", "!confirm.yes", "!confirm.yes"]
    ctx = make_ctx(store, clock, profile, settings, lines)
    start_exercise(ctx, "vulnerability", rng())
    said_ = lines_said(ctx)
    keep = [line for line in said_ if "private journal" in line]
    assert len(keep) == 1 and keep[0].startswith("Alex,")
    assert is_one_of(said_[said_.index(keep[0]) + 1], shared("ask_other"), partner="Sam")


# --- the two awkward lines ------------------------------------------------------------------------------


def test_a_yes_to_did_they_get_it_right_ends_the_turn_without_finish_your_thought(store, clock, profile, settings,
                                                                                  fakes):
    lines = [(30, "moving house a lot"), "!turn.done", (10, "it sounds like it shaped you"), "!turn.done",
             (1, "yes"), "",  # the confirmation, then quiet
             (30, "cooking with my grandmother"), "!turn.done", (10, "she mattered"), "!turn.done", (1, "yes"), ""]
    ctx = make_ctx(store, clock, profile, settings, lines)
    assert start_exercise(ctx, "listening", rng()) == "completed"
    said_ = lines_said(ctx)
    for awkward in (*shared("cue_finish"), *shared("silence_prompt"), *shared("silence_after"), *shared("moving_on")):
        assert awkward not in said_, f"said after a plain yes: {awkward!r}"
    confirms = [t for t in only_session(store)["turns"] if t["step"] == "confirm"]
    assert [t["ended_by"] for t in confirms] == ["done", "done"]
    assert all(t["actual_s"] < 10 for t in confirms)


def test_no_finish_your_thought_to_someone_who_stopped_talking_a_while_ago(tmp_path, store, clock, profile, settings):
    folder = write_solo(tmp_path / "s", 30, "{partner}, tell {other} one thing.")
    ctx = make_ctx(store, clock, profile, settings, [(2, "one thing"), "", "", ""], scripts=folder)
    start_exercise(ctx, "solo", rng())
    assert not any(line in shared("cue_finish") for line in ctx.speaker.said)


def lines_addressed_to_a_partner():
    scripts = load_scripts(SCRIPTS)
    for script in scripts.scripts.values():
        for step in walk(script.steps):
            for words in (*step.wordings, *step.reprompt, *step.moving_on, *step.none):
                if re.match(r"\{(partner|promiser|first|second)\},", words):
                    yield f"{step.where}: {words}"


def test_tandem_never_says_our_or_we_to_one_partner_about_the_couple():
    # "Alex, how has our relationship felt to you?": Tandem is not in the relationship
    wrong = [line for line in lines_addressed_to_a_partner()
             if re.search(r"\b(our|ours|we|us|we've|we'll|we're)\b", re.sub(r"'[^']*'", "", line.split(": ", 1)[1]),
                          re.IGNORECASE)]
    assert wrong == []
    feelings = next(s for s in load_scripts(SCRIPTS).get("trusttalk").steps if s.id == "feelings")
    assert any("your relationship" in w for w in feelings.wordings)


def test_a_turn_for_each_partner_never_tells_the_second_one_to_start():
    # "Sam, start us off" after Alex has gone first
    for script in load_scripts(SCRIPTS).scripts.values():
        for step in walk(script.steps):
            if step.kind in ("turn", "reflect") and step.who == "each":
                for words in step.wordings:
                    assert not re.search(r"\b(start us off|to begin|you go first|first,)\b", words, re.IGNORECASE), \
                        f"{step.where}: {words}"


# --- time of day ---------------------------------------------------------------------------------------


TIME_WORDS = re.compile(r"\b(tonight|tonight's|evening|morning|afternoon|dinner|lunch|breakfast|good ?night)\b", re.I)


def every_line(scripts) -> list[tuple[str, str]]:
    out = [(f"{SCRIPTS}/phrases.yaml {key}", w) for key, ws in scripts.phrases.items() for w in ws]
    for script in scripts.scripts.values():
        for step in walk(script.steps):
            out += [(step.where, w) for w in (*step.wordings, *step.reprompt, *step.moving_on, *step.none)]
    return out


def test_no_fixed_line_names_a_time_of_day_only_the_timed_phrases_do():
    scripts = load_scripts(SCRIPTS)
    assert [(where, w) for where, w in every_line(scripts) if TIME_WORDS.search(w)] == []
    replies = load_replies(SHIPPED_DIR)
    said_by_features = [(r.where, w) for r in replies.replies.values() for ws in r.forms.values() for w in ws]
    assert [(where, w) for where, w in said_by_features if TIME_WORDS.search(w)] == []
    reminders = load_yaml(SCRIPTS / "reminders.yaml")
    spoken = [w for key, value in reminders.items() if not key.endswith("_words") for w in strings(value)]
    assert [w for w in spoken if TIME_WORDS.search(w)] == []


def strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []


def ctx_at(store, settings, when: datetime, zone: str, lines=()):
    profile = create_profile(store, ["Alex", "Sam"], None, zone, force=True,
                             now=datetime(2026, 11, 1, 12, 0, tzinfo=LONDON))
    clock = FakeClock(when)
    return make_ctx(store, clock, profile, settings, list(lines)), clock


GRATITUDE = [(5, "you made me tea"), "!turn.done", (5, "you listened"), "!turn.done"]


@pytest.mark.parametrize("seed", range(12))
def test_gratitude_at_noon_never_says_evening_and_at_eight_pm_never_says_morning(store, settings, fakes, seed):
    noon, _ = ctx_at(store, settings, datetime(2026, 12, 8, 12, 0, tzinfo=LONDON), "Europe/London", GRATITUDE)
    start_exercise(noon, "gratitude", random.Random(seed))
    close = noon.speaker.said[-1]
    assert not re.search(r"evening|tonight|dinner|night", close, re.I), close
    evening, _ = ctx_at(store, settings, datetime(2026, 12, 8, 20, 0, tzinfo=LONDON), "Europe/London", GRATITUDE)
    start_exercise(evening, "gratitude", random.Random(seed))
    assert not re.search(r"morning|afternoon|day\b", evening.speaker.said[-1], re.I), evening.speaker.said[-1]


def test_the_closing_names_the_part_of_the_day_on_the_couples_clock(store, settings, fakes):
    farewell = load_scripts(SCRIPTS).timed["farewell"]
    heard = {}
    for hour in (8, 12, 20, 23):
        closes = set()
        for seed in range(20):
            ctx, _ = ctx_at(store, settings, datetime(2026, 12, 8, hour, 0, tzinfo=LONDON), "Europe/London", GRATITUDE)
            start_exercise(ctx, "gratitude", random.Random(seed))
            closes.add(ctx.speaker.said[-1])
        heard[hour] = {part for part in PARTS for w in farewell[part] for close in closes if close.endswith(w)}
    assert heard == {8: {"morning"}, 12: {"afternoon"}, 20: {"evening"}, 23: {"night"}}


def test_the_part_of_the_day_is_the_profiles_not_the_clocks_zone(store, settings, fakes):
    # 17:00 UTC is noon in New York: an afternoon farewell, though the clock's own zone says evening
    when = datetime(2026, 12, 8, 17, 0, tzinfo=ZoneInfo("UTC"))
    ctx, _ = ctx_at(store, settings, when, "America/New_York")
    scripts = load_scripts(SCRIPTS)
    run = Run(ctx=ctx, script=scripts.get("gratitude"), phrases=scripts.phrases, session_id="x",
              order=("Alex", "Sam"), timed=scripts.timed, day_parts=scripts.day_parts)
    assert run.day_part() == "afternoon"
    assert run.render(("{farewell}",)) in scripts.timed["farewell"]["afternoon"]


def test_day_parts_wrap_past_midnight():
    parts = DayParts()
    assert [parts.at(time(h, m)) for h,
            m in [(4, 59), (5, 0), (11, 59), (12, 0), (16, 59), (17, 0), (21, 59), (22, 0), (0, 0)]] == [
        "night", "morning", "morning", "afternoon", "afternoon", "evening", "evening", "night", "night"]


# --- validation: a mistake names the file and the line --------------------------------------------


BASE = """exercise: tiny
title: tiny talk
starts_on: tiny.start
why: a test
steps:
  - choose: "Shall we?"
    reprompt: {reprompt}
  - close: "Bye."
"""


@pytest.mark.parametrize("reprompt, message", [
    ('"Shall we?"', "is the prompt again"),
    ('"shall   we"', "is the prompt again"),  # case, spacing and punctuation do not make other words
    ('""', "non-empty"),
    ('"{partnr}, yes or no?"', "unknown fact '{partnr}'"),
    ("[]", "a sentence or a list"),
])
def test_a_malformed_reprompt_names_the_file_and_line(tmp_path, reprompt, message):
    folder = write_script(tmp_path / "s", "tiny", BASE.format(reprompt=reprompt))
    with pytest.raises(ScriptError) as err:
        load_scripts(folder)
    assert f"{folder / 'tiny.yaml'}:7:" in str(err.value) and message in str(err.value)


def test_a_reprompt_on_a_step_that_has_no_silence_is_refused_with_its_line(tmp_path):
    folder = write_script(tmp_path / "s", "tiny", BASE.format(reprompt='"Yes or no?"').replace(
        '  - close: "Bye."', '  - say: "Hello."\n    reprompt: "Hi."\n  - close: "Bye."'))
    with pytest.raises(ScriptError, match=r"tiny\.yaml:9: 'reprompt' is not an option of a say step"):
        load_scripts(folder)


def test_timed_phrases_and_day_parts_are_checked_with_file_and_line(tmp_path):
    phrases = (SCRIPTS / "phrases.yaml").read_text(encoding="utf-8")
    folder = tmp_path / "s"
    write_script(folder, "tiny", BASE.format(reprompt='"Yes or no?"'))
    (folder / "phrases.yaml").write_text(phrases.replace('  night: ["Sleep well, both of you."',
                                                         '  nite: ["Sleep well, both of you."'))
    with pytest.raises(ScriptError, match=r"phrases\.yaml:\d+: farewell: 'nite' is not a part of the day"):
        load_scripts(folder)
    (folder / "phrases.yaml").write_text(phrases.replace('afternoon: "12:00"', "afternoon: 12:00"))
    with pytest.raises(ScriptError, match=r"phrases\.yaml:\d+: day_parts\.afternoon must be a time in quotes"):
        load_scripts(folder)


def test_no_time_left_cue_to_someone_who_has_not_begun(tmp_path, store, clock, profile, settings):
    # "take your time" at 20 s, then "thirty seconds left" at 30 s to an empty room did not follow
    folder = write_solo(tmp_path / "s", 60, "{partner}, tell {other} one thing.")
    ctx = make_ctx(store, clock, profile, settings, ["", "", "", ""], scripts=folder)
    start_exercise(ctx, "solo", rng())
    cues = {*shared("cue_30s"), *shared("cue_1min"), *shared("cue_half")}
    assert not cues & set(ctx.speaker.said)


# --- end to end: the real command, NLU, engine and scripts, in text mode at a pinned clock ---------------


def run_text(stdin: str, at: str) -> list[str]:
    from tests.test_run_cli import events, tandem
    assert tandem("init", "--partner", "Alex", "--partner", "Sam", "--timezone", "Europe/London").returncode == 0
    r = tandem("run", "--text", "--mute", "--events", "jsonl", "--clock-start", at, "--clock-speed", "50", stdin=stdin)
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    return [e["text"] for e in events(r.stdout) if e["type"] == "said"]


LISTENING_BY_TEXT = """let's practise listening
when I was little we moved house a lot
I'm done
it sounds like moving a lot shaped you
I'm done
yes

I think it was learning to cook with my grandmother
I'm done


yes, and she taught me patience
"""


def test_by_text_a_silence_never_gets_the_same_words_and_a_yes_is_an_answer():
    said_ = run_text(LISTENING_BY_TEXT, "2026-12-08T12:00")
    assert any("listening exercise" in s.lower() or "listen to each other" in s.lower()
               or "practise listening" in s.lower()
               for s in said_[:1]), said_
    assert all(a != b for a, b in zip(said_, said_[1:])), said_  # nothing said twice in a row
    assert len(said_) == len(set(said_)), said_  # nor twice at all
    for awkward in (*shared("cue_finish"), *shared("silence_prompt"), *shared("silence_after")):
        assert awkward not in said_, f"{awkward!r} in {said_}"
    # the silent reflection got its own re-prompt, then a kind line
    reflect = [s for s in load_scripts(SCRIPTS).get("listening").steps if s.kind == "reflect"][-1]
    assert any(is_one_of(s, reflect.reprompt, partner="Alex", other="Sam") for s in said_)
    assert any(is_one_of(s, shared("moving_on")) for s in said_)


GRATITUDE_BY_TEXT = "start our gratitude moment\nyou made me tea\nI'm done\nyou listened to me\nI'm done\n"


@pytest.mark.parametrize("at, never", [("2026-12-08T12:00", r"evening|tonight|dinner|night"),
                                       ("2026-12-08T19:30", r"morning|afternoon|\bday\b|tonight's")])
def test_by_text_the_gratitude_moment_fits_the_hour(at, never):
    said_ = run_text(GRATITUDE_BY_TEXT, at)
    assert any("journal" in s for s in said_), said_
    # the hour shows in Tandem's own framing; a question drawn from the bank may say "your day" at any hour
    bank = load_scripts(SCRIPTS).get("gratitude").banks
    asked = [re.escape(text).replace(re.escape("{other}"), r"\w+")
             for items in bank.values() for _, text in items.items]
    framing = [re.sub("|".join(asked), "", s, flags=re.I) for s in said_]
    assert not [s for s in framing if re.search(never, s, re.I)]


def test_prompts_tandem_reads_aloud_never_say_our_or_me():
    # the vulnerability prompts are Tandem's ("here's your prompt: ..."): "when in our relationship..." was Tandem's
    # "our"
    script = load_scripts(SCRIPTS).get("vulnerability")
    wrong = [text for bank in script.banks.values() for _, text in bank.items
             if re.search(r"\b(our|ours|we|us|me|my)\b", text, re.IGNORECASE)]
    assert wrong == []


def test_a_listening_question_always_says_which_partner_asks_it():
    # its items say "me" and "my" ("what's a fear you'd like my help with?"): the asker must be named, both ways round
    script = load_scripts(SCRIPTS).get("listening")
    for step in walk(script.steps):
        for words in step.wordings:
            if "{question}" in words:
                assert "{other}" in words.split("{question}")[0], f"{step.where}: {words}"


def test_the_part_of_the_day_is_read_when_the_line_is_said_not_when_the_exercise_began(store, settings):
    ctx, clock = ctx_at(store, settings, datetime(2026, 12, 8, 21, 40, tzinfo=LONDON), "Europe/London")
    scripts = load_scripts(SCRIPTS)
    run = Run(ctx=ctx, script=scripts.get("trusttalk"), phrases=scripts.phrases, session_id="x",
              order=("Alex", "Sam"), timed=scripts.timed, day_parts=scripts.day_parts)
    assert run.render(("{farewell}",)) in scripts.timed["farewell"]["evening"]
    clock.advance(30 * 60)  # a thirty-minute trust talk
    assert run.render(("{farewell}",)) in scripts.timed["farewell"]["night"]


def test_a_goal_passed_over_is_not_said_to_be_written_down(store, clock, profile, settings, fakes):
    # one open goal reviewed first: its {goal} must not be saved again when the new goal's turn is passed
    fakes["goals"].add_goal(store, clock, "save for a trip", [])
    lines = [(5, "going well"), "!turn.done", (5, "slowly"), "!turn.done", "!confirm.no",
             (5, "a house"), "!turn.done", (5, "travel"), "!turn.done", "!confirm.yes", "pass"]
    ctx = make_ctx(store, clock, profile, settings, lines)
    assert start_exercise(ctx, "goals", rng()) == "completed"
    save = next(s for s in walk(load_scripts(SCRIPTS).get("goals").steps) if s.action == "goal.save")
    assert not any(line in save.wordings for line in ctx.speaker.said)
    assert not any("step you'll take towards it" in line or "first small step" in line for line in ctx.speaker.said)
    assert [g["text"] for g in store.all("goals")] == ["save for a trip"]


def test_when_both_pass_the_gratitude_moment_does_not_claim_anything_was_kept(store, clock, profile, settings, fakes):
    for seed in range(6):
        ctx = make_ctx(store, clock, profile, settings, ["pass", "pass"])
        assert start_exercise(ctx, "gratitude", random.Random(seed)) == "completed"
        assert "journal" not in ctx.speaker.said[-1], ctx.speaker.said[-1]
    assert store.all("gratitude") == []


def test_a_scripts_folder_may_reword_only_some_shared_phrases(tmp_path):
    folder = write_script(tmp_path / "s", "tiny", BASE.format(reprompt='"Yes or no?"'))
    (folder / "phrases.yaml").write_text('moving_on: "Never mind, on we go."\nday_parts: {morning: "06:00", '
                                         'afternoon: "12:00", evening: "18:00", night: "23:00"}\n')
    scripts = load_scripts(folder)
    assert scripts.phrases["moving_on"] == ("Never mind, on we go.",)
    assert scripts.phrases["reprompt"] == shared("reprompt")  # the rest as shipped
    assert scripts.day_parts.at(time(17, 30)) == "afternoon"
