"""The media writer edge: content-addressed files written atomically (temp file + rename)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_once(root: Path, relative: str, body: bytes) -> bool:
    """Write `body` at root/relative unless it is already there; returns True if it wrote.

    A crash leaves either no file or the whole file, never half of one.
    """
    target = root / relative
    if target.is_file() and target.stat().st_size == len(body):
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(body)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True
