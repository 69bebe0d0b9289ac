"""`loa publish` and `loa run`: atomic incremental writes, withdrawal and expiry, pack revisions, never unapproved."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cli import main
from tests.publish_support import all_text, approve_all, publish_env, tree
from tests.review_support import ITEMS, Env, rss
from worker.demo.server import StaticServer
from worker.store import Store


def publish_json(env: Env, *args: str, now: str | None = None) -> dict[str, object]:
    extra = {"LOA_NOW": now} if now else {}
    result = CliRunner().invoke(
        main,
        ["publish", "--json", *args],
        env={"LOA_CONFIG": str(env.config), "LOA_NOW": "2023-07-10T08:00:00+07:00", **extra},
    )
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.output))


def ready(tmp_path: Path, site: tuple[Path, StaticServer]) -> tuple[Env, Path]:
    env = publish_env(tmp_path, site)
    approve_all(env)
    assert env.run("pack", "build").exit_code == 0
    return env, tmp_path / "out"


def test_publish_twice_changes_nothing(tmp_path: Path, site: tuple[Path, StaticServer]) -> None:
    env, out = ready(tmp_path, site)
    first = publish_json(env)
    assert first["removed"] == [] and len(first["written"]) > 10  # type: ignore[arg-type]
    before = tree(out)
    second = publish_json(env, now="2023-07-10T21:00:00+07:00")
    assert second["written"] == [] and second["removed"] == []
    assert tree(out) == before  # same bytes and the same mtimes
    assert not list(out.rglob("*.tmp"))
    # Two days on, only the print pages move on (they cover broadcast.print_days from today); nothing else.
    later = publish_json(env, now="2023-07-12T08:00:00+07:00")
    assert later["written"] and all(p.endswith("/index.html") and p.startswith("queues/") for p in later["written"])
    assert later["removed"] == []
    again = publish_json(env, now="2023-07-12T20:00:00+07:00")
    assert again["written"] == [] and again["removed"] == []


def test_dry_run_writes_nothing_and_out_redirects(tmp_path: Path, site: tuple[Path, StaticServer]) -> None:
    env, out = ready(tmp_path, site)
    dry = publish_json(env, "--dry-run")
    assert dry["dry_run"] and dry["written"] and not out.exists()
    assert json.loads(env.run("pack", "list", "--json").output)[0]["status"] == "draft"
    other = tmp_path / "elsewhere"
    publish_json(env, "--out", str(other))
    assert (other / "site" / "index.html").is_file() and (other / "feeds" / "phuong-ham-rong.xml").is_file()
    assert json.loads(env.run("pack", "list", "--json").output)[0]["status"] == "published"


def test_withdrawal_removes_the_item_everywhere_and_bumps_the_pack_revision(
    tmp_path: Path, site: tuple[Path, StaticServer]
) -> None:
    env, out = ready(tmp_path, site)
    publish_json(env)
    pack = json.loads(env.run("pack", "list", "--json").output)[0]
    assert (pack["status"], pack["revision"]) == ("published", 1)
    item_id = env.item_id("cb-2")
    untouched = tree(out)[f"site/items/{env.item_id('cb-3')}.html"]
    assert env.run("withdraw", item_id, "--reason", "Nguồn gỡ bài").exit_code == 0
    report = publish_json(env, now="2023-07-11T08:00:00+07:00")
    assert f"site/items/{item_id}.html" in report["removed"]  # type: ignore[operator]
    assert not (out / "site" / "items" / f"{item_id}.html").exists()
    assert item_id not in all_text(out)
    assert tree(out)[f"site/items/{env.item_id('cb-3')}.html"] == untouched  # unaffected page not rewritten
    pack = json.loads(env.run("pack", "list", "--json").output)[0]
    assert (pack["status"], pack["revision"]) == ("published", 2)
    assert "lần 2" in (out / "site" / "packs" / "so-1.html").read_text(encoding="utf-8")
    assert "1 tin của bản tin này đã được thu hồi" in (out / "site" / "packs" / "so-1.html").read_text(encoding="utf-8")


def test_expired_items_disappear_at_the_next_publish(tmp_path: Path, site: tuple[Path, StaticServer]) -> None:
    env = publish_env(tmp_path, site)
    approve_all(env)
    item_id = env.item_id("cb-3")
    store = env.store()
    store.db.execute("update items set expires_at = '2023-07-11T17:00:00Z' where id = ?", [item_id])
    store.close()
    assert env.run("pack", "build").exit_code == 0
    publish_json(env)
    assert (tmp_path / "out" / "site" / "items" / f"{item_id}.html").is_file()
    publish_json(env, now="2023-07-12T08:00:00+07:00")
    assert not (tmp_path / "out" / "site" / "items" / f"{item_id}.html").exists()
    assert item_id not in all_text(tmp_path / "out")


def test_a_source_change_after_approval_never_leaks(tmp_path: Path, site: tuple[Path, StaticServer]) -> None:
    env, out = ready(tmp_path, site)
    root, server = site
    changed = [(g, (t + " – BẢN CHƯA DUYỆT") if g == "cb-1" else t, s, d) for g, t, s, d in ITEMS]
    (root / "feed.xml").write_text(rss(changed, server.url), encoding="utf-8")
    assert env.run("sync", "--force").exit_code == 0
    assert env.row("cb-1")["needs_review"] == 1
    publish_json(env)
    text = all_text(out)
    assert "BẢN CHƯA DUYỆT" not in text and "giả danh công an gọi điện yêu cầu chuyển tiền" in text
    assert env.run("approve", env.item_id("cb-1")).exit_code == 0
    publish_json(env, now="2023-07-11T08:00:00+07:00")
    assert "BẢN CHƯA DUYỆT" in all_text(out)


def test_attachments_and_image_come_from_the_approved_revision(tmp_path: Path, site: tuple[Path, StaticServer]) -> None:
    env, out = ready(tmp_path, site)
    root, server = site
    publish_json(env)
    assert "/files/cb-1.pdf" in all_text(out)
    changed = [(g, (t + " – BẢN CHƯA DUYỆT") if g == "cb-1" else t, s, d) for g, t, s, d in ITEMS]
    feed = rss(changed, server.url).replace("/files/cb-1.pdf", "/files/cb-1-chua-duyet.pdf")
    (root / "feed.xml").write_text(feed, encoding="utf-8")
    assert env.run("sync", "--force").exit_code == 0
    assert "cb-1-chua-duyet.pdf" in json.dumps(env.row("cb-1")["attachments"])  # the live row moved on
    publish_json(env, now="2023-07-11T08:00:00+07:00")
    text = all_text(out)
    assert "cb-1-chua-duyet.pdf" not in text and "/files/cb-1.pdf" in text
    assert env.run("approve", env.item_id("cb-1")).exit_code == 0
    publish_json(env, now="2023-07-11T09:00:00+07:00")
    assert "cb-1-chua-duyet.pdf" in all_text(out)


def test_loa_run_syncs_builds_a_due_pack_and_publishes(tmp_path: Path, site: tuple[Path, StaticServer]) -> None:
    env = publish_env(tmp_path, site)
    config = env.config.read_text(encoding="utf-8") + 'packs: {auto: daily, at: "05:30"}\n'
    env.config.write_text(config, encoding="utf-8")
    runner = CliRunner()
    base = {"LOA_CONFIG": str(env.config)}
    first = runner.invoke(main, ["run", "--json"], env={**base, "LOA_NOW": "2023-07-10T06:00:00+07:00"})
    assert first.exit_code == 0, first.output
    assert json.loads(first.output)["pack"] is None  # nothing approved: no empty pack
    approve_all(env)
    second = json.loads(
        runner.invoke(main, ["run", "--json"], env={**base, "LOA_NOW": "2023-07-10T06:10:00+07:00"}).output
    )
    assert second["pack"]["auto"] and len(second["pack"]["stories"]) == 5 and second["pack"]["status"] == "draft"
    assert second["publish"]["packs"][0]["revision"] == 1
    third = json.loads(
        runner.invoke(main, ["run", "--json"], env={**base, "LOA_NOW": "2023-07-10T09:00:00+07:00"}).output
    )
    assert third["pack"] is None and third["publish"]["written"] == []  # not due again until tomorrow 05:30


def test_run_respects_the_sync_lock(tmp_path: Path, site: tuple[Path, StaticServer]) -> None:
    from worker.lock import RunLock

    env = publish_env(tmp_path, site)
    with RunLock(tmp_path / "loa.db", "sync"):
        result = CliRunner().invoke(main, ["run"], env={"LOA_CONFIG": str(env.config)})
    assert result.exit_code == 0 and "in progress" in result.output
    assert not (tmp_path / "out").exists()


# -- never unapproved ------------------------------------------------------------------------------

GUIDS = ("cb-1", "cb-2", "cb-3")
STEPS = st.one_of(
    st.tuples(st.sampled_from(["approve", "hold", "reject", "withdraw"]), st.sampled_from(GUIDS)),
    st.tuples(st.sampled_from(["undo", "pack", "publish", "change-source"]), st.just("")),
)


def referenced_items(out: Path) -> set[str]:
    text = all_text(out) if out.exists() else ""
    ids = set(re.findall(r"urn:loa:item:([0-9a-f]+)", text)) | set(re.findall(r"items/([0-9a-f]+)\.html", text))
    if (out / "site" / "items").exists():
        ids |= {p.stem for p in (out / "site" / "items").glob("*.html")}
    return ids


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(STEPS, min_size=1, max_size=7))
def test_no_order_of_commands_publishes_an_unapproved_item(
    tmp_path_factory: object, site: tuple[Path, StaticServer], steps: list[tuple[str, str]]
) -> None:
    root, server = site
    (root / "feed.xml").write_text(rss(ITEMS, server.url), encoding="utf-8")
    folder = Path(tmp_path_factory.mktemp("order"))  # type: ignore[attr-defined]
    env = publish_env(folder, site, items=ITEMS)
    ids = {guid: env.item_id(guid) for guid in GUIDS}
    for action, guid in [*steps, ("publish", "")]:
        if action in ("approve", "hold", "reject", "withdraw"):
            env.run(action, ids[guid], *(["--reason", "x"] if action in ("reject", "withdraw") else []))
        elif action == "undo":
            env.run("undo")
        elif action == "pack":
            env.run("pack", "build")
        elif action == "change-source":
            changed = [(g, t + " (sửa)", s, d) for g, t, s, d in ITEMS]
            (root / "feed.xml").write_text(rss(changed, server.url), encoding="utf-8")
            env.run("sync", "--force")
        else:
            assert env.run("publish").exit_code == 0
            store = Store.open(folder / "loa.db")
            try:
                approved = {r["id"]: r for r in store.approved_rows()}
                rows = {r["id"]: r for r in store.items()}
            finally:
                store.close()
            out = folder / "out"
            for item_id in referenced_items(out):
                assert item_id in approved, f"{item_id} is {rows[item_id]['status']} but published"
            text = all_text(out) if out.exists() else ""
            for item_id, row in rows.items():
                if row["needs_review"] and row["title"] != approved.get(item_id, {}).get("title"):
                    assert row["title"] not in text, "unreviewed source text leaked"
    shutil.rmtree(folder)
