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
    # The demo's obvious near-duplicates are one story each; similar scams and the round-up stay apart.
    with sqlite3.connect(demo / "loa.db") as db:
        grouped = db.execute(
            """select group_concat(source_id, ' ') from items where duplicate_of is null
               group by story_id having count(*) > 1"""
        ).fetchall()
        alone = db.execute(
            """select count(*) from items i where duplicate_of is null and (title like '%CCCD%' or title like 'Cẩm nang%')
               and (select count(*) from items o where o.story_id = i.story_id and o.duplicate_of is null) = 1"""
        ).fetchone()[0]
    variants = sum(len(sources.split()) - 1 for (sources,) in grouped)
    assert variants >= 6  # police retelling, VNeID repost, four TikTok retellings
    assert sum("tiktok-congkgmqg" in sources for (sources,) in grouped) == 4
    assert alone == 2
