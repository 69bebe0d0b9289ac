"""Ward notices: one Vietnamese email per ward per publish (RFC 2047 subject, script attachments), webhooks, no repeats."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.delivery.receivers import Receiver
from tests.delivery.support import WARDS, delivery_env
from worker.delivery import notices
from worker.demo.server import StaticServer
from worker.wards import Ward

# Without slots, publish plans no queue for these wards, so the entries a test writes by hand stay as
# written: these tests are about notices, not planning (tests/test_queues.py covers that, and
# test_publish_plans_entries_and_mails_them_once below joins the two).
HAND_QUEUED_WARDS = WARDS.replace(', slots: ["06:00/15m", "17:00/15m"]', "")


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        self.messages.append((list(envelope.rcpt_tos), bytes(envelope.content)))
        return "250 OK"

    def parsed(self) -> list[EmailMessage]:
        return [message_from_bytes(raw, policy=default) for _to, raw in self.messages]  # type: ignore[misc]


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def entry(ward: str, date: str, slot: str, position: int, title: str, *, priority: str = "thuong") -> dict[str, Any]:
    return {
        "id": f"{ward}-{date}-{slot}-{position}",
        "ward": ward,
        "date": date,
        "slot": slot,
        "position": position,
        "priority": priority,
        "story": f"s{position}",
        "pack": "1",
        "title": title,
        "script": f"Kính thưa bà con, {title.lower()}. Bà con hãy cảnh giác.",
        "seconds": 75,
        "repeat": 0,
        "status": "queued",
        "created_at": "2023-07-10T01:00:00Z",
        "updated_at": "2023-07-10T01:00:00Z",
    }


FIRST = [
    entry("phuong-dien-bien", "2023-07-10", "17:00", 1, "Cảnh báo giả danh công an"),
    entry("phuong-dien-bien", "2023-07-10", "17:00", 2, "Lừa đảo đầu tư tiền ảo"),
    entry("phuong-dien-bien", "2023-07-11", "06:00", 1, "Việc nhẹ lương cao"),
    entry("xa-hoang-dai", "2023-07-10", "17:30", 1, "Lừa đảo đầu tư tiền ảo"),
    entry("phuong-ham-rong", "2023-07-10", "06:30", 1, "Không có địa chỉ nhận"),
]


def test_one_email_per_ward_per_publish_then_nothing_then_khan_cap(
    tmp_path: Path, site: tuple[Path, StaticServer], smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    with Receiver() as hook:
        extra = (
            HAND_QUEUED_WARDS.format(url=hook.url)
            + f"smtp: {{host: 127.0.0.1, port: {port}, from: loa@thanhhoa.gov.vn}}\n"
        )
        env = delivery_env(tmp_path, site, extra, pack=False)
        store = env.store()
        store.insert_queue_entries_raw(FIRST)
        store.close()
        report = env.json("publish")
        assert len(report["deliveries"]["sent"]) == 3, report["deliveries"]  # two emails, one webhook
        assert sorted(to for to, _raw in inbox.messages) == [
            ["vanhoa.dienbien@example.vn"],
            ["vanhoa.hoangdai@example.vn"],
        ]
        raw = next(raw for to, raw in inbox.messages if to == ["vanhoa.dienbien@example.vn"])
        subject_line = next(line for line in raw.split(b"\r\n") if line.startswith(b"Subject:"))
        assert b"=?utf-8?" in subject_line.lower()  # RFC 2047: no raw UTF-8 in the header
        message = message_from_bytes(raw, policy=default)
        assert message["Subject"] == "[Loa] Phường Điện Biên: 3 tin mới trong lịch phát thanh"
        assert isinstance(message, EmailMessage)
        text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        assert "Ngày 10/07/2023, khung giờ 17:00:" in text and "2. Lừa đảo đầu tư tiền ảo (1 phút 15 giây)" in text
        assert "tổng thời lượng 3 phút 45 giây" in text
        assert "https://example.gov.vn/canh-bao/ward/phuong-dien-bien/" in text
        attachments = {a.get_filename(): a for a in message.iter_attachments()}
        assert sorted(attachments) == ["kich-ban-2023-07-10-1700.txt", "kich-ban-2023-07-11-0600.txt"]
        script = attachments["kich-ban-2023-07-10-1700.txt"]
        assert script.get_content_type() == "text/plain" and script.get_content_charset() == "utf-8"
        assert "Kính thưa bà con, cảnh báo giả danh công an." in script.get_content()
        [signed] = hook.signed()
        body = json.loads(signed.body)
        assert signed.signature_ok and body["ward"] == "phuong-dien-bien" and len(body["entries"]) == 3

        again = env.json("publish", now="2023-07-10T09:00:00+07:00")
        assert again["deliveries"]["enqueued"] == [] and len(inbox.messages) == 2 and len(hook.signed()) == 1

        store = env.store()
        store.insert_queue_entries_raw(
            [entry("phuong-dien-bien", "2023-07-10", "17:00", 3, "Giả mạo VNeID", priority="khan-cap")]
        )
        store.close()
        env.json("publish", now="2023-07-10T10:00:00+07:00")
        assert len(inbox.messages) == 3  # sent in the same publish, although the ward had a notice today
        urgent = inbox.parsed()[-1]
        assert urgent["Subject"] == "[KHẨN CẤP] Phường Điện Biên: 1 tin mới trong lịch phát thanh (1 tin khẩn cấp)"
        assert "[KHẨN CẤP] Giả mạo VNeID" in urgent.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        assert json.loads(hook.signed()[-1].body)["urgent"] is True


def test_an_unreachable_smtp_server_is_retried_and_publish_still_succeeds(
    tmp_path: Path, site: tuple[Path, StaticServer]
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens here
    plain = HAND_QUEUED_WARDS.replace(', webhook: "{url}/hook", webhook_secret_env: LOA_CMS_SECRET', "")
    env = delivery_env(
        tmp_path, site, plain.format(url="") + f"smtp: {{host: 127.0.0.1, port: {port}, from: loa@x.vn}}\n", pack=False
    )
    store = env.store()
    store.insert_queue_entries_raw(FIRST[:1])
    store.close()
    result = env.run("publish")
    assert result.exit_code == 0 and "1 to retry" in result.output
    [row] = env.json("deliveries", "list")
    assert row["channel"] == "email" and row["status"] == "pending" and "SMTP 127.0.0.1" in row["last_error"]


def test_without_base_url_the_link_is_left_out() -> None:
    ward = Ward(id="xa-hoang-dai", name="Xã Hoằng Đại", kind="xa", email="a@b.vn")
    row = entry("xa-hoang-dai", "2023-07-10", "17:30", 1, "Lừa đảo đầu tư tiền ảo")
    notice = notices.plan_notice(ward, [row], {}, base_url="")
    assert notice is not None and notice.link is None
    assert "http" not in notices.body_text(notice)
    assert notices.plan_notice(ward, [], {}, base_url="https://x.vn") is None
    assert notices.subject(notice) == "[Loa] Xã Hoằng Đại: 1 tin mới trong lịch phát thanh"


def test_publish_plans_entries_and_mails_them_once(
    tmp_path: Path, site: tuple[Path, StaticServer], smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    plain = WARDS.replace(', webhook: "{url}/hook", webhook_secret_env: LOA_CMS_SECRET', "")
    env = delivery_env(
        tmp_path, site, plain.format(url="") + f"smtp: {{host: 127.0.0.1, port: {port}, from: loa@x.vn}}\n"
    )
    report = env.json("publish")
    store = env.store()
    planned = store.queue_rows("phuong-dien-bien")
    store.close()
    assert planned, "publish should have queued the approved stories for the ward with slots"
    dien_bien = [m for to, m in inbox.messages if to == ["vanhoa.dienbien@example.vn"]]
    assert len(dien_bien) == 1, report["deliveries"]
    message = message_from_bytes(dien_bien[0], policy=default)
    urgent = sum(1 for row in planned if row["priority"] == "khan-cap")
    assert urgent, "the test rules make the police-impersonation story khẩn cấp"
    assert message["Subject"] == (
        f"[KHẨN CẤP] Phường Điện Biên: {len(planned)} tin mới trong lịch phát thanh ({urgent} tin khẩn cấp)"
    )
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert all(row["title"] in text for row in planned)
    env.json("publish", now="2023-07-10T09:00:00+07:00")
    assert len([1 for to, _m in inbox.messages if to == ["vanhoa.dienbien@example.vn"]]) == 1
