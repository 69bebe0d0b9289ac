"""When sources are due, how they back off, and how healthy they are."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from worker.models import Health
from worker.schedule import SourceState, after_run, is_due, next_due

NOW = datetime(2023, 7, 10, 1, 0, tzinfo=UTC)
EVERY = 1800  # 30m
MAX_BACKOFF = 6 * 3600
ALERT_AFTER = 3


def run(state: SourceState, *, at: datetime = NOW, **kwargs: Any) -> SourceState:
    return after_run(
        state,
        now=at,
        every_seconds=EVERY,
        max_backoff_seconds=MAX_BACKOFF,
        alert_after=ALERT_AFTER,
        **kwargs,
    )


# --- is_due --------------------------------------------------------------------------------------------------------


def test_is_due() -> None:
    assert is_due(SourceState(id="a"), NOW)  # never run
    assert is_due(SourceState(id="a", next_due_at=NOW), NOW)
    assert is_due(SourceState(id="a", next_due_at=NOW - timedelta(seconds=1)), NOW)
    later = SourceState(id="a", next_due_at=NOW + timedelta(seconds=1))
    assert not is_due(later, NOW)
    assert is_due(later, NOW, force=True)


# --- next_due ------------------------------------------------------------------------------------------------------


def test_next_due_after_success_is_every() -> None:
    assert next_due(NOW, EVERY, 0, MAX_BACKOFF) == NOW + timedelta(seconds=EVERY)


def test_backoff_doubles_per_consecutive_error() -> None:
    delays = [next_due(NOW, EVERY, errors, MAX_BACKOFF) - NOW for errors in range(1, 5)]
    assert delays == [timedelta(hours=1), timedelta(hours=2), timedelta(hours=4), timedelta(hours=6)]


def test_backoff_is_capped() -> None:
    assert next_due(NOW, EVERY, 5, MAX_BACKOFF) == NOW + timedelta(seconds=MAX_BACKOFF)
    assert next_due(NOW, EVERY, 10_000, MAX_BACKOFF) == NOW + timedelta(seconds=MAX_BACKOFF)
    # A cap below `every` never makes a failing source run more often than a healthy one.
    assert next_due(NOW, 7200, 3, 600) == NOW + timedelta(seconds=7200)


@given(
    every=st.integers(min_value=60, max_value=86_400),
    cap=st.integers(min_value=0, max_value=7 * 86_400),
    errors=st.integers(min_value=0, max_value=1_000),
)
def test_backoff_is_monotonic_and_bounded(every: int, cap: int, errors: int) -> None:
    delay = next_due(NOW, every, errors, cap) - NOW
    assert timedelta(seconds=every) <= delay <= timedelta(seconds=max(every, cap))
    assert next_due(NOW, every, errors + 1, cap) - NOW >= delay
    if errors and every * 2**errors <= cap:
        assert delay == timedelta(seconds=every * 2**errors)


# --- after_run -----------------------------------------------------------------------------------------------------


def test_success_resets_errors_and_records_validators() -> None:
    failing = SourceState(id="a", consecutive_errors=4, last_error="timeout", last_error_kind="network", etag='"old"')
    state = run(failing, etag='"v2"', last_modified="Mon, 10 Jul 2023 01:00:00 GMT", body_hash="abc")
    assert state.consecutive_errors == 0
    assert state.last_fetch_at == state.last_success_at == NOW
    assert state.next_due_at == NOW + timedelta(seconds=EVERY)
    assert (state.etag, state.last_modified, state.body_hash) == ('"v2"', "Mon, 10 Jul 2023 01:00:00 GMT", "abc")
    assert state.health == Health.HEALTHY.value and state.health_reason == ""
    # Unchanged validators (a 304) keep the stored ones.
    again = run(state, at=NOW + timedelta(hours=1))
    assert (again.etag, again.body_hash) == ('"v2"', "abc")
    assert again.last_success_at == NOW + timedelta(hours=1)


def test_errors_count_back_off_and_turn_failing() -> None:
    state = SourceState(id="a", last_success_at=NOW - timedelta(days=1))
    for attempt in range(1, 4):
        state = run(state, error="connection refused", error_kind="network")
        assert state.consecutive_errors == attempt
        assert state.next_due_at == NOW + timedelta(seconds=min(EVERY * 2**attempt, MAX_BACKOFF))
        assert state.last_error == "connection refused" and state.last_error_at == NOW
    assert state.last_success_at == NOW - timedelta(days=1)  # an error is not a success
    assert state.health == Health.FAILING.value
    assert state.health_reason == "3 consecutive errors; last: connection refused"


def test_two_errors_are_not_yet_failing() -> None:
    state = run(run(SourceState(id="a"), error="503", error_kind="http"), error="503", error_kind="http")
    assert state.consecutive_errors == 2
    assert state.health == Health.HEALTHY.value


def test_selector_error_is_broken_at_once() -> None:
    state = run(SourceState(id="a"), error="selector `article.post-card` matched 0 elements", error_kind="selector")
    assert state.health == Health.BROKEN.value
    assert state.health_reason == "selector `article.post-card` matched 0 elements"
    blocked = run(SourceState(id="a"), error="bot challenge", error_kind="blocked")
    assert blocked.health == Health.BROKEN.value


def test_success_after_broken_is_healthy() -> None:
    broken = run(SourceState(id="a"), error="matched 0 elements", error_kind="selector")
    fixed = run(broken, at=NOW + timedelta(hours=1))
    assert fixed.health == Health.HEALTHY.value
    assert fixed.consecutive_errors == 0


def test_uncounted_error_is_recorded_but_not_counted() -> None:
    # The whole network was down: nobody is penalised.
    state = SourceState(id="a", consecutive_errors=1, next_due_at=NOW)
    after = run(state, error="network unreachable", error_kind="network", count_error=False)
    assert after.consecutive_errors == 1
    assert after.last_error == "network unreachable" and after.last_error_kind == "network"
    assert after.last_fetch_at == NOW
    assert after.next_due_at == NOW + timedelta(seconds=EVERY * 2)  # the backoff it already had, no more
    fresh = run(SourceState(id="b"), error="network unreachable", error_kind="network", count_error=False)
    assert fresh.consecutive_errors == 0
    assert fresh.next_due_at == NOW + timedelta(seconds=EVERY)
    assert fresh.health == Health.HEALTHY.value


# --- health (what after_run records) -------------------------------------------------------------------------------


def test_health_after_runs() -> None:
    healthy = run(SourceState(id="a"))
    assert (healthy.health, healthy.health_reason) == (Health.HEALTHY.value, "")

    failing = SourceState(id="a", consecutive_errors=2, last_error="timeout", last_error_kind="network")
    failing = run(failing, error="timeout", error_kind="network")
    assert (failing.health, failing.health_reason) == (Health.FAILING.value, "3 consecutive errors; last: timeout")

    broken = run(SourceState(id="a"), error="matched 0 elements", error_kind="selector")
    assert (broken.health, broken.health_reason) == (Health.BROKEN.value, "matched 0 elements")

    # A selector error long past, followed by a success, no longer counts.
    recovered = run(broken, at=NOW + timedelta(hours=2))
    assert recovered.last_error_kind == "selector"
    assert (recovered.health, recovered.health_reason) == (Health.HEALTHY.value, "")
