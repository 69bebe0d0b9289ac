"""Pure ack rules: statuses, times, slot bounds, idempotent replays, conflicts, force; ward sheets' encodings."""

from __future__ import annotations

import unicodedata
from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

from worker.acks import Ack, Problem, decide, parse_moment, parse_slot_ref, parse_status, read_sheet, worst

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2023, 7, 10, 8, 0, tzinfo=TZ)
ENTRY = {"id": "e1", "ward": "w", "date": "2023-07-10", "slot": "06:00", "status": "queued"}


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2023, 7, 10, hour, minute, tzinfo=TZ)


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("aired", "aired"),
        ("Đã phát", "aired"),
        ("da phat", "aired"),
        ("KHÔNG PHÁT", "skipped"),
        ("skipped", "skipped"),
        ("x", None),
    ],
)
def test_statuses_in_english_and_vietnamese(text: str, status: str | None) -> None:
    assert parse_status(text) == status


def test_aired_inside_the_slot_is_applied_in_utc() -> None:
    decision = decide(ENTRY, Ack("w", "e1", "aired", at(6, 5)), now=NOW, tz=TZ, actor="w")
    assert decision.problem is None
    assert decision.change is not None
    assert decision.change["aired_at"] == "2023-07-09T23:05:00Z"
    assert decision.change["status"] == "aired"


def test_future_and_before_slot_are_422() -> None:
    future = decide(ENTRY, Ack("w", "e1", "aired", at(9)), now=NOW, tz=TZ)
    early = decide(ENTRY, Ack("w", "e1", "aired", at(5, 59)), now=NOW, tz=TZ)
    assert future.problem is not None and future.problem.code == 422
    assert early.problem is not None and early.problem.code == 422


def test_clock_time_means_the_entrys_day_and_slot_default_is_slot_start() -> None:
    by_clock = decide(ENTRY, Ack("w", "e1", "aired", clock=time(6, 10)), now=NOW, tz=TZ)
    by_slot = decide(ENTRY, Ack("w", "e1", "aired", default="slot"), now=NOW, tz=TZ)
    assert by_clock.change is not None and by_clock.change["aired_at"] == "2023-07-09T23:10:00Z"
    assert by_slot.change is not None and by_slot.change["aired_at"] == "2023-07-09T23:00:00Z"


def test_unknown_or_foreign_entry_is_404_and_skip_needs_a_reason() -> None:
    assert decide(None, Ack("w", "e1", "aired"), now=NOW, tz=TZ).problem.code == 404  # type: ignore[union-attr]
    assert decide(ENTRY, Ack("other", "e1", "aired"), now=NOW, tz=TZ).problem.code == 404  # type: ignore[union-attr]
    assert decide(ENTRY, Ack("w", "e1", "skipped"), now=NOW, tz=TZ).problem.code == 422  # type: ignore[union-attr]


def test_replay_is_unchanged_and_conflict_is_409_unless_forced() -> None:
    aired = {**ENTRY, "status": "aired", "aired_at": "2023-07-09T23:05:00Z", "acked_by": "w", "ack_source": "api"}
    replay = decide(aired, Ack("w", "e1", "aired", at(6, 5)), now=NOW, tz=TZ)
    assert replay.change is None and replay.problem is None
    other_time = decide(aired, Ack("w", "e1", "aired", at(6, 6)), now=NOW, tz=TZ)
    assert other_time.problem is not None and other_time.problem.code == 409
    skipped = decide(aired, Ack("w", "e1", "skipped", reason="mất điện"), now=NOW, tz=TZ)
    assert skipped.problem is not None and skipped.problem.code == 409
    forced = decide(aired, Ack("w", "e1", "skipped", reason="mất điện"), now=NOW, tz=TZ, force=True)
    assert forced.forced and forced.change is not None and forced.change["status"] == "skipped"


def test_worst_prefers_bad_input_then_unknown() -> None:
    assert worst([Problem(409, "", "", ""), Problem(422, "", "", "")]) == 422
    assert worst([Problem(409, "", "", ""), Problem(404, "", "", "")]) == 404
    assert worst([Problem(409, "", "", "")]) == 409


def test_times_and_slot_refs() -> None:
    assert parse_moment("06:05", TZ) == time(6, 5)
    assert parse_moment("2023-07-10 06:05", TZ) == at(6, 5)
    assert parse_moment("10/07/2023 06:05", TZ) == at(6, 5)
    assert parse_moment("2023-07-09T23:05:00Z", TZ) == at(6, 5)
    assert parse_slot_ref("2023-07-10_0600") == ("2023-07-10", "06:00")
    with pytest.raises(ValueError):
        parse_moment("yesterday", TZ)
    with pytest.raises(ValueError):
        parse_slot_ref("2023-07-10")


TONES = "\u0300\u0301\u0303\u0309\u0323"


def cp1258(text: str) -> bytes:
    """What Excel on Vietnamese Windows writes: base letters precomposed, tones as separate combining marks."""
    out = []
    for char in text:
        decomposed = unicodedata.normalize("NFD", char)
        tones = "".join(c for c in decomposed if c in TONES)
        out.append(unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in TONES)) + tones)
    return "".join(out).encode("cp1258")


def test_sheets_utf8_bom_and_excel_cp1258_with_semicolons() -> None:
    text = "ward,entry,status,aired_at,reason\nw,e1,đã phát,06:05,\nw,e2,không phát,,mất điện\n"
    rows, problems = read_sheet(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert problems == []
    assert [r.cells["status"] for r in rows] == ["đã phát", "không phát"]
    assert rows[1].line == 3
    excel = "Phường/xã;Ngày;Giờ;STT;Trạng thái;Giờ phát;Lý do\r\nw;10/07/2023;06:00;1;Không phát;;Mất điện\r\n"
    data = cp1258(excel)
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    rows, problems = read_sheet(data)
    assert problems == []
    assert rows[0].cells == {
        "ward": "w",
        "date": "10/07/2023",
        "slot": "06:00",
        "order": "1",
        "status": "Không phát",
        "aired_at": "",
        "reason": "Mất điện",
    }


def test_sheet_header_problems() -> None:
    _rows, problems = read_sheet(b"ward,colour,status\nw,red,aired\n")
    assert problems and problems[0].label == "line 1"
    _rows, problems = read_sheet(b"ward,reason\nw,x\n")
    assert problems and "needs" in problems[0].message
