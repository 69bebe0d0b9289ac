"""RSS and Atom feeds → entries, with feedparser; a malformed feed counts only if its entries parse."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, tzinfo
from typing import Any

from worker.errors import ParseError
from worker.models import Attachment, Entry, Fetched, Source
from worker.sources.encoding import sniff_charset

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


def is_image_media(media: Any) -> bool:
    """media:content is an image if it says so, by `medium` or else by `type`; untyped counts as one."""
    medium, kind = str(media.get("medium") or ""), str(media.get("type") or "")
    return medium == "image" if medium else (not kind or kind.startswith("image/"))


def _image(entry: Any) -> str | None:
    for key in ("media_thumbnail", "media_content"):
        for media in entry.get(key) or []:
            url = media.get("url")
            if url and (key == "media_thumbnail" or is_image_media(media)):
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


def _charset(fetched: Fetched, body: bytes) -> str | None:
    """The HTTP charset; else windows-1258 for a body that names none and is not UTF-8 (feedparser would
    guess windows-1252 and garble the Vietnamese)."""
    if fetched.charset:
        return fetched.charset
    if sniff_charset(body, None) is None:
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            return "windows-1258"
    return None


def parse_feed(source: Source, fetched: Fetched, tz: tzinfo) -> list[Entry]:
    """Entries of an RSS/Atom feed: plain UTF-8 RSS 2.0 / Atom 1.0 through lxml, the rest through feedparser."""
    from worker.sources.fastfeed import parse_plain_feed

    entries = parse_plain_feed(source, fetched)
    return entries if entries is not None else parse_with_feedparser(source, fetched, tz)


def parse_with_feedparser(source: Source, fetched: Fetched, tz: tzinfo) -> list[Entry]:
    import feedparser

    body = fetched.body or b""
    headers = {"content-location": fetched.final_url}
    charset = _charset(fetched, body)
    if fetched.content_type or charset:
        ctype = (fetched.content_type or "application/xml") + (f"; charset={charset}" if charset else "")
        headers["content-type"] = ctype
    parsed = feedparser.parse(
        body,
        response_headers=headers,
        sanitize_html=False,
        resolve_relative_uris=False,
    )
    usable = [e for e in parsed.entries if e.get("link") or e.get("id")]
    if not usable:
        # A wrong Content-Type or charset is only a warning: an empty but valid feed is still a feed.
        benign = isinstance(parsed.get("bozo_exception"), feedparser.ThingsNobodyCaresAboutButMe)
        if parsed.get("bozo") and not (benign and parsed.get("version")):
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
