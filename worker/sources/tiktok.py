"""TikTok creator → video entries, from the public embed page or a self-hosted RSSHub feed.

Pure: follow-up requests (oEmbed, video embed pages) go through the `fetch` function passed in.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any
from urllib.parse import quote

from bs4 import BeautifulSoup

from worker.errors import LoaError, ParseError, SourceBroken
from worker.models import Entry, Fetched, ItemKind, Source, TikTokSpec
from worker.sources.encoding import decode_body

FollowUp = Callable[[str], Fetched]
Seen = Callable[[str], bool]  # guid → already stored?

PUBLIC = "https://www.tiktok.com"
_STATE_ID = "__FRONTITY_CONNECT_STATE__"
_VIDEO_ID = re.compile(r"/(?:video|embed(?:/v2)?|player/v1)/(\d{8,})")
_HASHTAG = re.compile(r"#([^\s#.,!?;:()\"'“”]+)")
_POSTER = re.compile(r"""poster=["']([^"']+)["']""")
_IFRAME = re.compile(r"""<iframe[^>]+src=["']([^"']+)["']""")
BLOCKED_HINT = (
    "TikTok serves a bot challenge to this address; wait a few hours, or switch to "
    "`via: rsshub` with a self-hosted RSSHub; `loa sources test {id}` shows what comes back"
)


@dataclass(frozen=True)
class Listed:
    """One video as the listing (embed page or RSSHub) shows it, before oEmbed."""

    id: str
    caption: str = ""
    cover: str | None = None
    published: datetime | None = None


def public_link(user: str, video_id: str) -> str:
    """The canonical link, always on tiktok.com even when `base_url` is a mirror."""
    return f"{PUBLIC}/@{user}/video/{video_id}"


def player_url(video_id: str) -> str:
    return f"{PUBLIC}/player/v1/{video_id}"


def time_from_id(video_id: str) -> datetime | None:
    """TikTok ids carry their creation time in the upper 32 bits (within seconds of createTime)."""
    try:
        return datetime.fromtimestamp(int(video_id) >> 32, tz=UTC)
    except (ValueError, OverflowError, OSError):
        return None


def hashtags(caption: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(_HASHTAG.findall(caption)))


def _spec(source: Source) -> TikTokSpec:
    if source.tiktok is None:
        raise SourceBroken(f"source {source.id} has no tiktok: block", hint='add tiktok: {user: "@name"}')
    return source.tiktok


def frontity_state(fetched: Fetched) -> dict[str, Any] | None:
    """The JSON of script#__FRONTITY_CONNECT_STATE__, or None when the page does not carry it."""
    soup = BeautifulSoup(decode_body(fetched.body or b"", fetched.charset), "lxml")
    script = soup.find("script", id=_STATE_ID)
    if script is None:
        return None
    try:
        data = json.loads(script.get_text())
    except json.JSONDecodeError:
        return None
    return data if isinstance(data, dict) else None


def _blocked(source: Source, fetched: Fetched, detail: str) -> SourceBroken:
    return SourceBroken(
        f"blocked by TikTok: {fetched.final_url} {detail}, so no videos could be read "
        "(this is not the same as no new videos)",
        url=fetched.final_url,
        kind="blocked",
        hint=BLOCKED_HINT.format(id=source.id),
    )


def list_embed(source: Source, fetched: Fetched) -> list[Listed]:
    """Newest videos from the creator embed page; a page without the expected JSON is a block."""
    spec = _spec(source)
    state = frontity_state(fetched)
    if state is None:
        return _raise(_blocked(source, fetched, f"has no script#{_STATE_ID} JSON (a bot challenge or an empty page)"))
    page = ((state.get("source") or {}).get("data") or {}).get(f"/embed/@{spec.user}")
    videos = page.get("videoList") if isinstance(page, dict) else None
    if not isinstance(videos, list) or not videos:
        return _raise(_blocked(source, fetched, f'has no source.data["/embed/@{spec.user}"].videoList'))
    listed = []
    for video in videos:
        if isinstance(video, dict) and str(video.get("id", "")).isdigit():
            cover = video.get("originCoverUrl") or video.get("coverUrl")
            listed.append(Listed(id=str(video["id"]), caption=str(video.get("desc") or ""), cover=cover))
    if not listed:
        return _raise(_blocked(source, fetched, "lists videos without ids"))
    return listed


