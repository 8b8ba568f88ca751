"""Non-repeating picks from a bank, remembered per couple in the store's "asked" table.

The "asked" document for a bank (``id`` = the bank id, e.g. ``listening``)
holds ``ids``: the items already used, oldest first. A pick never repeats an
item until the whole bank has been used; then the older half of the history
is forgotten, so a new cycle starts without replaying last week's question.
"""

from __future__ import annotations

import random

from ..store import Store
from .script import Bank

TABLE = "asked"


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
