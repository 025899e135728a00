"""The crawl's own settings, checked before anything starts: a bad one is a one-line error."""

from __future__ import annotations

from urllib.parse import urlsplit

from scrapy.settings import BaseSettings

from archive.extract.dates import parse_iso
from archive.urls import parse_aliases

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
    since = settings.get("DDDN_SINCE")
    if since and parse_iso(since) is None:
        found.append(f"DDDN_SINCE {since!r} is not an ISO 8601 date")
    for name in ("DDDN_REVISIT_DAYS", "DDDN_MAX_PAGES", "DDDN_MAX_FLAGGED_RATIO", "DDDN_MIN_ARTICLES",
                 "DDDN_RETRY_AFTER_MAX", "DDDN_INGEST_WORKERS"):
        try:
            if settings.getfloat(name) < 0:
                found.append(f"{name} must not be negative")
        except ValueError:
            found.append(f"{name} {settings.get(name)!r} is not a number")
    return found
