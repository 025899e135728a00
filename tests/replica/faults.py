"""Named fault profiles, deterministic by seed.

A profile picks a fraction of paths by hash; a picked path misbehaves for its first few requests and
then heals, as a real overloaded server does, so a crawler that retries reaches everything within two
runs (`waf`: a firewall's 403 "blocked by our security system", for two to four requests). `charset`,
`careless-etag`, `no-feeds`, `no-lastmod` and `stale-lastmod` (every sitemap `lastmod` is the publication
plus one second, and never moves) are not failures but permanent properties of the picked pages.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

FAILURES = ("5xx", "429", "slow", "drop", "truncate", "soft404", "empty", "redirect-loop", "waf")
PROPERTIES = ("charset", "careless-etag", "no-feeds", "no-lastmod", "stale-lastmod")
PROFILES = ("none", *FAILURES, *PROPERTIES, "chaos")

FRACTION = {"chaos": 0.25, "charset": 0.3, "careless-etag": 1.0, "no-feeds": 1.0, "no-lastmod": 1.0,
            "stale-lastmod": 1.0}
DEFAULT_FRACTION = 0.2
REDIRECT_LOOP_HITS = 3  # requests bounced between page and ?loop=1: a loop to a client that never refetches a URL
SLOW_SECONDS = 3.0


@dataclass(frozen=True)
class Fault:
    kind: str
    detail: str = ""  # 5xx: the status; charset: "windows-1258" or "none"


def _unit(*parts: object) -> float:
    digest = hashlib.sha1(":".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


class FaultPlan:
    def __init__(self, profile: str = "none", seed: int = 1) -> None:
        if profile not in PROFILES:
            raise ValueError(f"unknown fault profile {profile!r}; choose from {', '.join(PROFILES)}")
        self.profile, self.seed = profile, seed
        self.hits: dict[str, int] = {}

    def decide(self, key: str, is_article: bool) -> Fault | None:
        """The fault for this request to `key` (path and query), counting it as one more hit."""
        n = self.hits.get(key, 0)
        self.hits[key] = n + 1
        if self.profile in ("none", "stale-lastmod"):  # the server renders stale sitemaps itself
            return None
        loop_key = key.split("?")[0]
        if _unit(self.seed, self.profile, loop_key) >= FRACTION.get(self.profile, DEFAULT_FRACTION):
            return None
        kind = self.profile
        if kind == "chaos":
            kind = FAILURES[int(_unit(self.seed, "kind", loop_key) * len(FAILURES))]
        if kind in ("charset", "soft404", "empty") and not is_article:
            return None
        if kind == "charset":
            return Fault(kind, "windows-1258" if _unit(self.seed, "cs", key) < 0.6 else "none")
        if kind == "careless-etag":
            return Fault(kind) if is_article else None
        if kind == "no-feeds":  # a site without RSS or sitemaps, as some sections of the real one are
            return Fault(kind) if loop_key.startswith(("/rss", "/sitemap")) else None
        if kind == "no-lastmod":  # sitemaps that list pages but never say when they changed
            return Fault(kind) if loop_key.startswith("/sitemap") else None
        if kind == "redirect-loop":
            return Fault(kind) if self.hits.get(loop_key, 0) + self.hits.get(loop_key + "?loop=1", 0) <= (
                REDIRECT_LOOP_HITS) else None
        bad_hits = {"5xx": 1 + int(_unit(self.seed, "burst", key) * 3),
                    "waf": 2 + int(_unit(self.seed, "burst", key) * 3)}.get(kind, 1)
        if n >= bad_hits:
            return None
        if kind == "5xx":
            return Fault(kind, str((500, 502, 503, 504)[int(_unit(self.seed, "st", key, n) * 4)]))
        return Fault(kind)
