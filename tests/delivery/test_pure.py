"""Pure parts: signing, the backoff schedule, answers' outcomes, and config errors that name key paths."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from worker.config import parse_config
from worker.delivery import payload, retry
from worker.errors import ConfigError
from worker.wards import parse_wards


def test_signature_is_hmac_sha256_over_the_exact_bytes() -> None:
    body = payload.encode({"tiêu đề": "Cảnh báo", "a": 1})
    expected = hmac.new(b"k", body, hashlib.sha256).hexdigest()
    assert payload.sign("k", body) == f"sha256={expected}"
    assert payload.verify("k", body, f"sha256={expected}")
    assert not payload.verify("k", body + b" ", f"sha256={expected}")
    assert body == payload.encode({"a": 1, "tiêu đề": "Cảnh báo"})  # key order never changes the bytes


def test_backoff_doubles_up_to_the_cap_then_gives_up() -> None:
    now = datetime(2023, 7, 10, tzinfo=UTC)
    delays = [retry.delay_seconds(n) for n in range(1, retry.MAX_ATTEMPTS)]
    assert delays == [60, 120, 240, 480, 960, 1920, 3840]
    assert retry.delay_seconds(20) == retry.CAP_SECONDS
    assert retry.next_attempt(retry.MAX_ATTEMPTS, now) is None
    assert [retry.outcome(s) for s in (None, 200, 201, 429, 500, 503, 301, 400, 401, 404)] == [
        "retry", "sent", "sent", "retry", "retry", "retry", "failed", "failed", "failed", "failed",
    ]  # fmt: skip


def test_retry_after_is_a_floor_capped_at_a_day_and_policies_change_the_schedule() -> None:
    now = datetime(2023, 7, 10, tzinfo=UTC)
    assert retry.next_attempt(1, now, retry_after=30) == now + timedelta(seconds=60)  # never sooner than backoff
    assert retry.next_attempt(1, now, retry_after=900) == now + timedelta(seconds=900)
    assert retry.next_attempt(1, now, retry_after=10**7) == now + timedelta(days=1)
    policy = retry.RetryPolicy(max_attempts=3, first_wait_seconds=300, max_wait_seconds=600)
    assert [retry.delay_seconds(n, policy) for n in (1, 2, 3, 4)] == [300, 600, 600, 600]
    assert retry.next_attempt(2, now, policy) == now + timedelta(seconds=600)
    assert retry.next_attempt(3, now, policy, retry_after=5) is None


def test_destination_retry_config(tmp_path: Path) -> None:
    yaml = "destinations: [{id: a, url: 'https://x', secret_env: S, retry: {attempts: 3, first_wait: 5m}}]\n"
    [dest] = parse_config(yaml, tmp_path / "sources.yaml").destinations
    assert dest.retry == retry.RetryPolicy(max_attempts=3, first_wait_seconds=300, max_wait_seconds=6 * 3600)


@pytest.mark.parametrize(
    ("yaml", "path"),
    [
        (
            "destinations: [{id: a, url: 'https://x', secret_env: S, retry: {attempts: 0}}]",
            "destinations[0].retry.attempts",
        ),
        ("destinations: [{id: a, url: 'https://x', secret_env: S, retry: {tries: 3}}]", "destinations[0].retry.tries"),
        (
            "destinations: [{id: a, url: 'https://x', secret_env: S, retry: {first_wait: 2h, max_wait: 1h}}]",
            "destinations[0].retry.max_wait",
        ),
        ("destinations: [{id: a, url: 'https://x', secret_env: S, retry: 3}]", "destinations[0].retry"),
        ("destinations: [{id: a, kind: ftp, url: 'https://x'}]", "destinations[0].kind"),
        ("destinations: [{id: a, kind: http, url: 'https://x'}]", "destinations[0].secret_env"),
        ("destinations: [{id: a, kind: wordpress, url: 'https://x', user_env: U}]", "destinations[0].password_env"),
        ("destinations: [{id: a, kind: http, url: 'x', secret_env: S}]", "destinations[0].url"),
        ("smtp: {host: h, from: nobody}", "smtp.from"),
        ("smtp: {host: h, from: a@b.vn, tls: true}", "smtp.tls"),
    ],
)
def test_delivery_config_errors_name_the_key_path(yaml: str, path: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(yaml + "\n", tmp_path / "sources.yaml")
    assert caught.value.path == path


@pytest.mark.parametrize(
    ("entry", "path"),
    [
        ({"email": "not-an-address"}, "wards[0].email"),
        ({"webhook": "ftp://x"}, "wards[0].webhook"),
        ({"webhook": "https://x/hook"}, "wards[0].webhook_secret_env"),
        ({"webhook": "https://x/hook", "webhook_secret_env": "1BAD"}, "wards[0].webhook_secret_env"),
    ],
)
def test_ward_contact_errors_name_the_key_path(entry: dict[str, str], path: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_wards([{"id": "phuong-a", "name": "Phường A", **entry}])
    assert caught.value.path == path


def test_ward_contact_is_parsed() -> None:
    [ward] = parse_wards(
        [{"id": "phuong-a", "name": "Phường A", "email": "a@b.vn", "webhook": "https://x/h", "webhook_secret_env": "S"}]
    )
    assert (ward.email, ward.webhook, ward.webhook_secret_env) == ("a@b.vn", "https://x/h", "S")
