"""Packs: pure selection, order, titles and schedule; `loa pack` commands on a real synced database."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from tests.publish_support import approve_all, publish_env
from worker.demo.server import StaticServer
from worker.models import Priority
from worker.packs import Candidate, build_due, date_range_label, default_title, leads, select_stories
from worker.publish_config import PackSchedule

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def cand(
    item: str, story: str, priority: str = "thuong", day: int = 1, rank: int = 0, topics: tuple[str, ...] = ()
) -> Candidate:
    return Candidate(item, story, Priority(priority), datetime(2023, 7, day, tzinfo=UTC), rank, topics)


def test_each_story_once_through_its_highest_ranked_item() -> None:
    chosen = leads([cand("b", "s", rank=2, day=1), cand("a", "s", rank=0, day=5), cand("c", "s", rank=0, day=6)])
    assert chosen["s"].item_id == "a"


def test_order_is_priority_then_newest_and_packed_stories_are_skipped() -> None:
    pool = [
        cand("1", "s1", day=3),
        cand("2", "s2", "khan-cap", day=1),
        cand("3", "s3", "uu-tien", day=2),
        cand("4", "s4", day=9),
        cand("5", "s5", "khan-cap", day=4),
        cand("6", "s6", day=8),
    ]
    assert [c.story_id for c in select_stories(pool, exclude={"s6"})] == ["s5", "s2", "s3", "s4", "s1"]
    assert [c.story_id for c in select_stories(pool, exclude=set(), limit=2)] == ["s5", "s2"]
    since = datetime(2023, 7, 4, tzinfo=UTC)
    assert [c.story_id for c in select_stories(pool, exclude=set(), since=since)] == ["s5", "s4", "s6"]


def test_topic_filter() -> None:
    pool = [cand("1", "s1", topics=("a",)), cand("2", "s2", topics=("b",))]
    assert [c.story_id for c in select_stories(pool, exclude=set(), topic="b")] == ["s2"]


def test_titles_and_date_ranges() -> None:
    assert date_range_label([date(2023, 7, 10), date(2023, 7, 16), date(2023, 7, 12)]) == "10–16/7/2023"
    assert date_range_label([date(2023, 6, 28), date(2023, 7, 4)]) == "28/6–4/7/2023"
    assert date_range_label([date(2022, 12, 28), date(2023, 1, 3)]) == "28/12/2022–3/1/2023"
    assert date_range_label([date(2023, 7, 10)]) == "10/7/2023"
    moments = [
        datetime(2023, 7, 10, 1, tzinfo=UTC),
        datetime(2023, 7, 16, 20, tzinfo=UTC),
    ]  # 16/7 20:00 UTC is 17/7 local
    assert default_title("Bản tin phòng chống lừa đảo trực tuyến", 3, moments, TZ) == (
        "Bản tin phòng chống lừa đảo trực tuyến số 3 (10–17/7/2023)"
    )


def test_daily_and_weekly_schedules() -> None:
    daily = PackSchedule(auto="daily", at=(5, 30))
    before = datetime(2023, 7, 10, 5, 0, tzinfo=TZ)
    after = datetime(2023, 7, 10, 5, 45, tzinfo=TZ)
    yesterday_build = datetime(2023, 7, 9, 5, 31, tzinfo=TZ)
    assert not build_due(daily, before, TZ, yesterday_build)
    assert build_due(daily, after, TZ, yesterday_build)
    assert not build_due(daily, after, TZ, datetime(2023, 7, 10, 5, 30, tzinfo=TZ))
    assert build_due(daily, after, TZ, None)
    assert not build_due(PackSchedule(), after, TZ, None)
    weekly = PackSchedule(auto="weekly", at=(5, 30), day=0)  # Mondays; 10/7/2023 is a Monday
    assert build_due(weekly, after, TZ, datetime(2023, 7, 3, 6, tzinfo=TZ))
    assert not build_due(weekly, datetime(2023, 7, 12, 9, tzinfo=TZ), TZ, datetime(2023, 7, 10, 5, 40, tzinfo=TZ))


def test_pack_commands(tmp_path: Path, site: tuple[Path, StaticServer]) -> None:
    env = publish_env(tmp_path, site)
    assert "nothing to build" in env.run("pack", "build").output  # nothing approved yet
    approve_all(env)
    built = env.json("pack", "build", "--max", "3")
    assert built["number"] == 1 and built["status"] == "draft" and len(built["stories"]) == 3
    assert built["stories"][0]["priority"] == "khan-cap"
    assert built["title"].startswith("Bản tin phòng chống lừa đảo trực tuyến số 1 (")
    rest = env.json("pack", "build", "--title", "Bản tin đặc biệt")
    assert rest["number"] == 2 and rest["title"] == "Bản tin đặc biệt"
    assert not {s["story_id"] for s in rest["stories"]} & {s["story_id"] for s in built["stories"]}
    moved = rest["stories"][-1]["story_id"]
    assert env.run("pack", "remove", "2", moved).exit_code == 0
    refused = env.run("pack", "add", "1", built["stories"][0]["story_id"])
    assert refused.exit_code == 1 and "already in a pack" in refused.output
    added = env.json("pack", "add", "1", moved)
    assert added["stories"][-1]["story_id"] == moved
    reordered = env.json("pack", "reorder", "1", moved)
    assert reordered["stories"][0]["story_id"] == moved
    listed = json.loads(env.run("pack", "list", "--json").output)
    assert [p["number"] for p in listed] == [2, 1] and listed[1]["stories"] == 4
    assert "Số 1:" in env.run("pack", "show", "so-1").output
