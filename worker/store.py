"""The only sqlite-utils code: schema and versioned migrations, queries, one transaction per unit of work.

Source data (title, summary, body) and Loa's decisions (status, duplicate_of, needs_review) live
in separate columns so that a source update never overwrites a reviewer's decision.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from worker.dates import from_iso, iso_utc
from worker.dedupe import Copy, canonical_copy
from worker.errors import StoreError
from worker.models import Item, Source, SourceResult, Status
from worker.schedule import SourceState

Migration = Callable[[sqlite_utils.Database], None]


def _m1_initial(db: sqlite_utils.Database) -> None:
    db.table("sources").create(
        {
            "id": str,
            "name": str,
            "kind": str,
            "url": str,
            "rank": int,
            "enabled": int,
            "etag": str,
            "last_modified": str,
            "body_hash": str,
            "last_fetch_at": str,
            "last_success_at": str,
            "last_new_at": str,
            "last_error": str,
            "last_error_kind": str,
            "last_error_url": str,
            "last_error_at": str,
            "consecutive_errors": int,
            "next_due_at": str,
            "health": str,
            "health_reason": str,
        },
        pk="id",
        defaults={"consecutive_errors": 0, "health": "healthy", "enabled": 1},
    )
    db.table("items").create(
        {
            "id": str,
            "source_id": str,
            "guid": str,
            "url": str,
            "title": str,
            "summary": str,
            "body_html": str,
            "body_text": str,
            "published_at": str,
            "fetched_at": str,
            "updated_at": str,
            "content_hash": str,
            "kind": str,
            "image": str,
            "attachments": str,  # JSON list of {url, title}
            "tags": str,  # JSON list
            "extra": str,  # JSON object: adapter-specific fields
            "revision": int,
            "source_rank": int,
            "status": str,
            "duplicate_of": str,
            "needs_review": int,
        },
        pk="id",
        foreign_keys=[("source_id", "sources", "id")],
        defaults={"revision": 1, "status": "new", "needs_review": 0},
    )
    db.table("items").create_index(["url"])
    db.table("items").create_index(["content_hash"])
    db.table("items").create_index(["status"])
    db.table("items").create_index(["source_id", "published_at"])
    db.table("items").create_index(["duplicate_of"])
    db.table("fetch_log").create(
        {
            "id": int,
            "source_id": str,
            "started_at": str,
            "finished_at": str,
            "url": str,
            "status": str,
            "http_status": int,
            "new": int,
            "updated": int,
            "duplicates": int,
            "seconds": float,
            "error_kind": str,
            "error": str,
        },
        pk="id",
    )
    db.table("fetch_log").create_index(["source_id", "started_at"])


def _m20_stories(db: sqlite_utils.Database) -> None:
    """Stories: a cluster of items about one warning; its id is its founding item's id."""
    db.table("stories").create(
        {
            "id": str,
            "canonical_item_id": str,
            "title": str,
            "created_at": str,
            "updated_at": str,
        },
        pk="id",
    )
    db.table("items").add_column("story_id", str)
    db.table("items").create_index(["story_id"])
    # Until near-duplicate matching assigns stories, every item founds its own.
    db.execute("update items set story_id = coalesce(duplicate_of, id)")
    db.execute(
        """insert or ignore into stories (id, canonical_item_id, title, created_at, updated_at)
           select id, id, title, fetched_at, fetched_at from items where duplicate_of is null"""
    )


# Versions are spaced by feature so that work landing in parallel does not collide:
# 1-9 sync, 10-19 media and health, 20-29 stories, 30-39 review, 40-49 packs and publish,
# 50-59 broadcast, 60-69 ward desk, 70-79 report, 80-89 deliveries.
MIGRATIONS: dict[int, Migration] = {1: _m1_initial, 20: _m20_stories}


def utc_text(moment: datetime | None) -> str | None:
    return iso_utc(moment) if moment else None


def _dt(text: str | None) -> datetime | None:
    return from_iso(text) if text else None


@dataclass(frozen=True)
class SaveOutcome:
    new_ids: tuple[str, ...]
    updated_ids: tuple[str, ...]
    duplicate_ids: tuple[str, ...]


