"""Stories: link near-duplicate items into one story per warning, incrementally or by a full rebuild.

Orchestration only: decisions come from worker.dedupe, every read and write goes through a Store method,
always inside the caller's transaction (Store.transaction is re-entrant).
"""

from __future__ import annotations

import os
from collections import Counter, OrderedDict
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from worker.dedupe import (
    EXACT_CHECKS,
    RETELL_CHECKS,
    Copy,
    DedupeConfig,
    Member,
    RetellingPair,
    Signature,
    band_keys,
    band_rows,
    best_match,
    best_retelling,
    cluster_bulk,
    estimated_scores,
    from_blob,
    idf,
    pick_retelling,
    query_terms,
    rank_candidates,
    rank_counted,
    rarest,
    rebuild_rows,
    shingle_hashes,
    sign_all,
    sign_batch,
    signature,
    signature_tokens,
    story_canonical,
    to_blob,
)
from worker.errors import LoaError
from worker.store import Store
from worker.story_index import BatchIndex, Index, Retold, RunMemo


class StoryError(LoaError):
    kind = "story"


# New items linked together: a batch's retelling weights are a (items × terms) matrix, so a first sync of a
# big archive is linked in parts, one after the other (each part reads what the previous one wrote).
BATCH_ITEMS = 100


def _sign(row: dict[str, Any], config: DedupeConfig) -> Signature:
    texts = (row["title"] or "", row["summary"] or "", row["body_text"] or "")
    sig = signature(*texts, config)
    _remember(texts, config, sig.shingles)
    return sig


# Linking signs each new item, then compares it with its likeliest earlier matches, whose shingles
# come from their text: during a sync those were mostly signed moments before. Keyed by the texts
# (an edited item is shingled anew); bounded, since each entry holds a text and its shingle set.
_SHINGLES: OrderedDict[tuple[str, str, str, DedupeConfig], frozenset[int]] = OrderedDict()
SHINGLE_CACHE = 1024


def _remember(texts: tuple[str, str, str], config: DedupeConfig, shingles: frozenset[int]) -> None:
    _SHINGLES[(*texts, config)] = shingles
    _SHINGLES.move_to_end((*texts, config))
    while len(_SHINGLES) > SHINGLE_CACHE:
        _SHINGLES.popitem(last=False)


def _shingles(row: dict[str, Any], config: DedupeConfig) -> frozenset[int]:
    texts = (row["title"] or "", row["summary"] or "", row["body_text"] or "")
    found = _SHINGLES.get((*texts, config))
    if found is None:
        found = shingle_hashes(signature_tokens(*texts, config), config.shingle)
        _remember(texts, config, found)
    return found


def _member(row: dict[str, Any]) -> Member:
    return Member(
        Copy(row["id"], row["source_rank"] or 0, row["published_at"] or "", row["fetched_at"] or ""),
        row["status"] or "",
        bool(row["duplicate_of"]),
    )


# -- incremental linking (after sync) ------------------------------------------------------------------


