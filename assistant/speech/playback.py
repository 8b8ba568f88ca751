"""Blocking playback through PortAudio that another thread can cut short."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

from .devices import SpeakerCannotOpen, SpeakerUnavailable, count_stream, one_line, pa_lock, sounddevice

log = logging.getLogger("tandem.audio")


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

        with pa_lock:
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
        raise SpeakerCannotOpen(f"cannot play on the speaker ({one_line(exc)}); check 'tandem devices'") from None
    finally:
        try:
            stream.abort()  # already finished in the normal case; abort never waits
            stream.close()
        except Exception:  # noqa: BLE001
            pass
        count_stream(-1)
    # done.wait() returned: the callback will not run again, its state is ours.
    return PlaybackResult(completed=not state["stopped"], started_at=state["started"], seconds=seconds)


def _open_output(sd: ModuleType, device: int | None, rate: int, callback: Any, finished: Callable[[], None],
                 blocksize: int, last_try: bool = False) -> Any:
    """An output stream (counted as open), None if the device refuses ``rate``."""
    with pa_lock:
        stream = _new_output(sd, device, rate, callback, finished, blocksize, last_try)
        if stream is not None:
            count_stream(+1)
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
        raise SpeakerCannotOpen(f"cannot open the speaker ({one_line(exc)}); "
                                "check it is plugged in ('tandem devices')") from None
