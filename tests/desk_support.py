"""Shared set-up for the ward desk tests: a config with wards, queue entries inserted directly, issued tokens."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from tests.cli_support import CliEnv
from tests.conftest import write_config
from worker.store import Store

NOW = "2023-07-10T08:00:00+07:00"
WARD = "phuong-dien-bien"
OTHER = "phuong-ham-rong"
SOURCES = """\
- {id: canh-bao, name: "Cảnh báo", kind: feed, url: "http://127.0.0.1:9/feed.xml"}
"""
WARDS = """\
wards:
  - {id: phuong-dien-bien, name: "Phường Điện Biên", kind: phuong, slots: ["06:00/15m", "17:00/15m"]}
  - {id: phuong-ham-rong, name: "Phường Hàm Rồng", kind: phuong, slots: ["06:00/15m"]}
outputs: out
"""


def entry(ward: str, day: str, slot: str, position: int, story: str, **extra: Any) -> dict[str, Any]:
    row = {
        "id": f"{story}-{ward}-{day}-{slot.replace(':', '')}",
        "ward": ward,
        "date": day,
        "slot": slot,
        "position": position,
        "priority": "thuong",
        "story": story,
        "pack": "1",
        "title": f"Cảnh báo {story}",
        "script": f"Kính thưa bà con.\nĐây là tin {story}: không chuyển tiền cho người lạ.",
        "seconds": 75,
        "repeat": 0,
        "status": "queued",
        "created_at": "2023-07-09T00:00:00Z",
        "updated_at": "2023-07-09T00:00:00Z",
    }
    row.update(extra)
    return row


ENTRIES = [
    entry(WARD, "2023-07-10", "06:00", 1, "s1", priority="khan-cap"),
    entry(WARD, "2023-07-10", "06:00", 2, "s2"),
    entry(WARD, "2023-07-10", "17:00", 1, "s3"),
    entry(WARD, "2023-07-11", "06:00", 1, "s4"),
    entry(OTHER, "2023-07-10", "06:00", 1, "s1"),
]
E1, E2, E_EVENING, E_TOMORROW, E_OTHER = (e["id"] for e in ENTRIES)


@dataclass
class DeskEnv(CliEnv):
    now: ClassVar[str] = NOW

    def token(self, ward: str = WARD) -> str:
        result = self.run("wards", "token", ward)
        assert result.exit_code == 0, result.output
        return result.output.strip().splitlines()[-1]

    def entries(self) -> dict[str, dict[str, Any]]:
        store = Store.open(self.db)
        try:
            return store.queue_entries_by_id([e["id"] for e in ENTRIES])
        finally:
            store.close()

    def acks(self) -> list[dict[str, Any]]:
        store = Store.open(self.db)
        try:
            return store.ack_log(limit=1000)
        finally:
            store.close()


def desk_env(folder: Path) -> DeskEnv:
    config = write_config(folder, SOURCES, extra=WARDS)
    store = Store.open(folder / "loa.db")
    try:
        store.upsert_queue_entries(ENTRIES)
    finally:
        store.close()
    return DeskEnv(folder, config)
