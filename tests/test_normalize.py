"""Entry → Item: ids, content hashes, NFC, UTC, summaries and kind inference."""

from __future__ import annotations

import unicodedata
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from worker.models import Attachment, Entry, Item, ItemKind, Source
from worker.normalize import INFOGRAPHIC_MAX_TEXT, content_hash, infer_kind, item_id, normalize_entry

VN = ZoneInfo("Asia/Ho_Chi_Minh")
FETCHED_AT = datetime(2023, 7, 10, 8, 0, tzinfo=VN)
BASE = "https://khonggianmang.vn/canh-bao"
SOURCE = Source(id="khonggianmang", name="NCSC", kind="html", url=BASE, rank=0, every_seconds=1800)
OTHER = Source(
    id="tinnhiemmang", name="Tín nhiệm mạng", kind="html", url="https://tinnhiemmang.vn/", rank=1, every_seconds=1800
)
LONG_TEXT = "Người dân cần bình tĩnh, dập máy và báo ngay cho công an nơi cư trú. " * 6


def entry(**fields: Any) -> Entry:
    fields.setdefault("source_id", SOURCE.id)
    fields.setdefault("url", "/bai-viet/canh-bao-gia-danh-cong-an")
    fields.setdefault("title", "Cảnh báo giả danh công an")
    return Entry(**fields)


def normalize(e: Entry, source: Source = SOURCE, fetched_at: datetime = FETCHED_AT) -> Item:
    return normalize_entry(source, e, fetched_at=fetched_at, base_url=BASE)


# --- ids and hashes ------------------------------------------------------------------------------------------------


def test_item_id_is_stable_per_source_and_guid() -> None:
    assert item_id("khonggianmang", "1304") == item_id("khonggianmang", "1304")
    assert len(item_id("khonggianmang", "1304")) == 20
    assert item_id("khonggianmang", "1304") != item_id("tinnhiemmang", "1304")
    assert item_id("khonggianmang", "1304") != item_id("khonggianmang", "1305")
    # The separator keeps ("a", "b\0c")-style collisions out.
    assert item_id("ab", "c") != item_id("a", "bc")


def test_same_source_and_guid_give_the_same_item_id_whatever_else_changed() -> None:
    first = normalize_entry(SOURCE, entry(guid="1304"), fetched_at=FETCHED_AT, base_url=BASE)
    edited = normalize_entry(
        SOURCE,
        entry(guid=" 1304 ", title="Cảnh báo (cập nhật)", url="/bai-viet/doi-slug", body_html="<p>Mới</p>"),
        fetched_at=FETCHED_AT + timedelta(hours=5),
        base_url=BASE,
    )
    assert first.id == edited.id
    assert first.content_hash != edited.content_hash
    elsewhere = normalize_entry(OTHER, entry(source_id=OTHER.id, guid="1304"), fetched_at=FETCHED_AT, base_url=BASE)
    assert elsewhere.id != first.id


def test_without_guid_the_canonical_url_is_the_key() -> None:
    plain = normalize_entry(
        SOURCE, entry(url="https://khonggianmang.vn/bai-viet/a"), fetched_at=FETCHED_AT, base_url=BASE
    )
    tracked = normalize_entry(
        SOURCE,
        entry(url="HTTPS://KhongGianMang.vn/bai-viet/a?utm_source=zalo#top", guid="  "),
        fetched_at=FETCHED_AT,
        base_url=BASE,
    )
    assert plain.guid == tracked.guid == "https://khonggianmang.vn/bai-viet/a"
    assert plain.id == tracked.id == item_id("khonggianmang", "https://khonggianmang.vn/bai-viet/a")


