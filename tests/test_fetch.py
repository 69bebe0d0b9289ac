"""worker.fetch against a real HTTP server on 127.0.0.1; sleeps are injected, so nothing waits for back-off."""

from __future__ import annotations

import gzip
import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from worker.errors import FetchError
from worker.fetch import Fetcher
from worker.models import Fetched

UA = "LoaBot/1.0 (+https://loa.example/bot)"

RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel>
<title>Cổng thông tin điện tử Bộ Công an</title>
<item>
  <title>Cảnh báo lừa đảo giả danh công an</title>
  <link>https://bocongan.example/tin-tuc/canh-bao-lua-dao-gia-danh-cong-an</link>
  <description>Người dân tuyệt đối không chuyển tiền theo yêu cầu qua điện thoại.</description>
  <pubDate>Mon, 02 Jun 2025 08:30:00 +0700</pubDate>
</item>
</channel></rss>
""".encode()

RSS_TYPE = "application/rss+xml; charset=UTF-8"


# -- a tiny scriptable server ----------------------------------------------------------------------


class Request(BaseHTTPRequestHandler):
    """The handler instance a route receives; `srv` is the owning Server."""

    srv: Server


Route = Callable[[Request], None]


@dataclass
class Server:
    base: str = ""
    routes: dict[str, Route] = field(default_factory=dict)
    hits: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)

    def url(self, path: str) -> str:
        return self.base + path

    def count(self, path: str) -> int:
        with self.lock:
            return sum(1 for p, _ in self.hits if p == path)

    def headers_of(self, path: str) -> list[dict[str, str]]:
        with self.lock:
            return [h for p, h in self.hits if p == path]


def send(
    req: Request,
    status: int,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
) -> None:
    # send_response_only: send_response would add its own Date header, and some tests set Date.
    req.send_response_only(status)
    for key, value in (headers or {}).items():
        req.send_header(key, value)
    if "Content-Length" not in (headers or {}):
        req.send_header("Content-Length", str(len(body)))
    req.end_headers()
    if body:
        req.wfile.write(body)


def reply(status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> Route:
    return lambda req: send(req, status, body, headers)


def ok(body: bytes = RSS, content_type: str = RSS_TYPE) -> Route:
    return reply(200, body, {"Content-Type": content_type})


def redirect(status: int, location: str) -> Route:
    return reply(status, b"", {"Location": location})


def sequence(*routes: Route) -> Route:
    """Each hit gets the next route; the last one repeats."""
    lock = threading.Lock()
    calls = [0]

    def route(req: Request) -> None:
        with lock:
            i = min(calls[0], len(routes) - 1)
            calls[0] += 1
        routes[i](req)

    return route


def _handler_class(srv: Server) -> type[Request]:
    class Handler(Request):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            with srv.lock:
                srv.hits.append((self.path, dict(self.headers.items())))
                route = srv.routes.get(self.path)
            try:
                if route is None:
                    send(self, 404, b"not found", {"Content-Type": "text/plain"})
                else:
                    route(self)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True

        def log_message(self, format: str, *args: object) -> None:
            pass

    Handler.srv = srv
    return Handler


@pytest.fixture
def server() -> Iterator[Server]:
    srv = Server()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_class(srv))
    httpd.daemon_threads = True
    srv.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield srv
    srv.stop.set()  # wakes handlers that are sleeping on purpose
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


class Sleeps:
    """Stand-in for time.sleep that records what the fetcher asked for."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def fetcher(sleeps: Sleeps) -> Iterator[Fetcher]:
    with Fetcher(user_agent=UA, sleep=sleeps, timeout=5.0, connect_timeout=2.0) as f:
        yield f


def fetch_error(call: Callable[[], object]) -> FetchError:
    with pytest.raises(FetchError) as info:
        call()
    return info.value


# -- success, headers, charset, redirects --------------------------------------------------------


def test_200_returns_body_headers_and_charset(server: Server, fetcher: Fetcher) -> None:
    validators = {"ETag": '"v7"', "Last-Modified": "Mon, 02 Jun 2025 01:30:00 GMT"}
    server.routes["/rss/canh-bao.rss"] = reply(200, RSS, {"Content-Type": RSS_TYPE, **validators})

    got = fetcher.get(server.url("/rss/canh-bao.rss"))

    assert isinstance(got, Fetched)
    assert got.status == 200
    assert got.body == RSS
    assert "Cảnh báo lừa đảo giả danh công an" in got.body.decode("utf-8")
    assert got.content_type == "application/rss+xml"
    assert got.charset == "utf-8"
    assert got.etag == '"v7"'
    assert got.last_modified == "Mon, 02 Jun 2025 01:30:00 GMT"
    assert got.headers["Content-Type"] == RSS_TYPE
    assert type(got.headers) is dict
    assert got.url == got.final_url == server.url("/rss/canh-bao.rss")
    assert not got.not_modified
    assert isinstance(got.elapsed, float) and got.elapsed >= 0


