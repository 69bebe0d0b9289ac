"""The lxml fast path must read every feed it accepts exactly as feedparser does, or decline it."""

from __future__ import annotations

import contextlib
import re
from pathlib import Path
from urllib.parse import urljoin
from xml.sax.saxutils import escape, quoteattr
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.corpus import generate
from tests.conftest import FIXTURES
from worker.errors import LoaError
from worker.models import Entry, Fetched, Source
from worker.sources import fastfeed
from worker.sources.fastfeed import parse_plain_feed
from worker.sources.feed import parse_feed, parse_with_feedparser

VN = ZoneInfo("Asia/Ho_Chi_Minh")
DEMO_FEED = Path(__file__).resolve().parent.parent / "worker/demo/site/chongluadao/blog/feed/index.xml"
BASE = "https://chongluadao.vn/blog/feed/"


def fetched(body: bytes, content_type: str = "application/rss+xml", charset: str | None = "utf-8") -> Fetched:
    return Fetched(url=BASE, final_url=BASE, status=200, body=body, content_type=content_type, charset=charset)


def source() -> Source:
    return Source(id="nguon", name="Nguồn", kind="feed", url=BASE, rank=0, every_seconds=1800)


def both(
    body: bytes, content_type: str = "application/rss+xml", charset: str | None = "utf-8"
) -> tuple[object, object]:
    page = fetched(body, content_type, charset)
    fast = parse_plain_feed(source(), page)
    try:
        slow: list[Entry] | str = parse_with_feedparser(source(), page, VN)
    except LoaError as error:
        slow = f"error: {error}"
    return fast, slow


@pytest.mark.parametrize(
    "path",
    [
        FIXTURES / "feed_atom.xml",
        FIXTURES / "feed_entities_title.xml",
        FIXTURES / "feed_nfd.xml",
        FIXTURES / "feed_rss_wordpress.xml",
        FIXTURES / "tiktok/rsshub_tiktok_user.xml",
        DEMO_FEED,
    ],
    ids=lambda p: p.name,
)
def test_fixtures_take_the_fast_path_with_identical_entries(path: Path) -> None:
    ctype = "application/atom+xml" if b"<feed" in path.read_bytes()[:400] else "application/rss+xml"
    fast, slow = both(path.read_bytes(), ctype)
    assert fast is not None
    assert fast == slow


@pytest.mark.parametrize("name", ["feed_broken.xml", "feed_malformed_recoverable.xml"])
def test_malformed_feeds_are_left_to_feedparser(name: str) -> None:
    body = (FIXTURES / name).read_bytes()
    assert parse_plain_feed(source(), fetched(body)) is None
    try:
        expected: object = parse_with_feedparser(source(), fetched(body), VN)
    except LoaError as error:
        expected = type(error)
    try:
        got: object = parse_feed(source(), fetched(body), VN)
    except LoaError as error:
        got = type(error)
    assert got == expected


@pytest.mark.parametrize(
    ("content_type", "charset", "body"),
    [
        ("text/html", "utf-8", b'<?xml version="1.0"?><rss version="2.0"><channel/></rss>'),
        ("text/xml", None, b'<?xml version="1.0"?><rss version="2.0"><channel/></rss>'),
        ("application/rss+xml", "windows-1258", b'<?xml version="1.0"?><rss version="2.0"><channel/></rss>'),
        ("application/rss+xml", None, b'<?xml version="1.0" encoding="windows-1258"?><rss version="2.0"/>'),
        ("application/rss+xml", "utf-8", b'<!DOCTYPE rss [<!ENTITY x "y">]><rss version="2.0"><channel/></rss>'),
        (
            "application/rss+xml",
            "utf-8",
            b'<rss version="0.91"><channel><item><link>https://a.vn/</link></item></channel></rss>',
        ),
    ],
)
def test_other_shapes_are_declined(content_type: str, charset: str | None, body: bytes) -> None:
    assert parse_plain_feed(source(), fetched(body, content_type, charset)) is None


_ITEM = "<item><title>Cảnh báo</title><link>https://a.vn/1</link>{extra}</item>"
_ENTRY = '<entry{attr}><title>Cảnh báo</title><link href="https://a.vn/1"/><id>https://a.vn/1</id>{extra}</entry>'


