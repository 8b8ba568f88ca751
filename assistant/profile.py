"""The couple's profile: two names, the wake phrase and their time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .clock import isoformat, local_zone, zone_name
from .errors import TandemError
from .store import Store

PROFILE_ID = "profile"
DEFAULT_WAKE_PHRASE = "hey tandem"


class ProfileError(TandemError):
    """A one-line, user-facing problem with the profile."""


@dataclass(frozen=True)
class Profile:
    partners: tuple[str, str]
    wake_phrase: str = DEFAULT_WAKE_PHRASE
    timezone: str = "UTC"
    created: str = ""
    # When ``tandem run`` first started, on its clock: reminders are never caught up from before it
    # (a couple who set Tandem up at 20:50 first hears about a future check-in, not the 19:00 one).
    first_run: str = ""

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def first(self) -> str:
        return self.partners[0]

    def other(self, partner: str) -> str:
        a, b = self.partners
        return b if partner.lower() == a.lower() else a

    def as_record(self) -> dict[str, object]:
        return {
            "id": PROFILE_ID,
            "partners": list(self.partners),
            "wake_phrase": self.wake_phrase,
            "timezone": self.timezone,
            "created": self.created,
            "first_run": self.first_run or None,
        }


def normalise_name(name: str) -> str:
    """Store a name as given, with the first letter upper-cased ("alex" -> "Alex", "deShawn" -> "DeShawn")."""
    name = " ".join(name.split())
    return name[:1].upper() + name[1:]


def check_partners(names: list[str]) -> tuple[str, str]:
    cleaned = [normalise_name(n) for n in names]
    if len(cleaned) != 2:
        raise ProfileError(f"give exactly two partners (--partner NAME --partner NAME), not {len(cleaned)}")
    if any(not n for n in cleaned):
        raise ProfileError("a partner's name cannot be empty")
    if cleaned[0].casefold() == cleaned[1].casefold():
        raise ProfileError(f"the two partners need different names (both are {cleaned[0]!r})")
    return cleaned[0], cleaned[1]


def check_timezone(name: str | None) -> str:
    if not name:
        return zone_name(local_zone())
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ProfileError(f"unknown time zone {name!r}; use a name like Europe/Lisbon or America/New_York") from None
    return name


def check_wake_phrase(phrase: str | None) -> str:
    """A phrase of two words or more, or one a bundled wake head knows ("alexa"): one short word said
    in passing would wake a detector trained from scratch far too often, a well-trained head copes."""
    from .speech.oww import BUILTIN_PHRASES

    phrase = " ".join((phrase or DEFAULT_WAKE_PHRASE).lower().replace(",", " ").split())
    if len(phrase.split()) < 2 and phrase not in BUILTIN_PHRASES:
        ready = ", ".join(p for p in BUILTIN_PHRASES if " " not in p)
        raise ProfileError(f"the wake phrase needs at least two words (like 'hey tandem') or a ready-made one "
                           f"({ready}), not {phrase!r}")
    return phrase


def create_profile(
    store: Store, partners: list[str], wake_phrase: str | None, timezone: str | None, force: bool,
    now: datetime | None = None
) -> Profile:
    names = check_partners(partners)
    tz_name = check_timezone(timezone)
    wake = check_wake_phrase(wake_phrase)
    existing = load_profile(store)
    if existing is not None and not force:
        raise ProfileError(
            f"a profile for {existing.partners[0]} and {existing.partners[1]} exists already; add --force to replace "
            "it (history is kept)"
        )
    zone = ZoneInfo(tz_name)
    created = existing.created if existing else isoformat((now or datetime.now(zone)).astimezone(zone))
    first_run = existing.first_run if existing else ""  # a new profile on an old home: Tandem has run already
    profile = Profile(partners=names, wake_phrase=wake, timezone=tz_name, created=created, first_run=first_run)
    store.upsert("profile", profile.as_record())
    return profile


def load_profile(store: Store) -> Profile | None:
    doc = store.get("profile", PROFILE_ID)
    if doc is None:
        return None
    a, b = doc["partners"]
    return Profile(partners=(a, b), wake_phrase=doc.get("wake_phrase", DEFAULT_WAKE_PHRASE),
                   timezone=doc.get("timezone", "UTC"), created=doc.get("created", ""),
                   first_run=doc.get("first_run") or "")


def note_first_run(store: Store, when: datetime) -> Profile | None:
    """Stamp the moment ``tandem run`` first started (once; later runs keep the first); the profile as stored."""
    store.modify("profile", PROFILE_ID,
                 lambda doc: None if doc.get("first_run") else doc.update(first_run=isoformat(when)))
    return load_profile(store)
