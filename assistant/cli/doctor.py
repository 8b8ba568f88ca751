"""``tandem doctor``: everything a person could get wrong, one line each, with what to do.

Each check is a small function returning ``Finding``s; a check that fails in
an unexpected way becomes one FAIL line naming the check, never a traceback.
Exit code 1 when anything is FAIL (warnings alone keep 0).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import shutil
import stat
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..clock import RealClock, local_zone, zone_name
from ..config import ConfigError
from ..errors import TandemError
from ..runtime import health

OK, WARN, FAIL = "ok", "warn", "FAIL"
MIC_SECONDS = 0.6  # a short listen: long enough to hear a room, short enough to be polite
DEVICE_TIMEOUT_S = 6.0  # PortAudio can hang on a broken audio server: never wait longer
MODEL_TIMEOUT_S = 60.0  # a large Vosk model on a Pi can take this long to load


@dataclass(frozen=True)
class Finding:
    status: str
    what: str
    detail: str

    def line(self) -> str:
        return f"{self.status:<4} {self.what}: {self.detail}"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("doctor", help="check the microphone, speaker, speech engine, store and settings")
    p.add_argument("--no-audio", action="store_true", help="skip the microphone and speaker checks")
    p.set_defaults(func=cmd_doctor)


# Checks that read config.toml: with a bad config they are not run (one "config" line says why),
# so its problem is never reported as the audio's or the speech engine's.
NEEDS_CONFIG = {"check_intents", "check_scripts", "check_speech", "check_wake", "check_audio", "check_tts"}


def cmd_doctor(args: argparse.Namespace, app: Any) -> int:
    checks: list[Callable[[Any], list[Finding]]] = [
        check_config, check_store, check_home, check_profile, check_clock, check_intents, check_scripts, check_speech,
        check_wake,
    ]
    if not args.no_audio:
        checks += [check_audio]
    checks += [check_tts, check_service]
    worst = OK
    config_ok = True
    for check in checks:
        if check.__name__ in NEEDS_CONFIG and not config_ok:
            continue
        try:
            findings = check(app)
        except TandemError as exc:
            findings = [Finding(FAIL, check.__name__.removeprefix("check_"), str(exc))]
        except Exception as exc:  # noqa: BLE001 - a doctor that crashes helps nobody
            findings = [Finding(FAIL, check.__name__.removeprefix("check_"),
                                f"the check itself failed: {type(exc).__name__}: {exc}")]
        if check is check_config:
            config_ok = findings[0].status == OK
        for finding in findings:
            print(finding.line(), flush=True)
            if finding.status == FAIL:
                worst = FAIL
    return 1 if worst == FAIL else 0


# --- the settings, the home folder and the store ---------------------------------------------------------


def check_config(app: Any) -> list[Finding]:
    path = app.home.config_file
    try:
        app.settings  # noqa: B018 - loading is the check: every value is range-checked
    except ConfigError as exc:
        return [Finding(FAIL, "config", f"{exc} (the speech, voice and audio checks wait until it loads)")]
    return [Finding(OK, "config", f"{path} loads" if path.exists() else f"no {path.name}: all defaults")]


def check_home(app: Any) -> list[Finding]:
    root = app.home.root
    if not root.exists():
        return [Finding(WARN, "home folder", f"{root} does not exist yet; 'tandem init' creates it")]
    loose: list[str] = []
    for folder, dirs, files in os.walk(root):
        for name in (*dirs, *files):
            path = os.path.join(folder, name)
            if stat.S_IMODE(os.lstat(path).st_mode) & 0o077:
                loose.append(path)
    if stat.S_IMODE(os.stat(root).st_mode) & 0o077:
        loose.insert(0, str(root))
    if loose:
        return [Finding(FAIL, "home folder",
                        f"{len(loose)} item(s) readable by others, e.g. {loose[0]}; run: chmod -R go-rwx {root}")]
    if not os.access(root, os.W_OK):
        return [Finding(FAIL, "home folder", f"{root} is not writable; check the disk and its permissions")]
    free = shutil.disk_usage(root).free
    if free < 50 * 1024 * 1024:
        return [Finding(WARN, "home folder",
                        f"{root}: only {free // (1024 * 1024)} MB free; free some space so Tandem can save")]
    return [Finding(OK, "home folder", f"{root} (private to its owner, {free // (1024 * 1024)} MB free)")]


def check_store(app: Any) -> list[Finding]:
    store = app.store  # opening it also recovers a damaged file from the newest backup
    found: list[Finding] = []
    health_ = store.health
    if health_.problems:
        outcome = ("restored from " + health_.recovered_from.name if health_.recovered_from
                   else "no backup could restore it")
        found.append(Finding(WARN, "store",
                             f"{store.path} was damaged at this start ({health_.problems[0]}); {outcome}"))
    recovery = store.meta("recovery")
    if isinstance(recovery, dict):
        restored = recovery.get("restored")
        found.append(Finding(WARN, "store", f"the database was damaged on {recovery.get('at', '?')} and "
                             + (f"restored from backup {restored}" if restored else "started empty (no good backup)")
                             + f"; the damaged copy is {recovery.get('corrupt_copy', '?')} (delete it once you are "
                               "happy)"))
    if not found:
        found.append(Finding(OK, "store", f"{store.path} opens and reads"))
    found.append(_health(health.check_backups(store, _clock(app).now().date()), WARN))
    return found


def check_profile(app: Any) -> list[Finding]:
    profile = app.profile(required=False)
    if profile is None:
        return [Finding(FAIL, "profile", "none yet; run 'tandem init --partner NAME --partner NAME'")]
    found = [Finding(OK, "profile",
                     f"{profile.partners[0]} & {profile.partners[1]}, wake phrase \"{profile.wake_phrase}\"")]
    zone = _health(health.check_timezone(profile.timezone), FAIL)
    system = zone_name(local_zone())
    if zone.status == OK and system != profile.timezone:
        zone = Finding(OK, zone.what, f"{zone.detail} (the system says {system}; reminders follow {profile.timezone})")
    return found + [zone]


def check_clock(app: Any) -> list[Finding]:
    return [_health(health.check_clock(app.store, _clock(app)), WARN)]


def _clock(app: Any) -> Any:
    """The couple's clock, as every command gets it (``App.clock``), so tests pin the instant in one place."""
    try:
        return app.clock()
    except Exception:  # noqa: BLE001 - an unknown zone is reported by the profile check
        return RealClock(None)


