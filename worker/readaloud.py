"""Text for the ear: turn an approved story into a short-sentence script a loudspeaker announcer or TTS reads.

Pure and deterministic: numbers, dates, times, money, phone numbers and abbreviations become Vietnamese words.
"""

from __future__ import annotations

import html
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from worker.wards import bare_name

DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")

# Upper-case forms as written in Vietnamese officialese; expansions are what an announcer says.
DEFAULT_ABBREVIATIONS: dict[str, str] = {
    "TP.HCM": "Thành phố Hồ Chí Minh",
    "TPHCM": "Thành phố Hồ Chí Minh",
    "TP.": "thành phố",
    "Tp.": "thành phố",
    "TP": "thành phố",
    "HCM": "Hồ Chí Minh",
    "UBND": "Ủy ban nhân dân",
    "HĐND": "Hội đồng nhân dân",
    "CAND": "Công an nhân dân",
    "CA": "công an",
    "BCA": "Bộ Công an",
    "CSGT": "cảnh sát giao thông",
    "CCCD": "căn cước công dân",
    "CMND": "chứng minh nhân dân",
    "STK": "số tài khoản",
    "SĐT": "số điện thoại",
    "ĐT": "điện thoại",
    "TK": "tài khoản",
    "BHXH": "bảo hiểm xã hội",
    "BHYT": "bảo hiểm y tế",
    "NHNN": "Ngân hàng Nhà nước",
    "NCSC": "Trung tâm Giám sát an toàn không gian mạng quốc gia",
    "Bộ TT&TT": "Bộ Thông tin và Truyền thông",
    "TT&TT": "Thông tin và Truyền thông",
    "VKSND": "Viện kiểm sát nhân dân",
    "TAND": "Tòa án nhân dân",
    "MXH": "mạng xã hội",
    "CNTT": "công nghệ thông tin",
    "ATTT": "an toàn thông tin",
    "KGM": "không gian mạng",
    "PCCC": "phòng cháy chữa cháy",
    "TNHH": "trách nhiệm hữu hạn",
    "OTP": "ô tê pê",
    "USD": "đô la Mỹ",
    "v.v.": "vân vân",
    "trđ": "triệu đồng",
}

CONJUNCTIONS = ("nhưng", "tuy nhiên", "vì vậy", "do đó", "đồng thời", "sau đó", "hoặc", "và")
# Words that open an adverbial phrase or subordinate clause: a comma after one is no place to end a sentence.
INTRODUCERS = (
    "theo",
    "từ",
    "trong",
    "thời gian",
    "hiện nay",
    "gần đây",
    "sau khi",
    "sau đó",
    "trước khi",
    "khi",
    "nếu",
    "để",
    "ngày",
    "vào",
    "tại",
    "lúc",
    "hôm nay",
    "với",
    "do",
    "vì",
)
_GROUP_SEP = "\u2063"  # marks a pause inside a phone number so long-sentence splitting never cuts there


@dataclass(frozen=True)
class ReadingStyle:
    """Where Vietnamese usage varies; defaults are the northern forms."""

    thousand: str = "nghìn"  # or "ngàn"
    billion: str = "tỷ"  # or "tỉ"
    zero: str = "linh"  # 105: "một trăm linh năm" or "lẻ"
    four: str = "tư"  # 24: "hai mươi tư" or "bốn"
    short_tens: bool = False  # 21: "hai mốt" instead of "hai mươi mốt"
    day_prefix: str = "mùng"  # days 1-10: "ngày mùng một"; "" or "mồng"


@dataclass(frozen=True)
class ReadingOptions:
    """Everything a script depends on besides the story itself."""

    style: ReadingStyle = field(default_factory=ReadingStyle)
    abbreviations: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_ABBREVIATIONS))
    rate: float = 4.0  # syllables per second
    max_story_seconds: int = 90
    max_sentence_syllables: int = 28
    credit: str = "Theo {source}, "  # ends in a comma: joined to the first sentence; otherwise its own sentence


@dataclass(frozen=True)
class StoryText:
    """What the reviewer approved: the read-aloud edit when there is one, else the source title and lead."""

    id: str
    title: str
    lead: str = ""
    broadcast_title: str = ""
    broadcast_text: str = ""
    source: str = ""  # the agency or source name to credit


@dataclass(frozen=True)
class StoryScript:
    story: str
    sentences: tuple[str, ...]
    syllables: int
    seconds: int
    truncated: bool = False  # cut at a sentence boundary to fit max_story_seconds: the reviewer should edit
    dropped: int = 0  # sentences cut

    @property
    def text(self) -> str:
        return " ".join(self.sentences)


