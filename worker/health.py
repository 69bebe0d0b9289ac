"""Pure health verdicts for a source: healthy, failing, broken or stale, each with a reason and an action."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from worker.models import Health

if TYPE_CHECKING:
    from worker.schedule import SourceState

# Errors where the page answered but what Loa looks for is not there: fixing needs a human.
BROKEN_KINDS = frozenset({"selector", "blocked"})
# Health states an operator must act on; alerts fire when a source enters or leaves them.
PROBLEMS = frozenset({Health.FAILING, Health.BROKEN})


@dataclass(frozen=True)
class Verdict:
    health: Health
    reason: str = ""
    action: str = ""


def _days(seconds: float) -> str:
    days = seconds / 86400
    return f"{days:.0f} days" if days >= 2 else f"{seconds / 3600:.0f} hours"


def assess(state: SourceState, *, alert_after: int, stale_after_seconds: int | None, now: datetime) -> Verdict:
    """The health of a source given what the store remembers about it, as of `now`."""
    test = f"`loa sources test {state.id}`"
    if state.consecutive_errors and state.last_error_kind in BROKEN_KINDS:
        if state.last_error_kind == "blocked":
            action = (
                f"TikTok is serving a bot challenge: wait a few hours, or switch to `via: rsshub`; "
                f"run {test} to see what comes back"
            )
        else:
            action = f"run {test} to tune its selectors or JSON paths in sources.yaml"
        return Verdict(Health.BROKEN, state.last_error or "", action)
    if state.consecutive_errors >= alert_after:
        return Verdict(
            Health.FAILING,
            f"{state.consecutive_errors} consecutive errors; last: {state.last_error}",
            f"open the source URL in a browser; run {test} once it answers again",
        )
    if stale_after_seconds and state.last_new_at is not None:
        quiet = (now - state.last_new_at).total_seconds()
        if quiet >= stale_after_seconds:
            return Verdict(
                Health.STALE,
                f"no new item for {_days(quiet)} (since {state.last_new_at:%Y-%m-%d}; stale_after is "
                f"{_days(stale_after_seconds)})",
                f"check the source by hand; if it moved, update its url; run {test}; "
                "raise stale_after if it is just quiet",
            )
    return Verdict(Health.HEALTHY)


def is_problem(health: Health | str) -> bool:
    return Health(health) in PROBLEMS


def current(state: SourceState, *, alert_after: int, stale_after_seconds: int | None, now: datetime) -> SourceState:
    """The stored state with its health re-judged as of `now`: a quiet source turns stale between runs."""
    from dataclasses import replace

    verdict = assess(state, alert_after=alert_after, stale_after_seconds=stale_after_seconds, now=now)
    return replace(state, health=verdict.health.value, health_reason=verdict.reason, health_action=verdict.action)
