"""The template language and the loader's validation (file:line errors)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assistant.nlu import IntentFileError, load_intents
from assistant.nlu import templates as tpl
from assistant.nlu.collisions import check_collisions
from assistant.nlu.loader import loads

REPO = Path(__file__).resolve().parent.parent


def sentences(template: str, lists: dict[str, str] | None = None) -> set[str]:
    parsed = {k: tpl.parse(f"({v})") for k, v in (lists or {}).items()}
    return set(tpl.expand(tpl.parse(template), parsed, lambda s: "{" + s + "}", 1000))


def test_alternatives_optionals_and_lists_expand() -> None:
    got = sentences("(start | begin) [our] <thing>", {"thing": "gratitude | check in"})
    assert got == {
        "start our gratitude", "start gratitude", "begin our gratitude", "begin gratitude",
        "start our check in", "start check in", "begin our check in", "begin check in",
    }


def test_slots_expand_to_their_placeholder_and_nest() -> None:
    assert sentences("log [a [new] promise] {text}") == {
        "log {text}",
        "log a promise {text}",
        "log a new promise {text}",
    }


def test_count_matches_expansion() -> None:
    node = tpl.parse("(a | b | c) [d | e] (f [g])")
    assert tpl.count(node, {}) == len(tpl.expand(node, {}, lambda s: s, 100)) == 18


def test_sample_is_deterministic_capped_and_includes_the_plain_sentence() -> None:
    lists = {"w": tpl.parse("(" + " | ".join(f"w{i}" for i in range(30)) + ")")}
    node = tpl.parse("[x] <w> [y] <w> [z]")
    one = tpl.sample(node, lists, lambda s: s, 50, seed=3)
    assert one == tpl.sample(node, lists, lambda s: s, 50, seed=3)
    assert len(one) == 50 and "w0 w0" in one


@pytest.mark.parametrize("bad, message", [
    ("(start | | begin) it", "empty alternative"),
    ("start []", "empty alternative"),
    ("(start it", "missing ')'"),
    ("start it]", "unbalanced"),
    ("start $it", "unexpected"),
])
def test_malformed_templates_are_explained(bad: str, message: str) -> None:
    with pytest.raises(tpl.TemplateError, match=re.escape(message)):
        tpl.parse(bad)


GOOD = """\
intents:
  a.start:
    context: idle
    templates:
      - "start a"
