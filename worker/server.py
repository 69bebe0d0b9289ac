"""`loa serve`: the HTTP edge. Public files from outputs/ (ETag, 304s), the ward desk at /ward/<id>/, the ward API.

Standard library only (ThreadingHTTPServer): no new dependency, and the whole surface is readable in one file.
"""

from __future__ import annotations

import contextlib
import email.utils
import json
import logging
import mimetypes
import re
import shutil
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from worker import clock, desk, tokens
from worker.ack_actions import AckRefused, Actor, entry_json, record
from worker.acks import Ack, Problem, parse_moment, parse_status
from worker.store import Store

log = logging.getLogger("loa.serve")

MAX_BODY = 64 * 1024  # a day's acks for a ward are a few kB; anything bigger is a mistake or an attack
TIMEOUT = 15  # seconds a client may take to send its request: a slow client cannot hold a thread for long
COOKIE = "loa_desk"
CSP_DESK = "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
# The published site embeds TikTok players and data: images; everything else stays 'self'.
CSP_FILES = (
    "default-src 'self'; img-src 'self' data:; frame-src https://www.tiktok.com; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".md": "text/markdown; charset=utf-8",
    ".csv": "text/csv; charset=utf-8",
    ".m3u": "audio/x-mpegurl; charset=utf-8",
    ".svg": "image/svg+xml",
    ".mp3": "audio/mpeg",
    ".wav": "audio/wav",
}
WARD = r"([a-z0-9]+(?:-[a-z0-9]+)*)"
DESK_ROUTE = re.compile(rf"^/ward/{WARD}/(|login|ack|logout|print)$")
API_ROUTE = re.compile(rf"^/api/wards/{WARD}/(queue|acks)$")
ASSETS = {"/_desk/site.css": "site.css", "/_desk/desk.js": "desk.js", "/_desk/favicon.svg": "favicon.svg"}


@dataclass(frozen=True)
class Settings:
    db_path: Path
    outputs: Path
    tz: tzinfo
    secure_cookies: bool = False  # behind a TLS reverse proxy: cookies get Secure, Origin must be https
    public_origin: str = ""  # e.g. https://loa.thanhhoa.gov.vn, when the proxy rewrites Host
    now: Callable[[], datetime] = clock.now  # LOA_NOW honoured, as everywhere


