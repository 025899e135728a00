"""`scrapy crawl dddn`: discovers articles through listings, sitemaps and RSS, and fetches each once.

Listings are walked as the site serves them: numbered pages on the PHP-era template, the "Xem thêm"
JSON cursor (the smallest `pid` shown so far) on OneCMS. A full run walks everything; an incremental
run stops a listing once it reaches archived articles older than the revisit window. Every run reads the
sitemaps the index says changed since we read them, and any it has never read (conditionally: an
unchanged one costs a 304), and fetches again, at any age, each archived article whose `lastmod` is later
than our copy, and each live one a dated sitemap it read no longer lists; `crawler.revisits` adds recent
and scheduled revisits.
Every response becomes a `FetchRecord` for the archive; the spider never reads article text.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response, TextResponse
from scrapy.settings import BaseSettings
from scrapy.utils.misc import load_object
from scrapy.utils.sitemap import Sitemap

from archive.extract.dates import VN, parse_iso, parse_visible
from archive.known import Known
from archive.records import FetchRecord
from archive.vocab import Rendering
from crawler.archive_view import ArchiveView
from crawler.config import CrawlConfig, crawls_real_site, user_agent
from crawler.frontier import COORDINATOR, ROLE, WORKER, Cluster
from crawler.middlewares import RENDER_META, VALIDATORS_META
from crawler.revisits import (
    EDIT_FOUND,
    REASON_META,
    Mode,
    Reason,
    Trust,
    changed_since_checked,
    is_recent,
    plan_revisits,
)

ARTICLE_STATUSES = [304, 404, 410]
ABSENT = [404, 410]  # a sitemap or feed the site does not have
NOT_SECTIONS = re.compile(r"^/(rss|search|lien-he|quang-cao|dat-bao|an-pham|tac-gia|api|__replica__)(/|$)")
SECTION_PATH = re.compile(r"^/[a-z0-9-]+(?:/[a-z0-9-]+)?$")
CHANNEL_ID = re.compile(r"channelId\s*=\s*(\d+)")
LATEST = "tin-moi-nhat"  # the listing of every section's newest articles ("-c1" in the PHP era)
# Article links of the PHP era's listings: the enternews theme, and an older form
LEGACY_LISTING_LINKS = ("div.danh-sach-bai-viet h2.post-title a, div.danh-sach-bai-viet h3.post-title a, "
                        "div.list-news h3 a")
LEGACY_LISTING_TIMES = ".created_time::text, .time-news::text, .time::text"
NEXT_PAGE = "a[rel=next]::attr(href), .pagination a.next::attr(href), .paging a.next::attr(href)"
PAGE_LINKS = ".pagination a, .paging a, .pager a"
DATED_SITEMAP = re.compile(r"sitemap-article-(\d{4})-(\d{2})(?:-(\d{2}))?\.xml$")  # monthly or per day
MORE_META = "dddn_more"  # the "Xem thêm" query of a listing: (type, keyword, channel, event)


def more_url(base: str, query: tuple[str, str, str, str], cursor: int) -> str:
    """The "Xem thêm" button's call. Its cursor is the smallest pid shown so far, never a page number."""
    kind, keyword, channel, event = query
    return f"{base}/api/getMoreArticle/{kind}_{keyword}_{cursor}_{channel}_{event}"


