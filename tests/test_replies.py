"""The features' reply wordings: scripts/replies/*.yaml, checked at load, picked at random, filled in."""

from __future__ import annotations

import dataclasses
import random
import re
import shutil
from pathlib import Path

import pytest

from assistant import handlers, replies
from assistant.config import PathSettings
from assistant.errors import TandemError
from assistant.exercises.script import load_scripts
from assistant.features import controls, experiences, forget, goals, journal, promises, reminders, summary
from assistant.replies import FIELDS, SHIPPED_DIR, ReplyError, load_file, load_replies
from assistant.runtime import wiring

from .feature_ctx import make_ctx, said

MODULES = {"promises": promises, "goals": goals, "journal": journal, "experiences": experiences,
           "summary": summary, "forget": forget, "controls": controls, "hearing": wiring}
# Replies that belong to no one feature: said by the question helpers (handlers) and the reminders' offer.
SHARED_USERS = {"questions": (handlers, reminders)}
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _fresh_cache():
    replies.clear_cache()
    yield
    replies.clear_cache()


def _folder(tmp_path: Path, **files: str) -> Path:
    """A replies folder holding only ``files`` (name -> YAML text); the rest come from the shipped folder."""
    folder = tmp_path / "scripts" / "replies"
    folder.mkdir(parents=True)
    for name, text in files.items():
        (folder / f"{name}.yaml").write_text(text, encoding="utf-8")
    return folder


def _shipped_with(name: str, old: str, new: str) -> str:
    text = (SHIPPED_DIR / f"{name}.yaml").read_text(encoding="utf-8")
    assert old in text
    return text.replace(old, new, 1)


def _line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


# --- the shipped files ----------------------------------------------------------------


def test_every_shipped_replies_file_loads_with_every_reply() -> None:
    loaded = load_replies(SHIPPED_DIR)
    assert {p.stem for p in SHIPPED_DIR.glob("*.yaml")} == set(FIELDS)
    assert set(loaded.keys()) == {f"{name}.{key}" for name, keys in FIELDS.items() for key in keys}
    assert load_replies(SHIPPED_DIR) is loaded  # cached per folder


def test_every_wording_can_be_said_with_its_fields() -> None:
    loaded = load_replies(SHIPPED_DIR)
    for key, reply in loaded.replies.items():
        values = {name: (1 if name == "count" else f"<{name}>") for name in reply.fields}
        for form, wordings in reply.forms.items():
            for wording in wordings:
                text = wording.format_map(values)
                assert text.strip() and "{" not in text, (key, form, wording)


def _sources(module) -> list[Path]:
    """A module's file, or every file of a package (the reminders are one)."""
    path = Path(module.__file__)
    return sorted(path.parent.glob("*.py")) if path.name == "__init__.py" else [path]


def _literal_keys(name: str) -> set[str]:
    """ "promises.logged"-like string literals in a feature module (its intent names left out)."""
    found: set[str] = set()
    for module in SHARED_USERS.get(name) or (MODULES[name],):
        for path in _sources(module):
            source = path.read_text(encoding="utf-8")
            found |= set(re.findall(rf'"({name}\.[a-z_]+)"', source)) - set(getattr(module, "HANDLERS", {}))
    return found


@pytest.mark.parametrize("name", sorted(FIELDS))
def test_every_reply_the_code_uses_exists_and_every_reply_is_used(name: str) -> None:
    used = _literal_keys(name)
    if name == "forget":  # "forget.last_" + table, for privacy mode
        used |= {f"forget.last_{table}" for table in forget.TABLES}
    loaded = load_replies(SHIPPED_DIR)
    assert used, name
    assert not used - set(loaded.keys()), f"used by the {name} code but not in scripts/replies/{name}.yaml"
    assert not {f"{name}.{k}" for k in FIELDS[name]} - used, f"in the contract but never said by the {name} code"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_spoken_wording_is_left_in_the_code(name: str) -> None:
    source = Path(MODULES[name].__file__).read_text(encoding="utf-8")
    inline = re.findall(r'ctx\.(?:say|ask_yes_no|ask_partner)\(\s*f?"[^"]*[A-Za-z][^"]*"', source)
    assert inline == [], inline


def test_the_exercise_loader_ignores_the_replies_folder() -> None:
    scripts = load_scripts(REPO / "scripts")
    assert scripts.scripts and all(s.path.parent == REPO / "scripts" for s in scripts.scripts.values())


# --- mistakes are one line: file:line: what is wrong -------------------------------------


def test_bad_yaml_names_the_file_and_line(tmp_path: Path) -> None:
    text = 'kept: "Okay, I\'ve kept it."\nforgotten: [unclosed\nnothing_recent: "x"\n'
    folder = _folder(tmp_path, forget=text)
    with pytest.raises(ReplyError) as err:
        load_replies(folder)
    message = str(err.value)
    assert isinstance(err.value, TandemError) and "\n" not in message
    assert re.match(rf"{re.escape(str(folder / 'forget.yaml'))}:[23]: not valid YAML", message), message


def test_an_unknown_field_is_caught_at_load_with_its_line(tmp_path: Path) -> None:
    text = _shipped_with("promises", '  - "Noted: {promise}."', '  - "Noted: {promis}."')
    folder = _folder(tmp_path, promises=text)
    with pytest.raises(ReplyError) as err:
        load_replies(folder)
    line = _line_of(text, "{promis}")
    assert str(err.value) == (f"{folder / 'promises.yaml'}:{line}: 'logged': unknown field '{{promis}}' "
                              f"(this reply gets: {{promise}})")


