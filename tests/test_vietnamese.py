"""Vietnamese folding: tone placement, NFC/NFD invariance, slugs, syllable tokens."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from worker.vietnamese import normalize_tone, normalize_tones, slugify, split_hashtag, strip_diacritics, syllables

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
