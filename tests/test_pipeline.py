"""Sync end to end through a real HTTP server on 127.0.0.1 and a real SQLite database."""

from __future__ import annotations

import gc
import json
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import write_config
from worker.config import load_config
from worker.demo.server import StaticServer
from worker.fetch import Fetcher
from worker.models import RunStatus
from worker.pipeline import SYNC_GC_THRESHOLD, sync
from worker.store import Store

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2023, 7, 10, 8, 0, tzinfo=VN)

ITEMS = [
    (
        "gia-danh-cong-an",
        "Cảnh báo thủ đoạn giả danh công an gọi điện yêu cầu chuyển tiền",
        "Đối tượng tự xưng cán bộ công an phường, yêu cầu người dân chuyển tiền vào tài khoản để “xác minh”.",
    ),
    (
        "viec-nhe-luong-cao",
        "Lừa đảo tuyển cộng tác viên “việc nhẹ lương cao”",
        "Nạn nhân được hứa hoa hồng 10–15% cho mỗi đơn hàng ảo, sau đó bị yêu cầu nạp thêm tiền.",
    ),
    (
        "vneid-gia",
        "Cảnh giác ứng dụng VNeID giả mạo",
        "Kẻ gian gửi đường link cài ứng dụng VNeID giả để chiếm quyền điều khiển điện thoại.",
    ),
]


