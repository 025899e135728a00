"""Downloader middlewares: conditional GET from what the archive knows, back-off on refusals, and page triage
(a soft 404 or an empty page is retried, a script-built page is rendered in the browser)."""

from __future__ import annotations

import asyncio
import logging
from email.utils import parsedate_to_datetime

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

from archive.extract import triage

log = logging.getLogger(__name__)
# "domcontentloaded": the page's inline scripts have run; its comment list, still loading, is not wanted.
RENDER_META = {"playwright": True, "playwright_page_goto_kwargs": {"wait_until": "domcontentloaded"}}
VALIDATORS_META = "dddn_validators"  # (ETag, Last-Modified) of the archived copy of the page


class ConditionalGetMiddleware:
    """Sends the archived copy's validators (request.meta["dddn_validators"]) as If-None-Match and
    If-Modified-Since, so an unchanged page costs a 304."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ConditionalGetMiddleware:
        if not crawler.settings.getbool("DDDN_CONDITIONAL_GET"):
            raise NotConfigured
        return cls()

    def process_request(self, request: Request) -> None:
        validators = request.meta.get(VALIDATORS_META)
        if not validators or request.meta.get("playwright"):  # a browser rendering needs the whole page
            return
        etag, last_modified = validators
        if etag:
            request.headers.setdefault(b"If-None-Match", etag.encode("latin-1"))
        if last_modified:
            request.headers.setdefault(b"If-Modified-Since", last_modified.encode("latin-1"))


class BackOffMiddleware:
    """Temporary refusals are retried later, without holding up other requests: a 429 after its
    Retry-After, a 403 (a firewall's "blocked by our security system", whatever the user agent) after a
    delay that doubles with each try. Both are capped by DDDN_RETRY_AFTER_MAX. A page still refused after
    the retries is counted (`dddn/refused_pages`): the run is incomplete and names the firewall."""

    def __init__(self, crawler: Crawler, cap: float, refusal_delay: float) -> None:
        self.crawler, self.cap, self.refusal_delay = crawler, cap, refusal_delay  # the crawler: Scrapy's
        # retry helper counts through its spider

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BackOffMiddleware:
        return cls(crawler, crawler.settings.getfloat("DDDN_RETRY_AFTER_MAX"),
                   crawler.settings.getfloat("DDDN_REFUSAL_BACKOFF"))

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        stats, spider = self.crawler.stats, self.crawler.spider
        assert stats is not None and spider is not None
        if response.status == 429 and b"Retry-After" in response.headers:
            delay = retry_after((response.headers[b"Retry-After"] or b"").decode("latin-1"))
            stats.inc_value("dddn/retry_after_waits")
            reason = "429 Retry-After"
        elif response.status == 403:
            delay = self.refusal_delay * 2 ** request.meta.get("retry_times", 0)
            stats.inc_value("dddn/refusals")
            reason = "403 refused"
        else:
            return response
        await asyncio.sleep(min(delay, self.cap))
        retry = get_retry_request(request, spider=spider, reason=reason)
        if retry is None and response.status == 403:
            stats.inc_value("dddn/refused_pages")
            log.warning("%s is still refused (403) after retries; the next run tries again", request.url)
        return retry or response


def retry_after(value: str) -> float:
    """Retry-After is seconds, or an HTTP date."""
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        from datetime import UTC, datetime

        return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return 1.0


class PageTriageMiddleware:
    """Article pages that are not yet worth archiving: retried (soft 404, empty) or rendered (script-built)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler  # Scrapy's retry helper counts through its spider

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PageTriageMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Request | Response:
        if request.meta.get("dddn_kind") != "article" or response.status != 200:
            return response
        problem = triage(response.body)
        if problem is None:
            return response
        stats, spider = self.crawler.stats, self.crawler.spider
        assert stats is not None and spider is not None
        if problem == "needs_browser":
            if not self.crawler.settings.getbool("DDDN_BROWSER"):
                stats.inc_value("dddn/errors/render_skipped")
                return response  # no browser on this machine: archived as fetched, flagged
            if request.meta.get("playwright"):
                stats.inc_value("dddn/errors/render_failed")
                return response  # rendered and still empty: let the archive record the flagged page
            stats.inc_value("dddn/browser_requests")
            log.debug("rendering %s in the browser", request.url)
            return request.replace(meta={**request.meta, **RENDER_META}, dont_filter=True)
        stats.inc_value(f"dddn/errors/{problem}")
        return get_retry_request(request, spider=spider, reason=problem) or response
