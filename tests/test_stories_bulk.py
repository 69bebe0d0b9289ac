"""Bulk linking of a source's new items decides exactly as linking them one by one, in the same order;
linking later from the queue sync fills (`link_pending`) decides exactly as linking at save time."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from worker.dedupe import DedupeConfig
from worker.store import Store
from worker.stories import link_items, link_pending
from worker.story_index import RunMemo

NOW = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)
CONFIG = DedupeConfig()
LABELLED = [
    json.loads(line)
    for line in (Path(__file__).parent / "fixtures" / "dedupe" / "labelled.jsonl")
    .read_text(encoding="utf-8")
    .splitlines()
    if line.strip()
]
TABLES = {
    "items": "id, story_id, story_role, status, late_variant, variant_of",
    "stories": "id, canonical_item_id, title, created_at, updated_at",
    "item_signatures": "item_id, shingles, minhash, fingerprint, terms, rare",
    "lsh_bands": "key, item_id",
    "term_postings": "term, item_id",
    "term_df": "term, df",
}

# One planned item: which labelled text, and how it arrives.
planned = st.fixed_dictionaries(
    {
        "text": st.integers(0, len(LABELLED) - 1),
        "copy_of": st.none() | st.integers(0, 40),  # an exact copy of an earlier planned item
        "status": st.sampled_from(["new", "new", "new", "approved"]),
        "pinned": st.integers(0, 9).map(lambda n: n == 0),  # a reviewer split it out earlier
    }
)


def _item(n: int, plan: dict[str, Any], ids: list[str]) -> dict[str, Any]:
    row = LABELLED[plan["text"]]
    item_id = f"i{n:03d}"
    copy_of = ids[plan["copy_of"]] if plan["copy_of"] is not None and plan["copy_of"] < len(ids) else None
    return {
        "id": item_id,
        "source_id": "s",
        "guid": item_id,
        "url": f"https://example.gov.vn/{item_id}",
        "title": row["title"],
        "summary": row.get("summary") or "",
        "body_text": row.get("body") or "",
        "content_hash": item_id,
        "kind": "text",
        "status": plan["status"],
        "duplicate_of": copy_of,
        "source_rank": n % 3,
        "published_at": row.get("published_at") or "",
        "fetched_at": f"2026-11-30T00:{n // 60:02d}:{n % 60:02d}Z",
        "story_id": item_id,
        "story_role": "canonical",
    }


def _build(
    plans: list[dict[str, Any]], batches: list[int], *, bulk: bool, later: bool = False
) -> dict[str, list[tuple[Any, ...]]]:
    """Store the planned items in batches (one per source) and link each batch as it is saved, or, with
    `later`, queue each batch as sync does and link them all afterwards with `link_pending`."""
    store = _saved(plans, batches, bulk=bulk, later=later)
    if later:
        assert link_pending(store, CONFIG, now=NOW).items == len(plans)
        assert store.pending_links() == 0
    return _tables(store)


def _tables(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    return {t: store.db.execute(f"select {c} from {t} order by {c}").fetchall() for t, c in TABLES.items()}


def _saved(plans: list[dict[str, Any]], batches: list[int], *, bulk: bool, later: bool) -> Store:
    store = Store.open(":memory:")
    store.db.table("sources").insert({"id": "s", "name": "s", "kind": "feed", "url": "http://127.0.0.1/", "rank": 0})
    ids: list[str] = []
    memo = RunMemo()
    start = 0
    for size in [*batches, len(plans)]:
        batch = list(range(start, min(len(plans), start + max(size, 1))))
        if not batch:
            break
        start = batch[-1] + 1
        new_ids = []
        with store.transaction():
            for n in batch:
                row = _item(n, plans[n], ids)
                ids.append(row["id"])
                new_ids.append(row["id"])
                if row["duplicate_of"]:
                    # As the store merges exact copies: every copy points at the group's canonical copy,
                    # never at another copy (a chain would hide a story's members from `has_other_members`).
                    canonical = store.db.execute(
                        "select coalesce(duplicate_of, id), story_id from items where id = ?", [row["duplicate_of"]]
                    ).fetchone()
                    row["duplicate_of"], row["story_id"] = canonical
                    row["story_role"] = "variant"
                else:
                    store.db.table("stories").insert(
                        {"id": row["id"], "canonical_item_id": row["id"], "title": row["title"]}, pk="id"
                    )
                store.db.table("items").insert(row)
                if plans[n]["pinned"]:
                    store.record_story_override("split", row["id"], None, now=NOW)
            if later:
                store.queue_links(tuple(new_ids))
            else:
                link_items(store, tuple(new_ids), CONFIG, now=NOW, memo=memo if bulk else None, bulk=bulk)
    return store


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(planned, min_size=1, max_size=40), st.lists(st.integers(1, 15), max_size=4))
def test_bulk_linking_equals_per_item_linking(plans: list[dict[str, Any]], batches: list[int]) -> None:
    assert _build(plans, batches, bulk=True) == _build(plans, batches, bulk=False)


def test_bulk_linking_joins_retold_and_near_duplicate_stories() -> None:
    # Every labelled story's items, interleaved and in batches: many joins, both rules, stories across batches.
    plans = [{"text": n, "copy_of": None, "status": "new", "pinned": False} for n in range(0, 120)]
    bulk = _build(plans, [7, 30, 13, 50], bulk=True)
    assert bulk == _build(plans, [7, 30, 13, 50], bulk=False)
    stories = {story for _, story, *_ in bulk["items"]}
    assert 1 < len(stories) < len(plans)  # some items joined stories, not all into one


def test_a_big_batch_is_linked_in_parts_with_the_same_decisions(monkeypatch: Any) -> None:
    import worker.stories

    monkeypatch.setattr(worker.stories, "BATCH_ITEMS", 4)
    plans = [
        {"text": n, "copy_of": n - 3 if n % 11 == 5 else None, "status": "new", "pinned": False} for n in range(60)
    ]
    assert _build(plans, [45], bulk=True) == _build(plans, [45], bulk=False)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(planned, min_size=1, max_size=40), st.lists(st.integers(1, 15), max_size=4))
def test_linking_the_queue_later_equals_linking_at_save_time(plans: list[dict[str, Any]], batches: list[int]) -> None:
    assert _build(plans, batches, bulk=True, later=True) == _build(plans, batches, bulk=True)


def test_linking_killed_between_batches_resumes_with_the_same_result(monkeypatch: Any) -> None:
    import worker.stories

    plans = [{"text": n, "copy_of": None, "status": "new", "pinned": False} for n in range(0, 50)]
    store = _saved(plans, [10, 10, 10, 10], bulk=True, later=True)
    calls = 0
    real = worker.stories.link_items

    def dies_on_the_third_batch(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise KeyboardInterrupt  # as a kill: that batch's transaction never commits
        return real(*args, **kwargs)

    monkeypatch.setattr(worker.stories, "link_items", dies_on_the_third_batch)
    with pytest.raises(KeyboardInterrupt):
        link_pending(store, CONFIG, now=NOW)
    assert store.pending_links() == 30  # two batches linked and off the queue, three still on it
    assert store.db.execute("select count(*) from item_signatures").fetchone()[0] == 20
    monkeypatch.setattr(worker.stories, "link_items", real)
    assert link_pending(store, CONFIG, now=NOW).items == 30
    assert _tables(store) == _build(plans, [10, 10, 10, 10], bulk=True)


def test_a_copy_saved_after_its_original_became_a_late_variant_is_marked_either_way() -> None:
    """i001 retells approved i000 and is linked as its late variant; i002, an exact copy of i001, is saved in the
    next batch. Linked at save time, the copy arrives after the mark; linked later, it is moved along when
    i001 joins. Either way it ends marked as the variant's copies are (found by hypothesis above)."""
    plans = [
        {"text": 1, "copy_of": None, "status": "approved", "pinned": True},
        {"text": 1, "copy_of": None, "status": "new", "pinned": False},
        {"text": 0, "copy_of": 1, "status": "new", "pinned": False},
    ]
    later = _build(plans, [2], bulk=True, later=True)
    assert later == _build(plans, [2], bulk=True) == _build(plans, [2], bulk=False)
    copy = next(row for row in later["items"] if row[0] == "i002")
    assert copy == ("i002", "i000", "variant", "duplicate", 1, "i000")
