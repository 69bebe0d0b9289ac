"""The `site:` and `packs:` sections of sources.yaml: what the city site is called and when packs build themselves."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from worker.config_keys import check_keys, expect_mapping
from worker.errors import ConfigError
from worker.sanitize import nfc

PACK_AUTO = ("off", "daily", "weekly")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_AT = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
DEFAULT_SERIES = "Bản tin phòng chống lừa đảo trực tuyến"


@dataclass(frozen=True)
class SiteSettings:
    title: str = "Cảnh báo lừa đảo trực tuyến"
    base_url: str = ""  # "" : feed links stay relative
    description: str = "Tin cảnh báo lừa đảo đã được cán bộ kiểm duyệt, tổng hợp từ các nguồn chính thống."
    lang: str = "vi"
    feed_entries: int = 50  # newest items in each Atom/JSON feed (city and wards); pages keep everything
    feeds_url: str = ""  # where outputs/feeds/ is served: the ward feeds' self links; "" : none


@dataclass(frozen=True)
class PackSchedule:
    auto: str = "off"  # off | daily | weekly
    at: tuple[int, int] = (5, 30)  # local time
    day: int = 0  # weekday for weekly builds, Monday = 0
    series: str = DEFAULT_SERIES  # titles read "<series> số N (dates)"
    max_stories: int | None = None


def _mapping(value: object, path: str) -> dict[str, Any]:
    if value is None:
        return {}
    data = expect_mapping(value, path)
    check_keys(data, SECTION_KEYS[path], path)
    return data


SECTION_KEYS = {
    "site": {"title", "base_url", "description", "feed_entries", "feeds_url"},
    "packs": {"auto", "at", "day", "series", "max"},
}


def parse_site(value: object) -> SiteSettings:
    data = _mapping(value, "site")
    base = SiteSettings()
    for key in ("title", "description"):
        if key in data and (not isinstance(data[key], str) or not data[key].strip()):
            raise ConfigError(f"expected a non-empty string, got {data[key]!r}", path=f"site.{key}")
    base_url = _http_url(data, "base_url", "e.g. https://thanhhoa.gov.vn/canh-bao")
    feeds_url = _http_url(
        data, "feeds_url", "where outputs/feeds/ is served, e.g. https://thanhhoa.gov.vn/canh-bao/feeds"
    )
    entries = data.get("feed_entries", base.feed_entries)
    if not isinstance(entries, int) or isinstance(entries, bool) or not 1 <= entries <= 1000:
        raise ConfigError(
            f"expected a whole number from 1 to 1000, got {entries!r}",
            path="site.feed_entries",
            hint="how many of the newest items each feed carries; subscribers poll, so 50 covers weeks of packs",
        )
    return SiteSettings(
        title=nfc(data.get("title", base.title).strip()),
        base_url=base_url,
        description=nfc(data.get("description", base.description).strip()),
        feed_entries=entries,
        feeds_url=feeds_url,
    )


def _http_url(data: dict[str, Any], key: str, hint: str) -> str:
    """`site.<key>` as an http(s) URL without its trailing slash; "" when not set."""
    value = data.get(key) or ""
    if value and (not isinstance(value, str) or not re.match(r"^https?://[^/\s]+", value)):
        raise ConfigError(f"{value!r} is not an http(s) URL", path=f"site.{key}", hint=hint)
    return str(value).rstrip("/")


def parse_packs(value: object) -> PackSchedule:
    data = _mapping(value, "packs")
    auto = data.get("auto", "off")
    if auto is False:
        auto = "off"
    if auto not in PACK_AUTO:
        raise ConfigError(f"unknown value {auto!r}", path="packs.auto", hint=f"expected one of: {', '.join(PACK_AUTO)}")
    at_raw = data.get("at", "05:30")
    # YAML 1.1 reads an unquoted 05:30 as the base-60 number 330.
    at_text = (
        f"{at_raw // 60:02d}:{at_raw % 60:02d}"
        if isinstance(at_raw, int) and not isinstance(at_raw, bool)
        else str(at_raw)
    )
    match = _AT.match(at_text)
    if not match:
        raise ConfigError(
            f"{at_text!r} is not a time of day", path="packs.at", hint='write HH:MM in quotes, e.g. "05:30"'
        )
    day = str(data.get("day", "monday")).lower()
    if day not in WEEKDAYS:
        raise ConfigError(f"unknown day {day!r}", path="packs.day", hint=f"expected one of: {', '.join(WEEKDAYS)}")
    series = data.get("series", DEFAULT_SERIES)
    if not isinstance(series, str) or not series.strip():
        raise ConfigError(f"expected a non-empty string, got {series!r}", path="packs.series")
    max_stories = data.get("max")
    if max_stories is not None and (
        not isinstance(max_stories, int) or isinstance(max_stories, bool) or max_stories < 1
    ):
        raise ConfigError(f"expected a positive whole number, got {max_stories!r}", path="packs.max")
    return PackSchedule(
        auto=auto,
        at=(int(match.group(1)), int(match.group(2))),
        day=WEEKDAYS.index(day),
        series=nfc(series.strip()),
        max_stories=max_stories,
    )
