"""Tandem's home folder and its settings.

Everything Tandem keeps lives under one folder (``$TANDEM_HOME``, else the
platform's per-user data folder). Device and behaviour settings live in
``config.toml`` there, a file a person can edit; each section maps onto one
frozen dataclass so that subsystems receive only their own settings.
The couple's profile (names, wake phrase, time zone) is *data*, kept in the
store with the rest of their history, so ``tandem forget --all`` removes it.

Nothing below ``cli.py`` reads the environment or this file: the CLI builds a
``Settings`` once and hands the parts down.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, get_args, get_origin, get_type_hints

import platformdirs

from .errors import TandemError

REPO_ROOT = Path(__file__).resolve().parent.parent
CONFIG_NAME = "config.toml"


class ConfigError(TandemError):
    """A one-line, user-facing problem with the home folder or config file."""


@dataclass(frozen=True)
class HomePaths:
    root: Path

    @property
    def config_file(self) -> Path:
        return self.root / CONFIG_NAME

    @property
    def db_file(self) -> Path:
        return self.root / "tandem.json"

    @property
    def backups(self) -> Path:
        return self.root / "backups"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def models(self) -> Path:
        return self.root / "models"

    @property
    def wake_models(self) -> Path:
        """Wake heads ``tandem wake train`` built for the couple's own phrase."""
        return self.models / "wake"

    @property
    def tmp(self) -> Path:
        return self.root / "tmp"

    def ensure(self) -> None:
        """Create the folder tree, private to its owner."""
        for folder in (self.root, self.backups, self.logs, self.models, self.tmp):
            folder.mkdir(parents=True, exist_ok=True)
            os.chmod(folder, 0o700)


