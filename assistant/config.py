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

from .errors import TandemError

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, get_args, get_origin, get_type_hints

import platformdirs

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


# --- settings, one frozen dataclass per subsystem ---------------------------


@dataclass(frozen=True)
class VoiceSettings:
    """How Tandem speaks."""

    voice: str = ""  # a pyttsx3/espeak-ng voice id or name; "" = the default voice
    rate: int = 165  # words per minute
    volume: float = 0.8  # 0.0 .. 1.0
    output_device: str = ""  # a sounddevice name or index; "" = the system default
    chime: bool = True  # a soft "I'm listening" sound after the wake phrase

    def validate(self) -> None:
        if not 80 <= self.rate <= 400:
            raise ValueError("rate", "must be between 80 and 400 words per minute")
        if not 0.0 <= self.volume <= 1.0:
            raise ValueError("volume", "must be between 0.0 and 1.0")


@dataclass(frozen=True)
class SpeechSettings:
    """How Tandem hears."""

    engine: str = "auto"  # auto | vosk | pocketsphinx
    vosk_model: str = ""  # a folder; "" = the newest model installed under the home folder
    input_device: str = ""
    wake_sensitivity: float = 0.5  # 0 = strict .. 1 = eager

    def validate(self) -> None:
        if self.engine not in ("auto", "vosk", "pocketsphinx"):
            raise ValueError("engine", "must be one of auto, vosk, pocketsphinx")
        if not 0.0 <= self.wake_sensitivity <= 1.0:
            raise ValueError("wake_sensitivity", "must be between 0.0 and 1.0")


@dataclass(frozen=True)
class ReminderSettings:
    quiet_start: str = "21:30"
    quiet_end: str = "08:00"
    snooze_minutes: int = 60
    max_reoffers: int = 2
    grace_hours: float = 12.0
    heads_up_days: int = 0  # 2 = a heads-up two days before the trust talk; 0 = off

    def validate(self) -> None:
        for key in ("quiet_start", "quiet_end"):
            value = getattr(self, key)
            try:
                hh, mm = value.split(":")
                if not (0 <= int(hh) < 24 and 0 <= int(mm) < 60):
                    raise ValueError
            except ValueError:
                raise ValueError(key, f"must be a time like 21:30, not {value!r}") from None
        if self.snooze_minutes < 1:
            raise ValueError("snooze_minutes", "must be at least 1")
        if not 0 <= self.max_reoffers <= 5:
            raise ValueError("max_reoffers", "must be between 0 and 5")
        if not 0 <= self.grace_hours <= 48:
            raise ValueError("grace_hours", "must be between 0 and 48")
        if not 0 <= self.heads_up_days <= 14:
            raise ValueError("heads_up_days", "must be between 0 and 14 (0 = no heads-up)")


@dataclass(frozen=True)
class ExerciseSettings:
    trusttalk_minutes: int = 30
    more_time_max: int = 2
    pause_limit_minutes: int = 24 * 60  # a paused exercise can be resumed within a day
    break_minutes: int = 20  # the quiet break a "pause" offers before Tandem checks back once

    def validate(self) -> None:
        if not 5 <= self.trusttalk_minutes <= 180:
            raise ValueError("trusttalk_minutes", "must be between 5 and 180")


@dataclass(frozen=True)
class PathSettings:
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
    validate = getattr(obj, "validate", None)
    if validate:
        try:
            validate()
        except ValueError as exc:
            key, message = exc.args if len(exc.args) == 2 else ("?", str(exc))
            raise ConfigError(f"{path}: {name}.{key} {message}") from None
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
