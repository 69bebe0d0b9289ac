"""Source health transitions, their single alert (webhook on 127.0.0.1 + command), and `status --check`."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import write_config
from tests.test_cli import loa
from tests.test_pipeline import FEED_SOURCE, ITEMS, NOW, rss, run
from worker.alerts import transition_alert
from worker.demo.server import StaticServer
from worker.health import assess
from worker.models import Health
from worker.schedule import SourceState


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[dict[str, object]]]]:
    """A local alert receiver that records every JSON body POSTed to it."""
    received: list[dict[str, object]] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            return

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            received.append(json.loads(self.rfile.read(length)))
            self.send_response(204)
            self.end_headers()

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/hook", received
    httpd.shutdown()
    httpd.server_close()


def alerts_yaml(hook: str, out: Path, command: str | None = None) -> str:
    cmd = command or f"cat >> {out}; echo >> {out}"
    return f"alerts: {{webhook: '{hook}', command: '{cmd}', min_interval: 1h}}\n"


def lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []


def test_failing_alerts_once_then_recovery(
    site: tuple[Path, StaticServer], tmp_path: Path, webhook: tuple[str, list[dict[str, object]]]
) -> None:
    root, server = site
    hook, received = webhook
    out = tmp_path / "alerts.jsonl"
    feed = root / "feed.xml"
    feed.write_text(rss(ITEMS), encoding="utf-8")
    extra = alerts_yaml(hook, out)
    config = write_config(tmp_path, FEED_SOURCE.format(id="cld", url=server.url + "/feed.xml"), extra)
    now = NOW
    report, store = run(config, now)
    assert report.results[0].health is Health.HEALTHY and not received

    feed.unlink()
    healths = []
    for _ in range(4):  # alert_after defaults to 3
        now += timedelta(hours=2)
        report, store = run(config, now, force=True)
        healths.append(report.results[0].health.value)
    assert healths == ["healthy", "healthy", "failing", "failing"]
    assert len(received) == 1 and len(lines(out)) == 1  # once, not every run
    alert = received[0]
    assert alert == lines(out)[0]
    assert alert["source"] == "cld" and alert["from"] == "healthy" and alert["to"] == "failing"
    assert "3 consecutive errors" in str(alert["reason"]) and "404" in str(alert["reason"])
    assert "loa sources test cld" in str(alert["action"]) and str(alert["at"]).endswith("Z")

    feed.write_text(rss(ITEMS), encoding="utf-8")
    now += timedelta(hours=2)
    report, store = run(config, now, force=True)
    assert report.results[0].health is Health.HEALTHY
    assert [(a["from"], a["to"]) for a in received] == [("healthy", "failing"), ("failing", "healthy")]
    assert [(r["to_health"], r["status"]) for r in store.alerts()] == [("healthy", "sent"), ("failing", "sent")]

    # Flapping within the hour: the next transition is recorded but not sent again.
    feed.write_text("<html><body>Bảo trì</body></html>", encoding="utf-8")
    now += timedelta(minutes=10)
    for _ in range(3):
        now += timedelta(minutes=1)
        report, store = run(config, now, force=True)
    assert report.results[0].health is Health.FAILING
    assert len(received) == 2 and store.alerts()[0]["status"] == "suppressed"


def test_broken_source_alerts_and_status_check(
    site: tuple[Path, StaticServer], tmp_path: Path, webhook: tuple[str, list[dict[str, object]]]
) -> None:
    root, server = site
    hook, received = webhook
    out = tmp_path / "alerts.jsonl"
    (root / "feed.xml").write_text(rss(ITEMS), encoding="utf-8")
    (root / "list.html").write_text("<html><body><div class='card'><a href='/a'>Tin</a></div></body></html>", "utf-8")
    sources = (
        FEED_SOURCE.format(id="cld", url=server.url + "/feed.xml")
        + f"""\
- id: portal
  kind: html
  url: "{server.url}/list.html"
  html: {{item: "article.post-card", title: "h3 a", link: "h3 a@href"}}
