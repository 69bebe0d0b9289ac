"""JSON adapter: WordPress REST and Strapi v4 responses through dotted paths."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from worker.config import load_config, parse_config
from worker.errors import ParseError, SourceBroken
from worker.models import Fetched, ItemKind, JsonSpec, Source
from worker.normalize import item_id, normalize_entry
from worker.sources.json import dig, field_text, parse_json

ROOT = Path(__file__).resolve().parent.parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
VN = ZoneInfo("Asia/Ho_Chi_Minh")
FETCHED_AT = datetime(2023, 7, 10, 1, 0, tzinfo=UTC)
WP_URL = "https://chongluadao.vn/blog/wp-json/wp/v2/posts"
STRAPI_URL = "https://khonggianmang.vn/api/posts?filters[type][$eq]=canh-bao&populate=*"

STRAPI_YAML = """\
timezone: Asia/Ho_Chi_Minh
sources:
  - id: khonggianmang-api
    name: "Cổng Không gian mạng quốc gia – API"
    kind: json
    url: "https://khonggianmang.vn/api/posts?filters[type][$eq]=canh-bao&populate=*"
    item_kind: warning
    json:
      items: data
      id: id
      title: attributes.title
      link: "https://khonggianmang.vn/bai-viet/{attributes.slug}"
      date: attributes.publishedAt
      summary: attributes.summary
      body: attributes.content
      image: attributes.thumbnail.data.attributes.url
