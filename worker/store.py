"""The only sqlite-utils code: schema and versioned migrations, queries, one transaction per unit of work.

Source data (title, summary, body) and Loa's decisions (status, duplicate_of, needs_review) live
in separate columns so that a source update never overwrites a reviewer's decision.
"""

from __future__ import annotations

import functools
import json
import sqlite3
import threading
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from worker.dates import from_iso, iso_utc
from worker.dedupe_config import Copy, StoredCopy, StoredStory, merge_exact_copies
from worker.errors import StoreError
from worker.media import MediaWant
from worker.models import Item, Source, SourceResult, Status
from worker.review import DECISION_FIELDS, Change, RuleOutcome, apply_outcome, decision_state
from worker.schedule import SourceState

if TYPE_CHECKING:
    import sqlite_utils

Migration = Callable[["sqlite_utils.Database"], None]


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


def _m10_media_health(db: sqlite_utils.Database) -> None:
    """Media files linked to items, alert history, off-domain flags and the suggested action per source."""
    db.table("media").create(
        {
            "id": int,
            "item_id": str,
            "source_id": str,
            "url": str,
            "role": str,  # image | thumbnail | attachment
            "filename": str,  # the original file name from the URL
            "sha256": str,
            "bytes": int,
            "content_type": str,
            "path": str,  # relative to the media folder: <sha[:2]>/<sha256>.<ext>
            "status": str,  # pending | ok | failed | off-domain
            "error": str,
            "attempts": int,
            "off_domain": int,
            "created_at": str,
            "updated_at": str,
        },
        pk="id",
        foreign_keys=[("item_id", "items", "id")],
        defaults={"status": "pending", "attempts": 0, "off_domain": 0},
    )
    db.table("media").create_index(["item_id", "url"], unique=True)
    db.table("media").create_index(["sha256"])
    db.table("media").create_index(["source_id", "status"])
    db.table("alerts").create(
        {
            "id": int,
            "source_id": str,
            "at": str,
            "from_health": str,
            "to_health": str,
            "reason": str,
            "action": str,
            "status": str,  # sent | failed | suppressed
            "detail": str,
        },
        pk="id",
    )
    db.table("alerts").create_index(["source_id", "at"])
    db.table("items").add_column("off_domain", str)  # JSON list of URLs outside allowed_domains
    db.table("sources").add_column("health_action", str)


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


def _m21_near_duplicates(db: sqlite_utils.Database) -> None:
    """Near-duplicate signatures, LSH band keys, story roles and manual story overrides."""
    db.table("items").add_column("story_role", str)  # 'canonical' | 'variant'
    db.table("items").add_column("variant_of", str)  # the story's canonical item when this one was linked
    db.table("items").add_column("late_variant", int, not_null_default=0)  # linked after the story was approved
    db.execute(
        "update items set story_role = case when id = (select canonical_item_id from stories where stories.id = items.story_id) then 'canonical' else 'variant' end"
    )
    db.table("item_signatures").create(
        {"item_id": str, "shingles": int, "minhash": bytes, "fingerprint": str}, pk="item_id"
    )
    # One row per (band key, item): a new item's lookups touch only its own keys, never the whole history.
    db.execute(
        "create table lsh_bands (key integer not null, item_id text not null, primary key (key, item_id)) without rowid"
    )
    db.execute("create index lsh_bands_item on lsh_bands (item_id)")
    db.table("story_overrides").create(
        {"id": int, "action": str, "item_id": str, "other_id": str, "created_at": str}, pk="id"
    )
    db.table("items").create_index(["late_variant"])


def _m22_retellings(db: sqlite_utils.Database) -> None:
    """Retelling matching: content terms per item, their document frequencies, rare-term postings."""
    db.table("item_signatures").add_column("terms", str)  # space-separated content syllables
    db.table("item_signatures").add_column("rare", str)  # the terms the item is posted under
    # Old band rows are deleted by (key, item) from keys recomputed from the stored MinHash, so the
    # per-item index (which doubled the cost of a rebuild's 4 M inserts) is not needed.
    db.execute("drop index if exists lsh_bands_item")
    db.execute(
        "create table term_postings (term text not null, item_id text not null, primary key (term, item_id)) without rowid"
    )
    # df of '' is the number of items counted: the `total` that rarity weights divide by.
    db.execute("create table term_df (term text primary key, df integer not null) without rowid")
    db.execute("update item_signatures set fingerprint = 'stale'")


def _m23_link_queue(db: sqlite_utils.Database) -> None:
    """Items saved by sync and not linked into stories yet, in the order (and the per-source batches) they were saved."""
    # `batch` is one source's save; `changed` marks an item saved again with new content (signed again).
    db.execute(
        "create table link_queue (item_id text primary key, batch integer not null, changed integer not null default 0)"
    )
    db.execute("create index link_queue_batch on link_queue (batch)")


def _m24_leaner_item_indexes(db: sqlite_utils.Database) -> None:
    """Item indexes that every sync pays for on every insert, kept only where a query uses them."""
    db.execute("drop index if exists idx_items_late_variant")  # no query filters on it
    # Only copies have duplicate_of, and `duplicate_of = ?` / `in (...)` imply not null: a partial index serves them.
    db.execute("drop index if exists idx_items_duplicate_of")
    db.execute("create index idx_items_duplicate_of on items (duplicate_of) where duplicate_of is not null")


def _m30_review(db: sqlite_utils.Database) -> None:
    """Review: the officer's decision columns, the audit trail, approved snapshots and review sessions."""
    items = db.table("items")
    # Loa's own columns; source columns (title, summary, body) are never written by review.
    for column in ("broadcast_title", "broadcast_text", "expires_at", "review_note", "reviewed_at", "reviewed_by"):
        items.add_column(column, str)
    items.add_column("priority", str, not_null_default="thuong")
    items.add_column("topics", str, not_null_default="[]")
    db.table("audit").create(
        {
            "id": int,
            "batch": str,  # one officer action (or one sync save); undo reverts a whole batch
            "at": str,
            "reviewer": str,
            "os_user": str,
            "item_id": str,
            "story_id": str,
            "action": str,
            "from_status": str,
            "to_status": str,
            "reason": str,
            "rule_id": str,
            "before": str,  # JSON: decision columns before
            "after": str,  # JSON: decision columns after
            "undone_by": str,  # batch of the undo that reverted this row
        },
        pk="id",
    )
    db.table("audit").create_index(["item_id", "id"])
    db.table("audit").create_index(["reviewer", "id"])
    db.table("audit").create_index(["batch"])
    db.table("approved_revisions").create(
        {
            "id": int,
            "item_id": str,
            "revision": int,
            "url": str,
            "title": str,
            "summary": str,
            "body_html": str,
            "body_text": str,
            "broadcast_title": str,
            "broadcast_text": str,
            "approved_at": str,
            "approved_by": str,
            "audit_id": int,
        },
        pk="id",
    )
    db.table("approved_revisions").create_index(["item_id", "id"])
    db.table("review_sessions").create(
        {"reviewer": str, "queue": str, "position": int, "started_at": str, "updated_at": str},
        pk="reviewer",
    )


def _m31_approved_media(db: sqlite_utils.Database) -> None:
    """Approval snapshots also keep what is shown beside the text: kind, image, attachments and player details.

    Snapshots taken before this take the item's current values, the closest record there is.
    """
    table = db.table("approved_revisions")
    for column in ("kind", "image", "attachments", "extra"):
        table.add_column(column, str)
    db.execute(
        """update approved_revisions set (kind, image, attachments, extra) =
               (select i.kind, i.image, i.attachments, i.extra from items i where i.id = approved_revisions.item_id)"""
    )


def _m40_packs(db: sqlite_utils.Database) -> None:
    """Packs of approved stories, their members, and wards imported with `loa wards import`."""
    db.table("packs").create(
        {
            "id": int,
            "number": int,  # "số N" in the title; never reused
            "title": str,
            "status": str,  # draft | published
            "revision": int,  # 0 until first published; +1 each time its published content changes
            "auto": int,  # 1: built by the schedule (`loa run`), 0: by an officer
            "created_at": str,
            "created_by": str,
            "published_at": str,
            "updated_at": str,  # when its published content last changed
            "content_hash": str,  # of the content last published
        },
        pk="id",
        defaults={"status": "draft", "revision": 0, "auto": 0},
    )
    db.table("pack_stories").create(
        {"pack_id": int, "story_id": str, "item_id": str, "position": int, "added_at": str},
        pk=("pack_id", "story_id"),
        foreign_keys=[("pack_id", "packs", "id")],
    )
    # A story goes out in one pack only.
    db.table("pack_stories").create_index(["story_id"], unique=True)
    db.table("wards").create(
        {
            "id": str,
            "position": int,
            "name": str,
            "kind": str,
            "topics": str,
            "kinds": str,
            "slots": str,
            "imported_at": str,
        },
        pk="id",
    )


def _m50_queues(db: sqlite_utils.Database) -> None:
    """Ward broadcast queues: one row per story repeat in a ward's slot; the id hashes ward, story, repeat."""
    db.table("queue_entries").create(
        {
            "id": str,
            "ward": str,
            "date": str,  # YYYY-MM-DD in the config time zone
            "slot": str,  # HH:MM
            "position": int,  # 1-based order inside the slot
            "priority": str,  # thuong | uu-tien | khan-cap
            "story": str,
            "pack": str,
            "title": str,
            "script": str,
            "seconds": int,
            "repeat": int,
            "status": str,  # queued | aired | skipped
            "aired_at": str,  # UTC ISO 8601, set by an ack
            "reason": str,  # why it did not air
            "acked_by": str,
            "ack_source": str,  # cli | csv | web | api
            "created_at": str,
            "updated_at": str,
        },
        pk="id",
        defaults={"status": "queued", "repeat": 0},
    )
    db.table("queue_entries").create_index(["ward", "date", "slot", "position"])
    db.table("queue_entries").create_index(["story"])
    db.table("queue_entries").create_index(["status"])


def _m60_ward_desk(db: sqlite_utils.Database) -> None:
    """Ward desk: token hashes per ward, login sessions (hashed), and the ack audit trail."""
    db.table("ward_tokens").create(
        {
            "ward": str,
            "ward_name": str,  # kept so `loa serve` can title the desk without reading the ward list
            "token_hash": str,  # sha256 hex of the token; the token itself is never stored
            "created_at": str,
            "created_by": str,
        },
        pk="ward",
    )
    db.table("ward_tokens").create_index(["token_hash"], unique=True)
    db.table("desk_sessions").create(
        {
            "id_hash": str,  # sha256 hex of the cookie value
            "ward": str,
            "csrf": str,  # synchronizer token embedded in the desk's forms
            "created_at": str,
            "expires_at": str,
        },
        pk="id_hash",
    )
    db.table("desk_sessions").create_index(["expires_at"])
    db.table("acks").create(
        {
            "id": int,
            "batch": str,  # one command, one CSV file or one HTTP request
            "at": str,
            "ward": str,
            "entry": str,
            "source": str,  # cli | csv | web | api
            "actor": str,  # --as name (cli, csv) or the ward id (web, api)
            "os_user": str,
            "from_status": str,
            "to_status": str,
            "aired_at": str,
            "reason": str,
            "forced": int,
            "before": str,  # JSON: status, aired_at, reason, acked_by, ack_source before
        },
        pk="id",
    )
    db.table("acks").create_index(["ward", "id"])
    db.table("acks").create_index(["entry", "id"])


def _m70_report(db: sqlite_utils.Database) -> None:
    """Figures for channels Loa does not run (radio/TV, social media), typed in with who reported them."""
    db.table("report_figures").create(
        {
            "id": int,
            "channel": str,  # e.g. "Đài Phát thanh và Truyền hình tỉnh", "Facebook"
            "metric": str,  # what was counted, in the reporter's words
            "value": float,
            "source": str,  # who reported the figure (a unit or a person), printed next to it
            "note": str,
            "recorded_at": str,  # UTC
            "recorded_by": str,  # --as name
            "os_user": str,  # the OS account that ran `loa report add-figure`
        },
        pk="id",
    )


