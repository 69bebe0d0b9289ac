"""Review commands end to end: rules at sync, approve/reject/hold/withdraw/undo, bulk selection, stories, audit."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import write_config
from tests.review_support import ITEMS, RULES, SOURCES, Env, rss, synced_env
from worker.demo.server import StaticServer
from worker.lock import RunLock

Site = tuple[Path, StaticServer]


def statuses(env: Env) -> dict[str, str]:
    return {guid: env.row(guid)["status"] for guid, *_ in ITEMS}


def test_rules_and_topics_decide_at_sync_with_audit(tmp_path: Path, site: Site) -> None:
    env = synced_env(tmp_path, site)
    assert statuses(env) == {"cb-1": "new", "cb-2": "new", "cb-3": "new", "cb-4": "rejected", "cb-5": "held"}
    assert env.row("cb-1")["priority"] == "khan-cap"
    assert env.row("cb-1")["topics"] == ["gia-danh-cong-an"]
    assert env.row("cb-3")["topics"] == ["viec-lam-online"]
    assert env.row("cb-4")["review_note"] == "Quảng cáo, không phải cảnh báo"
    fired = {(r["item_id"], r["rule_id"], r["action"], r["from_status"], r["to_status"]) for r in env.audit()}
    assert (env.item_id("cb-4"), "quang-cao", "reject", "new", "rejected") in fired
    assert (env.item_id("cb-5"), "rules[1]", "hold", "new", "held") in fired
    assert (env.item_id("cb-1"), "khan-cap-cong-an", "priority", "new", "new") in fired
    assert (env.item_id("cb-2"), "topics.dau-tu-tai-chinh", "tag", "new", "new") in fired
    assert all(r["reviewer"] == "rules" for r in env.audit())
    # A second sync of the same feed decides nothing again.
    assert env.run("sync", "--force", "--json").exit_code == 0
    assert len(env.audit()) == 6


def test_approve_with_options_snapshots_the_revision(tmp_path: Path, site: Site) -> None:
    env = synced_env(tmp_path, site)
    item = env.item_id("cb-2")
    data = env.json(
        "approve",
        item[:8],
        "--note",
        "Đã kiểm tra",
        "--topic",
        "viec-lam-online",
        "--priority",
        "ưu tiên",
        "--expires",
        "2023-07-20",
        "--as",
        "Lan",
    )
    assert data["ok"] and data["reviewer"] == "Lan" and data["os_user"] == "officer"
    assert data["changed"][0]["changes"]["priority"] == {"from": "thuong", "to": "uu-tien"}
    row = env.row("cb-2")
    assert row["status"] == "approved" and row["priority"] == "uu-tien"
    assert row["topics"] == ["dau-tu-tai-chinh", "viec-lam-online"]
    assert row["expires_at"] == "2023-07-20T17:00:00Z" and row["review_note"] == "Đã kiểm tra"
    assert row["title"] == ITEMS[1][1]  # source text untouched
    store = env.store()
    snapshots = list(store.db.query("select * from approved_revisions where item_id = ?", [item]))
    store.close()
    assert len(snapshots) == 1 and snapshots[0]["title"] == ITEMS[1][1] and snapshots[0]["approved_by"] == "Lan"
    last = env.audit()[-1]
    assert (last["reviewer"], last["os_user"], last["action"], last["from_status"], last["to_status"]) == (
        "Lan",
        "officer",
        "approve",
        "new",
        "approved",
    )
    assert last["reason"] == "Đã kiểm tra"
    shown = json.loads(env.run("items", "show", item, "--json").output)
    assert shown["priority"] == "uu-tien"


def test_refused_ids_change_nothing_and_exit_1(tmp_path: Path, site: Site) -> None:
    env = synced_env(tmp_path, site)
    before = len(env.audit())
    result = env.run("approve", env.item_id("cb-1"), env.item_id("cb-4"), "nope")
    assert result.exit_code == 1
    assert f"item {env.item_id('cb-4')} is rejected: cannot approve" in result.output
    assert "allowed: none (final)" in result.output and "no item or story 'nope'" in result.output
    assert env.row("cb-1")["status"] == "new" and len(env.audit()) == before
    data = json.loads(env.run("approve", "nope", "--json").output)
    assert data["ok"] is False and data["refused"][0]["id"] == "nope"


def test_state_machine_through_the_cli(tmp_path: Path, site: Site) -> None:
    env = synced_env(tmp_path, site)
    a, held = env.item_id("cb-1"), env.item_id("cb-5")
    assert env.run("withdraw", a, "--reason", "x").exit_code == 1  # new → withdrawn is not a move
    assert env.run("hold", a, "--note", "Chờ xác minh").exit_code == 0
    assert env.run("hold", a).exit_code == 1  # held → held
    assert env.run("reject", held, "--reason", "Không liên quan").exit_code == 0
    assert env.run("approve", a).exit_code == 0
    assert env.run("reject", a, "--reason", "x").exit_code == 1  # approved → rejected is not a move
    assert env.run("approve", a).exit_code == 1  # already approved, unchanged
    assert env.run("withdraw", a, "--reason", "Tin đã cũ").exit_code == 0
    assert env.row("cb-1")["status"] == "withdrawn" and env.row("cb-5")["status"] == "rejected"
    moves = [(r["action"], r["from_status"], r["to_status"]) for r in env.audit() if r["reviewer"] == "officer"]
    assert moves == [
        ("hold", "new", "held"),
        ("reject", "held", "rejected"),
        ("approve", "held", "approved"),
        ("withdraw", "approved", "withdrawn"),
    ]


def test_source_change_needs_review_and_reapproval(tmp_path: Path, site: Site) -> None:
    env = synced_env(tmp_path, site)
    item = env.item_id("cb-2")
    assert env.run("approve", item).exit_code == 0
    changed = [(g, t + " (cập nhật)" if g == "cb-2" else t, s, d) for g, t, s, d in ITEMS]
    root, server = site
    (root / "feed.xml").write_text(rss(changed, server.url), encoding="utf-8")
    assert env.run("sync", "--force", "--json").exit_code == 0
    assert env.row("cb-2")["needs_review"] == 1
    assert env.run("approve", item).exit_code == 0
    row = env.row("cb-2")
    assert row["needs_review"] == 0 and row["status"] == "approved"
    store = env.store()
    titles = [
        r["title"] for r in store.db.query("select title from approved_revisions where item_id = ? order by id", [item])
    ]
    store.close()
    assert titles == [ITEMS[1][1], ITEMS[1][1] + " (cập nhật)"]


def test_bulk_needs_yes_without_a_terminal(tmp_path: Path, site: Site) -> None:
    env = synced_env(tmp_path, site)
    before = len(env.audit())
    result = env.run("approve", "--match", "LUA DAO|viec lam")
    assert result.exit_code == 1 and "pass --yes" in result.output
    assert statuses(env)["cb-2"] == "new" and len(env.audit()) == before
    data = env.json("approve", "--match", "LUA DAO|viec lam", "--yes")
    assert data["ok"] and sorted(c["item_id"] for c in data["changed"]) == sorted(
        [env.item_id("cb-2"), env.item_id("cb-3")]
    )
    assert statuses(env)["cb-2"] == "approved" and statuses(env)["cb-3"] == "approved"
    # Filters only select stories the action can move: the rejected ad is not picked up.
    data = env.json("hold", "--source", "canh-bao", "--since", "2023-07-01", "--kind", "warning", "--yes")
    assert [c["item_id"] for c in data["changed"]] == [env.item_id("cb-1")]
    assert env.run("approve", env.item_id("cb-1"), "--source", "canh-bao").exit_code == 1  # IDs or filters


def test_story_ids_act_on_the_story_as_a_whole(tmp_path: Path, site: Site) -> None:
    copies = [(f"cb-1-copy{n}", ITEMS[0][1], ITEMS[0][2], f"Tue, 0{n + 3} Jul 2023 08:00:00 +0700") for n in (1, 2)]
    env = synced_env(tmp_path, site, items=[*ITEMS, *copies])
    lead, variant = env.item_id("cb-1"), env.item_id("cb-2")
    dups = [env.item_id(guid) for guid, *_ in copies]
    assert {env.row(guid)["duplicate_of"] for guid, *_ in copies} == {lead}
    story = env.row("cb-1")["story_id"]
    store = env.store()
    # Near-duplicate clustering (another stage) puts a variant into the story; simulate it.
    store.db.execute("update items set story_id = ? where id = ?", [story, variant])
    store.db.execute("delete from stories where id = ?", [variant])
    store.close()
    data = env.json("reject", story, "--reason", "Trùng nội dung")
    assert [c["item_id"] for c in data["changed"]] == [lead, variant]
    assert {c["story_id"] for c in data["changed"]} == {story}
    assert {env.row(guid)["status"] for guid, *_ in copies} == {"duplicate"}
    # The story's id may be a copy's own id (the story's founder); any other copy is refused as such.
    plain_copy = next(d for d in dups if d != story)
    result = env.run("approve", plain_copy)
    assert result.exit_code == 1 and "is duplicate" in result.output and "canonical copy or its story" in result.output
    assert env.run("undo").exit_code == 0
    assert env.row("cb-1")["status"] == "new" and env.row("cb-2")["status"] == "new"


def test_undo_reverts_only_your_own_last_action(tmp_path: Path, site: Site) -> None:
    env = synced_env(tmp_path, site)
    a, b = env.item_id("cb-1"), env.item_id("cb-2")
    assert env.run("approve", a, "--priority", "thuong", "--as", "lan").exit_code == 0
    assert env.run("reject", b, "--reason", "Sai", "--as", "minh").exit_code == 0
    data = env.json("undo", "--as", "lan")
    assert data["changed"][0]["item_id"] == a and data["changed"][0]["to"] == "new"
    assert env.row("cb-1")["status"] == "new" and env.row("cb-1")["priority"] == "khan-cap"
    assert env.row("cb-2")["status"] == "rejected"
    store = env.store()
    assert store.db.execute("select count(*) from approved_revisions").fetchone()[0] == 0
    store.close()
    result = env.run("undo", "--as", "lan")
    assert result.exit_code == 1 and "nothing to undo" in result.output
    # Minh's hold cannot be undone once someone else moved the item on.
    c = env.item_id("cb-3")
    assert env.run("hold", c, "--as", "minh").exit_code == 0
    assert env.run("approve", c, "--as", "lan").exit_code == 0
    result = env.run("undo", "--as", "minh")
    assert result.exit_code == 1 and f"item {c} changed after your hold" in result.output
    assert env.row("cb-3")["status"] == "approved"
    rows = [r for r in env.audit() if r["reviewer"] == "lan"]
    assert [(r["action"], r["undone_by"] is not None) for r in rows] == [
        ("approve", True),
        ("undo", False),
        ("approve", False),
    ]


def test_audit_command_filters_and_json(tmp_path: Path, site: Site) -> None:
    env = synced_env(tmp_path, site)
    item = env.item_id("cb-3")
    assert env.run("reject", item, "--reason", "Không phải cảnh báo").exit_code == 0
    rows = env.json("audit", "--item", item[:7])
    assert [r["action"] for r in rows] == ["tag", "reject"]
    assert rows[1]["reviewer"] == "officer" and rows[1]["os_user"] == "officer"
    assert rows[1]["reason"] == "Không phải cảnh báo" and rows[0]["rule_id"] == "topics.viec-lam-online"
    text = env.run("audit", "--since", "2023-07-10").output
    assert "new → rejected" in text and "quang-cao" in text
    assert env.json("audit", "--since", "2023-07-11") == []


def test_review_actions_take_the_run_lock(tmp_path: Path, site: Site) -> None:
    env = synced_env(tmp_path, site)
    with RunLock(tmp_path / "loa.db", "sync"):
        result = env.run("approve", env.item_id("cb-1"))
    assert result.exit_code == 1 and "Another Loa run is in progress" in result.output
    assert env.row("cb-1")["status"] == "new"


def test_ambiguous_prefix_and_unknown_ids_are_refused(tmp_path: Path, site: Site) -> None:
    env = synced_env(tmp_path, site)
    store = env.store()
    for fake in ("zz000001", "zz000002"):
        store.db.execute("insert into items (id, source_id, title, status) values (?, 'canh-bao', 'x', 'new')", [fake])
    store.close()
    result = env.run("hold", "zz00")
    assert result.exit_code == 1 and "id prefix 'zz00' is ambiguous (zz000001, zz000002" in result.output
    assert env.run("hold", "zz000001").exit_code == 0
    data = json.loads(env.run("approve", "zzzz", "--json").output)
    assert data["refused"] == [{"id": "zzzz", "reason": "no item or story 'zzzz' (`loa items list` shows ids)"}]


def test_rules_apply_brings_the_backlog_in_line_with_new_rules(tmp_path: Path, site: Site) -> None:
    root, server = site
    (root / "feed.xml").write_text(rss(ITEMS, server.url), encoding="utf-8")
    config = write_config(tmp_path, SOURCES.format(url=server.url))  # synced before any rule existed
    env = Env(tmp_path, config, server)
    assert env.run("sync").exit_code == 0
    assert env.run("approve", env.item_id("cb-2")).exit_code == 0
    assert {env.row(g)["status"] for g in ("cb-1", "cb-3", "cb-4", "cb-5")} == {"new"}
    config.write_text(config.read_text(encoding="utf-8") + RULES, encoding="utf-8")
    listed = env.json("rules", "list")
    assert [r["id"] for r in listed][:3] == ["quang-cao", "rules[1]", "khan-cap-cong-an"]
    assert "topics.dau-tu-tai-chinh" in {r["id"] for r in listed}

    dry = env.json("rules", "apply", "--dry-run")
    assert dry["dry_run"] and dry["batch"] is None and env.row("cb-4")["status"] == "new"
    changed = {c["item_id"]: c for c in dry["changed"]}
    assert env.item_id("cb-2") not in changed  # approved: officers only
    assert {c["to"] for c in changed.values()} == {"new", "rejected", "held"}

    applied = env.json("rules", "apply", "--as", "lan")
    assert len(applied["changed"]) == len(changed) == 4 and applied["batch"]
    assert env.row("cb-4")["status"] == "rejected" and env.row("cb-5")["status"] == "held"
    police = env.row("cb-1")
    assert police["priority"] == "khan-cap" and "gia-danh-cong-an" in police["topics"]
    assert not env.row("cb-2")["topics"]  # the approved item keeps what the officer approved
    rows = [r for r in env.audit() if r["action"] == "rules"]
    assert len(rows) == 4 and {r["reviewer"] for r in rows} == {"lan"}
    assert "quang-cao (reject)" in next(r["reason"] for r in rows if r["item_id"] == env.item_id("cb-4"))
    # Running it again changes nothing; undo reverts the whole batch.
    assert env.json("rules", "apply")["changed"] == []
    assert env.run("undo", "--as", "lan").exit_code == 0
    assert {env.row(g)["status"] for g in ("cb-1", "cb-3", "cb-4", "cb-5")} == {"new"}
    assert env.row("cb-1")["priority"] in (None, "thuong")