"""
    )
    config = write_config(tmp_path, sources, alerts_yaml(hook, out))
    proc = loa("sync", "--json", config=config, check=True)
    by_id = {s["id"]: s for s in json.loads(proc.stdout)["sources"]}
    portal = by_id["portal"]
    assert portal["health"] == "broken"
    assert "selector `article.post-card` (html.item) matched 0 elements" in portal["health_reason"]
    assert portal["health_action"].startswith("run `loa sources test portal`")
    assert portal["alert"]["status"] == "sent" and portal["alert"]["to"] == "broken"
    assert [a["source"] for a in received] == ["portal"] and len(lines(out)) == 1

    check = loa("status", "--check", config=config)
    assert check.returncode == 1
    assert check.stdout.strip().splitlines() == [
        f"portal: BROKEN: {portal['health_reason']}; {portal['health_action']}"
    ]
    # A second run while still broken sends nothing more.
    loa("sync", "--force", config=config, now="2023-07-10T09:00:00+07:00", check=True)
    assert len(received) == 1

    (root / "list.html").write_text(
        "<html><body><article class='post-card'><h3><a href='/a'>Tin mới</a></h3></article></body></html>", "utf-8"
    )
    loa("sync", "--force", config=config, now="2023-07-10T10:00:00+07:00", check=True)
    assert [a["to"] for a in received] == ["broken", "healthy"]
    ok = loa("status", "--check", config=config, now="2023-07-10T10:05:00+07:00")
    assert ok.returncode == 0 and ok.stdout.startswith("OK")


def test_alert_failure_never_fails_the_sync(site: tuple[Path, StaticServer], tmp_path: Path) -> None:
    root, server = site
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    sources = f"""\
- id: portal
  kind: html
  url: "{server.url}/list.html"
  html: {{item: "article.post-card", title: "h3 a", link: "h3 a@href"}}
"""
    (root / "list.html").write_text("<html><body>Trống</body></html>", "utf-8")
    extra = f"alerts: {{webhook: 'http://127.0.0.1:{closed}/hook', command: 'exit 3', timeout: 5s}}\n"
    config = write_config(tmp_path, sources, extra)
    proc = loa("sync", "--json", config=config)
    assert proc.returncode == 0
    [source] = json.loads(proc.stdout)["sources"]
    assert source["alert"]["status"] == "failed"
    assert (
        "webhook failed" in source["alert"]["detail"]
        and "command failed: alert command exited 3" in source["alert"]["detail"]
    )


def test_stale_is_printed_but_does_not_fail_check(site: tuple[Path, StaticServer], tmp_path: Path) -> None:
    root, server = site
    (root / "feed.xml").write_text(rss(ITEMS), encoding="utf-8")
    config = write_config(tmp_path, FEED_SOURCE.format(id="cld", url=server.url + "/feed.xml") + "  stale_after: 2d\n")
    loa("sync", config=config, check=True)
    later = "2023-07-13T08:00:00+07:00"
    proc = loa("sync", "--json", config=config, now=later, check=True)
    [source] = json.loads(proc.stdout)["sources"]
    assert source["health"] == "stale" and "no new item for 3 days" in source["health_reason"]
    check = loa("status", "--check", config=config, now=later)
    assert check.returncode == 0
    assert "cld: STALE: no new item for 3 days" in check.stdout and "stale_after" in check.stdout
    # Between runs, `status` judges staleness as of now.
    status = json.loads(loa("status", "--json", config=config, now="2023-07-20T08:00:00+07:00", check=True).stdout)
    assert status["sources"][0]["health"] == "stale" and "10 days" in status["sources"][0]["health_reason"]


def test_pure_transitions() -> None:
    state = SourceState(id="s", consecutive_errors=1, last_error="x", last_error_kind="blocked")
    verdict = assess(state, alert_after=3, stale_after_seconds=None, now=NOW)
    assert verdict.health is Health.BROKEN and "rsshub" in verdict.action
    assert transition_alert("s", "healthy", "stale", reason="", action="", at=NOW) is None
    assert transition_alert("s", "failing", "failing", reason="", action="", at=NOW) is None
    recovery = transition_alert("s", "broken", "stale", reason="", action="", at=NOW)
    assert recovery is not None and recovery.recovery and recovery.payload()["from"] == "broken"
    changed = transition_alert("s", "failing", "broken", reason="r", action="a", at=NOW)
    assert changed is not None and changed.payload()["to"] == "broken"
