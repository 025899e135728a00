"""Ground truth agrees with the served HTML, read with plain selectors (not our extractor)."""

from __future__ import annotations

import html
import json
import re
from datetime import datetime

import lxml.html
import pytest

from tests.http import fetch
from tests.replica import VN, Replica
from tests.replica.render import LEGACY_MARKUP


def text(el: lxml.html.HtmlElement) -> str:
    return " ".join(el.text_content().split())


def body_lines(container: lxml.html.HtmlElement) -> list[str]:
    """Paragraphs, headings, quotes, list items and table rows, as the truth lists them."""
    out: list[str] = []
    for el in container.iter("p", "h2", "li", "tr"):
        if el.tag == "p" and el.getparent().tag != "blockquote" and el.cssselect("a strong, strong a"):
            continue  # an inline ">>" link, which the truth lists under related
        if el.tag == "tr" and "image" in (el.getparent().getparent().get("class") or ""):
            continue
        if el.tag == "tr":
            out.append(" | ".join(text(td) for td in el.iter("td")))
        else:
            out.append(text(el))
    return out


def sample(rep: Replica, kind: str = "normal", n: int = 25) -> list[dict[str, object]]:
    truth = [t for t in rep.truth() if t["status"] == "live" and t["kind"] == kind]
    return truth[:: max(1, len(truth) // n)][:n]


def test_current_pages_match_truth(replica: Replica) -> None:
    for t in sample(replica):
        doc = lxml.html.fromstring(fetch(str(t["canonical_url"])).text)
        entry = doc.cssselect("div.b-maincontent .entry")[0]
        assert text(entry.cssselect("h1.sc-longform-header-title")[0]) == t["title"]
        sapo = text(entry.cssselect("p.sc-longform-header-sapo")[0]).removeprefix("Diendandoanhnghiep.vn ")
        assert sapo == t["lead"]
        assert text(entry.cssselect(".sc-longform-header-author")[0]) == ", ".join(t["authors"])  # type: ignore[arg-type]
        visible = text(doc.cssselect(".sc-longform-header-date")[0]).replace(" - ", " ")
        for box in entry.cssselect("div.c-box, div.sc-longform-header"):
            box.drop_tree()
        for box in entry.cssselect("div.sc-hightlight-box"):
            if box.cssselect("p.sc-hightlight-box__title"):  # the "Có thể bạn quan tâm" link box, not a factbox
                box.drop_tree()
        assert body_lines(entry) == t["body"]
        captions = [text(c) for c in entry.cssselect("figure figcaption")]
        assert captions == [i["caption"] for i in t["images"]]  # type: ignore[index, union-attr]
        assert [text(a) for a in doc.cssselect("div.c-tags li h4 a")] == t["tags"]
        crumbs = [text(a) for a in doc.cssselect("ol.breadcrumb li.breadcrumb-item a")][1:]
        assert crumbs == t["section_path"]
        meta = doc.cssselect('meta[name="article:published_time"]')[0].get("content")
        published = datetime.strptime(meta, "%m/%d/%Y %I:%M:%S %p").replace(tzinfo=VN)
        assert published == datetime.fromisoformat(str(t["published"]))
        assert datetime.strptime(visible, "%d/%m/%Y %H:%M").replace(tzinfo=VN) == published.replace(second=0)
        ld = json.loads(doc.cssselect('script[type="application/ld+json"]')[0].text)
        assert html.unescape(ld["headline"]) == t["title"]
        assert datetime.fromisoformat(ld["datePublished"]) == published
        related = [a.get("href") for a in doc.cssselect("div.c-related-posts h3.b-grid__title a, "
                                                         "ul.onecms_load_view h3.b-grid__title a")]
        assert related == [r["url"] for r in t["related"]][-len(related):]  # type: ignore[index, union-attr]


def test_legacy_pages_match_truth(legacy_replica: Replica) -> None:
    for t in sample(legacy_replica):
        form: dict[str, int] = t["form"]  # type: ignore[assignment]
        doc = lxml.html.fromstring(fetch(str(t["canonical_url"])).text)
        assert text(doc.cssselect("h1")[0]) == t["title"]
        lead = text(doc.cssselect(LEGACY_MARKUP["lead"][form["container"]])[0])
        assert re.sub(r"^(Diendandoanhnghiep\.vn|\(DĐDN\) -) ", "", lead) == t["lead"]
        body = doc.cssselect(LEGACY_MARKUP["body"][form["container"]])[0]
        byline = doc.cssselect(LEGACY_MARKUP["byline"][form["byline"]])[-1]
        assert text(byline).split(" | ")[0] == " - ".join(t["authors"])  # type: ignore[arg-type]
        if form["byline"] != 0:  # the enternews byline sits above the body, the others close it
            byline.drop_tree()
        captions = [text(c) for c in doc.cssselect(LEGACY_MARKUP["caption"][form["figure"]])]
        for caption in body.cssselect("p.image_caption"):
            caption.drop_tree()  # a caption, not a line of the body
        assert body_lines(body) == t["body"]
        assert captions == [i["caption"] for i in t["images"]]  # type: ignore[index, union-attr]
        inline = [(a.get("href"), text(a).removeprefix(">>")) for a in body.cssselect("p > a")]
        canon = [(r["url"], r["title"]) for r in t["related"]]  # type: ignore[index, union-attr]
        assert [title for _, title in inline] == [title for _, title in canon]
        assert [text(a).lstrip("#") for a in doc.cssselect(LEGACY_MARKUP["tags"][form["tags"]])] == t["tags"]
        published = doc.cssselect('meta[property="article:published_time"]')
        assert bool(published) == (form["head"] == 0)
        if published:
            assert datetime.fromisoformat(published[0].get("content")) == datetime.fromisoformat(str(t["published"]))


def test_seed_article_is_in_the_legacy_site(legacy_replica: Replica) -> None:
    seed = next(t for t in legacy_replica.truth() if t["kind"] == "seed")
    assert seed["title"] == "Thanh Hóa: 2022 năm bản lề của chuyển đổi số"
    page = fetch(str(seed["canonical_url"])).text
    for noise in ("Đánh giá của bạn:", "Mời các bạn tham gia vào", "Bạn đang đọc bài viết", "Bạn còn",
                  "Xếp theo:", "FROM cms_post WHERE", ">1</a> <a"):
        assert noise in page


def test_emagazine_raw_html_has_no_article_text(replica: Replica) -> None:
    for t in sample(replica, "emagazine", 3):
        raw = fetch(str(t["canonical_url"])).text
        assert t["template"] == "emagazine"
        assert lxml.html.fromstring(raw).findtext(".//title") == t["title"]  # the head still carries it
        assert not any(line in raw for line in t["body"]), "a plain fetch must not see the body"  # type: ignore[union-attr]


@pytest.mark.browser
def test_emagazine_body_and_comments_exist_after_javascript(replica: Replica, chromium_path: str) -> None:
    from playwright.sync_api import sync_playwright

    t = sample(replica, "emagazine", 1)[0]
    args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path, args=args)
        try:
            page = browser.new_page()
            page.route(re.compile(r"^https?://(?!127\.0\.0\.1).*"), lambda route: route.abort())
            page.goto(str(t["canonical_url"]), wait_until="domcontentloaded")
            page.wait_for_selector("#emag-root .emag-content p")
            rendered = " ".join(page.inner_text("#emag-root").split())
            page.wait_for_selector("#comment-list .comment-item", timeout=10_000)
            comments = page.inner_text("#comment-list")
        finally:
            browser.close()
    assert all(" ".join(line.split()) in rendered for line in t["body"])  # type: ignore[union-attr]
    assert t["title"] in rendered and comments.strip()