def test_charset_is_none_when_header_has_none(server: Server, fetcher: Fetcher) -> None:
    # requests would guess ISO-8859-1 for text/*; Loa must report "not declared" instead.
    server.routes["/tin-tuc"] = ok("<p>Tin mới</p>".encode(), content_type="TEXT/HTML")
    got = fetcher.get(server.url("/tin-tuc"))
    assert got.content_type == "text/html"
    assert got.charset is None
    assert got.body == "<p>Tin mới</p>".encode()


def test_quoted_charset_param(server: Server, fetcher: Fetcher) -> None:
    server.routes["/feed"] = ok(content_type='text/xml; Charset="windows-1258"; q=1')
    got = fetcher.get(server.url("/feed"))
    assert (got.content_type, got.charset) == ("text/xml", "windows-1258")


def test_user_agent_and_accept_are_sent(server: Server, fetcher: Fetcher) -> None:
    server.routes["/api/tin"] = ok(b'{"items": []}', content_type="application/json")
    fetcher.get(server.url("/api/tin"), accept="application/json")
    (sent,) = server.headers_of("/api/tin")
    assert sent["User-Agent"] == UA
    assert sent["Accept"] == "application/json"
    (robots,) = server.headers_of("/robots.txt")
    assert robots["User-Agent"] == UA


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_redirect_sets_final_url(server: Server, fetcher: Fetcher, status: int) -> None:
    server.routes["/rss.xml"] = redirect(status, "/rss/moi.rss")  # relative Location
    server.routes["/rss/moi.rss"] = ok()

    got = fetcher.get(server.url("/rss.xml"))

    assert got.status == 200
    assert got.body == RSS
    assert got.url == server.url("/rss.xml")
    assert got.final_url == server.url("/rss/moi.rss")


def test_redirect_loop_is_http_error(server: Server, fetcher: Fetcher) -> None:
    server.routes["/a"] = redirect(302, "/b")
    server.routes["/b"] = redirect(302, server.url("/a"))

    err = fetch_error(lambda: fetcher.get(server.url("/a")))

    assert err.kind == "http"
    assert "redirect loop" in err.message
    assert server.url("/a") in err.message
    assert err.url == server.url("/a")
    assert err.hint
    # 1 first request + max_redirects (10) followed hops, then it stops
    assert server.count("/a") + server.count("/b") == 11


def test_too_many_redirects_without_loop(server: Server, sleeps: Sleeps) -> None:
    for i in range(10):
        server.routes[f"/hop/{i}"] = redirect(301, f"/hop/{i + 1}")
    with Fetcher(user_agent=UA, sleep=sleeps, max_redirects=3) as f:
        err = fetch_error(lambda: f.get(server.url("/hop/0")))
    assert err.kind == "http"
    assert "too many redirects" in err.message
    assert server.count("/hop/4") == 0


def test_redirect_to_non_http_scheme_is_refused(server: Server, fetcher: Fetcher) -> None:
    server.routes["/tai-lieu"] = redirect(302, "ftp://127.0.0.1/tai-lieu.pdf")
    err = fetch_error(lambda: fetcher.get(server.url("/tai-lieu")))
    assert err.kind == "http"
    assert "ftp" in err.message


@pytest.mark.parametrize(
    "url", ["ftp://127.0.0.1/feed.xml", "file:///etc/passwd", "javascript:alert(1)", "bocongan.gov.vn/rss", "http:///x"]
)
def test_non_http_urls_are_refused_without_a_request(fetcher: Fetcher, url: str) -> None:
    err = fetch_error(lambda: fetcher.get(url))
    assert err.kind == "http"
    assert url in err.message
    assert "sources.yaml" in err.hint


# -- conditional GET -------------------------------------------------------------------------------


