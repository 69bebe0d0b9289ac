"""Duplicate decisions: which copy is canonical, and whether two items tell the same story.

Pure functions over small records: shingles, MinHash signatures, LSH band keys, similarity verdicts.
"""

from __future__ import annotations

import hashlib
import math
import re
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
from datasketch import MinHash

from worker.vietnamese import nfc, syllables

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

    shingles: frozenset[int]  # CRC-32 of each shingle: sets of ints are cheaper to build, pickle and intersect
    hashvalues: np.ndarray = field(compare=False)  # uint64, num_perm long
    terms: frozenset[str] = frozenset()  # content syllables of the whole text, for the retelling rule

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
    return _texts(title, summary, body, config)[0]


def _texts(title: str, summary: str, body: str, config: DedupeConfig) -> tuple[list[str], frozenset[str]]:
    """(signature tokens, content terms), tokenising each field once; hashtags are left out of both."""
    head = strip_boilerplate(syllables(_HASHTAG.sub(" ", nfc(title))), config.boilerplate)
    summary_tokens = syllables(_HASHTAG.sub(" ", nfc(summary)))
    body_tokens = syllables(_HASHTAG.sub(" ", nfc(body))) if body else []
    tokens = head + _lead(summary_tokens, body_tokens[: config.lead_syllables + 20], config)
    terms = frozenset(t for part in (head, summary_tokens, body_tokens) for t in part if t not in STOP_SYLLABLES)
    return tokens, terms


def _lead(summary_tokens: list[str], body_tokens: list[str], config: DedupeConfig) -> list[str]:
    # Most portals repeat the sapo as the body's first paragraph: count it once.
    probe = summary_tokens[: min(len(summary_tokens), 12)]
    lead = body_tokens if summary_tokens and body_tokens[: len(probe)] == probe else summary_tokens + body_tokens
    return strip_boilerplate(lead[: config.lead_syllables + 20], config.boilerplate)[: config.lead_syllables]


# Function syllables that say nothing about which scam a text describes; dropped from content terms.
_STOP_TEXT = """của và là các những được cho với người này một có không đã để khi thì bị từ trong ra vào nhưng nếu mà
    cũng rồi sẽ đang vì nên hay hoặc lại đó đây nhiều sau trước tại theo về như qua lên xuống nha nhé ạ ơi cả
    nào gì ai ngay còn chỉ đến rất thể hơn mọi"""
STOP_SYLLABLES = frozenset(_STOP_TEXT.split())
# Hashtags are the channel's habits (#fyp, #xuhuong), shared by unrelated clips of one account.
_HASHTAG = re.compile(r"#\w+", re.UNICODE)


def content_terms(title: str, summary: str, body: str, config: DedupeConfig) -> frozenset[str]:
    """Distinct content syllables of the whole text (boilerplate, hashtags and stop syllables dropped)."""
    return _texts(title, summary, body, config)[1]


def shingle_hashes(tokens: Sequence[str], size: int) -> frozenset[int]:
    if not tokens:
        return frozenset()
    if len(tokens) <= size:
        return frozenset([zlib.crc32(" ".join(tokens).encode())])
    return frozenset(zlib.crc32(" ".join(tokens[i : i + size]).encode()) for i in range(len(tokens) - size + 1))


_MERSENNE = np.uint64((1 << 61) - 1)
_MAX_HASH = np.uint64((1 << 32) - 1)


@lru_cache(maxsize=8)
def _permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    # datasketch's permutation scheme (same a, b for a seed), applied to CRC-32s in one numpy step.
    a, b = MinHash(num_perm=num_perm, seed=seed).permutations
    return np.asarray(a, dtype=np.uint64)[:, None], np.asarray(b, dtype=np.uint64)[:, None]


def minhash(hashes: Iterable[int], config: DedupeConfig) -> np.ndarray:
    a, b = _permutations(config.num_perm, config.seed)
    values = np.fromiter(hashes, dtype=np.uint64)
    if values.size == 0:
        return np.full(config.num_perm, _MAX_HASH, dtype=np.uint64)
    return np.asarray((((a * values[None, :] + b) % _MERSENNE) & _MAX_HASH).min(axis=1), dtype=np.uint64)


