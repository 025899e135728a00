"""What every discovery source shares: the run's configuration and what the archive knew when it
started, the plan of what to fetch, the fetch record the pipeline archives, and failures."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from functools import cached_property
from typing import Any
from urllib.parse import urljoin

from scrapy import Request, Spider
from scrapy.http import Response

from archive.known import Known
from archive.records import FetchRecord
from archive.vocab import Rendering
from crawler.archive_view import ArchiveView
from crawler.config import CrawlConfig
from crawler.frontier import ROLE, Cluster
from crawler.middlewares import RENDER_META, VALIDATORS_META
from crawler.revisits import REASON_META, Reason, is_recent

ARTICLE_STATUSES = [304, 404, 410]
ABSENT = [404, 410]  # a sitemap or feed the site does not have


class ArchiveSpider(Spider):
    config: CrawlConfig
    load_view: Callable[[str], ArchiveView]
    known: dict[str, Known]  # what the archive held when the run started
    full: bool  # a full run walks every listing; an incremental one stops at what it knows
    site_clock: datetime | None  # the latest Date header the site sent
    revisited: dict[str, Reason]  # archived articles fetched again in this run, and why

    def __init__(self, config: CrawlConfig, load_view: Callable[[str], ArchiveView], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.config, self.load_view = config, load_view
        self.allowed_domains = [config.host]
        self.known, self.full, self.site_clock, self.revisited = {}, True, None, {}

    @property
    def base(self) -> str:
        return self.config.base

    @cached_property
    def cluster(self) -> Cluster | None:
        """The crawl's shared state, when this process is one of several on a frontier."""
        return Cluster.from_settings(self.settings) if self.settings.get(ROLE) else None

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

    def validators(self, url: str) -> dict[str, Any]:
        """The meta that makes a request conditional on the archived copy of `url`, if it has validators."""
        known = self.known.get(url)
        if known is None or not (known.etag or known.last_modified):
            return {}
        return {VALIDATORS_META: (known.etag, known.last_modified)}

    def source_request(self, url: str, callback: Callable[[Response], Iterator[Request | FetchRecord]]) -> Request:
        """A sitemap or feed. Every one is optional: the real site lacks some (no RSS for some sections, a
        sitemap that may vanish), so a 404 or 410 is noted once and the run goes on, healthy, on its
        listings. An incremental run asks conditionally: an unchanged sitemap costs a 304."""
        meta: dict[str, Any] = {"handle_httpstatus_list": [*ABSENT, 304], **({} if self.full else self.validators(url))}
        return Request(url, callback=callback, errback=self.failed, priority=-5, meta=meta)

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

    def links(self, response: Response, selector: str) -> list[tuple[str, datetime | None]]:
        return [(urljoin(response.url, h), None) for h in response.css(f"{selector}::attr(href)").getall()]

    # -- fetched ---------------------------------------------------------------------------------
    def parse_article(self, response: Response) -> Iterator[FetchRecord]:
        record = self.fetched(response)
        if reason := response.meta.get(REASON_META):
            self.crawler.stats.inc_value(f"dddn/revisits/{reason}")
            self.revisited[url := self.config.rules.canonical(record.requested_url)] = reason
            if self.cluster is not None:
                self.cluster.share_revisited(url)
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
