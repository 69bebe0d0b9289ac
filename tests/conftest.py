"""Shared fixtures: a static server on 127.0.0.1 over a temp folder, and config writing helpers."""

from __future__ import annotations

import ipaddress
import socket
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


_real_connect = socket.socket.connect


def _loopback_only(self: socket.socket, address: object) -> None:
    """Tests may only talk to this machine: a connection anywhere else is a bug in the test."""
    if self.family in (socket.AF_INET, socket.AF_INET6) and isinstance(address, tuple):
        host = str(address[0])
        try:
            allowed = ipaddress.ip_address(host.split("%")[0]).is_loopback
        except ValueError:
            allowed = host == "localhost"
        if not allowed:
            raise OSError(f"test tried to connect to {host}: only 127.0.0.1 / ::1 are allowed in tests")
    _real_connect(self, address)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def no_public_network(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket.socket, "connect", _loopback_only)


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
