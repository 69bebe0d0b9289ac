"""worker/store.py: schema migrations applied to databases written by earlier versions."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from worker.store import MIGRATIONS, SCHEMA_SNAPSHOT, SchemaSnapshot, Store

_SCHEMA = "select type, name, tbl_name, sql from sqlite_master order by type, name"


def test_approval_snapshots_from_before_migration_31_take_the_items_media(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "loa.db")
    db = store.db
    attachments = json.dumps([{"url": "https://khonggianmang.vn/files/canh-bao.pdf", "title": "Cảnh báo"}])
    db.execute(
        "insert into sources (id, name, kind, url) values ('kgm', 'Cổng KGM', 'rss', 'https://khonggianmang.vn/rss')"
    )
    db.execute(
        "insert into items (id, source_id, title, kind, image, attachments, extra, status) values (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            "a1",
            "kgm",
            "Cảnh báo giả danh công an",
            "article",
            "https://khonggianmang.vn/anh.jpg",
            attachments,
            "{}",
            "approved",
        ],
    )
    # The database as version 30 left it: snapshots without the media columns.
    for column in ("kind", "image", "attachments", "extra"):
        db.execute(f"alter table approved_revisions drop column {column}")
    db.execute("delete from _migrations where version = 31")
    db.execute(
        "insert into approved_revisions (item_id, revision, title, approved_at, approved_by) values (?, 1, ?, ?, ?)",
        ["a1", "Cảnh báo giả danh công an", "2023-07-10T01:00:00Z", "lan"],
    )
    assert store.migrate() == [31]
    [row] = store.approved_rows()
    assert row["image"] == "https://khonggianmang.vn/anh.jpg"
    assert row["attachments"] == [{"url": "https://khonggianmang.vn/files/canh-bao.pdf", "title": "Cảnh báo"}]
    assert row["kind"] == "article" and row["extra"] == {}
    # From now on the snapshot, not the live row, is what publishing reads.
    db.execute("update items set image = 'https://example.com/chua-duyet.jpg', kind = 'video' where id = 'a1'")
    [row] = store.approved_rows()
    assert (row["image"], row["kind"]) == ("https://khonggianmang.vn/anh.jpg", "article")
    store.close()


def test_bulk_transaction_keeps_statement_journals_in_memory_only_while_it_runs(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "loa.db")
    temp_store = "pragma temp_store"
    assert store.conn.execute(temp_store).fetchone()[0] == 0
    with store.bulk_transaction():
        assert store.conn.in_transaction
        assert store.conn.execute(temp_store).fetchone()[0] == 2  # MEMORY, set before BEGIN
        store.conn.execute("insert into queue_tokens (ward, token) values ('phuong-dien-bien', 'a')")
    assert not store.conn.in_transaction
    assert store.conn.execute(temp_store).fetchone()[0] == 0
    try:
        with store.bulk_transaction():
            store.conn.execute("insert into queue_tokens (ward, token) values ('xa-hoang-dai', 'b')")
            raise RuntimeError("planning failed")
    except RuntimeError:
        pass
    assert store.conn.execute(temp_store).fetchone()[0] == 0
    rows = store.conn.execute("select ward from queue_tokens").fetchall()
    assert rows == [("phuong-dien-bien",)]  # the failed one rolled back, the first one committed


def test_grouped_commits_hold_one_transaction_and_commit_when_due(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "loa.db")
    other = Store.open(tmp_path / "loa.db")
    with store.grouped_commits(seconds=3600) as commits:
        commits.open()
        store.queue_links(("a",))
        commits.commit_if_due()  # not due: still one open transaction, invisible to other readers
        commits.open()
        store.queue_links(("b",))
        assert store.conn.in_transaction and other.pending_links() == 0
    assert other.pending_links() == 2  # committed at the end
    with store.grouped_commits(seconds=0) as commits:
        commits.open()
        store.queue_links(("c",))
        commits.commit_if_due()
        assert not store.conn.in_transaction and other.pending_links() == 3
    try:
        with store.grouped_commits(seconds=3600) as commits:
            commits.open()
            store.queue_links(("d",))
            raise RuntimeError("a save failed")
    except RuntimeError:
        pass
    assert other.pending_links() == 3 and not store.conn.in_transaction  # rolled back whole
    store.close()
    other.close()


def test_background_checkpoints_leave_the_wal_copied_into_the_database(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "loa.db")
    with store.background_checkpoints(every=0.01):
        for n in range(50):
            with store.atomic():
                store.queue_links((f"i{n}",))
        assert store.conn.execute("pragma wal_autocheckpoint").fetchone()[0] == 0  # the thread does it
    assert store.conn.execute("pragma wal_autocheckpoint").fetchone()[0] > 0
    assert "loa-checkpoint" not in {t.name for t in threading.enumerate()}  # joined, its connection closed
    store.close()
    reopened = Store.open(tmp_path / "loa.db")
    assert reopened.pending_links() == 50
    reopened.close()


def test_schema_snapshot_is_what_the_migrations_build_now() -> None:
    # Fails after a migration is added or changed without `make schema`.
    assert SCHEMA_SNAPSHOT.read_text(encoding="utf-8") == SchemaSnapshot.build().text()
    assert SchemaSnapshot.read().versions == set(MIGRATIONS)


def test_a_new_database_from_the_snapshot_equals_one_built_migration_by_migration(tmp_path: Path) -> None:
    fast = Store.open(tmp_path / "fast.db")
    slow = Store.open(tmp_path / "slow.db", migrate=False)
    assert slow.migrate(snapshot=False) == sorted(MIGRATIONS)
    try:
        assert fast.conn.execute(_SCHEMA).fetchall() == slow.conn.execute(_SCHEMA).fetchall()
        names = "select version, name from _migrations order by version"
        assert fast.conn.execute(names).fetchall() == slow.conn.execute(names).fetchall()
        assert fast.migrate() == []
        # Triggers from the snapshot work: a queue row renews its ward's token.
        fast.conn.execute("insert into queue_entries (id, ward) values ('q1', 'phuong-dien-bien')")
        assert fast.conn.execute("select ward from queue_tokens").fetchall() == [("phuong-dien-bien",)]
    finally:
        fast.close()
        slow.close()


def test_a_database_with_tables_is_migrated_step_by_step_not_from_the_snapshot(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "old.db", migrate=False)
    store.conn.execute("create table notes (id integer primary key, text text)")
    try:
        assert store.migrate() == sorted(MIGRATIONS)
        assert store.conn.execute("select count(*) from notes").fetchone() == (0,)
    finally:
        store.close()


def test_a_snapshot_from_a_newer_loa_is_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    newer = tmp_path / "schema.sql"
    newer.write_text(SCHEMA_SNAPSHOT.read_text(encoding="utf-8").replace("-- versions: ", "-- versions: 999 "))
    monkeypatch.setattr("worker.store.SCHEMA_SNAPSHOT", newer)
    store = Store.open(tmp_path / "new.db")
    try:
        assert SchemaSnapshot.read().versions == {999, *MIGRATIONS}
        assert {r[0] for r in store.conn.execute("select version from _migrations")} == set(MIGRATIONS)
    finally:
        store.close()