def rss(items: list[tuple[str, str, str]], host: str = "https://chongluadao.vn") -> str:
    entries = "".join(
        f"""<item><title>{title}</title><link>{host}/blog/{slug}/?utm_source=rss</link>
        <guid isPermaLink="false">{host}/blog/?p={i}</guid>
        <pubDate>Mon, 0{i + 3} Jul 2023 02:15:00 +0000</pubDate>
        <description><![CDATA[<p>{text}</p>]]></description></item>"""
        for i, (slug, title, text) in enumerate(items)
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>
    <title>Chống Lừa Đảo</title><link>{host}/blog/</link><description>Blog</description>{entries}</channel></rss>"""


def wp_json(items: list[tuple[str, str, str]], host: str = "https://chongluadao.vn") -> str:
    return json.dumps(
        [
            {
                "id": 100 + i,
                "link": f"{host}/blog/{slug}/",
                "date_gmt": f"2023-07-0{i + 3}T02:15:00",
                "title": {"rendered": title},
                "excerpt": {"rendered": f"<p>{text}</p>"},
                "content": {"rendered": f"<p>{text}</p>"},
            }
            for i, (slug, title, text) in enumerate(items)
        ],
        ensure_ascii=False,
    )


FEED_SOURCE = """\
- id: {id}
  name: "Nguồn {id}"
  kind: feed
  url: "{url}"
  every: 30m
"""
JSON_SOURCE = """\
- id: {id}
  kind: json
  url: "{url}"
  json: {{items: "", id: id, title: title.rendered, link: link, date: date_gmt, summary: excerpt.rendered, body: content.rendered}}
"""


def run(config_path: Path, now: datetime = NOW, **kwargs: object):  # type: ignore[no-untyped-def]
    config = load_config(config_path)
    store = Store.open(config.db_path)
    with Fetcher(user_agent="Loa-test/0.1", retries=0, timeout=5) as fetcher:
        report = sync(config, store, fetcher, now=now, **kwargs)  # type: ignore[arg-type]
    return report, store


def test_first_sync_stores_items_then_not_due_then_304(site: tuple[Path, StaticServer], tmp_path: Path) -> None:
    root, server = site
    (root / "feed.xml").write_text(rss(ITEMS), encoding="utf-8")
    config = write_config(tmp_path, FEED_SOURCE.format(id="clđ", url=server.url + "/feed.xml").replace("clđ", "cld"))
    report, store = run(config)
    [result] = report.results
    assert result.status is RunStatus.OK and result.new == 3
    rows = store.items()
    assert {r["url"] for r in rows} == {f"https://chongluadao.vn/blog/{slug}/" for slug, _, _ in ITEMS}
    assert all(r["status"] == "new" for r in rows)
    assert rows[0]["published_at"].endswith("Z")

    report, store = run(config, NOW + timedelta(minutes=5))
    assert report.results[0].status is RunStatus.SKIPPED

    before = server.not_modified
    report, store = run(config, NOW + timedelta(minutes=5), force=True)
    assert report.results[0].status is RunStatus.NOT_MODIFIED
    assert server.not_modified == before + 1
    assert store.count_items() == 3


def test_same_body_without_validators_skips_parse(site: tuple[Path, StaticServer], tmp_path: Path) -> None:
    root, server = site
    (root / "feed.xml").write_text(rss(ITEMS), encoding="utf-8")
    config = write_config(tmp_path, FEED_SOURCE.format(id="wp", url=server.url + "/feed.xml"))
    _, store = run(config)
    # Forget the validators, so the next fetch is unconditional and gets a 200 with the same body.
    store.db.execute("update sources set etag = null, last_modified = null")
    report, store = run(config, NOW + timedelta(hours=1))
    assert report.results[0].status is RunStatus.NOT_MODIFIED
    assert store.fetch_log("wp")[0]["http_status"] == 200
    assert store.count_items() == 3


def test_changed_item_is_updated_and_flagged_when_approved(site: tuple[Path, StaticServer], tmp_path: Path) -> None:
    root, server = site
    feed = root / "feed.xml"
    feed.write_text(rss(ITEMS), encoding="utf-8")
    config = write_config(tmp_path, FEED_SOURCE.format(id="cld", url=server.url + "/feed.xml"))
    _, store = run(config)
    approved = store.items()[0]["id"]
    store.db.execute("update items set status = 'approved' where id = ?", [approved])
    changed = [(slug, title + " (cập nhật)", text) for slug, title, text in ITEMS]
    feed.write_text(rss(changed), encoding="utf-8")
    report, store = run(config, NOW + timedelta(hours=1))
    assert report.results[0].updated == 3 and report.results[0].new == 0
    row = store.item(approved)
    assert row is not None
    assert row["revision"] == 2 and row["needs_review"] == 1 and row["status"] == "approved"
    assert row["title"].endswith("(cập nhật)")


def test_exact_duplicates_across_sources_and_trust_order(site: tuple[Path, StaticServer], tmp_path: Path) -> None:
    root, server = site
    (root / "feed.xml").write_text(rss(ITEMS), encoding="utf-8")
    (root / "posts.json").write_text(wp_json(ITEMS[:2]), encoding="utf-8")
    sources = FEED_SOURCE.format(id="trusted", url=server.url + "/feed.xml") + JSON_SOURCE.format(
        id="copy", url=server.url + "/posts.json"
    )
    config = write_config(tmp_path, sources)
    # The less trusted copy arrives first...
    report, store = run(config, source_ids=("copy",))
    assert report.results[0].new == 2
    # ...then the trusted source: its copies become canonical and the earlier ones are re-pointed.
    report, store = run(config, NOW + timedelta(minutes=1), source_ids=("trusted",))
    assert report.results[0].new == 3
    assert report.results[0].duplicates == 2  # the two earlier copies, merged into the trusted ones
    copies = {r["url"]: r for r in store.items(source_id="copy")}
    trusted = {r["url"]: r for r in store.items(source_id="trusted")}
    for url, row in copies.items():
        assert row["status"] == "duplicate"
        assert row["duplicate_of"] == trusted[url]["id"]
        assert trusted[url]["status"] == "new" and trusted[url]["duplicate_of"] is None
        assert row["story_id"] == trusted[url]["story_id"]
    assert store.count_items("status = 'new'") == 3


def test_one_broken_source_never_stops_the_run(site: tuple[Path, StaticServer], tmp_path: Path) -> None:
    root, server = site
    (root / "feed.xml").write_text(rss(ITEMS), encoding="utf-8")
    (root / "listing.html").write_text(
        "<html><body><main class='new-layout'><div class='card'><a href='/a'>Tin</a></div></main></body></html>",
        encoding="utf-8",
    )
    sources = f"""\
- id: portal
  kind: html
  url: "{server.url}/listing.html"
  html: {{item: "article.post-card", title: "h3 a", link: "h3 a@href"}}
- id: missing
  kind: feed
  url: "{server.url}/khong-co.xml"
""" + FEED_SOURCE.format(id="cld", url=server.url + "/feed.xml")
    config = write_config(tmp_path, sources)
    report, store = run(config)
    by_id = {r.source_id: r for r in report.results}
    assert by_id["cld"].status is RunStatus.OK and by_id["cld"].new == 3
    assert by_id["portal"].status is RunStatus.ERROR and by_id["portal"].error_kind == "selector"
    assert "article.post-card" in str(by_id["portal"].error) and "matched 0 elements" in str(by_id["portal"].error)
    assert by_id["portal"].health.value == "broken"
    assert by_id["missing"].error_kind == "http" and "404" in str(by_id["missing"].error)
    state = store.source_state("portal")
    assert state.consecutive_errors == 1 and state.last_error_kind == "selector"


def test_errors_back_off_and_network_down_counts_against_no_one(tmp_path: Path) -> None:
    # Two sources on closed ports: every source fails with a network error at once.
    import socket

    ports = []
    for _ in range(2):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            ports.append(sock.getsockname()[1])
    sources = "".join(
        FEED_SOURCE.format(id=f"s{i}", url=f"http://127.0.0.1:{port}/feed.xml") for i, port in enumerate(ports)
    )
    config = write_config(tmp_path, sources)
    report, store = run(config)
    assert report.network_down
    assert all(r.error_kind == "network" for r in report.results)
    assert store.source_state("s0").consecutive_errors == 0

    # One failing source among healthy ones does count, and backs off.
    root = tmp_path / "ok"
    root.mkdir()
    (root / "feed.xml").write_text(rss(ITEMS), encoding="utf-8")
    with StaticServer(root) as server:
        sources += FEED_SOURCE.format(id="ok", url=server.url + "/feed.xml")
        config = write_config(tmp_path, sources)
        delays = []
        now = NOW
        for _ in range(3):
            now += timedelta(days=1)
            report, store = run(config, now)
            assert not report.network_down
            state = store.source_state("s0")
            assert state.next_due_at is not None
            delays.append(state.next_due_at - now)
    assert delays == [timedelta(minutes=60), timedelta(minutes=120), timedelta(minutes=240)]
    assert store.source_state("s0").consecutive_errors == 3
    assert store.source_state("s0").health == "failing"


@pytest.mark.parametrize("status", ["ok", "error"])
def test_fetch_log_records_every_run(site: tuple[Path, StaticServer], tmp_path: Path, status: str) -> None:
    root, server = site
    if status == "ok":
        (root / "feed.xml").write_text(rss(ITEMS), encoding="utf-8")
    config = write_config(tmp_path, FEED_SOURCE.format(id="cld", url=server.url + "/feed.xml"))
    _, store = run(config)
    [line] = store.fetch_log("cld")
    assert line["status"] == status
    assert line["http_status"] == (200 if status == "ok" else 404)
    assert (line["error_kind"] is None) == (status == "ok")


def test_robots_refusal_is_an_error_that_says_robots(site: tuple[Path, StaticServer], tmp_path: Path) -> None:
    root, server = site
    (root / "robots.txt").write_text("User-agent: *\nDisallow: /rieng/\n", encoding="utf-8")
    (root / "rieng").mkdir()
    (root / "rieng" / "feed.xml").write_text(rss(ITEMS), encoding="utf-8")
    sources = FEED_SOURCE.format(id="cam", url=server.url + "/rieng/feed.xml") + FEED_SOURCE.format(
        id="dong-y", url=server.url + "/rieng/feed.xml"
    ).replace("every: 30m", "every: 30m\n  respect_robots: false")
    config = write_config(tmp_path, sources)
    report, store = run(config)
    by_id = {r.source_id: r for r in report.results}
    assert by_id["cam"].status is RunStatus.ERROR and by_id["cam"].error_kind == "robots"
    assert "robots.txt" in str(by_id["cam"].error)
    assert by_id["dong-y"].status is RunStatus.OK and by_id["dong-y"].new == 3
    assert store.count_items("source_id = 'cam'") == 0


def test_fetching_stays_a_bounded_window_ahead_of_a_slow_writer(
    site: tuple[Path, StaticServer], tmp_path: Path
) -> None:
    root, server = site
    for n in range(8):
        (root / f"feed{n}.xml").write_text(rss(ITEMS).replace("/bai/", f"/bai{n}/"), encoding="utf-8")
    sources = "".join(FEED_SOURCE.format(id=f"nguon-{n}", url=f"{server.url}/feed{n}.xml") for n in range(8))
    config = write_config(tmp_path, sources)
    config.write_text(config.read_text(encoding="utf-8").replace("retries: 0}", "retries: 0, workers: 1}"), "utf-8")
    ahead: list[int] = []

    def slow_writer(result: object) -> None:
        ahead.append(server.requests - len(ahead) - 1)  # feeds fetched beyond the ones saved so far
        time.sleep(0.15)

    report, _store = run(config, on_result=slow_writer)
    assert [r.status for r in report.results] == [RunStatus.OK] * 8
    # One fetch thread: a window of two sources, plus robots.txt, however slow the writer is.
    assert len(ahead) == 8 and max(ahead) <= 2


def test_sync_collects_young_objects_rarely_and_restores_the_collector(
    site: tuple[Path, StaticServer], tmp_path: Path
) -> None:
    root, server = site
    (root / "feed.xml").write_text(rss(ITEMS), encoding="utf-8")
    config = write_config(tmp_path, FEED_SOURCE.format(id="gc", url=server.url + "/feed.xml"))
    before = gc.get_threshold()
    during: list[tuple[int, int, int]] = []

    report, _store = run(config, on_result=lambda _result: during.append(gc.get_threshold()))

    assert report.results[0].new == 3
    assert during == [(SYNC_GC_THRESHOLD, *before[1:])]
    assert gc.get_threshold() == before
