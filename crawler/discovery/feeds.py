"""RSS: the feeds the `/rss` index lists (`/rss/{section}`, `/rss/{parent}/{child}`); feed paths are never
guessed. A full run reads every feed, an incremental one the first."""

from __future__ import annotations

from collections.abc import Iterator
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin

from scrapy import Request
from scrapy.http import Response, TextResponse

from archive.records import FetchRecord
from crawler.discovery.base import ArchiveSpider


class Feeds(ArchiveSpider):
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
