"""The static site: pages, relative links, Open Graph, provenance, sanitised bodies, local media only, TikTok click-to-load."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from urllib.parse import urljoin

from tests.publish_support import all_text, approve_all, publish_env
from tests.review_support import Env
from worker.demo.server import StaticServer

REMOTE = "https://cdn.example.com/anh/canh-bao.png"
MISSING = "https://tracker.example.net/pixel.gif"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000") + b"\x00" * 20


def tamper(env: Env, guid: str, **columns: object) -> str:
    """Change stored columns directly, as a future adapter (or a sanitiser bug) might leave them."""
    item_id = env.item_id(guid)
    store = env.store()
    try:
        for table in ("items", "approved_revisions"):
            cols = {k: v for k, v in columns.items() if k in {c.name for c in store.db.table(table).columns}}
            if cols:
                key = "id" if table == "items" else "item_id"
                sets = ", ".join(f"{k} = ?" for k in cols)
                store.db.execute(f"update {table} set {sets} where {key} = ?", [*cols.values(), item_id])
    finally:
        store.close()
    return item_id


def build_site(tmp_path: Path, site: tuple[Path, StaticServer], *, media_table: bool) -> tuple[Env, Path]:
    env = publish_env(tmp_path, site)
    approve_all(env)
    body = f'<p>Ảnh minh hoạ:</p><img src="{REMOTE}" alt="minh hoạ"><img src="{MISSING}"><script>window.__pwned=1</script><p onclick="x()">Hết.</p>'
    tamper(env, "cb-2", body_html=body, image=REMOTE)
    tamper(
        env,
        "cb-3",
        kind="video",
        extra=json.dumps({"player_url": "https://www.tiktok.com/player/v1/7250000000000000001"}),
    )
    if media_table:
        sha = hashlib.sha256(PNG).hexdigest()
        store = env.store()
        store.db.table("media").insert(
            {
                "item_id": env.item_id("cb-2"),
                "url": REMOTE,
                "role": "image",
                "sha256": sha,
                "bytes": len(PNG),
                "content_type": "image/png",
                "path": f"{sha[:2]}/{sha}.png",
                "status": "ok",
            }
        )
        store.close()
        stored = tmp_path / "data" / "media" / sha[:2] / f"{sha}.png"
        stored.parent.mkdir(parents=True)
        stored.write_bytes(PNG)
    assert env.run("pack", "build").exit_code == 0
    result = env.run("publish")
    assert result.exit_code == 0, result.output
    return env, tmp_path / "out" / "site"


def test_pages_exist_and_every_link_is_relative_and_resolves(tmp_path: Path, site: tuple[Path, StaticServer]) -> None:
    _env, out = build_site(tmp_path, site, media_table=False)
    pages = sorted(out.rglob("*.html"))
    names = {str(p.relative_to(out)) for p in pages}
    assert {
        "index.html",
        "archive.html",
        "packs/so-1.html",
        "topics/index.html",
        "topics/gia-danh-cong-an.html",
    } <= names
    assert len([n for n in names if n.startswith("items/")]) == 5
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert html.startswith("<!doctype html>") and '<html lang="vi">' in html
        assert 'property="og:title"' in html and 'property="og:url" content="https://example.gov.vn/canh-bao/' in html
        for href in re.findall(r'(?:href|src)="([^"]+)"', html):
            if href.startswith(("http://", "https://", "#")):
                continue
            assert not href.startswith("/"), f"{page}: absolute path {href}"
            target = Path(urljoin(f"file://{page}", href).removeprefix("file://"))
            assert target.is_file(), f"{page.relative_to(out)} links to missing {href}"


def test_provenance_and_vietnamese_text(tmp_path: Path, site: tuple[Path, StaticServer]) -> None:
    env, out = build_site(tmp_path, site, media_table=False)
    page = (out / "items" / f"{env.item_id('cb-1')}.html").read_text(encoding="utf-8")
    for text in ("Cơ quan phát hành", "Bài gốc", "Ngày đăng", "Ngày duyệt", "/bai/cb-1.html", "Khẩn cấp", "03/07/2023"):
        assert text in page
    assert "Bản tin phòng chống lừa đảo trực tuyến số 1" in (out / "index.html").read_text(encoding="utf-8")


def test_hostile_html_and_remote_images_never_reach_a_page(tmp_path: Path, site: tuple[Path, StaticServer]) -> None:
    env, out = build_site(tmp_path, site, media_table=False)
    text = all_text(out)
    assert "<script" not in text and "onerror" not in text and "onclick" not in text and "__pwned" not in text
    assert REMOTE not in text and MISSING not in text  # no media table: remote images are left out, not hotlinked
    page = (out / "items" / f"{env.item_id('cb-2')}.html").read_text(encoding="utf-8")
    assert "Ảnh minh hoạ:" in page and "Hết." in page


def test_images_come_from_the_local_media_store(tmp_path: Path, site: tuple[Path, StaticServer]) -> None:
    env, out = build_site(tmp_path, site, media_table=True)
    sha = hashlib.sha256(PNG).hexdigest()
    assert (out / "media" / f"{sha}.png").read_bytes() == PNG
    page = (out / "items" / f"{env.item_id('cb-2')}.html").read_text(encoding="utf-8")
    assert f'src="../media/{sha}.png"' in page and REMOTE not in page and MISSING not in page
    assert f'content="https://example.gov.vn/canh-bao/media/{sha}.png"' in page  # og:image


def test_tiktok_player_loads_only_on_its_own_page(tmp_path: Path, site: tuple[Path, StaticServer]) -> None:
    env, out = build_site(tmp_path, site, media_table=False)
    item_id = env.item_id("cb-3")
    page = (out / "items" / f"{item_id}.html").read_text(encoding="utf-8")
    assert "<iframe" not in page and f"../watch/{item_id}.html" in page
    watch = (out / "watch" / f"{item_id}.html").read_text(encoding="utf-8")
    assert 'src="https://www.tiktok.com/player/v1/7250000000000000001"' in watch
    for html in (page, watch):
        assert "<script" not in html and "script-src" not in html and "default-src 'none'" in html
