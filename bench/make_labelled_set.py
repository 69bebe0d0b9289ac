"""Write tests/fixtures/dedupe/labelled.jsonl: variants of hand-written story seeds, labelled by story.

Deterministic (fixed seed, no clock). Run: python bench/make_labelled_set.py
Variants: the portal article, reposts with prefixes/suffixes, re-titled edits in the other tone style,
truncated leads, NFD copies, TikTok captions with hashtags and emoji, infographic captions.
"""

from __future__ import annotations

import json
import random
import sys
import unicodedata
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from seeds import SEEDS

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "dedupe" / "labelled.jsonl"
SOURCES = ["khonggianmang-canh-bao", "tinnhiemmang-canh-bao", "chongluadao-blog", "tiktok-congan", "bao-dia-phuong"]
ADVICE = [
    "Người dân cần nâng cao cảnh giác, không cung cấp thông tin cá nhân, mã OTP cho bất kỳ ai; khi phát hiện dấu hiệu lừa đảo, hãy báo ngay cho cơ quan công an gần nhất.",
    "Để phòng tránh, người dùng nên kiểm tra kỹ nguồn thông tin, không truy cập đường link lạ và không chuyển tiền cho người chưa xác minh được danh tính.",
    "Cơ quan chức năng khuyến cáo người dân chỉ sử dụng các kênh chính thức, thường xuyên cập nhật thông tin cảnh báo trên Cổng Không gian mạng quốc gia.",
    "Mọi nghi vấn lừa đảo có thể phản ánh qua trang canhbao.khonggianmang.vn hoặc gọi đường dây nóng của công an địa phương để được hỗ trợ kịp thời.",
]
PREFIXES = ["[Cảnh báo] ", "Cảnh báo: ", "Tin nóng: ", "[Video] ", ""]
SUFFIXES = [" | Cổng KGM", " - Cổng Không gian mạng quốc gia", "", ""]
HASHTAGS = ["#canhbao", "#luadao", "#LuaDaoQuaMang", "#CanhGiac", "#xuhuong", "#AnToanMang", "#tiktoknews", "#fyp"]
SYNONYMS = [
    ("Cảnh báo ", "Cảnh giác với "),
    ("thủ đoạn", "chiêu trò"),
    ("Thủ đoạn", "Chiêu trò"),
    ("đối tượng", "kẻ gian"),
    ("người dân", "bà con"),
    ("yêu cầu", "đề nghị"),
    ("Giả danh", "Mạo danh"),
    ("giả mạo", "mạo danh"),
    ("Lừa đảo", "Chiêu lừa"),
    ("nhiều", "không ít"),
]
_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


def new_tone_style(text: str) -> str:
    """hòa → hoà, thúy → thuý, ủy → uỷ: the other common placement, as some editors type it."""
    out = []
    for word in text.split(" "):
        nfd = unicodedata.normalize("NFD", word)
        base = "".join(c for c in nfd if c not in _TONES)
        tones = [c for c in nfd if c in _TONES]
        low = unicodedata.normalize("NFC", base).lower()
        for pair in ("oa", "oe", "uy"):
            if low.endswith(pair) and len(tones) == 1 and not low.endswith("q" + pair[1:]) and not low.startswith("qu"):
                plain = unicodedata.normalize("NFC", base)
                word = unicodedata.normalize("NFC", plain + tones[0])
        out.append(word)
    return " ".join(out)


def retitle(text: str, rng: random.Random) -> str:
    for old, new in rng.sample(SYNONYMS, k=4):
        text = text.replace(old, new)
    return text


def sentences(text: str) -> list[str]:
    parts = [p.strip() for p in text.replace("! ", ". ").split(". ") if p.strip()]
    return [p if p.endswith(".") else p + "." for p in parts]


def truncate_words(text: str, share: float) -> str:
    words = text.split()
    keep = max(8, int(len(words) * share))
    return " ".join(words[:keep]) + "…"


def record(story: int, seed: dict[str, str], variant: str, n: int, base: datetime, **fields: Any) -> dict[str, Any]:
    return {
        "id": f"s{story:03d}-{variant}-{n}",
        "story": f"s{story:03d}",
        "family": seed["family"],
        "variant": variant,
        "published_at": (base + timedelta(hours=3 * n)).isoformat().replace("+00:00", "Z"),
        **fields,
    }


