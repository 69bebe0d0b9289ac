"""Media and attachments: downloaded at sync, checked by magic bytes, stored once by content, retried."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import write_config
from tests.test_cli import loa
from tests.test_pipeline import NOW, run
from worker.config import load_config
from worker.demo.server import StaticServer
from worker.errors import MediaError
from worker.media import check_body, filename_of, sniff
from worker.store import Store

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40


def feed(base: str, items: list[tuple[str, str, str]], host: str = "https://chongluadao.vn") -> str:
    """RSS items (slug, title, enclosure path) whose enclosures are served by the test site."""
    entries = "".join(
        f"""<item><title>{title}</title><link>{host}/blog/{slug}/</link><guid>{host}/?p={i}</guid>
        <pubDate>Mon, 03 Jul 2023 02:15:00 +0000</pubDate><description>Tài liệu tuyên truyền.</description>
        <enclosure url="{base}{path}" type="{"image/png" if path.endswith(".png") else "application/pdf"}" length="1"/></item>"""
        for i, (slug, title, path) in enumerate(items)
    )
    return f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>T</title><link>{host}/</link><description>d</description>{entries}</channel></rss>'


SOURCE = """\
- id: cld
  kind: feed
  url: "{url}"
  max_bytes: 2KB
{extra}"""


def test_attachments_downloaded_deduped_capped_and_type_checked(
    site: tuple[Path, StaticServer], tmp_path: Path
) -> None:
    root, server = site
    (root / "files").mkdir()
    (root / "files/cam-nang.pdf").write_bytes(PDF)
    (root / "files/ban-sao-cam-nang.pdf").write_bytes(PDF)  # the same file under a second URL
    (root / "files/loi.pdf").write_text("<!DOCTYPE html><html><body>Đăng nhập</body></html>", encoding="utf-8")
    (root / "files/qua-lon.pdf").write_bytes(PDF + b"0" * 4096)
    (root / "files/infographic.png").write_bytes(PNG)
    items = [
        ("cam-nang", "Cẩm nang nhận diện lừa đảo", "/files/cam-nang.pdf"),
        ("ban-sao", "Cẩm nang (bản sao)", "/files/ban-sao-cam-nang.pdf"),
        ("loi", "Tài liệu lỗi", "/files/loi.pdf"),
        ("lon", "Tài liệu quá lớn", "/files/qua-lon.pdf"),
        ("anh", "Infographic 3 việc cần làm", "/files/infographic.png"),
    ]
    (root / "feed.xml").write_text(feed(server.url, items), encoding="utf-8")
    config_path = write_config(tmp_path, SOURCE.format(url=server.url + "/feed.xml", extra=""))
    report, store = run(config_path)
    [result] = report.results
    # Failed downloads never block their items.
    assert result.new == 5 and result.extra["media"] == {"downloaded": 3, "failed": 2}
    rows = {r["url"].rsplit("/", 2)[-2]: r for r in store.items()}
    assert rows["cam-nang"]["kind"] == "document" and rows["anh"]["kind"] == "infographic"
    media = {slug: store.item_media(row["id"]) for slug, row in rows.items()}
    one, copy = media["cam-nang"][0], media["ban-sao"][0]
    assert one["status"] == copy["status"] == "ok" and one["sha256"] == copy["sha256"] and one["path"] == copy["path"]
    assert one["role"] == "attachment" and one["filename"] == "cam-nang.pdf" and one["bytes"] == len(PDF)
    media_root = load_config(config_path).media_path
    assert one["path"] == f"{one['sha256'][:2]}/{one['sha256']}.pdf"
    assert [p.name for p in media_root.rglob("*.pdf")] == [f"{one['sha256']}.pdf"]
    assert not list(media_root.rglob(".tmp-*"))
    wrong = media["loi"][0]
    assert wrong["status"] == "failed" and wrong["attempts"] == 1
    assert "expected to be a PDF (by its extension) but the server sent HTML" in wrong["error"]
    big = media["lon"][0]
    assert big["status"] == "failed" and "cap" in big["error"]
    assert media["anh"][0]["role"] == "image" and media["anh"][0]["content_type"] == "image/png"

    # The next sync retries the failures (even though the feed itself answers 304).
    (root / "files/loi.pdf").write_bytes(PDF.replace(b"1 0", b"2 0"))
    report, store = run(config_path, NOW + timedelta(hours=1))
    assert report.results[0].status.value == "not_modified"
    assert report.results[0].extra["media"] == {"downloaded": 1, "failed": 1}
    fixed = store.item_media(rows["loi"]["id"])[0]
    assert fixed["status"] == "ok" and fixed["attempts"] == 2 and fixed["error"] is None


def test_check_body_by_magic_bytes() -> None:
    assert sniff(PDF) == "pdf" and sniff(PNG) == "png" and sniff(b"\xff\xd8\xff\xe0") == "jpg"
    assert check_body("https://x.vn/a.jpg", "image", "image/jpeg", PNG) == "png"  # a mislabelled image is fine
    assert check_body("https://cdn.x/obj/abc?sig=1", "thumbnail", "", b"\xff\xd8\xff\xe0rest") == "jpg"
    with pytest.raises(MediaError, match="expected to be a PDF"):
        check_body("https://x.vn/a.pdf", "attachment", "application/pdf", PNG)
    with pytest.raises(MediaError, match="unsupported"):
        check_body("https://x.vn/a", "attachment", "", b"MZ\x90\x00")
    with pytest.raises(MediaError, match="used as an image"):
        check_body("https://x.vn/a", "image", "", PDF)


def test_allowed_domains_flags_off_domain_items_and_attachments(
    site: tuple[Path, StaticServer], tmp_path: Path
) -> None:
    root, server = site
    (root / "files").mkdir()
    (root / "files/cam-nang.pdf").write_bytes(PDF)
    items = [("cam-nang", "Cẩm nang nhận diện lừa đảo", "/files/cam-nang.pdf")]
    body = feed(server.url, items)
    body = body.replace(
        "</channel>", "<item><title>Tin lạ</title><link>https://lua-dao.example/tin</link></item></channel>"
    )
    (root / "feed.xml").write_text(body, encoding="utf-8")
    config = write_config(
        tmp_path, SOURCE.format(url=server.url + "/feed.xml", extra="  allowed_domains: [chongluadao.vn]\n")
    )
    loa("sync", config=config, check=True)
    listed = {i["title"]: i for i in json.loads(loa("items", "list", "--json", config=config, check=True).stdout)}
    doc, odd = listed["Cẩm nang nhận diện lừa đảo"], listed["Tin lạ"]
    assert odd["off_domain"] == ["https://lua-dao.example/tin"]
    assert doc["off_domain"] == [server.url + "/files/cam-nang.pdf"]
    shown = json.loads(loa("items", "show", doc["id"], "--json", config=config, check=True).stdout)
    [attachment] = shown["media"]
    # Not silently accepted: recorded, flagged, never fetched.
    assert attachment["status"] == "off-domain" and attachment["off_domain"] is True
    assert not any(p.startswith("/files/") for p in server.paths)
    text = loa("items", "show", doc["id"], config=config, check=True).stdout
    assert "OFF-DOMAIN" in text and "cam-nang.pdf" in text


def test_media_commands_list_retry_and_prune(site: tuple[Path, StaticServer], tmp_path: Path) -> None:
    root, server = site
    (root / "files").mkdir()
    (root / "files/cam-nang.pdf").write_bytes(PDF)
    (root / "files/loi.pdf").write_text("<html><body>Bảo trì</body></html>", encoding="utf-8")
    items = [
        ("cam-nang", "Cẩm nang nhận diện lừa đảo", "/files/cam-nang.pdf"),
        ("loi", "Tài liệu lỗi", "/files/loi.pdf"),
    ]
    (root / "feed.xml").write_text(feed(server.url, items), encoding="utf-8")
    config = write_config(tmp_path, SOURCE.format(url=server.url + "/feed.xml", extra=""))
    loa("sync", config=config, check=True)
    listed = json.loads(loa("media", "list", "--json", config=config, check=True).stdout)
    assert listed["summary"] == {"ok": {"files": 1, "bytes": len(PDF)}, "failed": {"files": 1, "bytes": 0}}
    [failed] = json.loads(loa("media", "list", "--status", "failed", "--json", config=config, check=True).stdout)[
        "media"
    ]
    assert failed["source"] == "cld" and "HTML" in failed["error"]
    text = loa("media", "list", config=config, check=True).stdout
    assert "failed: 1" in text and f"#{failed['id']} {failed['url']}:" in text

    # Give up on it (attempts used up), fix the file, reopen it: the next sync fetches it.
    store = Store.open(tmp_path / "loa.db")
    store.db.execute("update media set attempts = 5 where id = ?", [failed["id"]])
    store.close()
    (root / "files/loi.pdf").write_bytes(PDF.replace(b"1 0", b"2 0"))
    reopened = json.loads(loa("media", "retry", "--json", config=config, check=True).stdout)
    assert reopened == {"reopened": [failed["id"]], "not_failed": []}
    assert "not failed" in loa("media", "retry", str(failed["id"]), config=config, check=True).stderr
    loa("sync", "--force", config=config, check=True)
    listed = json.loads(loa("media", "list", "--json", config=config, check=True).stdout)
    assert set(listed["summary"]) == {"ok"} and listed["summary"]["ok"]["files"] == 2

    # Prune: only files no row points at, and temp files of a killed download.
    media_root = load_config(config).media_path
    kept = sorted(str(p.relative_to(media_root)) for p in media_root.rglob("*.pdf"))
    (media_root / "ab").mkdir(exist_ok=True)
    (media_root / "ab/abc123.png").write_bytes(PNG)
    (media_root / "ab/.tmp-x1y2").write_bytes(b"half")
    (media_root / "ab/ghi-chu.txt").write_text("của quản trị viên", encoding="utf-8")
    dry = json.loads(loa("media", "prune", "--dry-run", "--json", config=config, check=True).stdout)
    assert dry == {"dry_run": True, "removed": ["ab/.tmp-x1y2", "ab/abc123.png"], "bytes": len(PNG) + 4}
    assert (media_root / "ab/abc123.png").exists()
    assert "2 file(s)" in loa("media", "prune", config=config, check=True).stdout
    assert sorted(str(p.relative_to(media_root)) for p in media_root.rglob("*.pdf")) == kept
    assert sorted(p.name for p in (media_root / "ab").iterdir()) == ["ghi-chu.txt"]


def test_alerts_command_lists_recorded_alerts(site: tuple[Path, StaticServer], tmp_path: Path) -> None:
    feed_config = write_config(tmp_path, SOURCE.format(url=site[1].url + "/feed.xml", extra=""))
    assert "no alerts" in loa("alerts", config=feed_config, check=True).stdout
    store = Store.open(tmp_path / "loa.db")
    alert = {"source": "cld", "at": "2023-07-10T01:00:00Z", "from": "healthy", "to": "broken"}
    store.record_alert(
        {**alert, "reason": "selector matched nothing", "action": "fix the selector"}, status="sent", detail=""
    )
    store.close()
    [row] = json.loads(loa("alerts", "--json", config=feed_config, check=True).stdout)
    assert (row["source_id"], row["to_health"], row["status"]) == ("cld", "broken", "sent")
    assert "healthy → broken" in loa("alerts", "--source", "cld", config=feed_config, check=True).stdout


@given(st.lists(st.sampled_from(["", ".", "..", "a", "ảnh.jpg", "%C3%A1.png", "x y.pdf"]), max_size=5), st.booleans())
def test_filename_is_the_url_paths_last_name_as_pathlib_reads_it(parts: list[str], trailing: bool) -> None:
    path = "/" + "/".join(parts) + ("/" if trailing else "")
    expected = unquote(PurePosixPath(path).name)
    assert filename_of(f"https://khonggianmang.vn{path}?v=1") == expected


@given(
    st.sampled_from(["http://", "https://", "HTTP://", "https:", "http:///", "//", "ftp://", " http://"]),
    st.lists(st.sampled_from([*"aĐ./?#%:@[]\t\n \\;", "/uploads/", "canh-bao.jpg", "%20", ".."]), max_size=9).map(
        "".join
    ),
)
def test_filename_is_the_last_segment_of_the_path_urlsplit_finds(prefix: str, rest: str) -> None:
    url = prefix + rest
    try:
        path = urlsplit(url).path
    except ValueError:  # "http://[": not a URL
        with pytest.raises(ValueError):
            filename_of(url)
        return
    assert filename_of(url) == unquote(PurePosixPath(path).name)
