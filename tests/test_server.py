"""`loa serve` over real sockets on 127.0.0.1: files (ETag, 304, containment), the API, the desk's forms and CSRF."""

from __future__ import annotations

import http.client
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

import pytest

from tests.desk_support import E1, E2, E_EVENING, E_OTHER, NOW, OTHER, WARD, DeskEnv, desk_env
from worker.dates import from_iso
from worker.server import Running, Settings


@dataclass
class Live:
    env: DeskEnv
    url: str
    token: str
    other_token: str

    def call(
        self, method: str, path: str, *, headers: dict[str, str] | None = None, body: bytes | None = None
    ) -> tuple[int, http.client.HTTPMessage, bytes]:
        parts = urlsplit(self.url)
        conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
        try:
            conn.putrequest(method, path, skip_accept_encoding=True)
            for name, value in {
                **(headers or {}),
                **({"Content-Length": str(len(body))} if body is not None else {}),
            }.items():
                conn.putheader(name, value)
            conn.endheaders(body)
            response = conn.getresponse()
            return response.status, response.headers, response.read()
        finally:
            conn.close()

    def api(
        self, method: str, path: str, token: str | None = None, data: Any = None, raw: bytes | None = None
    ) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        body = raw if raw is not None else (json.dumps(data).encode() if data is not None else None)
        status, _headers, payload = self.call(
            method, path, headers={**headers, "Content-Type": "application/json"}, body=body
        )
        return status, json.loads(payload) if payload else None


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    env = desk_env(tmp_path)
    token, other = env.token(WARD), env.token(OTHER)
    site = env.outputs / "site"
    site.mkdir(parents=True)
    (site / "index.html").write_text("<!doctype html><p>Xin chào</p>", encoding="utf-8")
    (env.outputs / "feeds").mkdir()
    (env.outputs / "feeds" / f"{WARD}.xml").write_text("<feed/>", encoding="utf-8")
    (env.outputs / "queues" / WARD).mkdir(parents=True)
    (env.outputs / "queues" / WARD / "queue.json").write_text("{}", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("do not serve", encoding="utf-8")
    os.symlink(tmp_path / "secret.txt", site / "link.txt")
    os.symlink(tmp_path, env.outputs / "up")
    settings = Settings(env.db, env.outputs.resolve(), ZoneInfo("Asia/Ho_Chi_Minh"), now=lambda: from_iso(NOW))
    with Running(settings) as url:
        yield Live(env, url, token, other)


# -- public files -----------------------------------------------------------------------------------


def test_files_types_and_security_headers(live: Live) -> None:
    status, headers, body = live.call("GET", "/site/index.html")
    assert status == 200 and "Xin chào" in body.decode()
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert live.call("GET", f"/feeds/{WARD}.xml")[1]["Content-Type"] == "application/atom+xml; charset=utf-8"
    assert live.call("GET", f"/queues/{WARD}/queue.json")[1]["Content-Type"] == "application/json; charset=utf-8"
    assert live.call("GET", "/site")[0] == 301
    assert live.call("GET", "/site/")[0] == 200
    assert live.call("GET", "/")[1]["Location"] == "/site/"
    assert live.call("HEAD", "/site/index.html")[2] == b""
    assert live.call("POST", "/site/index.html", body=b"")[0] == 405


def test_conditional_gets_answer_304(live: Live) -> None:
    status, headers, _ = live.call("GET", "/site/index.html")
    etag, modified = headers["ETag"], headers["Last-Modified"]
    assert status == 200 and etag and modified
    assert live.call("GET", "/site/index.html", headers={"If-None-Match": etag})[0] == 304
    assert live.call("GET", "/site/index.html", headers={"If-None-Match": f'"x", W/{etag}'})[0] == 304
    assert live.call("GET", "/site/index.html", headers={"If-Modified-Since": modified})[0] == 304
    not_modified = live.call("GET", "/site/index.html", headers={"If-None-Match": etag})
    assert not_modified[1]["ETag"] == etag and not_modified[2] == b""
    # A stale validator gets the new file; If-None-Match wins over If-Modified-Since.
    assert (
        live.call("GET", "/site/index.html", headers={"If-None-Match": '"old"', "If-Modified-Since": modified})[0]
        == 200
    )
    assert (
        live.call("GET", "/site/index.html", headers={"If-Modified-Since": "Thu, 01 Jan 1970 00:00:00 GMT"})[0] == 200
    )


@pytest.mark.parametrize(
    "path",
    [
        "/../secret.txt",
        "/site/../../secret.txt",
        "/site/%2e%2e/%2e%2e/secret.txt",
        "/%2e%2e/loa.db",
        "/site%2f..%2f..%2fsecret.txt",
        "/site/..%2f..%2fsecret.txt",
        "/site/..%5c..%5csecret.txt",
        "/site\\..\\..\\secret.txt",
        "/%252e%252e/secret.txt",
        "//etc/passwd",
        "/etc/passwd",
        f"/{Path('/etc/passwd').as_posix()}",
        "/site/link.txt",
        "/up/secret.txt",
        "/up/loa.db",
        "/site/%00index.html",
        "http://127.0.0.1/../secret.txt",
    ],
)
def test_nothing_outside_outputs(live: Live, path: str) -> None:
    status, _headers, body = live.call("GET", path)
    assert status == 404
    assert b"do not serve" not in body and b"SQLite" not in body


# -- API -----------------------------------------------------------------------------------------


def test_api_auth_401_403(live: Live) -> None:
    path = f"/api/wards/{WARD}/queue"
    assert live.api("GET", path)[0] == 401
    assert live.api("GET", path, token="wrong")[0] == 401
    assert live.api("GET", path, token=live.other_token)[0] == 403
    assert live.api("POST", f"/api/wards/{WARD}/acks", token=live.other_token, data=[])[0] == 403
    status, data = live.api("GET", path, token=live.token)
    assert status == 200
    assert data["ward"] == WARD and data["name"] == "Phường Điện Biên"
    assert [e["id"] for e in data["entries"]][:2] == [E1, E2]
    assert all(e["ward"] == WARD for e in data["entries"])
    # A rotated token stops working.
    old = live.token
    live.env.token(WARD)
    assert live.api("GET", path, token=old)[0] == 401


def test_api_acks_apply_replay_conflict(live: Live) -> None:
    path = f"/api/wards/{WARD}/acks"
    acks = [
        {"entry": E1, "status": "aired", "aired_at": "2023-07-10T06:05:00+07:00"},
        {"entry": E2, "status": "skipped", "reason": "Mất điện"},
    ]
    status, data = live.api("POST", path, live.token, acks)
    assert status == 200, data
    assert [e["status"] for e in data["entries"]] == ["aired", "skipped"]
    assert data["entries"][0]["aired_at"] == "2023-07-09T23:05:00Z"
    assert data["changed"] == [E1, E2]
    status, again = live.api("POST", path, live.token, acks)
    assert status == 200 and again["changed"] == [] and again["unchanged"] == [E1, E2]
    assert again["entries"] == data["entries"]
    status, conflict = live.api("POST", path, live.token, [{"entry": E1, "status": "skipped", "reason": "x"}])
    assert status == 409 and conflict["errors"][0]["entry"] == E1
    status, _ = live.api(
        "POST", path, live.token, [{"entry": E1, "status": "aired", "aired_at": "2023-07-10T06:06:00+07:00"}]
    )
    assert status == 409
    entries = live.env.entries()
    assert entries[E1]["aired_at"] == "2023-07-09T23:05:00Z"
    assert entries[E1]["ack_source"] == "api" and entries[E1]["acked_by"] == WARD
    assert [(a["source"], a["actor"]) for a in live.env.acks()] == [("api", WARD), ("api", WARD)]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"{not json", 400),
        (b"\xff\xfe", 400),
        (b'{"entry": "x"}', 400),
        (b"[]", 400),
        (json.dumps([{"entry": E1, "status": "maybe"}]).encode(), 400),
        (json.dumps([{"entry": E1, "status": "aired", "aired_at": "soon"}]).encode(), 400),
        (json.dumps([{"entry": "nope", "status": "aired"}]).encode(), 404),
        (json.dumps([{"entry": E_OTHER, "status": "aired"}]).encode(), 404),
        (json.dumps([{"entry": E1, "status": "aired", "aired_at": "2023-07-10T09:00:00+07:00"}]).encode(), 422),
        (json.dumps([{"entry": E1, "status": "aired", "aired_at": "2023-07-10T05:59:00+07:00"}]).encode(), 422),
        (json.dumps([{"entry": E_EVENING, "status": "aired"}]).encode(), 422),
        (json.dumps([{"entry": E1, "status": "skipped"}]).encode(), 422),
    ],
)
def test_api_bad_input_changes_nothing(live: Live, body: bytes, code: int) -> None:
    # Every bad request carries one good ack too: all or nothing.
    data = json.loads(body) if body.startswith(b"[") and body != b"[]" else None
    if data is not None:
        body = json.dumps([{"entry": E2, "status": "aired", "aired_at": "2023-07-10T06:05:00+07:00"}, *data]).encode()
    status, payload = live.api("POST", f"/api/wards/{WARD}/acks", live.token, raw=body)
    assert status == code, payload
    assert "Traceback" not in json.dumps(payload)
    assert all(e["status"] == "queued" for e in live.env.entries().values())
    assert live.env.acks() == []