def _m80_deliveries(db: sqlite_utils.Database) -> None:
    """Deliveries (pack pushes and ward notices) with their exact bodies, their attempts, and what was notified."""
    db.table("deliveries").create(
        {
            "id": int,
            "channel": str,  # http | wordpress | email | webhook
            "destination": str,  # a destinations[].id, or a ward id for notices
            "pack_id": int,
            "revision": int,
            "action": str,  # publish | update | withdraw | notice
            "idempotency_key": str,
            "sequence": int,  # per destination, monotonically increasing
            "url": str,  # where it goes (for email: the address)
            "body": bytes,  # the exact bytes sent, every time
            "content_type": str,
            "summary": str,  # one line for `loa deliveries list`
            "status": str,  # pending | sent | failed | superseded
            "attempts": int,
            "next_attempt_at": str,
            "last_status": int,
            "last_error": str,
            "remote_id": str,  # wordpress: the post id the answer gave
            "created_at": str,
            "updated_at": str,
            "sent_at": str,
        },
        pk="id",
        defaults={"status": "pending", "attempts": 0},
    )
    db.table("deliveries").create_index(["destination", "idempotency_key"], unique=True)
    db.table("deliveries").create_index(["status", "next_attempt_at"])
    db.table("delivery_attempts").create(
        {
            "id": int,
            "delivery_id": int,
            "at": str,
            "outcome": str,  # sent | retry | failed | not-sent
            "http_status": int,
            "seconds": float,
            "error": str,
            "response": str,  # the first bytes of the answer
        },
        pk="id",
        foreign_keys=[("delivery_id", "deliveries", "id")],
    )
    db.table("delivery_attempts").create_index(["delivery_id", "id"])
    db.table("delivery_sequences").create({"destination": str, "last": int}, pk="destination")
    db.table("remote_posts").create(
        {"destination": str, "pack_id": int, "remote_id": str, "updated_at": str}, pk=("destination", "pack_id")
    )
    db.table("queue_notices").create(
        {"entry_id": str, "channel": str, "ward": str, "delivery_id": int, "notified_at": str},
        pk=("entry_id", "channel"),
    )
    # Imported wards keep where their notices go.
    for column in ("email", "webhook", "webhook_secret_env"):
        db.table("wards").add_column(column, str)


def _m51_ward_broadcast(db: sqlite_utils.Database) -> None:
    """Imported wards keep their broadcast limits too (`quiet_days` as JSON, `daily_cap` as written)."""
    db.table("wards").add_column("quiet_days", str)
    db.table("wards").add_column("daily_cap", str)


def _m52_queue_tokens(db: sqlite_utils.Database) -> None:
    """A random token per ward, renewed by triggers on any change to its queue_entries (plan, ack, fixture).

    Publish stores the token with the ward's fingerprint: the same token means the same rows, unread.
    """
    db.execute("create table if not exists queue_tokens (ward text primary key, token text not null)")
    renew = "insert or replace into queue_tokens (ward, token) values ({ward}, lower(hex(randomblob(8))))"
    db.execute(
        "create trigger if not exists queue_tokens_insert after insert on queue_entries begin "
        + renew.format(ward="new.ward")
        + "; end"
    )
    db.execute(
        "create trigger if not exists queue_tokens_update after update on queue_entries begin "
        + renew.format(ward="old.ward")
        + "; "
        + renew.format(ward="new.ward")
        + "; end"
    )
    db.execute(
        "create trigger if not exists queue_tokens_delete after delete on queue_entries begin "
        + renew.format(ward="old.ward")
        + "; end"
    )
    db.execute(
        "insert or replace into queue_tokens (ward, token) "
        "select distinct ward, lower(hex(randomblob(8))) from queue_entries"
    )


# Versions are spaced by feature so that work landing in parallel does not collide:
# 1-9 sync, 10-19 media and health, 20-29 stories, 30-39 review, 40-49 packs and publish,
# 50-59 broadcast, 60-69 ward desk, 70-79 report, 80-89 deliveries.
MIGRATIONS: dict[int, Migration] = {
    1: _m1_initial,
    10: _m10_media_health,
    20: _m20_stories,
    21: _m21_near_duplicates,
    22: _m22_retellings,
    23: _m23_link_queue,
    24: _m24_leaner_item_indexes,
    30: _m30_review,
    31: _m31_approved_media,
    40: _m40_packs,
    50: _m50_queues,
    51: _m51_ward_broadcast,
    52: _m52_queue_tokens,
    60: _m60_ward_desk,
    70: _m70_report,
    80: _m80_deliveries,
}


WAL_AUTOCHECKPOINT = 10_000  # pages (~40 MB)
CACHE_KIB = -8192  # negative: KiB, as PRAGMA cache_size reads it
WRITER_CACHE_KIB = -32768
SCHEMA_SNAPSHOT = Path(__file__).with_name("schema.sql")


@dataclass(frozen=True)
class SchemaSnapshot:
    """The schema every migration together builds, as SQL: `make schema` writes it, a test keeps it current."""

    versions: frozenset[int]
    statements: tuple[str, ...]

    @classmethod
    def read(cls, path: Path | None = None) -> SchemaSnapshot:
        versions: set[int] = set()
        statements: list[str] = []
        pending = ""
        for line in (path or SCHEMA_SNAPSHOT).read_text(encoding="utf-8").splitlines(keepends=True):
            if not pending and line.startswith("-- versions:"):
                versions = {int(v) for v in line.removeprefix("-- versions:").split()}
            elif pending or (line.strip() and not line.startswith("--")):
                pending += line
                # Triggers hold `;` inside BEGIN … END: a statement ends where SQLite says it does.
                if sqlite3.complete_statement(pending):
                    statements.append(pending.strip().removesuffix(";"))
                    pending = ""
        return cls(frozenset(versions), tuple(statements))

    @classmethod
    def build(cls) -> SchemaSnapshot:
        """Replay every migration on an empty in-memory database and take the schema it ends with."""
        store = Store.open(":memory:", migrate=False)
        try:
            store.migrate(snapshot=False)
            return cls(frozenset(MIGRATIONS), tuple(store.schema_statements()))
        finally:
            store.close()

    def text(self) -> str:
        head = (
            "-- Loa's database schema as the migrations below build it, for creating a new database in one go.\n"
            "-- Generated by `make schema` from worker/store.py's MIGRATIONS: do not edit by hand.\n"
            f"-- versions: {' '.join(str(v) for v in sorted(self.versions))}\n"
        )
        return head + "".join(f"\n{statement};\n" for statement in self.statements)


# The item columns story decisions read.
STORY_COLUMNS = (
    "id, title, summary, body_text, kind, story_id, status, duplicate_of, source_rank, published_at, fetched_at"
)


# Story `:s` led by item `:c`. Only rows whose role changes are written: an item joining a big story changes
# two or three.
_SET_ROLES_SQL = """update items set story_role = case when id = :c then 'canonical' else 'variant' end
    where story_id = :s and story_role is not (case when id = :c then 'canonical' else 'variant' end)"""

# Every item the exact-copy groups of a save can reach (see `merge_exact_copies`), each with its story if that
# exists: the seed (items sharing a URL or content hash with another item and a saved item, saved items stored
# before, new ones something points at), what the seed copies, and the copies of the seed. Merging points copies
# only at items of this set, so no group outgrows it. A new item that shares nothing and that nothing points at
# is a group of one and stays out: most items of a sync are, and they cost two index probes each.
_EXACT_GROUPS_SQL = """
    with shared_url(url) as (
      select url from items where url in (select value from json_each(:urls)) group by url having count(*) > 1
    ), shared_hash(content_hash) as (
      select content_hash from items where content_hash in (select value from json_each(:hashes))
      group by content_hash having count(*) > 1
    ), seed(id) as (
      select id from items where url in shared_url or content_hash in shared_hash
      union select value from json_each(:stored_before)
      union select duplicate_of from items where duplicate_of in (select value from json_each(:new_ids))
    )
    select i.id, i.url, i.content_hash, i.title, i.source_rank, i.published_at, i.fetched_at, i.status,
           i.duplicate_of, i.story_id, i.story_role, s.id, s.created_at, s.canonical_item_id, s.title,
           (select count(*) from items m where m.story_id = s.id)
    from items i left join stories s on s.id = i.story_id
    where i.id in (
      select id from seed
      union select duplicate_of from items where id in seed and duplicate_of is not null
      union select id from items where duplicate_of in seed
    )"""


def _late_variant_mark(variant_of: str) -> str:
    """The SET clause that marks items late variants of `variant_of` (an SQL expression); untouched ones become
    `duplicate`, a reviewer's decision stays."""
    return f"late_variant = 1, variant_of = {variant_of}, status = case when status = 'new' then 'duplicate' else status end"


def _marks(values: list[Any]) -> str:
    return ",".join("?" * len(values))


def utc_text(moment: datetime | None) -> str | None:
    return iso_utc(moment) if moment else None


def _dt(text: str | None) -> datetime | None:
    return from_iso(text) if text else None


# Decides rules and topics for one newly stored item (see worker.review.evaluate).
RuleHook = Callable[[Item], RuleOutcome]
RULES_REVIEWER = "rules"


@dataclass(frozen=True)
class Actor:
    """Who changes something: the reviewer name (`--as`) and the OS account that ran the command."""

    reviewer: str
    os_user: str = ""


@dataclass(frozen=True)
class SaveOutcome:
    new_ids: tuple[str, ...]
    updated_ids: tuple[str, ...]
    duplicate_ids: tuple[str, ...]


class CommitGroup:
    """See `Store.grouped_commits`: `open` before each save, `commit_if_due` after it."""

    def __init__(self, conn: sqlite3.Connection, seconds: float) -> None:
        self.conn, self.seconds = conn, seconds
        self.began: float | None = None

    def open(self) -> None:
        if self.began is None and not self.conn.in_transaction:
            self.conn.execute("BEGIN IMMEDIATE")
            self.began = time.monotonic()

    def commit_if_due(self) -> None:
        if self.began is not None and time.monotonic() - self.began >= self.seconds:
            self.end("COMMIT")

    def end(self, verb: str) -> None:
        if self.began is not None:
            self.began = None
            self.conn.execute(verb)


