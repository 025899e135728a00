"""Canonical URL rules: which URLs name the same article.

One article answers at many URLs: with tracking parameters, with a `#fragment`, on the old
`dddn.com.vn` host, under a section prefix, with an outdated slug. The crawler fingerprints requests
with these rules and the archive resolves articles with them, so both agree by construction.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from w3lib.url import canonicalize_url, url_query_cleaner

SITE_HOST = "diendandoanhnghiep.vn"
DEFAULT_ALIASES = {
    "www.diendandoanhnghiep.vn": SITE_HOST,
    "m.diendandoanhnghiep.vn": SITE_HOST,
    "dddn.com.vn": SITE_HOST,
    "www.dddn.com.vn": SITE_HOST,
    "m.dddn.com.vn": SITE_HOST,
}
TRACKING_PARAMS = (
    "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "utm_id", "fbclid", "gclid",
    "zarsrc", "gidzl", "_ga", "mc_cid", "mc_eid", "ref", "refresh",
)
ARTICLE_PATH = re.compile(r"^/(?:[a-z0-9-]+/){0,3}(?P<slug>[a-z0-9-]+)-(?P<id>\d{6,8})\.html$")
ALIASES_ENV = "ARCHIVE_HOST_ALIASES"


@dataclass(frozen=True)
class UrlRules:
    """Host aliases (alias netloc -> site netloc) plus the fixed rules for paths and parameters."""

    aliases: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_ALIASES))

    @classmethod
    def from_env(cls) -> UrlRules:
        """Default aliases plus `ARCHIVE_HOST_ALIASES="alias=host,alias2=host"`."""
        return cls({**DEFAULT_ALIASES, **parse_aliases(os.environ.get(ALIASES_ENV, ""))})

    def with_aliases(self, extra: dict[str, str]) -> UrlRules:
        return UrlRules({**self.aliases, **extra})

    def canonical(self, url: str) -> str:
        """The one URL for whatever variant of a page `url` is."""
        cache: dict[str, str] = self.__dict__.setdefault("_cache", {})  # pages repeat their links a lot
        if (found := cache.get(url)) is None:
            if len(cache) > 100_000:
                cache.clear()
            found = cache[url] = self._canonical(url)
        return found

    def _canonical(self, url: str) -> str:
        try:
            url = url_query_cleaner(url.strip(), TRACKING_PARAMS, remove=True, keep_fragments=False)
            parts = urlsplit(canonicalize_url(url, keep_fragments=False))
        except ValueError:  # "http://[broken": pages carry such links; it names only itself
            return url.strip()
        netloc = parts.netloc.lower().removesuffix(":443" if parts.scheme == "https" else ":80")
        netloc = self.aliases.get(netloc, netloc)
        scheme = "https" if netloc == SITE_HOST else parts.scheme  # the real site answers http with a 301
        path = parts.path
        if m := ARTICLE_PATH.match(path):
            path = f"/{m['slug']}-{m['id']}.html"
        elif path != "/":
            path = path.rstrip("/")
        return urlunsplit((scheme, netloc, path, parts.query, ""))

    def site_id(self, url: str) -> int | None:
        try:
            m = ARTICLE_PATH.match(urlsplit(url).path)
        except ValueError:
            return None
        return int(m["id"]) if m else None

    def is_article(self, url: str) -> bool:
        return self.site_id(url) is not None

    def same_site(self, url: str, base: str) -> bool:
        """Whether `url` is on the site `base` is on, aliases included."""
        try:
            return urlsplit(self.canonical(url)).netloc == urlsplit(self.canonical(base)).netloc
        except ValueError:
            return False


def parse_aliases(text: str) -> dict[str, str]:
    """"a=b,c=d" -> {"a": "b", "c": "d"}; raises ValueError naming the bad entry."""
    out: dict[str, str] = {}
    for item in filter(None, (p.strip() for p in text.split(","))):
        alias, sep, host = item.partition("=")
        if not sep or not alias.strip() or not host.strip():
            raise ValueError(f"host alias {item!r} is not of the form alias=host")
        out[alias.strip().lower()] = host.strip().lower()
    return out


DEFAULT_RULES = UrlRules()