def test_api_body_limit_and_length_required(live: Live) -> None:
    headers = {"Authorization": f"Bearer {live.token}"}
    status, _h, _b = live.call("POST", f"/api/wards/{WARD}/acks", headers=headers, body=b"[" + b" " * 70000 + b"]")
    assert status == 413
    assert live.call("POST", f"/api/wards/{WARD}/acks", headers=headers)[0] == 411


# -- the desk ----------------------------------------------------------------------------------------


def login(live: Live, ward: str = WARD, token: str | None = None) -> tuple[str, str]:
    """Log in with the form; returns the session cookie and the page's CSRF token."""
    body = urlencode({"token": token or live.token}).encode()
    status, headers, _ = live.call(
        "POST",
        f"/ward/{ward}/login",
        headers={"Origin": live.url, "Content-Type": "application/x-www-form-urlencoded"},
        body=body,
    )
    assert status == 303, status
    cookie_header = headers["Set-Cookie"]
    assert "HttpOnly" in cookie_header and "SameSite=Strict" in cookie_header and f"Path=/ward/{ward}/" in cookie_header
    cookie = cookie_header.split(";", 1)[0]
    status, _h, page = live.call("GET", f"/ward/{ward}/", headers={"Cookie": cookie})
    assert status == 200
    match = re.search(r'name="csrf" value="([^"]+)"', page.decode())
    assert match
    return cookie, match[1]


