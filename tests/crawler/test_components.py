"""The crawler's components one by one, in-process and in seconds: each built the way Scrapy builds it
(`get_crawler` and `from_crawler`), fed responses made from pages the replica serves."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest
from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import HtmlResponse, Response, TextResponse, XmlResponse
from scrapy.utils.project import get_project_settings
from scrapy.utils.test import get_crawler
from sqlalchemy import select

from archive.database import Archive
from archive.known import Known
from archive.models import Article, Fetch
from archive.records import FetchRecord
from crawler.archive_view import ArchiveView, read_archive
from crawler.extensions import RUN_ID
from crawler.middlewares import RENDER_META, VALIDATORS_META, ConditionalGetMiddleware, PageTriageMiddleware
from crawler.pipelines import ArchivePipeline
from crawler.revisits import REASON_META, Reason, is_due, plan_revisits
from crawler.spiders.dddn import MORE_META, DddnSpider, more_url, sitemap_period
from tests.http import fetch
from tests.replica import Replica


def crawler_for(rep: Replica, **settings: Any) -> Crawler:
    """A crawler with the project's settings, pointed at the replica."""
    project = {k: v for k, v in get_project_settings().items() if k.startswith(("DDDN_", "ARCHIVE_", "RETRY_"))}
    return get_crawler(DddnSpider, {**project, "DDDN_BASE_URL": rep.base_url, "DDDN_HOST_ALIASES": rep.host_alias,
                                    "ARCHIVE_DB_URL": "sqlite:///unused.sqlite", **settings})


def spider_for(rep: Replica, view: ArchiveView | None = None, **settings: Any) -> DddnSpider:
    """A spider as `scrapy crawl` makes it, with the archive's contents given as `view`."""
    crawler = crawler_for(rep, **settings)
    spider = DddnSpider.from_crawler(crawler, load_view=lambda _url: view or ArchiveView())
    crawler.spider = spider
    asyncio.run(_drain(spider))  # runs start(): reads the view, decides full or incremental
    return spider


async def _drain(spider: DddnSpider) -> list[Request]:
    return [r async for r in spider.start()]


def response(url: str, request: Request | None = None) -> Response:
    got = fetch(url)
    kind = got.headers.get("content-type", "")
    cls = XmlResponse if "xml" in kind else HtmlResponse if "html" in kind else TextResponse
    return cls(url=url, status=got.status, body=got.body, headers=got.headers, request=request or Request(url),
               encoding="utf-8")


def urls(items: Iterable[Any]) -> list[str]:
    return [r.url for r in items if isinstance(r, Request)]


def truth(rep: Replica) -> list[dict[str, Any]]:
    return [t for t in rep.truth() if t["status"] == "live"]


# -- the walk plan ----------------------------------------------------------------------------------

def test_a_first_run_is_full_and_starts_from_home_sitemaps_and_feeds(replica: Replica) -> None:
    spider = spider_for(replica)
    first = urls(spider.first_requests())
    assert spider.full
    assert first == [replica.base_url + p for p in ("/", "/sitemap-news.xml", "/sitemap.xml", "/rss")]


def test_an_incremental_run_revisits_recent_and_scheduled_articles_on_the_sites_clock(replica: Replica) -> None:
    home = response(replica.base_url + "/")
    now = parsedate_to_datetime(home.headers[b"Date"].decode())  # the replica's clock, not this machine's
    recent, due, done = (t["canonical_url"] for t in truth(replica)[:3])
    view = ArchiveView({
        recent: Known('"e1"', "Mon, 01 Jan 2024 00:00:00 GMT", now, now - timedelta(days=1)),
        due: Known('"e2"', None, now - timedelta(days=35), now - timedelta(days=40)),  # crossed 7, 14 and 30 days
        done: Known('"e3"', None, now - timedelta(hours=1), now - timedelta(days=400))}, completed_crawl=True)
    spider = spider_for(replica, view)
    assert not spider.full and not [r for r in spider.first_requests() if r.meta.get("dddn_kind") == "article"]
    revisits = {r.url: r for r in spider.parse_home(home) if isinstance(r, Request) and REASON_META in r.meta}
    assert {url: r.meta[REASON_META] for url, r in revisits.items()} == {recent: Reason.WINDOW,
                                                                         due: Reason.SCHEDULE}
    assert revisits[recent].meta[VALIDATORS_META] == ('"e1"', "Mon, 01 Jan 2024 00:00:00 GMT")
    broke = spider_for(replica, view, DDDN_REVISIT_BUDGET=0)
    assert {r.url for r in broke.parse_home(home) if isinstance(r, Request) and REASON_META in r.meta} == {recent}