def conditional(etag: str, last_modified: str) -> Route:
    def route(req: Request) -> None:
        if req.headers.get("If-None-Match") == etag or req.headers.get("If-Modified-Since") == last_modified:
            send(req, 304)
        else:
            send(req, 200, RSS, {"Content-Type": RSS_TYPE, "ETag": etag, "Last-Modified": last_modified})

    return route


def test_conditional_get_with_etag_returns_304(server: Server, fetcher: Fetcher) -> None:
    server.routes["/feed"] = conditional('"abc"', "Mon, 02 Jun 2025 01:30:00 GMT")

    first = fetcher.get(server.url("/feed"))
    again = fetcher.get(server.url("/feed"), etag=first.etag, last_modified="Sun, 01 Jun 2025 00:00:00 GMT")

    assert first.status == 200 and first.etag == '"abc"'
    assert again.status == 304
    assert again.not_modified
    assert again.body is None
    # the server sent neither validator with its 304: the ones Loa sent are kept
    assert again.etag == '"abc"'
    assert again.last_modified == "Sun, 01 Jun 2025 00:00:00 GMT"
    sent = server.headers_of("/feed")[-1]
    assert sent["If-None-Match"] == '"abc"'
    assert sent["If-Modified-Since"] == "Sun, 01 Jun 2025 00:00:00 GMT"
    assert "If-None-Match" not in server.headers_of("/feed")[0]


def test_conditional_get_with_last_modified_keeps_new_validators(server: Server, fetcher: Fetcher) -> None:
    lm = "Mon, 02 Jun 2025 01:30:00 GMT"
    server.routes["/feed"] = lambda req: send(req, 304, headers={"ETag": '"new"'})
    got = fetcher.get(server.url("/feed"), last_modified=lm)
    assert got.status == 304 and got.body is None
    assert got.etag == '"new"'
    assert got.last_modified == lm


# -- retries and Retry-After -----------------------------------------------------------------------


def test_503_then_200_is_retried_with_backoff(server: Server, fetcher: Fetcher, sleeps: Sleeps) -> None:
    server.routes["/feed"] = sequence(reply(503), reply(503), ok())

    got = fetcher.get(server.url("/feed"))

    assert got.status == 200 and got.body == RSS
    assert server.count("/feed") == 3
    assert sleeps.calls == [1.0, 2.0]


def test_retry_after_seconds_is_honoured(server: Server, fetcher: Fetcher, sleeps: Sleeps) -> None:
    server.routes["/feed"] = sequence(reply(503, headers={"Retry-After": "7"}), ok())
    assert fetcher.get(server.url("/feed")).status == 200
    assert sleeps.calls == [7.0]


def test_retry_after_http_date_is_measured_from_the_date_header(
    server: Server, fetcher: Fetcher, sleeps: Sleeps
) -> None:
    busy = {"Date": "Mon, 02 Jun 2025 01:30:00 GMT", "Retry-After": "Mon, 02 Jun 2025 01:30:45 GMT"}
    server.routes["/feed"] = sequence(reply(503, headers=busy), ok())
    assert fetcher.get(server.url("/feed")).status == 200
    assert sleeps.calls == [45.0]


def test_retry_after_http_date_without_date_header_falls_back_to_backoff(
    server: Server, fetcher: Fetcher, sleeps: Sleeps
) -> None:
    server.routes["/feed"] = sequence(reply(503, headers={"Retry-After": "Mon, 02 Jun 2025 01:30:45 GMT"}), ok())
    assert fetcher.get(server.url("/feed")).status == 200
    assert sleeps.calls == [1.0]


def test_429_is_retried(server: Server, fetcher: Fetcher, sleeps: Sleeps) -> None:
    server.routes["/api"] = sequence(reply(429, headers={"Retry-After": "3"}), ok(b"[]", "application/json"))
    got = fetcher.get(server.url("/api"))
    assert got.body == b"[]"
    assert server.count("/api") == 2
    assert sleeps.calls == [3.0]


def test_gives_up_after_retries(server: Server, sleeps: Sleeps) -> None:
    server.routes["/feed"] = reply(502)
    with Fetcher(user_agent=UA, sleep=sleeps, retries=2, backoff_base=0.5) as f:
        err = fetch_error(lambda: f.get(server.url("/feed")))
    assert err.kind == "http"
    assert err.status == 502
    assert "HTTP 502" in err.message and server.url("/feed") in err.message
    assert "3 attempts" in err.message
    assert err.hint
    assert server.count("/feed") == 3
    assert sleeps.calls == [0.5, 1.0]