def signature(title: str, summary: str, body: str, config: DedupeConfig) -> Signature:
    found = shingle_hashes(signature_tokens(title, summary, body, config), config.shingle)
    return Signature(
        shingles=found, hashvalues=minhash(found, config), terms=content_terms(title, summary, body, config)
    )


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


def similarity(a: frozenset[int], b: frozenset[int]) -> Similarity:
    if not a or not b:
        return Similarity(0.0, 0.0)
    common = len(a & b)
    return Similarity(common / len(a | b), common / min(len(a), len(b)))


def is_near(a: frozenset[int], b: frozenset[int], config: DedupeConfig) -> bool:
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
# Candidates scored for the retelling rule (rare-term postings, most shared first). Fewer than 40 let a
# similar story go unseen as the runner-up, and precision dropped to 0.96 (bench/RESULTS.md).
RETELL_CHECKS = 40


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
    probe: frozenset[int], candidates: Iterable[tuple[str, frozenset[int]]], config: DedupeConfig
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


def idf(df: int, total: int) -> float:
    """Rarity weight of a term found in `df` of `total` items (smoothed, so unseen terms weigh most)."""
    return math.log((total + 1) / (df + 0.5))


def rarest(terms: Iterable[str], df: Mapping[str, int], k: int) -> list[str]:
    """The `k` rarest terms (then alphabetical, for stable index rows): what an item is indexed under."""
    return sorted(terms, key=lambda t: (df.get(t, 0), t))[:k]


def query_terms(terms: Iterable[str], df: Mapping[str, int], config: DedupeConfig) -> list[str]:
    """The rarest terms some other item also has (df counts this item too), common ones left out.

    A term only this item has finds nothing; one in more than `max_df` items floods the candidates.
    """
    return rarest((t for t in terms if 2 <= df.get(t, 0) <= config.max_df), df, config.rare_terms)


def retelling_score(a: frozenset[str], b: frozenset[str], weights: Mapping[str, float]) -> float:
    """Rarity-weighted share of the smaller term set found in the larger: a caption retold from an article."""
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    total = sum(weights.get(t, 0.0) for t in short)
    return sum(weights.get(t, 0.0) for t in short & long) / total if total else 0.0


def best_retelling(
    probe: frozenset[str],
    candidates: Iterable[tuple[str, str, frozenset[str]]],
    weights: Mapping[str, float],
    config: DedupeConfig,
) -> Match | None:
    """The (item, story) a caption-sized text retells, or None.

    `candidates` are (item id, story id, terms). Retellings share few exact phrases, so a high
    weighted score alone is not enough: the best story must also stand clearly above every other
    story among the candidates (`retell_margin`), which is what keeps similar scams apart.
    """
    # Every candidate story competes for the margin; pairs of two long texts need the higher bar.
    per_story: dict[str, tuple[float, str, bool]] = {}
    probe_weight = sum(weights.get(t, 0.0) for t in probe)  # once per probe: half the pairs divide by it
    for item_id, story_id, terms in candidates:
        if not terms or not probe or not probe_weight:
            continue
        common = sum(weights.get(t, 0.0) for t in probe & terms)
        total = probe_weight if len(probe) <= len(terms) else sum(weights.get(t, 0.0) for t in terms)
        score = common / total if total else 0.0
        if score > per_story.get(story_id, (-1.0, "", False))[0]:
            per_story[story_id] = (score, item_id, min(len(probe), len(terms)) <= config.caption_terms)
    if not per_story:
        return None
    ranked = sorted(per_story.values(), reverse=True)
    score, item_id, caption_sized = ranked[0]
    runner_up = ranked[1][0] if len(ranked) > 1 else 0.0
    floor = config.retell_floor if caption_sized else config.retell_long_floor
    if score < floor or score < config.retell_margin * runner_up:
        return None
    return Match(item_id, Similarity(0.0, score))


