"""Sound in and out through sounddevice (PortAudio), behind small interfaces.

* ``MicSource`` (``mic.py``) -- the microphone as an ``AudioSource``: 30 ms frames of
  16 kHz mono int16. The PortAudio callback only enqueues (bounded queue,
  overflows counted and logged by the reader); a device that is missing or
  goes away raises ``AudioDeviceError`` (``wiring.RetryingSource`` opens a
  new one with back-off).
* ``WavSource`` (``wavsource.py``) -- WAV files replayed as if they were the microphone.
* ``list_devices()`` / ``resolve_device()`` / ``rescan_devices()`` (``devices.py``) -- what PortAudio
  can see; sounddevice is imported lazily there.
* ``play_samples()`` (``playback.py``) -- blocking playback that another thread can cut short.

This module gathers them for the callers that want the whole of sound in and out.
"""

from __future__ import annotations

from .devices import (
    DeviceInfo,
    SpeakerCannotOpen,
    SpeakerUnavailable,
    list_devices,
    rescan_devices,
    resolve_device,
    sounddevice,
)
from .frames import AudioDeviceError
from .mic import MicSource
from .playback import PlaybackResult, play_samples
from .wavsource import WavSource, load_pcm16

__all__ = ["AudioDeviceError", "DeviceInfo", "MicSource", "PlaybackResult", "SpeakerCannotOpen", "SpeakerUnavailable",
           "WavSource", "list_devices", "load_pcm16", "play_samples", "rescan_devices", "resolve_device", "sounddevice"]