# -- numbers ------------------------------------------------------------------------------------------


def _hundreds(n: int, style: ReadingStyle, full: bool) -> list[str]:
    """0 < n < 1000; `full` when a higher group came before, so 5 reads "không trăm linh năm"."""
    h, t, u = n // 100, n // 10 % 10, n % 10
    words: list[str] = []
    if h or full:
        words += [DIGITS[h], "trăm"]
    if t == 0:
        if u:
            if h or full:
                words.append(style.zero)
            words.append(DIGITS[u])
    elif t == 1:
        words.append("mười")
        if u:
            words.append("lăm" if u == 5 else DIGITS[u])
    else:
        words.append(DIGITS[t])
        if u == 0 or not style.short_tens:
            words.append("mươi")
        if u:
            words.append({1: "mốt", 4: style.four, 5: "lăm"}.get(u, DIGITS[u]))
    return words


def _number(n: int, style: ReadingStyle, full: bool) -> list[str]:
    if n >= 10**9:
        high, rest = divmod(n, 10**9)
        words = [*_number(high, style, full), style.billion]
        return words + (_number(rest, style, True) if rest else [])
    words = []
    started = full
    for size, name in ((10**6, "triệu"), (10**3, style.thousand), (1, "")):
        group = n // size % 1000
        if group == 0:
            continue
        words += _hundreds(group, style, started)
        if name:
            words.append(name)
        started = True
    return words


def number_words(n: int, style: ReadingStyle | None = None) -> str:
    """A whole number in words: 2023 → "hai nghìn không trăm hai mươi ba"."""
    style = style or ReadingStyle()
    if n < 0:
        return "âm " + number_words(-n, style)
    if n == 0:
        return "không"
    return " ".join(_number(n, style, False))


def digit_words(digits: str) -> str:
    """Digit by digit: "0912" → "không chín một hai"."""
    return " ".join(DIGITS[int(d)] for d in digits if d.isdigit())


def _chunks(digits: str) -> list[str]:
    # Unseparated phone/account numbers are read 4-3-3, then in threes: how people dictate them.
    if len(digits) <= 4:
        return [digits]
    head = 4 if len(digits) % 3 == 1 else 3
    return [digits[:head]] + [digits[i : i + 3] for i in range(head, len(digits), 3)]


def _grouped_digits(groups: list[str]) -> str:
    return (_GROUP_SEP + " ").join(digit_words(g) for g in groups if g)


def decimal_words(text: str, style: ReadingStyle) -> str:
    """A numeral as written in Vietnamese: "5.000.000", "1,5", "2.5" (English style), "007"."""
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?", text):
        whole, _, frac = text.partition(",")
        return _with_fraction(int(whole.replace(".", "")), frac, style)
    match = re.fullmatch(r"(\d+)[.,](\d+)", text)
    if match:
        return _with_fraction(int(match[1]), match[2], style)
    if len(text) > 1 and text.startswith("0"):
        return digit_words(text)
    if len(text) >= 9:
        return _grouped_digits(_chunks(text))
    return number_words(int(text), style)


def _with_fraction(whole: int, frac: str, style: ReadingStyle) -> str:
    words = number_words(whole, style)
    if not frac:
        return words
    zeros = len(frac) - len(frac.lstrip("0"))
    rest = frac.lstrip("0")
    tail = " ".join(["không"] * zeros + ([number_words(int(rest), style)] if rest else []))
    return f"{words} phẩy {tail}"


def month_words(month: int, style: ReadingStyle) -> str:
    return "tư" if month == 4 else number_words(month, style)


def date_words(day: int | None, month: int, year: int | None, style: ReadingStyle) -> str:
    """ "ngày mười bảy tháng bảy năm hai nghìn không trăm hai mươi ba"; day or year may be missing."""
    parts = []
    if day is not None:
        prefix = f"{style.day_prefix} " if style.day_prefix and day <= 10 else ""
        parts.append(f"ngày {prefix}{number_words(day, style)}")
    parts.append(f"tháng {month_words(month, style)}")
    if year is not None:
        parts.append(f"năm {number_words(year, style)}")
    return " ".join(parts)


def time_words(hour: int, minute: int, style: ReadingStyle) -> str:
    """8, 30 → "tám giờ ba mươi phút"; 8, 0 → "tám giờ"."""
    words = f"{number_words(hour, style)} giờ"
    return f"{words} {number_words(minute, style)} phút" if minute else words


