"""Serves a bench corpus on 127.0.0.1 with ETag/Last-Modified and 304s, counting what clients ask for.

Threaded (one thread per connection, HTTP/1.1 keep-alive), so the WAN profile's per-request delay
of 50 ms + U(0, 50) ms overlaps across connections as it would on a real network.

    python -m bench.server /tmp/corpus --profile wan --seconds 300
"""

from __future__ import annotations

import argparse
import contextlib
import email.utils
import hashlib
import json
import random
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import asdict, dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from bench.corpus import LAST_MODIFIED

PROFILES = {"loopback": (0.0, 0.0), "wan": (0.050, 0.050)}  # base delay, + uniform(0, jitter)
_TYPES = {
    ".xml": "application/rss+xml; charset=utf-8",
    ".atom": "application/atom+xml; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".json": "application/json",
}


@dataclass(frozen=True)
class _File:
    body: bytes
    content_type: str
    etag: str
    last_modified: str
    mtime: float


@dataclass
class Stats:
    """What the server saw since the last reset. robots.txt is counted apart from everything else:
    Loa reads it once per run (not conditionally), newsboat never does."""

    requests: int = 0  # feeds and pages (robots.txt excluded)
    conditional: int = 0  # carried If-None-Match or If-Modified-Since
    not_modified: int = 0  # answered 304
    ok: int = 0  # answered 200
    not_found: int = 0
    bytes: int = 0  # response body bytes sent (robots.txt excluded)
    robots: int = 0  # requests for /robots.txt
    connections: int = 0  # TCP connections accepted (keep-alive reuses one for many requests)
    max_in_flight: int = 0  # most requests being answered at once, robots.txt included

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # the default of 5 drops SYNs when 8+ clients connect at once


