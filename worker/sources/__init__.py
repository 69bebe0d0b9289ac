"""Source adapters: one per kind, each a pure function from fetched bytes to a list of `Entry`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import tzinfo

from worker.errors import ParseError
from worker.models import Entry, Fetched, Source

Adapter = Callable[[Source, Fetched, tzinfo], list[Entry]]


def adapter_for(kind: str) -> Adapter:
    """The parse function for a source kind; imported lazily so `loa status` stays fast."""
    if kind == "feed":
        from worker.sources.feed import parse_feed

        return parse_feed
    if kind == "html":
        from worker.sources.html import parse_listing

        return parse_listing
    if kind == "json":
        from worker.sources.json import parse_json

        return parse_json
    raise ParseError(f"no adapter for source kind {kind!r}")


def missing_required(titles: int, links: int) -> str | None:
    """Which required field ("title", then "link") no record had at all, or None.

    A source whose title or link selector matches in no record is broken, never "0 new items".
    """
    if titles == 0:
        return "title"
    if links == 0:
        return "link"
    return None