@pytest.mark.parametrize(
    "body",
    [
        # xml:base anywhere changes how feedparser resolves links: even on an element Loa ignores.
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
        + _ITEM.format(extra='<dc:creator xml:base="https://other.vn/">NCSC</dc:creator>')
        + "</channel></rss>",
        '<rss version="2.0"><channel><image><url xml:base="https://other.vn/">a.png</url></image>'
        + _ITEM.format(extra="")
        + "</channel></rss>",
        '<rss version="2.0"><channel>'
        + _ITEM.format(extra='<author base="https://other.vn/">a</author>')
        + "</channel></rss>",
        '<feed xmlns="http://www.w3.org/2005/Atom">'
        + _ENTRY.format(attr=' xml:base="https://other.vn/"', extra="")
        + "</feed>",
        '<feed xmlns="http://www.w3.org/2005/Atom">'
        + _ENTRY.format(attr="", extra='<author><name xml:base="https://other.vn/">NCSC</name></author>')
        + "</feed>",
    ],
)
def test_base_attributes_anywhere_are_declined(body: str) -> None:
    assert parse_plain_feed(source(), fetched(body.encode())) is None
    plain = body.replace("xml:base=", "title=").replace(" base=", " title=")
    assert parse_plain_feed(source(), fetched(plain.encode())) is not None


def test_bench_corpus_takes_the_fast_path(tmp_path: Path) -> None:
    manifest = generate(tmp_path, feeds=5, items=12, seed=3)
    for feed in manifest.feeds:
        ctype = "application/atom+xml" if feed.format == "atom" else "application/rss+xml"
        fast, slow = both((tmp_path / feed.path.lstrip("/")).read_bytes(), ctype)
        assert fast is not None and fast == slow


# -- generated feeds: anything the fast path accepts, feedparser reads the same way -------------------

PIECES = [
    "Cảnh báo",
    "lừa đảo",
    "Cảnh báo".encode().decode("latin-1"),  # mojibake feedparser repairs
    "café",
    "e\u0301",
    "&",
    "&amp;",
    "&#8220;",
    "&lt;b&gt;",
    "<b>đậm</b>",
    "<p>đoạn</p>",
    '"',
    "'",
    " ",
    "  ",
    "\n",
    "\t",
    "\xa0",
    "\u2028",
    "]]",
    "x",
    "\x85",
]
# Common pieces weigh more than the ones that make the fast path decline, so both paths get exercised.
texts = st.lists(st.sampled_from(PIECES[:-1] * 4 + PIECES[-1:]), max_size=6).map("".join)
URLS = [
    "https://chongluadao.vn/blog/a/",
    "https://chongluadao.vn/blog/a/?utm_source=rss&utm_medium=rss",
    "https://chongluadao.vn/blog/a/?a=1&amp;b=2",
    "https://chongluadao.vn/blog/a/?x=1&copy;",
    "http://Example.VN:80/x/../y",
    "/blog/relative/",
    "relative",
    "https:///triple",
    " https://padded.vn/ ",
    "https://chongluadao.vn/blog/đường-dẫn/",
    "tag:chongluadao.vn,2023:5318",
    "",
]
urls = st.sampled_from(URLS[:3] * 6 + URLS[3:])
RFC822 = [
    "Mon, 03 Jul 2023 02:15:00 +0000",
    "03 Jul 2023 02:15:00 +0700",
    "Tue, 4 Jul 2023 10:00 GMT",
    "Sun, 09 Jul 2023 23:59:59 -0130",
    "Sun, 09 Jul 2023 23:59:59 UT",
    "Sun, 09 Jul 2023 23:59:59 Z",
    "Sun, 09 Jul 2023 23:59:59 EST",
    "Fri, 31 Dec 1999 23:59:59 +1400",
    "2023-07-09T02:15:00+07:00",
    "09/07/2023",
    "",
]
RFC3339 = [
    "2023-07-09T22:17:00Z",
    "2023-07-09T22:17:00.123+07:00",
    "2023-07-09T22:17:00-03:30",
    "2023-07-09t22:17:00z",
    "2023-07-09 22:17:00Z",
    "2023-07-09",
    "Mon, 03 Jul 2023 02:15:00 +0000",
]