def test_the_schedule_revisits_each_article_once_per_age_point_it_crosses_youngest_first() -> None:
    now = datetime(2026, 6, 1, tzinfo=UTC)
    schedule = tuple(timedelta(days=d) for d in (1, 3, 7, 14, 30, 90, 365))

    def known(published_days_ago: float, checked_days_ago: float) -> Known:
        return Known(None, None, now - timedelta(days=checked_days_ago), now - timedelta(days=published_days_ago))

    pages = {"a": known(100, 11), "b": known(100, 9), "c": known(20, 8), "d": known(2000, 0.5), "e": known(366, 2)}
    plan = plan_revisits(pages, now, timedelta(0), schedule, budget=10)
    assert plan == [("c", Reason.SCHEDULE), ("a", Reason.SCHEDULE), ("e", Reason.SCHEDULE)]
    assert plan_revisits(pages, now, timedelta(0), schedule, budget=1) == [("c", Reason.SCHEDULE)]
    assert not is_due(Known(None, None, None, None), now, schedule)


def test_home_page_walks_every_menu_section_in_a_full_run_and_the_latest_in_an_incremental_one(
        replica: Replica) -> None:
    home = response(replica.base_url + "/")
    full = urls(spider_for(replica).parse_home(home))
    sections = [u for u in full if "/api/" not in u and not u.endswith(".html")]
    assert sections[0] == replica.base_url + "/tin-moi-nhat" and len(sections) > 10
    assert all(u.startswith(replica.base_url) for u in full)
    incremental = spider_for(replica, ArchiveView(completed_crawl=True))
    assert [u for u in urls(incremental.parse_home(home)) if not u.endswith(".html")] == [sections[0]]


# -- listings ---------------------------------------------------------------------------------------

def test_onecms_listing_yields_its_articles_and_the_xem_them_call_with_the_smallest_pid(replica: Replica) -> None:
    spider = spider_for(replica)
    page = response(replica.base_url + "/tin-moi-nhat")
    out = list(spider.parse_listing(page, page=1))
    articles = [r for r in out if isinstance(r, Request) and r.meta.get("dddn_kind") == "article"]
    (more,) = [r for r in out if isinstance(r, Request) and MORE_META in r.meta]
    pids = [int(p) for p in page.css("ul.onecms__loading > li[pid]::attr(pid)").getall()]
    assert len(articles) == len(pids) > 0
    assert more.url == more_url(replica.base_url, more.meta[MORE_META], min(pids))

    items = json.loads(fetch(more.url).body)
    following = list(spider.parse_more(response(more.url, more), page=2, listing=page.url))
    (again,) = [r for r in following if isinstance(r, Request) and MORE_META in r.meta]
    assert again.url == more_url(replica.base_url, more.meta[MORE_META], min(i["PublisherId"] for i in items))
    assert {r.url for r in following if isinstance(r, Request) and r.meta.get("dddn_kind") == "article"} == {
        spider.config.rules.canonical(replica.base_url + i["LinktoMe2"]) for i in items}


def test_legacy_listing_follows_its_numbered_pages(legacy_replica: Replica) -> None:
    spider = spider_for(legacy_replica)
    page = response(legacy_replica.base_url + "/tin-moi-nhat-c1")
    out = [r for r in spider.parse_listing(page, page=1) if isinstance(r, Request)]
    listings = [r for r in out if r.meta.get("dddn_kind") != "article"]
    assert len(out) - len(listings) > 5
    assert len(listings) == 1 and listings[0].cb_kwargs == {"page": 2}
    assert listings[0].url == legacy_replica.base_url + "/tin-moi-nhat-c1/page-2.html"
    assert response(listings[0].url).status == 200


