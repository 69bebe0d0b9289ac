"""Pure shaping of stored rows into the JSON and table rows the CLI prints; no I/O."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from worker.dates import from_iso
from worker.models import SourceResult
from worker.pipeline import SyncReport
from worker.schedule import SourceState

ITEM_FIELDS = (
    "id",
    "source",
    "kind",
    "url",
    "title",
    "summary",
    "published_at",
    "fetched_at",
    "status",
    "duplicate_of",
)


def item_json(row: dict[str, Any]) -> dict[str, Any]:
    data = {key: row.get(key) for key in ITEM_FIELDS if key != "source"}
    data["source"] = row.get("source_id")
    data["story"] = row.get("story_id")
    for key, value in row.items():
        if key not in data and key not in ("source_id", "body_html", "extra", "source_rank"):
            data[key] = value
    return {key: data[key] for key in (*ITEM_FIELDS, *[k for k in data if k not in ITEM_FIELDS])}


def result_json(result: SourceResult) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": result.source_id,
        "status": result.status.value,
        "new": result.new,
        "updated": result.updated,
        "duplicates": result.duplicates,
        "error": str(result.error) if result.error else None,
        "error_kind": result.error_kind,
        "health": result.health.value,
        "seconds": round(result.seconds, 3),
        "url": result.url,
    }
    if result.health_reason:
        data["health_reason"] = result.health_reason
    if result.health_action:
        data["health_action"] = result.health_action
    data.update({k: v for k, v in result.extra.items() if k not in data})
    return data


def report_json(report: SyncReport) -> dict[str, Any]:
    return {
        "sources": [result_json(r) for r in report.results],
        "totals": report.totals,
        "network_down": report.network_down,
        **report.extra,
    }


def local(moment: datetime | str | None, tz: tzinfo) -> str:
    if moment is None or moment == "":
        return "-"
    value = from_iso(moment) if isinstance(moment, str) else moment
    return value.astimezone(tz).strftime("%d/%m/%Y %H:%M")


def status_json(state: SourceState, *, name: str, enabled: bool, kind: str) -> dict[str, Any]:
    def iso(moment: datetime | None) -> str | None:
        return moment.isoformat() if moment else None

    return {
        "id": state.id,
        "name": name,
        "kind": kind,
        "enabled": enabled,
        "health": state.health,
        "health_reason": state.health_reason,
        "health_action": state.health_action,
        "last_success_at": iso(state.last_success_at),
        "last_error": state.last_error,
        "last_error_kind": state.last_error_kind,
        "last_error_at": iso(state.last_error_at),
        "consecutive_errors": state.consecutive_errors,
        "next_due_at": iso(state.next_due_at),
        "items": state.item_count,
    }


def media_json(row: dict[str, Any]) -> dict[str, Any]:
    keys = ("url", "role", "filename", "status", "sha256", "bytes", "content_type", "path", "error", "attempts")
    data = {key: row.get(key) for key in keys}
    data["off_domain"] = bool(row.get("off_domain"))
    return data


def table(rows: list[list[str]], headers: list[str]) -> str:
    """A plain aligned text table; widths count characters, which is right for NFC Vietnamese."""
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    return "\n".join(lines)
