"""Server-rendered listing and article pages → entries, with CSS selectors from sources.yaml.

A listing whose selectors match nothing raises SourceBroken naming the selector, never "0 new items".
"""

from __future__ import annotations

from dataclasses import replace
from datetime import tzinfo

from bs4 import BeautifulSoup

from worker.dates import parse_datetime
from worker.errors import SourceBroken
from worker.models import ArticleSpec, Attachment, Entry, Fetched, HtmlSpec, Source
from worker.sources import missing_required
from worker.sources.encoding import decode_body
from worker.sources.selectors import select_all, select_html, select_value, select_values
from worker.urls import canonical_url

TUNE_HINT = "run `loa sources test {id}` to see what the page holds now, then fix sources.yaml"


def soup_of(fetched: Fetched) -> BeautifulSoup:
    return BeautifulSoup(decode_body(fetched.body or b"", fetched.charset), "lxml")


def _spec(source: Source) -> HtmlSpec:
    if source.html is None:
        raise SourceBroken(f"source {source.id} has no html: selectors", hint="add an html: block to sources.yaml")
    return source.html


def parse_listing(source: Source, fetched: Fetched, tz: tzinfo) -> list[Entry]:
    spec = _spec(source)
    soup = soup_of(fetched)
    hint = TUNE_HINT.format(id=source.id)
    elements = select_all(soup, spec.item)
    if not elements:
        raise SourceBroken(
            f"selector `{spec.item}` (html.item) matched 0 elements on {fetched.final_url}",
            url=fetched.final_url,
            hint=hint,
        )
    entries: list[Entry] = []
    titles = links = 0
    for element in elements:
        title = select_value(element, spec.title)
        link = select_value(element, spec.link)
        titles += title is not None
        links += link is not None
        if not title or not link:
            continue
        date_text = select_value(element, spec.date)
        entries.append(
            Entry(
                source_id=source.id,
                url=canonical_url(link, fetched.final_url),
                title=title,
                summary=select_value(element, spec.summary) or "",
                published=parse_datetime(date_text, tz=tz, fmt=spec.date_format),
                image=_absolute(select_value(element, spec.image), fetched.final_url),
            )
        )
    field = missing_required(titles, links)
    if field is not None:
        selector = spec.title if field == "title" else spec.link
        raise SourceBroken(
            f"selector `{selector}` (html.{field}) matched nothing in any of the {len(elements)} "
            f"`{spec.item}` elements on {fetched.final_url}",
            url=fetched.final_url,
            hint=hint,
        )
    return entries


def parse_article(source: Source, entry: Entry, fetched: Fetched, tz: tzinfo) -> Entry:
    """Fill an entry from its own page: body, attachments and anything the listing lacked."""
    spec: ArticleSpec | None = _spec(source).article
    if spec is None:
        return entry
    soup = soup_of(fetched)
    root = soup.body or soup
    body = select_html(root, spec.body)
    if spec.body and body is None:
        raise SourceBroken(
            f"selector `{spec.body}` (html.article.body) matched nothing on {fetched.final_url}",
            url=fetched.final_url,
            hint=TUNE_HINT.format(id=source.id),
        )
    attachments = tuple(
        Attachment(url=canonical_url(href, fetched.final_url)) for href in select_values(root, spec.attachments)
    )
    published = entry.published
    if published is None:
        published = parse_datetime(select_value(root, spec.date), tz=tz, fmt=spec.date_format)
    return replace(
        entry,
        body_html=body or entry.body_html,
        attachments=entry.attachments + tuple(a for a in attachments if a not in entry.attachments),
        published=published,
        summary=entry.summary or select_value(root, spec.summary) or "",
        image=entry.image or _absolute(select_value(root, spec.image), fetched.final_url),
    )


def _absolute(url: str | None, base: str) -> str | None:
    return canonical_url(url, base) if url else None
