from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import write_config
from worker.config import load_config, parse_duration, parse_size
from worker.errors import ConfigError

FEED = """\
- id: chongluadao-feed
  name: "Chống Lừa Đảo"
  kind: feed
  url: https://chongluadao.vn/blog/feed/
"""


def test_loads_shipped_config() -> None:
    config = load_config(Path(__file__).parent.parent / "sources.yaml")
    assert [s.id for s in config.sources] == ["khonggianmang-canh-bao", "tinnhiemmang-canh-bao", "chongluadao-blog"]
    assert [s.rank for s in config.sources] == [0, 1, 2]
    assert config.campaign is not None and config.campaign.issuer == "UBND thành phố Thanh Hóa"
    assert config.sources[0].html is not None and config.sources[0].html.article is not None


@pytest.mark.parametrize(("text", "seconds"), [("90s", 90), ("15m", 900), ("2h", 7200), ("1d", 86400)])
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text, "x") == seconds


@pytest.mark.parametrize("text", ["15", "15 m", "1.5h", "0m", "-1m", "15min", "1w", ""])
def test_bad_durations_name_the_key(text: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_duration(text, "sources[0].every")
    assert "sources[0].every" in str(info.value) and "15m" in str(info.value)


def test_sizes() -> None:
    assert parse_size("10MiB", "x") == 10 * 1024 * 1024
    assert parse_size("500KB", "x") == 500_000
    assert parse_size(2048, "x") == 2048
    with pytest.raises(ConfigError):
        parse_size("lots", "defaults.max_bytes")


def test_relative_paths_resolve_against_config_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "etc" / "loa"
    folder.mkdir(parents=True)
    path = write_config(folder, FEED)
    monkeypatch.chdir(tmp_path)
    config = load_config(path)
    assert config.db_path == folder / "loa.db"
    assert config.outputs_path == folder / "outputs"


@pytest.mark.parametrize(
    ("snippet", "key_path"),
    [
        ("- {id: a, kind: rss, url: 'https://a.vn/'}\n", "sources[0].kind"),
        ("- {id: A_B, kind: feed, url: 'https://a.vn/'}\n", "sources[0].id"),
        ("- {id: a, kind: feed, url: 'ftp://a.vn/'}\n", "sources[0].url"),
        ("- {id: a, kind: feed, url: 'https://a.vn/', every: 15}\n", "sources[0].every"),
        ("- {id: a, kind: feed, url: 'https://a.vn/', item_kind: blog}\n", "sources[0].item_kind"),
        ("- {id: a, kind: feed, url: 'https://a.vn/', colour: red}\n", "sources[0].colour"),
        ("- {id: a, kind: html, url: 'https://a.vn/', html: {item: li, title: a}}\n", "sources[0].html.link"),
        ("- {id: a, kind: html, url: 'https://a.vn/'}\n", "sources[0].html"),
        ("- {id: a, kind: json, url: 'https://a.vn/', json: {link: link}}\n", "sources[0].json.title"),
        ("- {id: a, kind: feed, url: 'https://a.vn/', enabled: 'yes'}\n", "sources[0].enabled"),
        (FEED + FEED, "sources[1].id"),
    ],
)
def test_errors_name_the_key_path(tmp_path: Path, snippet: str, key_path: str) -> None:
    path = write_config(tmp_path, snippet)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value).startswith(key_path + ":"), str(info.value)


@pytest.mark.parametrize(("key", "value"), [("base_url", "example.gov.vn/canh-bao"), ("feeds_url", "ftp://a.vn/feeds")])
def test_site_urls_must_be_http(tmp_path: Path, key: str, value: str) -> None:
    path = write_config(tmp_path, FEED, extra=f"site: {{{key}: '{value}'}}\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value).startswith(f"site.{key}:") and "http(s)" in str(info.value)


def test_site_feeds_url_loses_its_trailing_slash(tmp_path: Path) -> None:
    path = write_config(tmp_path, FEED, extra="site: {feeds_url: 'https://thanhhoa.gov.vn/canh-bao/feeds/'}\n")
    assert load_config(path).site.feeds_url == "https://thanhhoa.gov.vn/canh-bao/feeds"


def test_unknown_top_level_key(tmp_path: Path) -> None:
    path = write_config(tmp_path, FEED, extra="sourcse: []\n")
    with pytest.raises(ConfigError, match="unknown key 'sourcse'"):
        load_config(path)


def test_invalid_yaml_says_where(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("sources:\n  - id: a\n   kind: feed\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="line"):
        load_config(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.yaml")


def test_database_inside_outputs_is_refused(tmp_path: Path) -> None:
    path = write_config(tmp_path, FEED, extra="outputs: public\n")
    text = path.read_text(encoding="utf-8").replace("db: loa.db", "db: public/loa.db")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match="inside outputs"):
        load_config(path)


@pytest.mark.parametrize(
    ("snippet", "key_path"),
    [
        ("dedupe: {threshold: 1.5}\n", "dedupe.threshold"),
        ("dedupe: {shingle: 0}\n", "dedupe.shingle"),
        ("dedupe: {boilerplate: 'x'}\n", "dedupe.boilerplate"),
        ("dedupe: {treshold: 0.4}\n", "dedupe.treshold"),
    ],
)
def test_dedupe_errors_name_the_key_path(tmp_path: Path, snippet: str, key_path: str) -> None:
    path = write_config(tmp_path, FEED, extra=snippet)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value).startswith(key_path + ":"), str(info.value)


def test_dedupe_settings_are_parsed(tmp_path: Path) -> None:
    path = write_config(tmp_path, FEED, extra="dedupe: {threshold: 0.4, shingle: 3, boilerplate: ['[Nóng]']}\n")
    config = load_config(path)
    assert (config.dedupe.threshold, config.dedupe.shingle, config.dedupe.boilerplate) == (0.4, 3, ("[Nóng]",))
