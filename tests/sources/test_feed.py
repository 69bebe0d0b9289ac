"""RSS/Atom adapter: fixture feeds through parse_feed and normalize_entry."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from worker.errors import ParseError
from worker.models import Attachment, Entry, Fetched, Item, ItemKind, Source
from worker.normalize import item_id, normalize_entry
from worker.sources.feed import parse_feed

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
VN = ZoneInfo("Asia/Ho_Chi_Minh")
FETCHED_AT = datetime(2023, 7, 10, 1, 0, tzinfo=UTC)
FEED_URL = "https://chongluadao.vn/blog/feed/"
SOURCE = Source(
    id="chongluadao-feed", name="Chống Lừa Đảo – RSS", kind="feed", url=FEED_URL, rank=2, every_seconds=3600
)
VIETNAMESE = "aàáảãạăằắẳẵặâầấẩẫậbcdđeèéẻẽẹêềếểễệghiìíỉĩịklmnoòóỏõọôồốổỗộơờớởỡợpqrstuùúủũụưừứửữựvxyỳýỷỹỵ"
TONES = "\u0300\u0301\u0303\u0309\u0323"


def fetched(
    body: bytes, *, content_type: str = "application/rss+xml", charset: str | None = None, url: str = FEED_URL
) -> Fetched:
    return Fetched(url=url, final_url=url, status=200, body=body, content_type=content_type, charset=charset)


def entries_of(name: str, **kwargs: str) -> list[Entry]:
    return parse_feed(SOURCE, fetched((FIXTURES / name).read_bytes(), **kwargs), VN)


def items_of(name: str, **kwargs: str) -> list[Item]:
    return [normalize_entry(SOURCE, e, fetched_at=FETCHED_AT, base_url=FEED_URL) for e in entries_of(name, **kwargs)]


def rss(items_xml: str, *, encoding: str = "UTF-8") -> str:
    return (
        f'<?xml version="1.0" encoding="{encoding}"?>\n'
        '<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel>'
        "<title>Bản tin</title><link>https://phuong.example/</link><description>Tin</description>"
        f"{items_xml}</channel></rss>"
    )


def cp1258_bytes(text: str) -> bytes:
    """Windows' spelling of Vietnamese in cp1258: precomposed base letters (â ê ô ơ ư ă đ) + combining tone marks."""
    out = []
    for char in unicodedata.normalize("NFC", text):
        decomposed = unicodedata.normalize("NFD", char)
        base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in TONES))
        out.append((base + "".join(c for c in decomposed if c in TONES)).encode("cp1258"))
    return b"".join(out)


# --- WordPress RSS 2.0 -------------------------------------------------------------------------------------------


def test_wordpress_rss_entries_keep_guid_and_raw_fields() -> None:
    entries = entries_of("feed_rss_wordpress.xml")
    assert [e.guid for e in entries] == [
        "https://chongluadao.vn/blog/?p=5302",
        "https://chongluadao.vn/blog/?p=5296",
        "https://chongluadao.vn/blog/?p=5281",
    ]
    assert all(e.source_id == "chongluadao-feed" for e in entries)
    # The adapter hands over the link as the feed spelled it; normalize_entry canonicalises it.
    assert entries[0].url.endswith("?utm_source=rss&utm_medium=rss")
    assert [e.tags for e in entries] == [("Đầu tư",), ("Cảnh báo",), ("Cảnh báo",)]


