"""A seeded campaign for the report tests: items, decisions, packs, queue entries, acks and published outputs.

Rows go straight into the database so the expected figures can be computed with independent SQL.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from tests.cli_support import CliEnv
from tests.conftest import write_config
from tests.desk_support import entry
from worker.config import load_config
from worker.store import Store

NOW = "2023-07-16T09:00:00+07:00"  # a day before report_due (2023-07-17)
DB, HR, HD = "phuong-dien-bien", "phuong-ham-rong", "xa-hoang-dai"
SOURCES = """\
- {id: canh-bao, name: "Cổng Không gian mạng – Cảnh báo", kind: feed, url: "http://127.0.0.1:9/a.xml", agency: "NCSC"}
- {id: chong-lua-dao, name: "Chống Lừa Đảo", kind: feed, url: "http://127.0.0.1:9/b.xml"}
"""
EXTRA = """\
topics:
  - {id: gia-danh-cong-an, name: "Giả danh công an", keywords: ["giả danh công an"]}
  - {id: dau-tu-tai-chinh, name: "Đầu tư tài chính", keywords: ["tiền ảo"]}
  - {id: chiem-doat-tai-khoan, name: "Chiếm đoạt tài khoản", keywords: ["OTP"]}
  - {id: viec-lam-online, name: "Việc làm online", keywords: ["việc nhẹ lương cao"]}
wards:
  - {id: phuong-dien-bien, name: "Phường Điện Biên", kind: phuong, slots: ["06:00/15m", "17:00/15m"]}
  - {id: phuong-ham-rong, name: "Phường Hàm Rồng", kind: phuong, slots: ["06:00/15m"]}
  - {id: xa-hoang-dai, name: "Xã Hoằng Đại", kind: xa, slots: ["17:30/20m"]}
report:
  parent: "UBND tỉnh Thanh Hóa"
  signer: {title: ["KT. Chủ tịch", "Phó Chủ tịch"], name: "Nguyễn Văn An"}
  recipients: ["Sở Thông tin và Truyền thông", "Thường trực Thành ủy"]
