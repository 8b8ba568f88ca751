"""The microphone as an ``AudioSource``: 30 ms frames of 16 kHz mono int16 from PortAudio.

A device that is missing or goes away raises ``AudioDeviceError`` (``wiring.RetryingSource`` opens a
new one with back-off).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from typing import Any

from ..conversation import InputClosed
from .devices import count_stream, one_line, pa_lock, rescan_devices, resolve_device, sounddevice
from .frames import FRAME_BYTES, FRAME_SAMPLES, SAMPLE_RATE, AudioDeviceError

log = logging.getLogger("tandem.audio")


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
        with pa_lock:
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
                    f"cannot open the microphone ({one_line(exc)}); check it is plugged in ('tandem devices') or use "
                    "'tandem run --text'"
                ) from None
            count_stream(+1)
        try:
            stream.start()
        except Exception as exc:  # noqa: BLE001
            stream.close()
            count_stream(-1)
            raise AudioDeviceError(
                f"cannot start the microphone ({one_line(exc)}); check it is plugged in ('tandem devices') or use "
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
        count_stream(-1)

    def close(self) -> None:
        self._closed = True
        self._shut_stream()
        try:
            self._queue.put_nowait(None)
        except queue.Full:
            pass