def test_wordpress_rss_items_are_canonical_utc_and_use_content_encoded() -> None:
    items = items_of("feed_rss_wordpress.xml")
    first = items[0]
    assert first.url == "https://chongluadao.vn/blog/canh-giac-lua-dao-dau-tu-chung-khoan-qua-nhom-zalo-telegram/"
    assert all("utm_" not in item.url for item in items)
    assert first.guid == "https://chongluadao.vn/blog/?p=5302"
    assert first.id == item_id("chongluadao-feed", "https://chongluadao.vn/blog/?p=5302")
    assert len({item.id for item in items}) == 3

    # pubDate "Wed, 05 Jul 2023 08:10:00 +0000" → an aware UTC datetime.
    assert [item.published_at for item in items] == [
        datetime(2023, 7, 5, 8, 10, tzinfo=UTC),
        datetime(2023, 7, 3, 1, 45, tzinfo=UTC),
        datetime(2023, 6, 28, 4, 0, tzinfo=UTC),
    ]
    assert all(item.published_at.utcoffset() is not None and not item.published_at.utcoffset() for item in items)

    assert first.title == "Cảnh giác lừa đảo đầu tư chứng khoán qua nhóm Zalo, Telegram – hứa “lãi 20% mỗi tuần”"
    # content:encoded, not the <description> teaser, is the body; sanitising drops the class attribute.
    assert "<h2>Dấu hiệu nhận biết</h2>" in first.body_html
    assert "<li>Ứng dụng giao dịch không có trên kho ứng dụng chính thức.</li>" in first.body_html
    assert "class=" not in first.body_html
    assert first.body_text.startswith("Kẻ gian mạo danh công ty chứng khoán hoặc “chuyên gia” có tiếng")
    assert "\n\nDấu hiệu nhận biết\n\n" in first.body_text
    assert first.summary == (
        "Kẻ gian mạo danh công ty chứng khoán hoặc “chuyên gia” có tiếng, kéo người dùng vào các nhóm Zalo, "
        "Telegram để “hướng dẫn đầu tư miễn phí”…"
    )
    assert first.tags == ("Đầu tư",)
    assert [item.kind for item in items] == [ItemKind.ARTICLE] * 3
    assert all(item.fetched_at == FETCHED_AT for item in items)


# --- Atom ----------------------------------------------------------------------------------------------------------


def test_atom_entries_ids_dates_and_html_summaries() -> None:
    items = items_of("feed_atom.xml", content_type="application/atom+xml")
    assert [item.guid for item in items] == [
        "tag:canhbao.example,2023-07-08:/tin/1042",
        "tag:canhbao.example,2023-07-06:/tin/1037",
        "tag:canhbao.example,2023-07-02:/tin/1029",
        "tag:canhbao.example,2023-06-28:/tin/1021",
    ]
    assert items[0].url == "https://canhbao.example/tin/1042-gia-danh-bac-si-bao-nguoi-than-cap-cuu"
    # `published` wins over `updated`; +07:00 and Z both end up in UTC.
    assert [item.published_at for item in items] == [
        datetime(2023, 7, 8, 2, 0, tzinfo=UTC),
        datetime(2023, 7, 6, 2, 15, tzinfo=UTC),
        datetime(2023, 7, 2, 1, 40, tzinfo=UTC),
        datetime(2023, 6, 28, 3, 0, tzinfo=UTC),
    ]
    assert items[2].title == "Lừa đảo tuyển dụng việc làm online & “làm nhiệm vụ” nhận hoa hồng"
    assert [item.summary for item in items] == [
        "Đối tượng xưng là bác sĩ khoa cấp cứu, báo người thân bị tai nạn và yêu cầu chuyển gấp “tiền mổ” "
        "30.000.000 đồng.",
        "Kẻ gian gửi đường link “bình chọn cuộc thi” để lấy mã xác thực, rồi dùng tài khoản Zalo của nạn nhân "
        "hỏi vay tiền người quen.",
        "Việc nhẹ lương cao – chỉ cần điện thoại, hoa hồng 10–30% mỗi đơn … nhưng phải nạp tiền trước.",
        'Tin nhắn báo trúng thưởng xe máy, yêu cầu nộp "phí vận chuyển" 1.200.000 đồng vào tài khoản cá nhân.',
    ]
    for item in items:
        assert "&" not in item.summary and "<" not in item.summary and "\xa0" not in item.summary
        # No <content>: the text a reader sees is the summary, and the hash covers it.
        assert item.body_html == "" and item.body_text == ""


def test_atom_entry_with_only_updated_uses_it_as_published() -> None:
    atom = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><id>tag:canhbao.example,2023:/feed</id><title>t</title>
