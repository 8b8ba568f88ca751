"""Errors stay one line: ``--verbose`` anywhere, every config value range-checked, doctor naming the config."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path
from typing import Any

import pytest

from assistant import cli, config
from assistant.config import RULES, SECTIONS, Between, ClockTime, ConfigError, HomePaths, OneOf, load_settings


def _commands() -> list[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """(path, parser) for every subcommand, nested ones included (``model download``)."""
    found: list[tuple[tuple[str, ...], argparse.ArgumentParser]] = []

    def walk(parser: argparse.ArgumentParser, path: tuple[str, ...]) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, child in action.choices.items():
                    found.append(((*path, name), child))
                    walk(child, (*path, name))

    walk(cli.build_parser(), ())
    return found


COMMANDS = _commands()


def _required(parser: argparse.ArgumentParser) -> list[str]:
    """The fewest arguments the parser accepts: a value for each required option and positional."""
    argv: list[str] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            if action.required:  # `service` needs an action: take the first, with what it needs
                name, child = next(iter(action.choices.items()))
                argv += [name, *_required(child)]
            continue
        value = str(action.choices[0]) if action.choices else "1"
        if not action.option_strings and action.nargs != argparse.ZERO_OR_MORE and action.nargs != "?":
            argv.append(value)
        elif action.required:
            argv += [action.option_strings[0], value]
    return argv


def test_there_are_commands_to_check() -> None:
    names = {" ".join(path) for path, _ in COMMANDS}
    assert {"promises", "doctor", "run", "report", "model download", "reminders set"} <= names


@pytest.mark.parametrize("path,parser", COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_every_command_takes_verbose_before_or_after_itself(path: tuple[str, ...],
                                                            parser: argparse.ArgumentParser) -> None:
    top = cli.build_parser()
    need = _required(parser)
    assert top.parse_args([*path, *need]).verbose is False
    for argv in ([*path, *need, "--verbose"], ["--verbose", *path, *need], [*path, "-v", *need], ["-v", *path, *need]):
        assert top.parse_args(argv).verbose is True, argv


def test_verbose_after_the_command_runs_it(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["init", "--partner", "Alex", "--partner", "Sam", "--timezone", "Europe/London", "--verbose"]) == 0
    capsys.readouterr()
    assert cli.main(["promises", "--verbose"]) == 0
    out, err = capsys.readouterr()
    assert "No open promises." in out and "Traceback" not in err and "unrecognized" not in err


def test_a_usage_error_with_verbose_is_still_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["promises", "--verbose", "--bogus"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["tandem: unrecognized arguments: --bogus (see 'tandem --help')"]


# --- the config: one table of what each value may be ------------------------------------------


def test_every_setting_has_a_rule_and_every_rule_a_setting() -> None:
    settings = {f"{section}.{f.name}" for section, cls in SECTIONS.items() for f in dataclasses.fields(cls)}
    assert settings == set(RULES)


def test_the_defaults_pass_their_own_rules() -> None:
    for cls in SECTIONS.values():
        cls().validate()


def _bad_values(rule: Any, default: Any) -> list[Any]:
    if isinstance(rule, Between):
        step = 1 if isinstance(default, int) else 0.5
        return [type(default)(rule.low - step), type(default)(rule.high + step)]
    if isinstance(rule, OneOf):
        return ["loud"]
    if isinstance(rule, ClockTime):
        return ["25:00", "9pm", "21:3"]
    return []


OUT_OF_RANGE = [(key, value) for key, rule in RULES.items()
                for value in _bad_values(rule, getattr(SECTIONS[key.split(".")[0]](), key.split(".")[1]))]


def _toml(value: Any) -> str:
    return f'"{value}"' if isinstance(value, str) else repr(value)


@pytest.mark.parametrize("key,value", OUT_OF_RANGE, ids=[f"{k}={v}" for k, v in OUT_OF_RANGE])
def test_each_value_out_of_range_is_one_line_naming_file_key_value_and_range(tandem_home: Path, key: str,
                                                                             value: Any) -> None:
    section, name = key.split(".")
    tandem_home.mkdir(parents=True, exist_ok=True)
    path = tandem_home / "config.toml"
    path.write_text(f"[{section}]\n{name} = {_toml(value)}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_settings(HomePaths(tandem_home))
    message = str(err.value)
    assert "\n" not in message
    assert str(path) in message and f"{key} = {value!r}" in message
    assert RULES[key].allowed() in message


def test_values_at_the_edges_of_their_range_are_accepted(tandem_home: Path) -> None:
    tandem_home.mkdir(parents=True, exist_ok=True)
    (tandem_home / "config.toml").write_text(
        "[exercises]\ntrusttalk_minutes = 5\nmore_time_max = 0\n[voice]\nvolume = 1.0\nrate = 400\n"
        '[reminders]\nquiet_start = "23:59"\ngrace_hours = 0\n', encoding="utf-8")
    settings = load_settings(HomePaths(tandem_home))
    assert settings.exercises.trusttalk_minutes == 5 and settings.voice.volume == 1.0


def test_the_ranges_are_checked_by_say_too(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["say", "--rate", "20", "hello"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["tandem: --rate = 20 is out of range; use a number from 80 to 400 (words per minute)"]


def test_doctor_reports_a_bad_config_as_the_config_never_as_audio(tandem_home: Path, capsys: pytest.CaptureFixture[str],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    assert cli.main(["init", "--partner", "Alex", "--partner", "Sam", "--timezone", "Europe/London"]) == 0
    (tandem_home / "config.toml").write_text("[exercises]\ntrusttalk_minutes = 0\n", encoding="utf-8")
    (tandem_home / "config.toml").chmod(0o600)
    capsys.readouterr()
    from assistant.cli import doctor

    probed: list[bool] = []
    monkeypatch.setattr(doctor, "_probe_audio", lambda settings: probed.append(True) or [])
    assert cli.main(["doctor"]) == 1  # audio included: it must not run on a config it cannot read
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert "Traceback" not in out + err and err == ""
    fails = [ln for ln in lines if ln.startswith("FAIL")]
    assert len(fails) == 1 and fails[0].startswith("FAIL config: ")
    assert "exercises.trusttalk_minutes = 0" in fails[0] and "5 to 180" in fails[0]
    assert not any(ln.split()[1].rstrip(":") in ("audio", "microphone", "speaker", "intents", "voice") for ln in lines)
    assert probed == []


def test_doctor_says_the_config_is_fine(capsys: pytest.CaptureFixture[str]) -> None:
    cli.main(["doctor", "--no-audio"])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("ok   config: ")


def test_an_audio_probe_that_raises_is_one_line(capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.cli import doctor

    def broken(settings: Any) -> list[Any]:
        raise RuntimeError("portaudio exploded")

    monkeypatch.setattr(doctor, "_probe_audio", broken)
    cli.main(["doctor"])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert [ln for ln in out.splitlines()
            if " audio:" in ln] == ["FAIL audio: the audio check failed: RuntimeError: portaudio exploded"]


def test_config_module_has_no_scattered_checks() -> None:
    # the ranges live in RULES only: no section class defines its own validate()
    for cls in SECTIONS.values():
        assert cls.validate is config.Checked.validate
