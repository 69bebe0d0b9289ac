"""Queues at publish: queue_entries and outputs/queues, idempotency, kill -9 recovery, withdrawal, expiry, acks, filters."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.cli_support import loa_importtime
from tests.publish_support import tree
from tests.queue_support import (
    NOW,
    SLOTTED,
    ack,
    invoke,
    listed_entries,
    publish,
    queue_env,
    queue_json,
    rows,
    story_of,
)
from worker.broadcast import entry_id
from worker.config import load_config
from worker.models import Priority
from worker.publish.model import PublishedItem, PublishedPack, Snapshot
from worker.publish_config import SiteSettings
from worker.queues import published_stories, refresh
from worker.store import Store
from worker.wards import parse_wards

ROOT = Path(__file__).resolve().parent.parent
Site = tuple[Path, object]


def consistent(env_folder: Path) -> list[dict[str, object]]:
    """Every ward's day files list exactly its rows in the database, with their status; no duplicates; no temp files."""
    store = Store.open(env_folder / "loa.db")
    try:
        stored = store.queue_rows()
    finally:
        store.close()
    keys = [(r["ward"], r["story"], r["repeat"]) for r in stored]
    assert len(keys) == len(set(keys))
    assert all(r["id"] == entry_id(r["ward"], r["story"], r["repeat"]) for r in stored)
    out = env_folder / "out"
    for ward in {r["ward"] for r in stored}:
        listed = listed_entries(out / "queues" / ward)
        mine = [r for r in stored if r["ward"] == ward]
        assert sorted((e["id"], e["date"], e["slot"], e["order"], e["status"]) for e in listed) == sorted(
            (r["id"], r["date"], r["slot"], r["position"], r["status"]) for r in mine
        )
    assert not list(out.rglob("*.tmp"))
    return stored


def test_publish_fills_queue_entries_and_writes_each_wards_folder(tmp_path: Path, site: Site) -> None:
    env = queue_env(tmp_path, site)  # type: ignore[arg-type]
    report = publish(env)
    assert report["queues"]["wards"] == 3 and report["queues"]["added"] == report["queues"]["entries"] > 0
    stored = consistent(tmp_path)
    out = tmp_path / "out" / "queues"
    assert sorted(p.name for p in out.iterdir()) == sorted(SLOTTED)  # phuong-lam-son has no slots, so no queue
    empty = (out / "xa-hoang-dai" / "index.html").read_text(encoding="utf-8")
    assert "Không có bản tin nào trong những ngày này" in empty and queue_json(env, "xa-hoang-dai") == []
    ham_rong = [r for r in stored if r["ward"] == "phuong-ham-rong"]
    assert {r["story"] for r in ham_rong} == {story_of(env, g) for g in ("cb-1", "cb-2", "cb-3")}
    assert {r["repeat"] for r in ham_rong} == {0, 1}  # broadcast.repeats defaults to 2
    assert "2023-07-16" not in {r["date"] for r in ham_rong}  # quiet on Sundays
    first = queue_json(env, "phuong-ham-rong")[0]
    assert {"id", "date", "slot", "order", "priority", "story", "pack", "title", "seconds", "status"} <= set(first)
    assert "script" not in first  # the slot's .txt carries the text
    assert first["pack"] == "so-1" and first["status"] == "queued"
    scripts = sorted(p.name for p in (out / "phuong-ham-rong").glob("*.txt"))
    assert scripts == sorted({f"{r['date']}_{str(r['slot']).replace(':', '')}.txt" for r in ham_rong})
    text = (out / "phuong-ham-rong" / scripts[0]).read_text(encoding="utf-8")
    assert "Thời lượng ước tính" in text and "[0:00] Mở đầu" in text
    page = (out / "phuong-ham-rong" / "index.html").read_text(encoding="utf-8")
    assert "size: A4" in page and "Phường Hàm Rồng" in page