<updated>2023-07-09T10:00:00+07:00</updated>
<entry><id>tag:canhbao.example,2023-07-09:/tin/1050</id><title>Tin mới</title>
<link rel="alternate" href="https://canhbao.example/tin/1050"/><updated>2023-07-09T10:00:00+07:00</updated>
<content type="html">&lt;p&gt;Nội dung &lt;b&gt;đầy đủ&lt;/b&gt;.&lt;/p&gt;</content></entry></feed>"""
    [entry] = parse_feed(SOURCE, fetched(atom.encode(), content_type="application/atom+xml"), VN)
    assert entry.published == datetime(2023, 7, 9, 3, 0, tzinfo=UTC)
    assert entry.guid == "tag:canhbao.example,2023-07-09:/tin/1050"
    assert entry.body_html == "<p>Nội dung <b>đầy đủ</b>.</p>"


# --- NFD, malformed, broken ----------------------------------------------------------------------------------------


def test_nfd_feed_gives_nfc_items() -> None:
    entries = entries_of("feed_nfd.xml")
    assert len(entries) == 2
    # feedparser passes the decomposed text through untouched ...
    assert not unicodedata.is_normalized("NFC", entries[0].title)
    items = [normalize_entry(SOURCE, e, fetched_at=FETCHED_AT, base_url=FEED_URL) for e in entries]
    # ... and normalisation composes it.
    assert items[0].title == "Lịch phát thanh chuyên đề phòng chống lừa đảo trên hệ thống loa truyền thanh"
    assert items[1].title == (
        "Phường hưởng ứng Tháng hành động tuyên truyền về nhận diện và phòng chống lừa đảo trực tuyến"
    )
    for item in items:
        assert unicodedata.is_normalized("NFC", item.title)
        assert unicodedata.is_normalized("NFC", item.summary)
    assert items[0].summary.startswith("Từ ngày 05/7/2023, hệ thống loa truyền thanh của phường")


def test_nfd_and_nfc_spellings_of_a_feed_give_identical_items() -> None:
    nfd = (FIXTURES / "feed_nfd.xml").read_text(encoding="utf-8")
    from_nfd = items_of("feed_nfd.xml")
    nfc_body = unicodedata.normalize("NFC", nfd).encode("utf-8")
    from_nfc = [
        normalize_entry(SOURCE, e, fetched_at=FETCHED_AT, base_url=FEED_URL)
        for e in parse_feed(SOURCE, fetched(nfc_body), VN)
    ]
    assert from_nfd == from_nfc
    assert [i.content_hash for i in from_nfd] == [i.content_hash for i in from_nfc]


def test_malformed_but_recoverable_feed_is_accepted() -> None:
    items = items_of("feed_malformed_recoverable.xml")
    assert len(items) == 3
    assert items[0].title == "Hỏi & đáp: lỡ chuyển tiền cho kẻ lừa đảo thì phải làm gì?"
    assert items[0].url == "https://chongluadao.vn/blog/hoi-dap-lo-chuyen-tien-cho-ke-lua-dao/"
    assert items[0].guid == "https://chongluadao.vn/blog/?p=5314"
    assert items[0].published_at == datetime(2023, 7, 8, 4, 10, tzinfo=UTC)
    # The undefined &nbsp; became a plain space in the text.
    assert "tra soát, giữ lại biên lai" in items[0].summary
    assert items[1].title == "Bị lừa lần hai vì tin dịch vụ “lấy lại tiền đã mất”"


def test_broken_feed_raises_parse_error_naming_the_url() -> None:
    url = "https://chongluadao.vn/blog/feed/?v=2"
    body = (FIXTURES / "feed_broken.xml").read_bytes()
    with pytest.raises(ParseError) as caught:
        parse_feed(SOURCE, Fetched(url=FEED_URL, final_url=url, status=200, body=body), VN)
    assert caught.value.url == url
    assert url in str(caught.value)
    assert caught.value.kind == "parse"
    assert caught.value.hint


@pytest.mark.parametrize(
    "body",
    [
        b"<!DOCTYPE html><html><body><h1>503 \xe2\x80\x93 b\xe1\xba\xa3o tr\xc3\xac</h1></body></html>",
        b"",
        b"\x00\x01\x02 not xml at all",
    ],
)
def test_non_feed_bodies_raise_parse_error(body: bytes) -> None:
    with pytest.raises(ParseError) as caught:
        parse_feed(SOURCE, fetched(body, content_type="text/html"), VN)
    assert FEED_URL in str(caught.value)


@pytest.mark.parametrize("content_type", ["application/rss+xml", "text/xml", "text/html", ""])
def test_valid_feed_without_items_is_empty_not_an_error(content_type: str) -> None:
    # A wrong or missing Content-Type only makes feedparser warn (bozo); the feed itself is fine.
    body = rss("").encode("utf-8")
    assert parse_feed(SOURCE, fetched(body, content_type=content_type), VN) == []


# --- messy titles --------------------------------------------------------------------------------------------------


def test_double_escaped_and_marked_up_titles_become_plain_text() -> None:
    items = items_of("feed_entities_title.xml")
    assert [item.title for item in items] == [
        "Cảnh báo “việc nhẹ lương cao” – chốt đơn ảo",
        "Khẩn: giả danh công an yêu cầu chuyển tiền “tạm giữ”",
        "Cảnh báo mạo danh điện lực đòi tiền điện",
        # The fixture's header comment shows curly quotes, but its data is &amp;quot; — a straight quote.
        'Hỏi & đáp: vay tiền online lãi "cắt cổ"',
    ]
    for item in items:
        assert "&" not in item.title.replace("Hỏi & đáp", "")
        assert "<" not in item.title and ">" not in item.title


def test_triple_escaped_markup_in_a_title_is_still_stripped() -> None:
    # Four levels in the XML; the XML parser undoes one, so the entry's title is escaped three times over.
    title = "&amp;amp;amp;lt;b&amp;amp;amp;gt;Khẩn&amp;amp;amp;lt;/b&amp;amp;amp;gt; cấp &amp;amp;amp;#8211; giả danh"
    body = rss(f"<item><title>{title}</title><link>https://phuong.example/tin/1</link></item>").encode()
    [entry] = parse_feed(SOURCE, fetched(body), VN)
    assert entry.title.startswith("&amp;amp;lt;b&amp;amp;gt;")
    item = normalize_entry(SOURCE, entry, fetched_at=FETCHED_AT, base_url=FEED_URL)
    assert item.title == "Khẩn cấp – giả danh"


# --- enclosures and images -----------------------------------------------------------------------------------------

ENCLOSURES = rss(
    """
