"""TikTok sources through a local stand-in for tiktok.com and RSSHub, built from tests/fixtures/tiktok."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, write_config
from tests.test_pipeline import NOW, run
from worker.config import load_config
from worker.demo.server import StaticServer
from worker.errors import ConfigError
from worker.models import ItemKind, RunStatus
from worker.sources.tiktok import hashtags, time_from_id

TT = FIXTURES / "tiktok"
USER = "congkgmqg"
IDS = ("7675326083732273840", "7673711696138597212", "7671957346370357962")
# A few bytes that are a JPEG by their magic number: enough for the media checks.
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"thumbnail" * 20


def embed_list() -> list[dict[str, str]]:
    html = (TT / "tiktok_embed_profile.html").read_text(encoding="utf-8")
    state = json.loads(re.search(r'type="application/json">(.*?)</script>', html, re.S).group(1))  # type: ignore[union-attr]
    return list(state["source"]["data"][f"/embed/@{USER}"]["videoList"])


def tiktok_site(root: Path, base: str, *, ids: tuple[str, ...] = IDS) -> None:
    """Serve the embed page, one oEmbed answer and thumbnail per video, and one video embed page."""
    (root / f"embed/@{USER}").mkdir(parents=True)
    profile = (TT / "tiktok_embed_profile.html").read_text(encoding="utf-8")
    (root / f"embed/@{USER}/index.html").write_text(profile, encoding="utf-8")
    oembed = json.loads((TT / "tiktok_oembed_video.json").read_text(encoding="utf-8"))
    (root / "oembed").mkdir()
    (root / "thumbs").mkdir()
    for video in embed_list():
        if video["id"] not in ids:
            continue
        answer = dict(oembed, title=video["desc"], embed_product_id=video["id"])
        answer["thumbnail_url"] = f"{base}/thumbs/{video['id']}.jpeg?x-expires=1787133600&x-signature=abc"
        (root / "oembed" / f"{video['id']}.json").write_text(json.dumps(answer, ensure_ascii=False), encoding="utf-8")
        (root / "thumbs" / f"{video['id']}.jpeg").write_bytes(JPEG)
    (root / f"embed/v2/{IDS[2]}").mkdir(parents=True)
    (root / f"embed/v2/{IDS[2]}/index.html").write_bytes((TT / "tiktok_embed_v2_video.html").read_bytes())


def tiktok_source(base: str, via: str = "embed", extra: str = "") -> str:
    rsshub = f', rsshub: "{base}/rsshub"' if via == "rsshub" else ""
    return f"""\
