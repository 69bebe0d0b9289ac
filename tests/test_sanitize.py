from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable
from html.entities import html5

import nh3
import pytest
from hypothesis import HealthCheck, given, settings
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


def _reference_html_to_text(fragment: str, *, keep_paragraphs: bool = False) -> str:
    # html_to_text before the plain-markup fast path: every round with a tag went through nh3. Stored
    # content hashes were computed with it, so the fast path must agree with it on every input.
    if not fragment:
        return ""
    text = fragment
    for _ in range(sanitize._UNESCAPE_ROUNDS):
        before = text
        if sanitize._TAG.search(text):
            text = nh3.clean(
                sanitize._BLOCK_BREAK.sub("\n\n", text), tags=set(), clean_content_tags=sanitize.DROPPED_WITH_CONTENT
            )
        text = html.unescape(text)
        if text == before:
            break
    else:
        text = sanitize._TAG.sub("", text)
    text = sanitize.nfc(text)
    if keep_paragraphs:
        lines = "\n".join(line.strip() for line in sanitize._collapse_spaces(text).split("\n"))
        return sanitize._BLANK_LINES.sub("\n\n", lines).strip()
    return sanitize._collapse_spaces(text.replace("\n", " ")).strip()


def _nh3_text_content(markup: str) -> str:
    return html.unescape(nh3.clean(markup, tags=set(), clean_content_tags=sanitize.DROPPED_WITH_CONTENT))


PLAIN_TAGS = [
    "a", "abbr", "article", "aside", "b", "blockquote", "br", "cite", "code", "dd", "div", "dl", "dt", "em",
    "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "i", "img", "li", "main",
    "mark", "nav", "ol", "p", "q", "s", "section", "small", "span", "strong", "sub", "sup", "time", "u", "ul",
]  # fmt: skip
# Tags with parsing of their own (tables, raw text, pre, forms, foreign content, document structure) and
# names that only look like plain ones.
OTHER_TAGS = [
    "table", "caption", "tbody", "thead", "tfoot", "tr", "td", "th", "col", "colgroup", "pre", "listing", "textarea",
    "script", "style", "title", "xmp", "iframe", "noembed", "noframes", "noscript", "plaintext", "template", "svg",
    "math", "select", "option", "optgroup", "form", "frameset", "frame", "html", "head", "body", "base", "meta",
    "link", "nobr", "font", "image", "button", "object", "embed", "input", "ruby", "rt", "address", "center", "menu",
    "spanx", "strongest", "h7", "bx", "p1", "ſpan", "ſ",
]  # fmt: skip


def _tags(names: st.SearchStrategy[str], attributes: st.SearchStrategy[str], spaces: str) -> st.SearchStrategy[str]:
    return st.builds(
        lambda close, name, upper, attribute_list, space, slash: (
            f"<{close}{name.upper() if upper else name}{''.join(attribute_list)}{space}{slash}>"
        ),
        st.sampled_from(["", "", "/"]),
        names,
        st.booleans(),
        st.lists(attributes, max_size=2),
        st.text(alphabet=spaces, max_size=2),
        st.sampled_from(["", "", "/"]),
    )


def _attributes(spaces: list[str], names: list[str], values: list[str]) -> st.SearchStrategy[str]:
    return st.builds(
        lambda space, name, equals, value: f"{space}{name}{equals}{value}" if equals else f"{space}{name}",
        st.sampled_from(spaces),
        st.sampled_from(names),
        st.sampled_from(["=", " = ", "", "=\n", "\f=\t"]),
        st.sampled_from(values),
    )