def link_items(
    store: Store,
    new_ids: tuple[str, ...],
    config: DedupeConfig,
    *,
    now: datetime,
    updated_ids: tuple[str, ...] = (),
    memo: RunMemo | None = None,
    bulk: bool = True,
) -> int:
    """Sign new and changed items and join each to the story of its best earlier near-duplicate or retelling;
    returns how many joined a story (variants linked).

    New items are linked in bulk (`_link_new`: the same decisions in the same order, with the batch's reads
    made up front and its index rows written at the end); changed items, which replace index rows, one by one.
    `memo` carries what one sync run's linking read about signed items from source to source; `bulk=False`
    links every item one by one (the reference the bulk path is tested against).
    """
    ids = list(dict.fromkeys(new_ids + updated_ids))
    if not ids:
        return 0
    by_id = {r["id"]: r for r in store.story_item_rows(ids)}
    pinned = store.split_items()
    linked = 0
    leads: Leads = {}
    with store.transaction():
        fresh = [i for i in dict.fromkeys(new_ids) if i in by_id and not by_id[i]["duplicate_of"]]
        if bulk and fresh and not store.signed_ids(fresh):
            for start in range(0, len(fresh), BATCH_ITEMS):
                part = [by_id[i] for i in fresh[start : start + BATCH_ITEMS]]
                linked += _link_new(store, part, pinned, config, now=now, leads=leads, memo=memo)
            ids = [i for i in ids if i not in set(fresh)]
        for item_id in ids:
            row = by_id.get(item_id)
            if row is None or row["duplicate_of"]:
                continue  # an exact copy follows its canonical copy's story
            sig = _sign(row, config)
            if memo is not None:
                memo.forget(item_id)  # signed again: what the run remembered of it is stale
            keys = band_keys(sig.hashvalues, config)
            frequencies, total = store.term_frequencies(sig.terms)
            old = store.stored_signature(item_id)
            first = old is None
            df = Counter(frequencies)
            if first:
                df.update(sig.terms)  # counted as the store will count it, so rarity matches a rebuild's
                total += 1
            rare = rarest(sig.terms, df, config.rare_terms)
            store.save_signature(
                item_id,
                size=sig.size,
                minhash=to_blob(sig.hashvalues),
                terms=sig.terms,
                rare=rare,
                keys=keys,
                fingerprint=config.fingerprint,
                old_keys=band_keys(from_blob(old["minhash"]), config) if old else [],
                old_rare=(old.get("rare") or "").split() if old else [],
            )
            story_id = row["story_id"] or item_id
            if item_id in pinned or store.has_other_members(story_id, item_id):
                continue
            target = _target(store, item_id, sig, keys, story_id, df, total, config)
            if target is None:
                continue
            _join(store, target, story_id, now=now, newcomer=item_id, leads=leads)
            linked += 1
        copies = [item_id for item_id, row in by_id.items() if row["duplicate_of"]]
        if copies:
            # Whether a copy arrived before its original was linked (and moved along, marked) or after, it
            # ends the same: linking later from the queue decides as linking at save time would.
            store.inherit_late_variants(copies)
    return linked


@dataclass(frozen=True)
class PendingLinks:
    """What `link_pending` did: items linked, and the stories and variants that came of them."""

    items: int = 0
    stories_new: int = 0
    variants_linked: int = 0

    def as_json(self) -> dict[str, int]:
        return {"items": self.items, "stories_new": self.stories_new, "variants_linked": self.variants_linked}


def link_pending(store: Store, config: DedupeConfig, *, now: datetime) -> PendingLinks:
    """Link every item sync queued, batch by batch in save order: the dedupe stage after sync.

    Each batch (one source's save) is linked and taken off the queue in one transaction, so a kill -9
    loses nothing and a second linker waits, then finds the batch gone. Decisions are the ones linking at
    save time would make: the same batches in the same order, with one memo across them as in a sync run.
    """
    memo = RunMemo()
    fresh: list[str] = []
    items = linked = 0
    while True:
        with store.atomic():
            batch = store.next_link_batch()
            if batch is None:
                break
            number, new_ids, updated_ids = batch
            linked += link_items(store, new_ids, config, now=now, updated_ids=updated_ids, memo=memo)
            store.unqueue_link_batch(number)
        items += len(new_ids) + len(updated_ids)
        fresh += new_ids
    # A story is named after the item that founded it: those named after a new item are the new stories,
    # even where an exact copy saved later has since taken the lead (so its founder is now a duplicate).
    return PendingLinks(items=items, stories_new=store.stories_named_after(fresh), variants_linked=linked)


def _target(
    index: Store,
    item_id: str,
    sig: Signature,
    keys: list[int],
    story_id: str,
    df: Counter[str],
    total: int,
    config: DedupeConfig,
) -> str | None:
    """The story an item joins: its best near-duplicate's, else the one it retells; None when neither."""
    match = _near_match(index, item_id, sig, keys, story_id, config)
    if match is not None:
        return match[1]
    return _retelling_target(index, item_id, sig, story_id, df, total, config)