"""


@pytest.fixture(scope="module")
def wp() -> Source:
    return load_config(ROOT / "sources.yaml").source("chongluadao-blog")


@pytest.fixture(scope="module")
def strapi() -> Source:
    return parse_config(STRAPI_YAML, Path("/tmp/loa-test/sources.yaml")).source("khonggianmang-api")


def response(body: bytes, url: str, *, charset: str | None = None) -> Fetched:
    return Fetched(url=url, final_url=url, status=200, body=body, content_type="application/json", charset=charset)


def fixture(name: str, url: str) -> Fetched:
    return response((FIXTURES / name).read_bytes(), url)


def with_json(source: Source, **changes: Any) -> Source:
    assert source.json is not None
    spec: JsonSpec = replace(source.json, **changes)
    return replace(source, json=spec)


# --- WordPress -----------------------------------------------------------------------------------------------------


def test_wordpress_posts(wp: Source) -> None:
    entries = parse_json(wp, fixture("wp_posts.json", WP_URL), VN)
    assert [e.guid for e in entries] == ["5314", "5309", "5288", "5274"]
    assert entries[0].url == "https://chongluadao.vn/blog/hoi-dap-lo-chuyen-tien-cho-ke-lua-dao-thi-phai-lam-gi/"
    assert entries[0].title == "Hỏi &#038; đáp: Lỡ chuyển tiền cho kẻ lừa đảo thì phải làm gì?"  # raw, as rendered
    # date_gmt has no zone and is UTC: 04:10 UTC, not 04:10 in Hà Nội.
    assert [e.published for e in entries] == [
        datetime(2023, 7, 8, 4, 10, tzinfo=UTC),
        datetime(2023, 7, 7, 3, 30, tzinfo=UTC),
        datetime(2023, 6, 30, 12, 20, tzinfo=UTC),
        datetime(2023, 6, 26, 7, 30, tzinfo=UTC),
    ]


def test_wordpress_items_unescape_titles_and_summarise_excerpts(wp: Source) -> None:
    entries = parse_json(wp, fixture("wp_posts.json", WP_URL), VN)
    items = [normalize_entry(wp, e, fetched_at=FETCHED_AT, base_url=WP_URL) for e in entries]
    assert [item.title for item in items] == [
        "Hỏi & đáp: Lỡ chuyển tiền cho kẻ lừa đảo thì phải làm gì?",
        "[Cảnh báo] Ứng dụng VNeID giả mạo chiếm đoạt tài khoản ngân hàng",
        "Tài khoản Facebook bị chiếm đoạt, kẻ gian dùng cuộc gọi video giả để vay tiền người thân",
        "Cảnh giác với trang đặt phòng, tour du lịch giá rẻ mùa hè",
    ]
    assert items[1].summary == (
        "Lợi dụng việc người dân đang kích hoạt tài khoản định danh điện tử mức độ 2, kẻ gian gọi điện, nhắn tin "
        "tự xưng cán bộ công an hỗ trợ “kích hoạt VNeID tại nhà”…"
    )
    assert items[3].summary.endswith("đăng ưu đãi giảm 50–70% để thu hút khách…")
    for item in items:
        assert "<" not in item.summary and "&#" not in item.summary
    assert "<ol>" in items[0].body_html and "<li>Gọi tổng đài ngân hàng" in items[0].body_html
    assert "Tuyệt đối không tin các dịch vụ “lấy lại tiền” quảng cáo trên mạng." in items[0].body_text
    assert items[0].id == item_id("chongluadao-blog", "5314")
    assert items[0].published_at == datetime(2023, 7, 8, 4, 10, tzinfo=UTC)
    assert [item.kind for item in items] == [ItemKind.ARTICLE] * 4


def test_wordpress_local_date_field_uses_the_config_zone(wp: Source) -> None:
    local = with_json(wp, date="date")
    entries = parse_json(local, fixture("wp_posts.json", WP_URL), VN)
    # "date": "2023-07-08T11:10:00" is Hà Nội time, the same moment as date_gmt.
    assert entries[0].published == datetime(2023, 7, 8, 11, 10, tzinfo=VN)
    assert entries[0].published == datetime(2023, 7, 8, 4, 10, tzinfo=UTC)


def test_empty_list_is_no_items(wp: Source) -> None:
    assert parse_json(wp, fixture("wp_posts_empty.json", WP_URL), VN) == []


def test_non_json_body_is_a_parse_error(wp: Source) -> None:
    with pytest.raises(ParseError) as caught:
        parse_json(wp, fixture("json_not_json.txt", WP_URL), VN)
    assert caught.value.url == WP_URL
    assert WP_URL in str(caught.value)
    assert "did not return JSON" in caught.value.message
    assert caught.value.kind == "parse"


def test_utf8_bom_before_json_is_accepted(wp: Source) -> None:
    body = b"\xef\xbb\xbf" + (FIXTURES / "wp_posts.json").read_bytes()
    assert len(parse_json(wp, response(body, WP_URL), VN)) == 4


# --- Strapi v4 -----------------------------------------------------------------------------------------------------


def test_strapi_v4_with_link_template_and_nested_image(strapi: Source) -> None:
    entries = parse_json(strapi, fixture("khonggianmang_strapi_v4.json", STRAPI_URL), VN)
    assert [e.guid for e in entries] == ["1304", "1301", "1298"]
    assert [e.url for e in entries] == [
        "https://khonggianmang.vn/bai-viet/canh-bao-doi-tuong-gia-danh-cong-an-goi-dien-yeu-cau-chuyen-tien-xac-minh",
        "https://khonggianmang.vn/bai-viet/canh-bao-ung-dung-vneid-gia-mao-chiem-doat-tai-khoan-ngan-hang",
        "https://khonggianmang.vn/bai-viet/cam-nang-nhan-dien-va-phong-chong-lua-dao-truc-tuyen-2023",
    ]
    assert entries[0].title == (
        "Cảnh báo đối tượng giả danh công an gọi điện yêu cầu chuyển tiền để “xác minh” tài khoản"
    )
    # "/uploads/…" in the response, absolute against the API's host.
    assert [e.image for e in entries] == [
        "https://khonggianmang.vn/uploads/Gia_danh_cong_an_goi_dien_5c2e9a1f3b.png",
        "https://khonggianmang.vn/uploads/Ung_dung_VNeID_gia_mao_2f7c4b9e10.png",
        "https://khonggianmang.vn/uploads/Bia_cam_nang_lua_dao_2023_a1b2c3d4e5.png",
    ]
    assert entries[0].published == datetime(2023, 7, 7, 2, 30, tzinfo=UTC)
    assert entries[2].body_html.startswith("<p>Nhằm phục vụ công tác tuyên truyền tại cơ sở")
    items = [normalize_entry(strapi, e, fetched_at=FETCHED_AT, base_url=STRAPI_URL) for e in entries]
    assert [item.kind for item in items] == [ItemKind.WARNING] * 3
    assert items[1].summary.startswith("Kẻ gian gửi đường link tải ứng dụng “VNeID” giả")


def test_strapi_base_url_makes_images_absolute_on_the_site(strapi: Source) -> None:
    api = "https://api.khonggianmang.vn/api/posts?populate=*"
    source = with_json(strapi, base_url="https://khonggianmang.vn/")
    entries = parse_json(source, fixture("khonggianmang_strapi_v4.json", api), VN)
    assert entries[0].image == "https://khonggianmang.vn/uploads/Gia_danh_cong_an_goi_dien_5c2e9a1f3b.png"


def test_items_path_that_is_not_a_list_is_broken(strapi: Source) -> None:
    for items_path, named in (("", "(root)"), ("meta.pagination", "meta.pagination"), ("posts", "posts")):
        with pytest.raises(SourceBroken) as caught:
            parse_json(with_json(strapi, items=items_path), fixture("khonggianmang_strapi_v4.json", STRAPI_URL), VN)
        assert f"`{named}`" in caught.value.message
        assert "json.items" in caught.value.message and "is not a list" in caught.value.message
        assert caught.value.url == STRAPI_URL
        assert "loa sources test khonggianmang-api" in caught.value.hint


def test_title_path_missing_in_all_records_is_broken(wp: Source) -> None:
    # WordPress titles are objects: `title` without `.rendered` is no text.
    for path in ("title", "headline.rendered"):
        with pytest.raises(SourceBroken) as caught:
            parse_json(with_json(wp, title=path), fixture("wp_posts.json", WP_URL), VN)
        assert f"`{path}`" in caught.value.message
        assert "json.title" in caught.value.message
        assert "all 4 records" in caught.value.message
        assert caught.value.kind == "selector"


def test_link_template_missing_in_all_records_is_broken(strapi: Source) -> None:
    source = with_json(strapi, link="https://khonggianmang.vn/bai-viet/{attributes.permalink}")
    with pytest.raises(SourceBroken) as caught:
        parse_json(source, fixture("khonggianmang_strapi_v4.json", STRAPI_URL), VN)
    assert "json.link" in caught.value.message


def test_records_missing_a_title_are_skipped_when_others_have_one(wp: Source) -> None:
    posts = json.loads((FIXTURES / "wp_posts.json").read_text(encoding="utf-8"))
    del posts[1]["title"]
    entries = parse_json(wp, response(json.dumps(posts).encode(), WP_URL), VN)
    assert [e.guid for e in entries] == ["5314", "5288", "5274"]


def test_rfc_2822_minus_zero_zone_is_utc() -> None:
    source = Source(
        id="api",
        name="api",
        kind="json",
        url="https://phuong.example/api",
        rank=0,
        every_seconds=60,
        json=JsonSpec(items="items", title="t", link="u", date="d"),
    )
    body = {
        "items": [
            {"t": "Tin một", "u": "/tin/1", "d": "Wed, 05 Jul 2023 08:10:00 -0000"},
            {"t": "Tin hai", "u": "/tin/2", "d": "Wed, 05 Jul 2023 08:10:00 +0700"},
            {"t": "Tin ba", "u": "/tin/3", "d": "Wed, 05 Jul 2023 08:10:00"},
        ]
    }
    entries = parse_json(source, response(json.dumps(body).encode(), source.url), VN)
    assert [e.published for e in entries] == [
        datetime(2023, 7, 5, 8, 10, tzinfo=UTC),  # -0000: UTC, local zone unknown
        datetime(2023, 7, 5, 1, 10, tzinfo=UTC),
        datetime(2023, 7, 5, 8, 10, tzinfo=VN),  # no zone: the config zone
    ]
    assert entries[0].url == "https://phuong.example/tin/1"


def test_epoch_dates_in_seconds_and_milliseconds() -> None:
    source = Source(
        id="api",
        name="api",
        kind="json",
        url="https://phuong.example/api",
        rank=0,
        every_seconds=60,
        json=JsonSpec(items="data.list", title="title", link="url", date="publishTime"),
    )
    body = {
        "data": {
            "list": [
                {"title": "Giây", "url": "/1", "publishTime": 1688956200},
                {"title": "Mili giây", "url": "/2", "publishTime": 1688956200000},
                {"title": "Chuỗi", "url": "/3", "publishTime": "1688956200000"},
            ]
        }
    }
    entries = parse_json(source, response(json.dumps(body).encode(), source.url), VN)
    assert [e.published for e in entries] == [datetime(2023, 7, 10, 2, 30, tzinfo=UTC)] * 3


# --- dig / field_text ----------------------------------------------------------------------------------------------

RECORD: dict[str, Any] = {
    "id": 7,
    "attributes": {"slug": "tin-bay", "tags": ["a", "b"], "thumbnail": {"data": None}, "zero": 0},
}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("id", 7),
        ("attributes.slug", "tin-bay"),
        ("attributes.tags.0", "a"),
        ("attributes.tags.-1", "b"),
        ("attributes.tags.2", None),
        ("attributes.thumbnail.data.attributes.url", None),
        ("attributes.missing", None),
        ("id.deeper", None),
        (None, None),
        ("", RECORD),
    ],
)
def test_dig(path: str | None, expected: Any) -> None:
    assert dig(RECORD, path) == expected


def test_field_text() -> None:
    assert field_text(RECORD, "id") == "7"
    assert field_text(RECORD, "attributes.zero") == "0"
    assert field_text(RECORD, "attributes.tags") is None  # lists and objects are not text
    assert field_text(RECORD, "https://a.vn/{attributes.slug}?id={id}") == "https://a.vn/tin-bay?id=7"
    assert field_text(RECORD, "https://a.vn/{attributes.nope}") is None
    assert field_text(RECORD, None) is None


keys = st.text(alphabet="abcdefghijklmnopqrstuvwxyzA_", min_size=1, max_size=8)


@given(path=st.lists(keys, min_size=1, max_size=6), value=st.one_of(st.integers(), st.text(max_size=20)))
def test_dig_follows_any_nested_path(path: list[str], value: int | str) -> None:
    data: Any = value
    for key in reversed(path):
        data = {key: data}
    assert dig(data, ".".join(path)) == value
    assert dig(data, ".".join([*path, "more"])) is None
    wrapped = {"data": [data]}
    assert dig(wrapped, "data.0." + ".".join(path)) == value
