"""Duplicate decisions: which copy is canonical, and whether two items tell the same story.

Pure functions over small records: shingles, MinHash signatures, LSH band keys, similarity verdicts.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from datasketch import MinHash

from worker.vietnamese import syllables

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

    @property
    def rows(self) -> int:
        return self.num_perm // self.bands

    @property
    def fingerprint(self) -> str:
        """Changes whenever stored signatures or band keys would change, so stale ones can be detected."""
        text = repr((2, self.shingle, self.lead_syllables, self.boilerplate, self.num_perm, self.bands, self.seed))
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


@dataclass(frozen=True)
class Member:
    """One item of a story, as canonical decisions need it."""

    copy: Copy
    status: str
    exact_copy: bool = False  # duplicate_of is set: an exact copy never leads a story


def story_canonical(members: Sequence[Member], promoted: str | None = None) -> str:
    """A promoted item wins; else an approved item (what wards already heard); else `canonical_copy`."""
    ids = {m.copy.id for m in members}
    if promoted in ids:
        return str(promoted)
    leaders = [m for m in members if not m.exact_copy] or list(members)
    approved = [m for m in leaders if m.status == "approved"]
    return canonical_copy([m.copy for m in (approved or leaders)]).id


# -- signatures ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Signature:
    """What near-duplicate matching keeps of one item."""

    shingles: frozenset[str]
    hashvalues: np.ndarray = field(compare=False)  # uint64, num_perm long

    @property
    def size(self) -> int:
        return len(self.shingles)


@lru_cache(maxsize=64)
def _boilerplate_tokens(phrases: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    tokens = {tuple(syllables(p)) for p in phrases}
    # Longest first, so "cảnh báo khẩn" is stripped before "cảnh báo".
    return tuple(sorted((t for t in tokens if t), key=lambda t: (-len(t), t)))


def strip_boilerplate(tokens: list[str], phrases: tuple[str, ...]) -> list[str]:
    """Drop boilerplate phrases from both ends of a token list, repeatedly ("[Video] Cảnh báo: …")."""
    patterns = _boilerplate_tokens(phrases)
    start, end = 0, len(tokens)
    changed = True
    while changed and start < end:
        changed = False
        for pattern in patterns:
            n = len(pattern)
            if end - start >= n and tuple(tokens[start : start + n]) == pattern:
                start += n
                changed = True
            if end - start >= n and tuple(tokens[end - n : end]) == pattern:
                end -= n
                changed = True
    return tokens[start:end]


def signature_tokens(title: str, summary: str, body: str, config: DedupeConfig) -> list[str]:
    """Title + lead as normalised syllables, boilerplate dropped, lead cut to `lead_syllables`."""
    head = strip_boilerplate(syllables(title), config.boilerplate)
    summary_tokens = syllables(summary)
    body_tokens = syllables(body[: config.lead_syllables * 12]) if body else []
    # Most portals repeat the sapo as the body's first paragraph: count it once.
    probe = summary_tokens[: min(len(summary_tokens), 12)]
    lead = body_tokens if summary_tokens and body_tokens[: len(probe)] == probe else summary_tokens + body_tokens
    lead = strip_boilerplate(lead[: config.lead_syllables + 20], config.boilerplate)[: config.lead_syllables]
    return head + lead


def shingles(tokens: Sequence[str], size: int) -> frozenset[str]:
    if not tokens:
        return frozenset()
    if len(tokens) <= size:
        return frozenset([" ".join(tokens)])
    return frozenset(" ".join(tokens[i : i + size]) for i in range(len(tokens) - size + 1))


def _hash32(data: bytes) -> int:
    # 32 bits: the hash width datasketch's default MinHash scheme expects (1.6 and 2.x alike).
    return int(struct.unpack("<I", hashlib.blake2b(data, digest_size=4).digest())[0])


@lru_cache(maxsize=8)
def _empty_minhash(num_perm: int, seed: int) -> MinHash:
    # Generating permutations is the slow part of building a MinHash; copies of an empty one reuse them.
    return MinHash(num_perm=num_perm, seed=seed, hashfunc=_hash32)


def minhash(shingle_set: Iterable[str], config: DedupeConfig) -> np.ndarray:
    sketch = _empty_minhash(config.num_perm, config.seed).copy()
    sketch.update_batch([s.encode("utf-8") for s in sorted(shingle_set)])
    return np.asarray(sketch.hashvalues, dtype=np.uint64)


def signature(title: str, summary: str, body: str, config: DedupeConfig) -> Signature:
    found = shingles(signature_tokens(title, summary, body, config), config.shingle)
    return Signature(shingles=found, hashvalues=minhash(found, config))


_MIX_A = np.uint64(0x9E3779B97F4A7C15)
_MIX_B = np.uint64(0xBF58476D1CE4E5B9)


def band_keys(hashvalues: np.ndarray, config: DedupeConfig) -> list[int]:
    """One signed 64-bit key per LSH band; the band number is mixed in, so keys never collide across bands.

    Vectorised splitmix-style mixing (uint64 arithmetic wraps): hashing each band separately was
    a third of the rebuild time.
    """
    rows = config.rows
    table = np.asarray(hashvalues[: config.bands * rows], dtype=np.uint64).reshape(config.bands, rows)
    keys = (np.arange(config.bands, dtype=np.uint64) + np.uint64(1)) * _MIX_A
    for column in range(rows):
        keys = (keys ^ table[:, column]) * _MIX_B
        keys ^= keys >> np.uint64(31)
    return [int(k) for k in keys.view(np.int64)]


def to_blob(hashvalues: np.ndarray) -> bytes:
    return np.asarray(hashvalues, dtype="<u8").tobytes()


def from_blob(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype="<u8")


# -- verdicts ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Similarity:
    jaccard: float
    containment: float


def similarity(a: frozenset[str], b: frozenset[str]) -> Similarity:
    if not a or not b:
        return Similarity(0.0, 0.0)
    common = len(a & b)
    return Similarity(common / len(a | b), common / min(len(a), len(b)))


def is_near(a: frozenset[str], b: frozenset[str], config: DedupeConfig) -> bool:
    """Same story: similar overall, or the smaller (long enough) one is mostly inside the larger."""
    found = similarity(a, b)
    if found.jaccard >= config.threshold:
        return True
    return min(len(a), len(b)) >= config.min_shingles and found.containment >= config.containment


def estimated_score(
    a: Signature, size_b: int, hashvalues_b: np.ndarray, config: DedupeConfig, slack: float = 0.15
) -> float:
    """Cheap MinHash pre-check before the exact one: how far above its bar a pair probably is (< 0: not near).

    `slack` absorbs the estimate's error, so the exact check still decides borderline pairs.
    """
    jaccard = float(np.mean(a.hashvalues == hashvalues_b))
    score = jaccard - (config.threshold - slack)
    smaller = min(a.size, size_b)
    if smaller >= config.min_shingles:
        common = jaccard * (a.size + size_b) / (1 + jaccard)
        score = max(score, common / smaller - (config.containment - slack))
    return score


# -- matching ------------------------------------------------------------------------------------

# Candidates checked exactly per new item: the most shared bands first. Bounds the cost when a
# common phrase fills a bucket.
MAX_CANDIDATES = 40


def rank_candidates(hits: Iterable[str], limit: int = MAX_CANDIDATES) -> list[str]:
    """Candidate ids ordered by how many bands they share with the probe (then id, for stable results)."""
    counts: dict[str, int] = {}
    for hit in hits:
        counts[hit] = counts.get(hit, 0) + 1
    return sorted(counts, key=lambda c: (-counts[c], c))[:limit]


@dataclass(frozen=True)
class Match:
    item_id: str
    similarity: Similarity

    @property
    def score(self) -> float:
        return max(self.similarity.jaccard, self.similarity.containment)


def best_match(
    probe: frozenset[str], candidates: Iterable[tuple[str, frozenset[str]]], config: DedupeConfig
) -> Match | None:
    """The candidate most like `probe` among those that pass `is_near`; None when none does."""
    best: Match | None = None
    for item_id, other in candidates:
        if not is_near(probe, other, config):
            continue
        found = Match(item_id, similarity(probe, other))
        if best is None or (found.score, found.similarity.jaccard) > (best.score, best.similarity.jaccard):
            best = found
    return best


class BandIndex:
    """LSH buckets in memory: what `dedupe rebuild` and the benchmark use instead of the SQLite table."""

    def __init__(self) -> None:
        self.buckets: dict[int, list[str]] = {}

    def add(self, item_id: str, keys: Iterable[int]) -> None:
        for key in keys:
            self.buckets.setdefault(key, []).append(item_id)

    def query(self, keys: Iterable[int]) -> list[str]:
        hits: list[str] = []
        for key in keys:
            hits.extend(self.buckets.get(key, ()))
        return rank_candidates(hits)


def _sign_chunk(args: tuple[list[tuple[str, str, str]], DedupeConfig]) -> list[Signature]:
    texts, config = args
    return [signature(title, summary, body, config) for title, summary, body in texts]


def sign_many(texts: list[tuple[str, str, str]], config: DedupeConfig, *, workers: int = 1) -> list[Signature]:
    """Signatures of many (title, summary, body) triples, in order; `workers` > 1 uses that many processes."""
    if workers <= 1 or len(texts) < 4000:
        return _sign_chunk((texts, config))
    from concurrent.futures import ProcessPoolExecutor

    size = max(1000, len(texts) // (workers * 4))
    chunks = [(texts[i : i + size], config) for i in range(0, len(texts), size)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return [sig for part in pool.map(_sign_chunk, chunks) for sig in part]