_PLAIN_ATTRIBUTES = _attributes(
    [" ", "\t", "\n", "\f", "  ", "\r\n"],
    ["href", "title", "class", "data-x", "ALT", "src", "đ", "x:y"],
    ['"x"', "'y'", '"a > b"', "'<p>'", "z", '""', "''", '"&amp;"', "?a=1&b=2", '"&am"', "x/", '"\r\n"', "'\x00'"],
)
_ANY_ATTRIBUTES = _attributes(
    [" ", "\n", "", "\v", "/"],
    ["href", "a'b", 'a"', "=x", "on<", "\u0111", "x\ud800"],
    ['"x"', "z", "`v`", "=", '"unclosed', "'\ud800'", "a<b"],
)
_PLAIN_TAG_MARKUP = _tags(st.sampled_from(PLAIN_TAGS), _PLAIN_ATTRIBUTES, "\t\n\f \r")
_ANY_TAG_MARKUP = _tags(st.sampled_from(PLAIN_TAGS + OTHER_TAGS), _PLAIN_ATTRIBUTES | _ANY_ATTRIBUTES, "\t\n\f \r\v")
_ODD_MARKUP = st.sampled_from(
    [
        *["<", ">", "<>", "</>", "<3", "</", "&", ";", "&#", "&#x", "< p>", "</ p>", "<p", '<a href="', "<b\x00>"],
        *["<!-- bình luận -->", "<!---->", "<!doctype html>", "<![CDATA[<b>x</b>]]>", "<?php echo 1 ?>"],
        *["</br>", "<br/>", "</p>", "<p/class=x>", "<table><tr><td>ô", "<pre>\nmã</pre>", "<svg><p>x</svg>"],
        *["<textarea>\n<b>x</b></textarea>", "<script>x = '<p>'</script>", "<style>p{}</style>"],
    ]
)
_PLAIN_TEXTS = st.sampled_from(
    [
        *["Cảnh báo lừa đảo", unicodedata.normalize("NFD", "Tiếng Việt"), unicodedata.normalize("NFD", "Thanh Hóa")],
        *[" ", "  ", "\n", "\r\n", "\r", "\t", "\f", "\u00a0", "\u200b", "\v", "\x85", "\u3000", "x", ">", '"', "'"],
        *["\ufeff", "😀", "\u2028"],
    ]
) | st.text(alphabet="aăâđêôơưạảãáàẠ \n\r=/;#>", max_size=6)
_ODD_TEXTS = st.sampled_from(["\x00", "\ud800", "\udfff", "<", "&"]) | st.text(max_size=4)
# References html5ever and html.unescape read alike, so plain markup holding them can skip the parser.
_PLAIN_REFERENCES = st.sampled_from(
    [
        *["&amp;", "&lt;", "&gt;", "&quot;", "&nbsp;", "&hellip;", "&ndash;", "&notin;", "&NewLine;", "&Tab;"],
        *["&ecirc;", "&Ecirc;", "&oacute;", "&#8220;", "&#8221;", "&#x201C;", "&#X2013;", "&#65;", "&#0065;", "&#60;"],
        *["&#62;", "&#38;", "&#160;", "&#9;", "&#10;", "&#x10FFFF;", "&CounterClockwiseContourIntegral;", "&amp;amp;"],
        *["&lt;b&gt;in đậm&lt;/b&gt;", "&amp;lt;p&amp;gt;đoạn&amp;lt;/p&amp;gt;", "&amp;#8220;", "&lt;br&gt;"],
        *["&lt;table&gt;&lt;tr&gt;&lt;td&gt;ô&lt;/td&gt;&lt;/tr&gt;&lt;/table&gt;", "&lt;pre&gt;\nx&lt;/pre&gt;"],
        *["&lt;!-- x --&gt;", "&lt;script&gt;x&lt;/script&gt;y"],
    ]
)
_ODD_REFERENCES = st.sampled_from(
    [
        *["&#13;", "&#0;", "&#x110000;", "&#128;", "&#150;", "&#x9F;", "&#1;", "&#x7F;", "&#xFFFE;", "&#xD800;"],
        *["&#99999999;", "&#12345678;", "&#00000065;", "&amp", "&lt", "&copy", "&notit;", "&ampfoo;", "&bogus;"],
        *["&#;", "&#x;", "&#65", "&# 65;", "&AMP;", "&Amp;", "&am", "&xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx;"],
    ]
)
# A tag inside a reference: `&am<b></b>p;` reads differently per text node than over the joined text.
_CUT_REFERENCES = st.builds(
    lambda reference, cut, tag: reference[:cut] + tag + reference[cut:],
    _PLAIN_REFERENCES | _ODD_REFERENCES,
    st.integers(min_value=1, max_value=6),
    _PLAIN_TAG_MARKUP,
)
_PLAIN_PIECES = st.one_of(_PLAIN_TAG_MARKUP, _PLAIN_TAG_MARKUP, _PLAIN_TEXTS, _PLAIN_REFERENCES)
_ODD_PIECES = st.one_of(_ANY_TAG_MARKUP, _ODD_MARKUP, _ODD_TEXTS, _ODD_REFERENCES, _CUT_REFERENCES)
# Misnested plain tags with text and references: what the fast path itself must get right.
_PLAIN_MARKUP = st.lists(_PLAIN_PIECES, max_size=30).map("".join)
# Plain markup but for one piece, to find the edge of what the fast path may accept.
_NEARLY_PLAIN_MARKUP = st.builds(
    lambda pieces, odd, at: "".join(pieces[:at]) + odd + "".join(pieces[at:]),
    st.lists(_PLAIN_PIECES, max_size=20),
    _ODD_PIECES,
    st.integers(min_value=0, max_value=20),
)
_TAG_SOUP = st.lists(st.one_of(_PLAIN_PIECES, _ODD_PIECES), max_size=24).map("".join)
_MARKUP = st.one_of(_PLAIN_MARKUP, _NEARLY_PLAIN_MARKUP, _TAG_SOUP)