- id: tiktok-congkgmqg
  kind: tiktok
  tiktok: {{user: "@{USER}", via: {via}, base_url: "{base}"{rsshub}}}
{extra}"""


def test_embed_mode_reads_captions_dates_thumbnails(site: tuple[Path, StaticServer], tmp_path: Path) -> None:
    root, server = site
    tiktok_site(root, server.url)
    config_path = write_config(tmp_path, tiktok_source(server.url))
    report, store = run(config_path)
    [result] = report.results
    assert result.status is RunStatus.OK and result.new == 3, result.error
    rows = {r["extra"]["video_id"]: r for r in store.items()}
    assert set(rows) == set(IDS)
    row = rows[IDS[0]]
    caption = embed_list()[0]["desc"]
    assert row["kind"] == ItemKind.VIDEO.value
    assert row["title"] == caption and row["body_text"] == caption
    # The canonical link is the public one even though everything was read from 127.0.0.1.
    assert row["url"] == f"https://www.tiktok.com/@{USER}/video/{IDS[0]}"
    assert row["extra"]["player_url"] == f"https://www.tiktok.com/player/v1/{IDS[0]}"
    assert "embed.js" in row["extra"]["embed_html"]
    assert row["tags"] == ["canhbaoluadao", "khonggianmang", "antoanthongtin"]
    # createTime from the video embed page where it exists, the id's upper bits elsewhere.
    assert rows[IDS[2]]["published_at"] == "2026-08-09T09:12:50Z"
    assert rows[IDS[0]]["published_at"] == datetime.fromtimestamp(int(IDS[0]) >> 32, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    media = store.item_media(row["id"])
    assert [(m["role"], m["status"], m["content_type"]) for m in media] == [("thumbnail", "ok", "image/jpeg")]
    config = load_config(config_path)
    assert (config.media_path / media[0]["path"]).read_bytes() == JPEG
    # Same thumbnail bytes for all three videos: one file on disk.
    assert len(list(config.media_path.rglob("*.jpg"))) == 1

    # A new video appears: only its oEmbed is asked for.
    server.paths.clear()
    profile = root / f"embed/@{USER}/index.html"
    profile.write_text(profile.read_text(encoding="utf-8").replace(IDS[0], "7676000000000000001"), encoding="utf-8")
    oembed = json.loads((root / "oembed" / f"{IDS[0]}.json").read_text(encoding="utf-8"))
    (root / "oembed/7676000000000000001.json").write_text(json.dumps(dict(oembed, title="Video mới #moi")), "utf-8")
    report, store = run(config_path, NOW.replace(hour=11), force=True)
    assert report.results[0].new == 1
    assert [p for p in server.paths if p.startswith("/oembed")] == [
        f"/oembed?url={server.url}/@{USER}/video/7676000000000000001"
    ]


def test_rsshub_mode_refetches_full_caption_and_reads_iframe_variant(
    site: tuple[Path, StaticServer], tmp_path: Path
) -> None:
    root, server = site
    tiktok_site(root, server.url)
    feed = (TT / "rsshub_tiktok_user.xml").read_text(encoding="utf-8")
    # The iframe variant (RSSHub's iframe=true): the video id only in the iframe src.
    feed = feed.replace(
        f"<link>https://www.tiktok.com/@{USER}/video/{IDS[1]}</link>", f"<link>https://www.tiktok.com/@{USER}</link>"
    ).replace(f'<guid isPermaLink="false">https://www.tiktok.com/@{USER}/video/{IDS[1]}</guid>', "")
    start = feed.index("<description>&lt;video", feed.index(IDS[0]) + 200)
    end = feed.index("</description>", start)
    feed = (
        feed[:start]
        + f'<description>&lt;iframe src="https://www.tiktok.com/embed/{IDS[1]}" width="325"&gt;&lt;/iframe&gt;'
        + feed[end:]
    )
    (root / f"rsshub/tiktok/user/@{USER}").mkdir(parents=True)
    (root / f"rsshub/tiktok/user/@{USER}/index.html").write_text(feed, encoding="utf-8")
    report, store = run(write_config(tmp_path, tiktok_source(server.url, via="rsshub")))
    [result] = report.results
    assert result.status is RunStatus.OK and result.new == 3, result.error
    rows = {r["extra"]["video_id"]: r for r in store.items()}
    assert set(rows) == set(IDS)
    # RSSHub cut the caption at "..."; oEmbed gave the whole of it.
    assert rows[IDS[0]]["title"] == embed_list()[0]["desc"] and "..." not in rows[IDS[0]]["title"]
    assert rows[IDS[1]]["url"] == f"https://www.tiktok.com/@{USER}/video/{IDS[1]}"
    assert rows[IDS[0]]["published_at"] == "2026-08-18T11:05:15Z"
    assert all(r["extra"]["via"] == "rsshub" for r in rows.values())


@pytest.mark.parametrize(
    "page",
    [
        "<html><head><title>Security Check</title></head><body>Verifying you are human</body></html>",
        "",
        '<html><body><script id="__FRONTITY_CONNECT_STATE__" type="application/json">{"source":{"data":{}}}</script></body></html>',
    ],
)
def test_challenge_or_empty_page_is_blocked_not_zero_videos(
    site: tuple[Path, StaticServer], tmp_path: Path, page: str
) -> None:
    root, server = site
    tiktok_site(root, server.url)
    (root / f"embed/@{USER}/index.html").write_text(page, encoding="utf-8")
    report, store = run(write_config(tmp_path, tiktok_source(server.url)))
    [result] = report.results
    assert result.status is RunStatus.ERROR and result.error_kind == "blocked"
    assert "blocked by TikTok" in str(result.error) and "not the same as no new videos" in str(result.error)
    assert result.health.value == "broken" and "rsshub" in result.health_action
    assert store.count_items() == 0


def test_oembed_error_object_is_reported_with_its_message(site: tuple[Path, StaticServer], tmp_path: Path) -> None:
    root, server = site
    tiktok_site(root, server.url)
    error = (TT / "tiktok_oembed_error.json").read_bytes()
    (root / "oembed" / f"{IDS[1]}.json").write_bytes(error)
    config = write_config(tmp_path, tiktok_source(server.url))
    report, store = run(config)
    [result] = report.results
    assert result.status is RunStatus.OK and result.new == 2
    [warning] = result.extra["warnings"]
    assert "Something went wrong" in warning and "code 400" in warning and IDS[1] in warning

    # Next run: the only unseen video still fails, so the source reports TikTok's message as its error.
    report, store = run(config, NOW.replace(hour=11), force=True)
    [result] = report.results
    assert result.status is RunStatus.ERROR and "Something went wrong" in str(result.error)
    assert store.count_items() == 2


def test_tiktok_config() -> None:
    from worker.config import parse_config

    base = "sources:\n  - {id: tt, kind: tiktok, tiktok: {user: '@congkgmqg'}}\n"
    config = parse_config(base, Path("/tmp/x/sources.yaml"))
    [source] = config.sources
    assert source.url == "https://www.tiktok.com/embed/@congkgmqg" and source.tiktok is not None
    assert source.tiktok.user == "congkgmqg" and source.tiktok.via == "embed"
    with pytest.raises(ConfigError, match=r"sources\[0\]\.tiktok\.rsshub"):
        parse_config(base.replace("'@congkgmqg'", "'@congkgmqg', via: rsshub"), Path("/tmp/x/sources.yaml"))
    with pytest.raises(ConfigError, match=r"sources\[0\]\.tiktok\.via"):
        parse_config(base.replace("'@congkgmqg'", "'@congkgmqg', via: scrape"), Path("/tmp/x/sources.yaml"))
    with pytest.raises(ConfigError, match=r"sources\[0\]\.tiktok"):
        parse_config("sources:\n  - {id: tt, kind: tiktok}\n", Path("/tmp/x/sources.yaml"))


def test_helpers() -> None:
    assert time_from_id(IDS[2]) == datetime.fromtimestamp(1786266767, UTC)
    assert hashtags("Gặp là chặn! #luadaotructuyen #nganhang, #luadaotructuyen") == ("luadaotructuyen", "nganhang")
