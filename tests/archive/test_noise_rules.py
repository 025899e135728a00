"""Each noise rule on its own: it removes its noise, and only its noise."""

from __future__ import annotations

import lxml.html
import pytest

from archive.extract import extract, noise
from archive.extract.blocks import read_body
from archive.urls import DEFAULT_RULES

RULES = {rule.name: rule for rule in noise.RULES}
ARTICLE = "<p>Doanh nghiệp Thanh Hóa đẩy mạnh chuyển đổi số trong năm 2026.</p>"

# rule -> (markup the rule must remove, text it must flag)
CASES = {
    "comments": ('<div class="c-comments"><div class="c-comment-list"><p>Bài viết rất hay</p></div></div>',
                 "Bạn còn /500 ký tự"),
    "rating": ('<div class="box-rating">Đánh giá của bạn: ★★★★★</div>', "Đánh giá của bạn:"),
    "share": ('<div class="c-share">Chia sẻ: Facebook Zalo</div>', "Chia sẻ:"),
    "group_invite": ('<div class="box-group">Mời các bạn tham gia vào group Diễn đàn Doanh nghiệp</div>',
                     "Mời các bạn tham gia vào group Diễn đàn Doanh nghiệp để thảo luận và cập nhật tin tức."),
    "reading_footer": ('<div class="box-footer-detail">Bạn đang đọc bài viết X tại chuyên mục Y</div>',
                       "Bạn đang đọc bài viết Thanh Hóa tại chuyên mục Công nghệ của Tạp chí Diễn đàn doanh nghiệp."),
    "related_lists": ('<div class="c-related-posts"><h3 class="b-grid__title"><a href="/a-10150000.html">Tin A</a>'
                      "</h3></div>", ">>Thanh Hóa: Chuyên gia, doanh nghiệp hiến kế chuyển đổi số"),
    "pagination": ('<div class="pagination"><a>1</a> <a>2</a> <a>3</a></div>', "1 2 3 4 5 6 7 8 9 10"),
    "ads": ('<div class="c-box"><div class="oneads" id="zone-18">Quảng cáo</div></div>', "Quảng cáo"),
    "sql_echo": ("SELECT id,type,category_id,title FROM cms_post WHERE `status` = 1 AND publish_day <= 1679641205 "
                 "ORDER BY publish_day DESC, id DESC LIMIT 0,11",
                 "SELECT id,title FROM cms_post WHERE status = 1 LIMIT 0,11"),
    "controls": ('<div class="box-tools"><span>Cỡ chữ</span> <a>A-</a> <a>A+</a> <a>In bài</a> <a>Lưu bài</a></div>',
                 "Chọn cỡ chữ A- A+"),
    "source_line": ('<div class="c-author-page"><p class="js-source-copy">Theo Minh Anh / Diễn đàn Doanh nghiệp</p>'
                    "</div>", ""),
    "widgets": ("<script>var x = 'Đánh giá của bạn';</script><form><textarea>Nhập bình luận</textarea></form>", ""),
}


def body_text(html: str) -> str:
    container = lxml.html.fragment_fromstring(html, create_parent="div")
    return "\n".join(line for b in read_body(container, "https://diendandoanhnghiep.vn/", DEFAULT_RULES).blocks
                     for line in b.lines())


def test_every_rule_has_a_case() -> None:
    assert set(CASES) == {rule.name for rule in noise.RULES}


@pytest.mark.parametrize("rule", sorted(CASES))
def test_rule_removes_its_markup_inside_the_article(rule: str) -> None:
    markup, _ = CASES[rule]
    text = body_text(ARTICLE + markup + ARTICLE)
    assert text == "\n".join([ARTICLE[3:-4]] * 2)


@pytest.mark.parametrize("rule", sorted(r for r, (_, line) in CASES.items() if line))
def test_rule_flags_its_text(rule: str) -> None:
    _, line = CASES[rule]
    assert rule in noise.find_noise(line)
    assert noise.is_noise_line(line) == (RULES[rule].kind is noise.Kind.LINES)
    assert body_text(ARTICLE + f"<p>{line}</p>") == ARTICLE[3:-4]


