"""Polite HTTP fetching for Loa: robots.txt, per-host limits, retries, size caps, conditional GET.

The only module that imports `requests`; everything else receives `Fetched` values or `FetchError`s.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
import urllib.robotparser
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import urljoin, urlsplit

import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict

from worker.dates import retry_after_seconds
from worker.errors import FetchError
from worker.models import Fetched

if TYPE_CHECKING:
    from requests.sessions import _Settings

log = logging.getLogger(__name__)

_CHUNK = 64 * 1024
_DRAIN_MAX = 64 * 1024  # unread bodies up to this size are read so the connection can be reused
BODY_TIME_FACTOR = 4
_POOL_SIZE = 16
_MIB = 1024 * 1024
_DEFAULT_PORTS = {"http": 80, "https": 443}

_ROBOTS_HINT = "set respect_robots: false for this source only if the site owner agreed"
_URL_HINT = "check the source's url in sources.yaml"


@dataclass(frozen=True)
class _Response:
    """What one request/response exchange left behind once its connection was released."""

    url: str
    status: int
    headers: CaseInsensitiveDict[str]
    body: bytes | None
    attempts: int


@dataclass(frozen=True)
class Sent:
    """The answer to one delivery request: status, headers, the first bytes of the body, and how long it took."""

    status: int
    headers: dict[str, str]
    body: bytes
    elapsed: float


@dataclass(frozen=True)
class _RobotsRules:
    """robots.txt as understood for one origin; `parser` None means "no restrictions"."""

    robots_url: str
    parser: urllib.robotparser.RobotFileParser | None = None
    unreachable_status: int | None = None  # set when robots.txt answered 5xx/429: disallow all


class _Session(requests.Session):
    """A requests session that reads proxy and CA-bundle settings from the environment once per origin.

    requests re-reads them for every request (~0.1 ms: it walks os.environ), a tenth of a 304's cost here.
    One Fetcher lives for one run, so the environment it sees does not change under it.
    """

    def __init__(self) -> None:
        super().__init__()
        # Fetch threads share it without a lock: a dict get or set is atomic, and two threads that both miss
        # an origin at once only read the same environment twice.
        self._environment: dict[tuple[str, str, Any, Any, Any, Any], _Settings] = {}

    def merge_environment_settings(
        self, url: str | bytes | None, proxies: Any, stream: Any, verify: Any, cert: Any
    ) -> _Settings:
        if proxies or not isinstance(url, str):  # per-request proxies: requests' own merge, uncached
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        parts = urlsplit(url)
        key = (parts.scheme, parts.netloc, stream, verify, cert, self.trust_env)
        settings = self._environment.get(key)
        if settings is None:
            settings = self._environment[key] = super().merge_environment_settings(url, proxies, stream, verify, cert)
        # A copy: requests hands `proxies` on to the adapter, which must not share one dict across threads.
        copied = settings.copy()
        copied["proxies"] = dict(settings["proxies"])
        return copied


class Fetcher:
    """Thread-safe HTTP client for the pipeline; one per sync run, shared by all worker threads."""

    def __init__(
        self,
        *,
        user_agent: str,
        timeout: float = 20.0,
        connect_timeout: float = 10.0,
        max_bytes: int = 10 * 1024 * 1024,
        retries: int = 3,
        backoff_base: float = 1.0,
        max_retry_after: float = 120.0,
        per_host: int = 2,
        sleep: Callable[[float], None] = time.sleep,
        max_redirects: int = 10,
    ) -> None:
        if not user_agent.strip():
            raise ValueError("user_agent must be a non-empty User-Agent string")
        if per_host < 1:
            raise ValueError("per_host must be at least 1")
        if retries < 0 or max_redirects < 0 or max_bytes < 0:
            raise ValueError("retries, max_redirects and max_bytes must not be negative")
        self.user_agent = user_agent
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.max_bytes = max_bytes
        self.retries = retries
        self.backoff_base = backoff_base
        self.max_retry_after = max_retry_after
        self.per_host = per_host
        self.max_redirects = max_redirects
        self._sleep = sleep

        self._session = _Session()
        self._session.headers["User-Agent"] = user_agent
        # Retries live in _exchange (they need Retry-After and the injected sleep), not in urllib3.
        # Keep-alive connections kept per host: at least per_host, or the extra ones would be
        # dropped after each request (and urllib3 would warn "Connection pool is full").
        pool_size = max(_POOL_SIZE, per_host)
        adapter = HTTPAdapter(pool_connections=_POOL_SIZE, pool_maxsize=pool_size, max_retries=0)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)

        self._lock = threading.Lock()
        self._host_slots: dict[str, threading.BoundedSemaphore] = {}
        self._robots: dict[str, _RobotsRules] = {}
        self._robots_locks: dict[str, threading.Lock] = {}
        # Origins whose robots.txt failed with a network error in this run (DNS, refused, timeout).
        self._unreachable: dict[str, FetchError] = {}

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._session.close()

    def get(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        respect_robots: bool = True,
        max_bytes: int | None = None,
        timeout: float | None = None,
        accept: str | None = None,
        user_agent: str | None = None,
    ) -> Fetched:
        """GET `url` and return its body, or a 304 `Fetched` with body None.

        Raises FetchError (kind network, http, robots or too_large) for anything else.
        `elapsed` covers the whole call: robots.txt, retries, back-off and redirects.
        """
        started = time.monotonic()
        headers: dict[str, str] = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        if accept:
            headers["Accept"] = accept
        if user_agent:
            headers["User-Agent"] = user_agent
        cap = self.max_bytes if max_bytes is None else max_bytes
        read_timeout = self.timeout if timeout is None else timeout

        resp = self._follow(url, headers, cap=cap, read_timeout=read_timeout, respect_robots=respect_robots)
        where = _describe(url, resp.url)
        if resp.status >= 400 or (300 <= resp.status < 400 and resp.status != 304):
            raise self._status_error(url, where, resp)

        content_type, charset = _parse_content_type(resp.headers.get("Content-Type", ""))
        not_modified = resp.status == 304
        return Fetched(
            url=url,
            final_url=resp.url,
            status=resp.status,
            body=None if not_modified else (resp.body or b""),
            content_type=content_type,
            charset=charset,
            etag=resp.headers.get("ETag") or (etag if not_modified else None),
            last_modified=resp.headers.get("Last-Modified") or (last_modified if not_modified else None),
            elapsed=time.monotonic() - started,
            headers=dict(resp.headers),
        )

    def post_json(self, url: str, payload: dict[str, Any], timeout: float | None = None) -> int:
        """POST `payload` as JSON once (no retries, no redirects: an alert must not be sent twice).

        Returns the HTTP status; raises FetchError on a network error or a non-2xx answer.
        """
        body = json.dumps(payload, ensure_ascii=False).encode()
        sent = self.send("POST", url, body=body, headers={"Content-Type": "application/json"}, timeout=timeout)
        if not 200 <= sent.status < 300:
            raise FetchError(f"POST {url} answered HTTP {sent.status}", url=url, kind="http", status=sent.status)
        return sent.status

    def send(
        self,
        method: str,
        url: str,
        *,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
        timeout: float | None = None,
        max_body: int = 20 * _MIB,
        max_response: int = 256 * 1024,
    ) -> Sent:
        """One signed delivery request, sent once: no retries (they are scheduled across runs), no redirects.

        Any HTTP answer is returned (the caller decides what a status means); the response body is
        read up to `max_response` bytes. Raises FetchError on a network error or a body over `max_body`.
        """
        _check_scheme(url, url)
        if len(body) > max_body:
            raise FetchError(
                f"{method} {url}: the body is {_mib(len(body))}, over the {_mib(max_body)} cap",
                url=url,
                kind="too_large",
            )
        started = time.monotonic()
        read_timeout = self.timeout if timeout is None else timeout
        try:
            with self._session.request(
                method,
                url,
                data=body or None,
                headers=headers or {},
                timeout=(self.connect_timeout, read_timeout),
                allow_redirects=False,
                stream=True,
            ) as resp:
                chunks: list[bytes] = []
                size = 0
                while size < max_response:
                    chunk = _read_some(resp)
                    if not chunk:
                        break
                    chunks.append(chunk)
                    size += len(chunk)
                data = b"".join(chunks)[:max_response]
                return Sent(
                    status=resp.status_code,
                    headers=dict(resp.headers),
                    body=data,
                    elapsed=time.monotonic() - started,
                )
        except requests.RequestException as exc:
            raise self._network_error(url, url, exc, 1, read_timeout) from exc

    def robots_allowed(self, url: str) -> bool:
        """Whether robots.txt lets this user agent fetch `url`; fetches robots.txt on first use per origin.

        A robots.txt that answered 5xx counts as disallow-all. Raises FetchError when robots.txt
        could not be fetched at all (network error, too large, Retry-After too long).
        """
        _check_scheme(url, url)
        rules = self._robots_rules(url, url)
        if rules.unreachable_status is not None:
            return False
        return rules.parser is None or rules.parser.can_fetch(self.user_agent, url)

    # -- redirects and robots ------------------------------------------------------------------

    def _follow(
        self, url: str, headers: dict[str, str], *, cap: int, read_timeout: float, respect_robots: bool
    ) -> _Response:
        # Redirects are followed here rather than by requests so that every hop gets the scheme
        # check, the robots.txt check, the per-host slot and the size cap like the first request.
        chain = [url]
        current = url
        while True:
            _check_scheme(url, current)
            if respect_robots:
                self._enforce_robots(url, current)
            resp = self._exchange(url, current, headers, cap=cap, read_timeout=read_timeout)
            location = resp.headers.get("Location") if 300 <= resp.status < 400 and resp.status != 304 else None
            if not location:
                return resp
            if len(chain) > self.max_redirects:
                raise self._redirect_error(url, chain)
            current = urljoin(current, _fix_location(location))
            chain.append(current)

    def _redirect_error(self, url: str, chain: list[str]) -> FetchError:
        looped = len(set(chain)) < len(chain)
        what = "redirect loop" if looped else "too many redirects"
        shown = " -> ".join(chain[-4:])
        return FetchError(
            f"{url}: {what}, gave up after {self.max_redirects} redirects (... {shown})",
            url=url,
            kind="http",
            hint="open the URL in a browser and put the final address in sources.yaml"
            if looped
            else "put the final address of the redirect chain in sources.yaml",
        )

    def _enforce_robots(self, url: str, current: str) -> None:
        rules = self._robots_rules(url, current)
        if rules.unreachable_status is not None:
            raise FetchError(
                f"{rules.robots_url} answered HTTP {rules.unreachable_status}, so {_describe(url, current)} "
                "counts as disallowed until robots.txt is reachable again (RFC 9309)",
                url=url,
                kind="robots",
                hint="wait for the site to fix robots.txt; " + _ROBOTS_HINT,
                status=rules.unreachable_status,
            )
        if rules.parser is not None and not rules.parser.can_fetch(self.user_agent, current):
            raise FetchError(
                f"{_describe(url, current)} is disallowed by {rules.robots_url} for user agent {self.user_agent!r}",
                url=url,
                kind="robots",
                hint=_ROBOTS_HINT,
            )

    def _robots_rules(self, url: str, current: str) -> _RobotsRules:
        parts = urlsplit(current)
        scheme = parts.scheme.lower()
        host = (parts.hostname or "").lower()
        port = parts.port or _DEFAULT_PORTS[scheme]
        origin = f"{scheme}://{host}:{port}"
        with self._lock:
            origin_lock = self._robots_locks.setdefault(origin, threading.Lock())
        # One lock per origin: concurrent gets to one site wait for a single robots.txt fetch.
        with origin_lock:
            cached = self._robots.get(origin)
            if cached is None:
                netloc = parts.netloc.rsplit("@", 1)[-1].lower()
                robots_url = f"{scheme}://{netloc}/robots.txt"
                down = self._unreachable.get(origin)
                if down is not None:
                    raise self._robots_error(url, robots_url, down)
                try:
                    cached = self._load_robots(robots_url)
                except FetchError as exc:
                    # A host that cannot be reached (DNS, refused, timeout) is not asked again in this
                    # run: each of its other files (a feed's 300 images) would wait out the same
                    # failure in turn behind the origin lock. Other failures are not cached; the next
                    # run (a new Fetcher) tries every host again.
                    if exc.kind == "network":
                        self._unreachable[origin] = exc
                    raise self._robots_error(url, robots_url, exc) from exc
                self._robots[origin] = cached
            return cached

    def _robots_error(self, url: str, robots_url: str, exc: FetchError) -> FetchError:
        return FetchError(
            f"could not fetch {robots_url} before fetching {url}: {exc.message}",
            url=url,
            kind=exc.kind,
            hint=exc.hint,
            status=exc.status,
        )

    def _load_robots(self, robots_url: str) -> _RobotsRules:
        resp = self._follow(robots_url, {}, cap=self.max_bytes, read_timeout=self.timeout, respect_robots=False)
        # RFC 9309 §2.3.1.3-4: 4xx means "no rules", 5xx means "disallow everything". A 429 still
        # counts as unreachable: it is the site asking us to slow down, not saying it has no rules.
        if resp.status >= 500 or resp.status == 429:
            return _RobotsRules(robots_url, unreachable_status=resp.status)
        if not 200 <= resp.status < 300:
            return _RobotsRules(robots_url)
        parser = urllib.robotparser.RobotFileParser(robots_url)
        parser.parse((resp.body or b"").decode("utf-8-sig", errors="replace").splitlines())
        return _RobotsRules(robots_url, parser=parser)

    # -- one hop, with retries -----------------------------------------------------------------

    def _exchange(self, url: str, current: str, headers: dict[str, str], *, cap: int, read_timeout: float) -> _Response:
        """One hop: request `current` with retries; returns the final status, raises on network errors."""
        host = (urlsplit(current).hostname or "").lower()
        attempts = self.retries + 1
        for attempt in range(attempts):
            try:
                with self._host_slot(host):
                    resp = self._session.get(
                        current,
                        headers=headers,
                        timeout=(self.connect_timeout, read_timeout),
                        stream=True,
                        allow_redirects=False,
                    )
                    try:
                        if 200 <= resp.status_code < 300:
                            body: bytes | None = self._read_body(url, current, resp, cap, read_timeout)
                        else:
                            body = None
                            _drain(resp)
                    finally:
                        resp.close()
            except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as exc:
                if isinstance(exc, requests.exceptions.SSLError) or attempt + 1 >= attempts:
                    raise self._network_error(url, current, exc, attempt + 1, read_timeout) from exc
                delay = self._backoff(attempt)
                log.info("%s: %s; retry %d/%d in %.1f s", current, exc, attempt + 1, self.retries, delay)
            except requests.exceptions.ContentDecodingError as exc:
                raise FetchError(
                    f"{_describe(url, current)} sent a body that could not be decompressed: {exc}",
                    url=url,
                    kind="http",
                    hint="the site is sending broken compressed data; report it to the site owner",
                ) from exc
            except requests.RequestException as exc:
                raise FetchError(
                    f"{_describe(url, current)} could not be requested: {exc}",
                    url=url,
                    kind="http",
                    hint=_URL_HINT,
                ) from exc
            else:
                status = resp.status_code
                result = _Response(current, status, resp.headers, body, attempt + 1)
                if not (status == 429 or status >= 500) or attempt + 1 >= attempts:
                    return result
                delay = self._retry_delay(url, current, result, attempt)
                log.info("%s: HTTP %d; retry %d/%d in %.1f s", current, status, attempt + 1, self.retries, delay)
            self._sleep(delay)
        raise AssertionError("unreachable: the last attempt always returns or raises")

    @contextmanager
    def _host_slot(self, host: str) -> Iterator[None]:
        with self._lock:
            slot = self._host_slots.get(host)
            if slot is None:
                slot = self._host_slots[host] = threading.BoundedSemaphore(self.per_host)
        with slot:
            yield

    def _read_body(self, url: str, current: str, resp: requests.Response, cap: int, read_timeout: float) -> bytes:
        # The read timeout bounds each read, not the whole body: a server trickling bytes could
        # otherwise hold a worker forever. The whole body gets a few read timeouts' worth.
        deadline = time.monotonic() + BODY_TIME_FACTOR * read_timeout
        declared = resp.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > cap:
            raise self._too_large(url, current, cap, f"it declares {_mib(int(declared))}")
        chunks: list[bytes] = []
        total = 0
        # read1 returns whatever has arrived (decompressed, so the cap also stops gzip bombs),
        # which lets the deadline below be checked even while a server trickles bytes.
        for chunk in iter(lambda: _read_some(resp), b""):
            total += len(chunk)
            if total > cap:
                raise self._too_large(url, current, cap, "it kept streaming past the cap")
            if time.monotonic() > deadline:
                raise FetchError(
                    f"{_describe(url, current)} took more than {BODY_TIME_FACTOR * read_timeout:.0f} s to send its body",
                    url=url,
                    kind="network",
                    hint="the server is very slow; raise timeout for this source in sources.yaml if this persists",
                )
            chunks.append(chunk)
        return b"".join(chunks)

    def _too_large(self, url: str, current: str, cap: int, detail: str) -> FetchError:
        return FetchError(
            f"{_describe(url, current)} is larger than the {_mib(cap)} cap ({detail})",
            url=url,
            kind="too_large",
            hint="if the body is legitimate, raise `max_bytes` for this source in sources.yaml",
        )

    def _backoff(self, attempt: int) -> float:
        return min(float(self.backoff_base * 2**attempt), self.max_retry_after)

    def _retry_delay(self, url: str, current: str, resp: _Response, attempt: int) -> float:
        header = resp.headers.get("Retry-After")
        if header is None:
            return self._backoff(attempt)
        delay = retry_after_seconds(header, resp.headers.get("Date"))
        if delay is None:
            return self._backoff(attempt)
        if delay > self.max_retry_after:
            raise FetchError(
                f"{_describe(url, current)} answered HTTP {resp.status} and asked to retry "
                f"after {_when(header, delay)}, longer than the {self.max_retry_after:g} s Loa waits",
                url=url,
                kind="http",
                hint=f"the site is rate-limiting or down for maintenance; retry after {_when(header, delay)}",
                status=resp.status,
            )
        return delay

    # -- errors --------------------------------------------------------------------------------

    def _status_error(self, url: str, where: str, resp: _Response) -> FetchError:
        status = resp.status
        tries = f" after {resp.attempts} attempts" if resp.attempts > 1 else ""
        if status == 429:
            hint = "the site is rate-limiting Loa; fetch this source less often (raise `every` in sources.yaml)"
        elif status >= 500:
            hint = "the site is failing; Loa retries on the next sync, contact the site owner if it persists"
        elif status in (401, 403):
            hint = f"the site refuses this client; check the url, or ask the site owner to allow {self.user_agent!r}"
        elif 300 <= status < 400:
            hint = "the site sent a redirect without a Location header; " + _URL_HINT
        else:
            hint = _URL_HINT
        return FetchError(f"{where} answered HTTP {status}{tries}", url=url, kind="http", hint=hint, status=status)

    def _network_error(
        self, url: str, current: str, exc: requests.RequestException, attempts: int, read_timeout: float
    ) -> FetchError:
        host = urlsplit(current).hostname or current
        causes = _causes(exc)
        hint = "check that the site is up and reachable from this machine; Loa retries on the next sync"
        if any(isinstance(c, urllib3.exceptions.NameResolutionError) for c in causes):
            what = f"could not resolve host {host}"
            hint = "check the host name in the source's url in sources.yaml, and DNS on this machine"
        elif isinstance(exc, requests.exceptions.SSLError):
            what = f"TLS handshake with {host} failed ({_root(causes)})"
            hint = "the site's certificate is invalid or expired; report it to the site owner"
        elif any(isinstance(c, ConnectionRefusedError) for c in causes):
            what = f"{host} refused the connection"
        elif any(isinstance(c, ConnectionResetError) for c in causes):
            what = f"{host} reset the connection"
        # Checked after "refused": urllib3's NewConnectionError subclasses ConnectTimeoutError.
        elif isinstance(exc, requests.exceptions.ConnectTimeout):
            what = f"{host} did not accept a connection within {self.connect_timeout:g} s"
        elif isinstance(exc, requests.Timeout) or any(
            isinstance(c, urllib3.exceptions.ReadTimeoutError | TimeoutError) for c in causes
        ):
            what = f"did not answer within {read_timeout:g} s"
            hint = "the site is slow or down; raise `timeout` for this source in sources.yaml if it is just slow"
        else:
            what = f"connection to {host} failed ({_root(causes)})"
        tries = f" (after {attempts} attempts)" if attempts > 1 else ""
        return FetchError(f"{_describe(url, current)}: {what}{tries}", url=url, kind="network", hint=hint)


# -- helpers ---------------------------------------------------------------------------------------


def _read_some(resp: requests.Response) -> bytes:
    """One read1 from the raw stream, with urllib3's errors mapped as requests' iter_content maps them."""
    try:
        return bytes(resp.raw.read1(_CHUNK, decode_content=True))
    except urllib3.exceptions.ProtocolError as exc:
        raise requests.exceptions.ChunkedEncodingError(exc) from exc
    except urllib3.exceptions.ReadTimeoutError as exc:
        raise requests.exceptions.ConnectionError(exc) from exc
    except urllib3.exceptions.DecodeError as exc:
        raise requests.exceptions.ContentDecodingError(exc) from exc
    except urllib3.exceptions.SSLError as exc:
        raise requests.exceptions.SSLError(exc) from exc


def _drain(resp: requests.Response) -> None:
    """Read the (empty or small) unread body of a 304, redirect or error, so that closing the
    response hands its connection back to the pool instead of closing it: without this every
    conditional request of a no-change run opened a new connection (a new TLS handshake)."""
    declared = resp.headers.get("Content-Length", "")
    if resp.status_code in (204, 304) or (declared.isdigit() and int(declared) <= _DRAIN_MAX):
        with contextlib.suppress(urllib3.exceptions.HTTPError, OSError):
            resp.raw.read(_DRAIN_MAX + 1, decode_content=False)


def _check_scheme(url: str, current: str) -> None:
    parts = urlsplit(current)
    if parts.scheme.lower() not in _DEFAULT_PORTS:
        got = f"not {parts.scheme}:" if parts.scheme else "and it has no scheme"
        raise FetchError(
            f"{_describe(url, current)}: only http:// and https:// URLs can be fetched, {got}",
            url=url,
            kind="http",
            hint=_URL_HINT,
        )
    try:
        _ = parts.port  # the property raises on a port that is not a number or out of range
    except ValueError as exc:
        raise FetchError(f"{url}: invalid port ({exc})", url=url, kind="http", hint=_URL_HINT) from exc
    if not parts.hostname:
        raise FetchError(f"{_describe(url, current)}: the URL has no host", url=url, kind="http", hint=_URL_HINT)


def _describe(url: str, current: str) -> str:
    return url if current == url else f"{url} (redirected to {current})"


def _fix_location(location: str) -> str:
    # http.client decodes headers as latin-1; servers that send UTF-8 Location headers need undoing.
    try:
        return location.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return location


def _parse_content_type(value: str) -> tuple[str, str | None]:
    media_type, _, params = value.partition(";")
    charset: str | None = None
    for param in params.split(";"):
        key, sep, val = param.partition("=")
        if sep and key.strip().lower() == "charset":
            charset = val.strip().strip("\"'").lower() or None
    return media_type.strip().lower(), charset


def _when(header: str, delay: float) -> str:
    header = header.strip()
    return f"{delay:g} s" if header.isdigit() else f"{header} ({delay:g} s)"


def _mib(n: int) -> str:
    text = f"{n / _MIB:.3g} MiB"
    return text if n % _MIB == 0 else f"{text} ({n:,} bytes)"


def _causes(exc: BaseException) -> list[BaseException]:
    """The chain requests/urllib3 wrap around the real socket error, outermost first."""
    seen: list[BaseException] = []
    todo: list[BaseException] = [exc]
    while todo:
        cur = todo.pop()
        if any(cur is s for s in seen):
            continue
        seen.append(cur)
        todo.extend(a for a in cur.args if isinstance(a, BaseException))
        reason = getattr(cur, "reason", None)
        if isinstance(reason, BaseException):
            todo.append(reason)
        for linked in (cur.__cause__, cur.__context__):
            if linked is not None:
                todo.append(linked)
    return seen


def _root(causes: list[BaseException]) -> str:
    return str(causes[-1]) if causes else "unknown error"
