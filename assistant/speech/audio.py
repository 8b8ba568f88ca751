"""Sound in and out through sounddevice (PortAudio), behind small interfaces.

* ``MicSource`` -- the microphone as an ``AudioSource``: 30 ms frames of
  16 kHz mono int16. The PortAudio callback only enqueues (bounded queue,
  overflows counted and logged by the reader); a device that is missing or
  goes away raises ``AudioDeviceError`` (``wiring.RetryingSource`` opens a
  new one with back-off).
* ``WavSource`` -- WAV files replayed as if they were the microphone.
* ``list_devices()`` / ``resolve_device()`` -- what PortAudio can see.
* ``play_samples()`` -- blocking playback that another thread can cut short.

sounddevice is imported lazily: PortAudio scans the devices when it is
imported, so the caller must have set up the environment (``PULSE_SERVER``
in the virtual home) first, and a machine without libportaudio2 still runs
``tandem --help`` and the text mode.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

import numpy as np

from ..conversation import InputClosed
from ..errors import TandemError
from .frames import FRAME_BYTES, FRAME_S, FRAME_SAMPLES, SAMPLE_RATE, AudioDeviceError

log = logging.getLogger("tandem.audio")



class SpeakerUnavailable(TandemError):
    """No output device, or it went away mid-reply; the loop logs the kind and carries on."""


class SpeakerCannotOpen(SpeakerUnavailable):
    """The output device is not there (before any sound was played): worth a device rescan."""


# PortAudio's device list is read once, at initialisation. A USB microphone or
# speaker plugged in (or a sound server started) later is only seen after a
# re-initialisation, which closes every open stream. So opening a stream,
# listing devices and rescanning all take this lock, and a rescan happens only
# while no stream is open (counted here).
_pa_lock = threading.RLock()
_open_streams = 0


def _count_stream(delta: int) -> None:
    global _open_streams
    with _pa_lock:
        _open_streams += delta


def rescan_devices() -> bool:
    """Re-read PortAudio's device list; False (nothing done) while any stream is open."""
    sd = sounddevice()
    with _pa_lock:
        if _open_streams:
            return False
        try:
            sd._terminate()  # noqa: SLF001 - sounddevice's own re-initialisation pair
            sd._initialize()  # noqa: SLF001
        except Exception as exc:  # noqa: BLE001 - a failed rescan leaves the old list; the caller reports
            log.debug("device rescan failed: %s", _one_line(exc))
            return False
    log.info("audio devices rescanned")
    return True


def sounddevice() -> ModuleType:
    """Import sounddevice on first use; a missing PortAudio is a one-line error."""
    _quiet_alsa()
    try:
        import sounddevice as sd
    except OSError:  # sounddevice raises OSError when libportaudio is absent
        raise AudioDeviceError("the PortAudio library is missing: sudo apt-get install libportaudio2") from None
    return sd


_alsa_handler: Any = None  # kept referenced: alsa-lib calls it for as long as the process lives


def _quiet_alsa() -> None:
    """Stop alsa-lib printing to stderr ("underrun occurred", "Unable to connect" ...).

    Those lines bypass logging and would fill a service's journal on every
    reply; every failure they describe reaches us anyway as a PortAudio error,
    which becomes one readable line. Debug logging keeps them.
    """
    global _alsa_handler
    if _alsa_handler is not None or log.isEnabledFor(logging.DEBUG):
        return
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("asound")
    if not name:
        return
    try:
        lib = ctypes.CDLL(name)
        proto = ctypes.CFUNCTYPE(None, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p)
        _alsa_handler = proto(lambda *args: None)
        lib.snd_lib_error_set_handler(_alsa_handler)
    except (OSError, AttributeError):
        _alsa_handler = False  # not ALSA (or an odd build): leave it be


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


# --- devices ------------------------------------------------------------------


@dataclass(frozen=True)
class DeviceInfo:
    index: int
    name: str
    hostapi: str
    max_input_channels: int
    max_output_channels: int
    default_samplerate: float
    is_default_input: bool
    is_default_output: bool


