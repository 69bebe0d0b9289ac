"""Which stored copy of an exact duplicate is canonical; merging a save's copies at once changes the database
exactly as merging them item by item did."""

from __future__ import annotations

import random
from collections.abc import Collection, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from worker.approvals import act
from worker.dedupe import Copy, DedupeConfig, canonical_copy
from worker.models import Item, ItemKind, RunStatus, Source, SourceResult
from worker.review import Request
from worker.schedule import SourceState
from worker.store import Actor, SaveOutcome, Store
from worker.stories import link_pending


def test_lower_rank_wins_even_when_later() -> None:
    trusted = Copy(id="zzz", rank=0, published_at="2023-07-07T09:00:00Z", fetched_at="2023-07-07T09:05:00Z")
    early = Copy(id="aaa", rank=2, published_at="2023-07-05T02:00:00Z", fetched_at="2023-07-05T02:01:00Z")
    assert canonical_copy([early, trusted]) == trusted


def test_same_rank_earliest_published_wins() -> None:
    late = Copy(id="a", rank=1, published_at="2023-07-07T09:00:00Z", fetched_at="2023-07-01T00:00:00Z")
    early = Copy(id="b", rank=1, published_at="2023-07-05T02:00:00Z", fetched_at="2023-07-09T00:00:00Z")
    assert canonical_copy([late, early]) == early


def test_same_published_earliest_fetched_wins() -> None:
    later = Copy(id="a", rank=1, published_at="2023-07-05T02:00:00Z", fetched_at="2023-07-06T00:00:00Z")
    sooner = Copy(id="b", rank=1, published_at="2023-07-05T02:00:00Z", fetched_at="2023-07-05T03:00:00Z")
    assert canonical_copy([later, sooner]) == sooner


def test_full_tie_lowest_id_wins() -> None:
    copies = [
        Copy(id=i, rank=0, published_at="2023-07-05T02:00:00Z", fetched_at="2023-07-05T03:00:00Z")
        for i in ("c3", "a1", "b2")
    ]
    assert canonical_copy(copies).id == "a1"


def test_single_copy_is_canonical() -> None:
    only = Copy(id="x", rank=3, published_at="2023-07-05T02:00:00Z", fetched_at="2023-07-05T03:00:00Z")
    assert canonical_copy([only]) is only


def test_no_copies_is_an_error() -> None:
    with pytest.raises(ValueError, match="no copies"):
        canonical_copy([])


stamps = st.integers(min_value=0, max_value=50).map(lambda d: f"2023-07-{1 + d % 28:02d}T{d % 24:02d}:00:00Z")
copies = st.lists(
    st.builds(
        Copy,
        id=st.text(alphabet="0123456789abcdef", min_size=4, max_size=4),
        rank=st.integers(min_value=0, max_value=4),
        published_at=stamps,
        fetched_at=stamps,
    ),
    min_size=1,
    max_size=8,
    unique_by=lambda c: c.id,
)


@given(copies, st.randoms())
def test_choice_ignores_order_and_no_copy_beats_it(group: list[Copy], rnd: random.Random) -> None:
    winner = canonical_copy(group)
    shuffled = list(group)
    rnd.shuffle(shuffled)
    assert canonical_copy(shuffled) == winner
    for other in group:
        assert winner.rank <= other.rank
        if other.rank == winner.rank:
            assert winner.published_at <= other.published_at
            if other.published_at == winner.published_at:
                assert winner.fetched_at <= other.fetched_at
                if other.fetched_at == winner.fetched_at:
                    assert winner.id <= other.id


# -- merging a save's exact copies at once decides as merging them item by item -----------------------------


