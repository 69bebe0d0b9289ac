"""Vietnamese folding: tone placement, NFC/NFD invariance, slugs, syllable tokens."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from worker.vietnamese import (
    _syllables_reference,
    normalize_tone,
    normalize_tones,
    slugify,
    split_hashtag,
    strip_diacritics,
    syllables,
)

WORDS = [
    "hòa",
    "hoà",
    "thúy",
    "thuý",
    "ủy",
    "uỷ",
    "hoàn",
    "quý",
    "giữa",
    "người",
    "khuỷu",
    "tùy",
    "tuỳ",
    "lừa",
    "đảo",
    "Thanh",
    "Hóa",
    "Hoá",
    "xoè",
    "xòe",
]


@pytest.mark.parametrize(
    ("word", "canonical"),
    [
        ("hoà", "hòa"),
        ("hòa", "hòa"),
        ("thuý", "thúy"),
        ("uỷ", "ủy"),
        ("hoàn", "hoàn"),
        ("hòan", "hoàn"),
        ("quý", "quý"),
        ("giữa", "giữa"),
        ("khuỷu", "khuỷu"),
        ("người", "người"),
        ("Hoá", "Hóa"),
        ("xoè", "xòe"),
        ("gìn", "gìn"),
        ("Zalo", "Zalo"),
    ],
)
def test_tone_placement(word: str, canonical: str) -> None:
    assert normalize_tone(word) == canonical


def test_strip_and_slug() -> None:
    assert strip_diacritics("Lừa đảo Đà Nẵng") == "Lua dao Da Nang"
    assert slugify("[Cảnh báo] Lừa đảo: Đà Nẵng!") == "canh-bao-lua-dao-da-nang"


def test_syllables_drop_punctuation_and_emoji_and_split_hashtags() -> None:
    assert syllables("Cảnh báo!!! 😱 Lừa đảo qua Zalo #LuaDaoTrucTuyen #lua_dao #luadao") == [
        "cảnh",
        "báo",
        "lừa",
        "đảo",
        "qua",
        "zalo",
        "lua",
        "dao",
        "truc",
        "tuyen",
        "lua",
        "dao",
        "luadao",
    ]
    assert split_hashtag("CongAn113") == ["cong", "an", "113"]


sentences = st.lists(st.sampled_from([*WORDS, ",", "!", " ", "😱"]), min_size=1, max_size=12).map(" ".join)


@given(sentences)
def test_nfc_nfd_invariance(text: str) -> None:
    assert syllables(unicodedata.normalize("NFD", text)) == syllables(unicodedata.normalize("NFC", text))


@given(sentences)
def test_tone_style_invariance(text: str) -> None:
    old_style = (
        text.replace("hoà", "hòa")
        .replace("thuý", "thúy")
        .replace("uỷ", "ủy")
        .replace("tuỳ", "tùy")
        .replace("Hoá", "Hóa")
        .replace("xoè", "xòe")
    )
    assert syllables(text) == syllables(old_style)
    assert normalize_tones(normalize_tones(text)) == normalize_tones(text)


# -- the cached tokeniser gives exactly the reference tokeniser's tokens -----------------------------------

_LABELLED = Path(__file__).parent / "fixtures" / "dedupe" / "labelled.jsonl"
_VIET_CHARS = "aăâeêioôơuưyđbcdghklmnpqrstvx" + "àáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ"
_PIECES = st.text(
    alphabet=_VIET_CHARS + _VIET_CHARS.upper() + " _#,.!?:-\n0123456789\u0300\u0301\u0303\u0309\u0323🙂", max_size=80
)


def test_cached_syllables_match_reference_on_labelled_set():
    texts = []
    for line in _LABELLED.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        texts.extend(row.get(field) or "" for field in ("title", "summary", "body"))
    assert texts
    for text in texts:
        for form in ("NFC", "NFD"):
            variant = unicodedata.normalize(form, text)
            assert syllables(variant) == _syllables_reference(variant)


@given(st.lists(st.one_of(st.sampled_from(WORDS), _PIECES), max_size=12), st.sampled_from(["NFC", "NFD"]))
def test_cached_syllables_match_reference_on_generated_text(parts, form):
    text = unicodedata.normalize(form, " ".join(parts))
    assert syllables(text) == _syllables_reference(text)
    assert syllables(text) == _syllables_reference(text)  # second call answers from the cache
