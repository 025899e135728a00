"""The replica's site over real HTTP: listings, URL variants, the clock, validators and feeds."""

from __future__ import annotations

import gzip
import re
import subprocess
import sys
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import lxml.html
import pytest

from tests.conftest import LEGACY_NOW
from tests.http import fetch
from tests.replica import Replica
from tests.replica.render import ENTERNEWS, LEGACY_MARKUP, LEGACY_VARIANTS, OLDER_THEME, legacy_variant
from tests.replica.site import FUTURE_MINUTES

LEGACY_BODIES = ", ".join(LEGACY_MARKUP["body"])
ID_RE = re.compile(r"-(\d{6,8})\.html")


def live_ids(rep: Replica) -> set[int]:
    return {t["site_id"] for t in rep.truth() if t["status"] == "live"}


def walk_current(base: str, path: str, between_pages: object = None) -> list[int]:
    """First page as HTML, then the "Xem thêm" API with the smallest pid shown as the cursor."""
    doc = lxml.html.fromstring(fetch(base + path).text)
    ids = [int(li.get("pid")) for li in doc.cssselect("ul.onecms__loading > li[pid]")]
    more = doc.cssselect("div.c-more")[0]
    calls = 0
    while ids:
        spec = f"{more.get('data-type')}_{more.get('data-keyword')}_{min(ids)}_{more.get('data-channel')}_0"
        items = fetch(f"{base}/api/getMoreArticle/{spec}").json()
        if not items:
            return ids
        ids += [it["PublisherId"] for it in items]
        calls += 1
        if callable(between_pages) and calls == 2:
            between_pages()
    return ids


def walk_legacy(base: str, path: str, between_pages: object = None) -> list[int]:
    """Numbered pages (`/{category}/page-{P}.html`), following the "»" link until there is none."""
    url, ids, pages = base + path, [], 0
    while url:
        page = fetch(url)
        assert page.status == 200, url
        doc = lxml.html.fromstring(page.text)
        ids += [int(ID_RE.search(a.get("href"))[1]) for a in doc.cssselect("div.danh-sach-bai-viet h2.post-title a")]
        nxt = doc.cssselect("ul.pagination a.next")
        assert not nxt or re.search(r"/page-\d+\.html$", nxt[0].get("href"))
        url = nxt[0].get("href") if nxt else ""
        pages += 1
        if callable(between_pages) and pages == 2:
            between_pages()
    return ids


def test_latest_listing_reaches_every_live_article_once_through_the_api(replica: Replica) -> None:
    ids = walk_current(replica.base_url, "/tin-moi-nhat")
    assert len(ids) == len(set(ids))
    assert set(ids) == live_ids(replica)


def test_leaf_sections_partition_the_live_articles(replica: Replica) -> None:
    seen: list[int] = []
    for section in replica.site.leaves + replica.site.extra_leaves:
        ids = walk_current(replica.base_url, f"/{section.path}")
        assert len(ids) == len(set(ids)), section.path
        seen += ids
    assert sorted(seen) == sorted(live_ids(replica))


def test_legacy_numbered_pages_reach_every_live_article_once(legacy_replica: Replica) -> None:
    ids = walk_legacy(legacy_replica.base_url, "/tin-moi-nhat-c1")
    assert len(ids) == len(set(ids))
    assert set(ids) == live_ids(legacy_replica)
    assert all(i < 1_000_000 for i in ids), "legacy ids have 6 digits"


def test_api_cursor_neither_misses_nor_repeats_while_articles_are_published(fresh_replica: Replica) -> None:
    before = live_ids(fresh_replica)
    ids = walk_current(fresh_replica.base_url, "/tin-moi-nhat", lambda: fresh_replica.advance(6))
    assert len(ids) == len(set(ids))
    still_live = before & live_ids(fresh_replica)
    assert still_live <= set(ids)