class DddnSpider(Spider):
    name = "dddn"

    config: CrawlConfig
    load_view: Callable[[str], ArchiveView]
    known: dict[str, Known]  # what the archive held when the run started
    full: bool  # a full run walks every listing; an incremental one stops at what it knows
    site_clock: datetime | None  # the latest Date header the site sent
    trust: Trust  # how this run chooses revisits: by lastmod, or by the schedule

    def __init__(self, config: CrawlConfig, load_view: Callable[[str], ArchiveView], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.config, self.load_view = config, load_view
        self.allowed_domains = [config.host]
        self.known, self.full, self.site_clock = {}, True, None
        self.trust = Trust.initial(config.lastmod_trust, None)
        # the evidence on lastmod: what the sitemaps said of each article, and edits revisits found
        self.lastmods: dict[str, datetime] = {}
        self.entries = self.with_lastmod = 0
        self.revisited: dict[str, Reason] = {}
        self.edited: set[str] = set()
        self.scheduled: set[str] = set()  # articles given a scheduled revisit this run
        # the evidence on takedowns: the periods of the dated sitemaps read, and every page they listed
        self.periods: list[tuple[datetime, datetime]] = []
        self.listed: set[str] = set()
        self.vanish_checked = False

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        if not settings.get("USER_AGENT"):
            settings.set("USER_AGENT", user_agent(settings.get("DDDN_CONTACT", "")), priority="spider")
        if not settings.getbool("DDDN_BROWSER"):
            return
        scheme = urlsplit(settings["DDDN_BASE_URL"]).scheme or "https"
        handlers = dict(settings.getdict("DOWNLOAD_HANDLERS"))
        handlers.setdefault(scheme, settings["DDDN_PLAYWRIGHT_HANDLER"])
        settings.set("DOWNLOAD_HANDLERS", handlers, priority="spider")

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> DddnSpider:
        if "config" not in kwargs:
            kwargs["config"] = CrawlConfig.from_settings(crawler.settings)
        if "load_view" not in kwargs:
            kwargs["load_view"] = load_object(crawler.settings["DDDN_ARCHIVE_VIEW"])
        spider: DddnSpider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.dropped, signal=signals.request_dropped)
        crawler.signals.connect(spider.edit_found, signal=EDIT_FOUND)
        crawler.signals.connect(spider.idle, signal=signals.spider_idle)
        return spider

    @property
    def base(self) -> str:
        return self.config.base

    # -- start ---------------------------------------------------------------------------------
    async def start(self) -> AsyncIterator[Request]:
        view = self.load_view(self.config.db_url)
        self.known = view.known
        self.trust = Trust.initial(self.config.lastmod_trust, view.lastmod_trust)
        self.full = self.config.mode == "full" or (self.config.mode == "auto" and not view.completed_crawl)
        if self.config.chromium and not Path(self.config.chromium).exists():
            self.logger.warning("Chromium is missing at %s: pages that need a browser will fail. Install the "
                                "Debian package chromium, or set DDDN_CHROMIUM to its path.", self.config.chromium)
        if crawls_real_site(self.config.base) and not self.settings.get("DDDN_CONTACT", "").strip():
            self.logger.warning("no contact in the User-Agent: set DDDN_CONTACT (an email or a URL of whoever runs "
                                "this crawl), in the environment or with -s DDDN_CONTACT=…, so that the site can "
                                "reach you")
        self.logger.info("%s run: %d pages known to the archive; revisits by %s (%s)",
                         "full" if self.full else "incremental", len(self.known), self.trust.mode, self.trust.why)
        role = self.settings.get(ROLE)
        if role == WORKER:  # the coordinator seeds the shared frontier; a worker takes from it
            return
        for request in self.first_requests():
            yield request
        if role == COORDINATOR:
            Cluster.from_settings(self.settings).seeded()

    def first_requests(self) -> Iterator[Request]:
        """The run's first requests: the home page, sitemaps and the RSS index."""
        yield Request(self.base + "/", callback=self.parse_home, errback=self.failed, priority=5)
        for path in ("/sitemap-news.xml", "/sitemap.xml"):
            yield self.source_request(self.base + path, self.parse_sitemap)
        yield self.source_request(self.base + "/rss", self.parse_rss_index)

    def revisit_requests(self) -> Iterator[Request]:
        """Archived articles worth another look (see `crawler.revisits`), once the site's clock is known.
        While lastmod is trusted, the schedule only probes DDDN_LASTMOD_PROBES articles."""
        articles = {url: k for url, k in self.known.items() if self.config.rules.is_article(url)}
        budget = self.config.revisit_budget
        if self.trust.mode == Mode.LASTMOD:
            budget = min(budget, self.config.lastmod_probes)
        for url, reason in plan_revisits(articles, self.now(), self.config.revisit, self.config.schedule, budget):
            if reason == Reason.SCHEDULE:
                self.scheduled.add(url)
            yield self.article_request(url, reason)

    def edit_found(self, url: str) -> None:
        """The pipeline archived a new version of a known article: evidence on lastmod if a revisit for
        another reason than lastmod found it."""
        if self.revisited.get(url) in (Reason.WINDOW, Reason.SCHEDULE):
            self.edited.add(url)

    def unannounced(self) -> list[str]:
        """Edits revisits found that a sitemap read in this run listed with a lastmod no later than our copy.
        An edit to a page no sitemap of this run listed (one that failed to load, say) is no evidence."""
        return sorted(url for url in self.edited if url in self.lastmods
                      and not changed_since_checked(self.known.get(url), self.lastmods[url]))

    def idle(self) -> None:
        """Everything is fetched: the evidence of this run may ask for more before it ends. (Not on a shared
        frontier: each process sees only some of the evidence.)"""
        if self.settings.get(ROLE):
            return
        more = self.judge_lastmod() + self.vanished()
        for request in more:
            self.crawler.engine.crawl(request)
        if more:
            raise DontCloseSpider

    def judge_lastmod(self) -> list[Request]:
        """Judges lastmod on this run's evidence and records it. If it has just lost our trust, this run
        goes on with the full schedule, so that no edit waits for the next run."""
        verdict = self.trust.judge(self.unannounced(), self.entries, self.with_lastmod)
        self.crawler.stats.set_value("dddn/lastmod", {**self.trust.record(), "next": verdict.record()})
        if not (self.trust.mode == Mode.LASTMOD and verdict.mode == Mode.SCHEDULE):
            return []
        self.logger.warning("revisits by the schedule from now on: %s", verdict.why)
        self.trust = Trust(Mode.SCHEDULE, f"switched during the run: {verdict.why}", verdict.learnt)
        self.crawler.stats.set_value("dddn/lastmod", {**self.trust.record(), "next": verdict.record()})
        before = set(self.scheduled)
        return [r for r in self.revisit_requests() if r.meta[REASON_META] == Reason.SCHEDULE and r.url not in before]

    def vanished(self) -> list[Request]:
        """Archived live articles that a dated sitemap read in this run should list and did not: each is
        fetched again (conditionally), which finds a takedown at any age. Once a run."""
        if self.vanish_checked:
            return []
        self.vanish_checked = True
        return [self.article_request(url, Reason.VANISHED) for url, known in self.known.items()
                if known.published is not None and url not in self.listed and url not in self.revisited
                and self.config.rules.is_article(url) and any(a <= known.published < b for a, b in self.periods)]

    # -- discovery ------------------------------------------------------------------------------
    def parse_home(self, response: Response) -> Iterator[Request | FetchRecord]:
        yield self.fetched(response)
        yield from self.revisit_requests()
        sections = self.config.sections or self.section_paths(response)
        latest = next((s for s in sections if s.startswith(LATEST)), LATEST)
        for path in ([latest] + [s for s in sections if s != latest]) if self.full else [latest]:
            yield Request(f"{self.base}/{path}", callback=self.parse_listing, errback=self.failed,
                          cb_kwargs={"page": 1}, priority=1)
        yield from self.plan(self.links(response, "a[href$='.html']"))

    def section_paths(self, response: Response) -> list[str]:
        paths = []
        menus = "nav a::attr(href), ul.menu-main a::attr(href), .c-menu-mobile a::attr(href)"
        for href in response.css(menus).getall():
            url = self.config.rules.canonical(urljoin(response.url, href))
            path = urlsplit(url).path
            on_site = self.config.rules.same_site(url, self.base)
            if on_site and SECTION_PATH.match(path) and not NOT_SECTIONS.match(path):
                paths.append(path.strip("/"))
        return list(dict.fromkeys(paths))

    def parse_listing(self, response: Response, page: int) -> Iterator[Request | FetchRecord]:
        yield self.fetched(response)
        assert isinstance(response, TextResponse)
        onecms = response.css("ul.onecms__loading > li[pid]")
        if onecms:
            items = [(li.css(".b-grid__title a::attr(href)").get(), li.css(".b-grid__time::text").get())
                     for li in onecms]
            pids = [int(p) for p in onecms.css("::attr(pid)").getall()]
        else:  # PHP era
            items = [(link.attrib.get("href"), _item_time(link)) for link in response.css(LEGACY_LISTING_LINKS)]
            pids = []
        entries = [(urljoin(response.url, href), parse_visible(when) if when else None) for href, when in items if href]
        requests, keep_walking = self.plan_walk(entries)
        yield from requests
        if not keep_walking or (self.config.max_pages and page >= self.config.max_pages):
            return
        if pids:
            yield self.more_request(response, min(pids), page + 1)
        elif (next_page := self.next_page(response, page)) is not None:
            yield response.follow(next_page, callback=self.parse_listing, errback=self.failed,
                                  cb_kwargs={"page": page + 1}, priority=1)

    def next_page(self, response: Response, page: int) -> str | None:
        """The next numbered page: the link marked as next, else the one labelled with its number."""
        if found := response.css(NEXT_PAGE).get():
            return found
        for link in response.css(PAGE_LINKS):
            if link.css("::text").get("").strip() == str(page + 1):
                return link.attrib.get("href")
        return None

    def more_request(self, response: Response, cursor: int, page: int) -> Request:
        """The first "Xem thêm" call of a listing page, with the query its button names."""
        more = response.css("div.c-more")
        kind = more.attrib.get("data-type", "channel") if more else "channel"
        keyword = more.attrib.get("data-keyword", "empty") if more else "empty"
        channel = more.attrib.get("data-channel") if more else None
        if channel is None and (m := CHANNEL_ID.search(response.text)):
            channel = m[1]
        event = more.attrib.get("data-event", "0") if more else "0"
        query = (kind, keyword, channel or "0", event)
        return Request(more_url(self.base, query, cursor), callback=self.parse_more, errback=self.failed,
                       priority=1, cb_kwargs={"page": page, "listing": response.url}, meta={MORE_META: query})

    def parse_more(self, response: Response, page: int, listing: str) -> Iterator[Request | FetchRecord]:
        yield self.fetched(response)
        try:
            items = json.loads(response.text)
        except ValueError:
            self.crawler.stats.inc_value("dddn/errors/bad_json")
            return
        if not items:
            return
        entries = [(urljoin(self.base, it["LinktoMe2"]), _net_date(it.get("PublishedTime"))) for it in items]
        requests, keep_walking = self.plan_walk(entries)
        yield from requests
        if keep_walking and not (self.config.max_pages and page >= self.config.max_pages):
            query = response.meta[MORE_META]
            cursor = min(int(it["PublisherId"]) for it in items)
            yield Request(more_url(self.base, query, cursor), callback=self.parse_more, errback=self.failed,
                          priority=1, cb_kwargs={"page": page + 1, "listing": listing}, meta={MORE_META: query})

    def source_request(self, url: str, callback: Callable[[Response], Iterator[Request | FetchRecord]]) -> Request:
        """A sitemap or feed. Every one is optional: the real site lacks some (no RSS for some sections, a
        sitemap that may vanish), so a 404 or 410 is noted once and the run goes on, healthy, on its
        listings. An incremental run asks conditionally: an unchanged sitemap costs a 304."""
        meta: dict[str, Any] = {"handle_httpstatus_list": [*ABSENT, 304], **({} if self.full else self.validators(url))}
        return Request(url, callback=callback, errback=self.failed, priority=-5, meta=meta)

    def validators(self, url: str) -> dict[str, Any]:
        """The meta that makes a request conditional on the archived copy of `url`, if it has validators."""
        known = self.known.get(url)
        if known is None or not (known.etag or known.last_modified):
            return {}
        return {VALIDATORS_META: (known.etag, known.last_modified)}

    def nothing_to_read(self, response: Response) -> bool:
        """Whether an optional source has nothing for us: it does not exist (noted once in the log), or it
        has not changed since we read it (304)."""
        if response.status == 304:
            return True
        if response.status not in ABSENT:
            return False
        self.crawler.stats.inc_value("dddn/absent_sources")
        self.logger.info("nothing at %s (%d): discovery goes on without it", response.url, response.status)
        return True

    def parse_sitemap(self, response: Response) -> Iterator[Request | FetchRecord]:
        yield self.fetched(response)
        if self.nothing_to_read(response):
            return
        try:
            sitemap = Sitemap(response.body)
        except ValueError:
            self.crawler.stats.inc_value("dddn/errors/bad_sitemap")
            return
        if sitemap.type == "sitemapindex":
            for entry in sitemap:
                loc = urljoin(response.url, entry.get("loc", ""))
                if self.before_since(loc):
                    continue
                lastmod, known = _lastmod(entry), self.known.get(loc)
                if not self.full and lastmod and known is not None and not changed_since_checked(known, lastmod):
                    continue  # the index says this sitemap has not changed since we read it (a new one is read)
                yield self.source_request(loc, self.parse_sitemap)
            return
        if period := sitemap_period(response.url):
            self.periods.append(period)
        for entry in sitemap:  # a sitemap says when a page last changed, not when it was published
            url = entry.get("loc", "")
            lastmod = _lastmod(entry)
            canonical = self.config.rules.canonical(url)
            self.listed.add(canonical)
            self.entries += 1
            if lastmod is not None:
                self.with_lastmod += 1
                self.lastmods[canonical] = lastmod
            if changed_since_checked(self.known.get(canonical), lastmod):
                yield self.article_request(canonical, Reason.LASTMOD)
            else:
                yield from self.plan([(url, lastmod)])

    def before_since(self, sitemap: str) -> bool:
        """Whether a monthly or per-day article sitemap only lists articles older than DDDN_SINCE."""
        since, dated = self.config.since, DATED_SITEMAP.search(sitemap)
        if not since or not dated:
            return False
        when = tuple(int(x) for x in dated.groups() if x)
        return when < (since.year, since.month, since.day)[:len(when)]

    def parse_rss_index(self, response: Response) -> Iterator[Request | FetchRecord]:
        yield self.fetched(response)
        if self.nothing_to_read(response):
            return
        feeds = [urljoin(response.url, h) for h in response.css("a::attr(href)").getall() if "/rss/" in h]
        for feed in feeds if self.full else feeds[:1]:
            yield self.source_request(feed, self.parse_rss)

    def parse_rss(self, response: Response) -> Iterator[Request | FetchRecord]:
        yield self.fetched(response)
        if self.nothing_to_read(response):
            return
        assert isinstance(response, TextResponse)
        entries = []
        for item in response.xpath("//item"):
            link, date = item.xpath("link/text()").get(), item.xpath("pubDate/text()").get()
            when = parsedate_to_datetime(date) if date else None
            if link:
                entries.append((link.strip(), when))
        yield from self.plan(entries)

    # -- what to fetch ---------------------------------------------------------------------------
    def plan(self, entries: Iterable[tuple[str, datetime | None]]) -> Iterator[Request]:
        yield from self.plan_walk(entries)[0]

    def plan_walk(self, entries: Iterable[tuple[str, datetime | None]]) -> tuple[list[Request], bool]:
        """Requests for the articles worth fetching, and whether the listing they came from is worth walking
        further: in an incremental run, not once it shows only archived articles older than the window."""
        requests, keep_walking, any_entry = [], False, False
        for url, when in entries:
            canonical = self.config.rules.canonical(url)
            if not self.config.rules.is_article(canonical) or not self.config.rules.same_site(canonical, self.base):
                continue
            any_entry = True
            if self.config.since and (when is None or when < self.config.since):
                continue  # an undated link (the home page's) is left to the dated listings
            known = self.known.get(canonical)
            if known is None:
                requests.append(self.article_request(canonical))
                keep_walking = True
            elif self.recent(when or known.published):
                requests.append(self.article_request(canonical, Reason.WINDOW))
                keep_walking = True
        if self.full and any_entry and (self.config.since is None or requests):
            keep_walking = True
        return requests, keep_walking

    def now(self) -> datetime:
        """The site's clock (its latest Date header), which "recent" and the schedule are measured on."""
        return self.site_clock or datetime.now(UTC)

    def recent(self, when: datetime | None) -> bool:
        return is_recent(when, self.now(), self.config.revisit)

    def article_request(self, url: str, revisit: Reason | None = None) -> Request:
        """`revisit`: why an archived article is fetched again (counted when it is); its archived copy's
        validators go along, for a 304 if nothing changed."""
        meta: dict[str, Any] = {"dddn_kind": "article", "handle_httpstatus_list": ARTICLE_STATUSES}
        if revisit is not None:
            meta[REASON_META] = revisit
            meta.update(self.validators(url))
        if self.config.browser_urls.search(url):
            meta.update(RENDER_META)
        return Request(url, callback=self.parse_article, errback=self.failed, meta=meta, priority=10)

    # -- fetched ---------------------------------------------------------------------------------
    def parse_article(self, response: Response) -> Iterator[FetchRecord]:
        record = self.fetched(response)
        if reason := response.meta.get(REASON_META):
            self.crawler.stats.inc_value(f"dddn/revisits/{reason}")
            self.revisited[self.config.rules.canonical(record.requested_url)] = reason
        yield record

    def fetched(self, response: Response) -> FetchRecord:
        """The fetch as the archive keeps it; its Date header also moves our idea of the site's clock."""
        requested = response.request.meta.get("redirect_urls", [response.url])[0] if response.request else response.url
        record = FetchRecord(
            requested_url=requested, final_url=response.url, status=response.status,
            headers={k.decode("latin-1"): b", ".join(v).decode("latin-1") for k, v in response.headers.items()},
            body=response.body if response.status != 304 else None, fetched_at=datetime.now(UTC),
            rendered=Rendering.BROWSER if response.meta.get("playwright") else Rendering.HTTP)
        if (seen := record.server_date) is not None:
            self.site_clock = max(self.site_clock, seen) if self.site_clock else seen
        return record

    def failed(self, failure: Any) -> None:
        """A page that could not be fetched this run (after retries): the run is incomplete, and the next
        one walks every listing again, so that nothing behind a failed listing page is missed."""
        kind = "failed_articles" if failure.request.meta.get("dddn_kind") == "article" else "failed_listings"
        self.crawler.stats.inc_value(f"dddn/{kind}")
        self.crawler.stats.inc_value(f"dddn/errors/{failure.type.__name__}")

    def dropped(self, request: Request) -> None:
        """A redirect back to a URL already requested (a redirect loop) is dropped by the duplicate filter
        without any error: it is a failed fetch all the same."""
        if request.meta.get("redirect_times"):
            kind = "failed_articles" if request.meta.get("dddn_kind") == "article" else "failed_listings"
            self.crawler.stats.inc_value(f"dddn/{kind}")
            self.crawler.stats.inc_value("dddn/errors/redirect_loop")

    def links(self, response: Response, selector: str) -> list[tuple[str, datetime | None]]:
        return [(urljoin(response.url, h), None) for h in response.css(f"{selector}::attr(href)").getall()]


def _item_time(link: Any) -> str | None:
    """The time shown in a listing item, when the link's item (its heading's parent) shows exactly one."""
    times = link.xpath("../..").css(LEGACY_LISTING_TIMES).getall()
    return times[0] if len(times) == 1 else None


def sitemap_period(url: str) -> tuple[datetime, datetime] | None:
    """The publication times a dated sitemap (per month or per day) lists, widened by a day on each side:
    its dates are the site's, in its own time zone."""
    dated = DATED_SITEMAP.search(url)
    if dated is None:
        return None
    year, month, day = int(dated[1]), int(dated[2]), int(dated[3]) if dated[3] else None
    start = datetime(year, month, day or 1, tzinfo=UTC)
    end = start + timedelta(days=1) if day else datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
    return start - timedelta(days=1), end + timedelta(days=1)


def _lastmod(entry: dict[str, Any]) -> datetime | None:
    return parse_iso(entry["lastmod"]) if entry.get("lastmod") else None


def _net_date(value: str | None) -> datetime | None:
    """ASP.NET's "/Date(1779868261000)/"."""
    m = re.search(r"\((\d+)", value or "")
    return datetime.fromtimestamp(int(m[1]) / 1000, UTC).astimezone(VN) if m else None