def _health(check: tuple[bool, str], bad: str) -> Finding:
    """A ``health`` check's ``(ok, "what: detail")`` as a line of ours."""
    ok, line = check
    what, _, detail = line.partition(": ")
    return Finding(OK if ok else bad, what, detail)


def check_intents(app: Any) -> list[Finding]:
    return [_load_check("intents", "assistant.nlu", "load_intents", app.settings.paths.intents_dir,
                        "the intent matcher")]


def check_scripts(app: Any) -> list[Finding]:
    return [_load_check("scripts", "assistant.exercises", "load_scripts", app.settings.paths.scripts_dir,
                        "the exercise engine")]


def _load_check(what: str, module: str, function: str, folder: Any, part: str) -> Finding:
    """Load a YAML folder as ``tandem run`` would; a broken file is reported with its file:line."""
    try:
        loaded = getattr(importlib.import_module(module), function)(folder)
    except (ImportError, AttributeError) as exc:
        return Finding(FAIL, what, f"{part} is missing or incomplete ({exc}); reinstall Tandem")
    except TandemError as exc:
        return Finding(FAIL, what, str(exc))
    return Finding(OK, what, f"{folder} loads ({_count(loaded)})")


def _count(things: Any) -> str:
    for attr in ("intents", "scripts"):
        inner = getattr(things, attr, None)
        if inner is not None:
            things = inner
    try:
        return f"{len(things)} found"
    except TypeError:
        return "ok"


def check_speech(app: Any) -> list[Finding]:
    """Which engine ``tandem run`` would use, and whether it really loads (a half-copied model does not)."""
    try:
        engines = importlib.import_module("assistant.speech.engines")
    except ImportError as exc:
        return [Finding(FAIL, "speech engine", f"not installed ({exc}); reinstall Tandem")]
    try:
        choice = engines.choose_engine(app.settings.speech, app.home)
    except TandemError as exc:
        return [Finding(FAIL, "speech engine", str(exc))]
    loaded: list[Any] = []

    def load() -> None:
        try:
            loaded.append(engines.make_recognizer(app.settings.speech, app.home))
        except Exception as exc:  # noqa: BLE001 - reported below as one line
            loaded.append(exc)

    worker = threading.Thread(target=load, daemon=True)
    worker.start()
    worker.join(MODEL_TIMEOUT_S)
    if not loaded:
        return [Finding(WARN, "speech engine",
                        f"{choice.describe()}; it did not load within {MODEL_TIMEOUT_S:.0f} s (a slow SD card?)")]
    result = loaded[0]
    if isinstance(result, Exception):
        return [Finding(FAIL, "speech engine", f"{choice.describe()}; it fails to load ({result}); "
                        "run 'tandem model download' again, or set [speech] engine = \"pocketsphinx\"")]
    commands = getattr(result, "commands", result)  # with Whisper: the grammar recogniser inside
    if getattr(commands, "name", choice.engine) != choice.engine:
        return [Finding(WARN, "speech engine",
                        f"the Vosk model {choice.model} failed to load, so PocketSphinx is used; "
                        "run 'tandem model download' to reinstall it")] + check_dictation(app, result)
    return [Finding(OK, "speech engine", choice.describe())] + check_dictation(app, result)


