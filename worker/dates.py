"""Parse the date spellings Vietnamese sources use (dd/mm/yyyy, ISO 8601, RFC 822, epoch) into aware datetimes."""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo
from email.utils import parsedate_to_datetime

# "10/07/2023", "10/7/2023 - 08:30", "Thứ hai, 10/07/2023 08:30", "Đã phát hiện ngày 10/07/2023"
_VN_DATE = re.compile(r"(?P<d>\d{1,2})[/.-](?P<m>\d{1,2})[/.-](?P<y>\d{4})(?:\D{0,4}(?P<H>\d{1,2})[:hg](?P<M>\d{2})?)?")
_EPOCH = re.compile(r"^\d{9,11}$")
_EPOCH_MS = re.compile(r"^\d{13}$")  # JavaScript milliseconds (2001–2286), common in JSON APIs


def parse_datetime(text: str | None, *, tz: tzinfo, fmt: str | None = None) -> datetime | None:
    """An aware datetime, or None when `text` holds no recognisable date.

    Naive values are taken to be in `tz` (the config time zone, or UTC for `*_gmt` fields).
    """
    if text is None:
        return None
    value = str(text).strip()
    if not value:
        return None
    if fmt:
        return _with_tz(_strptime_inside(value, fmt), tz)
    if _EPOCH.match(value):
        return datetime.fromtimestamp(int(value), tz=UTC)
    if _EPOCH_MS.match(value):
        return datetime.fromtimestamp(int(value) / 1000, tz=UTC)
    iso = value.replace("Z", "+00:00") if value.endswith("Z") else value
    try:
        return _with_tz(datetime.fromisoformat(iso), tz)
    except ValueError:
        pass
    try:
        parsed = parsedate_to_datetime(value)
        if parsed is not None:
            # RFC 5322: `-0000` is UTC with no local zone known, but Python returns it naive like no zone.
            if parsed.tzinfo is None and value.endswith("-0000"):
                parsed = parsed.replace(tzinfo=UTC)
            return _with_tz(parsed, tz)
    except (TypeError, ValueError, IndexError):
        pass
    match = _VN_DATE.search(value)
    if match:
        try:
            return datetime(
                int(match["y"]),
                int(match["m"]),
                int(match["d"]),
                int(match["H"] or 0),
                int(match["M"] or 0),
                tzinfo=tz,
            )
        except ValueError:
            return None
    return None


def _strptime_inside(value: str, fmt: str) -> datetime | None:
    # Listing dates often sit inside other words ("Ngày đăng: 10/07/2023"); try the whole
    # string first, then every substring that starts with a digit.
    try:
        return datetime.strptime(value, fmt)
    except ValueError:
        pass
    value = value[:80]
    for start in (m.start() for m in re.finditer(r"\d", value)):
        for end in range(len(value), start, -1):
            try:
                return datetime.strptime(value[start:end].strip(), fmt)
            except ValueError:
                continue
    return None


def _with_tz(parsed: datetime | None, tz: tzinfo) -> datetime | None:
    if parsed is None:
        return None
    return parsed.replace(tzinfo=tz) if parsed.tzinfo is None else parsed


def to_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: Loa only handles aware times")
    return moment.astimezone(UTC)


def iso_utc(moment: datetime) -> str:
    """UTC ISO 8601 with a `Z`, second precision: sortable as text in SQLite."""
    return to_utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def from_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def retry_after_seconds(value: str, date_header: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds a Retry-After header asks for, or None if unusable.

    An HTTP-date is measured against the response's own Date header (no clock skew), else against `now`.
    """
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        retry_at = parsedate_to_datetime(value)
        if date_header:
            reference = parsedate_to_datetime(date_header)
        elif now is not None:
            reference = now
        else:
            return None
        return max(0.0, (retry_at - reference).total_seconds())
    except (TypeError, ValueError):
        return None
