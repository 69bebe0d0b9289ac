"""The run lock: flock on a file next to the database, free as soon as its holder dies."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from worker.errors import LockHeld
from worker.lock import RunLock, close_inherited


def _fork_child(close: bool) -> tuple[int, int]:
    """A forked child that (maybe) closes the lock files it inherited, says so, and waits: (pid, its pipe)."""
    said_r, said_w = os.pipe()
    wait_r, wait_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.close(wait_w)
        os.close(said_r)
        if close:
            close_inherited()
        os.write(said_w, b"1")
        os.read(wait_r, 1)
        os._exit(0)
    os.close(said_w)
    os.close(wait_r)
    assert os.read(said_r, 1) == b"1"
    os.close(said_r)
    return pid, wait_w


@pytest.mark.parametrize("close", [True, False])
def test_a_forked_child_that_closes_inherited_locks_does_not_keep_the_lock(tmp_path: Path, close: bool) -> None:
    """A parent killed with kill -9 drops its file; a live child that closed its copy holds nothing (a publish
    helper), one that did not still holds the lock."""
    lock = RunLock(tmp_path / "loa.db", "publish").acquire()
    pid, wait = _fork_child(close)
    try:
        assert lock._fd is not None
        os.close(lock._fd)  # as the kernel does for a parent that died: its copy of the file goes, unlocked
        lock._fd = None
        if close:
            RunLock(tmp_path / "loa.db", "publish").acquire().release()
        else:
            with pytest.raises(LockHeld):
                RunLock(tmp_path / "loa.db", "publish").acquire()
    finally:
        os.close(wait)
        os.waitpid(pid, 0)
