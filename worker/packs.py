"""Pack decisions as pure functions: which approved stories go into a new pack, in what order, its title, when one is due.

Nothing here reads the database or the clock; callers pass rows and `now` in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from worker.dates import from_iso
from worker.models import Priority
from worker.publish_config import PackSchedule


@dataclass(frozen=True)
class Candidate:
    """One approved item that could stand for its story in a pack."""

    item_id: str
    story_id: str
    priority: Priority
    published_at: datetime
    source_rank: int
    topics: tuple[str, ...] = ()

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Candidate:
        return cls(
            item_id=str(row["id"]),
            story_id=str(row.get("story_id") or row["id"]),
            priority=Priority(row.get("priority") or Priority.NORMAL.value),
            published_at=from_iso(str(row["published_at"])),
            source_rank=int(row.get("source_rank") or 0),
            topics=tuple(row.get("topics") or ()),
        )


def is_live(row: Mapping[str, Any], now: datetime) -> bool:
    """Approved, snapshotted and not expired: the only rows any output may show."""
    if row.get("status") != "approved" or not row.get("approval_id"):
        return False
    expires = row.get("expires_at")
    return not expires or from_iso(str(expires)) > now


def lead_key(candidate: Candidate) -> tuple[int, datetime, str]:
    """The most trusted source first, then the earliest copy."""
    return (candidate.source_rank, candidate.published_at, candidate.item_id)


def leads(candidates: Iterable[Candidate]) -> dict[str, Candidate]:
    """Each story's highest-ranked approved item."""
    best: dict[str, Candidate] = {}
    for candidate in candidates:
        current = best.get(candidate.story_id)
        if current is None or lead_key(candidate) < lead_key(current):
            best[candidate.story_id] = candidate
    return best


def pack_order_key(candidate: Candidate) -> tuple[int, float, str]:
    """khẩn cấp, then ưu tiên, then thường; within a priority the newest first."""
    return (-candidate.priority.rank, -candidate.published_at.timestamp(), candidate.story_id)


def select_stories(
    candidates: Iterable[Candidate],
    *,
    exclude: set[str],
    since: datetime | None = None,
    topic: str | None = None,
    limit: int | None = None,
) -> list[Candidate]:
    """Story leads not yet in any pack that pass the filters, in pack order; at most `limit`."""
    chosen = [
        lead
        for story_id, lead in leads(candidates).items()
        if story_id not in exclude
        and (since is None or lead.published_at >= since)
        and (topic is None or topic in lead.topics)
    ]
    chosen.sort(key=pack_order_key)
    return chosen[:limit] if limit else chosen


def date_range_label(days: Iterable[date]) -> str:
    """10–16/7/2023; 28/6–4/7/2023; 28/12/2022–3/1/2023; 10/7/2023 for a single day."""
    ordered = sorted(set(days))
    if not ordered:
        return ""
    first, last = ordered[0], ordered[-1]
    if first == last:
        return f"{first.day}/{first.month}/{first.year}"
    if first.year != last.year:
        return f"{first.day}/{first.month}/{first.year}–{last.day}/{last.month}/{last.year}"
    if first.month != last.month:
        return f"{first.day}/{first.month}–{last.day}/{last.month}/{last.year}"
    return f"{first.day}–{last.day}/{last.month}/{last.year}"


def default_title(series: str, number: int, published: Iterable[datetime], tz: tzinfo) -> str:
    """`Bản tin phòng chống lừa đảo trực tuyến số 3 (10–16/7/2023)`: the dates its stories were published."""
    label = date_range_label(moment.astimezone(tz).date() for moment in published)
    return f"{series} số {number}" + (f" ({label})" if label else "")


def last_scheduled(schedule: PackSchedule, now: datetime, tz: tzinfo) -> datetime | None:
    """The most recent scheduled build instant at or before `now` (None when builds are off)."""
    if schedule.auto == "off":
        return None
    local = now.astimezone(tz)
    hour, minute = schedule.at
    moment = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if schedule.auto == "daily":
        return moment if moment <= local else moment - timedelta(days=1)
    moment -= timedelta(days=(local.weekday() - schedule.day) % 7)
    return moment if moment <= local else moment - timedelta(days=7)


def build_due(schedule: PackSchedule, now: datetime, tz: tzinfo, last_auto_at: datetime | None) -> bool:
    """Whether `loa run` should build a pack now: a scheduled instant has passed since the last automatic build."""
    slot = last_scheduled(schedule, now, tz)
    return slot is not None and (last_auto_at is None or last_auto_at < slot)