class CorpusServer:
    """Serves every file under `root` from memory. Use as a context manager or start()/stop()."""

    def __init__(self, root: Path, *, profile: str = "loopback", seed: int = 11, port: int = 0) -> None:
        if profile not in PROFILES:
            raise ValueError(f"unknown profile {profile!r}; known: {', '.join(PROFILES)}")
        self.root = root.resolve()
        self.profile = profile
        self.base_delay, self.jitter = PROFILES[profile]
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._stats = Stats()
        self._in_flight = 0
        self.files = self._load()
        self.httpd = _Server(("127.0.0.1", port), self._handler())
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> CorpusServer:
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="bench-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> CorpusServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def reset(self) -> None:
        with self._lock:
            self._stats = Stats()

    def stats(self) -> Stats:
        with self._lock:
            return Stats(**asdict(self._stats))

    def delay(self) -> float:
        if not self.base_delay:
            return 0.0
        with self._lock:
            return self.base_delay + self._rng.uniform(0.0, self.jitter)

    def _load(self) -> dict[str, _File]:
        files = {}
        modified = LAST_MODIFIED.timestamp()
        for path in sorted(self.root.rglob("*")):
            if not path.is_file() or path.name == "manifest.json":
                continue
            body = path.read_bytes()
            files["/" + path.relative_to(self.root).as_posix()] = _File(
                body=body,
                content_type=_TYPES.get(path.suffix, "application/octet-stream"),
                etag='"' + hashlib.sha256(body).hexdigest()[:20] + '"',
                last_modified=email.utils.formatdate(modified, usegmt=True),
                mtime=modified,
            )
        return files

    def _count(self, **changes: int) -> None:
        with self._lock:
            for key, value in changes.items():
                setattr(self._stats, key, getattr(self._stats, key) + value)

    def _enter(self) -> None:
        with self._lock:
            self._in_flight += 1
            self._stats.max_in_flight = max(self._stats.max_in_flight, self._in_flight)

    def _leave(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            server_version = "LoaBench/1"
            timeout = 60  # an idle keep-alive connection frees its thread after this

            def log_message(self, format: str, *args: object) -> None:
                return

            def setup(self) -> None:
                super().setup()
                server._count(connections=1)

            def do_GET(self) -> None:
                if self.path.startswith("/_bench/"):
                    self._control()
                    return
                server._enter()
                try:
                    self._answer()
                finally:
                    server._leave()

            def _answer(self) -> None:
                path = urlsplit(self.path).path
                inm = self.headers.get("If-None-Match")
                ims = self.headers.get("If-Modified-Since")
                delay = server.delay()
                if delay:
                    time.sleep(delay)
                found = server.files.get(path)
                if path == "/robots.txt" and found is not None:
                    server._count(robots=1)
                    self._send(found)
                    return
                server._count(requests=1, conditional=int(bool(inm or ims)))
                if found is None:
                    server._count(not_found=1)
                    body = b"not found"
                    self.send_response(HTTPStatus.NOT_FOUND)
                    self.send_header("Content-Type", "text/plain")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                if _not_modified(found, inm, ims):
                    server._count(not_modified=1)
                    self.send_response(HTTPStatus.NOT_MODIFIED)
                    self.send_header("ETag", found.etag)
                    self.send_header("Last-Modified", found.last_modified)
                    self.end_headers()
                    return
                server._count(ok=1, bytes=len(found.body))
                self._send(found)

            def _control(self) -> None:
                """/_bench/stats and /_bench/reset, for a harness in another process; never counted."""
                if self.path == "/_bench/reset":
                    server.reset()
                body = json.dumps(server.stats().as_dict()).encode()
                self.send_response(HTTPStatus.OK)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _send(self, found: _File) -> None:
                self.send_response(HTTPStatus.OK)
                self.send_header("Content-Type", found.content_type)
                self.send_header("Content-Length", str(len(found.body)))
                self.send_header("ETag", found.etag)
                self.send_header("Last-Modified", found.last_modified)
                self.end_headers()
                self.wfile.write(found.body)

        return Handler


class ServerProcess:
    """A CorpusServer in its own process, so the harness (and its memory sampler) never competes
    with it for a GIL. Same `url`, `reset()` and `stats()` as CorpusServer."""

    def __init__(self, root: Path, *, profile: str = "loopback", seed: int = 11, seconds: float = 3600.0) -> None:
        self.argv = [sys.executable, "-m", "bench.server", str(root), "--profile", profile, "--seed", str(seed)]
        self.argv += ["--seconds", str(seconds)]
        self.proc: subprocess.Popen[str] | None = None
        self.url = ""

    def __enter__(self) -> ServerProcess:
        root = Path(__file__).resolve().parent.parent
        self.proc = subprocess.Popen(self.argv, cwd=root, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()  # "serving ... at http://127.0.0.1:PORT"
        if " at http://" not in line:
            self.proc.kill()
            raise RuntimeError(f"bench server did not start: {line!r}")
        self.url = line.rsplit(" at ", 1)[1].strip()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)

    def _get(self, path: str) -> Stats:
        with urllib.request.urlopen(self.url + path, timeout=30) as response:
            return Stats(**json.loads(response.read()))

    def reset(self) -> None:
        self._get("/_bench/reset")

    def stats(self) -> Stats:
        return self._get("/_bench/stats")


def _not_modified(found: _File, inm: str | None, ims: str | None) -> bool:
    """RFC 9110 §13.2.2: If-None-Match decides when present; otherwise If-Modified-Since."""
    if inm is not None:
        tags = [t.strip().removeprefix("W/") for t in inm.split(",")]
        return "*" in tags or found.etag in tags
    if ims is not None:
        try:
            since = email.utils.parsedate_to_datetime(ims).timestamp()
        except (TypeError, ValueError):
            return False
        return int(found.mtime) <= int(since)
    return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve a bench corpus on 127.0.0.1.")
    parser.add_argument("root", type=Path, help="a folder written by `python -m bench.corpus`")
    parser.add_argument("--profile", choices=sorted(PROFILES), default="loopback")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--seed", type=int, default=11, help="seed of the WAN delays")
    parser.add_argument("--seconds", type=float, default=600.0, help="stop after this long (bounded)")
    args = parser.parse_args(argv)
    with CorpusServer(args.root, profile=args.profile, port=args.port, seed=args.seed) as server:
        print(f"serving {args.root} ({len(server.files)} files, {args.profile}) at {server.url}", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            time.sleep(args.seconds)
        print(server.stats().as_dict())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
