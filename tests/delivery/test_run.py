"""Pack deliveries end to end: signed http pushes, WordPress posts, withdrawals, backoff driven by LOA_NOW, the log."""

from __future__ import annotations

import json
import time
from email.utils import formatdate
from pathlib import Path

from tests.delivery.receivers import Receiver
from tests.delivery.support import WARDS, delivery_env, destinations
from worker.dates import from_iso
from worker.delivery.retry import MAX_ATTEMPTS
from worker.demo.server import StaticServer

PLAIN_WARDS = WARDS.replace(
    'email: vanhoa.dienbien@example.vn, webhook: "{url}/hook", webhook_secret_env: LOA_CMS_SECRET', ""
).replace(", email: vanhoa.hoangdai@example.vn", "")


def test_publish_pushes_a_signed_pack_with_sequence_and_key(tmp_path: Path, site: tuple[Path, StaticServer]) -> None:
    with Receiver() as cms:
        env = delivery_env(tmp_path, site, destinations(cms.url) + PLAIN_WARDS.format(url=cms.url))
        report = env.json("publish")
        assert len(report["deliveries"]["sent"]) == 1, report["deliveries"]
        [seen] = cms.signed()
        assert seen.signature_ok is True
        assert seen.headers["Idempotency-Key"] == "1-r1" and seen.headers["X-Loa-Sequence"] == "1"
        body = json.loads(seen.body)
        assert body["schema"] == "loa.pack/1" and body["sequence"] == 1 and body["event"] == "pack.published"
        items = body["pack"]["items"]
        titles = {i["title"] for i in items}
        assert "Lừa đảo đầu tư tiền ảo hứa hẹn lợi nhuận cao" in titles
        assert "Quảng cáo: khuyến mãi sim số đẹp" not in titles  # rejected by a rule: never approved, never sent
        assert all(i["provenance"]["source"] == "canh-bao" and i["provenance"]["original_url"] for i in items)
        assert any(t["name"] == "Đầu tư tài chính" for i in items for t in i["topics"])
        # A re-publish sends nothing new.
        again = env.json("publish", now="2023-07-10T09:00:00+07:00")
        assert again["deliveries"]["enqueued"] == [] and len(cms.signed()) == 1


def test_a_wrong_secret_is_refused_by_the_receiver_and_fails_at_once(
    tmp_path: Path, site: tuple[Path, StaticServer]
) -> None:
    with Receiver() as cms:
        env = delivery_env(tmp_path, site, destinations(cms.url) + PLAIN_WARDS.format(url=cms.url))
        report = env.json("publish", env={"LOA_CMS_SECRET": "sai-bi-mat"})
        assert cms.signed()[0].signature_ok is False
        assert len(report["deliveries"]["failed"]) == 1  # 401: retrying with the same signature cannot help
        [row] = env.json("deliveries", "list", "--failed")
        assert row["status"] == "failed" and row["last_status"] == 401 and row["attempts"] == 1
        assert row["attempt_log"][0]["response"] and "ok" in row["attempt_log"][0]["response"]


def test_missing_secret_names_the_variable_and_stays_pending(tmp_path: Path, site: tuple[Path, StaticServer]) -> None:
    with Receiver() as cms:
        env = delivery_env(tmp_path, site, destinations(cms.url) + PLAIN_WARDS.format(url=cms.url))
        result = env.run("publish", env={"LOA_CMS_SECRET": None})
        assert result.exit_code == 0, result.output  # delivery problems never fail publish
        [row] = env.json("deliveries", "list")
        assert row["status"] == "pending" and row["attempts"] == 0 and "LOA_CMS_SECRET" in row["last_error"]
        assert cms.seen == []
        sent = env.json("deliver")
        assert len(sent["sent"]) == 1 and cms.signed()[0].signature_ok


def test_failures_back_off_by_loa_now_then_give_up_and_show_in_status(
    tmp_path: Path, site: tuple[Path, StaticServer]
) -> None:
    with Receiver(statuses=[503] * MAX_ATTEMPTS) as cms:
        env = delivery_env(tmp_path, site, destinations(cms.url) + PLAIN_WARDS.format(url=cms.url))
        first = env.json("publish", now="2023-07-10T08:00:00+07:00")
        assert len(first["deliveries"]["retrying"]) == 1
        [row] = env.json("deliveries", "list")
        assert row["next_attempt_at"] == "2023-07-10T01:01:00Z"  # 1 minute after the first failure
        early = env.json("deliver", now="2023-07-10T08:00:30+07:00")
        assert early["sent"] == [] and len(early["waiting"]) == 1 and len(cms.seen) == 1  # not due: nothing sent
        # Each later attempt waits twice as long: 1, 2, 4, 8 … minutes.
        moments = ["08:01:00", "08:03:00", "08:07:00", "08:15:00", "08:31:00", "09:03:00", "10:07:00"]
        for moment in moments:
            env.json("deliver", now=f"2023-07-10T{moment}+07:00")
        assert len(cms.seen) == MAX_ATTEMPTS
        [row] = env.json("deliveries", "list", "--failed")
        assert row["attempts"] == MAX_ATTEMPTS and len(row["attempt_log"]) == MAX_ATTEMPTS
        assert [a["http_status"] for a in row["attempt_log"]] == [503] * MAX_ATTEMPTS
        status = env.run("status")
        assert "deliveries failed: 1" in status.output
        later = env.json("deliver", now="2023-07-12T08:00:00+07:00")
        assert later["sent"] == [] and len(cms.seen) == MAX_ATTEMPTS  # failed stays failed
        retried = env.json("deliveries", "retry", str(row["id"]), now="2023-07-12T08:00:00+07:00")
        assert len(retried["sent"]) == 1 and cms.signed()[-1].signature_ok
        assert cms.signed()[-1].body == cms.signed()[0].body  # the recorded bytes, not a rebuilt payload