class PerItemMerge(Store):
    """The store as it merged exact copies before batching: one group query and its writes per saved item.

    Kept here, and only here, as the reference the batched merge must match row for row.
    """

    def _new_items_without_copies(self, new_ids: list[str]) -> set[str]:
        if not new_ids:
            return set()
        marks = ",".join("?" * len(new_ids))
        shared = {
            row[0]
            for row in self.conn.execute(
                f"""select i.id from items i where i.id in ({marks}) and (
                      exists (select 1 from items o where o.url = i.url and o.id != i.id)
                      or exists (select 1 from items o where o.content_hash = i.content_hash and o.id != i.id)
                      or exists (select 1 from items o where o.duplicate_of = i.id)
                      or i.duplicate_of is not null)""",
                new_ids,
            )
        }
        return set(new_ids) - shared

    def _merge_exact(self, items: Sequence[Item], *, new_ids: Collection[str] = ()) -> list[str]:
        alone = self._new_items_without_copies(list(new_ids))
        merged: list[str] = []
        for item in items:
            if item.id not in alone:
                merged.extend(self._merge_one(item))
        return merged

    def _merge_one(self, item: Item) -> list[str]:
        rows = self._rows(
            """
                with seed as (
                  select id from items where url = :url or content_hash = :hash
                ), grp as (
                  select id from seed
                  union select duplicate_of from items where id in (select id from seed) and duplicate_of is not null
                  union select id from items where duplicate_of in (select id from seed)
                )
                select id, source_rank, published_at, fetched_at, status, duplicate_of, story_id
                from items where id in (select id from grp)
                """,
            {"url": item.url, "hash": item.content_hash},
        )
        if len(rows) <= 1:
            return []
        merged: list[str] = []
        winner = canonical_copy(
            [Copy(r["id"], r["source_rank"] or 0, r["published_at"] or "", r["fetched_at"] or "") for r in rows]
        )
        self._join_one(winner.id, [r["story_id"] for r in rows if r["story_id"]])
        for row in rows:
            if row["id"] == winner.id:
                if row["duplicate_of"]:
                    self.conn.execute(
                        "update items set duplicate_of = null, status = case when status = 'duplicate' then 'new' else status end where id = ?",
                        [row["id"]],
                    )
                continue
            if row["duplicate_of"] is None:
                merged.append(row["id"])
            self.conn.execute(
                "update items set duplicate_of = ?, status = case when status in ('new', 'duplicate') then 'duplicate' else status end where id = ?",
                [winner.id, row["id"]],
            )
        return merged

    def _join_one(self, canonical_item_id: str, story_ids: list[str]) -> str:
        stories = (
            (
                self._rows(
                    f"select id, created_at from stories where id in ({','.join('?' * len(story_ids))}) order by created_at, id",
                    story_ids,
                )
            )
            if story_ids
            else []
        )
        keep = stories[0]["id"] if stories else canonical_item_id
        for other in stories[1:]:
            self.conn.execute("update items set story_id = ? where story_id = ?", [keep, other["id"]])
            self.conn.execute("delete from stories where id = ?", [other["id"]])
        title = self.conn.execute("select title from items where id = ?", [canonical_item_id]).fetchone()[0]
        self.conn.execute(
            "update stories set canonical_item_id = ?, title = ? where id = ?", [canonical_item_id, title, keep]
        )
        self.conn.execute(
            """update items set story_role = case when id = :c then 'canonical' else 'variant' end
               where story_id = :s and story_role is not (case when id = :c then 'canonical' else 'variant' end)""",
            {"s": keep, "c": canonical_item_id},
        )
        return keep


NOW = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)
SOURCES = tuple(
    Source(id=f"nguon-{n}", name=name, kind="feed", url=f"http://127.0.0.1/nguon-{n}.xml", rank=n, every_seconds=1800)
    for n, name in enumerate(
        ["Công an tỉnh Thanh Hóa", "Cổng thông tin phường Hạc Thành", "Công an phường Quảng Phú", "UBND xã Đông Tiến"]
    )
)
# Pairs of retellings, so linking between saves puts items that are not copies of each other into one story.
TEXTS = [
    (
        "Cảnh báo thủ đoạn giả danh công an gọi điện lừa đảo",
        "Đối tượng tự xưng cán bộ công an phường gọi điện thông báo người dân liên quan đến một vụ án rửa tiền "
        "và yêu cầu chuyển toàn bộ tiền trong tài khoản để xác minh.",
    ),
    (
        "Cảnh giác với thủ đoạn giả danh công an gọi điện lừa đảo",
        "Đối tượng tự xưng cán bộ công an phường gọi điện thông báo người dân liên quan đến một vụ án rửa tiền "
        "rồi yêu cầu chuyển hết tiền trong tài khoản để phục vụ xác minh.",
    ),
    (
        "Lừa đảo tuyển cộng tác viên việc nhẹ lương cao trên mạng xã hội",
        "Nạn nhân được hứa hoa hồng mười đến mười lăm phần trăm cho mỗi đơn hàng ảo, sau đó bị yêu cầu nạp thêm "
        "tiền để rút được số tiền đã nạp.",
    ),
    (
        "Cảnh báo chiêu lừa tuyển cộng tác viên việc nhẹ lương cao",
        "Nạn nhân được hứa hoa hồng mười đến mười lăm phần trăm cho mỗi đơn hàng ảo, sau đó liên tục bị yêu cầu "
        "nạp thêm tiền để rút lại số tiền đã nạp.",
    ),
    (
        "Cảnh giác ứng dụng VNeID giả mạo chiếm quyền điều khiển điện thoại",
        "Kẻ gian gửi đường link cài ứng dụng VNeID giả mạo qua tin nhắn để chiếm quyền điều khiển điện thoại và "
        "chiếm đoạt tiền trong tài khoản ngân hàng.",
    ),
    (
        "Người dân phường Hạc Thành tố giác đường dây lừa đảo đầu tư tiền ảo",
        "Công an phường tiếp nhận đơn tố giác của nhiều người dân về một nhóm trên ứng dụng nhắn tin hứa lợi "
        "nhuận gấp đôi sau một tuần đầu tư tiền ảo.",
    ),
]
BASE = datetime(2026, 11, 28, 0, 0, tzinfo=UTC)

