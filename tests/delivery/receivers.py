"""Local receivers on 127.0.0.1 for delivery tests: a signed-JSON CMS endpoint and a WordPress posts API stand-in."""

from __future__ import annotations

import base64
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from worker.delivery.payload import verify


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    signature_ok: bool | None = None


@dataclass
class Receiver:
    """Answers /api/loa and /hook (HMAC checked) and /wp-json/wp/v2/posts (Basic auth checked)."""

    secret: str = "bí-mật-cms"
    user: str = "bientap"
    password: str = "abcd efgh ijkl mnop"
    statuses: list[int] = field(default_factory=list)  # answers to give before succeeding, first first
    retry_after: str | None = None  # sent with those answers when set
    seen: list[Seen] = field(default_factory=list)
    posts: dict[int, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> Receiver:
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def signed(self) -> list[Seen]:
        return [s for s in self.seen if s.path in ("/api/loa", "/hook")]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self, status: int, data: Any = None, retry_after: str | None = None) -> None:
                body = json.dumps(data if data is not None else {"ok": status < 300}).encode()
                self.send_response(status)
                if retry_after is not None:
                    self.send_header("Retry-After", retry_after)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _record(self) -> Seen:
                length = int(self.headers.get("Content-Length") or 0)
                seen = Seen(self.command, self.path, dict(self.headers.items()), self.rfile.read(length))
                receiver.seen.append(seen)
                return seen

            def _wp_auth(self) -> bool:
                token = base64.b64encode(f"{receiver.user}:{receiver.password}".encode()).decode()
                return self.headers.get("Authorization") == f"Basic {token}"

            def do_POST(self) -> None:
                seen = self._record()
                if receiver.statuses:
                    self._answer(receiver.statuses.pop(0), retry_after=receiver.retry_after)
                    return
                if seen.path in ("/api/loa", "/hook"):
                    seen.signature_ok = verify(receiver.secret, seen.body, self.headers.get("X-Loa-Signature", ""))
                    self._answer(200 if seen.signature_ok else 401)
                    return
                if not self._wp_auth():
                    self._answer(401, {"code": "rest_not_logged_in"})
                    return
                data = json.loads(seen.body)
                match = re.fullmatch(r"/wp-json/wp/v2/posts/(\d+)", seen.path)
                if match:
                    post = receiver.posts[int(match.group(1))]
                    post.update(data)
                    self._answer(200, post)
                elif seen.path == "/wp-json/wp/v2/posts":
                    post_id = 100 + len(receiver.posts)
                    receiver.posts[post_id] = {"id": post_id, **data}
                    self._answer(201, receiver.posts[post_id])
                else:
                    self._answer(404)

            def do_GET(self) -> None:
                seen = self._record()
                if not self._wp_auth():
                    self._answer(401)
                    return
                slug = parse_qs(urlsplit(seen.path).query).get("slug", [""])[0]
                self._answer(200, [p for p in receiver.posts.values() if p.get("slug") == slug])

            def do_DELETE(self) -> None:
                seen = self._record()
                match = re.fullmatch(r"/wp-json/wp/v2/posts/(\d+)", seen.path)
                if not self._wp_auth() or not match:
                    self._answer(401 if match else 404)
                    return
                post = receiver.posts[int(match.group(1))]
                post["status"] = "trash"
                self._answer(200, post)

        return Handler
