"""The numpy-free part of dedupe: its settings and the exact-copy rule, which every sync run loads.

worker.dedupe re-exports them; a run where nothing changed never imports numpy (~0.2 s).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

# Phrases portals and reposters wrap around a title or caption; they say nothing about which scam it is.
DEFAULT_BOILERPLATE: tuple[str, ...] = (
    "[Cảnh báo]",
    "Cảnh báo:",
    "Cảnh giác:",
    "Tin nóng:",
    "[Tin nóng]",
    "Nóng:",
    "Khẩn:",
    "(video)",
    "[Video]",
    "Video:",
    "[Infographic]",
    "Infographic:",
    "| Cổng KGM",
    "- Cổng Không gian mạng quốc gia",
    "| Tín nhiệm mạng",
    "- Chống Lừa Đảo",
    "#canhbao",
    "#canhgiac",
    "#luadao",
    "#lừađảo",
    "#tiktok",
    "#xuhuong",
    "#fyp",
    "#tintuc",
    "#congan",
    "#antoanmang",
)


@dataclass(frozen=True)
class DedupeConfig:
    """The `dedupe:` section of sources.yaml. Defaults were measured on tests/fixtures/dedupe (bench/RESULTS.md)."""

    threshold: float = 0.35  # Jaccard of shingle sets at or above which two items are one story
    containment: float = 0.5  # |A∩B| / min(|A|, |B|): a short caption inside a longer article
    shingle: int = 2  # syllables per shingle
    min_shingles: int = 8  # the smaller set needs this many shingles before containment counts
    lead_syllables: int = 50  # title + this many syllables of lead text make the signature
    boilerplate: tuple[str, ...] = DEFAULT_BOILERPLATE
    num_perm: int = 128
    bands: int = 42  # LSH bands of 3 rows: 64×2 found the same matches but 30× more random candidates
    seed: int = 1
    # Retellings (a caption that retells an article in its own words), measured in bench/RESULTS.md:
    retell_floor: float = 0.4  # rarity-weighted share of the caption's content syllables found in the article
    retell_margin: float = 1.6  # ... and at least this many times the best score of any other story
    caption_terms: int = 40  # the shorter item has at most this many distinct content syllables
    retell_long_floor: float = 0.75  # the bar when both items are longer than a caption (rewritten reposts)
    rare_terms: int = 16  # each item is indexed under its this-many rarest content syllables
    max_df: int = 100  # a term in more items than this finds too many candidates to tell anything apart

    @property
    def rows(self) -> int:
        return self.num_perm // self.bands

    @property
    def fingerprint(self) -> str:
        """Changes whenever stored signatures or band keys would change, so stale ones can be detected."""
        text = repr(
            (
                3,
                self.shingle,
                self.lead_syllables,
                self.boilerplate,
                self.num_perm,
                self.bands,
                self.seed,
                self.rare_terms,
            )
        )
        return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Copy:
    """One stored copy of an item, as exact-duplicate decisions need it."""

    id: str
    rank: int  # the source's position in sources.yaml: lower is more trusted
    published_at: str  # UTC ISO 8601, sortable as text
    fetched_at: str


def canonical_copy(copies: list[Copy]) -> Copy:
    """The most trusted source wins, then the earliest copy; the id breaks ties stably."""
    if not copies:
        raise ValueError("no copies to choose from")
    return min(copies, key=lambda c: (c.rank, c.published_at, c.fetched_at, c.id))
