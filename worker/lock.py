"""An exclusive lock file next to the database, so two writing commands never overlap.

flock is released by the kernel when its holder dies, so a lock left by kill -9 is simply free.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
from pathlib import Path
from types import TracebackType

from worker.errors import LockHeld

_HELD: set[int] = set()  # this process's locked files, for `close_inherited` in a forked child


def close_inherited() -> None:
    """In a forked child: close the lock files it inherited. flock belongs to the open file, which a child keeps
    open as long as it lives: closed here, a parent killed with kill -9 frees the lock at once, helpers or not.
    """
    while _HELD:
        with contextlib.suppress(OSError):
            os.close(_HELD.pop())  # close, never LOCK_UN: that would unlock the parent's (shared) lock


class RunLock:
    def __init__(self, db_path: Path, command: str) -> None:
        self.path = Path(str(db_path) + ".lock")
        self.command = command
        self._fd: int | None = None

    def holder(self) -> str:
        try:
            info = json.loads(self.path.read_text(encoding="utf-8") or "{}")
        except (OSError, ValueError):
            return "another process"
        return f"`loa {info.get('command', '?')}` (pid {info.get('pid', '?')} on {info.get('host', '?')}, since {info.get('since', '?')})"

    def acquire(self, since: str = "") -> RunLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            holder = self.holder()
            raise LockHeld(f"another Loa run holds {self.path}: {holder}", holder=holder) from None
        info = {"pid": os.getpid(), "host": socket.gethostname(), "command": self.command, "since": since}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode(), 0)
        self._fd = fd
        _HELD.add(fd)
        return self

    def release(self) -> None:
        if self._fd is not None:
            _HELD.discard(self._fd)
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> RunLock:
        return self.acquire() if self._fd is None else self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()
