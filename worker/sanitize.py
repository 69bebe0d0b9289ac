"""Sanitise source HTML with an nh3 allow-list and turn HTML into plain text; nothing else."""

from __future__ import annotations

import html as html_lib
import re
import unicodedata
from html import entities as html_entities
from typing import Any

import nh3

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "caption",
    "code",
    "em",
    "figcaption",
    "figure",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "li",
    "ol",
    "p",
    "pre",
    "small",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "abbr": {"title"},
}
# Content of these elements is dropped along with the tag: their text is never reader-facing.
DROPPED_WITH_CONTENT = {"script", "style", "iframe", "object", "embed", "noscript", "template", "svg", "math", "form"}
URL_SCHEMES = {"http", "https", "mailto", "tel"}
_SAFE_HTML_OPTIONS: dict[str, Any] = {
    "tags": ALLOWED_TAGS,
    "clean_content_tags": DROPPED_WITH_CONTENT,
    "attributes": ALLOWED_ATTRIBUTES,
    "url_schemes": URL_SCHEMES,
    "link_rel": "noopener noreferrer nofollow",
    "strip_comments": True,
}
# Built once: nh3.clean converts its options into a new sanitiser on every call, which cost as much as
# the cleaning itself. Only a body with relative URLs needs a per-item sanitiser (to resolve them
# against the item's URL); ammonia keeps an absolute URL as written whatever its relative-URL policy.
_SAFE_HTML = nh3.Cleaner(**_SAFE_HTML_OPTIONS)
_TEXT_ONLY = nh3.Cleaner(tags=set(), clean_content_tags=DROPPED_WITH_CONTENT)
# HTML's own whitespace only: `src=\xa0https://…` is a relative URL to a browser.
_ABSOLUTE_URL_VALUE = re.compile(r"""(?:href|src)[\t\n\f\r ]*=[\t\n\f\r ]*["']?https?://""")

_BLOCK_BREAK = re.compile(r"</(p|div|li|h[1-6]|tr|blockquote|figcaption|pre|section|article)\s*>|<br\s*/?>", re.I)
_TAG = re.compile(r"<[^>]*>")
_ODD_SPACES = "\t\r\f\v\u00a0\u200b"  # spaces that read as " ", besides " " itself
# Runs of spaces to collapse to one " ". A lone " " is left alone (matching every word gap made this the
# slowest step of reading a body).
_SPACES = re.compile(f"[ {_ODD_SPACES}]{{2,}}|[{_ODD_SPACES}]")
_BLANK_LINES = re.compile(r"\n\s*\n+")
# Escaping levels html_to_text undoes; real feeds use at most 2 (`&amp;lt;b&amp;gt;`).
_UNESCAPE_ROUNDS = 6

# Tags whose parsing can neither move, drop nor add text (no tables, pre, raw text, forms or foreign
# content): for markup made only of these, the text nh3 keeps is the markup with the tags cut out. Spelled
# as a trie, which the regex engine tries faster than the flat list: a abbr article aside b blockquote br
# cite code dd div dl dt em figcaption figure footer h1-h6 header hr i img li main mark nav ol p q s section
# small span strong sub sup time u ul.
_PLAIN_TAG_NAMES = (
    "a(?:bbr|rticle|side)?|b(?:lockquote|r)?|cite|code|d(?:[dlt]|iv)|em|fig(?:caption|ure)|footer|h(?:[1-6r]|eader)"
    "|i(?:mg)?|li|ma(?:in|rk)|nav|ol|p|q|s(?:ection|mall|pan|trong|u[bp])?|time|ul?"
)
_TAG_SPACE = r"[\t\n\f ]"  # HTML's whitespace in a tag; \s would take \v and Unicode spaces too
# A grammar narrower than HTML's: quotes only around values, so html5ever and this pattern both end a
# tag at its first `>` outside quotes.
_PLAIN_ATTRIBUTE = rf"""[^\t\n\f />"'<=]+(?:{_TAG_SPACE}*={_TAG_SPACE}*(?:"[^"]*"|'[^']*'|[^\t\n\f >"'<=`]+))?"""
# ASCII-only case folding: under Unicode rules `<ſpan>` would pass for `<span>`.
_PLAIN_TAG = re.compile(rf"</?(?:{_PLAIN_TAG_NAMES})(?:{_TAG_SPACE}+{_PLAIN_ATTRIBUTE})*+{_TAG_SPACE}*/?>", re.I | re.A)
_CHARACTER_REFERENCE = re.compile(r"&(?:([A-Za-z][A-Za-z0-9]{0,31})|#([0-9]{1,7})|#[xX]([0-9a-fA-F]{1,6}));")
_NAMED_REFERENCES = frozenset(name[:-1] for name in html_entities.html5 if name.endswith(";"))


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def sanitize_html(fragment: str, base_url: str | None = None) -> str:
    """Keep a safe subset of HTML: no scripts, event handlers, styles or javascript: URLs.

    With `base_url`, relative links and images are made absolute, so a body still works once published elsewhere.
    """
    if not fragment:
        return ""
    fragment = nfc(fragment)
    if not base_url or not _may_hold_relative_urls(fragment):
        return _SAFE_HTML.clean(fragment).strip()
    relative: Any = ("rewrite_with_base", base_url)
    return nh3.clean(fragment, **_SAFE_HTML_OPTIONS, url_relative=relative).strip()


