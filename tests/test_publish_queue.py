"""Queue renderers: golden queue.json, day file and slot script for one ward, a printable index.html, skipped entries left out."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from worker.broadcast import BroadcastStory, EntryStatus, FillRules, QueueEntry, candidates_for, fill, frame_reserve
from worker.config import BroadcastConfig, parse_ward_broadcast
from worker.models import Priority
from worker.publish_queue import render_queue, slot_scripts
from worker.readaloud import StoryText

GOLDEN = Path(__file__).parent / "fixtures" / "golden" / "queues" / "dien-bien"
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2023, 7, 10, 5, 0, tzinfo=TZ)
CONFIG = BroadcastConfig(repeats=1)
WARD = parse_ward_broadcast(
    {"id": "dien-bien", "name": "Điện Biên", "kind": "phuong", "slots": ["06:00/15m", "17:00/15m"]}, "wards[0]"
)
STORIES = [
    BroadcastStory(
        StoryText(
            id="s-cccd",
            title="Cảnh báo giả danh công an gọi điện yêu cầu cập nhật CCCD",
            lead=(
                "Thời gian gần đây, nhiều người dân nhận được cuộc gọi từ số 0912 345 678 tự xưng là CA phường, "
                "yêu cầu cài ứng dụng giả mạo để cập nhật CCCD gắn chip. Sau khi cài, kẻ gian chiếm quyền điện thoại "
                "và rút 150.000.000 đồng trong TK ngân hàng. Ngày 17/7/2023, CA TP. Thanh Hóa đã tiếp nhận 3 vụ việc "
                "tương tự. Xem chi tiết tại https://khonggianmang.vn/canh-bao 🚨 #CanhGiac"
            ),
            source="Cổng Không gian mạng quốc gia",
        ),
        priority=Priority.HIGH,
        pack="2023-07-10",
    ),
    BroadcastStory(
        StoryText(
            id="s-ctv",
            title="Lừa đảo tuyển cộng tác viên online",
            broadcast_title="Cảnh giác lừa đảo việc nhẹ lương cao",
            broadcast_text=(
                "Các đối tượng đăng tin tuyển cộng tác viên làm việc tại nhà, hứa hẹn thu nhập 500k mỗi ngày và "
                "hoa hồng 15%. Nạn nhân phải chuyển trước 1,5 triệu đồng tiền đặt cọc. "
                "Bà con tuyệt đối không chuyển tiền vào STK lạ."
            ),
            source="NCSC",
        ),
        pack="2023-07-10",
    ),
    BroadcastStory(
        StoryText(
            id="s-bhxh",
            title="Cảnh báo khẩn: tin nhắn giả mạo BHXH",
            lead=(
                "Từ 8h30 sáng nay, nhiều người nhận tin nhắn giả mạo BHXH đề nghị bấm đường link để nhận tiền "
                "hỗ trợ. Đây là thủ đoạn lừa đảo. Bà con không bấm vào đường link, không cung cấp mã OTP."
            ),
            source="Bảo hiểm xã hội Việt Nam",
        ),
        priority=Priority.URGENT,
        pack="2023-07-10-khan",
    ),
]


def queue() -> tuple[QueueEntry, ...]:
    candidates, _ = candidates_for(WARD, STORIES, CONFIG.reading)
    rules = FillRules(tz=TZ, repeats=1, reserve_seconds=frame_reserve(WARD, CONFIG))
    return fill(WARD, [], candidates, NOW, rules).entries


def test_golden_queue_json_and_script() -> None:
    files = render_queue(WARD, queue(), CONFIG)
    assert sorted(files) == [
        "queues/dien-bien/2023-07-10.json",
        "queues/dien-bien/2023-07-10_0600.txt",
        "queues/dien-bien/index.html",
        "queues/dien-bien/queue.json",
    ]
    assert files["queues/dien-bien/queue.json"].decode() == (GOLDEN / "queue.json").read_text(encoding="utf-8")
    day = files["queues/dien-bien/2023-07-10.json"].decode()
    assert day == (GOLDEN / "2023-07-10.json").read_text(encoding="utf-8")
    assert day.count("\n") == 5 and unicodedata.is_normalized("NFC", day)  # one entry a line, compact, NFC
    script = files["queues/dien-bien/2023-07-10_0600.txt"].decode()
    assert script == (GOLDEN / "2023-07-10_0600.txt").read_text(encoding="utf-8")
    spoken = [line for line in script.splitlines()[2:] if line and not line.startswith("[")]
    assert len(spoken) == 5 and not any(re.search(r"\d", line) for line in spoken)


def test_queue_json_lists_the_days_and_each_day_file_has_the_entry_fields() -> None:
    files = render_queue(WARD, queue(), CONFIG)
    index = json.loads(files["queues/dien-bien/queue.json"])
    assert index == {
        "ward": "dien-bien",
        "days": [{"date": "2023-07-10", "href": "2023-07-10.json", "entries": 3, "seconds": 18 + 30 + 19}],
    }
    data = json.loads(files["queues/dien-bien/2023-07-10.json"])
    assert (data["ward"], data["date"]) == ("dien-bien", "2023-07-10")
    assert [e["priority"] for e in data["entries"]] == ["khan-cap", "uu-tien", "thuong"]
    assert set(data["entries"][0]) >= {
        "id",
        "ward",
        "date",
        "slot",
        "order",
        "priority",
        "story",
        "pack",
        "title",
        "seconds",
        "status",
    }
    # The script is in the slot's .txt, not repeated in the listing.
    assert not any("script" in e for e in data["entries"])


def test_running_time_adds_up_and_fits_the_slot() -> None:
    (script,) = slot_scripts(WARD, queue(), CONFIG)
    assert [s.label for s in script.segments] == ["Mở đầu", "Tin 1 · khẩn cấp", "Tin 2 · ưu tiên", "Tin 3", "Kết thúc"]
    assert script.segments[-1].at + script.segments[-1].seconds == script.seconds <= 15 * 60
    assert script.spoken.startswith("Kính thưa toàn thể nhân dân phường Điện Biên.")


def test_index_html_is_printable_and_self_contained() -> None:
    page = render_queue(WARD, queue(), CONFIG)["queues/dien-bien/index.html"].decode()
    assert '<html lang="vi">' in page and "@page { size: A4;" in page and "font-size: 20pt" in page
    assert "<script" not in page and "http" not in page and "<link" not in page
    assert page.count('<section class="slot"') == 1
    assert "Phường Điện Biên — bản tin 06:00, thứ hai 10/07/2023" in page


def test_skipped_entries_are_not_read_and_an_empty_queue_still_renders() -> None:
    entries = tuple(replace(e, status=EntryStatus.SKIPPED.value) if e.story == "s-ctv" else e for e in queue())
    (script,) = slot_scripts(WARD, entries, CONFIG)
    assert script.stories == 2 and "việc nhẹ lương cao" not in script.spoken
    empty = render_queue(WARD, (), CONFIG)
    assert json.loads(empty["queues/dien-bien/queue.json"]) == {"ward": "dien-bien", "days": []}
    assert sorted(empty) == ["queues/dien-bien/index.html", "queues/dien-bien/queue.json"]  # no day files
    assert "Chưa có bản tin nào" in empty["queues/dien-bien/index.html"].decode()


def test_a_class_listing_fills_in_each_wards_ids_byte_for_byte() -> None:
    from worker.broadcast import entry_id
    from worker.publish_queue import QueueListing, queue_days

    candidates, _flagged = candidates_for(WARD, STORIES, CONFIG.reading)
    rules = FillRules(tz=TZ, repeats=2, spacing_days=1, reserve_seconds=frame_reserve(WARD, CONFIG))
    entries = fill(WARD, [], candidates, NOW, rules).entries
    days = queue_days(WARD.id, entries)
    assert len(days) == 2  # the repeats air on another day: a file each
    for day, group in days.items():
        listing = QueueListing.build(WARD.id, day, group)
        assert listing is not None
        for other in ("xa-b", "phuong-dong-ve-2"):
            mine = tuple(replace(e, id=entry_id(other, e.story, e.repeat), ward=other) for e in entries)
            expected = render_queue(replace(WARD, id=other), mine, CONFIG)[f"queues/{other}/{day}.json"]
            assert listing.fill(other) == expected
    # Two entries at one position: the order would fall to ids, which differ per ward, so no shared listing.
    first, group = next(iter(days.items()))
    tied = [*group, replace(group[0], id="x" * 16, story="other", status=EntryStatus.SKIPPED.value)]
    assert QueueListing.build(WARD.id, first, tied) is None