def list_devices() -> list[DeviceInfo]:
    """Every device PortAudio sees (inputs and outputs), marking the system defaults."""
    sd = sounddevice()
    with _pa_lock:
        try:
            devices = sd.query_devices()
            hostapis = sd.query_hostapis()
        except Exception as exc:  # noqa: BLE001 - PortAudio errors vary by host API
            raise AudioDeviceError(f"cannot list audio devices ({_one_line(exc)})") from None
        default_in, default_out = _default_indices(sd)
    out: list[DeviceInfo] = []
    for index, dev in enumerate(devices):
        out.append(
            DeviceInfo(
                index=index,
                name=str(dev["name"]),
                hostapi=str(hostapis[dev["hostapi"]]["name"]),
                max_input_channels=int(dev["max_input_channels"]),
                max_output_channels=int(dev["max_output_channels"]),
                default_samplerate=float(dev["default_samplerate"]),
                is_default_input=index == default_in,
                is_default_output=index == default_out,
            )
        )
    return out


def _default_indices(sd: ModuleType) -> tuple[int, int]:
    try:
        pair = sd.default.device
        return int(pair[0]), int(pair[1])
    except Exception:  # noqa: BLE001 - no default device is reported as -1 or an error
        return -1, -1


def resolve_device(setting: str | int | None, kind: Literal["input", "output"]) -> int | None:
    """A config value ("", an index, or part of a name) → a PortAudio index; None = the default.

    Raises ``AudioDeviceError`` (input) or ``SpeakerUnavailable`` (output) when
    nothing matches, naming what was looked for.
    """
    error = AudioDeviceError if kind == "input" else SpeakerCannotOpen
    if setting is None or setting == "":
        devices = list_devices()
        if not any(d.is_default_input if kind == "input" else d.is_default_output for d in devices):
            what = "microphone" if kind == "input" else "speaker"
            hint = " (or use 'tandem run --text')" if kind == "input" else ""
            raise error(f"no default {what} found; plug one in and check 'tandem devices'{hint}")
        return None
    devices = [d for d in list_devices() if (d.max_input_channels if kind == "input" else d.max_output_channels) > 0]
    if isinstance(setting, int) or str(setting).strip().isdigit():
        index = int(setting)
        if any(d.index == index for d in devices):
            return index
        raise error(f"there is no {kind} device number {index}; see 'tandem devices'")
    wanted = str(setting).strip().lower()
    for d in devices:
        if d.name.lower() == wanted:
            return d.index
    matches = [d for d in devices if wanted in d.name.lower()]
    if matches:
        return matches[0].index
    raise error(f"no {kind} device matches {setting!r}; see 'tandem devices' and fix "
                f"{'speech.input_device' if kind == 'input' else 'voice.output_device'}")


# --- the microphone ---------------------------------------------------------------


