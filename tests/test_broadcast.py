"""Slot filling: priorities, overflow, daily cap, repeats, campaign window, displacement, idempotency, withdrawal."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from worker.broadcast import (
    BroadcastStory,
    BroadcastWard,
    Candidate,
    EntryStatus,
    FillRules,
    QueueEntry,
    entry_id,
    fill,
    parse_slot,
    plan,
)
from worker.config import BroadcastConfig, Campaign, Config, Defaults, parse_broadcast, parse_ward_broadcast
from worker.errors import ConfigError
from worker.models import Priority
from worker.readaloud import StoryText

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2023, 7, 10, 5, 0, tzinfo=TZ)  # a Monday, before the 06:00 slot
WINDOW = (date(2023, 7, 1), date(2023, 7, 20))
WARD = parse_ward_broadcast(
    {"id": "dien-bien", "name": "Điện Biên", "kind": "phuong", "slots": ["06:00/5m", "17:00/5m"]}, "wards[0]"
)
RULES = FillRules(tz=TZ, window=WINDOW, repeats=1, spacing_days=2)


def story(sid: str, seconds: int = 100, priority: Priority = Priority.NORMAL, **extra: object) -> Candidate:
    return Candidate(story=sid, priority=priority, title=sid, script=f"Tin {sid}.", seconds=seconds, **extra)  # type: ignore[arg-type]


def where(entries: tuple[QueueEntry, ...]) -> list[tuple[str, str, int, str, int]]:
    return [(e.date, e.slot, e.order, e.story, e.repeat) for e in entries]


def test_slots_parse_and_errors_name_the_key_path() -> None:
    slot = parse_slot("06:00/15m", "wards[0].slots[0]")
    assert (slot.label, slot.seconds) == ("06:00", 900)
    assert parse_slot("17:30/1h", "x").seconds == 3600
    for bad in ("6h/15m", "25:00/15m", "06:00", "06:00/0m", 600):
        with pytest.raises(ConfigError, match=r"wards\[2\]\.slots\[1\]"):
            parse_slot(bad, "wards[2].slots[1]")
    with pytest.raises(ConfigError, match="overlaps"):
        parse_ward_broadcast({"id": "a", "name": "A", "slots": ["06:00/30m", "06:15/15m"]}, "wards[0]")


def test_ward_broadcast_keys_quiet_days_and_cap() -> None:
    ward = parse_ward_broadcast(
        {
            "id": "rung-thong",
            "name": "Rừng Thông",
            "kind": "thi-tran",
            "slots": ["17:00/15m", "06:00/15m"],
            "quiet_days": ["chủ nhật", "saturday", "2023-09-02"],
            "daily_cap": 20,
            "topics": ["gia-danh"],  # publish's keys are ignored here
        },
        "wards[1]",
    )
    assert [s.label for s in ward.slots] == ["06:00", "17:00"]
    assert ward.quiet_weekdays == {5, 6} and ward.quiet_dates == {date(2023, 9, 2)}
    assert ward.daily_cap_seconds == 1200
    with pytest.raises(ConfigError, match=r"wards\[1\]\.quiet_days\[0\]"):
        parse_ward_broadcast({"id": "a", "name": "A", "slots": ["06:00/15m"], "quiet_days": ["someday"]}, "wards[1]")


def test_broadcast_config_parses_and_names_paths() -> None:
    config = parse_broadcast(
        {
            "repeats": 3,
            "spacing_days": 1,
            "rate": 3.5,
            "abbreviations": {"LĐ": "lừa đảo", "CA": None},
            "style": {"thousand": "ngàn", "short_tens": True},
            "tts": {"command": "espeak-ng -v vi -s {wpm} -w {out} -f {in}"},
        }
    )
    assert (config.repeats, config.spacing_days, config.rate) == (3, 1, 3.5)
    assert config.abbreviations["LĐ"] == "lừa đảo" and "CA" not in config.abbreviations
    assert config.style.thousand == "ngàn" and config.style.short_tens
    assert config.tts is not None and config.tts.calibration == 0.72
    assert config.print_days == 2 and parse_broadcast({"print_days": 0}).print_days == 0  # 0: every slot
    for bad, path in (
        ({"print_days": -1}, "broadcast.print_days"),
        ({"print_days": "2"}, "broadcast.print_days"),
        ({"repeats": 0}, "broadcast.repeats"),
        ({"style": {"zero": "không"}}, "broadcast.style.zero"),
        ({"tts": {"command": "say {in}"}}, "broadcast.tts.command"),
        ({"intro": "Kính thưa {ward}"}, "broadcast.intro"),
        ({"rate": 40}, "broadcast.rate"),
        ({"repeat": 2}, "broadcast.repeat"),
    ):
        with pytest.raises(ConfigError, match=path.replace(".", r"\.")):
            parse_broadcast(bad)


def test_priorities_fill_the_next_slot_in_order_and_overflow_moves_on() -> None:
    result = fill(
        WARD,
        [],
        [story("a", 120), story("b", 120, Priority.HIGH), story("c", 120), story("u", 50, Priority.URGENT)],
        NOW,
        RULES,
    )
    assert where(result.entries) == [
        ("2023-07-10", "06:00", 1, "u", 0),
        ("2023-07-10", "06:00", 2, "b", 0),
        ("2023-07-10", "06:00", 3, "a", 0),  # 50 + 120 + 120 = 290 s of a 300 s slot
        ("2023-07-10", "17:00", 1, "c", 0),
    ]
    assert result.counts() == {"added": 4}
    for key in {(e.date, e.slot) for e in result.entries}:
        assert sum(e.seconds for e in result.entries if (e.date, e.slot) == key) <= 300


def test_nothing_overruns_a_slot_counting_the_intro_and_outro() -> None:
    rules = replace(RULES, reserve_seconds=100)
    result = fill(WARD, [], [story("a", 150), story("b", 150)], NOW, rules)
    assert [(e.slot, e.story) for e in result.entries] == [("06:00", "a"), ("17:00", "b")]


def test_daily_cap_pushes_to_the_next_day_and_quiet_days_are_skipped() -> None:
    ward = replace(WARD, daily_cap_seconds=250, quiet_weekdays=frozenset({1}))  # Tuesday is quiet
    result = fill(ward, [], [story("a", 200), story("b", 200)], NOW, RULES)
    assert [(e.date, e.slot, e.story) for e in result.entries] == [
        ("2023-07-10", "06:00", "a"),
        ("2023-07-12", "06:00", "b"),
    ]


def test_repeats_are_spaced_and_stop_at_the_campaign_end() -> None:
    rules = replace(RULES, repeats=3, spacing_days=4)
    result = fill(WARD, [], [story("a")], datetime(2023, 7, 12, 18, 0, tzinfo=TZ), rules)
    assert where(result.entries) == [("2023-07-13", "06:00", 1, "a", 0), ("2023-07-17", "06:00", 1, "a", 1)]
    assert [(c.action, c.repeat) for c in result.changes] == [("added", 0), ("added", 1), ("unplaced", 2)]


def test_scheduling_starts_at_the_campaign_start_and_respects_the_window_unless_configured() -> None:
    early = datetime(2023, 6, 20, 9, 0, tzinfo=TZ)
    result = fill(WARD, [], [story("a")], early, RULES)
    assert where(result.entries) == [("2023-07-01", "06:00", 1, "a", 0)]
    late = datetime(2023, 7, 25, 9, 0, tzinfo=TZ)
    assert fill(WARD, [], [story("a")], late, RULES).entries == ()
    outside = fill(WARD, [], [story("a")], late, replace(RULES, outside_window=True))
    assert where(outside.entries) == [("2023-07-25", "17:00", 1, "a", 0)]


def test_khan_cap_displaces_queued_thuong_entries_into_the_next_slot_with_room() -> None:
    first = fill(WARD, [], [story("a", 140, Priority.HIGH), story("b", 150)], NOW, RULES)
    assert where(first.entries) == [("2023-07-10", "06:00", 1, "a", 0), ("2023-07-10", "06:00", 2, "b", 0)]
    second = fill(
        WARD,
        first.entries,
        [story("a", 140, Priority.HIGH), story("b", 150), story("u", 120, Priority.URGENT)],
        NOW,
        RULES,
    )
    assert where(second.entries) == [
        ("2023-07-10", "06:00", 1, "u", 0),
        ("2023-07-10", "06:00", 2, "a", 0),  # ưu tiên is never displaced
        ("2023-07-10", "17:00", 1, "b", 0),
    ]
    moved = [c for c in second.changes if c.action == "moved"]
    assert [(c.story, c.slot, c.detail) for c in moved] == [("b", "17:00", "from 2023-07-10 06:00")]


def test_aired_entries_are_never_displaced() -> None:
    aired = fill(WARD, [], [story("b", 250)], NOW, RULES).entries
    aired = tuple(replace(e, status=EntryStatus.AIRED.value) for e in aired)
    result = fill(WARD, aired, [story("b", 250), story("u", 120, Priority.URGENT)], NOW, RULES)
    assert where(result.entries) == [("2023-07-10", "06:00", 1, "b", 0), ("2023-07-10", "17:00", 1, "u", 0)]


def test_rerunning_creates_nothing_and_ids_ignore_the_pack() -> None:
    candidates = [story("a", pack="p1"), story("b", priority=Priority.HIGH)]
    rules = replace(RULES, repeats=2)
    first = fill(WARD, [], candidates, NOW, rules)
    again = fill(WARD, first.entries, candidates, NOW, rules)
    assert again.entries == first.entries and again.changes == ()
    # The same story arriving in a second pack, or as a late variant, is the same story id: nothing new.
    more = [*candidates, story("a", pack="p2"), story("a", 90, pack="p3")]
    assert fill(WARD, first.entries, more, NOW, rules).entries == first.entries
    assert {e.id for e in first.entries if e.story == "a"} == {entry_id("dien-bien", "a", r) for r in (0, 1)}
    assert entry_id("dien-bien", "a", 0) != entry_id("rung-thong", "a", 0)


def test_inputs_are_not_mutated() -> None:
    existing = fill(WARD, [], [story("b", 250)], NOW, RULES).entries
    snapshot = list(existing)
    fill(WARD, existing, [story("b", 250), story("u", 120, Priority.URGENT)], NOW, RULES)
    assert list(existing) == snapshot


def test_withdrawal_removes_unaired_entries_and_keeps_aired_ones() -> None:
    rules = replace(RULES, repeats=2, spacing_days=1)
    first = fill(WARD, [], [story("a")], NOW, rules).entries
    aired = (replace(first[0], status=EntryStatus.AIRED.value), first[1])
    later = datetime(2023, 7, 10, 12, 0, tzinfo=TZ)
    result = fill(WARD, aired, [story("a", withdrawn=True)], later, rules)
    assert [(e.date, e.status) for e in result.entries] == [("2023-07-10", "aired")]
    assert [(c.action, c.detail) for c in result.changes] == [("removed", "withdrawn")]


def test_expired_stories_leave_the_slots_after_expiry() -> None:
    rules = replace(RULES, repeats=2, spacing_days=1)
    first = fill(WARD, [], [story("a")], NOW, rules).entries
    assert [e.date for e in first] == ["2023-07-10", "2023-07-11"]
    expiry = datetime(2023, 7, 11, 0, 0, tzinfo=TZ)
    result = fill(WARD, first, [story("a", expires_at=expiry)], NOW, rules)
    assert [e.date for e in result.entries] == ["2023-07-10"]
    assert [(c.action, c.detail) for c in result.changes] == [
        ("removed", "expired"),
        ("unplaced", result.changes[1].detail),
    ]


def test_an_edited_script_updates_unaired_entries() -> None:
    first = fill(WARD, [], [story("a", 100)], NOW, RULES).entries
    edited = replace(story("a", 80), script="Tin đã sửa.")
    result = fill(WARD, first, [edited], NOW, RULES)
    assert [(e.script, e.seconds) for e in result.entries] == [("Tin đã sửa.", 80)]
    assert [c.action for c in result.changes] == ["updated"]


def test_plan_writes_scripts_and_fills_every_ward() -> None:
    config = Config(
        path=Path("/tmp/sources.yaml"),
        timezone=TZ,
        campaign=Campaign(name="Tháng hành động", start=WINDOW[0], end=WINDOW[1]),
        defaults=Defaults(),
        sources=(),
        db_path=Path("/tmp/loa.db"),
        media_path=Path("/tmp/media"),
        outputs_path=Path("/tmp/outputs"),
        broadcast=BroadcastConfig(repeats=1, max_story_seconds=15),
    )
    other = BroadcastWard(id="dong-son", name="Đông Sơn", kind="phuong", slots=WARD.slots)
    long_lead = " ".join(["Kẻ gian gọi điện giả danh công an, yêu cầu chuyển tiền."] * 6)
    stories = [
        BroadcastStory(StoryText(id="s1", title="Cảnh báo lừa đảo", lead=long_lead, source="NCSC"), pack="p1"),
        BroadcastStory(StoryText(id="s2", title="Chỉ phường Đông Sơn"), wards=("dong-son",)),
    ]
    plans = plan(config, [WARD, other], stories, [], NOW)
    assert [p.ward for p in plans] == ["dien-bien", "dong-son"]
    assert [e.story for e in plans[0].entries] == ["s1"]
    assert [e.story for e in plans[1].entries] == ["s1", "s2"]
    assert plans[0].flagged == ("s1",)
    entry = plans[0].entries[0]
    assert entry.script.startswith(
        "Cảnh báo lừa đảo. Theo Trung tâm Giám sát an toàn không gian mạng quốc gia, kẻ gian"
    )
    assert entry.seconds <= 15 and entry.pack == "p1"
    assert plan(config, [WARD, other], stories, [e for p in plans for e in p.entries], NOW)[0].changes == ()