def _text_node(tag: str, text: str, cdata: bool, attrs: str = "") -> str:
    if cdata and "]]>" not in text:
        return f"<{tag}{attrs}><![CDATA[{text}]]></{tag}>"
    return f"<{tag}{attrs}>{escape(text)}</{tag}>"


@st.composite
def rss_items(draw: st.DrawFn) -> str:
    parts = []
    for tag in draw(st.permutations(["title", "link", "guid", "description", "content", "pubDate", "extra"])):
        if (not draw(st.booleans()) and tag != "link") or (tag == "extra" and draw(st.booleans())):
            continue
        cdata = draw(st.booleans())
        if tag == "title":
            parts.append(_text_node("title", draw(texts), cdata))
        elif tag == "link":
            parts.append(f"<link>{escape(draw(urls))}</link>")
        elif tag == "guid":
            attr = draw(st.sampled_from(["", ' isPermaLink="false"', ' isPermaLink="true"', ' isPermaLink="True"']))
            parts.append(f"<guid{attr}>{escape(draw(st.sampled_from([*URLS, 'abc-1', ' p=5318 '])))}</guid>")
        elif tag == "description":
            parts.append(_text_node("description", draw(texts), cdata))
        elif tag == "content":
            parts.append(_text_node("content:encoded", draw(texts), cdata))
        elif tag == "pubDate":
            parts.append(f"<pubDate>{draw(st.sampled_from(RFC822[:6] * 2 + RFC822[6:]))}</pubDate>")
        elif tag == "extra":
            parts.append(
                draw(
                    st.sampled_from(
                        [
                            "<dc:creator>Ban biên tập</dc:creator>",
                            "<comments>https://chongluadao.vn/c</comments>",
                            "<source url='https://x.vn/'>X</source>",
                            "<dc:date>2023-07-09T22:17:00Z</dc:date>",
                            "<itunes:summary>tóm tắt</itunes:summary>",
                            "<title>second title</title>",
                        ]
                    )
                )
            )
    for _ in range(draw(st.integers(0, 3))):
        domain = draw(st.sampled_from(["", ' domain="d"']))
        parts.append(_text_node("category", draw(texts), draw(st.booleans()), domain))
    for _ in range(draw(st.integers(0, 2))):
        kind = draw(
            st.sampled_from(
                ["", ' type="image/jpeg"', ' type="application/pdf"', ' type="Image/PNG"', ' type="video/mp4"']
            )
        )
        title = draw(st.sampled_from(["", ' title="Tài liệu"']))
        parts.append(f'<enclosure url={quoteattr(draw(urls))}{kind}{title} length="1"/>')
    for _ in range(draw(st.integers(0, 2))):
        medium = draw(st.sampled_from(["", ' medium="image"', ' medium="video"']))
        name = draw(st.sampled_from(["thumbnail", "content"]))
        parts.append(f"<media:{name} url={quoteattr(draw(urls))}{medium}/>")
    return "<item>" + "".join(parts) + "</item>"


@st.composite
def rss_feeds(draw: st.DrawFn) -> bytes:
    items = "".join(draw(st.lists(rss_items(), min_size=1, max_size=2)))
    base = draw(st.sampled_from(["", "", "", ' xml:base="https://other.vn/"']))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:media="http://search.yahoo.com/mrss/" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd">'
        f"<channel{base}><title>Chống Lừa Đảo</title><link>https://chongluadao.vn/</link>"
        f"<description>d</description>{items}</channel></rss>"
    ).encode()