class MicSource:
    """The microphone as an ``AudioSource`` (one reader thread calls ``read``).

    ``queue_frames`` bounds the backlog (200 frames = 6 s): if the reader falls
    behind, the newest frames are dropped and counted rather than blocking
    PortAudio's thread. ``stall_s``: a live microphone (even a silent one)
    delivers a frame every 30 ms, so no frame for that long means the device
    is gone even when PortAudio does not say so.
    """

    def __init__(
        self,
        device: str | int | None = None,
        queue_frames: int = 200,
        *,
        stall_s: float = 3.0,
        start: bool = True,
    ) -> None:
        self.device = device
        self.stall_s = stall_s
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=queue_frames)
        self._stats_lock = threading.Lock()  # overflow counters: written by the callback, read by the reader
        self._dropped = 0
        self._xruns = 0
        self._stream: Any = None
        self._gone = threading.Event()  # set by PortAudio's finished callback
        self._closed = False
        # reader-owned (only the thread calling read() touches these)
        self._pending = bytearray()
        self._last_frame = time.monotonic()
        self._logged_dropped = 0
        self._next_log = 0.0
        if start:
            self.open()

    # PortAudio's thread: enqueue and count, nothing else.
    def _callback(self, indata: Any, frames: int, time_info: Any, status: Any) -> None:
        if status.input_overflow:
            with self._stats_lock:
                self._xruns += 1
        try:
            self._queue.put_nowait(bytes(indata))
        except queue.Full:
            with self._stats_lock:
                self._dropped += 1

    def _finished(self, gone: threading.Event) -> None:
        # Called by PortAudio when the stream stops, including when the device
        # errors out. Each stream has its own event, so an old stream's late
        # callback never marks a newer one as gone.
        gone.set()
        try:
            self._queue.put_nowait(None)  # wake a waiting reader at once
        except queue.Full:
            pass  # the reader will find the queue empty soon and see _gone

    def open(self) -> None:
        """Open and start the input stream; ``AudioDeviceError`` if there is no usable microphone.

        A failure is retried once after a device rescan (a microphone plugged
        in since start-up), when no other stream is open.
        """
        try:
            self._open_once()
        except AudioDeviceError:
            if not rescan_devices():
                raise
            self._open_once()

    def _open_once(self) -> None:
        sd = sounddevice()
        index = resolve_device(self.device, "input")
        gone = threading.Event()
        self._gone = gone
        with _pa_lock:
            try:
                stream = sd.RawInputStream(
                    samplerate=SAMPLE_RATE,
                    channels=1,
                    dtype="int16",
                    blocksize=FRAME_SAMPLES,
                    device=index,
                    callback=self._callback,
                    finished_callback=lambda: self._finished(gone),
                )
            except Exception as exc:  # noqa: BLE001 - PortAudioError and ValueError (bad device) alike
                raise AudioDeviceError(
                    f"cannot open the microphone ({_one_line(exc)}); check it is plugged in ('tandem devices') or use "
                    "'tandem run --text'"
                ) from None
            _count_stream(+1)
        try:
            stream.start()
        except Exception as exc:  # noqa: BLE001
            stream.close()
            _count_stream(-1)
            raise AudioDeviceError(
                f"cannot start the microphone ({_one_line(exc)}); check it is plugged in ('tandem devices') or use "
                "'tandem run --text'"
            ) from None
        self._stream = stream
        self._closed = False
        self._pending.clear()
        self._last_frame = time.monotonic()
        log.info("microphone open (device %s)", "default" if index is None else index)

    def read(self, timeout: float) -> bytes | None:
        if self._closed:
            raise InputClosed("the microphone was closed")
        deadline = time.monotonic() + max(0.0, timeout)
        while True:
            if len(self._pending) >= FRAME_BYTES:
                frame = bytes(self._pending[:FRAME_BYTES])
                del self._pending[:FRAME_BYTES]
                return frame
            remaining = deadline - time.monotonic()
            # Wait at most until the stall limit, so a dead device is noticed
            # even while the caller waits a long time.
            wait = max(0.0, min(remaining, self._last_frame + self.stall_s - time.monotonic()))
            try:
                item = self._queue.get(timeout=wait) if wait > 0 else self._queue.get_nowait()
            except queue.Empty:
                item = None
                self._check_alive()
                if time.monotonic() >= deadline:
                    return None
                continue
            if item is None:  # the finished-callback's wake-up
                self._check_alive()
                continue
            self._last_frame = time.monotonic()
            self._maybe_log_overflow()
            if len(item) == FRAME_BYTES and not self._pending:
                return item
            self._pending.extend(item)  # PortAudio handed an odd block size: re-chunk

    def _check_alive(self) -> None:
        if self._closed:
            raise InputClosed("the microphone was closed")
        if self._gone.is_set():
            raise AudioDeviceError("the microphone went away (its stream stopped); check the cable or USB port")
        if time.monotonic() - self._last_frame >= self.stall_s:
            raise AudioDeviceError(f"the microphone delivered no sound for {self.stall_s:.0f} s; check the cable or "
                                   "USB port")

    def _maybe_log_overflow(self) -> None:
        now = time.monotonic()
        if now < self._next_log:
            return
        self._next_log = now + 10.0  # at most one line every 10 s
        dropped, xruns = self.overflows()
        if dropped > self._logged_dropped:
            log.warning("microphone: %d frames dropped so far (the listener fell behind); %d device overruns", dropped,
                        xruns)
            self._logged_dropped = dropped

    def overflows(self) -> tuple[int, int]:
        """(frames dropped because the queue was full, overruns PortAudio reported)."""
        with self._stats_lock:
            return self._dropped, self._xruns

    def drain(self) -> None:
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is None:  # keep the device-gone wake-up for the reader
                self._queue.put_nowait(None)
                break
        self._pending.clear()

    def _shut_stream(self) -> None:
        stream, self._stream = self._stream, None
        if stream is None:
            return
        try:
            # abort(), not stop(): stop() waits for buffers and was seen to hang
            # on a source that delivers nothing.
            stream.abort()
        except Exception:  # noqa: BLE001 - a dead device may fail to abort; closing is what matters
            pass
        try:
            stream.close()
        except Exception:  # noqa: BLE001
            pass
        _count_stream(-1)

    def close(self) -> None:
        self._closed = True
        self._shut_stream()
        try:
            self._queue.put_nowait(None)
        except queue.Full:
            pass


