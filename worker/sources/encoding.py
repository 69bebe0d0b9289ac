"""Decode fetched bytes to text, honouring BOMs, declared and sniffed charsets, and legacy Vietnamese ones."""

from __future__ import annotations

import codecs
import re
import unicodedata

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_XML_DECL = re.compile(rb"""^<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_.:-]+)["']""")
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# What legacy Vietnamese pages most often are when they say nothing (TCVN3 is not in Python).
FALLBACK_CHARSETS = ("utf-8", "cp1258")


def _known(charset: str | None) -> str | None:
    if not charset:
        return None
    try:
        return codecs.lookup(charset.strip().lower()).name
    except LookupError:
        return None


def sniff_charset(body: bytes, declared: str | None) -> str | None:
    """BOM first, then the HTTP header, then a <meta> or XML declaration in the first 4 KiB."""
    for bom, name in _BOMS:
        if body.startswith(bom):
            return name
    header = _known(declared)
    if header:
        return header
    head = body[:4096]
    for pattern in (_XML_DECL, _META_CHARSET):
        match = pattern.search(head)
        if match:
            found = _known(match.group(1).decode("ascii", "ignore"))
            if found:
                return found
    return None


def decode_body(body: bytes, declared: str | None = None) -> str:
    """Text in NFC. windows-1258 writes tone marks as combining characters, hence the normalisation."""
    charset = sniff_charset(body, declared)
    text: str | None = None
    if charset:
        try:
            text = body.decode(charset)
        except UnicodeDecodeError:
            text = None
    if text is None:
        for candidate in FALLBACK_CHARSETS:
            try:
                text = body.decode(candidate)
                break
            except UnicodeDecodeError:
                continue
    if text is None:
        text = body.decode("utf-8", errors="replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    return unicodedata.normalize("NFC", text)
