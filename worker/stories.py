"""Stories: link near-duplicate items into one story per warning, incrementally or by a full rebuild.

Decisions come from worker.dedupe; this module reads and writes the story tables through a Store,
always inside the caller's transaction (Store.transaction is re-entrant).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from worker.dates import iso_utc
from worker.dedupe import (
    BandIndex,
    Copy,
    DedupeConfig,
    Member,
    band_keys,
    best_match,
    estimated_score,
    from_blob,
    rank_candidates,
    sign_many,
    signature,
    story_canonical,
    to_blob,
)
from worker.errors import LoaError
from worker.store import Store


class StoryError(LoaError):
    kind = "story"


@dataclass(frozen=True)
class LinkCounts:
    stories_new: int = 0
    variants_linked: int = 0

    def as_extra(self) -> dict[str, int]:
        return {"stories_new": self.stories_new, "variants_linked": self.variants_linked}


EXACT_CHECKS = 5
_ITEM_COLUMNS = "id, title, summary, body_text, story_id, status, duplicate_of, source_rank, published_at, fetched_at"


def _rows(store: Store, sql: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]:
    return list(store.db.query(sql, list(params)))


def _in(values: list[str]) -> str:
    return ",".join("?" * len(values))


def _split_items(store: Store) -> set[str]:
    """Items a reviewer split out: they never join another story automatically."""
    return {r["item_id"] for r in _rows(store, "select item_id from story_overrides where action = 'split'")}


# -- incremental linking (sync) ------------------------------------------------------------------


def link_items(
    store: Store, new_ids: tuple[str, ...], config: DedupeConfig, *, now: datetime, updated_ids: tuple[str, ...] = ()
) -> LinkCounts:
    """Sign new and changed items and join each to the story of its best earlier near-duplicate."""
    ids = list(dict.fromkeys(new_ids + updated_ids))
    if not ids:
        return LinkCounts()
    rows = _rows(store, f"select {_ITEM_COLUMNS} from items where id in ({_in(ids)})", ids)
    by_id = {r["id"]: r for r in rows}
    pinned = _split_items(store)
    linked = 0
    with store.transaction():
        for item_id in ids:
            row = by_id.get(item_id)
            if row is None or row["duplicate_of"]:
                continue  # an exact copy follows its canonical copy's story
            sig = signature(row["title"] or "", row["summary"] or "", row["body_text"] or "", config)
            keys = band_keys(sig.hashvalues, config)
            store.db.execute("delete from lsh_bands where item_id = ?", [item_id])
            store.db.conn.executemany(
                "insert or ignore into lsh_bands (key, item_id) values (?, ?)", [(k, item_id) for k in keys]
            )
            store.db.execute(
                "insert or replace into item_signatures (item_id, shingles, minhash, fingerprint) values (?, ?, ?, ?)",
                [item_id, sig.size, to_blob(sig.hashvalues), config.fingerprint],
            )
            story_id = row["story_id"] or item_id
            if item_id in pinned or _independent_members(store, story_id, item_id):
                continue
            hits = [
                r[0]
                for r in store.db.execute(
                    f"select item_id from lsh_bands where key in ({','.join('?' * len(keys))}) and item_id != ?",
                    [*keys, item_id],
                )
            ]
            candidates = rank_candidates(hits)
            if not candidates:
                continue
            signed = _rows(
                store,
                f"select item_id, shingles, minhash from item_signatures where item_id in ({_in(candidates)})",
                candidates,
            )
            scored = sorted(
                ((estimated_score(sig, s["shingles"], from_blob(s["minhash"]), config), s["item_id"]) for s in signed),
                reverse=True,
            )
            # Exact checks recompute shingles from text, so only the few likeliest are checked.
            likely = [item for score, item in scored[:EXACT_CHECKS] if score >= 0]
            if not likely:
                continue
            texts = _rows(
                store,
                f"select {_ITEM_COLUMNS} from items where id in ({_in(likely)}) and story_id != ?",
                [*likely, story_id],
            )
            match = best_match(
                sig.shingles,
                (
                    (t["id"], signature(t["title"] or "", t["summary"] or "", t["body_text"] or "", config).shingles)
                    for t in texts
                ),
                config,
            )
            if match is None:
                continue
            target = next(t["story_id"] for t in texts if t["id"] == match.item_id)
            _join(store, target, story_id, now=now, newcomer=item_id)
            linked += 1
    founders = [i for i in new_ids if i in by_id and not by_id[i]["duplicate_of"]]
    still_alone = (
        _rows(store, f"select id from items where id in ({_in(founders)}) and story_id = id", founders)
        if founders
        else []
    )
    return LinkCounts(stories_new=len(still_alone), variants_linked=linked)


def _independent_members(store: Store, story_id: str, item_id: str) -> bool:
    """Does the story hold items other than this one and its exact copies? Then it is not ours to move."""
    row = store.db.execute(
        "select count(*) from items where story_id = ? and id != ? and coalesce(duplicate_of, '') != ?",
        [story_id, item_id, item_id],
    ).fetchone()
    return bool(row[0])


def _join(store: Store, target: str, source: str, *, now: datetime, newcomer: str | None = None) -> None:
    """Move every item of story `source` into story `target`; flag late variants of an approved story."""
    if target == source:
        return
    approved = store.db.execute(
        "select count(*) from items where story_id = ? and status = 'approved'", [target]
    ).fetchone()[0]
    canonical = store.db.execute("select canonical_item_id from stories where id = ?", [target]).fetchone()
    store.db.execute("update items set story_id = ? where story_id = ?", [target, source])
    store.db.execute("delete from stories where id = ?", [source])
    if newcomer and approved:
        # Wards already heard this story: the variant is linked for the record, never queued as new.
        store.db.execute(
            """update items set late_variant = 1, variant_of = ?,
               status = case when status = 'new' then 'duplicate' else status end
               where id = ? or duplicate_of = ?""",
            [canonical[0] if canonical else target, newcomer, newcomer],
        )
    refresh_story(store, target, now=now)


def refresh_story(store: Store, story_id: str, *, now: datetime) -> None:
    """Recompute a story's canonical item, title and the roles of its items."""
    members = _rows(store, f"select {_ITEM_COLUMNS} from items where story_id = ?", [story_id])
    if not members:
        store.db.execute("delete from stories where id = ?", [story_id])
        return
    ids = [m["id"] for m in members]
    promoted = store.db.execute(
        f"select item_id from story_overrides where action = 'promote' and item_id in ({_in(ids)}) order by id desc limit 1",
        ids,
    ).fetchone()
    canonical = story_canonical(
        [
            Member(
                Copy(m["id"], m["source_rank"] or 0, m["published_at"] or "", m["fetched_at"] or ""),
                m["status"] or "",
                bool(m["duplicate_of"]),
            )
            for m in members
        ],
        promoted[0] if promoted else None,
    )
    title = next(m["title"] for m in members if m["id"] == canonical)
    exists = store.db.execute("select 1 from stories where id = ?", [story_id]).fetchone()
    if exists:
        store.db.execute(
            "update stories set canonical_item_id = ?, title = ?, updated_at = ? where id = ?",
            [canonical, title, iso_utc(now), story_id],
        )
    else:
        store.db.execute(
            "insert into stories (id, canonical_item_id, title, created_at, updated_at) values (?, ?, ?, ?, ?)",
            [story_id, canonical, title, iso_utc(now), iso_utc(now)],
        )
    store.set_story_roles(story_id)


