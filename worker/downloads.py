"""Download the media files items need: same fetcher and politeness as sync, checked, stored once by content."""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from worker.config import Config
from worker.errors import LoaError
from worker.files import write_once
from worker.media import CONTENT_TYPES, MAX_ATTEMPTS, check_body, relative_path
from worker.models import Fetched, Source
from worker.store import Store


class Getter(Protocol):
    def get(
        self, url: str, *, respect_robots: bool = True, max_bytes: int | None = None, timeout: float | None = None
    ) -> Fetched: ...


@dataclass(frozen=True)
class Downloaded:
    media_id: int
    source_id: str
    sha256: str = ""
    size: int = 0
    content_type: str = ""
    path: str = ""
    error: str = ""


def _one(config: Config, fetcher: Getter, source: Source, row: dict[str, Any]) -> Downloaded:
    """Fetch, check and write one file. Runs in a worker thread: touches no database."""
    try:
        fetched = fetcher.get(
            row["url"], respect_robots=source.respect_robots, max_bytes=source.max_bytes, timeout=source.timeout_seconds
        )
        body = fetched.body or b""
        ext = check_body(row["url"], row["role"], fetched.content_type, body)
        sha = hashlib.sha256(body).hexdigest()
        path = relative_path(sha, ext)
        write_once(config.media_path, path, body)
    except LoaError as error:
        return Downloaded(row["id"], source.id, error=str(error))
    except OSError as error:
        return Downloaded(row["id"], source.id, error=f"cannot write to the media folder {config.media_path}: {error}")
    return Downloaded(row["id"], source.id, sha, len(body), CONTENT_TYPES[ext], path)


def download_media(
    config: Config, store: Store, fetcher: Getter, sources: list[Source], *, now: datetime
) -> dict[str, dict[str, int]]:
    """Download every pending or failed file of these sources; returns per-source counts for `sync --json`."""
    by_id = {s.id: s for s in sources}
    rows = store.media_to_download(list(by_id), max_attempts=MAX_ATTEMPTS)
    counts: dict[str, dict[str, int]] = {}
    if not rows:
        return counts
    workers = max(1, min(config.defaults.workers, len(rows)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="loa-media") as pool:
        done = list(pool.map(lambda r: _one(config, fetcher, by_id[r["source_id"]], r), rows))
    for result in done:
        tally = counts.setdefault(result.source_id, {"downloaded": 0, "failed": 0})
        if result.error:
            store.media_failed(result.media_id, error=result.error, now=now)
            tally["failed"] += 1
        else:
            store.media_done(
                result.media_id,
                sha256=result.sha256,
                size=result.size,
                content_type=result.content_type,
                path=result.path,
                now=now,
            )
            tally["downloaded"] += 1
    return counts