# -- cleaning -----------------------------------------------------------------------------------------

_URL = re.compile(
    r"(?:(?:https?://|www\.)\S+?|\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+?"
    r"|\b[\w-]+(?:\.[\w-]+)*\.(?:vn|com|net|org|gov|edu|info|io|me|ly|asia)\b(?:/\S*?)?)"
    r"(?=[.,;:!?)\]]*(?:\s|$))",
    re.I,
)
_TAG = re.compile(r"<[^>]+>")
_MD_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_HASHTAG = re.compile(r"(?<!\w)[#@][\w.]+")
_ABBREV_IN_PARENS = re.compile(r"\s*\(([A-ZĐ&.\d]{2,})\)")
_BULLET = re.compile(r"^\s*(?:[-*•+▪►–]|\d+[.)])\s+", re.M)


def _is_emoji(ch: str) -> bool:
    code = ord(ch)
    return (
        unicodedata.category(ch) in ("So", "Cs", "Co", "Cn", "Sk")
        or 0x1F000 <= code <= 0x1FAFF
        or code in (0x200D, 0xFE0F, 0xFE0E, 0x20E3)
    )


def clean(text: str) -> str:
    """Drop markup, URLs, e-mail addresses, hashtags, mentions and emoji; keep line breaks as paragraph breaks."""
    text = unicodedata.normalize("NFC", html.unescape(text or ""))
    text = re.sub(r"(?i)<br\s*/?>|</p>|</li>|</h\d>", "\n", text)
    text = _TAG.sub(" ", text)
    text = _MD_LINK.sub(r"\1", text)
    text = _URL.sub(" ", text)
    text = _HASHTAG.sub(" ", text)
    # Each distinct character checked once (an intro read for every ward and slot repeats the same letters).
    drop = {ch for ch in set(text) if _is_emoji(ch)}
    if drop:
        text = "".join(ch for ch in text if ch not in drop)
    text = re.sub(r"^\s*#+\s*|^\s*>\s*", "", text, flags=re.M)
    text = _BULLET.sub("", text)
    text = re.sub(r"\*\*|__|(?<!\w)\*|\*(?!\w)|`", "", text)
    text = re.sub(r"\.{2,}|…", ".", text)
    text = re.sub(r"[ \t\u00a0]+", " ", text)
    # What a removed URL leaves behind: "truy cập  để" or "tại: ." — tidy the spacing and stray colons.
    text = re.sub(r"\s*:\s*(?=[.,;!?]|$)", "", text, flags=re.M)
    text = re.sub(r" +([.,;:!?])", r"\1", text)
    return "\n".join(line.strip() for line in text.split("\n"))


def expand_abbreviations(text: str, table: Mapping[str, str]) -> str:
    """Whole-token, case-sensitive, longest first; "(NCSC)" right after its full name is dropped first."""
    text = _ABBREV_IN_PARENS.sub(lambda m: "" if m[1] in table else m[0], text)
    if not table:
        return text
    # A key ending in "." must not swallow a sentence end it does not own: "TP." at the end stays a full stop.
    return _abbreviation_pattern(tuple(table)).sub(lambda m: table[m[0]], text)


@lru_cache(maxsize=64)
def _abbreviation_pattern(keys: tuple[str, ...]) -> re.Pattern[str]:
    """Whole tokens of `keys`, longest first: built once per table, not for every text read."""
    ordered = sorted(keys, key=len, reverse=True)
    return re.compile(r"(?<![\w&])(?:" + "|".join(re.escape(k) for k in ordered) + r")(?![\w&])")


# -- numbers in running text --------------------------------------------------------------------------

