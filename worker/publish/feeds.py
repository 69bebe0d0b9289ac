"""Render Atom and JSON Feed 1.1 documents (the site's and one pair per ward) into {relative path: bytes}; no I/O.

A ward feed is re-rendered only when its fingerprint changed, so a national list of wards stays cheap.
"""

from __future__ import annotations

import hashlib
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from worker.dates import iso_utc
from worker.publish.bodies import local_image, prepare_body
from worker.publish.model import PublishedItem, Snapshot
from worker.wards import Ward

ATOM = "http://www.w3.org/2005/Atom"
JSON_FEED = "https://jsonfeed.org/version/1.1"
# Bump when the feed layout changes, so every stored fingerprint is stale.
FORMAT = "feeds-1"
ET.register_namespace("", ATOM)


@dataclass(frozen=True)
class FeedState:
    fingerprint: str
    updated: str  # ISO UTC: the feed's <updated>, kept while its content is unchanged
    inputs: str = ""  # a short digest of what `fingerprint` hashes in full: equal inputs, equal fingerprint


@dataclass
class FeedsOutput:
    files: dict[str, bytes] = field(default_factory=dict)
    kept: set[str] = field(default_factory=set)  # unchanged feeds, not re-rendered
    states: dict[str, FeedState] = field(default_factory=dict)


@dataclass(frozen=True)
class Links:
    """Where a feed's links point: absolute under base_url, else relative to the feed file."""

    base: str
    to_site: str  # relative prefix from the feed file to site/

    def site(self, path: str) -> str:
        return f"{self.base}/{path}" if self.base else f"{self.to_site}{path}"


def entry_updated(item: PublishedItem) -> datetime:
    return max(item.published_at, item.approved_at)


def fingerprint(parts: Iterable[str]) -> str:
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()[:32]


def item_fingerprint(item: PublishedItem) -> str:
    return f"{item.id}:{item.revision}:{item.approved_at.isoformat()}:{item.priority.value}:{item.pack_number}:{item.pack_title}:{','.join(item.topics)}"


def feed_updated(previous: FeedState | None, new_fingerprint: str, items: list[PublishedItem], now: datetime) -> str:
    """Unchanged content keeps its time; changed content is dated now (a removal changes the feed too)."""
    if previous is not None and previous.fingerprint == new_fingerprint:
        return previous.updated
    if previous is None and items:
        return iso_utc(max(entry_updated(i) for i in items))
    return iso_utc(now)


def _text(parent: ET.Element, tag: str, text: str, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
    element.text = text
    return element


def atom(
    *,
    feed_id: str,
    title: str,
    subtitle: str,
    updated: str,
    self_href: str,
    home_href: str,
    author: str,
    items: list[PublishedItem],
    links: Links,
    snapshot: Snapshot,
) -> bytes:
    topic_names = {t.id: t.name for t in snapshot.topics}
    root = ET.Element(f"{{{ATOM}}}feed", {"{http://www.w3.org/XML/1998/namespace}lang": "vi"})
    _text(root, "id", feed_id)
    _text(root, "title", title)
    _text(root, "subtitle", subtitle)
    _text(root, "updated", updated)
    ET.SubElement(root, f"{{{ATOM}}}link", {"rel": "alternate", "type": "text/html", "href": home_href})
    if self_href:
        ET.SubElement(root, f"{{{ATOM}}}link", {"rel": "self", "type": "application/atom+xml", "href": self_href})
    _text(ET.SubElement(root, f"{{{ATOM}}}author"), "name", author)
    _text(root, "generator", "Loa")
    for item in items:
        entry = ET.SubElement(root, f"{{{ATOM}}}entry")
        _text(entry, "id", f"urn:loa:item:{item.id}")
        _text(entry, "title", item.title)
        ET.SubElement(
            entry,
            f"{{{ATOM}}}link",
            {"rel": "alternate", "type": "text/html", "href": links.site(f"items/{item.id}.html")},
        )
        ET.SubElement(entry, f"{{{ATOM}}}link", {"rel": "via", "href": item.url})
        _text(entry, "published", iso_utc(item.published_at))
        _text(entry, "updated", iso_utc(entry_updated(item)))
        _text(ET.SubElement(entry, f"{{{ATOM}}}author"), "name", item.agency or item.source_name)
        if item.summary:
            _text(entry, "summary", item.summary)
        body = _content(item, links, snapshot)
        if body:
            _text(entry, "content", body, type="html")
        ET.SubElement(
            entry,
            f"{{{ATOM}}}category",
            {"scheme": "urn:loa:pack", "term": f"so-{item.pack_number}", "label": item.pack_title},
        )
        ET.SubElement(
            entry,
            f"{{{ATOM}}}category",
            {"scheme": "urn:loa:priority", "term": item.priority.value, "label": item.priority.label},
        )
        for topic in item.topics:
            ET.SubElement(
                entry,
                f"{{{ATOM}}}category",
                {"scheme": "urn:loa:topic", "term": topic, "label": topic_names.get(topic, topic)},
            )
    ET.indent(root)
    return (
        b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="utf-8", xml_declaration=False) + b"\n"
    )


