"""`loa queue ack`, `loa queue import-acks` and `loa wards token` end to end: all or nothing, audit, force."""

from __future__ import annotations

import json
from pathlib import Path

from tests.desk_support import E1, E2, E_EVENING, E_OTHER, E_TOMORROW, OTHER, WARD, desk_env
from tests.test_acks import cp1258


def test_ack_entries_and_audit_with_os_user(tmp_path: Path) -> None:
    env = desk_env(tmp_path)
    result = env.run("queue", "ack", WARD, E1, E2[:12], "--aired-at", "06:05", "--as", "Chị Lan", user="lan")
    assert result.exit_code == 0, result.output
    entries = env.entries()
    assert entries[E1]["status"] == entries[E2]["status"] == "aired"
    assert entries[E1]["aired_at"] == "2023-07-09T23:05:00Z"
    assert entries[E1]["acked_by"] == "Chị Lan" and entries[E1]["ack_source"] == "cli"
    log = env.acks()
    assert [(a["entry"], a["source"], a["actor"], a["os_user"]) for a in log] == [
        (E1, "cli", "Chị Lan", "lan"),
        (E2, "cli", "Chị Lan", "lan"),
    ]
    assert json.loads(log[0]["before"])["status"] == "queued"


def test_replay_is_idempotent_conflict_refused_force_overrides(tmp_path: Path) -> None:
    env = desk_env(tmp_path)
    assert env.run("queue", "ack", WARD, E1, "--aired-at", "06:05").exit_code == 0
    replay = env.run("queue", "ack", WARD, E1, "--aired-at", "06:05", "--json")
    assert replay.exit_code == 0
    assert json.loads(replay.output)["unchanged"] == [E1]
    conflict = env.run("queue", "ack", WARD, E1, "--skipped", "--reason", "mất điện")
    assert conflict.exit_code == 1
    assert "already marked aired" in conflict.output
    assert env.entries()[E1]["status"] == "aired"
    forced = env.run("queue", "ack", WARD, E1, "--skipped", "--reason", "mất điện", "--force")
    assert forced.exit_code == 0, forced.output
    assert env.entries()[E1]["status"] == "skipped" and env.entries()[E1]["reason"] == "mất điện"
    assert [a["forced"] for a in env.acks()] == [0, 1]


def test_whole_slot_and_all_or_nothing(tmp_path: Path) -> None:
    env = desk_env(tmp_path)
    # One unknown entry: the good one is not changed either.
    bad = env.run("queue", "ack", WARD, E1, "nope")
    assert bad.exit_code == 1 and "no queue entry 'nope'" in bad.output
    # Another ward's entry is unknown to this ward.
    assert env.run("queue", "ack", WARD, E_OTHER).exit_code == 1
    # The evening slot has not started at 08:00: nothing in the request is applied.
    future = env.run("queue", "ack", WARD, E1, E_EVENING)
    assert future.exit_code == 1 and "before the slot starts" in future.output
    assert all(e["status"] == "queued" for e in env.entries().values())
    slot = env.run("queue", "ack", WARD, "--slot", "2023-07-10_0600")
    assert slot.exit_code == 0, slot.output
    entries = env.entries()
    assert entries[E1]["status"] == entries[E2]["status"] == "aired"
    assert entries[E1]["aired_at"] == "2023-07-10T01:00:00Z"  # now, 08:00 local
    assert entries[E_TOMORROW]["status"] == "queued"


def test_import_acks_utf8_bom(tmp_path: Path) -> None:
    env = desk_env(tmp_path)
    sheet = tmp_path / "acks.csv"
    sheet.write_bytes(
        b"\xef\xbb\xbf"
        + f"ward,entry,status,aired_at,reason\n{WARD},{E1},đã phát,06:04,\n{WARD},{E2},không phát,,Mất điện\n".encode()
    )
    result = env.run("queue", "import-acks", str(sheet), "--as", "van-thu")
    assert result.exit_code == 0, result.output
    entries = env.entries()
    assert (entries[E1]["status"], entries[E1]["aired_at"]) == ("aired", "2023-07-09T23:04:00Z")
    assert (entries[E2]["status"], entries[E2]["reason"]) == ("skipped", "Mất điện")
    assert {a["source"] for a in env.acks()} == {"csv"}


def test_import_acks_excel_cp1258_semicolons_by_slot(tmp_path: Path) -> None:
    env = desk_env(tmp_path)
    sheet = tmp_path / "excel.csv"
    text = (
        "Phường/xã;Ngày;Giờ;STT;Trạng thái;Giờ phát;Lý do\r\n"
        f"{WARD};10/07/2023;06:00;1;Đã phát;;\r\n"
        f"{OTHER};10/07/2023;06:00;;Không phát;;Loa hỏng\r\n"
    )
    sheet.write_bytes(cp1258(text))
    result = env.run("queue", "import-acks", str(sheet))
    assert result.exit_code == 0, result.output
    entries = env.entries()
    assert entries[E1]["aired_at"] == "2023-07-09T23:00:00Z"  # blank aired_at: the slot's start
    assert entries[E2]["status"] == "queued"
    assert (entries[E_OTHER]["status"], entries[E_OTHER]["reason"]) == ("skipped", "Loa hỏng")


def test_import_acks_reports_rows_and_changes_nothing(tmp_path: Path) -> None:
    env = desk_env(tmp_path)
    sheet = tmp_path / "bad.csv"
    sheet.write_text(
        "ward,entry,status,aired_at,reason\n"
        f"{WARD},{E1},aired,06:05,\n"
        f"{WARD},missing,aired,06:05,\n"
        f"{WARD},{E2},maybe,,\n"
        f"{WARD},{E_EVENING},aired,,\n",
        encoding="utf-8",
    )
    result = env.run("queue", "import-acks", str(sheet))
    assert result.exit_code == 1
    assert "row 3: entry 'missing': not found" in result.output
    assert "row 4: status 'maybe'" in result.output
    assert "row 5:" in result.output and "in the future" in result.output
    assert all(e["status"] == "queued" for e in env.entries().values())
    assert env.acks() == []
    sheet.write_text(f"ward,entry,status\n{WARD},{E1},aired\n", encoding="utf-8")
    check = env.run("queue", "import-acks", str(sheet), "--check")
    assert check.exit_code == 0 and "nothing changed" in check.output
    assert env.entries()[E1]["status"] == "queued"


def test_token_issue_rotate_and_unknown_ward(tmp_path: Path) -> None:
    env = desk_env(tmp_path)
    first = env.token()
    second = env.token()
    assert first != second
    from worker.store import Store
    from worker.tokens import digest

    store = Store.open(env.db)
    try:
        row = store.ward_token(WARD)
        assert row is not None and row["token_hash"] == digest(second)
        assert store.ward_for_token_hash(digest(first)) is None
        assert first not in json.dumps(list(store.db.query("select * from ward_tokens")))
    finally:
        store.close()
    assert env.run("wards", "token", "no-such-ward").exit_code == 1