def post_form(live: Live, cookie: str, fields: dict[str, str], origin: str | None = "self") -> tuple[int, Any, bytes]:
    headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
    if origin:
        headers["Origin"] = live.url if origin == "self" else origin
    return live.call("POST", f"/ward/{WARD}/ack", headers=headers, body=urlencode(fields).encode())


def test_desk_needs_login_and_the_link_token_is_stripped(live: Live) -> None:
    status, headers, page = live.call("GET", f"/ward/{WARD}/")
    assert status == 401 and "Mã truy cập" in page.decode()
    assert headers["Cache-Control"] == "no-store"
    status, headers, _ = live.call("GET", f"/ward/{WARD}/?token={live.token}")
    assert status == 303 and headers["Location"] == f"/ward/{WARD}/"
    cookie = headers["Set-Cookie"].split(";", 1)[0]
    status, _h, page = live.call("GET", f"/ward/{WARD}/", headers={"Cookie": cookie})
    assert status == 200 and "Khung giờ 06:00" in page.decode()
    assert live.call("GET", f"/ward/{WARD}/?token=wrong")[0] == 401
    assert live.call("GET", f"/ward/{WARD}/?token={live.other_token}")[0] == 403
    assert live.call("GET", "/ward/no-such-ward/")[0] == 404
    # A session cookie of one ward opens nothing of another.
    assert live.call("GET", f"/ward/{OTHER}/", headers={"Cookie": cookie})[0] == 403
    # Sessions are stored hashed.
    value = cookie.split("=", 1)[1]
    from worker.store import Store

    store = Store.open(live.env.db)
    try:
        stored = [r["id_hash"] for r in store.db.query("select id_hash from desk_sessions")]
    finally:
        store.close()
    assert stored and value not in stored