_CONTENT_CACHE: dict[tuple[str, str, str], str] = {}


def _content(item: PublishedItem, links: Links, snapshot: Snapshot) -> str:
    # Images point at our copies (absolute under base_url); remote images are left out, as on the site.
    # Thousands of ward feeds share the same items: sanitise each body once per render, not once per ward.
    key = (item.body_html, links.site(""), repr(sorted(snapshot.media.items())) if snapshot.media else "")
    if key not in _CONTENT_CACHE:
        if len(_CONTENT_CACHE) > 4096:
            _CONTENT_CACHE.clear()
        _CONTENT_CACHE[key] = prepare_body(item.body_html, snapshot.media, links.site(""))
    return _CONTENT_CACHE[key]


def json_feed(
    *,
    title: str,
    description: str,
    home_href: str,
    feed_href: str,
    author: str,
    items: list[PublishedItem],
    links: Links,
    snapshot: Snapshot,
    extension: dict[str, object],
) -> bytes:
    document: dict[str, object] = {"version": JSON_FEED, "title": title, "home_page_url": home_href}
    if feed_href:
        document["feed_url"] = feed_href
    document.update({"description": description, "language": "vi", "authors": [{"name": author}], "_loa": extension})
    entries = []
    for item in items:
        entry: dict[str, object] = {
            "id": f"urn:loa:item:{item.id}",
            "url": links.site(f"items/{item.id}.html"),
            "external_url": item.url,
            "title": item.title,
        }
        content = _content(item, links, snapshot)
        entry["content_html"] = content or f"<p>{_escape(item.summary or item.title)}</p>"
        if item.summary:
            entry["summary"] = item.summary
        image = local_image(item.image, snapshot.media, links.site(""))
        if image:
            entry["image"] = image
        entry.update(
            {
                "date_published": iso_utc(item.published_at),
                "date_modified": iso_utc(entry_updated(item)),
                "authors": [{"name": item.agency or item.source_name}],
                "tags": list(item.topics),
                "language": "vi",
            }
        )
        if item.attachments:
            entry["attachments"] = [
                {
                    "url": links.site(snapshot.media[a.url]) if a.url in snapshot.media else a.url,
                    "mime_type": _mime(a.url),
                    **({"title": a.title} if a.title else {}),
                }
                for a in item.attachments
            ]
        entry["_loa"] = {
            "pack": {
                "number": item.pack_number,
                "title": item.pack_title,
                "url": links.site(f"packs/so-{item.pack_number}.html"),
            },
            "priority": item.priority.value,
            "kind": item.kind,
            "source": item.source_id,
            "revision": item.revision,
            "broadcast_title": item.broadcast_title or None,
            "broadcast_text": item.broadcast_text or None,
            "video_id": item.video_id,
        }
        entries.append(entry)
    document["items"] = entries
    # Compact: the C encoder is many times faster than indent=, which matters for thousands of wards.
    return (json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_MIME = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "doc": "application/msword",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "mp3": "audio/mpeg",
    "mp4": "video/mp4",
}


def _mime(url: str) -> str:
    return _MIME.get(url.rsplit(".", 1)[-1].lower().split("?")[0], "application/octet-stream")


def newest_first(items: Iterable[PublishedItem]) -> list[PublishedItem]:
    return sorted(items, key=lambda i: (i.published_at, i.id), reverse=True)