"""


def errors(text: str) -> str:
    with pytest.raises(IntentFileError) as info:
        loads(text, "x.yaml")
    return str(info.value)


def test_a_good_file_loads() -> None:
    intents = loads(GOOD, "x.yaml")
    assert list(intents.intents) == ["a.start"] and intents.intents["a.start"].contexts == ("idle",)


def test_yaml_syntax_error_names_file_and_line() -> None:
    msg = errors(GOOD + "  b.start:\n    context: [idle\n")
    assert msg.startswith("x.yaml:8: not valid YAML") and "at line 7" in msg
    assert errors(GOOD + "  b.start:\n   context: idle\n    templates: x\n").startswith("x.yaml:8: not valid YAML")


def test_unknown_slot_names_the_template_line() -> None:
    msg = errors(GOOD.replace('"start a"', '"start a"\n      - "start {colour}"'))
    assert msg.startswith("x.yaml:6: unknown slot {colour}")


def test_empty_alternative_names_the_line() -> None:
    assert errors(GOOD.replace('"start a"', '"(start | ) a"')).startswith("x.yaml:5: empty alternative")


def test_duplicate_intent_in_one_file() -> None:
    msg = errors(GOOD + GOOD.replace("intents:\n", ""))
    assert msg.startswith("x.yaml:6: duplicate 'a.start'")


def test_duplicate_intent_across_files(tmp_path: Path) -> None:
    (tmp_path / "one.yaml").write_text(GOOD)
    (tmp_path / "two.yaml").write_text(GOOD)
    with pytest.raises(IntentFileError, match=r"^two.yaml:2: duplicate intent 'a.start' \(also at one.yaml:2\)"):
        load_intents(tmp_path)


@pytest.mark.parametrize(
    "change, message",
    [
        (("context: idle", "context: kitchen"), "x.yaml:3: unknown context 'kitchen'"),
        (('"start a"', '"start <nothing>"'), "x.yaml:5: unknown word list <nothing>"),
        (("templates:", "templatez:"), "x.yaml:4: unknown key 'templatez'"),
        (("intents:", "intentz:"), "x.yaml:1: unknown section 'intentz'"),
        (
            ('    templates:\n      - "start a"\n', "    templates: []\n"),
            "x.yaml:4: templates of 'a.start' must be a non-empty list",
        ),
    ],
)
def test_other_mistakes_are_one_line(change: tuple[str, str], message: str) -> None:
    assert errors(GOOD.replace(*change)).startswith(message)


@pytest.mark.parametrize(
    "section, message",
    [
        ('lists:\n  x:\n    - a\n    - ""\n', "x.yaml:4: 'x' must be a list of words or phrases, without empty"),
        ("lists:\n  x:\n    - a\n    - {b: c}\n", "x.yaml:4: 'x' must be a list of words or phrases"),
        ('lists:\n  x: "  "\n', "x.yaml:2: 'x' must be a list of words or phrases"),
        ('slots:\n  due:\n    - by friday\n    - ""\n', "x.yaml:4: 'due' must be a list of words or phrases"),
        ('lists:\n  x:\n    - a\n    - "(b | )"\n', "x.yaml:4: empty alternative"),
        ("lists:\n  x: []\n", "x.yaml:2: 'x' is empty"),
    ],
)
def test_a_bad_word_list_entry_names_its_line(section: str, message: str) -> None:
    assert errors(section + GOOD.replace('"start a"', '"start a <x>"')).startswith(message)


def test_contexts_are_read_trimmed_and_a_blank_one_names_its_line() -> None:
    intents = loads(GOOD.replace("context: idle", 'context: [" idle ", ritual]'), "x.yaml")
    assert intents.intents["a.start"].contexts == ("idle", "ritual")
    assert errors(GOOD.replace("context: idle", "context: [idle, {a: b}]")).startswith(
        "x.yaml:3: context must be text or a list of texts, without empty entries"
    )


def test_a_word_list_that_refers_to_itself() -> None:
    text = "lists:\n  x: [a <y>]\n  y: [b <x>]\n" + GOOD
    assert "refers to itself" in errors(text)


def test_no_intent_files(tmp_path: Path) -> None:
    with pytest.raises(IntentFileError, match="no intent files"):
        load_intents(tmp_path)


def test_collisions_between_intents_are_reported() -> None:
    text = GOOD + '  b.start:\n    context: idle\n    templates:\n      - "(start | begin) a"\n'
    with pytest.raises(IntentFileError, match=r"x.yaml:9: 'start a' is both 'b.start' and 'a.start'"):
        check_collisions(loads(text, "x.yaml"))


def test_the_shipped_intents_load_and_do_not_collide() -> None:
    intents = load_intents(REPO / "intents")
    check_collisions(intents, cap=300)
    catalogue = {
        "gratitude.start", "checkin.start", "vulnerability.start", "listening.start", "trusttalk.start", "goals.start",
        "commitments.start", "experience.suggest", "experience.log", "promise.log", "promise.list", "promise.kept",
        "promise.missed", "goal.add", "goal.review", "gratitude.recall", "reminder.list", "reminder.set", "summary",
        "help", "cancel", "forget.last", "forget.item", "privacy.on", "privacy.off", "volume.up", "volume.down",
        "turn.done", "turn.more_time", "ritual.pause", "ritual.resume", "ritual.repeat", "ritual.skip", "ritual.stop",
        "answer.partner", "confirm.yes", "confirm.no", "voice.slower", "voice.faster",
    }
    assert catalogue <= set(intents.intents)
    assert intents.intents["promise.log"].slots == {"partner", "text", "due"}


# -- the normalise sections for contextual words and side remarks; not_for_me's repeated {text}

def test_contextual_words_and_asides_load() -> None:
    text = GOOD + "normalise:\n  contextual:\n    to: [two, too]\n  aside: [because, we're]\n"
    rules = loads(text, "x.yaml").rules
    assert rules.contextual == {"two": "to", "too": "to"}
    assert rules.aside == (("because",), ("we're",))


@pytest.mark.parametrize(
    "section, message",
    [
        ("  contextual:\n    in to: [into]\n", "x.yaml:8: a contextual word must be one word, not 'in to'"),
        ("  contextual:\n    to: [two words]\n", "x.yaml:8: 'two words' must be one word other than 'to'"),
        (
            "  contextual:\n    to: [two]\n    for: [two]\n",
            "x.yaml:9: 'two' is already a contextual variant of 'to' (at x.yaml:8)",
        ),
        (
            "  canonical:\n    log: [lock]\n  contextual:\n    log: [lock]\n",
            "x.yaml:10: 'lock' is already a canonical variant of 'log'",
        ),
    ],
)
def test_mistakes_in_contextual_words_name_file_and_line(section: str, message: str) -> None:
    assert errors(GOOD + "normalise:\n" + section).startswith(message)


def test_text_may_repeat_in_not_for_me_only() -> None:
    intents = loads(GOOD + 'not_for_me:\n  idle:\n    - "we tried {text} but {text}"\n', "x.yaml")
    assert intents.not_for_me["idle"][0].source == "we tried {text} but {text}"
    assert "a slot appears twice" in errors(GOOD.replace('"start a"', '"start {text} and {text}"'))
