"""Decoding fetched bytes: BOMs, declared charsets, cp1258 fallback, and NFC output."""

from __future__ import annotations

import codecs
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from worker.sources.encoding import decode_body, sniff_charset

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
LOWER = "aàáảãạăằắẳẵặâầấẩẫậbcdđeèéẻẽẹêềếểễệghiìíỉĩịklmnoòóỏõọôồốổỗộơờớởỡợpqrstuùúủũụưừứửữựvxyỳýỷỹỵ"
VIETNAMESE = LOWER + LOWER.upper() + "0123456789 .,:;!?()-/%"
TONES = "\u0300\u0301\u0303\u0309\u0323"
TEXT = "Cảnh báo lừa đảo: đừng chuyển tiền cho người lạ!"


def cp1258(text: str) -> bytes:
    """How Windows writes Vietnamese in cp1258: the NFD form with â ê ô ơ ư ă đ kept whole (cp1258 has them
    precomposed, but has no combining circumflex, breve or horn) and tone marks as combining characters."""
    out = []
    for char in unicodedata.normalize("NFC", text):
        decomposed = unicodedata.normalize("NFD", char)
        base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in TONES))
        out.append((base + "".join(c for c in decomposed if c in TONES)).encode("cp1258"))
    return b"".join(out)


def test_cp1258_helper_writes_combining_tone_marks() -> None:
    assert cp1258("ệ") == b"\xea\xf2"  # ê + COMBINING DOT BELOW
    assert cp1258("Đá") == b"\xd0a\xec"  # Đ, a + COMBINING ACUTE
    assert unicodedata.normalize("NFC", cp1258(TEXT).decode("cp1258")) == TEXT


# --- BOMs ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bom", "codec"),
    [(codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")],
)
def test_bom_decides_and_is_stripped(bom: bytes, codec: str) -> None:
    body = bom + TEXT.encode(codec)
    assert sniff_charset(body, None) == codec
    # The BOM wins even over a header that says otherwise.
    assert sniff_charset(body, "windows-1258") == codec
    assert decode_body(body, "windows-1258") == TEXT
    assert not decode_body(body).startswith("\ufeff")


# --- declared charsets ---------------------------------------------------------------------------------------------


def test_header_charset() -> None:
    body = cp1258(TEXT)
    assert sniff_charset(body, "windows-1258") == "cp1258"
    assert sniff_charset(body, " Windows-1258 ") == "cp1258"
    assert decode_body(body, "windows-1258") == TEXT


def test_header_charset_beats_meta() -> None:
    body = b'<html><head><meta charset="utf-8"></head><body>' + cp1258(TEXT) + b"</body></html>"
    assert sniff_charset(body, "windows-1258") == "cp1258"
    assert TEXT in decode_body(body, "windows-1258")


def test_unknown_header_charset_is_ignored() -> None:
    body = b'<meta charset="windows-1258"><p>' + cp1258(TEXT) + b"</p>"
    assert sniff_charset(body, "x-no-such-charset") == "cp1258"
    assert TEXT in decode_body(body, "x-no-such-charset")


@pytest.mark.parametrize(
    "declaration",
    [
        b'<meta charset="windows-1258">',
        b"<meta charset=windows-1258>",
        b'<meta http-equiv="Content-Type" content="text/html; charset=windows-1258">',
    ],
)
def test_meta_charset(declaration: bytes) -> None:
    body = b"<html><head>" + declaration + b"</head><body><p>" + cp1258(TEXT) + b"</p></body></html>"
    assert sniff_charset(body, None) == "cp1258"
    assert TEXT in decode_body(body)


def test_meta_after_the_first_4_kib_is_not_read() -> None:
    body = b"<html><!--" + b" " * 5000 + b'--><meta charset="windows-1258">'
    assert sniff_charset(body, None) is None


def test_xml_declaration() -> None:
    body = b'<?xml version="1.0" encoding="windows-1258"?><rss><title>' + cp1258(TEXT) + b"</title></rss>"
    assert sniff_charset(body, None) == "cp1258"
    assert TEXT in decode_body(body)


def test_wrong_declaration_falls_back_to_what_decodes() -> None:
    # Says UTF-8, is cp1258: strict UTF-8 fails, so the Vietnamese legacy fallback is used.
    body = b'<meta charset="utf-8"><p>' + cp1258(TEXT) + b"</p>"
    assert TEXT in decode_body(body)


def test_undeclared_cp1258_falls_back() -> None:
    body = cp1258(TEXT)
    assert sniff_charset(body, None) is None
    assert decode_body(body) == TEXT


def test_undeclared_utf8_is_utf8() -> None:
    assert sniff_charset(TEXT.encode(), None) is None
    assert decode_body(TEXT.encode()) == TEXT


def test_fixtures_decode_to_the_same_nfc_text() -> None:
    with_meta = decode_body((FIXTURES / "listing_windows1258.html").read_bytes())
    header_only = decode_body((FIXTURES / "listing_windows1258_nometa.html").read_bytes(), "windows-1258")
    undeclared = decode_body((FIXTURES / "listing_windows1258_nometa.html").read_bytes())
    for text in (with_meta, header_only, undeclared):
        assert unicodedata.is_normalized("NFC", text)
        assert "Cảnh báo ứng dụng VNeID giả mạo nhằm chiếm đoạt tài khoản ngân hàng" in text
    assert header_only == undeclared
    assert (
        with_meta.replace('  <meta charset="windows-1258">\n', "").split("<html", 1)[1]
        == (header_only.split("<html", 1)[1])
    )


# --- properties -----------------------------------------------------------------------------------------------------

vietnamese_text = st.text(alphabet=VIETNAMESE, max_size=80)


@given(vietnamese_text)
def test_any_utf8_vietnamese_decodes_to_itself(text: str) -> None:
    assert unicodedata.is_normalized("NFC", text)
    assert decode_body(text.encode("utf-8")) == text
    assert decode_body(text.encode("utf-8"), "utf-8") == text
    assert decode_body(codecs.BOM_UTF8 + text.encode("utf-8"), "windows-1258") == text


@given(vietnamese_text)
def test_any_nfd_utf8_vietnamese_decodes_to_nfc(text: str) -> None:
    assert decode_body(unicodedata.normalize("NFD", text).encode("utf-8")) == text


@given(st.text(alphabet=VIETNAMESE + "“”–…", max_size=80))
def test_any_cp1258_vietnamese_with_declared_charset_decodes_to_nfc(text: str) -> None:
    body = cp1258(text)
    assert decode_body(body, "windows-1258") == text
    assert decode_body(b'<meta charset="windows-1258">' + body) == '<meta charset="windows-1258">' + text


@given(vietnamese_text)
def test_any_undeclared_cp1258_vietnamese_falls_back_correctly(text: str) -> None:
    # Vietnamese letters are all >= 0xC0 in cp1258 and never UTF-8 continuation bytes, so strict UTF-8 fails
    # on them and the cp1258 fallback is right. (Curly quotes, 0x93/0x94, could make a UTF-8 pair: excluded.)
    assert decode_body(cp1258(text)) == text