def _link_new(
    store: Store,
    rows: list[dict[str, Any]],
    pinned: set[str],
    config: DedupeConfig,
    *,
    now: datetime,
    leads: Leads,
    memo: RunMemo | None,
) -> int:
    """Per-item linking of never-signed items, in order, with the batch's index reads and writes in bulk.

    Signs the whole batch at once; `BatchIndex` answers each item's lookups from history read once plus the
    earlier items of the batch held in memory, exactly as the store would after their per-item writes.
    Stories are still read and written per join: what they hold changes with every join.
    """
    batch = sign_batch([(r["title"] or "", r["summary"] or "", r["body_text"] or "") for r in rows], config)
    index = BatchIndex(store, batch, [str(r["id"]) for r in rows], config, memo)
    # What does not depend on earlier decisions is computed for the whole batch first.
    added = [index.add(k) for k in range(len(rows))]
    retold = index.retellings([df for _, _, df in added])
    likely = index.likely_near()
    linked = 0
    for k, row in enumerate(rows):
        item_id = str(row["id"])
        sig = added[k][0]
        story_id = row["story_id"] or item_id
        if item_id in pinned or store.has_other_members(story_id, item_id):
            continue
        match = _exact_match(index, sig, likely[k], story_id, config, index.shingles)
        target = match[1] if match is not None else _retold_story(index, retold[k], story_id, config)
        if target is None:
            continue
        _join(store, target, story_id, now=now, newcomer=item_id, leads=leads)
        index.moved(target, story_id)
        linked += 1
    index.write()
    return linked


def _near_match(
    store: Store,
    item_id: str,
    sig: Signature,
    keys: list[int],
    story_id: str,
    config: DedupeConfig,
) -> tuple[str, str] | None:
    """(item, story) of the best earlier near-duplicate found through the LSH bands."""
    candidates = rank_counted(store.band_hit_counts(keys, item_id))
    if not candidates:
        return None
    found = store.minhashes_of(candidates)
    if not found:
        return None
    matrix = np.frombuffer(b"".join(m for _, _, m in found), dtype="<u8").reshape(len(found), -1)
    scores = estimated_scores(sig, [size for _, size, _ in found], matrix, config)
    scored = sorted(zip(scores, (other for other, _, _ in found), strict=True), reverse=True)
    # Exact checks recompute shingles from text, so only the few likeliest are checked.
    likely = [item for score, item in scored[:EXACT_CHECKS] if score >= 0]
    return _exact_match(store, sig, likely, story_id, config)


def _exact_match(
    store: Index,
    sig: Signature,
    likely: list[str],
    story_id: str,
    config: DedupeConfig,
    known: Mapping[str, frozenset[int]] | None = None,
) -> tuple[str, str] | None:
    """(item, story) of the best near-duplicate among the likely candidates not already in the item's story."""
    if not likely:
        return None
    texts = store.story_candidates(likely, story_id)
    have = known or {}
    match = best_match(sig.shingles, ((t["id"], have.get(t["id"]) or _shingles(t, config)) for t in texts), config)
    if match is None:
        return None
    return match.item_id, next(t["story_id"] for t in texts if t["id"] == match.item_id)


