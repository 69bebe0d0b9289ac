"""What a publish shows, as plain dataclasses built from store rows by pure functions (no I/O, no clock)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from worker.dates import from_iso
from worker.models import Attachment, Priority, Source, Topic
from worker.packs import Candidate, is_live, lead_key
from worker.publish_config import SiteSettings
from worker.wards import Ward

TIKTOK_PLAYER = re.compile(r"^https://www\.tiktok\.com/player/v1/(\d+)(?:[?#].*)?$")


@dataclass(frozen=True)
class PublishedItem:
    """An approved item as readers see it: the text of its last approved revision."""

    id: str
    story_id: str
    source_id: str
    source_name: str
    agency: str
    kind: str
    url: str
    title: str
    summary: str
    body_html: str  # sanitised at sync; sanitised again when rendered
    published_at: datetime
    approved_at: datetime
    revision: int
    priority: Priority
    topics: tuple[str, ...] = ()
    image: str | None = None
    attachments: tuple[Attachment, ...] = ()
    player_url: str | None = None
    broadcast_title: str = ""
    broadcast_text: str = ""
    pack_number: int = 0
    pack_title: str = ""

    @property
    def video_id(self) -> str | None:
        match = TIKTOK_PLAYER.match(self.player_url or "")
        return match.group(1) if match else None


@dataclass(frozen=True)
class PublishedPack:
    id: int
    number: int
    title: str
    revision: int
    published_at: datetime
    updated_at: datetime
    items: tuple[PublishedItem, ...]
    withdrawn: int = 0  # stories of the pack no longer shown

    @property
    def slug(self) -> str:
        return f"so-{self.number}"


@dataclass(frozen=True)
class Snapshot:
    """Everything the site and the feeds render from."""

    site: SiteSettings
    packs: tuple[PublishedPack, ...]  # newest first
    topics: tuple[Topic, ...] = ()
    wards: tuple[Ward, ...] = ()
    media: Mapping[str, str] = field(default_factory=dict)  # remote URL → site-relative local copy
    has_media_store: bool = False

    @property
    def items(self) -> tuple[PublishedItem, ...]:
        return tuple(item for pack in self.packs for item in pack.items)


def player_url(extra: Mapping[str, Any]) -> str | None:
    """The TikTok player URL an adapter left in `extra`, if any (only the official player host is accepted)."""
    for value in extra.values():
        if isinstance(value, str) and TIKTOK_PLAYER.match(value):
            return value
    return None


def published_item(row: Mapping[str, Any], sources: Mapping[str, Source]) -> PublishedItem:
    source = sources.get(str(row["source_id"]))
    return PublishedItem(
        id=str(row["id"]),
        story_id=str(row.get("story_id") or row["id"]),
        source_id=str(row["source_id"]),
        source_name=source.name if source else str(row["source_id"]),
        agency=(source.agency or source.name) if source else "",
        kind=str(row["kind"]),
        url=str(row["url"]),
        title=str(row["title"]),
        summary=str(row.get("summary") or ""),
        body_html=str(row.get("body_html") or ""),
        published_at=from_iso(str(row["published_at"])),
        approved_at=from_iso(str(row["approved_at"])),
        revision=int(row.get("approved_revision") or 1),
        priority=Priority(row.get("priority") or Priority.NORMAL.value),
        topics=tuple(row.get("topics") or ()),
        image=row.get("image") or None,
        attachments=tuple(Attachment(url=a["url"], title=a.get("title") or "") for a in row.get("attachments") or []),
        player_url=player_url(row.get("extra") or {}),
        broadcast_title=str(row.get("broadcast_title") or ""),
        broadcast_text=str(row.get("broadcast_text") or ""),
    )


def story_leads(rows: Iterable[Mapping[str, Any]], now: datetime) -> dict[str, Mapping[str, Any]]:
    """Each story's highest-ranked live item; stories with no live item are absent."""
    best: dict[str, tuple[Any, Mapping[str, Any]]] = {}
    for row in rows:
        if not is_live(row, now):
            continue
        key = lead_key(Candidate.from_row(row))
        story = str(row.get("story_id") or row["id"])
        if story not in best or key < best[story][0]:
            best[story] = (key, row)
    return {story: row for story, (_key, row) in best.items()}


def pack_hash(items: Iterable[PublishedItem], title: str) -> str:
    """Fingerprint of a pack's published content: a change means a new revision."""
    parts = [title] + [f"{i.id}:{i.revision}:{i.approved_at.isoformat()}:{i.priority.value}" for i in items]
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode()).hexdigest()[:32]


def pack_items(
    members: Iterable[Mapping[str, Any]],
    leads: Mapping[str, Mapping[str, Any]],
    sources: Mapping[str, Source],
    *,
    number: int,
    title: str,
) -> tuple[tuple[PublishedItem, ...], int]:
    """The items a pack shows, in its order, and how many of its stories are no longer shown."""
    shown: list[PublishedItem] = []
    hidden = 0
    for member in members:
        row = leads.get(str(member["story_id"]))
        if row is None:
            hidden += 1
            continue
        item = published_item(row, sources)
        shown.append(PublishedItem(**{**item.__dict__, "pack_number": number, "pack_title": title}))
    return tuple(shown), hidden