def render_site_feeds(snapshot: Snapshot, *, now: datetime, previous: Mapping[str, FeedState]) -> FeedsOutput:
    """site/atom.xml and site/feed.json: the newest `site.feed_entries` published items."""
    out = FeedsOutput()
    site = snapshot.site
    items = newest_first(snapshot.items)[: site.feed_entries]
    links = Links(site.base_url, "")
    key = "site"
    print_ = fingerprint([FORMAT, site.title, site.base_url, site.description, *(item_fingerprint(i) for i in items)])
    updated = feed_updated(previous.get(key), print_, items, now)
    out.states[key] = FeedState(print_, updated)
    out.files["site/atom.xml"] = atom(
        feed_id="urn:loa:feed:site",
        title=site.title,
        subtitle=site.description,
        updated=updated,
        self_href=f"{site.base_url}/atom.xml" if site.base_url else "",
        home_href=links.site("index.html"),
        author=site.title,
        items=items,
        links=links,
        snapshot=snapshot,
    )
    out.files["site/feed.json"] = json_feed(
        title=site.title,
        description=site.description,
        home_href=links.site("index.html"),
        feed_href=f"{site.base_url}/feed.json" if site.base_url else "",
        author=site.title,
        items=items,
        links=links,
        snapshot=snapshot,
        extension={"updated": updated},
    )
    return out


def render_ward_feeds(
    snapshot: Snapshot, *, now: datetime, previous: Mapping[str, FeedState], existing: set[str]
) -> FeedsOutput:
    """feeds/<ward>.xml and .json, filtered by each ward's topics and kinds; unchanged wards are skipped."""
    out = FeedsOutput()
    for path, data in ward_feed_files(snapshot, now=now, previous=previous, existing=existing, out=out):
        out.files[path] = data
    return out


def ward_feed_files(
    snapshot: Snapshot, *, now: datetime, previous: Mapping[str, FeedState], existing: set[str], out: FeedsOutput
) -> Iterator[tuple[str, bytes]]:
    """The changed ward feeds one at a time (a national list holds gigabytes of them); states and kept go to `out`."""
    site = snapshot.site
    # feeds_url joins only when set: adding it to every fingerprint would re-render every ward feed once on upgrade.
    base_parts = [FORMAT, site.title, site.base_url, *([site.feeds_url] if site.feeds_url else [])]
    by_filter: dict[tuple[tuple[str, ...], tuple[str, ...]], tuple[list[PublishedItem], list[str]]] = {}
    all_items = newest_first(snapshot.items)
    filter_prints: dict[tuple[tuple[str, ...], tuple[str, ...]], str] = {}
    templates: dict[tuple[tuple[str, ...], tuple[str, ...]], _WardTemplate | None] = {}
    for ward in snapshot.wards:
        if ward.filter_key not in by_filter:
            # A feed is a window on the newest items, as subscribers expect; the site's pages keep the rest.
            chosen = [i for i in all_items if ward.wants(i.topics, i.kind)][: site.feed_entries]
            by_filter[ward.filter_key] = (chosen, [item_fingerprint(i) for i in chosen])
            filter_prints[ward.filter_key] = fingerprint([*base_parts, *by_filter[ward.filter_key][1]])
        items, prints = by_filter[ward.filter_key]
        key = f"ward:{ward.id}"
        paths = (f"feeds/{ward.id}.xml", f"feeds/{ward.id}.json")
        before = previous.get(key)
        # Hashing every item print again for each of 3,321 wards costs more than the rest of a quiet publish.
        inputs = fingerprint([repr(ward), filter_prints[ward.filter_key]])
        if before is not None and before.inputs == inputs:
            print_ = before.fingerprint
        else:
            print_ = fingerprint([*base_parts, repr(ward), *prints])
        if before is not None and before.fingerprint == print_ and all(p in existing for p in paths):
            out.states[key] = replace(before, inputs=inputs)
            out.kept.update(paths)
            continue
        updated = feed_updated(before, print_, items, now)
        out.states[key] = FeedState(print_, updated, inputs)
        if ward.filter_key not in templates:
            # Wards with one filter share every entry: render the pair once, fill in each ward's own fields.
            # The first ward checks the template against a full render; on any difference, render in full.
            template = _WardTemplate.build(snapshot, items)
            full = _ward_pair(ward, snapshot, items, updated)
            templates[ward.filter_key] = template if template.fill(ward, snapshot, updated) == full else None
            yield paths[0], full[0]
            yield paths[1], full[1]
            continue
        known = templates[ward.filter_key]
        pair = known.fill(ward, snapshot, updated) if known else _ward_pair(ward, snapshot, items, updated)
        yield paths[0], pair[0]
        yield paths[1], pair[1]


def _ward_fields(ward: Ward, snapshot: Snapshot, updated: str) -> dict[str, str]:
    fields = {
        "feed_id": f"urn:loa:feed:ward:{ward.id}",
        "title": f"{snapshot.site.title} – {ward.name}",
        "subtitle": _ward_subtitle(ward, snapshot),
        "updated": updated,
        "ward": json.dumps(ward.listing(), ensure_ascii=False, separators=(",", ":")),
    }
    if snapshot.site.feeds_url:  # where subscribers fetch the feed: Atom's rel="self", JSON Feed's feed_url
        fields["self_xml"] = f"{snapshot.site.feeds_url}/{ward.id}.xml"
        fields["self_json"] = f"{snapshot.site.feeds_url}/{ward.id}.json"
    return fields


