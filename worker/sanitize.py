"""Sanitise source HTML with an nh3 allow-list and turn HTML into plain text; nothing else."""

from __future__ import annotations

import html as html_lib
import re
import unicodedata
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
        if _TAG.search(text):
            # Block ends become blank lines before the tags go, so `<p>a</p><p>b</p>` never reads "ab".
            text = nh3.clean(_BLOCK_BREAK.sub("\n\n", text), tags=set(), clean_content_tags=DROPPED_WITH_CONTENT)
        text = html_lib.unescape(text)
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
