"""Parsing in worker processes (worker/parallel.py) gives what parsing in the fetch threads gives."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import write_config
from tests.test_pipeline import FEED_SOURCE, ITEMS, rss, run
from worker import parallel
from worker.demo.server import StaticServer
from worker.errors import ParseError
from worker.lock import RunLock
from worker.models import RunStatus
from worker.normalize import content_hash

ROOT = Path(__file__).resolve().parent.parent
COLUMNS = "id, source_id, guid, url, title, summary, body_html, body_text, published_at, content_hash, kind, status"


def many_feeds(root: Path, server: StaticServer, count: int = 4) -> str:
    sources = ""
    for index in range(count):
        items = [(f"{slug}-{index}", f"{title} (nguồn {index})", text) for slug, title, text in ITEMS]
        (root / f"feed{index}.xml").write_text(rss(items), encoding="utf-8")
        sources += FEED_SOURCE.format(id=f"nguon-{index}", url=f"{server.url}/feed{index}.xml")
    (root / "broken.xml").write_text("<rss><channel><item><title>Không đóng thẻ", encoding="utf-8")
    return sources + FEED_SOURCE.format(id="hong", url=f"{server.url}/broken.xml")


def rows(db: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        return list(conn.execute(f"select {COLUMNS} from items order by id"))


def test_worker_processes_store_the_same_items_and_errors(
    site: tuple[Path, StaticServer], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, server = site
    sources = many_feeds(root, server)
    results = {}
    for workers in ("0", "2"):
        folder = tmp_path / f"w{workers}"
        folder.mkdir()
        monkeypatch.setenv(parallel.ENV_WORKERS, workers)
        report, store = run(write_config(folder, sources))
        store.close()
        results[workers] = report
        by_id = {r.source_id: r for r in report.results}
        assert by_id["hong"].status is RunStatus.ERROR and by_id["hong"].error_kind == "parse"
        assert all(by_id[f"nguon-{i}"].new == 3 for i in range(4))
    assert rows(tmp_path / "w0/loa.db") == rows(tmp_path / "w2/loa.db")
    errors = [str(next(r for r in results[w].results if r.source_id == "hong").error) for w in ("0", "2")]
    assert errors[0] == errors[1]


def test_a_run_of_304s_never_starts_the_pool(
    site: tuple[Path, StaticServer], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, server = site
    config = write_config(tmp_path, many_feeds(root, server))
    monkeypatch.setenv(parallel.ENV_WORKERS, "2")
    run(config)[1].close()
    started = []
    original = parallel.ParsePool._start
    monkeypatch.setattr(parallel.ParsePool, "_start", lambda self: started.append(1) or original(self))
    report, store = run(config, force=True)
    store.close()
    assert {r.status for r in report.results if r.source_id != "hong"} == {RunStatus.NOT_MODIFIED}
    assert [r.error_kind for r in report.results if r.source_id == "hong"] == ["parse"]
    assert len(started) == 1  # only the broken feed (no validators, body changed) was parsed


def test_loa_errors_cross_the_process_boundary_intact() -> None:
    error = ParseError("https://x.vn/feed is not a readable RSS/Atom feed", url="https://x.vn/feed", hint="open it")
    rebuilt = parallel._PortableError(error).rebuild()
    assert type(rebuilt) is ParseError and str(rebuilt) == str(error)
    assert (rebuilt.url, rebuilt.hint, rebuilt.kind) == (error.url, error.hint, error.kind)


def test_pool_size_follows_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(parallel.ENV_WORKERS, raising=False)
    assert parallel.workers_for(parallel.MIN_SOURCES - 1) == 0
    monkeypatch.setenv(parallel.ENV_WORKERS, "0")
    assert parallel.workers_for(500) == 0
    monkeypatch.setenv(parallel.ENV_WORKERS, "3")
    assert parallel.workers_for(1) == 3


@given(st.text(alphabet=st.sampled_from([*"aĂâ đ\t\n\r\x0b\x0c\x1c\x85\xa0\u2028\u3000", "Ạ"]), max_size=40))
def test_content_hash_folds_whitespace_as_the_regex_did(text: str) -> None:
    import hashlib

    folded = re.sub(r"\s+", " ", f"tiêu đề\n{text}".casefold()).strip()
    assert content_hash("tiêu đề", text) == hashlib.sha256(folded.encode()).hexdigest()


def _descendants(pid: int) -> set[int]:
    found: set[int] = set()
    todo = [pid]
    while todo:
        current = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{current}/task")
        except OSError:
            continue
        for tid in tasks:
            try:
                children = Path(f"/proc/{current}/task/{tid}/children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                if child not in found:
                    found.add(child)
                    todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads the process tree from /proc")
def test_kill_9_with_worker_processes_leaves_no_orphan_and_no_lock(tmp_path: Path) -> None:
    root = tmp_path / "site"
    root.mkdir()
    many = [(f"{slug}-{n}", f"{title} (số {n})", text) for n in range(10) for slug, title, text in ITEMS]
    with StaticServer(root, delay=0.3) as server:
        sources = ""
        for index in range(10):
            (root / f"feed{index}.xml").write_text(rss(many[index * 3 : index * 3 + 3]), encoding="utf-8")
            sources += FEED_SOURCE.format(id=f"nguon-{index}", url=f"{server.url}/feed{index}.xml")
        config = write_config(tmp_path, sources)
        text = config.read_text(encoding="utf-8").replace("retries: 0", "retries: 0, per_host: 2, workers: 2")
        config.write_text(text, encoding="utf-8")
        env = {**os.environ, "LOA_CONFIG": str(config), "LOA_NOW": "2023-07-10T08:00:00+07:00"}
        env[parallel.ENV_WORKERS] = "2"
        proc = subprocess.Popen(
            [sys.executable, str(ROOT / "cli.py"), "sync"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 60
        children: set[int] = set()
        while time.monotonic() < deadline:  # wait for both parse workers
            children = _descendants(proc.pid)
            if _parse_workers(proc.pid, children) >= 2:
                break
            time.sleep(0.05)
        # A first sync always parses, so its workers are forked up front: copies of the parent's command line.
        assert _parse_workers(proc.pid, children) >= 2, "the parse workers never started"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        # The forked workers closed their copy of the run lock: it is free at once, not when they exit.
        lock = RunLock(tmp_path / "loa.db", "test")
        lock.acquire()
        lock.release()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_alive(c) for c in children):
            time.sleep(0.1)
        # Parse workers and multiprocessing's resource tracker: nothing outlives the killed run.
        assert not [_cmdline(c) for c in children if _alive(c)], "processes outlived their parent"

        done = subprocess.run(
            [sys.executable, str(ROOT / "cli.py"), "sync", "--json"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["totals"]["error"] == 0
        with sqlite3.connect(tmp_path / "loa.db") as conn:
            assert conn.execute("select count(*) from items").fetchone()[0] == 30
            assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"


def _parse_workers(parent: int, children: set[int]) -> int:
    """Spawned workers run multiprocessing's spawn_main; forked ones keep the parent's command line."""
    own = _cmdline(parent)
    return sum("spawn_main" in _cmdline(c) or _cmdline(c) == own for c in children)


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def test_a_run_that_surely_parses_forks_its_workers_up_front(tmp_path: Path) -> None:
    # A fresh interpreter, so the pool starts while its process has one thread, as `loa sync` does.
    script = tmp_path / "fork.py"
    script.write_text(
        f"""