outputs: out
"""
# id, source, kind, status, fetched_at (UTC), topics
ITEMS = [
    ("s1", "canh-bao", "warning", "approved", "2023-07-02T01:00:00Z", ["gia-danh-cong-an"]),
    ("s2", "canh-bao", "warning", "approved", "2023-07-03T01:00:00Z", ["dau-tu-tai-chinh", "chiem-doat-tai-khoan"]),
    ("s3", "chong-lua-dao", "article", "approved", "2023-07-04T01:00:00Z", ["viec-lam-online"]),
    ("s4", "chong-lua-dao", "article", "approved", "2023-07-05T01:00:00Z", []),
    ("s5", "canh-bao", "video", "approved", "2023-07-06T01:00:00Z", ["gia-danh-cong-an"]),
    ("r1", "chong-lua-dao", "article", "rejected", "2023-07-06T02:00:00Z", []),
    ("r2", "canh-bao", "warning", "rejected", "2023-07-07T02:00:00Z", []),
    ("h1", "canh-bao", "warning", "held", "2023-07-08T02:00:00Z", []),
    ("n1", "chong-lua-dao", "article", "new", "2023-07-09T02:00:00Z", []),
    ("w1", "canh-bao", "warning", "withdrawn", "2023-07-09T03:00:00Z", []),
    ("edge-in", "canh-bao", "warning", "new", "2023-06-30T17:00:00Z", []),  # 00:00 on 1/7 local: inside
    ("edge-out", "canh-bao", "warning", "approved", "2023-06-30T16:59:59Z", []),  # 23:59:59 on 30/6: outside
]
ENTRIES = [
    entry(DB, "2023-07-10", "06:00", 1, "s1", status="aired", aired_at="2023-07-09T23:02:00Z", acked_by="x"),
    entry(DB, "2023-07-10", "06:00", 2, "s2", status="aired", aired_at="2023-07-09T23:04:00Z", seconds=80),
    entry(DB, "2023-07-10", "17:00", 1, "s3", status="skipped", reason="Mất điện"),
    entry(DB, "2023-07-12", "06:00", 1, "s1", status="aired", aired_at="2023-07-11T23:01:00Z", repeat=1),
    entry(DB, "2023-07-16", "06:00", 1, "s4"),  # slot over at 06:15, still queued: unreported
    entry(DB, "2023-07-18", "06:00", 1, "s5"),  # not yet
    entry(HR, "2023-07-10", "06:00", 1, "s1", status="aired", aired_at="2023-07-09T23:05:00Z"),
    entry(HR, "2023-07-11", "06:00", 1, "s2", status="aired", aired_at="2023-07-10T23:06:00Z", seconds=90),
    entry(HR, "2023-07-25", "06:00", 1, "s3"),  # after the campaign: outside the period
    entry(HR, "2023-06-30", "06:00", 1, "s5", status="aired", aired_at="2023-06-29T23:00:00Z"),  # before it
]


@dataclass
class ReportEnv(CliEnv):
    now: ClassVar[str] = NOW

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Independent SQL over the seeded database (never through worker code)."""
        conn = sqlite3.connect(self.db)
        try:
            return list(conn.execute(sql, params))
        finally:
            conn.close()

    def scalar(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        return self.query(sql, params)[0][0]


def _item(item_id: str, source: str, kind: str, status: str, fetched: str, topics: list[str]) -> dict[str, Any]:
    return {
        "id": item_id,
        "source_id": source,
        "guid": item_id,
        "url": f"https://example.gov.vn/{item_id}",
        "title": f"Cảnh báo {item_id}",
        "published_at": fetched,
        "fetched_at": fetched,
        "updated_at": fetched,
        "content_hash": item_id,
        "kind": kind,
        "status": status,
        "story_id": item_id,
        "topics": json.dumps(topics),
    }


def seed(store: Store) -> None:
    db = store.db
    with store.transaction():
        for row in ITEMS:
            db.table("items").insert(_item(*row))
            db.table("stories").insert({"id": row[0], "canonical_item_id": row[0], "title": f"Cảnh báo {row[0]}"})
        db.table("packs").insert_all(
            [
                {
                    "id": 1,
                    "number": 1,
                    "title": "Bản tin số 1",
                    "status": "published",
                    "revision": 1,
                    "published_at": "2023-07-06T22:30:00Z",
                },
                {
                    "id": 2,
                    "number": 2,
                    "title": "Bản tin số 2",
                    "status": "published",
                    "revision": 2,
                    "published_at": "2023-07-09T22:30:00Z",
                },
                {"id": 3, "number": 3, "title": "Bản tin số 3", "status": "draft", "revision": 0},
            ]
        )
        members = [(1, "s1"), (1, "s2"), (2, "s5"), (2, "w1"), (3, "s3")]
        db.table("pack_stories").insert_all(
            {"pack_id": p, "story_id": s, "item_id": s, "position": i} for i, (p, s) in enumerate(members)
        )
        db.table("acks").insert_all(
            {
                "batch": "b",
                "at": "2023-07-10T00:00:00Z",
                "ward": e["ward"],
                "entry": e["id"],
                "source": "cli",
                "actor": "x",
                "from_status": "queued",
                "to_status": e["status"],
            }
            for e in ENTRIES
            if e["status"] != "queued"
        )
    store.upsert_queue_entries(ENTRIES)


def write_outputs(outputs: Path) -> None:
    """What a publish leaves: a manifest, pages, the site Atom feed and ward feeds (plus a stray unlisted page)."""
    atom = '<feed xmlns="http://www.w3.org/2005/Atom">{}</feed>'
    files = {
        "site/index.html": "<html></html>",
        "site/items/s1.html": "<html></html>",
        "site/items/s2.html": "<html></html>",
        "site/packs/1.html": "<html></html>",
        "site/atom.xml": atom.format("<entry/>" * 3),
        "feeds/phuong-dien-bien.xml": atom.format("<entry/>" * 2),
        "feeds/phuong-dien-bien.json": "{}",
        "feeds/phuong-ham-rong.xml": atom.format("<entry/>" * 3),
    }
    for path, text in files.items():
        (outputs / path).parent.mkdir(parents=True, exist_ok=True)
        (outputs / path).write_text(text, encoding="utf-8")
    (outputs / "site" / "stray.html").write_text("<html></html>", encoding="utf-8")
    manifest = {"version": 1, "files": {path: "0" for path in files}}
    (outputs / ".loa-publish.json").write_text(json.dumps(manifest), encoding="utf-8")


def report_env(folder: Path, *, outputs: bool = True) -> ReportEnv:
    config = write_config(folder, SOURCES, extra=EXTRA)
    env = ReportEnv(folder, config)
    store = Store.open(env.db)
    try:
        store.register_sources(load_config(config).sources)
        seed(store)
    finally:
        store.close()
    if outputs:
        write_outputs(env.outputs)
    return env