class RarityWeights(Mapping[str, float]):
    """idf of any term from live document frequencies, computed on first use (most terms are never asked)."""

    def __init__(self, df: Mapping[str, int], total: int) -> None:
        self.df = df
        self.total = total
        self.cache: dict[str, float] = {}

    def __getitem__(self, term: str) -> float:
        found = self.cache.get(term)
        if found is None:
            found = self.cache[term] = idf(self.df.get(term, 0), self.total)
        return found

    def get(self, term: str, default: Any = None) -> Any:
        return self[term]

    def __iter__(self) -> Iterator[str]:
        return iter(self.df)

    def __len__(self) -> int:
        return len(self.df)


class BandIndex:
    """LSH buckets in memory (or any key → ids postings): what `dedupe rebuild` and the benchmark use."""

    def __init__(self) -> None:
        self.buckets: dict[Any, list[str]] = {}

    def add(self, item_id: str, keys: Iterable[Any]) -> None:
        for key in keys:
            self.buckets.setdefault(key, []).append(item_id)

    def query(self, keys: Iterable[Any], limit: int = MAX_CANDIDATES) -> list[str]:
        hits: list[str] = []
        for key in keys:
            hits.extend(self.buckets.get(key, ()))
        return rank_candidates(hits, limit)


class Clusterer:
    """Sequential in-memory clustering, as sync links items one by one: each joins its best earlier match.

    `df`/`total` are the document frequencies the retelling weights come from; `grow=True` counts each
    added item first (what incremental sync sees), else they are fixed (a rebuild counts the whole history).
    """

    def __init__(self, config: DedupeConfig, df: Counter[str] | None = None, total: int = 0, *, grow: bool = True):
        self.config = config
        self.df: Counter[str] = df if df is not None else Counter()
        self.total = total
        self.grow = grow
        self.bands = BandIndex()
        self.postings = BandIndex()
        self.signatures: dict[str, Signature] = {}
        self.cluster: dict[str, str] = {}  # item id → founding item id of its cluster
        self.posted: dict[str, list[str]] = {}  # item id → the terms it is posted under

    def add(self, item_id: str, sig: Signature, keys: list[int], *, link: bool = True) -> Match | None:
        if self.grow:
            self.df.update(sig.terms)
            self.total += 1
        match = self.match(sig, keys) if link else None
        self.cluster[item_id] = self.cluster[match.item_id] if match else item_id
        self.signatures[item_id] = sig
        self.bands.add(item_id, keys)
        self.posted[item_id] = rarest(sig.terms, self.df, self.config.rare_terms)
        self.postings.add(item_id, self.posted[item_id])
        return match

    def match(self, sig: Signature, keys: list[int]) -> Match | None:
        config = self.config
        near = best_match(sig.shingles, ((c, self.signatures[c].shingles) for c in self.bands.query(keys)), config)
        if near is not None:
            return near
        candidates = self.postings.query(query_terms(sig.terms, self.df, config), RETELL_CHECKS)
        if not candidates:
            return None
        weights = RarityWeights(self.df, self.total)
        return best_retelling(
            sig.terms, ((c, self.cluster[c], self.signatures[c].terms) for c in candidates), weights, config
        )


def _sign_chunk(args: tuple[list[tuple[str, str, str]], DedupeConfig]) -> list[tuple[Signature, list[int]]]:
    texts, config = args
    out = []
    for title, summary, body in texts:
        sig = signature(title, summary, body, config)
        out.append((sig, band_keys(sig.hashvalues, config)))
    return out


def sign_many(
    texts: list[tuple[str, str, str]], config: DedupeConfig, *, workers: int = 1
) -> Iterator[tuple[Signature, list[int]]]:
    """(signature, band keys) of many (title, summary, body) triples, in order, as they are ready.

    `workers` > 1 signs in that many processes; the caller clusters earlier chunks meanwhile.
    """
    if workers <= 1 or len(texts) < 4000:
        yield from _sign_chunk((texts, config))
        return
    from concurrent.futures import ProcessPoolExecutor

    size = 2000
    chunks = [(texts[i : i + size], config) for i in range(0, len(texts), size)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for part in pool.map(_sign_chunk, chunks):
            yield from part