def _may_hold_relative_urls(fragment: str) -> bool:
    # Conservative: any `href`/`src` in any case not plainly followed by an absolute http(s) URL counts,
    # even in text. lower() maps every ASCII spelling of the names (all HTML knows) onto these, and no
    # other character onto the ASCII the pattern needs. (A case-blind regex search took 30 µs a body.)
    lowered = fragment.lower()
    for name in ("href", "src"):
        at = lowered.find(name)
        while at >= 0:
            if not _ABSOLUTE_URL_VALUE.match(lowered, at):
                return True
            at = lowered.find(name, at + 1)
    return False


def html_to_text(fragment: str, *, keep_paragraphs: bool = False) -> str:
    """Plain NFC text from an HTML fragment or an entity-escaped string.

    Unescaping repeats because WordPress titles often arrive double-escaped (`&amp;#8220;`),
    and escaped markup (`&lt;b&gt;`) becomes tags that must be stripped in turn.
    """
    if not fragment:
        return ""
    text = fragment
    for _ in range(_UNESCAPE_ROUNDS):
        before = text
        # Block ends become blank lines before the tags go, so `<p>a</p><p>b</p>` never reads "ab".
        text = _text_content(_BLOCK_BREAK.sub("\n\n", text)) if _TAG.search(text) else html_lib.unescape(text)
        if text == before:
            break
    else:
        # Still unescaping into new markup after every round: drop whatever looks like a tag.
        text = _TAG.sub("", text)
    text = nfc(text)
    if keep_paragraphs:
        lines = "\n".join(line.strip() for line in _collapse_spaces(text).split("\n"))
        return _BLANK_LINES.sub("\n\n", lines).strip()
    return _collapse_spaces(text.replace("\n", " ")).strip()


def _collapse_spaces(text: str) -> str:
    # Most text has single plain spaces only: a few C-speed scans spare it the regex.
    if "  " not in text and not any(c in text for c in _ODD_SPACES):
        return text
    return _SPACES.sub(" ", text)


def _text_content(markup: str) -> str:
    """`html.unescape(nh3.clean(markup, tags=set(), …))`, without parsing markup that only holds plain tags."""
    # html5ever reads CRLF and CR as LF before it tokenises, inside tags as well as between them.
    text = _plain_markup_text(markup.replace("\r\n", "\n").replace("\r", "\n") if "\r" in markup else markup)
    if text is not None:
        # nh3 escapes only `&`, `<`, `>` and U+00A0 in text, so unescaping its output decodes the text once.
        return html_lib.unescape(text)
    return html_lib.unescape(_TEXT_ONLY.clean(markup))


def _plain_markup_text(markup: str) -> str | None:
    """Markup without its tags, still escaped, when html5ever would read that same text from it; else None."""
    # html5ever drops NUL and a leading BOM; nh3 raises on a lone surrogate.
    if "\x00" in markup or markup.startswith("\ufeff") or _has_surrogate(markup):
        return None
    if "&" not in markup:
        text = _PLAIN_TAG.sub("", markup)
        return None if "<" in text else text  # a `<` left over began no plain tag
    # Each tag leaves a NUL for now, so a reference cut by a tag (`&am<b></b>p;`) is no reference.
    text_and_tag_marks = _PLAIN_TAG.sub("\x00", markup)
    if "<" in text_and_tag_marks or not _references_decode_alike(text_and_tag_marks):
        return None
    return text_and_tag_marks.replace("\x00", "")


def _has_surrogate(text: str) -> bool:
    if text.isascii():
        return False
    try:
        text.encode()
    except UnicodeEncodeError:
        return True
    return False


def _references_decode_alike(text: str) -> bool:
    """Whether every `&` in text starts a whole reference that html5ever and `html.unescape` decode alike."""
    references = _CHARACTER_REFERENCE.findall(text)
    if len(references) != text.count("&"):
        return False
    for name, decimal, hexadecimal in references:
        if name:
            if name not in _NAMED_REFERENCES:
                return False
        elif not _decodes_alike(int(decimal, 10) if decimal else int(hexadecimal, 16)):
            return False
    return True


def _decodes_alike(code_point: int) -> bool:
    # html.unescape drops controls and non-characters, maps C1 through windows-1252 and NUL to U+FFFD;
    # html5ever keeps some of those, so only ordinary characters count.
    if code_point < 0x20:
        return code_point in (0x09, 0x0A)
    return (
        not 0x7F <= code_point <= 0x9F
        and not 0xD800 <= code_point <= 0xDFFF
        and not 0xFDD0 <= code_point <= 0xFDEF
        and code_point & 0xFFFE != 0xFFFE
        and code_point <= 0x10FFFF
    )