# -- rebuild ------------------------------------------------------------------------------------


def rebuild(store: Store, config: DedupeConfig, *, now: datetime) -> dict[str, int]:
    """Recluster every item from scratch in arrival order, then replay manual overrides; story ids survive."""
    items = _rows(
        store,
        f"select {_ITEM_COLUMNS} from items order by fetched_at, source_rank, published_at, id",
    )
    pinned = _split_items(store)
    index = BandIndex()
    shingles: dict[str, frozenset[str]] = {}
    cluster: dict[str, str] = {}  # item id → founding item id of its cluster
    signature_rows: list[tuple[str, int, bytes, str]] = []
    band_rows: list[tuple[int, str]] = []
    leaders = [row for row in items if not row["duplicate_of"]]
    signed = sign_many(
        [(row["title"] or "", row["summary"] or "", row["body_text"] or "") for row in leaders],
        config,
        workers=min(4, os.cpu_count() or 1),
    )
    for row, sig in zip(leaders, signed, strict=True):
        keys = band_keys(sig.hashvalues, config)
        match = None
        if row["id"] not in pinned:
            candidates = index.query(keys)
            match = best_match(sig.shingles, ((c, shingles[c]) for c in candidates), config)
        cluster[row["id"]] = cluster[match.item_id] if match else row["id"]
        shingles[row["id"]] = sig.shingles
        index.add(row["id"], keys)
        signature_rows.append((row["id"], sig.size, to_blob(sig.hashvalues), config.fingerprint))
        band_rows.extend((k, row["id"]) for k in keys)
    for row in items:
        if row["duplicate_of"]:
            cluster[row["id"]] = cluster.get(row["duplicate_of"], row["duplicate_of"])
    for override in _rows(store, "select action, item_id, other_id from story_overrides order by id"):
        a, b = override["item_id"], override["other_id"]
        if override["action"] == "merge" and a in cluster and b in cluster:
            old, new = cluster[b], cluster[a]
            for key, value in cluster.items():
                if value == old:
                    cluster[key] = new
        elif override["action"] == "split" and a in cluster:
            for key in [a, *(r["id"] for r in items if r["duplicate_of"] == a)]:
                cluster[key] = a + "\0split"
    story_ids = _preserve_ids(items, cluster)
    promoted = {
        r["item_id"]: r["id"] for r in _rows(store, "select id, item_id from story_overrides where action = 'promote'")
    }
    members: dict[str, list[dict[str, Any]]] = {}
    for row in items:
        members.setdefault(story_ids[row["id"]], []).append(row)
    story_rows: list[tuple[str, str, str]] = []  # (story id, canonical item id, title)
    for story_id, rows in members.items():
        latest = max((r["id"] for r in rows if r["id"] in promoted), key=lambda i: promoted[i], default=None)
        canonical = story_canonical(
            [
                Member(
                    Copy(r["id"], r["source_rank"] or 0, r["published_at"] or "", r["fetched_at"] or ""),
                    r["status"] or "",
                    bool(r["duplicate_of"]),
                )
                for r in rows
            ],
            latest,
        )
        story_rows.append((story_id, canonical, next(r["title"] for r in rows if r["id"] == canonical)))
    canonical_ids = {canonical for _, canonical, _ in story_rows}
    stamp = iso_utc(now)
    with store.transaction():
        old_created = dict(store.db.execute("select id, created_at from stories").fetchall())
        conn = store.db.conn
        conn.execute("delete from lsh_bands")
        conn.execute("delete from item_signatures")
        conn.executemany(
            "insert into item_signatures (item_id, shingles, minhash, fingerprint) values (?, ?, ?, ?)", signature_rows
        )
        # Sorted by key, the inserts append to the clustered primary key instead of splitting pages.
        band_rows.sort()
        conn.executemany("insert or ignore into lsh_bands (key, item_id) values (?, ?)", band_rows)
        conn.executemany(
            "update items set story_id = ?, story_role = ? where id = ?",
            [(story_ids[i], "canonical" if i in canonical_ids else "variant", i) for i in story_ids],
        )
        conn.execute("delete from stories")
        conn.executemany(
            "insert into stories (id, canonical_item_id, title, created_at, updated_at) values (?, ?, ?, ?, ?)",
            [(sid, canonical, title, old_created.get(sid, stamp), stamp) for sid, canonical, title in story_rows],
        )
    return {"items": len(items), "stories": len(set(story_ids.values()))}


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
    row = store.db.execute("select canonical_item_id from stories where id = ?", [ref]).fetchone()
    if row:
        return str(row[0])
    return str(_item(store, ref)["id"])