def test_legacy_listing_items_carry_their_dates(legacy_replica: Replica) -> None:
    """An incremental run stops a listing by its dates, so each item's own date must be read."""
    page = response(legacy_replica.base_url + "/tin-moi-nhat-c1")
    long_ago = datetime.now(UTC) - timedelta(days=3650)
    listed = [legacy_replica.base_url + a.path for a in legacy_replica.site.visible()[:15]]
    spider = spider_for(legacy_replica, ArchiveView({spider_for(legacy_replica).config.rules.canonical(u): Known(
        None, None, long_ago, long_ago) for u in listed}, completed_crawl=True))
    spider.site_clock = datetime.now(UTC) + timedelta(days=3650)  # every listed article is old
    assert not [r for r in spider.parse_listing(page, page=1) if isinstance(r, Request)]


def test_the_home_menu_names_the_sections(replica: Replica, legacy_replica: Replica) -> None:
    for rep, latest, some in ((replica, "tin-moi-nhat", {"phap-luat/24h", "tin-luu-tru"}),
                              (legacy_replica, "tin-moi-nhat-c1", {"chong-hang-gia-c148", "kinh-te-c32"})):
        spider = spider_for(rep)
        sections = spider.section_paths(response(rep.base_url + "/"))
        assert some | {latest} <= set(sections), sections
        walked = [r.url for r in spider.parse_home(response(rep.base_url + "/"))
                  if isinstance(r, Request) and r.callback == spider.parse_listing]
        assert walked[0] == f"{rep.base_url}/{latest}" and len(walked) == len(sections)


def test_an_incremental_run_stops_a_listing_at_articles_it_has_and_that_are_old(replica: Replica) -> None:
    page = response(replica.base_url + "/tin-moi-nhat")
    listed = [replica.base_url + h for h in page.css("ul.onecms__loading h3.b-grid__title a::attr(href)").getall()]
    long_ago = datetime.now(UTC) - timedelta(days=365)
    spider = spider_for(replica, ArchiveView({spider_for(replica).config.rules.canonical(u): Known(
        None, None, long_ago, long_ago) for u in listed}, completed_crawl=True))
    requests, keep_walking = spider.plan_walk([(u, long_ago) for u in listed])
    assert requests == [] and not keep_walking


# -- sitemaps and feeds -----------------------------------------------------------------------------

def test_sitemap_index_leads_to_sitemaps_and_a_newer_lastmod_refetches_a_known_article(replica: Replica) -> None:
    index = response(replica.base_url + "/sitemap.xml")
    spider = spider_for(replica)
    children = urls(spider.parse_sitemap(index))
    assert children and all(u.endswith(".xml") for u in children)
    child = next(u for u in children if "article" in u)
    entries = response(child).xpath("//*[local-name()='url']")
    loc = entries[0].xpath("*[local-name()='loc']/text()").get()
    assert loc and entries[0].xpath("*[local-name()='lastmod']/text()").get()
    canonical = spider.config.rules.canonical(loc)
    stale = datetime(2000, 1, 1, tzinfo=UTC)
    known = spider_for(replica, ArchiveView({canonical: Known('"old"', None, stale, stale)}, completed_crawl=True))
    (again,) = [r for r in known.parse_sitemap(response(child)) if isinstance(r, Request) and r.url == canonical]
    assert again.meta[VALIDATORS_META] == ('"old"', None)


def test_only_an_edit_a_sitemap_listed_as_unchanged_counts_against_lastmod(replica: Replica) -> None:
    """An edit a revisit finds is evidence that lastmod lies only when a sitemap read in this run listed the
    page with a lastmod no later than our copy; a page whose sitemap failed to load (a fault) says nothing."""
    listed, unlisted = (t["canonical_url"] for t in truth(replica)[:2])
    checked = datetime(2030, 1, 1, tzinfo=UTC)  # our copy is newer than any lastmod the replica gives
    view = ArchiveView({url: Known('"e"', None, checked, checked - timedelta(days=1)) for url in (listed, unlisted)},
                       completed_crawl=True)
    spider = spider_for(replica, view)
    spider.lastmods[listed] = checked - timedelta(days=1)
    for url in (listed, unlisted):
        spider.revisited[url] = Reason.WINDOW
        spider.edit_found(url)
    assert spider.unannounced() == [listed]


