"""`loa demo` end to end: the TikTok stand-in and the portal's attachments are downloaded into data/demo/media."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_demo_downloads_portal_attachments_and_tiktok_thumbnails(tmp_path: Path) -> None:
    demo = tmp_path / "data" / "demo"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "cli.py"), "demo", "--dir", str(demo)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "tiktok-congkgmqg        ok      4" in proc.stdout and "0 failed (retried" in proc.stdout
    with sqlite3.connect(demo / "loa.db") as db:
        rows = db.execute("select source_id, role, content_type, status from media").fetchall()
    assert all(status == "ok" for *_, status in rows)
    kinds = {(s, r, c) for s, r, c, _ in rows}
    assert ("khonggianmang-canh-bao", "attachment", "application/pdf") in kinds
    assert any(c.endswith("wordprocessingml.document") for _, _, c in kinds)
    assert sum(1 for s, r, _ in kinds if s == "tiktok-congkgmqg" and r == "thumbnail") >= 1
    assert len([p for p in (demo / "media").rglob("*") if p.is_file()]) == 19
