"""RSS and Atom feeds → entries, with feedparser; a malformed feed counts only if its entries parse."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, tzinfo
from typing import Any

from worker.errors import ParseError
from worker.models import Attachment, Entry, Fetched, Source

_ATTACHMENT_TYPES = ("application/pdf", "application/msword", "application/vnd.openxmlformats", "image/")


def _struct_to_datetime(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    except (OverflowError, ValueError, TypeError):
        return None


def _body(entry: Any) -> str:
    contents = entry.get("content") or []
    for content in contents:
        if content.get("value"):
            return str(content["value"])
    return ""


def _image(entry: Any) -> str | None:
    for key in ("media_thumbnail", "media_content"):
        for media in entry.get(key) or []:
            url = media.get("url")
            if url and (key == "media_thumbnail" or str(media.get("medium", "image")) == "image"):
                return str(url)
    for enclosure in entry.get("enclosures") or []:
        if str(enclosure.get("type", "")).startswith("image/") and enclosure.get("href"):
            return str(enclosure["href"])
    return None


def _attachments(entry: Any) -> tuple[Attachment, ...]:
    found: list[Attachment] = []
    for enclosure in entry.get("enclosures") or []:
        href = enclosure.get("href")
        kind = str(enclosure.get("type", ""))
        if href and (kind.startswith(_ATTACHMENT_TYPES) or not kind):
            found.append(Attachment(url=str(href), title=str(enclosure.get("title", ""))))
    return tuple(found)


def parse_feed(source: Source, fetched: Fetched, tz: tzinfo) -> list[Entry]:
    """Entries of an RSS/Atom feed: plain UTF-8 RSS 2.0 / Atom 1.0 through lxml, the rest through feedparser."""
    from worker.sources.fastfeed import parse_plain_feed

    entries = parse_plain_feed(source, fetched)
    return entries if entries is not None else parse_with_feedparser(source, fetched, tz)


def parse_with_feedparser(source: Source, fetched: Fetched, tz: tzinfo) -> list[Entry]:
    import feedparser

    headers = {"content-location": fetched.final_url}
    if fetched.content_type:
        ctype = fetched.content_type + (f"; charset={fetched.charset}" if fetched.charset else "")
        headers["content-type"] = ctype
    parsed = feedparser.parse(
        fetched.body or b"",
        response_headers=headers,
        sanitize_html=False,
        resolve_relative_uris=False,
    )
    usable = [e for e in parsed.entries if e.get("link") or e.get("id")]
    if not usable:
        if parsed.get("bozo"):
            reason = parsed.get("bozo_exception")
            raise ParseError(
                f"{fetched.final_url} is not a readable RSS/Atom feed: {reason}",
                url=fetched.final_url,
                hint="open the URL in a browser; if the site moved its feed, update url in sources.yaml",
            )
        if not parsed.get("version"):
            raise ParseError(
                f"{fetched.final_url} is not an RSS or Atom feed",
                url=fetched.final_url,
                hint="the URL may now serve an HTML page; update url in sources.yaml",
            )
        return []
    entries = []
    for entry in usable:
        link = entry.get("link") or entry.get("id")
        published = _struct_to_datetime(entry.get("published_parsed") or entry.get("updated_parsed"))
        entries.append(
            Entry(
                source_id=source.id,
                url=str(link),
                guid=str(entry.get("id") or link),
                title=str(entry.get("title", "")),
                summary=str(entry.get("summary", "")),
                body_html=_body(entry),
                published=published,
                image=_image(entry),
                attachments=_attachments(entry),
                tags=tuple(str(t.get("term")) for t in entry.get("tags") or [] if t.get("term")),
            )
        )
    return entries
