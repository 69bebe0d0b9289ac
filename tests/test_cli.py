"""The `loa` command as a user runs it: subprocesses against a real server and database."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.cli_support import loa_importtime
from tests.conftest import write_config
from tests.test_pipeline import FEED_SOURCE, ITEMS, rss
from worker.demo.server import StaticServer
from worker.lock import RunLock

ROOT = Path(__file__).resolve().parent.parent
NOW = "2023-07-10T08:00:00+07:00"


def loa(*args: str, config: Path, now: str = NOW, check: bool = False) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LOA_CONFIG": str(config), "LOA_NOW": now}
    proc = subprocess.run(
        [sys.executable, str(ROOT / "cli.py"), *args], env=env, capture_output=True, text=True, timeout=120
    )
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


@pytest.fixture
def feed_config(site: tuple[Path, StaticServer], tmp_path: Path) -> Path:
    root, server = site
    (root / "feed.xml").write_text(rss(ITEMS), encoding="utf-8")
    return write_config(tmp_path, FEED_SOURCE.format(id="cld", url=server.url + "/feed.xml"))


def test_sync_stores_new_and_changed_items_without_importing_sqlite_utils(
    site: tuple[Path, StaticServer], feed_config: Path
) -> None:
    # sqlite-utils (and the numpy it probes for) costs a sync ~0.15 s of start-up: a sync writes plain SQL.
    root, _ = site
    first, first_imports = loa_importtime(feed_config, "sync", "--json", "--force", now=NOW)
    changed = [(slug, title, text + " Người dân cần báo ngay cho Công an phường.") for slug, title, text in ITEMS]
    (root / "feed.xml").write_text(rss(changed), encoding="utf-8")
    second, second_imports = loa_importtime(feed_config, "sync", "--json", "--force", now=NOW)

    assert json.loads(first.stdout)["totals"]["new"] == 3
    assert json.loads(second.stdout)["totals"]["updated"] == 3
    assert "worker" in first_imports
    assert "sqlite_utils" not in first_imports | second_imports


def test_sync_json_contract(feed_config: Path) -> None:
    proc = loa("sync", "--json", config=feed_config, check=True)
    data = json.loads(proc.stdout)
    [source] = data["sources"]
    assert {"id", "status", "new", "updated", "duplicates", "error", "error_kind", "health"} <= set(source)
    assert source["status"] == "ok" and source["new"] == 3 and source["health"] == "healthy"
    assert data["totals"]["new"] == 3 and data["totals"]["ok"] == 1

    items = json.loads(loa("items", "list", "--json", config=feed_config, check=True).stdout)
    assert len(items) == 3
    assert {
        "id",
        "source",
        "kind",
        "url",
        "title",
        "summary",
        "published_at",
        "fetched_at",
        "status",
        "duplicate_of",
    } <= set(items[0])
    shown = loa("items", "show", items[0]["id"][:8], config=feed_config, check=True).stdout
    assert items[0]["title"] in shown

    status = json.loads(loa("status", "--json", config=feed_config, check=True).stdout)
    assert status["pending_review"] == 3 and status["sources"][0]["items"] == 3


def test_sync_table_and_exit_codes(site: tuple[Path, StaticServer], tmp_path: Path) -> None:
    root, server = site
    (root / "feed.xml").write_text(rss(ITEMS), encoding="utf-8")
    sources = FEED_SOURCE.format(id="cld", url=server.url + "/feed.xml") + FEED_SOURCE.format(
        id="gone", url=server.url + "/gone.xml"
    )
    config = write_config(tmp_path, sources)
    proc = loa("sync", config=config)
    assert proc.returncode == 0
    assert "cld" in proc.stdout and "ok" in proc.stdout
    assert "gone failed (http)" in proc.stderr and "/gone.xml" in proc.stderr
    proc = loa("sync", "--strict", "--force", config=config)
    assert proc.returncode == 1
    check = loa("status", "--check", config=config)
    assert check.returncode == 0  # one 404 is not yet "failing" (alert_after: 3)
    for hour in (1, 2):
        loa("sync", "--source", "gone", config=config, now=f"2023-07-10T1{hour}:00:00+07:00")
    check = loa("status", "--check", config=config)
    assert check.returncode == 1 and "gone: FAILING" in check.stdout


def test_config_error_exits_2_and_names_the_key(tmp_path: Path) -> None:
    config = write_config(tmp_path, "- {id: a, kind: feed, url: 'https://a.vn/', every: soon}\n")
    proc = loa("sync", config=config)
    assert proc.returncode == 2
    assert "sources[0].every" in proc.stderr and "15m" in proc.stderr
    assert loa("config", "check", config=config).returncode == 2


def test_sources_test_reports_broken_selectors(site: tuple[Path, StaticServer], tmp_path: Path) -> None:
    root, server = site
    (root / "listing.html").write_text("<html><body><div class='moi'>Tin mới</div></body></html>", encoding="utf-8")
    config = write_config(
        tmp_path,
        f"""\