# One saved item: (guid number in its source, URL number, text number, edition, published hours after BASE).
# The same guid again is the same item again: re-saved unchanged, or changed when its text or edition differs.
# Editions of a text are not exact copies (another hash), but linking puts them into one story.
Plan = tuple[int, int, int, int, int]
planned_item = st.tuples(
    st.integers(0, 5), st.integers(0, 7), st.integers(0, len(TEXTS) - 1), st.integers(0, 2), st.integers(0, 3)
)
step = st.one_of(
    st.tuples(st.just("save"), st.integers(0, len(SOURCES) - 1), st.lists(planned_item, min_size=1, max_size=6)),
    st.tuples(st.just("review"), st.sampled_from(["approve", "reject", "hold"]), st.integers(0, 99)),
    st.tuples(st.just("link")),
    # Hand-made repairs: a story deleted under its items (copies then join no story), an item deleted while
    # copies still point at it (saved again, it is new and already has copies).
    st.tuples(st.sampled_from(["orphan", "forget"]), st.integers(0, 99)),
)


def _item(source: Source, plan: Plan, fetched_at: datetime) -> Item:
    guid, url, text, edition, published = plan
    title, body = TEXTS[text]
    if edition:
        title, body = f"{title} (cập nhật lần {edition})", f"{body} Cập nhật lần {edition}."
    return Item(
        id=f"{source.id}-{guid}",
        source_id=source.id,
        guid=f"{source.url}?p={guid}",
        url=f"https://congan.thanhhoa.gov.vn/tin-tuc/canh-bao-{url}",
        title=title,
        summary=body[:80],
        body_html=f"<p>{body}</p>",
        body_text=body,
        published_at=BASE + timedelta(hours=published),
        fetched_at=fetched_at,
        content_hash=f"sha256-{text}-{edition}",
        kind=ItemKind.WARNING,
    )


def _save(store: Store, number: int, source: Source, plans: list[Plan]) -> tuple[SourceResult, SaveOutcome]:
    now = NOW + timedelta(minutes=number)
    return store.save_run(
        source,
        SourceResult(source_id=source.id, status=RunStatus.OK, url=source.url),
        items=tuple(_item(source, plan, now) for plan in plans),
        state=SourceState(id=source.id),
        started_at=now,
        finished_at=now,
        http_status=200,
    )


def _apply(store: Store, number: int, step: tuple[Any, ...]) -> object:
    """One step on one store: what it returned, to compare with the other store's."""
    if step[0] == "save":
        return _save(store, number, SOURCES[step[1]], step[2])
    now = NOW + timedelta(minutes=number)
    if step[0] == "link":
        return link_pending(store, DedupeConfig(), now=now)
    ids = [row[0] for row in store.conn.execute("select id from items order by id")]
    if step[0] == "review":
        if not ids:
            return None
        request = Request(action=step[1], reviewer="lan", reason="Đã xác minh với Công an phường")
        outcome = act(store, [ids[step[2] % len(ids)]], request, actor=Actor("lan"), now=now)
        return [(c.item_id, c.to_status) for c in outcome.changes], outcome.refused
    if step[0] == "orphan" and ids:
        store.conn.execute(
            "delete from stories where id = (select story_id from items where id = ?)", [ids[step[1] % len(ids)]]
        )
    if step[0] == "forget" and ids:
        for table, column in (("link_queue", "item_id"), ("items", "id")):
            store.conn.execute(f"delete from {table} where {column} = ?", [ids[step[1] % len(ids)]])
    return None


