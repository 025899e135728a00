"""The crawl's own settings: checked before anything starts (a bad one is a one-line error), then read
once into a typed `CrawlConfig`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from scrapy.settings import BaseSettings

from archive import __version__
from archive.extract.dates import parse_iso
from archive.parsers import ParserError, load_parser
from archive.urls import UrlRules, parse_aliases
from crawler.revisits import TRUST_SETTINGS
from crawler.rules import rules_from_settings

MODES = ("auto", "full", "incremental")


def problems(settings: BaseSettings) -> list[str]:
    found = []
    base = urlsplit(settings.get("DDDN_BASE_URL", ""))
    if base.scheme not in ("http", "https") or not base.hostname:
        found.append(f"DDDN_BASE_URL {settings.get('DDDN_BASE_URL')!r} is not an http(s) URL")
    try:
        parse_aliases(settings.get("DDDN_HOST_ALIASES", ""))
    except ValueError as exc:
        found.append(f"DDDN_HOST_ALIASES: {exc}")
    if settings.get("DDDN_MODE") not in MODES:
        found.append(f"DDDN_MODE {settings.get('DDDN_MODE')!r} is not one of {', '.join(MODES)}")
    if settings.get("DDDN_LASTMOD_TRUST") not in TRUST_SETTINGS:
        found.append(f"DDDN_LASTMOD_TRUST {settings.get('DDDN_LASTMOD_TRUST')!r} is not one of "
                     f"{', '.join(TRUST_SETTINGS)}")
    since = settings.get("DDDN_SINCE")
    if since and parse_iso(since) is None:
        found.append(f"DDDN_SINCE {since!r} is not an ISO 8601 date")
    for name in ("DDDN_REVISIT_DAYS", "DDDN_MAX_PAGES", "DDDN_MAX_FLAGGED_RATIO", "DDDN_MIN_ARTICLES",
                 "DDDN_RETRY_AFTER_MAX", "DDDN_INGEST_WORKERS", "DDDN_REVISIT_BUDGET", "DDDN_REFUSAL_BACKOFF",
                 "DDDN_LASTMOD_PROBES"):
        try:
            if settings.getfloat(name) < 0:
                found.append(f"{name} must not be negative")
        except ValueError:
            found.append(f"{name} {settings.get(name)!r} is not a number")
    try:
        load_parser(settings.get("ARCHIVE_PARSER", ""))
    except ParserError as exc:
        found.append(f"ARCHIVE_PARSER: {exc}")
    try:
        schedule_of(settings)
    except ValueError:
        found.append(f"DDDN_REVISIT_SCHEDULE {settings.get('DDDN_REVISIT_SCHEDULE')!r} is not a list of days, "
                     "such as 1,3,7,30")
    return found


def schedule_of(settings: BaseSettings) -> tuple[timedelta, ...]:
    days = [float(d) for d in str(settings.get("DDDN_REVISIT_SCHEDULE", "")).split(",") if d.strip()]
    if any(d <= 0 for d in days):
        raise ValueError("schedule days must be positive")
    return tuple(sorted(timedelta(days=d) for d in days))


REAL_SITE = "diendandoanhnghiep.vn"


def user_agent(contact: str) -> str:
    """The crawler's name and version, and how to reach whoever runs it."""
    reach = f"+{contact.strip()}; " if contact.strip() else ""
    return f"dddn-archive/{__version__} ({reach}research archive of {REAL_SITE})"


def crawls_real_site(base_url: str) -> bool:
    host = (urlsplit(base_url).hostname or "").lower()
    return host == REAL_SITE or host.endswith("." + REAL_SITE)


NEVER = re.compile(r"(?!x)x")


@dataclass(frozen=True)
class CrawlConfig:
    """What a crawl run is asked to do, read once from Scrapy settings into plain typed values."""

    base: str  # the site's base URL, without a trailing slash
    rules: UrlRules
    mode: str  # auto | full | incremental (checked by crawler.config before a run)
    revisit: timedelta  # archived articles published this recently are fetched again
    schedule: tuple[timedelta, ...]  # ages at which an older archived article is fetched again
    revisit_budget: int  # scheduled revisits per run at most
    lastmod_trust: str  # auto | always | never: whether sitemaps' lastmod may stand in for the schedule
    lastmod_probes: int  # scheduled revisits per run while lastmod is trusted
    max_pages: int  # pages of one listing at most (0: no bound)
    since: datetime | None
    sections: tuple[str, ...]  # section paths to walk; empty: those the home page links to
    browser_urls: re.Pattern[str]  # article URLs always rendered in the browser
    db_url: str
    chromium: str  # the browser executable, "" when none is configured or the browser is off

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> CrawlConfig:
        since = settings.get("DDDN_SINCE")
        browser = settings.getbool("DDDN_BROWSER")
        return cls(
            base=settings["DDDN_BASE_URL"].rstrip("/"),
            rules=rules_from_settings(settings),
            mode=settings.get("DDDN_MODE", "auto"),
            revisit=timedelta(days=settings.getfloat("DDDN_REVISIT_DAYS")),
            schedule=schedule_of(settings),
            revisit_budget=settings.getint("DDDN_REVISIT_BUDGET"),
            lastmod_trust=settings.get("DDDN_LASTMOD_TRUST", "auto"),
            lastmod_probes=settings.getint("DDDN_LASTMOD_PROBES"),
            max_pages=settings.getint("DDDN_MAX_PAGES"),
            since=parse_iso(since) if since else None,
            sections=tuple(s.strip().strip("/") for s in settings.get("DDDN_SECTIONS", "").split(",") if s.strip()),
            browser_urls=re.compile(settings.get("DDDN_BROWSER_URL_PATTERNS") or NEVER.pattern)
            if browser else NEVER,
            db_url=settings["ARCHIVE_DB_URL"],
            chromium=settings.getdict("PLAYWRIGHT_LAUNCH_OPTIONS").get("executable_path", "") if browser else "",
        )

    @property
    def host(self) -> str:
        return urlsplit(self.base).hostname or ""
