"""Deterministic benchmark corpus: N feeds × M items of Vietnamese scam warnings, plus HTML listings.

Built from templates and a seeded `random.Random`, so one seed always gives the same bytes. It plants
cross-feed exact duplicates (the same link), near-duplicates (reworded titles, tracking parameters)
and HTML listing pages. Generated at run time into a folder (never committed):

    python -m bench.corpus --out /tmp/corpus --feeds 200 --items 50 --seed 11
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

# Corpus "now": the middle of Thanh Hóa's July 2023 campaign. Every date is before it.
CORPUS_NOW = datetime(2023, 7, 10, 1, 0, tzinfo=UTC)
# One fixed Last-Modified for every file: the server stays deterministic across runs.
LAST_MODIFIED = CORPUS_NOW
_VN = ZoneInfo("Asia/Ho_Chi_Minh")

WARDS = [
    "Điện Biên",
    "Lam Sơn",
    "Ba Đình",
    "Ngọc Trạo",
    "Đông Thọ",
    "Đông Vệ",
    "Đông Sơn",
    "Phú Sơn",
    "Trường Thi",
    "Tân Sơn",
    "Đông Hương",
    "Đông Hải",
    "Quảng Hưng",
    "Quảng Thành",
    "Quảng Thắng",
    "Quảng Phú",
    "Quảng Tâm",
    "Quảng Đông",
    "Quảng Cát",
    "Hàm Rồng",
    "Nam Ngạn",
    "Tào Xuyên",
    "Long Anh",
    "Hoằng Quang",
    "Hoằng Đại",
    "Thiệu Vân",
    "Thiệu Khánh",
    "Thiệu Dương",
    "Đông Lĩnh",
    "Đông Tân",
    "Đông Vinh",
    "Đông Cương",
    "An Hưng",
    "Quảng Thịnh",
    "Đông Lĩnh",
    "Hoằng Anh",
]
PUBLISHERS = [
    "Công an phường {ward}",
    "UBND phường {ward}",
    "Trang thông tin điện tử phường {ward}",
    "Công an xã {ward}",
    "Đài truyền thanh phường {ward}",
    "Đoàn Thanh niên phường {ward}",
]
NATIONAL = [
    ("khonggianmang.vn", "Trung tâm Giám sát an toàn không gian mạng quốc gia (NCSC)"),
    ("tinnhiemmang.vn", "Tín nhiệm mạng"),
    ("chongluadao.vn", "Dự án Chống Lừa Đảo"),
    ("congan.thanhhoa.gov.vn", "Công an tỉnh Thanh Hóa"),
    ("baothanhhoa.vn", "Báo Thanh Hóa"),
]
APPS = ["Zalo", "Facebook", "Telegram", "TikTok", "Messenger", "Viber"]
BANKS = ["Vietcombank", "BIDV", "Agribank", "VietinBank", "Techcombank", "MB", "ACB", "Sacombank"]
VICTIMS = [
    "bà N.T.H. ({age} tuổi)",
    "ông L.V.T. ({age} tuổi)",
    "chị P.T.M. ({age} tuổi)",
    "anh Đ.Q.K. ({age} tuổi)",
    "bà T.T.L. ({age} tuổi)",
    "ông H.V.N. ({age} tuổi)",
    "chị N.T.T. ({age} tuổi)",
    "anh L.M.Đ. ({age} tuổi)",
]
AMOUNTS = [
    "35 triệu đồng",
    "120 triệu đồng",
    "270 triệu đồng",
    "480 triệu đồng",
    "1,2 tỷ đồng",
    "2,6 tỷ đồng",
    "15 triệu đồng",
    "68 triệu đồng",
    "900 triệu đồng",
    "3,1 tỷ đồng",
]
TRACKING = [
    "?utm_source=zalo&utm_medium=social",
    "?fbclid=IwAR0{n:05d}xYz",
    "?utm_source=facebook&utm_campaign=canh-bao",
    "?zarsrc=30&utm_source=zalo",
    "?gclid=Cj0KCQ{n:05d}",
]


@dataclass(frozen=True)
class Scam:
    slug: str
    name: str
    titles: tuple[str, ...]
    leads: tuple[str, ...]
    tricks: tuple[str, ...]
    advice: tuple[str, ...]


SCAMS = [
    Scam(
        "gia-danh-cong-an",
        "giả danh công an",
        (
            "Cảnh báo thủ đoạn giả danh công an gọi điện yêu cầu chuyển tiền",
            "Giả danh cán bộ công an {ward} lừa {victim} chuyển {amount}",
            "Lại xuất hiện chiêu giả danh công an báo “liên quan đường dây ma túy”",
            "Người dân {ward} cảnh giác cuộc gọi mạo danh công an qua {app}",
        ),
        (
            "Đối tượng tự xưng là cán bộ công an, thông báo người dân liên quan đến một vụ án và yêu cầu chuyển tiền để “xác minh”.",
            "Công an phường {ward} vừa tiếp nhận trình báo của {victim} về việc bị lừa chuyển {amount} sau cuộc gọi của người tự xưng là công an.",
        ),
        (
            "Kẻ gian gọi điện bằng số lạ, đọc đúng họ tên, số căn cước của nạn nhân rồi đe dọa sẽ bắt giữ nếu không hợp tác.",
            "Chúng yêu cầu nạn nhân kết bạn {app} để nhận “lệnh bắt” giả có đóng dấu đỏ, sau đó hướng dẫn chuyển toàn bộ tiền tiết kiệm vào “tài khoản tạm giữ”.",
            "Để tạo lòng tin, đối tượng gọi video mặc trang phục công an, phía sau là phông nền giống trụ sở cơ quan.",
            "Nạn nhân bị yêu cầu giữ bí mật, không được kể với người thân vì “đang phục vụ điều tra”.",
        ),
        (
            "Cơ quan công an không làm việc qua điện thoại, {app} hay mạng xã hội, không yêu cầu chuyển tiền vào tài khoản cá nhân.",
            "Khi nhận được cuộc gọi như vậy, hãy đến trực tiếp trụ sở công an phường, xã gần nhất để xác minh.",
        ),
    ),
    Scam(
        "dau-tu-tien-ao",
        "đầu tư tiền ảo",
        (
            "Cảnh giác lừa đảo đầu tư tiền ảo hứa “lãi 30% mỗi tháng”",
            "Sập bẫy sàn tiền ảo, {victim} mất {amount}",
            "Nhóm {app} “chuyên gia tài chính” dụ người dân đầu tư tiền ảo",
            "Công an cảnh báo các sàn giao dịch tiền điện tử không được cấp phép",
        ),
        (
            "Các đối tượng lập nhóm trên {app}, tự xưng chuyên gia, chia sẻ “tín hiệu” mua bán tiền ảo và khoe lợi nhuận khủng.",
            "{victim} ở phường {ward} đã chuyển tổng cộng {amount} vào một sàn giao dịch tiền ảo giả mạo trước khi phát hiện bị lừa.",
        ),
        (
            "Ban đầu, nạn nhân được rút lãi vài lần với số tiền nhỏ để tạo niềm tin.",
            "Khi số tiền nạp lớn, tài khoản trên sàn bị “đóng băng”, nạn nhân được yêu cầu nộp thêm “phí giải ngân” và “thuế thu nhập”.",
            "Trang web của sàn thường đổi tên miền liên tục, giao diện sao chép từ các sàn quốc tế nổi tiếng.",
            "Các “nhà đầu tư” khác trong nhóm thực chất là tài khoản ảo do chính đối tượng điều khiển.",
        ),
        (
            "Không tham gia các sàn giao dịch không được cấp phép tại Việt Nam; không tin lời hứa lợi nhuận cao, cố định.",
            "Không chuyển tiền cho người quen qua mạng khi chưa gặp trực tiếp, không nộp “phí rút tiền” dưới bất kỳ hình thức nào.",
        ),
    ),
    Scam(
        "viec-nhe-luong-cao",
        "việc nhẹ lương cao",
        (
            "Lừa đảo tuyển cộng tác viên “việc nhẹ lương cao”",
            "Làm nhiệm vụ “chốt đơn ảo”, {victim} mất {amount}",
            "Cảnh báo tin tuyển dụng “việc nhẹ lương cao” trên {app}",
            "Sinh viên {ward} mắc bẫy làm cộng tác viên online",
        ),
        (
            "Đối tượng đăng tin tuyển cộng tác viên làm việc tại nhà, chỉ cần điện thoại, thu nhập 300–500 nghìn đồng mỗi ngày.",
            "{victim} được mời làm nhiệm vụ thả tim, chốt đơn cho một sàn thương mại điện tử và đã chuyển {amount} cho các đối tượng.",
        ),
        (
            "Nạn nhân được hứa hoa hồng 10–15% cho mỗi đơn hàng ảo, sau đó bị yêu cầu nạp thêm tiền để “hoàn thành chuỗi nhiệm vụ”.",
            "Những nhiệm vụ đầu tiên được trả tiền đầy đủ; đến nhiệm vụ lớn, đối tượng báo “thao tác sai” và đòi nộp tiền khắc phục.",
            "Nhóm {app} của “công ty” luôn có người khoe đã rút được tiền, khiến nạn nhân yên tâm nạp tiếp.",
        ),
        (
            "Không có công việc nào chỉ cần bấm thích, chốt đơn mà trả thu nhập cao; không nạp tiền để nhận việc.",
            "Tìm việc qua các trung tâm dịch vụ việc làm, doanh nghiệp có địa chỉ rõ ràng.",
        ),
    ),
    Scam(
        "vneid-gia",
        "VNeID giả",
        (
            "Cảnh giác ứng dụng VNeID giả mạo",
            "Cài VNeID giả qua đường link lạ, {victim} bị rút {amount}",
            "Giả danh cán bộ hướng dẫn “cập nhật định danh điện tử mức 2”",
            "Cảnh báo đường link cài đặt VNeID giả gửi qua {app}",
        ),
        (
            "Kẻ gian gửi đường link cài ứng dụng VNeID giả để chiếm quyền điều khiển điện thoại.",
            "Đối tượng gọi điện cho {victim}, tự xưng cán bộ công an phường {ward}, hướng dẫn “nâng cấp tài khoản định danh điện tử”.",
        ),
        (
            "Ứng dụng giả có biểu tượng, tên gọi giống hệt VNeID nhưng được tải từ trang web lạ thay vì kho ứng dụng chính thức.",
            "Sau khi cài đặt, ứng dụng xin quyền trợ năng, đọc tin nhắn và hiển thị trên ứng dụng khác để lấy mã OTP ngân hàng.",
            "Chỉ sau vài phút, tài khoản {bank} của nạn nhân bị chuyển hết tiền sang nhiều tài khoản khác nhau.",
        ),
        (
            "Chỉ tải VNeID từ App Store hoặc Google Play; công an không hướng dẫn cài ứng dụng qua điện thoại.",
            "Không bấm vào đường link lạ, không cấp quyền trợ năng cho ứng dụng không rõ nguồn gốc.",
        ),
    ),
    Scam(
        "vay-tien-online",
        "vay tiền online",
        (
            "Cảnh báo bẫy vay tiền online lãi suất “0%”",
            "Vay qua ứng dụng, {victim} bị đòi nợ, bôi nhọ trên {app}",
            "Ứng dụng cho vay “giải ngân trong 5 phút” chiếm đoạt {amount}",
            "Người dân {ward} cần cảnh giác với tín dụng đen trá hình",
        ),
        (
            "Các ứng dụng cho vay quảng cáo thủ tục đơn giản, chỉ cần căn cước, giải ngân ngay, nhưng thực chất thu phí và lãi cắt cổ.",
            "{victim} vay 5 triệu đồng qua ứng dụng, sau vài tháng bị đòi {amount} kèm lời đe dọa.",
        ),
        (
            "Ứng dụng yêu cầu quyền truy cập danh bạ, ảnh và vị trí; khi chậm trả, đối tượng nhắn tin, gọi điện khủng bố người thân của nạn nhân.",
            "Một số đối tượng yêu cầu nộp trước “phí bảo hiểm khoản vay”, “phí xác minh hồ sơ” rồi cắt liên lạc.",
            "Số tiền thực nhận thấp hơn nhiều so với hợp đồng, lãi và phí phạt được tính theo ngày.",
        ),
        (
            "Chỉ vay tại ngân hàng, công ty tài chính được Ngân hàng Nhà nước cấp phép; không nộp phí trước khi được giải ngân.",
            "Khi bị đe dọa, bôi nhọ, hãy lưu lại bằng chứng và trình báo cơ quan công an.",
        ),
    ),
    Scam(
        "gia-mao-ngan-hang",
        "giả mạo ngân hàng",
        (
            "Tin nhắn giả mạo {bank} thông báo “tài khoản bị khóa”",
            "Cảnh giác website giả mạo ngân hàng {bank} đánh cắp OTP",
            "{victim} mất {amount} vì bấm đường link trong tin nhắn giả ngân hàng",
        ),
        (
            "Người dân nhận tin nhắn mang tên {bank} báo tài khoản sắp bị khóa, kèm đường link “xác thực thông tin”.",
            "Đối tượng dùng thiết bị phát sóng giả trạm BTS để gửi tin nhắn thương hiệu giả mạo {bank}.",
        ),
        (
            "Đường link dẫn tới trang web có giao diện giống hệt ngân hàng, yêu cầu nhập tên đăng nhập, mật khẩu và mã OTP.",
            "Ngay khi nạn nhân nhập OTP, tiền trong tài khoản bị chuyển đi trong vài giây.",
        ),
        (
            "Ngân hàng không gửi đường link yêu cầu cập nhật thông tin qua tin nhắn; không cung cấp mã OTP cho bất kỳ ai.",
            "Khi nghi ngờ, gọi tổng đài chính thức của ngân hàng in ở mặt sau thẻ.",
        ),
    ),
    Scam(
        "hack-facebook-muon-tien",
        "chiếm tài khoản mạng xã hội mượn tiền",
        (
            "Chiếm tài khoản {app} rồi nhắn tin mượn tiền người thân",
            "Giả giọng, giả hình người quen qua cuộc gọi video để vay tiền",
            "{victim} chuyển {amount} cho “cháu” bị hack {app}",
        ),
        (
            "Đối tượng chiếm quyền tài khoản {app}, đọc lịch sử trò chuyện rồi nhắn tin vay tiền bạn bè, người thân.",
            "Để vượt qua sự nghi ngờ, kẻ gian gọi video vài giây bằng hình ảnh, giọng nói giả tạo bằng công nghệ deepfake.",
        ),
        (
            "Tin nhắn thường viện cớ cần tiền gấp để đóng viện phí, trả nợ hoặc nhận hàng, hứa sẽ trả lại ngay trong ngày.",
            "Tài khoản nhận tiền không trùng với tên chủ tài khoản {app}.",
        ),
        (
            "Gọi điện trực tiếp theo số đã biết để xác minh trước khi chuyển tiền; bật xác thực hai lớp cho tài khoản mạng xã hội.",
        ),
    ),
    Scam(
        "gia-danh-dien-luc",
        "giả danh nhân viên điện lực",
        (
            "Giả danh nhân viên điện lực đòi tiền điện, dọa cắt điện",
            "Cảnh báo cuộc gọi giả danh điện lực yêu cầu cài ứng dụng",
        ),
        ("Đối tượng tự xưng nhân viên điện lực, báo hộ gia đình nợ tiền điện và sẽ bị cắt điện trong ngày.",),
        (
            "Chúng hướng dẫn cài ứng dụng “chăm sóc khách hàng” giả để thanh toán, thực chất là mã độc chiếm quyền điện thoại.",
            "Nhiều người cao tuổi ở phường {ward} đã nhận được cuộc gọi tương tự trong tuần qua.",
        ),
        ("Tra cứu tiền điện trên ứng dụng chính thức của ngành điện; không cài ứng dụng theo hướng dẫn của người lạ.",),
    ),
    Scam(
        "trung-thuong",
        "trúng thưởng",
        (
            "Thông báo “trúng thưởng xe máy” qua {app} là lừa đảo",
            "Cảnh giác tin nhắn trúng thưởng yêu cầu nộp phí nhận quà",
        ),
        ("{victim} nhận tin nhắn báo trúng thưởng một xe máy, cần nộp phí vận chuyển và thuế trước khi nhận giải.",),
        (
            "Sau mỗi lần nộp tiền, đối tượng lại viện thêm lý do: phí bảo hiểm, phí hồ sơ, phí chuyển đổi ngoại tệ.",
            "Tổng cộng nạn nhân đã chuyển {amount} nhưng không nhận được phần thưởng nào.",
        ),
        ("Không có chương trình khuyến mại hợp pháp nào yêu cầu người trúng thưởng chuyển tiền trước.",),
    ),
    Scam(
        "dat-phong-gia",
        "đặt phòng, vé máy bay giả",
        (
            "Lừa đảo đặt phòng khách sạn, homestay giá rẻ mùa du lịch",
            "Trang {app} giả mạo đại lý vé máy bay chiếm đoạt tiền đặt cọc",
        ),
        (
            "Mùa du lịch hè, nhiều trang mạng xã hội giả mạo khách sạn, homestay tại Sầm Sơn, đăng giá phòng rẻ bất thường.",
        ),
        (
            "Sau khi khách chuyển tiền cọc, đối tượng tiếp tục đòi thêm tiền “giữ phòng”, rồi chặn liên lạc.",
            "Các trang giả thường mới lập, sao chép hình ảnh và đánh giá của cơ sở thật.",
        ),
        (
            "Đặt phòng qua website chính thức hoặc ứng dụng đặt phòng uy tín; gọi điện xác minh với cơ sở lưu trú trước khi chuyển cọc.",
        ),
    ),
]
REWORDINGS = [
    ("Cảnh báo", "Khuyến cáo"),
    ("Cảnh giác", "Cảnh báo"),
    ("lừa đảo", "chiêu lừa"),
    ("chuyển tiền", "chuyển khoản"),
    ("người dân", "bà con"),
]
CLOSINGS = [
    "Mọi thông tin về hành vi lừa đảo, người dân liên hệ Công an phường {ward} hoặc gọi số 113.",
    "Người dân phát hiện dấu hiệu lừa đảo có thể phản ánh qua ứng dụng VNeID hoặc trang canhbao.ncsc.gov.vn.",
    "Đề nghị các tổ dân phố phổ biến thông tin này trên hệ thống loa truyền thanh và nhóm {app} của khu dân cư.",
]


@dataclass(frozen=True)
class Article:
    """One story as its origin published it; copies in other feeds point at the same `link`."""

    key: str
    title: str
    link: str
    summary: str
    body_html: str
    published: datetime
    scam: str
    image: str


@dataclass
class FeedInfo:
    id: str
    name: str
    path: str  # URL path on the bench server
    format: str  # rss | atom
    items: int
    bytes: int = 0


@dataclass
class ListingInfo:
    id: str
    name: str
    path: str
    items: int
    bytes: int = 0


@dataclass
class Manifest:
    seed: int
    feeds: list[FeedInfo] = field(default_factory=list)
    listings: list[ListingInfo] = field(default_factory=list)
    items: int = 0
    unique_links: int = 0
    exact_copies: int = 0  # items whose link another feed also carries
    near_duplicates: int = 0  # reworded title and/or tracking parameters on a shared story
    total_bytes: int = 0
    listing_selectors: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=2)

    @classmethod
    def load(cls, root: Path) -> Manifest:
        data = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
        data["feeds"] = [FeedInfo(**f) for f in data["feeds"]]
        data["listings"] = [ListingInfo(**x) for x in data["listings"]]
        return cls(**data)


LISTING_SELECTORS = {
    "item": "article.post-card",
    "title": "h3.post-card__title a",
    "link": "h3.post-card__title a@href",
    "date": "time.post-card__date",
    "date_format": "%d/%m/%Y",
    "summary": "p.post-card__summary",
    "image": "img@src",
}


def _word_pairs() -> dict[str, list[str]]:
    """Word → the words that follow it in the hand-written seed stories (bench/seeds.py)."""
    from bench.seeds import SEEDS

    pairs: dict[str, list[str]] = {}
    for seed in SEEDS:
        for text in (seed["t"], seed["l"]):
            words = text.replace("“", "").replace("”", "").rstrip(".").split()
            for a, b in itertools.pairwise(words):
                pairs.setdefault(a, []).append(b)
    return pairs


class _Writer:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.pairs = _word_pairs()
        self.words = sorted(self.pairs)

    def details(self, length: int) -> str:
        """A sentence of the article's own (a walk over the seeds' word pairs).

        The templates alone make every fresh article a retelling of a dozen stories, which no portal
        publishes and which sends dedupe down its worst case; real articles differ in their particulars.
        """
        rng = self.rng
        word = rng.choice(self.words)
        out = [word]
        for _ in range(length - 1):
            followers = self.pairs.get(word)
            word = rng.choice(followers) if followers and rng.random() < 0.85 else rng.choice(self.words)
            out.append(word)
        text = " ".join(out)
        return text[:1].upper() + text[1:] + "."

    def fill(self, template: str, ward: str, n: int) -> str:
        rng = self.rng
        text = template.format(
            ward=ward,
            victim=rng.choice(VICTIMS).format(age=rng.randint(19, 78)),
            amount=rng.choice(AMOUNTS),
            app=rng.choice(APPS),
            bank=rng.choice(BANKS),
            n=n,
        )
        return text[:1].upper() + text[1:]

    def article(self, key: str, host: str, ward: str, n: int, published: datetime) -> Article:
        rng = self.rng
        scam = rng.choice(SCAMS)
        title = self.fill(rng.choice(scam.titles), ward, n)
        lead = self.details(rng.randint(28, 40)) + " " + self.fill(rng.choice(scam.leads), ward, n)
        tricks = rng.sample(scam.tricks, k=min(len(scam.tricks), rng.randint(2, 3)))
        paragraphs = [f"<p><strong>{escape(lead)}</strong></p>"]
        paragraphs += [f"<p>{escape(self.fill(t, ward, n))}</p>" for t in tricks]
        image = f"https://{host}/uploads/{scam.slug}-{n:05d}.jpg"
        paragraphs.append(
            f'<figure><img src="{image}" alt="{escape(scam.name)}"><figcaption>Ảnh minh họa</figcaption></figure>'
        )
        paragraphs.append("<h3>Khuyến cáo</h3>")
        paragraphs.append("<ul>" + "".join(f"<li>{escape(self.fill(a, ward, n))}</li>" for a in scam.advice) + "</ul>")
        paragraphs.append(f"<p><em>{escape(self.fill(rng.choice(CLOSINGS), ward, n))}</em></p>")
        slug = f"{scam.slug}-{n:05d}"
        return Article(
            key=key,
            title=title,
            link=f"https://{host}/canh-bao/{slug}.html",
            summary=lead,
            body_html="\n".join(paragraphs),
            published=published,
            scam=scam.name,
            image=image,
        )

    def reword(self, title: str) -> str:
        for old, new in self.rng.sample(REWORDINGS, k=len(REWORDINGS)):
            if old in title:
                return title.replace(old, new, 1)
        return "[Cảnh báo] " + title


def _rss(info: FeedInfo, site: str, entries: list[tuple[Article, str, str]]) -> str:
    items = []
    for article, title, link in entries:
        items.append(
            f"""  <item>
    <title>{escape(title)}</title>
    <link>{escape(link)}</link>
    <dc:creator><![CDATA[{info.name}]]></dc:creator>
    <pubDate>{format_datetime(article.published)}</pubDate>
    <category><![CDATA[Cảnh báo lừa đảo]]></category>
    <category><![CDATA[{article.scam}]]></category>
    <guid isPermaLink="true">{escape(link)}</guid>
    <description><![CDATA[{article.summary}]]></description>
    <content:encoded><![CDATA[{article.body_html}]]></content:encoded>
    <enclosure url="{escape(article.image)}" length="48213" type="image/jpeg"/>
  </item>"""
        )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom">
<channel>
  <title>{escape(info.name)} – Cảnh báo lừa đảo</title>
  <atom:link href="{site}/feed/" rel="self" type="application/rss+xml"/>
  <link>{site}/</link>
  <description>Tin cảnh báo, tuyên truyền phòng chống lừa đảo trực tuyến</description>
  <language>vi</language>
  <lastBuildDate>{format_datetime(CORPUS_NOW)}</lastBuildDate>
{chr(10).join(items)}
</channel>
</rss>
"""