def test_an_incremental_run_reads_a_sitemap_it_has_never_read(replica: Replica) -> None:
    """A new month's sitemap is read even though the index's lastmod says nothing of our copy of it."""
    index = response(replica.base_url + "/sitemap.xml")
    dated = [u for u in urls(spider_for(replica).parse_sitemap(index)) if sitemap_period(u)]
    now = datetime(2100, 1, 1, tzinfo=UTC)  # every sitemap read after its last change
    view = ArchiveView({u: Known('"s"', None, now, None) for u in dated[1:]}, completed_crawl=True)
    assert [u for u in urls(spider_for(replica, view).parse_sitemap(index)) if sitemap_period(u)] == dated[:1]


def test_a_live_article_its_dated_sitemap_no_longer_lists_is_fetched_again(replica: Replica) -> None:
    """Once everything is fetched, each archived live article of a dated sitemap read in this run that it
    does not list (taken down?) is revisited, once; articles of sitemaps not read, and gone ones, are not."""
    index = response(replica.base_url + "/sitemap.xml")
    child = next(u for u in urls(spider_for(replica).parse_sitemap(index)) if sitemap_period(u))
    period = sitemap_period(child)
    assert period is not None
    start = period[0]
    listed = response(child).xpath("//*[local-name()='loc']/text()").getall()
    taken = replica.base_url + "/bai-da-go-10999999.html"
    inside, outside = start + timedelta(days=2), start - timedelta(days=40)
    view = ArchiveView({taken: Known('"t"', None, inside, inside), listed[0]: Known('"l"', None, inside, inside),
                        replica.base_url + "/bai-khac-10999998.html": Known('"o"', None, outside, outside),
                        replica.base_url + "/bai-da-mat-10999997.html": Known('"g"', None, inside, None)},
                       completed_crawl=True)
    spider = spider_for(replica, view)
    list(spider.parse_sitemap(response(child)))
    again = spider.vanished(spider.listed, spider.periods, set(spider.revisited))
    assert [(r.url, r.meta[REASON_META]) for r in again] == [(taken, Reason.VANISHED)]
    assert again[0].meta[VALIDATORS_META] == ('"t"', None)
    assert spider.vanished(spider.listed, spider.periods, set(spider.revisited)) == []


def test_a_dated_sitemaps_period_is_widened_by_a_day_for_the_sites_time_zone() -> None:
    assert sitemap_period("https://x/sitemap-article-2024-12.xml") == (
        datetime(2024, 11, 30, tzinfo=UTC), datetime(2025, 1, 2, tzinfo=UTC))
    assert sitemap_period("https://x/sitemap-article-2024-02-29.xml") == (
        datetime(2024, 2, 28, tzinfo=UTC), datetime(2024, 3, 2, tzinfo=UTC))
    assert sitemap_period("https://x/sitemap-news.xml") is None


def test_per_day_sitemaps_are_read_and_skipped_before_since() -> None:
    with Replica(articles=150, seed=8, sitemaps="daily") as rep:
        index = response(rep.base_url + "/sitemap.xml")
        days = [u for u in urls(spider_for(rep).parse_sitemap(index)) if re.search(r"-\d{4}-\d\d-\d\d\.xml$", u)]
        assert len(days) > 20
        articles = urls(spider_for(rep).parse_sitemap(response(days[0])))
        assert articles and all(rep.base_url in u for u in articles)
        since = (rep.site.now - timedelta(days=3)).date().isoformat()
        recent = [u for u in urls(spider_for(rep, DDDN_SINCE=since).parse_sitemap(index)) if u in days]
        dated = [re.search(r"(\d{4}-\d\d-\d\d)\.xml$", u)[1] for u in recent]  # type: ignore[index]
        assert dated and min(dated) >= since and len(recent) < len(days)


def test_rss_index_and_feeds_yield_articles(replica: Replica) -> None:
    spider = spider_for(replica)
    feeds = urls(spider.parse_rss_index(response(replica.base_url + "/rss")))
    assert feeds and all("/rss/" in u for u in feeds)
    articles = urls(spider.parse_rss(response(feeds[0])))
    assert articles and all(spider.config.rules.is_article(u) for u in articles)


