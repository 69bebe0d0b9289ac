from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from worker.dates import iso_utc, parse_datetime

VN = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.mark.parametrize(
    ("text", "fmt", "expected_utc"),
    [
        ("10/07/2023", "%d/%m/%Y", "2023-07-09T17:00:00Z"),
        ("Ngày đăng: 10/07/2023", "%d/%m/%Y", "2023-07-09T17:00:00Z"),
        ("Đã phát hiện ngày 05/07/2023", None, "2023-07-04T17:00:00Z"),
        ("Thứ Hai, 10/07/2023 - 15:00", None, "2023-07-10T08:00:00Z"),
        ("2023-07-10T02:15:00", None, "2023-07-09T19:15:00Z"),
        ("2023-07-10T02:15:00.000Z", None, "2023-07-10T02:15:00Z"),
        ("Mon, 10 Jul 2023 02:15:00 +0000", None, "2023-07-10T02:15:00Z"),
        ("1688956200", None, "2023-07-10T02:30:00Z"),
    ],
)
def test_parses_source_dates(text: str, fmt: str | None, expected_utc: str) -> None:
    parsed = parse_datetime(text, tz=VN, fmt=fmt)
    assert parsed is not None
    assert iso_utc(parsed) == expected_utc


@pytest.mark.parametrize("text", ["", "   ", "hôm qua", "32/13/2023", None])
def test_unparseable_is_none(text: str | None) -> None:
    assert parse_datetime(text, tz=VN) is None


def test_naive_gmt_fields_use_given_zone() -> None:
    parsed = parse_datetime("2023-07-10T02:15:00", tz=UTC)
    assert parsed == datetime(2023, 7, 10, 2, 15, tzinfo=UTC)


def test_retry_after_seconds_reads_delays_and_http_dates() -> None:
    from worker.dates import retry_after_seconds

    assert retry_after_seconds(" 120 ", None) == 120.0
    date = "Mon, 10 Jul 2023 01:00:00 GMT"
    assert retry_after_seconds("Mon, 10 Jul 2023 01:05:00 GMT", date) == 300.0
    assert retry_after_seconds("Mon, 10 Jul 2023 00:55:00 GMT", date) == 0.0  # already past: no wait
    now = datetime(2023, 7, 10, 1, 0, tzinfo=UTC)
    assert retry_after_seconds("Mon, 10 Jul 2023 01:10:00 GMT", None, now=now) == 600.0
    assert retry_after_seconds("Mon, 10 Jul 2023 01:10:00 GMT", None) is None  # nothing to measure against
    assert retry_after_seconds("ngày mai", date) is None
    assert retry_after_seconds("-5", date) is None
