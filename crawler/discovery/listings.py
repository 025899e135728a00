"""Section listings, walked as the site serves them: numbered pages on the PHP-era template, the "Xem
thêm" cursor on OneCMS. A full run walks everything; an incremental one stops a listing once it reaches
archived articles older than the revisit window."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin

from scrapy import Request
from scrapy.http import Response, TextResponse

from archive.extract.dates import parse_visible
from archive.records import FetchRecord
from crawler.discovery.more import MoreCursor

# Article links of the PHP era's listings: the enternews theme, and an older form
LEGACY_LISTING_LINKS = ("div.danh-sach-bai-viet h2.post-title a, div.danh-sach-bai-viet h3.post-title a, "
                        "div.list-news h3 a")
LEGACY_LISTING_TIMES = ".created_time::text, .time-news::text, .time::text"
NEXT_PAGE = "a[rel=next]::attr(href), .pagination a.next::attr(href), .paging a.next::attr(href)"
PAGE_LINKS = ".pagination a, .paging a, .pager a"


class Listings(MoreCursor):
    def listing_request(self, path: str) -> Request:
        return Request(f"{self.base}/{path}", callback=self.parse_listing, errback=self.failed,
                       cb_kwargs={"page": 1}, priority=1)

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
            return str(found)
        for link in response.css(PAGE_LINKS):
            if link.css("::text").get("").strip() == str(page + 1):
                return link.attrib.get("href")
        return None


def _item_time(link: Any) -> str | None:
    """The time shown in a listing item, when the link's item (its heading's parent) shows exactly one."""
    times = link.xpath("../..").css(LEGACY_LISTING_TIMES).getall()
    return times[0] if len(times) == 1 else None
