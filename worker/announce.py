"""After a source's run: decide whether its health changed, deliver the alert once, and record it."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime
from typing import Any, Protocol

from worker.alerts import rate_limited, transition_alert
from worker.config import Config
from worker.errors import LoaError
from worker.models import Health, SourceResult
from worker.notify import deliver
from worker.schedule import SourceState
from worker.store import Store

log = logging.getLogger(__name__)


class Poster(Protocol):
    def post_json(self, url: str, payload: dict[str, Any], timeout: float | None = None) -> int: ...


def announce(
    config: Config, store: Store, poster: Poster, before: SourceState | None, result: SourceResult, *, now: datetime
) -> SourceResult:
    """Never raises: an alert that cannot be sent is recorded as failed and the sync goes on."""
    previous = Health(before.health) if before else Health.HEALTHY
    alert = transition_alert(
        result.source_id, previous, result.health, reason=result.health_reason, action=result.health_action, at=now
    )
    if alert is None:
        return result
    payload = alert.payload()
    try:
        if rate_limited(store.last_alert_at(result.source_id), now, config.alerts.min_interval_seconds):
            status, detail = "suppressed", "another alert for this source was sent within alerts.min_interval"
        elif not (config.alerts.webhook or config.alerts.command):
            status, detail = "logged", "no alerts.webhook or alerts.command configured"
        else:
            delivery = deliver(alert, config.alerts, poster.post_json)
            status, detail = ("sent" if delivery.ok else "failed"), delivery.detail
        store.record_alert(payload, status=status, detail=detail)
    except (LoaError, OSError) as error:
        log.warning("alert for %s could not be recorded: %s", result.source_id, error)
        status, detail = "failed", str(error)
    return replace(result, extra={**result.extra, "alert": {**payload, "status": status, "detail": detail}})