def test_retry_after_from_the_receiver_is_honoured(tmp_path: Path, site: tuple[Path, StaticServer]) -> None:
    with Receiver(statuses=[429, 503], retry_after="900") as cms:
        env = delivery_env(tmp_path, site, destinations(cms.url) + PLAIN_WARDS.format(url=cms.url))
        env.json("publish", now="2023-07-10T08:00:00+07:00")
        [row] = env.json("deliveries", "list")
        assert row["next_attempt_at"] == "2023-07-10T01:15:00Z"  # 15 minutes as asked, not the 1-minute backoff
        early = env.json("deliver", now="2023-07-10T08:05:00+07:00")
        assert early["sent"] == [] and len(cms.seen) == 1
        # An HTTP-date is read against the answer's own Date header, whatever the local clock says.
        cms.retry_after = formatdate(time.time() + 1800, usegmt=True)
        env.json("deliver", now="2023-07-10T08:15:00+07:00")
        [row] = env.json("deliveries", "list")
        wait = (from_iso(row["next_attempt_at"]) - from_iso("2023-07-10T01:15:00Z")).total_seconds()
        assert 1790 <= wait <= 1800 and row["attempt_log"][-1]["http_status"] == 503
        done = env.json("deliver", now="2023-07-10T08:45:00+07:00")
        assert len(done["sent"]) == 1 and cms.signed()[-1].signature_ok


def test_a_destinations_retry_policy_comes_from_the_config(tmp_path: Path, site: tuple[Path, StaticServer]) -> None:
    with Receiver(statuses=[503, 503]) as cms:
        dest = destinations(cms.url).replace("timeout: 5s}", "timeout: 5s, retry: {attempts: 2, first_wait: 10m}}")
        env = delivery_env(tmp_path, site, dest + PLAIN_WARDS.format(url=cms.url))
        env.json("publish", now="2023-07-10T08:00:00+07:00")
        [row] = env.json("deliveries", "list")
        assert row["next_attempt_at"] == "2023-07-10T01:10:00Z"
        env.json("deliver", now="2023-07-10T08:10:00+07:00")
        [row] = env.json("deliveries", "list", "--failed")
        assert row["attempts"] == 2 and len(cms.seen) == 2


def test_withdrawal_reaches_the_cms_as_a_new_revision(tmp_path: Path, site: tuple[Path, StaticServer]) -> None:
    with Receiver() as cms:
        env = delivery_env(tmp_path, site, destinations(cms.url) + PLAIN_WARDS.format(url=cms.url))
        env.json("publish")
        item = env.item_id("cb-2")
        assert env.run("withdraw", item, "--reason", "Nguồn gỡ bài").exit_code == 0
        env.json("publish", now="2023-07-11T08:00:00+07:00")
        first, second = (json.loads(s.body) for s in cms.signed())
        assert second["event"] == "pack.revised" and second["sequence"] == 2
        assert cms.signed()[1].headers["Idempotency-Key"] == "1-r2"
        assert item in {i["id"] for i in first["pack"]["items"]}
        assert item not in {i["id"] for i in second["pack"]["items"]} and second["pack"]["withdrawn"] == 1


def test_wordpress_creates_updates_and_trashes_the_post(tmp_path: Path, site: tuple[Path, StaticServer]) -> None:
    with Receiver() as wp:
        env = delivery_env(tmp_path, site, destinations(wp.url, ("wordpress",)) + PLAIN_WARDS.format(url=wp.url))
        env.json("publish")
        [(post_id, post)] = wp.posts.items()
        assert post["status"] == "publish" and "tiền ảo" in post["content"] and "khuyến mãi" not in post["content"]
        withdrawn = env.item_id("cb-2")
        assert env.run("withdraw", withdrawn, "--reason", "Nguồn gỡ bài").exit_code == 0
        env.json("publish", now="2023-07-11T08:00:00+07:00")
        assert list(wp.posts) == [post_id]  # updated in place, not a second post
        assert "tiền ảo" not in wp.posts[post_id]["content"] and "đã được thu hồi" in wp.posts[post_id]["content"]
        assert [s.path for s in wp.seen if s.method == "POST"][-1] == f"/wp-json/wp/v2/posts/{post_id}"
        for guid in ("cb-1", "cb-3", "cb-5"):
            assert env.run("withdraw", env.item_id(guid), "--reason", "Thu hồi").exit_code == 0
        env.json("publish", now="2023-07-12T08:00:00+07:00")
        assert wp.seen[-1].method == "DELETE" and wp.posts[post_id]["status"] == "trash"
        rows = env.json("deliveries", "list")
        assert [r["status"] for r in rows] == ["sent", "sent", "sent"]


def test_wordpress_refuses_wrong_credentials_without_retrying(tmp_path: Path, site: tuple[Path, StaticServer]) -> None:
    with Receiver() as wp:
        env = delivery_env(tmp_path, site, destinations(wp.url, ("wordpress",)) + PLAIN_WARDS.format(url=wp.url))
        report = env.json("publish", env={"LOA_WP_APP_PASSWORD": "sai"})
        assert len(report["deliveries"]["failed"]) == 1 and wp.posts == {}
        assert "HTTP 401" in env.run("deliveries", "list", "--failed").output
