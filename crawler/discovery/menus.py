"""The home page's menus: the sections a full run walks, with no list of sections in code."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

from scrapy.http import Response

from crawler.discovery.base import ArchiveSpider

NOT_SECTIONS = re.compile(r"^/(rss|search|lien-he|quang-cao|dat-bao|an-pham|tac-gia|api|__replica__)(/|$)")
SECTION_PATH = re.compile(r"^/[a-z0-9-]+(?:/[a-z0-9-]+)?$")
LATEST = "tin-moi-nhat"  # the listing of every section's newest articles ("-c1" in the PHP era)
MENUS = "nav a::attr(href), ul.menu-main a::attr(href), .c-menu-mobile a::attr(href)"


class Menus(ArchiveSpider):
    def section_paths(self, response: Response) -> list[str]:
        """The section paths the menus link to, each once, in menu order."""
        paths, rules = [], self.config.rules
        for href in response.css(MENUS).getall():
            url = rules.canonical(urljoin(response.url, href))
            path = urlsplit(url).path
            if rules.same_site(url, self.base) and SECTION_PATH.match(path) and not NOT_SECTIONS.match(path):
                paths.append(path.strip("/"))
        return list(dict.fromkeys(paths))

    def sections_to_walk(self, response: Response) -> list[str]:
        """DDDN_SECTIONS, else the menus' sections, the latest-news listing first; in an incremental run,
        only that one."""
        sections = list(self.config.sections) or self.section_paths(response)
        latest = next((s for s in sections if s.startswith(LATEST)), LATEST)
        return [latest, *(s for s in sections if s != latest)] if self.full else [latest]
