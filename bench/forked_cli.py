"""`loa` with the publish helpers forked at any size: bench/publish_equality.sh runs it on 100 wards (< 400)."""

from __future__ import annotations

import runpy
from pathlib import Path

import worker.publish as publisher

if __name__ == "__main__":
    publisher._FORK_FROM = 0
    runpy.run_path(str(Path(__file__).resolve().parent.parent / "cli.py"), run_name="__main__")
