from __future__ import annotations

import re
import unicodedata

import nh3
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from worker import sanitize
from worker.sanitize import (
    ALLOWED_ATTRIBUTES,
    ALLOWED_TAGS,
    DROPPED_WITH_CONTENT,
    URL_SCHEMES,
    html_to_text,
    sanitize_html,
)

HOSTILE = (
    '<p style="color:red" onclick="steal()">Cảnh báo <b>lừa đảo</b></p>'
    "<script>alert('xss')</script><img src=x onerror=\"alert(1)\">"
    '<a href="javascript:alert(1)">bấm vào đây</a><iframe src="https://evil.example"></iframe>'
    '<a href="https://khonggianmang.vn/bai-viet/a">nguồn</a>'
)


def test_sanitize_removes_everything_active() -> None:
    clean = sanitize_html(HOSTILE)
    for bad in ("script", "onerror", "onclick", "javascript:", "iframe", "style=", "alert"):
        assert bad not in clean
    assert "<b>lừa đảo</b>" in clean
    assert 'href="https://khonggianmang.vn/bai-viet/a"' in clean
    assert 'rel="noopener noreferrer nofollow"' in clean


def test_text_from_wordpress_title() -> None:
    assert html_to_text("Cảnh báo &#8220;việc nhẹ lương cao&#8221; &#8211; chốt đơn ảo") == (
        "Cảnh báo “việc nhẹ lương cao” – chốt đơn ảo"
    )
    assert html_to_text("Giả danh &amp;#8220;công an&amp;#8221;") == "Giả danh “công an”"
    assert html_to_text("&lt;b&gt;Khẩn&lt;/b&gt; cấp") == "Khẩn cấp"


def test_paragraphs_survive() -> None:
    text = html_to_text("<p>Đoạn một.</p><p>Đoạn <i>hai</i>.</p><script>x()</script>", keep_paragraphs=True)
    assert text == "Đoạn một.\n\nĐoạn hai."


@given(st.text(alphabet="aăâeêioôơuưyAĂÂđĐ\u0300\u0301\u0303\u0309\u0323 <>&;#", max_size=60))
def test_text_is_always_nfc(raw: str) -> None:
    text = html_to_text(raw)
    assert unicodedata.is_normalized("NFC", text)
    assert "<script" not in text.lower()


@given(st.text(max_size=80))
def test_nfd_and_nfc_input_give_the_same_text(raw: str) -> None:
    assert html_to_text(unicodedata.normalize("NFD", raw)) == html_to_text(unicodedata.normalize("NFC", raw))


def test_relative_links_and_images_become_absolute_with_a_base() -> None:
    clean = sanitize_html(
        '<p><img src="/storage/photos/canh-bao.png" alt="Cảnh báo"><a href="bai-khac">Xem thêm</a></p>',
        base_url="https://tinnhiemmang.vn/canh-bao-gia-danh-cong-an",
    )
    assert 'src="https://tinnhiemmang.vn/storage/photos/canh-bao.png"' in clean
    assert 'href="https://tinnhiemmang.vn/bai-khac"' in clean


@given(st.lists(st.sampled_from([*" \t\r\f\v\u00a0\u200b\n\x85\u2028\u3000", "Đ", "lừa", "đảo"])).map("".join))
def test_paragraph_text_is_each_line_collapsed_and_stripped(text: str) -> None:
    # The definition, line by line; html_to_text does it in whole-text passes.
    lines = unicodedata.normalize("NFC", text).split("\n")
    per_line = [re.sub(r"[ \t\r\f\v\u00a0\u200b]+", " ", line).strip() for line in lines]
    expected = re.sub(r"\n\s*\n+", "\n\n", "\n".join(per_line)).strip()
    assert html_to_text(text, keep_paragraphs=True) == expected


def _sanitize_per_call(fragment: str, base_url: str | None) -> str:
    """sanitize_html as it was before the prebuilt sanitiser: every option passed to each nh3.clean."""
    return nh3.clean(
        unicodedata.normalize("NFC", fragment),
        tags=ALLOWED_TAGS,
        clean_content_tags=DROPPED_WITH_CONTENT,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
        url_relative=("rewrite_with_base", base_url) if base_url else None,
    ).strip()


_URLS = st.sampled_from(
    [
        "https://khonggianmang.vn/canh-bao/gia-danh-cong-an",
        "HTTP://tinnhiemmang.vn/a?b=1&amp;c=2",
        "http://127.0.0.1:8000/anh/canh-bao.png",
        "/storage/photos/lua-dao.png",
        "bai-khac",
        "//cdn.thanhhoa.gov.vn/a.jpg",
        "#muc-2",
        "?trang=2",
        " https://khonggianmang.vn/co-dau-cach",
        "\u00a0https://khonggianmang.vn/nbsp-la-duong-dan-tuong-doi",
        "\x0chttps://khonggianmang.vn/form-feed",
        "javascript:alert(1)",
        "mailto:tiepnhan@thanhhoa.gov.vn",
        "&#104;ttps://khonggianmang.vn/ma-hoa",
        "data:image/png;base64,AAAA",
        "",
    ]
)
_PIECES = st.one_of(
    st.sampled_from(["Cảnh báo ", "lừa đảo", " qua Zalo", "<p>", "</p>", "<b>", "<br>", "srcset", "HREF", "İ", "K"]),
    st.builds(lambda q, u: f"<a href={q}{u}{q}>nguồn</a>", st.sampled_from(['"', "'", ""]), _URLS),
    st.builds(lambda q, u: f'<img alt="ảnh" SRC = {q}{u}{q}>', st.sampled_from(['"', "'", ""]), _URLS),
    st.builds(lambda s, u: f"<a hReF{s}={s}{u}>nguồn</a>", st.sampled_from(["", "\t", "\u00a0", "\n"]), _URLS),
    st.builds(lambda u: f'<iframe src="{u}"></iframe><blockquote cite="{u}">trích</blockquote>', _URLS),
)


@settings(max_examples=400)
@given(st.lists(_PIECES, max_size=12).map("".join), st.sampled_from([None, "https://congan.thanhhoa.gov.vn/tin/a"]))
def test_sanitize_html_equals_one_sanitiser_per_call(fragment: str, base_url: str | None) -> None:
    assert sanitize_html(fragment, base_url=base_url) == _sanitize_per_call(fragment, base_url)


def test_bodies_with_only_absolute_urls_use_the_prebuilt_sanitiser(monkeypatch: pytest.MonkeyPatch) -> None:
    body = (
        "<p><strong>Công an TP Thanh Hóa</strong> cảnh báo thủ đoạn giả danh.</p>"
        '<figure><img src="https://congan.thanhhoa.gov.vn/anh/canh-bao.jpg" alt="Ảnh minh họa"></figure>'
        '<p><a href="https://khonggianmang.vn/bai-viet/1">Xem thêm</a></p>'
    )
    expected = _sanitize_per_call(body, "https://congan.thanhhoa.gov.vn/tin/a")

    def per_call(*args: object, **kwargs: object) -> str:
        raise AssertionError("an absolute-only body needs no per-item sanitiser")

    monkeypatch.setattr(sanitize.nh3, "clean", per_call)
    assert sanitize_html(body, base_url="https://congan.thanhhoa.gov.vn/tin/a") == expected