_NUM = r"\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+(?:[.,]\d+)?"
_UNITS_PER = r"ngày|tháng|năm|tuần|giờ|phút|người|lần|tin|cuộc|tài khoản|hộ"
_PHONE = re.compile(r"(?<![\w.,/])(\+84|0)[ .-]?(\d{1,3})((?:[ .-]?\d{2,4}){2,3})(?![\w/]|[.,]\d)")
_HOTLINE = re.compile(r"(?<![\w.,])(1800|1900)[ .-]?(\d{3,4})(?:[ .-]?(\d{2,4}))?(?![\w]|[.,]\d)")
_EMERGENCY = re.compile(r"(?i)\b(gọi|số|tổng đài|nóng)\s+(11[1-5])(?!\w|[.,]\d)")
_TIME = re.compile(r"(?<![\w:.,])([01]?\d|2[0-3])\s*(?::|h|g|giờ)\s*([0-5]\d)(?:\s*(?:phút|p|')(?!\w))?(?![\w:])")
_HOUR = re.compile(r"(?<![\w:.,])([01]?\d|2[0-3])\s*h(?!\w)")
_DATE = re.compile(
    r"(?i)(?<![\w/.,-])(?:ngày\s+)?(\d{1,2})(?:(/)(\d{1,2})(?:/(\d{4}))?|([.-])(\d{1,2})[.-](\d{4}))(?![\w/]|[.,-]\d)"
)
_MONTH = re.compile(r"(?i)\b(tháng)\s+(\d{1,2})(?:\s*[/.-]\s*(\d{4}))?(?![\w/]|[.,]\d)")
_ORDINAL = re.compile(r"(?i)\b(thứ|hạng)\s+(\d{1,3})(?!\w|[.,]\d)")
_PERCENT = re.compile(rf"(?<![\w.,])({_NUM})\s*%")
_MONEY = re.compile(rf"(?<![\w.,])({_NUM})\s*(đồng|đ|VNĐ|VND|vnđ|vnd)(?!\w)")
_SHORT_MONEY = re.compile(rf"(?<![\w.,])({_NUM})\s*(k|tr)(?!\w)")
_RANGE = re.compile(rf"(?<![\w.,])({_NUM})\s*[-–]\s*({_NUM})(?![\w]|[.,]\d)")
_PLAIN = re.compile(rf"(?<![\w])({_NUM})(?!\w)")
_LETTER_DIGIT = re.compile(r"(?<=[^\W\d_])(?=\d)|(?<=\d)(?=[^\W\d_])")


def _phone(match: re.Match[str]) -> str:
    prefix = "cộng tám tư" if match[1] == "+84" else None
    rest = match[2] + match[3]
    groups = re.split(r"[ .-]", (match[1] if prefix is None else "") + rest)
    if len(groups) == 1:
        groups = _chunks(groups[0])
    digits = sum(len(g) for g in groups)
    if prefix is None and not 9 <= digits <= 11:
        return match[0]
    spoken = _grouped_digits(groups)
    return f"{prefix}{_GROUP_SEP} {spoken}" if prefix else spoken


def _date(match: re.Match[str], style: ReadingStyle) -> str:
    day = int(match[1])
    if match[2]:
        month, year = int(match[3]), (int(match[4]) if match[4] else None)
    else:
        month, year = int(match[6]), int(match[7])
    if not (1 <= day <= 31 and 1 <= month <= 12):
        return match[0]
    return date_words(day, month, year, style)


def _ordinal(match: re.Match[str], style: ReadingStyle) -> str:
    n = int(match[2])
    word = {1: "nhất", 4: "tư"}.get(n) or number_words(n, style)
    return f"{match[1]} {word}"


def speak_numbers(text: str, style: ReadingStyle) -> str:
    """Every digit in `text` becomes words; the order of the rules matters (phones before plain numbers)."""
    text = _HOTLINE.sub(lambda m: _grouped_digits([m[1], m[2], m[3] or ""]), text)
    text = _PHONE.sub(_phone, text)
    text = _EMERGENCY.sub(lambda m: f"{m[1]} {digit_words(m[2])}", text)
    text = _DATE.sub(lambda m: _date(m, style), text)
    text = _MONTH.sub(
        lambda m: (
            f"{m[1]} {month_words(int(m[2]), style)}" + (f" năm {number_words(int(m[3]), style)}" if m[3] else "")
            if 1 <= int(m[2]) <= 12
            else m[0]
        ),
        text,
    )
    text = _TIME.sub(lambda m: time_words(int(m[1]), int(m[2]), style), text)
    text = _HOUR.sub(lambda m: time_words(int(m[1]), 0, style), text)
    text = _ORDINAL.sub(lambda m: _ordinal(m, style), text)
    text = _PERCENT.sub(lambda m: f"{decimal_words(m[1], style)} phần trăm", text)
    text = _MONEY.sub(lambda m: f"{decimal_words(m[1], style)} đồng", text)
    text = _SHORT_MONEY.sub(
        lambda m: f"{decimal_words(m[1], style)} {style.thousand if m[2] == 'k' else 'triệu'}", text
    )
    text = _RANGE.sub(lambda m: f"{decimal_words(m[1], style)} đến {decimal_words(m[2], style)}", text)
    text = re.sub(r"(?<=[^\W\d_])-(?=\d)", " ", text)  # "COVID-19" → "COVID mười chín"
    text = _LETTER_DIGIT.sub(" ", text)
    text = _PLAIN.sub(lambda m: decimal_words(m[1], style), text)
    # Whatever digits survive (odd separators such as "1,2,3") are read one by one.
    text = re.sub(r"\d+", lambda m: digit_words(m[0]), text)
    # The style decides the spelling of the big units, also where the source wrote them as words.
    text = re.sub(r"\b(?:tỷ|tỉ)\b", style.billion, text)
    text = re.sub(r"\b(?:nghìn|ngàn)\b", style.thousand, text)
    text = re.sub(rf"\s*/\s*(?=(?:{_UNITS_PER})\b)", " mỗi ", text)
    return text.replace("/", " ")