class Reply(Exception):
    """Raised anywhere in a handler to answer at once with this status and body."""

    def __init__(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.content_type = content_type
        self.headers = headers or {}


def static_target(root: Path, raw_path: str) -> Path | None:
    """The file or folder a request path names under root, or None for anything that could leave it.

    Refused before decoding: backslashes and encoded `/`, `\\` or NUL (they hide a separator from the
    checks below). After decoding: `.`/`..` segments and hidden names. Then the resolved path (symlinks
    followed) must still be inside root.
    """
    lowered = raw_path.lower()
    if not raw_path.startswith("/") or "\\" in raw_path or any(code in lowered for code in ("%2f", "%5c", "%00")):
        return None
    try:
        decoded = unquote(raw_path, errors="strict")
    except UnicodeDecodeError:
        return None
    if "\x00" in decoded or "\\" in decoded:
        return None
    parts = [part for part in decoded.split("/")[1:] if part]
    if any(part.startswith(".") or ":" in part for part in parts):
        return None
    try:
        resolved = root.joinpath(*parts).resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if resolved != root and root not in resolved.parents:
        return None
    return resolved


def content_type(path: Path) -> str:
    if path.suffix == ".xml" and (path.parent.name == "feeds" or path.name == "atom.xml"):
        return "application/atom+xml; charset=utf-8"
    known = TYPES.get(path.suffix.lower())
    if known:
        return known
    guessed = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return guessed + ("; charset=utf-8" if guessed.startswith("text/") else "")


def not_modified(headers: Any, etag: str, mtime: float) -> bool:
    """If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2)."""
    match = headers.get("If-None-Match")
    if match is not None:
        tags = [tag.strip().removeprefix("W/") for tag in match.split(",")]
        return "*" in tags or etag in tags
    since = headers.get("If-Modified-Since")
    if since:
        try:
            moment = email.utils.parsedate_to_datetime(since)
        except (TypeError, ValueError, IndexError):
            return False
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return int(mtime) <= moment.timestamp()
    return False


class Handler(BaseHTTPRequestHandler):
    server_version = "Loa"
    sys_version = ""
    timeout = TIMEOUT
    settings: Settings  # set on the subclass built by make_server

    # -- plumbing -----------------------------------------------------------------------------

    def version_string(self) -> str:
        return "Loa"  # no Python version for scanners to match

    def log_message(self, format: str, *args: object) -> None:
        # Never log a token that arrived in a link.
        line = re.sub(r"token=[^&\s\"]*", "token=***", format % args)
        log.info("%s %s", self.address_string(), line)

    def end_headers(self) -> None:
        # Every answer, errors from the base class included, carries the security headers.
        if not getattr(self, "_secured", False):
            self._secured = True
            csp = CSP_DESK if getattr(self, "_desk", True) else CSP_FILES
            for name, value in (
                ("Content-Security-Policy", csp),
                ("X-Content-Type-Options", "nosniff"),
                ("Referrer-Policy", "same-origin"),
                ("X-Frame-Options", "DENY"),
            ):
                self.send_header(name, value)
        super().end_headers()

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # The base class's error page echoes the request; a plain text status line is enough.
        self._secured = False
        self._desk = True
        body = f"{code} {HTTPStatus(code).phrase}\n".encode()
        self.send_response(code, message)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD" and code >= 200 and code not in (204, 304):
            self.wfile.write(body)

    def respond(self, status: int, body: bytes, ctype: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if self._desk:
            self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _handle(self) -> None:
        self._secured = False
        self._desk = True
        try:
            self.route()
        except Reply as reply:
            self.respond(reply.status, reply.body, reply.content_type, reply.headers)
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            self.close_connection = True
        except Exception:
            # The trace goes to the server log only; the client learns nothing about the inside.
            log.exception("internal error on %s %s", self.command, self.path.split("?", 1)[0])
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.respond(500, b"500 Internal Server Error\n", "text/plain; charset=utf-8")

    def do_GET(self) -> None:
        self._handle()

    def do_HEAD(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self.send_error(405)

    def do_DELETE(self) -> None:
        self.send_error(405)

    # -- routing ------------------------------------------------------------------------------

    def route(self) -> None:
        parts = urlsplit(self.path)
        if not self.path.startswith("/"):
            self.send_error(404)
            return
        path = parts.path
        desk_match = DESK_ROUTE.match(path)
        if desk_match:
            self.desk(desk_match[1], desk_match[2], parts.query)
            return
        api_match = API_ROUTE.match(path)
        if api_match:
            self.api(api_match[1], api_match[2], parts.query)
            return
        if path in ASSETS:
            self.require_method("GET", "HEAD")
            self.respond(200, desk.asset(ASSETS[path]), content_type(Path(ASSETS[path])))
            return
        if re.match(rf"^/ward/{WARD}$", path):
            raise Reply(301, b"", "text/plain; charset=utf-8", {"Location": path + "/"})
        if path.startswith(("/ward/", "/api/")):
            raise self.page(404, "Không tìm thấy", "Địa chỉ này không có trên bàn phát thanh.")
        self._desk = False
        self.files(path)

    def require_method(self, *methods: str) -> None:
        if self.command not in methods:
            raise Reply(405, b"405 Method Not Allowed\n", "text/plain; charset=utf-8", {"Allow": ", ".join(methods)})

    # -- public files -------------------------------------------------------------------------

    def files(self, raw_path: str) -> None:
        self.require_method("GET", "HEAD")
        root = self.settings.outputs
        target = static_target(root, raw_path)
        if target is not None and target.is_dir():
            if not raw_path.endswith("/"):
                # Relative links in index.html need the trailing slash.
                raise Reply(301, b"", "text/plain; charset=utf-8", {"Location": raw_path + "/"})
            index = static_target(root, raw_path + "index.html")
            if index is None and target == root and (root / "site" / "index.html").is_file():
                raise Reply(302, b"", "text/plain; charset=utf-8", {"Location": "/site/"})
            target = index
        if target is None or not target.is_file():
            self.send_error(404)
            return
        stat = target.stat()
        etag = f'"{stat.st_size:x}-{stat.st_mtime_ns:x}"'
        headers = {
            "ETag": etag,
            "Last-Modified": email.utils.formatdate(stat.st_mtime, usegmt=True),
            # Publishing rewrites files in place; revalidating each time is one cheap 304.
            "Cache-Control": "no-cache",
        }
        if not_modified(self.headers, etag, stat.st_mtime):
            self.send_response(304)
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", content_type(target))
        self.send_header("Content-Length", str(stat.st_size))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command == "GET":
            with target.open("rb") as handle:
                shutil.copyfileobj(handle, self.wfile)

    # -- shared: store, body, auth -------------------------------------------------------------

    def store(self) -> Store:
        return Store.open(self.settings.db_path, migrate=False)

    def body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            raise Reply(411, b"411 Length Required\n", "text/plain; charset=utf-8")
        length_text = self.headers.get("Content-Length")
        if length_text is None or not length_text.isdigit():
            raise Reply(411, b"411 Length Required\n", "text/plain; charset=utf-8")
        length = int(length_text)
        if length > MAX_BODY:
            self.close_connection = True
            raise Reply(
                413, f"413 Payload Too Large (at most {MAX_BODY} bytes)\n".encode(), "text/plain; charset=utf-8"
            )
        return self.rfile.read(length)

    def page(self, status: int, title: str, message: str, **extra: Any) -> Reply:
        return Reply(status, desk.render_message(title, message, **extra), "text/html; charset=utf-8")

    def json_reply(self, status: int, data: Any, headers: dict[str, str] | None = None) -> Reply:
        body = json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8")
        return Reply(status, body, "application/json; charset=utf-8", headers)

    def now(self) -> datetime:
        return self.settings.now()

    # -- API ----------------------------------------------------------------------------------

    def api(self, ward: str, action: str, query: str) -> None:
        if action == "queue":
            self.require_method("GET", "HEAD")
        else:
            self.require_method("POST")
        header = self.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        challenge = {"WWW-Authenticate": 'Bearer realm="loa"'}
        if scheme.lower() != "bearer" or not token.strip():
            raise self.json_reply(401, {"error": "send Authorization: Bearer <the ward's token>"}, challenge)
        store = self.store()
        try:
            known = store.ward_token(ward)
            if not (known and tokens.matches(token.strip(), known["token_hash"])):
                if store.ward_for_token_hash(tokens.digest(token.strip())):
                    raise self.json_reply(403, {"error": f"this token belongs to another ward, not {ward}"})
                raise self.json_reply(401, {"error": "unknown or rotated token"}, challenge)
            if action == "queue":
                self.api_queue(store, ward, known["ward_name"], query)
            else:
                self.api_acks(store, ward)
        finally:
            store.close()

    def api_queue(self, store: Store, ward: str, name: str, query: str) -> None:
        params = parse_qs(query)
        today = self.now().astimezone(self.settings.tz).date()
        try:
            start = date.fromisoformat(params["from"][0]) if "from" in params else today
        except ValueError:
            raise self.json_reply(400, {"error": "from= must be YYYY-MM-DD"}) from None
        entries = store.ward_queue(ward, since=start.isoformat())
        raise self.json_reply(
            200, {"ward": ward, "name": name, "from": start.isoformat(), "entries": [entry_json(e) for e in entries]}
        )

    def api_acks(self, store: Store, ward: str) -> None:
        raw = self.body()
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise self.json_reply(400, {"error": "the body is not JSON"}) from None
        if isinstance(data, dict) and isinstance(data.get("acks"), list):
            data = data["acks"]
        if not isinstance(data, list) or not data:
            raise self.json_reply(400, {"error": "send a JSON list of {entry, status, aired_at, reason}"})
        acks: list[Ack] = []
        problems: list[Problem] = []
        for index, item in enumerate(data):
            ack, problem = self.api_ack(ward, index, item)
            if problem:
                problems.append(problem)
            elif ack:
                acks.append(ack)
        try:
            if problems:
                raise AckRefused(problems)
            outcome = record(store, acks, actor=Actor("api", ward), now=self.now(), tz=self.settings.tz)
        except AckRefused as refused:
            raise self.json_reply(
                refused.status,
                {"error": "nothing changed", "errors": [p.as_json() for p in refused.problems]},
            ) from None
        raise self.json_reply(200, outcome.as_json())

    def api_ack(self, ward: str, index: int, item: object) -> tuple[Ack | None, Problem | None]:
        label = f"[{index}]"
        if not isinstance(item, dict) or not isinstance(item.get("entry"), str):
            return None, Problem(400, label, "", "each ack is an object with a string `entry`")
        entry = item["entry"]
        status = parse_status(item.get("status"))
        if status is None:
            return None, Problem(400, label, entry, f"status {item.get('status')!r} is not aired or skipped")
        reason = item.get("reason") or ""
        when = item.get("aired_at")
        if not isinstance(reason, str) or (when is not None and not isinstance(when, str)):
            return None, Problem(400, label, entry, "aired_at and reason are strings")
        aired_at: datetime | None = None
        clock: time | None = None
        if when:
            try:
                moment = parse_moment(when, self.settings.tz)
            except ValueError as exc:
                return None, Problem(400, label, entry, str(exc))
            aired_at, clock = (moment, None) if isinstance(moment, datetime) else (None, moment)
        return Ack(ward, entry, status, aired_at, clock, "now", reason[:500], label), None

    # -- the desk -----------------------------------------------------------------------------

    def desk(self, ward: str, action: str, query: str) -> None:
        store = self.store()
        try:
            known = store.ward_token(ward)
            if known is None:
                raise self.page(404, "Không tìm thấy", f"Chưa có bàn phát thanh cho {ward}.")
            name = str(known["ward_name"] or ward)
            if action == "login":
                self.require_method("POST")
                self.check_origin()
                fields = self.form()
                self.login(store, ward, name, fields.get("token", ""))
            params = parse_qs(query)
            if action == "" and "token" in params:
                self.require_method("GET", "HEAD")
                self.login(store, ward, name, params["token"][0])
            session = self.session(store, ward)
            if session is None:
                if self.command == "POST":
                    raise self.page(401, "Cần đăng nhập", "Phiên đã hết hạn.", back=f"/ward/{ward}/")
                raise Reply(401, desk.render_login(ward_id=ward, ward_name=name), "text/html; charset=utf-8")
            if action in ("", "print"):
                self.require_method("GET", "HEAD")
                self.show(store, ward, name, session, action, params)
            self.require_method("POST")
            self.check_origin()
            fields = self.form()
            if not tokens.same(fields.get("csrf", ""), str(session["csrf"])):
                raise self.page(
                    403, "Không hợp lệ", "Biểu mẫu đã cũ; tải lại trang rồi thử lại.", back=f"/ward/{ward}/"
                )
            if action == "logout":
                store.end_desk_session(tokens.digest(self.cookie() or ""))
                raise Reply(
                    303,
                    b"",
                    "text/plain",
                    {"Location": f"/ward/{ward}/", "Set-Cookie": self.cookie_header(ward, "", 0)},
                )
            self.web_ack(store, ward, fields)
        finally:
            store.close()

    def show(
        self, store: Store, ward: str, name: str, session: dict[str, Any], action: str, params: dict[str, list[str]]
    ) -> None:
        now = self.now()
        tz = self.settings.tz
        if action == "print":
            try:
                day = date.fromisoformat(params["date"][0]) if "date" in params else now.astimezone(tz).date()
            except ValueError:
                raise self.page(400, "Ngày không hợp lệ", "Viết ngày theo dạng YYYY-MM-DD.") from None
            entries = store.ward_queue(ward, since=day.isoformat(), until=day.isoformat())
            body = desk.render_print(ward_id=ward, ward_name=name, entries=entries, day=day)
        else:
            entries = store.ward_queue(ward, since=desk.since(now, tz))
            body = desk.render_desk(
                ward_id=ward, ward_name=name, entries=entries, now=now, tz=tz, csrf=str(session["csrf"])
            )
        raise Reply(200, body, "text/html; charset=utf-8")

    def web_ack(self, store: Store, ward: str, fields: dict[str, str]) -> None:
        back = f"/ward/{ward}/"
        status = parse_status(fields.get("status", ""))
        entry = fields.get("entry", "")
        clock = None
        if fields.get("time"):
            parsed = (
                parse_moment(fields["time"], self.settings.tz) if re.match(r"^\d\d:\d\d$", fields["time"]) else None
            )
            if not isinstance(parsed, time):
                raise self.page(400, "Giờ không hợp lệ", "Viết giờ phát dạng HH:MM.", back=back)
            clock = parsed
        if status is None or not entry:
            raise self.page(400, "Yêu cầu không hợp lệ", "Thiếu mục hoặc trạng thái.", back=back)
        ack = Ack(ward, entry, status, None, clock, "now", fields.get("reason", "")[:300], entry)
        try:
            record(store, [ack], actor=Actor("web", ward), now=self.now(), tz=self.settings.tz)
        except AckRefused as refused:
            titles = {
                404: "Không tìm thấy mục này",
                409: "Mục này đã được báo cáo trước đó",
                422: "Chưa ghi được",
                400: "Yêu cầu không hợp lệ",
            }
            hints = {
                422: "Giờ phát không được trước giờ bắt đầu khung giờ hay sau thời điểm hiện tại; 'Không phát' cần lý do.",
                409: "Nếu cần sửa, hãy báo cán bộ thành phố (lệnh loa queue ack --force).",
            }
            raise self.page(
                refused.status,
                titles.get(refused.status, "Lỗi"),
                hints.get(refused.status, "Không có gì thay đổi."),
                details=[p.message for p in refused.problems],
                back=back,
            ) from None
        raise Reply(303, b"", "text/plain", {"Location": f"{back}#e-{quote(entry)}"})

    def login(self, store: Store, ward: str, name: str, token: str) -> None:
        known = store.ward_token(ward)
        if not (known and tokens.matches(token.strip(), known["token_hash"])):
            wrong = "Mã truy cập không đúng hoặc đã được thay."
            if store.ward_for_token_hash(tokens.digest(token.strip())):
                wrong = "Mã này là của đơn vị khác."
            body = desk.render_login(ward_id=ward, ward_name=name, error=wrong)
            raise Reply(403 if "khác" in wrong else 401, body, "text/html; charset=utf-8")
        session_id, csrf = tokens.new_secret(), tokens.new_secret()
        now = self.now()
        store.create_desk_session(
            tokens.digest(session_id), ward, csrf, now=now, expires=now + timedelta(seconds=tokens.SESSION_SECONDS)
        )
        # 303 to the bare address: the token leaves the address bar and the history.
        raise Reply(
            303,
            b"",
            "text/plain",
            {"Location": f"/ward/{ward}/", "Set-Cookie": self.cookie_header(ward, session_id, tokens.SESSION_SECONDS)},
        )

    def cookie_header(self, ward: str, value: str, max_age: int) -> str:
        secure = "; Secure" if self.settings.secure_cookies else ""
        return f"{COOKIE}={value}; Path=/ward/{ward}/; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}"

    def cookie(self) -> str | None:
        from http.cookies import CookieError, SimpleCookie

        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(self.headers.get("Cookie", ""))
        except CookieError:
            return None
        morsel = jar.get(COOKIE)
        return morsel.value if morsel and morsel.value else None

    def session(self, store: Store, ward: str) -> dict[str, Any] | None:
        value = self.cookie()
        if not value:
            return None
        session = store.desk_session(tokens.digest(value), now=self.now())
        if session is None:
            return None
        if session["ward"] != ward:
            raise self.page(403, "Không có quyền", "Phiên này là của đơn vị khác.")
        return session

    def form(self) -> dict[str, str]:
        raw = self.body()
        try:
            pairs = parse_qs(raw.decode("utf-8"), keep_blank_values=True, max_num_fields=20)
        except (UnicodeDecodeError, ValueError):
            raise self.page(400, "Yêu cầu không hợp lệ", "Biểu mẫu không đọc được.") from None
        return {key: values[0] for key, values in pairs.items()}

    def check_origin(self) -> None:
        """CSRF defence in depth: a form must come from this server's own pages (Origin, else Referer)."""
        host = self.headers.get("Host", "")
        scheme = "https" if self.settings.secure_cookies else "http"
        allowed = {f"{scheme}://{host}"} | (
            {self.settings.public_origin.rstrip("/")} if self.settings.public_origin else set()
        )
        origin = self.headers.get("Origin")
        if origin is not None:
            ok = origin in allowed
        else:
            referer = self.headers.get("Referer", "")
            ok = any(referer.startswith(base + "/") for base in allowed)
        if not ok:
            raise self.page(403, "Không hợp lệ", "Yêu cầu không đến từ trang bàn phát thanh.")


def make_server(settings: Settings, host: str = "127.0.0.1", port: int = 8080) -> ThreadingHTTPServer:
    """A server bound to host:port (0: any free port); the database is migrated once here, never per request."""
    Store.open(settings.db_path).close()
    handler = type("LoaHandler", (Handler,), {"settings": settings})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server


class Running:
    """A server on a background thread, for tests and the demo: `with Running(settings) as url: …`."""

    def __init__(self, settings: Settings, host: str = "127.0.0.1", port: int = 0) -> None:
        self.httpd = make_server(settings, host, port)
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="loa-serve", daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> str:
        self._thread.start()
        return self.url

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def log_to_stderr() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
