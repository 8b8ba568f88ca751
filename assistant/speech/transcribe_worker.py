"""Better transcripts in the background: a low-priority worker process running Whisper, and the
audio it still owes kept privately on disk so nothing is lost if it dies.

The exercise never waits for it: the journal keeps the quick transcript at
once, and ``PendingTranscripts`` holds the turn's audio (0600, in a 0700
folder of the home) with where the better text must go. The worker (loaded
once, ``os.nice``, cores - 1 threads) hands texts back; the caller writes
them through the store's one write path and the audio is deleted. A worker
that dies is restarted on the next need and handed the jobs still on disk;
so is a Tandem that was stopped mid-way (``resume`` at start).
``tandem forget --all`` deletes the folder with everything else.

The process starts on first need and stops after ``idle_s`` (an hour) with
nothing to do, on the injected clock: Whisper base costs ~370 MB while loaded.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import queue
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..clock import Clock

log = logging.getLogger(__name__)

IDLE_S = 3600.0
NICE = 10  # below the dialogue, the audio reader and the voice
FOLDER = "pending-speech"


@dataclass(frozen=True)
class Job:
    id: str
    target: dict[str, Any]  # where the text goes, e.g. {"table": "gratitude", "id": "...", "field": "text"}
    quick: str  # the transcript kept meanwhile (replaced only while it is still this)
    prompt: str = ""


class PendingTranscripts:
    """The audio of unfinished transcriptions, private, until done or forgotten."""

    def __init__(self, home_root: Path) -> None:
        self.folder = home_root / FOLDER

    def add(self, pcm: bytes, target: dict[str, Any], quick: str, prompt: str = "") -> Job:
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self.folder, 0o700)
        job = Job(uuid.uuid4().hex, dict(target), quick, prompt)
        self._write(self.folder / f"{job.id}.pcm", pcm)
        meta = {"target": job.target, "quick": quick, "prompt": prompt}
        self._write(self.folder / f"{job.id}.json", json.dumps(meta).encode())  # written last: marks a whole job
        return job

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        tmp = path.with_suffix(path.suffix + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)

    def jobs(self) -> list[Job]:
        """Whole jobs on disk, oldest first."""
        if not self.folder.is_dir():
            return []
        found = []
        for meta in sorted(self.folder.glob("*.json"), key=lambda p: (p.stat().st_mtime, p.name)):
            if not (self.folder / f"{meta.stem}.pcm").is_file():
                continue
            try:
                data = json.loads(meta.read_text())
            except (OSError, ValueError):
                continue
            found.append(Job(meta.stem, dict(data.get("target", {})), str(data.get("quick", "")), str(data.get("prompt", ""))))
        return found

    def audio(self, job_id: str) -> bytes:
        return (self.folder / f"{job_id}.pcm").read_bytes()

    def done(self, job_id: str) -> None:
        for suffix in (".json", ".pcm"):
            (self.folder / f"{job_id}{suffix}").unlink(missing_ok=True)

    def forget_all(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


# -- the worker process ---------------------------------------------------------------------------


def _serve(model: str, threads: int, jobs: Any, results: Any) -> None:  # pragma: no cover - runs in the child
    try:
        os.nice(NICE)
    except OSError:
        pass
    from .whisper_engine import WhisperTranscriber

    try:
        transcriber = WhisperTranscriber(model, threads)
    except Exception as exc:  # noqa: BLE001 - reported to the parent as one line
        results.put(("!error", f"{type(exc).__name__}: {exc}"))
        return
    results.put(("!ready", ""))
    while True:
        item = jobs.get()
        if item is None:
            return
        job_id, path, prompt = item
        try:
            with open(path, "rb") as f:
                text = transcriber.transcribe(f.read(), prompt)
        except FileNotFoundError:  # forgotten meanwhile
            continue
        except Exception as exc:  # noqa: BLE001 - one bad job must not stop the others
            results.put(("!failed", f"{job_id} {type(exc).__name__}"))
            continue
        results.put((job_id, text))


Apply = Callable[[Job, str], None]
NOW = "now-"  # a transcription someone is waiting for: not a job to resume (no description is written)


class TranscriptionUnavailable(RuntimeError):
    """The worker cannot transcribe (the model does not load, or it died mid-way)."""


class TranscriptionWorker:
    """Parent side: start on first need, hand jobs over, collect texts, stop when idle."""

    def __init__(self, model: Path, pending: PendingTranscripts, apply: Apply, clock: Clock,
                 idle_s: float = IDLE_S, threads: int | None = None) -> None:
        from .whisper_engine import cpu_threads

        self.model = model
        self.pending = pending
        self.apply = apply
        self.clock = clock
        self.idle_s = idle_s
        self.threads = threads or cpu_threads()
        self._ctx = multiprocessing.get_context("spawn")  # no fork of a process holding audio threads
        self._proc: Any = None
        self._jobs: Any = None
        self._results: Any = None
        self._sent: set[str] = set()
        self._last_busy = clock.monotonic()
        self.broken = ""  # why the model does not load: asked again only after a restart of Tandem

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.is_alive()

    def submit(self, pcm: bytes, target: dict[str, Any], quick: str, prompt: str = "") -> Job:
        """Keep the audio on disk first (nothing is lost), then hand it over."""
        job = self.pending.add(pcm, target, quick, prompt)
        self._send(job)
        return job

    def transcribe_now(self, pcm: bytes, prompt: str = "", timeout_s: float = 120.0) -> str:
        """Transcribe ``pcm`` through the worker and wait for it (a promise's words, read back at once).

        Texts of background jobs that arrive meanwhile are applied as usual.
        Raises ``TranscriptionUnavailable`` when the worker cannot do it.
        """
        import time

        if self.broken:
            raise TranscriptionUnavailable(self.broken)
        job_id = f"{NOW}{uuid.uuid4().hex}"
        self.pending.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = self.pending.folder / f"{job_id}.pcm"
        PendingTranscripts._write(path, pcm)
        try:
            if not self.running:
                self._reset()
                self._start()
                self.resume()
            self._jobs.put((job_id, str(path), prompt))
            end = time.monotonic() + timeout_s  # a bound on a hung worker, not a clock of the couple's
            while time.monotonic() < end:
                try:
                    got, text = self._results.get(timeout=0.5)
                except queue.Empty:
                    if not self.running:
                        raise TranscriptionUnavailable("the transcription worker stopped") from None
                    continue
                if got == job_id:
                    self._last_busy = self.clock.monotonic()
                    return text
                if got == "!error":
                    self.stop()
                    self.broken = text
                    raise TranscriptionUnavailable(text)
                if got == "!failed" and text.startswith(job_id):
                    raise TranscriptionUnavailable("the transcription failed")
                if not got.startswith("!"):
                    self._finish(got, text)
            self.stop()  # hung: the next need starts a fresh one
            raise TranscriptionUnavailable(f"no transcript within {timeout_s:.0f} s")
        finally:
            path.unlink(missing_ok=True)

    def resume(self) -> int:
        """Hand over whatever is on disk and not yet sent (after a restart, or a dead worker)."""
        waiting = [j for j in self.pending.jobs() if j.id not in self._sent]
        for job in waiting:
            self._send(job)
        return len(waiting)

    def poll(self, wait_s: float = 0.0) -> int:
        """Apply the texts that are ready; returns how many. Restarts a worker that died with work owed."""
        applied = 0
        if self._results is not None:
            while True:
                try:
                    job_id, text = self._results.get(timeout=wait_s) if wait_s and not applied else self._results.get_nowait()
                except (queue.Empty, EOFError, OSError):
                    break
                if job_id.startswith("!"):
                    if job_id == "!error":
                        log.warning("the transcription worker cannot start (%s); quick transcripts are kept", text)
                        self.stop()
                        self.broken = text
                        return applied
                    continue
                applied += self._finish(job_id, text)
        if self._sent and not self.running:
            log.warning("the transcription worker stopped with %d job(s) owed; starting it again", len(self._sent))
            self._reset()
            self.resume()
        if self._sent:
            self._last_busy = self.clock.monotonic()
        return applied

    def idle_check(self) -> bool:
        """Stop the process after ``idle_s`` with nothing to do; True if it was stopped."""
        if self.running and not self._sent and self.clock.monotonic() - self._last_busy >= self.idle_s:
            self.stop()
            return True
        return False

    def close(self) -> None:
        """At the end of ``tandem run``: the jobs not done stay on disk for the next start."""
        self.stop()

    def stop(self) -> None:
        if self._proc is not None:
            try:
                self._jobs.put(None)
            except (OSError, ValueError):
                pass
            self._proc.join(timeout=5)
            if self._proc.is_alive():
                self._proc.kill()
                self._proc.join(timeout=5)
        self._reset()

    # -- internals --------------------------------------------------------

    def _start(self) -> None:
        self._jobs, self._results = self._ctx.Queue(), self._ctx.Queue()
        self._proc = self._ctx.Process(target=_serve, args=(str(self.model), self.threads, self._jobs, self._results),
                                       name="tandem-transcriber", daemon=True)
        self._proc.start()

    def _reset(self) -> None:
        self._proc = self._jobs = self._results = None
        self._sent.clear()

    def _send(self, job: Job) -> None:
        if self.broken:
            return  # kept on disk: a later start (a reinstalled model) does it
        if not self.running:
            self._reset()
            self._start()
            for other in self.pending.jobs():  # anything on disk goes first, in order
                if other.id != job.id:
                    self._put(other)
        self._put(job)
        self._last_busy = self.clock.monotonic()

    def _put(self, job: Job) -> None:
        if job.id in self._sent:
            return
        self._sent.add(job.id)
        self._jobs.put((job.id, str(self.pending.folder / f"{job.id}.pcm"), job.prompt))

    def _finish(self, job_id: str, text: str) -> int:
        self._sent.discard(job_id)
        job = next((j for j in self.pending.jobs() if j.id == job_id), None)
        if job is None:  # forgotten meanwhile
            return 0
        try:
            if text.strip():
                self.apply(job, text)
        except Exception as exc:  # noqa: BLE001 - keep the audio: the next start tries again
            log.warning("a better transcript could not be stored (%s); kept for the next start", type(exc).__name__)
            return 0
        self.pending.done(job_id)
        self._last_busy = self.clock.monotonic()
        return 1


class WorkerTranscriber:
    """``WhisperTranscriber``'s interface through the worker: the model is loaded once, in the worker
    process, and its memory goes back after a quiet hour."""

    def __init__(self, worker: TranscriptionWorker) -> None:
        self.worker = worker
        self.folder = worker.model

    def transcribe(self, pcm: bytes, prompt: str = "") -> str:
        return self.worker.transcribe_now(pcm, prompt)