import json, sys
from datetime import datetime, timezone
from zoneinfo import ZoneInfo
sys.path.insert(0, {str(ROOT)!r})
from tests.test_pipeline import ITEMS, rss
from worker.models import Fetched
from worker.parallel import ParsePool, parse_items
from worker.models import Source

source = Source(id="nguon", name="Nguồn", kind="feed", url="https://chongluadao.vn/feed", rank=0, every_seconds=1800)
fetched = Fetched(url=source.url, final_url=source.url, status=200, body=rss(ITEMS).encode(), content_type="application/rss+xml")
now, tz = datetime(2023, 7, 10, 1, tzinfo=timezone.utc), ZoneInfo("Asia/Ho_Chi_Minh")
with ParsePool(2, eager=True) as pool:
    method = pool.start_method
    forked = pool.parse(source, fetched, tz, now)
print(json.dumps({{"method": method, "same": forked == parse_items(source, fetched, tz, now), "items": len(forked)}}))
""",
        encoding="utf-8",
    )
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"method": "fork", "same": True, "items": len(ITEMS)}


def test_a_pool_asked_to_start_early_spawns_later_when_threads_already_run() -> None:
    import threading

    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        with parallel.ParsePool(2, eager=True) as pool:
            assert pool.start_method is None  # forking now could copy another thread's lock held
    finally:
        release.set()
        other.join()