def _retelling_target(
    store: Store,
    item_id: str,
    sig: Signature,
    story_id: str,
    df: Counter[str],
    total: int,
    config: DedupeConfig,
) -> str | None:
    """The story a caption retells (or, for an article, the story of a caption it is retold by)."""
    candidates = rank_candidates(store.posting_hits(query_terms(sig.terms, df, config), item_id), RETELL_CHECKS)
    rows = [r for r in store.signatures_of(candidates) if r["story_id"] != story_id]
    if not rows:
        return None
    terms = {r["item_id"]: frozenset((r["terms"] or "").split()) for r in rows}
    words = set().union(*terms.values()) - set(df)
    frequencies, _ = store.term_frequencies(words) if words else ({}, 0)
    df.update(frequencies)
    weights = {t: idf(df.get(t, 0), total) for t in set(sig.terms).union(*terms.values())}
    match = best_retelling(
        sig.terms, ((r["item_id"], r["story_id"], terms[r["item_id"]]) for r in rows), weights, config
    )
    return None if match is None else next(r["story_id"] for r in rows if r["item_id"] == match.item_id)


def _retold_story(index: BatchIndex, retold: Retold, story_id: str, config: DedupeConfig) -> str | None:
    """`_retelling_target` from an item's precomputed candidates: those now in another story compete."""
    stories = index.story_ids([c for c, _, _, _ in retold.candidates])
    pairs = [
        RetellingPair(c, stories[c], length, shared, own)
        for c, length, shared, own in retold.candidates
        if c in stories and stories[c] != story_id
    ]
    match = pick_retelling(retold.size, retold.weight, pairs, config)
    return None if match is None else stories[match.item_id]


Leads = dict[str, tuple[list[dict[str, Any]], str | None]]


def _join(
    store: Store,
    target: str,
    source: str,
    *,
    now: datetime,
    newcomer: str | None = None,
    leads: Leads | None = None,
) -> None:
    """Move every item of story `source` into story `target`; flag late variants of an approved story.

    `leads` carries each story's lead candidates from join to join within one `link_items` call (nothing
    else writes stories meanwhile), so a big story is read once per source instead of once per join.
    """
    if target == source:
        return
    known = {} if leads is None else leads
    # Each story's lead candidates (see Store.story_lead_candidates) tell whether it holds an approved
    # item, and together they are the candidates of the joined story.
    rows, promoted = known.pop(target) if target in known else store.story_lead_candidates(target)
    joining, promoted_joining = known.pop(source) if source in known else store.story_lead_candidates(source)
    approved = any((row["status"] or "") == "approved" for row in rows)
    canonical = store.story_canonical_id(target)
    moved = store.move_story(target, source)
    if newcomer and approved:
        # Only turns 'new' into 'duplicate': neither is approved, so the candidates above still hold.
        store.mark_late_variant(newcomer, canonical or target)
    if promoted or promoted_joining or not rows + joining:
        refresh_story(store, target, now=now)  # which promotion is the latest needs every member's
        return
    rows = rows + joining
    lead = story_canonical([_member(m) for m in rows])
    # Roles: set_story_roles keeps exactly one 'canonical' per story, so only the old and new
    # canonical items and the items that just moved can change; the other members are not rewritten.
    changed = list(dict.fromkeys([lead, *([canonical] if canonical else []), *moved]))
    store.put_story(target, lead, store.item_title(lead), now=now, changed=changed)
    known[target] = (rows, None)


def refresh_story(store: Store, story_id: str, *, now: datetime) -> None:
    """Recompute a story's canonical item, title and the roles of its items."""
    members, promoted = store.story_lead_candidates(story_id)
    if not members:
        store.delete_story(story_id)
        return
    canonical = story_canonical([_member(m) for m in members], promoted)
    store.put_story(story_id, canonical, store.item_title(canonical), now=now)


# -- rebuild ------------------------------------------------------------------------------------