def _atom(info: FeedInfo, site: str, entries: list[tuple[Article, str, str]]) -> str:
    items = []
    for article, title, link in entries:
        items.append(
            f"""  <entry>
    <title type="html">{escape(title)}</title>
    <link rel="alternate" type="text/html" href="{escape(link)}"/>
    <id>{escape(link)}</id>
    <published>{article.published.isoformat()}</published>
    <updated>{article.published.isoformat()}</updated>
    <author><name>{escape(info.name)}</name></author>
    <category term="{escape(article.scam)}"/>
    <summary type="html">{escape(article.summary)}</summary>
    <content type="html">{escape(article.body_html)}</content>
  </entry>"""
        )
    return f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="vi">
  <title>{escape(info.name)} – Cảnh báo lừa đảo</title>
  <link rel="self" href="{site}/feed.atom"/>
  <link rel="alternate" href="{site}/"/>
  <id>{site}/</id>
  <updated>{CORPUS_NOW.isoformat()}</updated>
{chr(10).join(items)}
</feed>
"""


def _listing(info: ListingInfo, entries: list[tuple[Article, str, str]]) -> str:
    cards = []
    for article, title, link in entries:
        local = article.published.astimezone(_VN)
        cards.append(
            f"""      <article class="post-card">
        <a class="post-card__thumb" href="{escape(link)}"><img src="{escape(article.image)}" alt=""></a>
        <h3 class="post-card__title"><a href="{escape(link)}">{escape(title)}</a></h3>
        <time class="post-card__date">{local:%d/%m/%Y}</time>
        <p class="post-card__summary">{escape(article.summary)}</p>
      </article>"""
        )
    return f"""<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>{escape(info.name)} – Cảnh báo</title>
