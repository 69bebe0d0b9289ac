"""Wards config: validation with key paths, YAML and CSV files, `loa wards` commands, the shipped 34 units."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from tests.conftest import write_config
from worker.config import BroadcastConfig, load_config
from worker.errors import ConfigError
from worker.publish_queue import ward_title
from worker.readaloud import frame_sentences
from worker.vietnamese import slugify
from worker.wards import Ward, bare_name, parse_wards, parse_wards_text

ROOT = Path(__file__).resolve().parent.parent


def test_slugify_vietnamese_names() -> None:
    assert slugify("Phường Điện Biên") == "phuong-dien-bien"
    assert slugify("Xã Hoằng Đại") == "xa-hoang-dai"
    assert slugify("Thị trấn  Quảng Xương!") == "thi-tran-quang-xuong"


@pytest.mark.parametrize(
    ("name", "kind", "bare"),
    [
        ("Phường Điện Biên", "phuong", "Điện Biên"),
        ("phường  Đông Hải", "phuong", "Đông Hải"),
        ("Xã Hoằng Đại", "xa", "Hoằng Đại"),
        ("Thị Trấn Quảng Xương", "thi-tran", "Quảng Xương"),
        ("Điện Biên", "phuong", "Điện Biên"),
        ("Phường", "phuong", "Phường"),  # nothing would be left: kept as written
        ("Xã Hoằng Đại", "phuong", "Xã Hoằng Đại"),  # another kind's word stays part of the name
        ("Phường 7", "phuong", "7"),
    ],
)
def test_bare_name_drops_the_kind_a_full_name_repeats(name: str, kind: str, bare: str) -> None:
    assert bare_name(name, kind) == bare


@pytest.mark.parametrize("name", ["Phường Điện Biên", "Điện Biên"])
def test_full_or_bare_names_read_aloud_and_print_the_kind_once(name: str) -> None:
    ward = Ward(id="phuong-dien-bien", name=name, kind="phuong", slots=("06:00/15m",))
    view = ward.broadcast()
    assert view is not None
    config = BroadcastConfig()
    intro = " ".join(
        frame_sentences(
            config.intro, kind=ward.kind, name=view.name, day=date(2023, 6, 5), slot="06:00", options=config.reading
        )
    )
    assert "nhân dân phường Điện Biên." in intro and "Phường" not in intro
    assert ward_title(view) == ward.full_name == "Phường Điện Biên"


def test_shipped_config_lists_the_34_units_of_thanh_hoa_city() -> None:
    config = load_config(ROOT / "sources.yaml")
    kinds = [w.kind for w in config.wards]
    assert len(config.wards) == 34 and kinds.count("phuong") == 30 and kinds.count("xa") == 4
    assert all(w.id == slugify(w.name) for w in config.wards)
    assert {"phuong-dien-bien", "xa-hoang-dai", "phuong-ham-rong", "xa-thieu-van"} <= {w.id for w in config.wards}
    assert config.packs.auto == "daily" and config.packs.at == (5, 30)


@pytest.mark.parametrize(
    ("wards", "path"),
    [
        (
            [{"id": "a", "name": "A"}] * 3 + [{"id": "d", "name": "D", "slots": ["06:00/15m", "25:00/15m"]}],
            "wards[3].slots[1]",
        ),
        ([{"id": "Phường A", "name": "A"}], "wards[0].id"),
        ([{"id": "a", "name": "A", "kind": "quan"}], "wards[0].kind"),
        ([{"id": "a", "name": "A", "kinds": ["article", "podcast"]}], "wards[0].kinds[1]"),
        ([{"id": "a", "name": "A", "topics": ["khong-co"]}], "wards[0].topics[0]"),
        ([{"id": "a", "name": "A", "colour": "red"}], "wards[0].colour"),
        ([{"id": "a", "name": "A"}, {"id": "a", "name": "B"}], "wards[1].id"),
        ([{"id": "a", "name": ""}], "wards[0].name"),
    ],
)
def test_ward_errors_name_the_key_path(wards: list[dict[str, object]], path: str) -> None:
    # The first case repeats one id, so give each entry its own before the error under test.
    if path == "wards[3].slots[1]":
        wards = [{**w, "id": f"w{i}"} for i, w in enumerate(wards)]
    with pytest.raises(ConfigError) as caught:
        parse_wards(wards, known_topics={"gia-danh-cong-an"})
    assert caught.value.path == path


def test_config_error_for_wards_is_exit_2_and_names_the_path(tmp_path: Path) -> None:
    config = write_config(tmp_path, "[]\n", extra='wards:\n  - {id: a, name: "A", slots: ["6h"]}\n')
    result = CliRunner().invoke(main, ["--config", str(config), "config", "check"])
    assert result.exit_code == 2
    assert "wards[0].slots[0]" in result.output


def test_csv_and_yaml_files_give_the_same_wards(tmp_path: Path) -> None:
    csv_text = "id,name,kind,topics,kinds,slots\nphuong-dien-bien,Phường Điện Biên,phuong,a;b,article;warning,06:00/15m;17:00/15m\nxa-hoang-dai,Xã Hoằng Đại,xa,,,\n"
    yaml_text = """wards:
  - {id: phuong-dien-bien, name: "Phường Điện Biên", kind: phuong, topics: [a, b], kinds: [article, warning], slots: ["06:00/15m", "17:00/15m"]}
  - {id: xa-hoang-dai, name: "Xã Hoằng Đại", kind: xa}
