"""A tiny city-CMS stand-in for the demo: checks `X-Loa-Signature` on each POST and prints what arrived."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from worker.delivery.payload import verify


class DemoReceiver:
    def __init__(self, secret: str, echo: Callable[[str], None]) -> None:
        self.secret = secret
        self.echo = echo
        self.received = 0
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}/api/loa"

    def __enter__(self) -> DemoReceiver:
        threading.Thread(target=self.httpd.serve_forever, name="loa-demo-cms", daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                ok = verify(receiver.secret, body, self.headers.get("X-Loa-Signature", ""))
                receiver.received += 1
                data = json.loads(body) if ok else {}
                pack = data.get("pack", {})
                receiver.echo(
                    f"  [CMS 127.0.0.1] {'signature OK' if ok else 'BAD SIGNATURE'}; "
                    f"Idempotency-Key {self.headers.get('Idempotency-Key')}, sequence {self.headers.get('X-Loa-Sequence')}: "
                    f"{data.get('event')} “{pack.get('title')}” with {len(pack.get('items', []))} items"
                )
                self.send_response(200 if ok else 401)
                self.send_header("Content-Length", "0")
                self.end_headers()

        return Handler