def _outcome(text_of: Callable[[str], str], markup: str) -> str:
    # nh3 raises on a lone surrogate; the fast path must raise alike.
    try:
        return text_of(markup)
    except UnicodeEncodeError as error:
        return f"raises {error.reason}"


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_MARKUP)
def test_text_content_matches_nh3_on_any_markup(markup: str) -> None:
    assert _outcome(sanitize._text_content, markup) == _outcome(_nh3_text_content, markup), markup


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_MARKUP, st.booleans())
def test_html_to_text_matches_the_nh3_only_version(fragment: str, keep_paragraphs: bool) -> None:
    new = _outcome(lambda text: html_to_text(text, keep_paragraphs=keep_paragraphs), fragment)
    assert new == _outcome(lambda text: _reference_html_to_text(text, keep_paragraphs=keep_paragraphs), fragment)


def test_every_named_reference_reads_as_nh3_reads_it() -> None:
    for name in html5:
        markup = f"<b>&{name}</b>x&{name}"
        assert sanitize._text_content(markup) == _nh3_text_content(markup), name


def test_numeric_references_read_as_nh3_reads_them() -> None:
    # Controls, C1, surrogates, non-characters and the ends of the range; every code point was checked once.
    edges = [*range(0x300), *range(0xD7F0, 0xE010), *range(0xFDC0, 0xFE00), 0xFEFF, 0xFFFD, 0xFFFE, 0xFFFF]
    for code_point in [*edges, 0x1FFFE, 0x10FFFD, 0x10FFFE, 0x10FFFF, 0x110000, 0x7FFFFFFF]:
        markup = f"<i>&#{code_point};&#x{code_point:x};</i>&#X{code_point:X};"
        assert sanitize._text_content(markup) == _nh3_text_content(markup), hex(code_point)


def test_plain_tags_are_exactly_the_listed_ones() -> None:
    near_names = {name[:cut] for name in PLAIN_TAGS for cut in range(1, len(name))}
    near_names |= {name + extra for name in PLAIN_TAGS for extra in "abcdefghijklmnopqrstuvwxyz0123456789-:"}
    for name in {*PLAIN_TAGS, *OTHER_TAGS, *near_names}:
        upper = name.upper() if name.isascii() else name
        for tag in (f"<{name}>", f"</{name}>", f'<{upper} class="x">', f"<{name}/>"):
            assert bool(sanitize._PLAIN_TAG.fullmatch(tag)) == (name in PLAIN_TAGS), tag


ARTICLE = (
    "<p><strong>Công an TP Thanh Hóa cảnh báo</strong> thủ đoạn&nbsp;giả danh&hellip; &#8220;việc nhẹ lương cao&#8221;</p>"
    '\r\n<figure><img src="/a.jpg" alt="ảnh"><figcaption>Ảnh minh họa</figcaption></figure>'
    '<ul><li>Không chuyển tiền</li><li><a href="https://congan.thanhhoa.gov.vn/?a=1&b=2" title="x > y">Báo</a></li></ul>'
)


class _Sanitiser:
    """Stands in for an nh3.Cleaner: `clean` is the given function."""

    def __init__(self, clean: Callable[..., str]) -> None:
        self.clean = clean


def test_plain_article_skips_the_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    expected = _reference_html_to_text(ARTICLE, keep_paragraphs=True)

    def refuse(*args: object, **kwargs: object) -> str:
        raise AssertionError("nh3.clean called for plain markup")

    monkeypatch.setattr(sanitize, "_TEXT_ONLY", _Sanitiser(refuse))
    text = html_to_text(ARTICLE, keep_paragraphs=True)
    assert text == expected
    assert text.startswith("Công an TP Thanh Hóa cảnh báo thủ đoạn giả danh… “việc nhẹ lương cao”\n\nẢnh minh họa")


@pytest.mark.parametrize(
    "body",
    [
        "<table><tr><td>Ô</td></tr>chữ</table>",
        "<pre>\nmã</pre>",
        "<p>a</p><script>alert(1)</script>",
        "<p>a<!-- chú thích --></p>",
        "<p>&amp</p>",
        "<p>a < b</p>",
    ],
)
def test_markup_with_parsing_of_its_own_goes_through_nh3(body: str, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = _reference_html_to_text(body, keep_paragraphs=True)
    calls: list[str] = []
    clean = sanitize._TEXT_ONLY.clean

    def counted(markup: str) -> str:
        calls.append(markup)
        return clean(markup)

    monkeypatch.setattr(sanitize, "_TEXT_ONLY", _Sanitiser(counted))
    assert html_to_text(body, keep_paragraphs=True) == expected
    assert calls