def test_retry_after_too_long_fails_without_sleeping(server: Server, fetcher: Fetcher, sleeps: Sleeps) -> None:
    server.routes["/feed"] = reply(503, headers={"Retry-After": "3600"})
    err = fetch_error(lambda: fetcher.get(server.url("/feed")))
    assert err.kind == "http"
    assert err.status == 503
    assert "3600 s" in err.message
    assert "3600 s" in err.hint
    assert sleeps.calls == []
    assert server.count("/feed") == 1


@pytest.mark.parametrize("status", [400, 403, 404, 410])
def test_4xx_fails_at_once(server: Server, fetcher: Fetcher, sleeps: Sleeps, status: int) -> None:
    server.routes["/feed"] = reply(status)
    err = fetch_error(lambda: fetcher.get(server.url("/feed")))
    assert err.kind == "http"
    assert err.status == status
    assert f"{server.url('/feed')} answered HTTP {status}" == err.message
    assert "sources.yaml" in err.hint or "allow" in err.hint
    assert server.count("/feed") == 1
    assert sleeps.calls == []


def test_404_names_url_and_hint(server: Server, fetcher: Fetcher) -> None:
    err = fetch_error(lambda: fetcher.get(server.url("/khong-co.rss")))
    assert str(err) == f"{server.url('/khong-co.rss')} answered HTTP 404 (check the source's url in sources.yaml)"


# -- network failures ------------------------------------------------------------------------------


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def test_connection_refused_is_network_error(sleeps: Sleeps) -> None:
    url = f"http://127.0.0.1:{closed_port()}/rss"
    with Fetcher(user_agent=UA, sleep=sleeps, retries=2) as f:
        err = fetch_error(lambda: f.get(url, respect_robots=False))
    assert err.kind == "network"
    assert url in err.message
    assert "refused" in err.message
    assert err.hint
    assert sleeps.calls == [1.0, 2.0]


def test_connection_refused_while_fetching_robots_is_network_error(sleeps: Sleeps) -> None:
    url = f"http://127.0.0.1:{closed_port()}/rss"
    with Fetcher(user_agent=UA, sleep=sleeps, retries=0) as f:
        err = fetch_error(lambda: f.get(url))
    assert err.kind == "network"
    assert err.url == url
    assert "robots.txt" in err.message


def test_unreachable_host_is_not_asked_again_in_the_same_run(sleeps: Sleeps) -> None:
    port = closed_port()
    with Fetcher(user_agent=UA, sleep=sleeps, retries=1) as f:
        first = fetch_error(lambda: f.get(f"http://127.0.0.1:{port}/a.jpg"))
        second = fetch_error(lambda: f.get(f"http://127.0.0.1:{port}/b.jpg"))
    assert (first.kind, second.kind) == ("network", "network")
    assert second.url.endswith("/b.jpg")
    assert "robots.txt" in second.message and "refused" in second.message
    assert sleeps.calls == [1.0]  # the second get neither retried nor waited


def test_read_timeout_is_network_error_after_retries(server: Server, sleeps: Sleeps) -> None:
    def slow(req: Request) -> None:
        req.srv.stop.wait(2.0)
        send(req, 200, RSS)

    server.routes["/cham.rss"] = slow
    with Fetcher(user_agent=UA, sleep=sleeps, retries=1, timeout=0.3) as f:
        started = time.monotonic()
        err = fetch_error(lambda: f.get(server.url("/cham.rss"), respect_robots=False))
    assert time.monotonic() - started < 1.5
    assert err.kind == "network"
    assert "0.3 s" in err.message
    assert "timeout" in err.hint and "sources.yaml" in err.hint
    assert server.count("/cham.rss") == 2
    assert sleeps.calls == [1.0]


def test_connection_dropped_mid_body_is_retried_then_network_error(server: Server, sleeps: Sleeps) -> None:
    def truncated(req: Request) -> None:
        req.send_response_only(200)
        req.send_header("Content-Length", str(len(RSS)))
        req.end_headers()
        req.wfile.write(RSS[:100])
        req.close_connection = True

    server.routes["/feed"] = sequence(truncated, ok())
    with Fetcher(user_agent=UA, sleep=sleeps, retries=1) as f:
        assert f.get(server.url("/feed"), respect_robots=False).body == RSS
        server.routes["/feed"] = truncated
        err = fetch_error(lambda: f.get(server.url("/feed"), respect_robots=False))
    assert err.kind == "network"
    assert server.url("/feed") in err.message
    assert "2 attempts" in err.message
    assert server.count("/feed") == 4


