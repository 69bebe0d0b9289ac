"""Site and ward feeds: parsed back by feedparser without bozo, JSON Feed 1.1 keys, filters, stable ids, `updated`."""

from __future__ import annotations

import json
from pathlib import Path

import feedparser

from tests.publish_support import approve_all, publish_env
from worker.demo.server import StaticServer


def published(tmp_path: Path, site: tuple[Path, StaticServer]) -> tuple[object, Path]:
    env = publish_env(tmp_path, site)
    approve_all(env)
    assert env.run("pack", "build").exit_code == 0
    assert env.run("publish").exit_code == 0
    return env, tmp_path / "out"


def test_site_atom_and_json_feed(tmp_path: Path, site: tuple[Path, StaticServer]) -> None:
    _env, out = published(tmp_path, site)
    parsed = feedparser.parse((out / "site/atom.xml").read_bytes())
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert len(parsed.entries) == 5
    first = parsed.entries[0]
    assert first.id.startswith("urn:loa:item:")
    assert first.link.startswith("https://example.gov.vn/canh-bao/items/")
    packs = [t for t in first.tags if t.scheme == "urn:loa:pack"]
    assert packs and packs[0].label.startswith("Bản tin phòng chống lừa đảo trực tuyến số 1")
    assert parsed.feed.updated == max(e.updated for e in parsed.entries)
    document = json.loads((out / "site/feed.json").read_text(encoding="utf-8"))
    assert document["version"] == "https://jsonfeed.org/version/1.1"
    assert {"title", "home_page_url", "feed_url", "items", "language", "authors"} <= set(document)
    for entry in document["items"]:
        assert {"id", "url", "external_url", "title", "content_html", "date_published", "date_modified"} <= set(entry)
        assert entry["_loa"]["pack"]["number"] == 1
    assert {e["id"] for e in document["items"]} == {e.id for e in parsed.entries}
    for text in (
        (out / "site/atom.xml").read_text(encoding="utf-8"),
        (out / "site/feed.json").read_text(encoding="utf-8"),
    ):
        assert "<script" not in text and "onerror" not in text


def test_ward_feeds_are_filtered_by_topics_and_kinds(tmp_path: Path, site: tuple[Path, StaticServer]) -> None:
    env, out = published(tmp_path, site)
    everything = feedparser.parse((out / "feeds/phuong-ham-rong.xml").read_bytes())
    police = feedparser.parse((out / "feeds/phuong-dien-bien.xml").read_bytes())
    videos = feedparser.parse((out / "feeds/xa-hoang-dai.xml").read_bytes())
    for parsed in (everything, police, videos):
        assert not parsed.bozo, parsed.get("bozo_exception")
    assert len(everything.entries) == 5
    assert [e.title for e in police.entries] == ["Cảnh báo thủ đoạn giả danh công an gọi điện yêu cầu chuyển tiền"]
    assert videos.entries == [] and videos.feed.id == "urn:loa:feed:ward:xa-hoang-dai"
    ward_json = json.loads((out / "feeds/phuong-dien-bien.json").read_text(encoding="utf-8"))
    assert ward_json["_loa"]["ward"]["topics"] == ["gia-danh-cong-an"]
    assert [i["id"] for i in ward_json["items"]] == [e.id for e in police.entries]
    # Ids are stable across publishes and independent of order.
    assert env.run("publish").exit_code == 0
    again = feedparser.parse((out / "feeds/phuong-ham-rong.xml").read_bytes())
    assert [e.id for e in again.entries] == [e.id for e in everything.entries]
    assert again.feed.updated == everything.feed.updated


def test_withdrawal_moves_ward_updated_forward(tmp_path: Path, site: tuple[Path, StaticServer]) -> None:
    env, out = published(tmp_path, site)
    before = feedparser.parse((out / "feeds/phuong-dien-bien.xml").read_bytes())
    item_id = env.item_id("cb-1")
    later = {"LOA_NOW": "2023-07-11T09:00:00+07:00"}
    assert env.run("withdraw", item_id, "--reason", "Sai thông tin").exit_code == 0
    from click.testing import CliRunner

    from cli import main

    result = CliRunner().invoke(main, ["publish"], env={**later, "LOA_CONFIG": str(env.config)})
    assert result.exit_code == 0, result.output
    after = feedparser.parse((out / "feeds/phuong-dien-bien.xml").read_bytes())
    assert after.entries == [] and not after.bozo
    assert after.feed.updated == "2023-07-11T02:00:00Z" and after.feed.updated > before.feed.updated
