"""Pure decisions about when a source is due, how far it backs off after errors, and how healthy it is."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from worker.health import assess
from worker.models import Health


@dataclass(frozen=True)
class SourceState:
    """What the store remembers about a source between runs."""

    id: str
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    last_fetch_at: datetime | None = None
    last_success_at: datetime | None = None
    last_new_at: datetime | None = None
    last_error: str | None = None
    last_error_kind: str | None = None
    last_error_at: datetime | None = None
    consecutive_errors: int = 0
    next_due_at: datetime | None = None
    health: str = Health.HEALTHY.value
    health_reason: str = ""
    health_action: str = ""
    item_count: int = 0


def is_due(state: SourceState, now: datetime, *, force: bool = False) -> bool:
    return force or state.next_due_at is None or state.next_due_at <= now


def next_due(now: datetime, every_seconds: int, consecutive_errors: int, max_backoff_seconds: int) -> datetime:
    """`every` after a success; doubling per consecutive error, capped at max(every, max_backoff)."""
    if consecutive_errors <= 0:
        return now + timedelta(seconds=every_seconds)
    cap = max(every_seconds, max_backoff_seconds)
    delay = every_seconds * (2 ** min(consecutive_errors, 20))
    return now + timedelta(seconds=min(delay, cap))


def after_run(
    state: SourceState,
    *,
    now: datetime,
    every_seconds: int,
    max_backoff_seconds: int,
    alert_after: int,
    error: str | None = None,
    error_kind: str | None = None,
    count_error: bool = True,
    etag: str | None = None,
    last_modified: str | None = None,
    body_hash: str | None = None,
    got_new: bool = False,
    stale_after_seconds: int | None = None,
) -> SourceState:
    """The state a source moves to after one run. Pure; the store persists what it returns.

    `count_error=False` records the error without counting it, for runs where every source
    failed at once (the network is down, not the sources).
    """
    from dataclasses import replace

    if error is None:
        new = replace(
            state,
            etag=etag if etag is not None else state.etag,
            last_modified=last_modified if last_modified is not None else state.last_modified,
            body_hash=body_hash if body_hash is not None else state.body_hash,
            last_fetch_at=now,
            last_success_at=now,
            last_new_at=now if got_new else state.last_new_at,
            consecutive_errors=0,
            next_due_at=next_due(now, every_seconds, 0, max_backoff_seconds),
        )
    else:
        errors = state.consecutive_errors + 1 if count_error else state.consecutive_errors
        new = replace(
            state,
            last_fetch_at=now,
            last_error=error,
            last_error_kind=error_kind,
            last_error_at=now,
            consecutive_errors=errors,
            next_due_at=next_due(now, every_seconds, errors, max_backoff_seconds),
        )
    verdict = assess(new, alert_after=alert_after, stale_after_seconds=stale_after_seconds, now=now)
    return replace(new, health=verdict.health.value, health_reason=verdict.reason, health_action=verdict.action)