def test_numbered_pages_shift_under_new_articles_and_repeat_items() -> None:
    with Replica(articles=120, seed=11, now=LEGACY_NOW) as rep:
        before = live_ids(rep)
        ids = walk_legacy(rep.base_url, "/tin-moi-nhat-c1", lambda: rep.advance(6))
        assert before & live_ids(rep) <= set(ids)
        assert len(ids) > len(set(ids)), "new articles push old ones onto the next page"


def test_api_does_not_exist_on_the_legacy_site(legacy_replica: Replica) -> None:
    assert fetch(legacy_replica.base_url + "/api/getMoreArticle/channel_empty_999999_1_0").status == 404


def test_current_site_has_no_numbered_pages(replica: Replica) -> None:
    assert fetch(replica.base_url + "/tin-moi-nhat/p2").status == 404


def test_api_json_has_the_real_field_names(replica: Replica) -> None:
    newest = max(live_ids(replica))
    items = fetch(f"{replica.base_url}/api/getMoreArticle/channel_empty_{newest + 1}_1_0").json()
    assert items[0]["PublisherId"] == newest
    assert set(items[0]) == {"PublisherId", "LinktoMe2", "Title", "Headlines", "Thumbnail_Small",
                             "Thumbnail_Square", "Time_ddMMyyyyHHmm", "Time_yyyyMMddHHmmss", "PublishedTime",
                             "CommentCount", "TitleIcon16"}
    assert re.fullmatch(r"/Date\(\d{13}\)/", items[0]["PublishedTime"])
    assert re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d", items[0]["Time_ddMMyyyyHHmm"])
    assert re.fullmatch(r"\d{14}", items[0]["Time_yyyyMMddHHmmss"])
    newest_first = fetch(f"{replica.base_url}/api/getMoreArticle/channel_empty_0_1_0").json()
    assert newest_first == items, "pid 0 asks for the newest items"


def test_legacy_categories_have_their_own_urls(legacy_replica: Replica, replica: Replica) -> None:
    base = legacy_replica.base_url
    assert fetch(base + "/kinh-te-c32").status == 200
    assert fetch(base + "/tin-moi-nhat-c1/page-2.html").status == 200
    assert fetch(base + "/chinh-tri-xa-hoi/kinh-te").status == 404, "OneCMS paths did not exist yet"
    wrong = fetch(base + "/kinh-te-moi-c32/page-2.html")
    assert (wrong.status, wrong.headers["location"]) == (301, base + "/kinh-te-c32/page-2.html")
    moved = fetch(replica.base_url + "/kinh-te-c32/page-3.html")
    assert (moved.status, moved.headers["location"]) == (301, replica.base_url + "/chinh-tri-xa-hoi/kinh-te")


def test_menus_list_the_real_sections(replica: Replica, legacy_replica: Replica) -> None:
    current = lxml.html.fromstring(fetch(replica.base_url + "/").text)
    paths = {urlsplit(a.get("href")).path for a in current.cssselect("a")}
    assert {"/vcci/doanh-nghiep-hang-dau-viet-nam", "/phap-luat/24h", "/tin-luu-tru", "/o-to-xe-may"} <= paths
    legacy = fetch(legacy_replica.base_url + "/").text
    assert "/chong-hang-gia-c148" in legacy and "/nguoi-tot-viec-tot-c20" in legacy


def test_feeds_are_those_the_index_lists(replica: Replica) -> None:
    index = lxml.html.fromstring(fetch(replica.base_url + "/rss").text)
    feeds = [a.get("href") for a in index.cssselect("ul.rss-list a")]
    assert "/rss/doanh-nghiep" in feeds and "/rss/ngan-hang-chung-khoan/chung-khoan" in feeds
    assert all(fetch(replica.base_url + f).status == 200 for f in feeds[:5])
    for guess in ("/rss/kinh-te.rss", "/rss/kinh-te", "/feed", "/rss/tin-tuc-chung-khoan-27.rss"):
        assert fetch(replica.base_url + guess).status == 404, guess


