"""Read-aloud scripts: a table of Vietnamese readings, properties over numbers, stories cut to length, frames."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from worker.readaloud import (
    ReadingOptions,
    ReadingStyle,
    StoryText,
    frame_sentences,
    number_words,
    speak,
    story_script,
    syllables,
    to_sentences,
)

NORTH = ReadingOptions()
SOUTH = ReadingOptions(
    style=ReadingStyle(thousand="ngàn", billion="tỉ", zero="lẻ", four="bốn", short_tens=True, day_prefix="mồng")
)

CASES = [
    # numbers: mốt/một, tư/bốn, lăm/năm, mười/mươi, linh, không trăm
    ("0", "Không."),
    ("1", "Một."),
    ("10", "Mười."),
    ("11", "Mười một."),
    ("14", "Mười bốn."),
    ("15", "Mười lăm."),
    ("20", "Hai mươi."),
    ("21", "Hai mươi mốt."),
    ("24", "Hai mươi tư."),
    ("25", "Hai mươi lăm."),
    ("55", "Năm mươi lăm."),
    ("101", "Một trăm linh một."),
    ("105", "Một trăm linh năm."),
    ("110", "Một trăm mười."),
    ("115", "Một trăm mười lăm."),
    ("1001", "Một nghìn không trăm linh một."),
    ("1010", "Một nghìn không trăm mười."),
    ("2023", "Hai nghìn không trăm hai mươi ba."),
    ("10.000", "Mười nghìn."),
    ("1.000.005", "Một triệu không trăm linh năm."),
    ("2.000.000.000", "Hai tỷ."),
    # money
    ("5.000.000 đồng", "Năm triệu đồng."),
    ("1.500.000đ", "Một triệu năm trăm nghìn đồng."),
    ("200.000 VNĐ", "Hai trăm nghìn đồng."),
    ("1,5 triệu", "Một phẩy năm triệu."),
    ("2 tỷ", "Hai tỷ."),
    ("500k", "Năm trăm nghìn."),
    ("100.000 đồng/tháng", "Một trăm nghìn đồng mỗi tháng."),
    # percentages
    ("15%", "Mười lăm phần trăm."),
    ("2,5%", "Hai phẩy năm phần trăm."),
    ("0,05%", "Không phẩy không năm phần trăm."),
    # dates
    ("17/7/2023", "Ngày mười bảy tháng bảy năm hai nghìn không trăm hai mươi ba."),
    ("ngày 17/07/2023", "Ngày mười bảy tháng bảy năm hai nghìn không trăm hai mươi ba."),
    ("ngày 1/5", "Ngày mùng một tháng năm."),
    ("tháng 4/2023", "Tháng tư năm hai nghìn không trăm hai mươi ba."),
    ("17-7-2023", "Ngày mười bảy tháng bảy năm hai nghìn không trăm hai mươi ba."),
    # times
    ("08:30", "Tám giờ ba mươi phút."),
    ("8h30", "Tám giờ ba mươi phút."),
    ("lúc 17h", "Lúc mười bảy giờ."),
    ("20:05", "Hai mươi giờ năm phút."),
    # phone numbers, account numbers, hotlines
    ("0912 345 678", "Không chín một hai, ba bốn năm, sáu bảy tám."),
    ("0912.345.678", "Không chín một hai, ba bốn năm, sáu bảy tám."),
    ("0912345678", "Không chín một hai, ba bốn năm, sáu bảy tám."),
    ("+84 912 345 678", "Cộng tám tư, chín một hai, ba bốn năm, sáu bảy tám."),
    ("1900 1234", "Một chín không không, một hai ba bốn."),
    ("gọi 113", "Gọi một một ba."),
    ("STK 1903678901", "Số tài khoản một chín không ba, sáu bảy tám, chín không một."),
    # ordinals and ranges
    ("thứ 2", "Thứ hai."),
    ("lần thứ 1", "Lần thứ nhất."),
    ("thứ 4", "Thứ tư."),
    ("từ 8-10 triệu", "Từ tám đến mười triệu."),
    ("COVID-19", "COVID mười chín."),
    # abbreviations
    ("UBND TP. Hà Nội", "Ủy ban nhân dân thành phố Hà Nội."),
    ("CA phường", "Công an phường."),
    ("CCCD gắn chip", "Căn cước công dân gắn chip."),
    ("SĐT và ĐT bàn", "Số điện thoại và điện thoại bàn."),
    ("TK ngân hàng", "Tài khoản ngân hàng."),
    ("CSGT và BHXH", "Cảnh sát giao thông và bảo hiểm xã hội."),
    ("Theo NCSC", "Theo Trung tâm Giám sát an toàn không gian mạng quốc gia."),
    (
        "Trung tâm Giám sát an toàn không gian mạng quốc gia (NCSC) cảnh báo",
        "Trung tâm Giám sát an toàn không gian mạng quốc gia cảnh báo.",
    ),
    ("Bộ TT&TT", "Bộ Thông tin và Truyền thông."),
    ("không cung cấp mã OTP", "Không cung cấp mã ô tê pê."),
    # cleaning: URLs, hashtags, emoji, markup
    ("Cảnh giác 🚨⚠️ lừa đảo #CanhGiac", "Cảnh giác lừa đảo."),
    ("Xem tại https://khonggianmang.vn/x. Bà con chú ý", "Bà con chú ý."),
    ("<p><b>Lừa đảo</b> qua <a href='x'>Zalo</a></p>", "Lừa đảo qua Zalo."),
    ("**Cảnh báo**: [bấm đây](http://a.vn)", "Cảnh báo: bấm đây."),
    ("Truy cập canhbao.ncsc.gov.vn để tra cứu", "Truy cập để tra cứu."),
]


@pytest.mark.parametrize(("text", "spoken"), CASES, ids=[c[0] for c in CASES])
def test_reading_table(text: str, spoken: str) -> None:
    assert speak(text, NORTH) == spoken


def test_table_is_large_enough() -> None:
    assert len(CASES) >= 40


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("21", "Hai mốt."),
        ("24", "Hai bốn."),
        ("105", "Một trăm lẻ năm."),
        ("1.500.000đ", "Một triệu năm trăm ngàn đồng."),
        ("3 tỷ", "Ba tỉ."),
        ("ngày 2/9", "Ngày mồng hai tháng chín."),
    ],
)
def test_southern_style_is_a_choice(text: str, spoken: str) -> None:
    assert speak(text, SOUTH) == spoken


def test_abbreviations_extend_and_override() -> None:
    table = {**NORTH.abbreviations, "CA": "Công an", "LĐ": "lừa đảo"}
    options = ReadingOptions(abbreviations=table)
    assert speak("CA cảnh báo LĐ", options) == "Công an cảnh báo lừa đảo."
    assert speak("CAND", options) == "Công an nhân dân."  # the longer key wins over its prefix


@given(st.integers(min_value=0, max_value=10**12))
def test_no_digits_for_any_number(n: int) -> None:
    for text in (str(n), f"{n:,}".replace(",", "."), f"{n} đồng", f"{n}%"):
        spoken = speak(text, NORTH)
        assert not re.search(r"\d", spoken), (text, spoken)
        assert spoken == unicodedata.normalize("NFC", spoken)


@given(st.text(alphabet=st.sampled_from("0123456789 ./,:%-hđTPUBNDCA\nàáạ😀#@abc"), max_size=60))
def test_any_text_reads_without_digits_deterministically(text: str) -> None:
    first = speak(text, NORTH)
    assert first == speak(text, NORTH)
    assert not re.search(r"\d", first)
    assert first == unicodedata.normalize("NFC", first)


@given(st.integers(min_value=1, max_value=999_999))
def test_reading_grows_with_groups(n: int) -> None:
    # Every non-zero group of three is read: "nghìn" appears exactly when there are thousands.
    assert ("nghìn" in number_words(n)) == (n >= 1000)


def test_long_sentences_are_split_at_a_clause_comma_not_after_an_opening_phrase() -> None:
    text = (
        "Theo Cổng Không gian mạng quốc gia, thời gian gần đây, nhiều người dân nhận được cuộc gọi từ số lạ "
        "tự xưng là công an phường, yêu cầu cài ứng dụng giả mạo để cập nhật căn cước công dân gắn chip."
    )
    sentences = to_sentences(text, NORTH)
    assert sentences == [
        "Theo Cổng Không gian mạng quốc gia, thời gian gần đây, nhiều người dân nhận được cuộc gọi từ số lạ tự xưng là công an phường.",
        "Yêu cầu cài ứng dụng giả mạo để cập nhật căn cước công dân gắn chip.",
    ]


def test_short_sentences_stay_whole() -> None:
    assert to_sentences("Sau khi cài, kẻ gian chiếm quyền điện thoại.", NORTH) == [
        "Sau khi cài, kẻ gian chiếm quyền điện thoại."
    ]


STORY = StoryText(
    id="s1",
    title="Cảnh báo giả danh CA gọi điện",
    lead="Thời gian qua, nhiều người nhận cuộc gọi giả danh CA. Kẻ gian yêu cầu chuyển tiền.",
    source="Cổng Không gian mạng quốc gia",
)


def test_story_uses_title_and_lead_and_credits_the_source() -> None:
    script = story_script(STORY, NORTH)
    assert script.sentences == (
        "Cảnh báo giả danh công an gọi điện.",
        "Theo Cổng Không gian mạng quốc gia, thời gian qua, nhiều người nhận cuộc gọi giả danh công an.",
        "Kẻ gian yêu cầu chuyển tiền.",
    )
    assert script.syllables == syllables(script.text) == 33
    assert script.seconds == 9  # 33 syllables at 4 per second, rounded up
    assert not script.truncated


def test_story_prefers_the_reviewers_broadcast_edit() -> None:
    edited = StoryText(
        id="s1",
        title="Tiêu đề gốc",
        lead="Nội dung gốc.",
        broadcast_title="Tin cảnh báo",
        broadcast_text="Bà con chú ý.",
    )
    assert story_script(edited, NORTH).sentences == ("Tin cảnh báo.", "Bà con chú ý.")
    assert story_script(edited, NORTH, urgent=True).sentences[0] == "Tin khẩn cấp."


def test_a_long_story_is_cut_at_a_sentence_boundary_and_flagged() -> None:
    body = " ".join(f"Đây là câu số {number_words(i)} của bản tin dài." for i in range(1, 40))
    options = ReadingOptions(max_story_seconds=20)
    script = story_script(StoryText(id="long", title="Bản tin dài", lead=body), options)
    assert script.truncated and script.dropped > 0
    assert script.seconds <= 20
    assert script.sentences[-1].endswith("của bản tin dài.")


def test_the_rate_sets_the_estimate() -> None:
    slow = story_script(STORY, ReadingOptions(rate=2.0))
    assert slow.seconds == 17


def test_frame_names_the_ward_by_its_kind() -> None:
    intro = frame_sentences(
        "Kính thưa toàn thể nhân dân {kind} {name}. Hôm nay, ngày {date}, lúc {time}.",
        kind="thi-tran",
        name="Rừng Thông",
        day=date(2023, 7, 17),
        slot="06:00",
        options=NORTH,
    )
    assert intro == [
        "Kính thưa toàn thể nhân dân thị trấn Rừng Thông.",
        "Hôm nay, ngày mười bảy tháng bảy năm hai nghìn không trăm hai mươi ba, lúc sáu giờ.",
    ]
