"""Small pure text helpers for Vietnamese names: `slugify` makes ASCII ids such as `phuong-dien-bien`."""

from __future__ import annotations

import re
import unicodedata

_NON_SLUG = re.compile(r"[^a-z0-9]+")


def slugify(text: str) -> str:
    """`Phường Điện Biên` → `phuong-dien-bien`: strip tones and marks, đ → d, hyphens between words."""
    # đ/Đ has no decomposition in Unicode, so NFD alone would drop it.
    folded = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    ascii_only = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return _NON_SLUG.sub("-", ascii_only.lower()).strip("-")