def test_desk_form_acks_and_csrf(live: Live) -> None:
    cookie, csrf = login(live)
    # CSRF: no token, a wrong token, a foreign Origin, no Origin nor Referer: all refused, nothing changes.
    assert post_form(live, cookie, {"entry": E1, "status": "aired"})[0] == 403
    assert post_form(live, cookie, {"entry": E1, "status": "aired", "csrf": "x" * 43})[0] == 403
    assert (
        post_form(live, cookie, {"entry": E1, "status": "aired", "csrf": csrf}, origin="http://evil.example")[0] == 403
    )
    assert post_form(live, cookie, {"entry": E1, "status": "aired", "csrf": csrf}, origin=None)[0] == 403
    assert live.env.entries()[E1]["status"] == "queued"
    status, headers, _ = post_form(live, cookie, {"entry": E1, "status": "aired", "csrf": csrf, "time": "06:05"})
    assert status == 303 and headers["Location"] == f"/ward/{WARD}/#e-{E1}"
    status, _h, _b = post_form(live, cookie, {"entry": E2, "status": "skipped", "csrf": csrf, "reason": "Mưa to"})
    assert status == 303
    status, _h, page = post_form(live, cookie, {"entry": E2, "status": "skipped", "csrf": csrf, "reason": ""})
    assert status in (409, 422)
    status, _h, page = post_form(live, cookie, {"entry": E_EVENING, "status": "aired", "csrf": csrf})
    assert status == 422 and "Chưa ghi được" in page.decode()
    entries = live.env.entries()
    assert (entries[E1]["status"], entries[E1]["aired_at"], entries[E1]["ack_source"]) == (
        "aired",
        "2023-07-09T23:05:00Z",
        "web",
    )
    assert (entries[E2]["status"], entries[E2]["reason"]) == ("skipped", "Mưa to")
    # Logging out ends the session server-side.
    logout = live.call(
        "POST",
        f"/ward/{WARD}/logout",
        headers={"Cookie": cookie, "Origin": live.url, "Content-Type": "application/x-www-form-urlencoded"},
        body=urlencode({"csrf": csrf}).encode(),
    )
    assert logout[0] == 303
    assert live.call("GET", f"/ward/{WARD}/", headers={"Cookie": cookie})[0] == 401


def test_login_form_refuses_foreign_origin(live: Live) -> None:
    status, headers, _ = live.call(
        "POST",
        f"/ward/{WARD}/login",
        headers={"Origin": "http://evil.example", "Content-Type": "application/x-www-form-urlencoded"},
        body=urlencode({"token": live.token}).encode(),
    )
    assert status == 403 and "Set-Cookie" not in headers


def test_print_view_and_escaping(live: Live) -> None:
    from worker.store import Store

    store = Store.open(live.env.db)
    try:
        store.db.execute("update queue_entries set title = ? where id = ?", ["<script>alert(1)</script>", E1])
    finally:
        store.close()
    cookie, _csrf = login(live)
    status, _headers, page = live.call("GET", f"/ward/{WARD}/print", headers={"Cookie": cookie})
    text = page.decode()
    assert status == 200 and "kịch bản phát thanh" in text and "Kính thưa bà con." in text
    assert "<script>alert" not in text and "&lt;script&gt;" in text
    assert "@page" in live.call("GET", "/_desk/site.css")[2].decode()
    assert live.call("GET", f"/ward/{WARD}/print?date=bad", headers={"Cookie": cookie})[0] == 400