def test_per_day_sitemaps() -> None:
    with Replica(articles=120, seed=5, sitemaps="daily") as rep:
        index = fetch(rep.base_url + "/sitemap.xml").text
        children = re.findall(r"<loc>[^<]*/(sitemap-[^<]+)</loc>", index)
        assert "sitemap-event.xml" in children
        days = [c for c in children if re.fullmatch(r"sitemap-article-\d{4}-\d\d-\d\d\.xml", c)]
        assert days and not any(re.fullmatch(r"sitemap-article-\d{4}-\d\d\.xml", c) for c in children)
        listed = set()
        for child in days:
            listed |= set(re.findall(r"-(\d{6,8})\.html</loc>", fetch(f"{rep.base_url}/{child}").text))
        assert {int(i) for i in listed} == live_ids(rep)
        assert fetch(rep.base_url + "/sitemap-article-2026-05.xml").status == 404


def canonical_of(html: str) -> str:
    return lxml.html.fromstring(html).cssselect('link[rel="canonical"]')[0].get("href")


def test_url_variants_resolve_to_one_canonical_url(replica: Replica, legacy_replica: Replica) -> None:
    meta = replica.site.visible()[3]
    canonical = replica.base_url + meta.path
    assert canonical_of(fetch(canonical).text) == canonical
    assert canonical_of(fetch(canonical + "?utm_source=facebook&fbclid=abc&zarsrc=30").text) == canonical
    alias = fetch(replica.alias_url + meta.path, headers={"Host": f"localhost:{replica.server.port}"})
    assert (alias.status, alias.headers["location"]) == (301, canonical)
    moved = fetch(f"{replica.base_url}/{meta.section.path}{meta.path}")
    assert (moved.status, moved.headers["location"]) == (301, canonical)
    wrong_slug = fetch(f"{replica.base_url}/bai-viet-cu-{meta.id}.html")
    assert (wrong_slug.status, wrong_slug.headers["location"]) == (301, canonical)
    old = legacy_replica.site.visible()[3]
    prefixed = fetch(f"{legacy_replica.base_url}/{old.section.path}{old.path}")
    assert prefixed.status == 200, "the PHP site served section-prefixed URLs as pages"
    assert canonical_of(prefixed.text) == legacy_replica.base_url + old.path


def test_listings_link_to_url_variants(legacy_replica: Replica, replica: Replica) -> None:
    legacy = fetch(legacy_replica.base_url + "/tin-moi-nhat-c1").text
    assert re.search(r'href="http://[^"]+/[a-z-]+(/[a-z-]+)?/[a-z0-9-]+-\d{6}\.html"', legacy), "section-prefixed"
    home = fetch(replica.base_url + "/").text
    assert re.search(r"\.html\?(utm_source|fbclid|zarsrc|gidzl)=", home)


def edited_later(rep: Replica) -> tuple[object, datetime]:
    now = rep.now
    for meta in rep.site.visible():
        later = [when for when, _ in meta.edits if when > now]
        if later and meta.kind == "normal" and (meta.gone_at is None or meta.gone_at > later[0] + timedelta(hours=1)):
            return meta, later[0]
    raise AssertionError("the replica scheduled no future edit")


def test_edits_appear_after_advance_and_validators_change_only_then(fresh_replica: Replica) -> None:
    rep = fresh_replica
    meta, when = edited_later(rep)
    url = rep.base_url + meta.path  # type: ignore[attr-defined]
    first = fetch(url)
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert fetch(url, headers={"If-None-Match": etag}).status == 304
    assert fetch(url, headers={"If-Modified-Since": modified}).status == 304
    version = next(t for t in rep.truth() if t["site_id"] == meta.id)["version"]  # type: ignore[attr-defined]
    hours_to_edit = (when - rep.now).total_seconds() / 3600
    rep.advance(max(hours_to_edit / 2, 0.01))  # noise moves (comment counts), the article does not
    assert fetch(url, headers={"If-None-Match": etag}).status == 304
    rep.advance(hours_to_edit)
    after = fetch(url, headers={"If-None-Match": etag})
    assert after.status == 200 and after.headers["etag"] != etag
    truth = next(t for t in rep.truth() if t["site_id"] == meta.id)  # type: ignore[attr-defined]
    assert truth["version"] == version + 1
    assert parsedate_to_datetime(after.headers["last-modified"]) == datetime.fromisoformat(truth["updated"])


