"""The forked publish helpers: the wards' queue files staged by the parent and a child, the same bytes as one process."""

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
    from worker.queues import chunk_result

    chunked: list[list[int]] = []
    real_chunks, real_offer = chunk_result, publisher._offer_queues

    def chunks(result: queues.QueueResult, count: int) -> list[queues.QueueResult]:
        parts = real_chunks(result, count)
        chunked.append([len(part.wards) for part in parts])
        assert [v.id for part in parts for v in part.wards] == [v.id for v in result.wards]
        return parts

    def offer(writer: object, files: object, *args: object) -> None:
        for ward_id, ward_files, kept in files:  # type: ignore[attr-defined]
            with open(tmp_path / "rendered.log", "a", encoding="utf-8") as log:  # O_APPEND: from either process
                log.write(f"{ward_id} {os.getpid()}\n")
            real_offer(writer, [(ward_id, ward_files, kept)], *args)  # type: ignore[arg-type]

    monkeypatch.setattr(publisher, "chunk_result", chunks)
    monkeypatch.setattr(publisher, "_offer_queues", offer)
    monkeypatch.setattr(publisher, "_CHUNKS", 4)
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
    assert chunked == [[3, 3, 3, 4]]  # 13 wards in 4 chunks: the parent starts on the first, the helper on the last
    by_ward = dict(line.split() for line in (tmp_path / "rendered.log").read_text(encoding="utf-8").splitlines())
    assert len(by_ward) == 13 and len(set(by_ward.values())) == 2 and str(os.getpid()) in by_ward.values()
    again = json.loads(invoke(env, "publish", "--json", "--out", str(tmp_path / "helped")).output)
    assert again["written"] == [] and again["removed"] == []


def test_a_failing_helper_fails_the_publish_and_the_next_one_catches_up(
    tmp_path: Path, site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = queue_env(tmp_path, site)
    monkeypatch.setattr(publisher, "_FORK_FROM", 0)
    monkeypatch.setattr(publisher, "_CHUNKS", 2)  # the parent renders the first half, the helper the second
    real = publisher.queue_files

    def failing(config: object, result: queues.QueueResult, **kwargs: object) -> object:
        if any(view.id == "xa-hoang-dai" for view in result.wards):  # the second half: the child's
            assert os.getpid() != parent
            raise OSError(28, "No space left on device")
        return real(config, result, **kwargs)  # type: ignore[arg-type]

    parent = os.getpid()
    monkeypatch.setattr(publisher, "queue_files", failing)
    result = CliRunner().invoke(main, ["publish"], env={"LOA_CONFIG": str(env.config), "LOA_NOW": NOW})
    assert result.exit_code != 0 and "No space left on device" in f"{result.output}{result.exception}"
    out = tmp_path / "out"
    # No queue file replaced and no temp file left; the site and feeds went into place once the rows were saved
    # (as a kill at that point leaves them), and the marker says a publish stopped while staging.
    left = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert publisher.STAGING in left and not [p for p in left if p.endswith(".tmp") or p.startswith("queues/")]
    assert {p.split("/")[0] for p in left} == {publisher.STAGING, "site", "feeds"}
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


def test_each_process_replaces_the_files_it_staged_once_they_are_synced_and_the_rows_saved(
    tmp_path: Path, site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each process renames its own files, in order, a ward's all in one process; none before the queue rows are
    saved or before a sync that followed its staging (the feeds helper syncs its own, early; the parent the rest)."""
    env = queue_env(tmp_path, site)
    monkeypatch.setattr(publisher, "_FORK_FROM", 0)
    log = tmp_path / "events.log"
    real_sync, real_replace, real_stage, real_refresh = os.sync, os.replace, publisher.stage, publisher.refresh

    def note(kind: str, path: str = "-") -> None:
        with open(log, "a", encoding="utf-8") as out:  # O_APPEND: lines from every process, in the order they ran
            out.write(f"{os.getpid()} {kind} {path}\n")

    def sync() -> None:
        real_sync()
        note("sync")

    def replace(source: object, destination: object) -> None:
        real_replace(source, destination)  # type: ignore[arg-type]
        note("replace", str(Path(str(destination)).relative_to(tmp_path / "out")))

    def stage(path: str, data: bytes) -> str:
        note("stage", path)
        return real_stage(path, data)

    def refresh(*args: object, **kwargs: object) -> object:
        result = real_refresh(*args, **kwargs)  # type: ignore[arg-type]
        note("saved")
        return result

    monkeypatch.setattr(os, "sync", sync)
    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(publisher, "stage", stage)
    monkeypatch.setattr(publisher, "refresh", refresh)
    report = publish(env)
    events = [line.split(" ", 2) for line in log.read_text(encoding="utf-8").splitlines()]
    saved = next(n for n, (_pid, kind, _path) in enumerate(events) if kind == "saved")
    replaced = [(n, pid, path) for n, (pid, kind, path) in enumerate(events) if kind == "replace"]
    replaced = [(n, pid, path) for n, pid, path in replaced if path != publisher.MANIFEST]
    assert sorted(path for _n, _pid, path in replaced) == sorted(report["written"])
    assert all(n > saved for n, _pid, _path in replaced)
    by_process: dict[str, list[tuple[int, str]]] = {}
    for n, pid, path in replaced:
        by_process.setdefault(pid, []).append((n, path))
    assert len(by_process) == 3  # the parent, the feeds helper and the queue helper
    for pid, done in by_process.items():
        assert [path for _n, path in done] == sorted((path for _n, path in done), key=publisher._order)
        staged = [n for n, (who, kind, path) in enumerate(events) if who == pid and kind == "stage"]
        last_stage = max(n for n in staged if not events[n][2].endswith(publisher.MANIFEST))
        synced = [n for n, (_who, kind, _path) in enumerate(events) if kind == "sync" and n > last_stage]
        assert synced and synced[0] < done[0][0]  # a sync after its last staged file, before its first rename
    site_and_feeds = {pid for _n, pid, path in replaced if not path.startswith("queues/")}
    assert len(site_and_feeds) == 1 and str(os.getpid()) not in site_and_feeds
    wards = {path.split("/")[1]: pid for _n, pid, path in replaced if path.startswith("queues/")}
    assert all(wards[path.split("/")[1]] == pid for _n, pid, path in replaced if path.startswith("queues/"))
    assert not list((tmp_path / "out").rglob("*.tmp")) and not (tmp_path / "out" / publisher.STAGING).exists()


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


@pytest.mark.parametrize("count", [1, 2, 3, 200])
def test_claims_hand_each_chunk_to_exactly_one_of_two_processes(tmp_path: Path, count: int) -> None:
    claims = publisher._Claims(count)
    taken = tmp_path / "child.txt"
    pid = os.fork()
    if pid == 0:  # the helper's side: starts on the last chunk
        code = 1
        try:
            numbers = list(claims.taken(count - 1 or None))
            taken.write_text(" ".join(map(str, numbers)), encoding="utf-8")
            code = 0
        finally:
            os._exit(code)
    mine = list(claims.taken(0))
    claims.close()
    _pid, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    theirs = [int(n) for n in taken.read_text(encoding="utf-8").split()]
    assert mine[0] == 0 and (count == 1 or theirs[0] == count - 1)
    assert sorted(mine + theirs) == list(range(count))