def _ward_pair(ward: Ward, snapshot: Snapshot, items: list[PublishedItem], updated: str) -> tuple[bytes, bytes]:
    """One ward's Atom and JSON feeds, rendered in full."""
    fields = _ward_fields(ward, snapshot, updated)
    return _render_pair(snapshot, items, fields, ward.listing())


def _render_pair(
    snapshot: Snapshot, items: list[PublishedItem], fields: Mapping[str, str], ward: object
) -> tuple[bytes, bytes]:
    """A ward feed pair from its own fields (real values, or the template's marks)."""
    site = snapshot.site
    links = Links(site.base_url, "../site/")
    xml = atom(
        feed_id=fields["feed_id"],
        title=fields["title"],
        subtitle=fields["subtitle"],
        updated=fields["updated"],
        self_href=fields.get("self_xml", ""),
        home_href=links.site("index.html"),
        author=site.title,
        items=items,
        links=links,
        snapshot=snapshot,
    )
    document = json_feed(
        title=fields["title"],
        description=fields["subtitle"],
        home_href=links.site("index.html"),
        feed_href=fields.get("self_json", ""),
        author=site.title,
        items=items,
        links=links,
        snapshot=snapshot,
        extension={"ward": ward, "updated": fields["updated"]},
    )
    return xml, document


_HOLE = "\ue000loa-{}\ue000"  # private-use marks: never in a title, escaped by neither encoder


def _xml_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@dataclass(frozen=True)
class _WardTemplate:
    """A filter's Atom and JSON feeds rendered once with marks where each ward's own fields go."""

    xml: tuple[bytes, ...]  # pieces between the holes, and the field name of each hole
    xml_holes: tuple[str, ...]
    json: tuple[bytes, ...]
    json_holes: tuple[str, ...]

    @classmethod
    def build(cls, snapshot: Snapshot, items: list[PublishedItem]) -> _WardTemplate:
        names: tuple[str, ...] = ("feed_id", "title", "subtitle", "updated", "ward")
        names += ("self_xml", "self_json") if snapshot.site.feeds_url else ()
        hole = {name: _HOLE.format(name) for name in names}
        xml, document = _render_pair(snapshot, items, hole, hole["ward"])
        xml_pieces, xml_holes = _split(xml, {name: mark.encode() for name, mark in hole.items()})
        json_marks = {name: json.dumps(mark, ensure_ascii=False).encode() for name, mark in hole.items()}
        json_pieces, json_holes = _split(document, json_marks)
        return cls(xml_pieces, xml_holes, json_pieces, json_holes)

    def fill(self, ward: Ward, snapshot: Snapshot, updated: str) -> tuple[bytes, bytes]:
        fields = _ward_fields(ward, snapshot, updated)
        xml_values = {k: _xml_text(v).encode() for k, v in fields.items()}
        json_values = {k: (v if k == "ward" else json.dumps(v, ensure_ascii=False)).encode() for k, v in fields.items()}
        return _join(self.xml, self.xml_holes, xml_values), _join(self.json, self.json_holes, json_values)


def _split(data: bytes, marks: Mapping[str, bytes]) -> tuple[tuple[bytes, ...], tuple[str, ...]]:
    pieces: list[bytes] = []
    holes: list[str] = []
    rest = data
    while True:
        found = [(rest.find(mark), name) for name, mark in marks.items() if mark in rest]
        if not found:
            pieces.append(rest)
            return tuple(pieces), tuple(holes)
        at, name = min(found)
        pieces.append(rest[:at])
        holes.append(name)
        rest = rest[at + len(marks[name]) :]


def _join(pieces: tuple[bytes, ...], holes: tuple[str, ...], values: Mapping[str, bytes]) -> bytes:
    parts = [pieces[0]]
    for hole, piece in zip(holes, pieces[1:], strict=True):
        parts += [values[hole], piece]
    return b"".join(parts)


def _ward_subtitle(ward: Ward, snapshot: Snapshot) -> str:
    names = {t.id: t.name for t in snapshot.topics}
    topics = ", ".join(names.get(t, t) for t in ward.topics) if ward.topics else "mọi chủ đề"
    return f"Tin đã kiểm duyệt cho {ward.name}: {topics}."