def test_per_call_timeout_overrides_default(server: Server, sleeps: Sleeps) -> None:
    def slow(req: Request) -> None:
        req.srv.stop.wait(2.0)
        send(req, 200, RSS)

    server.routes["/cham.rss"] = slow
    with Fetcher(user_agent=UA, sleep=sleeps, retries=0, timeout=30.0) as f:
        err = fetch_error(lambda: f.get(server.url("/cham.rss"), respect_robots=False, timeout=0.2))
    assert err.kind == "network"
    assert "0.2 s" in err.message


# -- size cap ------------------------------------------------------------------------------------


def chunked(total: int, piece: int = 16 * 1024, sent: list[int] | None = None) -> Route:
    """Streams `total` bytes with Transfer-Encoding: chunked (no Content-Length)."""

    def route(req: Request) -> None:
        req.send_response_only(200)
        req.send_header("Content-Type", "application/xml")
        req.send_header("Transfer-Encoding", "chunked")
        req.end_headers()
        left = total
        try:
            while left > 0:
                n = min(piece, left)
                req.wfile.write(b"%x\r\n" % n + b"a" * n + b"\r\n")
                left -= n
                if sent is not None:
                    sent[0] += n
            req.wfile.write(b"0\r\n\r\n")
        finally:
            req.close_connection = True

    return route


def test_content_length_over_cap_is_rejected_up_front(server: Server, fetcher: Fetcher) -> None:
    server.routes["/big.xml"] = ok(b"x" * 2048)
    err = fetch_error(lambda: fetcher.get(server.url("/big.xml"), max_bytes=1024))
    assert err.kind == "too_large"
    assert server.url("/big.xml") in err.message
    assert "larger than the 0.000977 MiB (1,024 bytes) cap (it declares 0.00195 MiB (2,048 bytes))" in err.message
    assert "max_bytes" in err.hint


def test_chunked_body_over_cap_is_aborted(server: Server, fetcher: Fetcher) -> None:
    sent = [0]
    total = 64 * 1024 * 1024
    server.routes["/stream.xml"] = chunked(total, piece=64 * 1024, sent=sent)

    err = fetch_error(lambda: fetcher.get(server.url("/stream.xml"), max_bytes=256 * 1024))

    assert err.kind == "too_large"
    assert "0.25 MiB (262,144 bytes) cap" in err.message
    # the client hung up long before the server could send everything
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline and sent[0] < total:
        before = sent[0]
        time.sleep(0.05)
        if sent[0] == before:
            break
    assert sent[0] < total


def test_gzip_bomb_is_capped_on_decoded_size(server: Server, fetcher: Fetcher) -> None:
    packed = gzip.compress(b"\0" * (4 * 1024 * 1024))
    assert len(packed) < 64 * 1024
    server.routes["/bomb.xml"] = reply(200, packed, {"Content-Type": "application/xml", "Content-Encoding": "gzip"})
    err = fetch_error(lambda: fetcher.get(server.url("/bomb.xml"), max_bytes=1024 * 1024))
    assert err.kind == "too_large"


def test_gzip_body_is_decoded(server: Server, fetcher: Fetcher) -> None:
    server.routes["/feed"] = reply(200, gzip.compress(RSS), {"Content-Type": RSS_TYPE, "Content-Encoding": "gzip"})
    assert fetcher.get(server.url("/feed")).body == RSS


def test_body_exactly_at_cap_is_accepted(server: Server, fetcher: Fetcher) -> None:
    server.routes["/exact.xml"] = ok(RSS)
    server.routes["/exact-chunked.xml"] = chunked(len(RSS) * 3, piece=100)
    assert fetcher.get(server.url("/exact.xml"), max_bytes=len(RSS)).body == RSS
    got = fetcher.get(server.url("/exact-chunked.xml"), max_bytes=len(RSS) * 3)
    assert got.body == b"a" * (len(RSS) * 3)
    err = fetch_error(lambda: fetcher.get(server.url("/exact-chunked.xml"), max_bytes=len(RSS) * 3 - 1))
    assert err.kind == "too_large"