# --- WAV files as the microphone ------------------------------------------------------


def load_pcm16(path: str | Path) -> bytes:
    """A WAV file of any rate/channels/width as 16 kHz mono int16 bytes."""
    from .wavfile import read_wav

    pcm, _info = read_wav(path)
    return pcm


class WavSource:
    """WAV files replayed in order as if they were the microphone, then ``InputClosed``.

    ``realtime=True`` paces frames at 30 ms each (as a microphone would, so
    timers and the echo gate behave as in life); otherwise frames come as
    fast as they are read. ``gap_s`` of silence is put between files and
    ``tail_s`` after the last one: a real room is never cut off right at the
    end of a word, and the endpointer needs trailing silence to decide.
    """

    def __init__(
        self,
        paths: Sequence[str | Path],
        *,
        realtime: bool = False,
        gap_s: float = 0.5,
        tail_s: float = 1.0,
        lead_s: float = 0.0,
    ) -> None:
        if not paths:
            raise TandemError("no WAV files given")
        silence = lambda s: b"\x00\x00" * int(round(s * SAMPLE_RATE))  # noqa: E731
        parts: list[bytes] = [silence(lead_s)]
        for i, path in enumerate(paths):
            if i:
                parts.append(silence(gap_s))
            parts.append(load_pcm16(path))
        parts.append(silence(tail_s))
        pcm = b"".join(parts)
        pcm += b"\x00" * (-len(pcm) % FRAME_BYTES)
        self._pcm = pcm
        self.frames_total = len(pcm) // FRAME_BYTES
        self.realtime = realtime
        self._closed = threading.Event()  # close() may come from another thread
        # reader-owned
        self._index = 0
        self._t0: float | None = None

    @property
    def position_s(self) -> float:
        """Seconds of audio handed out so far (reader thread)."""
        return self._index * FRAME_S

    def read(self, timeout: float) -> bytes | None:
        if self._closed.is_set() or self._index >= self.frames_total:
            raise InputClosed("the WAV input is used up")
        if self.realtime:
            now = time.monotonic()
            if self._t0 is None:
                self._t0 = now
            due = self._t0 + self._index * FRAME_S
            if due - now > timeout:
                self._closed.wait(max(0.0, timeout))  # a bounded wait that close() can cut short
                return None
            if due > now:
                self._closed.wait(due - now)
            if self._closed.is_set():
                raise InputClosed("the WAV input was closed")
        start = self._index * FRAME_BYTES
        self._index += 1
        return self._pcm[start : start + FRAME_BYTES]

    def drain(self) -> None:
        # A microphone drops what was buffered; in real time that is every
        # frame already due. Unpaced, nothing is ever buffered.
        if self.realtime and self._t0 is not None:
            due_index = int((time.monotonic() - self._t0) / FRAME_S)
            self._index = max(self._index, min(due_index, self.frames_total))

    def close(self) -> None:
        self._closed.set()


# --- playback ------------------------------------------------------------------------------


@dataclass
class PlaybackResult:
    completed: bool  # False: cut short by should_stop()
    started_at: float | None  # time.monotonic() of the first callback (≈ first sample out)
    seconds: float  # audio length


