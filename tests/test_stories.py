"""Story joins and refreshes read only each story's lead candidates; they must decide as all members would."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from worker.dedupe import Copy, Member, story_canonical
from worker.store import Store
from worker.stories import _join, refresh_story

NOW = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)

member = st.fixed_dictionaries(
    {
        "status": st.sampled_from(["new", "approved", "duplicate", "rejected", None]),
        "copy": st.booleans(),
        "source_rank": st.sampled_from([None, 0, 1, 2]),
        "published_at": st.sampled_from([None, "", "2026-11-29T01:00:00Z", "2026-11-30T00:00:00Z"]),
        "fetched_at": st.sampled_from([None, "2026-11-30T00:00:00Z", "2026-11-30T00:00:01Z"]),
    }
)
story = st.lists(member, min_size=1, max_size=8)


def _open() -> Store:
    store = Store.open(":memory:")
    store.db.table("sources").insert({"id": "s", "name": "s", "kind": "feed", "url": "http://127.0.0.1/", "rank": 0})
    return store


def _insert(store: Store, story_id: str, members: list[dict[str, Any]], *, promote: set[int]) -> list[str]:
    ids = [f"{story_id}{n}" for n in range(len(members))]
    for item_id, m in zip(ids, members, strict=True):
        store.db.table("items").insert(
            {
                "id": item_id,
                "source_id": "s",
                "guid": item_id,
                "url": f"https://example.gov.vn/{item_id}",
                "title": f"tin {item_id}",
                "content_hash": item_id,
                "kind": "text",
                "status": m["status"],
                "duplicate_of": ids[0] if m["copy"] and item_id != ids[0] else None,
                "source_rank": m["source_rank"],
                "published_at": m["published_at"],
                "fetched_at": m["fetched_at"],
                "story_id": story_id,
                "story_role": "canonical" if item_id == ids[0] else "variant",
            }
        )
    store.db.table("stories").insert({"id": story_id, "canonical_item_id": ids[0], "title": f"tin {ids[0]}"})
    for n in sorted(promote):
        if n < len(ids):
            store.record_story_override("promote", ids[n], None, now=NOW)
    return ids


def _expected(store: Store, story_id: str) -> str:
    """The decision over every member, as refresh_story made it before reading only lead candidates."""
    rows = list(store.db.query("select * from items where story_id = ?", [story_id]))
    ids = [r["id"] for r in rows]
    promoted = store.db.execute(
        f"select item_id from story_overrides where action = 'promote' and item_id in ({','.join('?' * len(ids))}) "
        "order by id desc limit 1",
        ids,
    ).fetchone()
    members = [
        Member(
            Copy(r["id"], r["source_rank"] or 0, r["published_at"] or "", r["fetched_at"] or ""),
            r["status"] or "",
            bool(r["duplicate_of"]),
        )
        for r in rows
    ]
    return story_canonical(members, promoted[0] if promoted else None)


def _check(store: Store, story_id: str) -> None:
    canonical = store.story_canonical_id(story_id)
    assert canonical == _expected(store, story_id)
    roles = dict(store.db.execute("select id, story_role from items where story_id = ?", [story_id]).fetchall())
    assert roles == {i: "canonical" if i == canonical else "variant" for i in roles}
    title = store.db.execute("select title from stories where id = ?", [story_id]).fetchone()[0]
    assert title == f"tin {canonical}"


@settings(max_examples=60, deadline=None)
@given(story, st.sets(st.integers(0, 7), max_size=2))
def test_refresh_picks_what_every_member_would(members: list[dict[str, Any]], promote: set[int]) -> None:
    store = _open()
    _insert(store, "a", members, promote=promote)
    refresh_story(store, "a", now=NOW)
    _check(store, "a")


@settings(max_examples=80, deadline=None)
@given(story, story, st.sets(st.integers(0, 7), max_size=1), st.booleans())
def test_join_decides_as_a_refresh_of_every_member(
    target: list[dict[str, Any]], joining: list[dict[str, Any]], promote: set[int], refreshed: bool
) -> None:
    store = _open()
    _insert(store, "a", target, promote=promote)
    newcomer = _insert(store, "b", joining, promote=set())[0]
    if refreshed:
        refresh_story(store, "a", now=NOW)
    approved = any(m["status"] == "approved" for m in target)
    _join(store, "a", "b", now=NOW, newcomer=newcomer)
    late = store.db.execute("select late_variant from items where id = ?", [newcomer]).fetchone()[0]
    assert bool(late) == approved  # wards already heard the story: the newcomer is a late variant
    assert store.db.execute("select count(*) from items where story_id = 'b'").fetchone()[0] == 0
    assert not store.has_story("b")
    _check(store, "a")


@settings(max_examples=60, deadline=None)
@given(story, st.lists(story, min_size=1, max_size=4))
def test_joins_sharing_lead_candidates_decide_as_refreshes(target: list[dict[str, Any]], others: list[Any]) -> None:
    store = _open()
    _insert(store, "a", target, promote=set())
    leads: dict[str, Any] = {}
    for n, members in enumerate(others):
        newcomer = _insert(store, f"n{n}x", members, promote=set())[0]
        _join(store, "a", f"n{n}x", now=NOW, newcomer=newcomer, leads=leads)
        _check(store, "a")