def test_default_cap_comes_from_constructor(server: Server, sleeps: Sleeps) -> None:
    server.routes["/feed"] = ok(RSS)
    with Fetcher(user_agent=UA, sleep=sleeps, max_bytes=100) as f:
        assert fetch_error(lambda: f.get(server.url("/feed"))).kind == "too_large"
        assert f.get(server.url("/feed"), max_bytes=len(RSS)).body == RSS


# -- robots.txt ------------------------------------------------------------------------------------

ROBOTS = b"""# robots.txt cho bocongan.example
User-agent: *
Disallow: /quan-tri/
Disallow: /tim-kiem

User-agent: BadBot
Disallow: /
"""


def test_robots_disallow_is_robots_error_and_path_never_hit(server: Server, fetcher: Fetcher) -> None:
    server.routes["/robots.txt"] = ok(ROBOTS, "text/plain")
    server.routes["/quan-tri/rss.xml"] = ok()

    err = fetch_error(lambda: fetcher.get(server.url("/quan-tri/rss.xml")))

    assert err.kind == "robots"
    assert "robots.txt" in err.message
    assert server.url("/quan-tri/rss.xml") in err.message
    assert err.hint == "set respect_robots: false for this source only if the site owner agreed"
    assert server.count("/quan-tri/rss.xml") == 0
    assert fetcher.robots_allowed(server.url("/quan-tri/rss.xml")) is False


def test_robots_allows_other_paths(server: Server, fetcher: Fetcher) -> None:
    server.routes["/robots.txt"] = ok(ROBOTS, "text/plain")
    server.routes["/tin-tuc/rss.xml"] = ok()
    assert fetcher.get(server.url("/tin-tuc/rss.xml")).body == RSS
    assert fetcher.robots_allowed(server.url("/tin-tuc/khac.html")) is True


def test_robots_group_for_our_user_agent(server: Server, sleeps: Sleeps) -> None:
    server.routes["/robots.txt"] = ok(ROBOTS, "text/plain")
    with Fetcher(user_agent="BadBot/2.0", sleep=sleeps) as f:
        assert f.robots_allowed(server.url("/tin-tuc/rss.xml")) is False
        assert fetch_error(lambda: f.get(server.url("/tin-tuc/rss.xml"))).kind == "robots"


def test_robots_404_allows_everything(server: Server, fetcher: Fetcher) -> None:
    server.routes["/quan-tri/rss.xml"] = ok()
    assert fetcher.get(server.url("/quan-tri/rss.xml")).status == 200
    assert server.count("/robots.txt") == 1


def test_robots_503_disallows_everything(server: Server, fetcher: Fetcher, sleeps: Sleeps) -> None:
    server.routes["/robots.txt"] = reply(503)
    server.routes["/feed"] = ok()

    err = fetch_error(lambda: fetcher.get(server.url("/feed")))

    assert err.kind == "robots"
    assert "robots.txt answered HTTP 503" in err.message
    assert err.status == 503
    assert server.count("/feed") == 0
    assert server.count("/robots.txt") == 4  # the normal retries, then it counts as disallow-all
    assert fetcher.robots_allowed(server.url("/feed")) is False
    assert server.count("/robots.txt") == 4  # the outcome is cached for this Fetcher


def test_robots_fetched_once_for_many_gets(server: Server, fetcher: Fetcher) -> None:
    server.routes["/robots.txt"] = ok(ROBOTS, "text/plain")
    for i in range(8):
        server.routes[f"/tin/{i}.html"] = ok(f"<h1>Tin số {i}</h1>".encode(), "text/html; charset=utf-8")

    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(lambda i: fetcher.get(server.url(f"/tin/{i}.html")), range(8)))

    assert [g.body for g in got] == [f"<h1>Tin số {i}</h1>".encode() for i in range(8)]
    assert server.count("/robots.txt") == 1


def test_respect_robots_false_skips_robots(server: Server, fetcher: Fetcher) -> None:
    server.routes["/robots.txt"] = ok(b"User-agent: *\nDisallow: /\n", "text/plain")
    server.routes["/feed"] = ok()
    assert fetcher.get(server.url("/feed"), respect_robots=False).body == RSS
    assert server.count("/robots.txt") == 0


def test_robots_is_checked_for_redirect_targets(server: Server, fetcher: Fetcher) -> None:
    server.routes["/robots.txt"] = ok(ROBOTS, "text/plain")
    server.routes["/rss"] = redirect(302, "/quan-tri/rss.xml")
    server.routes["/quan-tri/rss.xml"] = ok()
    err = fetch_error(lambda: fetcher.get(server.url("/rss")))
    assert err.kind == "robots"
    assert "redirected to" in err.message
    assert server.count("/quan-tri/rss.xml") == 0