- id: portal
  kind: html
  url: "{server.url}/listing.html"
  html: {{item: "article.post-card", title: "h3 a", link: "h3 a@href"}}
""",
    )
    proc = loa("sources", "test", "portal", config=config)
    assert proc.returncode == 1
    assert "selector `article.post-card`" in proc.stdout and "matched 0 elements" in proc.stdout
    assert (
        not (tmp_path / "loa.db").exists()
        or sqlite3.connect(tmp_path / "loa.db").execute("select count(*) from items").fetchone()[0] == 0
    )


def test_second_run_while_locked_exits_0_and_names_the_holder(feed_config: Path) -> None:
    lock = RunLock(feed_config.parent / "loa.db", "sync").acquire(since="2023-07-10T08:00:00+07:00")
    try:
        proc = loa("sync", config=feed_config)
    finally:
        lock.release()
    assert proc.returncode == 0
    assert "Another Loa run is in progress" in proc.stderr and f"pid {os.getpid()}" in proc.stderr
    assert (
        not (feed_config.parent / "loa.db").exists()
        or sqlite3.connect(feed_config.parent / "loa.db").execute("select count(*) from items").fetchone()[0] == 0
    )


@pytest.mark.slow
def test_kill_9_mid_run_loses_nothing_and_doubles_nothing(tmp_path: Path) -> None:
    """A slow server keeps sync busy; kill -9 it mid-run, then a second run completes the job."""
    root = tmp_path / "site"
    root.mkdir()
    sources = ""
    many = [(f"{slug}-{n}", f"{title} (số {n})", text) for n in range(8) for slug, title, text in ITEMS]
    with StaticServer(root, delay=0.15) as server:
        for index in range(6):
            (root / f"feed{index}.xml").write_text(rss(many[index * 4 : index * 4 + 4]), encoding="utf-8")
            sources += FEED_SOURCE.format(id=f"nguon-{index}", url=f"{server.url}/feed{index}.xml")
        config = write_config(tmp_path, sources, extra="")
        text = config.read_text(encoding="utf-8").replace("retries: 0", "retries: 0, per_host: 1, workers: 1")
        config.write_text(text, encoding="utf-8")
        env = {**os.environ, "LOA_CONFIG": str(config), "LOA_NOW": NOW}
        proc = subprocess.Popen(
            [sys.executable, str(ROOT / "cli.py"), "sync"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        db = tmp_path / "loa.db"
        deadline = time.monotonic() + 60
        # Kill once some, but not all, sources are stored.
        while time.monotonic() < deadline:
            if db.exists():
                try:
                    done = sqlite3.connect(db).execute("select count(*) from fetch_log").fetchone()[0]
                except sqlite3.OperationalError:
                    done = 0
                if done >= 1:
                    break
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        conn = sqlite3.connect(db)
        assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
        partial = conn.execute("select count(*) from items").fetchone()[0]
        assert 0 < partial < 24
        conn.close()

        # The lock died with the process; the next run takes it and finishes the job.
        done = loa("sync", "--json", config=config, check=True)
        data = json.loads(done.stdout)
        assert data["totals"]["error"] == 0
        conn = sqlite3.connect(db)
        assert conn.execute("select count(*) from items").fetchone()[0] == 24
        assert conn.execute("select count(distinct url) from items").fetchone()[0] == 24
        # Every item sits in exactly one existing story (the numbered retellings cluster together).
        orphans = conn.execute("select count(*) from items where story_id not in (select id from stories)").fetchone()[
            0
        ]
        assert orphans == 0
        assert (
            conn.execute("select count(*) from stories").fetchone()[0]
            == conn.execute("select count(distinct story_id) from items").fetchone()[0]
        )
        assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
