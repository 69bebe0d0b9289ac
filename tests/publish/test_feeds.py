"""Site and ward feeds: parsed back by feedparser without bozo, JSON Feed 1.1 keys, filters, stable ids, `updated`."""

from __future__ import annotations

import json
from pathlib import Path

import feedparser
import pytest

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


@pytest.mark.parametrize("feeds_url", ["", "https://example.gov.vn/x/feeds"])
def test_ward_feeds_filled_from_a_shared_render_equal_full_renders(feeds_url: str) -> None:
    """Wards sharing a filter get the filter's feeds rendered once with their own fields filled in, byte for byte."""
    from datetime import UTC, datetime

    from worker.models import Priority
    from worker.publish.feeds import _ward_pair, _WardTemplate, render_ward_feeds
    from worker.publish.model import PublishedItem, PublishedPack, Snapshot
    from worker.publish_config import SiteSettings
    from worker.wards import parse_wards

    now = datetime(2023, 7, 10, 1, 0, tzinfo=UTC)
    items = tuple(
        PublishedItem(
            id=f"i{n}",
            story_id=f"s{n}",
            source_id="src",
            source_name="Nguồn & <Báo>",
            agency="",
            kind="warning",
            url=f"https://example.vn/{n}?a=1&b=2",
            title=f'Cảnh báo "số {n}" <khẩn> & mới',
            summary="Không chuyển tiền cho người lạ.",
            body_html="<p>Chi tiết &amp; hướng dẫn.</p>",
            published_at=now,
            approved_at=now,
            revision=1,
            priority=Priority.URGENT if n == 1 else Priority.NORMAL,
            topics=("gia-danh-cong-an",) if n % 2 else (),
        )
        for n in range(1, 5)
    )
    wards = parse_wards(
        [
            {"id": "xa-a", "name": "Xã A & B", "kind": "xa", "slots": ["06:00/15m"]},
            {"id": "xa-b", "name": 'Xã "Bờ" <Sông>', "kind": "xa"},
            {
                "id": "phuong-c",
                "name": "Phường Điện Biên",
                "kind": "phuong",
                "quiet_days": ["sunday"],
                "slots": ["06:00/15m"],
            },
            {"id": "xa-d", "name": "Xã D", "kind": "xa", "topics": ["gia-danh-cong-an"]},
            {"id": "xa-e", "name": "Xã Ê", "kind": "xa", "topics": ["gia-danh-cong-an"]},
        ]
    )
    snapshot = Snapshot(
        site=SiteSettings(title="Cảnh báo & tin <thử>", base_url="https://example.gov.vn/x", feeds_url=feeds_url),
        packs=(PublishedPack(1, 1, "Số 1 & 2", 1, now, now, items),),
        wards=wards,
    )
    out = render_ward_feeds(snapshot, now=now, previous={}, existing=set())
    for ward in wards:
        chosen = [
            i for i in sorted(items, key=lambda i: (i.published_at, i.id), reverse=True) if ward.wants(i.topics, i.kind)
        ]
        xml, document = _ward_pair(ward, snapshot, chosen, out.states[f"ward:{ward.id}"].updated)
        assert out.files[f"feeds/{ward.id}.xml"] == xml, ward.id
        assert out.files[f"feeds/{ward.id}.json"] == document, ward.id
        # The shared render itself fills in to the same bytes (publish falls back to full renders otherwise).
        updated = out.states[f"ward:{ward.id}"].updated
        assert _WardTemplate.build(snapshot, chosen).fill(ward, snapshot, updated) == (xml, document)
        parsed = feedparser.parse(xml)
        assert parsed.feed.title.endswith(ward.name)
        selves = [link.href for link in parsed.feed.links if link.rel == "self"]
        assert selves == ([f"{feeds_url}/{ward.id}.xml"] if feeds_url else [])
        assert json.loads(document).get("feed_url") == (f"{feeds_url}/{ward.id}.json" if feeds_url else None)


def test_feeds_carry_the_newest_feed_entries_items(tmp_path: Path, site: tuple[Path, StaticServer]) -> None:
    env, out = published(tmp_path, site)
    everything = feedparser.parse((out / "site/atom.xml").read_bytes())
    newest = [e.id for e in everything.entries[:2]]
    assert len(everything.entries) == 5
    config = env.config  # type: ignore[attr-defined]
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("site: {", "site: {feed_entries: 2, ", 1), encoding="utf-8")
    assert env.run("publish", "--json").exit_code == 0  # type: ignore[attr-defined]
    for path in ("site/atom.xml", "feeds/phuong-ham-rong.xml"):
        parsed = feedparser.parse((out / path).read_bytes())
        assert not parsed.bozo and [e.id for e in parsed.entries] == newest
    document = json.loads((out / "feeds/phuong-ham-rong.json").read_text(encoding="utf-8"))
    assert [i["id"] for i in document["items"]] == newest
    # The pages keep every item: only the feeds are a window.
    assert len(list((out / "site/items").glob("*.html"))) == 5
    config.write_text(text.replace("site: {", "site: {feed_entries: 0, ", 1), encoding="utf-8")
    refused = env.run("publish")  # type: ignore[attr-defined]
    assert refused.exit_code == 2 and "site.feed_entries" in refused.output


def test_ward_feeds_link_to_themselves_where_site_feeds_url_serves_them(
    tmp_path: Path, site: tuple[Path, StaticServer]
) -> None:
    env = publish_env(tmp_path, site)
    text = env.config.read_text(encoding="utf-8")
    served = "https://example.gov.vn/canh-bao-feeds"
    env.config.write_text(
        text.replace(
            'base_url: "https://example.gov.vn/canh-bao"}',
            f'base_url: "https://example.gov.vn/canh-bao", feeds_url: "{served}/"}}',
        ),
        "utf-8",
    )
    approve_all(env)
    assert env.run("pack", "build").exit_code == 0
    assert env.run("publish").exit_code == 0
    out = tmp_path / "out"
    for ward in ("phuong-dien-bien", "phuong-ham-rong", "xa-hoang-dai"):
        parsed = feedparser.parse((out / f"feeds/{ward}.xml").read_bytes())
        assert not parsed.bozo, parsed.get("bozo_exception")
        assert [(link.href, link.type) for link in parsed.feed.links if link.rel == "self"] == [
            (f"{served}/{ward}.xml", "application/atom+xml")
        ]
        document = json.loads((out / f"feeds/{ward}.json").read_text(encoding="utf-8"))
        assert document["feed_url"] == f"{served}/{ward}.json"
