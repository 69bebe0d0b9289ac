"""Shared set-up for the review tests: a small Vietnamese RSS feed on 127.0.0.1, rules and topics, one sync."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from cli import main
from tests.conftest import write_config
from worker.demo.server import StaticServer
from worker.store import Store

NOW = "2023-07-10T08:00:00+07:00"

# (guid, title, description, pubDate)
ITEMS = [
    (
        "cb-1",
        "Cảnh báo thủ đoạn giả danh công an gọi điện yêu cầu chuyển tiền",
        "Đối tượng giả danh cán bộ công an thông báo nạn nhân liên quan đến vụ án và yêu cầu chuyển tiền.",
        "Mon, 03 Jul 2023 08:00:00 +0700",
    ),
    (
        "cb-2",
        "Lừa đảo đầu tư tiền ảo hứa hẹn lợi nhuận cao",
        "Các sàn giao dịch tiền ảo không phép dụ dỗ người dân nạp tiền.",
        "Tue, 04 Jul 2023 08:00:00 +0700",
    ),
    (
        "cb-3",
        "Tuyển cộng tác viên việc làm online, làm nhiệm vụ nhận hoa hồng",
        "Việc nhẹ lương cao là chiêu trò quen thuộc.",
        "Wed, 05 Jul 2023 08:00:00 +0700",
    ),
    ("cb-4", "Quảng cáo: khuyến mãi sim số đẹp", "Mua ngay hôm nay.", "Thu, 06 Jul 2023 08:00:00 +0700"),
    ("cb-5", "Thông báo lịch cắt điện tuần tới", "Khu vực phường Điện Biên.", "Fri, 07 Jul 2023 08:00:00 +0700"),
]

SOURCES = """\
- id: canh-bao
  name: "Cảnh báo – thử nghiệm"
  kind: feed
  url: {url}/feed.xml
  item_kind: warning
"""

RULES = """\
topics:
  - {id: gia-danh-cong-an, name: "Giả danh cơ quan công an", keywords: ["giả danh công an", "giả danh cán bộ công an"]}
  - {id: dau-tu-tai-chinh, name: "Đầu tư tài chính", keywords: ["tiền ảo", "sàn giao dịch"]}
  - {id: viec-lam-online, name: "Việc làm online", keywords: ["việc làm online", "cộng tác viên"]}
rules:
  - {id: quang-cao, match: ["quang cao", "KHUYẾN MÃI"], action: reject, reason: "Quảng cáo, không phải cảnh báo"}
  - {source: canh-bao, match: "cắt điện", action: hold, reason: "Cần xác minh với điện lực"}
  - {id: khan-cap-cong-an, match: "gia danh (can bo )?cong an", action: priority, value: "khẩn cấp", reason: "Thủ đoạn đang phổ biến"}
"""


def rss(items: list[tuple[str, str, str, str]], base: str) -> str:
    entries = "".join(
        f"""<item><guid>{guid}</guid><title>{title}</title><link>{base}/bai/{guid}.html</link>
<description>{summary}</description><pubDate>{date}</pubDate>
<enclosure url="{base}/files/{guid}.pdf" type="application/pdf" length="10"/></item>"""
        for guid, title, summary, date in items
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Cảnh báo</title><link>{base}/</link><description>thử</description>{entries}</channel></rss>"""


@dataclass
class Env:
    folder: Path
    config: Path
    server: StaticServer

    def run(self, *args: str, input: str | None = None, user: str = "officer") -> Result:
        env = {"LOA_NOW": NOW, "LOA_CONFIG": str(self.config), "LOA_DB": None, "USER": user, "LOGNAME": user}
        return CliRunner().invoke(main, list(args), input=input, env=env, catch_exceptions=False)

    def json(self, *args: str) -> Any:
        result = self.run(*args, "--json")
        return json.loads(result.output)

    def store(self) -> Store:
        return Store.open(self.folder / "loa.db")

    def item_id(self, guid: str) -> str:
        store = self.store()
        try:
            return str(store.db.execute("select id from items where url like ?", [f"%/bai/{guid}.html"]).fetchone()[0])
        finally:
            store.close()

    def row(self, guid: str) -> dict[str, Any]:
        store = self.store()
        try:
            return store.raw_item(self.item_id(guid))
        finally:
            store.close()

    def audit(self) -> list[dict[str, Any]]:
        store = self.store()
        try:
            return store.audit()
        finally:
            store.close()


def synced_env(tmp_path: Path, site: tuple[Path, StaticServer], items: list[Any] | None = None) -> Env:
    root, server = site
    (root / "feed.xml").write_text(rss(items or ITEMS, server.url), encoding="utf-8")
    config = write_config(tmp_path, SOURCES.format(url=server.url), extra=RULES)
    env = Env(tmp_path, config, server)
    result = env.run("sync", "--json")
    assert result.exit_code == 0, result.output
    return env
