"""Pure alert decisions: which health transitions are announced, and the JSON every action receives."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from worker.dates import iso_utc
from worker.health import PROBLEMS
from worker.models import Health


@dataclass(frozen=True)
class Alert:
    source: str
    from_health: Health
    to_health: Health
    reason: str
    action: str
    at: datetime

    @property
    def recovery(self) -> bool:
        return self.to_health not in PROBLEMS

    def payload(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "from": self.from_health.value,
            "to": self.to_health.value,
            "reason": self.reason,
            "action": self.action,
            "at": iso_utc(self.at),
        }


def transition_alert(
    source_id: str, before: Health | str, after: Health | str, *, reason: str, action: str, at: datetime
) -> Alert | None:
    """An alert when a source enters, leaves or changes a problem state; None otherwise.

    Stale is not a problem here: it is printed by `loa status`, not pushed to anyone.
    """
    old, new = Health(before), Health(after)
    if old == new or (old not in PROBLEMS and new not in PROBLEMS):
        return None
    if new not in PROBLEMS:
        reason = reason or f"recovered after being {old.value}"
        action = action or "nothing to do"
    return Alert(source_id, old, new, reason, action, at)


def rate_limited(last_sent_at: datetime | None, now: datetime, min_interval_seconds: int) -> bool:
    """At most one alert per source per interval, so a flapping source cannot flood the channel."""
    return last_sent_at is not None and now - last_sent_at < timedelta(seconds=min_interval_seconds)