def test_takedowns_answer_404_or_410_after_advance(fresh_replica: Replica) -> None:
    rep = fresh_replica
    rep.advance(24 * 40)  # far enough for scheduled takedowns of recent articles to happen
    gone = [t for t in rep.truth() if t["status"] == "gone"]
    assert gone
    for t in gone[:5]:
        assert fetch(t["canonical_url"]).status == t["http_status"] in (404, 410)


def test_new_articles_appear_at_the_top_after_advance(fresh_replica: Replica) -> None:
    rep = fresh_replica
    top_before = walk_current(rep.base_url, "/tin-moi-nhat")[0]
    rep.advance(FUTURE_MINUTES[1] * 3 / 60)
    top_after = walk_current(rep.base_url, "/tin-moi-nhat")[0]
    assert top_after > top_before


def test_template_switch_keeps_id_content_and_canonical(switching_replica: Replica) -> None:
    rep = switching_replica
    meta = next(m for m in rep.site.visible()[2:]
                if legacy_variant(rep.site.seed, m, rep.site.now)["container"] == 0)
    url = rep.base_url + meta.path
    before = fetch(url).text
    assert 'class="post-content"' in before
    rep.advance(2)
    after = fetch(url).text
    assert "b-maincontent" in after and 'class="post-content"' not in after
    assert canonical_of(before) == canonical_of(after) == url
    title = rep.site.content(meta)["title"]
    for page in (before, after):
        assert lxml.html.fromstring(page).cssselect("h1")[0].text_content().strip() == title
    old = fetch(f"{rep.base_url}/{meta.section.path}{meta.path}")
    assert (old.status, old.headers["location"]) == (301, url), "old section-prefixed URL now redirects"


def test_sql_echo_changes_on_every_legacy_request(legacy_replica: Replica) -> None:
    url = legacy_replica.base_url + legacy_replica.site.visible()[0].path
    stamps = {re.search(r"publish_day <= (\d+)", fetch(url).text)[1] for _ in range(3)}
    assert len(stamps) == 3


def test_sql_echo_sometimes_lands_inside_the_article(legacy_replica: Replica) -> None:
    inside = 0
    for meta in legacy_replica.site.visible()[:40]:
        doc = lxml.html.fromstring(fetch(legacy_replica.base_url + meta.path).text)
        inside += "SELECT id,type" in doc.cssselect(LEGACY_BODIES)[0].text_content()
    assert 0 < inside < 40


def test_gzip_content_type_and_page_weight(replica: Replica) -> None:
    meta = next(a for a in replica.site.visible() if a.kind == "normal")
    resp = fetch(replica.base_url + meta.path, headers={"Accept-Encoding": "gzip, deflate"})
    assert resp.headers["content-encoding"] == "gzip"
    assert resp.headers["content-type"] == "text/html; charset=utf-8"
    size = len(gzip.decompress(resp.body))
    assert 100_000 <= size <= 150_000, f"a current article page weighs {size} bytes"
    plain = fetch(replica.base_url + meta.path)
    assert "content-encoding" not in plain.headers and len(plain.body) == size


def test_robots_sitemaps_and_rss(replica: Replica) -> None:
    robots = fetch(replica.base_url + "/robots.txt").text
    assert "Disallow: /search" in robots and "Sitemap:" in robots
    index = fetch(replica.base_url + "/sitemap.xml").text
    monthly = re.findall(r"<loc>([^<]+sitemap-article-\d{4}-\d\d\.xml)</loc>", index)
    listed: set[str] = set()
    for url in monthly:
        listed |= set(re.findall(r"<loc>([^<]+)</loc>", fetch(url).text))
    live = {t["canonical_url"] for t in replica.truth() if t["status"] == "live"}
    assert listed == live
    news = fetch(replica.base_url + "/sitemap-news.xml").text
    assert "<news:publication_date>" in news
    for extra in ("/sitemap-category.xml", "/sitemap-article-daily.xml"):
        assert fetch(replica.base_url + extra).status == 200
    rss = fetch(replica.base_url + "/rss/doanh-nghiep").text
    assert re.search(r"<pubDate>\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d \+0700</pubDate>", rss)
    assert "<slash:comments>" in rss
    assert "/rss/doanh-nghiep" in fetch(replica.base_url + "/rss").text


