"""Queues at national scale: class planning equals per-ward planning, unchanged wards are skipped, acks re-plan."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from worker.broadcast import QueueEntry, QueuePlan, plan
from worker.config import Config, load_config
from worker.models import Priority
from worker.publish.model import PublishedItem, PublishedPack, Snapshot
from worker.publish_config import SiteSettings
from worker.queues import (
    QueueResult,
    entry_from_row,
    first_day,
    gone_stories,
    published_stories,
    queue_files,
    refresh,
)
from worker.store import Store
from worker.wards import Ward, parse_wards

NOW = datetime(2023, 7, 10, 1, 0, tzinfo=UTC)  # 08:00 in Hà Nội, a Monday
WARDS = [
    # Same filter and slots under names of different lengths: classes split by frame reserve, not by name.
    {"id": "xa-a", "name": "Xã A", "kind": "xa", "slots": ["06:00/5m", "17:00/5m"]},
    {"id": "xa-b", "name": "Xã B", "kind": "xa", "slots": ["06:00/5m", "17:00/5m"]},
    {"id": "xa-c", "name": "Xã Cẩm Thủy Thượng", "kind": "xa", "slots": ["06:00/5m", "17:00/5m"]},
    {"id": "phuong-d", "name": "Phường D", "kind": "phuong", "slots": ["06:00/5m", "17:00/5m"]},
    {"id": "xa-e", "name": "Xã E", "kind": "xa", "slots": ["06:00/5m", "17:00/5m"], "quiet_days": ["sunday"]},
    {"id": "xa-f", "name": "Xã F", "kind": "xa", "slots": ["06:00/5m", "17:00/5m"], "daily_cap": 8},
    {"id": "xa-g", "name": "Xã G", "kind": "xa", "topics": ["lua-dao"], "slots": ["06:00/5m", "17:00/5m"]},
    {"id": "xa-h", "name": "Xã H", "kind": "xa", "topics": ["lua-dao"], "slots": ["06:00/5m", "17:00/5m"]},
    {"id": "xa-i", "name": "Xã I", "kind": "xa", "kinds": ["warning"], "slots": ["06:30/10m"]},
    {"id": "xa-j", "name": "Xã J", "kind": "xa", "slots": ["06:00/5m", "17:00/5m"]},
    {"id": "xa-k", "name": "Xã K", "kind": "xa", "slots": ["06:00/5m", "17:00/5m"]},
    {"id": "xa-l", "name": "Xã L", "kind": "xa", "slots": ["06:00/5m", "17:00/5m"]},
]


def _config(tmp_path: Path) -> Config:
    path = tmp_path / "sources.yaml"
    path.write_text(
        "timezone: Asia/Ho_Chi_Minh\ndb: loa.db\nsources: []\n"
        "topics:\n  - {id: lua-dao, name: Lừa đảo, keywords: [lừa đảo]}\n"
        "broadcast: {repeats: 2, spacing_days: 1, horizon_days: 4}\n",
        encoding="utf-8",
    )
    return load_config(path)


def _item(
    n: int, priority: Priority = Priority.NORMAL, *, topics: tuple[str, ...] = (), kind: str = "warning"
) -> PublishedItem:
    return PublishedItem(
        id=f"i{n}",
        story_id=f"s{n}",
        source_id="src",
        source_name="Nguồn",
        agency="Công an tỉnh",
        kind=kind,
        url=f"https://example.vn/{n}",
        title=f"Cảnh báo số {n}: thủ đoạn mới",
        summary=f"Bà con chú ý thủ đoạn số {n}, không chuyển tiền cho người lạ, gọi 113 khi cần." * (1 + n % 3),
        body_html="",
        published_at=NOW - timedelta(days=1),
        approved_at=NOW - timedelta(days=1),
        revision=1,
        priority=priority,
        topics=topics,
    )


def _snapshot(items: list[PublishedItem]) -> Snapshot:
    pack = PublishedPack(1, 1, "Số 1", 1, NOW - timedelta(days=1), NOW - timedelta(days=1), tuple(items))
    return Snapshot(site=SiteSettings(), packs=(pack,))


def reference(
    config: Config, store: Store, snapshot: Snapshot, wards: list[Ward], now: datetime
) -> dict[str, QueuePlan]:
    """Every ward planned on its own, as publish did before classes (read all rows, plan, no save)."""
    pairs = [(w, w.broadcast()) for w in wards if w.slots]
    views = [view for _w, view in pairs if view is not None]
    ids = {view.id for view in views}
    existing = [entry_from_row(row) for row in store.queue_rows() if row["ward"] in ids]
    live = published_stories(snapshot, wards)
    leaving = gone_stories(live, existing, {})
    expiries = store.story_expiries([s.text.id for s in leaving], now=now) if leaving else {}
    leaving = [
        replace(s, withdrawn=False, expires_at=expiries[s.text.id]) if s.text.id in expiries else s for s in leaving
    ]
    return {p.ward: p for p in plan(config, views, [*live, *leaving], existing, now)}


def _same_plans(result: QueueResult, expected: dict[str, QueuePlan], store: Store) -> None:
    """Planned wards got the reference plan; kept wards are those the reference would not change."""
    got = {p.ward: p for p in result.plans}
    assert set(got) | set(result.kept) == set(expected) and not set(got) & set(result.kept)
    stored = _rows(store)
    for ward, want in expected.items():
        if ward in result.kept:
            assert set(want.counts()) <= {"unplaced"}, ward
            assert sorted(want.entries, key=_key) == sorted(stored.get(ward, []), key=_key), ward
            continue
        assert got[ward].entries == want.entries, ward
        assert got[ward].counts() == want.counts(), ward


def _key(entry: QueueEntry) -> tuple[str, str, int, str]:
    return entry.date, entry.slot, entry.order, entry.id


def _rows(store: Store) -> dict[str, list[QueueEntry]]:
    out: dict[str, list[QueueEntry]] = {}
    for row in store.queue_rows():
        out.setdefault(row["ward"], []).append(entry_from_row(row))
    return out


def test_class_planning_equals_planning_each_ward(tmp_path: Path) -> None:
    config = _config(tmp_path)
    wards = list(parse_wards(WARDS))
    items = [
        _item(1, Priority.URGENT, topics=("lua-dao",)),
        _item(2),
        _item(3, Priority.HIGH, topics=("lua-dao",)),
        _item(4, kind="article"),
        _item(5),
        _item(6),
    ]
    store = Store.open(tmp_path / "loa.db")
    try:
        first = _snapshot(items)
        expected = reference(config, store, first, wards, NOW)
        one = refresh(config, store, first, wards, now=NOW, save=True)
        _same_plans(one, expected, store)
        assert len(one.classes) < len(one.wards)  # xa-a, xa-b and xa-j planned once
        assert {w: list(p.entries) for w, p in expected.items() if p.entries} == _rows(store)

        # The desk acks some entries (aired, skipped) in a few wards only; a story is withdrawn, another
        # arrives urgent, and the clock moves past the first slot: acked entries never move.
        rows = store.queue_rows()
        aired = next(r["id"] for r in rows if r["ward"] == "xa-b" and r["date"] == "2023-07-10")
        skipped = next(r["id"] for r in rows if r["ward"] == "xa-a" and r["date"] == "2023-07-11")
        with store.transaction():
            store.db.execute("update queue_entries set status = 'aired', acked_by = 'desk' where id = ?", [aired])
            store.db.execute("update queue_entries set status = 'skipped', acked_by = 'desk' where id = ?", [skipped])
        acked = {r["id"]: r for r in store.queue_rows() if r["id"] in (aired, skipped)}
        later = NOW + timedelta(hours=10)  # 18:00: both of today's slots have begun
        second = _snapshot([i for i in items if i.id != "i2"] + [_item(7, Priority.URGENT), _item(8)])
        expected = reference(config, store, second, wards, later)
        two = refresh(config, store, second, wards, now=later, save=True, previous=one.states)
        assert two.kept  # the topic wards saw no change
        assert max(len(c.members) for c in two.classes) >= 3  # xa-j, xa-k, xa-l: no acks, planned once
        _same_plans(two, expected, store)
        assert {w: list(p.entries) for w, p in expected.items() if p.entries} == _rows(store)
        for eid, row in acked.items():
            now_row = next(r for r in store.queue_rows() if r["id"] == eid)
            assert (now_row["date"], now_row["slot"], now_row["position"], now_row["status"]) == (
                row["date"],
                row["slot"],
                row["position"],
                row["status"],
            )
        # Files from a shared encoding are those of the ward's own plan.
        for ward_id, files, kept in queue_files(config, two, now=later):
            view = next(v for v in two.wards if v.id == ward_id)
            from worker.publish_queue import render_queue

            assert kept == ()  # no manifest listed: every slot script is rendered
            today = first_day(config, later)
            assert files == render_queue(view, expected[ward_id].entries, config.broadcast, today=today)
    finally:
        store.close()


def test_unchanged_wards_are_skipped_and_an_ack_replans_only_its_ward(tmp_path: Path) -> None:
    config = _config(tmp_path)
    wards = list(parse_wards(WARDS))
    snapshot = _snapshot([_item(1), _item(2, Priority.HIGH, topics=("lua-dao",))])
    store = Store.open(tmp_path / "loa.db")
    try:
        one = refresh(config, store, snapshot, wards, now=NOW, save=True)
        two = refresh(config, store, snapshot, wards, now=NOW + timedelta(minutes=5), save=True, previous=one.states)
        assert two.wards == () and sorted(two.kept) == sorted(w["id"] for w in WARDS)
        assert two.saved == {"inserted": 0, "updated": 0, "deleted": 0}
        assert two.as_json()["entries"] == one.as_json()["entries"]
        entry = next(r["id"] for r in store.queue_rows() if r["ward"] == "xa-c")
        with store.transaction():
            store.db.execute("update queue_entries set status = 'aired' where id = ?", [entry])
        three = refresh(config, store, snapshot, wards, now=NOW, save=True, previous=two.states)
        assert [v.id for v in three.wards] == ["xa-c"]
        # A missing file (as `present` reports it) or a new story re-plans too.
        four = refresh(
            config, store, snapshot, wards, now=NOW, save=True, previous=three.states, present=lambda w: w != "xa-a"
        )
        assert [v.id for v in four.wards] == ["xa-a"]
        article = _item(3, topics=("lua-dao",), kind="article")
        more = _snapshot([_item(1), _item(2, Priority.HIGH, topics=("lua-dao",)), article])
        five = refresh(config, store, more, wards, now=NOW, save=True, previous=four.states)
        assert five.kept == ("xa-i",)  # warnings only: the new article is not for it
    finally:
        store.close()


def test_ward_fingerprints_do_not_depend_on_the_hash_seed() -> None:
    """Quiet dates are a frozenset: printed unsorted, a ward with several would never be skipped."""
    import subprocess
    import sys

    code = (
        "from worker.config import parse_ward_broadcast; from worker.queues import _view_print; "
        "print(_view_print(parse_ward_broadcast({'id': 'x', 'name': 'X', 'kind': 'xa', 'slots': ['06:00/15m'], "
        "'quiet_days': ['2023-09-02', '2023-09-03', '2024-01-01', '2024-04-30', 'sunday', 'saturday']}, 'w')))"
    )
    prints = {
        subprocess.run(
            [sys.executable, "-c", code], env={"PYTHONHASHSEED": seed}, capture_output=True, text=True, check=True
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(prints) == 1


def test_same_slots_compares_what_each_slot_reads_and_the_printed_days() -> None:
    from worker.queues import entry_row, same_slots

    def entry(day: str, order: int, story: str, status: str = "queued", script: str = "") -> QueueEntry:
        text = script or f"Tin {story}."
        return QueueEntry(f"id-{story}", "w", day, "06:00", order, "thuong", story, "p", story, text, 5, status)

    old = [entry("2023-07-10", 1, "a"), entry("2023-07-10", 2, "b"), entry("2023-07-12", 1, "c")]
    rows = [entry_row(e) for e in old]
    grown = [*old, entry("2023-07-12", 2, "d")]
    assert same_slots(rows, grown, ("2023-07-10", "2023-07-11")) == ({("2023-07-10", "06:00")}, True)
    assert same_slots(rows, grown, ("2023-07-10", "2023-07-12")) == ({("2023-07-10", "06:00")}, False)
    assert same_slots(rows, grown, None) == ({("2023-07-10", "06:00")}, False)
    # A skipped entry is not read; an edited script or a new order is a change; a shared position never matches.
    skipped = [replace(old[1], status="skipped"), old[0], old[2]]
    assert same_slots(rows, skipped, None)[0] == {("2023-07-12", "06:00")}
    edited = [old[0], replace(old[1], script="Tin đã sửa."), old[2]]
    assert same_slots(rows, edited, None)[0] == {("2023-07-12", "06:00")}
    tied = [old[0], replace(old[1], order=1), old[2]]
    assert same_slots([entry_row(e) for e in tied], tied, None)[0] == {("2023-07-12", "06:00")}
    assert same_slots([], old, ("2023-07-13", "2023-07-14")) == (frozenset(), True)  # nothing printed either time


def test_a_remembered_frame_reserve_is_used_only_while_the_frame_is_unchanged(tmp_path: Path) -> None:
    from worker.broadcast import frame_reserve

    config = _config(tmp_path)
    wards = list(parse_wards(WARDS))
    store = Store.open(tmp_path / "loa.db")
    try:
        one = refresh(config, store, _snapshot([_item(1)]), wards, now=NOW, save=True)
        view = next(v for v in one.wards if v.id == "xa-c")
        assert one.states["xa-c"].reserve == frame_reserve(view, config.broadcast) > 0
        more = _snapshot([_item(1), _item(2)])
        # A remembered figure stands in for reading the intro and outro again (here a wrong one, to see it used).
        tampered = {w: replace(s, reserve=s.reserve + 600) for w, s in one.states.items()}
        used = refresh(config, store, more, wards, now=NOW, save=False, previous=tampered)
        assert used.plan_for("xa-c") != refresh(config, store, more, wards, now=NOW, save=False).plan_for("xa-c")
        # Another frame (here a name the manifest never saw) ignores it: the plan is the one computed afresh.
        renamed = {w: replace(s, frame="other") for w, s in tampered.items()}
        fresh = refresh(config, store, more, wards, now=NOW, save=False, previous=renamed)
        assert fresh.plan_for("xa-c") == refresh(config, store, more, wards, now=NOW, save=False).plan_for("xa-c")
    finally:
        store.close()


def test_same_days_tells_whether_every_row_lists_as_queue_json_did() -> None:
    from worker.queues import same_days

    def same_rows(old: list[dict[str, object]], new: list[dict[str, object]]) -> bool:
        return same_days(old, new)[1]

    rows = [
        {"id": f"e{n}", "date": "2023-07-10", "slot": "06:00", "position": n, "priority": "thuong", "story": f"s{n}",
         "pack": "p", "title": "T", "seconds": 5, "repeat": 0, "status": "queued", "script": "x", "aired_at": None}
        for n in (1, 2)
    ]  # fmt: skip
    assert same_rows(rows, list(reversed([{**r, "aired_at": "later"} for r in rows])))  # order and ack time aside
    assert not same_rows(rows, [rows[0], {**rows[1], "position": 3}])
    assert not same_rows(rows, [rows[0], {**rows[1], "status": "aired"}])
    assert not same_rows(rows, rows[:1])


def test_same_days_names_the_days_whose_rows_list_as_before() -> None:
    from worker.queues import same_days as both

    def same_days(old: list[dict[str, object]], new: list[dict[str, object]]) -> frozenset[str]:
        return both(old, new)[0]

    rows = [
        {"id": f"e{n}", "date": f"2023-07-1{n}", "slot": "06:00", "position": 1, "priority": "thuong", "story": f"s{n}",
         "pack": "p", "title": "T", "seconds": 5, "repeat": 0, "status": "queued", "script": "x", "aired_at": None}
        for n in (0, 1, 2)
    ]  # fmt: skip
    moved = {**rows[1], "slot": "17:00"}
    assert same_days(rows, [rows[0], moved, rows[2]]) == {"2023-07-10", "2023-07-12"}
    added = {**rows[2], "id": "e9", "story": "s9", "position": 2}
    assert same_days(rows, [*rows, added]) == {"2023-07-10", "2023-07-11"}  # a day with one more entry changed
    assert same_days(rows, rows[:2]) == {"2023-07-10", "2023-07-11"}  # the emptied day has no file to keep
    assert same_days(rows[:2], rows) == {"2023-07-10", "2023-07-11"}  # a new day has none either
    assert not both(rows, rows[:2])[1] and not both(rows[:2], rows)[1]  # a day gone or added changes queue.json
    assert same_days(rows, [{**r, "aired_at": "later", "script": "y"} for r in rows]) == {r["date"] for r in rows}