def test_content_hash_ignores_whitespace_and_case() -> None:
    base = content_hash("Cảnh báo lừa đảo", "Đoạn một.\n\nĐoạn hai.")
    assert content_hash("  CẢNH BÁO   lừa đảo ", "đoạn MỘT. đoạn hai.") == base
    assert content_hash("Cảnh báo lừa đảo", "Đoạn một.\tĐoạn\u00a0hai.") == base
    assert content_hash("Cảnh báo lừa đảo", "Đoạn một. Đoạn ba.") != base
    assert content_hash("Cảnh báo lừa đảo!", "Đoạn một. Đoạn hai.") != base


def test_copies_differing_only_in_markup_whitespace_and_case_hash_alike() -> None:
    one = normalize(
        entry(title="Cảnh báo giả danh công an", body_html="<p>Đối tượng gọi điện.</p><p>Hãy cảnh giác.</p>")
    )
    two = normalize(
        replace(
            entry(),
            source_id=OTHER.id,
            title="  CẢNH BÁO giả danh   công an ",
            body_html="<div>\n  <p>Đối tượng <b>gọi điện</b>.</p>\n  <p>hãy cảnh giác.</p></div>",
        ),
        source=OTHER,
    )
    assert one.content_hash == two.content_hash
    assert one.id != two.id


# --- NFC -----------------------------------------------------------------------------------------------------------

LOWER = "aàáảãạăằắẳẵặâầấẩẫậbcdđeèéẻẽẹêềếểễệghiìíỉĩịklmnoòóỏõọôồốổỗộơờớởỡợpqrstuùúủũụưừứửữựvxyỳýỷỹỵ"
words = st.text(alphabet=LOWER + LOWER.upper() + "0123456789", min_size=1, max_size=10)
phrases = st.lists(words, min_size=1, max_size=6).map(" ".join)


@st.composite
def entries(draw: st.DrawFn) -> Entry:
    slug = draw(words)
    return Entry(
        source_id=SOURCE.id,
        url=f"https://khonggianmang.vn/tin/{slug}",
        title=draw(phrases),
        guid=draw(st.one_of(st.none(), phrases)),
        summary=draw(st.one_of(st.just(""), phrases)),
        body_html=draw(st.lists(phrases, max_size=3).map(lambda ps: "".join(f"<p>{p}</p>" for p in ps))),
        image=draw(st.one_of(st.none(), words.map(lambda w: f"/uploads/{w}.png"))),
        attachments=tuple(Attachment(url=f"/uploads/{w}.pdf", title=w) for w in draw(st.lists(words, max_size=2))),
        tags=tuple(draw(st.lists(phrases, max_size=3))),
        published=draw(st.one_of(st.none(), st.just(datetime(2023, 7, 5, 15, 0, tzinfo=VN)))),
    )


def nfd_of(e: Entry) -> Entry:
    def d(text: str) -> str:
        return unicodedata.normalize("NFD", text)

    return replace(
        e,
        url=d(e.url),
        title=d(e.title),
        guid=d(e.guid) if e.guid is not None else None,
        summary=d(e.summary),
        body_html=d(e.body_html),
        image=d(e.image) if e.image else None,
        attachments=tuple(Attachment(url=d(a.url), title=d(a.title)) for a in e.attachments),
        tags=tuple(d(t) for t in e.tags),
    )


@settings(max_examples=60, deadline=None)
@given(entries())
def test_nfd_and_nfc_entries_give_identical_items(e: Entry) -> None:
    from_nfc = normalize_entry(SOURCE, e, fetched_at=FETCHED_AT, base_url=BASE)
    from_nfd = normalize_entry(SOURCE, nfd_of(e), fetched_at=FETCHED_AT, base_url=BASE)
    assert from_nfd == from_nfc
    assert from_nfd.id == from_nfc.id and from_nfd.content_hash == from_nfc.content_hash
    for text in (from_nfd.title, from_nfd.summary, from_nfd.body_text, from_nfd.guid, *from_nfd.tags):
        assert unicodedata.is_normalized("NFC", text)


