"""Reads what the last `loa publish` left in outputs/ (manifest, Atom feeds) into `SiteOutputs` for the report.

Files listed in the manifest are counted, not every file in the folder, so stray copies never inflate the figures.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from worker.report import SiteOutputs

MANIFEST = ".loa-publish.json"  # the same name worker.publish writes
_ENTRY = "{http://www.w3.org/2005/Atom}entry"


def _entries(path: Path) -> int:
    try:
        return len(ET.parse(path).getroot().findall(_ENTRY))
    except (OSError, ET.ParseError):
        return 0


def read_outputs(outputs: Path) -> SiteOutputs:
    try:
        manifest = json.loads((outputs / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return SiteOutputs()
    files = sorted((manifest.get("files") or {}) if isinstance(manifest, dict) else {})
    pages = sum(1 for f in files if f.startswith("site/") and f.endswith(".html"))
    ward_feeds = [f for f in files if f.startswith("feeds/") and f.endswith(".xml")]
    per_ward = {Path(f).stem: _entries(outputs / f) for f in ward_feeds}
    return SiteOutputs(
        published=True,
        pages=pages,
        site_feed_entries=_entries(outputs / "site" / "atom.xml") if "site/atom.xml" in files else 0,
        ward_feeds=len(ward_feeds),
        ward_feed_entries=sum(per_ward.values()),
        ward_entries=per_ward,
    )