"""
    from_csv = parse_wards_text(csv_text, "wards.csv", known_topics={"a", "b"})
    from_yaml = parse_wards_text(yaml_text, "wards.yaml", known_topics={"a", "b"})
    assert from_csv == from_yaml
    assert from_csv[0].wants(["b"], "warning") and not from_csv[0].wants(["c"], "warning")
    assert from_csv[1].wants([], "video")


def test_csv_error_names_the_file_and_row() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_wards_text("id,name,kind\na,A,phuong\nb,B,huyen\n", "wards.csv")
    assert caught.value.path == "wards.csv:wards[1].kind"


def test_a_province_sized_list_loads(tmp_path: Path) -> None:
    rows = "\n".join(f"xa-so-{n},Xã Số {n},xa,,warning,06:00/15m" for n in range(166))
    (tmp_path / "wards.csv").write_text("id,name,kind,topics,kinds,slots\n" + rows + "\n", encoding="utf-8")
    config = write_config(tmp_path, "[]\n", extra="wards: wards.csv\n")
    assert len(load_config(config).wards) == 166


def test_wards_import_list_show_and_clear(tmp_path: Path) -> None:
    config = write_config(tmp_path, "[]\n", extra='wards:\n  - {id: phuong-a, name: "Phường A"}\n')
    (tmp_path / "bad.csv").write_text("id,name,kind\nx,X,quan\n", encoding="utf-8")
    (tmp_path / "good.csv").write_text("id,name,kind,slots\nxa-b,Xã B,xa,06:00/15m\nxa-c,Xã C,xa,\n", encoding="utf-8")
    runner = CliRunner()

    def run(*args: str) -> tuple[int, str]:
        result = runner.invoke(main, ["--config", str(config), *args])
        return result.exit_code, result.output

    code, output = run("wards", "import", str(tmp_path / "bad.csv"))
    assert code == 2 and "bad.csv:wards[0].kind" in output
    assert json.loads(run("wards", "list", "--json")[1])["wards"][0]["id"] == "phuong-a"
    assert run("wards", "import", str(tmp_path / "good.csv"))[0] == 0
    listed = json.loads(run("wards", "list", "--json")[1])
    assert [w["id"] for w in listed["wards"]] == ["xa-b", "xa-c"] and "database" in listed["from"]
    shown = json.loads(run("wards", "show", "xa-b", "--json")[1])
    assert shown["slots"] == ["06:00/15m"] and shown["feeds"][0].endswith("feeds/xa-b.xml")
    assert run("wards", "import", "--clear")[0] == 0
    assert [w["id"] for w in json.loads(run("wards", "list", "--json")[1])["wards"]] == ["phuong-a"]
