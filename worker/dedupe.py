"""Duplicate decisions: which copy is canonical, and whether two items tell the same story.

Pure functions over small records: shingles, MinHash signatures, LSH band keys, similarity verdicts.
"""

from __future__ import annotations

import heapq
import math
import re
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from worker.dedupe_config import DEFAULT_BOILERPLATE as DEFAULT_BOILERPLATE
from worker.dedupe_config import Copy as Copy
from worker.dedupe_config import DedupeConfig as DedupeConfig
from worker.dedupe_config import canonical_copy as canonical_copy
from worker.vietnamese import nfc, syllables


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


@lru_cache(maxsize=64)
def _boilerplate_ends(phrases: tuple[str, ...]) -> tuple[frozenset[str], frozenset[str]]:
    """(first tokens, last tokens) of the boilerplate patterns: a pass can only strip if an end is one."""
    patterns = _boilerplate_tokens(phrases)
    return frozenset(p[0] for p in patterns), frozenset(p[-1] for p in patterns)


def strip_boilerplate(tokens: list[str], phrases: tuple[str, ...]) -> list[str]:
    """Drop boilerplate phrases from both ends of a token list, repeatedly ("[Video] Cảnh báo: …")."""
    patterns = _boilerplate_tokens(phrases)
    firsts, lasts = _boilerplate_ends(phrases)
    start, end = 0, len(tokens)
    changed = True
    while changed and start < end:
        if tokens[start] not in firsts and tokens[end - 1] not in lasts:
            break  # no pattern can match at either end, so this pass would change nothing
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
    # Same values as crc32(" ".join(tokens[i : i + size]).encode()) for each i, without a Python-level loop.
    grams = map(" ".join, zip(*(tokens[i:] for i in range(size)), strict=False))
    return frozenset(map(zlib.crc32, map(str.encode, grams)))


_MERSENNE = np.uint64((1 << 61) - 1)
_MAX_HASH = np.uint64((1 << 32) - 1)


@lru_cache(maxsize=8)
def _permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    # datasketch's permutation scheme (same a, b for a seed), applied to CRC-32s in one numpy step.
    a, b = _affine32(num_perm, seed) if _datasketch_major() >= 2 else _datasketch_permutations(num_perm, seed)
    return np.asarray(a, dtype=np.uint64)[:, None], np.asarray(b, dtype=np.uint64)[:, None]


