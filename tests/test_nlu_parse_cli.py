"""``tandem parse``: one utterance, or JSON lines in order, with or without a profile."""

from __future__ import annotations

import io
import json
import sys

import pytest

from assistant.cli import main


def run(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, args: list[str], stdin: str = ""
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_parse_one_utterance_with_the_profile_names(capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    assert run(capsys, monkeypatch, ["init", "--partner", "Alex", "--partner", "Sam", "--timezone", "UTC"])[0] == 0
    code, out, _ = run(capsys, monkeypatch, ["parse", "log a promise that sam will call the plumber by friday"])
    assert code == 0
    assert json.loads(out) == {
        "text": "log a promise that sam will call the plumber by friday", "context": "idle", "intent": "promise.log",
        "slots": {"partner": "Sam", "text": "call the plumber", "due": "by friday"}, "score": 1.0,
    }


def test_parse_without_a_profile_gives_no_partner_slot(capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run(capsys, monkeypatch, ["parse", "Sam promised to book the restaurant"])
    assert code == 0 and json.loads(out)["slots"] == {"text": "book the restaurant"}
    code, out, _ = run(capsys, monkeypatch, ["parse", "I'm done", "--context", "ritual"])
    assert json.loads(out)["intent"] == "turn.done"


def test_parse_jsonl_keeps_order_and_reads_contexts(capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    lines = [
        json.dumps({"text": "yes", "context": "confirm", "intent": "ignored"}),
        "what's the weather",
        json.dumps({"text": "I'm done"}),
        "",
        "{not json",
        json.dumps({"text": "hi", "context": "garden"}),
    ]
    code, out, _ = run(capsys, monkeypatch, ["parse", "--jsonl"], "\n".join(lines) + "\n")
    results = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(results) == 5
    assert (results[0]["intent"], results[0]["context"]) == ("confirm.yes", "confirm")
    assert results[1]["intent"] is None and results[1]["context"] == "idle"
    assert results[2]["intent"] is None  # no context given: idle, where "I'm done" means nothing
    assert "not valid JSON" in results[3]["error"] and "unknown context" in results[4]["error"]
    _, out, _ = run(capsys, monkeypatch, ["parse", "--jsonl", "--context", "ritual"], lines[2] + "\n")
    assert json.loads(out)["intent"] == "turn.done"


def test_parse_hears_the_catalogues_layering_unless_told_otherwise(capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A yes/no question inside an exercise also hears stop; idle also hears resume (intent-catalogue.md)."""
    code, out, _ = run(capsys, monkeypatch, ["parse", "let's stop the exercise", "--context", "confirm"])
    assert code == 0 and json.loads(out)["intent"] == "ritual.stop"
    _, out, _ = run(
        capsys, monkeypatch, ["parse", "let's stop the exercise", "--context", "confirm", "--outside-exercise"]
    )
    assert json.loads(out)["intent"] is None
    _, out, _ = run(capsys, monkeypatch, ["parse", "let's continue our trust talk"])
    assert json.loads(out)["intent"] == "ritual.resume"
    _, out, _ = run(capsys, monkeypatch, ["parse", "let's continue our trust talk", "--nothing-paused"])
    assert json.loads(out)["intent"] != "ritual.resume"
    lines = [json.dumps({"text": "pause for a second", "context": "name"}),
             json.dumps({"text": "pause for a second", "context": "name", "in_exercise": False})]
    _, out, _ = run(capsys, monkeypatch, ["parse", "--jsonl"], "\n".join(lines) + "\n")
    assert [json.loads(line)["intent"] for line in out.splitlines()] == ["ritual.pause", None]


def test_parse_needs_text_or_jsonl(capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    code, _, err = run(capsys, monkeypatch, ["parse"])
    assert code == 1 and err.startswith("tandem: give either TEXT or --jsonl")


def test_a_broken_intent_file_is_one_line(capsys, monkeypatch, tmp_path, tandem_home) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "bad.yaml").write_text("intents:\n  x.y:\n    context: idle\n    templates:\n      - \"(a | \"\n")
    tandem_home.mkdir(parents=True, exist_ok=True)
    (tandem_home / "config.toml").write_text(f'[paths]\nintents = "{tmp_path}"\n')
    code, out, err = run(capsys, monkeypatch, ["parse", "hello"])
    assert code == 1 and out == ""
    assert err.startswith("tandem: bad.yaml:5: missing ')'") and len(err.strip().splitlines()) == 1