def rebuild(store: Store, config: DedupeConfig, *, now: datetime) -> dict[str, int]:
    """Recluster every item from scratch in arrival order, then replay manual overrides; story ids survive.

    Items are clustered as sync saw them (document frequencies grow in arrival order, so rarity and
    postings match what incremental linking stores), in bulk (`cluster_bulk`), then everything is written
    with one executemany per table; only items whose story changed are updated.
    """
    items = store.story_item_rows()
    pinned = store.split_items()
    leaders = [row for row in items if not row["duplicate_of"]]
    ids = [str(row["id"]) for row in leaders]
    batch = sign_all(
        [(row["title"] or "", row["summary"] or "", row["body_text"] or "") for row in leaders],
        config,
        workers=min(4, os.cpu_count() or 1),
    )
    linkable = np.fromiter((i not in pinned for i in ids), dtype=bool, count=len(ids))
    bands = band_rows(batch, ids, config)
    # One transaction: the band rows (the biggest table) are written while a thread clusters; sqlite3
    # releases the GIL inside SQLite, so on two cores the write mostly hides behind the clustering.
    with store.transaction(), ThreadPoolExecutor(max_workers=1) as pool:
        clustering = pool.submit(cluster_bulk, batch, ids, linkable, config)
        store.replace_bands(bands)
        found = clustering.result()
        founders = found.founder.tolist()
        cluster = {item_id: ids[founders[k]] for k, item_id in enumerate(ids)}
        for row in items:
            if row["duplicate_of"]:
                cluster[row["id"]] = cluster.get(row["duplicate_of"], row["duplicate_of"])
        _replay_overrides(store, items, cluster)
        story_ids = _preserve_ids(items, cluster)
        promoted = store.promotions()
        members: dict[str, list[dict[str, Any]]] = {}
        for row in items:
            members.setdefault(story_ids[row["id"]], []).append(row)
        story_rows: list[tuple[str, str, str]] = []  # (story id, canonical item id, title)
        for story_id, rows in members.items():
            latest = max((r["id"] for r in rows if r["id"] in promoted), key=lambda i: promoted[i], default=None)
            canonical = story_canonical([_member(r) for r in rows], latest)
            story_rows.append((story_id, canonical, next(r["title"] for r in rows if r["id"] == canonical)))
        canonical_ids = {canonical for _, canonical, _ in story_rows}
        index_rows = rebuild_rows(batch, ids, found, config, bands=bands)
        roles = store.story_roles()
        assignments = []
        for row in items:
            role = "canonical" if row["id"] in canonical_ids else "variant"
            if (row["story_id"], roles.get(row["id"])) != (story_ids[row["id"]], role):
                assignments.append((story_ids[row["id"]], role, row["id"]))
        store.clear_link_queue()  # every item is linked below, queued or not
        store.write_rebuild(
            signatures=index_rows.signatures,
            bands=None,
            postings=index_rows.postings,
            frequencies=index_rows.frequencies,
            assignments=assignments,
            stories=sorted(story_rows),
            now=now,
        )
    return {"items": len(items), "stories": len(set(story_ids.values()))}


def _replay_overrides(store: Store, items: list[dict[str, Any]], cluster: dict[str, str]) -> None:
    """Manual merges and splits, in the order reviewers made them."""
    for override in store.story_overrides():
        a, b = override["item_id"], override["other_id"]
        if override["action"] == "merge" and a in cluster and b in cluster:
            old, new = cluster[b], cluster[a]
            for key, value in cluster.items():
                if value == old:
                    cluster[key] = new
        elif override["action"] == "split" and a in cluster:
            for key in [a, *(r["id"] for r in items if r["duplicate_of"] == a)]:
                cluster[key] = a + "\0split"


def _preserve_ids(items: list[dict[str, Any]], cluster: dict[str, str]) -> dict[str, str]:
    """Each new cluster keeps the old story id most of its items had; otherwise its founding item's id."""
    old = {r["id"]: r["story_id"] or r["id"] for r in items}
    members: dict[str, list[str]] = {}
    for item_id, cid in cluster.items():
        members.setdefault(cid, []).append(item_id)
    order = {r["id"]: n for n, r in enumerate(items)}
    taken: set[str] = set()
    chosen: dict[str, str] = {}
    # Bigger clusters choose first, so a story that lost one item keeps its id.
    for cid in sorted(members, key=lambda c: (-len(members[c]), min(order[i] for i in members[c]))):
        votes: dict[str, int] = {}
        for item_id in members[cid]:
            votes[old[item_id]] = votes.get(old[item_id], 0) + 1
        options = sorted(votes, key=lambda s: (-votes[s], s))
        founder = min(members[cid], key=lambda i: order[i])
        pick = next((s for s in options if s not in taken), None) or _free_id(founder, taken)
        taken.add(pick)
        chosen[cid] = pick
    return {item_id: chosen[cid] for item_id, cid in cluster.items()}