def test_ward_topics_and_kinds_filter_what_a_ward_airs(tmp_path: Path, site: Site) -> None:
    env = queue_env(tmp_path, site)  # type: ignore[arg-type]
    publish(env)
    stored = rows(env)
    # Điện Biên takes gia-danh-cong-an only (cb-1); Hoằng Đại takes videos only, and the feed has none.
    assert {r["story"] for r in stored if r["ward"] == "phuong-dien-bien"} == {story_of(env, "cb-1")}
    assert not [r for r in stored if r["ward"] == "xa-hoang-dai"]
    assert {r["priority"] for r in stored if r["ward"] == "phuong-dien-bien"} == {Priority.URGENT.value}


def test_republishing_changes_nothing(tmp_path: Path, site: Site) -> None:
    env = queue_env(tmp_path, site)  # type: ignore[arg-type]
    publish(env)
    before_rows = rows(env)
    before = tree(tmp_path / "out")
    again = publish(env)
    later = publish(env, now="2023-07-10T20:00:00+07:00")
    assert again["written"] == [] and later["written"] == [] and later["removed"] == []
    assert again["queues"]["saved"] == later["queues"]["saved"] == {"inserted": 0, "updated": 0, "deleted": 0}
    assert rows(env) == before_rows
    assert tree(tmp_path / "out") == before  # same bytes, same mtimes


def test_never_unapproved_in_queue_entries_or_queues(tmp_path: Path, site: Site) -> None:
    from tests.review_support import ITEMS, rss

    env = queue_env(tmp_path, site)  # type: ignore[arg-type]
    root, server = site
    changed = [(g, (t + " BẢN CHƯA DUYỆT") if g == "cb-2" else t, s, d) for g, t, s, d in ITEMS]
    (root / "feed.xml").write_text(rss(changed, server.url), encoding="utf-8")  # type: ignore[attr-defined]
    assert env.run("sync", "--force").exit_code == 0
    publish(env)
    store = env.store()
    try:
        approved = {r["story_id"] for r in store.approved_rows()}
    finally:
        store.close()
    stored = rows(env)
    assert stored and {r["story"] for r in stored} <= approved
    for guid in ("cb-4", "cb-5"):  # rejected and held by the rules
        assert story_of(env, guid) not in {r["story"] for r in stored}
    text = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "out" / "queues").rglob("*.*"))
    assert "BẢN CHƯA DUYỆT" not in text and "sim số đẹp" not in text and "cắt điện" not in text


def test_withdrawal_pulls_entries_from_unaired_slots_only(tmp_path: Path, site: Site) -> None:
    env = queue_env(tmp_path, site)  # type: ignore[arg-type]
    publish(env, now="2023-07-10T05:00:00+07:00")
    story = story_of(env, "cb-1")
    mine = sorted((r for r in rows(env) if r["story"] == story), key=lambda r: (r["date"], r["slot"]))
    first_airing = next(r for r in mine if r["ward"] == "phuong-dien-bien")
    assert (first_airing["date"], first_airing["slot"]) == ("2023-07-10", "06:00")
    assert env.run("withdraw", env.item_id("cb-1"), "--reason", "Nguồn gỡ bài").exit_code == 0
    report = publish(env, now="2023-07-10T12:00:00+07:00")
    assert report["queues"]["removed"] == len(mine) - 2  # both wards' 06:xx slots today have begun
    left = [r for r in rows(env) if r["story"] == story]
    assert sorted((r["ward"], r["date"], r["slot"]) for r in left) == [
        ("phuong-dien-bien", "2023-07-10", "06:00"),
        ("phuong-ham-rong", "2023-07-10", "06:30"),
    ]
    consistent(tmp_path)
    title = "Cảnh báo thủ đoạn giả danh công an"
    future = [p for p in (tmp_path / "out" / "queues").rglob("*.txt") if p.name > "2023-07-10_1200"]
    assert future and not any(title.lower() in p.read_text(encoding="utf-8").lower() for p in future)