@settings(max_examples=30, deadline=None)
@given(entries())
def test_normalize_is_pure(e: Entry) -> None:
    assert normalize_entry(SOURCE, e, fetched_at=FETCHED_AT, base_url=BASE) == normalize_entry(
        SOURCE, e, fetched_at=FETCHED_AT, base_url=BASE
    )


# --- time ----------------------------------------------------------------------------------------------------------


def test_published_is_converted_to_utc() -> None:
    item = normalize_entry(
        SOURCE, entry(published=datetime(2023, 7, 5, 15, 0, tzinfo=VN)), fetched_at=FETCHED_AT, base_url=BASE
    )
    assert item.published_at == datetime(2023, 7, 5, 8, 0, tzinfo=UTC)
    assert item.published_at.tzinfo is UTC
    assert item.fetched_at == datetime(2023, 7, 10, 1, 0, tzinfo=UTC) and item.fetched_at.tzinfo is UTC
    odd_zone = timezone(timedelta(hours=-3, minutes=-30))
    item = normalize_entry(
        SOURCE, entry(published=datetime(2023, 7, 5, 4, 30, tzinfo=odd_zone)), fetched_at=FETCHED_AT, base_url=BASE
    )
    assert item.published_at == datetime(2023, 7, 5, 8, 0, tzinfo=UTC)


def test_published_falls_back_to_the_fetch_time() -> None:
    item = normalize_entry(SOURCE, entry(published=None), fetched_at=FETCHED_AT, base_url=BASE)
    assert item.published_at == item.fetched_at == datetime(2023, 7, 10, 1, 0, tzinfo=UTC)


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        normalize_entry(SOURCE, entry(), fetched_at=datetime(2023, 7, 10, 8, 0), base_url=BASE)


# --- text and urls -------------------------------------------------------------------------------------------------


def test_urls_are_canonical_and_relative_ones_resolved() -> None:
    item = normalize_entry(
        SOURCE,
        entry(
            url="/bai-viet/cam-nang?utm_source=zalo&page=1#tai-lieu",
            image="../uploads/bia.png",
            attachments=(Attachment(url="/uploads/Cam nang.pdf", title="Cẩm nang &amp; phụ lục"),),
        ),
        fetched_at=FETCHED_AT,
        base_url=BASE,
    )
    assert item.url == "https://khonggianmang.vn/bai-viet/cam-nang?page=1"
    assert item.image == "https://khonggianmang.vn/uploads/bia.png"
    assert item.attachments == (
        Attachment(url="https://khonggianmang.vn/uploads/Cam%20nang.pdf", title="Cẩm nang & phụ lục"),
    )


def test_summary_is_plain_text_and_paragraphs_do_not_run_together() -> None:
    item = normalize(entry(summary="<p>Đoạn một.</p><p>Đoạn <b>hai</b>&nbsp;&#8211; hết.</p>"))
    assert item.summary == "Đoạn một. Đoạn hai – hết."
    item = normalize(entry(title="Dòng một<br>dòng hai"))
    assert item.title == "Dòng một dòng hai"


def test_summary_defaults_to_the_lead_paragraph() -> None:
    item = normalize_entry(
        SOURCE, entry(body_html="<p>Đoạn mở đầu.</p><p>Đoạn sau.</p>"), fetched_at=FETCHED_AT, base_url=BASE
    )
    assert item.summary == "Đoạn mở đầu."
    assert item.body_text == "Đoạn mở đầu.\n\nĐoạn sau."
    long = normalize_entry(SOURCE, entry(body_html=f"<p>{LONG_TEXT}</p>"), fetched_at=FETCHED_AT, base_url=BASE)
    assert long.summary.endswith("…") and len(long.summary) <= 301
    assert LONG_TEXT.startswith(long.summary[:-1])


def test_body_is_sanitised() -> None:
    item = normalize_entry(
        SOURCE,
        entry(
            body_html='<p onclick="x()" style="color:red">An toàn</p><script>alert(1)</script><a href="javascript:x()">x</a>'
        ),
        fetched_at=FETCHED_AT,
        base_url=BASE,
    )
    assert item.body_html == '<p>An toàn</p><a rel="noopener noreferrer nofollow">x</a>'
    assert item.body_text == "An toàn\n\nx"
    assert "alert" not in item.body_text


