"""Shared set-up for the publish tests: the review feed plus a hostile item, wards and a site section, one sync."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from tests.conftest import write_config
from tests.review_support import ITEMS, RULES, SOURCES, Env, rss
from worker.demo.server import StaticServer

HOSTILE = (
    "cb-6",
    "Cảnh báo mã độc &lt;script&gt;window.__pwned = 1&lt;/script&gt;",
    '&lt;img src=x onerror="window.__pwned=2"&gt;&lt;script&gt;window.__pwned=3&lt;/script&gt;Tệp đính kèm trong thư lạ chứa mã độc đánh cắp mật khẩu.',
    "Sat, 08 Jul 2023 08:00:00 +0700",
)
PUBLISH = """\
wards:
  - {id: phuong-dien-bien, name: "Phường Điện Biên", kind: phuong, topics: [gia-danh-cong-an], kinds: [article, warning], slots: ["06:00/15m"]}
  - {id: phuong-ham-rong, name: "Phường Hàm Rồng", kind: phuong}
  - {id: xa-hoang-dai, name: "Xã Hoằng Đại", kind: xa, kinds: [video]}
site: {title: "Cảnh báo lừa đảo – thử nghiệm", base_url: "https://example.gov.vn/canh-bao"}
outputs: out
"""


def publish_env(tmp_path: Path, site: tuple[Path, StaticServer], items: list[Any] | None = None) -> Env:
    root, server = site
    (root / "feed.xml").write_text(rss(items or [*ITEMS, HOSTILE], server.url), encoding="utf-8")
    config = write_config(tmp_path, SOURCES.format(url=server.url), extra=RULES + PUBLISH)
    env = Env(tmp_path, config, server)
    result = env.run("sync", "--json")
    assert result.exit_code == 0, result.output
    return env


def approve_all(env: Env) -> None:
    result = env.run("approve", "--since", "2023-01-01", "--yes", "--as", "officer")
    assert result.exit_code == 0, result.output


def tree(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under folder: its bytes and its mtime in nanoseconds."""
    return {
        str(path.relative_to(folder)): (path.read_bytes(), os.stat(path).st_mtime_ns)
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def all_text(folder: Path) -> str:
    return "\n".join(
        p.read_text(encoding="utf-8")
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.suffix in (".html", ".xml", ".json")
    )
