"""Pure notice decisions: which new queue entries a ward hears about, and the Vietnamese email and webhook JSON.

One notice per ward per publish, listing every new entry; a khẩn cấp entry flags the subject.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from typing import Any

from worker.dates import iso_utc
from worker.wards import Ward

URGENT = "khan-cap"


@dataclass(frozen=True)
class Notice:
    ward: Ward
    entries: tuple[Mapping[str, Any], ...]  # the new entries, by date, slot and position
    slots: tuple[tuple[str, str, tuple[Mapping[str, Any], ...]], ...]  # (date, slot, all its queued entries)
    link: str | None

    @property
    def urgent(self) -> bool:
        return any(e.get("priority") == URGENT for e in self.entries)

    @property
    def key(self) -> str:
        """Stable for the same entries, so a notice recorded before a crash is resent, not rebuilt."""
        digest = hashlib.sha256("\n".join(sorted(str(e["id"]) for e in self.entries)).encode()).hexdigest()
        return f"{self.ward.id}-{digest[:16]}"

    @property
    def seconds(self) -> int:
        return sum(int(e.get("seconds") or 0) for e in self.entries)


def ward_link(base_url: str, ward_id: str) -> str | None:
    """The ward desk page: `site.base_url` + `/ward/<id>/`; None without a base_url."""
    return f"{base_url.rstrip('/')}/ward/{ward_id}/" if base_url else None


def plan_notice(
    ward: Ward,
    new_entries: Sequence[Mapping[str, Any]],
    slot_entries: Mapping[tuple[str, str], Sequence[Mapping[str, Any]]],
    *,
    base_url: str,
) -> Notice | None:
    """A notice for the ward's new entries, or None when there are none (a re-publish sends nothing)."""
    if not new_entries:
        return None
    ordered = sorted(new_entries, key=lambda e: (e["date"], e["slot"], int(e.get("position") or 0), str(e["id"])))
    keys = list(dict.fromkeys((str(e["date"]), str(e["slot"])) for e in ordered))
    slots = tuple((date, slot, tuple(slot_entries.get((date, slot), ()))) for date, slot in keys)
    return Notice(ward=ward, entries=tuple(ordered), slots=slots, link=ward_link(base_url, ward.id))


def duration(seconds: int) -> str:
    """`1 phút 20 giây`, `45 giây`, `2 phút`."""
    minutes, rest = divmod(max(int(seconds), 0), 60)
    if minutes and rest:
        return f"{minutes} phút {rest} giây"
    return f"{minutes} phút" if minutes else f"{rest} giây"


def _day(date: str) -> str:
    year, month, day = date.split("-")
    return f"{day}/{month}/{year}"


def _ward_title(ward: Ward) -> str:
    return ward.full_name


def subject(notice: Notice) -> str:
    count = len(notice.entries)
    urgent = sum(1 for e in notice.entries if e.get("priority") == URGENT)
    text = f"{_ward_title(notice.ward)}: {count} tin mới trong lịch phát thanh"
    if urgent:
        return f"[KHẨN CẤP] {text} ({urgent} tin khẩn cấp)"
    return f"[Loa] {text}"


def body_text(notice: Notice) -> str:
    lines = [
        f"Kính gửi {_ward_title(notice.ward)},",
        "",
        f"Lịch phát thanh có {len(notice.entries)} tin mới (tổng thời lượng {duration(notice.seconds)}):",
    ]
    current: tuple[str, str] | None = None
    for entry in notice.entries:
        where = (str(entry["date"]), str(entry["slot"]))
        if where != current:
            current = where
            lines += ["", f"Ngày {_day(where[0])}, khung giờ {where[1]}:"]
        flag = "[KHẨN CẤP] " if entry.get("priority") == URGENT else ""
        lines.append(f"  {entry.get('position')}. {flag}{entry['title']} ({duration(int(entry.get('seconds') or 0))})")
    lines.append("")
    if notice.link:
        lines += [f"Xem lịch và xác nhận đã phát tại: {notice.link}", ""]
    lines += [
        "Kịch bản đọc của từng khung giờ được đính kèm (tệp văn bản UTF-8).",
        "",
        "Thư này được gửi tự động từ hệ thống Loa; vui lòng không trả lời thư này.",
    ]
    return "\n".join(lines) + "\n"


def script_files(notice: Notice) -> list[tuple[str, str]]:
    """One text file per slot: every queued entry of that slot with its read-aloud script, in airing order."""
    files: list[tuple[str, str]] = []
    for date, slot, entries in notice.slots:
        parts = [f"{_ward_title(notice.ward)} – ngày {_day(date)}, khung giờ {slot}", ""]
        for entry in entries:
            parts += [
                f"{entry.get('position')}. {entry['title']} ({duration(int(entry.get('seconds') or 0))})",
                "",
                str(entry.get("script") or "").strip(),
                "",
            ]
        files.append((f"kich-ban-{date}-{slot.replace(':', '')}.txt", "\n".join(parts)))
    return files


def email_message(notice: Notice, *, sender: str, to: str, now: datetime) -> EmailMessage:
    """The notice email; headers are RFC 2047-encoded by policy=SMTP, attachments are text/plain UTF-8."""
    message = EmailMessage(policy=SMTP)
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject(notice)
    message["Date"] = format_datetime(now)
    domain = sender.rsplit("@", 1)[-1]
    message["Message-ID"] = f"<loa-{notice.key}@{domain}>"
    # 7-bit transfer encodings: any relay accepts them, 8BITMIME or not.
    message.set_content(body_text(notice), charset="utf-8", cte="quoted-printable")
    for name, text in script_files(notice):
        message.add_attachment(text, subtype="plain", charset="utf-8", cte="base64", filename=name)
    return message


def webhook_payload(notice: Notice, *, created_at: datetime) -> dict[str, Any]:
    return {
        "schema": "loa.notice/1",
        "ward": notice.ward.id,
        "ward_name": notice.ward.name,
        "urgent": notice.urgent,
        "link": notice.link,
        "created_at": iso_utc(created_at),
        "seconds": notice.seconds,
        "entries": [
            {
                key: entry.get(key)
                for key in ("id", "date", "slot", "position", "priority", "title", "seconds", "story", "pack", "script")
            }
            for entry in notice.entries
        ],
    }