<item><title>Cẩm nang phòng chống lừa đảo</title><link>https://phuong.example/tin/cam-nang</link>
  <guid isPermaLink="false">phuong-tin-301</guid>
  <description>Tải cẩm nang và infographic.</description>
  <enclosure url="https://phuong.example/uploads/cam-nang.pdf" length="2841" type="application/pdf"/>
  <enclosure url="https://phuong.example/uploads/bai-phat-thanh.docx" length="18" type="application/vnd.openxmlformats-officedocument.wordprocessingml.document"/>
  <enclosure url="https://phuong.example/uploads/infographic.png" length="412" type="image/png"/>
  <enclosure url="https://phuong.example/uploads/ban-tin.mp3" length="900" type="audio/mpeg"/>
</item>
<item><title>Văn bản chỉ đạo</title><link>/tin/van-ban?utm_campaign=x</link>
  <guid isPermaLink="false">phuong-tin-302</guid>
  <enclosure url="/uploads/cong-van-123.pdf" length="10" type="application/pdf"/>
</item>
<item><title>Ảnh tuyên truyền</title><link>https://phuong.example/tin/anh</link>
  <guid isPermaLink="false">phuong-tin-303</guid>
  <media:thumbnail url="https://phuong.example/uploads/thumb.jpg"/>
</item>"""
)


def test_enclosures_become_attachments_and_image() -> None:
    first, second, third = parse_feed(SOURCE, fetched(ENCLOSURES.encode()), VN)
    assert first.attachments == (
        Attachment(url="https://phuong.example/uploads/cam-nang.pdf"),
        Attachment(url="https://phuong.example/uploads/bai-phat-thanh.docx"),
        Attachment(url="https://phuong.example/uploads/infographic.png"),
    )  # the audio enclosure is not a document or an image
    assert first.image == "https://phuong.example/uploads/infographic.png"
    assert second.attachments == (Attachment(url="/uploads/cong-van-123.pdf"),)
    assert second.image is None
    assert third.image == "https://phuong.example/uploads/thumb.jpg"
    assert third.attachments == ()


def test_relative_enclosures_are_made_absolute_and_classify_the_item() -> None:
    base = "https://phuong.example/rss"
    entries = parse_feed(SOURCE, fetched(ENCLOSURES.encode(), url=base), VN)
    assert entries[1].url == "https://phuong.example/tin/van-ban?utm_campaign=x"  # resolved against the feed URL
    items = [normalize_entry(SOURCE, e, fetched_at=FETCHED_AT, base_url=base) for e in entries]
    assert items[1].url == "https://phuong.example/tin/van-ban"
    assert items[1].attachments == (Attachment(url="https://phuong.example/uploads/cong-van-123.pdf"),)
    assert items[1].kind == ItemKind.DOCUMENT  # a PDF and no text
    assert items[0].kind == ItemKind.INFOGRAPHIC  # an image and a one-line caption
    assert items[2].kind == ItemKind.INFOGRAPHIC
    # No date in the feed: the fetch time stands in.
    assert items[0].published_at == FETCHED_AT


def test_media_content_video_is_not_the_image() -> None:
    body = rss(
        """
