"""The `report:` config section: keys, defaults from the campaign, errors that name the key path."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import write_config
from worker.config import load_config
from worker.errors import ConfigError
from worker.report import letterhead
from worker.wards import Ward

SOURCES = '- {id: a, name: "A", kind: feed, url: "http://127.0.0.1:9/a.xml"}\n'


def test_defaults_derive_from_the_campaign(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path, SOURCES))
    assert config.campaign is not None
    head = letterhead(config.report, config.campaign.issuer, config.campaign.recipient)
    assert (head.parent, head.issuer, head.abbrev, head.place) == ("", "UBND THÀNH PHỐ THANH HÓA", "UBND", "Thanh Hóa")
    assert head.recipients == ("Sở Thông tin và Truyền thông",)
    assert head.signer_name == "[Cán bộ điền]"
    assert config.report.remind_days == 3
    ward = letterhead(config.report, config.campaign.issuer, "", Ward("phuong-dien-bien", "Phường Điện Biên", "phuong"))
    assert (ward.parent, ward.issuer) == ("UBND THÀNH PHỐ THANH HÓA", "UBND PHƯỜNG ĐIỆN BIÊN")


def test_signer_title_as_text_lines(tmp_path: Path) -> None:
    extra = 'report: {abbrev: VHTT, place: "TP. Thanh Hóa", signer: {title: "KT. Chủ tịch\\nPhó Chủ tịch"}, remind_days: 5}\n'
    config = load_config(write_config(tmp_path, SOURCES, extra=extra))
    assert config.report.signer_title == ("KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH")
    assert (config.report.abbrev, config.report.place, config.report.remind_days) == ("VHTT", "TP. Thanh Hóa", 5)


@pytest.mark.parametrize(
    ("extra", "path"),
    [
        ("report: {isuer: x}\n", "report.isuer"),
        ("report: {signer: {name: x, rank: y}}\n", "report.signer.rank"),
        ("report: {recipients: [ok, 3]}\n", "report.recipients[1]"),
        ("report: {abbrev: 'ub nd'}\n", "report.abbrev"),
        ("report: {remind_days: -1}\n", "report.remind_days"),
        ("report: [x]\n", "report"),
    ],
)
def test_errors_name_the_key_path(tmp_path: Path, extra: str, path: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write_config(tmp_path, SOURCES, extra=extra))
    assert caught.value.path == path