def variants(story: int, seed: dict[str, str], rng: random.Random) -> list[dict[str, Any]]:
    title, lead, caption = seed["t"], seed["l"], seed["c"]
    advice = rng.choice(ADVICE)
    base = datetime(2023, 6, 1, 1, 0, tzinfo=UTC) + timedelta(days=story % 40, hours=story)
    out = [
        record(
            story,
            seed,
            "article",
            0,
            base,
            source=SOURCES[0],
            rank=0,
            kind="warning",
            title=title,
            summary=lead,
            body=f"{lead}\n\n{advice}",
        )
    ]
    choices = ["repost", "retitle", "truncated", "tiktok", "infographic", "nfd", "tiktok2"]
    picked = rng.sample(choices, k=rng.randint(3, 6))
    for n, variant in enumerate(sorted(picked, key=choices.index), start=1):
        if variant == "repost":
            t = rng.choice(PREFIXES) + title + rng.choice(SUFFIXES)
            out.append(
                record(
                    story,
                    seed,
                    variant,
                    n,
                    base,
                    source=SOURCES[1],
                    rank=1,
                    kind="warning",
                    title=t,
                    summary=lead,
                    body=f"{lead}\n\n{rng.choice(ADVICE)}",
                )
            )
        elif variant == "retitle":
            body = " ".join(sentences(retitle(lead, rng))[:-1] or sentences(lead))
            out.append(
                record(
                    story,
                    seed,
                    variant,
                    n,
                    base,
                    source=SOURCES[4],
                    rank=4,
                    kind="article",
                    title=new_tone_style(retitle(title, rng)),
                    summary=new_tone_style(body),
                    body=new_tone_style(f"{body}\n\n{rng.choice(ADVICE)}"),
                )
            )
        elif variant == "truncated":
            out.append(
                record(
                    story,
                    seed,
                    variant,
                    n,
                    base,
                    source=SOURCES[2],
                    rank=2,
                    kind="article",
                    title=title,
                    summary=truncate_words(lead, rng.uniform(0.45, 0.7)),
                    body="",
                )
            )
        elif variant in ("tiktok", "tiktok2"):
            tags = " ".join(rng.sample(HASHTAGS, k=rng.randint(2, 5)))
            text = caption if variant == "tiktok" else new_tone_style(caption.replace(" nha", "").replace(" đó", ""))
            cut = text if len(text) < 90 else text[:90].rsplit(" ", 1)[0] + "…"
            out.append(
                record(
                    story,
                    seed,
                    variant,
                    n,
                    base,
                    source=SOURCES[3],
                    rank=3,
                    kind="video",
                    title=cut,
                    summary=f"{text} {tags}",
                    body="",
                )
            )
        elif variant == "infographic":
            first = sentences(lead)[0]
            short = " ".join(first.split()[: rng.randint(16, 26)])
            t = "[Infographic] " + title.split(":")[-1].strip()
            out.append(
                record(
                    story,
                    seed,
                    variant,
                    n,
                    base,
                    source=SOURCES[0],
                    rank=0,
                    kind="infographic",
                    title=t,
                    summary=f"{short}… Xem chi tiết trong ảnh.",
                    body="",
                )
            )
        elif variant == "nfd":
            nfd = unicodedata.normalize("NFD", f"{new_tone_style(title)}")
            out.append(
                record(
                    story,
                    seed,
                    variant,
                    n,
                    base,
                    source=SOURCES[4],
                    rank=4,
                    kind="article",
                    title=nfd,
                    summary=unicodedata.normalize("NFD", lead),
                    body=unicodedata.normalize("NFD", f"{lead}\n\n{advice}"),
                )
            )
    return out


def build() -> list[dict[str, Any]]:
    rng = random.Random(20230710)
    rows: list[dict[str, Any]] = []
    for story, seed in enumerate(SEEDS):
        rows.extend(variants(story, seed, rng))
    return rows


def main() -> None:
    rows = build()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    stories = len({r["story"] for r in rows})
    print(f"wrote {len(rows)} items in {stories} stories to {OUT}")


if __name__ == "__main__":
    main()
