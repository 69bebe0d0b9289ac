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
