"""`loa dedupe link` killed with kill -9 mid-run: the next run finishes the queue with nothing lost or doubled."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from html import escape
from pathlib import Path

import pytest

from tests.conftest import write_config
from worker.demo.server import StaticServer

ROOT = Path(__file__).resolve().parent.parent
LABELLED = [
    json.loads(line)
    for line in (ROOT / "tests" / "fixtures" / "dedupe" / "labelled.jsonl").read_text(encoding="utf-8").splitlines()
    if line.strip()
]
FEEDS = 12
# Every table linking writes, in a stable order; timestamps come from LOA_NOW, so two runs can be compared.
TABLES = {
    "items": "id, story_id, story_role, status, late_variant, variant_of, duplicate_of",
    "stories": "id, canonical_item_id, title, created_at, updated_at",
    "item_signatures": "item_id, shingles, minhash, fingerprint, terms, rare",
    "lsh_bands": "key, item_id",
    "term_postings": "term, item_id",
    "term_df": "term, df",
    "link_queue": "item_id, batch, changed",
}


def _feed(number: int) -> str:
    # Feeds share the labelled stories' texts under their own links: many near-duplicates across sources.
    rows = LABELLED[number * 7 :] + LABELLED[: number * 7]
    items = "".join(
        f"<item><title>{escape(row['title'])}</title><link>https://nguon-{number:02d}.thanhhoa.gov.vn/tin/{k}</link>"
        f"<guid>n{number}-{k}</guid><pubDate>Mon, 03 Jul 2023 08:00:00 +0700</pubDate>"
        f"<description>{escape(row.get('summary') or row.get('body') or '')}</description></item>"
        for k, row in enumerate(rows[:40])
    )
    return f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'


def _synced(folder: Path, url: str, env: dict[str, str]) -> Path:
    folder.mkdir()
    sources = "".join(
        f'- {{id: nguon-{n:02d}, kind: feed, url: "{url}/feed{n}.xml", allowed_domains: ["127.0.0.1"]}}\n'
        for n in range(FEEDS)
    )
    config = write_config(folder, sources)
    done = subprocess.run(
        [sys.executable, str(ROOT / "cli.py"), "--config", str(config), "sync", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["unlinked"] == FEEDS * 40
    return config


def _link(config: Path, env: dict[str, str]) -> dict[str, int]:
    done = subprocess.run(
        [sys.executable, str(ROOT / "cli.py"), "--config", str(config), "dedupe", "link", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


def _tables(db: Path) -> dict[str, list[tuple[object, ...]]]:
    with sqlite3.connect(db) as conn:
        return {t: conn.execute(f"select {c} from {t} order by {c}").fetchall() for t, c in TABLES.items()}


def _queued(db: Path) -> int:
    with sqlite3.connect(db, timeout=30) as conn:
        return int(conn.execute("select count(*) from link_queue").fetchone()[0])


@pytest.mark.slow
def test_kill_9_during_linking_loses_nothing_and_the_next_run_finishes_the_same(tmp_path: Path) -> None:
    root = tmp_path / "site"
    root.mkdir()
    for n in range(FEEDS):
        (root / f"feed{n}.xml").write_text(_feed(n), encoding="utf-8")
    env = {**os.environ, "LOA_NOW": "2023-07-10T08:00:00+07:00", "LOA_PARSE_WORKERS": "0"}
    with StaticServer(root) as server:
        killed = _synced(tmp_path / "killed", server.url, env)
        whole = _synced(tmp_path / "whole", server.url, env)

    linking = subprocess.Popen(
        [sys.executable, str(ROOT / "cli.py"), "--config", str(killed), "dedupe", "link"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    db = killed.parent / "loa.db"
    deadline = time.monotonic() + 120
    left = FEEDS * 40
    while time.monotonic() < deadline and left == FEEDS * 40 and linking.poll() is None:
        time.sleep(0.005)
        left = _queued(db)
    linking.send_signal(signal.SIGKILL)
    linking.wait(timeout=10)
    assert 0 < left < FEEDS * 40, "the kill did not land between two batches"
    assert _queued(db) > 0  # batches left for the next run

    resumed = _link(killed, env)
    assert 0 < resumed["items"] < FEEDS * 40  # only what the killed run had not committed
    assert _link(killed, env) == {"items": 0, "stories_new": 0, "variants_linked": 0}
    assert _link(whole, env)["items"] == FEEDS * 40
    assert _tables(db) == _tables(whole.parent / "loa.db")
    with sqlite3.connect(db) as conn:
        assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
