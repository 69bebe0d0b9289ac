from __future__ import annotations

import re
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from worker.sanitize import html_to_text, sanitize_html

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
