"""Set-up for delivery tests: the review feed synced and approved, a pack built, destinations pointing at a receiver."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from cli import main
from tests.conftest import write_config
from tests.review_support import ITEMS, RULES, SOURCES, rss
from worker.demo.server import StaticServer
from worker.store import Store

NOW = "2023-07-10T08:00:00+07:00"
SECRETS = {"LOA_CMS_SECRET": "bí-mật-cms", "LOA_WP_USER": "bientap", "LOA_WP_APP_PASSWORD": "abcd efgh ijkl mnop"}


def destinations(url: str, kinds: tuple[str, ...] = ("http",)) -> str:
    entries = {
        "http": f"  - {{id: cong-thong-tin, kind: http, url: '{url}/api/loa', secret_env: LOA_CMS_SECRET, timeout: 5s}}\n",
        "wordpress": f"  - {{id: wp-thanh-pho, kind: wordpress, url: '{url}/', user_env: LOA_WP_USER, password_env: LOA_WP_APP_PASSWORD}}\n",
    }
    return "destinations:\n" + "".join(entries[k] for k in kinds)


WARDS = """\
wards:
  - {{id: phuong-dien-bien, name: "Phường Điện Biên", kind: phuong, slots: ["06:00/15m", "17:00/15m"], email: vanhoa.dienbien@example.vn, webhook: "{url}/hook", webhook_secret_env: LOA_CMS_SECRET}}
  - {{id: xa-hoang-dai, name: "Xã Hoằng Đại", kind: xa, email: vanhoa.hoangdai@example.vn}}
  - {{id: phuong-ham-rong, name: "Phường Hàm Rồng", kind: phuong}}
site: {{title: "Cảnh báo lừa đảo – thử nghiệm", base_url: "https://example.gov.vn/canh-bao"}}
outputs: out
"""


@dataclass
class DEnv:
    folder: Path
    config: Path

    def run(self, *args: str, now: str = NOW, env: dict[str, str | None] | None = None) -> Result:
        base: dict[str, str | None] = {"LOA_CONFIG": str(self.config), "LOA_NOW": now, "LOA_DB": None, **SECRETS}
        return CliRunner().invoke(main, list(args), env={**base, **(env or {})}, catch_exceptions=False)

    def json(self, *args: str, now: str = NOW, env: dict[str, str | None] | None = None) -> Any:
        result = self.run(*args, "--json", now=now, env=env)
        assert result.exit_code == 0, result.output
        return json.loads(result.output)

    def store(self) -> Store:
        return Store.open(self.folder / "loa.db")

    def item_id(self, guid: str) -> str:
        store = self.store()
        try:
            return str(store.db.execute("select id from items where url like ?", [f"%/bai/{guid}.html"]).fetchone()[0])
        finally:
            store.close()


def delivery_env(tmp_path: Path, site: tuple[Path, StaticServer], extra: str, *, pack: bool = True) -> DEnv:
    """Synced, every story approved and, with `pack`, one pack built (not yet published)."""
    root, server = site
    (root / "feed.xml").write_text(rss(ITEMS, server.url), encoding="utf-8")
    config = write_config(tmp_path, SOURCES.format(url=server.url), extra=RULES + extra)
    env = DEnv(tmp_path, config)
    assert env.run("sync").exit_code == 0
    assert env.run("approve", "--since", "2023-01-01", "--yes", "--as", "officer").exit_code == 0
    if pack:
        assert env.run("pack", "build").exit_code == 0
    return env
