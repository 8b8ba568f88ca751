"""Question banks: read from a script (inline lists or companion files), and picked without repeats.

A bank item gets a stable id from its words, so the store remembers what was asked across
restarts. The "asked" document for a bank (``id`` = the bank id, e.g. ``listening``) holds
``ids``: the items already used, oldest first. A pick never repeats an item until the whole bank
has been used; then the older half of the history is forgotten, so a new cycle starts without
replaying last week's question.
"""

from __future__ import annotations

import hashlib
import random
import re
from pathlib import Path
from typing import Any

from .. import yamlfile
from ..errors import ScriptError
from ..store import Store
from .model import Bank

TABLE = "asked"
_OWN_NAMES = ("{first}", "{second}", "{partner}", "{other}")  # the only facts a bank item may use


def asked_ids(store: Store, bank_id: str) -> list[str]:
    doc = store.get(TABLE, bank_id)
    return list(doc.get("ids", [])) if doc else []


def pick(store: Store, bank: Bank, rng: random.Random) -> tuple[str, str]:
    """Choose an unused item, record it as asked, and return (item id, text)."""
    history = asked_ids(store, bank.id)
    known = {item_id for item_id, _ in bank.items}
    history = [i for i in history if i in known]  # items a counsellor removed no longer count
    fresh = [item for item in bank.items if item[0] not in set(history)]
    if not fresh:
        # the bank is used up: forget the older half so the most recent ones still wait their turn
        history = history[len(history) // 2:] if len(bank.items) > 1 else []
        fresh = [item for item in bank.items if item[0] not in set(history)]
    choice = rng.choice(fresh)
    history.append(choice[0])
    store.upsert(TABLE, {"id": bank.id, "ids": history})
    return choice


# --- loading --------------------------------------------------------------------------


def load_banks(path: Path, raw: Any, line_of: dict[str, int], exercise: str) -> dict[str, Bank]:
    """Banks named in a script: inline lists, or companion files (``banks/x.yaml``) next to it."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ScriptError(f"{path}:{line_of.get('banks', 1)}: banks must map a name to a file or a list")
    banks: dict[str, Bank] = {}
    kl = getattr(raw, "key_lines", {})
    for name, value in raw.items():
        at = kl.get(name, 1)
        if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
            raise ScriptError(f"{path}:{at}: a bank name is one lower-case word, not {name!r}")
        if isinstance(value, str):
            banks[name] = _bank_file(path, path.parent / value, at)
        else:
            banks[name] = Bank(f"{exercise}.{name}", _items(path, value, at))
    return banks


def _bank_file(path: Path, bank_path: Path, at: int) -> Bank:
    if not bank_path.is_file():
        raise ScriptError(f"{path}:{at}: no bank file at {bank_path}")
    data = yamlfile.load_yaml(bank_path, ScriptError)
    if not isinstance(data, dict) or "items" not in data:
        raise ScriptError(f"{bank_path}:1: a bank file needs 'bank: <id>' and 'items: [...]'")
    bank_id = data.get("bank")
    if not isinstance(bank_id, str) or not bank_id:
        raise ScriptError(f"{bank_path}:1: a bank file needs 'bank: <id>' (its name in the store)")
    return Bank(bank_id, _items(bank_path, data["items"], getattr(data, "key_lines", {}).get("items", 1)))


def _items(path: Path, raw: Any, line: int) -> tuple[tuple[str, str], ...]:
    if not isinstance(raw, list) or not raw:
        raise ScriptError(f"{path}:{line}: a bank needs a list of items")
    lines = getattr(raw, "item_lines", [line] * len(raw))
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for item, at in zip(raw, lines):
        item_id, text = _item(path, item, at)
        if item_id in seen:
            raise ScriptError(f"{path}:{at}: the item {text[:40]!r} appears twice")
        seen.add(item_id)
        out.append((item_id, text))
    return tuple(out)


def _item(path: Path, item: Any, at: int) -> tuple[str, str]:
    if isinstance(item, str) and item.strip():
        text = " ".join(item.split())
        # a stable id from the words, so the store remembers what was asked across restarts
        item_id = "q" + hashlib.sha1(text.lower().encode("utf-8")).hexdigest()[:8]
    elif isinstance(item, dict) and isinstance(item.get("id"), str) and isinstance(item.get("text"), str):
        item_id, text = item["id"], " ".join(item["text"].split())
    else:
        raise ScriptError(f"{path}:{at}: a bank item is a sentence, or 'id: ..., text: ...'")
    rest = text
    for name in _OWN_NAMES:
        rest = rest.replace(name, "")
    if "{" in rest:
        raise ScriptError(f"{path}:{at}: bank items may only use {{first}}, {{second}}, {{partner}} or {{other}}")
    return item_id, text