def _free_id(item_id: str, taken: set[str]) -> str:
    if item_id not in taken:
        return item_id
    n = 2
    while f"{item_id}.{n}" in taken:
        n += 1
    return f"{item_id}.{n}"


# -- manual overrides -----------------------------------------------------------------------------


def _item(store: Store, item_id: str) -> dict[str, Any]:
    row = store.item(item_id)
    if row is None:
        raise StoryError(f"no item {item_id!r}", hint="`loa items list` shows ids")
    return row


def _story_item(store: Store, ref: str) -> str:
    """A story id or any of its items' ids → the story's canonical item id (stable across rebuilds)."""
    canonical = store.story_canonical_id(ref)
    return canonical if canonical else str(_item(store, ref)["id"])


def merge(store: Store, first: str, second: str, *, now: datetime) -> str:
    """Put two stories together (remembered across rebuilds); the older story's id survives."""
    a, b = _story_item(store, first), _story_item(store, second)
    story_a, story_b = (str(_item(store, x)["story_id"]) for x in (a, b))
    with store.transaction():
        store.record_story_override("merge", a, b, now=now)
        if story_a == story_b:
            return story_a
        created = store.story_created([story_a, story_b])
        keep, drop = sorted([story_a, story_b], key=lambda s: (created.get(s) or "", s))
        _join(store, keep, drop, now=now)
    return keep


def split(store: Store, item_id: str, *, now: datetime) -> str:
    """Take an item (and its exact copies) out of its story into a story of its own; remembered across rebuilds."""
    row = _item(store, item_id)
    old = str(row["story_id"])
    with store.transaction():
        store.record_story_override("split", row["id"], None, now=now)
        if not store.has_other_members(old, row["id"]):
            return old
        new = _free_id(row["id"], store.story_ids())
        store.move_item_with_copies(row["id"], new)
        refresh_story(store, new, now=now)
        refresh_story(store, old, now=now)
    return new


def promote(store: Store, item_id: str, *, now: datetime) -> str:
    """Make an item its story's canonical one; a late variant becomes reviewable again."""
    row = _item(store, item_id)
    with store.transaction():
        store.record_story_override("promote", row["id"], None, now=now)
        store.clear_late_variant(row["id"])
        refresh_story(store, str(row["story_id"]), now=now)
    return str(row["story_id"])


# -- reading ---------------------------------------------------------------------------------------


def list_stories(store: Store, *, limit: int | None = None) -> list[dict[str, Any]]:
    """Stories newest first, each with its canonical item, member ids and kinds."""
    stories, rows = store.list_stories(limit)
    members: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        members.setdefault(row["story_id"], []).append(row)
    return [
        {
            "id": s["id"],
            "canonical": s["canonical_item_id"],
            "items": [m["id"] for m in members.get(s["id"], [])],
            "title": s["title"],
            "kinds": sorted({m["kind"] for m in members.get(s["id"], [])}),
            "late_variants": [m["id"] for m in members.get(s["id"], []) if m["late_variant"]],
            "created_at": s["created_at"],
            "updated_at": s["updated_at"],
        }
        for s in stories
    ]


def show_story(store: Store, ref: str) -> dict[str, Any]:
    story_id = ref if store.has_story(ref) else str(_item(store, ref)["story_id"])
    story, items = store.story_detail(story_id)
    return {"id": story_id, "canonical": story["canonical_item_id"], "title": story["title"], "items": items}
