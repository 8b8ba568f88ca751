"""PortAudio through sounddevice: loading it, the device list, and the count of open streams.

sounddevice is imported lazily: PortAudio scans the devices when it is imported, so the caller must
have set up the environment (``PULSE_SERVER`` in the virtual home) first, and a machine without
libportaudio2 still runs ``tandem --help`` and the text mode.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Literal

from ..errors import TandemError
from .frames import AudioDeviceError

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
pa_lock = threading.RLock()
_open_streams = 0


def count_stream(delta: int) -> None:
    global _open_streams
    with pa_lock:
        _open_streams += delta


def rescan_devices() -> bool:
    """Re-read PortAudio's device list; False (nothing done) while any stream is open."""
    sd = sounddevice()
    with pa_lock:
        if _open_streams:
            return False
        try:
            sd._terminate()  # noqa: SLF001 - sounddevice's own re-initialisation pair
            sd._initialize()  # noqa: SLF001
        except Exception as exc:  # noqa: BLE001 - a failed rescan leaves the old list; the caller reports
            log.debug("device rescan failed: %s", one_line(exc))
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


def one_line(exc: BaseException) -> str:
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
    with pa_lock:
        try:
            devices = sd.query_devices()
            hostapis = sd.query_hostapis()
        except Exception as exc:  # noqa: BLE001 - PortAudio errors vary by host API
            raise AudioDeviceError(f"cannot list audio devices ({one_line(exc)})") from None
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
