"""Desk page rendering: grouping by day and slot, past days keep only unreported items, autoescape."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from tests.desk_support import ENTRIES, WARD, entry
from worker.desk import duration, group, render_desk

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def test_group_and_past_days() -> None:
    past_done = entry(WARD, "2023-07-09", "06:00", 1, "old", status="aired", aired_at="2023-07-08T23:01:00Z")
    past_open = entry(WARD, "2023-07-09", "06:00", 2, "late")
    days = group([past_done, past_open, *ENTRIES[:4]], date(2023, 7, 10))
    assert [d.label for d in days] == ["Hôm qua, 09/07/2023", "Hôm nay, 10/07/2023", "Ngày mai, 11/07/2023"]
    assert [e["story"] for e in days[0].slots[0].entries] == ["late"]
    assert [s.slot for s in days[1].slots] == ["06:00", "17:00"]
    assert days[1].slots[0].seconds == 150 and duration(150) == "2 phút 30 giây" and duration(45) == "45 giây"


def test_render_escapes_titles_and_scripts() -> None:
    hostile = entry(WARD, "2023-07-10", "06:00", 1, "x", title="<img src=x onerror=alert(1)>", script="<b>bold</b>")
    html = render_desk(
        ward_id=WARD,
        ward_name="Phường <Điện Biên>",
        entries=[hostile],
        now=datetime(2023, 7, 10, 8, tzinfo=TZ),
        tz=TZ,
        csrf="c",
    ).decode()
    assert "<img src=x" not in html and "&lt;img src=x" in html
    assert "<b>bold</b>" not in html and "Phường &lt;Điện Biên&gt;" in html
    assert 'name="csrf" value="c"' in html