# -- sentences ----------------------------------------------------------------------------------------

_SENTENCE_END = re.compile(r"(?<=[.!?])[\"”’)]*\s+(?=[\"“‘(]*[A-ZÀ-ỸĐ\d])")


@lru_cache(maxsize=8192)
def syllables(text: str) -> int:
    """Vietnamese writes one syllable per word: count the tokens that hold a letter.

    Cached: publish counts the same story scripts again for every ward that airs them.
    """
    return sum(1 for token in text.split() if any(ch.isalpha() for ch in token))


def estimate_seconds(text: str, rate: float) -> int:
    return math.ceil(syllables(text) / rate) if text.strip() else 0


def _finish(sentence: str) -> str:
    sentence = sentence.strip(" ,;:-–")
    if not sentence:
        return ""
    sentence = sentence[0].upper() + sentence[1:]
    return sentence if sentence[-1] in ".!?" else sentence + "."


def _opens_adverbial(words: list[str]) -> bool:
    head = " ".join(words[:2]).lower()
    return any(head == w or head.startswith(w + " ") for w in INTRODUCERS)


def _by_length(phrases: Iterable[str]) -> tuple[tuple[int, frozenset[str]], ...]:
    """Phrases grouped by word count: one join per length and position instead of one per phrase."""
    groups: dict[int, set[str]] = {}
    for phrase in phrases:
        groups.setdefault(len(phrase.split()), set()).add(phrase)
    return tuple((n, frozenset(group)) for n, group in sorted(groups.items()))


_CONJUNCTIONS_BY_LENGTH = _by_length(CONJUNCTIONS)


def _split_long(words: list[str], limit: int) -> list[list[str]]:
    """Cut at the comma or conjunction nearest the middle, keeping both halves at least 10 syllables long.

    A comma that closes an opening phrase ("Theo …,", "Sau khi cài,") is not a cut: the half before it is no sentence.
    """
    if syllables(" ".join(words)) <= limit:
        return [words]
    best: int | None = None
    middle = len(words) / 2
    clause_start = 0
    for i in range(1, len(words)):
        at_comma = words[i - 1].endswith((",", ";", ":"))
        at_conjunction = any(" ".join(words[i : i + n]).lower() in group for n, group in _CONJUNCTIONS_BY_LENGTH)
        ok = (at_comma and not _opens_adverbial(words[clause_start:i])) or at_conjunction
        if ok and i >= 10 and len(words) - i >= 10 and (best is None or abs(i - middle) < abs(best - middle)):
            best = i
        if at_comma:
            clause_start = i
    if best is None:
        return [words]
    return _split_long(words[:best], limit) + _split_long(words[best:], limit)


_DANGLING = re.compile(
    r"(?i)[\s,:]*\b(?:(?:xem|tham khảo|truy cập)(?: thêm| chi tiết)?(?: tại| ở| qua)?(?: đây)?"
    r"|(?:tại|qua|theo) (?:địa chỉ|đường dẫn|đường link|link|trang|website)|tại đây|chi tiết tại|tại)\s*[.:!]?$"
)


def _drop_dangling(sentence: str) -> str:
    """What a removed link leaves at a sentence end ("Xem chi tiết tại.") goes too."""
    return _DANGLING.sub("", sentence).strip()


def to_sentences(text: str, options: ReadingOptions) -> list[str]:
    """Clean, expand and split `text` into short spoken sentences, each ending in a full stop."""
    text = expand_abbreviations(clean(text), options.abbreviations).replace("&", " và ")
    out: list[str] = []
    for paragraph in text.split("\n"):
        for raw in _SENTENCE_END.split(paragraph):
            out += _spoken_sentence(raw, options.style, options.max_sentence_syllables)
    return out


