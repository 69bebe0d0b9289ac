"""The near-duplicate index as linking sees it: the store, or a batch's view of it (history read once, the batch in memory).

Near-duplicate lookups ask the same questions either way (`Index`), so bulk linking decides as per-item linking does.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any, Protocol

import numpy as np

from worker.dedupe import DedupeConfig, Signature, SignedBatch, rarest, to_blob
from worker.store import Store


class Index(Protocol):
    """The lookups `stories._near_match` makes (Store answers them in SQL)."""

    def band_hit_counts(self, keys: list[int], item_id: str) -> list[tuple[str, int]]: ...
    def minhashes_of(self, ids: list[str]) -> list[tuple[str, int, bytes]]: ...
    def story_candidates(self, ids: list[str], story_id: str) -> list[dict[str, Any]]: ...


class BatchIndex:
    """Index lookups for a batch of never-signed items linked in order, as if each were written when added.

    History (band rows, postings, signatures, frequencies) does not change while the batch is linked, so it is
    read once per key or term in set-based queries; the rows of the batch's items added so far are kept in
    memory; `write` stores them all, one executemany per table. Story ids are always read from the store:
    joins move items between stories as the batch goes.
    """

    def __init__(self, store: Store, batch: SignedBatch, ids: list[str], config: DedupeConfig) -> None:
        self.store, self.batch, self.ids, self.config = store, batch, ids, config
        self.position = {item: k for k, item in enumerate(ids)}
        self.terms = [frozenset(t.split()) for t in batch.terms]
        self.keys: list[list[int]] = batch.keys.tolist()
        self.union: set[str] = set().union(*self.terms)
        # Current document frequencies of every term of the batch (history terms outside it never change here).
        self.df, self.total = store.term_frequencies_of(sorted(self.union))
        self.history_bands: dict[int, list[str]] = {}
        for key, item in store.band_members(sorted({k for keys in self.keys for k in keys})):
            self.history_bands.setdefault(key, []).append(item)
        self.history_postings: dict[str, list[str]] = {}
        self.history_signatures: dict[str, tuple[int, bytes, str]] = {}
        self.bands: dict[int, list[str]] = {}
        self.postings: dict[str, list[str]] = {}
        self.signatures: dict[str, tuple[int, bytes, str]] = {}
        self.shingles: dict[str, frozenset[int]] = {}
        self.rows: list[tuple[str, int, bytes, str, str, str]] = []
        self.band_rows: list[tuple[int, str]] = []
        self.posting_rows: list[tuple[str, str]] = []
        self.counts: Counter[str] = Counter()
        # Terms as ids into a growing vocabulary with current document frequencies, for `weights`.
        self.vocabulary: dict[str, int] = {}
        self.vocabulary_df = np.zeros(max(64, 2 * len(self.union)), dtype=np.float64)
        self.term_ids = [self._ids(sorted(terms), self.df) for terms in self.terms]
        self.history_term_ids: dict[str, np.ndarray] = {}

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
        for key in dict.fromkeys(keys):
            self.bands.setdefault(key, []).append(item_id)
            self.band_rows.append((key, item_id))
        for term in rare:
            self.postings.setdefault(term, []).append(item_id)
            self.posting_rows.append((term, item_id))
        blob = to_blob(sig.hashvalues)
        self.signatures[item_id] = (sig.size, blob, self.batch.terms[k])
        self.shingles[item_id] = shingles
        self.rows.append((item_id, sig.size, blob, self.config.fingerprint, self.batch.terms[k], " ".join(rare)))
        return sig, keys, df

    def write(self) -> None:
        """Store the batch's signatures, band rows, postings and term counts."""
        self.store.save_signatures(self.rows, self.band_rows, self.posting_rows, sorted(self.counts.items()))

    # -- Index --

    def band_hit_counts(self, keys: list[int], item_id: str) -> list[tuple[str, int]]:
        counts: Counter[str] = Counter()
        for key in dict.fromkeys(keys):
            counts.update(self.history_bands.get(key, ()))
            counts.update(self.bands.get(key, ()))
        counts.pop(item_id, None)
        return list(counts.items())

    def minhashes_of(self, ids: list[str]) -> list[tuple[str, int, bytes]]:
        return [(i, size, blob) for i, (size, blob, _) in sorted(self._signatures(ids).items())]

    def story_candidates(self, ids: list[str], story_id: str) -> list[dict[str, Any]]:
        return self.store.story_candidates(ids, story_id)

    # -- retelling --

    def posting_hits(self, terms: list[str], item_id: str) -> list[str]:
        """Items posted under any of `terms` (once per term), as `Store.posting_hits`."""
        missing = [t for t in terms if t not in self.history_postings]
        if missing:
            for term in missing:
                self.history_postings[term] = []
            for term, item in self.store.term_postings_of(missing):
                self.history_postings[term].append(item)
        hits = [i for t in terms for part in (self.history_postings[t], self.postings.get(t, ())) for i in part]
        return [i for i in hits if i != item_id]

    def retelling_rows(self, ids: list[str]) -> list[tuple[str, str, np.ndarray]]:
        """(item, current story, term ids) of the signed items among `ids`, ordered by id."""
        found = self._signatures(ids)
        stories = self.store.story_ids_of(list(found))
        fresh = [i for i in found if i in stories and i not in self.history_term_ids and i not in self.signatures]
        if fresh:
            words = list({t: None for i in fresh for t in found[i][2].split() if t not in self.vocabulary})
            df, _ = self.store.term_frequencies_of(words) if words else ({}, 0)
            for i in fresh:
                self.history_term_ids[i] = self._ids(found[i][2].split(), df)
        return [
            (i, stories[i], self.term_ids[self.position[i]] if i in self.signatures else self.history_term_ids[i])
            for i in sorted(found)
            if i in stories
        ]

    def weights(self) -> np.ndarray:
        """`idf` of every vocabulary term as of now (the batch's items added so far counted)."""
        return np.log((self.total + 1) / (self.vocabulary_df[: len(self.vocabulary)] + 0.5))

    def _ids(self, terms: list[str], df: dict[str, int]) -> np.ndarray:
        """Vocabulary ids of `terms`; a term new to the vocabulary takes its frequency from `df`."""
        vocabulary = self.vocabulary
        for term in terms:
            if term not in vocabulary:
                if len(vocabulary) == self.vocabulary_df.size:
                    self.vocabulary_df = np.concatenate([self.vocabulary_df, np.zeros_like(self.vocabulary_df)])
                self.vocabulary_df[len(vocabulary)] = df.get(term, 0)
                vocabulary[term] = len(vocabulary)
        return np.fromiter(map(vocabulary.__getitem__, terms), dtype=np.int64, count=len(terms))

    def _signatures(self, ids: Iterable[str]) -> dict[str, tuple[int, bytes, str]]:
        wanted = list(dict.fromkeys(ids))
        missing = [i for i in wanted if i not in self.signatures and i not in self.history_signatures]
        if missing:
            self.history_signatures.update(self.store.signature_rows(missing))
        found = {}
        for i in wanted:
            row = self.signatures.get(i) or self.history_signatures.get(i)
            if row is not None:
                found[i] = row
        return found