def _affine32(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """datasketch 2's default ("affine32") permutations, drawn as it draws them (tests compare the two).

    Importing datasketch pulls in scipy: ~0.4 s and ~50 MB in the syncing process, for two arrays.
    """
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


def _datasketch_permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    from datasketch import MinHash

    a, b = MinHash(num_perm=num_perm, seed=seed).permutations
    return np.asarray(a), np.asarray(b)


def _datasketch_major() -> int:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return int(version("datasketch").split(".")[0])
    except (PackageNotFoundError, ValueError):
        return 0


def minhash(hashes: Iterable[int], config: DedupeConfig) -> np.ndarray:
    a, b = _permutations(config.num_perm, config.seed)
    values = np.fromiter(hashes, dtype=np.uint64)
    if values.size == 0:
        return np.full(config.num_perm, _MAX_HASH, dtype=np.uint64)
    return np.asarray((((a * values[None, :] + b) % _MERSENNE) & _MAX_HASH).min(axis=1), dtype=np.uint64)


def signature(title: str, summary: str, body: str, config: DedupeConfig) -> Signature:
    tokens, terms = _texts(title, summary, body, config)  # tokenised once: it is most of the signing time
    found = shingle_hashes(tokens, config.shingle)
    return Signature(shingles=found, hashvalues=minhash(found, config), terms=terms)


def minhash_many(shingles: np.ndarray, offsets: np.ndarray, config: DedupeConfig) -> np.ndarray:
    """`minhash` of many items at once: item k's shingle hashes are `shingles[offsets[k]:offsets[k + 1]]`.

    Same arithmetic as `minhash` (so the same values), in blocks of columns to bound memory.
    """
    a, b = _permutations(config.num_perm, config.seed)
    count = len(offsets) - 1
    out = np.full((count, config.num_perm), _MAX_HASH, dtype=np.uint64)
    sizes = np.diff(offsets)
    values = np.asarray(shingles, dtype=np.uint64)
    block = 256
    for first in range(0, count, block):
        last = min(first + block, count)
        lo, hi = int(offsets[first]), int(offsets[last])
        if hi == lo:
            continue
        hashed = ((a * values[None, lo:hi] + b) % _MERSENNE) & _MAX_HASH
        nonempty = np.flatnonzero(sizes[first:last] > 0)
        starts = offsets[first:last][nonempty] - lo
        out[first + nonempty] = np.minimum.reduceat(hashed, starts, axis=1).T
    return out


def band_keys_many(hashvalues: np.ndarray, config: DedupeConfig) -> np.ndarray:
    """`band_keys` of many signatures at once: an (items, bands) int64 array."""
    rows = config.rows
    table = np.asarray(hashvalues[:, : config.bands * rows], dtype=np.uint64).reshape(-1, config.bands, rows)
    keys = np.broadcast_to(
        (np.arange(config.bands, dtype=np.uint64) + np.uint64(1)) * _MIX_A, (table.shape[0], config.bands)
    ).copy()
    for column in range(rows):
        keys = (keys ^ table[:, :, column]) * _MIX_B
        keys ^= keys >> np.uint64(31)
    return keys.view(np.int64)


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
    return estimate(float(np.mean(a.hashvalues == hashvalues_b)), a.size, size_b, config, slack)


def estimated_scores(
    a: Signature, sizes: Sequence[int], hashvalues: np.ndarray, config: DedupeConfig, slack: float = 0.15
) -> list[float]:
    """`estimated_score` of many candidates at once (`hashvalues`: one row each): the same values."""
    if not sizes:
        return []
    # Each mean is a count of equal values over num_perm, as np.mean of one row computes it: the same float.
    jaccards = (hashvalues == a.hashvalues[None, :]).mean(axis=1).tolist()
    return [estimate(j, a.size, size, config, slack) for j, size in zip(jaccards, sizes, strict=True)]


def estimate(jaccard: float, size_a: int, size_b: int, config: DedupeConfig, slack: float = 0.15) -> float:
    """`estimated_score` from a MinHash Jaccard estimate and the two shingle counts."""
    score = jaccard - (config.threshold - slack)
    smaller = min(size_a, size_b)
    if smaller >= config.min_shingles:
        common = jaccard * (size_a + size_b) / (1 + jaccard)
        score = max(score, common / smaller - (config.containment - slack))
    return score


# -- matching ------------------------------------------------------------------------------------

# Candidates checked exactly per new item: the most shared bands first. Bounds the cost when a
# common phrase fills a bucket.
MAX_CANDIDATES = 40
# Of those, the likeliest by MinHash estimate are checked exactly (shingles recomputed from text for old items).
EXACT_CHECKS = 5
# Candidates scored for the retelling rule (rare-term postings, most shared first). Fewer than 40 let a
# similar story go unseen as the runner-up, and precision dropped to 0.96 (bench/RESULTS.md).
RETELL_CHECKS = 40


def rank_candidates(hits: Iterable[str], limit: int = MAX_CANDIDATES) -> list[str]:
    """Candidate ids ordered by how many bands they share with the probe (then id, for stable results)."""
    counts: dict[str, int] = {}
    for hit in hits:
        counts[hit] = counts.get(hit, 0) + 1
    return sorted(counts, key=lambda c: (-counts[c], c))[:limit]


def rank_counted(counts: Iterable[tuple[str, int]], limit: int = MAX_CANDIDATES) -> list[str]:
    """`rank_candidates` over hits the store already counted per id: (id, hits) pairs, each id once."""
    return [item for item, _ in heapq.nsmallest(limit, counts, key=lambda c: (-c[1], c[0]))]


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
    probe_weight = sum(weights.get(t, 0.0) for t in probe)  # once per probe: half the pairs divide by it
    pairs = (
        RetellingPair(
            item_id,
            story_id,
            len(terms),
            sum(weights.get(t, 0.0) for t in probe & terms),
            0.0 if len(probe) <= len(terms) else sum(weights.get(t, 0.0) for t in terms),  # only then divided by
        )
        for item_id, story_id, terms in candidates
        if terms and probe and probe_weight
    )
    return pick_retelling(len(probe), probe_weight, pairs, config)


@dataclass(frozen=True)
class RetellingPair:
    """One candidate of a retelling check: its terms' count and weights (all of them, and those the probe shares)."""

    item_id: str
    story_id: str
    length: int
    shared: float
    own: float


def pick_retelling(
    size: int, probe_weight: float, pairs: Iterable[RetellingPair], config: DedupeConfig
) -> Match | None:
    """`best_retelling`'s choice from per-candidate sums: the best story, if it clears the floor and the margin.

    Every candidate story competes for the margin; pairs of two long texts need the higher bar.
    """
    per_story: dict[str, tuple[float, str, bool]] = {}
    for pair in pairs:
        if not pair.length or not size or not probe_weight:
            continue
        total = probe_weight if size <= pair.length else pair.own
        score = pair.shared / total if total else 0.0
        if score > per_story.get(pair.story_id, (-1.0, "", False))[0]:
            per_story[pair.story_id] = (score, pair.item_id, min(size, pair.length) <= config.caption_terms)
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


# -- bulk clustering (rebuild) -----------------------------------------------------------------------


@dataclass(frozen=True)
class SignedBatch:
    """Signatures of many items as flat arrays: cheap to ship from a signing process and to index with numpy."""

    sizes: np.ndarray  # int64 (n,): distinct shingles per item
    hashvalues: np.ndarray  # uint64 (n, num_perm)
    keys: np.ndarray  # int64 (n, bands): LSH band keys
    shingles: np.ndarray  # int64: item k's distinct shingle hashes are shingles[offsets[k]:offsets[k + 1]]
    offsets: np.ndarray  # int64 (n + 1,)
    terms: list[str]  # each item's content terms, sorted and space-separated (as stored)

    def __len__(self) -> int:
        return len(self.terms)

    def shingle_set(self, k: int) -> frozenset[int]:
        return frozenset(self.shingles[self.offsets[k] : self.offsets[k + 1]].tolist())


def sign_batch(texts: Sequence[tuple[str, str, str]], config: DedupeConfig) -> SignedBatch:
    """`signature` + `band_keys` of many (title, summary, body) triples; MinHash and band keys in one numpy pass."""
    flat: list[int] = []
    offsets = [0]
    terms: list[str] = []
    for title, summary, body in texts:
        tokens, found_terms = _texts(title, summary, body, config)
        flat.extend(shingle_hashes(tokens, config.shingle))
        offsets.append(len(flat))
        terms.append(" ".join(sorted(found_terms)))
    shingles = np.asarray(flat, dtype=np.int64)
    bounds = np.asarray(offsets, dtype=np.int64)
    hashvalues = minhash_many(shingles, bounds, config)
    return SignedBatch(np.diff(bounds), hashvalues, band_keys_many(hashvalues, config), shingles, bounds, terms)


def join_batches(parts: Sequence[SignedBatch], config: DedupeConfig) -> SignedBatch:
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return SignedBatch(
            empty,
            np.zeros((0, config.num_perm), dtype=np.uint64),
            np.zeros((0, config.bands), dtype=np.int64),
            empty,
            np.zeros(1, dtype=np.int64),
            [],
        )
    shift = np.cumsum([0] + [len(p.shingles) for p in parts[:-1]])
    return SignedBatch(
        np.concatenate([p.sizes for p in parts]),
        np.concatenate([p.hashvalues for p in parts]),
        np.concatenate([p.keys for p in parts]),
        np.concatenate([p.shingles for p in parts]),
        np.concatenate([parts[0].offsets[:1]] + [p.offsets[1:] + s for p, s in zip(parts, shift, strict=True)]),
        [t for p in parts for t in p.terms],
    )


def _sign_batch_job(args: tuple[list[tuple[str, str, str]], DedupeConfig]) -> SignedBatch:
    return sign_batch(*args)


def sign_all(texts: list[tuple[str, str, str]], config: DedupeConfig, *, workers: int = 1) -> SignedBatch:
    """`sign_batch` of every text, in chunks over `workers` processes when there are many."""
    if workers <= 1 or len(texts) < 4000:
        return sign_batch(texts, config)
    from concurrent.futures import ProcessPoolExecutor

    size = 2500
    chunks = [(texts[i : i + size], config) for i in range(0, len(texts), size)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return join_batches(list(pool.map(_sign_batch_job, chunks)), config)


def _runs(sorted_values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(start of each element's run of equal values, start of every run) in a sorted array."""
    if sorted_values.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.concatenate(([True], sorted_values[1:] != sorted_values[:-1])))
    lengths = np.diff(np.append(starts, sorted_values.size))
    return np.repeat(starts, lengths), starts


def first_per_group(groups: np.ndarray, limit: int) -> np.ndarray:
    """Mask of the first `limit` elements of each run of equal values (`groups` sorted)."""
    start, _ = _runs(groups)
    return (np.arange(groups.size) - start) < limit


def ranked_pairs(
    later: np.ndarray, earlier: np.ndarray, n: int, id_rank: np.ndarray, limit: int
) -> tuple[np.ndarray, np.ndarray]:
    """`rank_candidates` for many probes at once: each probe's `limit` earlier items sharing most keys, then by id."""
    if later.size == 0:
        return later, earlier
    codes, counts = np.unique(later * n + earlier, return_counts=True)
    probe, cand = codes // n, codes % n
    order = np.lexsort((id_rank[cand], -counts, probe))
    probe, cand = probe[order], cand[order]
    keep = first_per_group(probe, limit)
    return probe[keep], cand[keep]


@dataclass
class BulkClusters:
    """What `cluster_bulk` decides: per item (arrival order) its cluster founder and the terms it is posted under."""

    founder: np.ndarray  # int64 (n,): index of the founding item of each item's cluster
    vocabulary: list[str]  # term ids → terms, in sorted order
    df: np.ndarray  # int64 (len(vocabulary),): final document frequencies
    posted_items: np.ndarray  # postings (item index, term id), sorted by item then rarity
    posted_terms: np.ndarray


def cluster_bulk(batch: SignedBatch, ids: Sequence[str], linkable: np.ndarray, config: DedupeConfig) -> BulkClusters:
    """`Clusterer` over a whole history at once, with the same decisions (bench/RESULTS.md lists the differences).

    Everything that does not depend on earlier decisions is computed for all items with numpy: document
    frequencies as each item arrived, postings, LSH and rare-term candidates (earlier items only, most shared
    first, `MAX_CANDIDATES` / `RETELL_CHECKS` of them), MinHash estimates. Then one pass in arrival order
    joins each item to its best near-duplicate (exact check on the likely candidates) or retold story.
    """
    n = len(ids)
    id_rank = id_order(ids)[1]

    # Terms → ids in sorted order, so ordering by id is ordering by text (`rarest` breaks ties by text).
    words = " ".join(batch.terms).split()
    vocabulary = sorted(set(words))
    index = {t: k for k, t in enumerate(vocabulary)}
    occ_term = np.fromiter(map(index.__getitem__, words), dtype=np.int64, count=len(words))
    counts = np.fromiter((t.count(" ") + 1 if t else 0 for t in batch.terms), dtype=np.int64, count=n)
    term_offsets = np.concatenate(([0], np.cumsum(counts)))
    occ_item = np.repeat(np.arange(n, dtype=np.int64), counts)
    vsize = max(len(vocabulary), 1)

    # Document frequency of each (item, term) when the item arrived: its rank among the term's items.
    by_term = np.argsort(occ_term, kind="stable")
    term_sorted = occ_term[by_term]
    run_start, _ = _runs(term_sorted)
    df_occ = np.empty(occ_term.size, dtype=np.int64)
    df_occ[by_term] = np.arange(occ_term.size) - run_start + 1
    term_key = term_sorted * n + occ_item[by_term]  # sorted: df of term t at item i is a searchsorted away
    first_of_term = np.searchsorted(term_sorted, np.arange(vsize))

    # Postings (`rarest`) and query terms (`query_terms`): rarest first, then by text, per item.
    rarity = np.lexsort((occ_term, df_occ, occ_item))
    posted = rarity[first_per_group(occ_item[rarity], config.rare_terms)]
    queryable = rarity[(df_occ[rarity] >= 2) & (df_occ[rarity] <= config.max_df)]
    queries = queryable[first_per_group(occ_item[queryable], config.rare_terms)]

    # LSH candidates: every earlier item sharing a band key with a linkable item.
    flat_keys = batch.keys.reshape(-1)
    by_key = np.argsort(flat_keys, kind="stable")  # items ascending within a key
    key_items = by_key // config.bands
    key_start, _ = _runs(flat_keys[by_key])
    earlier_count = np.arange(by_key.size) - key_start
    earlier_count[~linkable[key_items]] = 0
    later, earlier = expand(key_items, key_start, earlier_count)
    probe, cand = ranked_pairs(later, earlier, n, id_rank, MAX_CANDIDATES)

    # MinHash estimate first (as incremental sync does), exact shingle check only for likely pairs.
    likely = _estimated(batch, probe, cand, config) >= 0
    near_probe, near_cand = probe[likely], cand[likely]
    near: dict[int, int] = {}
    sets: dict[int, frozenset[int]] = {}
    bounds = np.searchsorted(near_probe, np.arange(n + 1))
    for i in np.unique(near_probe).tolist():
        lo, hi = int(bounds[i]), int(bounds[i + 1])
        mine = sets.get(i) or sets.setdefault(i, batch.shingle_set(i))
        found = best_match(
            mine,
            ((str(j), sets.get(j) or sets.setdefault(j, batch.shingle_set(j))) for j in near_cand[lo:hi].tolist()),
            config,
        )
        if found is not None:
            near[i] = int(found.item_id)

    # Rare-term candidates of the linkable items with no near-duplicate: earlier items posted under a query term.
    posted_items, posted_terms = occ_item[posted], occ_term[posted]
    post_order = np.lexsort((posted_items, posted_terms))
    post_key = posted_terms[post_order] * n + posted_items[post_order]
    post_item_sorted = posted_items[post_order]
    q_items, q_terms = occ_item[queries], occ_term[queries]
    wanted = linkable[q_items].copy()
    if near:
        wanted[np.isin(q_items, np.fromiter(near, dtype=np.int64))] = False
    q_items, q_terms = q_items[wanted], q_terms[wanted]
    lo = np.searchsorted(post_key, q_terms * n)
    hi = np.searchsorted(post_key, q_terms * n + q_items)  # earlier items only
    later, earlier = expand(np.repeat(q_items, 1), lo, hi - lo, values=post_item_sorted)
    r_probe, r_cand = ranked_pairs(later, earlier, n, id_rank, RETELL_CHECKS)

    # Retelling scores of every (probe, candidate) pair, weights as of the probe's arrival.
    occ_weight = np.log((occ_item + 2) / (df_occ + 0.5))
    probe_weight = np.bincount(occ_item, weights=occ_weight, minlength=n)
    scores, captions = _retelling_scores(
        r_probe, r_cand, counts, term_offsets, occ_term, term_key, first_of_term, n, vsize, probe_weight, config
    )

    # One pass in arrival order: only the cluster labels depend on earlier decisions.
    founder = np.arange(n, dtype=np.int64)
    label = founder.tolist()
    r_bounds = np.searchsorted(r_probe, np.arange(n + 1)).tolist()
    r_cand_list, score_list, caption_list = r_cand.tolist(), scores.tolist(), captions.tolist()
    linkable_list = linkable.tolist()
    for i in range(n):
        if not linkable_list[i]:
            continue
        j = near.get(i)
        if j is not None:
            label[i] = label[j]
            continue
        lo_i, hi_i = r_bounds[i], r_bounds[i + 1]
        if lo_i == hi_i:
            continue
        per_story: dict[int, tuple[float, str, bool, int]] = {}
        for k in range(lo_i, hi_i):
            score = score_list[k]
            if score < 0:
                continue
            j = r_cand_list[k]
            story = label[j]
            if score > per_story.get(story, _NO_SCORE)[0]:
                per_story[story] = (score, ids[j], caption_list[k], j)
        if not per_story:
            continue
        ranked = sorted(per_story.values(), reverse=True)
        best, _, caption_sized, j = ranked[0]
        runner_up = ranked[1][0] if len(ranked) > 1 else 0.0
        floor = config.retell_floor if caption_sized else config.retell_long_floor
        if best >= floor and best >= config.retell_margin * runner_up:
            label[i] = label[j]
    founder[:] = label
    return BulkClusters(
        founder, vocabulary, np.bincount(occ_term, minlength=len(vocabulary)), occ_item[posted], occ_term[posted]
    )


_NO_SCORE = (-1.0, "", False, -1)


def expand(
    owners: np.ndarray, starts: np.ndarray, counts: np.ndarray, *, values: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """For each k, pair owners[k] with values[starts[k] : starts[k] + counts[k]] (values default: owners)."""
    source = owners if values is None else values
    total = int(counts.sum())
    if total == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    left = np.repeat(owners, counts)
    shift = np.repeat(starts - (np.cumsum(counts) - counts), counts)
    return left, source[np.arange(total) + shift]


def _estimated(batch: SignedBatch, probe: np.ndarray, cand: np.ndarray, config: DedupeConfig) -> np.ndarray:
    """`estimated_score` of many pairs (slack 0.15)."""
    out = np.empty(probe.size, dtype=np.float64)
    step = 100_000
    for lo in range(0, probe.size, step):
        p, c = probe[lo : lo + step], cand[lo : lo + step]
        jaccard = (batch.hashvalues[p] == batch.hashvalues[c]).mean(axis=1)
        score = jaccard - (config.threshold - 0.15)
        size_a, size_b = batch.sizes[p], batch.sizes[c]
        smaller = np.minimum(size_a, size_b)
        common = jaccard * (size_a + size_b) / (1 + jaccard)
        contained = np.where(smaller > 0, common / np.maximum(smaller, 1), 0.0) - (config.containment - 0.15)
        out[lo : lo + step] = np.where(smaller >= config.min_shingles, np.maximum(score, contained), score)
    return out


def _retelling_scores(
    probe: np.ndarray,
    cand: np.ndarray,
    counts: np.ndarray,
    term_offsets: np.ndarray,
    occ_term: np.ndarray,
    term_key: np.ndarray,
    first_of_term: np.ndarray,
    n: int,
    vsize: int,
    probe_weight: np.ndarray,
    config: DedupeConfig,
) -> tuple[np.ndarray, np.ndarray]:
    """`best_retelling`'s score of each pair (-1 where it skips the pair) and whether the pair is caption-sized."""
    scores = np.full(probe.size, -1.0)
    captions = np.zeros(probe.size, dtype=bool)
    if probe.size == 0:
        return scores, captions
    item_term = np.repeat(np.arange(n, dtype=np.int64), counts) * vsize + occ_term  # sorted
    step = 200_000
    for lo in range(0, probe.size, step):
        p, c = probe[lo : lo + step], cand[lo : lo + step]
        pair, term = expand(np.arange(p.size), term_offsets[c], counts[c], values=occ_term)
        at = p[pair]
        df = np.searchsorted(term_key, term * n + at, side="right") - first_of_term[term]
        weight = np.log((at + 2) / (df + 0.5))
        key = at * vsize + term
        spot = np.minimum(np.searchsorted(item_term, key), item_term.size - 1)
        shared = item_term[spot] == key
        common = np.bincount(pair, weights=weight * shared, minlength=p.size)
        cand_weight = np.bincount(pair, weights=weight, minlength=p.size)
        probe_short = counts[p] <= counts[c]
        total = np.where(probe_short, probe_weight[p], cand_weight)
        valid = (counts[p] > 0) & (counts[c] > 0) & (probe_weight[p] != 0)
        score = np.where(total != 0, common / np.where(total != 0, total, 1.0), 0.0)
        scores[lo : lo + step] = np.where(valid, score, -1.0)
        captions[lo : lo + step] = np.minimum(counts[p], counts[c]) <= config.caption_terms
    return scores, captions


@dataclass(frozen=True)
class RebuildRows:
    """Index rows of a rebuild, each list sorted by its table's primary key (inserts append to the B-trees)."""

    signatures: list[tuple[str, int, bytes, str, str, str]]  # (item, shingles, minhash, fingerprint, terms, rare)
    bands: list[tuple[int, str]]
    postings: list[tuple[str, str]]
    frequencies: list[tuple[str, int]]  # ("", items counted) included


def id_order(ids: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(positions in id order, each position's rank in id order)."""
    n = len(ids)
    order = np.asarray(sorted(range(n), key=ids.__getitem__), dtype=np.int64)
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    return order, rank


def band_rows(batch: SignedBatch, ids: Sequence[str], config: DedupeConfig) -> list[tuple[int, str]]:
    """The (key, item) rows of `lsh_bands`, sorted by key then item; they need no clustering."""
    n = len(ids)
    id_rank = id_order(ids)[1]
    flat_keys = batch.keys.reshape(-1)
    key_items = np.repeat(np.arange(n, dtype=np.int64), config.bands)
    order = np.lexsort((id_rank[key_items], flat_keys))
    return list(zip(flat_keys[order].tolist(), [ids[k] for k in key_items[order].tolist()], strict=True))


def rebuild_rows(
    batch: SignedBatch,
    ids: Sequence[str],
    found: BulkClusters,
    config: DedupeConfig,
    *,
    bands: list[tuple[int, str]] | None = None,
) -> RebuildRows:
    """Index rows of a rebuild; `bands` when `band_rows` already built them."""
    n = len(ids)
    in_id_order, id_rank = id_order(ids)
    vocabulary = found.vocabulary
    rare_bounds = np.searchsorted(found.posted_items, np.arange(n + 1)).tolist()
    posted_words = [vocabulary[t] for t in found.posted_terms.tolist()]
    fingerprint = config.fingerprint
    sizes = batch.sizes.tolist()
    blobs = np.ascontiguousarray(batch.hashvalues, dtype="<u8")
    signatures = [
        (
            ids[k],
            sizes[k],
            blobs[k].tobytes(),
            fingerprint,
            batch.terms[k],
            " ".join(posted_words[rare_bounds[k] : rare_bounds[k + 1]]),
        )
        for k in in_id_order.tolist()
    ]
    if bands is None:
        bands = band_rows(batch, ids, config)
    order = np.lexsort((id_rank[found.posted_items], found.posted_terms))
    postings = list(
        zip(
            [vocabulary[t] for t in found.posted_terms[order].tolist()],
            [ids[k] for k in found.posted_items[order].tolist()],
            strict=True,
        )
    )
    frequencies = [("", n), *zip(vocabulary, found.df.tolist(), strict=True)]
    return RebuildRows(signatures, bands, postings, frequencies)