# -- politeness ----------------------------------------------------------------------------------


def test_per_host_cap_limits_requests_in_flight(server: Server, sleeps: Sleeps) -> None:
    state = {"now": 0, "peak": 0}
    lock = threading.Lock()

    def slow(req: Request) -> None:
        with lock:
            state["now"] += 1
            state["peak"] = max(state["peak"], state["now"])
        time.sleep(0.15)
        # Leave before answering: once the client has the answer it may start the next request.
        with lock:
            state["now"] -= 1
        send(req, 200, RSS, {"Content-Type": RSS_TYPE})

    for i in range(6):
        server.routes[f"/tin/{i}"] = slow

    with Fetcher(user_agent=UA, sleep=sleeps, per_host=2) as f, ThreadPoolExecutor(max_workers=6) as pool:
        got = list(pool.map(lambda i: f.get(server.url(f"/tin/{i}"), respect_robots=False), range(6)))

    assert all(g.body == RSS for g in got)
    assert state["peak"] == 2


def test_a_trickling_body_is_cut_off_after_a_few_read_timeouts(server: Server, sleeps: Sleeps) -> None:
    def trickle(req: Request) -> None:
        req.send_response_only(200)
        req.send_header("Content-Length", str(40 * 100))
        req.end_headers()
        for _ in range(40):
            if req.srv.stop.wait(0.1):
                return
            req.wfile.write(b"x" * 100)
            req.wfile.flush()

    server.routes["/nho-giot.rss"] = trickle
    with Fetcher(user_agent=UA, sleep=sleeps, retries=0, timeout=0.3) as f:
        started = time.monotonic()
        err = fetch_error(lambda: f.get(server.url("/nho-giot.rss"), respect_robots=False))
    assert time.monotonic() - started < 3.0
    assert err.kind == "network"
    assert "to send its body" in err.message and "timeout" in err.hint


def test_per_source_user_agent_overrides_the_default(server: Server, fetcher: Fetcher) -> None:
    server.routes["/feed"] = ok()
    fetcher.get(server.url("/feed"), respect_robots=False, user_agent="Loa/0.1 (+mailto:vanhoa@thanhhoa.gov.vn)")
    assert server.headers_of("/feed")[-1]["User-Agent"] == "Loa/0.1 (+mailto:vanhoa@thanhhoa.gov.vn)"


# -- proxies from the environment -----------------------------------------------------------------


def test_proxies_from_the_environment_are_honoured_and_read_once_per_origin(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The test server doubles as the proxy: a proxied request arrives with the absolute URL as its path.
    for name in ("HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", server.base)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    feed = "http://canhbao.thanhhoa.invalid/rss.xml"
    server.routes[feed] = ok()
    server.routes["/truc-tiep.xml"] = ok()
    reads: list[str] = []
    environ_proxies = requests.sessions.get_environ_proxies

    def counted(url: str, no_proxy: str | None = None) -> dict[str, str]:
        reads.append(url)
        return environ_proxies(url, no_proxy=no_proxy)

    monkeypatch.setattr(requests.sessions, "get_environ_proxies", counted)
    with Fetcher(user_agent=UA, retries=0) as fetcher:
        for _ in range(3):
            assert fetcher.get(feed).body == RSS
            assert fetcher.get(server.url("/truc-tiep.xml")).body == RSS
    assert server.count(feed) == 3  # through the proxy
    assert server.count("/truc-tiep.xml") == 3  # NO_PROXY: straight to the server
    # robots.txt and the feed share an origin: the environment is read once for each of the two origins.
    assert len(reads) == 2


@pytest.mark.parametrize(
    "url", ["http://canhbao.thanhhoa.invalid/a", "https://khonggianmang.vn/b", "http://127.0.0.1:8000/c"]
)
def test_environment_settings_are_what_requests_itself_reads(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.thanhhoa.invalid:3128")
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.thanhhoa.invalid:3129")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,.gov.vn")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    expected = requests.Session().merge_environment_settings(url, {}, True, None, None)
    with Fetcher(user_agent=UA) as fetcher:
        session = fetcher._session
        first = session.merge_environment_settings(url, {}, True, None, None)
        first["proxies"]["http"] = "changed by a caller"
        assert session.merge_environment_settings(url, {}, True, None, None) == expected
