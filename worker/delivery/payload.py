"""Pure payload building and signing: a published pack → the JSON a CMS receives, or a WordPress post; HMAC-SHA256.

Built from the same `Snapshot` publish renders, so nothing unapproved can be in a payload.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from worker.dates import iso_utc
from worker.publish.bodies import prepare_body
from worker.publish.model import PublishedItem, PublishedPack, Snapshot
from worker.sanitize import html_to_text

SCHEMA = "loa.pack/1"


def encode(payload: Mapping[str, Any]) -> bytes:
    """Canonical JSON bytes: the signature covers exactly these, and a resend repeats them exactly."""
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def sign(secret: str, body: bytes) -> str:
    """The `X-Loa-Signature` header value: `sha256=` + hex HMAC-SHA256 of the body bytes."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, header: str) -> bool:
    """What a receiver does (constant-time comparison); used by tests and the demo receiver."""
    return hmac.compare_digest(sign(secret, body), header.strip())


def idempotency_key(pack_id: int, revision: int) -> str:
    return f"{pack_id}-r{revision}"


def event(pack: PublishedPack) -> str:
    if not pack.items:
        return "pack.emptied"
    return "pack.published" if pack.revision == 1 else "pack.revised"


def _media_sha(site_path: str) -> str:
    # Snapshot.media maps a remote URL to "media/<sha256>.<ext>".
    return site_path.rsplit("/", 1)[-1].split(".", 1)[0]


def _media(item: PublishedItem, snapshot: Snapshot) -> list[dict[str, Any]]:
    base = snapshot.site.base_url
    found: list[dict[str, Any]] = []
    wanted = [(item.image, "image", "")] + [(a.url, "attachment", a.title) for a in item.attachments]
    for url, role, title in wanted:
        if not url:
            continue
        local = snapshot.media.get(url)
        found.append(
            {
                "role": role,
                "title": title,
                "url": url,
                "sha256": _media_sha(local) if local else None,
                "local_url": f"{base}/{local}" if local and base else None,
            }
        )
    return found


def _html(item: PublishedItem, snapshot: Snapshot) -> str:
    # Images point at our own copies only when the site has an absolute address; otherwise they are dropped.
    media = snapshot.media if snapshot.site.base_url else {}
    return prepare_body(item.body_html, media, snapshot.site.base_url + "/")


def item_payload(item: PublishedItem, snapshot: Snapshot) -> dict[str, Any]:
    names = {t.id: t.name for t in snapshot.topics}
    html = _html(item, snapshot)
    return {
        "id": item.id,
        "story_id": item.story_id,
        "kind": item.kind,
        "priority": item.priority.value,
        "title": item.title,
        "summary": item.summary,
        "text": html_to_text(html, keep_paragraphs=True) if html else item.summary,
        "html": html,
        "revision": item.revision,
        "topics": [{"id": t, "name": names.get(t, t)} for t in item.topics],
        "media": _media(item, snapshot),
        "broadcast": {"title": item.broadcast_title, "text": item.broadcast_text},
        "provenance": {
            "source": item.source_id,
            "source_name": item.source_name,
            "agency": item.agency,
            "original_url": item.url,
            "published_at": iso_utc(item.published_at),
            "approved_at": iso_utc(item.approved_at),
        },
    }


def pack_payload(
    pack: PublishedPack, snapshot: Snapshot, *, destination: str, sequence: int, created_at: datetime
) -> dict[str, Any]:
    """The JSON body of an http delivery (schema in README, "Deliveries and notices")."""
    base = snapshot.site.base_url
    return {
        "schema": SCHEMA,
        "event": event(pack),
        "destination": destination,
        "sequence": sequence,
        "idempotency_key": idempotency_key(pack.id, pack.revision),
        "created_at": iso_utc(created_at),
        "site": {"title": snapshot.site.title, "url": base or None},
        "pack": {
            "id": pack.id,
            "number": pack.number,
            "title": pack.title,
            "revision": pack.revision,
            "published_at": iso_utc(pack.published_at),
            "updated_at": iso_utc(pack.updated_at),
            "url": f"{base}/packs/{pack.slug}.html" if base else None,
            "withdrawn": pack.withdrawn,
            "items": [item_payload(item, snapshot) for item in pack.items],
        },
    }


def wordpress_slug(pack: PublishedPack) -> str:
    return f"loa-ban-tin-{pack.id}"


def wordpress_post(pack: PublishedPack, snapshot: Snapshot) -> dict[str, Any]:
    """A post for /wp-json/wp/v2/posts: the pack's approved items as sanitised HTML, with their sources."""
    from html import escape

    parts: list[str] = []
    for item in pack.items:
        source = escape(item.agency or item.source_name)
        parts.append(
            f"<h2>{escape(item.title)}</h2>\n{_html(item, snapshot) or f'<p>{escape(item.summary)}</p>'}\n"
            f'<p><em>Nguồn: {source}, <a href="{escape(item.url)}">bài gốc</a></em></p>'
        )
    if pack.withdrawn:
        parts.append(f"<p><em>{pack.withdrawn} tin của bản tin này đã được thu hồi.</em></p>")
    return {
        "title": pack.title,
        "slug": wordpress_slug(pack),
        "status": "publish",
        "content": "\n".join(parts),
        "excerpt": f"{len(pack.items)} tin đã được kiểm duyệt (lần {pack.revision})",
    }
