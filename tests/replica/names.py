"""The long tail of the replica's text: companies, people, places and topics that vary by article.

Real news repeats a few names often and a great many rarely: word and name frequencies follow Zipf's
law. A corpus written from a few dozen templates and a few dozen names has no tail, so every query
word is in a third of the articles and any five-word phrase is in hundreds. Each article therefore
gets a cast of its own, drawn from pools of tens of thousands of names by a Zipf–Mandelbrot law, and
its sentences name that cast, as a real report keeps naming the company it is about. The common words
of the templates stay common.
"""

from __future__ import annotations

import bisect
import itertools
import random
from dataclasses import dataclass
from functools import lru_cache

from . import vocab

# Zipf–Mandelbrot: the weight of rank k is 1 / (k + Q) ** S. Q softens the head, so the commonest name
# is in a few per cent of articles, not in a tenth of them.
S, Q = 1.1, 3.0

SURNAMES = [  # roughly in the order of their frequency in Vietnam
    "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ",
    "Ngô", "Dương", "Lý", "Đinh", "Trịnh", "Lương", "Mai", "Đào", "Cao", "Lâm", "Tạ", "Hà", "Chu",
]
MIDDLE_NAMES = ["Văn", "Thị", "Hữu", "Đức", "Minh", "Quang", "Thanh", "Ngọc", "Xuân", "Hoàng", "Công",
                "Thu", "Anh", "Kim", "Bảo", "Quốc", "Tuấn", "Hồng"]
GIVEN_NAMES = [
    "Hùng", "Dũng", "Tuấn", "Hải", "Long", "Nam", "Sơn", "Thắng", "Cường", "Phong", "Huy", "Khoa",
    "Hiếu", "Trung", "Tâm", "Thành", "Vinh", "Quân", "Lợi", "Nghĩa", "Toàn", "Bình", "Đạt", "Hưng",
    "Lan", "Hương", "Hạnh", "Trang", "Thảo", "Mai", "Linh", "Nga", "Hoa", "Yến", "Vân", "Huyền", "Dung",
    "Loan", "Nhung", "Oanh", "Phượng", "Quyên", "Tuyết", "Uyên", "Xuân", "Ánh", "Diệp", "Giang", "Khánh",
    "Lộc", "Mẫn", "Nhân", "Phúc", "Quý", "Sang", "Thịnh", "Trí", "Tùng", "Việt", "Ân", "Châu", "Đông",
]
# Syllables that Vietnamese brands and place names are made of.
SYLLABLES = [
    "An", "Bình", "Minh", "Phú", "Thành", "Hưng", "Phát", "Long", "Tân", "Việt", "Đại", "Sao", "Kim",
    "Hải", "Nam", "Bắc", "Trường", "Thịnh", "Lộc", "Tiến", "Hòa", "Phước", "Quang", "Hồng", "Thái",
    "Sơn", "Đông", "Tây", "Gia", "Khánh", "Vĩnh", "Phong", "Hoàng", "Ngọc", "Mỹ", "Lợi", "Cát", "Xuân",
    "Hậu", "Tường", "Đức", "Nhật", "Trung", "Tâm", "Vạn", "Hà", "Linh", "Châu",
]
COMPANY_KINDS = ["Công ty CP", "Công ty TNHH", "Tập đoàn", "Tổng công ty", "Hợp tác xã"]
TRADES = [
    "Thép", "Dệt may", "Thủy sản", "Dược phẩm", "Xây dựng", "Logistics", "Cà phê", "Điện máy", "Nhựa",
    "Gỗ", "Phân bón", "Bao bì", "Năng lượng", "Du lịch", "Địa ốc", "Công nghệ", "Thực phẩm", "Vận tải",
    "Cao su", "Xi măng", "Nông sản", "Điện tử", "Cơ khí", "Chè", "Giày da", "Bảo hiểm", "Môi trường",
]
PLACE_KINDS = ["huyện", "xã", "phường", "thị xã", "khu công nghiệp", "cụm công nghiệp"]
ACTIVITIES = ["chế biến", "xuất khẩu", "sản xuất", "nuôi trồng", "phân phối", "tiêu thụ", "bảo quản",
              "truy xuất nguồn gốc", "chứng nhận", "đóng gói"]
PRODUCTS = [
    "cà phê", "hồ tiêu", "tôm", "cá tra", "gạo", "hạt điều", "sầu riêng", "thanh long", "gỗ", "thép",
    "xi măng", "hàng dệt may", "da giày", "linh kiện điện tử", "dược liệu", "chè", "cao su", "muối",
    "mật ong", "nước mắm", "trái cây", "rau an toàn", "sữa", "đồ gỗ nội thất", "vải thiều", "cá ngừ",
    "quế", "hồi", "nấm", "bưởi",
]


@lru_cache(maxsize=1)
def people() -> list[str]:
    names = [f"{a} {b} {c}" for a, b, c in itertools.product(SURNAMES, MIDDLE_NAMES, GIVEN_NAMES)]
    random.Random("names:people").shuffle(names)
    return names


@lru_cache(maxsize=1)
def brands() -> list[str]:
    names = [f"{a} {b}" for a, b in itertools.permutations(SYLLABLES, 2)]
    random.Random("names:brands").shuffle(names)
    return names


@lru_cache(maxsize=1)
def companies() -> list[str]:
    names = [f"{kind} {trade} {brand}" for kind, trade, brand in
             itertools.product(COMPANY_KINDS, TRADES, brands()[:600])]
    random.Random("names:companies").shuffle(names)
    return names


@lru_cache(maxsize=1)
def places() -> list[str]:
    names = [f"{kind} {brand}" for kind, brand in itertools.product(PLACE_KINDS, brands())]
    random.Random("names:places").shuffle(names)
    return names


@lru_cache(maxsize=1)
def topics() -> list[str]:
    """The magazine's standing topics first (the head), then the tail of a product and an activity."""
    tail = [f"{activity} {product}" for activity, product in itertools.product(ACTIVITIES, PRODUCTS)]
    random.Random("names:topics").shuffle(tail)
    return vocab.TOPICS + tail


@lru_cache(maxsize=8)
def _cumulative(size: int) -> list[float]:
    return list(itertools.accumulate(1 / (k + Q) ** S for k in range(1, size + 1)))


def zipf(pool: list[str], rng: random.Random) -> str:
    weights = _cumulative(len(pool))
    return pool[bisect.bisect_left(weights, rng.random() * weights[-1])]


@dataclass(frozen=True)
class Cast:
    """Who and what one article is about."""

    companies: tuple[str, ...]
    people: tuple[str, ...]
    place: str
    topics: tuple[str, ...]


@lru_cache(maxsize=65536)
def cast(seed: int, article_id: int) -> Cast:
    rng = random.Random(f"cast:{seed}:{article_id}")
    return Cast(companies=tuple(zipf(companies(), rng) for _ in range(rng.randint(1, 2))),
                people=tuple(dict.fromkeys(zipf(people(), rng) for _ in range(rng.randint(2, 3)))),
                place=zipf(places(), rng),
                topics=tuple(dict.fromkeys(zipf(topics(), rng) for _ in range(2))))
