"""The forked publish helper: half of the wards' queue files staged by a child process, the same bytes as one process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import worker.publish as publisher
import worker.queues as queues
from cli import main
from tests.queue_support import NOW, invoke, publish, queue_env
from worker.demo.server import StaticServer

Site = tuple[Path, StaticServer]
ROOT = Path(__file__).resolve().parent.parent.parent


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_forked_helper_writes_the_same_files_and_manifest_as_one_process(
    tmp_path: Path, site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    from worker.queues import split_result

    halves: list[tuple[int, int]] = []
    real_split = split_result

    def split(result: queues.QueueResult) -> tuple[queues.QueueResult, queues.QueueResult]:
        mine, theirs = real_split(result)
        halves.append((len(mine.wards), len(theirs.wards)))
        assert {v.id for v in mine.wards} | {v.id for v in theirs.wards} == {v.id for v in result.wards}
        return mine, theirs

    monkeypatch.setattr(publisher, "split_result", split)
    env = queue_env(tmp_path, site)
    # Ten wards planned alike: one class, which the split cuts in two (its leader renders in the parent only).
    alike = "".join(
        f'  - {{id: phuong-{n:02d}, name: "Phường {n}", kind: phuong, slots: ["06:00/15m"]}}\n' for n in range(10)
    )
    env.config.write_text(env.config.read_text(encoding="utf-8").replace("wards:\n", "wards:\n" + alike, 1))
    alone = json.loads(invoke(env, "publish", "--json", "--out", str(tmp_path / "alone")).output)
    monkeypatch.setattr(publisher, "_FORK_FROM", 0)
    helped = json.loads(invoke(env, "publish", "--json", "--out", str(tmp_path / "helped")).output)
    assert helped["written"] == alone["written"] and helped["unchanged"] == alone["unchanged"]
    assert sum(p.startswith("queues/phuong-0") for p in helped["written"]) > 30
    assert _tree(tmp_path / "helped") == _tree(tmp_path / "alone")  # the manifest (every digest) included
    assert not (tmp_path / "helped" / publisher.STAGING).exists()
    assert halves == [(6, 7)]
    again = json.loads(invoke(env, "publish", "--json", "--out", str(tmp_path / "helped")).output)
    assert again["written"] == [] and again["removed"] == []


def test_a_failing_helper_fails_the_publish_and_the_next_one_catches_up(
    tmp_path: Path, site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = queue_env(tmp_path, site)
    monkeypatch.setattr(publisher, "_FORK_FROM", 0)
    real = publisher.queue_files

    def failing(config: object, result: queues.QueueResult, **kwargs: object) -> object:
        if any(view.id == "xa-hoang-dai" for view in result.wards):  # the second half: the child's
            raise OSError(28, "No space left on device")
        return real(config, result, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(publisher, "queue_files", failing)
    result = CliRunner().invoke(main, ["publish"], env={"LOA_CONFIG": str(env.config), "LOA_NOW": NOW})
    assert result.exit_code != 0 and "No space left on device" in f"{result.output}{result.exception}"
    out = tmp_path / "out"
    # Nothing replaced, no temp file left: the marker alone says a publish stopped while staging.
    assert [p.name for p in out.rglob("*") if p.is_file()] == [publisher.STAGING]
    monkeypatch.setattr(publisher, "queue_files", real)
    report = publish(env)
    assert report["written"] and not [p for p in out.rglob("*") if p.name.endswith(".tmp")]
    assert publish(env)["written"] == []


def test_a_kill_with_a_helper_running_is_caught_up(tmp_path: Path, site: Site) -> None:
    """kill -9 of a publish that forked a helper (after staging, mid-replace): the next publish catches up."""
    from tests.test_queues import consistent

    env = queue_env(tmp_path, site)
    code = "import sys, worker.publish as p; p._FORK_FROM = 0; from cli import main; sys.exit(main())"
    for point in ("queues-saved", "replacing"):
        extra = {"LOA_CONFIG": str(env.config), "LOA_NOW": NOW, "LOA_CRASH_AT": point}
        process = subprocess.run(
            [sys.executable, "-c", code, "publish"], cwd=ROOT, env={**os.environ, **extra}, check=False
        )
        assert process.returncode == -signal.SIGKILL
    report = publish(env)
    consistent(tmp_path)
    assert report["written"] and not [p for p in (tmp_path / "out").rglob("*") if p.name.endswith(".tmp")]
    assert publish(env)["written"] == []


def test_each_process_replaces_the_files_it_staged_after_the_one_sync(
    tmp_path: Path, site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The helpers rename their own files alongside the parent, never before the parent's sync, each ward in order."""
    env = queue_env(tmp_path, site)
    monkeypatch.setattr(publisher, "_FORK_FROM", 0)
    log = tmp_path / "events.log"
    real_sync, real_replace = os.sync, os.replace

    def note(line: str) -> None:
        with open(log, "a", encoding="utf-8") as out:  # O_APPEND: lines from every process, in the order they ran
            out.write(f"{os.getpid()} {line}\n")

    def sync() -> None:
        real_sync()
        note("sync -")

    def replace(source: object, destination: object) -> None:
        real_replace(source, destination)  # type: ignore[arg-type]
        note(f"replace {Path(str(destination)).relative_to(tmp_path / 'out')}")

    monkeypatch.setattr(os, "sync", sync)
    monkeypatch.setattr(os, "replace", replace)
    report = publish(env)
    events = [line.split(" ", 2) for line in log.read_text(encoding="utf-8").splitlines()]
    parent = str(os.getpid())
    first_sync = next(n for n, (_pid, kind, _path) in enumerate(events) if kind == "sync")
    replaced = [(pid, path) for pid, kind, path in events if kind == "replace" and path != publisher.MANIFEST]
    assert not [path for _pid, kind, path in events[:first_sync] if kind == "replace"]  # nothing before the sync
    assert {pid for pid, kind, _path in events if kind == "sync"} == {parent}
    assert sorted(path for _pid, path in replaced) == sorted(report["written"])
    by_process: dict[str, list[str]] = {}
    for pid, path in replaced:
        by_process.setdefault(pid, []).append(path)
    assert len(by_process) == 3  # the parent, the feeds helper and the queue helper
    assert all(paths == sorted(paths, key=publisher._order) for paths in by_process.values())
    site_and_feeds = {pid for pid, path in replaced if not path.startswith("queues/")}
    assert len(site_and_feeds) == 1 and parent not in site_and_feeds
    wards = {path.split("/")[1]: pid for pid, path in replaced if path.startswith("queues/")}
    assert all(wards[path.split("/")[1]] == pid for pid, path in replaced if path.startswith("queues/"))
    assert not [p for p in (tmp_path / "out").rglob("*.tmp")] and not (tmp_path / "out" / publisher.STAGING).exists()


def test_a_parent_failing_after_its_helpers_staged_leaves_no_temp_file(
    tmp_path: Path, site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The helpers wait for the parent's sync; a parent that fails instead tells them to remove what they staged."""
    env = queue_env(tmp_path, site)
    monkeypatch.setattr(publisher, "_FORK_FROM", 0)
    real_sync = os.sync

    def failing() -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "sync", failing)
    result = CliRunner().invoke(main, ["publish"], env={"LOA_CONFIG": str(env.config), "LOA_NOW": NOW})
    assert result.exit_code != 0 and "Input/output error" in f"{result.output}{result.exception}"
    out = tmp_path / "out"
    assert [p.name for p in out.rglob("*") if p.is_file()] == [publisher.STAGING]
    monkeypatch.setattr(os, "sync", real_sync)
    assert publish(env)["written"] and not [p for p in out.rglob("*") if p.name.endswith(".tmp")]
    assert publish(env)["written"] == []