<item><title>Video</title><link>https://phuong.example/v/1</link>
  <media:content url="https://phuong.example/v/1.mp4" type="video/mp4"/></item>
<item><title>Video và ảnh</title><link>https://phuong.example/v/2</link>
  <media:content url="https://phuong.example/v/2.mp4" type="video/mp4"/>
  <media:content url="https://phuong.example/v/2.jpg" type="image/jpeg"/></item>
<item><title>Ảnh không ghi loại</title><link>https://phuong.example/v/3</link>
  <media:content url="https://phuong.example/v/3.jpg"/></item>
<item><title>Ảnh ghi medium</title><link>https://phuong.example/v/4</link>
  <media:content url="https://phuong.example/v/4" medium="image" type="application/octet-stream"/></item>"""
    ).encode()
    assert [e.image for e in parse_feed(SOURCE, fetched(body), VN)] == [
        None,
        "https://phuong.example/v/2.jpg",
        "https://phuong.example/v/3.jpg",
        "https://phuong.example/v/4",
    ]


# --- charsets -------------------------------------------------------------------------------------------------------

CP1258_FEED = rss(
    "<item><title>Cảnh báo giả danh điện lực đòi tiền điện</title>"
    "<link>https://phuong.example/tin/dien-luc</link><description>Người dân cần cảnh giác.</description></item>",
    encoding="windows-1258",
)


@pytest.mark.parametrize(
    ("body", "content_type", "charset"),
    [
        (cp1258_bytes(CP1258_FEED), "application/rss+xml", None),  # XML declaration
        (cp1258_bytes(CP1258_FEED.replace(' encoding="windows-1258"', "")), "text/xml", "windows-1258"),  # header
        (cp1258_bytes(CP1258_FEED.replace(' encoding="windows-1258"', "")), "", "windows-1258"),  # header, no type
        (cp1258_bytes(CP1258_FEED.replace(' encoding="windows-1258"', "")), "application/rss+xml", None),  # nothing
    ],
    ids=["xml-declaration", "http-charset", "http-charset-without-type", "undeclared"],
)
def test_windows_1258_feeds_decode_to_nfc_vietnamese(body: bytes, content_type: str, charset: str | None) -> None:
    assert b"\xd2" in body or b"\xec" in body  # really written with combining tone marks
    [entry] = parse_feed(SOURCE, fetched(body, content_type=content_type, charset=charset), VN)
    item = normalize_entry(SOURCE, entry, fetched_at=FETCHED_AT, base_url=FEED_URL)
    assert item.title == "Cảnh báo giả danh điện lực đòi tiền điện"
    assert item.summary == "Người dân cần cảnh giác."


# --- properties -----------------------------------------------------------------------------------------------------

words = st.text(alphabet=VIETNAMESE + VIETNAMESE.upper() + "0123456789", min_size=1, max_size=12)
phrases = st.lists(words, min_size=1, max_size=8).map(" ".join)


@settings(max_examples=40, deadline=None)
@given(title=phrases, summary=phrases, slug=words)
def test_any_vietnamese_title_survives_rss_in_nfc_or_nfd(title: str, summary: str, slug: str) -> None:
    def items_for(form: Literal["NFC", "NFD"]) -> list[Item]:
        xml = rss(
            f"<item><title>{escape(title)}</title><link>https://phuong.example/tin/{escape(slug)}</link>"
            f"<description>{escape(summary)}</description></item>"
        )
        body = unicodedata.normalize(form, xml).encode("utf-8")
        parsed = parse_feed(SOURCE, fetched(body), VN)
        return [normalize_entry(SOURCE, e, fetched_at=FETCHED_AT, base_url=FEED_URL) for e in parsed]

    [nfc_item] = items_for("NFC")
    assert items_for("NFD") == [nfc_item]
    assert nfc_item.title == title
    assert nfc_item.summary == summary
    assert nfc_item.published_at == FETCHED_AT
