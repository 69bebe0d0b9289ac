"""`selector@attribute` expressions over parsed HTML."""

from __future__ import annotations

import unicodedata

import pytest
from bs4 import BeautifulSoup
from bs4.element import Tag
from hypothesis import given
from hypothesis import strategies as st

from worker.errors import SourceBroken
from worker.sources.selectors import select_html, select_value, select_values, split_selector

CARD = """<div class="post-card" data-id="1304">
  <a class="post-card__thumb" href="/bai-viet/a"><img src="/uploads/a.png" data-src="/uploads/a-large.png"></a>
  <h3 class="post-card__title  highlight"><a href="/bai-viet/a">  Cảnh báo
      <b>giả danh</b> công an  </a></h3>
  <p class="post-card__summary"></p>
  <div class="date">08/07/2023</div><div class="date-create">07/07/2023</div>
  <ul class="files"><li><a href="/uploads/x.pdf">x</a></li><li><a href="/uploads/y.docx">y</a></li>
  <li><a href="/uploads/x.pdf">x lần nữa</a></li><li><a href="/tag/lua-dao">thẻ</a></li></ul>
  <div class="content"><p>Đoạn <i>một</i>.</p><p>Đoạn hai.</p></div>
</div>"""


def card(html: str = CARD) -> Tag:
    element = BeautifulSoup(html, "lxml").select_one("div")
    assert element is not None
    return element


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("h3 a@href", ("h3 a", "href")),
        ("@href", ("", "href")),
        ("@data-id", ("", "data-id")),
        ("img@data-src", ("img", "data-src")),
        ("svg use@xlink:href", ("svg use", "xlink:href")),
        (
            "div.post-detail__attachments a[href*='/uploads/']@href",
            ("div.post-detail__attachments a[href*='/uploads/']", "href"),
        ),
        ("a[href^='mailto:tin@phuong.example']", ("a[href^='mailto:tin@phuong.example']", None)),
        ("a[href^='mailto:tin@phuong.example']@href", ("a[href^='mailto:tin@phuong.example']", "href")),
        ("  div.date  ", ("div.date", None)),
    ],
)
def test_split_selector(expression: str, expected: tuple[str, str | None]) -> None:
    assert split_selector(expression) == expected


def test_select_value_text_is_stripped_and_single_spaced() -> None:
    assert select_value(card(), "h3.post-card__title a") == "Cảnh báo giả danh công an"


def test_select_value_attributes() -> None:
    element = card()
    assert select_value(element, "h3 a@href") == "/bai-viet/a"
    assert select_value(element, "img@data-src") == "/uploads/a-large.png"
    assert select_value(element, "@data-id") == "1304"  # the item element's own attribute
    assert select_value(element, "h3@class") == "post-card__title highlight"  # multi-valued, joined
    assert select_value(element, "h3@title") is None  # attribute absent


def test_select_value_none_when_nothing_or_empty() -> None:
    element = card()
    assert select_value(element, "h2.missing") is None
    assert select_value(element, "p.post-card__summary") is None  # matched, but holds no text
    assert select_value(element, None) is None
    assert select_value(element, "") is None


def test_select_value_takes_the_first_match_in_document_order() -> None:
    assert select_value(card(), "div.date-create, div.date") == "08/07/2023"


def test_select_value_is_nfc() -> None:
    nfd = unicodedata.normalize("NFD", '<div><a title="Cảnh báo" href="/x">Lừa đảo trực tuyến</a></div>')
    element = card(nfd)
    assert select_value(element, "a") == "Lừa đảo trực tuyến"
    assert select_value(element, "a@title") == "Cảnh báo"


def test_select_values_deduplicates_in_order() -> None:
    element = card()
    assert select_values(element, "ul.files a[href*='/uploads/']@href") == ["/uploads/x.pdf", "/uploads/y.docx"]
    assert select_values(element, "ul.files a") == ["x", "y", "x lần nữa", "thẻ"]
    assert select_values(element, "table td") == []
    assert select_values(element, None) == []


def test_select_html_is_inner_html() -> None:
    element = card()
    assert select_html(element, "div.content") == "<p>Đoạn <i>một</i>.</p><p>Đoạn hai.</p>"
    assert select_html(element, "div.content@class") == "<p>Đoạn <i>một</i>.</p><p>Đoạn hai.</p>"
    assert select_html(element, "div.nothing") is None
    assert select_html(element, None) is None


@given(st.text(alphabet="aàáảãạăâđêôơưỳýỷỹỵ AĂÂĐÊÔƠƯ", min_size=1, max_size=40).filter(str.strip))
def test_select_value_reads_back_any_vietnamese_text_in_nfc(text: str) -> None:
    html = f"<div><span>{unicodedata.normalize('NFD', text)}</span></div>"
    # Stripped and composed; runs of spaces inside one text node are left for normalize_entry to collapse.
    assert select_value(card(html), "span") == text.strip()


def test_stray_spaces_around_the_attribute_are_tolerated() -> None:
    assert split_selector(" h3 a@href ") == ("h3 a", "href")
    assert split_selector("h3 a @ href") == ("h3 a", "href")
    assert select_value(card(), "h3 a@href ") == "/bai-viet/a"


@pytest.mark.parametrize("selector", ["h3 a[href", "h3 >> a", "div..date", "a@href_x"])
def test_invalid_css_is_a_broken_source_naming_the_selector(selector: str) -> None:
    for read in (select_value, select_values, select_html):
        with pytest.raises(SourceBroken) as caught:
            read(card(), selector)
        assert f"`{split_selector(selector)[0]}` is not valid CSS" in caught.value.message
        assert caught.value.kind == "selector"
        assert "sources.yaml" in caught.value.hint