def test_a_day_that_empties_loses_its_day_file(tmp_path: Path, site: Site) -> None:
    env = queue_env(tmp_path, site)  # type: ignore[arg-type]
    publish(env, now="2023-07-10T05:00:00+07:00")
    folder = tmp_path / "out" / "queues" / "phuong-ham-rong"
    assert sorted(p.name for p in folder.glob("*.json")) == ["2023-07-10.json", "2023-07-12.json", "queue.json"]
    for guid in ("cb-1", "cb-2", "cb-3"):
        assert env.run("withdraw", env.item_id(guid), "--reason", "Nguồn gỡ bài").exit_code == 0
    report = publish(env, now="2023-07-10T05:10:00+07:00")  # before any slot: every entry leaves
    assert "queues/phuong-ham-rong/2023-07-12.json" in report["removed"]
    assert [p.name for p in folder.glob("*.json")] == ["queue.json"]
    assert json.loads((folder / "queue.json").read_text(encoding="utf-8")) == {"ward": "phuong-ham-rong", "days": []}
    consistent(tmp_path)


def test_expired_story_leaves_the_slots_after_it_expires(tmp_path: Path, site: Site) -> None:
    env = queue_env(tmp_path, site)  # type: ignore[arg-type]
    publish(env)
    story = story_of(env, "cb-3")
    assert len([r for r in rows(env) if r["story"] == story]) == 2
    store = env.store()
    try:
        store.db.execute("update items set expires_at = '2023-07-11T01:00:00Z' where id = ?", [env.item_id("cb-3")])
    finally:
        store.close()
    report = publish(env, now="2023-07-11T09:00:00+07:00")
    assert report["queues"]["removed"] >= 1
    left = [r for r in rows(env) if r["story"] == story]
    assert all(r["date"] <= "2023-07-11" for r in left)  # only the slot that had begun stays
    consistent(tmp_path)


def test_acked_entries_are_facts_and_queue_json_shows_their_status(tmp_path: Path, site: Site) -> None:
    env = queue_env(tmp_path, site)  # type: ignore[arg-type]
    publish(env, now="2023-07-10T05:00:00+07:00")
    first = {r["id"]: r for r in rows(env) if (r["date"], r["slot"]) == ("2023-07-10", "06:30")}
    aired, skipped = sorted(first)[:2]
    ack(env, aired, "aired")
    ack(env, skipped, "skipped")
    # Withdraw the aired story and add an urgent one: neither may move or remove an acked entry.
    story = first[aired]["story"]
    item = next(g for g in ("cb-1", "cb-2", "cb-3") if story_of(env, g) == story)
    assert env.run("withdraw", env.item_id(item), "--reason", "x").exit_code == 0
    publish(env, now="2023-07-10T06:00:00+07:00")
    after = {r["id"]: r for r in rows(env)}
    for eid, status in ((aired, "aired"), (skipped, "skipped")):
        row = after[eid]
        assert (row["date"], row["slot"], row["position"], row["status"], row["acked_by"]) == (
            first[eid]["date"],
            first[eid]["slot"],
            first[eid]["position"],
            status,
            "desk",
        )
    statuses = {e["id"]: e["status"] for e in queue_json(env, "phuong-ham-rong")}
    assert statuses[aired] == "aired" and statuses[skipped] == "skipped"
    consistent(tmp_path)


