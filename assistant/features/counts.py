"""Numbers in words a person would write: "1 day", "3 days", "1 entry", "2 entries"."""

from __future__ import annotations


def noun(count: int, one: str, other: str | None = None) -> str:
    """``one`` for exactly one, else ``other`` (by default ``one`` + "s")."""
    return one if count == 1 else (other or one + "s")


def count_of(count: int, one: str, other: str | None = None) -> str:
    """ "1 promise", "0 promises", "2 entries" (give ``other`` when adding an s is wrong)."""
    return f"{count} {noun(count, one, other)}"
