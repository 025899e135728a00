"""Request fingerprints by canonical URL: every link variant of an article is one request per run."""

from __future__ import annotations

import hashlib
from typing import Any
from weakref import WeakKeyDictionary

from scrapy import Request
from scrapy.crawler import Crawler

from crawler.rules import rules_from_settings


class CanonicalFingerprinter:
    def __init__(self, rules: Any) -> None:
        self.rules = rules
        self._cache: WeakKeyDictionary[Request, bytes] = WeakKeyDictionary()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CanonicalFingerprinter:
        return cls(rules_from_settings(crawler.settings))

    def fingerprint(self, request: Request) -> bytes:
        if (found := self._cache.get(request)) is None:
            # A browser rendering of a page is a different request from its plain fetch.
            key = f"{request.method} {self.rules.canonical(request.url)} {bool(request.meta.get('playwright'))}"
            found = self._cache[request] = hashlib.sha1(key.encode()).digest()
        return found