def list_rsshub(source: Source, fetched: Fetched) -> list[Listed]:
    """Videos from RSSHub's /tiktok/user route; its captions are cut, so oEmbed supplies the full text."""
    import calendar

    import feedparser

    parsed = feedparser.parse(fetched.body or b"", sanitize_html=False, resolve_relative_uris=False)
    if not parsed.get("version") and not parsed.entries:
        raise ParseError(
            f"{fetched.final_url} is not an RSS feed (RSSHub may be down or erroring)",
            url=fetched.final_url,
            hint="open the URL in a browser; RSSHub shows its error there",
        )
    listed = []
    for entry in parsed.entries:
        description = html.unescape(str(entry.get("summary") or entry.get("description") or ""))
        candidates = [str(entry.get("link") or ""), str(entry.get("id") or "")]
        iframe = _IFRAME.search(description)
        if iframe:
            candidates.append(iframe.group(1))
        video_id = next((m.group(1) for c in candidates if (m := _VIDEO_ID.search(c))), None)
        if not video_id:
            continue
        poster = _POSTER.search(description)
        stamp = entry.get("published_parsed")
        published = datetime.fromtimestamp(calendar.timegm(stamp), tz=UTC) if stamp else None
        listed.append(
            Listed(
                id=video_id,
                caption=str(entry.get("title") or ""),
                cover=html.unescape(poster.group(1)) if poster else None,
                published=published,
            )
        )
    if not listed:
        raise _blocked(source, fetched, "(RSSHub) lists no TikTok videos; RSSHub itself is probably blocked")
    return listed


def _raise(error: LoaError) -> list[Listed]:
    raise error


def oembed_url(spec: TikTokSpec, video_id: str) -> str:
    target = f"{spec.base_url}/@{spec.user}/video/{video_id}"
    return f"{spec.base_url}/oembed?url={quote(target, safe=':/@')}"


def read_oembed(spec: TikTokSpec, video_id: str, fetch: FollowUp) -> dict[str, Any]:
    """oEmbed for one video; TikTok's error object is raised with its own message."""
    url = oembed_url(spec, video_id)
    fetched = fetch(url)
    try:
        data = json.loads(decode_body(fetched.body or b"", fetched.charset))
    except json.JSONDecodeError:
        raise ParseError(
            f"TikTok oEmbed for video {video_id} did not return JSON ({url})",
            url=url,
            hint="TikTok may be blocking oEmbed too; the video is retried on the next sync",
        ) from None
    if not isinstance(data, dict) or ("message" in data and "title" not in data):
        message = data.get("message") if isinstance(data, dict) else repr(data)[:80]
        code = data.get("code") if isinstance(data, dict) else None
        raise ParseError(
            f"TikTok oEmbed refused video {video_id}: {message!s}" + (f" (code {code})" if code else "") + f" ({url})",
            url=url,
            hint="the video may be private or removed; it is retried on the next sync",
        )
    return data


def read_create_time(spec: TikTokSpec, video_id: str, fetch: FollowUp) -> datetime | None:
    """createTime from the video embed page; None when that page is unavailable or blocked."""
    try:
        state = frontity_state(fetch(f"{spec.base_url}/embed/v2/{video_id}"))
    except LoaError:
        return None
    page = ((state or {}).get("source") or {}).get("data", {}).get(f"/embed/v2/{video_id}") or {}
    created = ((page.get("videoData") or {}).get("itemInfos") or {}).get("createTime")
    try:
        return datetime.fromtimestamp(int(created), tz=UTC) if created else None
    except (TypeError, ValueError, OverflowError):
        return None


def video_entry(source: Source, listed: Listed, oembed: dict[str, Any], published: datetime | None) -> Entry:
    spec = _spec(source)
    caption = str(oembed.get("title") or listed.caption).strip()
    link = public_link(spec.user, listed.id)
    return Entry(
        source_id=source.id,
        url=link,
        guid=link,
        title=caption or f"TikTok @{spec.user} {listed.id}",
        summary=caption,
        body_html=f"<p>{html.escape(caption)}</p>" if caption else "",
        published=published or listed.published or time_from_id(listed.id),
        image=str(oembed.get("thumbnail_url") or listed.cover or "") or None,
        tags=hashtags(caption),
        kind=ItemKind.VIDEO,
        extra={
            "video_id": listed.id,
            "player_url": player_url(listed.id),
            "author_name": oembed.get("author_name"),
            "author_url": oembed.get("author_url"),
            # Loads TikTok's script: kept for reference, never rendered by Loa.
            "embed_html": oembed.get("html"),
            "via": spec.via,
        },
    )


def parse_tiktok(
    source: Source, fetched: Fetched, tz: tzinfo, *, fetch: FollowUp, seen: Seen
) -> tuple[list[Entry], list[LoaError]]:
    """Entries for the videos not stored yet, and the per-video errors (those videos wait for the next run)."""
    spec = _spec(source)
    listed = list_rsshub(source, fetched) if spec.via == "rsshub" else list_embed(source, fetched)
    entries: list[Entry] = []
    errors: list[LoaError] = []
    for video in listed:
        if seen(public_link(spec.user, video.id)):
            continue
        try:
            oembed = read_oembed(spec, video.id, fetch)
        except LoaError as error:
            errors.append(error)
            continue
        published = video.published or read_create_time(spec, video.id, fetch)
        entries.append(video_entry(source, video, oembed, published))
    if errors and not entries:
        raise errors[0]
    return entries, errors