class Store:
    """A Loa database. Open with `Store.open(path)`; every write method is one transaction."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    @classmethod
    def open(cls, path: Path | str, *, migrate: bool = True) -> Store:
        target = Path(path)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(target), timeout=30, isolation_level=None)
            db = sqlite_utils.Database(conn)
            db.execute("PRAGMA busy_timeout = 30000")
            db.execute("PRAGMA foreign_keys = ON")
            db.enable_wal()
            db.execute("PRAGMA synchronous = NORMAL")
            # Checkpoint every ~40 MB of WAL instead of ~4 MB: a big sync rewrites the same index
            # pages again and again, and each checkpoint copied them all (storing the 10,000-item
            # bench corpus: 3.2 s → 2.4 s, median of 4). Short-lived connections checkpoint on close.
            db.execute("PRAGMA wal_autocheckpoint = 10000")
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(
                f"cannot open the database {target}: {exc}",
                hint="check the db: path in sources.yaml and that its folder is writable",
            ) from None
        store = cls(db)
        if migrate:
            store.migrate()
        return store

    def close(self) -> None:
        self.db.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite_utils.Database]:
        """BEGIN IMMEDIATE … COMMIT: all or nothing, and a second writer waits instead of failing late."""
        conn = self.db.conn
        if conn.in_transaction:
            yield self.db
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        else:
            conn.execute("COMMIT")

    # -- schema -----------------------------------------------------------------------------

    def schema_version(self) -> int:
        if not self.db.table("_migrations").exists():
            return 0
        row = self.db.execute("select max(version) from _migrations").fetchone()
        return int(row[0] or 0)

    def migrate(self) -> list[int]:
        """Apply pending migrations in order, each in its own transaction; returns the versions applied."""
        with self.transaction() as db:
            db.table("_migrations").create(
                {"version": int, "name": str, "applied_at": str}, pk="version", if_not_exists=True
            )
        done = {row["version"] for row in self.db.table("_migrations").rows}
        applied = []
        for version in sorted(MIGRATIONS):
            if version in done:
                continue
            migration = MIGRATIONS[version]
            with self.transaction() as db:
                migration(db)
                db.table("_migrations").insert(
                    {"version": version, "name": migration.__name__, "applied_at": iso_utc(datetime.now().astimezone())}
                )
            applied.append(version)
        return applied

    # -- sources ----------------------------------------------------------------------------

    def register_sources(self, sources: tuple[Source, ...]) -> None:
        """Make the sources table match the config's names, URLs and trust order; keep fetch state."""
        registered = {row["id"]: row for row in self.db.query("select id, name, kind, url, rank, enabled from sources")}
        with self.transaction() as db:
            for source in sources:
                wanted = {
                    "id": source.id,
                    "name": source.name,
                    "kind": source.kind,
                    "url": source.url,
                    "rank": source.rank,
                    "enabled": int(source.enabled),
                }
                # Every run registers every source: write only what changed, so an unchanged config
                # costs reads only (it used to rewrite each item's source_rank on every run).
                old = registered.get(source.id)
                if old != wanted:
                    db.table("sources").upsert(wanted, pk="id")
                if old is not None and old["rank"] != source.rank:
                    db.execute(
                        "update items set source_rank = ? where source_id = ? and source_rank is not ?",
                        [source.rank, source.id, source.rank],
                    )

    def source_state(self, source_id: str) -> SourceState:
        rows = list(self.db.query("select * from sources where id = ?", [source_id]))
        if not rows:
            return SourceState(id=source_id)
        return self._state(rows[0])

    def source_states(self) -> dict[str, SourceState]:
        return {row["id"]: self._state(row) for row in self.db.query("select * from sources")}

    def _state(self, row: dict[str, Any]) -> SourceState:
        count = self.db.execute("select count(*) from items where source_id = ?", [row["id"]]).fetchone()[0]
        return SourceState(
            id=row["id"],
            etag=row["etag"],
            last_modified=row["last_modified"],
            body_hash=row["body_hash"],
            last_fetch_at=_dt(row["last_fetch_at"]),
            last_success_at=_dt(row["last_success_at"]),
            last_new_at=_dt(row["last_new_at"]),
            last_error=row["last_error"],
            last_error_kind=row["last_error_kind"],
            last_error_at=_dt(row["last_error_at"]),
            consecutive_errors=row["consecutive_errors"] or 0,
            next_due_at=_dt(row["next_due_at"]),
            health=row["health"] or "healthy",
            health_reason=row["health_reason"] or "",
            item_count=count,
        )

    def known_item_ids(self, source_id: str) -> set[str]:
        return {row[0] for row in self.db.execute("select id from items where source_id = ?", [source_id])}

    # -- saving a source run ----------------------------------------------------------------

    def save_run(
        self,
        source: Source,
        result: SourceResult,
        *,
        items: tuple[Item, ...],
        state: SourceState,
        started_at: datetime,
        finished_at: datetime,
        http_status: int | None,
    ) -> tuple[SourceResult, SaveOutcome]:
        """Items, the source's new fetch state and its log line, in one transaction."""
        with self.transaction():
            outcome = self._save_items(source, items)
            if outcome.new_ids:
                state = _replace_state(state, last_new_at=finished_at)
            self._update_source(
                source.id,
                {
                    "etag": state.etag,
                    "last_modified": state.last_modified,
                    "body_hash": state.body_hash,
                    "last_fetch_at": utc_text(state.last_fetch_at),
                    "last_success_at": utc_text(state.last_success_at),
                    "last_new_at": utc_text(state.last_new_at),
                    "last_error": state.last_error,
                    "last_error_kind": state.last_error_kind,
                    "last_error_url": result.url if result.error else None,
                    "last_error_at": utc_text(state.last_error_at),
                    "consecutive_errors": state.consecutive_errors,
                    "next_due_at": utc_text(state.next_due_at),
                    "health": state.health,
                    "health_reason": state.health_reason,
                },
            )
            final = SourceResult(
                source_id=result.source_id,
                status=result.status,
                new=len(outcome.new_ids) - len(set(outcome.new_ids) & set(outcome.duplicate_ids)),
                updated=len(outcome.updated_ids),
                duplicates=len(outcome.duplicate_ids),
                seconds=result.seconds,
                error=result.error,
                url=result.url,
                health=result.health,
                health_reason=result.health_reason,
                new_ids=outcome.new_ids,
                extra=result.extra,
            )
            self._insert_row(
                "fetch_log",
                {
                    "source_id": source.id,
                    "started_at": iso_utc(started_at),
                    "finished_at": iso_utc(finished_at),
                    "url": result.url or source.url,
                    "status": result.status.value,
                    "http_status": http_status,
                    "new": final.new,
                    "updated": final.updated,
                    "duplicates": final.duplicates,
                    "seconds": round(result.seconds, 3),
                    "error_kind": result.error_kind,
                    "error": str(result.error) if result.error else None,
                },
            )
        return final, outcome

    # Plain SQL for the two writes every source makes on every run, 304s included: sqlite-utils'
    # update() and insert() re-read the schema on each call, which was most of a no-change run.
    def _update_source(self, source_id: str, values: dict[str, Any]) -> None:
        assignments = ", ".join(f"[{column}] = ?" for column in values)
        self.db.execute(f"update sources set {assignments} where id = ?", [*values.values(), source_id])

    def _insert_row(self, table: str, values: dict[str, Any]) -> None:
        self._insert_rows(table, [values])

    def _insert_rows(self, table: str, rows: list[dict[str, Any]], *, ignore: bool = False) -> None:
        """Rows that all have the same keys, in one executemany."""
        columns = list(rows[0])
        names = ", ".join(f"[{column}]" for column in columns)
        marks = ", ".join("?" * len(columns))
        verb = "insert or ignore" if ignore else "insert"
        self.db.conn.executemany(
            f"{verb} into [{table}] ({names}) values ({marks})", [[row[c] for c in columns] for row in rows]
        )

    def _new_items_without_copies(self, new_ids: list[str]) -> set[str]:
        """New items that share neither URL nor content hash with any other item and that nothing
        points at: `_merge_exact` would find a group of one for them, so it is skipped."""
        if not new_ids:
            return set()
        marks = ",".join("?" * len(new_ids))
        shared = {
            row[0]
            for row in self.db.execute(
                f"""select i.id from items i where i.id in ({marks}) and (
                      exists (select 1 from items o where o.url = i.url and o.id != i.id)
                      or exists (select 1 from items o where o.content_hash = i.content_hash and o.id != i.id)
                      or exists (select 1 from items o where o.duplicate_of = i.id)
                      or i.duplicate_of is not null)""",
                new_ids,
            )
        }
        return set(new_ids) - shared

    def _save_items(self, source: Source, items: tuple[Item, ...]) -> SaveOutcome:
        new_ids: list[str] = []
        updated_ids: list[str] = []
        duplicate_ids: list[str] = []
        table = self.db.table("items")
        unique = {item.id: item for item in items}
        existing = (
            {
                row["id"]: row
                for row in self.db.query(
                    f"select id, content_hash, status, revision from items where id in ({','.join('?' * len(unique))})",
                    list(unique),
                )
            }
            if unique
            else {}
        )
        new_rows: list[dict[str, Any]] = []
        new_stories: list[dict[str, Any]] = []
        touched: list[Item] = []
        for item in unique.values():
            row = item_to_row(item, source.rank)
            old = existing.get(item.id)
            if old is None:
                row["story_id"] = item.id
                new_rows.append(row)
                new_stories.append(
                    {
                        "id": item.id,
                        "canonical_item_id": item.id,
                        "title": item.title,
                        "created_at": row["fetched_at"],
                        "updated_at": row["fetched_at"],
                    }
                )
                new_ids.append(item.id)
            elif old["content_hash"] != item.content_hash:
                changes = {k: v for k, v in row.items() if k in SOURCE_COLUMNS}
                changes["revision"] = (old["revision"] or 1) + 1
                changes["updated_at"] = row["fetched_at"]
                if old["status"] == Status.APPROVED.value:
                    changes["needs_review"] = 1
                table.update(item.id, changes)
                updated_ids.append(item.id)
            else:
                continue
            touched.append(item)
        # One batch insert per source instead of two inserts per item (each of which re-read the
        # schema): merging below sees every copy already stored, as it did item by item.
        if new_rows:
            self._insert_rows("items", new_rows)
            self._insert_rows("stories", new_stories, ignore=True)
        alone = self._new_items_without_copies(new_ids)
        for item in touched:
            if item.id not in alone:
                duplicate_ids.extend(self._merge_exact(item))
        return SaveOutcome(tuple(new_ids), tuple(updated_ids), tuple(dict.fromkeys(duplicate_ids)))

    def _merge_exact(self, item: Item) -> list[str]:
        """Group every copy with the same canonical URL or content hash; point them at the canonical one.

        Returns the ids merged as copies by this call (a trusted copy arriving late merges older ones).
        """
        rows = list(
            self.db.query(
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
        )
        if len(rows) <= 1:
            return []
        merged: list[str] = []
        winner = canonical_copy(
            [Copy(r["id"], r["source_rank"] or 0, r["published_at"] or "", r["fetched_at"] or "") for r in rows]
        )
        self._join_stories(winner.id, [r["story_id"] for r in rows if r["story_id"]])
        for row in rows:
            if row["id"] == winner.id:
                if row["status"] == Status.DUPLICATE.value or row["duplicate_of"]:
                    self.db.execute(
                        "update items set duplicate_of = null, status = case when status = 'duplicate' then 'new' else status end where id = ?",
                        [row["id"]],
                    )
                continue
            if row["duplicate_of"] is None:
                merged.append(row["id"])
            # Only untouched copies become `duplicate`; a reviewer's decision is never overwritten.
            self.db.execute(
                "update items set duplicate_of = ?, status = case when status in ('new', 'duplicate') then 'duplicate' else status end where id = ?",
                [winner.id, row["id"]],
            )
        return merged

    def _join_stories(self, canonical_item_id: str, story_ids: list[str]) -> str:
        """Exact copies share one story: the oldest of their stories survives, led by the canonical copy."""
        stories = (
            list(
                self.db.query(
                    f"select id, created_at from stories where id in ({','.join('?' * len(story_ids))}) order by created_at, id",
                    story_ids,
                )
            )
            if story_ids
            else []
        )
        keep = stories[0]["id"] if stories else canonical_item_id
        for other in stories[1:]:
            self.db.execute("update items set story_id = ? where story_id = ?", [keep, other["id"]])
            self.db.execute("delete from stories where id = ?", [other["id"]])
        title = self.db.execute("select title from items where id = ?", [canonical_item_id]).fetchone()[0]
        self.db.execute(
            "update stories set canonical_item_id = ?, title = ? where id = ?", [canonical_item_id, title, keep]
        )
        return keep

    # -- reading items ------------------------------------------------------------------------

    def item(self, item_id: str) -> dict[str, Any] | None:
        rows = list(self.db.query("select * from items where id = ? or id like ? limit 2", [item_id, f"{item_id}%"]))
        exact = [r for r in rows if r["id"] == item_id]
        if exact:
            return decode_item_row(exact[0])
        return decode_item_row(rows[0]) if len(rows) == 1 else None

    def items(
        self,
        *,
        status: str | None = None,
        source_id: str | None = None,
        since: datetime | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        where, params = [], []
        if status:
            where.append("status = ?")
            params.append(status)
        if source_id:
            where.append("source_id = ?")
            params.append(source_id)
        if since:
            where.append("published_at >= ?")
            params.append(iso_utc(since))
        sql = "select * from items" + (f" where {' and '.join(where)}" if where else "")
        sql += " order by published_at desc, id"
        if limit:
            sql += f" limit {int(limit)}"
        return [decode_item_row(row) for row in self.db.query(sql, params)]

    def count_items(self, where: str = "1", params: list[Any] | None = None) -> int:
        return int(self.db.execute(f"select count(*) from items where {where}", params or []).fetchone()[0])

    def fetch_log(self, source_id: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
        sql = "select * from fetch_log" + (" where source_id = ?" if source_id else "") + " order by id desc limit ?"
        return list(self.db.query(sql, ([source_id] if source_id else []) + [limit]))


SOURCE_COLUMNS = {
    "guid",
    "url",
    "title",
    "summary",
    "body_html",
    "body_text",
    "published_at",
    "fetched_at",
    "content_hash",
    "kind",
    "image",
    "attachments",
    "tags",
    "extra",
}


def item_to_row(item: Item, rank: int) -> dict[str, Any]:
    fetched_at = iso_utc(item.fetched_at)
    return {
        "id": item.id,
        "source_id": item.source_id,
        "guid": item.guid,
        "url": item.url,
        "title": item.title,
        "summary": item.summary,
        "body_html": item.body_html,
        "body_text": item.body_text,
        "published_at": iso_utc(item.published_at),
        "fetched_at": fetched_at,
        "updated_at": fetched_at,
        "content_hash": item.content_hash,
        "kind": item.kind.value,
        "image": item.image,
        "attachments": json.dumps([{"url": a.url, "title": a.title} for a in item.attachments], ensure_ascii=False),
        "tags": json.dumps(list(item.tags), ensure_ascii=False),
        "extra": json.dumps(item.extra, ensure_ascii=False, default=str),
        "revision": 1,
        "source_rank": rank,
        "status": Status.NEW.value,
        "duplicate_of": None,
        "needs_review": 0,
    }


def decode_item_row(row: dict[str, Any]) -> dict[str, Any]:
    decoded = dict(row)
    for key, empty in (("attachments", []), ("tags", []), ("extra", {})):
        value = decoded.get(key)
        decoded[key] = json.loads(value) if value else empty
    return decoded


def _replace_state(state: SourceState, **changes: Any) -> SourceState:
    from dataclasses import replace

    return replace(state, **changes)