def test_tag_pages_list_tagged_articles(replica: Replica) -> None:
    truth = [t for t in replica.truth() if t["status"] == "live"]
    tag = truth[0]["tags"][0]
    assert replica.server.renderer is not None
    page = fetch(replica.server.renderer.tag_url(tag))
    assert page.status == 200
    assert truth[0]["title"] in page.text


def test_admin_endpoints(fresh_replica: Replica) -> None:
    base = fresh_replica.base_url + "/__replica__"
    now = fetch(base + "/now").json()["now"]
    moved = fetch(base + "/advance?hours=2", method="POST").json()["now"]
    assert datetime.fromisoformat(moved) - datetime.fromisoformat(now) == timedelta(hours=2)
    assert fetch(base + "/faults?profile=5xx", method="POST").json() == {"profile": "5xx"}
    assert fetch(base + "/faults?profile=nope", method="POST").status == 400
    lines = fetch(base + "/truth").text.splitlines()
    assert len(lines) == len(fresh_replica.truth())
    assert fetch(fresh_replica.base_url + "/").headers["date"]  # the replica's clock, for clients that care


def test_truth_command_line_and_bad_input() -> None:
    out = subprocess.run([sys.executable, "-m", "tests.replica", "truth", "--articles", "30", "--seed", "3"],
                         capture_output=True, text=True, check=True).stdout.splitlines()
    assert 25 <= len(out) <= 30
    bad = subprocess.run([sys.executable, "-m", "tests.replica", "serve", "--now", "yesterday"],
                         capture_output=True, text=True)
    assert bad.returncode != 0
    assert "not an ISO 8601 time" in bad.stderr.strip().splitlines()[-1]


def test_same_seed_same_site() -> None:
    one = subprocess.run([sys.executable, "-m", "tests.replica", "truth", "--articles", "40", "--seed", "5"],
                         capture_output=True, text=True, check=True).stdout
    two = subprocess.run([sys.executable, "-m", "tests.replica", "truth", "--articles", "40", "--seed", "5"],
                         capture_output=True, text=True, check=True).stdout
    other = subprocess.run([sys.executable, "-m", "tests.replica", "truth", "--articles", "40", "--seed", "6"],
                           capture_output=True, text=True, check=True).stdout
    assert one == two != other


@pytest.mark.slow
def test_fifty_thousand_articles() -> None:
    with Replica(articles=50_000, seed=2) as rep:
        meta = rep.site.visible()[25_000]
        assert fetch(rep.base_url + meta.path).status == 200
        ids = [a.id for a in rep.site.visible()]
        assert len(ids) > 49_000 and ids == sorted(ids, reverse=True)


def test_legacy_themes_change_site_wide_on_a_date(legacy_replica: Replica, older_theme_replica: Replica) -> None:
    """Every page follows its period's theme, with a rarer layer of other forms part by part."""
    for rep, theme in ((older_theme_replica, OLDER_THEME), (legacy_replica, ENTERNEWS)):
        forms = [t["form"] for t in rep.truth() if t["template"] == "legacy" and t["kind"] == "normal"]
        assert len(forms) > 200
        for part in LEGACY_VARIANTS:
            share = sum(f[part] == theme[part] for f in forms) / len(forms)
            assert 0.75 <= share < 1.0, (rep.site.now, part, share)
    older = next(t for t in older_theme_replica.truth() if t["form"] == OLDER_THEME)
    page = fetch(str(older["canonical_url"])).text
    assert 'class="duong-dan"' in page and "breadcrumb" not in page.split('class="duong-dan"')[1][:400]