@pytest.mark.parametrize("sentence", [
    "Chia sẻ tại diễn đàn, ông Hải cho rằng cần có chính sách ưu đãi đủ mạnh.",
    "Bình luận về chính sách mới, các chuyên gia cho rằng doanh nghiệp cần chủ động.",
    "Doanh thu quý 1 2 3 đều tăng so với cùng kỳ.",
    "Ông cho biết sẽ chọn (SELECT) những doanh nghiệp tiêu biểu.",
])
def test_article_sentences_that_resemble_noise_are_kept(sentence: str) -> None:
    assert not noise.is_noise_line(sentence)
    assert body_text(f"<p>{sentence}</p>") == sentence


def test_sql_echo_is_cut_from_loose_text_wherever_it_lands() -> None:
    echo = CASES["sql_echo"][0]
    html = f"<p>Đoạn một.</p>{echo}<p>Đoạn hai.</p><div>{echo}</div>"
    assert body_text(html) == "Đoạn một.\nĐoạn hai."


FACTBOX = ('<div class="sc-hightlight-box"><p>Công ty Cổ phần Thép Hòa Phát được thành lập năm 1992, hiện có 30.000 '
           "lao động.</p><p>Năm 2025, doanh thu đạt 140.000 tỷ đồng.</p></div>")


@pytest.mark.parametrize("box", [
    '<div class="sc-hightlight-box"><p class="sc-hightlight-box__title">Có thể bạn quan tâm</p>'
    '<a href="/a-10150000.html">Doanh nghiệp Thanh Hóa đẩy mạnh xuất khẩu</a></div>',
    '<aside class="box-info"><p>Xem thêm: <a href="/b-10150001.html">Giá vàng hôm nay</a></p></aside>',
    '<div class="note"><a href="/c-10150002.html">Lãi suất tiết kiệm tăng nhẹ</a> · '
    '<a href="/d-10150003.html">Tỷ giá ổn định</a></div>',
    '<section><h3>Tin cùng chuyên mục</h3><ul><li><a href="/e-10150004.html">Một tin khác</a> (12/05)</li></ul>'
    "</section>",
], ids=["labelled", "xem-them", "mostly-links", "same-section-list"])
def test_a_box_that_lists_other_articles_is_noise_whatever_its_class(box: str) -> None:
    assert body_text(ARTICLE + box + ARTICLE) == "\n".join([ARTICLE[3:-4]] * 2)


@pytest.mark.parametrize("box_class", ["sc-hightlight-box", "box-info", "c-box"])
def test_a_factbox_is_article_text_whatever_its_class(box_class: str) -> None:
    text = body_text(ARTICLE + FACTBOX.replace("sc-hightlight-box", box_class) + ARTICLE)
    assert "thành lập năm 1992" in text and "140.000 tỷ đồng" in text


def test_a_factbox_with_one_link_in_its_text_is_kept() -> None:
    box = ('<div class="sc-hightlight-box"><p>Theo <a href="https://www.gso.gov.vn">Tổng cục Thống kê</a>, năm 2025 '
           "cả nước có thêm 160.000 doanh nghiệp thành lập mới, tăng 12% so với năm trước.</p></div>")
    assert "160.000 doanh nghiệp" in body_text(ARTICLE + box)


def test_inline_related_links_inside_a_box_stay_related_links() -> None:
    container = lxml.html.fragment_fromstring(
        ARTICLE + '<div><p><a href="/a-10150009.html"><strong>&gt;&gt;Thanh Hóa hiến kế</strong></a></p></div>',
        create_parent="div")
    body = read_body(container, "https://diendandoanhnghiep.vn/", DEFAULT_RULES)
    assert [link.title for link in body.related] == ["Thanh Hóa hiến kế"]


def test_the_checks_remember_one_pages_texts_only() -> None:
    # each extraction starts with an empty memory: a page extracted twice costs twice, and a long run's
    # memory holds one page
    page = "<html><body><article><h1>Tiêu đề</h1>" + ARTICLE * 3 + "<p>Quảng cáo</p></article></body></html>"
    extract(page.encode(), "https://diendandoanhnghiep.vn/a-1.html")
    assert noise.is_noise_line.cache_info().currsize > 0
    extract(b"", "https://diendandoanhnghiep.vn/a-2.html")
    assert noise.is_noise_line.cache_info().currsize == 0 and noise.cut_noise.cache_info().currsize == 0
