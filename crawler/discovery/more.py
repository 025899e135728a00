"""OneCMS listings' "Xem thêm" button: `GET /api/getMoreArticle/{type}_{keyword}_{cursor}_{channel}_{event}`,
whose cursor is the smallest `pid` shown so far, never a page number."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import urljoin

from scrapy import Request
from scrapy.http import Response

from archive.extract.dates import VN
from archive.records import FetchRecord
from crawler.discovery.base import ArchiveSpider

CHANNEL_ID = re.compile(r"channelId\s*=\s*(\d+)")
MORE_META = "dddn_more"  # the "Xem thêm" query of a listing: (type, keyword, channel, event)


def more_url(base: str, query: tuple[str, str, str, str], cursor: int) -> str:
    """The "Xem thêm" button's call. Its cursor is the smallest pid shown so far, never a page number."""
    kind, keyword, channel, event = query
    return f"{base}/api/getMoreArticle/{kind}_{keyword}_{cursor}_{channel}_{event}"


class MoreCursor(ArchiveSpider):
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


def _net_date(value: str | None) -> datetime | None:
    """ASP.NET's "/Date(1779868261000)/"."""
    m = re.search(r"\((\d+)", value or "")
    return datetime.fromtimestamp(int(m[1]) / 1000, UTC).astimezone(VN) if m else None
