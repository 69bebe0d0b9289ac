"""A batch's view of the near-duplicate index: history read once, the batch's own rows in memory, written at the end.

Candidates and scores that do not depend on earlier decisions are computed for the whole batch at once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import chain
from typing import Any, Protocol

import numpy as np

from worker.dedupe import (
    EXACT_CHECKS,
    MAX_CANDIDATES,
    RETELL_CHECKS,
    DedupeConfig,
    Signature,
    SignedBatch,
    estimate,
    expand,
    id_order,
    query_terms,
    rank_candidates,
    ranked_pairs,
    rarest,
    to_blob,
)
from worker.store import Store


class Index(Protocol):
    """What `stories._exact_match` asks (Store answers it in SQL; BatchIndex passes it on)."""

    def story_candidates(self, ids: list[str], story_id: str) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class Retold:
    """One item's retelling check, all but the story filter: its term count, their weight, and its candidates
    as (item, term count, weight of the terms it shares with the item, weight of all its terms), by id."""

    size: int
    weight: float
    candidates: list[tuple[str, int, float, float]]


class RunMemo:
    """What linking read or wrote about signed items during one sync run, for the next sources' batches.

    A stored signature changes only when its item is signed again (`forget` it then); story ids are not kept.
    Compact (~2 KB per item: a frozenset of shingles alone would be ~4 KB), and dropped whole past `LIMIT` items.
    """

    LIMIT = 50_000

    def __init__(self) -> None:
        self.signatures: dict[str, tuple[int, bytes]] = {}  # item → (shingle count, minhash)
        self.shingles: dict[str, np.ndarray] = {}  # uint32: CRC-32s
        self.vocabulary: dict[str, int] = {}  # term → id
        self.words: list[str] = []  # id → term
        self.term_ids: dict[str, np.ndarray] = {}  # int32

    def forget(self, item_id: str) -> None:
        for table in (self.signatures, self.shingles, self.term_ids):
            table.pop(item_id, None)

    def bound(self) -> None:
        if len(self.signatures) > self.LIMIT:
            for table in (self.signatures, self.shingles, self.term_ids):
                table.clear()


class _Shingles(Mapping[str, frozenset[int]]):
    """Shingle sets of the items a memo has seen, made on demand from its arrays."""

    def __init__(self, memo: RunMemo) -> None:
        self.arrays = memo.shingles

    def __getitem__(self, item_id: str) -> frozenset[int]:
        return frozenset(self.arrays[item_id].tolist())

    def __iter__(self) -> Iterator[str]:
        return iter(self.arrays)

    def __len__(self) -> int:
        return len(self.arrays)


class BatchIndex:
    """Index lookups for a batch of never-signed items linked in order, as if each were written when added.

    History (band rows, postings, signatures, frequencies) does not change while the batch is linked, so it is
    read once per key or term in set-based queries; the rows of the batch's items added so far are kept in
    memory; `write` stores them all, one executemany per table. Story ids are always read from the store:
    joins move items between stories as the batch goes.
    """

    def __init__(
        self, store: Store, batch: SignedBatch, ids: list[str], config: DedupeConfig, memo: RunMemo | None = None
    ) -> None:
        self.store, self.batch, self.ids, self.config = store, batch, ids, config
        self.memo = RunMemo() if memo is None else memo
        self.position = {item: k for k, item in enumerate(ids)}
        self.terms = [frozenset(t.split()) for t in batch.terms]
        self.keys: list[list[int]] = batch.keys.tolist()
        self.union: set[str] = set().union(*self.terms)
        # Current document frequencies of every term of the batch (history terms outside it never change here).
        self.df, self.total = store.term_frequencies(sorted(self.union))
        self.history_bands: dict[int, list[str]] = {}
        for key, item in store.band_members(sorted({k for keys in self.keys for k in keys})):
            self.history_bands.setdefault(key, []).append(item)
        self.history_postings: dict[str, list[str]] = {}
        self.stories: dict[str, str] = {}  # item → story, as read during this batch and moved by its joins
        self.postings: dict[str, list[str]] = {}
        self.signatures: dict[str, tuple[int, bytes]] = {}
        self.shingles = _Shingles(self.memo)
        self.rows: list[tuple[str, int, bytes, str, str, str]] = []
        self.band_rows: list[tuple[int, str]] = []
        self.posting_rows: list[tuple[str, str]] = []
        self.counts: Counter[str] = Counter()
        # Terms as ids into the run's vocabulary, with current document frequencies (`loaded` once read: `_load`).
        self.vocabulary, self.words = self.memo.vocabulary, self.memo.words
        self.vocabulary_df = np.zeros(max(1024, 2 * (len(self.vocabulary) + len(self.union))), dtype=np.float64)
        self.loaded = np.zeros(self.vocabulary_df.size, dtype=bool)
        self.term_ids = [self._ids(t.split()) for t in batch.terms]
        union_ids = self._ids(sorted(self.union))
        self.vocabulary_df[union_ids] = [self.df.get(t, 0) for t in sorted(self.union)]
        self.loaded[union_ids] = True

    def add(self, k: int) -> tuple[Signature, list[int], Counter[str]]:
        """Index the batch's k-th item: (signature, band keys, df of its terms as linking uses it)."""
        item_id, terms, keys = self.ids[k], self.terms[k], self.keys[k]
        shingles = self.batch.shingle_set(k)
        sig = Signature(shingles=shingles, hashvalues=self.batch.hashvalues[k], terms=terms)
        df = Counter({t: n for t in terms if (n := self.df.get(t, 0))})
        df.update(terms)  # counted as the store counts a first signature (stories.link_items)
        self.total += 1
        for term in terms:
            self.df[term] = self.df.get(term, 0) + 1
        self.vocabulary_df[self.term_ids[k]] += 1
        self.counts.update(terms)
        self.counts[""] += 1
        rare = rarest(terms, df, self.config.rare_terms)
        self.band_rows.extend((key, item_id) for key in dict.fromkeys(keys))
        for term in rare:
            self.postings.setdefault(term, []).append(item_id)
            self.posting_rows.append((term, item_id))
        blob = to_blob(sig.hashvalues)
        self.signatures[item_id] = (sig.size, blob)
        self.memo.shingles[item_id] = self.batch.shingles[self.batch.offsets[k] : self.batch.offsets[k + 1]].astype(
            np.uint32
        )
        self.rows.append((item_id, sig.size, blob, self.config.fingerprint, self.batch.terms[k], " ".join(rare)))
        return sig, keys, df

    def write(self) -> None:
        """Store the batch's signatures, band rows, postings and term counts."""
        # Sorted by primary key: inserts then walk each B-tree once instead of jumping around it.
        self.store.save_signatures(
            self.rows, sorted(self.band_rows), sorted(self.posting_rows), sorted(self.counts.items())
        )
        self.memo.bound()
        self.memo.signatures.update(self.signatures)
        self.memo.term_ids.update(zip(self.ids, self.term_ids, strict=True))

    # -- what stories._exact_match asks --

    def story_candidates(self, ids: list[str], story_id: str) -> list[dict[str, Any]]:
        return self.store.story_candidates(ids, story_id)

    # -- candidates of every item of the batch, computed once all are added --

    def likely_near(self) -> list[list[str]]:
        """Each item's likeliest earlier near-duplicates, for all items at once (after `add`), as
        `stories._near_match` picks them before its exact check: the `MAX_CANDIDATES` earlier items sharing
        most band keys (then by id), of those the `EXACT_CHECKS` best MinHash estimates (then by id,
        descending) that are ≥ 0. None of it depends on earlier decisions."""
        m = len(self.ids)
        history = sorted({i for items in self.history_bands.values() for i in items})
        names = self.ids + history
        size = len(names)
        where = {item: n for n, item in enumerate(names)}
        distinct = [list(dict.fromkeys(keys)) for keys in self.keys]
        row_keys = [key for key, items in self.history_bands.items() for _ in items]
        row_owner = [where[i] for items in self.history_bands.values() for i in items]
        row_keys += [key for keys in distinct for key in keys]
        row_owner += [k for k, keys in enumerate(distinct) for _ in keys]
        keys = np.asarray(row_keys, dtype=np.int64)
        owner = np.asarray(row_owner, dtype=np.int64)
        order = np.argsort(keys, kind="stable")
        keys, owner = keys[order], owner[order]
        probe_item = np.repeat(np.arange(m, dtype=np.int64), [len(d) for d in distinct])
        probe_key = np.asarray([key for d in distinct for key in d], dtype=np.int64)
        lo = np.searchsorted(keys, probe_key, "left")
        hi = np.searchsorted(keys, probe_key, "right")
        left, right = expand(probe_item, lo, hi - lo, values=owner)
        earlier = (right >= m) | (right < left)  # history, or an item of the batch linked before
        ranked = ranked_pairs(left[earlier], right[earlier], size, id_order(names)[1], MAX_CANDIDATES)
        probe, cand = ranked[0].tolist(), ranked[1].tolist()
        # MinHash estimates of the candidates that have a signature (`minhashes_of` answers only those).
        found = self._signatures(names[c] for c in cand)
        pairs = [(p, c) for p, c in zip(probe, cand, strict=True) if names[c] in found]
        likely: list[list[str]] = [[] for _ in range(m)]
        if not pairs:
            return likely
        hashes = np.frombuffer(b"".join(found[names[c]][1] for _, c in pairs), dtype="<u8").reshape(len(pairs), -1)
        rows = np.asarray([p for p, _ in pairs], dtype=np.int64)
        jaccards = (hashes == self.batch.hashvalues[rows]).mean(axis=1).tolist()
        sizes = self.batch.sizes.tolist()
        scored: list[list[tuple[float, str]]] = [[] for _ in range(m)]
        for (p, c), jaccard in zip(pairs, jaccards, strict=True):
            scored[p].append((estimate(jaccard, sizes[p], found[names[c]][0], self.config), names[c]))
        for k in range(m):
            best = sorted(scored[k], reverse=True)[:EXACT_CHECKS]
            likely[k] = [item for score, item in best if score >= 0]
        return likely

    def retellings(self, dfs: list[Counter[str]]) -> list[Retold]:
        """Each item's retelling candidates with their weighted term sums, for all items at once (after `add`).

        None of it depends on which stories earlier items joined: candidates are the `RETELL_CHECKS` earlier
        items posted most under the item's query terms, weights are idf as of the item's arrival. Only which
        candidates are in another story is decided per item, as the batch is linked (`dedupe.pick_retelling`).
        """
        m = len(self.ids)
        queries = [query_terms(self.terms[k], dfs[k], self.config) for k in range(m)]
        unread = sorted({t for q in queries for t in q} - set(self.history_postings))
        for term in unread:
            self.history_postings[term] = []
        for term, item in self.store.term_postings_of(unread):
            self.history_postings[term].append(item)
        position = self.position
        ranked = []
        for k, query in enumerate(queries):
            hits = [i for t in query for i in self.history_postings[t]]
            hits += [i for t in query for i in self.postings.get(t, ()) if position[i] < k]
            ranked.append(rank_candidates(hits, RETELL_CHECKS))
        found = self._signatures(c for r in ranked for c in r)
        chosen = [sorted(c for c in r if c in found) for r in ranked]
        terms = {c: self._term_ids(c) for c in found}
        # Columns: the vocabulary terms of the batch and its candidates (`column` maps a term id to its column).
        used = np.zeros(len(self.words), dtype=bool)
        for ids in chain(self.term_ids, terms.values()):
            used[ids] = True
        local = np.flatnonzero(used)
        if local.size == 0:
            return [Retold(0, 0.0, []) for _ in range(m)]
        column = np.cumsum(used) - 1
        members = np.zeros((m, local.size), dtype=bool)
        for k in range(m):
            members[k, column[self.term_ids[k]]] = True
        # Document frequencies before the batch: the batch's counts taken off; history's other terms read now.
        self._load(local)
        base = self.vocabulary_df[local] - members.sum(axis=0)
        arrived = base[None, :] + np.cumsum(members, axis=0)
        totals = np.arange(self.total - m + 1, self.total + 1, dtype=np.int64)
        weights = np.log((totals[:, None] + 1) / (arrived + 0.5))  # `weights()` as each item was linked
        pair_probe = np.repeat(np.arange(m), [len(c) for c in chosen])
        flat = [terms[c] for c in chain.from_iterable(chosen)]
        shared_list: list[float] = []
        own_list: list[float] = []
        if flat:
            lengths = [t.size for t in flat]
            pair = np.repeat(np.arange(len(flat)), lengths)
            rows = pair_probe[pair]
            columns = column[np.concatenate(flat)]
            weight = weights[rows, columns]
            shared = np.bincount(pair, weights=np.where(members[rows, columns], weight, 0.0), minlength=len(flat))
            own = np.bincount(pair, weights=weight, minlength=len(flat))
            shared_list, own_list = shared.tolist(), own.tolist()
        out = []
        at = 0
        for k in range(m):
            probe = column[self.term_ids[k]]
            probe_weight = float(weights[k, probe].sum()) if probe.size else 0.0
            pairs = [(c, int(terms[c].size), shared_list[at + n], own_list[at + n]) for n, c in enumerate(chosen[k])]
            at += len(chosen[k])
            out.append(Retold(int(probe.size), probe_weight, pairs))
        return out

    def story_ids(self, ids: list[str]) -> dict[str, str]:
        """item → current story id (only `moved` changes story ids while a batch is linked)."""
        missing = [i for i in ids if i not in self.stories]
        if missing:
            self.stories.update(self.store.story_ids_of(missing))
        return {i: self.stories[i] for i in ids if i in self.stories}

    def moved(self, target: str, source: str) -> None:
        """Every item of story `source` joined `target` (`stories._join`)."""
        if target != source:
            for item, story in self.stories.items():
                if story == source:
                    self.stories[item] = target

    def _term_ids(self, item_id: str) -> np.ndarray:
        return self.term_ids[self.position[item_id]] if item_id in self.signatures else self.memo.term_ids[item_id]

    def _load(self, ids: np.ndarray) -> None:
        """Read the frequencies of vocabulary terms this batch has not read yet: history's, unchanged meanwhile."""
        unread = ids[~self.loaded[ids]]
        if unread.size:
            words = [self.words[t] for t in unread.tolist()]
            df, _ = self.store.term_frequencies(words)
            self.vocabulary_df[unread] = [df.get(w, 0) for w in words]
            self.loaded[unread] = True

    def _ids(self, terms: list[str]) -> np.ndarray:
        """Vocabulary ids of `terms`, growing the vocabulary (and the frequency arrays) with new terms."""
        vocabulary, words = self.vocabulary, self.words
        for term in terms:
            if term not in vocabulary:
                vocabulary[term] = len(words)
                words.append(term)
        if len(words) > self.vocabulary_df.size:
            grow = len(words) * 2 - self.vocabulary_df.size
            self.vocabulary_df = np.concatenate([self.vocabulary_df, np.zeros(grow)])
            self.loaded = np.concatenate([self.loaded, np.zeros(grow, dtype=bool)])
        return np.fromiter(map(vocabulary.__getitem__, terms), dtype=np.int32, count=len(terms))

    def _signatures(self, ids: Iterable[str]) -> dict[str, tuple[int, bytes]]:
        """(shingle count, minhash) of the signed items among `ids`; history's are read once per run."""
        wanted = list(dict.fromkeys(ids))
        known = self.memo.signatures
        missing = [i for i in wanted if i not in self.signatures and i not in known]
        if missing:
            for item, (size, blob, terms) in self.store.signature_rows(missing).items():
                known[item] = (size, blob)
                self.memo.term_ids[item] = self._ids(terms.split())
        found = {}
        for i in wanted:
            row = self.signatures.get(i) or known.get(i)
            if row is not None:
                found[i] = row
        return found
