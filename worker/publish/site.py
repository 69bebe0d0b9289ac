"""Render the static city site (Jinja2, autoescaped) from a `Snapshot` into {relative path: bytes}; no I/O."""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from datetime import datetime, tzinfo
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from worker.publish.bodies import local_image, prepare_body
from worker.publish.model import PublishedItem, Snapshot
from worker.sanitize import nfc

if TYPE_CHECKING:
    from jinja2 import Environment

KIND_LABELS = {
    "article": "Bài viết",
    "warning": "Cảnh báo",
    "video": "Video",
    "infographic": "Đồ họa thông tin",
    "document": "Tài liệu",
}


@cache
def environment() -> Environment:
    # Imported here: a publish whose site is unchanged renders no page (jinja2 costs ~25 ms of start-up).
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(
        loader=PackageLoader("worker.publish", "templates"),
        autoescape=select_autoescape(["html", "xml"], default=True),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals["kind_label"] = lambda kind: KIND_LABELS.get(kind, kind)
    return env


def asset(name: str) -> bytes:
    return (resources.files("worker.publish") / "templates" / name).read_bytes()


def attachment_name(url: str) -> str:
    name = posixpath.basename(unquote(urlsplit(url).path))
    return name or url


def render_site(snapshot: Snapshot, tz: tzinfo) -> dict[str, bytes]:
    """Every page of the site, keyed by its path relative to site/."""
    env = environment()
    topic_names = {t.id: t.name for t in snapshot.topics}
    base = snapshot.site.base_url

    def vndate(moment: datetime) -> str:
        return moment.astimezone(tz).strftime("%d/%m/%Y")

    env.filters["vndate"] = vndate
    files: dict[str, bytes] = {"assets/site.css": asset("site.css"), "assets/favicon.svg": asset("favicon.svg")}

    def page(template: str, path: str, **context: Any) -> None:
        depth = path.count("/")
        root = "../" * depth
        media = snapshot.media

        def image_for(item: PublishedItem, prefix: str) -> str | None:
            return local_image(item.image, media, prefix)

        html = env.get_template(template).render(
            site=snapshot.site,
            root=root,
            media=media,
            image_for=image_for,
            topic_name=lambda t: topic_names.get(t, t),
            canonical=f"{base}/{path}" if base else "",
            og_type=context.pop("og_type", "website"),
            **context,
        )
        files[path] = nfc(html).encode("utf-8")

    items = sorted(snapshot.items, key=lambda i: (i.published_at, i.id), reverse=True)
    page(
        "index.html",
        "index.html",
        page_title=snapshot.site.title,
        description=snapshot.site.description,
        packs=snapshot.packs,
        section="index",
    )
    for pack in snapshot.packs:
        page(
            "pack.html",
            f"packs/{pack.slug}.html",
            page_title=pack.title,
            description=f"{len(pack.items)} tin cảnh báo lừa đảo đã được kiểm duyệt.",
            pack=pack,
            section="index",
            og_type="article",
        )
    for item in items:
        image = local_image(item.image, snapshot.media, "../")
        page(
            "item.html",
            f"items/{item.id}.html",
            page_title=item.title,
            description=item.summary[:300] or item.title,
            item=item,
            image=image,
            body=prepare_body(item.body_html, snapshot.media, "../"),
            attachment_href=_attachment_href(snapshot.media),
            attachment_name=attachment_name,
            og_image=f"{base}/{snapshot.media[item.image]}"
            if base and item.image and item.image in snapshot.media
            else "",
            section="index",
            og_type="article",
        )
        if item.video_id:
            page(
                "watch.html",
                f"watch/{item.id}.html",
                page_title=f"Video: {item.title}",
                description=item.summary[:300] or item.title,
                item=item,
                section="index",
                og_type="video.other",
            )
    counts = []
    for topic in snapshot.topics:
        tagged = [i for i in items if topic.id in i.topics]
        counts.append((topic, len(tagged)))
        page(
            "list.html",
            f"topics/{topic.id}.html",
            page_title=f"Chủ đề: {topic.name}",
            description=f"Tin cảnh báo về {topic.name.lower()}.",
            heading=topic.name,
            items=tagged,
            section="topics",
        )
    page(
        "topics.html",
        "topics/index.html",
        page_title="Chủ đề",
        description="Tin cảnh báo theo chủ đề.",
        topics=counts,
        section="topics",
    )
    months: dict[str, list[PublishedItem]] = {}
    for item in items:
        local = item.published_at.astimezone(tz)
        months.setdefault(f"{local.month}/{local.year}", []).append(item)
    page(
        "archive.html",
        "archive.html",
        page_title="Lưu trữ",
        description="Tất cả bản tin và tin đã phát hành.",
        packs=snapshot.packs,
        months=list(months.items()),
        section="archive",
    )
    return files


def _attachment_href(media: Any) -> Callable[[str], str]:
    def href(url: str) -> str:
        # Our copy when the media store has one; otherwise the publisher's own link (a download, not an embed).
        return f"../{media[url]}" if url in media else url

    return href
