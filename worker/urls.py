"""Canonical URLs: absolute, lowercase scheme and host, no default port, no fragment, no tracking parameters."""

from __future__ import annotations

import contextlib
import re
import unicodedata
from urllib.parse import parse_qsl, quote, urlencode, urljoin, urlsplit, urlunsplit

TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "zarsrc",
        "zaloid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "_ga",
        "_gl",
        "ref_src",
        "spm",
        "share_app_id",
        "is_from_webapp",
        "sender_device",
        "_r",
        "_t",
    }
)
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_PERCENT = re.compile(r"%[0-9a-fA-F]{2}")
# Absolute with a host, and nothing urlsplit would strip out first (tabs and newlines anywhere).
_ABSOLUTE = re.compile(r"https?://[a-z0-9\[][^\t\r\n]*", re.IGNORECASE)
# The host of a plain http(s) URL, read without urlsplit (a third of the time); any other spelling
# (userinfo, IPv6, backslashes, tabs or newlines in the host) goes through urlsplit.
_PLAIN_HOST = re.compile(r"https?://([a-z0-9.-]+)(?::[0-9]*)?(?:[/?#]|$)", re.IGNORECASE)
# The path of a plain http(s) URL, read without urlsplit: no tabs, newlines or brackets anywhere.
_PLAIN_PATH = re.compile(r"https?://[^/?#\t\n\r\[\]]*(/[^?#\t\n\r]*)?(?:[?#][^\t\n\r]*)?")
# A URL `_canonicalised` leaves as it is, but for the port and query checks in `_already_canonical`.
_CANONICAL = re.compile(
    r"(?P<scheme>https?)://[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*(?::(?P<port>[1-9][0-9]{0,4}))?"
    r"/(?:[A-Za-z0-9_.~/:@!$&'()*+,;=-]|%[0-9A-F]{2})*(?:\?(?P<query>[A-Za-z0-9_.~=&-]+))?"
)
# Characters that may stand unescaped in a path or query (RFC 3986 pchar plus '/' and '?').
_PATH_SAFE = "/:@!$&'()*+,;=-._~%"


def is_tracking_param(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def _normalise_escapes(part: str, safe: str) -> str:
    # Encode raw non-ASCII and spaces, and uppercase existing escapes, without decoding
    # anything: decoding %2F into '/' would change what the URL points at.
    encoded = quote(part, safe=safe)
    return _PERCENT.sub(lambda m: m.group(0).upper(), encoded)


def canonical_url(url: str, base: str | None = None) -> str:
    """The one spelling of `url` that Loa stores and compares. Idempotent."""
    if _already_canonical(url):
        return url
    return _canonicalised(url, base)


def _already_canonical(url: str) -> bool:
    """Whether `url` is spelt as `_canonicalised` would spell it, decided without taking it apart.

    Most links in a feed already are (and each item has up to three): this skips ~10 µs of splitting,
    quoting and re-encoding per link. Anything unusual (capitals, escapes to fix, IPv6, userinfo,
    default ports, fragments, tracking or odd query parameters) takes the full path.
    """
    plain = _CANONICAL.fullmatch(url)
    if plain is None:
        return False
    scheme, port, query = plain.group("scheme", "port", "query")
    if port and (int(port) > 65535 or int(port) == _DEFAULT_PORTS[scheme]):
        return False
    if query is not None:
        for pair in query.split("&"):
            key, equals, value = pair.partition("=")
            if not key or not equals or "=" in value or is_tracking_param(key):
                return False
    return True


def _canonicalised(url: str, base: str | None) -> str:
    # NFC first, as for all text: an NFD feed's raw `/tin/Cảnh-báo` must escape like the NFC page's.
    raw = unicodedata.normalize("NFC", url.strip())
    if base and not _ABSOLUTE.fullmatch(raw):
        # An absolute http(s) URL comes back from urljoin as it went in (re-spelt as the split below
        # re-spells it), so only relative ones pay for it: most feed links are absolute.
        raw = urljoin(base, raw)
    parts = urlsplit(raw)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        return raw
    host = (parts.hostname or "").lower().rstrip(".")
    with contextlib.suppress(UnicodeError):
        host = host.encode("idna").decode("ascii") if host and not host.isascii() else host
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    if parts.username:
        userinfo = parts.username + (f":{parts.password}" if parts.password else "")
        netloc = f"{userinfo}@{netloc}"
    path = _normalise_escapes(parts.path or "/", _PATH_SAFE)
    pairs = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not is_tracking_param(k)]
    query = urlencode(pairs, doseq=False, safe=_PATH_SAFE.replace("&", "").replace("=", "").replace("+", ""))
    return urlunsplit((scheme, netloc, path, query, ""))


def host_of(url: str) -> str:
    plain = _PLAIN_HOST.match(url)
    if plain:
        return plain.group(1).lower()
    return (urlsplit(url).hostname or "").lower()


def path_of(url: str) -> str:
    """The path of `url`, as urlsplit reads it."""
    plain = _PLAIN_PATH.fullmatch(url)
    return (plain.group(1) or "") if plain else urlsplit(url).path


def is_web_url(url: str) -> bool:
    """Whether `url` is http(s), as urlsplit reads its scheme."""
    return url.startswith(("http://", "https://")) or urlsplit(url).scheme.lower() in ("http", "https")


def host_allowed(url: str, allowed_domains: tuple[str, ...]) -> bool:
    """True if no allow-list is set, or the URL's host is a listed domain or a subdomain of one."""
    if not allowed_domains:
        return True
    host = host_of(url)
    return any(host == d or host.endswith("." + d) for d in allowed_domains)
