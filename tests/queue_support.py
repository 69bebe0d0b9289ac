"""Shared set-up for the queue tests: wards with slots, quiet days and a daily cap over the review feed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from cli import main
from tests.conftest import write_config
from tests.review_support import ITEMS, RULES, SOURCES, Env, rss
from worker.demo.server import StaticServer
from worker.store import Store

NOW = "2023-07-10T08:00:00+07:00"
WARDS = """\
wards:
  - {id: phuong-dien-bien, name: "Phường Điện Biên", kind: phuong, topics: [gia-danh-cong-an], slots: ["06:00/15m", "17:00/15m"]}
  - {id: phuong-ham-rong, name: "Phường Hàm Rồng", kind: phuong, slots: ["06:30/15m"], quiet_days: [sunday], daily_cap: 20}
  - {id: xa-hoang-dai, name: "Xã Hoằng Đại", kind: xa, kinds: [video], slots: ["17:30/20m"]}
  - {id: phuong-lam-son, name: "Phường Lam Sơn", kind: phuong}
outputs: out
"""
SLOTTED = ("phuong-dien-bien", "phuong-ham-rong", "xa-hoang-dai")


def queue_env(tmp_path: Path, site: tuple[Path, StaticServer], extra: str = "") -> Env:
    """Synced, cb-1…cb-3 approved (cb-4 is rejected and cb-5 held by rules), one pack built."""
    root, server = site
    (root / "feed.xml").write_text(rss(ITEMS, server.url), encoding="utf-8")
    config = write_config(tmp_path, SOURCES.format(url=server.url), extra=RULES + WARDS + extra)
    env = Env(tmp_path, config, server)
    assert env.run("sync").exit_code == 0
    ids = [env.item_id(g) for g in ("cb-1", "cb-2", "cb-3")]
    result = env.run("approve", *ids, "--as", "officer")
    assert result.exit_code == 0, result.output
    assert env.run("pack", "build").exit_code == 0
    return env


def invoke(env: Env, *args: str, now: str = NOW) -> Any:
    result = CliRunner().invoke(main, list(args), env={"LOA_CONFIG": str(env.config), "LOA_NOW": now})
    assert result.exit_code == 0, result.output
    return result


def publish(env: Env, now: str = NOW) -> dict[str, Any]:
    return dict(json.loads(invoke(env, "publish", "--json", now=now).output))


def rows(env: Env) -> list[dict[str, Any]]:
    store = Store.open(env.folder / "loa.db")
    try:
        return store.queue_rows()
    finally:
        store.close()


def ack(env: Env, entry_id: str, status: str = "aired") -> None:
    """What the ward desk does: set status and who acked; nothing else."""
    store = Store.open(env.folder / "loa.db")
    try:
        with store.transaction():
            store.db.execute(
                "update queue_entries set status = ?, aired_at = ?, acked_by = 'desk', ack_source = 'web' where id = ?",
                [status, "2023-07-10T10:00:00Z" if status == "aired" else None, entry_id],
            )
    finally:
        store.close()


def listed_entries(folder: Path) -> list[dict[str, Any]]:
    """A ward folder's entries: queue.json's days, each day file read; checks the index against the files."""
    index = json.loads((folder / "queue.json").read_text(encoding="utf-8"))
    assert index["ward"] == folder.name
    # Every day file on disk is listed (stale days removed), and each listed one is there.
    assert sorted(p.name for p in folder.glob("????-??-??.json")) == [d["href"] for d in index["days"]]
    assert [d["date"] for d in index["days"]] == sorted(d["date"] for d in index["days"])
    out: list[dict[str, Any]] = []
    for day in index["days"]:
        data = json.loads((folder / day["href"]).read_text(encoding="utf-8"))
        assert (data["ward"], data["date"]) == (folder.name, day["date"])
        assert {e["date"] for e in data["entries"]} == {day["date"]}
        assert (day["entries"], day["seconds"]) == (len(data["entries"]), sum(e["seconds"] for e in data["entries"]))
        out += data["entries"]
    return out


def queue_json(env: Env, ward: str) -> list[dict[str, Any]]:
    return listed_entries(env.folder / "out" / "queues" / ward)


def story_of(env: Env, guid: str) -> str:
    return str(env.row(guid)["story_id"])
