"""The pure review core: status machine, rules and topics, edits, expiry, undo planning, queue order, config."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import write_config
from worker.config import load_config
from worker.errors import ConfigError, ReviewError
from worker.models import Priority, Rule, RuleAction, Status, Topic
from worker.review import (
    DECISION_FIELDS,
    Request,
    allowed_moves,
    compile_match,
    edit_buffer,
    evaluate,
    fold,
    next_status,
    parse_edit_buffer,
    parse_expiry,
    parse_priority,
    plan,
    queue_key,
    undo_plan,
)

NOW = datetime(2023, 7, 10, 1, 0, tzinfo=UTC)
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
STATUS_ACTIONS = ("approve", "reject", "hold", "withdraw")
# (status, needs_review) → the moves allowed; everything else must be refused.
MACHINE = {
    ("new", False): {"approve": "approved", "reject": "rejected", "hold": "held"},
    ("held", False): {"approve": "approved", "reject": "rejected"},
    ("approved", False): {"withdraw": "withdrawn"},
    ("approved", True): {"approve": "approved", "withdraw": "withdrawn"},
    ("rejected", False): {},
    ("withdrawn", False): {},
    ("duplicate", False): {},
}


def row(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "abc123",
        "story_id": "abc123",
        "title": "Cảnh báo giả danh công an",
        "summary": "Tóm tắt",
        "body_text": "Nội dung",
        "status": "new",
        "needs_review": 0,
        "priority": "thuong",
        "topics": "[]",
        "published_at": "2023-07-03T01:00:00Z",
    }
    base.update(changes)
    return base


@pytest.mark.parametrize(("state", "action"), [(s, a) for s in MACHINE for a in STATUS_ACTIONS])
def test_every_transition_is_allowed_or_refused_clearly(state: tuple[str, bool], action: str) -> None:
    status, needs_review = state
    expected = MACHINE[state].get(action)
    if expected is not None:
        assert next_status("abc123", status, action, needs_review=needs_review) == Status(expected)
        return
    with pytest.raises(ReviewError) as info:
        next_status("abc123", status, action, needs_review=needs_review)
    message = str(info.value)
    assert "abc123" in message and f"is {status}" in message and f"cannot {action}" in message
    allowed = ", ".join(MACHINE[state]) or "none (final)"
    assert f"allowed: {allowed}" in message


def test_allowed_moves_match_the_machine() -> None:
    for (status, needs_review), moves in MACHINE.items():
        assert set(allowed_moves(status, needs_review)) == set(moves)


def test_approve_clears_needs_review_and_records_the_reviewer() -> None:
    change = plan(row(status="approved", needs_review=1), Request("approve", "lan"), now=NOW)
    assert change.after["status"] == "approved" and change.after["needs_review"] == 0
    assert change.after["reviewed_by"] == "lan" and change.after["reviewed_at"] == "2023-07-10T01:00:00Z"


@pytest.mark.parametrize("action", ["reject", "withdraw"])
def test_reject_and_withdraw_need_a_reason(action: str) -> None:
    status = "approved" if action == "withdraw" else "new"
    with pytest.raises(ReviewError, match="reason is required"):
        plan(row(status=status), Request(action, "lan", reason="  "), now=NOW)
    assert plan(row(status=status), Request(action, "lan", reason="Sai"), now=NOW).after["review_note"] == "Sai"


def test_plans_touch_only_decision_columns() -> None:
    request = Request(
        "approve",
        "lan",
        reason="ok",
        topics=("vay-tien-online",),
        priority=Priority.URGENT,
        expires_at="2023-07-21T17:00:00Z",
        broadcast_title="Tiêu đề phát thanh",
        broadcast_text="Lời đọc",
    )
    change = plan(row(), request, now=NOW)
    assert set(change.after) == set(DECISION_FIELDS)
    assert change.after["topics"] == ["vay-tien-online"] and change.after["priority"] == "khan-cap"
    assert change.after["broadcast_title"] == "Tiêu đề phát thanh"


@pytest.mark.parametrize("status", ["rejected", "withdrawn", "duplicate"])
def test_edits_refused_on_decided_items(status: str) -> None:
    with pytest.raises(ReviewError, match=f"is {status}: cannot tag"):
        plan(row(status=status), Request("tag", "lan", topics=("a",)), now=NOW)


def test_unknown_topic_and_past_expiry_are_refused() -> None:
    with pytest.raises(ReviewError, match="unknown topic 'nope'"):
        plan(row(), Request("tag", "lan", topics=("nope",)), now=NOW, known_topics=("gia-danh-cong-an",))
    with pytest.raises(ReviewError, match="already past"):
        plan(row(), Request("expire", "lan", expires_at="2023-07-01T00:00:00Z"), now=NOW)
    with pytest.raises(ReviewError, match="nothing to change"):
        plan(row(priority="uu-tien"), Request("priority", "lan", priority=Priority.HIGH), now=NOW)


def test_topics_add_and_remove() -> None:
    change = plan(row(topics='["a", "b"]'), Request("tag", "lan", topics=("-a", "c", "b")), now=NOW)
    assert change.after["topics"] == ["b", "c"]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("thuong", "thuong"),
        ("thường", "thuong"),
        ("uu-tien", "uu-tien"),
        ("ưu tiên", "uu-tien"),
        ("Ưu Tiên", "uu-tien"),
        ("khan-cap", "khan-cap"),
        ("khẩn cấp", "khan-cap"),
        ("KHẨN_CẤP", "khan-cap"),
    ],
)
def test_priorities_in_ascii_or_vietnamese(text: str, value: str) -> None:
    assert parse_priority(text).value == value


def test_bad_priority_lists_the_choices() -> None:
    with pytest.raises(ReviewError) as info:
        parse_priority("gấp")
    assert "khan-cap (khẩn cấp)" in str(info.value)


def test_matching_is_case_and_tone_insensitive() -> None:
    assert fold("Giả Danh  CÔNG AN") == "gia danh cong an"
    assert fold("Đường dây") == "duong day"
    assert compile_match("giả danh (cán bộ )?công an").search("GIA DANH CAN BO CONG AN gọi điện")
    assert compile_match(r"\W+công an").search("giả danh - công an")
    keywords = compile_match(["vay tiền", "OTP"])
    assert keywords.search("Ứng dụng VAY TIỀN online") and keywords.search("đọc mã otp")
    assert not keywords.search("vay tiềnx") and not keywords.search("botp")


RULES = (
    Rule("ads", ("quảng cáo",), RuleAction.REJECT, "Quảng cáo"),
    Rule("check", "cắt điện|quảng cáo", RuleAction.HOLD, "Cần xác minh", source="a"),
    Rule("hot", "công an", RuleAction.PRIORITY, "Đang phổ biến", value="uu-tien"),
    Rule("hotter", "giả danh", RuleAction.PRIORITY, "Rất phổ biến", value="khan-cap"),
    Rule("tag-loan", "vay", RuleAction.TAG, "Vay", value="vay-tien-online"),
)
TOPICS = (Topic("gia-danh-cong-an", "Giả danh cơ quan công an", ("giả danh công an",)),)


def test_reject_beats_hold_and_rules_are_per_source() -> None:
    outcome = evaluate(RULES, TOPICS, source_id="a", text="Quảng cáo lịch cắt điện")
    assert outcome.status is Status.REJECTED and outcome.reason == "Quảng cáo"
    assert [f.rule_id for f in outcome.fired] == ["ads", "check"]
    other = evaluate(RULES, TOPICS, source_id="b", text="Lịch cắt điện")
    assert other.status is None and other.empty


def test_highest_priority_wins_and_tags_add_up() -> None:
    outcome = evaluate(RULES, TOPICS, source_id="b", text="Giả danh công an mời vay tiền")
    assert outcome.priority is Priority.URGENT
    assert outcome.topics == ("vay-tien-online", "gia-danh-cong-an")
    assert [f.rule_id for f in outcome.fired] == ["hot", "hotter", "tag-loan", "topics.gia-danh-cong-an"]


def test_undo_restores_the_state_before() -> None:
    current = row()
    change = plan(current, Request("reject", "lan", reason="Sai"), now=NOW)
    after_row = {**current, **change.after, "topics": json.dumps(change.after["topics"])}
    audit = {"action": "reject", "before": json.dumps(change.before), "after": json.dumps(change.after)}
    undo = undo_plan(after_row, audit)
    assert undo.from_status == "rejected" and undo.to_status == "new" and undo.after == change.before


def test_undo_is_refused_when_the_item_changed_since() -> None:
    audit = {"action": "reject", "before": json.dumps({"status": "new"}), "after": json.dumps({"status": "rejected"})}
    with pytest.raises(ReviewError, match="changed after your reject"):
        undo_plan(row(status="held"), audit)


def test_edit_buffer_round_trip_keeps_nfc() -> None:
    buffer = edit_buffer(row())
    assert buffer.splitlines()[2] == "Cảnh báo giả danh công an"
    nfd = "Tie\u0302u đe\u0302\u0300 mới\n\nDòng một.\nDòng hai.\n"
    title, text = parse_edit_buffer("# comment\n\n" + nfd)
    assert title == "Tiêu đề mới" and text == "Dòng một.\nDòng hai."
    with pytest.raises(ReviewError, match="title is empty"):
        parse_edit_buffer("# only a comment\n\n")


def test_expiry_is_the_end_of_the_local_day() -> None:
    assert parse_expiry("2023-07-20", TZ) == "2023-07-20T17:00:00Z"
    assert parse_expiry("20/07/2023", TZ) == "2023-07-20T17:00:00Z"
    assert parse_expiry("", TZ) == ""
    with pytest.raises(ReviewError, match="not a date"):
        parse_expiry("mai", TZ)


def test_queue_order_is_priority_then_new_before_held_then_oldest() -> None:
    rows = [
        row(id="old", published_at="2023-07-01T00:00:00Z"),
        row(id="held-urgent", status="held", priority="khan-cap"),
        row(id="urgent", priority="khan-cap", published_at="2023-07-09T00:00:00Z"),
        row(id="newer", published_at="2023-07-05T00:00:00Z"),
    ]
    assert [r["id"] for r in sorted(rows, key=queue_key)] == ["urgent", "held-urgent", "old", "newer"]


SOURCE = "- {id: a, kind: feed, url: 'https://a.vn/'}\n"
TOPICS_YAML = "topics:\n  - {id: vay-tien-online, name: Vay tiền online, keywords: [vay tiền]}\n"


def test_rules_and_topics_load(tmp_path: Path) -> None:
    extra = TOPICS_YAML + (
        "rules:\n"
        "  - {match: [quảng cáo], action: reject, reason: Quảng cáo}\n"
        "  - {id: loan, source: a, match: 'vay', action: tag, value: vay-tien-online, reason: Vay}\n"
        "  - {match: 'khẩn', action: priority, value: ưu tiên, reason: Gấp}\n"
    )
    config = load_config(write_config(tmp_path, SOURCE, extra=extra))
    assert [r.id for r in config.rules] == ["rules[0]", "loan", "rules[2]"]
    assert config.rules[0].match == ("quảng cáo",) and config.rules[2].value == "uu-tien"
    assert config.topics[0].keywords == ("vay tiền",)


def test_shipped_topics_cover_the_campaign() -> None:
    config = load_config(Path(__file__).parent.parent / "sources.yaml")
    assert {t.id for t in config.topics} >= {
        "gia-danh-cong-an",
        "dau-tu-tai-chinh",
        "viec-lam-online",
        "chiem-doat-tai-khoan",
        "mua-ban-online",
        "vay-tien-online",
    }
    assert all(len(t.keywords) >= 5 for t in config.topics)


@pytest.mark.parametrize(
    ("rules", "key_path"),
    [
        ("  - {match: a, action: approve, reason: x}\n", "rules[0].action"),
        ("  - {match: a, action: reject, reason: x}\n  - {match: '(', action: hold, reason: x}\n", "rules[1].match"),
        ("  - {match: a, action: reject}\n", "rules[0].reason"),
        ("  - {match: [], action: reject, reason: x}\n", "rules[0].match"),
        ("  - {match: a, action: reject, reason: x, source: nope}\n", "rules[0].source"),
        ("  - {match: a, action: tag, value: nope, reason: x}\n", "rules[0].value"),
        ("  - {match: a, action: priority, value: gấp, reason: x}\n", "rules[0].value"),
        ("  - {match: a, action: hold, value: x, reason: x}\n", "rules[0].value"),
        ("  - {match: a, action: hold, reason: x, colour: red}\n", "rules[0].colour"),
        (
            "  - {id: x, match: a, action: hold, reason: x}\n  - {id: x, match: b, action: hold, reason: x}\n",
            "rules[1].id",
        ),
    ],
)
def test_rule_errors_name_the_key_path(tmp_path: Path, rules: str, key_path: str) -> None:
    path = write_config(tmp_path, SOURCE, extra=TOPICS_YAML + "rules:\n" + rules)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value).startswith(key_path + ":"), str(info.value)


@pytest.mark.parametrize(
    ("topics", "key_path"),
    [
        ("  - {id: Vay, name: x, keywords: [a]}\n", "topics[0].id"),
        ("  - {id: a, keywords: [a]}\n", "topics[0].name"),
        ("  - {id: a, name: x, keywords: vay}\n", "topics[0].keywords"),
        ("  - {id: a, name: x, keywords: [a]}\n  - {id: a, name: y, keywords: [b]}\n", "topics[1].id"),
    ],
)
def test_topic_errors_name_the_key_path(tmp_path: Path, topics: str, key_path: str) -> None:
    path = write_config(tmp_path, SOURCE, extra="topics:\n" + topics)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value).startswith(key_path + ":"), str(info.value)


def test_rules_change_is_one_change_per_item_or_none() -> None:
    from worker.review import Fired, RuleOutcome, rules_change

    reject = RuleOutcome(
        status=Status.REJECTED,
        reason="Quảng cáo",
        topics=("mua-ban-online",),
        fired=(
            Fired("quang-cao", "reject", None, "Quảng cáo"),
            Fired("topics.mua-ban-online", "tag", "mua-ban-online", ""),
        ),
    )
    change = rules_change(row(status="new"), reject)
    assert change is not None and (change.from_status, change.to_status) == ("new", "rejected")
    assert change.after["topics"] == ["mua-ban-online"] and change.action == "rules"
    assert change.reason == "quang-cao (reject); topics.mua-ban-online (tag mua-ban-online)"
    held = rules_change(row(status="held"), reject)  # a held item keeps its status; the tag still lands
    assert held is not None and held.to_status == "held" and held.after["topics"] == ["mua-ban-online"]
    assert rules_change(row(status="new", topics='["mua-ban-online"]', review_note=None), RuleOutcome()) is None