<link rel="stylesheet" href="/static/site.css"></head>
<body>
  <header class="site-header"><nav><a href="/">Trang chủ</a> <a href="/canh-bao">Cảnh báo</a></nav></header>
  <main>
    <h1>Cảnh báo lừa đảo</h1>
    <section class="post-list">
{chr(10).join(cards)}
    </section>
  </main>
  <footer>{escape(info.name)}</footer>
</body></html>
"""


def generate(
    root: Path,
    *,
    feeds: int = 200,
    items: int = 50,
    seed: int = 11,
    listings: int | None = None,
    listing_items: int = 20,
    shared_share: float = 0.2,
) -> Manifest:
    """Write the corpus under `root` (feeds/, portal/, robots.txt, manifest.json) and return its manifest.

    `shared_share` of each feed's items are copies of a story from the shared pool: half carried
    exactly (same link and title), half as near-duplicates (reworded title and/or tracking query).
    """
    n_listings = max(1, feeds // 10) if listings is None else listings
    rng = random.Random(seed)
    writer = _Writer(rng)
    root.mkdir(parents=True, exist_ok=True)
    (root / "feeds").mkdir(exist_ok=True)
    (root / "portal").mkdir(exist_ok=True)
    (root / "robots.txt").write_text("User-agent: *\nDisallow: /admin/\n", encoding="utf-8")
    manifest = Manifest(seed=seed, listing_selectors=dict(LISTING_SELECTORS))

    # The shared pool: stories from national portals that many ward feeds re-publish.
    pool_size = max(1, (feeds * items) // 25)
    pool = []
    for n in range(pool_size):
        host, _ = NATIONAL[n % len(NATIONAL)]
        published = CORPUS_NOW - timedelta(minutes=rng.randint(30, 60 * 24 * 40))
        pool.append(writer.article(f"pool-{n}", host, rng.choice(WARDS), n, published))

    links: set[str] = set()
    serial = pool_size
    shared_per_feed = round(items * shared_share)
    for index in range(feeds):
        ward = WARDS[index % len(WARDS)]
        name = rng.choice(PUBLISHERS).format(ward=ward)
        fid = f"nguon-{index:03d}"
        host = f"{fid}.thanhhoa.gov.vn"
        fmt = "atom" if index % 5 == 4 else "rss"
        info = FeedInfo(
            id=fid, name=name, path=f"/feeds/{fid}.{'atom' if fmt == 'atom' else 'xml'}", format=fmt, items=items
        )
        entries: list[tuple[Article, str, str]] = []
        used: set[str] = set()
        for slot in range(items):
            if slot < shared_per_feed:
                article = pool[rng.randrange(pool_size)]
                for _ in range(20):  # a feed carries a story once
                    if article.link not in used:
                        break
                    article = pool[rng.randrange(pool_size)]
                used.add(article.link)
                if slot % 2 == 0:
                    entries.append((article, article.title, article.link))
                    manifest.exact_copies += 1
                else:
                    title = writer.reword(article.title) if rng.random() < 0.6 else article.title
                    link = article.link
                    if title == article.title or rng.random() < 0.5:
                        link += rng.choice(TRACKING).format(n=serial)
                    entries.append((article, title, link))
                    manifest.near_duplicates += 1
            else:
                serial += 1
                published = CORPUS_NOW - timedelta(minutes=rng.randint(30, 60 * 24 * 40))
                article = writer.article(f"{fid}-{slot}", host, ward, serial, published)
                entries.append((article, article.title, article.link))
            links.add(entries[-1][2].split("?")[0])
        # Newest first, as feeds are; dedupe by link within one feed (a feed never repeats a link).
        seen: set[str] = set()
        unique = []
        for entry in sorted(entries, key=lambda e: e[0].published, reverse=True):
            if entry[2] not in seen:
                seen.add(entry[2])
                unique.append(entry)
        info.items = len(unique)
        site = f"https://{host}"
        text = _atom(info, site, unique) if fmt == "atom" else _rss(info, site, unique)
        data = text.encode("utf-8")
        (root / info.path.lstrip("/")).write_bytes(data)
        info.bytes = len(data)
        manifest.feeds.append(info)
        manifest.items += info.items
        manifest.total_bytes += info.bytes
        if index < n_listings:
            # The same ward's portal page: an HTML listing of its newest items (for html sources).
            lid = f"cong-{index:03d}"
            linfo = ListingInfo(
                id=lid, name=name, path=f"/portal/{lid}/canh-bao.html", items=min(listing_items, len(unique))
            )
            html = _listing(linfo, unique[:listing_items]).encode("utf-8")
            target = root / linfo.path.lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(html)
            linfo.bytes = len(html)
            manifest.listings.append(linfo)
    manifest.unique_links = len(links)
    (root / "manifest.json").write_text(manifest.to_json(), encoding="utf-8")
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, required=True, help="folder to write (created)")
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args(argv)
    manifest = generate(args.out, feeds=args.feeds, items=args.items, seed=args.seed)
    print(
        f"{args.out}: {len(manifest.feeds)} feeds, {manifest.items} items, {len(manifest.listings)} listings, "
        f"{manifest.total_bytes / 1e6:.1f} MB of feeds; {manifest.exact_copies} exact copies, "
        f"{manifest.near_duplicates} near-duplicates, {manifest.unique_links} unique links"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