def test_a_field_of_another_reply_is_unknown_too(tmp_path: Path) -> None:
    text = _shipped_with("goals", 'review_none: "You have no open goals. You can add one any time."',
                         'review_none: "{partner}, you have no open goals."')
    with pytest.raises(ReplyError,
                       match=r"goals\.yaml:\d+: 'review_none': unknown field '\{partner\}' \(this reply gets: none\)"):
        load_replies(_folder(tmp_path, goals=text))


@pytest.mark.parametrize("wording, problem", [
    ('"Forget {}?"', "'{}' is not a field name"),
    ('"Forget {what.x}?"', "'{what.x}' is not a field name"),
    ('"Forget {what?"', "broken {...}"),
    ('""', "each wording must be a non-empty sentence"),
    ("[]", "must be a sentence or a list of sentences"),
])
def test_broken_wordings(tmp_path: Path, wording: str, problem: str) -> None:
    text = _shipped_with("forget", 'confirm:\n  - "Forget {what}?"\n  - "Shall I forget {what}?"',
                         f"confirm: {wording}")
    with pytest.raises(ReplyError) as err:
        load_replies(_folder(tmp_path, forget=text))
    assert f"forget.yaml:{_line_of(text, 'confirm:')}: " in str(err.value) and problem in str(err.value)


def test_an_unknown_or_missing_reply_is_named(tmp_path: Path) -> None:
    text = _shipped_with("goals", "review_done:", "review_dune:")
    with pytest.raises(ReplyError, match=rf"goals\.yaml:{_line_of(text, 'review_dune')}: unknown reply 'review_dune'; "
                                         r"did you mean 'review_done'\?"):
        load_replies(_folder(tmp_path / "a", goals=text))
    text = _shipped_with("goals", 'ask_goal: "What\'s the goal?"\n', "")
    with pytest.raises(ReplyError, match=r"goals\.yaml:\d+: missing reply: ask_goal$"):
        load_replies(_folder(tmp_path / "b", goals=text))


def test_plural_forms_need_a_count_and_other(tmp_path: Path) -> None:
    text = _shipped_with("goals", 'ask_goal: "What\'s the goal?"', 'ask_goal: {one: "x", other: "y"}')
    with pytest.raises(ReplyError, match=r"'ask_goal' has no \{count\}"):
        load_replies(_folder(tmp_path / "a", goals=text))
    text = _shipped_with("goals", '  other: "You have {count} open goals."', '  few: "You have {count} open goals."')
    with pytest.raises(ReplyError, match=r"'review_count': the forms are one: and other:, not 'few'"):
        load_replies(_folder(tmp_path / "b", goals=text))


def test_an_unknown_file_in_the_folder_is_a_mistake(tmp_path: Path) -> None:
    folder = _folder(tmp_path, promise='logged: "x"\n')  # "promise", not "promises"
    with pytest.raises(ReplyError, match=r"promise\.yaml:1: not a replies file Tandem knows \(known: promises\.yaml"):
        load_replies(folder)


def test_load_file_checks_one_file(tmp_path: Path) -> None:
    assert set(load_file(SHIPPED_DIR / "summary.yaml")) == {f"summary.{k}" for k in FIELDS["summary"]}
    with pytest.raises(ReplyError, match="the replies file is missing"):
        load_file(tmp_path / "summary.yaml")


# --- saying them -----------------------------------------------------------------------


def test_say_picks_a_wording_at_random_and_fills_it_in() -> None:
    loaded = load_replies(SHIPPED_DIR)
    wordings = loaded.replies["promises.logged"].forms["other"]
    assert len(wordings) > 1
    heard = {loaded.say("promises.logged", random.Random(seed), promise="Sam will call") for seed in range(40)}
    assert heard == {w.format(promise="Sam will call") for w in wordings}
    once = [loaded.say("promises.logged", random.Random(3), promise="x") for _ in range(3)]
    assert len(set(once)) == 1  # the same seed, the same wording: deterministic


def test_say_uses_the_plural_form_and_checks_the_fields() -> None:
    loaded = load_replies(SHIPPED_DIR)
    assert loaded.say("goals.review_count", count=1) == "You have 1 open goal."
    assert loaded.say("goals.review_count", count=0) == "You have 0 open goals."
    with pytest.raises(KeyError, match="takes"):
        loaded.say("goals.review_count", number=2)
    with pytest.raises(KeyError, match="no reply"):
        loaded.say("goals.nope")


def test_a_custom_folder_rewords_one_file_and_keeps_the_rest(tmp_path: Path, store, clock, profile, settings) -> None:
    text = _shipped_with("forget", 'nothing_recent: "There\'s nothing recent to forget."',
                         'nothing_recent: "Nothing to forget, {{really}}."')
    folder = _folder(tmp_path, forget=text)
    custom = dataclasses.replace(settings, paths=PathSettings(scripts=str(folder.parent)))
    ctx, speaker, _ = make_ctx(store, clock, profile, custom)
    forget.handle_forget_last(ctx, said("forget.last"))
    assert speaker.said == ["Nothing to forget, {really}."]
    goals.handle_review(ctx, said("goal.review"))  # goals.yaml is not in the folder: the shipped one
    assert speaker.said[-1] == "You have no open goals. You can add one any time."


def test_a_scripts_folder_without_replies_uses_the_shipped_ones(tmp_path: Path) -> None:
    shutil.copytree(REPO / "scripts", tmp_path / "scripts", ignore=shutil.ignore_patterns("replies"))
    loaded = load_replies(tmp_path / "scripts" / "replies")
    assert set(loaded.keys()) == set(load_replies(SHIPPED_DIR).keys())