def check_dictation(app: Any, loaded: Any) -> list[Finding]:
    """Which engine hears free speech, and the RAM Whisper needs beside the rest."""
    from ..speech.engines import choose_dictation
    from ..speech.whisper_models import ram_mb

    try:
        choice = choose_dictation(app.settings.speech, app.home)
    except TandemError as exc:
        return [Finding(FAIL, "free speech", str(exc))]
    if choice.engine != "whisper" or choice.model is None:
        return [Finding(OK, "free speech", choice.describe())]
    need = ram_mb(choice.model)
    if getattr(loaded, "name", "") != "whisper":
        return [Finding(WARN, "free speech", f"{choice.describe()}, but it failed to load; reinstall it with "
                        f"'tandem model download {choice.model.name}' (free speech falls back to the command engine)")]
    free = _available_mb()
    text = f"{choice.describe()}; needs ~{need} MB of RAM while transcribing"
    if free is not None and free < need:
        return [Finding(WARN, "free speech",
                        f"{text}, only {free} MB is free; close other programs or use whisper-tiny")]
    return [Finding(OK, "free speech", text + (f" ({free} MB free)" if free is not None else ""))]


def _available_mb() -> int | None:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) // 1024
    except OSError:
        return None
    return None


def check_wake(app: Any) -> list[Finding]:
    """Which wake detector ``tandem run`` would use, with which model, and that it loads."""
    from ..profile import DEFAULT_WAKE_PHRASE
    from ..speech.wake import make_wake_detector

    profile = app.profile(required=False)
    phrase = profile.wake_phrase if profile else DEFAULT_WAKE_PHRASE
    speech = app.settings.speech
    try:
        detector = make_wake_detector(phrase, speech.wake_sensitivity, speech.wake_detector, [app.home.wake_models])
    except TandemError as exc:
        return [Finding(FAIL, "wake", str(exc))]
    threshold = getattr(detector, "threshold", None)
    quiet = getattr(detector, "listen_threshold", None)
    at = f", threshold {threshold:.4f}" if isinstance(threshold, float) else ""
    at += f", quiet wakes from {quiet:.4f}" if isinstance(quiet, float) else ""
    said = (f"\"{phrase}\" by {detector.kind} ({detector.model_name}{at}, "
            f"wake_sensitivity {speech.wake_sensitivity})")
    if detector.kind == "pocketsphinx" and speech.wake_detector == "auto":  # no head for this phrase yet
        return [Finding(WARN, "wake", f"{said}; no trained head yet: train one with 'tandem wake train'")]
    return [Finding(OK, "wake", said)]


def check_tts(app: Any) -> list[Finding]:
    if importlib.util.find_spec("pyttsx3") is None:
        return [Finding(FAIL, "voice", "pyttsx3 is not installed; run: pip install pyttsx3")]
    import ctypes.util

    if not (shutil.which("espeak-ng") or ctypes.util.find_library("espeak-ng") or ctypes.util.find_library("espeak")):
        return [Finding(FAIL, "voice", "no speech synthesiser; install it: sudo apt install espeak-ng libespeak-ng1")]
    v = app.settings.voice
    return [Finding(OK, "voice", f"pyttsx3 with espeak-ng (rate {v.rate} words/min, volume {v.volume:.2f})")]


def check_service(app: Any) -> list[Finding]:
    try:
        service = importlib.import_module("assistant.runtime.service")
    except ImportError:
        return []
    return [_health(health.check_service(service.plan(app.home.root)), WARN)]


# --- microphone and speaker (in a thread: PortAudio may hang on a broken audio server) --------