def home_root(environ: dict[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    if env.get("TANDEM_HOME"):
        return Path(env["TANDEM_HOME"]).expanduser().resolve()
    return Path(platformdirs.user_data_dir("tandem", appauthor=False))


# --- what each value may be: one table, checked at load ----------------------

# The wake detectors speech/wake.py builds (named here, where settings are checked, so loading them needs no audio
# libraries; wake.py takes its list from here).
WAKE_DETECTORS = ("auto", "openwakeword", "openwakeword+check", "openwakeword+quiet", "pocketsphinx")


@dataclass(frozen=True)
class Between:
    """A number from ``low`` to ``high`` inclusive."""

    low: float
    high: float
    unit: str = ""

    def fits(self, value: Any) -> bool:
        return self.low <= value <= self.high

    def allowed(self) -> str:
        return f"a number from {self.low} to {self.high}" + (f" ({self.unit})" if self.unit else "")


@dataclass(frozen=True)
class OneOf:
    choices: tuple[str, ...]

    def fits(self, value: Any) -> bool:
        return value in self.choices

    def allowed(self) -> str:
        return "one of " + ", ".join(self.choices)


@dataclass(frozen=True)
class ClockTime:
    """A time of day written HH:MM."""

    def fits(self, value: Any) -> bool:
        hh, sep, mm = str(value).partition(":")
        return bool(sep) and hh.isdigit() and mm.isdigit() and len(mm) == 2 and int(hh) < 24 and int(mm) < 60

    def allowed(self) -> str:
        return "a time like 21:30"


@dataclass(frozen=True)
class Anything:
    """Free text or a switch: its type is checked, any value of it is fine."""

    def fits(self, value: Any) -> bool:
        return True

    def allowed(self) -> str:
        return "any value"


Rule = Between | OneOf | ClockTime | Anything

# "section.key" -> what it may be. Every setting has a line here (a test checks it).
RULES: dict[str, Rule] = {
    "voice.voice": Anything(),
    "voice.rate": Between(80, 400, "words per minute"),
    "voice.volume": Between(0.0, 1.0),
    "voice.output_device": Anything(),
    "voice.chime": Anything(),
    "speech.engine": OneOf(("auto", "vosk", "pocketsphinx", "whisper")),
    "speech.vosk_model": Anything(),
    "speech.input_device": Anything(),
    "speech.wake_sensitivity": Between(0.0, 1.0, "0 strict, 1 eager"),
    "speech.wake_detector": OneOf(WAKE_DETECTORS),
    "reminders.quiet_start": ClockTime(),
    "reminders.quiet_end": ClockTime(),
    "reminders.snooze_minutes": Between(1, 24 * 60, "minutes"),
    "reminders.max_reoffers": Between(0, 5),
    "reminders.grace_hours": Between(0, 48, "hours"),
    "reminders.heads_up_days": Between(0, 14, "days; 0 = no heads-up"),
    "exercises.trusttalk_minutes": Between(5, 180, "minutes"),
    "exercises.more_time_max": Between(0, 5, "extensions a turn may get"),
    "exercises.pause_limit_minutes": Between(1, 7 * 24 * 60, "minutes"),
    "exercises.break_minutes": Between(1, 120, "minutes"),
    "paths.intents": Anything(),
    "paths.scripts": Anything(),
}


class Checked:
    """``validate()`` from ``RULES``: ValueError(key, value, allowed) for the first value out of range."""

    SECTION = ""

    def validate(self) -> None:
        for f in fields(self):  # type: ignore[arg-type]
            rule = RULES[f"{self.SECTION}.{f.name}"]
            value = getattr(self, f.name)
            if not rule.fits(value):
                raise ValueError(f.name, value, rule.allowed())


def out_of_range(key: str, value: Any, allowed: str) -> str:
    """The one-line message for a value outside its rule (``key`` as the person wrote it)."""
    return f"{key} = {value!r} is out of range; use {allowed}"


# --- settings, one frozen dataclass per subsystem ---------------------------


@dataclass(frozen=True)
class VoiceSettings(Checked):
    """How Tandem speaks."""

    SECTION = "voice"
    voice: str = ""  # a pyttsx3/espeak-ng voice id or name; "" = the default voice
    rate: int = 165  # words per minute
    volume: float = 0.8  # 0.0 .. 1.0
    output_device: str = ""  # a sounddevice name or index; "" = the system default
    chime: bool = True  # a soft "I'm listening" sound after the wake phrase


@dataclass(frozen=True)
class SpeechSettings(Checked):
    """How Tandem hears."""

    SECTION = "speech"
    engine: str = "auto"  # auto | vosk | pocketsphinx | whisper (whisper: Whisper must dictate)
    vosk_model: str = ""  # a folder; "" = the newest model installed under the home folder
    input_device: str = ""
    wake_sensitivity: float = 0.5  # 0 = strict .. 1 = eager
    wake_detector: str = "auto"  # one of WAKE_DETECTORS


@dataclass(frozen=True)
class ReminderSettings(Checked):
    SECTION = "reminders"
    quiet_start: str = "21:30"
    quiet_end: str = "08:00"
    snooze_minutes: int = 60
    max_reoffers: int = 2
    grace_hours: float = 12.0
    heads_up_days: int = 0  # 2 = a heads-up two days before the trust talk; 0 = off


@dataclass(frozen=True)
class ExerciseSettings(Checked):
    SECTION = "exercises"
    trusttalk_minutes: int = 30
    more_time_max: int = 2
    pause_limit_minutes: int = 24 * 60  # a paused exercise can be resumed within a day
    break_minutes: int = 20  # the quiet break a "pause" offers before Tandem checks back once


@dataclass(frozen=True)
class PathSettings(Checked):
    SECTION = "paths"
    intents: str = ""  # "" = the intents/ folder shipped with Tandem
    scripts: str = ""  # "" = the scripts/ folder shipped with Tandem

    @property
    def intents_dir(self) -> Path:
        return Path(self.intents).expanduser() if self.intents else REPO_ROOT / "intents"

    @property
    def scripts_dir(self) -> Path:
        return Path(self.scripts).expanduser() if self.scripts else REPO_ROOT / "scripts"


SECTIONS: dict[str, type] = {
    "voice": VoiceSettings,
    "speech": SpeechSettings,
    "reminders": ReminderSettings,
    "exercises": ExerciseSettings,
    "paths": PathSettings,
}


@dataclass(frozen=True)
class Settings:
    home: HomePaths
    voice: VoiceSettings = field(default_factory=VoiceSettings)
    speech: SpeechSettings = field(default_factory=SpeechSettings)
    reminders: ReminderSettings = field(default_factory=ReminderSettings)
    exercises: ExerciseSettings = field(default_factory=ExerciseSettings)
    paths: PathSettings = field(default_factory=PathSettings)
    # where each effective value came from: "section.key" -> "default" | path of config.toml
    sources: dict[str, str] = field(default_factory=dict, compare=False)


def load_settings(home: HomePaths) -> Settings:
    """Read ``config.toml`` (if any) into frozen settings; ConfigError on any bad value."""
    path = home.config_file
    raw: dict[str, Any] = {}
    if path.exists():
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: {exc}; fix the file or delete it to use the defaults") from None
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read it ({exc.strerror})") from None
    sources: dict[str, str] = {}
    parts: dict[str, Any] = {}
    for key in raw:
        if key not in SECTIONS:
            raise ConfigError(f"{path}: unknown section [{key}]; known: {', '.join(SECTIONS)}")
    for name, cls in SECTIONS.items():
        section = raw.get(name, {})
        if not isinstance(section, dict):
            raise ConfigError(f"{path}: {name} must be a [section]")
        parts[name] = _build_section(path, name, cls, section, sources)
    return Settings(home=home, sources=sources, **parts)


def _build_section(path: Path, name: str, cls: type, values: dict[str, Any], sources: dict[str, str]) -> Any:
    hints = get_type_hints(cls)
    known = {f.name for f in fields(cls)}
    for key in values:
        if key not in known:
            raise ConfigError(f"{path}: unknown key {name}.{key}; known: {', '.join(sorted(known))}")
    kwargs: dict[str, Any] = {}
    for f in fields(cls):
        if f.name in values:
            kwargs[f.name] = _coerce(path, f"{name}.{f.name}", hints[f.name], values[f.name])
            sources[f"{name}.{f.name}"] = str(path)
        else:
            sources[f"{name}.{f.name}"] = "default"
    obj = cls(**kwargs)
    try:
        obj.validate()
    except ValueError as exc:
        key, value, allowed = exc.args
        raise ConfigError(f"{path}: {out_of_range(f'{name}.{key}', value, allowed)}; fix it or remove the line "
                          "to use the default") from None
    return obj


def _coerce(path: Path, key: str, hint: Any, value: Any) -> Any:
    origin = get_origin(hint)
    if hint is bool:
        ok = isinstance(value, bool)
    elif hint is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif hint is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        value = float(value) if ok else value
    elif hint is str:
        ok = isinstance(value, str)
    elif origin is list:
        (item,) = get_args(hint) or (str,)
        ok = isinstance(value, list) and all(isinstance(v, item) for v in value)
    else:
        ok = True
    if not ok:
        expected = getattr(hint, "__name__", str(hint))
        raise ConfigError(f"{path}: {key} must be a {expected}, not {value!r}")
    return value


def settings_as_dict(settings: Settings) -> dict[str, dict[str, Any]]:
    return {name: dataclasses.asdict(getattr(settings, name)) for name in SECTIONS}


def write_setting(home: HomePaths, section: str, key: str, value: Any) -> None:
    """Change one key of ``config.toml`` (used for volume and speaking rate), atomically.

    The file is rewritten from its parsed content: comments a person wrote are
    not kept, which is why only voice controls use this.
    """
    import tomli_w

    from .files import atomic_write_bytes

    path = home.config_file
    raw: dict[str, Any] = {}
    if path.exists():
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    raw.setdefault(section, {})[key] = value
    atomic_write_bytes(path, tomli_w.dumps(raw).encode("utf-8"))