# -- downloader middlewares -------------------------------------------------------------------------

def test_conditional_get_sends_the_validators_it_is_given_and_never_to_the_browser(replica: Replica) -> None:
    middleware = ConditionalGetMiddleware.from_crawler(crawler_for(replica))
    plain = Request("https://x.test/a-10150001.html", meta={VALIDATORS_META: ('"abc"', "Tue, 01 Sep 2026 GMT")})
    middleware.process_request(plain)
    assert plain.headers[b"If-None-Match"] == b'"abc"'
    assert plain.headers[b"If-Modified-Since"] == b"Tue, 01 Sep 2026 GMT"
    rendered = Request(plain.url, meta={VALIDATORS_META: ('"abc"', None), **RENDER_META})
    middleware.process_request(rendered)
    assert b"If-None-Match" not in rendered.headers


def test_triage_sends_script_built_pages_to_the_browser_and_retries_a_soft_404(replica: Replica) -> None:
    crawler = crawler_for(replica)
    crawler.spider = DddnSpider.from_crawler(crawler, load_view=lambda _url: ArchiveView())
    triage = PageTriageMiddleware.from_crawler(crawler)
    emag = next(t for t in truth(replica) if t["kind"] == "emagazine")
    request = Request(emag["canonical_url"], meta={"dddn_kind": "article"})
    out = triage.process_response(request, response(emag["canonical_url"], request))
    assert isinstance(out, Request) and out.meta["playwright"] is True
    normal = next(t for t in truth(replica) if t["kind"] == "normal")
    request = Request(normal["canonical_url"], meta={"dddn_kind": "article"})
    page = response(normal["canonical_url"], request)
    assert triage.process_response(request, page) is page
    soft = HtmlResponse(url=request.url, body=b'<html><body><div class="page-404">Kh\xc3\xb4ng</div></body></html>',
                        request=request)
    retried = triage.process_response(request, soft)
    assert isinstance(retried, Request) and retried.meta["retry_times"] == 1


# -- the pipeline's hand-off ------------------------------------------------------------------------

def test_pipeline_hands_each_fetch_to_the_archive_tagged_with_the_run(replica: Replica, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'a.sqlite'}"
    crawler = crawler_for(replica, ARCHIVE_DB_URL=db, DDDN_INGEST_WORKERS=1)
    pipeline = ArchivePipeline.from_crawler(crawler)
    assert crawler.stats is not None
    crawler.stats.set_value(RUN_ID, None)
    article = next(t for t in truth(replica) if t["kind"] == "normal")
    got = fetch(article["canonical_url"])
    record = FetchRecord(article["canonical_url"], article["canonical_url"], got.status, got.headers, got.body,
                         datetime.now(UTC))
    pipeline.open_spider()
    try:
        asyncio.run(pipeline.process_item(record))
    finally:
        pipeline.close_spider()
    assert record.body is None, "the pipeline lets go of the body once the archive has it"
    assert crawler.stats.get_value("dddn/new_articles") == 1
    archive = Archive(db)
    with archive.transaction(write=False) as session:
        (stored,) = session.scalars(select(Article)).all()
        assert stored.site_id == article["site_id"]
        assert session.scalar(select(Fetch.article_id)) == stored.id
    archive.close()
    view = read_archive(db)
    assert stored.canonical_url in view.known and not view.completed_crawl