def check_audio(app: Any) -> list[Finding]:
    settings = app.settings  # read here, not in the thread: a config error is the config's, not the audio's
    result: list[list[Finding]] = []

    def probe() -> None:
        try:
            result.append(_probe_audio(settings))
        except Exception as exc:  # noqa: BLE001 - one line, never a thread's traceback
            result.append([Finding(FAIL, "audio", f"the audio check failed: {type(exc).__name__}: {exc}")])

    worker = threading.Thread(target=probe, daemon=True)
    worker.start()
    worker.join(DEVICE_TIMEOUT_S)
    if not result:
        return [Finding(FAIL, "audio", f"the sound system did not answer within {DEVICE_TIMEOUT_S:.0f} s; "
                        "restart the audio server (or the device) and try again")]
    return result[0]


def _probe_audio(settings: Any) -> list[Finding]:
    try:
        import sounddevice as sd
    except (ImportError, OSError) as exc:
        return [Finding(FAIL, "audio", f"PortAudio is missing ({exc}); install it: sudo apt install libportaudio2")]
    try:
        devices = list(sd.query_devices())
    except Exception as exc:  # noqa: BLE001 - PortAudio raises its own error types
        return [Finding(FAIL, "audio", f"cannot list sound devices ({exc})")]
    return [_microphone(sd, devices, settings.speech.input_device), _speaker(sd, devices, settings.voice.output_device)]


def _pick(sd: Any, devices: list[dict[str, Any]], wanted: str, kind: str) -> dict[str, Any] | None:
    channels = "max_input_channels" if kind == "input" else "max_output_channels"
    usable = [d for d in devices if d.get(channels, 0) > 0]
    if wanted:
        for d in usable:
            if wanted == str(d.get("index")) or wanted.lower() in str(d.get("name", "")).lower():
                return d
        return None
    try:
        return dict(sd.query_devices(kind=kind))
    except Exception:  # noqa: BLE001 - no default device
        return usable[0] if usable else None


def _missing(what: str, setting: str, wanted: str, fix: str) -> Finding:
    """The failure for a device not found: the configured one (``setting``), or any at all."""
    hint = f"the configured {setting} {wanted!r} is not there; " if wanted else f"no {what} found; "
    return Finding(FAIL, what, hint + fix)


def _microphone(sd: Any, devices: list[dict[str, Any]], wanted: str) -> Finding:
    device = _pick(sd, devices, wanted, "input")
    if device is None:
        return _missing("microphone", "speech.input_device", wanted,
                        "plug in a USB microphone and check 'tandem devices' (or use 'tandem run --text')")
    import numpy as np

    frames: list[Any] = []
    done = threading.Event()
    needed = int(16000 * MIC_SECONDS)

    def callback(indata: Any, count: int, when: Any, status: Any) -> None:
        frames.append(indata.copy())
        if sum(len(f) for f in frames) >= needed:
            done.set()

    try:
        stream = sd.InputStream(samplerate=16000, channels=1, dtype="int16", device=device.get("index"),
                                callback=callback)
        stream.start()
        done.wait(MIC_SECONDS + 2.0)
        stream.abort()  # abort, not stop: stop() can hang on a source that delivers nothing
        stream.close()
    except Exception as exc:  # noqa: BLE001
        return Finding(FAIL, "microphone",
                       f"{device.get('name')} would not open ({exc}); check the cable and 'tandem devices'")
    if not frames:
        return Finding(FAIL, "microphone",
                       f"{device.get('name')} delivered no sound at all; unplug and re-plug it, or pick another in "
                       "config.toml [speech] input_device")
    samples = np.concatenate(frames).astype(np.float64)
    level = float(np.sqrt(np.mean(samples * samples))) if samples.size else 0.0
    if level < 1.0:
        return Finding(WARN, "microphone",
                       f"{device.get('name')} hears pure silence; is it muted? check its switch and 'alsamixer'")
    return Finding(OK, "microphone", f"{device.get('name')} hears sound (level {level:.0f})")


def _speaker(sd: Any, devices: list[dict[str, Any]], wanted: str) -> Finding:
    device = _pick(sd, devices, wanted, "output")
    if device is None:
        return _missing("speaker", "voice.output_device", wanted,
                        "plug in a speaker and check 'tandem devices', then try 'tandem say hello'")
    return Finding(OK, "speaker", f"{device.get('name')} (try 'tandem say hello' to hear it)")

