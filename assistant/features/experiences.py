"""New experiences: the picker behind ``experience.suggest`` and the log of what was done.

Records are in the export shape ``{id, text, suggested, done}``. A suggestion
that is then done is the same record (``done`` filled in), so the history
shows what was suggested and taken up.

What Tandem says is in ``scripts/replies/experiences.yaml`` (see ``assistant/replies.py``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from ..clock import Clock, isoformat
from ..conversation import Utterance
from ..errors import TandemError
from ..handlers import Context
from ..replies import reply
from ..store import Store
from ..yamlfile import parse_yaml
from .capitals import capitalise
from .forget import remember

TABLE = "experiences"
COSTS = ("free", "low", "medium", "high")
ENERGIES = ("low", "medium", "high")
SEASONS = ("spring", "summer", "autumn", "winter", "any")
RECENT_WINDOW = 6  # a suggestion is not repeated within this many suggestions
PENDING_DAYS = 31  # a suggestion agreed on longer ago than this is not brought up again as still to do
# "we went to the market" is read back as it is; "we tried a pottery class" arrives as "a pottery class"
PAST_VERBS = ("went", "saw", "made", "took", "had", "did", "ate", "ran", "rode", "swam", "built", "spent", "found",
              "watched")
# Time zones south of the equator, where December is summer.
SOUTHERN = ("Australia/", "Antarctica/", "Pacific/Auckland", "Pacific/Chatham", "America/Argentina",
            "America/Sao_Paulo",
            "America/Santiago", "America/Montevideo", "America/Asuncion", "Africa/Johannesburg", "Africa/Maputo",
            "Africa/Windhoek", "Indian/Mauritius", "Pacific/Fiji", "America/La_Paz", "America/Lima")


class CatalogueError(TandemError):
    """The experiences list cannot be used; one line saying where and why."""


@dataclass(frozen=True)
class Activity:
    id: str
    text: str
    cost: str = "low"
    energy: str = "medium"
    seasons: tuple[str, ...] = ("any",)


def load_catalogue(path: Path) -> list[Activity]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise CatalogueError(f"{path}: cannot read the experiences list ({exc.strerror})") from None
    data = parse_yaml(text, str(path), CatalogueError)
    items = data.get("activities") if isinstance(data, dict) else None
    if not isinstance(items, list) or not items:
        raise CatalogueError(f"{path}: needs a non-empty 'activities:' list")
    out: list[Activity] = []
    seen: set[str] = set()
    for n, item in enumerate(items, 1):
        if not isinstance(item, dict) or not item.get("id") or not item.get("text"):
            raise CatalogueError(f"{path}: activity {n} needs an id and a text")
        seasons = item.get("seasons") or ["any"]
        seasons = [seasons] if isinstance(seasons, str) else seasons
        act = Activity(str(item["id"]), " ".join(str(item["text"]).split()), str(item.get("cost", "low")),
                       str(item.get("energy", "medium")), tuple(str(s) for s in seasons))
        if act.cost not in COSTS or act.energy not in ENERGIES or any(s not in SEASONS for s in act.seasons):
            raise CatalogueError(f"{path}: activity {act.id}: cost must be {'|'.join(COSTS)}, energy "
                                 f"{'|'.join(ENERGIES)}, "
                                 f"seasons from {'|'.join(SEASONS)}")
        if act.id in seen:
            raise CatalogueError(f"{path}: activity id {act.id} appears twice")
        seen.add(act.id)
        out.append(act)
    return out


def season_of(day: date, zone: str = "") -> str:
    northern = ("winter", "winter", "spring", "spring", "spring", "summer", "summer", "summer", "autumn", "autumn",
                "autumn", "winter")
    season = northern[day.month - 1]
    if zone.startswith(SOUTHERN):
        season = {"winter": "summer", "summer": "winter", "spring": "autumn", "autumn": "spring"}[season]
    return season


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def pick(store: Store, clock: Clock, catalogue: list[Activity], rng: random.Random,
         include_done: bool = False) -> Activity:
    """A varied pick: in season, not suggested lately, not done before (unless asked).

    Each rule is dropped, least important first, only when it would leave nothing.
    """
    if not catalogue:
        raise CatalogueError("the experiences list is empty")
    records = sorted(store.all(TABLE), key=lambda r: str(r.get("suggested") or r.get("done") or ""))
    recent = {_norm(r["text"]) for r in [r for r in records if r.get("suggested")][-RECENT_WINDOW:]}
    done = {_norm(r["text"]) for r in records if r.get("done")}
    season = season_of(clock.now().date(), getattr(clock.tz, "key", ""))
    in_season = [a for a in catalogue if "any" in a.seasons or season in a.seasons]
    fresh = [a for a in in_season if _norm(a.text) not in recent]
    untried = fresh if include_done else [a for a in fresh if _norm(a.text) not in done]
    for pool in (untried, fresh, [a for a in catalogue if _norm(a.text) not in recent], in_season, catalogue):
        if pool:
            return rng.choice(pool)
    raise AssertionError("unreachable: the catalogue is not empty")


def record_suggested(store: Store, clock: Clock, text: str) -> dict[str, Any]:
    record = {"text": " ".join(text.split()), "suggested": isoformat(clock.now()), "done": None}
    record["id"] = store.insert(TABLE, record)
    return record


def log_done(store: Store, clock: Clock, text: str) -> dict[str, Any]:
    """Record that they did it; completes a pending suggestion of the same thing if there is one."""
    stamp = isoformat(clock.now())
    text = " ".join(text.split())
    pending = [r for r in store.all(TABLE) if not r.get("done") and _norm(r.get("text", "")) == _norm(text)]
    if pending:
        latest = max(pending, key=lambda r: str(r.get("suggested") or ""))
        record = store.modify(TABLE, latest["id"], lambda doc: doc.update(done=stamp)) or {}
    else:
        record = {"text": text, "suggested": None, "done": stamp}
        record["id"] = store.insert(TABLE, record)
    remember(store, TABLE, record["id"])
    return record


def complete(store: Store, clock: Clock, record_id: str) -> bool:
    """The suggestion they agreed on (``record_id``) is now done; False when there is no such record."""
    stamp = isoformat(clock.now())
    return store.modify(TABLE, record_id, lambda doc: doc.update(done=stamp)) is not None


def latest_pending(store: Store, clock: Clock, within_days: int = PENDING_DAYS) -> dict[str, Any] | None:
    """The latest suggestion they agreed on and have not done yet, if made in the last ``within_days``."""
    since = isoformat(clock.now() - timedelta(days=within_days))
    waiting = [e for e in store.all(TABLE) if e.get("suggested") and not e.get("done") and e["suggested"] >= since]
    return max(waiting, key=lambda e: e["suggested"]) if waiting else None


def last_done(store: Store) -> dict[str, Any] | None:
    done = [r for r in store.all(TABLE) if r.get("done")]
    # ties (two logged in one second) go to the later insert, which the store keeps in order
    return max(reversed(done), key=lambda r: str(r["done"])) if done else None


def handle_log(ctx: Context, utterance: Utterance) -> None:
    text = capitalise((utterance.slots.get("text") or "").strip(), said=utterance.text, names=ctx.profile.partners)
    if not text:
        ctx.say(reply(ctx, "experiences.log_not_heard"))
        return
    log_done(ctx.store, ctx.clock, text)
    if ctx.privacy:
        ctx.say(reply(ctx, "experiences.logged_private"))
        return
    did = text if _is_past(text) else reply(ctx, "experiences.tried", text=text)
    ctx.say(reply(ctx, "experiences.logged", did=did, text=text))


def _is_past(text: str) -> bool:
    # The NLU strips "we tried"/"we did"; read it back as something they did.
    first = text.split()[0] if text.split() else ""
    return first.endswith("ed") or first in PAST_VERBS


HANDLERS = {"experience.log": handle_log}