def play_samples(
    samples: np.ndarray,
    rate: int,
    *,
    device: int | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    gain: float = 1.0,
    slack_s: float = 3.0,
    blocksize: int = 0,
) -> PlaybackResult:
    """Play mono int16/float samples; return when they have finished (or were stopped).

    The callback checks ``should_stop()`` every block (~20-45 ms) and aborts
    the stream, so a stop takes effect within one block. The wait is bounded
    by the audio length + ``slack_s``; a device that stops calling back is
    ``SpeakerUnavailable``.
    """
    sd = sounddevice()
    audio = samples.astype(np.float32)
    if samples.dtype == np.int16:
        audio /= 32768.0
    audio = np.clip(audio * float(gain), -1.0, 1.0)
    seconds = audio.size / rate
    done = threading.Event()
    state: dict[str, Any] = {"pos": 0, "started": None, "stopped": False}  # owned by the callback until done

    def callback(outdata: Any, frames: int, time_info: Any, status: Any) -> None:
        if state["started"] is None:
            state["started"] = time.monotonic()
        if should_stop():
            state["stopped"] = True
            outdata.fill(0)
            raise sd.CallbackAbort
        pos = state["pos"]
        chunk = audio[pos : pos + frames]
        n = chunk.size
        outdata[:n, 0] = chunk
        if n < frames:
            outdata[n:, 0] = 0.0
        state["pos"] = pos + n
        if n < frames:
            raise sd.CallbackStop  # PortAudio plays what is buffered, then calls finished

    stream = _open_output(sd, device, rate, callback, done.set, blocksize)
    if stream is None:  # the device refused this rate: resample to what it takes
        from .wavfile import resample

        with _pa_lock:
            native = int(sd.query_devices(device if device is not None else sd.default.device[1])["default_samplerate"])
        audio = resample(audio.astype(np.float64), rate, native).astype(np.float32)
        rate = native
        stream = _open_output(sd, device, rate, callback, done.set, blocksize, last_try=True)
    try:
        stream.start()
        if not done.wait(seconds + slack_s):
            raise SpeakerUnavailable("the speaker stopped playing mid-reply (device gone?); check 'tandem devices'")
        if not state["stopped"] and state["pos"] < audio.size:
            # The stream ended by itself before the audio did: the device went
            # away (PortAudio finishes a stream whose device errors out).
            raise SpeakerUnavailable("the speaker went away mid-reply; check 'tandem devices'")
        if not state["stopped"]:
            # PortAudio reports "finished" once the last block is handed to the
            # device, one output latency before it is heard (measured: 1.95 s
            # for 2.0 s of audio). Wait that out so say() ends with the sound.
            time.sleep(float(stream.latency))
    except SpeakerUnavailable:
        raise
    except Exception as exc:  # noqa: BLE001 - PortAudioError on start: nothing was played yet
        raise SpeakerCannotOpen(f"cannot play on the speaker ({_one_line(exc)}); check 'tandem devices'") from None
    finally:
        try:
            stream.abort()  # already finished in the normal case; abort never waits
            stream.close()
        except Exception:  # noqa: BLE001
            pass
        _count_stream(-1)
    # done.wait() returned: the callback will not run again, its state is ours.
    return PlaybackResult(completed=not state["stopped"], started_at=state["started"], seconds=seconds)


def _open_output(sd: ModuleType, device: int | None, rate: int, callback: Any, finished: Callable[[], None],
                 blocksize: int, last_try: bool = False) -> Any:
    """An output stream (counted as open), None if the device refuses ``rate``."""
    with _pa_lock:
        stream = _new_output(sd, device, rate, callback, finished, blocksize, last_try)
        if stream is not None:
            _count_stream(+1)
        return stream


def _new_output(sd: ModuleType, device: int | None, rate: int, callback: Any, finished: Callable[[], None],
                blocksize: int, last_try: bool) -> Any:
    try:
        return sd.OutputStream(
            samplerate=rate,
            channels=1,
            dtype="float32",
            device=device,
            # ~23 ms blocks with PortAudio's "high" latency: a stop takes effect
            # within a block, and no underruns through PulseAudio's ALSA plugin
            # (20 ms blocks with "low" latency underran constantly and played
            # 2 s of audio in 0.3 s).
            blocksize=blocksize or max(256, int(rate * 0.0232)),
            latency="high",
            callback=callback,
            finished_callback=finished,
        )
    except Exception as exc:  # noqa: BLE001
        if not last_try and "sample rate" in str(exc).lower():
            return None
        raise SpeakerCannotOpen(f"cannot open the speaker ({_one_line(exc)}); "
                                "check it is plugged in ('tandem devices')") from None
