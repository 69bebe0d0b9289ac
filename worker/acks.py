"""Acks ("đã phát" / "không phát"): parse statuses, times and ward sheets, and decide one ack against one entry.

Pure: the entry row, the ack and `now` come in; a Decision (the new column values, "already so", or a problem) goes out.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from worker.dates import from_iso, iso_utc
from worker.review import fold

SOURCES = ("cli", "csv", "web", "api")
STATUSES = {
    "aired": "aired",
    "da phat": "aired",
    "phat": "aired",
    "skipped": "skipped",
    "khong phat": "skipped",
    "chua phat": "skipped",
}
# Phones and PCs drift a little; an ack up to this far ahead of the server clock is taken as "now".
CLOCK_SKEW = timedelta(seconds=60)
# A conflicting ack is 409; the order picks the one status an all-or-nothing refusal answers with.
SEVERITY = (400, 404, 422, 409)


def parse_status(text: object) -> str | None:
    """`aired`, `skipped`, `đã phát`, `Không phát` (any case, with or without tones) → aired | skipped."""
    return STATUSES.get(fold(str(text))) if isinstance(text, str) else None


@dataclass(frozen=True)
class Ack:
    """One mark for one entry. `clock` (HH:MM on the entry's day) or `aired_at` say when; else `default`."""

    ward: str
    entry: str
    status: str  # aired | skipped
    aired_at: datetime | None = None
    clock: time | None = None
    default: str = "now"  # now | slot: what an aired ack without a time means
    reason: str = ""
    label: str = ""  # how errors name it: "row 3", "[0]", the entry id


@dataclass(frozen=True)
class Problem:
    code: int  # 400 bad input, 404 unknown entry, 422 impossible time or missing reason, 409 conflict
    label: str
    entry: str
    message: str

    def as_json(self) -> dict[str, Any]:
        return {"code": self.code, "at": self.label, "entry": self.entry, "error": self.message}


@dataclass(frozen=True)
class Decision:
    ack: Ack
    change: dict[str, Any] | None = None  # column values to write; None with no problem: already so
    problem: Problem | None = None
    forced: bool = False


def slot_start(entry: dict[str, Any], tz: tzinfo) -> datetime:
    day = date.fromisoformat(str(entry["date"]))
    hour, minute = (int(part) for part in str(entry["slot"]).split(":"))
    return datetime.combine(day, time(hour, minute), tzinfo=tz)


def _when(entry: dict[str, Any], ack: Ack, now: datetime, tz: tzinfo) -> datetime:
    if ack.aired_at is not None:
        return ack.aired_at
    if ack.clock is not None:
        return datetime.combine(date.fromisoformat(str(entry["date"])), ack.clock, tzinfo=tz)
    return slot_start(entry, tz) if ack.default == "slot" else now


def decide(
    entry: dict[str, Any] | None, ack: Ack, *, now: datetime, tz: tzinfo, force: bool = False, actor: str = ""
) -> Decision:
    """What this ack does to this entry; `force` (CLI only) lets it overwrite a different earlier ack."""

    def problem(code: int, message: str) -> Decision:
        return Decision(ack, problem=Problem(code, ack.label or ack.entry, ack.entry, message))

    if entry is None or entry.get("ward") != ack.ward:
        return problem(404, f"no queue entry {ack.entry!r} for ward {ack.ward!r}")
    if ack.status not in ("aired", "skipped"):
        return problem(400, f"status {ack.status!r} is not aired or skipped")
    reason = " ".join(ack.reason.split())
    current = str(entry.get("status") or "queued")
    if ack.status == "skipped":
        if not reason:
            return problem(422, "a 'không phát' (skipped) ack needs a reason")
        if current == "skipped" and (entry.get("reason") or "") == reason:
            return Decision(ack)
        values: dict[str, Any] = {"status": "skipped", "aired_at": None, "reason": reason}
    else:
        if current == "aired" and ack.aired_at is None and ack.clock is None:
            return Decision(ack)  # "aired" again without a time: the first report stands
        moment = _when(entry, ack, now, tz)
        if moment > now + CLOCK_SKEW:
            return problem(422, f"aired_at {iso_utc(moment)} is in the future (now {iso_utc(now)})")
        start = slot_start(entry, tz)
        if moment < start:
            return problem(
                422, f"aired_at {iso_utc(moment)} is before the slot starts ({entry['date']} {entry['slot']} local)"
            )
        aired_at = iso_utc(min(moment, now))
        if current == "aired" and entry.get("aired_at") == aired_at:
            return Decision(ack)
        values = {"status": "aired", "aired_at": aired_at, "reason": None}
    forced = False
    if current != "queued":
        if not force:
            earlier = f"aired at {entry.get('aired_at')}" if current == "aired" else f"skipped ({entry.get('reason')})"
            return problem(409, f"already marked {earlier} by {entry.get('acked_by')} ({entry.get('ack_source')})")
        forced = True
    values.update({"id": entry["id"], "acked_by": actor, "updated_at": iso_utc(now)})
    return Decision(ack, change=values, forced=forced)


def worst(problems: list[Problem]) -> int:
    """The one HTTP status for a refused request: bad input first, then unknown, impossible, conflicting."""
    codes = {p.code for p in problems}
    return next((code for code in SEVERITY if code in codes), 400)


# -- times ---------------------------------------------------------------------------------------

_CLOCK = re.compile(r"^([01]?\d|2[0-3])[:hH]([0-5]\d)$")
_LOCAL = ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%Y-%m-%dT%H:%M")


def parse_clock(text: str) -> time | None:
    match = _CLOCK.match(text.strip())
    return time(int(match[1]), int(match[2])) if match else None


def parse_moment(text: str, tz: tzinfo) -> datetime | time | None:
    """ISO 8601 with an offset; a local date and time (`2023-07-10 06:05`, `10/07/2023 06:05`); or `06:05`.

    A bare clock time comes back as a `time`: it means that time on the entry's own day.
    """
    text = text.strip()
    if not text:
        return None
    clock = parse_clock(text)
    if clock is not None:
        return clock
    try:
        moment = from_iso(text)
    except ValueError:
        moment = None
    if moment is not None:
        return moment if moment.tzinfo else moment.replace(tzinfo=tz)
    for fmt in _LOCAL:
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=tz)
        except ValueError:
            continue
    raise ValueError(f"{text!r} is not a time; write 2023-07-10T06:05+07:00, 2023-07-10 06:05 or 06:05")


