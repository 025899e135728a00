"""`scrapy crawl dddn`: discovers articles through the home page's menus, listings, sitemaps and RSS, and
fetches each once; archived articles are fetched again where the revisit policy says.

Each source has its module in `crawler.discovery`; the spider ties them together: what a run knows when
it starts (the archive's view, full or incremental, the lastmod verdict so far), its first requests, and
the home page, which leads to the listings and, once the site's clock is known, to the revisits. Every
response becomes a `FetchRecord` for the archive; the spider never reads article text.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy.utils.misc import load_object

from archive.records import FetchRecord
from crawler.config import CrawlConfig, crawls_real_site, user_agent
from crawler.discovery.feeds import Feeds
from crawler.discovery.listings import Listings
from crawler.discovery.menus import Menus
from crawler.discovery.more import MORE_META, more_url
from crawler.discovery.revisiting import Revisiting
from crawler.discovery.sitemaps import sitemap_period
from crawler.frontier import COORDINATOR, ROLE, WORKER
from crawler.revisits import EDIT_FOUND, Trust

__all__ = ["MORE_META", "DddnSpider", "more_url", "sitemap_period"]


class DddnSpider(Menus, Listings, Feeds, Revisiting):
    name = "dddn"

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
        if role == COORDINATOR and self.cluster is not None:
            self.cluster.seeded()

    def first_requests(self) -> Iterator[Request]:
        """The run's first requests: the home page, sitemaps and the RSS index."""
        yield Request(self.base + "/", callback=self.parse_home, errback=self.failed, priority=5)
        for path in ("/sitemap-news.xml", "/sitemap.xml"):
            yield self.source_request(self.base + path, self.parse_sitemap)
        yield self.source_request(self.base + "/rss", self.parse_rss_index)

    def parse_home(self, response: Response) -> Iterator[Request | FetchRecord]:
        """The home page: the site's clock is known from here on, so the revisits go; then the listings its
        menus name (or DDDN_SECTIONS), and the articles it links to."""
        yield self.fetched(response)
        yield from self.revisit_requests()
        for path in self.sections_to_walk(response):
            yield self.listing_request(path)
        yield from self.plan(self.links(response, "a[href$='.html']"))