def _tables(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    return {
        table: store.conn.execute(f"select * from {table} order by {order}").fetchall()
        for table, order in (("items", "id"), ("stories", "id"), ("link_queue", "rowid"))
    }


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(step, min_size=1, max_size=14))
# Rare paths, each found by breaking the batched merge on purpose and letting hypothesis shrink what broke it.
# A copy re-pointed earlier in the same save widens a later item's group:
@example(
    [("save", 1, [(0, 0, 2, 1, 0)]), ("save", 0, [(3, 0, 0, 0, 0), (0, 2, 2, 2, 0), (2, 1, 2, 1, 0), (1, 0, 2, 2, 0)])]
)
# ... and what a seed copies is read after that, too:
@example([("save", 0, [(0, 0, 0, 0, 0), (2, 0, 0, 0, 0)]), ("save", 0, [(0, 0, 0, 1, 0), (1, 1, 0, 1, 0)])])
# A copy that becomes canonical again (its re-saved rival now published later) is 'new' again:
@example([("save", 1, [(0, 0, 0, 0, 1), (1, 0, 0, 0, 0)]), ("save", 1, [(1, 0, 0, 1, 1)])])
# ... and when a later item of the same save makes it a copy once more, it is merged anew:
@example([("save", 1, [(0, 0, 0, 1, 0), (2, 0, 1, 0, 1)]), ("save", 1, [(0, 0, 0, 0, 1), (1, 1, 1, 0, 0)])])
# A story that joins an older one brings along the retelling linked into it, which is no copy of anything:
@example(
    [
        ("save", 0, [(0, 0, 0, 0, 0)]),
        ("save", 1, [(0, 2, 2, 0, 0), (1, 1, 2, 1, 0)]),
        ("link",),
        ("save", 0, [(0, 1, 0, 1, 0)]),
    ]
)
# When the copies' story is gone, the items still naming it (here a retelling no group reads) take their roles
# from the canonical copy all the same:
@example(
    [
        ("save", 1, [(0, 0, 0, 0, 0)]),
        ("save", 2, [(0, 0, 0, 0, 0)]),
        ("save", 0, [(0, 1, 0, 1, 0)]),
        ("link",),
        ("orphan", 0),
        ("save", 1, [(0, 0, 0, 2, 0)]),
    ]
)
# A canonical copy re-saved with content no other item has still leads its copies' group, and may lose it:
@example([("save", 1, [(0, 0, 0, 1, 0), (1, 0, 0, 1, 0)]), ("save", 1, [(0, 1, 0, 0, 0)])])
# An item deleted while a copy still points at it is, saved again, new and yet no group of one:
@example(
    [
        ("save", 1, [(0, 0, 0, 0, 0)]),
        ("save", 1, [(1, 0, 0, 0, 0), (2, 0, 0, 1, 0)]),
        ("forget", 0),
        ("forget", 0),
        ("save", 1, [(0, 1, 0, 0, 0)]),
    ]
)
def test_merging_a_save_at_once_leaves_the_tables_as_merging_item_by_item(steps: list[tuple[Any, ...]]) -> None:
    batched, per_item = Store.open(":memory:"), PerItemMerge.open(":memory:")
    for store in (batched, per_item):
        store.register_sources(SOURCES)
    for number, planned in enumerate(steps):
        assert _apply(batched, number, planned) == _apply(per_item, number, planned)
        assert _tables(batched) == _tables(per_item)
    batched.close()
    per_item.close()


def test_a_save_reads_its_copy_groups_in_one_query() -> None:
    store = Store.open(":memory:")
    store.register_sources(SOURCES)
    plans = [(n, n, n, 0, n % 4) for n in range(6)]
    _save(store, 0, SOURCES[1], plans)
    reads: list[str] = []
    store.conn.set_trace_callback(
        lambda sql: reads.append(sql) if sql.lstrip().startswith(("select", "with")) else None
    )
    # The trusted source brings a copy of every item: each group gets a new canonical copy.
    _final, outcome = _save(store, 1, SOURCES[0], plans)
    store.conn.set_trace_callback(None)
    assert outcome.duplicate_ids == tuple(f"nguon-1-{n}" for n in range(6))
    assert len(reads) == 3  # the save's stored ids, its copy groups, the link queue's last batch
    rows = store.conn.execute("select id, duplicate_of, status, story_id, story_role from items order by id").fetchall()
    assert rows == [
        *[(f"nguon-0-{n}", None, "new", f"nguon-1-{n}", "canonical") for n in range(6)],
        *[(f"nguon-1-{n}", f"nguon-0-{n}", "duplicate", f"nguon-1-{n}", "variant") for n in range(6)],
    ]
    assert store.conn.execute("select id, canonical_item_id from stories order by id").fetchall() == [
        (f"nguon-1-{n}", f"nguon-0-{n}") for n in range(6)
    ]
