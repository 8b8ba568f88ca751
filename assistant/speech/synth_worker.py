"""pyttsx3 synthesis in a child process, and the parent's handle on it.

Why a child process: pyttsx3 is known to hang on Linux and the Raspberry Pi
(its issues #126, #131, #262; ``engine.stop()`` was seen to hang here too), a
hung thread cannot be killed, and ``pyttsx3.init()`` hands back a cached
engine, so a fresh engine needs a fresh process. The child only synthesises
(``save_to_file`` into a private temp file, then waits for the
``finished-utterance`` callback); playback is the parent's job, through
sounddevice, so that ``say()`` can block exactly as long as the audio and be
cut short.

Protocol (``multiprocessing.connection.Connection`` framing over two pipes):
the child first sends ``{"ready": true}`` or ``{"error": "..."}``; then for
each request ``{"id", "text", "rate", "voice"}`` it answers a JSON header
``{"id", "ok", "rate", "error"?}`` followed, when ok, by the int16 samples.
The child's stdout and stderr go to /dev/null: pyttsx3 prints "Audio saved
to ..." on stdout, which must never reach ``tandem run --events jsonl``.

Run as ``python -m assistant.speech.synth_worker --req FD --rep FD --tmp DIR``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import wave
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import TandemError
from .audio import SpeakerUnavailable

log = logging.getLogger("tandem.voice")

INSTALL_HINT = "install it with 'sudo apt-get install espeak-ng libespeak-ng1' and 'pip install pyttsx3'"


class TtsUnavailable(TandemError):
    """The text-to-speech backend (pyttsx3 + libespeak-ng) cannot start."""


class SynthesisFailed(SpeakerUnavailable):
    """A sentence could not be synthesised even after restarting the worker.

    A kind of ``SpeakerUnavailable`` so the loop handles both alike: log the
    kind (never the words) and carry on.
    """


# --- the child -------------------------------------------------------------------


def main(argv: Sequence[str] | None = None, *, hang_on: str | None = None) -> int:
    """The worker process. ``hang_on`` is a test hook: a request containing it sleeps forever."""
    parser = argparse.ArgumentParser(prog="synth_worker")
    parser.add_argument("--req", type=int, required=True)
    parser.add_argument("--rep", type=int, required=True)
    parser.add_argument("--tmp", required=True)
    parser.add_argument("--voice", default="")
    parser.add_argument("--rate", type=int, default=165)
    args = parser.parse_args(argv)
    os.umask(0o077)  # the temp WAV holds the couple's words read back: owner-only
    # Belt and braces: even if the parent forgot, nothing we print reaches its stdout.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the process
    req = Connection(args.req, readable=True, writable=False)
    rep = Connection(args.rep, readable=False, writable=True)
    tmp = Path(args.tmp)
    try:
        import pyttsx3

        engine = pyttsx3.init()
        # Set on the driver directly, before the first utterance: measured with
        # pyttsx3 2.99 + espeak-ng 1.51, engine.setProperty() goes through a
        # queue that swallows errors (an unknown voice passed silently), and
        # a rate set after the first synthesis is ignored. So each worker has
        # one voice and one rate; a change restarts the worker (~0.3 s).
        driver = getattr(getattr(engine, "proxy", None), "_driver", None)
        setter = driver.setProperty if driver is not None and hasattr(driver, "setProperty") else engine.setProperty
        setter("rate", int(args.rate))
        if args.voice:
            setter("voice", args.voice)
    except ImportError as exc:
        rep.send_bytes(json.dumps({"error": f"pyttsx3 is not installed ({exc})"}).encode())
        return 3
    except Exception as exc:  # noqa: BLE001 - espeak load errors come as OSError/RuntimeError/ValueError
        rep.send_bytes(json.dumps({"error": f"{type(exc).__name__}: {exc}"}).encode())
        return 3
    finished = threading.Event()
    engine.connect("finished-utterance", lambda name=None, completed=True: finished.set())
    rep.send_bytes(json.dumps({"ready": True}).encode())
    counter = 0
    while True:
        try:
            request = json.loads(req.recv_bytes())
        except (EOFError, OSError):
            return 0  # the parent went away or closed the pipe: done
        counter += 1
        path = tmp / f"utt-{os.getpid()}-{counter}.wav"
        header: dict[str, Any] = {"id": request.get("id")}
        try:
            if hang_on and hang_on in request["text"]:
                threading.Event().wait()  # the test's hung engine
            finished.clear()
            engine.save_to_file(request["text"], str(path))
            engine.runAndWait()
            # runAndWait() can return before the file is complete (first
            # call after init): the utterance is done when the callback says so.
            if not finished.wait(float(request.get("limit", 10.0))):
                raise RuntimeError("no finished-utterance callback")
            with wave.open(str(path), "rb") as wav:
                rate = wav.getframerate()
                pcm = wav.readframes(wav.getnframes())
            path.unlink()  # before answering: the couple's words do not outlive the request
            header.update(ok=True, rate=rate, channels=1)
            rep.send_bytes(json.dumps(header).encode())
            rep.send_bytes(pcm)
        except Exception as exc:  # noqa: BLE001 - reported to the parent, which decides
            header.update(ok=False, error=f"{type(exc).__name__}: {exc}")
            rep.send_bytes(json.dumps(header).encode())
        finally:
            try:
                path.unlink(missing_ok=True)
            except OSError:
                pass


# --- the parent's handle ------------------------------------------------------------


@dataclass
class Synthesis:
    samples: np.ndarray  # int16 mono
    rate: int
    seconds: float  # how long synthesis took (wall clock)


class SynthWorker:
    """One child process owning one pyttsx3 engine; restarted when it hangs or dies.

    Not thread-safe by itself: ``Voice`` calls it under its own lock.
    ``argv`` replaces the command that starts the child (tests inject a
    worker that hangs); the pipe and folder options are appended to it.
    """

    def __init__(
        self,
        tmp_root: Path | None = None,
        *,
        voice: str = "",
        rate: int = 165,
        start_timeout: float = 20.0,
        base_limit_s: float = 3.0,
        per_char_s: float = 0.01,
        argv: Sequence[str] | None = None,
    ) -> None:
        self.tmp_root = Path(tmp_root) if tmp_root else Path(tempfile.gettempdir())
        self.voice = voice
        self.rate = rate
        self.start_timeout = start_timeout
        self.base_limit_s = base_limit_s
        self.per_char_s = per_char_s
        self.argv = list(argv) if argv else [sys.executable, "-m", "assistant.speech.synth_worker"]
        self.restarts = 0
        self._proc: subprocess.Popen[bytes] | None = None
        self._req: Connection | None = None
        self._rep: Connection | None = None
        self._tmp: Path | None = None
        self._next_id = 0

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def limit_for(self, text: str) -> float:
        """The time limit for one sentence: proportional to its length (synthesis is ~1 ms/word here)."""
        return self.base_limit_s + self.per_char_s * len(text)

    def start(self) -> None:
        """Start the child and wait (bounded) until its engine is ready; ``TtsUnavailable`` if it cannot."""
        self.stop()
        self.tmp_root.mkdir(parents=True, exist_ok=True)
        self._tmp = Path(tempfile.mkdtemp(prefix="synth-", dir=self.tmp_root))  # 0700 by mkdtemp
        req_r, req_w = os.pipe()
        rep_r, rep_w = os.pipe()
        argv = self.argv + ["--req", str(req_r), "--rep", str(rep_w), "--tmp", str(self._tmp), "--rate", str(self.rate)]
        if self.voice:
            argv += ["--voice", self.voice]
        try:
            self._proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,  # pyttsx3's prints stay out of our stdout
                stderr=subprocess.DEVNULL,
                pass_fds=(req_r, rep_w),
                close_fds=True,
                start_new_session=True,  # a Ctrl-C in the terminal is the parent's to handle
                cwd=str(Path(__file__).resolve().parents[2]),  # so "-m assistant..." resolves
            )
        except OSError as exc:
            for fd in (req_r, req_w, rep_r, rep_w):
                os.close(fd)
            raise TtsUnavailable(f"cannot start the speech synthesiser ({exc.strerror}); {INSTALL_HINT}") from None
        os.close(req_r)
        os.close(rep_w)
        self._req = Connection(req_w, readable=False, writable=True)
        self._rep = Connection(rep_r, readable=True, writable=False)
        hello = self._receive(self.start_timeout)
        if hello is None:
            self.stop()
            raise TtsUnavailable(f"the speech synthesiser did not start within {self.start_timeout:.0f} s; "
                                 f"{INSTALL_HINT}")
        message = json.loads(hello)
        if not message.get("ready"):
            self.stop()
            error = str(message.get("error", "unknown error"))
            if self.voice and "voice" in error.lower():
                raise TtsUnavailable(f"the voice {self.voice!r} is not available ({error}); list voices with "
                                     "'espeak-ng --voices'")
            raise TtsUnavailable(f"text-to-speech is not available ({error}); {INSTALL_HINT}")
        log.debug("synthesis worker %s ready", self._proc.pid if self._proc else "?")

    def _receive(self, timeout: float) -> bytes | None:
        """One message from the child within ``timeout``, or None (hung, or dead)."""
        assert self._rep is not None
        try:
            if not self._rep.poll(max(0.0, timeout)):
                return None
            return self._rep.recv_bytes()
        except (EOFError, OSError):
            return None

    def synthesize(self, text: str, rate: int) -> Synthesis:
        """Samples for ``text``; a hung or dead worker is killed and restarted once."""
        if rate != self.rate:  # a worker speaks at one rate (see main): start one at the new rate
            self.rate = rate
            self.stop()
        for attempt in (1, 2):
            if self._proc is None or self._proc.poll() is not None:
                self.start()
            started = time.monotonic()
            result = self._request(text, rate)
            if result is not None:
                samples, sample_rate = result
                return Synthesis(samples=samples, rate=sample_rate, seconds=time.monotonic() - started)
            log.warning("speech synthesiser hung or failed (attempt %d, %d chars); restarting it", attempt, len(text))
            self.restarts += 1
            self.stop()
        raise SynthesisFailed("the speech synthesiser failed twice on one sentence; see 'tandem doctor'")

    def _request(self, text: str, rate: int) -> tuple[np.ndarray, int] | None:
        assert self._req is not None
        self._next_id += 1
        limit = self.limit_for(text)
        try:
            self._req.send_bytes(json.dumps({"id": self._next_id, "text": text, "rate": rate, "limit": limit}).encode())
        except (OSError, ValueError):
            return None
        deadline = time.monotonic() + limit
        while True:
            raw = self._receive(deadline - time.monotonic())
            if raw is None:
                return None
            header = json.loads(raw)
            if header.get("id") != self._next_id:
                continue  # a late answer to an earlier, abandoned request
            if not header.get("ok"):
                log.warning("speech synthesis failed: %s", header.get("error"))
                return None
            pcm = self._receive(deadline - time.monotonic())
            if pcm is None:
                return None
            return np.frombuffer(pcm, dtype="<i2").copy(), int(header.get("rate", 22050))

    def stop(self) -> None:
        """Kill the child (it may be hung: no polite request) and remove its temp folder."""
        proc, self._proc = self._proc, None
        for conn in (self._req, self._rep):
            if conn is not None:
                try:
                    conn.close()
                except OSError:
                    pass
        self._req = self._rep = None
        if proc is not None and proc.poll() is None:
            proc.kill()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                log.error("speech synthesiser %d did not die after SIGKILL", proc.pid)
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None


if __name__ == "__main__":  # pragma: no cover - the child's entry point
    sys.exit(main())
