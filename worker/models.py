"""Dataclasses and enums that move between pipeline stages; no I/O, no behaviour beyond small helpers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from worker.errors import LoaError


class ItemKind(StrEnum):
    ARTICLE = "article"
    WARNING = "warning"
    VIDEO = "video"
    INFOGRAPHIC = "infographic"
    DOCUMENT = "document"


class Status(StrEnum):
    NEW = "new"
    DUPLICATE = "duplicate"
    HELD = "held"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class Priority(StrEnum):
    """Broadcast priority; the value is the ASCII spelling used in JSON and the database."""

    NORMAL = "thuong"
    HIGH = "uu-tien"
    URGENT = "khan-cap"

    @property
    def label(self) -> str:
        return {"thuong": "thường", "uu-tien": "ưu tiên", "khan-cap": "khẩn cấp"}[self.value]

    @property
    def rank(self) -> int:
        return ("thuong", "uu-tien", "khan-cap").index(self.value)


class RuleAction(StrEnum):
    REJECT = "reject"
    HOLD = "hold"
    TAG = "tag"
    PRIORITY = "priority"


@dataclass(frozen=True)
class Rule:
    """One `rules:` entry: when `match` hits an item's title or text at sync, apply `action`."""

    id: str
    match: str | tuple[str, ...]  # a regex, or keywords (any one is enough)
    action: RuleAction
    reason: str
    source: str | None = None  # None: every source
    value: str | None = None  # topic id for tag, Priority value for priority


@dataclass(frozen=True)
class Topic:
    """One entry of the `topics:` taxonomy; keywords auto-tag items at sync."""

    id: str
    name: str
    keywords: tuple[str, ...]


class RunStatus(StrEnum):
    """Outcome of one source in one sync run (`status` in `sync --json`)."""

    OK = "ok"
    NOT_MODIFIED = "not_modified"
    ERROR = "error"
    SKIPPED = "skipped"


class Health(StrEnum):
    HEALTHY = "healthy"
    FAILING = "failing"
    BROKEN = "broken"
    STALE = "stale"


@dataclass(frozen=True)
class HtmlSpec:
    """CSS selectors for a server-rendered listing page; `sel@attr` reads an attribute."""

    item: str
    title: str
    link: str
    date: str | None = None
    date_format: str | None = None
    summary: str | None = None
    image: str | None = None
    article: ArticleSpec | None = None


@dataclass(frozen=True)
class ArticleSpec:
    """Selectors applied to each new item's own page."""

    body: str | None = None
    attachments: str | None = None
    date: str | None = None
    date_format: str | None = None
    summary: str | None = None
    image: str | None = None


@dataclass(frozen=True)
class JsonSpec:
    """Dotted field paths into a JSON API response; `items` is the path of the list ("" = the root)."""

    items: str = ""
    id: str | None = "id"
    title: str = "title"
    link: str = "link"
    date: str | None = None
    date_format: str | None = None
    summary: str | None = None
    body: str | None = None
    image: str | None = None
    base_url: str | None = None


@dataclass(frozen=True)
class TikTokSpec:
    """Where a TikTok creator's videos are read: the public embed page or a self-hosted RSSHub."""

    user: str  # without the leading @
    via: str = "embed"  # embed | rsshub
    base_url: str = "https://www.tiktok.com"  # tests and mirrors point this elsewhere
    rsshub: str | None = None


@dataclass(frozen=True)
class Source:
    id: str
    name: str
    kind: str  # feed | html | json | tiktok
    url: str
    rank: int  # position in sources.yaml: 0 is the most trusted
    every_seconds: int
    item_kind: ItemKind | None = None
    enabled: bool = True
    respect_robots: bool = True
    agency: str = ""
    timeout_seconds: float = 20.0
    max_bytes: int = 10 * 1024 * 1024
    user_agent: str = ""
    html: HtmlSpec | None = None
    json: JsonSpec | None = None
    allowed_domains: tuple[str, ...] = ()
    tiktok: TikTokSpec | None = None
    stale_after_seconds: int = 7 * 86400
    extra: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @property
    def host(self) -> str:
        from urllib.parse import urlsplit

        return (urlsplit(self.url).hostname or "").lower()


@dataclass(frozen=True)
class Fetched:
    """One HTTP response as Loa keeps it; `body` is None on a 304."""

    url: str  # the URL asked for
    final_url: str  # after redirects
    status: int
    body: bytes | None
    content_type: str = ""
    charset: str | None = None  # as declared by the Content-Type header
    etag: str | None = None
    last_modified: str | None = None
    elapsed: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def not_modified(self) -> bool:
        return self.status == 304


@dataclass(frozen=True)
class Attachment:
    url: str
    title: str = ""


@dataclass(frozen=True)
class Entry:
    """One raw item as a source adapter found it: strings may still hold HTML or entities."""

    source_id: str
    url: str
    title: str
    guid: str | None = None
    summary: str = ""
    body_html: str = ""
    published: datetime | None = None
    image: str | None = None
    attachments: tuple[Attachment, ...] = ()
    tags: tuple[str, ...] = ()
    kind: ItemKind | None = None
    extra: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class Item:
    """A normalised item: NFC text, canonical URL, UTC time, stable id and content hash."""

    id: str
    source_id: str
    guid: str
    url: str
    title: str
    summary: str
    body_html: str  # sanitised
    body_text: str
    published_at: datetime  # UTC
    fetched_at: datetime  # UTC
    content_hash: str
    kind: ItemKind
    image: str | None = None
    attachments: tuple[Attachment, ...] = ()
    tags: tuple[str, ...] = ()
    off_domain: tuple[str, ...] = ()  # URLs (item, image, attachments) outside allowed_domains
    extra: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class ParsedSource:
    """What a source run produced before it touches the store."""

    source_id: str
    fetched: Fetched
    items: tuple[Item, ...]
    body_hash: str | None = None
    skipped_parse: bool = False  # body identical to the last run's


@dataclass(frozen=True)
class SourceResult:
    """Value-or-error result of one source in one run, recorded in the fetch log."""

    source_id: str
    status: RunStatus
    new: int = 0
    updated: int = 0
    duplicates: int = 0
    seconds: float = 0.0
    error: LoaError | None = None
    url: str = ""
    health: Health = Health.HEALTHY
    health_reason: str = ""
    health_action: str = ""
    new_ids: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @property
    def error_kind(self) -> str | None:
        return self.error.kind if self.error else None
