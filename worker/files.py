"""The media folder edge: content-addressed files written atomically (temp file + rename), and leftovers removed."""

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


def leftover_files(root: Path, referenced: set[str]) -> list[tuple[str, int]]:
    """Files under the media folder that no media row points at, with their sizes: orphans and killed writes.

    Only Loa's own layout is considered (`<xx>/<name>` and `.tmp-*` files); anything else is left alone.
    """
    found: list[tuple[str, int]] = []
    if not root.is_dir():
        return found
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and len(p.name) == 2):
        for path in sorted(folder.iterdir()):
            relative = f"{folder.name}/{path.name}"
            if not path.is_file() or path.is_symlink() or relative in referenced:
                continue
            if path.name.startswith(".tmp-") or path.name.split(".", 1)[0].startswith(folder.name):
                found.append((relative, path.stat().st_size))
    return found


def remove_files(root: Path, relatives: list[str]) -> None:
    for relative in relatives:
        (root / relative).unlink(missing_ok=True)