@lru_cache(maxsize=65536)
def _spoken_sentence(raw: str, style: ReadingStyle, limit: int) -> tuple[str, ...]:
    # Cached: every ward's intro and outro repeat the same date and closing sentences around its own name.
    spoken = re.sub(r"\s+", " ", speak_numbers(raw, style))
    spoken = re.sub(r"\s+([.,;:!?])", r"\1", spoken)
    spoken = re.sub(r"[^\w\s.,;:!?\"“”'()\-–" + _GROUP_SEP + "]", "", spoken)
    spoken = _drop_dangling(re.sub(r"\(\s*\)", "", spoken).strip())
    if not syllables(spoken):
        return ()
    out: list[str] = []
    for part in _split_long(spoken.split(), limit):
        sentence = _finish(" ".join(part))
        if sentence:
            out.append(unicodedata.normalize("NFC", sentence.replace(_GROUP_SEP, ",")))
    return tuple(out)


def speak(text: str, options: ReadingOptions | None = None) -> str:
    """`text` as one read-aloud string (sentences joined by spaces)."""
    return " ".join(to_sentences(text, options or ReadingOptions()))


# -- stories and frames -------------------------------------------------------------------------------


def _lower_first(sentence: str) -> str:
    # "Thời gian qua, ..." after "Theo X," becomes "thời gian qua"; proper names ("Hà Nội", "Bộ Công an") stay.
    words = sentence.split()
    if len(words) >= 2 and words[0][:1].isupper() and not words[0].isupper() and words[1][:1].islower():
        return sentence[0].lower() + sentence[1:]
    return sentence


def story_script(story: StoryText, options: ReadingOptions, *, urgent: bool = False) -> StoryScript:
    """The story's read-aloud script: headline, credit, body; cut at a sentence boundary past max_story_seconds."""
    headline = story.broadcast_title.strip() or story.title.strip()
    body_text = story.broadcast_text.strip() or story.lead.strip()
    head = to_sentences(headline, options)
    body = to_sentences(body_text, options)
    if head and body and body[0].rstrip(".") == head[0].rstrip("."):
        body = body[1:]  # the read-aloud edit often repeats the headline as its first line
    sentences = (["Tin khẩn cấp."] if urgent else []) + head
    source = speak(story.source, options).rstrip(".") if story.source.strip() else ""
    credit = options.credit.format(source=source) if source else ""
    if credit and body and credit.rstrip().endswith(","):
        body = [credit.strip() + " " + _lower_first(body[0]), *body[1:]]
    elif credit:
        sentences.append(_finish(credit))
    kept = list(sentences)
    dropped = 0
    for sentence in body:
        if dropped or (
            syllables(" ".join([*kept, sentence])) / options.rate > options.max_story_seconds and len(kept) > 0
        ):
            dropped += 1
            continue
        kept.append(sentence)
    if not kept:
        kept = body[:1]
    total = syllables(" ".join(kept))
    return StoryScript(
        story=story.id,
        sentences=tuple(kept),
        syllables=total,
        seconds=math.ceil(total / options.rate),
        truncated=dropped > 0,
        dropped=dropped,
    )


WARD_KINDS = {"phuong": "phường", "xa": "xã", "thi-tran": "thị trấn"}


def frame_sentences(template: str, *, kind: str, name: str, day: date, slot: str, options: ReadingOptions) -> list[str]:
    """An intro or outro template filled for one ward and slot: {kind} {name} {date} {time}."""
    if not template.strip():
        return []
    filled = template.format(
        kind=WARD_KINDS.get(kind, kind),
        name=bare_name(name, kind),
        date=f"{day.day}/{day.month}/{day.year}",
        time=slot,
    )
    # Cached by the filled text: an outro without {name} reads the same in every ward, an intro without
    # {time} the same in every slot of the day; a national publish fills ~200,000 of them.
    key = (options.style, tuple(options.abbreviations.items()), options.max_sentence_syllables)
    return list(_filled_sentences(filled, key))


@lru_cache(maxsize=16384)
def _filled_sentences(filled: str, key: tuple[ReadingStyle, tuple[tuple[str, str], ...], int]) -> tuple[str, ...]:
    style, abbreviations, limit = key
    options = ReadingOptions(style=style, abbreviations=dict(abbreviations), max_sentence_syllables=limit)
    return tuple(to_sentences(filled, options))
