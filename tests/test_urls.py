from __future__ import annotations

import unicodedata
from urllib.parse import urljoin, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from worker import urls
from worker.urls import canonical_url, host_allowed, host_of

BASE = "https://khonggianmang.vn/canh-bao"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("HTTPS://KhongGianMang.VN:443/bai-viet/a#binh-luan", "https://khonggianmang.vn/bai-viet/a"),
        ("/bai-viet/a?utm_source=zalo&utm_medium=share&id=3", "https://khonggianmang.vn/bai-viet/a?id=3"),
        ("https://a.vn/x?fbclid=IwAR0&gclid=1&zarsrc=30&page=2", "https://a.vn/x?page=2"),
        ("http://a.vn:80", "http://a.vn/"),
        ("http://a.vn:8080/x", "http://a.vn:8080/x"),
        ("https://a.vn/tin tức", "https://a.vn/tin%20t%E1%BB%A9c"),
        ("https://a.vn/%e1%bb%a9", "https://a.vn/%E1%BB%A9"),
        ("bai-viet/b", "https://khonggianmang.vn/bai-viet/b"),
    ],
)
def test_canonical_examples(raw: str, expected: str) -> None:
    assert canonical_url(raw, BASE) == expected


segment = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=0, max_size=12)


@given(
    host=st.from_regex(r"[a-zA-Z][a-zA-Z0-9]{0,10}\.(vn|com|gov\.vn)", fullmatch=True),
    path=st.lists(segment, max_size=4),
    params=st.lists(st.tuples(st.sampled_from(["id", "page", "utm_source", "fbclid", "q"]), segment), max_size=4),
    fragment=segment,
)
def test_canonicalisation_is_idempotent_and_drops_tracking(
    host: str, path: list[str], params: list[tuple[str, str]], fragment: str
) -> None:
    from urllib.parse import quote

    url = f"https://{host}/" + "/".join(quote(p) for p in path)
    if params:
        url += "?" + "&".join(f"{k}={quote(v)}" for k, v in params)
    url += "#" + quote(fragment)
    once = canonical_url(url)
    assert canonical_url(once) == once
    assert "#" not in once
    from urllib.parse import parse_qsl, urlsplit

    kept = {name for name, _ in parse_qsl(urlsplit(once).query, keep_blank_values=True)}
    assert not kept & {"utm_source", "fbclid"}
    assert once.startswith(f"https://{host.lower()}/")


def test_allow_list() -> None:
    assert host_allowed("https://www.khonggianmang.vn/x", ("khonggianmang.vn",))
    assert not host_allowed("https://khonggianmang.vn.evil.com/x", ("khonggianmang.vn",))
    assert host_allowed("https://anything.example/", ())


@given(
    st.sampled_from(["http://", "https://", "HTTPS://", "http:/", "//", "", "/tin/", "http://khonggianmang.vn"]),
    st.text(alphabet=st.characters(max_codepoint=0x1EF9), max_size=30),
    st.sampled_from(["https://khonggianmang.vn/tin-tuc/canh-bao?page=2", "http://127.0.0.1:8000/feeds/a.xml"]),
)
def test_absolute_links_skip_the_join_with_the_same_result(prefix: str, rest: str, base: str) -> None:
    # canonical_url joins only relative links with the base: joining every link must give the same URL.
    url = prefix + rest
    try:
        joined = urljoin(base, unicodedata.normalize("NFC", url.strip()))
    except ValueError:  # "http://[": not a URL either way
        with pytest.raises(ValueError):
            canonical_url(url, base)
        return
    assert canonical_url(url, base) == canonical_url(joined)


@given(
    st.sampled_from(["http://", "https://", "HTTP://", "https:/", "ftp://", "http:///", " http://", "http://u:p@"]),
    st.text(alphabet="aĐđ.-:@[]/\\?#0-9\t\n\r %", max_size=12),
    st.sampled_from(["", "khonggianmang.vn", "127.0.0.1:8000", "[::1]:80", "Cong-An.ThanhHoa.gov.vn."]),
    st.text(alphabet="/?#:@a1\t\\", max_size=8),
)
def test_host_of_reads_the_host_as_urlsplit_does(prefix: str, middle: str, host: str, rest: str) -> None:
    for url in (prefix + host + rest, prefix + middle + rest, prefix + host + middle):
        try:
            expected = (urlsplit(url).hostname or "").lower()
        except ValueError:  # "http://[": urlsplit refuses it, and so must host_of
            with pytest.raises(ValueError):
                host_of(url)
            continue
        assert host_of(url) == expected


@settings(max_examples=500)
@given(
    st.sampled_from(
        ["http://", "https://", "HTTP://", "https://a.vn", "http://127.0.0.1:41781", "https://-", "http://k.vn."]
    ),
    st.lists(
        st.sampled_from(
            [
                *"aZ.-:@/%?&=#_~+;'!09 Đ\t",
                *("%2f", "%2F", "utm_source=zalo", "trang=2", ":80", ":443", ":8000", ":65536", "//", "/../"),
                *("&&", "==", "/tin/canh-bao-lua-dao.html"),
            ]
        ),
        max_size=8,
    ).map("".join),
    st.sampled_from([None, "https://khonggianmang.vn/tin/a"]),
)
def test_urls_taken_as_already_canonical_are_what_the_full_path_gives(prefix: str, rest: str, base: str | None) -> None:
    url = prefix + rest
    try:
        expected = urls._canonicalised(url, base)
    except ValueError:
        with pytest.raises(ValueError):
            canonical_url(url, base)
        return
    assert canonical_url(url, base) == expected
    if urls._already_canonical(url):
        assert expected == url
