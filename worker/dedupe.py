"""Duplicate decisions: which copy of an item is canonical. Pure functions over small records."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Copy:
    """One stored copy of an item, as exact-duplicate decisions need it."""

    id: str
    rank: int  # the source's position in sources.yaml: lower is more trusted
    published_at: str  # UTC ISO 8601, sortable as text
    fetched_at: str


def canonical_copy(copies: list[Copy]) -> Copy:
    """The most trusted source wins, then the earliest copy; the id breaks ties stably."""
    if not copies:
        raise ValueError("no copies to choose from")
    return min(copies, key=lambda c: (c.rank, c.published_at, c.fetched_at, c.id))
