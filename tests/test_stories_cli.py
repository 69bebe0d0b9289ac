"""`loa sync` → `loa stories …` end to end on a real temp SQLite database and a 127.0.0.1 feed."""

from __future__ import annotations

import json
import sqlite3
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import cli
from tests.conftest import write_config
from worker.demo.server import StaticServer
from worker.models import Fetched

ARTICLE_TITLE = "Cảnh báo thủ đoạn giả danh công an gọi điện yêu cầu cài ứng dụng dịch vụ công giả mạo"
ARTICLE_LEAD = (
    "Thời gian gần đây, nhiều người dân nhận được cuộc gọi của đối tượng tự xưng là cán bộ công an phường, "
    "yêu cầu cập nhật thông tin định danh điện tử bằng cách tải một ứng dụng dịch vụ công giả mạo qua đường link lạ. "
    "Sau khi cài đặt, điện thoại bị chiếm quyền điều khiển và tài khoản ngân hàng bị rút sạch tiền."
)
OTHER_TITLE = "Lừa đảo bán vé máy bay giá rẻ qua trang mạng xã hội dịp cao điểm"
OTHER_LEAD = (
    "Vào dịp cao điểm du lịch, nhiều trang mạng xã hội giả danh đại lý hàng không rao bán vé máy bay giá rẻ, "
    "gửi mã đặt chỗ giả cho khách sau khi nhận tiền."
)


class LocalFetcher:
    """Enough of worker.fetch.Fetcher for the pipeline, over urllib and 127.0.0.1 only."""

    def get(self, url: str, **_: Any) -> Fetched:
        assert url.startswith("http://127.0.0.1:"), url
        with urllib.request.urlopen(url, timeout=5) as response:
            body = response.read()
            return Fetched(
                url=url,
                final_url=url,
                status=response.status,
                body=body,
                content_type=response.headers.get_content_type(),
            )

    def close(self) -> None:
        return None


def rss(base: str, entries: list[tuple[str, str, str, str]]) -> str:
    items = "".join(
        f"<item><title>{title}</title><link>{base}/{slug}</link><guid>{base}/{slug}</guid>"
        f"<pubDate>{date}</pubDate><description>{lead}</description></item>"
        for slug, title, lead, date in entries
    )
    return f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title><link>{base}</link>{items}</channel></rss>'


