"""Shared fixtures: a static server on 127.0.0.1 over a temp folder, and config writing helpers."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from worker.demo.server import StaticServer

FIXTURES = Path(__file__).parent / "fixtures"

CAMPAIGN = """\
timezone: Asia/Ho_Chi_Minh
campaign: {name: "Tháng hành động tuyên truyền về nhận diện và phòng chống lừa đảo trực tuyến", start: 2023-07-01, end: 2023-07-20, report_due: 2023-07-17, issuer: "UBND thành phố Thanh Hóa", recipient: "Sở Thông tin và Truyền thông"}
defaults: {every: 30m, user_agent: "Loa-test/0.1", timeout: 5s, max_bytes: 1MiB, retries: 0}
db: loa.db
"""


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[Path, StaticServer]]:
    """A folder served over HTTP on 127.0.0.1; tests drop files into it."""
    root = tmp_path / "site"
    root.mkdir()
    with StaticServer(root) as server:
        yield root, server


def write_config(folder: Path, sources_yaml: str, extra: str = "") -> Path:
    path = folder / "sources.yaml"
    path.write_text(
        CAMPAIGN + extra + "sources:\n" + textwrap.indent(textwrap.dedent(sources_yaml), "  "), encoding="utf-8"
    )
    return path
