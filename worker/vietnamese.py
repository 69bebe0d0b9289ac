"""Vietnamese text folding: NFC, one tone-mark placement style, diacritic stripping, slugs, syllable tokens.

Pure functions only. The canonical tone style is the "old" one (hòa, thúy, ủy), which most portals use.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# The five tone marks as combining characters (NFD); the other diacritics (ă â ê ô ơ ư) are part of the vowel.
TONE_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
_VOWELS = set("aăâeêioôơuưy")
_MODIFIED_VOWELS = set("ăâêôơư")
_WORD = re.compile(r"\w+", re.UNICODE)
_HASHTAG = re.compile(r"#(\w+)", re.UNICODE)
_NON_SLUG = re.compile(r"[^a-z0-9]+")


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _split_tone(syllable: str) -> tuple[str, str | None, int]:
    """NFC syllable → (syllable without its tone, the tone mark, how many tone marks it had)."""
    decomposed = unicodedata.normalize("NFD", syllable)
    tones = [ch for ch in decomposed if ch in TONE_MARKS]
    bare = nfc("".join(ch for ch in decomposed if ch not in TONE_MARKS))
    return bare, (tones[0] if tones else None), len(tones)


def _tone_position(bare: str) -> int | None:
    """Index in `bare` of the vowel that carries the tone (old style), or None if it is not a Vietnamese syllable."""
    lower = bare.lower()
    start = 0
    while start < len(lower) and lower[start] not in _VOWELS:
        start += 1
    if start == len(lower):
        return None
    # "qu" and "gi" + vowel: the u / i belongs to the initial consonant.
    if (lower[start] == "u" and start > 0 and lower[start - 1] == "q") or (
        lower[start] == "i"
        and start > 0
        and lower[start - 1] == "g"
        and start + 1 < len(lower)
        and lower[start + 1] in _VOWELS
    ):
        start += 1
    end = start
    while end < len(lower) and lower[end] in _VOWELS:
        end += 1
    if end == start or any(ch in _VOWELS for ch in lower[end:]):
        return None
    cluster = lower[start:end]
    modified = [i for i, ch in enumerate(cluster) if ch in _MODIFIED_VOWELS]
    if modified:
        # ươ, uô, iê, yê, uâ, uơ: the last modified vowel carries the tone.
        return start + modified[-1]
    if end < len(lower):
        # Closed syllable (hoàn, toán, huýt): the last vowel of the cluster.
        return end - 1
    if len(cluster) == 3:
        return start + 1  # oai, oay, uya, uyu: the middle vowel
    # Open syllable: old style puts the tone on the first vowel of two (hòa, thúy, ủy, mái, múa).
    return start


@lru_cache(maxsize=65536)
def normalize_tone(syllable: str) -> str:
    """Move a syllable's tone mark to its canonical (old-style) vowel: hoà → hòa, thuý → thúy, uỷ → ủy."""
    bare, tone, count = _split_tone(syllable)
    if tone is None or count != 1:
        return syllable
    position = _tone_position(bare)
    if position is None:
        return syllable
    return nfc(bare[: position + 1] + tone + bare[position + 1 :])


def normalize_tones(text: str) -> str:
    """NFC text with every word's tone mark in the canonical position."""
    return _WORD.sub(lambda m: normalize_tone(m.group(0)), nfc(text))


def strip_diacritics(text: str) -> str:
    """Remove every accent and tone mark; đ → d. "Lừa đảo" → "Lua dao"."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return nfc("".join(ch for ch in decomposed if not unicodedata.combining(ch)))


def slugify(text: str) -> str:
    """ASCII slug: "Cảnh báo: Lừa đảo!" → "canh-bao-lua-dao"."""
    return _NON_SLUG.sub("-", strip_diacritics(text).lower()).strip("-")


def split_hashtag(tag: str) -> list[str]:
    """#LuaDaoTrucTuyen → lua dao truc tuyen; #lua_dao → lua dao; #luadao stays one token.

    An all-lowercase hashtag is kept whole: without a dictionary a greedy split of "luadao" is
    ambiguous, and a kept token still matches the same hashtag in another copy.
    """
    words: list[str] = []
    for part in nfc(tag).split("_"):
        current = ""
        for ch in part:
            boundary = current and (
                (ch.isupper() and not current[-1].isupper()) or (ch.isdigit() != current[-1].isdigit())
            )
            if boundary:
                words.append(current)
                current = ""
            current += ch
        if current:
            words.append(current)
    return [w.lower() for w in words]


# Raw word (a `\\w+` run of NFC text) → its tokens after tone folding, "_" splitting and lowercasing.
# Texts repeat a small vocabulary, so each distinct word is folded once; cleared when it grows too big.
_WORD_TOKENS: dict[str, tuple[str, ...]] = {}
_WORD_TOKENS_MAX = 500_000


def _word_tokens(word: str) -> tuple[str, ...]:
    tokens = _WORD_TOKENS.get(word)
    if tokens is None:
        if len(_WORD_TOKENS) >= _WORD_TOKENS_MAX:
            _WORD_TOKENS.clear()
        tokens = _WORD_TOKENS[word] = tuple(_words(normalize_tone(word)))
    return tokens


def syllables(text: str) -> list[str]:
    """Lowercase syllable tokens in canonical tone style; punctuation and emoji dropped, hashtags split.

    Same tokens as `_syllables_reference`: words are separated by non-word characters, so folding each
    distinct word once (cached) and re-splitting it gives what folding the whole text and splitting does.
    """
    text = nfc(text)
    if "#" in text:
        return _syllables_reference(text)
    cache = _WORD_TOKENS
    tokens: list[str] = []
    for word in _WORD.findall(text):
        found = cache.get(word)
        tokens.extend(found if found is not None else _word_tokens(word))
    return tokens


def _syllables_reference(text: str) -> list[str]:
    """The straightforward `syllables`: fold the whole text, then split it (hashtags split into words)."""
    folded = normalize_tones(text)
    tokens: list[str] = []
    position = 0
    for match in _HASHTAG.finditer(folded):
        tokens.extend(_words(folded[position : match.start()]))
        tokens.extend(split_hashtag(match.group(1)))
        position = match.end()
    tokens.extend(_words(folded[position:]))
    return tokens


def _words(text: str) -> list[str]:
    return [part.lower() for word in _WORD.findall(text) for part in word.split("_") if part]