@pytest.fixture
def loa(site: tuple[Path, StaticServer], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    root, server = site

    @contextmanager
    def fetcher(_config: Any) -> Iterator[LocalFetcher]:
        yield LocalFetcher()

    monkeypatch.setattr(cli, "_fetcher", fetcher)
    monkeypatch.setenv("LOA_NOW", "2023-07-10T08:00:00+07:00")
    config = write_config(
        tmp_path,
        f"""\
        - {{id: portal, kind: feed, url: "{server.url}/portal.xml", item_kind: warning}}
        - {{id: tiktok, kind: feed, url: "{server.url}/tiktok.xml", item_kind: video}}
        """,
    )
    runner = CliRunner()

    def run(*args: str) -> Any:
        result = runner.invoke(cli.main, ["--config", str(config), *args], catch_exceptions=False)
        return result

    run.root = root  # type: ignore[attr-defined]
    run.url = server.url  # type: ignore[attr-defined]
    run.db = tmp_path / "loa.db"  # type: ignore[attr-defined]
    yield run


def write_feeds(loa: Any, portal: list[tuple[str, str, str, str]], tiktok: list[tuple[str, str, str, str]]) -> None:
    (loa.root / "portal.xml").write_text(rss(loa.url, portal), encoding="utf-8")
    (loa.root / "tiktok.xml").write_text(rss(loa.url, tiktok), encoding="utf-8")


DAY1 = "Mon, 03 Jul 2023 08:00:00 +0700"
DAY2 = "Tue, 04 Jul 2023 08:00:00 +0700"


def test_sync_groups_a_repost_into_one_story_and_reports_counts(loa: Any) -> None:
    repost = "[Cảnh báo] " + ARTICLE_TITLE.replace("hòa", "hoà") + " | Cổng KGM"
    write_feeds(
        loa,
        [("a1", ARTICLE_TITLE, ARTICLE_LEAD, DAY1), ("b1", OTHER_TITLE, OTHER_LEAD, DAY1)],
        [("t1", repost, ARTICLE_LEAD[:200] + " #canhbao #LuaDao 😡", DAY2)],
    )
    result = loa("sync", "--json", "--link")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["linked"] == {"items": 3, "stories_new": 2, "variants_linked": 1}
    assert report["unlinked"] == 0
    assert report["totals"]["new"] == 3

    stories = json.loads(loa("stories", "list", "--json").output)
    assert len(stories) == 2
    warning = next(s for s in stories if len(s["items"]) == 2)
    assert sorted(warning["kinds"]) == ["video", "warning"]
    assert warning["title"] == ARTICLE_TITLE  # the portal copy is canonical
    assert set(warning) >= {"id", "canonical", "items", "title", "kinds"}

    items = json.loads(loa("items", "list", "--json").output)
    assert {i["story"] for i in items} == {s["id"] for s in stories}

    shown = loa("stories", "show", warning["id"])
    assert shown.exit_code == 0 and "canonical" in shown.output


def test_late_variant_of_approved_story_is_not_new(loa: Any) -> None:
    write_feeds(loa, [("a1", ARTICLE_TITLE, ARTICLE_LEAD, DAY1)], [])
    assert loa("sync", "--link").exit_code == 0
    conn = sqlite3.connect(loa.db)
    conn.execute("update items set status = 'approved'")
    conn.commit()
    write_feeds(
        loa, [("a1", ARTICLE_TITLE, ARTICLE_LEAD, DAY1)], [("t1", "Cảnh báo: " + ARTICLE_TITLE, ARTICLE_LEAD, DAY2)]
    )
    report = json.loads(loa("sync", "--json", "--force").output)
    assert report["unlinked"] == 1 and "linked" not in report
    linked = loa("dedupe", "link", "--json")
    assert linked.exit_code == 0, linked.output
    assert json.loads(linked.output) == {"items": 1, "stories_new": 0, "variants_linked": 1}
    row = conn.execute(
        "select status, late_variant, variant_of, story_role, story_id from items where source_id = 'tiktok'"
    ).fetchone()
    approved_id = conn.execute("select id from items where source_id = 'portal'").fetchone()[0]
    assert row == ("duplicate", 1, approved_id, "variant", approved_id)
    assert json.loads(loa("items", "list", "--status", "new", "--json").output) == []

    tiktok_id = conn.execute("select id from items where source_id = 'tiktok'").fetchone()[0]
    assert loa("stories", "promote", tiktok_id).exit_code == 0
    row = conn.execute("select status, late_variant, story_role from items where id = ?", [tiktok_id]).fetchone()
    assert row == ("new", 0, "canonical")
    conn.close()


def test_merge_and_split_survive_rebuild(loa: Any) -> None:
    repost = "[Cảnh báo] " + ARTICLE_TITLE
    write_feeds(
        loa,
        [("a1", ARTICLE_TITLE, ARTICLE_LEAD, DAY1), ("b1", OTHER_TITLE, OTHER_LEAD, DAY1)],
        [("t1", repost, ARTICLE_LEAD, DAY2)],
    )
    assert loa("sync").exit_code == 0
    assert loa("dedupe", "link").exit_code == 0
    conn = sqlite3.connect(loa.db)
    ids = dict(conn.execute("select url, id from items").fetchall())
    a1, b1, t1 = (ids[f"{loa.url}/{slug}"] for slug in ("a1", "b1", "t1"))
    story_of = lambda item: conn.execute("select story_id from items where id = ?", [item]).fetchone()[0]  # noqa: E731
    assert story_of(a1) == story_of(t1) != story_of(b1)

    assert loa("stories", "split", t1).exit_code == 0
    assert story_of(t1) != story_of(a1)
    assert loa("stories", "merge", a1, b1).exit_code == 0
    assert story_of(a1) == story_of(b1)
    before = {i: story_of(i) for i in (a1, b1, t1)}

    rebuilt = loa("dedupe", "rebuild", "--json")
    assert rebuilt.exit_code == 0, rebuilt.output
    assert json.loads(rebuilt.output) == {"items": 3, "stories": 2}
    assert {i: story_of(i) for i in (a1, b1, t1)} == before  # overrides replayed, story ids kept
    conn.close()


def test_unknown_item_is_a_clear_error(loa: Any) -> None:
    write_feeds(loa, [("a1", ARTICLE_TITLE, ARTICLE_LEAD, DAY1)], [])
    assert loa("sync").exit_code == 0
    result = loa("stories", "split", "nope")
    assert result.exit_code == 1
    assert "no item 'nope'" in result.output


def test_sync_stores_and_queues_new_items_and_linking_is_its_own_stage(loa: Any) -> None:
    repost = "[Cảnh báo] " + ARTICLE_TITLE
    write_feeds(
        loa,
        [("a1", ARTICLE_TITLE, ARTICLE_LEAD, DAY1), ("b1", OTHER_TITLE, OTHER_LEAD, DAY1)],
        [("t1", repost, ARTICLE_LEAD, DAY2)],
    )
    synced = loa("sync")
    assert synced.exit_code == 0, synced.output
    assert "3 items wait to be linked into stories: `loa dedupe link`" in synced.output
    conn = sqlite3.connect(loa.db)
    assert conn.execute("select count(*) from link_queue").fetchone()[0] == 3
    assert conn.execute("select count(*) from item_signatures").fetchone()[0] == 0
    status = json.loads(loa("status", "--json").output)
    assert status["unlinked"] == 3  # status only looks: it never links

    linked = loa("dedupe", "link")
    assert linked.exit_code == 0, linked.output
    assert "Linked 3 items into stories: 2 new stories, 1 variants linked" in linked.output
    assert conn.execute("select count(*) from link_queue").fetchone()[0] == 0
    assert conn.execute("select count(*) from item_signatures").fetchone()[0] == 3
    assert json.loads(loa("dedupe", "link", "--json").output) == {"items": 0, "stories_new": 0, "variants_linked": 0}
    conn.close()


def test_a_command_that_shows_stories_links_what_sync_queued_first(loa: Any) -> None:
    write_feeds(
        loa,
        [("a1", ARTICLE_TITLE, ARTICLE_LEAD, DAY1), ("b1", OTHER_TITLE, OTHER_LEAD, DAY1)],
        [("t1", "[Cảnh báo] " + ARTICLE_TITLE, ARTICLE_LEAD, DAY2)],
    )
    assert loa("sync").exit_code == 0
    stories = json.loads(loa("stories", "list", "--json").output)
    assert sorted(len(s["items"]) for s in stories) == [1, 2]
    conn = sqlite3.connect(loa.db)
    assert conn.execute("select count(*) from link_queue").fetchone()[0] == 0
    conn.close()


def test_changed_item_is_queued_again_and_signed_again(loa: Any) -> None:
    write_feeds(loa, [("a1", ARTICLE_TITLE, ARTICLE_LEAD, DAY1)], [])
    assert loa("sync", "--link").exit_code == 0
    conn = sqlite3.connect(loa.db)
    before = conn.execute("select minhash from item_signatures").fetchone()[0]
    write_feeds(loa, [("a1", ARTICLE_TITLE, OTHER_LEAD, DAY1)], [])
    assert loa("sync", "--force").exit_code == 0
    assert conn.execute("select changed from link_queue").fetchall() == [(1,)]
    assert json.loads(loa("dedupe", "link", "--json").output)["items"] == 1
    assert conn.execute("select minhash from item_signatures").fetchone()[0] != before
    conn.close()


def test_rebuild_empties_the_link_queue(loa: Any) -> None:
    write_feeds(
        loa, [("a1", ARTICLE_TITLE, ARTICLE_LEAD, DAY1)], [("t1", "[Cảnh báo] " + ARTICLE_TITLE, ARTICLE_LEAD, DAY2)]
    )
    assert loa("sync").exit_code == 0
    assert json.loads(loa("dedupe", "rebuild", "--json").output) == {"items": 2, "stories": 1}
    conn = sqlite3.connect(loa.db)
    assert conn.execute("select count(*) from link_queue").fetchone()[0] == 0
    conn.close()


def test_a_story_whose_trusted_copy_arrived_later_still_counts_as_new(loa: Any) -> None:
    # The clip's source is less trusted; the portal's exact copy (same URL) arrives in a later sync and
    # leads the story, which stays named after the clip that founded it: one new story, not zero.
    write_feeds(loa, [], [("a1", ARTICLE_TITLE, ARTICLE_LEAD, DAY1)])
    assert loa("sync").exit_code == 0
    write_feeds(loa, [("a1", ARTICLE_TITLE, ARTICLE_LEAD, DAY1)], [("a1", ARTICLE_TITLE, ARTICLE_LEAD, DAY1)])
    assert loa("sync", "--force").exit_code == 0
    linked = json.loads(loa("dedupe", "link", "--json").output)
    assert linked == {"items": 2, "stories_new": 1, "variants_linked": 0}
    assert len(json.loads(loa("stories", "list", "--json").output)) == 1
