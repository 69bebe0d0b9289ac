"""The naive baseline: a sequential requests + feedparser loop over a list of feed URLs, nothing stored.

What a first script would do; run as its own process so interpreter start-up counts as it does for Loa:

    python -m bench.baseline URLS_FILE
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Fetch and parse every feed in URLS_FILE, one after another.")
    parser.add_argument("urls", type=Path, help="one feed URL per line")
    parser.add_argument("--timeout", type=float, default=20.0)
    args = parser.parse_args(argv)

    import feedparser
    import requests

    urls = [line.strip() for line in args.urls.read_text(encoding="utf-8").splitlines() if line.strip()]
    entries = failed = 0
    with requests.Session() as session:
        for url in urls:
            try:
                response = session.get(url, timeout=args.timeout)
                response.raise_for_status()
            except requests.RequestException as exc:
                print(f"{url}: {exc}", file=sys.stderr)
                failed += 1
                continue
            entries += len(feedparser.parse(response.content).entries)
    print(f"{len(urls)} feeds, {entries} entries, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
