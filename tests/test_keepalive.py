"""Conditional requests answered 304 (and small error bodies) keep their connection for the next request."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.corpus import generate
from bench.server import CorpusServer
from worker.errors import FetchError
from worker.fetch import Fetcher


def test_304s_and_small_errors_reuse_one_connection(tmp_path: Path) -> None:
    manifest = generate(tmp_path, feeds=6, items=2, seed=5)
    with CorpusServer(tmp_path) as server, Fetcher(user_agent="Loa-test/0.1", retries=0, timeout=5) as fetcher:
        urls = [server.url + feed.path for feed in manifest.feeds]
        etags = {url: fetcher.get(url).etag for url in urls}  # robots.txt, then six 200s
        for url in urls:
            assert fetcher.get(url, etag=etags[url]).not_modified
            with pytest.raises(FetchError, match="404"):
                fetcher.get(server.url + "/feeds/khong-co.xml")
        stats = server.stats()
        assert (stats.robots, stats.ok, stats.not_modified, stats.not_found) == (1, 6, 6, 6)
        assert stats.connections == 1  # sequential gets: one keep-alive connection for all 19 requests