@st.composite
def atom_entries(draw: st.DrawFn) -> str:
    parts = []
    for tag in draw(st.permutations(["title", "link", "id", "summary", "content", "published", "updated", "extra"])):
        if (not draw(st.booleans()) and tag != "link") or (tag == "extra" and draw(st.booleans())):
            continue
        kind = draw(st.sampled_from(["", ' type="text"', ' type="html"'] * 3 + [' type="xhtml"', ' type="HTML"']))
        if tag in ("title", "summary", "content"):
            parts.append(_text_node(tag, draw(texts), draw(st.booleans()), kind))
        elif tag == "link":
            parts.append(f"<link href={quoteattr(draw(urls))}/>")
            for _ in range(draw(st.integers(0, 2))):
                rel = draw(st.sampled_from([' rel="alternate"', ' rel="enclosure"', ' rel="self"', ' rel="related"']))
                ltype = draw(st.sampled_from(["", ' type="text/html"', ' type="image/png"', ' type="application/pdf"']))
                title = draw(st.sampled_from(["", ' title="Tài liệu"']))
                parts.append(f"<link{rel}{ltype}{title} href={quoteattr(draw(urls))}/>")
        elif tag == "id":
            parts.append(f"<id>{escape(draw(st.sampled_from([*URLS, 'e1'])))}</id>")
        elif tag in ("published", "updated"):
            parts.append(f"<{tag}>{draw(st.sampled_from(RFC3339[:3] * 3 + RFC3339[3:]))}</{tag}>")
        elif tag == "extra":
            parts.append(
                draw(
                    st.sampled_from(
                        [
                            "<author><name>NCSC</name><uri>https://ncsc.gov.vn/</uri></author>",
                            "<media:thumbnail url='https://x.vn/t.jpg'/>",
                            "<source><title>X</title></source>",
                        ]
                    )
                )
            )
    for _ in range(draw(st.integers(0, 3))):
        term = draw(st.sampled_from(["", ' term="VNeID giả"', ' term=" có khoảng "', ' term="x" scheme="s"']))
        parts.append(f"<category{term}/>")
    return "<entry>" + "".join(parts) + "</entry>"


@st.composite
def atom_feeds(draw: st.DrawFn) -> bytes:
    entries = "".join(draw(st.lists(atom_entries(), min_size=1, max_size=2)))
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" '
        'xmlns:media="http://search.yahoo.com/mrss/"><title>A</title><id>https://a.vn/</id>'
        f"<updated>2023-07-10T01:00:00Z</updated>{entries}</feed>"
    ).encode()


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rss_feeds())
def test_generated_rss_is_read_like_feedparser_or_declined(body: bytes) -> None:
    fast, slow = both(body)
    assert fast is None or fast == slow


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(atom_feeds())
def test_generated_atom_is_read_like_feedparser_or_declined(body: bytes) -> None:
    fast, slow = both(body, "application/atom+xml")
    assert fast is None or fast == slow


def _resolved_by_urljoin(text: str, base: str) -> str | None:
    """The check `_resolved` makes for every URI, without its fast path: None where it declines."""
    try:
        if text and (fastfeed._URIFIX.sub(r"\1\3", text) != text or urljoin(base, text) != text):
            return None
    except ValueError:
        return None
    return text


@settings(max_examples=500)
@given(
    st.sampled_from(["http://", "https://", "HTTP://", "https:", "http:///", "ftp://", "", "/", "https://a.vn"]),
    st.lists(
        st.sampled_from([*"aĐ.-:@[]/\\?#;09 %&=\t\n\x00\x7f\u00a0", "//", "/../", "/./", "?", "#", "nguon-000.vn"]),
        max_size=10,
    ).map("".join),
    st.sampled_from(["https://khonggianmang.vn/tin/a", "http://127.0.0.1:8000/feeds/nguon-000.xml"]),
)
def test_resolved_accepts_exactly_what_resolving_leaves_unchanged(prefix: str, rest: str, base: str) -> None:
    text = prefix + rest
    try:
        got: str | None = fastfeed._resolved(text, base)
    except (fastfeed._Decline, ValueError):
        got = None
    assert got == _resolved_by_urljoin(text, base)


@given(
    st.lists(st.sampled_from([*"aáạĐ\u00c3\u00a1\u0080\u009f\u00ff", "Cảnh báo", "Ä\u0090"]), max_size=8).map("".join)
)
def test_fix_rereads_utf8_read_as_latin1_like_feedparser(text: str) -> None:
    expected: str | None = text
    with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
        expected = text.encode("iso-8859-1").decode("utf-8")
    if re.search("[\x80-\x9f]", expected or ""):
        expected = None
    try:
        got: str | None = fastfeed._fix(text)
    except fastfeed._Decline:
        got = None
    assert got == (text if text.isascii() else expected)