def _record(store: Store, action: str, item_id: str, other_id: str | None, now: datetime) -> None:
    store.db.table("story_overrides").insert(
        {"action": action, "item_id": item_id, "other_id": other_id, "created_at": iso_utc(now)}
    )


def merge(store: Store, first: str, second: str, *, now: datetime) -> str:
    """Put two stories together (remembered across rebuilds); the older story's id survives."""
    a, b = _story_item(store, first), _story_item(store, second)
    story_a, story_b = (str(_item(store, x)["story_id"]) for x in (a, b))
    with store.transaction():
        _record(store, "merge", a, b, now)
        if story_a == story_b:
            return story_a
        created = dict(
            store.db.execute(
                f"select id, created_at from stories where id in ({_in([story_a, story_b])})", [story_a, story_b]
            ).fetchall()
        )
        keep, drop = sorted([story_a, story_b], key=lambda s: (created.get(s) or "", s))
        _join(store, keep, drop, now=now)
    return keep


def split(store: Store, item_id: str, *, now: datetime) -> str:
    """Take an item (and its exact copies) out of its story into a story of its own; remembered across rebuilds."""
    row = _item(store, item_id)
    old = str(row["story_id"])
    with store.transaction():
        _record(store, "split", row["id"], None, now)
        others = store.db.execute(
            "select count(*) from items where story_id = ? and id != ? and coalesce(duplicate_of, '') != ?",
            [old, row["id"], row["id"]],
        ).fetchone()[0]
        if not others:
            return old
        taken = {r[0] for r in store.db.execute("select id from stories")}
        new = _free_id(row["id"], taken)
        store.db.execute("update items set story_id = ? where id = ? or duplicate_of = ?", [new, row["id"], row["id"]])
        refresh_story(store, new, now=now)
        refresh_story(store, old, now=now)
    return new


