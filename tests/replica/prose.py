"""Sentences composed from clauses, so that the replica's prose has the variety of real reporting.

A sentence template repeats its wording in every article that draws it: with a few dozen templates,
any five words of an article are in hundreds of others, which no real archive looks like. Composed
from an opener, a subject, a predicate and an adjunct, each with slots every few words, a sentence's
word sequences are shared about as rarely as a real report's, while its words ("doanh nghiệp",
"tỷ đồng", "tăng") stay as common as they are in business news.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache

from . import names

OPENERS = [
    "", "", "", "Theo báo cáo của {org},", "Trong {months} tháng đầu năm {year},", "Tính đến cuối tháng {month},",
    "Tại buổi làm việc ngày {day}/{month},", "Cũng trong dịp này,", "Thời gian qua,", "Sáng {day}/{month},",
    "Theo đánh giá của giới chuyên môn,", "Nói về {topic},", "Trong quý {quarter},", "Từ đầu năm {year},",
    "Chiều {day}/{month}, tại {province},", "Theo thông tin từ {company},", "Trước đó,", "Đáng chú ý,",
    "Về lâu dài,", "Tại {place},", "Trao đổi với phóng viên,",
]
SUBJECTS = [
    "{company}", "{company}", "ông {person}, Tổng giám đốc {company},", "bà {person}, Phó Chủ tịch {company},",
    "UBND {place}", "các doanh nghiệp {sector} tại {province}", "{org}", "nhiều hợp tác xã ở {place}",
    "ông {person}", "bà {person}", "Hiệp hội {trade} {province}", "lãnh đạo {place}",
    "đại diện {company}", "các nhà đầu tư {country}", "Ban quản lý dự án {brand}",
    "người trồng {product} ở {place}", "ngân hàng {brand}", "chuyên gia {person}",
]
PREDICATES = [
    "đã ký hợp đồng cung ứng {product} trị giá {num} tỷ đồng với đối tác {country}",
    "cho biết sản lượng {product} năm {year} ước tăng {pct}%",
    "đề xuất gia hạn thời hạn nộp thuế cho doanh nghiệp {sector}",
    "khánh thành nhà máy {product} công suất {num2} tấn mỗi năm tại {place}",
    "xuất khẩu lô {product} đầu tiên sang {country}",
    "công bố kế hoạch phát hành {num} tỷ đồng trái phiếu để mở rộng {topic}",
    "kiến nghị tháo gỡ vướng mắc về đất đai cho dự án {brand}",
    "ghi nhận doanh thu {num} tỷ đồng từ mảng {product}",
    "tuyển thêm {num2} lao động cho dây chuyền {product}",
    "được chấp thuận chủ trương đầu tư khu công nghiệp {brand} rộng {num} ha",
    "đã giải ngân {pct}% kế hoạch vốn cho {topic}",
    "nâng giá thu mua {product} lên {num} nghìn đồng mỗi kg",
    "hoàn thành đợt kiểm tra an toàn thực phẩm tại {num2} cơ sở {product}",
    "chuyển nhượng {pct}% vốn tại {company} cho nhà đầu tư {country}",
    "triển khai phần mềm quản lý {topic} cho {num2} hộ kinh doanh",
    "nhận định giá {product} sẽ còn biến động trong quý {quarter}",
    "cam kết giảm {pct}% phát thải tại các nhà máy {sector} đến năm {future}",
    "bị truy thu {num} triệu đồng tiền thuế liên quan đến {product}",
    "mở thêm {num2} điểm bán {product} tại {province} và {province2}",
    "đạt chứng nhận {cert} cho vùng nguyên liệu {product} ở {place}",
    "đặt mục tiêu đưa {product} {brand} vào chuỗi siêu thị {country}",
    "thông qua phương án chia cổ tức {pct}% bằng tiền mặt",
    "ký biên bản ghi nhớ với {company} về {topic}",
    "được vinh danh trong nhóm {num2} doanh nghiệp {sector} tiêu biểu năm {year}",
]
# A verb and what it acts on, drawn apart: twelve verbs and fifteen facilities make 180 predicates.
FACILITY_VERBS = [
    "khởi công", "khánh thành", "mở rộng", "đầu tư nâng cấp", "tạm dừng", "đưa vào vận hành",
    "hoàn tất thẩm định", "chuyển nhượng", "rót thêm {num} tỷ đồng vào", "xin gia hạn tiến độ",
    "thế chấp", "chào bán",
]
FACILITIES = [
    "nhà máy {product} tại {place}", "dây chuyền chế biến {product} công suất {num2} tấn",
    "kho lạnh {num2} m2 ở {province}", "trung tâm logistics {brand}", "dự án khu đô thị {brand}",
    "cụm công nghiệp {brand}", "vùng nguyên liệu {product} {num} ha", "chuỗi cửa hàng {product} {brand}",
    "cảng cạn {brand}", "trang trại {product} công nghệ cao", "khu nghỉ dưỡng {brand} tại {province}",
    "nhà máy điện mặt trời {brand}", "tòa văn phòng {brand}", "xưởng may {brand}",
    "trung tâm dữ liệu {brand}",
]
# Who reports what: ten reporting verbs and twelve figures.
REPORTING_VERBS = ["cho biết", "dự báo", "ước tính", "ghi nhận", "thông tin", "khẳng định", "lo ngại",
                   "nhận định", "báo cáo", "thừa nhận"]
FIGURES = [
    "giá {product} đã tăng {pct}% so với tháng trước",
    "kim ngạch xuất khẩu {product} sang {country} đạt {num} triệu USD",
    "số doanh nghiệp {sector} thành lập mới tăng {pct}%",
    "dư nợ tín dụng cho {topic} đạt {num} tỷ đồng",
    "tồn kho {product} giảm {pct}% sau {months} tháng",
    "lượng khách đến {province} tăng {pct}%",
    "chi phí logistics chiếm {pct}% giá thành {product}",
    "tỷ lệ lấp đầy {place} đạt {pct}%",
    "lãi suất cho vay {topic} giảm còn {rate}%/năm",
    "sản lượng {product} vụ này ước đạt {num} nghìn tấn",
    "nhu cầu {product} tại {country} đang phục hồi",
    "{num2} hộ dân đã chuyển sang trồng {product}",
]
ADJUNCTS = [
    "", "", "", "", "trong bối cảnh chi phí vận tải tăng cao", "nhằm giữ chân khách hàng {country}",
    "với sự tham dự của {num2} đại biểu", "sau {num2} ngày đàm phán", "theo Nghị định {decree}/{year}/NĐ-CP",
    "bất chấp sức mua còn yếu", "dù nguồn vốn còn hạn chế", "kể từ tháng {month}/{year}",
    "để đáp ứng tiêu chuẩn của thị trường {country}", "theo số liệu của {org}",
    "trong giai đoạn {year}-{future}", "tại hội nghị xúc tiến đầu tư {province}",
]
COUNTRIES = [
    "Nhật Bản", "Hàn Quốc", "Hoa Kỳ", "Trung Quốc", "Singapore", "Thái Lan", "Đức", "Pháp", "Úc",
    "Ấn Độ", "Hà Lan", "Canada", "Anh", "Malaysia", "Indonesia", "Đài Loan", "UAE", "Israel", "Chile",
    "Brazil", "Nga", "Ý", "Tây Ban Nha", "Philippines", "Lào", "Campuchia",
]
CERTIFICATES = ["VietGAP", "GlobalGAP", "hữu cơ", "OCOP 4 sao", "OCOP 5 sao", "HACCP", "ISO 22000", "FSC",
                "Rainforest Alliance", "Halal"]


@dataclass(frozen=True)
class Style:
    """The few openers, subjects, verbs and phrases one article is written with. A real report does not
    use every stock phrase of the newsroom; drawn by the Zipf law, the commonest are in many articles and
    most in few."""

    openers: tuple[str, ...]
    subjects: tuple[str, ...]
    facility_verbs: tuple[str, ...]
    facilities: tuple[str, ...]
    reporting_verbs: tuple[str, ...]
    figures: tuple[str, ...]
    predicates: tuple[str, ...]
    adjuncts: tuple[str, ...]


@lru_cache(maxsize=65536)
def style(seed: int, article_id: int) -> Style:
    rng = random.Random(f"style:{seed}:{article_id}")

    def some(pool: list[str], k: int) -> tuple[str, ...]:
        return tuple(dict.fromkeys(names.zipf(_shuffled(tuple(pool)), rng) for _ in range(k)))

    return Style(openers=some(OPENERS, 4), subjects=some(SUBJECTS, 4), facility_verbs=some(FACILITY_VERBS, 3),
                 facilities=some(FACILITIES, 3), reporting_verbs=some(REPORTING_VERBS, 3),
                 figures=some(FIGURES, 3), predicates=some(PREDICATES, 3), adjuncts=some(ADJUNCTS, 3))


@lru_cache(maxsize=32)
def _shuffled(pool: tuple[str, ...]) -> list[str]:
    """The pool in a fixed order of commonness, unrelated to the order it is written in."""
    out = list(pool)
    random.Random(f"commonness:{len(pool)}:{pool[0]}").shuffle(out)
    return out


def template(rng: random.Random, style: Style) -> str:
    """One sentence's template in the article's style; the article's own names fill its slots."""
    roll = rng.random()
    if roll < 0.35:
        predicate = f"{rng.choice(style.facility_verbs)} {rng.choice(style.facilities)}"
    elif roll < 0.7:
        predicate = f"{rng.choice(style.reporting_verbs)} {rng.choice(style.figures)}"
    else:
        predicate = rng.choice(style.predicates)
    parts = [rng.choice(style.openers), rng.choice(style.subjects), predicate, rng.choice(style.adjuncts)]
    text = " ".join(p for p in parts if p) + "."
    return text[:1].upper() + text[1:]