def test_tags_are_nfc_stripped_and_deduplicated() -> None:
    nfd = unicodedata.normalize("NFD", "Cảnh báo")
    item = normalize(entry(tags=(" Cảnh báo ", nfd, "", "  ", "Lừa đảo")))
    assert item.tags == ("Cảnh báo", "Lừa đảo")


# --- kind ----------------------------------------------------------------------------------------------------------


def kind_of(e: Entry, source: Source = SOURCE) -> ItemKind:
    return normalize_entry(source, e, fetched_at=FETCHED_AT, base_url=BASE).kind


def test_image_only_short_post_is_an_infographic() -> None:
    assert kind_of(entry(image="/uploads/infographic.png", summary="Infographic: 5 dấu hiệu lừa đảo")) == (
        ItemKind.INFOGRAPHIC
    )
    assert kind_of(entry(attachments=(Attachment(url="/uploads/anh.JPG?v=2"),))) == ItemKind.INFOGRAPHIC


def test_image_with_a_long_text_is_an_article() -> None:
    assert kind_of(entry(image="/uploads/anh.png", body_html=f"<p>{LONG_TEXT}</p>")) == ItemKind.ARTICLE
    assert len(LONG_TEXT) >= INFOGRAPHIC_MAX_TEXT


def test_pdf_only_post_is_a_document() -> None:
    assert kind_of(entry(attachments=(Attachment(url="/uploads/cong-van-123.PDF"),))) == ItemKind.DOCUMENT
    assert kind_of(entry(attachments=(Attachment(url="/uploads/a.pdf"), Attachment(url="/uploads/b.docx")))) == (
        ItemKind.DOCUMENT
    )
    # A document plus an image is not "only documents".
    mixed = entry(attachments=(Attachment(url="/uploads/a.pdf"), Attachment(url="/uploads/b.png")))
    assert kind_of(mixed) == ItemKind.INFOGRAPHIC
    assert kind_of(entry(attachments=(Attachment(url="/uploads/a.pdf"),), body_html=f"<p>{LONG_TEXT}</p>")) == (
        ItemKind.ARTICLE
    )


def test_plain_text_post_is_an_article() -> None:
    assert kind_of(entry(summary="Tin ngắn.")) == ItemKind.ARTICLE


def test_source_item_kind_beats_inference() -> None:
    warnings = replace(SOURCE, item_kind=ItemKind.WARNING)
    assert kind_of(entry(image="/uploads/infographic.png"), warnings) == ItemKind.WARNING
    assert kind_of(entry(attachments=(Attachment(url="/uploads/a.pdf"),)), warnings) == ItemKind.WARNING


def test_explicit_entry_kind_beats_the_source() -> None:
    warnings = replace(SOURCE, item_kind=ItemKind.WARNING)
    assert kind_of(entry(kind=ItemKind.VIDEO, image="/uploads/a.png"), warnings) == ItemKind.VIDEO
    assert infer_kind(SOURCE, entry(kind=ItemKind.DOCUMENT), LONG_TEXT) == ItemKind.DOCUMENT


def test_deeply_escaped_markup_never_survives_as_tags() -> None:
    import html

    script = "<script>alert(1)</script><b>Khẩn</b> cấp"
    for levels in range(1, 13):
        escaped = script
        for _ in range(levels):
            escaped = html.escape(escaped)
        title = normalize(entry(title=escaped)).title
        # However deep the escaping, no markup comes out of a plain-text field ...
        assert "<" not in title and ">" not in title, (levels, title)
        # ... and every depth a real feed produces (and then some) reads cleanly.
        if levels <= 5:
            assert title == "Khẩn cấp", (levels, title)
