"""JSON APIs (WordPress REST, Strapi) → entries, through dotted field paths from sources.yaml."""

from __future__ import annotations

import json
import re
from datetime import UTC, tzinfo
from typing import Any

from worker.dates import parse_datetime
from worker.errors import ParseError, SourceBroken
from worker.models import Entry, Fetched, JsonSpec, Source
from worker.sources import missing_required
from worker.sources.encoding import decode_body
from worker.urls import canonical_url

_TEMPLATE_FIELD = re.compile(r"\{([^{}]+)\}")
_MISSING = object()


def dig(data: Any, path: str | None) -> Any:
    """Follow a dotted path (`attributes.thumbnail.data.attributes.url`, `data.0.id`); None if absent."""
    if path is None:
        return None
    if path == "":
        return data
    current = data
    for part in path.split("."):
        if isinstance(current, dict):
            current = current.get(part, _MISSING)
        elif isinstance(current, list) and part.lstrip("-").isdigit():
            index = int(part)
            current = current[index] if -len(current) <= index < len(current) else _MISSING
        else:
            return None
        if current is _MISSING:
            return None
    return current


def field_text(record: Any, path: str | None) -> str | None:
    """A field as text; `{a.b}` templates build links from several fields (Strapi slugs)."""
    if not path:
        return None
    if "{" in path:
        missing = False

        def fill(match: re.Match[str]) -> str:
            nonlocal missing
            value = dig(record, match.group(1))
            missing = missing or value is None
            return "" if value is None else str(value)

        filled = _TEMPLATE_FIELD.sub(fill, path)
        return None if missing else filled
    value = dig(record, path)
    if value is None or isinstance(value, (dict, list)):
        return None
    return str(value)


def parse_json(source: Source, fetched: Fetched, tz: tzinfo) -> list[Entry]:
    spec: JsonSpec | None = source.json
    if spec is None:
        raise SourceBroken(f"source {source.id} has no json: paths", hint="add a json: block to sources.yaml")
    text = decode_body(fetched.body or b"", fetched.charset)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(
            f"{fetched.final_url} did not return JSON ({exc.msg} at line {exc.lineno})",
            url=fetched.final_url,
            hint="the API may be down or moved; open the URL and check url in sources.yaml",
        ) from None
    records = dig(data, spec.items)
    hint = f"run `loa sources test {source.id}` to see the response, then fix json.* in sources.yaml"
    if not isinstance(records, list):
        raise SourceBroken(
            f"path `{spec.items or '(root)'}` (json.items) is not a list in the response from {fetched.final_url}",
            url=fetched.final_url,
            hint=hint,
        )
    base = spec.base_url or fetched.final_url
    entries: list[Entry] = []
    titles = links = 0
    for record in records:
        title = field_text(record, spec.title)
        link = field_text(record, spec.link)
        titles += title is not None
        links += link is not None
        if not title or not link:
            continue
        date_tz = UTC if spec.date and spec.date.endswith(("_gmt", "At")) else tz
        image = field_text(record, spec.image)
        entries.append(
            Entry(
                source_id=source.id,
                url=canonical_url(link, base),
                guid=field_text(record, spec.id),
                title=title,
                summary=field_text(record, spec.summary) or "",
                body_html=field_text(record, spec.body) or "",
                published=parse_datetime(field_text(record, spec.date), tz=date_tz, fmt=spec.date_format),
                image=canonical_url(image, base) if image else None,
            )
        )
    field = missing_required(titles, links) if records else None
    if field is not None:
        path = spec.title if field == "title" else spec.link
        raise SourceBroken(
            f"path `{path}` (json.{field}) is missing in all {len(records)} records from {fetched.final_url}",
            url=fetched.final_url,
            hint=hint,
        )
    return entries
