"""The `report:` section of sources.yaml: who issues the campaign report, who signs it, who receives it.

Every key is optional; `worker.report.letterhead` fills the gaps from `campaign.issuer` and `campaign.recipient`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from worker.config_keys import check_keys, expect_mapping
from worker.errors import ConfigError
from worker.sanitize import nfc

REPORT_KEYS = {"parent", "issuer", "abbrev", "place", "signer", "recipients", "remind_days"}
SIGNER_KEYS = {"title", "name"}
_ABBREV = re.compile(r"^[A-ZĐ0-9][A-ZĐ0-9-]{0,19}$")


@dataclass(frozen=True)
class ReportSettings:
    parent: str | None = None  # the governing body printed above the issuer (None: derive, "" : none)
    issuer: str | None = None
    abbrev: str | None = None  # "UBND" in "Số: …/BC-UBND"
    place: str | None = None  # "Thanh Hóa" in "Thanh Hóa, ngày … tháng … năm 2023"
    signer_title: tuple[str, ...] = ()  # one line each: ("KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH")
    signer_name: str | None = None
    recipients: tuple[str, ...] | None = None  # "Nơi nhận:"; "Lưu: VT." is always added last
    remind_days: int = 3  # `loa report --check` starts reminding this many days before report_due


def _text(value: object, path: str, *, empty_ok: bool = False) -> str:
    if not isinstance(value, str) or (not empty_ok and not value.strip()):
        raise ConfigError(f"expected a non-empty string, got {value!r}", path=path)
    return nfc(value.strip())


def _lines(value: object, path: str) -> tuple[str, ...]:
    """A string (lines split on newlines) or a list of strings."""
    if isinstance(value, str):
        lines = [line.strip() for line in value.splitlines() if line.strip()]
        if not lines:
            raise ConfigError("expected a non-empty string or list of lines", path=path)
        return tuple(nfc(line) for line in lines)
    if not isinstance(value, list) or not value:
        raise ConfigError(f"expected a string or a list of lines, got {value!r}", path=path)
    return tuple(_text(line, f"{path}[{index}]") for index, line in enumerate(value))


def parse_report(value: object) -> ReportSettings:
    """`report: {parent, issuer, abbrev, place, signer: {title, name}, recipients: [...], remind_days}`."""
    if value is None:
        return ReportSettings()
    data = expect_mapping(value, "report")
    check_keys(data, REPORT_KEYS, "report")
    strings: dict[str, str | None] = {}
    for key in ("issuer", "place"):
        strings[key] = _text(data[key], f"report.{key}") if data.get(key) is not None else None
    # An empty parent is meaningful: a body with no governing body line.
    parent = _text(data["parent"], "report.parent", empty_ok=True) if data.get("parent") is not None else None
    abbrev = None
    if data.get("abbrev") is not None:
        abbrev = _text(data["abbrev"], "report.abbrev")
        if not _ABBREV.match(abbrev):
            raise ConfigError(
                f"{abbrev!r} is not an abbreviation", path="report.abbrev", hint="capital letters, e.g. UBND or VHTT"
            )
    title: tuple[str, ...] = ()
    name = None
    if data.get("signer") is not None:
        signer = expect_mapping(data["signer"], "report.signer")
        check_keys(signer, SIGNER_KEYS, "report.signer")
        if signer.get("title") is not None:
            title = tuple(line.upper() for line in _lines(signer["title"], "report.signer.title"))
        if signer.get("name") is not None:
            name = _text(signer["name"], "report.signer.name")
    recipients = None
    if data.get("recipients") is not None:
        raw = data["recipients"]
        if not isinstance(raw, list):
            raise ConfigError(f"expected a list of recipients, got {raw!r}", path="report.recipients")
        recipients = tuple(
            _text(entry, f"report.recipients[{index}]").lstrip("-– ").rstrip(";.") for index, entry in enumerate(raw)
        )
    remind = data.get("remind_days", 3)
    if isinstance(remind, bool) or not isinstance(remind, int) or not 0 <= remind <= 60:
        raise ConfigError(f"expected a whole number of days from 0 to 60, got {remind!r}", path="report.remind_days")
    return ReportSettings(
        parent=parent,
        issuer=strings["issuer"],
        abbrev=abbrev,
        place=strings["place"],
        signer_title=title,
        signer_name=name,
        recipients=recipients,
        remind_days=remind,
    )