class Store:
    """A Loa database. Open with `Store.open(path)`; every write method is one transaction."""

    def __init__(self, db: sqlite_utils.Database | sqlite3.Connection) -> None:
        if isinstance(db, sqlite3.Connection):
            self.conn, self._db = db, None
        else:
            self.conn, self._db = db.conn, db

    @property
    def db(self) -> sqlite_utils.Database:
        """sqlite-utils over the same connection, made on first use: importing it (numpy, pandas probe,
        plugin scan) costs ~0.15 s, and a sync where nothing changed needs only plain SQL."""
        if self._db is None:
            import sqlite_utils

            self._db = sqlite_utils.Database(self.conn)
        return self._db

    def _rows(self, sql: str, params: list[Any] | dict[str, Any] | None = None) -> list[dict[str, Any]]:
        cursor = self.conn.execute(sql, params or [])
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor]

    def _has_table(self, name: str) -> bool:
        return (
            self.conn.execute("select 1 from sqlite_master where type = 'table' and name = ?", [name]).fetchone()
            is not None
        )

    @classmethod
    def open(cls, path: Path | str, *, migrate: bool = True) -> Store:
        target = Path(path)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(target), timeout=30, isolation_level=None)
            # What sqlite_utils.Database(conn) sets up, without importing it (see `db`).
            conn.execute("PRAGMA recursive_triggers = on")
            conn.execute("PRAGMA busy_timeout = 30000")
            conn.execute("PRAGMA foreign_keys = ON")
            if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                conn.execute("PRAGMA journal_mode = wal")
            conn.execute("PRAGMA synchronous = NORMAL")
            # Checkpoint every ~40 MB of WAL instead of ~4 MB: a big sync rewrites the same index
            # pages again and again, and each checkpoint copied them all (storing the 10,000-item
            # bench corpus: 3.2 s → 2.4 s, median of 4). Short-lived connections checkpoint on close.
            conn.execute(f"PRAGMA wal_autocheckpoint = {WAL_AUTOCHECKPOINT}")
            # 8 MB of page cache instead of 2: linking a source reads and inserts band rows and postings
            # all over their B-trees (350,000 band rows for the 10,000-item bench corpus), and with 2 MB
            # most of those pages were read again from the OS for every source.
            conn.execute(f"PRAGMA cache_size = {CACHE_KIB}")
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(
                f"cannot open the database {target}: {exc}",
                hint="check the db: path in sources.yaml and that its folder is writable",
            ) from None
        store = cls(conn)
        if migrate:
            store.migrate()
        return store

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite_utils.Database]:
        """BEGIN IMMEDIATE … COMMIT: all or nothing, and a second writer waits instead of failing late."""
        with self.atomic():
            yield self.db

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """`transaction` without the sqlite-utils handle (whose import a quick sync run does not pay for)."""
        conn = self.conn
        if conn.in_transaction:
            yield
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        else:
            conn.execute("COMMIT")

    @contextmanager
    def grouped_commits(self, seconds: float = 0.5) -> Iterator[CommitGroup]:
        """A write transaction held across many saves and committed every `seconds`, and at the end.

        For a writer that saves many small batches as they arrive (a sync's sources): each commit writes the
        hot index pages to the WAL again, so a commit per source cost a sync ~0.4 s. Rolled back on error.
        """
        group = CommitGroup(self.conn, seconds)
        # A big writer inserts items at random places in five indexes: with 32 MB of cache instead of 8 its
        # pages stay in memory between saves (full bench sync: ~0.15 s less wall time, +40 MB peak RSS).
        self.conn.execute(f"PRAGMA cache_size = {WRITER_CACHE_KIB}")
        try:
            yield group
        except BaseException:
            group.end("ROLLBACK")
            raise
        else:
            group.end("COMMIT")
        finally:
            self.conn.execute(f"PRAGMA cache_size = {CACHE_KIB}")

    @contextmanager
    def background_checkpoints(self, every: float = 0.5) -> Iterator[None]:
        """While a long writer runs, copy its WAL into the database on a thread of its own.

        Checkpoints otherwise run inside the writer's commits and, for everything left, in `close`: a tenth of
        a full sync's writer time, spent waiting on the disk. A thread with its own connection does them in
        the background (SQLite releases the GIL), so the writer only appends to the WAL.
        """
        path = next((row[2] for row in self.conn.execute("PRAGMA database_list") if row[1] == "main"), "")
        if not path:  # an in-memory database has no WAL
            yield
            return
        stop = threading.Event()

        def checkpoint() -> None:
            conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
            try:
                while not stop.wait(every):
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
            except sqlite3.Error:
                pass  # only a speed-up: whatever is not copied here, the next checkpoint copies
            finally:
                conn.close()

        self.conn.execute("PRAGMA wal_autocheckpoint = 0")
        thread = threading.Thread(target=checkpoint, name="loa-checkpoint", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()
            self.conn.execute(f"PRAGMA wal_autocheckpoint = {WAL_AUTOCHECKPOINT}")

    @contextmanager
    def bulk_transaction(self) -> Iterator[None]:
        """`atomic` for a writer of many rows that fire triggers: statement journals kept in memory.

        Every row a trigger follows needs a statement journal of the pages it touches; on disk (/var/tmp) that
        was ~1.4 M small writes for the ~85,000 queue rows of one national pack. temp_store must be set before
        BEGIN (SQLite decides where a transaction's journals live when it starts) and is set back after, so
        large sorts elsewhere still spill to disk, not memory.
        """
        if self.conn.in_transaction:
            yield
            return
        self.conn.execute("PRAGMA temp_store = MEMORY")
        try:
            with self.atomic():
                yield
        finally:
            self.conn.execute("PRAGMA temp_store = DEFAULT")

    # -- schema -----------------------------------------------------------------------------

    def schema_version(self) -> int:
        if not self._has_table("_migrations"):
            return 0
        row = self.db.execute("select max(version) from _migrations").fetchone()
        return int(row[0] or 0)

    def migrate(self, *, snapshot: bool = True) -> list[int]:
        """Apply pending migrations in order, each in its own transaction; returns the versions applied.

        An empty database gets `schema.sql` instead, unless `snapshot` is False (which is how it is made).
        """
        # Every command opens the store: an up-to-date database is checked with plain SQL.
        known = self.conn.execute("select 1 from sqlite_master where type = 'table' and name = '_migrations'")
        if known.fetchone() and {r[0] for r in self.conn.execute("select version from _migrations")} >= set(MIGRATIONS):
            return []
        applied = self._create_from_snapshot() if snapshot else []
        if applied and set(applied) >= set(MIGRATIONS):
            return applied
        with self.transaction() as db:
            db.table("_migrations").create(
                {"version": int, "name": str, "applied_at": str}, pk="version", if_not_exists=True
            )
        done = {row["version"] for row in self.db.table("_migrations").rows}
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

    def _create_from_snapshot(self) -> list[int]:
        """On an empty database, create the schema the migrations in `schema.sql` would build, in one go.

        Replaying every migration through sqlite-utils costs a first run ~0.14 s (most of it importing
        sqlite-utils); the snapshot takes milliseconds. Returns the versions it covers (none when not empty).
        """
        if self.conn.execute("select 1 from sqlite_master limit 1").fetchone():
            return []
        snapshot = SchemaSnapshot.read()
        if not snapshot.versions <= set(MIGRATIONS):
            return []  # a snapshot from a newer Loa than this one: build the schema the slow way
        applied_at = iso_utc(datetime.now().astimezone())
        with self.atomic():
            for statement in snapshot.statements:
                self.conn.execute(statement)
            self.conn.executemany(
                "insert into _migrations (version, name, applied_at) values (?, ?, ?)",
                [(version, MIGRATIONS[version].__name__, applied_at) for version in sorted(snapshot.versions)],
            )
        return sorted(snapshot.versions)

    def schema_statements(self) -> list[str]:
        """The statements that create this database's schema: tables, then indexes, triggers and views."""
        order = {"table": 0, "index": 1, "trigger": 2, "view": 3}
        rows = self.conn.execute(
            "select type, sql from sqlite_master where sql is not null and name not like 'sqlite_%' order by rowid"
        ).fetchall()
        return [sql for _, sql in sorted(rows, key=lambda row: order[row[0]])]

    # -- sources ----------------------------------------------------------------------------

    def register_sources(self, sources: tuple[Source, ...]) -> None:
        """Make the sources table match the config's names, URLs and trust order; keep fetch state."""
        registered = {row["id"]: row for row in self._rows("select id, name, kind, url, rank, enabled from sources")}
        with self.atomic():
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
                    # Plain SQL: sqlite-utils' upsert re-reads the table's schema for each source (a first
                    # run of 200 sources spent 70 ms on it before fetching anything).
                    self.conn.execute(
                        """insert into sources (id, name, kind, url, rank, enabled) values (?, ?, ?, ?, ?, ?)
                           on conflict (id) do update set name = excluded.name, kind = excluded.kind,
                           url = excluded.url, rank = excluded.rank, enabled = excluded.enabled""",
                        list(wanted.values()),
                    )
                if old is not None and old["rank"] != source.rank:
                    self.conn.execute(
                        "update items set source_rank = ? where source_id = ? and source_rank is not ?",
                        [source.rank, source.id, source.rank],
                    )

    def source_state(self, source_id: str) -> SourceState:
        rows = self._rows("select * from sources where id = ?", [source_id])
        if not rows:
            return SourceState(id=source_id)
        count = self.conn.execute("select count(*) from items where source_id = ?", [source_id]).fetchone()[0]
        return self._state(rows[0], count)

    def source_states(self) -> dict[str, SourceState]:
        # One grouped count instead of one query per source.
        counts = dict(self.conn.execute("select source_id, count(*) from items group by source_id").fetchall())
        return {row["id"]: self._state(row, counts.get(row["id"], 0)) for row in self._rows("select * from sources")}

    def _state(self, row: dict[str, Any], count: int) -> SourceState:
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
            health_action=row.get("health_action") or "",
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
        rules: RuleHook | None = None,
        media: list[MediaWant] | None = None,
    ) -> tuple[SourceResult, SaveOutcome]:
        """Items, their rule decisions and media rows, the source's new state and its log line, in one transaction.

        New and changed items join the link queue as one batch: `stories.link_pending` links them later.
        """
        with self.atomic():
            outcome = self._save_items(source, items)
            if rules is not None:
                by_id = {item.id: item for item in items}
                for new_id in outcome.new_ids:
                    self._apply_rules(by_id[new_id], rules(by_id[new_id]))
            self.queue_links(outcome.new_ids, outcome.updated_ids)
            if media:
                self.want_media(media, now=finished_at)
            extra = dict(result.extra)
            if outcome.new_ids:
                state = _replace_state(state, last_new_at=finished_at)
            self._update_row(
                "sources",
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
                    "health_action": state.health_action,
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
                health_action=result.health_action,
                new_ids=outcome.new_ids,
                extra=extra,
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

    def queue_links(self, new_ids: tuple[str, ...], updated_ids: tuple[str, ...] = ()) -> None:
        """Queue one save's new and changed items for linking, as one batch after every queued one."""
        if not (new_ids or updated_ids):
            return
        (last,) = self.conn.execute("select coalesce(max(batch), 0) from link_queue").fetchone()
        # An item still queued keeps its place; one saved again after linking is queued as changed.
        self.conn.executemany(
            "insert or ignore into link_queue (item_id, batch, changed) values (?, ?, ?)",
            [(i, last + 1, 0) for i in new_ids] + [(i, last + 1, 1) for i in updated_ids],
        )

    def next_link_batch(self) -> tuple[int, tuple[str, ...], tuple[str, ...]] | None:
        """The oldest queued batch: (batch, new item ids, changed item ids), each in save order; None when none."""
        row = self.conn.execute("select min(batch) from link_queue").fetchone()
        if row[0] is None:
            return None
        batch = int(row[0])
        rows = self.conn.execute(
            "select item_id, changed from link_queue where batch = ? order by rowid", [batch]
        ).fetchall()
        return batch, tuple(i for i, changed in rows if not changed), tuple(i for i, changed in rows if changed)

    def unqueue_link_batch(self, batch: int) -> None:
        self.conn.execute("delete from link_queue where batch = ?", [batch])

    def pending_links(self) -> int:
        """How many saved items wait to be linked into stories."""
        return int(self.conn.execute("select count(*) from link_queue").fetchone()[0])

    def clear_link_queue(self) -> None:
        self.conn.execute("delete from link_queue")

    # Plain SQL for the writes a sync makes: sqlite-utils' update() and insert() re-read the schema on
    # each call, and importing sqlite-utils at all (numpy, plugin scan) costs a sync ~0.15 s.
    def _update_row(self, table: str, row_id: str, values: dict[str, Any]) -> None:
        assignments = ", ".join(f"[{column}] = ?" for column in values)
        self.conn.execute(f"update [{table}] set {assignments} where id = ?", [*values.values(), row_id])

    def _insert_row(self, table: str, values: dict[str, Any]) -> None:
        self._insert_rows(table, [values])

    def _insert_rows(self, table: str, rows: list[dict[str, Any]], *, ignore: bool = False) -> int:
        """Rows that all have the same keys, in one executemany; returns how many were inserted."""
        columns = list(rows[0])
        names = ", ".join(f"[{column}]" for column in columns)
        marks = ", ".join("?" * len(columns))
        verb = "insert or ignore" if ignore else "insert"
        cursor = self.conn.executemany(
            f"{verb} into [{table}] ({names}) values ({marks})", [[row[c] for c in columns] for row in rows]
        )
        return cursor.rowcount

    def has_unknown_items(self, ids: list[str]) -> bool:
        """Whether any of `ids` is not stored yet (a source's run brought something new)."""
        unique = list(dict.fromkeys(ids))
        found = 0
        for start in range(0, len(unique), 500):
            chunk = unique[start : start + 500]
            found += self.conn.execute(f"select count(*) from items where id in ({_marks(chunk)})", chunk).fetchone()[0]
        return found < len(unique)

    def _save_items(self, source: Source, items: tuple[Item, ...]) -> SaveOutcome:
        new_ids: list[str] = []
        updated_ids: list[str] = []
        unique = {item.id: item for item in items}
        existing = (
            {
                row["id"]: row
                for row in self._rows(
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
                row["story_role"] = "canonical"
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
                self._update_row("items", item.id, changes)
                updated_ids.append(item.id)
            else:
                continue
            touched.append(item)
        # One batch insert per source instead of two inserts per item (each of which re-read the
        # schema): merging below sees every copy already stored, as it did item by item.
        if new_rows:
            self._insert_rows("items", new_rows)
            self._insert_rows("stories", new_stories, ignore=True)
        duplicate_ids = self._merge_exact(touched, new_ids=new_ids)
        return SaveOutcome(tuple(new_ids), tuple(updated_ids), tuple(dict.fromkeys(duplicate_ids)))

    def _merge_exact(self, items: Sequence[Item], *, new_ids: Collection[str] = ()) -> list[str]:
        """Group every copy with the same canonical URL or content hash as each of `items`, in order; point them
        at the canonical one and join their stories. `new_ids`: those of `items` this save inserted.

        Returns the ids merged as copies (a trusted copy arriving late merges older ones). One read and one
        executemany per kind of write for a whole save; `merge_exact_copies` decides item by item in memory.
        """
        if not items:
            return []
        saved = [(item.url, item.content_hash) for item in items]
        new = set(new_ids)
        params = {
            "urls": json.dumps([url for url, _ in saved]),
            "hashes": json.dumps([content_hash for _, content_hash in saved]),
            "stored_before": json.dumps([item.id for item in items if item.id not in new]),
            "new_ids": json.dumps([item.id for item in items if item.id in new]),
        }
        stored: dict[str, StoredCopy] = {}
        stories: dict[str, StoredStory] = {}
        for row in self.conn.execute(_EXACT_GROUPS_SQL, params):
            item_id, url, content_hash, title, rank, published, fetched, status, duplicate_of, story_id, role = row[:11]
            copy = Copy(item_id, rank or 0, published or "", fetched or "")
            stored[item_id] = StoredCopy(copy, url, content_hash, title, status, duplicate_of, story_id, role)
            if row[11] is not None:
                stories[row[11]] = StoredStory(*row[12:])
        merge = merge_exact_copies(stored, stories, saved)
        # Each item read is written once, in its final state: a copy's row is rewritten whole on every update.
        # SQL moves and re-roles only the items no group read (other members of the stories that joined).
        writes: list[tuple[str, list[Any]]] = [
            (
                "update items set story_id = ?, story_role = ?, duplicate_of = ?, status = ? where id = ?",
                [(*state, item_id) for item_id, state in merge.items.items()],
            ),
            ("update items set story_id = ? where story_id = ?", [(to, story_id) for story_id, to in merge.moves]),
            ("delete from stories where id = ?", [(story_id,) for story_id in merge.deleted_stories]),
            (
                "update stories set canonical_item_id = ?, title = ? where id = ?",
                [(canonical, stored[canonical].title, story_id) for story_id, canonical in merge.leads.items()],
            ),
            (_SET_ROLES_SQL, [{"s": story_id, "c": canonical} for story_id, canonical in merge.roles.items()]),
        ]
        for sql, rows in writes:
            if rows:
                self.conn.executemany(sql, rows)
        return merge.merged

    def set_story_roles(self, story_id: str, canonical: str | None = None) -> None:
        """Mark the story's canonical item (read from `stories` unless given) and the rest as variants."""
        if canonical is None:
            canonical = self.story_canonical_id(story_id)
        self.conn.execute(_SET_ROLES_SQL, {"s": story_id, "c": canonical})

    # -- near-duplicate stories (worker.stories orchestrates; decisions are in worker.dedupe) ----

    def story_item_rows(self, ids: list[str] | None = None) -> list[dict[str, Any]]:
        """Items as story decisions need them; all of them in arrival order when `ids` is None."""
        if ids is None:
            sql = f"select {STORY_COLUMNS} from items order by fetched_at, source_rank, published_at, id"
            return list(self.db.query(sql))
        return list(self.db.query(f"select {STORY_COLUMNS} from items where id in ({_marks(ids)})", ids))

    def story_roles(self) -> dict[str, str | None]:
        """Every item's story role ('canonical' | 'variant'), so a rebuild only updates the items that changed."""
        return dict(self.db.execute("select id, story_role from items").fetchall())

    def split_items(self) -> set[str]:
        """Items a reviewer split out: they never join another story automatically."""
        return {r["item_id"] for r in self.db.query("select item_id from story_overrides where action = 'split'")}

    def story_overrides(self) -> list[dict[str, Any]]:
        return list(self.db.query("select id, action, item_id, other_id from story_overrides order by id"))

    def stored_signature(self, item_id: str) -> dict[str, Any] | None:
        rows = list(self.db.query("select * from item_signatures where item_id = ?", [item_id]))
        return rows[0] if rows else None

    def _select_in(self, sql: str, values: Collection[Any]) -> list[Any]:
        """Rows of `sql`, whose `{values}` stands for the set of `values`; no rows for no values.

        The values travel as one JSON array: one query however many (no 999-parameter limit, no chunks).
        """
        if not values:
            return []
        return self.conn.execute(
            sql.format(values="(select value from json_each(?))"), [json.dumps(list(values))]
        ).fetchall()

    def term_frequencies(self, terms: Iterable[str]) -> tuple[dict[str, int], int]:
        """Document frequencies of `terms`, and how many items were counted: one query however many terms."""
        found = dict(self._select_in("select term, df from term_df where term in {values}", [*terms, ""]))
        total = found.pop("", 0)
        return found, total

    def save_signature(
        self,
        item_id: str,
        *,
        size: int,
        minhash: bytes,
        terms: frozenset[str],
        rare: list[str],
        keys: list[int],
        fingerprint: str,
        old_keys: list[int],
        old_rare: list[str],
    ) -> None:
        """Replace an item's signature, band rows and postings; count its terms once (the first time it is signed)."""
        conn = self.db.conn
        conn.executemany("delete from lsh_bands where key = ? and item_id = ?", [(k, item_id) for k in old_keys])
        conn.executemany("delete from term_postings where term = ? and item_id = ?", [(t, item_id) for t in old_rare])
        first = conn.execute("select 1 from item_signatures where item_id = ?", [item_id]).fetchone() is None
        conn.executemany("insert or ignore into lsh_bands (key, item_id) values (?, ?)", [(k, item_id) for k in keys])
        conn.executemany(
            "insert or ignore into term_postings (term, item_id) values (?, ?)", [(t, item_id) for t in rare]
        )
        conn.execute(
            """insert or replace into item_signatures (item_id, shingles, minhash, fingerprint, terms, rare)
               values (?, ?, ?, ?, ?, ?)""",
            [item_id, size, minhash, fingerprint, " ".join(sorted(terms)), " ".join(rare)],
        )
        if first:
            conn.executemany(
                "insert into term_df (term, df) values (?, 1) on conflict(term) do update set df = df + 1",
                [(t,) for t in [*terms, ""]],
            )

    # -- bulk linking: a whole batch's reads in a few set-based queries, its index rows in one write each --

    def band_members(self, keys: list[int]) -> list[tuple[int, str]]:
        """(key, item) rows of `lsh_bands` under any of `keys`: one query (the keys travel as one JSON array)."""
        return self._select_in("select key, item_id from lsh_bands where key in {values}", keys)

    def term_postings_of(self, terms: list[str]) -> list[tuple[str, str]]:
        """(term, item) rows of `term_postings` under any of `terms`."""
        return self._select_in("select term, item_id from term_postings where term in {values}", terms)

    def signed_ids(self, ids: list[str]) -> set[str]:
        """Which of `ids` already have a signature."""
        return {r[0] for r in self._select_in("select item_id from item_signatures where item_id in {values}", ids)}

    def signature_rows(self, ids: list[str]) -> dict[str, tuple[int, bytes, str]]:
        """item → (shingle count, minhash, terms) of stored signatures."""
        sql = "select item_id, shingles, minhash, terms from item_signatures where item_id in {values}"
        return {r[0]: (r[1], r[2], r[3] or "") for r in self._select_in(sql, ids)}

    def story_ids_of(self, ids: list[str]) -> dict[str, str]:
        """item → its current story id."""
        return dict(self._select_in("select id, story_id from items where id in {values}", ids))

    def save_signatures(
        self,
        signatures: list[tuple[str, int, bytes, str, str, str]],
        bands: list[tuple[int, str]],
        postings: list[tuple[str, str]],
        counts: list[tuple[str, int]],
    ) -> None:
        """First signatures of many items: one executemany per table; `counts` adds to term_df ('' = items counted)."""
        conn = self.conn
        conn.executemany("insert or ignore into lsh_bands (key, item_id) values (?, ?)", bands)
        conn.executemany("insert or ignore into term_postings (term, item_id) values (?, ?)", postings)
        conn.executemany(
            """insert or replace into item_signatures (item_id, shingles, minhash, fingerprint, terms, rare)
               values (?, ?, ?, ?, ?, ?)""",
            signatures,
        )
        conn.executemany(
            "insert into term_df (term, df) values (?, ?) on conflict(term) do update set df = df + excluded.df",
            counts,
        )

    def band_hit_counts(self, keys: list[int], item_id: str) -> list[tuple[str, int]]:
        """Items sharing any of these band keys, with how many: in a big story that is thousands of rows."""
        sql = f"select item_id, count(*) from lsh_bands where key in ({_marks(keys)}) and item_id != ? group by item_id"
        return [(r[0], r[1]) for r in self.db.execute(sql, [*keys, item_id])]

    def posting_hits(self, terms: list[str], item_id: str) -> list[str]:
        if not terms:
            return []
        sql = f"select item_id from term_postings where term in ({_marks(terms)}) and item_id != ?"
        return [r[0] for r in self.db.execute(sql, [*terms, item_id])]

    def signatures_of(self, ids: list[str]) -> list[dict[str, Any]]:
        """Stored signatures with each item's current story id."""
        if not ids:
            return []
        sql = f"""select s.item_id, s.shingles, s.minhash, s.terms, i.story_id from item_signatures s
                  join items i on i.id = s.item_id where s.item_id in ({_marks(ids)})"""
        return list(self.db.query(sql, ids))

    def minhashes_of(self, ids: list[str]) -> list[tuple[str, int, bytes]]:
        """(item id, shingle count, minhash) of stored signatures. Unlike `signatures_of` it does not
        read the item rows, whose story_id lies past the texts (overflow pages, for long articles)."""
        if not ids:
            return []
        sql = f"select item_id, shingles, minhash from item_signatures where item_id in ({_marks(ids)})"
        return [(r[0], r[1], r[2]) for r in self.db.conn.execute(sql, ids)]

    def story_candidates(self, ids: list[str], story_id: str) -> list[dict[str, Any]]:
        """Items among `ids` that are not already in `story_id`."""
        sql = f"select {STORY_COLUMNS} from items where id in ({_marks(ids)}) and story_id != ?"
        return list(self.db.query(sql, [*ids, story_id]))

    def stories_named_after(self, ids: list[str]) -> int:
        """How many stories have one of `ids` as their id (the id of the item that founded them)."""
        return len(self._select_in("select id from stories where id in {values}", ids))

    def has_other_members(self, story_id: str, item_id: str) -> bool:
        """Does the story hold items other than this one and its exact copies?"""
        row = self.conn.execute(
            "select count(*) from items where story_id = ? and id != ? and coalesce(duplicate_of, '') != ?",
            [story_id, item_id, item_id],
        ).fetchone()
        return bool(row[0])

    def item_title(self, item_id: str) -> str | None:
        row = self.db.execute("select title from items where id = ?", [item_id]).fetchone()
        return row[0] if row else None

    def story_canonical_id(self, story_id: str) -> str | None:
        row = self.db.execute("select canonical_item_id from stories where id = ?", [story_id]).fetchone()
        return str(row[0]) if row and row[0] else None

    def move_story(self, target: str, source: str) -> list[str]:
        """Every item of story `source` joins `target`; `source` is deleted. Returns the ids moved."""
        moved = [r[0] for r in self.db.execute("select id from items where story_id = ?", [source])]
        self.db.execute("update items set story_id = ? where story_id = ?", [target, source])
        self.db.execute("delete from stories where id = ?", [source])
        return moved

    def mark_late_variant(self, item_id: str, variant_of: str) -> None:
        """Wards already heard this story: the variant (and its exact copies) is linked, never queued as new."""
        self.conn.execute(
            f"update items set {_late_variant_mark('?')} where id = ? or duplicate_of = ?",
            [variant_of, item_id, item_id],
        )

    def inherit_late_variants(self, copy_ids: list[str]) -> None:
        """Exact copies whose canonical copy is a late variant take its mark, as `mark_late_variant` gives the
        copies stored by then: a copy saved after its original was linked would otherwise stay unmarked."""
        for start in range(0, len(copy_ids), 500):
            chunk = copy_ids[start : start + 500]
            original_variant_of = "(select o.variant_of from items o where o.id = items.duplicate_of)"
            self.conn.execute(
                f"""update items set {_late_variant_mark(original_variant_of)}
                   where id in ({_marks(chunk)}) and duplicate_of in (select id from items where late_variant = 1)""",
                chunk,
            )

    def story_lead_candidates(self, story_id: str) -> tuple[list[dict[str, Any]], str | None]:
        """The members that can lead a story, and its latest promoted member (None if none).

        `story_canonical` picks the least of (rank, published, fetched, id) within the first non-empty
        group of: approved non-copies, non-copies, approved copies, copies. So the least member of each
        group (at most four rows) decides exactly as all members would; a story of 1,000 items no
        longer loads 1,000 rows (with their texts) each time an item joins it. Titles are not read.
        """
        rows = self.db.query(
            """select id, status, duplicate_of, source_rank, published_at, fetched_at from (
                 select id, status, duplicate_of, source_rank, published_at, fetched_at,
                   row_number() over (
                     partition by coalesce(duplicate_of, '') = '', coalesce(status, '') = 'approved'
                     order by coalesce(source_rank, 0), coalesce(published_at, ''), coalesce(fetched_at, ''), id
                   ) as n
                 from items where story_id = ?)
               where n = 1""",
            [story_id],
        )
        candidates = list(rows)
        promoted = self.db.execute(
            """select o.item_id from story_overrides o join items i on i.id = o.item_id
               where o.action = 'promote' and i.story_id = ? order by o.id desc limit 1""",
            [story_id],
        ).fetchone()
        if promoted is None:
            return candidates, None
        if all(row["id"] != promoted[0] for row in candidates):
            candidates += self.db.query(
                "select id, status, duplicate_of, source_rank, published_at, fetched_at from items where id = ?",
                [promoted[0]],
            )
        return candidates, str(promoted[0])

    def promotions(self) -> dict[str, int]:
        """Promoted item → its latest promotion's override id."""
        rows = self.db.query("select id, item_id from story_overrides where action = 'promote' order by id")
        return {r["item_id"]: r["id"] for r in rows}

    def delete_story(self, story_id: str) -> None:
        self.db.execute("delete from stories where id = ?", [story_id])

    def put_story(
        self, story_id: str, canonical: str, title: str | None, *, now: datetime, changed: list[str] | None = None
    ) -> None:
        """Create or update a story's row, then the roles of its items (only of `changed` when given:
        the caller knows every other member already has the right role)."""
        stamp = iso_utc(now)
        if self.db.execute("select 1 from stories where id = ?", [story_id]).fetchone():
            self.db.execute(
                "update stories set canonical_item_id = ?, title = ?, updated_at = ? where id = ?",
                [canonical, title, stamp, story_id],
            )
        else:
            self.db.execute(
                "insert into stories (id, canonical_item_id, title, created_at, updated_at) values (?, ?, ?, ?, ?)",
                [story_id, canonical, title, stamp, stamp],
            )
        if changed is not None:
            self.db.execute(
                f"""update items set story_role = case when id = ? then 'canonical' else 'variant' end
                    where story_id = ? and id in ({_marks(changed)})""",
                [canonical, story_id, *changed],
            )
            return
        self.set_story_roles(story_id, canonical)

    def story_created(self, ids: list[str]) -> dict[str, str]:
        sql = f"select id, created_at from stories where id in ({_marks(ids)})"
        return dict(self.db.execute(sql, ids).fetchall())

    def story_ids(self) -> set[str]:
        return {r[0] for r in self.db.execute("select id from stories")}

    def has_story(self, story_id: str) -> bool:
        return self.db.execute("select 1 from stories where id = ?", [story_id]).fetchone() is not None

    def record_story_override(self, action: str, item_id: str, other_id: str | None, *, now: datetime) -> None:
        self.db.table("story_overrides").insert(
            {"action": action, "item_id": item_id, "other_id": other_id, "created_at": iso_utc(now)}
        )

    def move_item_with_copies(self, item_id: str, story_id: str) -> None:
        self.db.execute("update items set story_id = ? where id = ? or duplicate_of = ?", [story_id, item_id, item_id])

    def clear_late_variant(self, item_id: str) -> None:
        """A promoted late variant becomes reviewable again."""
        self.db.execute(
            """update items set late_variant = 0, variant_of = null,
               status = case when status = 'duplicate' and duplicate_of is null then 'new' else status end where id = ?""",
            [item_id],
        )

    def write_rebuild(
        self,
        *,
        signatures: list[tuple[str, int, bytes, str, str, str]],
        bands: list[tuple[int, str]] | None,
        postings: list[tuple[str, str]],
        frequencies: list[tuple[str, int]],
        assignments: list[tuple[str, str, str]],
        stories: list[tuple[str, str, str]],
        now: datetime,
    ) -> None:
        """Replace every signature, band row, posting, frequency, story and story assignment in one transaction.

        Rows arrive sorted by primary key, so inserts append to the clustered trees instead of splitting pages.
        `bands=None`: the band rows were already replaced (`replace_bands`) in the enclosing transaction.
        """
        stamp = iso_utc(now)
        with self.transaction():
            conn = self.db.conn
            # Trading crash safety for speed is fine inside this transaction: a crash rolls it back.
            conn.execute("PRAGMA cache_size = -200000")
            old_created = dict(conn.execute("select id, created_at from stories").fetchall())
            for table in ("term_postings", "term_df", "item_signatures"):
                conn.execute(f"delete from {table}")
            if bands is not None:
                self.replace_bands(bands)
            conn.executemany(
                """insert into item_signatures (item_id, shingles, minhash, fingerprint, terms, rare)
                   values (?, ?, ?, ?, ?, ?)""",
                signatures,
            )
            conn.executemany("insert into term_postings (term, item_id) values (?, ?)", postings)
            conn.executemany("insert into term_df (term, df) values (?, ?)", frequencies)
            conn.executemany("update items set story_id = ?, story_role = ? where id = ?", assignments)
            conn.execute("delete from stories")
            conn.executemany(
                "insert into stories (id, canonical_item_id, title, created_at, updated_at) values (?, ?, ?, ?, ?)",
                [(sid, canonical, title, old_created.get(sid, stamp), stamp) for sid, canonical, title in stories],
            )

    def replace_bands(self, bands: list[tuple[int, str]]) -> None:
        """Replace every `lsh_bands` row (sorted by key, item) in one transaction (or the enclosing one).

        sqlite3 releases the GIL while SQLite works, so another thread can compute meanwhile.
        """
        with self.transaction():
            conn = self.db.conn
            conn.execute("PRAGMA cache_size = -200000")
            conn.execute("delete from lsh_bands")
            conn.executemany("insert into lsh_bands (key, item_id) values (?, ?)", bands)

    def list_stories(self, limit: int | None = None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Stories newest first, and the (id, story_id, kind, status, late_variant) of their items."""
        sql = "select id, canonical_item_id, title, created_at, updated_at from stories order by updated_at desc, id"
        if limit:
            sql += f" limit {int(limit)}"
        stories = list(self.db.query(sql))
        if not stories:
            return [], []
        ids = [s["id"] for s in stories]
        members = self.db.query(
            f"""select id, story_id, kind, status, late_variant from items where story_id in ({_marks(ids)})
                order by published_at, id""",
            ids,
        )
        return stories, list(members)

    def story_detail(self, story_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        story = next(iter(self.db.query("select * from stories where id = ?", [story_id])))
        items = self.db.query(
            """select id, source_id, kind, status, story_role, late_variant, variant_of, duplicate_of, published_at, title, url
               from items where story_id = ? order by story_role = 'canonical' desc, published_at, id""",
            [story_id],
        )
        return story, list(items)

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

    # -- media --------------------------------------------------------------------------------

    def want_media(self, wants: list[MediaWant], *, now: datetime) -> int:
        """Record the files items need (once per item and URL); returns how many were new."""
        if not wants:
            return 0
        stamp = iso_utc(now)
        # One executemany per source (insert() per row re-read the schema each time).
        with self.atomic():
            return self._insert_rows(
                "media",
                [
                    {
                        "item_id": want.item_id,
                        "source_id": want.source_id,
                        "url": want.url,
                        "role": want.role,
                        "filename": want.filename,
                        "status": "off-domain" if want.off_domain else "pending",
                        "error": "host is not in the source's allowed_domains" if want.off_domain else None,
                        "attempts": 0,
                        "off_domain": int(want.off_domain),
                        "created_at": stamp,
                        "updated_at": stamp,
                    }
                    for want in wants
                ],
                ignore=True,
            )

    def media_to_download(self, source_ids: list[str], *, max_attempts: int) -> list[dict[str, Any]]:
        if not source_ids:
            return []
        marks = ",".join("?" * len(source_ids))
        return self._rows(
            f"""select * from media where source_id in ({marks})
                and status in ('pending', 'failed') and attempts < ? order by id""",
            [*source_ids, max_attempts],
        )

    def media_done(self, media_id: int, *, sha256: str, size: int, content_type: str, path: str, now: datetime) -> None:
        with self.transaction() as db:
            db.execute(
                """update media set status = 'ok', error = null, attempts = attempts + 1, sha256 = ?, bytes = ?,
                   content_type = ?, path = ?, updated_at = ? where id = ?""",
                [sha256, size, content_type, path, iso_utc(now), media_id],
            )

    def media_failed(self, media_id: int, *, error: str, now: datetime) -> None:
        with self.transaction() as db:
            db.execute(
                "update media set status = 'failed', error = ?, attempts = attempts + 1, updated_at = ? where id = ?",
                [error, iso_utc(now), media_id],
            )

    def media_list(
        self, *, status: str | None = None, source_id: str | None = None, limit: int = 50
    ) -> list[dict[str, Any]]:
        """Media rows, newest first, optionally of one status and/or source."""
        where = [c for c, v in (("status = ?", status), ("source_id = ?", source_id)) if v]
        args = [v for v in (status, source_id) if v]
        sql = "select * from media" + (" where " + " and ".join(where) if where else "") + " order by id desc limit ?"
        return list(self.db.query(sql, [*args, limit]))

    def media_summary(self) -> dict[str, dict[str, int]]:
        """status → {files, bytes}."""
        return {
            row["status"]: {"files": int(row["files"]), "bytes": int(row["bytes"] or 0)}
            for row in self.db.query("select status, count(*) as files, sum(bytes) as bytes from media group by status")
        }

    def media_paths(self) -> set[str]:
        """Every stored file some media row points at."""
        return {row[0] for row in self.db.execute("select distinct path from media where path is not null")}

    def media_reopen(self, ids: list[int]) -> list[int]:
        """Failed downloads (all of them when `ids` is empty) get their attempts back for the next sync."""
        where = "status = 'failed'" + (f" and id in ({_marks(ids)})" if ids else "")
        with self.transaction() as db:
            reopened = [int(row[0]) for row in db.execute(f"select id from media where {where}", ids)]
            if reopened:
                db.execute(
                    f"update media set status = 'pending', attempts = 0 where id in ({_marks(reopened)})", reopened
                )
        return reopened

    def item_media(self, item_id: str) -> list[dict[str, Any]]:
        return list(self.db.query("select * from media where item_id = ? order by id", [item_id]))

    # -- alerts -------------------------------------------------------------------------------

    def last_alert_at(self, source_id: str) -> datetime | None:
        row = self.db.execute(
            "select max(at) from alerts where source_id = ? and status != 'suppressed'", [source_id]
        ).fetchone()
        return _dt(row[0]) if row and row[0] else None

    def record_alert(self, payload: dict[str, Any], *, status: str, detail: str) -> None:
        with self.transaction() as db:
            db.table("alerts").insert(
                {
                    "source_id": payload["source"],
                    "at": payload["at"],
                    "from_health": payload["from"],
                    "to_health": payload["to"],
                    "reason": payload["reason"],
                    "action": payload["action"],
                    "status": status,
                    "detail": detail,
                }
            )

    def alerts(self, source_id: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        sql = "select * from alerts" + (" where source_id = ?" if source_id else "") + " order by id desc limit ?"
        return list(self.db.query(sql, ([source_id] if source_id else []) + [limit]))

    def fetch_log(self, source_id: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
        sql = "select * from fetch_log" + (" where source_id = ?" if source_id else "") + " order by id desc limit ?"
        return list(self.db.query(sql, ([source_id] if source_id else []) + [limit]))

    # -- review -------------------------------------------------------------------------------

    def _apply_rules(self, item: Item, outcome: RuleOutcome) -> None:
        """Write what rules and topics decided for a new item, with one audit row per rule that fired."""
        if outcome.empty:
            return
        row = self.db.execute("select * from items where id = ?", [item.id]).fetchone()
        columns = [d[0] for d in self.db.execute("select * from items limit 0").description]
        current = dict(zip(columns, row, strict=True))
        after = apply_outcome(current, outcome)
        before = decision_state(current)
        at = iso_utc(item.fetched_at)
        batch = f"sync:{item.id}:{at}"
        self._write_decisions(item.id, after)
        for fired in outcome.fired:
            changes_status = fired.action in ("reject", "hold") and after["status"] != before["status"]
            self._insert_audit(
                batch=batch,
                at=at,
                actor=Actor(RULES_REVIEWER),
                item_id=item.id,
                story_id=current.get("story_id"),
                action=fired.action,
                from_status=before["status"],
                to_status=after["status"] if changes_status else before["status"],
                reason=fired.reason + (f" ({fired.value})" if fired.value else ""),
                rule_id=fired.rule_id,
                before=before,
                after=after,
            )

    def _write_decisions(self, item_id: str, state: dict[str, Any]) -> None:
        values = {key: state[key] for key in DECISION_FIELDS if key in state}
        if "topics" in values:
            values["topics"] = json.dumps(list(values["topics"]), ensure_ascii=False)
        self.db.table("items").update(item_id, values)

    def _insert_audit(
        self,
        *,
        batch: str,
        at: str,
        actor: Actor,
        item_id: str,
        story_id: str | None,
        action: str,
        from_status: str | None,
        to_status: str | None,
        reason: str,
        before: dict[str, Any],
        after: dict[str, Any],
        rule_id: str | None = None,
    ) -> int:
        changed = {key for key in DECISION_FIELDS if before.get(key) != after.get(key)}
        cursor = self.db.execute(
            """insert into audit (batch, at, reviewer, os_user, item_id, story_id, action, from_status, to_status,
                                  reason, rule_id, before, after)
               values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [
                batch,
                at,
                actor.reviewer,
                actor.os_user or None,
                item_id,
                story_id,
                action,
                from_status,
                to_status,
                reason or None,
                rule_id,
                json.dumps({k: before.get(k) for k in sorted(changed)}, ensure_ascii=False),
                json.dumps({k: after.get(k) for k in sorted(changed)}, ensure_ascii=False),
            ],
        )
        return int(cursor.lastrowid or 0)

    def record_change(self, change: Change, *, actor: Actor, now: datetime, batch: str) -> int:
        """Write one planned change and its audit row; approving also snapshots the source revision."""
        at = iso_utc(now)
        self._write_decisions(change.item_id, change.after)
        audit_id = self._insert_audit(
            batch=batch,
            at=at,
            actor=actor,
            item_id=change.item_id,
            story_id=change.story_id,
            action=change.action,
            from_status=change.from_status,
            to_status=change.to_status,
            reason=change.reason,
            before=change.before,
            after=change.after,
        )
        if change.action == "approve":
            # Publishing keeps the last approved revision even if the source changes it later.
            self.db.execute(
                """insert into approved_revisions (item_id, revision, url, title, summary, body_html, body_text,
                                                   broadcast_title, broadcast_text, kind, image, attachments, extra,
                                                   approved_at, approved_by, audit_id)
                   select id, revision, url, title, summary, body_html, body_text, broadcast_title, broadcast_text,
                          kind, image, attachments, extra, ?, ?, ? from items where id = ?""",
                [at, actor.reviewer, audit_id, change.item_id],
            )
        return audit_id

    def mark_undone(self, audit_ids: list[int], *, by_batch: str) -> None:
        marks = ",".join("?" * len(audit_ids))
        self.db.execute(f"update audit set undone_by = ? where id in ({marks})", [by_batch, *audit_ids])
        self.db.execute(f"delete from approved_revisions where audit_id in ({marks})", audit_ids)

    def find_item(self, ref: str) -> dict[str, Any]:
        """An item by id, unique id prefix, or story id (then its canonical item); ReviewError otherwise."""
        from worker.errors import ReviewError

        ref = ref.strip()
        story = self.db.execute("select canonical_item_id from stories where id = ?", [ref]).fetchone()
        if story is not None and story[0]:
            ref = story[0]
        escaped = ref.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        rows = list(
            self.db.query(
                "select * from items where id = ? or id like ? escape '\\' order by id limit 3", [ref, f"{escaped}%"]
            )
        )
        exact = [r for r in rows if r["id"] == ref]
        if exact:
            return decode_item_row(exact[0])
        if len(rows) == 1 and ref:
            return decode_item_row(rows[0])
        if rows and ref:
            raise ReviewError(
                f"id prefix {ref!r} is ambiguous ({', '.join(r['id'] for r in rows)}, …)", hint="type more of the id"
            )
        raise ReviewError(f"no item or story {ref!r}", hint="`loa items list` shows ids")

    def story(self, story_id: str | None) -> dict[str, Any] | None:
        if not story_id:
            return None
        rows = list(self.db.query("select * from stories where id = ?", [story_id]))
        return rows[0] if rows else None

    def story_items(self, story_id: str) -> list[dict[str, Any]]:
        sql = "select * from items where story_id = ? order by source_rank, published_at, id"
        return [decode_item_row(r) for r in self.db.query(sql, [story_id])]

    def duplicates_of(self, item_id: str) -> list[dict[str, Any]]:
        sql = "select * from items where duplicate_of = ? order by source_rank, published_at, id"
        return [decode_item_row(r) for r in self.db.query(sql, [item_id])]

    def story_leads(
        self,
        *,
        statuses: tuple[str, ...],
        source_id: str | None = None,
        since: datetime | None = None,
        kind: str | None = None,
    ) -> list[dict[str, Any]]:
        """Items that stand for a story (its canonical item, or items without one), oldest first."""
        where = [f"i.status in ({','.join('?' * len(statuses))})", "(s.id is null or s.canonical_item_id = i.id)"]
        params: list[Any] = list(statuses)
        if source_id:
            where.append("i.source_id = ?")
            params.append(source_id)
        if since:
            where.append("i.published_at >= ?")
            params.append(iso_utc(since))
        if kind:
            where.append("i.kind = ?")
            params.append(kind)
        sql = (
            "select i.* from items i left join stories s on s.id = i.story_id where "
            + " and ".join(where)
            + " order by i.published_at, i.id"
        )
        return [decode_item_row(r) for r in self.db.query(sql, params)]

    def rule_hits(self, item_id: str) -> list[dict[str, Any]]:
        sql = "select * from audit where item_id = ? and rule_id is not null order by id"
        return list(self.db.query(sql, [item_id]))

    def audit(
        self, *, item_ids: tuple[str, ...] = (), since: datetime | None = None, limit: int | None = None
    ) -> list[dict[str, Any]]:
        where: list[str] = []
        params: list[Any] = []
        if item_ids:
            where.append(f"item_id in ({','.join('?' * len(item_ids))})")
            params.extend(item_ids)
        if since:
            where.append("at >= ?")
            params.append(iso_utc(since))
        sql = "select * from audit" + (f" where {' and '.join(where)}" if where else "") + " order by id"
        if limit:
            sql = f"select * from ({sql.replace(' order by id', ' order by id desc')} limit {int(limit)}) order by id"
        rows = list(self.db.query(sql, params))
        for row in rows:
            row["before"] = json.loads(row["before"] or "{}")
            row["after"] = json.loads(row["after"] or "{}")
        return rows

    def last_batch(self, reviewer: str) -> list[dict[str, Any]]:
        """The audit rows of the reviewer's most recent action that is not an undo and not undone yet."""
        row = self.db.execute(
            "select batch from audit where reviewer = ? and action != 'undo' and undone_by is null order by id desc limit 1",
            [reviewer],
        ).fetchone()
        if row is None:
            return []
        return list(self.db.query("select * from audit where batch = ? order by id", [row[0]]))

    def raw_item(self, item_id: str) -> dict[str, Any]:
        return decode_item_row(next(iter(self.db.query("select * from items where id = ?", [item_id]))))

    def review_session(self, reviewer: str) -> dict[str, Any] | None:
        rows = list(self.db.query("select * from review_sessions where reviewer = ?", [reviewer]))
        if not rows:
            return None
        session = dict(rows[0])
        session["queue"] = json.loads(session["queue"] or "[]")
        return session

    def save_review_session(self, reviewer: str, queue: list[str], position: int, *, now: datetime) -> None:
        with self.transaction() as db:
            existing = self.review_session(reviewer)
            db.table("review_sessions").upsert(
                {
                    "reviewer": reviewer,
                    "queue": json.dumps(queue),
                    "position": position,
                    "started_at": existing["started_at"] if existing else iso_utc(now),
                    "updated_at": iso_utc(now),
                },
                pk="reviewer",
            )

    def end_review_session(self, reviewer: str) -> None:
        with self.transaction():
            self.db.execute("delete from review_sessions where reviewer = ?", [reviewer])

    # -- packs and publishing ---------------------------------------------------------------------

    def approved_rows(self) -> list[dict[str, Any]]:
        """Approved items as of their LAST APPROVED revision: text, kind, image, attachments (never the live source's).

        This is the only query publishing and pack building read items through: an item that is not
        approved, or has no approval snapshot, cannot come out of it.
        """
        sql = """
            select i.id, i.story_id, i.source_id, r.kind, i.published_at, i.source_rank, i.priority, i.topics,
                   i.expires_at, r.image, r.attachments, r.extra, i.status, i.needs_review,
                   r.id as approval_id, r.revision as approved_revision, r.url, r.title, r.summary, r.body_html,
                   r.broadcast_title, r.broadcast_text, r.approved_at, r.approved_by
            from items i
            join approved_revisions r on r.id = (select max(a.id) from approved_revisions a where a.item_id = i.id)
            where i.status = 'approved'
            order by i.id
        """
        return [decode_item_row(row) for row in self._rows(sql)]

    def packs(self) -> list[dict[str, Any]]:
        return self._rows("select * from packs order by id")

    def pack(self, number: int) -> dict[str, Any] | None:
        rows = list(self.db.query("select * from packs where number = ?", [number]))
        return rows[0] if rows else None

    def pack_members(self) -> dict[int, list[dict[str, Any]]]:
        members: dict[int, list[dict[str, Any]]] = {}
        for row in self._rows("select * from pack_stories order by pack_id, position, story_id"):
            members.setdefault(int(row["pack_id"]), []).append(row)
        return members

    def packed_story_ids(self) -> set[str]:
        return {row[0] for row in self.db.execute("select story_id from pack_stories")}

    def next_pack_number(self) -> int:
        return int(self.db.execute("select coalesce(max(number), 0) + 1 from packs").fetchone()[0])

    def last_auto_pack_at(self) -> str | None:
        row = self.db.execute("select max(created_at) from packs where auto = 1").fetchone()
        return row[0] if row else None

    def create_pack(
        self, *, title: str, members: list[tuple[str, str]], now: datetime, created_by: str, auto: bool = False
    ) -> int:
        """A new draft pack holding (story_id, item_id) pairs in order; one transaction."""
        with self.transaction() as db:
            number = self.next_pack_number()
            cursor = db.execute(
                "insert into packs (number, title, status, revision, auto, created_at, created_by) values (?, ?, 'draft', 0, ?, ?, ?)",
                [number, title, int(auto), iso_utc(now), created_by],
            )
            pack_id = int(cursor.lastrowid or 0)
            self._insert_members(pack_id, members, now=now, start=0)
        return pack_id

    def _insert_members(self, pack_id: int, members: list[tuple[str, str]], *, now: datetime, start: int) -> None:
        for offset, (story_id, item_id) in enumerate(members):
            self.db.execute(
                "insert into pack_stories (pack_id, story_id, item_id, position, added_at) values (?, ?, ?, ?, ?)",
                [pack_id, story_id, item_id, start + offset, iso_utc(now)],
            )

    def add_to_pack(self, pack_id: int, members: list[tuple[str, str]], *, now: datetime) -> None:
        with self.transaction():
            start = int(
                self.db.execute(
                    "select coalesce(max(position), -1) + 1 from pack_stories where pack_id = ?", [pack_id]
                ).fetchone()[0]
            )
            self._insert_members(pack_id, members, now=now, start=start)

    def remove_from_pack(self, pack_id: int, story_ids: list[str]) -> int:
        with self.transaction():
            marks = ",".join("?" * len(story_ids))
            cursor = self.db.execute(
                f"delete from pack_stories where pack_id = ? and story_id in ({marks})", [pack_id, *story_ids]
            )
            return int(cursor.rowcount)

    def reorder_pack(self, pack_id: int, story_ids: list[str]) -> None:
        with self.transaction():
            for position, story_id in enumerate(story_ids):
                self.db.execute(
                    "update pack_stories set position = ? where pack_id = ? and story_id = ?",
                    [position, pack_id, story_id],
                )

    def set_pack_title(self, pack_id: int, title: str) -> None:
        with self.transaction():
            self.db.execute("update packs set title = ? where id = ?", [title, pack_id])

    def record_published(self, updates: list[dict[str, Any]]) -> None:
        """Pack status, revision and content hash after a publish, all in one transaction."""
        with self.atomic():
            for update in updates:
                values = {k: v for k, v in update.items() if k != "id"}
                if values:
                    self._update_row("packs", update["id"], values)

    def media_rows(self) -> list[dict[str, Any]] | None:
        """Rows of the media store (url, sha256, …), or None when no media table exists in this database."""
        if not self._has_table("media"):
            return None
        return self._rows("select * from media where status = 'ok'")

    def imported_wards(self) -> list[dict[str, Any]]:
        rows = self._rows("select * from wards order by position")
        for row in rows:
            for key in ("topics", "kinds", "slots", "quiet_days"):
                row[key] = json.loads(row.get(key) or "[]")
        return rows

    def replace_wards(self, wards: list[dict[str, Any]], *, now: datetime) -> None:
        """The imported ward list, replaced as a whole (an empty list clears it)."""
        with self.transaction() as db:
            db.execute("delete from wards")
            for position, ward in enumerate(wards):
                db.table("wards").insert(
                    {
                        "id": ward["id"],
                        "position": position,
                        "name": ward["name"],
                        "kind": ward["kind"],
                        "topics": json.dumps(list(ward["topics"]), ensure_ascii=False),
                        "kinds": json.dumps(list(ward["kinds"])),
                        "slots": json.dumps(list(ward["slots"])),
                        "quiet_days": json.dumps(list(ward.get("quiet_days") or [])),
                        "daily_cap": ward.get("daily_cap") or "",
                        "imported_at": iso_utc(now),
                        **{key: ward.get(key) for key in ("email", "webhook", "webhook_secret_env")},
                    }
                )

    # -- ward desk: queue entries, acks, tokens, sessions --------------------------------------------

    def upsert_queue_entries(self, rows: list[dict[str, Any]]) -> None:
        """Insert or replace queue_entries rows by id (tests and fixtures; broadcast has its own writer)."""
        with self.transaction() as db:
            for row in rows:
                db.table("queue_entries").upsert(dict(row), pk="id", alter=False)

    def ward_queue(self, ward: str, *, since: str | None = None, until: str | None = None) -> list[dict[str, Any]]:
        """A ward's entries in airing order, optionally from/to a YYYY-MM-DD date (inclusive)."""
        where, params = ["ward = ?"], [ward]
        if since:
            where.append("date >= ?")
            params.append(since)
        if until:
            where.append("date <= ?")
            params.append(until)
        sql = f"select * from queue_entries where {' and '.join(where)} order by date, slot, position, id"
        return list(self.db.query(sql, params))

    def queue_entries_by_id(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        return {row["id"]: row for row in self.db.query(f"select * from queue_entries where id in ({marks})", ids)}

    def find_queue_entry_ids(self, ward: str, ref: str) -> list[str]:
        """Ids of the ward's entries equal to ref, or starting with it (several: ambiguous)."""
        escaped = ref.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        rows = self.db.execute(
            "select id from queue_entries where ward = ? and (id = ? or id like ? escape '\\') order by id limit 3",
            [ward, ref, f"{escaped}%"],
        ).fetchall()
        exact = [r[0] for r in rows if r[0] == ref]
        return exact or [r[0] for r in rows]

    def slot_entry_ids(self, ward: str, date: str, slot: str, position: int | None = None) -> list[str]:
        sql = "select id from queue_entries where ward = ? and date = ? and slot = ?"
        params: list[Any] = [ward, date, slot]
        if position is not None:
            sql += " and position = ?"
            params.append(position)
        return [r[0] for r in self.db.execute(sql + " order by position, id", params)]

    def write_acks(self, changes: list[dict[str, Any]], audit: list[dict[str, Any]]) -> None:
        """Entry updates and their audit rows together; the caller holds the transaction."""
        with self.transaction() as db:
            for change in changes:
                db.table("queue_entries").update(change["id"], {k: v for k, v in change.items() if k != "id"})
            if audit:
                db.table("acks").insert_all(audit)

    def ack_log(self, *, ward: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        where = " where ward = ?" if ward else ""
        sql = f"select * from (select * from acks{where} order by id desc limit {int(limit)}) order by id"
        return list(self.db.query(sql, [ward] if ward else []))

    def set_ward_token(self, ward: str, ward_name: str, token_hash: str, *, now: datetime, by: str) -> None:
        """Issue or rotate: the new hash replaces the old one, and the ward's sessions end."""
        with self.transaction() as db:
            db.table("ward_tokens").upsert(
                {
                    "ward": ward,
                    "ward_name": ward_name,
                    "token_hash": token_hash,
                    "created_at": iso_utc(now),
                    "created_by": by,
                },
                pk="ward",
            )
            db.execute("delete from desk_sessions where ward = ?", [ward])

    def ward_token(self, ward: str) -> dict[str, Any] | None:
        rows = list(self.db.query("select * from ward_tokens where ward = ?", [ward]))
        return rows[0] if rows else None

    def ward_for_token_hash(self, token_hash: str) -> str | None:
        row = self.db.execute("select ward from ward_tokens where token_hash = ?", [token_hash]).fetchone()
        return str(row[0]) if row else None

    def create_desk_session(self, id_hash: str, ward: str, csrf: str, *, now: datetime, expires: datetime) -> None:
        with self.transaction() as db:
            db.execute("delete from desk_sessions where expires_at <= ?", [iso_utc(now)])
            db.table("desk_sessions").insert(
                {
                    "id_hash": id_hash,
                    "ward": ward,
                    "csrf": csrf,
                    "created_at": iso_utc(now),
                    "expires_at": iso_utc(expires),
                }
            )

    def desk_session(self, id_hash: str, *, now: datetime) -> dict[str, Any] | None:
        rows = list(
            self.db.query("select * from desk_sessions where id_hash = ? and expires_at > ?", [id_hash, iso_utc(now)])
        )
        return rows[0] if rows else None

    def end_desk_session(self, id_hash: str) -> None:
        with self.transaction():
            self.db.execute("delete from desk_sessions where id_hash = ?", [id_hash])

    # -- campaign report (issue 9): read-only queries; the figures are computed in worker.report ---------

    def report_items(self, since_utc: str, until_utc: str) -> list[dict[str, Any]]:
        """Items fetched in [since, until) with their decision, and whether they went out in a published pack."""
        sql = """select i.id, i.source_id, i.kind, i.status, i.story_id, i.fetched_at,
                        exists(select 1 from pack_stories ps join packs p on p.id = ps.pack_id
                               where ps.item_id = i.id and p.status = 'published') as published
                 from items i where i.fetched_at >= ? and i.fetched_at < ? order by i.id"""
        return list(self.db.query(sql, [since_utc, until_utc]))

    def report_packs(self) -> list[dict[str, Any]]:
        """Packs with the number of stories they hold and how many of those are still approved (live)."""
        sql = """select p.*, (select count(*) from pack_stories ps where ps.pack_id = p.id) as stories,
                        (select count(*) from pack_stories ps join items i on i.id = ps.item_id
                         where ps.pack_id = p.id and i.status = 'approved') as live
                 from packs p order by p.number"""
        return list(self.db.query(sql))

    def report_queue_entries(self, since: str, until: str, ward: str | None = None) -> list[dict[str, Any]]:
        """Queue entries dated from `since` to `until` (YYYY-MM-DD, inclusive), optionally of one ward."""
        where, params = ["date >= ?", "date <= ?"], [since, until]
        if ward:
            where.append("ward = ?")
            params.append(ward)
        columns = "id, ward, date, slot, story, seconds, status, aired_at"
        sql = f"select {columns} from queue_entries where {' and '.join(where)} order by ward, date, slot, position, id"
        return list(self.db.query(sql, params))

    def story_topics(self, story_ids: list[str]) -> dict[str, set[str]]:
        """Topics of each story: the union of its items' topics."""
        found: dict[str, set[str]] = {story: set() for story in story_ids}
        for start in range(0, len(story_ids), 500):
            chunk = story_ids[start : start + 500]
            sql = f"select story_id, topics from items where story_id in ({','.join('?' * len(chunk))})"
            for story_id, topics in self.db.execute(sql, chunk):
                found[story_id].update(json.loads(topics or "[]"))
        return found

    def source_names(self) -> dict[str, str]:
        return {row[0]: row[1] for row in self.db.execute("select id, name from sources")}

    def add_report_figure(self, row: dict[str, Any]) -> int:
        with self.transaction() as db:
            cursor = db.execute(
                "insert into report_figures (channel, metric, value, source, note, recorded_at, recorded_by, os_user) "
                "values (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    row[k]
                    for k in ("channel", "metric", "value", "source", "note", "recorded_at", "recorded_by", "os_user")
                ],
            )
        return int(cursor.lastrowid or 0)

    def report_figures(self) -> list[dict[str, Any]]:
        return list(self.db.query("select * from report_figures order by channel, id"))

    # -- deliveries and notices ---------------------------------------------------------------------

    def delivery_keys(self, destination: str) -> set[str]:
        sql = "select idempotency_key from deliveries where destination = ?"
        return {row[0] for row in self.db.execute(sql, [destination])}

    def enqueue_delivery(
        self, row: dict[str, Any], build: Callable[[int], bytes], *, notified: tuple[tuple[str, str], ...] = ()
    ) -> int:
        """Record a delivery with its exact body BEFORE anything is sent, in its own transaction.

        `build(sequence)` makes the body with the destination's next sequence number; older pending
        deliveries of the same pack to the same destination are superseded (the newer revision carries
        everything). `notified` (entry id, channel) pairs are marked in the same transaction.
        """
        with self.transaction() as db:
            current = db.execute(
                "select last from delivery_sequences where destination = ?", [row["destination"]]
            ).fetchone()
            sequence = (int(current[0]) if current else 0) + 1
            db.execute(
                "insert into delivery_sequences (destination, last) values (?, ?) "
                "on conflict(destination) do update set last = excluded.last",
                [row["destination"], sequence],
            )
            if row.get("pack_id") is not None:
                db.execute(
                    "update deliveries set status = 'superseded', updated_at = ? "
                    "where destination = ? and pack_id = ? and status = 'pending'",
                    [row["created_at"], row["destination"], row["pack_id"]],
                )
            cursor = db.execute(
                "insert into deliveries (channel, destination, pack_id, revision, action, idempotency_key, sequence, "
                "url, body, content_type, summary, status, attempts, next_attempt_at, created_at, updated_at) "
                "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?)",
                [
                    row["channel"],
                    row["destination"],
                    row.get("pack_id"),
                    row.get("revision"),
                    row["action"],
                    row["idempotency_key"],
                    sequence,
                    row["url"],
                    build(sequence),
                    row["content_type"],
                    row["summary"],
                    row["created_at"],
                    row["created_at"],
                    row["created_at"],
                ],
            )
            delivery_id = int(cursor.lastrowid or 0)
            for entry_id, channel in notified:
                db.execute(
                    "insert or ignore into queue_notices (entry_id, channel, ward, delivery_id, notified_at) "
                    "values (?, ?, ?, ?, ?)",
                    [entry_id, channel, row["destination"], delivery_id, row["created_at"]],
                )
        return delivery_id

    def pending_deliveries(self, ids: tuple[int, ...] = ()) -> list[dict[str, Any]]:
        """Pending deliveries (only `ids` when given), in sequence order per destination."""
        where, params = "status = 'pending'", []
        if ids:
            where += f" and id in ({','.join('?' * len(ids))})"
            params = list(ids)
        return list(self.db.query(f"select * from deliveries where {where} order by destination, sequence", params))

    def record_attempt(self, delivery_id: int, attempt: dict[str, Any], changes: dict[str, Any]) -> None:
        """One attempt's outcome and the delivery's new state, in one transaction."""
        with self.transaction() as db:
            db.table("delivery_attempts").insert({"delivery_id": delivery_id, **attempt})
            db.table("deliveries").update(delivery_id, changes)

    def deliveries(self, *, status: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
        where, params = ("where status = ?", [status]) if status else ("", [])
        sql = f"select * from deliveries {where} order by id desc limit {int(limit)}"
        return list(self.db.query(sql, params))

    def delivery(self, delivery_id: int) -> dict[str, Any] | None:
        rows = list(self.db.query("select * from deliveries where id = ?", [delivery_id]))
        return rows[0] if rows else None

    def delivery_attempts(self, delivery_id: int) -> list[dict[str, Any]]:
        return list(self.db.query("select * from delivery_attempts where delivery_id = ? order by id", [delivery_id]))

    def delivery_counts(self) -> dict[str, int]:
        if not self._has_table("deliveries"):
            return {}
        return {row[0]: int(row[1]) for row in self.db.execute("select status, count(*) from deliveries group by 1")}

    def reopen_deliveries(self, ids: tuple[int, ...], *, now: datetime) -> list[int]:
        """Failed (or pending) deliveries back to pending and due now; the ids that were reopened."""
        with self.transaction() as db:
            if ids:
                marks = ",".join("?" * len(ids))
                rows = db.execute(
                    f"select id from deliveries where id in ({marks}) and status in ('failed', 'pending')", list(ids)
                ).fetchall()
            else:
                rows = db.execute("select id from deliveries where status in ('failed', 'pending')").fetchall()
            found = [int(r[0]) for r in rows]
            for delivery_id in found:
                db.execute(
                    "update deliveries set status = 'pending', next_attempt_at = ?, updated_at = ? where id = ?",
                    [iso_utc(now), iso_utc(now), delivery_id],
                )
        return found

    def remote_post(self, destination: str, pack_id: int) -> str | None:
        row = self.db.execute(
            "select remote_id from remote_posts where destination = ? and pack_id = ?", [destination, pack_id]
        ).fetchone()
        return str(row[0]) if row and row[0] else None

    def set_remote_post(self, destination: str, pack_id: int, remote_id: str | None, *, now: datetime) -> None:
        with self.transaction() as db:
            if remote_id is None:
                db.execute("delete from remote_posts where destination = ? and pack_id = ?", [destination, pack_id])
                return
            db.table("remote_posts").upsert(
                {"destination": destination, "pack_id": pack_id, "remote_id": remote_id, "updated_at": iso_utc(now)},
                pk=("destination", "pack_id"),
            )

    def unnotified_entries(self, ward: str, channel: str, *, from_date: str) -> list[dict[str, Any]]:
        """Queued entries of a ward, on or after `from_date`, that no notice on `channel` has mentioned yet."""
        sql = """select q.* from queue_entries q
                 where q.ward = ? and q.status = 'queued' and q.date >= ?
                   and not exists (select 1 from queue_notices n where n.entry_id = q.id and n.channel = ?)
                 order by q.date, q.slot, q.position, q.id"""
        return list(self.db.query(sql, [ward, from_date, channel]))

    def slot_entries(self, ward: str, date: str, slot: str) -> list[dict[str, Any]]:
        sql = "select * from queue_entries where ward = ? and date = ? and slot = ? and status = 'queued' order by position, id"
        return list(self.db.query(sql, [ward, date, slot]))

    def insert_queue_entries_raw(self, rows: list[dict[str, Any]]) -> None:
        """Write queue_entries rows as given, bypassing broadcast planning: for tests and imports, not for publish."""
        with self.transaction() as db:
            db.table("queue_entries").insert_all(rows, pk="id")

    # -- broadcast queues ---------------------------------------------------------------------------

    def queue_rows(self, ward: str | None = None, day: str | None = None) -> list[dict[str, Any]]:
        """queue_entries rows in airing order, optionally one ward's and one day's."""
        where, params = [], []
        if ward is not None:
            where.append("ward = ?")
            params.append(ward)
        if day is not None:
            where.append("date = ?")
            params.append(day)
        sql = "select * from queue_entries" + (f" where {' and '.join(where)}" if where else "")
        return list(self.db.query(sql + " order by ward, date, slot, position, id", params))

    def story_expiries(self, story_ids: list[str], *, now: datetime) -> dict[str, datetime]:
        """For stories whose approved items have all expired: when the last one expired (others were withdrawn)."""
        found: dict[str, datetime] = {}
        for start in range(0, len(story_ids), 500):
            chunk = story_ids[start : start + 500]
            sql = (
                "select story_id, max(expires_at) as expires_at from items where status = 'approved' "
                f"and expires_at is not null and story_id in ({_marks(chunk)}) group by story_id"
            )
            for row in self._rows(sql, chunk):
                moment = from_iso(row["expires_at"])
                if moment <= now:
                    found[str(row["story_id"])] = moment
        return found

    def queue_tokens(self) -> dict[str, str]:
        """Ward → the token its queue_entries rows last changed under (see _m52_queue_tokens)."""
        return {str(ward): str(token) for ward, token in self.conn.execute("select ward, token from queue_tokens")}

    def queue_rows_of(self, wards: list[str]) -> dict[str, list[dict[str, Any]]]:
        """The rows of these wards only, each ward's in airing order (as queue_rows gives them)."""
        found: dict[str, list[dict[str, Any]]] = {ward: [] for ward in wards}
        for start in range(0, len(wards), 500):
            chunk = wards[start : start + 500]
            sql = f"select * from queue_entries where ward in ({_marks(chunk)}) order by ward, date, slot, position, id"
            for row in self._rows(sql, chunk):
                found[str(row["ward"])].append(row)
        return found

    def apply_queue_changes(
        self,
        inserts: list[dict[str, Any]],
        updates: list[dict[str, Any]],
        deletes: list[str],
        *,
        now: datetime,
    ) -> dict[str, int]:
        """Write the diff a publish computed against rows it read in this transaction (call inside `transaction()`).

        Only rows still `queued` are updated or deleted: an ack (aired, skipped) is a fact no plan overwrites.
        """
        counts = {"inserted": 0, "updated": 0, "deleted": 0}
        stamp = iso_utc(now)
        with self.atomic():
            # Entry ids are hashes, so each row lands on random pages of the primary key and three indexes
            # (~2 GB of queue at 3,321 wards); SQLite's default 2 MB cache re-reads them for every row.
            self.conn.execute("PRAGMA cache_size = -100000")
            # Plain executemany per column set: sqlite-utils' insert_all builds and type-checks multi-row
            # statements in Python, a fifth of the write time when a new pack adds ~85,000 rows.
            by_insert: dict[tuple[str, ...], list[dict[str, Any]]] = {}
            for row in inserts:
                by_insert.setdefault(tuple(row), []).append({**row, "created_at": stamp, "updated_at": stamp})
            for rows in by_insert.values():
                counts["inserted"] += self._insert_rows("queue_entries", rows)
            by_columns: dict[tuple[str, ...], list[list[Any]]] = {}
            for row in updates:
                columns = tuple(k for k in row if k not in ("id", "status"))
                by_columns.setdefault(columns, []).append([*(row[k] for k in columns), stamp, row["id"]])
            for columns, params in by_columns.items():
                sets = ", ".join(f"[{k}] = ?" for k in columns)
                sql = f"update queue_entries set {sets}, updated_at = ? where id = ? and status = 'queued'"
                counts["updated"] += int(self.conn.executemany(sql, params).rowcount)
            if deletes:
                sql = "delete from queue_entries where id = ? and status = 'queued'"
                counts["deleted"] = int(self.conn.executemany(sql, [[eid] for eid in deletes]).rowcount)
        return counts


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
    "off_domain",
}


def item_to_row(item: Item, rank: int) -> dict[str, Any]:
    fetched_at = _iso_utc_cached(item.fetched_at)  # the run's clock: the same for every item of a sync
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
        "attachments": _json_list([{"url": a.url, "title": a.title} for a in item.attachments]),
        "tags": _json_list(list(item.tags)),
        "extra": _JSON_EXTRA.encode(item.extra) if item.extra else "{}",
        "off_domain": _json_list(list(item.off_domain)),
        "revision": 1,
        "source_rank": rank,
        "status": Status.NEW.value,
        "duplicate_of": None,
        "needs_review": 0,
    }


def _json_list(values: list[Any]) -> str:
    return _JSON_TEXT.encode(values) if values else "[]"


# json.dumps with any option builds a new encoder on every call: a third of writing an item's row.
_JSON_TEXT = json.JSONEncoder(ensure_ascii=False)
_JSON_EXTRA = json.JSONEncoder(ensure_ascii=False, default=str)


@functools.lru_cache(maxsize=64)
def _iso_utc_cached(moment: datetime) -> str:
    return iso_utc(moment)


def decode_item_row(row: dict[str, Any]) -> dict[str, Any]:
    decoded = dict(row)
    for key, empty in (("attachments", []), ("tags", []), ("extra", {}), ("topics", []), ("off_domain", [])):
        value = decoded.get(key)
        decoded[key] = json.loads(value) if value else empty
    return decoded


def _replace_state(state: SourceState, **changes: Any) -> SourceState:
    from dataclasses import replace

    return replace(state, **changes)