def parse_day(text: str) -> date:
    text = text.strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"{text!r} is not a date; write YYYY-MM-DD or DD/MM/YYYY")


def parse_slot_ref(text: str) -> tuple[str, str]:
    """`2023-07-10_0600` (or `2023-07-10_06:00`) → ("2023-07-10", "06:00")."""
    match = re.match(r"^(\d{4}-\d{2}-\d{2})[_ T]([01]\d|2[0-3]):?([0-5]\d)$", text.strip())
    if not match:
        raise ValueError(f"{text!r} is not a slot; write YYYY-MM-DD_HHMM, e.g. 2023-07-10_0600")
    return match[1], f"{match[2]}:{match[3]}"


# -- ward sheets (CSV) ----------------------------------------------------------------------------

HEADERS = {
    "ward": "ward",
    "phuong": "ward",
    "xa": "ward",
    "phuong/xa": "ward",
    "entry": "entry",
    "ma": "entry",
    "date": "date",
    "ngay": "date",
    "slot": "slot",
    "gio": "slot",
    "khung gio": "slot",
    "order": "order",
    "stt": "order",
    "thu tu": "order",
    "status": "status",
    "trang thai": "status",
    "aired_at": "aired_at",
    "aired at": "aired_at",
    "gio phat": "aired_at",
    "reason": "reason",
    "ly do": "reason",
}


@dataclass(frozen=True)
class SheetRow:
    line: int  # the line number a spreadsheet shows (the header is line 1)
    cells: dict[str, str] = field(default_factory=dict)


def decode_sheet(data: bytes) -> str:
    """UTF-8 (with or without a BOM), else what Excel saves on Vietnamese Windows (cp1258), else cp1252."""
    if data.startswith(codecs.BOM_UTF8):
        text = data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace")
    else:
        for encoding in ("utf-8", "cp1258", "cp1252"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            text = data.decode("latin-1")
    # cp1258 spells tones as combining marks; NFC makes "đã phát" compare equal whatever wrote it.
    return unicodedata.normalize("NFC", text)


def read_sheet(data: bytes) -> tuple[list[SheetRow], list[Problem]]:
    """Rows keyed by canonical column name; `;` or `,` (or tab) delimited, sniffed from the header line."""
    text = decode_sheet(data)
    header_line = text.split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=header_line.count)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        return [], [Problem(400, "line 1", "", "the file is empty")]
    columns = [HEADERS.get(fold(name).replace("_", " "), HEADERS.get(fold(name), "")) for name in header]
    problems: list[Problem] = []
    unknown = [name for name, column in zip(header, columns, strict=True) if name.strip() and not column]
    if unknown:
        problems.append(Problem(400, "line 1", "", f"unknown column {unknown[0]!r}; expected {', '.join(_EXPECTED)}"))
    present = set(columns)
    if "ward" not in present or "status" not in present or not ("entry" in present or {"date", "slot"} <= present):
        problems.append(
            Problem(400, "line 1", "", f"the header needs ward, status and entry (or date and slot): {header}")
        )
    if problems:
        return [], problems
    rows: list[SheetRow] = []
    for cells in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(columns) and any(c.strip() for c in cells[len(columns) :]):
            problems.append(Problem(400, f"row {line}", "", f"{len(cells)} cells, the header has {len(columns)}"))
            continue
        values = {column: cell.strip() for column, cell in zip(columns, cells, strict=False) if column}
        rows.append(SheetRow(line=line, cells=values))
    return rows, problems


_EXPECTED = ("ward", "entry", "date", "slot", "order", "status", "aired_at", "reason")