def test_a_story_in_two_packs_and_a_late_variant_air_once_per_repeat(tmp_path: Path) -> None:
    config_path = tmp_path / "sources.yaml"
    config_path.write_text(
        "timezone: Asia/Ho_Chi_Minh\ndb: loa.db\nsources: []\n"
        'wards:\n  - {id: p, name: "Phường P", kind: phuong, slots: ["06:00/15m"]}\n',
        encoding="utf-8",
    )
    config = load_config(config_path)
    wards = parse_wards([{"id": "p", "name": "Phường P", "kind": "phuong", "slots": ["06:00/15m"]}])
    now = datetime(2023, 7, 10, 1, 0, tzinfo=UTC)

    def item(item_id: str, title: str) -> PublishedItem:
        return PublishedItem(
            id=item_id,
            story_id="story-1",
            source_id="s",
            source_name="Nguồn",
            agency="Cục An toàn thông tin",
            kind="warning",
            url=f"https://example.vn/{item_id}",
            title=title,
            summary="Bà con không chuyển tiền cho người lạ.",
            body_html="",
            published_at=now,
            approved_at=now,
            revision=1,
            priority=Priority.NORMAL,
        )

    def pack(number: int, *items: PublishedItem) -> PublishedPack:
        return PublishedPack(number, number, f"Số {number}", 1, now, now, items)

    first = Snapshot(site=SiteSettings(), packs=(pack(2, item("b", "Bản sau")), pack(1, item("a", "Bản đầu"))))
    assert [s.pack for s in published_stories(first, wards)] == ["so-1"]
    store = Store.open(tmp_path / "loa.db")
    try:
        one = refresh(config, store, first, wards, now=now, save=True)
        assert one.saved["inserted"] == 2  # two repeats, though the story is in two packs
        late = Snapshot(site=SiteSettings(), packs=(pack(3, item("c", "Biến thể muộn")), *first.packs))
        two = refresh(config, store, late, wards, now=now, save=True)
        assert two.saved == {"inserted": 0, "updated": 0, "deleted": 0}
        assert [r["id"] for r in store.queue_rows()] == [r.id for r in one.plans[0].entries]
    finally:
        store.close()


# -- kill -9 during publish ------------------------------------------------------------------------


