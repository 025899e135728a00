"""The replica's vocabulary: sections, people, places and sentence templates.

Section slugs are the real site's (site-notes.md); the Vietnamese names are what its menus show.
Sentence templates are written in the register of the seed article so that generated text reads
like the magazine and exercises every diacritic a tokenizer has to cope with.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

# (slug, display name, channel id, children[(slug, name, channel id)])
SECTIONS: list[tuple[str, str, int, list[tuple[str, str, int]]]] = [
    ("chinh-tri-xa-hoi", "Chính trị - Xã hội", 3, [
        ("chinh-tri", "Chính trị", 31), ("kinh-te", "Kinh tế", 32), ("xa-hoi", "Xã hội", 33),
        ("tam-diem", "Tâm điểm", 34), ("mat-tran", "Mặt trận", 35),
        ("van-de-hom-nay", "Vấn đề hôm nay", 36)]),
    ("vcci", "VCCI", 4, [
        ("phat-trien-ben-vung", "Phát triển bền vững", 41),
        ("tieng-noi-cua-hiep-hoi-doanh-nghiep", "Tiếng nói của Hiệp hội doanh nghiệp", 42),
        ("xuc-tien-dau-tu-thuong-mai", "Xúc tiến đầu tư - Thương mại", 43),
        ("tham-muu-chinh-sach", "Tham mưu chính sách", 44)]),
    ("doanh-nghiep", "Doanh nghiệp", 5, [
        ("quan-tri", "Quản trị", 51), ("trach-nhiem-xa-hoi", "Trách nhiệm xã hội", 52),
        ("chuyen-dong", "Chuyển động", 53), ("giao-thuong", "Giao thương", 54)]),
    ("doanh-nhan", "Doanh nhân", 6, [
        ("chuyen-lam-an", "Chuyện làm ăn", 61), ("ca-phe-doanh-nhan", "Cà phê doanh nhân", 62),
        ("phong-cach-song", "Phong cách sống", 63)]),
    ("khoi-nghiep", "Khởi nghiệp", 7, [
        ("y-tuong-kinh-doanh", "Ý tưởng kinh doanh", 71),
        ("so-tay-khoi-nghiep", "Sổ tay khởi nghiệp", 72)]),
    ("du-lich", "Du lịch", 8, [
        ("trai-nghiem", "Trải nghiệm", 81), ("hoat-dong-du-lich", "Hoạt động du lịch", 82)]),
    ("kinh-te-dia-phuong", "Kinh tế địa phương", 9, []),
    ("cong-nghe", "Công nghệ", 10, [
        ("kinh-te-so", "Kinh tế số", 101), ("ung-dung", "Ứng dụng", 102),
        ("chuyen-doi-so", "Chuyển đổi số", 103)]),
    ("ngan-hang-chung-khoan", "Ngân hàng - Chứng khoán", 11, [
        ("chung-khoan", "Chứng khoán", 111), ("tin-dung-ngan-hang", "Tín dụng - Ngân hàng", 112),
        ("tai-chinh-doanh-nghiep", "Tài chính doanh nghiệp", 113),
        ("thi-truong-vang", "Thị trường vàng", 114)]),
    ("bat-dong-san", "Bất động sản", 12, [
        ("thi-truong", "Thị trường", 121), ("doanh-nghiep-du-an", "Doanh nghiệp - Dự án", 122),
        ("chinh-sach-quy-hoach", "Chính sách - Quy hoạch", 123)]),
    ("quoc-te", "Quốc tế", 13, [
        ("doi-ngoai", "Đối ngoại", 131), ("kinh-te-the-gioi", "Kinh tế thế giới", 132),
        ("phan-tich-binh-luan", "Phân tích - Bình luận", 133)]),
    ("phap-luat", "Pháp luật", 14, [
        ("nghien-cuu-trao-doi", "Nghiên cứu - Trao đổi", 141), ("ban-doc", "Bạn đọc", 142),
        ("kien-nghi", "Kiến nghị", 143), ("ho-so", "Hồ sơ", 144), ("phap-dinh", "Pháp đình", 145)]),
    ("phong-su-anh", "Phóng sự ảnh", 15, []),
    ("bai-bao-in", "Bài báo in", 16, []),
]

# Sections public pages of the real site show beyond the list above (site-notes.md, "More sections"):
# (parent slug, parent name, parent channel, children). A known parent gains children; a new one is
# added to the menu. Articles are filed under them by a separate random stream (see site._generate).
EXTRA_SECTIONS: list[tuple[str, str, int, list[tuple[str, str, int]]]] = [
    ("vcci", "VCCI", 4, [("doanh-nghiep-hang-dau-viet-nam", "Doanh nghiệp hàng đầu Việt Nam", 45)]),
    ("doanh-nhan", "Doanh nhân", 6, [
        ("suc-khoe", "Sức khỏe", 64), ("khoa-hoc", "Khoa học", 65), ("phong-thuy", "Phong thủy", 66),
        ("chat-luong-song", "Chất lượng sống", 67)]),
    ("khoi-nghiep", "Khởi nghiệp", 7, [
        ("khoi-nghiep-quoc-gia", "Khởi nghiệp quốc gia", 73), ("co-van-huan-luyen", "Cố vấn - Huấn luyện", 74)]),
    ("du-lich", "Du lịch", 8, [("hoi-nhap", "Hội nhập", 83)]),
    ("o-to-xe-may", "Ô tô - Xe máy", 17, [("thi-truong-xe", "Thị trường xe", 171)]),
    ("doanh-nghiep-thi-truong", "Doanh nghiệp - Thị trường", 18, [("thi-truong-hang-hoa", "Thị trường hàng hóa", 181)]),
    ("ngan-hang-chung-khoan", "Ngân hàng - Chứng khoán", 11, [
        ("dich-vu-tai-chinh", "Dịch vụ tài chính", 115), ("tai-chinh-so", "Tài chính số", 116),
        ("chuyen-de", "Chuyên đề", 117)]),
    ("bat-dong-san", "Bất động sản", 12, [
        ("cafe-dia-oc", "Cafe địa ốc", 124), ("tien-do-du-an", "Tiến độ dự án", 125)]),
    ("phap-luat", "Pháp luật", 14, [
        ("24h", "24h", 146), ("nhin-thang-noi-that", "Nhìn thẳng nói thật", 147),
        ("chong-hang-gia", "Chống hàng giả", 148)]),
    ("tin-luu-tru", "Tin lưu trữ", 19, []),
    ("nguoi-tot-viec-tot", "Người tốt việc tốt", 20, []),
]
EXTRA_SHARE = 0.1  # of articles filed under the extra sections

LATEST_CHANNEL = ("tin-moi-nhat", "Tin mới nhất", 1)

AUTHORS = [
    "Thu Hà", "Minh Anh", "Lê Minh", "Ngọc Lan", "Hoàng Long", "Phạm Tuấn", "Nguyễn Hằng",
    "Trần Quang", "Đức Thịnh", "Bảo Ngọc", "Thanh Tùng", "Việt Hưng", "Hải Yến", "Quỳnh Chi",
    "Đỗ Hữu Quyết", "Vũ Khuê", "Lam Giang", "Phương Thảo", "Kim Ngân", "Đặng Dũng",
    "Hà Linh", "Mai Phương", "Tường Vy", "Lưu Hiệp", "Cao Sơn", "Diệp Chi",
]

PROVINCES = [
    "Thanh Hóa", "Nghệ An", "Hà Tĩnh", "Quảng Ninh", "Hải Phòng", "Bắc Ninh", "Đà Nẵng",
    "Quảng Nam", "Khánh Hòa", "Lâm Đồng", "Đắk Lắk", "Bình Dương", "Đồng Nai", "Long An",
    "Cần Thơ", "Kiên Giang", "Cà Mau", "Hà Nội", "TP. Hồ Chí Minh", "Thừa Thiên Huế",
    "Bà Rịa - Vũng Tàu", "Phú Thọ", "Thái Nguyên", "Lào Cai", "Điện Biên", "Sơn La",
]

ORGS = [
    "Sở Thông tin và Truyền thông", "Sở Kế hoạch và Đầu tư", "Hiệp hội Doanh nghiệp",
    "Liên đoàn Thương mại và Công nghiệp Việt Nam (VCCI)", "Ngân hàng Nhà nước",
    "Ủy ban Chứng khoán Nhà nước", "Bộ Công Thương", "Bộ Tài chính", "Tổng cục Thống kê",
    "UBND tỉnh", "Ban Quản lý các khu công nghiệp", "Hội Doanh nhân trẻ",
    "Trung tâm Xúc tiến Đầu tư", "Cục Thuế", "Sở Du lịch",
]

TOPICS = [
    "chuyển đổi số", "kinh tế số", "thu hút đầu tư", "phát triển bền vững", "tín dụng xanh",
    "xuất khẩu nông sản", "hạ tầng giao thông", "thị trường bất động sản", "thị trường vàng",
    "khởi nghiệp sáng tạo", "cải cách thủ tục hành chính", "du lịch cộng đồng",
    "logistics", "năng lượng tái tạo", "trái phiếu doanh nghiệp", "kinh tế tuần hoàn",
    "thương mại điện tử", "công nghiệp hỗ trợ", "nguồn nhân lực chất lượng cao", "hộ kinh doanh",
]

TAGS = [
    "chuyển đổi số", "doanh nghiệp", "VCCI", "kinh tế số", "đầu tư công", "xuất khẩu",
    "lãi suất", "tỷ giá", "giá vàng", "chứng khoán", "bất động sản", "khởi nghiệp",
    "du lịch", "năng lượng", "logistics", "thuế", "ngân hàng", "FDI", "nông sản",
    "thương mại điện tử", "hạ tầng", "cải cách hành chính", "Thanh Hóa", "Hà Nội",
    "TP. Hồ Chí Minh", "kinh tế tư nhân", "trái phiếu", "ESG", "tín dụng", "lao động",
]

TITLE_TEMPLATES = [
    "{province}: {year} năm bản lề của {topic}",
    "{province} đẩy mạnh {topic} trong giai đoạn mới",
    "{org} {province}: Tháo gỡ khó khăn cho doanh nghiệp về {topic}",
    "Doanh nghiệp {province} kỳ vọng gì từ {topic}?",
    "Gỡ nút thắt {topic}: Cần cơ chế đặc thù",
    "{topic_cap} - động lực tăng trưởng mới của {province}",
    "Hiến kế thúc đẩy {topic} cho doanh nghiệp nhỏ và vừa",
    "{province} thu hút hơn {num} tỷ đồng vốn đầu tư vào {topic}",
    "Toàn cảnh {topic} năm {year}: Cơ hội và thách thức",
    "{person}: \"Doanh nghiệp cần chủ động với {topic}\"",
    "Phát triển {topic}: Bài học từ {province}",
    "Tăng tốc {topic}, {province} đặt mục tiêu tăng trưởng {pct}%",
    "{company} đầu tư {num} tỷ đồng vào {topic} tại {province}",
    "{company}: Lợi nhuận quý {quarter} tăng {pct}% nhờ {topic}",
    "Ông {person} làm Chủ tịch {company}",
    "{place} ({province}) hút vốn vào {topic}",
    "{person}, người đưa {topic} về {place}",
    "{company} bị xử phạt {num} triệu đồng vì vi phạm về {topic}",
]

SENTENCE_TEMPLATES = [
    "Năm {year}, {org} tỉnh {province} đã triển khai nhiều giải pháp đồng bộ nhằm thúc đẩy {topic}.",
    "Theo số liệu của {org}, tổng vốn đăng ký trong lĩnh vực {topic} ước đạt {num} tỷ đồng, tăng {pct}% so với cùng kỳ.",
    "Tuy nhiên, doanh nghiệp vẫn gặp không ít khó khăn về thủ tục, nguồn vốn và nhân lực.",
    "Ông {person}, đại diện {org}, cho biết địa phương sẽ tiếp tục đồng hành cùng cộng đồng doanh nghiệp.",
    "Nhiều chuyên gia nhận định {topic} là xu thế tất yếu, quyết định năng lực cạnh tranh của nền kinh tế.",
    "Để đạt được mục tiêu đề ra, {province} xác định cần đầu tư mạnh hạ tầng, đào tạo nguồn nhân lực và cải thiện môi trường kinh doanh.",
    "Trong {num} tháng đầu năm, toàn tỉnh có thêm {num2} doanh nghiệp thành lập mới với tổng vốn đăng ký hơn {num} tỷ đồng.",
    "Bà {person} nhấn mạnh, điều quan trọng nhất là tạo niềm tin cho nhà đầu tư và người dân.",
    "Các hiệp hội ngành hàng đã kiến nghị sửa đổi một số quy định chồng chéo, gây tốn kém chi phí tuân thủ.",
    "Bên cạnh đó, việc ứng dụng công nghệ thông tin giúp rút ngắn thời gian giải quyết thủ tục hành chính tới {pct}%.",
    "Theo kế hoạch, đến năm 2030 {province} phấn đấu có ít nhất {num2} doanh nghiệp công nghệ số.",
    "Thực tế cho thấy, những doanh nghiệp đi đầu trong {topic} đều ghi nhận doanh thu tăng trưởng ổn định.",
    "Đại diện {org} đánh giá kết quả này là tín hiệu tích cực trong bối cảnh kinh tế thế giới còn nhiều biến động.",
    "Dù vậy, quy mô doanh nghiệp phần lớn còn nhỏ, khả năng tiếp cận tín dụng và thị trường quốc tế còn hạn chế.",
    "Hội nghị đã thu hút gần {num2} đại biểu là lãnh đạo các sở, ngành, hiệp hội và doanh nghiệp trên địa bàn.",
    "Ngoài ra, tỉnh cũng chú trọng hỗ trợ hộ kinh doanh chuyển đổi lên doanh nghiệp, mở rộng sản xuất.",
    "Chia sẻ tại diễn đàn, ông {person} cho rằng cần có chính sách ưu đãi đủ mạnh để khơi thông nguồn lực.",
    "Số liệu thống kê cho thấy chỉ số sản xuất công nghiệp của {province} tăng {pct}% so với cùng kỳ năm trước.",
    "Đây là lần đầu tiên {province} tổ chức sự kiện quy mô lớn về {topic} với sự tham gia của nhiều đối tác nước ngoài.",
    "Lãnh đạo {org} cam kết sẽ tiếp tục lắng nghe, giải quyết kịp thời các kiến nghị chính đáng của doanh nghiệp.",
    "Cũng theo báo cáo, tỷ lệ hồ sơ được giải quyết trực tuyến toàn trình đạt {pct}%, vượt kế hoạch đề ra.",
    "Giới phân tích dự báo trong quý tới, nhu cầu vốn cho {topic} sẽ tiếp tục tăng mạnh.",
    "Người dân và doanh nghiệp được hưởng lợi trực tiếp từ việc đơn giản hóa quy trình, giảm chi phí đi lại.",
    "Đáng chú ý, nhiều dự án trọng điểm đã được khởi công, tạo việc làm cho hàng nghìn lao động địa phương.",
    "Theo ông {person}, Tổng giám đốc {company}, doanh nghiệp đã dành {num} tỷ đồng cho {topic} trong năm {year}.",
    "Nhà máy của {company} tại {place}, {province} hiện tạo việc làm cho {num2} lao động.",
    "Quý {quarter}/{year}, {company} ghi nhận doanh thu {num} tỷ đồng, lợi nhuận sau thuế tăng {pct}%.",
    "Bà {person}, Giám đốc {company}, chia sẻ: thị trường {topic} đang phục hồi rõ rệt.",
    "Tại {place}, nhiều hộ dân đã liên kết với {company} để phát triển {topic}.",
    "Dự án của {company} ở {place} có tổng vốn {num} tỷ đồng, dự kiến hoàn thành trong năm {year}.",
    "Ông {person}, Chủ tịch UBND {place}, cho biết địa phương đã bố trí {num} ha đất cho {topic}.",
    "Trước đó, {company} đã ký kết hợp tác với {company2} về {topic}.",
]

QUOTE_TEMPLATES = [
    "Chúng tôi xác định {topic} không phải là lựa chọn mà là con đường bắt buộc nếu muốn phát triển nhanh và bền vững.",
    "Doanh nghiệp cần một môi trường kinh doanh minh bạch, ổn định và có thể dự báo được.",
    "Mỗi cán bộ phải là một người phục vụ, đặt sự hài lòng của người dân và doanh nghiệp lên hàng đầu.",
]

HEADING_TEMPLATES = [
    "Hoàn thành xuất sắc nhiệm vụ", "Nổi bật về công tác {topic}", "Còn nhiều dư địa phát triển",
    "Tháo gỡ điểm nghẽn", "Kỳ vọng từ chính sách mới", "Cần sự vào cuộc của cả hệ thống",
    "Doanh nghiệp là trung tâm", "Hướng đi bền vững", "Những con số biết nói",
]

LIST_TEMPLATES = [
    "Hoàn thiện thể chế, chính sách về {topic}",
    "Đẩy mạnh đào tạo nguồn nhân lực cho {province}",
    "Tăng cường kết nối cung cầu, mở rộng thị trường",
    "Hỗ trợ doanh nghiệp tiếp cận nguồn vốn ưu đãi",
    "Ứng dụng công nghệ số trong quản trị doanh nghiệp",
]

CAPTION_TEMPLATES = [
    ("Lãnh đạo {org} trao bằng khen cho các tổ chức, đơn vị hoàn thành xuất sắc nhiệm vụ", "Lãnh đạo"),
    ("Ông {person}, đại diện {org} phát biểu tại hội nghị", "Ông {short}"),
    ("Sản phẩm của {company} tại {place}", "Sản phẩm"),
    ("Toàn cảnh hội nghị về {topic} tại {province}", "Toàn cảnh"),
    ("{province} báo cáo về kết quả công tác {topic}", "{province}"),
    ("Doanh nghiệp giới thiệu sản phẩm tại triển lãm {topic}", "Triển lãm"),
    ("Một góc khu công nghiệp tại {province}. Ảnh: {author}", "Ảnh minh họa"),
]

# The newsroom's own factboxes (OneCMS `sc-hightlight-box`): a company's or a programme's background,
# repeated across its articles. Text of the article, never noise.
FACTBOX_TEMPLATES = [
    "{org} được thành lập năm {year}, hiện có {num2} lao động và mạng lưới tại {province}.",
    "Năm {year}, doanh thu của {org} đạt {num} tỷ đồng, tăng {pct}% so với năm trước.",
    "Chương trình hỗ trợ doanh nghiệp nhỏ và vừa của {province} đã giải ngân {num} tỷ đồng cho {num2} dự án.",
    "Theo kế hoạch, đến năm {year} {province} phấn đấu có {num2} doanh nghiệp tham gia chuyển đổi số.",
]

CORRECTION_NOTE = (
    "Ghi chú của Tòa soạn: Bài viết đã được cập nhật, đính chính số liệu theo báo cáo chính thức "
    "của {org}."
)

# Comment bodies the comment API serves; deliberately article-like so that a leaking comment list is
# caught by word overlap, not just by markup.
COMMENT_TEMPLATES = [
    "Bài viết rất hay, mong {province} tiếp tục đẩy mạnh {topic}.",
    "Thủ tục vẫn còn rườm rà lắm, doanh nghiệp nhỏ như chúng tôi rất vất vả.",
    "Cảm ơn tác giả đã phản ánh đúng thực tế ở địa phương.",
]


@lru_cache(maxsize=1)
def seed_article_text() -> str:
    return (Path(__file__).parent / "data" / "seed-article.txt").read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def seed_sentences() -> list[str]:
    """Sentences of the seed article's body, reused so generated text carries real prose."""
    lines = seed_article_text().splitlines()
    lines = lines[4: lines.index("Đánh giá của bạn:")]  # the rest is the page's noise, not prose
    body = [ln for ln in lines if len(ln) > 120]
    out: list[str] = []
    for para in body:
        for sent in para.replace("; ", ". ").split(". "):
            sent = sent.strip()
            if len(sent) > 40:
                out.append(sent if sent.endswith((".", "…", ":")) else sent + ".")
    return out
