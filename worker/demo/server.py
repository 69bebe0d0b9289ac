"""A static file server on 127.0.0.1 with ETag, Last-Modified and 304s, for the demo and tests."""

from __future__ import annotations

import email.utils
import hashlib
import mimetypes
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

mimetypes.add_type("application/rss+xml", ".xml")
mimetypes.add_type("application/json", ".json")


class StaticServer:
    """Serves one folder; `url` is its base. Use as a context manager or call start()/stop()."""

    def __init__(self, root: Path, host: str = "127.0.0.1", port: int = 0) -> None:
        self.root = root.resolve()
        self.requests = 0
        self.conditional = 0
        self.not_modified = 0
        handler = self._handler()
        self.httpd = ThreadingHTTPServer((host, port), handler)
        self.httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> StaticServer:
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="loa-demo-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> StaticServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            server_version = "LoaDemo/1"

            def log_message(self, format: str, *args: object) -> None:
                return

            def do_GET(self) -> None:
                server.requests += 1
                path = unquote(urlsplit(self.path).path)
                target = (server.root / path.lstrip("/")).resolve()
                if target.is_dir():
                    target = target / "index.html"
                if server.root not in target.parents or not target.is_file():
                    self.send_error(HTTPStatus.NOT_FOUND)
                    return
                body = target.read_bytes()
                etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
                modified = email.utils.formatdate(target.stat().st_mtime, usegmt=True)
                if self.headers.get("If-None-Match") or self.headers.get("If-Modified-Since"):
                    server.conditional += 1
                if self.headers.get("If-None-Match") == etag:
                    server.not_modified += 1
                    self.send_response(HTTPStatus.NOT_MODIFIED)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                ctype = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
                if ctype.startswith("text/") or ctype.endswith(("xml", "json")):
                    ctype += "; charset=utf-8"
                self.send_response(HTTPStatus.OK)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("ETag", etag)
                self.send_header("Last-Modified", modified)
                self.end_headers()
                self.wfile.write(body)

        return Handler