def promote(store: Store, item_id: str, *, now: datetime) -> str:
    """Make an item its story's canonical one; a late variant becomes reviewable again."""
    row = _item(store, item_id)
    with store.transaction():
        _record(store, "promote", row["id"], None, now)
        store.db.execute(
            """update items set late_variant = 0, variant_of = null,
               status = case when status = 'duplicate' and duplicate_of is null then 'new' else status end where id = ?""",
            [row["id"]],
        )
        refresh_story(store, str(row["story_id"]), now=now)
    return str(row["story_id"])


# -- reading ---------------------------------------------------------------------------------------


def list_stories(store: Store, *, limit: int | None = None) -> list[dict[str, Any]]:
    """Stories newest first, each with its canonical item, member ids and kinds."""
    sql = "select id, canonical_item_id, title, created_at, updated_at from stories order by updated_at desc, id"
    if limit:
        sql += f" limit {int(limit)}"
    stories = _rows(store, sql)
    if not stories:
        return []
    ids = [s["id"] for s in stories]
    members: dict[str, list[dict[str, Any]]] = {}
    for row in _rows(
        store,
        f"select id, story_id, kind, status, late_variant from items where story_id in ({_in(ids)}) order by published_at, id",
        ids,
    ):
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
    row = store.db.execute("select id from stories where id = ?", [ref]).fetchone()
    story_id = str(row[0]) if row else str(_item(store, ref)["story_id"])
    story = _rows(store, "select * from stories where id = ?", [story_id])[0]
    items = _rows(
        store,
        """select id, source_id, kind, status, story_role, late_variant, variant_of, duplicate_of, published_at, title, url
           from items where story_id = ? order by story_role = 'canonical' desc, published_at, id""",
        [story_id],
    )
    return {"id": story_id, "canonical": story["canonical_item_id"], "title": story["title"], "items": items}
