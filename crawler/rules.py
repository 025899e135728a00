"""Settings read the same way by every component."""

from __future__ import annotations

from scrapy.settings import BaseSettings

from archive.urls import UrlRules, parse_aliases


def rules_from_settings(settings: BaseSettings) -> UrlRules:
    return UrlRules.from_env().with_aliases(parse_aliases(settings.get("DDDN_HOST_ALIASES", "")))
