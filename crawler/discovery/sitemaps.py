"""Sitemaps: the index, then news, daily, and monthly or per-day article sitemaps. Every run reads the
ones the index says changed since we read them, and any it has never read (conditionally: an unchanged
one costs a 304). A sitemap says when a page last changed: an archived article whose `lastmod` is later
than our copy is fetched again, at any age. What the sitemaps listed is also the evidence the revisit
policy weighs (`crawler.discovery.revisiting`)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urljoin

from scrapy import Request
from scrapy.http import Response
from scrapy.utils.sitemap import Sitemap

from archive.extract.dates import parse_iso
from archive.records import FetchRecord
from crawler.discovery.base import ArchiveSpider
from crawler.revisits import Reason, changed_since_checked

DATED_SITEMAP = re.compile(r"sitemap-article-(\d{4})-(\d{2})(?:-(\d{2}))?\.xml$")  # monthly or per day


class Sitemaps(ArchiveSpider):
    lastmods: dict[str, datetime]  # what the sitemaps said of each article
    entries: int  # pages listed, and how many with a lastmod
    with_lastmod: int
    periods: list[tuple[datetime, datetime]]  # the publication times of the dated sitemaps read
    listed: set[str]  # every page they listed

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lastmods, self.entries, self.with_lastmod, self.periods, self.listed = {}, 0, 0, [], set()

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
        listed = []
        for entry in sitemap:  # a sitemap says when a page last changed, not when it was published
            url = entry.get("loc", "")
            lastmod = _lastmod(entry)
            canonical = self.config.rules.canonical(url)
            listed.append(canonical)
            self.listed.add(canonical)
            self.entries += 1
            if lastmod is not None:
                self.with_lastmod += 1
                self.lastmods[canonical] = lastmod
            if changed_since_checked(self.known.get(canonical), lastmod):
                yield self.article_request(canonical, Reason.LASTMOD)
            else:
                yield from self.plan([(url, lastmod)])
        if self.cluster is not None:
            self.cluster.share_sitemap(listed, period)

    def before_since(self, sitemap: str) -> bool:
        """Whether a monthly or per-day article sitemap only lists articles older than DDDN_SINCE."""
        since, dated = self.config.since, DATED_SITEMAP.search(sitemap)
        if not since or not dated:
            return False
        when = tuple(int(x) for x in dated.groups() if x)
        return when < (since.year, since.month, since.day)[:len(when)]


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