def test_fetches_are_written_in_batches_and_a_bad_one_fails_alone(replica: Replica, tmp_path: Path) -> None:
    """Nine fetches at once, in batches of four: every good one is archived with its own outcome, and the
    one the archive refuses (a naive fetch time) fails on its own item, not its batch's: counted as not
    stored (which fails the run), named in one line, never raised as a traceback."""
    db = f"sqlite:///{tmp_path / 'a.sqlite'}"
    crawler = crawler_for(replica, ARCHIVE_DB_URL=db, DDDN_INGEST_WORKERS=1, DDDN_INGEST_BATCH=4)
    pipeline = ArchivePipeline.from_crawler(crawler)
    assert crawler.stats is not None
    crawler.stats.set_value(RUN_ID, None)
    articles = [t for t in truth(replica) if t["kind"] == "normal"][:9]
    records = []
    for number, article in enumerate(articles):
        got = fetch(article["canonical_url"])
        records.append(FetchRecord(article["canonical_url"], article["canonical_url"], got.status, got.headers,
                                   got.body, datetime.now() if number == 5 else datetime.now(UTC)))

    async def all_items() -> list[object]:
        return await asyncio.gather(*[pipeline.process_item(r) for r in records], return_exceptions=True)

    pipeline.open_spider()
    try:
        outcomes = asyncio.run(all_items())
    finally:
        pipeline.close_spider()
    assert all(isinstance(o, FetchRecord) for o in outcomes)
    assert crawler.stats.get_value("dddn/unstored") == 1 and not crawler.stats.get_value("dddn/no_space")
    assert "timezone-aware" in crawler.stats.get_value("dddn/unstored_first")
    assert crawler.stats.get_value("dddn/new_articles") == 8
    archive = Archive(db)
    with archive.transaction(write=False) as session:
        stored = set(session.scalars(select(Article.canonical_url)))
    archive.close()
    assert len(stored) == 8 and articles[5]["canonical_url"] not in stored


@pytest.mark.parametrize("setting", ["TELNETCONSOLE_ENABLED", "REMOTE_CONTROL_ENABLED"])
def test_the_project_opens_no_console(setting: str) -> None:
    assert get_project_settings().getbool(setting) is False


def test_a_missing_sitemap_or_feed_is_noted_never_a_failure(replica: Replica) -> None:
    spider = spider_for(replica)
    assert spider.crawler.stats is not None
    for request in [r for r in spider.first_requests() if r.callback != spider.parse_home]:
        assert 404 in request.meta["handle_httpstatus_list"]
        missing = HtmlResponse(url=request.url, status=404, body=b"<html>Not found</html>", request=request)
        assert [type(x).__name__ for x in request.callback(missing)] == ["FetchRecord"]
    assert spider.crawler.stats.get_value("dddn/absent_sources") == 3
    assert not spider.crawler.stats.get_value("dddn/failed_listings")


# -- who runs the crawl -------------------------------------------------------------------------------

@pytest.mark.parametrize(("contact", "expected"), [
    ("ops@newsroom.vn", "dddn-archive/0.1.0 (+ops@newsroom.vn; research archive of diendandoanhnghiep.vn)"),
    ("", "dddn-archive/0.1.0 (research archive of diendandoanhnghiep.vn)")])
def test_every_request_names_the_crawler_and_its_contact(replica: Replica, contact: str, expected: str) -> None:
    from scrapy.downloadermiddlewares.useragent import UserAgentMiddleware

    crawler = crawler_for(replica, DDDN_CONTACT=contact, USER_AGENT="")
    crawler._apply_settings()
    request = Request(replica.base_url + "/")
    UserAgentMiddleware.from_crawler(crawler).process_request(request)
    assert request.headers[b"User-Agent"].decode() == expected


def test_a_user_agent_of_ones_own_is_kept(replica: Replica) -> None:
    crawler = crawler_for(replica, DDDN_CONTACT="ops@newsroom.vn", USER_AGENT="my-lab-bot/2")
    crawler._apply_settings()
    assert crawler.settings["USER_AGENT"] == "my-lab-bot/2"


@pytest.mark.parametrize(("base", "contact", "warned"), [
    ("https://diendandoanhnghiep.vn", "", True), ("https://diendandoanhnghiep.vn", "ops@newsroom.vn", False),
    (None, "", False)])
def test_a_crawl_of_the_real_site_without_a_contact_warns_once(replica: Replica, caplog: pytest.LogCaptureFixture,
                                                                base: str | None, contact: str, warned: bool) -> None:
    settings = {"DDDN_CONTACT": contact, **({"DDDN_BASE_URL": base} if base else {})}
    with caplog.at_level("WARNING"):
        spider_for(replica, **settings)
    assert sum("DDDN_CONTACT" in r.getMessage() for r in caplog.records) == (1 if warned else 0)