def _publish_process(env_config: Path, **extra: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "LOA_CONFIG": str(env_config), "LOA_NOW": NOW, **extra}
    return subprocess.Popen(
        [sys.executable, str(ROOT / "cli.py"), "publish"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_killed_after_saving_queues_then_rerun_is_consistent(tmp_path: Path, site: Site) -> None:
    env = queue_env(tmp_path, site)  # type: ignore[arg-type]
    for point in ("queues-saved", "replacing"):
        process = _publish_process(env.config, LOA_CRASH_AT=point)
        assert process.wait() == -signal.SIGKILL
    saved = rows(env)
    assert saved  # the transaction committed before the crash
    publish(env)
    after = consistent(tmp_path)
    assert [r["id"] for r in after] == [r["id"] for r in saved]
    again = publish(env)
    assert again["written"] == [] and again["queues"]["saved"]["inserted"] == 0


def test_killed_mid_publish_from_outside_then_rerun_is_consistent(tmp_path: Path, site: Site) -> None:
    many = "".join(
        f'  - {{id: phuong-{n:03d}, name: "Phường {n}", kind: phuong, slots: ["06:00/15m", "17:00/30m"]}}\n'
        for n in range(120)
    )
    env = queue_env(tmp_path, site)  # type: ignore[arg-type]
    text = env.config.read_text(encoding="utf-8").replace("outputs: out\n", "outputs: out\n", 1)
    env.config.write_text(text.replace("wards:\n", "wards:\n" + many, 1), encoding="utf-8")
    process = _publish_process(env.config)
    # Kill as soon as the plan is in the database (or whenever the process gets there first).
    while process.poll() is None and not (tmp_path / "loa.db").exists():
        pass
    while process.poll() is None:
        store = Store.open(tmp_path / "loa.db", migrate=False)
        try:
            found = store.db.table("queue_entries").exists() and store.db.table("queue_entries").count > 0
        finally:
            store.close()
        if found:
            process.send_signal(signal.SIGKILL)
            break
    process.wait()  # killed (-9) in practice; had it finished first, the checks below hold all the same
    publish(env)
    stored = consistent(tmp_path)
    assert len({r["ward"] for r in stored}) == 122
    assert publish(env)["queues"]["saved"] == {"inserted": 0, "updated": 0, "deleted": 0}


def test_loa_run_refreshes_queues(tmp_path: Path, site: Site) -> None:
    env = queue_env(tmp_path, site)  # type: ignore[arg-type]
    result = json.loads(invoke(env, "run", "--json").output)
    assert result["publish"]["queues"]["entries"] == len(rows(env)) > 0
    assert (tmp_path / "out" / "queues" / "phuong-ham-rong" / "queue.json").is_file()


def test_a_kill_after_a_skipping_publish_is_caught_up(tmp_path: Path, site: Site) -> None:
    """Fingerprints are written last: a publish killed after saving new rows leaves them stale, so nothing is skipped."""
    env = queue_env(tmp_path, site)  # type: ignore[arg-type]
    publish(env, now="2023-07-10T05:00:00+07:00")
    assert env.run("withdraw", env.item_id("cb-2"), "--reason", "Nguồn gỡ bài").exit_code == 0
    for point in ("queues-saved", "replacing"):
        process = _publish_process(env.config, LOA_CRASH_AT=point)
        assert process.wait() == -signal.SIGKILL
    report = publish(env)
    consistent(tmp_path)
    assert story_of(env, "cb-2") not in {r["story"] for r in rows(env) if r["date"] > "2023-07-10"}
    assert report["queues"]["saved"] == {"inserted": 0, "updated": 0, "deleted": 0}  # the killed run saved them
    assert publish(env)["written"] == []


def test_after_a_kill_with_every_shape_unknown_rows_are_read_a_few_wards_at_a_time(
    tmp_path: Path, site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A publish killed after saving its rows moves every ward's token: the next one learns each ward's shape from
    its rows, reading them a few wards at a time (all at once took 5 GB at 3,321 wards), then its leaders' rows."""
    import worker.queues as queues

    many = "".join(
        f'  - {{id: phuong-{n:03d}, name: "Phường {n}", kind: phuong, slots: ["06:00/15m", "17:00/30m"]}}\n'
        for n in range(30)
    )
    env = queue_env(tmp_path, site)  # type: ignore[arg-type]
    env.config.write_text(env.config.read_text(encoding="utf-8").replace("wards:\n", "wards:\n" + many, 1), "utf-8")
    publish(env, now="2023-07-10T05:00:00+07:00")
    assert env.run("withdraw", env.item_id("cb-2"), "--reason", "Nguồn gỡ bài").exit_code == 0
    assert _publish_process(env.config, LOA_CRASH_AT="queues-saved").wait() == -signal.SIGKILL

    reads: list[list[str]] = []
    real = Store.queue_rows_of

    def queue_rows_of(store: Store, wards: list[str]) -> dict[str, list[dict[str, Any]]]:
        reads.append(list(wards))
        return real(store, wards)

    monkeypatch.setattr(queues, "SHAPE_CHUNK", 7)
    monkeypatch.setattr(Store, "queue_rows_of", queue_rows_of)
    report = publish(env)
    consistent(tmp_path)
    assert report["queues"]["saved"] == {"inserted": 0, "updated": 0, "deleted": 0}  # the killed run saved them
    *chunks, leaders = reads
    read = [w for chunk in chunks for w in chunk]  # every ward the withdrawal changed, 7 at a time
    assert [len(chunk) for chunk in chunks[:-1]] == [7] * (len(chunks) - 1) and 0 < len(chunks[-1]) <= 7
    assert len(read) == len(set(read)) and {f"phuong-{n:03d}" for n in range(30)} <= set(read)
    assert set(read) <= {*SLOTTED, *(f"phuong-{n:03d}" for n in range(30))}  # wards with slots only
    assert 0 < len(leaders) < 10  # the 30 alike wards are one class: one leader reads for them all
    monkeypatch.undo()
    assert publish(env)["written"] == []


def test_publish_never_imports_sqlite_utils(tmp_path: Path, site: Site) -> None:
    """Importing sqlite-utils (and the numpy it probes for) cost every publish ~0.15 s: it writes plain SQL."""
    env = queue_env(tmp_path, site)  # type: ignore[arg-type]
    first, first_imports = loa_importtime(env.config, "publish", "--json", now=NOW)
    again, again_imports = loa_importtime(env.config, "publish", "--json", now=NOW)
    report = json.loads(first.stdout)
    assert report["written"] and report["queues"]["saved"]["inserted"] > 0  # queue rows and pack status saved
    assert json.loads(again.stdout)["written"] == []
    for imports in (first_imports, again_imports):
        assert "worker" in imports and "sqlite_utils" not in imports


def test_a_deleted_output_file_is_written_again(tmp_path: Path, site: Site) -> None:
    env = queue_env(tmp_path, site)  # type: ignore[arg-type]
    publish(env)
    out = tmp_path / "out"
    gone = [
        out / "queues" / "phuong-ham-rong" / "index.html",
        out / "site" / "index.html",
        out / "feeds" / "phuong-dien-bien.xml",
    ]
    before = {p: p.read_bytes() for p in gone}
    for path in gone:
        path.unlink()
    report = publish(env)
    assert sorted(report["written"]) == sorted(str(p.relative_to(out)) for p in gone)
    assert {p: p.read_bytes() for p in gone} == before
    assert publish(env)["written"] == []


def test_slot_scripts_that_read_the_same_are_kept_and_equal_a_full_render(
    tmp_path: Path, site: Site, monkeypatch: object
) -> None:
    """After a change, only slots whose entries changed are rendered again; every file equals a fresh render."""
    import pytest

    import worker.publish as publisher
    import worker.publish_queue as renderer

    assert isinstance(monkeypatch, pytest.MonkeyPatch)
    env = queue_env(tmp_path, site)  # type: ignore[arg-type]
    publish(env, now="2023-07-10T05:00:00+07:00")
    out = tmp_path / "out" / "queues"
    scripts = sorted(p.relative_to(out) for p in out.rglob("*.txt"))
    assert env.run("withdraw", env.item_id("cb-2"), "--reason", "Nguồn gỡ bài").exit_code == 0
    touched = max((r for r in rows(env) if r["ward"] == "phuong-dien-bien"), key=lambda r: (r["date"], r["slot"]))
    ack(env, touched["id"], "skipped")  # the desk changed this ward's rows since its files were written
    rendered: list[str] = []
    real = renderer.script_text

    def counted(ward: object, script: renderer.SlotScript) -> str:
        rendered.append(f"{script.ward}/{script.stem}.txt")
        return real(ward, script)  # type: ignore[arg-type]

    pages: list[str] = []
    real_page = renderer.index_html

    def counted_page(ward: renderer.BroadcastWard, *args: object) -> str:
        pages.append(ward.id)
        return real_page(ward, *args)  # type: ignore[arg-type]

    yielded: list[str] = []
    real_files = publisher.queue_files

    def counted_files(*args: Any, **kwargs: Any) -> Any:
        for ward, files, kept in real_files(*args, **kwargs):
            yielded.extend(files)
            yield ward, files, kept

    listed = lambda: {(r["ward"], r["date"], r["id"], r["position"], r["status"]) for r in rows(env)}  # noqa: E731
    before = listed()
    monkeypatch.setattr(renderer, "script_text", counted)
    monkeypatch.setattr(renderer, "index_html", counted_page)
    monkeypatch.setattr(publisher, "queue_files", counted_files)
    report = publish(env, now="2023-07-10T05:30:00+07:00")
    # Day files: exactly the days whose rows moved are rendered again (the ward the desk touched: every day).
    moved = {(w, d) for w, d, *_rest in before ^ listed()}
    days = {p for p in yielded if p.endswith(".json") and not p.endswith("/queue.json")}
    assert moved and {p for p in days if "/phuong-dien-bien/" not in p} == {
        f"queues/{w}/{d}.json" for w, d in moved if w != "phuong-dien-bien" and (out / w / f"{d}.json").exists()
    }
    # An unchanged print page is kept; one whose ward's rows changed under the desk is rendered again.
    assert "xa-hoang-dai" not in pages and "phuong-dien-bien" in pages
    assert report["queues"]["removed"] > 0
    assert rendered and len(rendered) < len(scripts)  # the slots cb-2 left were rendered, not the others
    dien_bien = {str(p) for p in scripts if str(p).startswith("phuong-dien-bien/")}
    last = f"phuong-dien-bien/{touched['date']}_{touched['slot'].replace(':', '')}.txt"
    assert dien_bien - {last} <= set(rendered)  # its rows changed under the desk: every slot rendered again
    assert {f"queues/{p}" for p in rendered} >= {p for p in report["written"] if p.endswith(".txt")}
    monkeypatch.undo()
    # A publish with no manifest renders every file from the same rows: the same bytes.
    invoke(env, "publish", "--out", str(tmp_path / "fresh"), now="2023-07-10T05:30:00+07:00")
    fresh = tmp_path / "fresh" / "queues"
    assert sorted(p.relative_to(fresh) for p in fresh.rglob("*")) == sorted(p.relative_to(out) for p in out.rglob("*"))
    for path in fresh.rglob("*.*"):
        assert path.read_bytes() == (out / path.relative_to(fresh)).read_bytes(), path
    consistent(tmp_path)


def test_the_print_page_covers_print_days_and_moves_on_at_midnight(
    tmp_path: Path, site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    import worker.publish_queue as renderer
    import worker.queues as queues

    env = queue_env(tmp_path, site, "broadcast: {print_days: 1}\n")  # type: ignore[arg-type]
    publish(env, now="2023-07-10T05:00:00+07:00")
    folder = tmp_path / "out" / "queues" / "phuong-ham-rong"
    dated = sorted({r["date"] for r in rows(env) if r["ward"] == "phuong-ham-rong"})
    assert dated == ["2023-07-10", "2023-07-12"]  # two airings, two days apart
    assert (folder / "2023-07-12_0630.txt").is_file()  # the queue's scripts go on; the page does not
    page = (folder / "index.html").read_text(encoding="utf-8")
    assert "Bản in từ 10/07/2023 đến 10/07/2023" in page and "thứ hai 10/07/2023" in page
    assert "12/07/2023" not in page
    assert publish(env, now="2023-07-10T23:59:00+07:00")["written"] == []  # the same day: nothing rewritten
    listed: list[str] = []
    day_json, queue_index = renderer.day_json, renderer.queue_index
    monkeypatch.setattr(renderer, "day_json", lambda ward, *rest: listed.append(ward) or day_json(ward, *rest))
    for module in (renderer, queues):
        monkeypatch.setattr(
            module, "queue_index", lambda ward, totals: listed.append(ward) or queue_index(ward, totals)
        )
    between = publish(env, now="2023-07-11T00:01:00+07:00")
    assert listed == []  # every ward re-planned for the new day, no row moved: queue.json and day files kept
    monkeypatch.undo()
    assert "queues/phuong-ham-rong/index.html" in between["written"]
    assert not [p for p in between["written"] if p.endswith((".txt", ".json"))]
    page = (folder / "index.html").read_text(encoding="utf-8")
    assert "Bản in từ 11/07/2023 đến 11/07/2023" in page and "Không có bản tin nào trong những ngày này" in page
    assert publish(env, now="2023-07-11T22:00:00+07:00")["written"] == []
    publish(env, now="2023-07-12T00:01:00+07:00")
    page = (folder / "index.html").read_text(encoding="utf-8")
    assert "bản tin 06:30, thứ tư 12/07/2023" in page and "10/07/2023" not in page
    consistent(tmp_path)


def test_print_days_0_prints_every_slot(tmp_path: Path, site: Site) -> None:
    env = queue_env(tmp_path, site, "broadcast: {print_days: 0}\n")  # type: ignore[arg-type]
    publish(env, now="2023-07-10T05:00:00+07:00")
    folder = tmp_path / "out" / "queues" / "phuong-ham-rong"
    page = folder.joinpath("index.html").read_text(encoding="utf-8")
    assert "Bản in từ" not in page
    assert page.count('<section class="slot"') == len(list(folder.glob("*.txt"))) == 2
    assert "thứ hai 10/07/2023" in page and "thứ tư 12/07/2023" in page  # days apart: both printed
